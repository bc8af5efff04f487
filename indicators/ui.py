"""The one small module of Streamlit helpers shared by app.py and the pages."""
from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from . import i18n
from .progress import STATUS_MARKS
from .setup_db import init_db
from .sql import query
from .status import LocalityProgress, locality_progress, target_years
from .store import connect, database_path

# st.badge colours for each status: green, yellow/orange, red, grey, as on UN ESCAP charts.
BADGE_COLOURS = {"achieved": "green", "on_track": "green", "needs_acceleration": "orange",
                 "off_track": "red", "no_data": "gray"}


def connection() -> duckdb.DuckDBPyConnection:
    """The process's one connection; builds the database on first start when none exists."""
    return _connection(str(database_path()))


@st.cache_resource(show_spinner="Đang mở cơ sở dữ liệu…")
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    # Keyed by path so that $INDICATORS_DB switching (tests, synthetic data) opens the right file.
    if not database_path(path).exists():
        init_db(path)
    return connect(path)


def lang() -> str:
    return st.session_state.get("lang", "vi")


def t(key: str, **kwargs) -> str:
    return i18n.t(key, lang(), **kwargs)


# Cached loaders take the database path as their first argument, so the cache never serves one
# database's rows for another; the wrappers below fill it in. Caches are cleared after imports.
@st.cache_data(show_spinner=False)
def _provinces(db: str) -> pd.DataFrame:
    return _connection(db).cursor().execute(query("provinces")).df()


@st.cache_data(show_spinner=False)
def _communes_of(db: str, province: str) -> pd.DataFrame:
    return _connection(db).cursor().execute(query("communes_of"), {"province": province}).df()


@st.cache_data(show_spinner=False)
def _localities_with_targets(db: str) -> pd.DataFrame:
    return _connection(db).cursor().execute(query("localities_with_targets")).df()


@st.cache_data(show_spinner=False)
def _progress_of(db: str, locality_code: str, year: int) -> LocalityProgress:
    return locality_progress(_connection(db), locality_code, year)


@st.cache_data(show_spinner=False)
def _target_years(db: str, locality_code: str) -> list[int]:
    return target_years(_connection(db), locality_code)


@st.cache_data(show_spinner=False)
def _has_illustrative_data(db: str) -> bool:
    row = _connection(db).cursor().execute(
        "select count(*) from upload where is_illustrative and state = 'committed'").fetchone()
    return bool(row[0])


def _db() -> str:
    return str(database_path())


def provinces() -> pd.DataFrame:
    return _provinces(_db())


def communes_of(province: str) -> pd.DataFrame:
    return _communes_of(_db(), province)


def localities_with_targets() -> pd.DataFrame:
    return _localities_with_targets(_db())


def progress_of(locality_code: str, year: int) -> LocalityProgress:
    return _progress_of(_db(), locality_code, year)


def milestone_years(locality_code: str) -> list[int]:
    return _target_years(_db(), locality_code)


def has_illustrative_data() -> bool:
    return _has_illustrative_data(_db())


def parent_of(locality_code: str) -> str | None:
    row = connection().cursor().execute(
        "select parent_code from locality where locality_code = $c", {"c": locality_code}).fetchone()
    return row[0] if row else None


def status_badge(status: str, *, help: str | None = None) -> None:
    st.badge(f"{STATUS_MARKS[status]} {i18n.status_label(status, lang())}",
             color=BADGE_COLOURS[status], help=help)


def illustrative_notice() -> None:
    """The visible notice on every page that shows illustrative values."""
    st.warning(t("illustrative_notice"), icon="⚠️")
