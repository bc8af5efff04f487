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
from collections.abc import Iterable

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


def writing(*, bump: bool = True, scopes: Iterable[str] | None = None
            ) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """The database for one write, alone (waits, bounded, for a write of another process).
    `bump=False` for writes no cached page shows (sessions); `scopes` for a write confined to
    them (one province's reported values: province_scope)."""
    return gate.writing(ensure_database(db_key()), bump=bump, scopes=scopes)


def data_version() -> str:
    """The current database's data version (a file read; see store.gate)."""
    return gate.data_version(db_key())


# What a cached read depends on, and so which writes make it read again (see key_version):
EVERYTHING = None   # any write (the national scorecard: any upload changes it)
SHARED = ()         # writes of everything only: the catalogue, targets, localities, accounts, tasks


def province_scope(province: str) -> str:
    """The scope of one province's reported values (its own and its communes')."""
    return f"p:{province}"


def key_version(scopes: Iterable[str] | None) -> str:
    """The version a cached read is keyed on: the data version for EVERYTHING; else the version
    of the last write of everything with the versions of `scopes` (SHARED: none), which a write
    confined to other scopes leaves as it is."""
    if scopes is None:
        return data_version()
    return gate.versions(db_key()).of(scopes)


_registered: list[tuple[object, bool]] = []   # (cached function, keyed on EVERYTHING)


def register(cached, *, everything: bool):
    """A cached function (st.cache_data or st.cache_resource) that clear_caches() drops:
    `everything`, when it is keyed on the data version (any write makes its entries old)."""
    _registered.append((cached, everything))
    return cached


def shared_resource(*, everything: bool = True, **kwargs):
    """st.cache_resource for a large read-only result shared by every session (the national
    scorecard), registered so that clear_caches() drops it after a write."""
    return lambda func: register(st.cache_resource(**kwargs)(func), everything=everything)


def clear_caches(*, everything: bool = True) -> None:
    """After a write (import, revert, target change): drop cached reads, for memory; the version
    in every cache key is what keeps an old value from being shown. `everything=False` after a
    write confined to scopes: only the reads keyed on the data version are dropped; the others
    keep their entries (those of the changed scopes are no longer asked for, and are bounded)."""
    if everything:
        st.cache_data.clear()
    for cached, on_everything in _registered:
        if everything or on_everything:
            cached.clear()


_seen: dict[str, tuple[str, str]] = {}
_seen_lock = threading.Lock()


def follow_writes() -> None:
    """At the start of every run: when another process (or session) wrote since this process
    last looked, drop the caches filled under the old version (only those keyed on the data
    version when no write since was a write of everything)."""
    key = db_key()
    now = gate.versions(key)
    with _seen_lock:
        before = _seen.get(key)
        _seen[key] = (now.last, now.everything)
    if before is not None and before[0] != now.last:
        clear_caches(everything=before[1] != now.everything)
