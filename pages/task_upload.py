"""Báo cáo nhiệm vụ: download a plan's task report template, upload it filled, preview (counts,
errors with where and why, warnings, the reports new and changed), commit; the latest task
uploads and, for admins, their revert.

Thin: widgets -> indicators.web.task_upload -> render. User-provided text (file names, cells
quoted in messages) is shown only through st.dataframe or widgets.safe().
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators.web import fmt, session, widgets
from indicators.web import task_upload as tu

account = session.require_page_role("officer")
safe = widgets.safe
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_PROBLEMS = 30   # listed as sentences; all of them in the table

st.title("Báo cáo nhiệm vụ")
agencies = tu.reporting_for(account)
if account.is_admin:
    st.caption(f"Tài khoản {safe(account.display_name)} (quản trị) – báo cáo được mọi nhiệm vụ.")
elif agencies:
    st.caption(f"Tài khoản {safe(account.display_name)} báo cáo cho {safe(', '.join(agencies))}: các nhiệm vụ do "
               "cơ quan này chủ trì.")
else:
    st.warning("Tài khoản chưa được gán cơ quan nào nên chưa báo cáo được nhiệm vụ nào. Hãy đề nghị quản trị viên "
               "gán cơ quan (Sở Y tế, Sở Tài chính …) cho tài khoản.")


def show_problems(problems: list, kind: str, key: str) -> None:
    """The first problems as sentences (a table would cut them off), then all of them as a table."""
    for p in problems[:SHOWN_PROBLEMS]:
        where = ", ".join(x for x in (f"trang “{p.sheet}”" if p.sheet else "", f"dòng {p.row}" if p.row else "",
                                      f"cột {p.column}" if p.column else "") if x)
        text = p.message.split(": ", 1)[-1] if p.message.startswith("Trang “") else p.message
        st.markdown(f"- **{safe(where[:1].upper() + where[1:] if where else 'Tệp')}**: {safe(text)}")
    more = len(problems) - SHOWN_PROBLEMS
    with st.expander(f"Bảng đầy đủ: {fmt.number(len(problems), 0)} {kind}"
                     + (f" (còn {fmt.number(more, 0)} {kind} chưa liệt kê ở trên)" if more > 0 else "")):
        st.dataframe(pd.DataFrame([{"Trang": p.sheet, "Dòng": p.row, "Cột": p.column, "Giá trị tìm thấy": p.value,
                                    "Nội dung": p.message.split(": ", 1)[-1] if p.message.startswith("Trang “")
                                    else p.message} for p in problems]),
                     hide_index=True, width="stretch", key=key)


def reports_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Nhiệm vụ": frame["task_no"], "Quý": frame["period"].map(fmt.period),
        "Mới/thay đổi": frame["change"].map(tu.CHANGE_LABELS),
        "Tình trạng": [(f"{tu.state_label(o)} → " if isinstance(o, str) else "") + tu.state_label(s)
                       for o, s in zip(frame["old_state"], frame["state"])],
        "Kết quả": frame["result"].fillna(""), "Số/ngày văn bản": frame["product_ref"].fillna(""),
        "Ngày hoàn thành": [fmt.date(d.isoformat()) if hasattr(d, "isoformat") else "" for d in frame["completed_on"]],
        "Cần hỗ trợ gì": frame["needs"].fillna(""), "Từ cơ quan nào": frame["needs_from"].fillna(""),
        "Trang": frame["sheet"], "Dòng": frame["row"]})


# --- 1. template ----------------------------------------------------------------------------
st.subheader("1. Tải tệp mẫu")
plans = tu.plans_with_tasks()
if plans.empty:
    st.info("Chưa có kế hoạch nào có danh sách nhiệm vụ.")
    st.stop()
labels = {r.plan_code: f"{fmt.plan_number(r.number)} – {r.title[:90]}" for r in plans.itertuples()}
numbers = dict(zip(plans["plan_code"], plans["number"]))
c1, c2 = st.columns([3, 1])
plan_code = c1.selectbox("Kế hoạch", list(labels), format_func=labels.get, key="task_template_plan")
quarter = c2.selectbox("Quý báo cáo", tu.quarters(), format_func=fmt.period, key="task_template_quarter")
mine = tu.reportable(account, plan_code)
if mine:
    st.download_button("Tải tệp mẫu (.xlsx)", data=lambda: tu.template_file(account, plan_code, quarter),
                       file_name=tu.template_name(numbers.get(plan_code) or plan_code, quarter), mime=XLSX,
                       icon=":material/download:", on_click="ignore", key="task_template_download")
    st.caption(f"Tệp mẫu có {fmt.number(len(mine), 0)} nhiệm vụ tài khoản được báo cáo, quý báo cáo điền sẵn; chỉ "
               "cần điền Tình trạng, Kết quả, Số/ngày văn bản, Ngày hoàn thành và, khi vướng mắc, cần hỗ trợ gì, từ "
               "cơ quan nào. Xem trang “Hướng dẫn” trong tệp.")
else:
    st.info("Cơ quan của tài khoản không chủ trì nhiệm vụ nào của kế hoạch này.")

# --- 2. upload, preview, commit ------------------------------------------------------------
st.subheader("2. Tải lên tệp đã điền")
done = st.session_state.pop("task_upload_done", None)
if done:
    st.success(safe(done))
uploaded = st.file_uploader("Chọn tệp đã điền (tệp mẫu .xlsx; cũng nhận .xls, .ods, .xlsb, .csv)",
                            type=["xlsx", "xls", "ods", "xlsb", "csv"],
                            key=f"task_upload_file_{st.session_state.get('task_upload_round', 0)}",
                            max_upload_size=tu.MAX_UPLOAD_MIB)
if uploaded is not None:
    content = uploaded.getvalue()
    # One preview per file (and account) in this session: a rerun reuses it, and the audit log
    # holds one refusal per attempt, not one per click.
    key = (tu.file_digest(content), uploaded.name, account.user_name)
    cached = st.session_state.get("task_upload_preview")
    pv = cached[1] if cached and cached[0] == key else None
    if pv is None:
        try:
            with st.spinner("Đang kiểm tra tệp…"):
                pv = tu.preview(account, content, uploaded.name)
            st.session_state["task_upload_preview"] = (key, pv)
        except tu.Refused as exc:
            st.error(safe(str(exc)))
    if pv is not None:
        if pv.refusal:   # the whole file, up front: which tasks and who leads them
            st.error(safe(pv.refusal))
        cols = st.columns(6)
        for col, (name, n) in zip(cols, [("Dòng báo cáo", pv.n_rows), ("Mới", pv.n_new), ("Thay đổi", pv.n_changed),
                                         ("Không đổi", pv.n_unchanged), ("Bị từ chối", pv.n_rejected),
                                         ("Bỏ qua (để trống)", pv.n_blank)]):
            col.metric(name, fmt.number(n, 0), border=True)
        for note in pv.notes:   # how a .csv was read
            st.info(safe(note))
        if pv.sheets:
            st.caption(f"Kế hoạch {safe(fmt.plan_number(pv.plan_number)) if pv.plan_number else 'chưa rõ'}. Đã đọc "
                       "các trang: " + ", ".join(f"“{safe(s)}”" for s in pv.sheets))
        if pv.errors:
            st.error(f"Có {fmt.number(len(pv.errors), 0)} lỗi ở {fmt.number(pv.n_rejected, 0)} dòng; chưa ghi báo cáo "
                     "nào. Sửa các lỗi dưới đây trong tệp rồi tải lên lại.")
            show_problems(pv.errors, "lỗi", "task_upload_errors")
        if pv.warnings:
            st.warning(f"Có {fmt.number(len(pv.warnings), 0)} cảnh báo: báo cáo vẫn được ghi, nhưng hãy kiểm tra.")
            show_problems(pv.warnings, "cảnh báo", "task_upload_warnings")
        changes = pv.changes()
        if not changes.empty:
            st.markdown("**Báo cáo sẽ được ghi**")
            st.dataframe(reports_table(changes), hide_index=True, width="stretch", key="task_upload_changes")
        if pv.notice:
            st.info(safe(pv.notice))
        if st.button("Ghi báo cáo", type="primary", disabled=not pv.can_commit, key="task_upload_commit"):
            try:
                message = tu.commit(account, pv)
            except tu.Refused as exc:
                st.error(safe(str(exc)))
            else:
                st.session_state["task_upload_done"] = message
                st.session_state.pop("task_upload_preview", None)
                st.session_state["task_upload_round"] = st.session_state.get("task_upload_round", 0) + 1
                st.rerun()

# --- 3. the latest uploads; admins revert ----------------------------------------------------
st.subheader("3. Các lần báo cáo gần đây")
flash = st.session_state.pop("task_revert_done", None)
if flash:
    st.success(safe(flash))
recent = tu.uploads(account)
if recent.empty:
    st.caption("Chưa có lần báo cáo nhiệm vụ nào" + ("." if account.is_admin else " của tài khoản này."))
else:
    st.dataframe(pd.DataFrame({
        "Lần báo cáo": recent["task_upload_id"], "Nguồn": recent["source"].map({"excel": "tệp Excel",
                                                                                "form": "gửi từ trang"}),
        "Tệp": recent["file_name"].fillna(""), "Người báo cáo": recent["user_name"],
        "Thời điểm": recent["uploaded_at"].dt.strftime("%d/%m/%Y %H:%M"), "Số báo cáo": recent["n_rows"],
        "Trạng thái": ["đã hoàn tác" if pd.notna(t) else "hiện hành" for t in recent["reverted_at"]]}),
        hide_index=True, width="stretch", key="task_uploads")
if account.is_admin:
    with st.expander("Hoàn tác một lần báo cáo nhiệm vụ (quản trị)"):
        upload_id = st.number_input("Số lần báo cáo cần hoàn tác", min_value=1, step=1, key="task_revert_id")
        if st.button("Hoàn tác", key="task_revert_button"):
            try:
                st.session_state["task_revert_done"] = tu.revert(account, upload_id)
            except tu.Refused as exc:
                st.error(safe(str(exc)))
            else:
                st.rerun()
