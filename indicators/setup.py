"""Building a database: create or migrate it, load what it must hold (localities, the seed catalogue,
the illustrative samples) and, on a new one, the first admin account; every existing row is kept."""
from __future__ import annotations

import os

from indicators.auth.admin import ensure_bootstrap_admin
from indicators.store.catalogue import load_catalogue
from indicators.store.localities import load_localities
from indicators.store.samples import load_samples
from indicators.store.connection import connect, database_path


def init_db(path: str | os.PathLike | None = None, *, samples: bool = True) -> dict[str, int]:
    """Create/migrate the database, add missing localities and seed rows, and the samples; on a
    database without accounts, create the admin `quantri` and return its password (else None).

    One transaction for the data: a failure leaves the database as it was. Running it again
    adds nothing that is already there and changes no existing row.
    """
    con = connect(path)
    try:
        con.execute("begin transaction")
        try:
            added = {"locality": load_localities(con)}
            added.update(load_catalogue(con))
            added["observation"] = load_samples(con) if samples else 0
            password = ensure_bootstrap_admin(con)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    finally:
        con.close()
    added["path"] = str(database_path(path))  # type: ignore[assignment]
    # Shown once, by whoever called init-db: the database keeps only its argon2 hash.
    added["admin_password"] = password  # type: ignore[assignment]
    return added
