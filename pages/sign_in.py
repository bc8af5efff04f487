"""Đăng nhập: sign in with a username and password (argon2-checked, lockout after failures)."""
import streamlit as st

from indicators import ui
from indicators.auth import ROLE_LABELS, PermissionDenied, sign_in

st.title("Đăng nhập")
reason = st.session_state.pop("sign_out_reason", None)
if reason:
    st.info(reason)

account = ui.current_account()
if account:
    st.success(f"Đang đăng nhập: {ui.safe(account.display_name)} ({account.user_name}, "
               f"{ROLE_LABELS[account.role]}).")
    st.stop()

with st.form("sign_in", clear_on_submit=False):
    user_name = st.text_input("Tên đăng nhập", key="sign_in_user")
    password = st.text_input("Mật khẩu", type="password", key="sign_in_password")
    submitted = st.form_submit_button("Đăng nhập", type="primary")
if submitted:
    try:
        account = sign_in(ui.connection().cursor(), user_name.strip().lower(), password)
    except PermissionDenied as exc:
        st.error(str(exc))
    else:
        ui.remember_sign_in(account)
        st.rerun()
st.caption("Lần đầu dùng: tài khoản quản trị `quantri` và mật khẩu được in ra màn hình khi chạy "
           "`make run` (hoặc `python -m indicators init-db`) trên cơ sở dữ liệu mới.")
