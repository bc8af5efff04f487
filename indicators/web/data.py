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
from indicators.web import pacing
from indicators.web.connection import (EVERYTHING, SHARED, data_version, db_key, ensure_database,  # noqa: F401 — follow_writes: for app.py
                                       follow_writes, key_version, province_scope, reading, register, shared_resource)


def _cached(func, *, spinner: bool | str = False, resource: bool = False, depends=EVERYTHING, **cache_kwargs):
    """func(con, *args) as a cached function of (*args) on the current database and its version:
    after a write it depends on, by any process, the next call reads again. `depends`:
    EVERYTHING (any write), SHARED (writes of everything only: catalogue, targets, localities,
    accounts, tasks), or a function of the call's arguments giving the scopes its result depends
    on (None: everything), such as a province's reported values."""
    def cache(everything: bool):
        def on_database(db: str, version: str, *args):
            with pacing.computing(in_database=True), gate.reading(ensure_database(db)) as con:
                return func(con, *args)

        # Streamlit keys a cache on the function's module, name and source: the name tells them apart.
        on_database.__module__ = func.__module__
        on_database.__qualname__ = f"{func.__qualname__}[cached{'' if everything else ', scoped'}]"
        kwargs = dict(cache_kwargs)
        if not everything and not resource:
            kwargs.setdefault("max_entries", 512)   # kept across other scopes' writes: bounded
        if resource:
            return shared_resource(show_spinner=spinner, everything=everything, **kwargs)(on_database)
        return register(st.cache_data(show_spinner=spinner, **kwargs)(on_database), everything=everything)

    call = keyed(cache, depends)

    @functools.wraps(func)
    def load(*args):
        try:
            return call(*args)
        finally:
            pacing.take_back()
    return load


def keyed(cache, depends):
    """call(*args) of the cached functions `cache(everything)` makes, on (database, version,
    *args): the data version for a call depending on everything, else the version of its scopes.
    The two kinds of call are kept in two caches, so that a write confined to scopes drops the
    first (old for good) and keeps the second."""
    on_everything = cache(True) if depends is not SHARED else None
    on_scopes = cache(False) if depends is not EVERYTHING else None

    def call(*args):
        scopes = depends if depends is EVERYTHING or depends is SHARED else depends(*args)
        if scopes is None:
            return on_everything(db_key(), data_version(), *args)
        return on_scopes(db_key(), key_version(scopes), *args)
    return call


_provinces_of = _cached(localities.province_index, resource=True, depends=SHARED, max_entries=4)


def of_locality(locality_code: str | None, *_rest) -> tuple[str, ...] | None:
    """The scopes of a read about one locality: its province's reported values (None: every
    locality, or one not known)."""
    province = _provinces_of().get(locality_code) if locality_code else None
    return (province_scope(province),) if province else None


def of_area(scope: str, province: str | None, *_rest) -> tuple[str, ...] | None:
    """The scopes of a read over (scope kind, province): that province's values, or everything
    for the whole country."""
    return (province_scope(province),) if scope != "country" and province else None


def of_province(province: str | None = None, *_rest) -> tuple[str, ...] | None:
    return (province_scope(province),) if province else None


def of_indicator_area(indicator: str, scope: str, province: str | None, *_rest) -> tuple[str, ...] | None:
    return of_area(scope, province)


def of_slides(order: str, locality_code: str | None, *_rest) -> tuple[str, ...] | None:
    """One locality's slides (its targets, or what needs action there, then its task boards)
    depend on its province; one indicator across localities, on everything."""
    return of_locality(locality_code) if order in ("indicator", "offtrack") and locality_code else None


# --- localities and the catalogue ----------------------------------------------------------
# Read on every run of most pages: shared by every session (resource caches) instead of copied
# out of st.cache_data's pickles on each call. Pages only read them (pandas copies on write:
# a filtered or re-indexed frame never changes the shared one).
provinces = _cached(localities.provinces, resource=True, depends=SHARED, max_entries=8)
communes_of = _cached(localities.communes_of, resource=True, depends=SHARED, max_entries=128)   # (province)
localities_with_targets = _cached(localities.localities_with_targets, resource=True, depends=SHARED, max_entries=8)
indicators_with_targets = _cached(catalogue.indicators_with_targets, resource=True, depends=SHARED, max_entries=8)
locality = _cached(localities.find_locality, depends=SHARED)
labels = _cached(sc.labels, resource=True, depends=SHARED, max_entries=8)
is_synthetic = _cached(dataset.is_synthetic)
has_illustrative_data = _cached(dataset.has_illustrative_data)


# --- progress ---------------------------------------------------------------------------------
def _progress(con, locality_code: str, year: int, approved_only: bool = False):
    return locality_progress(con, locality_code, year, approved_only=approved_only)


progress_of = _cached(_progress, depends=of_locality)                           # (locality_code, year[, approved_only]) -> LocalityProgress
milestone_years = _cached(target_years, depends=SHARED)                     # (locality_code) -> [2026, 2030, …]


def _slides(con, order: str, locality_code: str | None, indicator_code: str | None, year: int) -> list[dict]:
    return slides_for(con, order, locality_code=locality_code, indicator_code=indicator_code, year=year)


slides = _cached(_slides, spinner="Đang chuẩn bị các trang trình chiếu…", depends=of_slides)


def _scorecard_cells(con, scope: str, province: str | None, year: int, approved_only: bool = False) -> pd.DataFrame:
    return sc.scorecard(con, scope, province, year, columns=sc.OVERVIEW_COLUMNS, approved_only=approved_only)


# A resource cache: the national scorecard (90k cells) is shared read-only by every session
# instead of being copied on each rerun.
scorecard_cells = _cached(_scorecard_cells, spinner="Đang tính bảng điểm…", resource=True, max_entries=32,
                          depends=of_area)
completeness = _cached(sc.completeness, depends=of_area)                     # (scope, province)
missing_reports = _cached(sc.missing_reports, depends=of_indicator_area)               # (indicator, scope, province)
approval_latest = _cached(sc.approval_latest, depends=of_area)               # (scope, province, level)
province_rollup = _cached(sc.province_rollup, depends=of_province)               # (province)
indicator_across = _cached(sc.indicator_across, depends=of_indicator_area)             # (indicator, scope, province, year)
trajectories = _cached(sc.trajectories, depends=of_indicator_area)                     # (indicator, scope, province)


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


_approver_reach = _cached(approval.approver_reach, depends=SHARED)


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
