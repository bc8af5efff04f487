"""Reading tasks: a plan's list with states as of a date, one task's history, the board's counts."""
from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from indicators.store.connection import StoreError
from indicators.store.sql import query
from indicators.tasks.states import DONE, LABELS_VI, SHOWN
from indicators.tasks.status import with_states
from indicators.text.fold import fold


UNASSIGNED = "chưa phân Tổ"


def resolve_plan(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """The plan_code a person means by a code ('HN-71-2026') or a number ('71/KH-UBND')."""
    rows = con.execute("select plan_code from plan where plan_code = $t or lower(number) = lower($t) "
                       "order by plan_code = $t desc", {"t": text.strip()}).fetchall()
    codes = [r[0] for r in rows]
    if not codes:
        raise StoreError(f"Không có kế hoạch “{text}”: hãy dùng mã (như HN-71-2026) hoặc số hiệu (như 71/KH-UBND).")
    if len(codes) > 1 and codes[0] != text.strip():
        raise StoreError(f"“{text}” là số hiệu của nhiều kế hoạch ({', '.join(codes)}); hãy dùng mã kế hoạch.")
    return codes[0]


def plans_with_tasks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(query("task_plans")).df()


def task_list(con: duckdb.DuckDBPyConnection, plan_code: str, as_of: date, *, agency: str | None = None,
              overdue_only: bool = False, reports_until: date | None = None,
              period_through: str | None = None) -> pd.DataFrame:
    """The plan's tasks with their last report made on or before `as_of` (or `reports_until`,
    on quarters up to `period_through`: a quarter's report made after it closed), and `state`,
    `is_overdue`, `days_late` for `as_of`. `agency`: only tasks one of whose leads is that
    agency (its code, or words of its name: 'tài chính')."""
    until = max(reports_until or as_of, as_of)
    frame = con.execute(query("task_list"), {"plan": plan_code, "reports_until_next": until + timedelta(days=1),
                                             "period_through": period_through}).df()
    frame = with_states(frame, as_of)
    # Where the plan leaves the group's Tổ công tác open (an admin sets it), the views say so.
    frame["team_label"] = [f"Tổ {int(n)}" if pd.notna(n) else UNASSIGNED for n in frame["team_no"]]
    frame["directed_by"] = frame["directed_by"].fillna(UNASSIGNED)
    if agency:
        wanted = fold(agency)
        frame = frame[[any(wanted == c or wanted in fold(n) for c, n in zip(codes, names))
                       for codes, names in zip(frame["lead_codes"], frame["lead_agencies"])]]
    if overdue_only:
        frame = frame[frame["is_overdue"]].sort_values(["days_late", "position"], ascending=[False, True])
    return frame.reset_index(drop=True)


def stuck(tasks: pd.DataFrame) -> pd.Series:
    """Tasks whose last report says "vướng mắc" and that are not done, overdue or not: what
    leaders are asked to unblock (the shown state of a late one is "quá hạn")."""
    return (tasks["reported_state"] == "blocked") & ~tasks["state"].isin(list(DONE))


def task_history(con: duckdb.DuckDBPyConnection, plan_code: str, task_no: str) -> pd.DataFrame:
    return con.execute(query("task_history"), {"plan": plan_code, "task": task_no}).df()


def counts(tasks: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Tasks per shown state (columns in SHOWN order, labelled in Vietnamese, plus 'Tổng'),
    overall or per value of column `by` (group_no, team_label, lead_agency, directed_by)."""
    if by == "lead_agency":
        frame = tasks.explode("lead_agencies").rename(columns={"lead_agencies": "lead_agency"})
    else:
        frame = tasks
    if by is None:
        table = frame["state"].value_counts().to_frame().T
    else:
        table = pd.crosstab(frame[by], frame["state"])
    table = table.reindex(columns=list(SHOWN), fill_value=0)
    table["Tổng"] = table.sum(axis=1)
    return table.rename(columns=LABELS_VI)
