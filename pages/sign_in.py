"""Đăng nhập: sign in with a username and password (argon2-checked, lockout after failures)."""
import streamlit as st

from indicators.web import actions, session, widgets

st.title("Đăng nhập")
reason = session.take_sign_out_reason()
if reason:
    st.info(reason)

account = session.current_account()
if account:
    st.success(f"Đang đăng nhập: {widgets.safe(account.display_name)} ({account.user_name}, "
               f"{account.role_label}).")
    st.stop()

with st.form("sign_in", clear_on_submit=False):
    user_name = st.text_input("Tên đăng nhập", key="sign_in_user")
    password = st.text_input("Mật khẩu", type="password", key="sign_in_password")
    submitted = st.form_submit_button("Đăng nhập", type="primary")
if submitted:
    try:
        actions.sign_in(user_name, password)
    except actions.Refused as exc:
        st.error(str(exc))
    else:
        st.rerun()
st.caption("Lần đầu dùng: tài khoản quản trị `quantri` và mật khẩu được in ra màn hình khi chạy "
           "`make run` (hoặc `python -m indicators init-db`) trên cơ sở dữ liệu mới.")
