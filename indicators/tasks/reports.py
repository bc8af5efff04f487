"""Progress reports on tasks: checked, recorded in one transaction with history, reverted.

An officer reports only the tasks an agency of theirs leads (account_agency, set by an admin);
an admin reports any. A report is never updated: a new report on the same task and quarter is
a new step, and reverting an upload makes the reports before it current again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import pandas as pd

from indicators.auth import scope
from indicators.auth.accounts import AccountError, PermissionDenied, get_account
from indicators.store.audit import audit
from indicators.tasks.parse import quarter_bounds, quarter_of
from indicators.tasks.states import DONE, LABELS_VI, REPORTED

REPORT_ACTION = "task_report"
REFUSED_ACTION = "task_report_refused"
REVERT_ACTION = "task_revert"
MAX_TEXT = 2000   # a report's texts are short; a pasted document is a mistake


class ReportRefused(ValueError):
    """Reports that cannot be recorded; the message says which and why (nothing was written)."""


@dataclass
class TaskReport:
    """One report as typed: on a page or in a row of the template."""
    plan_code: str
    task_no: str
    period: str                     # the reporting quarter '2026-Q4'
    state: str                      # one of states.REPORTED
    result: str | None = None
    product_ref: str | None = None
    completed_on: date | None = None
    needs: str | None = None
    needs_from: str | None = None
    where: str = ""                 # 'Trang “Báo cáo”, dòng 7' for a sheet; '' for a form


@dataclass(frozen=True)
class Finding:
    """One thing check_report found: the report's field it is about, and the sentence."""
    field: str          # task_no, period, state, result, product_ref, completed_on, needs, needs_from
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Checked:
    errors: list[Finding] = field(default_factory=list)     # block the whole batch
    warnings: list[Finding] = field(default_factory=list)   # shown; recorded anyway


def _prefix(report: TaskReport) -> str:
    return f"{report.where}: " if report.where else ""


def check_report(report: TaskReport, task_nos: set[str], today: date) -> Checked:
    """The errors and warnings of one report, pure: each a Vietnamese sentence naming the task and
    why, with the field it is about (a sheet puts it on that column)."""
    out = Checked()
    at = _prefix(report)

    def error(fld: str, text: str) -> None:
        out.errors.append(Finding(fld, at + text))

    def warning(fld: str, text: str) -> None:
        out.warnings.append(Finding(fld, at + text))

    if report.task_no not in task_nos:
        error("task_no", f"không có nhiệm vụ “{report.task_no}” trong kế hoạch {report.plan_code}.")
    if report.state not in REPORTED:
        error("state", f"tình trạng “{report.state}” không có; chọn một trong: "
              + ", ".join(LABELS_VI[s] for s in REPORTED) + ".")
    try:
        first, _ = quarter_bounds(report.period)
        if first > today:
            error("period", f"quý {report.period} chưa bắt đầu (hôm nay {today:%d/%m/%Y}); chỉ báo cáo quý hiện tại "
                  "hoặc các quý đã qua.")
    except ValueError as exc:
        error("period", f"{exc}.")
    if report.completed_on is not None:
        if report.state not in DONE:
            error("completed_on", f"có ngày hoàn thành {report.completed_on:%d/%m/%Y} nhưng tình trạng không phải "
                  "“Hoàn thành”.")
        elif report.completed_on > today:
            error("completed_on", f"ngày hoàn thành {report.completed_on:%d/%m/%Y} ở tương lai.")
    for fld, name, text in (("result", "kết quả", report.result), ("product_ref", "văn bản/sản phẩm", report.product_ref),
                            ("needs", "kiến nghị", report.needs), ("needs_from", "cơ quan cần hỗ trợ", report.needs_from)):
        if text and len(text) > MAX_TEXT:
            error(fld, f"ô {name} dài {len(text)} ký tự; tối đa {MAX_TEXT}.")
    if report.state in DONE and not (report.product_ref or "").strip():
        warning("product_ref", f"nhiệm vụ {report.task_no} báo “{LABELS_VI[report.state]}” mà chưa ghi số, ngày văn bản "
                "hoặc sản phẩm.")
    if report.state == "blocked" and not (report.needs or "").strip():
        warning("needs", f"nhiệm vụ {report.task_no} báo “Vướng mắc” mà chưa ghi cần gì, từ cơ quan nào.")
    return out


def agencies_of(con: duckdb.DuckDBPyConnection, user_name: str) -> list[str]:
    return [r[0] for r in con.execute("select agency_code from account_agency where user_name = $u "
                                      "order by agency_code", {"u": user_name}).fetchall()]


def reportable_tasks(con: duckdb.DuckDBPyConnection, user_name: str, plan_code: str) -> list[str]:
    """The task numbers of the plan that the account may report on (every task for an admin)."""
    account = get_account(con, user_name)
    if account is None or not account.is_active or account.role == "viewer":
        return []
    if account.role == "admin":
        sql = "select task_no from plan_task where plan_code = $p order by position"
        return [r[0] for r in con.execute(sql, {"p": plan_code}).fetchall()]
    return [r[0] for r in con.execute(
        "select distinct t.task_no, t.position from plan_task t join task_agency ta using (plan_code, task_no) "
        "join account_agency aa on aa.agency_code = ta.agency_code "
        "where t.plan_code = $p and ta.role = 'lead' and aa.user_name = $u order by t.position",
        {"p": plan_code, "u": user_name}).fetchall()]


def refuse_out_of_scope(con: duckdb.DuckDBPyConnection, user_name: str, reports: list[TaskReport],
                         allowed: set[str], file_name: str | None) -> None:
    """PermissionDenied naming the tasks outside `allowed` and who leads them, after one
    `task_report_refused` audit event; nothing when every report is allowed."""
    outside = sorted({r.task_no for r in reports if r.task_no not in allowed},
                     key=lambda t: [int(x) if x.isdigit() else x for x in t.split(".")])
    if not outside:
        return
    mine = agencies_of(con, user_name)
    names = dict(con.execute("select agency_code, name_vi from agency").fetchall())
    theirs = ", ".join(names.get(a, a) for a in mine) or "chưa được gán cơ quan nào"
    leads = con.execute("select ta.task_no, string_agg(a.name_vi, '; ' order by ta.position) from task_agency ta "
                        "join agency a using (agency_code) where ta.plan_code = $p and ta.role = 'lead' "
                        "and ta.task_no in (select unnest($t)) group by ta.task_no",
                        {"p": reports[0].plan_code, "t": outside}).fetchall()
    led = "; ".join(f"{t}: {who}" for t, who in sorted(leads))
    source = f" (tệp “{file_name}”)" if file_name else ""
    audit(con, user_name, REFUSED_ACTION,
          f"báo cáo nhiệm vụ {', '.join(outside)} của kế hoạch {reports[0].plan_code}{source} bị từ chối: "
          f"tài khoản báo cáo cho {theirs}; cơ quan chủ trì {led}")
    raise PermissionDenied(f"Tài khoản “{user_name}” báo cáo cho {theirs}; không được báo cáo nhiệm vụ "
                           f"{', '.join(outside)} (cơ quan chủ trì – {led}). Không có báo cáo nào được ghi.")


def record(con: duckdb.DuckDBPyConnection, user_name: str, reports: list[TaskReport], *, source: str = "form",
           file_name: str | None = None, sha256: str | None = None, today: date | None = None,
           at: datetime | None = None) -> int:
    """Check and record the reports in one transaction; return the task_upload_id. `today` is
    the date the checks use and `at` the moment recorded (both now unless given: tests).

    PermissionDenied (audited) when the account may not report one of the tasks, ReportRefused
    listing every error when a report is wrong: in both cases nothing is written."""
    today = today or date.today()
    if not reports:
        raise ReportRefused("Không có báo cáo nào để ghi.")
    plans = {r.plan_code for r in reports}
    if len(plans) > 1:
        raise ReportRefused(f"Một lần báo cáo chỉ cho một kế hoạch; ở đây có {', '.join(sorted(plans))}.")
    account = scope.require_role(con, user_name, "officer", "báo cáo tiến độ nhiệm vụ")
    plan_code = reports[0].plan_code
    task_nos = {r[0] for r in con.execute("select task_no from plan_task where plan_code = $p",
                                          {"p": plan_code}).fetchall()}
    errors = [e.text for r in reports for e in check_report(r, task_nos, today).errors]
    seen: dict[tuple[str, str], str] = {}
    for r in reports:
        key = (r.task_no, r.period)
        if key in seen:
            errors.append(f"{_prefix(r)}nhiệm vụ {r.task_no}, quý {r.period} đã có ở {seen[key] or 'một dòng trên'}; "
                          "mỗi nhiệm vụ một báo cáo mỗi quý trong một lần gửi.")
        seen.setdefault(key, r.where)
    if errors:
        raise ReportRefused(f"Có {len(errors)} lỗi; chưa ghi báo cáo nào.\n" + "\n".join(errors))
    if account.role != "admin":
        refuse_out_of_scope(con, account.user_name, reports, set(reportable_tasks(con, account.user_name, plan_code)),
                             file_name)
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        now = at or cur.execute("select current_timestamp::timestamp").fetchone()[0]
        upload_id = cur.execute("select coalesce(max(task_upload_id), 0) + 1 from task_upload").fetchone()[0]
        cur.execute("insert into task_upload (task_upload_id, user_name, source, file_name, sha256, n_rows, uploaded_at) "
                    "values ($id, $u, $s, $f, $h, $n, $t)",
                    {"id": upload_id, "u": account.user_name, "s": source, "f": file_name, "h": sha256,
                     "n": len(reports), "t": now})
        frame = pd.DataFrame([{
            "plan_code": r.plan_code, "task_no": r.task_no, "period": r.period, "state": r.state,
            "result": _clean(r.result), "product_ref": _clean(r.product_ref), "completed_on": r.completed_on,
            "needs": _clean(r.needs), "needs_from": _clean(r.needs_from)} for r in reports])
        cur.register("new_reports", frame)
        cur.execute(
            "insert into task_report (plan_code, task_no, period, step, state, result, product_ref, completed_on, "
            "needs, needs_from, reported_by, reported_at, task_upload_id) "
            "select n.plan_code, n.task_no, n.period, coalesce((select max(step) from task_report r where "
            "r.plan_code = n.plan_code and r.task_no = n.task_no and r.period = n.period), 0) + 1, n.state, "
            "n.result, n.product_ref, n.completed_on::date, n.needs, n.needs_from, $u, $t, $id from new_reports n",
            {"u": account.user_name, "t": now, "id": upload_id})
        cur.unregister("new_reports")
        shown = ", ".join(f"{r.task_no} ({LABELS_VI[r.state]})" for r in reports[:10]) + (" …" if len(reports) > 10 else "")
        audit(cur, account.user_name, REPORT_ACTION,
              f"lần báo cáo nhiệm vụ số {upload_id}, kế hoạch {plan_code}"
              + (f", tệp “{file_name}”" + (f" SHA-256 {sha256[:12]}" if sha256 else "") if file_name else "")
              + f": {len(reports)} báo cáo – {shown}")
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    return int(upload_id)


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def revert(con: duckdb.DuckDBPyConnection, upload_id: int, user_name: str) -> str:
    """Admin only: mark a task upload reverted (audited); the reports before it are current again."""
    scope.require_role(con, user_name, "admin", "hoàn tác lần báo cáo nhiệm vụ")
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        row = cur.execute("select user_name, file_name, n_rows, reverted_at, reverted_by from task_upload "
                          "where task_upload_id = $id", {"id": upload_id}).fetchone()
        if row is None:
            raise ReportRefused(f"Không có lần báo cáo nhiệm vụ số {upload_id}.")
        if row[3] is not None:
            raise ReportRefused(f"Lần báo cáo nhiệm vụ số {upload_id} đã được hoàn tác lúc "
                                f"{row[3]:%H:%M ngày %d/%m/%Y} bởi {row[4]}; không hoàn tác lần nữa.")
        cur.execute("update task_upload set reverted_at = current_timestamp::timestamp, reverted_by = $u "
                    "where task_upload_id = $id", {"u": user_name, "id": upload_id})
        what = f"tệp “{row[1]}”" if row[1] else "gửi từ trang"
        audit(cur, user_name, REVERT_ACTION, f"hoàn tác lần báo cáo nhiệm vụ số {upload_id} ({what} của {row[0]}, "
              f"{row[2]} báo cáo)")
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    return f"Đã hoàn tác lần báo cáo nhiệm vụ số {upload_id}: các báo cáo trước đó lại là báo cáo hiện hành."


def task_uploads(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    return con.execute("select * from task_upload order by task_upload_id desc limit $n", {"n": limit}).df()


def current_quarter(today: date | None = None) -> str:
    return quarter_of(today or date.today())


def grant_agency(con: duckdb.DuckDBPyConnection, actor: str, user_name: str, agency_code: str) -> str:
    """Admin only: the account reports for the agency (audited)."""
    scope.require_role(con, actor, "admin", "gán cơ quan cho tài khoản")
    account = get_account(con, (user_name or "").strip().lower())
    if account is None:
        raise AccountError(f"Không có tài khoản “{user_name}”.")
    name = con.execute("select name_vi from agency where agency_code = $a", {"a": agency_code}).fetchone()
    if name is None:
        raise AccountError(f"Không có cơ quan “{agency_code}” trong danh mục.")
    if agency_code in agencies_of(con, account.user_name):
        return f"Tài khoản “{account.user_name}” đã báo cáo cho {name[0]} từ trước; không thay đổi."
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        cur.execute("insert into account_agency values ($u, $a, $by, current_timestamp::timestamp)",
                    {"u": account.user_name, "a": agency_code, "by": actor})
        audit(cur, actor, "account_change", f"gán cơ quan {name[0]} ({agency_code}) cho {account.user_name}: "
              "báo cáo các nhiệm vụ cơ quan này chủ trì")
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    return f"Tài khoản “{account.user_name}” từ nay báo cáo các nhiệm vụ do {name[0]} chủ trì."


def revoke_agency(con: duckdb.DuckDBPyConnection, actor: str, user_name: str, agency_code: str) -> str:
    scope.require_role(con, actor, "admin", "bỏ gán cơ quan của tài khoản")
    if agency_code not in agencies_of(con, user_name):
        raise AccountError(f"Tài khoản “{user_name}” không báo cáo cho cơ quan “{agency_code}”.")
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        cur.execute("delete from account_agency where user_name = $u and agency_code = $a",
                    {"u": user_name, "a": agency_code})
        audit(cur, actor, "account_change", f"bỏ gán cơ quan {agency_code} của {user_name}")
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    return f"Tài khoản “{user_name}” không còn báo cáo cho cơ quan “{agency_code}”."


def set_group_team(con: duckdb.DuckDBPyConnection, actor: str, plan_code: str, group_no: int,
                   team_no: int | None) -> str:
    """Admin only: which Tổ công tác follows a group of tasks (the plan may leave it open); audited."""
    scope.require_role(con, actor, "admin", "phân Tổ công tác cho nhóm nhiệm vụ")
    if team_no is not None and con.execute("select 1 from work_team where plan_code = $p and team_no = $t",
                                           {"p": plan_code, "t": team_no}).fetchone() is None:
        raise AccountError(f"Kế hoạch {plan_code} không có Tổ công tác số {team_no}.")
    old = con.execute("select team_no from task_group where plan_code = $p and group_no = $g",
                      {"p": plan_code, "g": group_no}).fetchone()
    if old is None:
        raise AccountError(f"Kế hoạch {plan_code} không có nhóm nhiệm vụ {group_no}.")
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        cur.execute("update task_group set team_no = $t where plan_code = $p and group_no = $g",
                    {"t": team_no, "p": plan_code, "g": group_no})
        audit(cur, actor, "task_change", f"kế hoạch {plan_code}, nhóm nhiệm vụ {group_no}: Tổ công tác "
              f"{old[0] if old[0] is not None else 'chưa phân'} → {team_no if team_no is not None else 'chưa phân'}")
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    return (f"Nhóm {group_no} giao Tổ công tác số {team_no}." if team_no is not None
            else f"Nhóm {group_no} để chưa phân Tổ.")

