"""Building a database: create or migrate it, load what it must hold (localities, the seed catalogue,
the illustrative samples) and, on a new one, the first admin account; every existing row is kept."""
from __future__ import annotations

import os

from indicators.auth.admin import ensure_bootstrap_admin
from indicators.store.catalogue import load_catalogue
from indicators.store.localities import load_localities
from indicators.store.samples import load_samples
from indicators.progress.scorecard import refresh_current_observations
from indicators.store import gate
from indicators.tasks.catalogue import load_plan_tasks


def init_db(path: str | os.PathLike | None = None, *, samples: bool = True) -> dict[str, int]:
    """Create/migrate the database, add missing localities and seed rows, and the samples; on a
    database without accounts, create the admin `quantri` and return its password (else None).

    One transaction for the data and the derived caches: a failure leaves the database as it was. Running it again
    adds nothing that is already there and changes no existing row.
    """
    with gate.writing(path) as con:   # beside a running app: waits for its turn, like any write
        con.execute("begin transaction")
        try:
            added = {"locality": load_localities(con)}
            added.update(load_catalogue(con))
            added.update(load_plan_tasks(con))
            added["observation"] = load_samples(con) if samples else 0
            password = ensure_bootstrap_admin(con)
            # The overview's caches: repaired here if a process died between an import and
            # its refresh (before they shared one transaction) or the catalogue is new.
            added["cache_refresh"] = refresh_current_observations(con)["mode"]
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    added["path"] = gate.describe(path)  # type: ignore[assignment]
    # Shown once, by whoever called init-db: the database keeps only its argon2 hash.
    added["admin_password"] = password  # type: ignore[assignment]
    return added
