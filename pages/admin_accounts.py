"""Quản trị · Tài khoản: create accounts, change role and scope, deactivate, reset passwords."""
import streamlit as st

from indicators import ui
from indicators.accounts import create_account, set_password, update_account
from indicators.auth import ROLE_LABELS, ROLES, AccountError, PermissionDenied
from indicators.sql import query

admin = ui.require_page_role("admin")
st.title("Tài khoản")

flash = st.session_state.pop("accounts_flash", None)
if flash:
    st.success(flash)
con = ui.connection()
accounts = con.cursor().execute(query("accounts")).df()
st.dataframe(
    accounts.assign(role=accounts["role"].map(ROLE_LABELS), locality_code=accounts["locality_code"].fillna("–"),
                    locality_name=accounts["locality_name"].fillna("Toàn quốc")),
    hide_index=True, width="stretch",
    column_config={"user_name": "Tên đăng nhập", "display_name": "Tên hiển thị", "role": "Vai trò",
                   "locality_code": "Mã phạm vi", "locality_name": "Phạm vi", "is_active": "Hoạt động",
                   "created_at": "Tạo lúc", "failed_attempts": "Lần sai", "locked_until": "Khóa đến"},
)


def run(action, success: str) -> None:
    """Run one admin action on a fresh cursor; known errors become st.error."""
    try:
        result = action(con.cursor())
    except (AccountError, PermissionDenied) as exc:
        st.error(str(exc))
        return
    # Rerun so the table above shows the change; the message survives the rerun.
    st.session_state["accounts_flash"] = success.format(result=result)
    st.rerun()


new_tab, edit_tab, password_tab = st.tabs(["Tạo tài khoản", "Sửa vai trò / phạm vi", "Đặt lại mật khẩu"])
with new_tab, st.form("new_account", clear_on_submit=True):
    c1, c2 = st.columns(2)
    user_name = c1.text_input("Tên đăng nhập (không dấu)")
    display_name = c2.text_input("Tên hiển thị")
    role = c1.selectbox("Vai trò", ROLES, format_func=ROLE_LABELS.get, index=1)
    scope = c2.text_input("Phạm vi: mã tỉnh (2 số) hoặc mã xã (5 số); để trống = toàn quốc")
    if st.form_submit_button("Tạo tài khoản", type="primary"):
        run(lambda c: create_account(c, admin.user_name, user_name, display_name, role, scope.strip() or None),
            "Đã tạo tài khoản. Mật khẩu (chỉ hiện một lần, hãy chuyển cho người dùng): `{result}`")

names = accounts["user_name"].tolist()
with edit_tab:
    who = st.selectbox("Tài khoản", names, key="edit_who")
    row = accounts.set_index("user_name").loc[who] if who else None
    if row is not None:
        with st.form("edit_account"):
            c1, c2, c3 = st.columns(3)
            role = c1.selectbox("Vai trò", ROLES, index=ROLES.index(row["role"]), format_func=ROLE_LABELS.get)
            scope = c2.text_input("Phạm vi (mã)", value=row["locality_code"] or "")
            active = c3.checkbox("Đang hoạt động", value=bool(row["is_active"]))
            if st.form_submit_button("Lưu thay đổi", type="primary"):
                run(lambda c: update_account(c, admin.user_name, who, role=role, locality_code=scope.strip() or "",
                                             is_active=active) and who,
                    "Đã lưu tài khoản {result}.")

with password_tab, st.form("reset_password"):
    who = st.selectbox("Tài khoản", names, key="reset_who")
    if st.form_submit_button("Đặt lại mật khẩu"):
        run(lambda c: set_password(c, admin.user_name, who),
            "Mật khẩu mới (chỉ hiện một lần): `{result}`")
