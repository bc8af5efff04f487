"""Quản trị · Nhật ký: who did what, when — sign-ins, refusals, uploads, reverts, target changes."""
from datetime import date, datetime, time, timedelta

import streamlit as st

from indicators import ui
from indicators.export import table_bytes
from indicators.sql import query

ui.require_page_role("admin")
st.title("Nhật ký")

ACTIONS = {
    None: "Tất cả", "sign_in": "Đăng nhập", "sign_in_failed": "Đăng nhập sai", "sign_in_locked": "Đăng nhập khi bị khóa",
    "denied": "Bị từ chối", "upload": "Nhập số liệu", "revert": "Hủy lần nhập", "target_change": "Sửa kế hoạch/chỉ tiêu",
    "account_change": "Sửa tài khoản",
}
con = ui.connection()
c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
user = c1.text_input("Người dùng (để trống = tất cả)").strip().lower() or None
action = c2.selectbox("Loại sự kiện", list(ACTIONS), format_func=ACTIONS.get)
today = date.today()
picked = c3.date_input("Khoảng thời gian", value=(today - timedelta(days=30), today), format="DD/MM/YYYY")
since, until = (picked[0], picked[-1]) if picked else (today, today)  # a range being picked has one end
limit = c4.number_input("Tối đa", min_value=10, max_value=100_000, value=1000, step=100)
events = con.cursor().execute(query("audit_log"), {
    "user": user, "action": action, "since": datetime.combine(since, time.min),
    "until": datetime.combine(until, time.max), "limit": int(limit),
}).df()
st.caption(f"{len(events)} sự kiện")
st.dataframe(events.assign(action=events["action"].map(lambda a: ACTIONS.get(a, a)),
                           locality_code=events["locality_code"].fillna("–")), hide_index=True,
             width="stretch",
             column_config={"event_id": "Số", "occurred_at": st.column_config.DatetimeColumn("Thời điểm", format="DD/MM/YYYY HH:mm:ss"),
                            "user_name": "Người dùng", "action": "Sự kiện", "locality_code": "Địa phương",
                            "detail": "Chi tiết"})
d1, d2, _ = st.columns([1, 1, 4])
export = events.rename(columns={"event_id": "Số", "occurred_at": "Thời điểm", "user_name": "Người dùng",
                                "action": "Sự kiện", "locality_code": "Địa phương", "detail": "Chi tiết"})
d1.download_button("Tải Excel", lambda: table_bytes(export, "xlsx", "Nhật ký"), file_name="nhat-ky.xlsx",
                   icon=":material/download:")
d2.download_button("Tải CSV", lambda: table_bytes(export, "csv"), file_name="nhat-ky.csv", icon=":material/download:")
