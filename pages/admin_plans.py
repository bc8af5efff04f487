"""Quản trị · Kế hoạch và chỉ tiêu: add plans, add or edit targets and baselines (history kept)."""
from datetime import date

import pandas as pd
import streamlit as st

from indicators.web import actions, data, fmt, session, statuses, widgets

COMPARATORS = statuses.COMPARATORS
admin = session.require_page_role("admin")
st.title("Kế hoạch và chỉ tiêu")
widgets.flash("plans")

plans = data.plans()
indicators = data.indicator_list()
ind_names = dict(zip(indicators["indicator_code"], indicators["name_vi"]))


def run(action, success: str) -> None:
    """Run one admin action (the dashboards show its change at once); refusals are shown."""
    widgets.run_then_rerun("plans", action, success)


# Shown as text: dates as 27/11/2025, numbers with the decimal comma, "–" where the plan is silent.
st.dataframe(plans.assign(
    issued_on=[fmt.date(d) if pd.notna(d) else "–" for d in plans["issued_on"]],
    number=[fmt.plan_number(n) for n in plans["number"]],
), hide_index=True, width="stretch", column_config={
    "plan_code": "Mã", "number": "Số hiệu", "issuer": "Cơ quan ban hành",
    "issued_on": "Ngày", "title": "Tiêu đề",
    "locality_code": "Địa phương", "start_year": "Từ năm", "end_year": "Đến năm", "source_file": "Tệp nguồn"})

plan_code = st.selectbox("Kế hoạch", plans["plan_code"].tolist(),
                         format_func=lambda p: f"{p} – {plans.set_index('plan_code').loc[p, 'number']}")
targets = data.plan_targets(plan_code)
st.dataframe(targets.assign(
    target_value=[fmt.number(v, 4) for v in targets["target_value"]],
    year_note=targets["year_note"].fillna(""),
), hide_index=True, width="stretch", column_config={
    "plan_code": None, "locality_code": "Địa phương", "indicator_code": "Chỉ tiêu", "target_year": "Năm",
    "comparator": "So sánh", "target_value": "Giá trị", "is_every_year": "Mỗi năm", "target_text": "Văn bản ghi",
    "clause": "Điều khoản", "year_note": "Ghi chú"})

target_tab, baseline_tab, plan_tab, history_tab = st.tabs(
    ["Thêm / sửa chỉ tiêu", "Thêm / sửa đầu vào", "Thêm kế hoạch", "Lịch sử thay đổi"])

with target_tab:
    keys = ["(chỉ tiêu mới)"] + [f"{r.indicator_code}|{r.target_year}" for r in targets.itertuples()]
    pick = st.selectbox("Sửa chỉ tiêu có sẵn hoặc thêm mới", keys, key="target_pick")
    cur = targets.set_index(["indicator_code", "target_year"]).loc[
        (pick.split("|")[0], int(pick.split("|")[1]))] if "|" in pick else None
    plan_row = plans.set_index("plan_code").loc[plan_code]
    has_number = cur is not None and not pd.isna(cur["target_value"])
    with st.form(f"target_{pick}"):
        c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
        codes = indicators["indicator_code"].tolist()
        ind = c1.selectbox("Chỉ tiêu", codes, format_func=lambda c: f"{c} – {ind_names[c]}",
                           index=codes.index(pick.split("|")[0]) if cur is not None else 0, disabled=cur is not None)
        year = c2.number_input("Năm", 2000, 2100, int(pick.split("|")[1]) if cur is not None else 2030,
                               disabled=cur is not None)
        comp = c3.selectbox("So sánh", COMPARATORS, index=COMPARATORS.index(cur["comparator"])
                            if cur is not None and cur["comparator"] in COMPARATORS else 0)
        qualitative = c4.checkbox("Định tính (không số)", value=cur is not None and not has_number)
        value = st.number_input("Giá trị", value=float(cur["target_value"]) if has_number else 0.0, format="%.2f")
        text = st.text_input("Nội dung như văn bản ghi", value=cur["target_text"] if cur is not None else "")
        clause = st.text_input("Điều khoản (mục, trang)", value=cur["clause"] if cur is not None else "")
        every = st.checkbox("Chỉ tiêu mỗi năm", value=bool(cur["is_every_year"]) if cur is not None else False)
        reason = st.text_input("Lý do thay đổi")
        if st.form_submit_button("Lưu chỉ tiêu", type="primary"):
            run(lambda: actions.save_target(
                admin, plan_code=plan_code, locality_code=plan_row["locality_code"],
                indicator_code=ind, target_year=int(year), comparator=None if qualitative else comp,
                target_value=None if qualitative else value, target_text=text, clause=clause,
                is_every_year=every, reason=reason), "Đã lưu chỉ tiêu; giá trị cũ được giữ trong lịch sử.")

with baseline_tab, st.form("baseline"):
    plan_row = plans.set_index("plan_code").loc[plan_code]
    c1, c2, c3 = st.columns([3, 1, 1])
    ind = c1.selectbox("Chỉ tiêu", indicators["indicator_code"].tolist(), format_func=lambda c: f"{c} – {ind_names[c]}")
    year = c2.number_input("Năm đầu vào", 2000, 2100, 2025)
    value = c3.number_input("Giá trị", value=0.0, format="%.2f")
    source = st.text_input("Nguồn (văn bản, mục)")
    reason = st.text_input("Lý do thay đổi", key="baseline_reason")
    if st.form_submit_button("Lưu đầu vào", type="primary"):
        run(lambda: actions.save_baseline(admin, locality_code=plan_row["locality_code"], indicator_code=ind,
                                    baseline_year=int(year), baseline_value=value, source=source,
                                    plan_code=plan_code, reason=reason), "Đã lưu đầu vào.")

with plan_tab, st.form("plan", clear_on_submit=True):
    c1, c2, c3 = st.columns(3)
    code = c1.text_input("Mã kế hoạch (vd. LC-12-2027)")
    number = c2.text_input("Số hiệu (vd. 12/KH-UBND)")
    issued = c3.date_input("Ngày ban hành", value=date.today(), format="DD/MM/YYYY")
    issuer = c1.text_input("Cơ quan ban hành")
    locality = c2.text_input("Mã địa phương")
    start, end = c3.columns(2)
    start_year = start.number_input("Từ năm", 2000, 2100, 2026)
    end_year = end.number_input("Đến năm", 2000, 2100, 2030)
    title = st.text_input("Tiêu đề")
    if st.form_submit_button("Thêm kế hoạch", type="primary"):
        run(lambda: actions.add_plan(admin, plan_code=code, number=number, issuer=issuer, issued_on=issued,
                               title=title, locality_code=locality.strip(), start_year=int(start_year),
                               end_year=int(end_year)), "Đã thêm kế hoạch.")

with history_tab:
    st.dataframe(data.catalogue_changes(), hide_index=True, width="stretch", column_config={
        "changed_at": st.column_config.DatetimeColumn("Thời điểm", format="DD/MM/YYYY HH:mm"),
        "changed_by": "Người sửa", "table_name": "Bảng", "key_text": "Khóa", "old_value": "Giá trị cũ",
        "new_value": "Giá trị mới", "reason": "Lý do"})
