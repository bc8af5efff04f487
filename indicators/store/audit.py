"""The audit log: one row per sign-in, refusal, upload, revert and change, never updated."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from indicators.store import gate
from indicators.store.sql import query


def audit(con: duckdb.DuckDBPyConnection, user_name: str | None, action: str, detail: str = "",
          locality_code: str | None = None) -> None:
    """Append one event to the audit log (never updated or deleted). Inside a read (the file is
    open read-only), the event keeps this moment and is written when the read ends (store.gate)."""
    event = {"u": user_name, "a": action, "l": locality_code, "d": detail}
    if gate.in_read():
        event["t"] = con.execute("select current_timestamp::timestamp").fetchone()[0]
        gate.defer(lambda writer: writer.execute(
            "insert into audit_event (occurred_at, user_name, action, locality_code, detail) "
            "values ($t, $u, $a, $l, $d)", event))
        return
    con.execute("insert into audit_event (user_name, action, locality_code, detail) values ($u, $a, $l, $d)", event)


def audit_log(con: duckdb.DuckDBPyConnection, *, user: str | None, action: str | None, since: datetime,
              until: datetime, limit: int) -> pd.DataFrame:
    """The audit log, newest first, filtered by user, action (None = all) and time."""
    return con.cursor().execute(query("audit_log"), {
        "user": user, "action": action, "since": since, "until": until, "limit": int(limit)}).df()
