"""The pieces of Streamlit several pages share: language, scope picker, status badges, notices,
safe text, numbers read from the URL."""
from __future__ import annotations

import html
import re

import streamlit as st

from indicators.progress.statuses import (DEFAULT_TARGET_YEAR, MILESTONE_YEARS, STATUS_BADGE_COLOURS,
                                          status_text)
from indicators.text import i18n
from indicators.web import actions, data

SCOPES = {"country": "Toàn quốc", "province": "Một tỉnh", "communes": "Các xã của tỉnh"}
SYNTHETIC_NOTICE = ("**Dữ liệu tổng hợp (synthetic)** – cơ sở dữ liệu này được sinh tự động để đo tốc độ ở "
                    "quy mô toàn quốc; mọi số liệu và chỉ tiêu trong đó đều không có thật.")


def lang() -> str:
    return st.session_state.get("lang", "vi")


def t(key: str, **kwargs) -> str:
    """An interface string in the session's language."""
    return i18n.t(key, lang(), **kwargs)


def safe(text: object) -> str:
    """User-typed text made inert for anything Streamlit renders as Markdown (st.markdown,
    st.caption, st.info/…, titles, labels, help): HTML characters as entities, and every character
    Markdown, GitHub autolinks (`http://`, `www.`), setext headings (`===`), Streamlit's `:icon:`
    and `:red[...]` and LaTeX (`$`) give a meaning to, backslash-escaped. `![x](http://…)`,
    `[a](http://…)` and `<img …>` then show as the characters typed, and nothing is fetched."""
    s = html.escape(str(text), quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>:=$@])", r"\\\1", s)


def html_text(text: object) -> str:
    """Text made safe to place inside st.html markup."""
    return html.escape(str(text))


def url_int(params, name: str, default: int) -> int:
    """A whole number from the URL: ASCII digits only ('²' and '٣' are digits to Python, not to
    int()), else `default`."""
    value = str(params.get(name, ""))
    return int(value) if value.isascii() and value.isdigit() else default


def status_badge(status: str, *, help: str | None = None) -> None:
    st.badge(status_text(status, lang()), color=STATUS_BADGE_COLOURS[status], help=help)


def illustrative_notice() -> None:
    """The visible notice on every page that shows illustrative values."""
    st.warning(t("illustrative_notice"), icon="⚠️")


def data_notices(has_illustrative: bool = False) -> None:
    """The synthetic and illustrative notices, whichever apply, on any page that shows data."""
    if data.is_synthetic():
        # Synthetic says more than illustrative: every figure and target here is generated.
        st.warning(SYNTHETIC_NOTICE, icon=":material/science:")
    elif has_illustrative:
        illustrative_notice()


def year_picker(container, params, *, key: str, years=MILESTONE_YEARS, label: str = "Năm mục tiêu") -> int:
    """A target-year select box that starts from the URL's `year` (else 2030, else the first)."""
    years = list(years)
    wanted = url_int(params, "year", DEFAULT_TARGET_YEAR)
    default = wanted if wanted in years else (DEFAULT_TARGET_YEAR if DEFAULT_TARGET_YEAR in years else years[0])
    return container.selectbox(label, years, index=years.index(default), key=key)


def scope_picker(params, *, key_prefix: str) -> tuple[str, str | None, int]:
    """Scope (country / province / its communes), province and target year, read from and
    written back to the URL so a link opens the same view."""
    provinces_df = data.provinces()
    codes = provinces_df["locality_code"].tolist()
    names = dict(zip(codes, provinces_df["name"]))
    scope = params.get("scope", "country")
    scope = scope if scope in SCOPES else "country"
    province = params.get("province") if params.get("province") in codes else "01"
    c1, c2, c3 = st.columns([4, 3, 1])
    scope = c1.segmented_control("Phạm vi", list(SCOPES), default=scope, format_func=SCOPES.get,
                                 key=f"{key_prefix}_scope", required=True)
    if scope != "country":
        province = c2.selectbox("Tỉnh / thành phố", codes, index=codes.index(province),
                                format_func=lambda c: f"{names[c]} ({c})", key=f"{key_prefix}_province")
    year = year_picker(c3, params, key=f"{key_prefix}_year")
    params.update({"scope": scope, "year": str(year)})
    if scope != "country":
        params["province"] = province
    elif "province" in params:
        del params["province"]
    return scope, (province if scope != "country" else None), year


APPROVED_ONLY_SHOWN = {False: "Đang hiện: mọi số liệu đã báo cáo (gồm cả số liệu chưa được duyệt).",
                       True: "Đang hiện: chỉ số liệu đã được duyệt (kỳ báo cáo đã được cấp trên duyệt)."}


def approved_only_toggle(container, params, *, key: str) -> bool:
    """The "Chỉ số liệu đã duyệt" toggle, read from and written back to the URL (`approved=1`),
    with a caption that always says which figures the page shows."""
    approved_only = container.toggle("Chỉ số liệu đã duyệt", value=params.get("approved") == "1", key=key,
                                     help="Bật: tiến độ chỉ tính từ các kỳ báo cáo đã được duyệt. Tắt: mọi số "
                                          "liệu đã báo cáo, kể cả chưa nộp hoặc chưa duyệt.")
    if approved_only:
        params["approved"] = "1"
    elif "approved" in params:
        del params["approved"]
    container.caption(APPROVED_ONLY_SHOWN[approved_only])
    return approved_only


def flash(page: str) -> None:
    """Show (once) the success message an action on `page` left before its rerun."""
    message = st.session_state.pop(f"{page}_flash", None)
    if message:
        st.success(message)   # made safe by run_then_rerun


def run_then_rerun(page: str, action, success: str) -> None:
    """Run one action: a refusal is shown as an error; on success, rerun so the page's tables show
    the change, with `success` (formatted with the action's {result}) shown after the rerun.
    `success` is the page's own Markdown; the result and every refusal (which may quote what
    someone typed) are shown as text: escaped, or, inside `code`, without backticks."""
    try:
        result = action()
    except actions.Refused as exc:
        st.error(safe(str(exc)))
        return
    shown = str(result).replace("`", "") if "`{result}`" in success else safe(result)
    st.session_state[f"{page}_flash"] = success.replace("{result}", shown)
    st.rerun()
