"""What the task pages read and do: cached loaders of a plan's tasks, and the writes (reports,
reverts, agency grants, a group's Tổ công tác), each checked by indicators.tasks itself."""
from __future__ import annotations

from datetime import date

import pandas as pd

from indicators.auth.accounts import Account
from indicators.present.render import ChromiumMissing, RenderError
from indicators.tasks import listing, reports
from indicators.tasks.parse import quarter_of
from indicators.web import pacing
from indicators.web.actions import Refused, _read, _write
from indicators.web.data import SHARED, _cached


def _plans(con) -> pd.DataFrame:
    return listing.plans_with_tasks(con)


def _tasks(con, plan_code: str, as_of: str) -> pd.DataFrame:
    return listing.task_list(con, plan_code, date.fromisoformat(as_of))


plans_with_tasks = _cached(_plans, depends=SHARED)                 # () -> plan_code, number, title, locality_code, n_tasks
tasks_as_of = _cached(_tasks, depends=SHARED)                      # (plan_code, 'YYYY-MM-DD') -> listing.task_list
task_history = _cached(listing.task_history, depends=SHARED)       # (plan_code, task_no) -> every report, newest first
reportable_tasks = _cached(reports.reportable_tasks, depends=SHARED) # (user_name, plan_code) -> [task_no]
agencies_of = _cached(reports.agencies_of, depends=SHARED)         # (user_name) -> [agency_code]


def task_list(plan_code: str, as_of: date) -> pd.DataFrame:
    """The plan's tasks with their state on `as_of` (cached per day and data version)."""
    return tasks_as_of(plan_code, as_of.isoformat())


def record_reports(account: Account, items: list[reports.TaskReport], *, source: str = "form",
                   file_name: str | None = None, sha256: str | None = None) -> int:
    """Record reports as the account (scope checked and audited there); the upload's number."""
    return _write(lambda con: reports.record(con, account.user_name, items, source=source, file_name=file_name,
                                             sha256=sha256), reports.ReportRefused)


def revert_reports(account: Account, task_upload_id: int) -> str:
    return _write(lambda con: reports.revert(con, task_upload_id, account.user_name), reports.ReportRefused)


def grant_agency(admin: Account, user_name: str, agency_code: str) -> str:
    return _write(lambda con: reports.grant_agency(con, admin.user_name, user_name, agency_code))


def revoke_agency(admin: Account, user_name: str, agency_code: str) -> str:
    return _write(lambda con: reports.revoke_agency(con, admin.user_name, user_name, agency_code))


def set_group_team(admin: Account, plan_code: str, group_no: int, team_no: int | None) -> str:
    return _write(lambda con: reports.set_group_team(con, admin.user_name, plan_code, group_no, team_no))


def report_quarters(tasks: pd.DataFrame, today: date | None = None) -> list[str]:
    """The quarters a quarterly report can be made for, newest first: from the first quarter of
    the year of the plan's earliest deadline to the current one."""
    today = today or date.today()
    first = min(pd.to_datetime(tasks["deadline_date"]).dt.year.min(), today.year) if not tasks.empty else today.year
    current = quarter_of(today)
    quarters = [f"{y}-Q{q}" for y in range(int(first), today.year + 1) for q in range(1, 5)]
    return [q for q in quarters if q <= current][::-1]


def quarterly_file(plan_code: str, quarter: str, kind: str) -> bytes:
    """The quarterly report of the plan's tasks ('xlsx' or 'pdf'): read, then written outside the
    read (Chromium prints the PDF); Refused with the reason when it cannot be made."""
    from indicators.tasks.report import quarterly, quarterly_print, quarterly_sheets   # only this export needs them
    with pacing.released():
        q = _read(lambda con: quarterly.content(con, plan_code, quarter), quarterly.QuarterlyError)
        parts = quarterly.sections(q)
        if kind == "xlsx":
            return quarterly_sheets.workbook(q, parts)
        try:
            return quarterly_print.pdf(q, parts)
        except (ChromiumMissing, RenderError) as exc:
            raise Refused(str(exc)) from exc
