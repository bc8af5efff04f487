"""Quản trị · Nhật ký: who did what, when — sign-ins, refusals, uploads, reverts, target changes."""
from datetime import date, datetime, time, timedelta

import streamlit as st

from indicators.web import actions, data, session

session.require_page_role("admin")
st.title("Nhật ký")

ACTIONS = {
    None: "Tất cả", "sign_in": "Đăng nhập", "sign_in_failed": "Đăng nhập sai", "sign_in_locked": "Đăng nhập khi bị khóa",
    "sign_in_throttled": "Đăng nhập khi phải đợi",
    "denied": "Bị từ chối", "upload": "Nhập số liệu", "upload_refused": "Nhập số liệu bị từ chối",
    "revert": "Hủy lần nhập", "target_change": "Sửa kế hoạch/chỉ tiêu", "account_change": "Sửa tài khoản",
    "sign_out": "Đăng xuất", "session_ended": "Kết thúc phiên đăng nhập",
    "approval_submit": "Nộp kỳ báo cáo", "approval_approve": "Duyệt kỳ báo cáo", "approval_return": "Trả lại kỳ báo cáo",
    "backup": "Sao lưu", "restore": "Khôi phục",
    "task_report": "Báo cáo nhiệm vụ", "task_report_refused": "Báo cáo nhiệm vụ bị từ chối",
    "task_revert": "Hoàn tác báo cáo nhiệm vụ", "task_change": "Sửa nhiệm vụ, phân Tổ công tác",
}
COLUMNS = {"event_id": "Số", "occurred_at": "Thời điểm", "user_name": "Người dùng", "action": "Sự kiện",
           "locality_code": "Địa phương", "detail": "Chi tiết"}
c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
user = c1.text_input("Người dùng (để trống = tất cả)").strip().lower() or None
action = c2.selectbox("Loại sự kiện", list(ACTIONS), format_func=ACTIONS.get)
today = date.today()
picked = c3.date_input("Khoảng thời gian", value=(today - timedelta(days=30), today), format="DD/MM/YYYY")
since, until = (picked[0], picked[-1]) if picked else (today, today)  # a range being picked has one end
limit = c4.number_input("Tối đa", min_value=10, max_value=100_000, value=1000, step=100)
events = data.audit_log(user=user, action=action, since=datetime.combine(since, time.min),
                        until=datetime.combine(until, time.max), limit=int(limit))
events = events.assign(action=events["action"].map(lambda a: ACTIONS.get(a, a)),
                       locality_code=events["locality_code"].fillna("–"))
st.caption(f"{len(events)} sự kiện")
st.dataframe(events, hide_index=True, width="stretch",
             column_config={**COLUMNS, "occurred_at": st.column_config.DatetimeColumn(
                 "Thời điểm", format="DD/MM/YYYY HH:mm:ss")})
d1, d2, _ = st.columns([1, 1, 4])
export = events.rename(columns=COLUMNS)
d1.download_button("Tải Excel", lambda: actions.table_file(export, "xlsx", "Nhật ký"), file_name="nhat-ky.xlsx",
                   icon=":material/download:")
d2.download_button("Tải CSV", lambda: actions.table_file(export, "csv"), file_name="nhat-ky.csv",
                   icon=":material/download:")
