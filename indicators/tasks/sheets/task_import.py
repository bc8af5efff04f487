"""Importing task reports from a workbook: preview, commit, and the command line's import_file.

- `preview(con, data, file_name, user_name)` refuses a dangerous file before parsing
  (excel.formats.check_file and excel.safety, as for indicators' uploads), reads the sheets
  (task_sheets), reads every cell (task_cells), checks each report (reports.check_report) and
  compares it with the report in force for the same task and quarter: new, changed or
  unchanged. Every problem names the sheet, the row and the column, the value found and what
  was expected. Rows whose columns to fill are all empty are skipped and counted. An officer's
  rows on tasks their agency does not lead are errors, and the whole attempt is refused up
  front (`TaskPreview.refusal`, naming the tasks and who leads them) and audited once, as
  reports.record would (`task_report_refused`). The preview writes nothing else.
- `commit(con, preview, user_name)` records the new and changed reports through
  reports.record (one transaction, source 'excel', the file's name and SHA-256; scope checked
  again there) and returns the task_upload_id; refused while any error remains.
"""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from indicators.auth import scope
from indicators.auth.accounts import PermissionDenied
from indicators.excel import formats, safety
from indicators.excel.importer import clean_file_name
from indicators.excel.validate import ERROR, WARNING, Findings, Problem
from indicators.store import gate
from indicators.store.connection import StoreError
from indicators.store.sql import query
from indicators.tasks import listing, reports
from indicators.tasks.sheets import task_cells
from indicators.tasks.parse import quarter_of
from indicators.tasks.reports import ReportRefused, TaskReport
from indicators.tasks.sheets.task_cells import CellProblem
from indicators.tasks.sheets.task_sheets import SheetRow, TaskSheets, read_task_sheets
from indicators.tasks.sheets.template import reports_in_force
from indicators.text import fmt

ACTION = "nhập báo cáo nhiệm vụ"
COMPARED = ("state", "result", "product_ref", "completed_on", "needs", "needs_from")


@dataclass
class RowChange:
    """A row read without error: its report and how it compares with the one in force."""
    sheet: str
    row: int
    report: TaskReport
    change: str                    # new | changed | unchanged
    old: dict | None = None        # the report in force for the same task and quarter


@dataclass
class TaskPreview(Findings):
    """What an import would record; nothing has been written (but the audit of a refusal)."""
    file_name: str
    sha256: str
    size_bytes: int
    user_name: str
    today: date
    file_format: str = "xlsx"
    notes: list[str] = field(default_factory=list)       # how a .csv was read
    sheets: list[str] = field(default_factory=list)
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)
    plan_code: str | None = None
    plan_number: str | None = None
    rows: list[RowChange] = field(default_factory=list)  # rows without error
    problems: list[Problem] = field(default_factory=list)
    n_rows: int = 0                # rows with something filled in
    n_blank: int = 0               # task rows left empty: skipped
    refusal: str | None = None     # why the account may not report some tasks of the file (audited)
    refused_tasks: list[str] = field(default_factory=list)
    already: dict | None = None    # an upload of the same bytes that still stands

    @property
    def n_rejected(self) -> int:
        return len({(p.sheet, p.row) for p in self.errors if p.row})

    def _n(self, change: str) -> int:
        return sum(1 for r in self.rows if r.change == change)

    @property
    def n_new(self) -> int:
        return self._n("new")

    @property
    def n_changed(self) -> int:
        return self._n("changed")

    @property
    def n_unchanged(self) -> int:
        return self._n("unchanged")

    @property
    def to_record(self) -> list[TaskReport]:
        return [r.report for r in self.rows if r.change != "unchanged"]

    @property
    def can_commit(self) -> bool:
        return not self.errors and self.refusal is None and bool(self.to_record)

    @property
    def notice(self) -> str | None:
        """Why a file without errors has nothing to record, in one sentence; None otherwise."""
        if self.errors:
            return None
        if not self.n_rows:
            return (f"Tệp “{self.file_name}” không có báo cáo nào: "
                    + (f"{fmt.number(self.n_blank, 0)} dòng nhiệm vụ đều để trống các ô cần điền (Tình trạng, Kết "
                       "quả …)." if self.n_blank else "không có dòng nào được điền."))
        if not self.to_record:
            done = self.already
            return (f"Không có gì thay đổi: cả {fmt.number(self.n_unchanged, 0)} báo cáo trong tệp “{self.file_name}” "
                    "đều trùng với báo cáo hiện hành" + (f" (tệp này đã được nhập ở lần báo cáo nhiệm vụ số "
                                                         f"{done['task_upload_id']})" if done else "")
                    + "; không tạo lần báo cáo mới.")
        return None

    def report_rows(self) -> list[dict]:
        """Every report read without error: where, the task and quarter, new/changed/unchanged, the
        state in force before (old_state) and the values read."""
        return [{"sheet": r.sheet, "row": r.row, "task_no": r.report.task_no, "period": r.report.period,
                 "change": r.change, "old_state": (r.old or {}).get("state"), "state": r.report.state,
                 "result": r.report.result, "product_ref": r.report.product_ref,
                 "completed_on": r.report.completed_on, "needs": r.report.needs, "needs_from": r.report.needs_from}
                for r in self.rows]

    def changes(self) -> pd.DataFrame:
        """The new and changed reports (report_rows), as the page lists them."""
        columns = ["sheet", "row", "task_no", "period", "change", "old_state", "state", "result", "product_ref",
                   "completed_on", "needs", "needs_from"]
        return pd.DataFrame([r for r in self.report_rows() if r["change"] != "unchanged"], columns=columns)

    def summary(self) -> dict:
        """Counts and every problem, as the command line's JSON prints them."""
        return {
            "file_name": self.file_name, "sha256": self.sha256, "format": self.file_format, "notes": self.notes,
            "sheets": self.sheets, "sheets_skipped": [{"sheet": n, "reason": r} for n, r in self.sheets_skipped],
            "plan_code": self.plan_code, "plan": self.plan_number,
            "n_rows": self.n_rows, "n_blank": self.n_blank, "n_new": self.n_new, "n_changed": self.n_changed,
            "n_unchanged": self.n_unchanged, "n_rejected": self.n_rejected,
            "n_errors": len(self.errors), "n_warnings": len(self.warnings),
            "refused": self.refusal, "refused_tasks": self.refused_tasks,
            "errors": [p.as_dict() for p in self.errors], "warnings": [p.as_dict() for p in self.warnings],
            "reports": [{**r, "completed_on": r["completed_on"].isoformat() if r["completed_on"] else None}
                        for r in self.report_rows()],
        }


# --- problems ------------------------------------------------------------------------------
def _problem(sheets: TaskSheets, row: SheetRow, fld: str | None, code: str, what: str,
             severity: str = ERROR) -> Problem:
    column = sheets.column(row.sheet, fld) if fld else ""
    value = "" if fld is None or row.cells.get(fld) is None else str(row.cells[fld])
    where = f"Trang “{row.sheet}”, dòng {row.row}" + (f", cột {column}" if column else "")
    return Problem(row.sheet, row.row, column, value, code, f"{where}: {what}.", severity)


def _check_problems(sheets: TaskSheets, row: SheetRow, findings: list[reports.Finding], severity: str,
                    skip: set[str] = frozenset()) -> list[Problem]:
    """check_report's findings as problems on their column; those about a field in `skip` are
    left out (they are about a stand-in for a cell that could not be read)."""
    prefix = f"Trang “{row.sheet}”, dòng {row.row}: "
    out = []
    for finding in findings:
        sentence, fld = finding.text, finding.field
        what = sentence[len(prefix):] if sentence.startswith(prefix) else sentence
        if fld in skip:
            continue
        out.append(_problem(sheets, row, fld if fld in row.cells else None, "check_" + (fld or "row"),
                            what.rstrip("."), severity))
    return out


# --- reading rows --------------------------------------------------------------------------
def _plan_of_rows(cur: duckdb.DuckDBPyConnection, sheets: TaskSheets
                  ) -> tuple[str | None, dict[tuple[str, int], Problem]]:
    """The plan the file reports on: the first its Kế hoạch cells name (a number or a code), and
    a problem for every row naming no known plan or another plan (a blank cell is the file's plan)."""
    problems: dict[tuple[str, int], Problem] = {}
    resolved: dict[str, str | StoreError] = {}
    first: tuple[str, SheetRow] | None = None
    for row in sheets.rows:
        text = task_cells.clean(row.cells.get("plan"))
        if text is None:
            continue
        if text not in resolved:
            try:
                resolved[text] = listing.resolve_plan(cur, text)
            except StoreError as exc:
                resolved[text] = exc
        code = resolved[text]
        if isinstance(code, StoreError):
            problems[(row.sheet, row.row)] = _problem(sheets, row, "plan", "unknown_plan", str(code).rstrip("."))
        elif first is None:
            first = (code, row)
        elif code != first[0]:
            problems[(row.sheet, row.row)] = _problem(
                sheets, row, "plan", "other_plan", f"kế hoạch “{text}” khác kế hoạch của dòng {first[1].row} trang "
                f"“{first[1].sheet}” ({first[0]}); mỗi tệp chỉ báo cáo cho một kế hoạch")
    return (first[0] if first else None), problems


def read_cells(sheets: TaskSheets, row: SheetRow, titles: dict[str, str]
               ) -> tuple[dict[str, object], set[str], list[Problem]]:
    """(the values read, the fields whose cell could not be read, the problems) of one row."""
    problems: list[Problem] = []
    values: dict[str, object] = {}
    failed: set[str] = set()
    readers = {"period": task_cells.read_quarter, "state": task_cells.read_state,
               "completed_on": task_cells.read_day, "result": task_cells.read_text,
               "product_ref": task_cells.read_text, "needs": task_cells.read_text,
               "needs_from": task_cells.read_text}
    for fld in ("task_no", *readers):
        values[fld] = None
        if fld not in row.cells:
            continue
        kind = row.kinds.get(fld, "")   # '' when the file does not say (not an .xlsx)
        try:
            if fld == "task_no":
                values[fld], warning = task_cells.read_task_no(row.cells[fld], kind, row.cells.get("title"), titles)
                if warning:
                    problems.append(_problem(sheets, row, fld, "task_number_cell", warning, WARNING))
            else:
                values[fld] = readers[fld](row.cells[fld], kind)
        except CellProblem as exc:
            failed.add(fld)
            problems.append(_problem(sheets, row, fld, exc.code, exc.what))
    return values, failed, problems


def read_row(sheets: TaskSheets, row: SheetRow, plan_code: str, titles: dict[str, str], today: date
             ) -> tuple[TaskReport | None, str | None, list[Problem]]:
    """One row as a checked report (None when it has an error), its task number (None when it
    cannot be read) and all its problems: every cell's, then reports.check_report's. When a cell cannot be read, the checks of the others
    still run on a stand-in for it (a future quarter beside an unreadable state is said at
    once); what depends on the stand-in, and the warnings, wait for a readable row."""
    values, failed, problems = read_cells(sheets, row, titles)
    report = TaskReport(plan_code, values["task_no"] or next(iter(titles), ""),
                        values["period"] or quarter_of(today), values["state"] or "done",
                        result=values["result"], product_ref=values["product_ref"],
                        completed_on=values["completed_on"], needs=values["needs"], needs_from=values["needs_from"],
                        where=f"Trang “{row.sheet}”, dòng {row.row}")
    checked = reports.check_report(report, set(titles), today)
    if failed:
        skip = failed | ({"completed_on"} if "state" in failed else set())
        problems += _check_problems(sheets, row, checked.errors, ERROR, skip)
        return None, values["task_no"], problems
    problems += _check_problems(sheets, row, checked.errors, ERROR)
    problems += _check_problems(sheets, row, checked.warnings, WARNING)
    return (None if checked.errors else report), values["task_no"], problems


def _duplicates(sheets: TaskSheets, read: list[tuple[SheetRow, TaskReport]]) -> list[Problem]:
    """Errors for a task and quarter reported on two rows of the file (the second and later)."""
    seen: dict[tuple[str, str], SheetRow] = {}
    out = []
    for row, report in read:
        key = (report.task_no, report.period)
        if key in seen:
            first = seen[key]
            out.append(_problem(sheets, row, "task_no", "duplicate_report", f"nhiệm vụ {report.task_no}, "
                                f"{fmt.period(report.period)} đã có ở dòng {first.row} trang “{first.sheet}”; mỗi "
                                "nhiệm vụ một báo cáo mỗi quý trong một tệp"))
        else:
            seen[key] = row
    return out


# --- comparing with the reports in force -----------------------------------------------------
def _value(v):
    """A stored value as a report holds it: None for null, a date for a timestamp."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):   # NaN, NaT (a NaT is a datetime too)
        return None
    return v.date() if isinstance(v, datetime) else v   # a pandas Timestamp is a datetime


def _in_force(cur: duckdb.DuckDBPyConnection, plan_code: str) -> dict[tuple[str, str], dict]:
    frame = reports_in_force(cur, plan_code)
    return {(r["task_no"], r["period"]): {k: _value(r[k]) for k in COMPARED}
            for r in frame.to_dict("records")}


def classify(report: TaskReport, old: dict | None) -> str:
    """new (no report in force for the task and quarter), unchanged (the same values, texts
    compared trimmed) or changed."""
    if old is None:
        return "new"
    mine = {"state": report.state, "result": task_cells.clean(report.result),
            "product_ref": task_cells.clean(report.product_ref), "completed_on": report.completed_on,
            "needs": task_cells.clean(report.needs), "needs_from": task_cells.clean(report.needs_from)}
    return "unchanged" if all(mine[k] == old.get(k) for k in COMPARED) else "changed"


def _already(cur: duckdb.DuckDBPyConnection, sha: str) -> dict | None:
    row = cur.execute(query("task_upload_by_sha"), {"sha": sha}).fetchone()
    return None if row is None else dict(zip(("task_upload_id", "user_name", "uploaded_at", "file_name"), row))


# --- scope ---------------------------------------------------------------------------------
def _refuse_scope(cur: duckdb.DuckDBPyConnection, pv: TaskPreview, named: list[tuple[SheetRow, str]],
                  sheets: TaskSheets, tasks: pd.DataFrame) -> list[Problem]:
    """For an officer: an error on every row naming a task their agency does not lead (whatever
    else is wrong with the row), and the attempt refused and audited once, in reports' own words
    (`task_report_refused`)."""
    allowed = set(reports.reportable_tasks(cur, pv.user_name, pv.plan_code))
    outside = [(row, task_no) for row, task_no in named if task_no not in allowed]
    if not outside:
        return []
    try:   # the same sentence and audit event as a refused reports.record
        reports.refuse_out_of_scope(cur, pv.user_name, [TaskReport(pv.plan_code, t, "", "") for _, t in outside],
                                     allowed, pv.file_name)
    except PermissionDenied as exc:
        pv.refusal = str(exc)
    pv.refused_tasks = sorted({t for _, t in outside}, key=lambda t: [int(x) if x.isdigit() else 0
                                                                      for x in t.split(".")])
    leads = {t: "; ".join(names) for t, names in zip(tasks["task_no"], tasks["lead_agencies"])}
    whose = "cơ quan của tài khoản" if reports.agencies_of(cur, pv.user_name) else \
        "tài khoản (chưa được gán cơ quan nào)"
    return [_problem(sheets, row, "task_no", "out_of_scope", f"nhiệm vụ {t} do {leads.get(t, '?')} chủ trì, không "
                     f"phải {whose}; không được báo cáo") for row, t in outside]


# --- the procedure -------------------------------------------------------------------------
def preview(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, user_name: str, *,
            today: date | None = None) -> TaskPreview:
    """Check, read and compare a workbook of task reports; see the module doc. Raises
    PermissionDenied (audited) for an account that may not report at all, and
    excel.safety.UnsafeFile for a refused file (nothing is written for it)."""
    today = today or date.today()
    cur = con.cursor()
    account = scope.require_role(cur, user_name, "officer", ACTION)
    pv, sheets = _read_file(data, clean_file_name(file_name), user_name, today)
    pv.plan_code, plan_problems = _plan_of_rows(cur, sheets)
    pv.problems += list(plan_problems.values())
    if pv.plan_code is None:
        if sheets.rows and not plan_problems:
            row = sheets.rows[0]
            pv.problems.append(_problem(sheets, row, "plan" if "plan" in row.cells else None, "missing_plan",
                                        "không rõ báo cáo cho kế hoạch nào: cần cột “Kế hoạch” ghi số hiệu (như "
                                        "71/KH-UBND) hoặc mã kế hoạch"))
        return pv
    tasks = listing.task_list(cur, pv.plan_code, today)
    pv.plan_number = tasks["plan_number"].iloc[0] if len(tasks) else pv.plan_code
    rows = [row for row in sheets.rows if (row.sheet, row.row) not in plan_problems]   # another plan's: said
    read, named = _read_reports(pv, sheets, rows, dict(zip(tasks["task_no"], tasks["title"])), today)
    pv.problems += _duplicates(sheets, read)
    if account.role != "admin":
        pv.problems += _refuse_scope(cur, pv, named, sheets, tasks)
    _compare(cur, pv, read)
    order = {name: i for i, name in enumerate(pv.sheets)}   # errors first, then as the file reads
    pv.problems.sort(key=lambda p: (p.severity != ERROR, order.get(p.sheet, -1), p.row or 0))
    return pv


def _read_file(data: bytes, file_name: str, user_name: str, today: date) -> tuple[TaskPreview, TaskSheets]:
    """The file checked (excel.formats.check_file: UnsafeFile) and its task sheets read."""
    info = formats.check_file(data, file_name)
    sheets = read_task_sheets(data, info)
    pv = TaskPreview(file_name=file_name, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                     user_name=user_name, today=today, file_format=info.format, notes=list(info.notes),
                     sheets=sheets.sheets_read, sheets_skipped=sheets.sheets_skipped, n_blank=sheets.n_blank,
                     n_rows=len(sheets.rows), problems=list(sheets.problems))
    if not sheets.sheets_read:
        pv.problems.append(Problem("", None, "", "", "no_header", f"Tệp “{file_name}” không có trang nào có hàng "
                                   "tiêu đề báo cáo nhiệm vụ (các cột Số nhiệm vụ, Quý báo cáo, Tình trạng): hãy dùng "
                                   "tệp mẫu tải về từ trang “Báo cáo nhiệm vụ”.", ERROR))
    return pv, sheets


def _read_reports(pv: TaskPreview, sheets: TaskSheets, rows: list[SheetRow], titles: dict[str, str], today: date
                  ) -> tuple[list[tuple[SheetRow, TaskReport]], list[tuple[SheetRow, str]]]:
    """(the rows read as checked reports, every row whose task number was read with that number);
    the rows' problems are added to the preview."""
    read, named = [], []
    for row in rows:
        report, task_no, problems = read_row(sheets, row, pv.plan_code, titles, today)
        pv.problems += problems
        if task_no is not None:
            named.append((row, task_no))
        if report is not None:
            read.append((row, report))
    return read, named


def _compare(cur: duckdb.DuckDBPyConnection, pv: TaskPreview, read: list[tuple[SheetRow, TaskReport]]) -> None:
    """The preview's rows: each report without error, new, changed or unchanged against the
    report in force for its task and quarter; and an earlier upload of the same bytes."""
    bad = {(p.sheet, p.row) for p in pv.errors}
    in_force = _in_force(cur, pv.plan_code)
    for row, report in read:
        if (row.sheet, row.row) not in bad:
            old = in_force.get((report.task_no, report.period))
            pv.rows.append(RowChange(row.sheet, row.row, report, classify(report, old), old))
    pv.already = _already(cur, pv.sha256)


def commit(con: duckdb.DuckDBPyConnection, pv: TaskPreview, user_name: str) -> int:
    """Record the previewed new and changed reports as one task upload; return its id.

    ReportRefused while errors remain or when nothing is new (compared again now: another
    upload may have landed since the preview); PermissionDenied for a file refused for scope
    (audited by the preview) or a preview made for another account. reports.record checks the
    account and its agencies again, in its own transaction."""
    if pv.user_name != user_name:
        raise PermissionDenied(f"Bản xem trước của tệp “{pv.file_name}” là của tài khoản “{pv.user_name}”; "
                               f"tài khoản “{user_name}” không ghi được.")
    if pv.refusal:
        raise PermissionDenied(pv.refusal)
    if pv.errors:
        raise ReportRefused(f"Tệp “{pv.file_name}” còn {fmt.number(len(pv.errors), 0)} lỗi ở "
                            f"{fmt.number(pv.n_rejected, 0)} dòng; chưa ghi báo cáo nào. Hãy sửa các lỗi rồi tải lên lại.")
    in_force = _in_force(con.cursor(), pv.plan_code) if pv.plan_code else {}
    wanted = [r.report for r in pv.rows
              if classify(r.report, in_force.get((r.report.task_no, r.report.period))) != "unchanged"]
    if not wanted:
        raise ReportRefused(pv.notice or f"Tệp “{pv.file_name}” không có báo cáo mới nào; không tạo lần báo cáo mới.")
    return reports.record(con, user_name, wanted, source="excel", file_name=pv.file_name, sha256=pv.sha256,
                          today=pv.today)


def committed_message(pv: TaskPreview, upload_id: int) -> str:
    return (f"Đã ghi lần báo cáo nhiệm vụ số {upload_id} (tệp “{pv.file_name}”, kế hoạch "
            f"{fmt.plan_number(pv.plan_number)}): {fmt.number(pv.n_new, 0)} báo cáo mới, "
            f"{fmt.number(pv.n_changed, 0)} thay đổi, {fmt.number(pv.n_unchanged, 0)} không đổi.")


def import_file(source: duckdb.DuckDBPyConnection | Path | str, path: str | Path, user_name: str, *,
                dry_run: bool = False, today: date | None = None) -> tuple[TaskPreview, int | None]:
    """Preview a file and, unless `dry_run` or anything blocks it, commit it (what the command
    line does). `source` is a connection, or a database (file or URL): then the preview reads
    through store.gate beside the app and other readers, and only the commit writes."""
    path = Path(path)
    safety.check_size(path.stat().st_size, path.name)   # before reading a huge file into memory
    data = path.read_bytes()
    if isinstance(source, duckdb.DuckDBPyConnection):
        reading = writing = lambda: contextlib.nullcontext(source)
    else:
        reading, writing = (lambda: gate.reading(source)), (lambda: gate.writing(source))
    with reading() as con:
        pv = preview(con, data, path.name, user_name, today=today)
    if dry_run or not pv.can_commit:
        return pv, None
    with writing() as con:
        return pv, commit(con, pv, user_name)
