"""The sign-in form, shown by the sign-in page and in place of any page that needs an account
when nobody is signed in (app.py): after signing in, the visitor lands on the page they asked
for, with its query string."""
from __future__ import annotations

import streamlit as st

from indicators.web import actions, session, widgets

EXPIRED = "Liên kết đăng nhập đã hết hạn hoặc đã được dùng; hãy đăng nhập lại."


def render(next_path: str | None = None, *, needed: str | None = None) -> None:
    """The form. `next_path`: where to land afterwards (None: the overview); `needed`: what the
    page asked for needs, said above the form."""
    reason = session.take_sign_out_reason()
    if reason:
        st.info(reason)
    said = {"het-han": EXPIRED, "da-dang-xuat": "Đã đăng xuất."}.get(st.query_params.get("phien", ""))
    if said and not reason:
        st.info(said)
    account = session.current_account()
    if account:
        st.success(f"Đang đăng nhập: {widgets.safe(account.display_name)} ({widgets.safe(account.user_name)}, "
                   f"{account.role_label}).")
        return
    if needed:
        st.warning(needed)
    with st.form("sign_in", clear_on_submit=False):
        user_name = st.text_input("Tên đăng nhập", key="sign_in_user")
        password = st.text_input("Mật khẩu", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if submitted:
        st.session_state["sign_in_next"] = next_path
        try:
            actions.sign_in(user_name, password)
        except actions.Refused as exc:
            st.session_state.pop("sign_in_next", None)
            st.error(str(exc))
        else:
            st.rerun()
    st.caption("Lần đầu dùng: tài khoản quản trị `quantri` và mật khẩu được in ra màn hình khi chạy "
               "`make run` (hoặc `python -m indicators init-db`) trên cơ sở dữ liệu mới.")
