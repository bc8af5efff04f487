"""The app's way into the store, and the caches every write (here or in another process) clears.

The app holds no connection between operations (store.gate): each read opens the database
read-only, shared by the sessions reading at that moment, and each write opens it read-write
for that write alone, so the command line, a backup or a second app process can use the same
file while the app serves. Every cached read is keyed by the database and its data version,
which every write changes first: a value imported by the command line is shown on the next run
of a page, and no cache ever serves a value older than the last write.
"""
from __future__ import annotations

import contextlib
import logging
import threading

import duckdb
import streamlit as st

from indicators.setup import init_db
from indicators.store import gate

_LOG = logging.getLogger(__name__)


def db_key() -> str:
    """The database (a file path or a postgresql:// URL): cached loaders take it as their first
    argument, so the cache never serves one database's rows for another ($INDICATORS_DB in tests,
    the synthetic file)."""
    return str(gate.target())


@st.cache_resource(show_spinner="Đang mở cơ sở dữ liệu…")
def ensure_database(path: str) -> str:
    """Once per process and database: build it when none exists; else bring its structure and
    its derived caches up to date (a process killed between an import and its cache refresh, a
    database from an older version)."""
    if not gate.exists(path):
        init_db(path)
    elif not isinstance(gate.target(path), str):   # a DuckDB file (PostgreSQL's replicas refresh themselves)
        from indicators.excel.importer import refresh_overview_cache
        with gate.writing(path, bump=False) as con:
            if refresh_overview_cache(con)["mode"] != "none":
                gate.bump_version(gate.target(path))
    return path


def reading() -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A read-only cursor for one operation (other processes may read at the same time)."""
    return gate.reading(ensure_database(db_key()))


def writing(*, bump: bool = True) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """The database for one write, alone (waits, bounded, for a write of another process).
    `bump=False` for writes no cached page shows (sessions)."""
    return gate.writing(ensure_database(db_key()), bump=bump)


def data_version() -> str:
    """The current database's data version (a file read; see store.gate)."""
    return gate.data_version(db_key())


_resource_caches: list = []


def shared_resource(**kwargs):
    """st.cache_resource for a large read-only result shared by every session (the national
    scorecard), registered so that clear_caches() drops it after a write."""
    def wrap(func):
        cached = st.cache_resource(**kwargs)(func)
        _resource_caches.append(cached)
        return cached
    return wrap


def clear_caches() -> None:
    """After a write (import, revert, target change): drop every cached read, for memory; the
    data version in every cache key is what keeps an old value from being shown."""
    st.cache_data.clear()
    for cached in _resource_caches:
        cached.clear()


_seen: dict[str, str] = {}
_seen_lock = threading.Lock()


def follow_writes() -> None:
    """At the start of every run: when another process (or session) wrote since this process
    last looked, drop the caches filled under the old version."""
    key, version = db_key(), data_version()
    with _seen_lock:
        changed = _seen.get(key) not in (None, version)
        _seen[key] = version
    if changed:
        clear_caches()
