"""The one small module of Streamlit helpers shared by app.py and the pages."""
from __future__ import annotations

import html
import os
import re
import time

import duckdb
import pandas as pd
import streamlit as st

from . import i18n
from .auth import Account, get_account
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


@st.cache_data(show_spinner=False)
def _indicators_with_targets(db: str) -> pd.DataFrame:
    return _connection(db).cursor().execute(query("indicators_with_targets")).df()


@st.cache_data(show_spinner="Đang chuẩn bị các trang trình chiếu…")
def _slides(db: str, order: str, locality: str | None, indicator: str | None, year: int) -> list[dict]:
    from .slides import slides_for
    return slides_for(_connection(db), order, locality_code=locality, indicator_code=indicator, year=year)


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


def indicators_with_targets() -> pd.DataFrame:
    return _indicators_with_targets(_db())


def slides(order: str, locality: str | None, indicator: str | None, year: int) -> list[dict]:
    return _slides(_db(), order, locality, indicator, year)


def export_deck(locality: str, year: int, order: str) -> tuple[bytes | None, str | None]:
    """The meeting deck as bytes, or (None, a one-sentence reason) when it cannot be made."""
    import io

    from .deck import DeckError, build_deck
    from .render import RenderError
    buf = io.BytesIO()
    try:
        build_deck(connection().cursor(), locality, buf, year=year, order=order)
    except (RenderError, DeckError) as exc:
        return None, str(exc)
    return buf.getvalue(), None


def export_report(locality: str, year: int) -> tuple[bytes | None, str | None]:
    """The printable PDF report as bytes, or (None, a one-sentence reason)."""
    import io

    from .deck import DeckError
    from .render import RenderError
    from .report import build_report
    buf = io.BytesIO()
    try:
        build_report(connection().cursor(), locality, buf, year=year)
    except (RenderError, DeckError) as exc:
        return None, str(exc)
    return buf.getvalue(), None


def html_text(text: object) -> str:
    """Text made safe to place inside st.html markup."""
    return html.escape(str(text))


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


# --- who is signed in ------------------------------------------------------------------------
def public_read() -> bool:
    """Dashboards readable without signing in: on for a local install, set
    INDICATORS_PUBLIC_READ=0 for a deployment."""
    return os.environ.get("INDICATORS_PUBLIC_READ", "1").strip().lower() not in ("0", "false", "no", "off")


def session_minutes() -> int:
    """Idle minutes after which a session signs out (INDICATORS_SESSION_MINUTES, default 30)."""
    try:
        return max(1, int(os.environ.get("INDICATORS_SESSION_MINUTES", "30")))
    except ValueError:
        return 30


def current_account() -> Account | None:
    """The signed-in, still active account, or None; an idle session times out here."""
    user_name = st.session_state.get("user_name")
    if not user_name:
        return None
    now = time.time()
    if now - st.session_state.get("last_seen", now) > 60 * session_minutes():
        sign_out(reason="Phiên làm việc đã hết hạn; hãy đăng nhập lại.")
        return None
    account = get_account(connection().cursor(), user_name)
    if account is None or not account.is_active:
        sign_out(reason="Tài khoản đã bị vô hiệu hóa.")
        return None
    st.session_state["last_seen"] = now
    return account


def remember_sign_in(account: Account) -> None:
    st.session_state["user_name"] = account.user_name
    st.session_state["last_seen"] = time.time()


def sign_out(reason: str | None = None) -> None:
    for key in ("user_name", "last_seen"):
        st.session_state.pop(key, None)
    if reason:
        st.session_state["sign_out_reason"] = reason


def require_page_role(role: str) -> Account:
    """Stop a page unless the signed-in account has `role` (admin has all): the check each
    protected page makes itself, whatever the navigation shows."""
    account = current_account()
    order = {"viewer": 0, "officer": 1, "admin": 2}
    if account is None or order[account.role] < order[role]:
        st.error("Bạn không có quyền mở trang này. Hãy đăng nhập bằng tài khoản có quyền phù hợp.")
        st.stop()
    return account


def safe(text: object) -> str:
    """User-typed text made inert for st.markdown: Markdown and HTML characters escaped."""
    s = html.escape(str(text), quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", s)


# --- overview and indicator pages ------------------------------------------------------------
# A resource cache: the national scorecard (90k cells) is shared read-only by every session
# instead of being copied on each rerun; clear_caches() drops it after an import.
@st.cache_resource(show_spinner="Đang tính bảng điểm…", max_entries=32)
def _scorecard(db: str, scope: str, province: str | None, year: int) -> pd.DataFrame:
    from .scorecard import OVERVIEW_COLUMNS, scorecard
    return scorecard(_connection(db), scope, province, year, columns=OVERVIEW_COLUMNS)


def clear_caches() -> None:
    """After a write (import, revert, target change): every page shows the new values at once."""
    st.cache_data.clear()
    _scorecard.clear()


@st.cache_data(show_spinner=False)
def _labels(db: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from .scorecard import labels
    return labels(_connection(db))


@st.cache_data(show_spinner=False)
def _completeness(db: str, scope: str, province: str | None) -> pd.DataFrame:
    from .scorecard import completeness
    return completeness(_connection(db), scope, province)


@st.cache_data(show_spinner=False)
def _missing(db: str, indicator: str, scope: str, province: str | None) -> pd.DataFrame:
    from .scorecard import missing_reports
    return missing_reports(_connection(db), indicator, scope, province)


@st.cache_data(show_spinner=False)
def _rollup(db: str, province: str) -> pd.DataFrame:
    from .scorecard import province_rollup
    return province_rollup(_connection(db), province)


@st.cache_data(show_spinner=False)
def _is_synthetic(db: str) -> bool:
    row = _connection(db).cursor().execute("select bool_or(is_synthetic) from dataset").fetchone()
    return bool(row and row[0])


@st.cache_data(show_spinner=False)
def _indicator_across(db: str, indicator: str, scope: str, province: str | None, year: int) -> pd.DataFrame:
    from .scorecard import indicator_across
    return indicator_across(_connection(db), indicator, scope, province, year)


@st.cache_data(show_spinner=False)
def _trajectories(db: str, indicator: str, scope: str, province: str | None) -> pd.DataFrame:
    from .scorecard import trajectories
    return trajectories(_connection(db), indicator, scope, province)


def scorecard_cells(scope: str, province: str | None, year: int) -> pd.DataFrame:
    return _scorecard(_db(), scope, province, year)


def labels() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _labels(_db())


def completeness(scope: str, province: str | None) -> pd.DataFrame:
    return _completeness(_db(), scope, province)


def missing_reports(indicator: str, scope: str, province: str | None) -> pd.DataFrame:
    return _missing(_db(), indicator, scope, province)


def province_rollup(province: str) -> pd.DataFrame:
    return _rollup(_db(), province)


def is_synthetic() -> bool:
    return _is_synthetic(_db())


def indicator_across(indicator: str, scope: str, province: str | None, year: int) -> pd.DataFrame:
    return _indicator_across(_db(), indicator, scope, province, year)


def trajectories(indicator: str, scope: str, province: str | None) -> pd.DataFrame:
    return _trajectories(_db(), indicator, scope, province)


def data_notices(has_illustrative: bool = False) -> None:
    """The synthetic and illustrative notices, whichever apply, on any page that shows data."""
    if is_synthetic():
        # Synthetic says more than illustrative: every figure and target here is generated.
        st.warning("**Dữ liệu tổng hợp (synthetic)** – cơ sở dữ liệu này được sinh tự động để đo tốc độ "
                   "ở quy mô toàn quốc; mọi số liệu và chỉ tiêu trong đó đều không có thật.",
                   icon=":material/science:")
    elif has_illustrative:
        illustrative_notice()


SCOPES = {"country": "Toàn quốc", "province": "Một tỉnh", "communes": "Các xã của tỉnh"}


def scope_picker(params, *, key_prefix: str) -> tuple[str, str | None, int]:
    """Scope (country / province / its communes), province and target year, read from and
    written back to the URL so a link opens the same view."""
    provinces_df = provinces()
    codes = provinces_df["locality_code"].tolist()
    names = dict(zip(codes, provinces_df["name"]))
    scope = params.get("scope", "country")
    scope = scope if scope in SCOPES else "country"
    province = params.get("province") if params.get("province") in codes else "01"
    year = int(params.get("year", 2030)) if str(params.get("year", "")).isdigit() else 2030
    c1, c2, c3 = st.columns([4, 3, 1])
    scope = c1.segmented_control("Phạm vi", list(SCOPES), default=scope, format_func=SCOPES.get,
                                 key=f"{key_prefix}_scope", required=True)
    if scope != "country":
        province = c2.selectbox("Tỉnh / thành phố", codes, index=codes.index(province),
                                format_func=lambda c: f"{names[c]} ({c})", key=f"{key_prefix}_province")
    years = [2026, 2030, 2035, 2045]
    year = c3.selectbox("Năm mục tiêu", years, index=years.index(year) if year in years else 1,
                        key=f"{key_prefix}_year")
    params.update({"scope": scope, "year": str(year)})
    if scope != "country":
        params["province"] = province
    elif "province" in params:
        del params["province"]
    return scope, (province if scope != "country" else None), year
