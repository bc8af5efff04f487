"""The quarterly report of a plan's tasks: what the Sở Y tế sends the Ban Điều hành each quarter.

For a plan and a quarter, as of the quarter's last day (today while the quarter is running):
counts by state, by group, by Tổ công tác and by lead agency; the overdue tasks by lead agency,
latest first; every task with its latest report, the reports made in the quarter marked. This
module reads the store and shapes the content; `quarterly_sheets` writes it as a workbook and
`quarterly_print` as a printable page that Chromium prints to PDF.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from indicators.excel.cells import CellError, parse_period
from indicators.present.slides import plan_name
from indicators.store.sql import query
from indicators.tasks import listing
from indicators.tasks.report import quarterly_print, quarterly_sheets
from indicators.tasks.parse import quarter_bounds
from indicators.tasks.states import LABELS_VI, SHOWN
from indicators.text import fmt

TOTAL = "Tổng"


class QuarterlyError(ValueError):
    """A quarterly report that cannot be made; the message is one Vietnamese sentence."""


@dataclass
class Quarterly:
    """The content of one quarterly report (plain values and DataFrames; nothing is formatted)."""
    plan: dict               # plan_code, number, title, issuer, issued_on, locality_code
    quarter: str             # '2026-Q4'
    first_day: date
    last_day: date
    as_of: date              # the states are those of this day, reports made up to it
    is_current: bool         # the quarter was still running on as_of
    made_on: date            # when the report was made (printed on it)
    tasks: pd.DataFrame      # listing.task_list + group_label, in_quarter, reporter

    @property
    def quarter_label(self) -> str:
        return fmt.period(self.quarter)

    @property
    def plan_name(self) -> str:
        """'Kế hoạch 71/KH-UBND', as the progress slides name a plan."""
        return plan_name({"plan_number": self.plan["number"]})

    @property
    def plan_line(self) -> str:
        """'Kế hoạch 71/KH-UBND ngày 26/02/2026 của UBND thành phố Hà Nội'."""
        issued = self.plan.get("issued_on")
        when = f" ngày {fmt.date(str(issued))}" if issued is not None and not pd.isna(issued) else ""
        issuer = f" của {self.plan['issuer']}" if self.plan.get("issuer") else ""
        return f"{self.plan_name}{when}{issuer}"

    @property
    def as_of_line(self) -> str:
        """The cover's statement of the date the report describes."""
        running = " (quý đang diễn ra)" if self.is_current else ""
        return f"Tình hình đến ngày {self.as_of:%d/%m/%Y}{running}"

    @property
    def n_overdue(self) -> int:
        return int(self.tasks["is_overdue"].sum())

    @property
    def n_in_quarter(self) -> int:
        return int(self.tasks["in_quarter"].sum())


# --------------------------------------------------------------------------- the quarter

def read_quarter(text: str) -> str:
    """'2026-Q4' from what a person typed ('2026-Q4', 'Quý IV/2026', 'Q4/2026'); QuarterlyError
    for anything that is not one quarter."""
    try:
        period = parse_period(text)
    except CellError:
        raise QuarterlyError(f"Quý “{text}” không đọc được; hãy ghi như “2026-Q4” hoặc “Quý IV/2026”.") from None
    if "-Q" not in period:
        raise QuarterlyError(f"“{text}” là {fmt.period(period).lower() if '-' in period else 'năm ' + period}, "
                             "không phải một quý; hãy ghi như “2026-Q4” hoặc “Quý IV/2026”.")
    return period


def quarter_as_of(quarter: str, as_of: date | None = None, today: date | None = None) -> tuple[date, bool]:
    """(the day the report describes, whether the quarter is still running on it).

    Without `as_of`: the quarter's last day, or today while the quarter is running; a quarter
    that has not begun is refused. An explicit `as_of` may fall after the quarter (to take in
    reports made after it closed) but not before it begins."""
    try:
        first, last = quarter_bounds(quarter)
    except ValueError as exc:
        raise QuarterlyError(f"{str(exc).capitalize()}.") from None
    today = today or date.today()
    if as_of is None:
        if first > today:
            raise QuarterlyError(f"{fmt.period(quarter)} chưa bắt đầu (hôm nay {today:%d/%m/%Y}): chưa có gì để "
                                 "báo cáo.")
        as_of = min(today, last)
    elif as_of < first:
        raise QuarterlyError(f"Ngày {as_of:%d/%m/%Y} ở trước {fmt.period(quarter)} "
                             f"(bắt đầu {first:%d/%m/%Y}); hãy chọn một ngày từ đầu quý trở đi.")
    return as_of, as_of < last


# --------------------------------------------------------------------------- content

def content(con: duckdb.DuckDBPyConnection, plan_code: str, quarter: str, as_of: date | None = None,
            *, today: date | None = None) -> Quarterly:
    """The report's content for the plan and the quarter (see quarter_as_of for the date)."""
    row = con.execute(query("quarterly_plan"), {"plan": plan_code}).df().to_dict("records")
    if not row:
        raise QuarterlyError(f"Không có kế hoạch “{plan_code}”.")
    plan = {k: (None if not isinstance(v, (list, dict)) and pd.isna(v) else v) for k, v in row[0].items()}
    today = today or date.today()
    as_of, current = quarter_as_of(quarter, as_of, today)
    first, last = quarter_bounds(quarter)
    # States as of the report's day; the reports on this quarter or earlier ones, also those sent
    # after it closed (officers report a quarter in the first days of the next).
    tasks = listing.task_list(con, plan_code, as_of, reports_until=today, period_through=quarter)
    if tasks.empty:
        raise QuarterlyError(f"{fmt.plan_number(plan['number'])} chưa có nhiệm vụ nào: không có gì để báo cáo.")
    names = dict(con.execute(query("task_reporters"), {"plan": plan_code}).fetchall())
    tasks = tasks.assign(
        group_label=[f"{int(n)}. {t}" if isinstance(t, str) else f"Nhóm {int(n)}"
                     for n, t in zip(tasks["group_no"], tasks["group_title"])],
        in_quarter=[p == quarter for p in tasks["last_report_period"]],
        reporter=[_reporter(u, names) for u in tasks["reported_by"]],
    )
    return Quarterly(plan=plan, quarter=quarter, first_day=first, last_day=last, as_of=as_of,
                     is_current=current, made_on=today, tasks=tasks)


def _reporter(user_name, names: dict[str, str]) -> str | None:
    if not isinstance(user_name, str):
        return None
    shown = names.get(user_name, user_name)
    return shown if shown == user_name else f"{shown} ({user_name})"


def state_counts(q: Quarterly) -> pd.DataFrame:
    """state, label, n, share: every shown state in SHOWN order (zeros included)."""
    n = q.tasks["state"].value_counts().reindex(list(SHOWN), fill_value=0)
    total = max(int(n.sum()), 1)
    return pd.DataFrame({"state": list(SHOWN), "label": [LABELS_VI[s] for s in SHOWN],
                         "n": [int(v) for v in n], "share": [int(v) / total for v in n]})


def counts_by(q: Quarterly, by: str) -> pd.DataFrame:
    """Tasks per state (columns: the labels in SHOWN order, then 'Tổng') per group ('group'),
    Tổ công tác ('team') or lead agency ('agency'), in the order a reader looks for them:
    groups and Tổ by number ('chưa phân Tổ' last), agencies by most tasks."""
    tasks = q.tasks
    if by == "group":
        table = listing.counts(tasks, "group_label")
        order = list(dict.fromkeys(tasks.sort_values("group_no")["group_label"]))
    elif by == "team":
        labelled = tasks.assign(team=[_team_label(r) for r in tasks.to_dict("records")])
        table = listing.counts(labelled, "team")
        order = list(dict.fromkeys(labelled.sort_values("team_no", na_position="last")["team"]))
    elif by == "agency":
        table = listing.counts(tasks, "lead_agency")
        order = sorted(table.index, key=lambda a: (-int(table.at[a, TOTAL]), a))
    else:
        raise ValueError(f"counts_by: {by!r} (group | team | agency)")
    return table.reindex(order)


def _team_label(task: dict) -> str:
    if task["team_label"] == listing.UNASSIGNED:
        return f"{listing.UNASSIGNED[0].upper()}{listing.UNASSIGNED[1:]}"
    title = task["team_title"] if isinstance(task["team_title"], str) else ""
    who = f" – {task['directed_by']} chỉ đạo" if isinstance(task["directed_by"], str) else ""
    return f"{task['team_label']}: {title}{who}" if title else f"{task['team_label']}{who}"


def overdue_by_agency(tasks: pd.DataFrame) -> pd.DataFrame:
    """The overdue tasks, one row per lead agency and task (a task two agencies lead is under
    both): agencies with the latest task first (then the most overdue, then by name), within an
    agency the latest first, then in the plan's order. Columns of the task list plus `agency`."""
    late = tasks[tasks["is_overdue"]]
    if late.empty:
        return late.assign(agency=pd.Series(dtype=object))
    rows = late.assign(agency=late["lead_agencies"]).explode("agency")
    rows["agency"] = rows["agency"].fillna("(chưa ghi cơ quan)")
    worst = rows.groupby("agency")["days_late"].transform("max")
    many = rows.groupby("agency")["days_late"].transform("size")
    rows = rows.assign(_worst=worst, _many=many)
    rows = rows.sort_values(["_worst", "_many", "agency", "days_late", "position"],
                            ascending=[False, False, True, False, True])
    return rows.drop(columns=["_worst", "_many"]).reset_index(drop=True)


def overdue(q: Quarterly) -> pd.DataFrame:
    return overdue_by_agency(q.tasks)


def clean(value):
    """None for a missing value (None, NaN, NaT), a date or datetime for timestamps, else the value."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def day_of(value) -> date | None:
    value = clean(value)
    return value.date() if isinstance(value, datetime) else value


def _row(r: dict) -> dict:
    reported_state = clean(r["reported_state"])
    return {
        "task_no": r["task_no"], "group_no": int(r["group_no"]), "group": r["group_label"], "title": r["title"],
        "lead": r["lead_text"], "leads": list(r["lead_agencies"]), "partners": clean(r["partner_text"]),
        "product": clean(r["product"]), "deadline_text": r["deadline_text"], "deadline": day_of(r["deadline_date"]),
        "state": r["state"], "state_label": LABELS_VI[r["state"]], "days_late": int(r["days_late"]),
        "report_period": clean(r["last_report_period"]),
        "reported_state": LABELS_VI.get(reported_state) if reported_state else None,
        "result": clean(r["result"]), "product_ref": clean(r["product_ref"]),
        "completed_on": day_of(r["completed_on"]), "needs": clean(r["needs"]),
        "needs_from": clean(r["needs_from"]), "reporter": clean(r["reporter"]),
        "reported_at": clean(r["last_report_at"]), "in_quarter": bool(r["in_quarter"]),
    }


def task_rows(q: Quarterly) -> list[dict]:
    """Every task with its latest report, as plain values (dates as dates) in the plan's order."""
    return [_row(r) for r in q.tasks.to_dict("records")]


def overdue_rows(q: Quarterly) -> list[dict]:
    """The overdue tasks as task_rows, with `agency`, in overdue_by_agency's order."""
    return [{**_row(r), "agency": r["agency"]} for r in overdue(q).to_dict("records")]


@dataclass
class Sections:
    """What both files print, in order: plain rows and count tables."""
    states: pd.DataFrame       # state_counts
    by_group: pd.DataFrame     # counts_by(…, 'group')
    by_team: pd.DataFrame
    by_agency: pd.DataFrame
    overdue: list[dict]        # overdue_rows
    tasks: list[dict]          # task_rows


def sections(q: Quarterly) -> Sections:
    return Sections(states=state_counts(q), by_group=counts_by(q, "group"), by_team=counts_by(q, "team"),
                    by_agency=counts_by(q, "agency"), overdue=overdue_rows(q), tasks=task_rows(q))


# --------------------------------------------------------------------------- the files

def workbook_bytes(con: duckdb.DuckDBPyConnection, plan_code: str, quarter: str, as_of: date | None = None) -> bytes:
    """The quarterly report as an .xlsx workbook (sheets “Tổng hợp”, “Quá hạn theo cơ quan”, “Từng nhiệm vụ”)."""
    q = content(con, plan_code, quarter, as_of)
    return quarterly_sheets.workbook(q, sections(q))


def pdf_bytes(con: duckdb.DuckDBPyConnection, plan_code: str, quarter: str, as_of: date | None = None,
              *, chromium: str | None = None) -> bytes:
    """The quarterly report as a printable A4 PDF (Chromium; render.ChromiumMissing without it)."""
    q = content(con, plan_code, quarter, as_of)
    return quarterly_print.pdf(q, sections(q), chromium=chromium)
