"""Every read a page makes, cached per database and arguments (cleared after each write).

Each loader is a plain function of the store or the progress method, `func(con, *args)`, made
a cached `loader(*args)` here: the cache is keyed by the database path as well, so switching
$INDICATORS_DB (tests, the synthetic file) never serves one database's rows for another.
"""
from __future__ import annotations

import functools
from datetime import datetime

import pandas as pd
import streamlit as st

from indicators.auth import approval
from indicators.auth.accounts import Account, account_table
from indicators.excel import importer
from indicators.plans import admin as plans_admin
from indicators.present.slides import slides_for
from indicators.progress import scorecard as sc
from indicators.progress.locality import locality_progress, target_years
from indicators.store import catalogue, dataset, localities
from indicators.store.audit import audit_log as read_audit_log
from indicators.store import gate
from indicators.web.connection import data_version, db_key, ensure_database, follow_writes, reading, shared_resource  # noqa: F401 — follow_writes: for app.py


def _cached(func, *, spinner: bool | str = False, resource: bool = False, **cache_kwargs):
    """func(con, *args) as a cached function of (*args) on the current database and its data
    version: after a write by any process, the next call reads again."""
    def on_database(db: str, version: str, *args):
        with gate.reading(ensure_database(db)) as con:
            return func(con, *args)

    # Streamlit keys a cache on the function's module, name and source: the name tells them apart.
    on_database.__module__, on_database.__qualname__ = func.__module__, f"{func.__qualname__}[cached]"

    if resource:
        cached = shared_resource(show_spinner=spinner, **cache_kwargs)(on_database)
    else:
        cached = st.cache_data(show_spinner=spinner, **cache_kwargs)(on_database)

    @functools.wraps(func)
    def load(*args):
        return cached(db_key(), data_version(), *args)
    return load


# --- localities and the catalogue ----------------------------------------------------------
# Read on every run of most pages: shared by every session (resource caches) instead of copied
# out of st.cache_data's pickles on each call. Pages only read them (pandas copies on write:
# a filtered or re-indexed frame never changes the shared one).
provinces = _cached(localities.provinces, resource=True, max_entries=8)
communes_of = _cached(localities.communes_of, resource=True, max_entries=128)   # (province)
localities_with_targets = _cached(localities.localities_with_targets, resource=True, max_entries=8)
indicators_with_targets = _cached(catalogue.indicators_with_targets, resource=True, max_entries=8)
locality = _cached(localities.find_locality)
labels = _cached(sc.labels, resource=True, max_entries=8)
is_synthetic = _cached(dataset.is_synthetic)
has_illustrative_data = _cached(dataset.has_illustrative_data)


# --- progress ---------------------------------------------------------------------------------
def _progress(con, locality_code: str, year: int, approved_only: bool = False):
    return locality_progress(con, locality_code, year, approved_only=approved_only)


progress_of = _cached(_progress)                            # (locality_code, year[, approved_only]) -> LocalityProgress
milestone_years = _cached(target_years)                      # (locality_code) -> [2026, 2030, …]


def _slides(con, order: str, locality_code: str | None, indicator_code: str | None, year: int) -> list[dict]:
    return slides_for(con, order, locality_code=locality_code, indicator_code=indicator_code, year=year)


slides = _cached(_slides, spinner="Đang chuẩn bị các trang trình chiếu…")


def _scorecard_cells(con, scope: str, province: str | None, year: int, approved_only: bool = False) -> pd.DataFrame:
    return sc.scorecard(con, scope, province, year, columns=sc.OVERVIEW_COLUMNS, approved_only=approved_only)


# A resource cache: the national scorecard (90k cells) is shared read-only by every session
# instead of being copied on each rerun.
scorecard_cells = _cached(_scorecard_cells, spinner="Đang tính bảng điểm…", resource=True, max_entries=32)
completeness = _cached(sc.completeness)                      # (scope, province)
missing_reports = _cached(sc.missing_reports)                # (indicator, scope, province)
approval_latest = _cached(sc.approval_latest)                # (scope, province, level)
province_rollup = _cached(sc.province_rollup)                # (province)
indicator_across = _cached(sc.indicator_across)              # (indicator, scope, province, year)
trajectories = _cached(sc.trajectories)                      # (indicator, scope, province)


def _fresh(func, *args, **kwargs):
    """func(con, *args) read now, not cached."""
    with reading() as con:
        return func(con, *args, **kwargs)


# --- administration: always read fresh (small, and an admin expects to see their change) ---
def accounts() -> pd.DataFrame:
    return _fresh(account_table)


def plans() -> pd.DataFrame:
    return _fresh(plans_admin.plans)


def plan_targets(plan_code: str) -> pd.DataFrame:
    return _fresh(plans_admin.plan_targets, plan_code)


def indicator_list() -> pd.DataFrame:
    return _fresh(catalogue.indicator_list)


def catalogue_changes() -> pd.DataFrame:
    return _fresh(plans_admin.change_history)


def audit_log(*, user: str | None, action: str | None, since: datetime, until: datetime,
              limit: int) -> pd.DataFrame:
    return _fresh(read_audit_log, user=user, action=action, since=since, until=until, limit=limit)


# --- reported values --------------------------------------------------------------------------
def value_history(locality_code: str, indicator_code: str) -> pd.DataFrame:
    return _fresh(importer.history, locality_code, indicator_code)


def history_indicators(locality_code: str) -> list[tuple[str, str, int]]:
    """(indicator_code, name, number of reported values) for the history picker."""
    return _fresh(importer.history_indicators, locality_code)


def recent_uploads(limit: int = 20) -> pd.DataFrame:
    return _fresh(importer.recent_uploads, limit)



# --- approval of reported periods: read fresh (an officer or approver expects their change) --
def approval_states(localities: list[str]) -> pd.DataFrame:
    """Every period with values or a state of these localities, newest first (approval_list_of)."""
    return _fresh(approval.approval_list_of, list(localities))


def approval_queue(account: Account) -> pd.DataFrame:
    """The submitted and approved periods `account` may approve or return."""
    return _fresh(approval.approval_queue, account)


def approval_history(locality_code: str, period: str | None = None) -> pd.DataFrame:
    return _fresh(approval.approval_history, locality_code, period)


_approver_reach = _cached(approval.approver_reach)


def approver_reach(account: Account | None) -> str | None:
    """'all' (an admin), a province code (an account holding 'approve'), or None. app.py asks on
    every run: no read for a visitor or an admin, a cached one (keyed on the data version, which
    a grant or a revoke changes) for anyone else."""
    if account is None or not account.is_active:
        return None
    if account.is_admin:
        return "all"
    return _approver_reach(account)


def permissions() -> pd.DataFrame:
    return _fresh(approval.permissions)
