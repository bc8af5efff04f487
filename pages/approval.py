"""Duyệt số liệu: the submitted (and approved) reporting periods an approver reaches — approve one,
or return it with a reason; the history of a locality × period on demand.

Open to every signed-in account by role (a viewer may hold the 'approve' permission), but it shows
its content only to approvers (approval.may_approve somewhere: admins, and accounts of a province
holding 'approve'); everyone else reads why. Names and reasons are shown in tables or through
widgets.safe(), never as Markdown."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators.web import actions, data, session, widgets

safe = widgets.safe
account = session.require_page_role("viewer")
st.title("Duyệt số liệu")
reach = data.approver_reach(account)
if reach is None:
    st.error(f"Tài khoản {safe(account.user_name)} ({account.role_label}) không có quyền duyệt số liệu. Trang này dành "
             "cho quản trị viên và người được quản trị viên cấp quyền duyệt số liệu của một tỉnh/thành phố.")
    st.stop()

if reach == "all":
    st.caption("Quản trị viên: duyệt và trả lại kỳ báo cáo của mọi tỉnh/thành phố và xã/phường.")
else:
    province = data.locality(reach)
    st.caption(f"Tài khoản {safe(account.display_name)} duyệt và trả lại kỳ báo cáo của các xã/phường thuộc "
               f"{safe(province['name'] if province else reach)}. Kỳ đã duyệt bị khóa: muốn sửa số liệu, cán bộ "
               "nhập liệu đề nghị người duyệt trả lại kỳ đó.")

done = st.session_state.pop("approval_page_flash", None)
if done:
    st.success(safe(done))

STATES = {"submitted": "Chờ duyệt", "approved": "Đã duyệt", "all": "Tất cả"}
queue = data.approval_queue(account)
counts = {"submitted": int((queue["state"] == "submitted").sum()), "approved": int((queue["state"] == "approved").sum())}
counts["all"] = len(queue)
shown_state = st.segmented_control("Hiển thị", list(STATES), default="submitted", required=True,
                                   format_func=lambda s: f"{STATES[s]} ({counts[s]})", key="approval_state")
rows = queue if shown_state == "all" else queue[queue["state"] == shown_state]


def _who(name, user) -> str:
    if not isinstance(user, str) or not user:
        return ""
    return user if name == user or not isinstance(name, str) else f"{name} ({user})"


def _when(at) -> str:
    return at.strftime("%d/%m/%Y %H:%M") if pd.notna(at) else ""


if rows.empty:
    st.info("Không có kỳ báo cáo nào đang chờ duyệt." if shown_state == "submitted"
            else "Không có kỳ báo cáo nào trong danh sách này.")
    st.stop()

st.dataframe(pd.DataFrame({
    "Địa phương": [f"{n} ({c})" for n, c in zip(rows["locality_name"], rows["locality_code"])],
    "Kỳ": rows["period_label"],
    "Trạng thái": rows["state_label"],
    "Người nộp": [_who(n, u) for n, u in zip(rows["submitted_by_name"], rows["submitted_by"])],
    "Nộp lúc": [_when(t) for t in rows["submitted_at"]],
    "Người duyệt": [_who(n, u) if s == "approved" else "" for n, u, s in
                    zip(rows["changed_by_name"], rows["changed_by"], rows["state"])],
    "Duyệt lúc": [_when(t) if s == "approved" else "" for t, s in zip(rows["changed_at"], rows["state"])],
}), hide_index=True, width="stretch", key="approval_queue")

# --- one locality × period: approve, return, history -----------------------------------------
st.subheader("Duyệt hoặc trả lại một kỳ báo cáo")
records = rows.to_dict("records")
labels = {f"{r['locality_code']}|{r['period']}": f"{r['locality_name']} ({r['locality_code']}) – {r['period_label']} – "
          f"{r['state_label']}" for r in records}
picked = st.selectbox("Kỳ báo cáo", list(labels), format_func=labels.get, key="approval_pick")
row = next(r for r in records if f"{r['locality_code']}|{r['period']}" == picked)
code, period = row["locality_code"], row["period"]


def act(work) -> None:
    """Run one action; a refusal is shown, a success survives the rerun that shows the new state."""
    try:
        st.session_state["approval_page_flash"] = work()
    except actions.Refused as exc:
        st.error(safe(str(exc)))
    else:
        st.rerun()


c1, c2 = st.columns([1, 3])
with c1:
    if st.button("Duyệt", type="primary", icon=":material/check_circle:", key="approve_button",
                 disabled=row["state"] != "submitted",
                 help="Duyệt kỳ đã nộp: số liệu của kỳ này bị khóa, không nhập đè được."):
        act(lambda: actions.approve_period(account, code, period))
with c2:
    with st.form("return_form", clear_on_submit=True, border=False):
        reason = st.text_area("Lý do trả lại (bắt buộc)", max_chars=1000, key="return_reason",
                              placeholder="vd. Tỷ lệ BHYT quý này cao hơn dân số; đề nghị kiểm tra lại mẫu số")
        if st.form_submit_button("Trả lại", icon=":material/undo:"):
            if not reason.strip():
                st.error("Trả lại cần ghi lý do, để người nộp biết cần sửa gì.")
            else:
                act(lambda: actions.return_period(account, code, period, reason))

if st.toggle("Xem lịch sử duyệt của kỳ này", key="approval_show_history"):
    history = data.approval_history(code, period)
    st.dataframe(pd.DataFrame({
        "Lần": history["step"],
        "Việc": history["action"].map({"submit": "nộp", "approve": "duyệt", "return": "trả lại"}),
        "Từ": history["from_state"].map({"open": "chưa nộp", "submitted": "đã nộp", "approved": "đã duyệt"}),
        "Sang": history["to_state"].map({"open": "chưa nộp", "submitted": "đã nộp", "approved": "đã duyệt"}),
        "Người thực hiện": [_who(n, u) for n, u in zip(history["changed_by_name"], history["changed_by"])],
        "Thời điểm": [_when(t) for t in history["changed_at"]],
        "Lý do": history["reason"].fillna(""),
    }), hide_index=True, width="stretch", key="approval_history")
