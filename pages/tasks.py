"""Nhiệm vụ: the board of a plan's tasks as of a date — counts by state, by group, Tổ công tác, lead
agency or directing Vice-Chair; the overdue tasks, most days late first; the tasks one agency
leads; every task, each opening its own page.

Deep-linkable: ?plan=HN-71-2026&as_of=2026-12-02&by=agency&agency=so_tai_chinh. Stored text
(titles, agency names) reaches Markdown only through widgets.safe()."""
from datetime import date

import streamlit as st

from indicators.web import actions, fmt, task_pages, tasks, widgets

states = task_pages.states
params = st.query_params
safe = widgets.safe
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

st.title("Nhiệm vụ")
plans = tasks.plans_with_tasks()
if plans.empty:
    st.info("Chưa có kế hoạch nào có danh sách nhiệm vụ. Quản trị viên thêm nhiệm vụ của một kế hoạch ở trang "
            "“Nhiệm vụ và cơ quan”.")
    st.stop()

c1, c2 = st.columns([5, 1])
plan_code = task_pages.plan_picker(c1, params, plans, key="tasks_plan")
as_of = task_pages.as_of_picker(c2, params, key="tasks_as_of")
notice = task_pages.as_of_notice(as_of)
if notice:
    st.warning(notice, icon=":material/event:")
board = tasks.task_list(plan_code, as_of)
number = fmt.plan_number(plans.set_index("plan_code").at[plan_code, "number"])


def open_task(event, table) -> None:
    """A row clicked in a task table opens that task's page."""
    rows = event.selection.rows if event and event.selection else []
    if rows:
        st.switch_page("pages/task.py", query_params={"plan": plan_code, "task": table["Số"].iloc[rows[0]]})


# --- counts ---------------------------------------------------------------------------------------
with st.container(horizontal=True, gap="small"):
    for label, value, help_text in task_pages.metrics(board):
        st.metric(label, fmt.number(value, 0), help=help_text, width="content", border=True)
st.caption(f"Kế hoạch {safe(number)}, tính đến ngày {task_pages.day_text(as_of)}. Quá hạn được tính từ thời hạn "
           "và báo cáo gần nhất, không do ai nhập: nhiệm vụ chưa hoàn thành mà đã qua hạn là quá hạn, dù báo cáo "
           "ghi tình trạng nào.")

st.subheader("Số nhiệm vụ theo tình trạng")
by = st.segmented_control("Xem theo", list(task_pages.BY), format_func=lambda b: task_pages.BY[b][1],
                          default=task_pages.choice(params, "by", task_pages.BY, "group"), key="tasks_by",
                          required=True)
params["by"] = by
counts = task_pages.counts_table(board, by)
chart_tab, table_tab = st.tabs(["Biểu đồ", "Bảng"])
with chart_tab:
    st.plotly_chart(task_pages.counts_figure(counts), config=CHART_CONFIG, key=f"tasks_chart_{by}")
with table_tab:
    st.dataframe(counts, hide_index=True, width="stretch", key="tasks_counts",
                 column_config={counts.columns[0]: st.column_config.TextColumn(width="large", pinned=True)})
if by == "agency":
    st.caption("Nhiệm vụ có nhiều cơ quan chủ trì được tính cho mỗi cơ quan.")
if by in ("team", "leader") and (note := task_pages.team_note(board)):
    st.caption(safe(note))

# --- overdue ----------------------------------------------------------------------------------------
overdue = task_pages.overdue_table(board)
st.subheader(f"Nhiệm vụ {states.label('overdue').lower()}: {fmt.number(len(overdue), 0)}")
# Widths that fit a 1400-pixel screen beside the menu (a title cut short is whole on the task's page).
TASK_COLUMNS = {
    "Số": st.column_config.TextColumn(width=44, pinned=True),
    "Nhiệm vụ": st.column_config.TextColumn(width=266),
    "Cơ quan chủ trì": st.column_config.TextColumn(width=150),
    "Thời hạn": st.column_config.TextColumn(width=118),
    "Hạn": st.column_config.TextColumn(width=82),
    "Số ngày trễ": st.column_config.NumberColumn("Trễ (ngày)", width=66,
                                                 help="Số ngày từ sau hạn đến ngày đang xem (đến ngày hoàn thành, "
                                                      "với nhiệm vụ hoàn thành quá hạn)"),
    "Tình trạng": st.column_config.TextColumn(width=128),
    "Báo cáo gần nhất": st.column_config.TextColumn(width=176),
}
if overdue.empty:
    st.success(f"Không có nhiệm vụ nào quá hạn tính đến ngày {task_pages.day_text(as_of)}.")
else:
    st.caption("Trễ nhiều ngày nhất ở trên. Bấm vào một dòng để mở trang của nhiệm vụ.")
    event = st.dataframe(overdue, hide_index=True, width="stretch", key="tasks_overdue", on_select="rerun",
                         selection_mode="single-row", column_config=TASK_COLUMNS,
                         height=min(38 + 35 * len(overdue), 460))
    open_task(event, overdue)

# --- by lead agency, and every task -----------------------------------------------------------
st.subheader("Nhiệm vụ theo cơ quan chủ trì")
leads = task_pages.lead_agencies(board)
names = {code: name for code, name, _ in leads}
led = {code: n for code, _, n in leads}
agency = st.pills("Bấm một cơ quan để xem mọi nhiệm vụ cơ quan đó chủ trì", list(names),
                  format_func=lambda c: safe(f"{names[c]} · {fmt.number(led[c], 0)}"),
                  default=task_pages.choice(params, "agency", names, None), key="tasks_agency")
if agency:
    params["agency"] = agency
elif "agency" in params:
    del params["agency"]
shown_states = st.pills("Lọc theo tình trạng", list(states.SHOWN), selection_mode="multi",
                        format_func=task_pages.state_text, key="tasks_states")
listed = task_pages.in_states(task_pages.led_by(board, agency), shown_states)
what = f"do {names[agency]} chủ trì" if agency else "của kế hoạch"
st.markdown(f"**{fmt.number(len(listed), 0)} nhiệm vụ {safe(what)}**"
            + (f" ({', '.join(task_pages.state_text(s) for s in shown_states)})" if shown_states else "")
            + ". Bấm vào một dòng để mở trang của nhiệm vụ.")
table = task_pages.task_table(listed)
event = st.dataframe(table, hide_index=True, width="stretch", key="tasks_all", on_select="rerun",
                     selection_mode="single-row", column_config=TASK_COLUMNS, placeholder="",
                     height=min(38 + 35 * len(table), 720))
open_task(event, table)
d1, d2, _ = st.columns([1, 1, 4])
file_name = f"nhiem-vu-{plan_code}-{as_of:%Y%m%d}" + (f"-{agency}" if agency else "")
d1.download_button("Tải Excel", lambda: actions.table_file(table, "xlsx", "Nhiệm vụ"), file_name=f"{file_name}.xlsx",
                   icon=":material/download:", key="tasks_xlsx", on_click="ignore")
d2.download_button("Tải CSV", lambda: actions.table_file(table, "csv"), file_name=f"{file_name}.csv",
                   icon=":material/download:", key="tasks_csv", on_click="ignore")
if as_of != date.today():
    st.caption(f"Bảng trên tính đến ngày {task_pages.day_text(as_of)}.")

# --- the quarterly report -------------------------------------------------------------------------
st.subheader("Báo cáo quý gửi Ban Điều hành")
quarters = tasks.report_quarters(board)
q1, q2, q3, _ = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
quarter = q1.selectbox("Quý", quarters, format_func=fmt.period, key="tasks_quarter")
q_name = f"bao-cao-nhiem-vu-{plan_code}-{quarter}"
q2.download_button("Tải Excel", lambda: tasks.quarterly_file(plan_code, quarter, "xlsx"), file_name=f"{q_name}.xlsx",
                   icon=":material/table_view:", key="tasks_quarter_xlsx", on_click="ignore")
missing = actions.exports_available()
q3.download_button("Tải PDF", lambda: tasks.quarterly_file(plan_code, quarter, "pdf"), file_name=f"{q_name}.pdf",
                   icon=":material/picture_as_pdf:", key="tasks_quarter_pdf", on_click="ignore",
                   disabled=missing is not None, help=missing)
st.caption("Số nhiệm vụ theo tình trạng, theo nhóm, Tổ công tác và cơ quan chủ trì; nhiệm vụ quá hạn theo cơ quan; "
           "báo cáo gần nhất của từng nhiệm vụ – tính đến ngày cuối quý (hôm nay, nếu quý đang diễn ra), gồm cả "
           "báo cáo về quý đó gửi sau khi quý kết thúc.")
