"""The process's one database connection, and the caches every write clears.

One DuckDB connection per server process (st.cache_resource), a cursor per query or thread;
the database is built on first start when none exists.
"""
from __future__ import annotations

import duckdb
import streamlit as st

from indicators.store.connection import connect, database_path
from indicators.setup import init_db


def db_key() -> str:
    """The database path: cached loaders take it as their first argument, so the cache never
    serves one database's rows for another ($INDICATORS_DB in tests, the synthetic file)."""
    return str(database_path())


def connection() -> duckdb.DuckDBPyConnection:
    """The process's one connection; builds the database on first start when none exists."""
    return shared_connection(db_key())


@st.cache_resource(show_spinner="Đang mở cơ sở dữ liệu…")
def shared_connection(path: str) -> duckdb.DuckDBPyConnection:
    if not database_path(path).exists():
        init_db(path)
    return connect(path)


def cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor of the process's connection, for one operation."""
    return connection().cursor()


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
    """After a write (import, revert, target change): every page shows the new values at once."""
    st.cache_data.clear()
    for cached in _resource_caches:
        cached.clear()
