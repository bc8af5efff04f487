"""What the task pages read and do: cached loaders of a plan's tasks, and the writes (reports,
reverts, agency grants, a group's Tổ công tác), each checked by indicators.tasks itself."""
from __future__ import annotations

from datetime import date

import pandas as pd

from indicators.auth.accounts import Account
from indicators.tasks import listing, reports
from indicators.web.actions import Refused, _write  # noqa: F401 — Refused: what pages catch
from indicators.web.data import _cached


def _plans(con) -> pd.DataFrame:
    return listing.plans_with_tasks(con)


def _tasks(con, plan_code: str, as_of: str) -> pd.DataFrame:
    return listing.task_list(con, plan_code, date.fromisoformat(as_of))


plans_with_tasks = _cached(_plans)                  # () -> plan_code, number, title, locality_code, n_tasks
tasks_as_of = _cached(_tasks)                       # (plan_code, 'YYYY-MM-DD') -> listing.task_list
task_history = _cached(listing.task_history)        # (plan_code, task_no) -> every report, newest first
reportable_tasks = _cached(reports.reportable_tasks)  # (user_name, plan_code) -> [task_no]
agencies_of = _cached(reports.agencies_of)          # (user_name) -> [agency_code]


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
