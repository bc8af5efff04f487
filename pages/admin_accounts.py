"""Quản trị · Tài khoản: create accounts, change role and scope, deactivate, reset passwords, grant
and revoke the permission to approve reported periods, end an account's sessions everywhere."""
import pandas as pd
import streamlit as st

from indicators.web import actions, data, session, widgets

admin = session.require_page_role("admin")
st.title("Tài khoản")
widgets.flash("accounts")

accounts = data.accounts()
st.dataframe(
    accounts.assign(role=accounts["role"].map(actions.ROLE_LABELS), locality_code=accounts["locality_code"].fillna("–"),
                    locality_name=accounts["locality_name"].fillna("Toàn quốc")),
    hide_index=True, width="stretch",
    column_config={"user_name": "Tên đăng nhập", "display_name": "Tên hiển thị", "role": "Vai trò",
                   "locality_code": "Mã phạm vi", "locality_name": "Phạm vi", "is_active": "Hoạt động",
                   "created_at": "Tạo lúc", "failed_attempts": "Lần sai liên tiếp"},
)


def run(action, success: str) -> None:
    """Run one admin action; a refusal is shown, a success survives the rerun that shows it."""
    widgets.run_then_rerun("accounts", action, success)


new_tab, edit_tab, password_tab, approve_tab, sessions_tab = st.tabs(
    ["Tạo tài khoản", "Sửa vai trò / phạm vi", "Đặt lại mật khẩu", "Quyền duyệt số liệu", "Phiên đăng nhập"])
with new_tab, st.form("new_account", clear_on_submit=True):
    c1, c2 = st.columns(2)
    user_name = c1.text_input("Tên đăng nhập (không dấu)")
    display_name = c2.text_input("Tên hiển thị")
    role = c1.selectbox("Vai trò", actions.ROLES, format_func=actions.ROLE_LABELS.get, index=1)
    scope = c2.text_input("Phạm vi: mã tỉnh (2 số) hoặc mã xã (5 số); để trống = toàn quốc")
    if st.form_submit_button("Tạo tài khoản", type="primary"):
        run(lambda: actions.create_account(admin, user_name, display_name, role, scope),
            "Đã tạo tài khoản. Mật khẩu (chỉ hiện một lần, hãy chuyển cho người dùng): `{result}`")

names = accounts["user_name"].tolist()
with edit_tab:
    who = st.selectbox("Tài khoản", names, key="edit_who")
    row = accounts.set_index("user_name").loc[who] if who else None
    if row is not None:
        with st.form("edit_account"):
            c1, c2, c3 = st.columns(3)
            role = c1.selectbox("Vai trò", actions.ROLES, index=actions.ROLES.index(row["role"]),
                                format_func=actions.ROLE_LABELS.get)
            scope = c2.text_input("Phạm vi (mã)", value=row["locality_code"] or "")
            active = c3.checkbox("Đang hoạt động", value=bool(row["is_active"]))
            if st.form_submit_button("Lưu thay đổi", type="primary"):
                run(lambda: actions.update_account(admin, who, role=role, scope=scope, is_active=active),
                    f"Đã lưu tài khoản {widgets.safe(who)}.")

with password_tab, st.form("reset_password"):
    who = st.selectbox("Tài khoản", names, key="reset_who")
    if st.form_submit_button("Đặt lại mật khẩu"):
        run(lambda: actions.reset_password(admin, who), "Mật khẩu mới (chỉ hiện một lần): `{result}`")

with approve_tab:
    st.caption("Người được cấp quyền duyệt (cán bộ nhập liệu hoặc người xem có phạm vi là một tỉnh/thành phố) duyệt "
               "và trả lại kỳ báo cáo của các xã/phường trong tỉnh, ở trang “Duyệt số liệu”. Quản trị viên duyệt "
               "được mọi kỳ báo cáo, không cần cấp quyền.")
    holders = data.permissions()
    holders = holders[holders["permission"] == "approve"]
    if holders.empty:
        st.info("Chưa tài khoản nào được cấp quyền duyệt số liệu.")
    else:
        st.dataframe(pd.DataFrame({
            "Tên đăng nhập": holders["user_name"], "Tên hiển thị": holders["display_name"],
            "Vai trò": holders["role"].map(actions.ROLE_LABELS), "Phạm vi": holders["locality_code"].fillna("–"),
            "Cấp bởi": holders["granted_by"],
            "Cấp lúc": holders["granted_at"].dt.strftime("%d/%m/%Y %H:%M"),
        }), hide_index=True, width="stretch", key="approve_holders")
    with st.form("approve_permission"):
        who = st.selectbox("Tài khoản", names, key="approve_who")
        g1, g2 = st.columns(2)
        if g1.form_submit_button("Cấp quyền duyệt", type="primary"):
            run(lambda: actions.grant_approve(admin, who), "{result}")
        if g2.form_submit_button("Thu hồi quyền duyệt"):
            run(lambda: actions.revoke_approve(admin, who), "{result}")

with sessions_tab, st.form("end_sessions"):
    st.caption("Đăng xuất tài khoản trên mọi trình duyệt và thiết bị (ví dụ khi nghi lộ mật khẩu, hoặc máy bị "
               "mất). Tài khoản vẫn hoạt động; người dùng đăng nhập lại được bằng mật khẩu.")
    who = st.selectbox("Tài khoản", names, key="sessions_who")
    if st.form_submit_button("Kết thúc mọi phiên đăng nhập", icon=":material/logout:"):
        run(lambda: actions.end_sessions(admin, who),
            f"Đã kết thúc {{result}} phiên đăng nhập của {widgets.safe(who)}.")
