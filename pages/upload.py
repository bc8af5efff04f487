"""Nhập số liệu: download the template, upload a filled workbook, preview, commit; the approval
state of each reported period and its submission; history and export.

Thin: widgets -> indicators.web.actions (preview, commit, revert, files) -> render. User-provided
text (file names, notes, messages that quote cells) is shown only through st.dataframe or
widgets.safe().
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators.web import actions, data, fmt, report_sheets, session, widgets

account = session.require_page_role("officer")
safe = widgets.safe
st.title("Nhập số liệu")
st.caption(f"Tài khoản {safe(account.display_name)} – nhập cho "
           + ("toàn quốc" if account.is_admin else f"mã {safe(account.locality_code)} và các xã/phường trực thuộc"))


def scope_options() -> dict[str, str]:
    """code -> label of the localities this account may report for (admins: pick a province first)."""
    if account.is_admin:
        provinces = data.provinces()
        province = st.selectbox("Tỉnh/thành phố", provinces["locality_code"].tolist(),
                                format_func=dict(zip(provinces["locality_code"], provinces["name"])).get,
                                key="upload_province")
        root = province
    else:
        root = account.locality_code
    place = data.locality(root)
    options = {root: f"{place['name']} ({root})"}
    if place["level"] == "province":
        communes = data.communes_of(root)
        options.update({c: f"{n} ({c})" for c, n in zip(communes["locality_code"], communes["name"])})
    return options


def problems_table(problems: list) -> pd.DataFrame:
    # The table has its own sheet/row/column columns, so the sentence is shown without its
    # "Trang …, dòng …, cột …:" opening (the CLI and the JSON keep the whole sentence).
    return pd.DataFrame([{"Trang": p.sheet, "Dòng": p.row, "Cột": p.column, "Giá trị tìm thấy": p.value,
                          "Nội dung": p.message.split(": ", 1)[-1] if p.message.startswith("Trang “")
                          else p.message} for p in problems])


SHOWN_PROBLEMS = 30   # listed in full on the page; all of them in the table and the download


def show_problems(problems: list, kind: str, key: str) -> None:
    """Every problem where an officer can read it whole: the first ones as sentences (a table
    would cut them off), then all of them as a sortable table and as an Excel file to fix from."""
    for p in problems[:SHOWN_PROBLEMS]:
        where = ", ".join(x for x in (f"trang “{p.sheet}”" if p.sheet else "", f"dòng {p.row}" if p.row else "",
                                      f"cột {p.column}" if p.column else "") if x)
        text = p.message.split(": ", 1)[-1] if p.message.startswith("Trang “") else p.message
        st.markdown(f"- **{safe(where[:1].upper() + where[1:] if where else 'Tệp')}**: {safe(text)}")
    more = len(problems) - SHOWN_PROBLEMS
    table = problems_table(problems)
    with st.expander(f"Bảng đầy đủ: {fmt.number(len(problems), 0)} {kind}"
                     + (f" (còn {fmt.number(more, 0)} {kind} chưa liệt kê ở trên)" if more > 0 else "")):
        st.dataframe(table, hide_index=True, width="stretch", key=key, column_config=PROBLEM_COLUMNS)
    st.download_button(f"Tải danh sách {kind} (.xlsx)", data=lambda: actions.table_file(table, "xlsx", kind.title()),
                       file_name=f"{'loi' if kind == 'lỗi' else 'canh_bao'}_{uploaded.name.rsplit('.', 1)[0]}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", on_click="ignore", key=key + "_download")


PROBLEM_COLUMNS = {"Trang": st.column_config.TextColumn(width="small"),
                   "Dòng": st.column_config.NumberColumn(width="small"),
                   "Cột": st.column_config.TextColumn(width="small"),
                   "Giá trị tìm thấy": st.column_config.TextColumn(width="small"),
                   "Nội dung": st.column_config.TextColumn(width="large")}

# --- 1. template ----------------------------------------------------------------------------
st.subheader("1. Tải tệp mẫu")
options = scope_options()
locality = st.selectbox("Địa phương", list(options), format_func=options.get, key="template_locality")
st.download_button("Tải tệp mẫu (.xlsx)", data=lambda: actions.template_file(locality), file_name=f"mau_so_lieu_{locality}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/download:", on_click="ignore")
st.caption("Tệp mẫu có sẵn mã địa phương, mã chỉ tiêu và kỳ báo cáo; chỉ cần điền Giá trị (và Tử số, Mẫu số, "
           "Nguồn nếu có). Xem trang “Hướng dẫn” trong tệp.")

# --- 2. upload, preview, commit ------------------------------------------------------------
st.subheader("2. Tải lên tệp đã điền")
done = st.session_state.pop("upload_done", None)
if done:
    st.success(safe(done["message"]))
    st.info(f"Xem trang Địa phương để thấy số liệu mới: mã {', '.join(safe(c) for c in done['localities'][:10])}"
            + (" …" if len(done["localities"]) > 10 else ""))
# The filled template (.xlsx) first; the formats officers have are read too (excel/formats.py).
uploaded = st.file_uploader("Chọn tệp đã điền (tệp mẫu .xlsx; cũng nhận .xls, .ods, .xlsb, .csv)",
                            type=["xlsx", "xls", "ods", "xlsb", "csv"],
                            key=f"upload_file_{st.session_state.get('upload_round', 0)}",
                            max_upload_size=actions.MAX_UPLOAD_MIB)
if uploaded is not None:
    content = uploaded.getvalue()
    # One preview per file (and account) in this session: a rerun reuses it, and the audit log
    # holds one refusal event per attempt, not one per click.
    digest = actions.file_digest(content)
    # A report sheet naming no locality: whose figures, as picked below (for this file only).
    picked_for = st.session_state.get("upload_wide_locality")
    wide_locality = picked_for[1] if picked_for and picked_for[0] == digest else None
    key = (digest, uploaded.name, account.user_name, wide_locality)
    cached = st.session_state.get("upload_preview")
    pv = cached[1] if cached and cached[0] == key else None
    if pv is None:
        try:
            with st.spinner("Đang kiểm tra tệp…"):
                pv = actions.preview_upload(account, content, uploaded.name, locality=wide_locality)
            st.session_state["upload_preview"] = (key, pv)
        except actions.Refused as exc:
            st.error(safe(str(exc)))
    if pv is not None and pv.layouts:   # an officer's own report sheet: how it was read, first
        picked = report_sheets.show(pv, account, options)
        if picked and picked != wide_locality:
            st.session_state["upload_wide_locality"] = (digest, picked)
            st.rerun()
    if pv is not None:
        cols = st.columns(5)
        for col, (label, n) in zip(cols, [("Dòng số liệu", pv.n_rows), ("Mới", pv.n_new), ("Thay đổi", pv.n_changed),
                                           ("Không đổi", pv.n_unchanged), ("Bị từ chối", pv.n_rejected)]):
            col.metric(label, fmt.number(n, 0), border=True)
        for note in pv.notes:   # how a .csv was read (its encoding may be a guess)
            st.info(safe(note))
        if pv.sheets:
            why = {"template": "trang hướng dẫn của tệp mẫu", "text_only": "chỉ có chữ, không có số liệu"}
            st.caption("Đã đọc các trang: " + ", ".join(f"“{safe(s)}”" for s in pv.sheets)
                       + (". Không đọc: " + ", ".join(f"“{safe(n)}” ({why[r]})" for n, r in pv.sheets_skipped)
                          if pv.sheets_skipped else ""))
        if pv.errors:
            st.error(f"Có {fmt.number(len(pv.errors), 0)} lỗi ở {fmt.number(pv.n_rejected, 0)} dòng; chưa nhập dòng "
                     "nào. Sửa các lỗi dưới đây trong tệp rồi tải lên lại"
                     + (" (lỗi do hệ thống hiểu sai một dòng thì sửa ngay ở phần “Cách hệ thống đọc trang” bên trên)."
                        if pv.layouts else "."))
            show_problems(pv.errors, "lỗi", "upload_errors")
        if pv.n_changed:
            st.markdown("**Giá trị sẽ thay đổi (cũ → mới)**")
            ch = pv.changes
            st.dataframe(pd.DataFrame({"Địa phương": ch["locality_code"], "Chỉ tiêu": ch["indicator_code"],
                                       "Kỳ": ch["period"].map(fmt.period),
                                       "Cũ": ch["old_value"].map(fmt.number), "Mới": ch["value"].map(fmt.number),
                                       "Trang": ch["sheet"], "Dòng": ch["row"]}),
                         hide_index=True, width="stretch", key="upload_changes")
        confirmed = True
        if pv.warnings:
            st.warning(f"Có {fmt.number(len(pv.warnings), 0)} cảnh báo: hãy kiểm tra các giá trị dưới đây.")
            show_problems(pv.warnings, "cảnh báo", "upload_warnings")
            confirmed = st.checkbox("Tôi đã kiểm tra và xác nhận các cảnh báo", key="upload_confirm")
        if pv.notice:
            st.info(safe(pv.notice))
        if st.button("Nhập dữ liệu", type="primary", disabled=not (pv.can_commit and confirmed),
                     key="upload_commit"):
            try:
                result = actions.commit_upload(account, pv, confirm_warnings=confirmed)
            except actions.Refused as exc:
                st.error(safe(str(exc)))
            else:
                st.session_state["upload_done"] = {"message": result.message, "upload_id": result.upload_id,
                                                   "localities": result.localities}
                st.session_state.pop("upload_preview", None)
                st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
                st.rerun()

# --- 3. approval of the reported periods ----------------------------------------------------
st.subheader("3. Trạng thái duyệt các kỳ báo cáo")
st.caption("Mỗi kỳ báo cáo của một địa phương: chưa nộp → đã nộp (cán bộ nhập liệu nộp) → đã duyệt (cấp trên "
           "duyệt; kỳ đã duyệt bị khóa, không nhập đè được). Người duyệt có thể trả lại kèm lý do; kỳ bị trả lại "
           "mở lại để sửa và nộp lại.")
flash_approval = st.session_state.pop("approval_flash", None)
if flash_approval:
    st.success(safe(flash_approval))
states = data.approval_states(list(options))
if states.empty:
    st.caption("Chưa có kỳ báo cáo nào có số liệu trong phạm vi này.")
else:
    def _who(name, user) -> str:
        if not isinstance(user, str) or not user:
            return ""
        return user if name == user or not isinstance(name, str) else f"{name} ({user})"

    st.dataframe(pd.DataFrame({
        "Địa phương": [f"{n} ({c})" for n, c in zip(states["locality_name"], states["locality_code"])],
        "Kỳ": states["period_label"],
        "Trạng thái": states["state_label"],
        "Bởi": [_who(n, u) for n, u in zip(states["changed_by_name"], states["changed_by"])],
        "Lúc": [t.strftime("%d/%m/%Y %H:%M") if pd.notna(t) else "" for t in states["changed_at"]],
        "Lý do trả lại": states["reason"].fillna(""),
        "Có số liệu": states["has_values"].map({True: "có", False: "không"}),
    }), hide_index=True, width="stretch", key="approval_states",
        column_config={"Lý do trả lại": st.column_config.TextColumn(width="large"),
                       "Trạng thái": st.column_config.TextColumn(width="small"),
                       "Có số liệu": st.column_config.TextColumn(width="small")})
    submittable = states[(states["state"] == "open") & states["has_values"]]
    if submittable.empty:
        st.caption("Không có kỳ nào đang chờ nộp: mọi kỳ có số liệu đã được nộp hoặc đã được duyệt.")
    else:
        s1, s2 = st.columns(2)
        places = list(dict.fromkeys(submittable["locality_code"]))
        place_names = dict(zip(states["locality_code"], states["locality_name"]))
        submit_locality = s1.selectbox("Địa phương cần nộp", places, format_func=lambda c: f"{place_names[c]} ({c})",
                                       key="submit_locality")
        periods = submittable.loc[submittable["locality_code"] == submit_locality]
        period_names = dict(zip(periods["period"], periods["period_label"]))
        submit_period = s2.selectbox("Kỳ báo cáo", list(period_names), format_func=period_names.get,
                                     key=f"submit_period_{submit_locality}")
        if st.button("Nộp kỳ báo cáo để duyệt", key="submit_button", icon=":material/send:"):
            try:
                st.session_state["approval_flash"] = actions.submit_period(account, submit_locality, submit_period)
            except actions.Refused as exc:
                st.error(safe(str(exc)))
            else:
                st.rerun()

# --- 4. history -----------------------------------------------------------------------------
st.subheader("4. Lịch sử số liệu")
h1, h2 = st.columns(2)
h_locality = h1.selectbox("Địa phương", list(options), format_func=options.get, key="history_locality")
indicators = data.history_indicators(h_locality)
names = {code: name + ("" if n else " · chưa có số liệu") for code, name, n in indicators}
h_indicator = h2.selectbox("Chỉ tiêu", list(names), format_func=lambda c: f"{names[c]} ({c})",
                           key=f"history_indicator_{h_locality}")
hist = data.value_history(h_locality, h_indicator)
if hist.empty:
    st.caption("Chưa có số liệu nào được báo cáo cho địa phương và chỉ tiêu này.")
else:
    st.dataframe(pd.DataFrame({
        "Kỳ": hist["period"].map(fmt.period), "Giá trị": hist["value"].map(fmt.number),
        "Người nhập": hist["user_name"], "Thời điểm": hist["uploaded_at"].dt.strftime("%d/%m/%Y %H:%M"),
        "Lần nhập": hist["upload_id"], "Tệp": hist["file_name"],
        "Trạng thái": hist["state"].map({"committed": "đã nhập", "reverted": "đã hoàn tác"}),
        "Hiện hành": hist["is_current"].map({True: "✔", False: ""}),
        "Minh họa": hist["is_illustrative"].map({True: "minh họa", False: ""}),
    }), hide_index=True, width="stretch", key="history_table")

# --- 5. export ------------------------------------------------------------------------------
st.subheader("5. Xuất số liệu hiện hành")
e_locality = st.selectbox("Địa phương (kèm các xã/phường trực thuộc)", list(options), format_func=options.get,
                          key="export_locality")
c1, c2 = st.columns(2)
c1.download_button("Tải về Excel (.xlsx)", data=lambda: actions.export_file(e_locality, "xlsx"),
                   file_name=f"so_lieu_{e_locality}.xlsx", on_click="ignore", icon=":material/table:",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
c2.download_button("Tải về CSV (.csv)", data=lambda: actions.export_file(e_locality, "csv"),
                   file_name=f"so_lieu_{e_locality}.csv", on_click="ignore", icon=":material/description:",
                   mime="text/csv")

# --- admins: revert an upload ---------------------------------------------------------------
if account.is_admin:
    with st.expander("Hoàn tác một lần nhập (quản trị)"):
        recent = data.recent_uploads(20)
        st.dataframe(pd.DataFrame({
            "Lần nhập": recent["upload_id"], "Tệp": recent["file_name"], "Người nhập": recent["user_name"],
            "Thời điểm": recent["uploaded_at"].dt.strftime("%d/%m/%Y %H:%M"), "Trạng thái": recent["state"],
            "Số dòng": recent["n_rows"]}), hide_index=True, width="stretch", key="recent_uploads")
        upload_id = st.number_input("Số lần nhập cần hoàn tác", min_value=1, step=1, key="revert_id")
        if st.button("Hoàn tác", key="revert_button"):
            try:
                st.success(safe(actions.revert_upload(account, upload_id)))
            except actions.Refused as exc:
                st.error(safe(str(exc)))
