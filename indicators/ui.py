"""The one small module of Streamlit helpers shared by app.py and the pages."""
from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from . import i18n
from .progress import STATUS_MARKS
from .setup_db import init_db
from .sql import query
from .status import LocalityProgress, locality_progress
from .store import connect, database_path

# st.badge colours for each status: green, yellow/orange, red, grey, as on UN ESCAP charts.
BADGE_COLOURS = {"achieved": "green", "on_track": "green", "needs_acceleration": "orange",
                 "off_track": "red", "no_data": "gray"}


@st.cache_resource
def connection() -> duckdb.DuckDBPyConnection:
    """The process's one connection; builds the database on first start when none exists."""
    if not database_path().exists():
        init_db()
    return connect()


def lang() -> str:
    return st.session_state.get("lang", "vi")


def t(key: str, **kwargs) -> str:
    return i18n.t(key, lang(), **kwargs)


@st.cache_data(show_spinner=False)
def provinces(_con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _con.cursor().execute(query("provinces")).df()


@st.cache_data(show_spinner=False)
def communes_of(_con: duckdb.DuckDBPyConnection, province: str) -> pd.DataFrame:
    return _con.cursor().execute(query("communes_of"), {"province": province}).df()


@st.cache_data(show_spinner=False)
def localities_with_targets(_con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _con.cursor().execute(query("localities_with_targets")).df()


@st.cache_data(show_spinner=False)
def progress_of(_con: duckdb.DuckDBPyConnection, locality_code: str, year: int) -> LocalityProgress:
    return locality_progress(_con, locality_code, year)


@st.cache_data(show_spinner=False)
def has_illustrative_data(_con: duckdb.DuckDBPyConnection) -> bool:
    row = _con.cursor().execute(
        "select count(*) from upload where is_illustrative and state = 'committed'").fetchone()
    return bool(row[0])


def status_badge(status: str, *, help: str | None = None) -> None:
    st.badge(f"{STATUS_MARKS[status]} {i18n.status_label(status, lang())}",
             color=BADGE_COLOURS[status], help=help)


def illustrative_notice() -> None:
    """The visible notice on every page that shows illustrative values."""
    st.warning(t("illustrative_notice"), icon="⚠️")
