"""Who is signed in to this browser session: idle time-out, sign-out, the role a page needs.

Streamlit keeps session state per websocket: a reload signs the person out (issue 12 moves
sessions into the store behind a cookie).
"""
from __future__ import annotations

import os
import time

import streamlit as st

from indicators.auth.accounts import Account, get_account
from indicators.web.connection import reading


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
    with reading() as con:
        account = get_account(con, user_name)
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


def take_sign_out_reason() -> str | None:
    """Why the last session ended (once), for the sign-in page to say."""
    return st.session_state.pop("sign_out_reason", None)


def require_page_role(role: str) -> Account:
    """Stop a page unless the signed-in account has `role` (admin has all): the check each
    protected page makes itself, whatever the navigation shows."""
    account = current_account()
    if account is None or not account.has_role(role):
        st.error("Bạn không có quyền mở trang này. Hãy đăng nhập bằng tài khoản có quyền phù hợp.")
        st.stop()
    return account
