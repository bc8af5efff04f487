"""Excel import against the store: preview, commit, revert, history.

- `preview(con, data, file_name, user_name)` checks the file (formats.check_file: .xlsx, .xls,
  .ods, .xlsb or .csv, told from its bytes; `Preview.notes` says how a .csv was decoded), reads it
  (workbook), validates it (validate) and compares it with the current values: counts of new,
  changed (old → new), unchanged and rejected rows. It writes no values and no upload; its only
  write is one `upload_refused` audit event when rows are refused for a reason listed in
  REFUSAL_REASONS (outside the uploader's scope…): the attempt itself is what is audited.
- `commit(con, preview, user_name, confirm_warnings=...)` writes it in ONE transaction (all
  rows or none), refusing while any error remains or warnings are unconfirmed, and re-checks
  the uploader's scope with scope.require_write so a crafted call cannot bypass the preview.
  A file whose SHA-256 matches a committed upload changes nothing.
- `revert(con, upload_id, user_name)` (admin) marks an upload reverted, so the previous
  values are current again.

An approved reporting period is locked (auth.approval): the preview refuses its rows one by one
('locked_period', saying who approved it and when, and whom to ask), like rows outside the
scope, so the file is not committed until they are removed or the period is returned; the
commit checks the locks again on the rows it is about to write (a period approved since the
preview), and a revert of an upload holding values of a locked period is refused.

Writes are serialised by a module-level lock (one process, many Streamlit threads) and, across
processes, by store.gate (the app and the command line take turns on the file); each operation
uses its own cursor. The overview's caches of current values are brought up to date inside the
commit's or the revert's own transaction: a crash leaves both or neither.
"""
from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from indicators.auth import approval, scope
from indicators.excel import formats, mappings, workbook
from indicators.excel.cells import normalise_code
from indicators.excel.reader import EarlyRead
from indicators.text import fmt
from indicators.excel import safety
from indicators.progress.scorecard import refresh_current_observations
from indicators.store import gate
from indicators.store.audit import audit
from indicators.store.sql import query
from indicators.excel.validate import WARNING, Catalogue, Problem, Validation, validate
from indicators.auth.accounts import PermissionDenied

ACTION = "nhập số liệu"
_WRITE_LOCK = threading.Lock()

# Validation codes whose rows are refused as a matter of permission, not of a mistake in the
# file: an attempt with any such row is audited (`upload_refused`), one event per attempt. A new
# reason (a locked, approved reporting period…) is one entry here: code -> what the audit says.
REFUSAL_REASONS = {
    "out_of_scope": "ngoài phạm vi địa phương được giao",
    "locked_period": "kỳ báo cáo đã được duyệt (đã khóa)",
}
REFUSED_ACTION = "upload_refused"


class ImportRefused(Exception):
    """A commit or revert that did not happen; the message is a Vietnamese sentence."""


@dataclass(frozen=True)
class Refusal:
    """Rows refused for one reason of REFUSAL_REASONS: the code, how many rows, which localities."""
    reason: str
    n_rows: int
    localities: list[str]

    @property
    def label(self) -> str:
        return REFUSAL_REASONS[self.reason]


@dataclass
class Preview:
    """What an import would do; no value has been written (see `refusals` for the audit)."""
    file_name: str
    sha256: str
    size_bytes: int
    user_name: str
    sheets: list[str]
    validation: Validation
    diff: pa.Table                          # clean rows + old_value + change (new/changed/unchanged)
    already_committed: dict | None = None   # the committed upload with the same SHA-256, if any
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)   # (sheet, 'template'|'text_only')
    data_version: tuple = ()                # the store's uploads as of the preview (see _data_version)
    refusals: list[Refusal] = field(default_factory=list)   # audited as one `upload_refused` event
    file_format: str = "xlsx"                # formats.check_file: xlsx | xls | ods | xlsb | csv
    notes: list[str] = field(default_factory=list)   # how the file was read (a .csv's encoding, delimiter)
    layouts: list[dict] = field(default_factory=list)   # report sheets: layout.SheetLayout.understanding()

    @property
    def problems(self) -> list[Problem]:
        return self.validation.problems

    @property
    def errors(self) -> list[Problem]:
        return self.validation.errors

    @property
    def warnings(self) -> list[Problem]:
        return self.validation.warnings

    @property
    def n_rows(self) -> int:
        return self.validation.n_rows

    @property
    def n_rejected(self) -> int:
        return self.validation.n_rejected

    @cached_property
    def _diff_counts(self) -> dict[str, int]:
        return _counts(self.diff)   # the diff never changes after the preview: count it once

    def _count(self, change: str) -> int:
        return self._diff_counts.get(change, 0)

    @property
    def n_new(self) -> int:
        return self._count("new")

    @property
    def n_changed(self) -> int:
        return self._count("changed")

    @property
    def n_unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def changes(self) -> pd.DataFrame:
        """Changed rows: locality, indicator, period, old value → new value."""
        cols = ["locality_code", "indicator_code", "period", "old_value", "value", "sheet", "row"]
        if self.diff.num_rows == 0:
            return pd.DataFrame(columns=cols)
        return self.diff.filter(pc.equal(self.diff["change"], "changed")).select(cols).to_pandas()

    @property
    def localities(self) -> list[str]:
        return sorted(set(self.validation.rows["locality_code"])) if len(self.validation.rows) else []

    @property
    def has_changes(self) -> bool:
        """Something new or changed: a file that only repeats current values is not an upload."""
        return self.n_new + self.n_changed > 0

    @property
    def can_commit(self) -> bool:
        return (not self.errors and self.already_committed is None and len(self.validation.rows) > 0
                and self.has_changes)

    @property
    def notice(self) -> str | None:
        """Why a file without errors has nothing to commit (already imported, no values, nothing
        new), as one sentence; None otherwise."""
        if self.already_committed:
            return already_message(self.already_committed)
        if self.errors:
            return None
        if self.validation.rows.empty and not self.sheets:
            return (f"Tệp “{self.file_name}” không có dòng số liệu nào để nhập: không trang nào có hàng tiêu đề "
                    "với các cột Mã địa phương, Mã chỉ tiêu, Kỳ báo cáo, Giá trị (hãy dùng tệp mẫu tải về từ hệ thống).")
        if self.validation.rows.empty:
            return "Tệp không có dòng số liệu nào để nhập (các ô Giá trị đều trống)."
        if not self.has_changes:
            return no_change_message(self.file_name, self.n_unchanged)
        return None

    def summary(self) -> dict:
        """Counts and every problem, as the CLI's JSON prints them."""
        return {
            "file_name": self.file_name, "sha256": self.sha256, "format": self.file_format, "notes": self.notes,
            "sheets": self.sheets,
            "sheets_skipped": [{"sheet": n, "reason": r} for n, r in self.sheets_skipped],
            "report_sheets": self.layouts,   # how each officer's own sheet was read (excel/layout.py)
            "n_rows": self.n_rows, "n_new": self.n_new, "n_changed": self.n_changed,
            "n_unchanged": self.n_unchanged, "n_rejected": self.n_rejected,
            "n_errors": len(self.errors), "n_warnings": len(self.warnings),
            "already_committed_upload_id": (self.already_committed or {}).get("upload_id"),
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
        }


@dataclass
class CommitResult:
    upload_id: int | None
    n_new: int
    n_changed: int
    n_unchanged: int
    message: str
    already_committed: bool = False
    localities: list[str] = field(default_factory=list)


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back, keeping the original error if the transaction is already gone."""
    try:
        cur.execute("rollback")
    except duckdb.Error:
        pass


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_catalogue(cur: duckdb.DuckDBPyConnection) -> Catalogue:
    indicators = cur.execute(query("import_indicators")).df().set_index("indicator_code")
    localities = dict(cur.execute(query("import_localities")).fetchall())
    return Catalogue(indicators=indicators, localities=localities)


def _history(cur: duckdb.DuckDBPyConnection, localities: set[str]) -> pd.DataFrame:
    """Per locality × indicator of these localities: n_values, median_value, mad_value."""
    return cur.execute(query("import_history_stats"), {"localities": sorted(localities)}).df()


def _counts(diff: pa.Table) -> dict[str, int]:
    if diff.num_rows == 0:
        return {}
    return {r["values"]: r["counts"] for r in pc.value_counts(diff["change"]).to_pylist()}


def _diff(cur: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> pa.Table:
    """The rows beside their key's current value (Arrow end to end: pandas object columns
    would cost DuckDB a Python conversion per cell)."""
    cur.register("import_rows", pa.Table.from_pandas(rows, preserve_index=False))
    try:
        return cur.execute(query("import_diff")).to_arrow_table()
    finally:
        cur.unregister("import_rows")


def _moved_since_preview(before: pa.Table, now: pa.Table) -> int:
    """Keys whose current value changed between the preview and the commit (another upload)."""
    key = ["locality_code", "indicator_code", "period"]
    a = before.select([*key, "old_value"]).to_pandas()
    b = now.select([*key, "old_value"]).to_pandas()
    both = a.merge(b, on=key, suffixes=("_then", "_now"))
    then, now_ = both["old_value_then"], both["old_value_now"]
    return int(((then != now_) & ~(then.isna() & now_.isna())).sum())


def _data_version(cur: duckdb.DuckDBPyConnection) -> tuple:
    """Changes whenever an upload is committed or reverted: a preview's diff is reused at commit
    time only if nothing changed since."""
    return tuple(cur.execute("select max(upload_id), count(*) filter (where state <> 'committed') "
                             "from upload").fetchone())


def _already(cur: duckdb.DuckDBPyConnection, sha: str) -> dict | None:
    row = cur.execute(query("committed_upload_by_sha"), {"sha": sha}).fetchone()
    if row is None:
        return None
    return {"upload_id": row[0], "user_name": row[1], "uploaded_at": row[2], "file_name": row[3]}


def already_message(found: dict) -> str:
    when = found["uploaded_at"].strftime("%H:%M ngày %d/%m/%Y") if found.get("uploaded_at") else ""
    return (f"Tệp này đã được nhập trước đây (lần nhập số {found['upload_id']}, tệp “{found['file_name']}”, "
            f"bởi {found['user_name']}, lúc {when}); không có thay đổi nào.")


def clean_file_name(name: str) -> str:
    """The uploaded file's name as recorded and shown: its last path part, control characters as
    "_", at most 200 characters (the browser sends whatever the officer's system had)."""
    name = re.split(r"[\\/]", str(name))[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "_", name)
    name = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", name).strip() or "tệp không tên.xlsx"  # bidi tricks
    return name if len(name) <= 200 else name[:190] + "…" + name[-9:]


def no_change_message(file_name: str, n_unchanged: int) -> str:
    return (f"Không có gì thay đổi: cả {fmt.number(n_unchanged, 0)} giá trị trong tệp “{file_name}” đều đã có sẵn "
            "với đúng giá trị này; không tạo lần nhập mới.")


def refusals(checked: Validation) -> list[Refusal]:
    """The rows refused for each reason of REFUSAL_REASONS (in that order), with the localities
    they name. Generic: a reason's problem may sit on any column (scope on the code, a locked
    period on the period); the locality is the one validation read for that row."""
    out = []
    for reason in REFUSAL_REASONS:
        rows = {(p.sheet, p.row) for p in checked.errors if p.code == reason and p.row}
        if rows:
            places = {checked.rejected_localities.get(r) for r in rows} - {None}
            out.append(Refusal(reason, len(rows), sorted(places)))
    return out


def _shown_codes(codes: list[str], limit: int = 10) -> str:
    return ", ".join(codes[:limit]) + (" …" if len(codes) > limit else "")


def refusal_detail(file_name: str, sha256: str, n_rows: int, refused: list[Refusal], n_refused: int, *,
                   dry_run: bool = False) -> str:
    """The audit sentence of a refused attempt: the file (clean name, SHA-256 prefix), how many of
    its rows were refused and, per reason, how many and for which localities (the first 10)."""
    reasons = "; ".join(f"{r.label}: {fmt.number(r.n_rows, 0)} dòng"
                        + (f", địa phương {_shown_codes(r.localities)}" if r.localities else "")
                        for r in refused)
    return ("kiểm tra thử (--dry-run): " if dry_run else "") + (
        f"tệp “{file_name}” (SHA-256 {sha256[:12]}…): {fmt.number(n_refused, 0)} trong "
        f"{fmt.number(n_rows, 0)} dòng số liệu bị từ chối – {reasons}; không dòng nào được nhập")


def _audit_refused(con: duckdb.DuckDBPyConnection, user_name: str, detail: str, refused: list[Refusal]) -> None:
    """The single `upload_refused` event of an attempt, in a statement (and transaction) of its own."""
    localities = sorted({c for r in refused for c in r.localities})
    with _WRITE_LOCK:
        audit(con.cursor(), user_name, REFUSED_ACTION, detail, locality_code=localities[0] if localities else None)


def preview(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, user_name: str, *,
            today: date | None = None, dry_run: bool = False, locality: str | None = None,
            mapping: dict[str, dict] | None = None) -> Preview:
    """Check, read, validate and compare a workbook. Writes no value and no upload.

    A report sheet (periods as columns, excel/layout.py) is read too: its figures belong to the
    locality its title names, else `locality` (chosen on the page, `--locality`), else the
    account's own. `mapping` ({signature: overrides}) corrects its reading now; a mapping
    confirmed before (excel/mappings.py) is used by itself. `Preview.layouts` says how each
    such sheet was read.

    Raises scope.PermissionDenied for an account that cannot upload (logged by auth) and
    safety.UnsafeFile for a refused file (nothing is written for it).

    Refused rows are audited here, because the preview is the attempt: whatever follows (a
    commit that is then impossible, a CLI --dry-run, an officer who closes the page) the attempt
    has happened, and the page (one preview per file per session) and the CLI (import_file)
    both come through here, so each attempt leaves exactly one event. When any row is refused
    for a reason in REFUSAL_REASONS, one `upload_refused` event (who, file, SHA-256, rows and
    localities per reason; `dry_run` says it was only a check) is written after validation, in
    its own statement: nothing else is written, and the upload and observation tables stay
    untouched. Other errors (an unknown indicator…) are the officer's to fix, not audited.
    """
    cur = con.cursor()
    account = scope.require_role(cur, user_name, "officer", ACTION)
    file_name = clean_file_name(file_name)
    # A large .xlsx is parsed by the reader's worker while this process checks it (~0,1 s of
    # a 100k-row file); what it read is used only once the checks have passed.
    early = EarlyRead(data) if formats.read_early(data, file_name) else None
    try:
        info = formats.check_file(data, file_name)
        if locality is not None:
            locality = normalise_code(locality)
            if not scope.writable(cur, account, {locality}):
                audit(con, user_name, "denied", f"{ACTION}: địa phương {locality} ngoài phạm vi")
                raise PermissionDenied(f"Tài khoản “{user_name}” không được nhập số liệu cho địa phương mã "
                                       f"“{locality}” (ngoài phạm vi của tài khoản).")
        read = workbook.read_workbook(data, info, lambda: mappings.wide_context(cur, account, locality=locality,
                                                                                overrides=mapping), early)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    catalogue = load_catalogue(cur)
    # Every code the file names, in either code column: a blank "Mã xã" is filled in from "Mã tỉnh".
    named = {normalise_code(v) for column in ("locality_code", "province_code")
             for v in set(read.rows[column].dropna().unique())}
    codes = named | {c.zfill(5) for c in named if c.isdigit()}   # "4" under a Mã xã header is 00004
    writable = scope.writable(cur, account, codes & catalogue.localities.keys())
    history = _history(cur, codes)
    locked = {key: lock.message for key, lock in approval.locked_periods(cur, writable).items()}
    checked = validate(read, catalogue, writable, history, today or date.today(), locked)
    if info.format in ("xls", "xlsb"):
        checked.problems += _maybe_percent_cells(checked.rows, catalogue, info.format)
    if info.format in ("xls", "xlsb", "ods"):
        checked.problems += _maybe_year_dates(read.rows, info.format)
    sha = sha256_of(data)
    refused = refusals(checked)
    if refused:   # audited at once: the attempt has happened whatever follows
        n_refused = len({(p.sheet, p.row) for p in checked.errors if p.code in REFUSAL_REASONS and p.row})
        _audit_refused(con, user_name, refusal_detail(file_name, sha, checked.n_rows, refused, n_refused,
                                                      dry_run=dry_run), refused)
    version = _data_version(cur)
    return Preview(file_name=file_name, sha256=sha, size_bytes=len(data), user_name=user_name,
                   sheets=read.sheets_read, sheets_skipped=read.sheets_skipped, validation=checked,
                   diff=_diff(cur, checked.rows),
                   already_committed=_already(cur, sha), data_version=version, refusals=refused,
                   file_format=info.format, notes=info.notes,
                   layouts=[layout.understanding() for layout in read.layouts])


def _maybe_percent_cells(rows: pd.DataFrame, catalogue: Catalogue, file_format: str) -> list[Problem]:
    """Warnings for figures of a percentage indicator between 0 and 1 in a file whose cells' number
    formats the reader cannot see (.xls, .xlsb): a cell shown as 95% holds 0.95, which would be
    stored as 0,95 %. The officer checks and confirms (or saves the file as .xlsx, read exactly)."""
    if rows.empty:
        return []
    kinds = catalogue.indicators["value_kind"]
    percent = rows["indicator_code"].map(kinds).eq("percent") & rows["value"].gt(0) & rows["value"].le(1)
    def exact(v: float) -> str:   # every decimal the cell holds (0,955, not 0,96)
        text = repr(round(float(v), 6))
        return fmt.number(v, len(text.split(".")[1].rstrip("0")) if "." in text else 0)

    out = []
    for r in rows[percent.fillna(False)].itertuples():
        shown, as_percent = exact(r.value), exact(r.value * 100)
        out.append(Problem(r.sheet, int(r.row), "", shown, "maybe_percent_cell",
                           f"Trang “{r.sheet}”, dòng {r.row}: giá trị {shown} của chỉ tiêu tỷ lệ "
                           f"“{catalogue.indicators.at[r.indicator_code, 'name_vi']}” có thể là ô định dạng phần trăm "
                           f"(95% được lưu là 0,95), mà tệp .{file_format} không cho biết định dạng ô; nếu đúng là "
                           f"{shown}% thì xác nhận, nếu là {as_percent}% hãy sửa số hoặc "
                           "lưu tệp thành .xlsx rồi tải lên lại.", WARNING))
    return out


def _maybe_year_dates(rows: pd.DataFrame, file_format: str) -> list[Problem]:
    """Warnings for period cells that are the date 1 January in a file whose cells' number formats
    the reader cannot see: Excel shows such a cell formatted `yyyy` as “2026”, which the officer
    means as the year, and it would be stored as January 2026 (.xlsx cells are read as shown)."""
    if rows.empty:
        return []
    jan1 = rows["period"].astype("string").str.fullmatch(r"\s*\d{4}-01-01(?: 00:00:00)?\s*").fillna(False)
    return [Problem(r.sheet, int(r.row), "", str(r.period), "maybe_year_date",
                    f"Trang “{r.sheet}”, dòng {r.row}: kỳ báo cáo là ngày 01/01/{str(r.period).strip()[:4]}, đọc thành "
                    f"tháng 1/{str(r.period).strip()[:4]}; nếu ô hiển thị năm ({str(r.period).strip()[:4]}) thì tệp "
                    f".{file_format} không cho biết điều đó: hãy gõ năm thành chữ trong ô hoặc lưu tệp thành .xlsx rồi "
                    "tải lên lại; nếu đúng là tháng 1 thì xác nhận.", WARNING)
            for r in rows[jan1].itertuples()]


def refresh_overview_cache(con: duckdb.DuckDBPyConnection) -> dict:
    """Bring the overview's cache of current values (scorecard.refresh_current_observations) up
    to date in a transaction of its own: at start-up and after `init-db`, for a cache left behind
    (a process killed between two transactions, a database from an older version), and after a
    change of target years. Returns the refresh's mode ('none' when it was already current)."""
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        done = refresh_current_observations(cur)
        cur.execute("commit")
    except BaseException:
        _rollback(cur)
        raise
    return done


def commit(con: duckdb.DuckDBPyConnection, pv: Preview, user_name: str, *,
           confirm_warnings: bool = False, refresh_cache: bool = True) -> CommitResult:
    """Write the previewed rows as one upload, in one transaction; see the module docstring.

    Raises ImportRefused (errors, unconfirmed warnings, nothing to import) or
    scope.PermissionDenied (outside the account's scope; logged). New and changed rows are
    appended with the new upload id; unchanged ones are only counted.
    """
    if pv.errors:
        raise ImportRefused(f"Tệp “{pv.file_name}” còn {len(pv.errors)} lỗi ở {pv.n_rejected} dòng; chưa nhập "
                            "dòng nào. Hãy sửa các lỗi trong danh sách rồi tải lên lại.")
    if pv.warnings and not confirm_warnings:
        raise ImportRefused(f"Tệp “{pv.file_name}” có {len(pv.warnings)} cảnh báo cần xác nhận trước khi nhập: "
                            "hãy kiểm tra và đánh dấu “Tôi đã kiểm tra và xác nhận các cảnh báo”.")
    rows = pv.validation.rows
    if rows.empty:
        raise ImportRefused(f"Tệp “{pv.file_name}” không có dòng số liệu nào để nhập (các ô Giá trị đều trống).")
    with _WRITE_LOCK:
        cur = con.cursor()
        cur.execute("begin transaction")
        try:
            found = _already(cur, pv.sha256)
            if found:
                cur.execute("rollback")
                return CommitResult(found["upload_id"], 0, 0, 0, already_message(found), True,
                                    sorted(set(rows["locality_code"])))
            # Compared again inside the transaction if another import landed (or was reverted)
            # since the preview.
            stale = _data_version(cur) != pv.data_version
            diff = _diff(cur, rows) if stale else pv.diff
            n_moved = _moved_since_preview(pv.diff, diff) if stale else 0
            # Scope is checked on exactly the rows about to be written. Through `con`, not this
            # transaction's cursor, so the refusal's audit row survives the rollback.
            localities = sorted(set(diff["locality_code"].to_pylist()))
            scope.require_write(con, user_name, localities, ACTION)
            _refuse_locked(con, cur, pv, diff, user_name)
            counts = _counts(diff)
            n_new, n_changed, n_unchanged = (counts.get(k, 0) for k in ("new", "changed", "unchanged"))
            if n_new + n_changed == 0:
                # The same figures saved again (other bytes, same values): nothing to record, and
                # no empty upload that could later be "reverted".
                cur.execute("rollback")
                return CommitResult(None, 0, 0, n_unchanged, no_change_message(pv.file_name, n_unchanged),
                                    False, localities)
            upload_id = cur.execute(query("insert_upload"), {
                "file_name": pv.file_name, "sha": pv.sha256, "user": user_name, "n_rows": diff.num_rows,
                "n_new": n_new, "n_changed": n_changed, "n_unchanged": n_unchanged,
                "size_bytes": pv.size_bytes, "sheet_names": ", ".join(pv.sheets),
                "n_warnings": len(pv.warnings)}).fetchone()[0]
            changes = diff.filter(pc.not_equal(diff["change"], "unchanged"))
            cur.register("import_changes", changes)
            try:
                cur.execute(query("insert_observations"), {"upload_id": upload_id})
            finally:
                cur.unregister("import_changes")
            shown = ", ".join(localities[:10]) + (" …" if len(localities) > 10 else "")
            cur.execute(query("import_audit"), {
                "user": user_name, "action": "upload", "locality": localities[0],
                "detail": f"lần nhập số {upload_id}: tệp “{pv.file_name}” (SHA-256 {pv.sha256[:12]}…), "
                          f"{diff.num_rows} dòng: {n_new} mới, {n_changed} thay đổi, {n_unchanged} không đổi; "
                          f"{len(pv.warnings)} cảnh báo đã xác nhận; địa phương {shown}"})
            if refresh_cache:   # the derived caches commit with the data, or not at all
                refresh_current_observations(cur)
            cur.execute("commit")
        except BaseException:
            _rollback(cur)
            raise
    message = (f"Đã nhập lần số {upload_id}: {fmt.number(n_new, 0)} giá trị mới, {fmt.number(n_changed, 0)} "
               f"thay đổi, {fmt.number(n_unchanged, 0)} không đổi.")
    if n_moved:
        message += (f" Lưu ý: trong lúc bạn xem trước, {fmt.number(n_moved, 0)} giá trị đã được một lần nhập khác "
                    "cập nhật; giá trị trong tệp này đã ghi đè lên (lịch sử vẫn giữ giá trị trước đó).")
    return CommitResult(upload_id, n_new, n_changed, n_unchanged, message, False, localities)


def _refuse_locked(con: duckdb.DuckDBPyConnection, cur: duckdb.DuckDBPyConnection, pv: Preview, diff: pa.Table,
                   user_name: str) -> None:
    """Inside the commit's transaction (`cur`): ImportRefused if a row about to be written belongs
    to a period approved since the preview, after rolling back and auditing the attempt as one
    `upload_refused` event through `con` (so it survives the rollback)."""
    keys = set(zip(diff["locality_code"].to_pylist(), diff["period"].to_pylist()))
    locks = approval.locked_periods(cur, {code for code, _ in keys})
    hit = [locks[k] for k in sorted(keys) if k in locks]
    if not hit:
        return
    n_rows = sum(1 for k in zip(diff["locality_code"].to_pylist(), diff["period"].to_pylist()) if k in locks)
    refused = [Refusal("locked_period", n_rows, sorted({lock.locality_code for lock in hit}))]
    cur.execute("rollback")
    audit(con, user_name, REFUSED_ACTION, refusal_detail(pv.file_name, pv.sha256, pv.n_rows, refused, n_rows),
          locality_code=refused[0].localities[0])
    shown = " ".join(lock.message for lock in hit[:5]) + (" …" if len(hit) > 5 else "")
    raise ImportRefused(f"Chưa nhập tệp “{pv.file_name}”: {fmt.number(n_rows, 0)} dòng thuộc kỳ báo cáo vừa được "
                        f"duyệt sau khi xem trước. {shown}")


def revert(con: duckdb.DuckDBPyConnection, upload_id: int, user_name: str) -> str:
    """Admin only: mark the upload reverted (audited 'revert'); its previous values are current again.
    Refused (PermissionDenied, audited 'denied') when the upload holds values of an approved period:
    reverting would change a locked figure."""
    with _WRITE_LOCK:
        scope.require_role(con, user_name, "admin", "hoàn tác lần nhập số liệu")
        locks = approval.locks_of_upload(con, upload_id)
        if locks:
            shown = " ".join(lock.message for lock in locks[:5]) + (" …" if len(locks) > 5 else "")
            audit(con, user_name, "denied", f"hoàn tác lần nhập số {upload_id}: có số liệu của "
                  f"{fmt.number(len(locks), 0)} kỳ báo cáo đã duyệt (đã khóa)", locality_code=locks[0].locality_code)
            raise PermissionDenied(f"Không hoàn tác được lần nhập số {upload_id}: lần nhập này có số liệu của kỳ "
                                   f"đã duyệt. {shown}")
        cur = con.cursor()
        cur.execute("begin transaction")
        try:
            row = cur.execute(query("upload_by_id"), {"upload_id": upload_id}).fetchone()
            if row is None:
                raise ImportRefused(f"Không có lần nhập số {upload_id}.")
            if row[4] != "committed":
                when = row[9].strftime("%H:%M ngày %d/%m/%Y") if row[9] else ""
                raise ImportRefused(f"Lần nhập số {upload_id} (tệp “{row[1]}”) đã được hoàn tác trước đó"
                                    + (f" lúc {when} bởi {row[10]}" if when else "") + "; không hoàn tác lần nữa.")
            cur.execute(query("revert_upload"), {"upload_id": upload_id, "user": user_name})
            places = [r[0] for r in cur.execute(query("upload_localities"), {"upload_id": upload_id}).fetchall()]
            cur.execute(query("import_audit"), {
                "user": user_name, "action": "revert", "locality": places[0] if places else None,
                "detail": f"hoàn tác lần nhập số {upload_id} (tệp “{row[1]}” của {row[2]}, {row[5]} dòng)"})
            refresh_current_observations(cur)
            cur.execute("commit")
        except BaseException:
            _rollback(cur)
            raise
    return (f"Đã hoàn tác lần nhập số {upload_id} (tệp “{row[1]}”): các giá trị trước đó lại là giá trị hiện hành.")


def history(con: duckdb.DuckDBPyConnection, locality_code: str, indicator_code: str | None = None) -> pd.DataFrame:
    """Every value reported for a locality (× indicator): who, when, which upload, and is_current."""
    return con.cursor().execute(query("observation_history"),
                                {"locality": locality_code, "indicator": indicator_code}).df()


def recent_uploads(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    return con.cursor().execute(query("recent_uploads"), {"limit": limit}).df()


def import_file(source: duckdb.DuckDBPyConnection | Path | str, path: str | Path, user_name: str, *,
                dry_run: bool = False, confirm_warnings: bool = False,
                today: date | None = None, locality: str | None = None) -> tuple[Preview, CommitResult | None]:
    """Preview a file and, unless `dry_run` or anything blocks it, commit it (what the CLI does).

    `source` is a connection (everything goes through it) or a database file: then the preview
    reads it through store.gate (beside the app and other readers) and only the commit holds it
    for writing; a change landed in between is caught by the commit's own comparison."""
    path = Path(path)
    safety.check_size(path.stat().st_size, path.name)   # before reading a 700 MB file into memory
    data = path.read_bytes()
    if isinstance(source, duckdb.DuckDBPyConnection):
        reading = writing = lambda: contextlib.nullcontext(source)
    else:
        reading, writing = (lambda: gate.reading(source)), (lambda: gate.writing(source))
    with reading() as con:
        pv = preview(con, data, path.name, user_name, today=today, dry_run=dry_run, locality=locality)
    if dry_run or pv.errors or pv.already_committed or (pv.warnings and not confirm_warnings) \
            or pv.validation.rows.empty or not pv.has_changes:
        return pv, None
    with writing() as con:
        return pv, commit(con, pv, user_name, confirm_warnings=confirm_warnings)


def history_indicators(con: duckdb.DuckDBPyConnection, locality_code: str) -> list[tuple[str, str, int]]:
    """(indicator_code, name, number of reported values) of every indicator, those the locality
    has reported first: the choices of the history picker."""
    return con.cursor().execute(query("history_indicators"), {"locality": locality_code}).fetchall()
