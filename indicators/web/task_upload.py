"""What the task report upload page ("Báo cáo nhiệm vụ") reads and does: the template to
download, the preview of a filled file, its commit, the latest task uploads and, for admins,
their revert. Each checks the account itself (indicators.tasks does); refusals arrive as
`Refused`, one Vietnamese sentence."""
from __future__ import annotations

from datetime import date

import pandas as pd

from indicators.auth.accounts import Account
from indicators.excel.safety import MAX_FILE_BYTES, UnsafeFile
from indicators.store.connection import StoreError
from indicators.tasks import reports
from indicators.tasks.sheets import task_import, template
from indicators.tasks.states import label as state_label  # noqa: F401 — for the page
from indicators.web.actions import Refused, _read, _write, file_digest, previewing  # noqa: F401 — Refused, file_digest: for the page
from indicators.web.data import SHARED, _cached
from indicators.web.tasks import plans_with_tasks, reportable_tasks, revert_reports  # noqa: F401 — for the page

MAX_UPLOAD_MIB = MAX_FILE_BYTES // (1024 * 1024)
CHANGE_LABELS = {"new": "mới", "changed": "thay đổi", "unchanged": "không đổi"}


def quarters(today: date | None = None) -> list[str]:
    """The quarters a template can be asked for, newest first: the current one and seven before."""
    return template.recent_quarters(today or date.today())


_agency_names = _cached(template.agency_names, depends=SHARED)  # (user_name) -> ['Sở Y tế']


def reporting_for(account: Account) -> list[str]:
    """The names of the agencies the account reports for (empty for an account without one)."""
    return _agency_names(account.user_name)


def reportable(account: Account, plan_code: str) -> list[str]:
    """The task numbers of the plan the account may report (every task for an admin)."""
    return reportable_tasks(account.user_name, plan_code)


def template_file(account: Account, plan_code: str, quarter: str) -> bytes:
    """The plan's report template for the account, as .xlsx bytes (its tasks only for an officer)."""
    return _read(lambda con: template.write_template(con, plan_code, account.user_name, quarter),
                 template.TemplateRefused, StoreError)


def template_name(plan_label: str, quarter: str) -> str:
    return template.file_name(plan_label, quarter)


def preview(account: Account, data: bytes, file_name: str) -> task_import.TaskPreview:
    """Check, read and compare a filled template; writes nothing but, for a file naming tasks
    of another agency, one audit event. An unexpected failure is logged and said in one
    sentence: never a traceback on the page."""
    return previewing(lambda con: task_import.preview(con, data, file_name, account.user_name), file_name,
                      UnsafeFile, reports.ReportRefused)


def commit(account: Account, pv: task_import.TaskPreview) -> str:
    """Record the preview's new and changed reports in one transaction; what was done, in a sentence."""
    upload_id = _write(lambda con: task_import.commit(con, pv, account.user_name), reports.ReportRefused)
    return task_import.committed_message(pv, upload_id)


def uploads(account: Account, limit: int = 20) -> pd.DataFrame:
    """The latest task uploads, newest first: every account's for an admin, the account's own
    otherwise (read fresh: an officer expects to see their upload at once)."""
    frame = _read(lambda con: reports.task_uploads(con, limit if account.is_admin else 500))
    if not account.is_admin:
        frame = frame[frame["user_name"] == account.user_name].head(limit)
    return frame.reset_index(drop=True)


def revert(account: Account, task_upload_id: int) -> str:
    """Admins: the reports before the upload are current again; what was done, in a sentence."""
    return revert_reports(account, int(task_upload_id))
