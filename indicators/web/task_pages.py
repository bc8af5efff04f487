"""What the task pages (Nhiệm vụ, one task, Nhiệm vụ và cơ quan) draw with, besides the loaders and
writes of web/tasks.py: the plan, date and grouping read from the URL and written back, the
board's tables and chart, one task's facts and history, the report form's choices and why an
account may not report, the admin's readers and the task-list import.

Task states, their labels, colours and marks come from indicators.tasks.states (STYLE.md 15);
numbers and dates become text through indicators.text.fmt. Stored text reaches Markdown only
through widgets.safe (pages) or html.escape (the badge, the chart)."""
from __future__ import annotations

import html
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from indicators.store.sql import query
from indicators.tasks import listing, states
from indicators.tasks.sheets import task_list_import
from indicators.tasks.catalogue import TaskListError
from indicators.tasks.parse import quarter_of, split_agencies
from indicators.tasks.reports import TaskReport, check_report
from indicators.tasks.sheets.task_list_import import TaskListPreview
from indicators.text import fmt
from indicators.web import pacing, tasks
from indicators.web.actions import _read, _write
from indicators.web.data import SHARED, _cached, _fresh

__all__ = ["states", "TaskListPreview", "TaskReport"]

UNASSIGNED = listing.UNASSIGNED   # "chưa phân Tổ"
# The board's groupings: URL value -> (column of listing.task_list / listing.counts, heading).
BY = {
    "group": ("group_no", "Nhóm nhiệm vụ"),
    "team": ("team_label", "Tổ công tác"),
    "agency": ("lead_agency", "Cơ quan chủ trì"),
    "leader": ("directed_by", "Phó Chủ tịch chỉ đạo"),
}
NOT_REPORTED = "Chưa có báo cáo nào"   # a count beside the states: tasks without any report yet
REPORTED_VIA = {"form": "trang web", "excel": "tệp Excel"}


# --- the URL ------------------------------------------------------------------------------------
def day_from(text: object) -> date | None:
    """A date from the URL: 2026-12-02 or 02/12/2026; None for anything else."""
    text = str(text or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.split("/")
    if len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts):
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            return None
    return None


def plan_from(params, plans: pd.DataFrame) -> str:
    """The plan the URL names, by code (HN-71-2026) or number (71/KH-UBND); else the first plan."""
    codes = plans["plan_code"].tolist()
    wanted = str(params.get("plan") or "")
    by_number = dict(zip(plans["number"], plans["plan_code"]))
    return wanted if wanted in codes else by_number.get(wanted, codes[0])


def plan_label(plans: pd.DataFrame):
    """format_func of a plan picker: '71/KH-UBND – Kế hoạch thực hiện … (43 nhiệm vụ)'."""
    labels = {c: f"{fmt.plan_number(n)} – {_short(t, 110)} ({fmt.number(k, 0)} nhiệm vụ)"
              for c, n, t, k in zip(plans["plan_code"], plans["number"], plans["title"], plans["n_tasks"])}
    return labels.get


def plan_picker(container, params, plans: pd.DataFrame, *, key: str) -> str:
    """A plan select box that starts from the URL's `plan` and writes it back."""
    codes = plans["plan_code"].tolist()
    plan = container.selectbox("Kế hoạch", codes, index=codes.index(plan_from(params, plans)),
                               format_func=plan_label(plans), key=key)
    params["plan"] = plan
    return plan


def as_of_picker(container, params, *, key: str, today: date | None = None) -> date:
    """The "Tính đến ngày" date, from the URL's `as_of` (today when absent); written back only
    when it is not today, so a shared link without it always shows the day it is opened."""
    today = today or date.today()
    picked = container.date_input("Tính đến ngày", value=day_from(params.get("as_of")) or today,
                                  format="DD/MM/YYYY", key=key,
                                  help="Quá hạn và tình trạng tính theo ngày này, chỉ với các báo cáo gửi đến hết "
                                       "ngày đó. Mặc định: hôm nay.")
    picked = picked or today
    if picked != today:
        params["as_of"] = picked.isoformat()
    elif "as_of" in params:
        del params["as_of"]
    return picked


def as_of_notice(as_of: date, today: date | None = None) -> str | None:
    """The sentence a view shows when it is not as of today (Markdown; dates only)."""
    today = today or date.today()
    if as_of == today:
        return None
    when = "trước" if as_of < today else "sau"
    return (f"Đang xem tình trạng **tính đến ngày {day_text(as_of)}** ({when} hôm nay, {day_text(today)}): "
            "quá hạn tính theo ngày đó, chỉ với các báo cáo đã gửi đến hết ngày đó.")


def choice(params, name: str, options, default):
    """The URL's value of `name` when it is one of `options`, else `default`."""
    value = params.get(name)
    return value if value in options else default


def plan_links(locality_code: str, today: date | None = None) -> list[tuple[str, str]]:
    """(plan_code, 'Nhiệm vụ của kế hoạch 71/KH-UBND: 31 quá hạn') of the locality's plans with tasks."""
    plans = tasks.plans_with_tasks()
    plans = plans[plans["locality_code"] == locality_code]
    out = []
    for plan_code, number in zip(plans["plan_code"], plans["number"]):
        late = int(tasks.task_list(plan_code, today or date.today())["is_overdue"].sum())
        out.append((plan_code, f"Nhiệm vụ của kế hoạch {fmt.plan_number(number)}: {fmt.number(late, 0)} "
                               f"{states.label('overdue').lower()}"))
    return out


# --- words and dates ----------------------------------------------------------------------------
def state_text(state: str) -> str:
    """'‼ Quá hạn': the mark and the label, so that a state is never told by colour alone."""
    return f"{states.MARKS[state]} {states.label(state)}"


def day_text(value) -> str:
    """dd/mm/yyyy of a date, a timestamp or an ISO text; '–' for none."""
    if value is None or pd.isna(value):
        return "–"
    return fmt.date(str(value)[:10])


def moment_text(value) -> str:
    """'03/12/2026 16:40'."""
    if value is None or pd.isna(value):
        return "–"
    return f"{day_text(value)} {pd.Timestamp(value):%H:%M}"


def days_late_text(days: int) -> str:
    return f"{fmt.number(days, 0)} ngày"


def _short(text: object, n: int) -> str:
    text = str(text or "")
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _names(values) -> str:
    return "; ".join(str(v) for v in (values if values is not None else []))


def _text(value) -> str:
    return value if isinstance(value, str) else ""


# --- the board ----------------------------------------------------------------------------------
def metrics(board: pd.DataFrame) -> list[tuple[str, int, str | None]]:
    """(label, count, help) of the board's summary: all, overdue, done, done late, blocked, not reported."""
    shown = board["state"].value_counts()
    return [
        ("Tổng số nhiệm vụ", len(board), None),
        (state_text("overdue"), int(shown.get("overdue", 0)),
         "Chưa hoàn thành mà đã qua thời hạn, dù báo cáo gần nhất ghi tình trạng nào."),
        (state_text("done"), int(shown.get("done", 0)), None),
        (state_text("done_late"), int(shown.get("done_late", 0)), None),
        (state_text("blocked"), int(listing.stuck(board).sum()),
         "Báo cáo gần nhất ghi vướng mắc, kể cả nhiệm vụ đã quá hạn: cần hỗ trợ từ cơ quan khác."),
        (f"{states.MARKS['no_report']} {NOT_REPORTED}", int((board["n_reports"] == 0).sum()),
         "Nhiệm vụ chưa có báo cáo nào, kể cả những nhiệm vụ đã quá hạn."),
    ]


def _row_labels(board: pd.DataFrame, by: str, index) -> list[str]:
    if by == "group":
        titles = dict(zip(board["group_no"], board["group_title"]))
        return [f"{g}. {titles.get(g) or ''}".strip() for g in index]
    return [str(v) for v in index]


def _row_order(board: pd.DataFrame, by: str, table: pd.DataFrame) -> list:
    """Groups and Tổ by number (chưa phân Tổ last), agencies with most overdue first, leaders by name."""
    if by == "group":
        return sorted(table.index)
    if by == "team":
        return sorted(table.index, key=lambda v: (v == UNASSIGNED, int(v.split()[-1]) if v != UNASSIGNED else 0))
    if by == "leader":
        return sorted(table.index, key=lambda v: (v == UNASSIGNED, v))
    overdue = states.label("overdue")
    return sorted(table.index, key=lambda v: (-table.at[v, overdue], -table.at[v, "Tổng"], v))


def counts_table(board: pd.DataFrame, by: str) -> pd.DataFrame:
    """Tasks per state for each group, Tổ, lead agency or directing leader: the first column names
    it, then one column per shown state (mark and label) and 'Tổng'. A task led by two agencies
    counts once for each."""
    column, heading = BY[by]
    table = listing.counts(board, column)
    table = table.loc[_row_order(board, by, table)]
    out = table.rename(columns={states.label(s): state_text(s) for s in states.SHOWN})
    out.columns.name = None
    out.insert(0, heading, _row_labels(board, by, table.index))
    return out.reset_index(drop=True)


def counts_figure(table: pd.DataFrame) -> go.Figure:
    """counts_table as stacked bars, one colour and one legend entry (mark and label) per state."""
    heading = table.columns[0]
    rows = table.iloc[::-1]   # plotly draws the first category at the bottom
    labels = [html.escape(_short(v, 60), quote=False) for v in rows[heading]]
    full = [html.escape(str(v), quote=False) for v in rows[heading]]
    fig = go.Figure()
    for state in states.SHOWN:
        name = state_text(state)
        values = rows[name].tolist()
        if not any(values):
            continue
        fig.add_trace(go.Bar(
            y=labels, x=values, name=name, orientation="h", marker={"color": states.COLOURS[state]},
            text=[fmt.number(v, 0) if v else "" for v in values], textposition="inside",
            customdata=full, hovertemplate="%{customdata}: %{x} nhiệm vụ<extra>" + name + "</extra>"))
    fig.update_layout(barmode="stack", height=max(200, 34 * len(rows) + 110), separators=fmt.PLOTLY_SEPARATORS,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white",
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "traceorder": "normal"},
                      xaxis={"title": "Số nhiệm vụ", "gridcolor": "#eee", "dtick": 5 if table["Tổng"].max() > 12 else 1})
    fig.update_yaxes(automargin=True, categoryorder="array", categoryarray=labels)
    return fig


def last_report_text(r: dict) -> str:
    """'▶ Đang thực hiện, 15/10/2026' (the state reported and the day), or the not-reported label."""
    if not isinstance(r.get("reported_state"), str):
        return state_text("no_report")
    return f"{state_text(r['reported_state'])}, {day_text(r['last_report_at'])}"


def overdue_table(board: pd.DataFrame) -> pd.DataFrame:
    """The overdue tasks, most days late first: number, title, lead agencies, deadline as written
    and as a date, days late, last report. `task_no` is kept for opening a task's page."""
    late = board[board["is_overdue"]].sort_values(["days_late", "position"], ascending=[False, True])
    return pd.DataFrame({
        "Số": late["task_no"],
        "Nhiệm vụ": late["title"],
        "Cơ quan chủ trì": [_names(v) for v in late["lead_agencies"]],
        "Thời hạn": late["deadline_text"],
        "Hạn": [day_text(d) for d in late["deadline_date"]],
        "Số ngày trễ": late["days_late"].astype(int),
        "Báo cáo gần nhất": [last_report_text(r) for r in late.to_dict("records")],
    }).reset_index(drop=True)


def task_table(board: pd.DataFrame) -> pd.DataFrame:
    """Every task in the plan's order, with its state on the board's date (the deadline as written
    is on the task's page; the overdue list shows both)."""
    return pd.DataFrame({
        "Số": board["task_no"],
        "Nhiệm vụ": board["title"],
        "Cơ quan chủ trì": [_names(v) for v in board["lead_agencies"]],
        "Hạn": [day_text(d) for d in board["deadline_date"]],
        "Tình trạng": [state_text(s) for s in board["state"]],
        "Số ngày trễ": pd.array([d if d else None for d in board["days_late"]], dtype="Int64"),
        "Báo cáo gần nhất": [last_report_text(r) for r in board.to_dict("records")],
    }).reset_index(drop=True)


def lead_agencies(board: pd.DataFrame) -> list[tuple[str, str, int]]:
    """(agency_code, name, number of tasks it leads) of the plan's lead agencies, most tasks first."""
    found: dict[str, list] = {}
    for codes, names in zip(board["lead_codes"], board["lead_agencies"]):
        for code, name in zip(codes, names):
            found.setdefault(code, [name, 0])[1] += 1
    return sorted(((c, n, k) for c, (n, k) in found.items()), key=lambda x: (-x[2], x[1]))


def led_by(board: pd.DataFrame, agency_code: str | None) -> pd.DataFrame:
    """The tasks one of whose lead agencies is `agency_code` (every task for None)."""
    if not agency_code:
        return board
    return board[[agency_code in list(codes) for codes in board["lead_codes"]]].reset_index(drop=True)


def in_states(board: pd.DataFrame, shown: list[str]) -> pd.DataFrame:
    return board[board["state"].isin(shown)].reset_index(drop=True) if shown else board


def team_note(board: pd.DataFrame) -> str | None:
    """Said under a view by Tổ or leader while groups are not mapped to a Tổ công tác."""
    open_groups = sorted(board.loc[board["team_label"] == UNASSIGNED, "group_no"].unique().tolist())
    if not open_groups:
        return None
    every = len(open_groups) == board["group_no"].nunique()
    which = "mọi nhóm nhiệm vụ" if every else "nhóm " + ", ".join(str(g) for g in open_groups)
    return (f"“{UNASSIGNED}”: kế hoạch không nêu Tổ công tác nào theo dõi {which}; quản trị viên phân Tổ cho "
            "từng nhóm ở trang “Nhiệm vụ và cơ quan”.")


# --- one task -----------------------------------------------------------------------------------
def state_badge_html(state: str, detail: str = "") -> str:
    """The state as a badge for st.html: a coloured edge, the mark and the label in dark text."""
    colour = states.COLOURS[state]
    extra = f" <span style='font-weight:400'>· {html.escape(detail)}</span>" if detail else ""
    return (f"<div style='display:inline-block;border-left:8px solid {colour};background:#f5f5f5;color:#1f1f1f;"
            f"padding:6px 14px;border-radius:6px;font-size:1.1rem;font-weight:600'>"
            f"{html.escape(state_text(state))}{extra}</div>")


def state_detail(r: dict) -> str:
    """'trễ 247 ngày so với hạn 31/03/2026', 'hạn 31/12/2026', for the badge."""
    deadline = day_text(r["deadline_date"])
    if r["state"] == "overdue":
        return f"trễ {days_late_text(r['days_late'])} so với hạn {deadline}"
    if r["state"] == "done_late":
        return f"muộn {days_late_text(r['days_late'])} so với hạn {deadline}"
    if r["state"] == "done":
        return f"hạn {deadline}"
    return f"hạn {deadline}, còn {days_late_text((pd.Timestamp(r['deadline_date']).date() - date.today()).days)}"


def last_report_facts(r: dict) -> list[tuple[str, str]]:
    """(label, text) of the report in force, as plain text (the page escapes it); [] without one."""
    if not isinstance(r.get("reported_state"), str):
        return []
    facts = [("Báo cáo gần nhất", f"{state_text(r['reported_state'])} ({fmt.period(r['last_report_period'])}), gửi "
                                  f"ngày {day_text(r['last_report_at'])} bởi {r['reported_by']}")]
    facts += [(label, r[key]) for label, key in (("Kết quả", "result"), ("Văn bản/sản phẩm", "product_ref"),
                                                 ("Cần hỗ trợ", "needs"), ("Từ cơ quan", "needs_from"))
              if _text(r.get(key))]
    if not pd.isna(r.get("completed_on")):
        facts.append(("Ngày hoàn thành", day_text(r["completed_on"])))
    return facts


def agencies_as_written(text: str | None) -> list[tuple[str, str | None]]:
    """(name, role note) of each agency of a lead or partner text, as the plan writes them."""
    return [(a.name, a.role_note) for a in split_agencies(text)]


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """Every report on the task, newest first: the one in force, earlier ones, reverted ones marked."""
    in_force = next((i for i, r in enumerate(history.to_dict("records")) if pd.isna(r["reverted_at"])), None)

    def standing(i: int, r: dict) -> str:
        if not pd.isna(r["reverted_at"]):
            return f"↩ Đã hoàn tác {day_text(r['reverted_at'])} ({r['reverted_by']})"
        return "● Đang áp dụng" if i == in_force else "Báo cáo trước"

    rows = history.to_dict("records")
    columns = ["Quý", "Lần", "Tình trạng", "Hiệu lực", "Kết quả", "Văn bản/sản phẩm", "Ngày hoàn thành", "Kiến nghị",
               "Người báo cáo", "Lần gửi"]
    return pd.DataFrame({
        "Quý": [fmt.period(r["period"]) for r in rows],
        "Lần": [int(r["step"]) for r in rows],
        "Tình trạng": [state_text(r["state"]) for r in rows],
        "Hiệu lực": [standing(i, r) for i, r in enumerate(rows)],
        "Kết quả": [_text(r["result"]) for r in rows],
        "Văn bản/sản phẩm": [_text(r["product_ref"]) for r in rows],
        "Ngày hoàn thành": [day_text(r["completed_on"]) if not pd.isna(r["completed_on"]) else "" for r in rows],
        "Kiến nghị": [_text(r["needs"]) + (f" (từ {r['needs_from']})" if _text(r["needs_from"]) else "") for r in rows],
        "Người báo cáo": [f"{r['reported_by']}, {moment_text(r['reported_at'])}" for r in rows],
        "Lần gửi": [f"Số {int(r['task_upload_id'])}, qua {REPORTED_VIA.get(r['source'], r['source'])}"
                    + (f" “{r['file_name']}”" if _text(r["file_name"]) else "") for r in rows],
    }, columns=columns)


def revertible_uploads(history: pd.DataFrame) -> list[int]:
    """The task uploads behind this task's reports that are not reverted, newest first."""
    live = history[history["reverted_at"].isna()]
    return list(dict.fromkeys(int(u) for u in live["task_upload_id"]))


# --- reporting ----------------------------------------------------------------------------------
def report_quarters(board: pd.DataFrame, today: date | None = None) -> list[str]:
    """The quarters a report may be for, newest first: from the first year of the plan's deadlines
    (or this year) to this quarter."""
    today = today or date.today()
    first = min(int(pd.Timestamp(board["deadline_date"].min()).year), today.year) if len(board) else today.year
    current = quarter_of(today)
    out = [f"{y}-Q{q}" for y in range(first, today.year + 1) for q in range(1, 5) if f"{y}-Q{q}" <= current]
    return out[::-1]


def report_warnings(report: TaskReport, today: date | None = None) -> list[str]:
    """What the store records anyway but the officer should know (reports.check_report)."""
    return [w.text for w in check_report(report, {report.task_no}, today or date.today()).warnings]


def agency_names() -> dict[str, str]:
    catalogue = agency_catalogue()
    return dict(zip(catalogue["agency_code"], catalogue["name_vi"]))


def why_no_form(account, r: dict, agencies: list[str], names: dict[str, str]) -> str:
    """Why this visitor sees no report form for the task (None-safe: a visitor not signed in)."""
    leads = _names(r["lead_agencies"]) or "cơ quan chủ trì"
    if account is None:
        return (f"Nhiệm vụ {r['task_no']} do {leads} chủ trì. Cán bộ của cơ quan chủ trì đăng nhập để báo cáo "
                "tiến độ.")
    if account.role == "viewer":
        return (f"Tài khoản {account.user_name} là tài khoản xem: xem được tiến độ, không gửi báo cáo. Nhiệm vụ "
                f"{r['task_no']} do {leads} chủ trì; cán bộ của cơ quan đó báo cáo.")
    mine = ", ".join(names.get(a, a) for a in agencies) or "chưa được gán cơ quan nào"
    return (f"Nhiệm vụ {r['task_no']} do {leads} chủ trì. Tài khoản {account.user_name} báo cáo cho {mine}, nên "
            "không gửi được báo cáo cho nhiệm vụ này. Nếu tài khoản cần báo cáo cho cơ quan khác, hãy đề nghị "
            "quản trị viên gán ở trang “Nhiệm vụ và cơ quan”.")


def send_report(account, report: TaskReport) -> int:
    """Record one report from the form (scope checked there); the upload's number."""
    return tasks.record_reports(account, [report], source="form")


# --- administration -----------------------------------------------------------------------------
def _agency_catalogue(con) -> pd.DataFrame:
    return con.execute(query("agency_catalogue")).df()


agency_catalogue = _cached(_agency_catalogue, depends=SHARED)     # () -> agency_code, name_vi, kind, locality_code, n_lead, n_partner


def account_agencies() -> pd.DataFrame:
    """Which agency each account reports for (read fresh: an admin expects to see their change)."""
    return _fresh(lambda con: con.execute(query("account_agency_list")).df())


def plan_groups(plan_code: str) -> pd.DataFrame:
    return _fresh(lambda con: con.execute(query("plan_task_groups"), {"plan": plan_code}).df())


def plan_teams(plan_code: str) -> pd.DataFrame:
    return _fresh(lambda con: con.execute(query("plan_work_teams"), {"plan": plan_code}).df())


def team_label(team_no, teams: pd.DataFrame) -> str:
    """'Tổ 3 – Tổ công tác về chuyển đổi số … (Đồng chí Trương Việt Dũng)', or 'chưa phân Tổ'."""
    if team_no is None or pd.isna(team_no):
        return UNASSIGNED
    row = teams[teams["team_no"] == int(team_no)]
    if row.empty:
        return f"Tổ {int(team_no)}"
    r = row.iloc[0]
    return f"Tổ {int(team_no)} – {_short(r['title'], 90)}" + (f" ({r['directed_by']})" if _text(r["directed_by"]) else "")


def preview_task_list(admin, plan_code: str, content: bytes, file_name: str) -> TaskListPreview:
    """Read and check a task list (writes nothing); Refused when the file cannot be read."""
    with pacing.released():   # the sheets are parsed in the reader's worker process
        return _read(lambda con: task_list_import.preview_task_list(con, admin.user_name, plan_code, content,
                                                                    file_name), TaskListError)


def add_task_list(admin, preview: TaskListPreview) -> str:
    """Add the previewed list's new tasks in one transaction (checked again there); a sentence."""
    return _write(lambda con: task_list_import.add_task_list(con, admin.user_name, preview), TaskListError)
