"""Nhiệm vụ (one task): the task as the plan writes it, its state today, every report on it; a
report form for an officer of a lead agency (or an admin), and for anyone else, why not.

?plan=HN-71-2026&task=3.10. Stored and typed text reaches Markdown only through widgets.safe()."""
from datetime import date

import streamlit as st

from indicators.web import actions, data, fmt, session, task_pages, tasks, widgets

states = task_pages.states
params = st.query_params
safe = widgets.safe
today = date.today()

plans = tasks.plans_with_tasks()
if plans.empty:
    st.title("Nhiệm vụ")
    st.info("Chưa có kế hoạch nào có danh sách nhiệm vụ.")
    st.stop()
plan_code = task_pages.plan_from(params, plans)
board = tasks.task_list(plan_code, today)
numbers = board["task_no"].tolist()
wanted = params.get("task") if params.get("task") in numbers else numbers[0]
plan = plans.set_index("plan_code").loc[plan_code]

top1, top2 = st.columns([5, 2])
titles = dict(zip(board["task_no"], board["title"]))
task_no = top2.selectbox("Nhiệm vụ khác", numbers, index=numbers.index(wanted), key=f"task_pick_{plan_code}",
                         format_func=lambda n: f"{n} – {titles[n]}")
params.update({"plan": plan_code, "task": task_no})
r = board[board["task_no"] == task_no].iloc[0].to_dict()
with top1:
    st.title(f"Nhiệm vụ {safe(task_no)}")
    st.page_link("pages/tasks.py", label=f"Bảng nhiệm vụ của kế hoạch {safe(fmt.plan_number(plan['number']))}",
                 icon=":material/arrow_back:", query_params={"plan": plan_code})
st.subheader(safe(r["title"]))
widgets.flash("task")
for warning in st.session_state.pop("task_warnings", []):
    st.warning(safe(warning))

# --- the task as written, and its state today ----------------------------------------------------
left, right = st.columns([3, 2], gap="large")
with left:
    st.markdown(f"**Kế hoạch:** {safe(fmt.plan_number(plan['number']))} – {safe(plan['title'])}")
    st.markdown(f"**Nhóm {int(r['group_no'])}:** {safe(r['group_title'] or '')}")
    st.markdown(f"**Tổ công tác:** {safe(r['team_label'])}"
                + (f" – {safe(r['team_title'])}" if isinstance(r["team_title"], str) else "")
                + f" · **Phó Chủ tịch chỉ đạo:** {safe(r['directed_by'])}")
    leads = task_pages.agencies_as_written(r["lead_text"])
    st.markdown("**Cơ quan chủ trì:**  \n" + "  \n".join(
        f"– {safe(name)}" + (f" *({safe(note)})*" if note else "") for name, note in leads))
    partners = task_pages.agencies_as_written(r["partner_text"])
    st.markdown("**Cơ quan phối hợp:** " + (safe("; ".join(
        name + (f" ({note})" if note else "") for name, note in partners)) if partners else "–"))
    st.markdown(f"**Sản phẩm:** {safe(r['product'] or '–')}")
    st.markdown(f"**Thời hạn:** {safe(r['deadline_text'])} (hạn {task_pages.day_text(r['deadline_date'])})")
    codes = list(r["indicator_codes"])
    if codes:
        _, indicators = data.labels()
        ind_names = dict(zip(indicators["indicator_code"], indicators["name_vi"]))
        st.markdown("**Chỉ tiêu nhiệm vụ phục vụ:**")
        for code in codes:
            st.page_link("pages/indicator.py", label=safe(ind_names.get(code, code)), icon=":material/bar_chart:",
                         query_params={"indicator": code, "scope": "province", "province": plan["locality_code"][:2]})
with right:
    st.markdown(f"**Tình trạng hôm nay ({task_pages.day_text(today)})**")
    st.html(task_pages.state_badge_html(r["state"], task_pages.state_detail(r)))
    facts = task_pages.last_report_facts(r)
    for label, text in facts:
        st.markdown(f"**{label}:** {safe(text)}")
    if not facts:
        st.caption("Chưa có báo cáo nào về nhiệm vụ này.")

# --- the history of reports ---------------------------------------------------------------------
st.subheader("Lịch sử báo cáo")
history = tasks.task_history(plan_code, task_no)
if history.empty:
    st.caption("Chưa có báo cáo nào.")
else:
    st.caption("Mới nhất ở trên. Mỗi lần báo cáo là một bước mới, không ghi đè; báo cáo của một lần gửi đã hoàn tác "
               "không còn được tính.")
    st.dataframe(task_pages.history_table(history), hide_index=True, width="stretch", key="task_history",
                 column_config={"Quý": st.column_config.TextColumn(width=86),
                                "Lần": st.column_config.NumberColumn(width=44),
                                "Tình trạng": st.column_config.TextColumn(width=140),
                                "Hiệu lực": st.column_config.TextColumn(width=230),
                                "Kết quả": st.column_config.TextColumn(width=210),
                                "Văn bản/sản phẩm": st.column_config.TextColumn(width=200),
                                "Kiến nghị": st.column_config.TextColumn(width=200)})

# --- reporting ----------------------------------------------------------------------------------
account = session.current_account()
st.subheader("Báo cáo tiến độ")
may_report = account is not None and task_no in tasks.reportable_tasks(account.user_name, plan_code)
if not may_report:
    mine = tasks.agencies_of(account.user_name) if account else []
    st.info(safe(task_pages.why_no_form(account, r, mine, task_pages.agency_names())), icon=":material/lock:")
else:
    st.caption(f"Gửi với tài khoản {safe(account.display_name)} ({safe(account.user_name)}). Mỗi quý một báo cáo; "
               "gửi lại cho cùng quý là thêm một bước mới, báo cáo trước vẫn được giữ trong lịch sử.")
    quarters = task_pages.report_quarters(board, today)
    # A new form after each report sent (empty fields); a refused one keeps what was typed.
    n = st.session_state.get("task_report_round", 0)
    with st.form(f"task_report_{n}"):
        c1, c2 = st.columns(2)
        period = c1.selectbox("Quý báo cáo", quarters, format_func=fmt.period, key=f"report_period_{n}")
        last = r["reported_state"] if r["reported_state"] in states.REPORTED else "not_started"
        state = c2.selectbox("Tình trạng", list(states.REPORTED), format_func=task_pages.state_text,
                             index=list(states.REPORTED).index(last), key=f"report_state_{n}",
                             help="Bắt đầu từ tình trạng của báo cáo gần nhất.")
        result = st.text_area("Kết quả (ngắn gọn)", key=f"report_result_{n}", max_chars=2000)
        c3, c4 = st.columns(2)
        product_ref = c3.text_input("Văn bản/sản phẩm đã ban hành (số, ngày)", key=f"report_product_{n}",
                                    placeholder="vd. Quyết định 123/QĐ-UBND ngày 15/10/2026", max_chars=2000)
        completed_on = c4.date_input("Ngày hoàn thành (khi đã hoàn thành)", value=None, format="DD/MM/YYYY",
                                     max_value=today, key=f"report_completed_{n}")
        c5, c6 = st.columns(2)
        needs = c5.text_area("Vướng mắc: cần hỗ trợ gì", key=f"report_needs_{n}", max_chars=2000)
        needs_from = c6.text_input("… từ cơ quan nào", key=f"report_needs_from_{n}", max_chars=2000)
        if st.form_submit_button("Gửi báo cáo", type="primary", icon=":material/send:"):
            report = task_pages.TaskReport(plan_code=plan_code, task_no=task_no, period=period, state=state,
                                           result=result, product_ref=product_ref, completed_on=completed_on,
                                           needs=needs, needs_from=needs_from)
            warnings = task_pages.report_warnings(report, today)
            try:
                upload_id = task_pages.send_report(account, report)
            except actions.Refused as exc:
                st.error(safe(str(exc)).replace("\n", "  \n"))
            else:
                st.session_state["task_warnings"] = warnings
                st.session_state["task_report_round"] = n + 1
                st.session_state["task_flash"] = (f"Đã ghi báo cáo nhiệm vụ {safe(task_no)}, {fmt.period(period)}: "
                                                  f"{task_pages.state_text(state)} (lần gửi số {upload_id}).")
                st.rerun()

    if account.is_admin and not history.empty:
        uploads = task_pages.revertible_uploads(history)
        if uploads:
            with st.expander("Hoàn tác một lần gửi báo cáo (quản trị viên)"):
                st.caption("Mọi báo cáo của lần gửi đó (cả của các nhiệm vụ khác trong cùng tệp) thôi được tính; báo "
                           "cáo trước đó lại có hiệu lực. Lịch sử vẫn giữ lần gửi, đánh dấu đã hoàn tác.")
                upload = st.selectbox("Lần gửi", uploads, format_func=lambda u: f"Số {u}", key="task_revert_pick")
                if st.button("Hoàn tác lần gửi này", key="task_revert"):
                    widgets.run_then_rerun("task", lambda: tasks.revert_reports(account, int(upload)), "{result}")
