"""The audit log: one row per sign-in, refusal, upload, revert and change, never updated.

An event raised by the command line says so: inside `from_command_line()` (every command's
connection, cli.common.opened) each event's detail ends with "(dòng lệnh, người dùng hệ điều
hành: NAME)", NAME being the operating-system user that ran the command; the event's user is the
account the command acted as (`--user NAME`, or the operator's own cli:NAME account).
"""
from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime

import duckdb
import pandas as pd

from indicators.store import gate
from indicators.store.sql import query


_origin: ContextVar[str | None] = ContextVar("audit_origin", default=None)


def os_user() -> str:
    """The operating-system user running this process ('không rõ' when it cannot be told)."""
    try:
        return getpass.getuser()
    except Exception:   # noqa: BLE001 — no user name in the environment nor in the password database
        return "không rõ"


@contextlib.contextmanager
def from_command_line() -> Iterator[None]:
    """Every event raised inside says it came from the command line, and of which OS user."""
    token = _origin.set(f"dòng lệnh, người dùng hệ điều hành: {os_user()}")
    try:
        yield
    finally:
        _origin.reset(token)


def audit(con: duckdb.DuckDBPyConnection, user_name: str | None, action: str, detail: str = "",
          locality_code: str | None = None) -> None:
    """Append one event to the audit log (never updated or deleted). Inside a read (the file is
    open read-only), the event keeps this moment and is written when the read ends (store.gate)."""
    origin = _origin.get()
    if origin:
        detail = f"{detail} ({origin})" if detail else f"({origin})"
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
