"""Who is signed in to this browser tab: the store's session behind the cookie, the idle
time-out, sign-out, the role a page needs.

A tab remembers its session's id (st.session_state); a new tab, a reload or a shared link finds
the session through the HttpOnly cookie the sign-in set (indicators/auth/sessions.py,
indicators/web/asgi.py). Every run checks the session in the store, so a sign-out in one tab,
an admin ending an account's sessions or a password change signs every tab out at its next
interaction, in every app process.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from urllib.parse import quote, urlencode

import streamlit as st

from indicators.auth import sessions
from indicators.auth.accounts import Account, get_account
from indicators.web.connection import reading, writing


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


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(sessions.COOKIE)
    except Exception:   # noqa: BLE001 — no request context (a bare script run)
        return None
    return value if isinstance(value, str) else None   # AppTest's context is a mock


def client_address() -> str | None:
    try:
        value = st.context.ip_address
    except Exception:   # noqa: BLE001
        return None
    return value if isinstance(value, str) else None


def current_account() -> Account | None:
    """The signed-in, still active account of this tab, or None. A session ended elsewhere or
    idle too long signs the tab out here, saying why."""
    known = st.session_state.get("session_id")
    cookie = None if known else _cookie()
    if not known and not cookie:   # a visitor who never signed in: nothing to look up
        return None
    with reading() as con:
        session = sessions.by_id(con, known) if known else sessions.from_cookie(con, cookie)
        account = get_account(con, session.user_name) if session else None
    if session is None:
        _forget()
        return None
    if session.is_ended:
        _forget(sessions.ENDED.get(session.ended_reason) if known else None)
        return None
    now = datetime.now()
    ended = ("idle" if sessions.is_idle(session, session_minutes(), now)
             else "account_disabled" if account is None or not account.is_active else None)
    if ended:
        with writing(bump=False) as con:
            sessions.end(con, session.session_id, ended, now=now)
        _forget(sessions.ENDED[ended])
        return None
    st.session_state["session_id"] = session.session_id
    if sessions.needs_touch(session, now):
        with writing(bump=False) as con:
            sessions.touch(con, session.session_id, now)
    return account


def remember_sign_in(account: Account) -> None:
    """After a successful sign-in: a new session in the store, remembered by this tab, and the
    hand-off address that sets the cookie (`take_hand_off`). It lands on the page the visitor
    was going to (st.session_state["sign_in_next"], set by the sign-in form)."""
    with writing(bump=False) as con:
        session_id, code = sessions.start(con, account.user_name, client=client_address(),
                                          next_path=st.session_state.pop("sign_in_next", None))
    st.session_state["session_id"] = session_id
    st.session_state["hand_off"] = "/phien/bat-dau?" + urlencode({"code": code})
    st.session_state.pop("sign_out_reason", None)


def take_hand_off() -> str | None:
    """The address that sets this sign-in's cookie (once)."""
    return st.session_state.pop("hand_off", None)


def sign_out() -> None:
    """End this tab's session in the store (every tab and process sees it) and forget it here."""
    known = st.session_state.get("session_id")
    if known:
        with writing(bump=False) as con:
            sessions.end(con, known, "sign_out")
    _forget(sessions.ENDED["sign_out"])


def _forget(reason: str | None = None) -> None:
    st.session_state.pop("session_id", None)
    if reason:
        st.session_state["sign_out_reason"] = reason


def take_sign_out_reason() -> str | None:
    """Why the last session ended (once), for the sign-in page to say."""
    return st.session_state.pop("sign_out_reason", None)


def go(address: str) -> None:
    """Send the browser to another address of this server: a full page load, which the cookie
    routes need. The page itself is drawn meanwhile (and stays usable if scripts are blocked:
    this tab is signed in either way; only other tabs would then not be)."""
    st.html(f"<script>window.location.replace({json.dumps(address)});</script>", unsafe_allow_javascript=True)


def next_for(url_path: str) -> str:
    """The address of the page at `url_path` with this run's query string: where a visitor who
    must first sign in lands afterwards."""
    query = urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    return sessions.safe_next("/" + quote(url_path.strip("/")) + (f"?{query}" if query else ""))


def require_page_role(role: str) -> Account:
    """Stop a page unless the signed-in account has `role` (admin has all): the check each
    protected page makes itself, whatever the navigation shows."""
    account = current_account()
    if account is None or not account.has_role(role):
        st.error("Bạn không có quyền mở trang này. Hãy đăng nhập bằng tài khoản có quyền phù hợp.")
        st.stop()
    return account
