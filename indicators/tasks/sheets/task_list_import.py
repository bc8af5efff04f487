"""An admin adds a plan's tasks from a list (Excel, LibreOffice or CSV) in the columns of
data/seed/plan_tasks.csv: read safely, checked row by row, previewed, then added in one
transaction with an audit event.

Policy for what a list holds:
- every error (a missing cell, an agency not in the catalogue, a deadline that reads as no
  period, an unknown indicator, a task twice, a row for another plan) names its row and column,
  and one error refuses the whole list: nothing is added;
- a task already in the plan is kept as it is (a warning when the list writes it differently);
- a group the plan does not have is added, with the list's `group_title` or "Nhóm N" (a warning);
- `deadline_period` left blank is read from `deadline_text` ("Quý I năm 2026" -> 2026-Q1).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from indicators.auth import scope
from indicators.excel.cells import CellError, column_letter, parse_period
from indicators.excel.formats import check_file
from indicators.excel.reader import ReaderFailed, read_sheets
from indicators.excel.safety import UnsafeFile
from indicators.store.audit import audit
from indicators.tasks.catalogue import TASK_COLUMNS, AgencyNames, TaskListError, insert_tasks, task_rows
from indicators.text.fold import fold

AUDIT_ACTION = "task_change"   # "Sửa nhiệm vụ, phân Tổ công tác" in the audit log
HEADER_ROWS = 20          # the header is looked for in the first rows of a sheet
MAX_TASKS = 2000          # a plan assigns tens of tasks; thousands of rows is another file
# Optional columns besides TASK_COLUMNS.
EXTRA_COLUMNS = ("indicator_codes", "group_title", "plan_code")
# Headers as people write them (folded) -> the column; the seed's own names always work.
HEADER_ALIASES = {
    "nhom": "group_no", "so nhom": "group_no", "nhom so": "group_no",
    "so nhiem vu": "task_no", "ma nhiem vu": "task_no", "nhiem vu so": "task_no",
    "nhiem vu": "task_title", "ten nhiem vu": "task_title", "noi dung nhiem vu": "task_title",
    "co quan chu tri": "lead_agency", "chu tri": "lead_agency", "don vi chu tri": "lead_agency",
    "co quan phoi hop": "partner_agencies", "phoi hop": "partner_agencies", "don vi phoi hop": "partner_agencies",
    "san pham": "product", "san pham du kien": "product",
    "thoi han": "deadline_text", "thoi gian hoan thanh": "deadline_text",
    "ky han": "deadline_period",
    "chi tieu": "indicator_codes", "ma chi tieu": "indicator_codes",
    "ten nhom": "group_title", "ke hoach": "plan_code", "ma ke hoach": "plan_code",
}


@dataclass
class TaskListPreview:
    """What adding the list would do; `rows` is the list as read (text, with its sheet row)."""
    plan_code: str
    file_name: str
    sha256: str
    sheet: str
    rows: pd.DataFrame
    columns: dict[str, str]                 # column -> how the sheet shows it: 'C (task_title)'
    new_tasks: pd.DataFrame = field(default_factory=pd.DataFrame)
    existing: list[str] = field(default_factory=list)       # task numbers already in the plan
    new_groups: dict[int, str] = field(default_factory=dict)
    agencies: pd.DataFrame = field(default_factory=pd.DataFrame)   # task_agency rows of the new tasks
    served: pd.DataFrame = field(default_factory=pd.DataFrame)     # task_indicator rows of the new tasks
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    read_notes: list[str] = field(default_factory=list)     # how the file was read
    notes: list[str] = field(default_factory=list)          # … and how its cells were read

    @property
    def n_new(self) -> int:
        return len(self.new_tasks)


# --- reading the file ---------------------------------------------------------------------------
def _field(header: object) -> str | None:
    key = fold(str(header or "")).strip(" :*")
    snake = key.replace(" ", "_")
    if snake in TASK_COLUMNS or snake in EXTRA_COLUMNS:
        return snake
    return HEADER_ALIASES.get(key)


def _find_header(cells: list[list[str | None]]) -> tuple[int, dict[str, int]] | None:
    """(index of the header row, column -> position) of the first row naming task_no and task_title."""
    for i, row in enumerate(cells[:HEADER_ROWS]):
        found: dict[str, int] = {}
        for j, text in enumerate(row):
            name = _field(text)
            if name and name not in found:
                found[name] = j
        if {"task_no", "task_title"} <= found.keys():
            return i, found
    return None


def _sheets(data: bytes, file_name: str) -> tuple[list, list[str]]:
    """The file's sheets as reader.SheetTables (cells as text), and how it was read. UnsafeFile
    when the file is refused (the message says why)."""
    info = check_file(data, file_name)
    if info.format == "csv":
        return list(info.preread or []), list(info.notes)
    try:
        names = [s.name for s in info.sheets if s.state == "visible"] if info.format == "xlsx" else None
        return [t for t in read_sheets(data, names) if t.state == "visible"], list(info.notes)
    except ReaderFailed as exc:
        raise UnsafeFile(f"Tệp “{file_name}” không đọc được ({exc.detail}). Hãy mở bằng Excel, lưu lại dạng .xlsx "
                         "rồi tải lên lại.") from None


def read_task_list(data: bytes, file_name: str) -> tuple[str, pd.DataFrame, dict[str, str], list[str]]:
    """(sheet name, rows, column -> 'C (task_title)', notes) of the first sheet with a header
    naming task_no and task_title. `rows` has every column found, as text (None for a blank
    cell), and `row`, the sheet's row number; blank rows are left out. TaskListError when no
    sheet has such a header."""
    try:
        tables, notes = _sheets(data, file_name)
    except UnsafeFile as exc:
        raise TaskListError(str(exc)) from None
    for sheet in tables:
        if sheet.table is None:
            continue
        frame = sheet.table.to_pandas()
        cells = [[None if pd.isna(v) else str(v).strip() or None for v in r] for r in frame.itertuples(index=False)]
        found = _find_header(cells)
        if found is None:
            continue
        at, positions = found
        out = []
        for i, row in enumerate(cells[at + 1:], start=at + 2):
            values = {name: (row[j] if j < len(row) else None) for name, j in positions.items()}
            if any(values.values()):
                out.append({"row": i, **values})
        columns = {name: f"{column_letter(sheet.columns[j] if j < len(sheet.columns) else j)} ({name})"
                   for name, j in positions.items()}
        rows = pd.DataFrame(out, columns=["row", *positions])
        return sheet.name, rows, columns, notes
    raise TaskListError(f"Tệp “{file_name}”: không thấy trang nào có dòng tiêu đề với các cột "
                        + ", ".join(TASK_COLUMNS) + " (như tệp data/seed/plan_tasks.csv).")


# --- checking it against the store ------------------------------------------------------------
def _row_key(message: str) -> int:
    m = re.match(r"dòng (\d+)", message)
    return int(m.group(1)) if m else 0


def _normalised(rows: pd.DataFrame, columns: dict[str, str], errors: list[str], notes: list[str]) -> pd.DataFrame:
    """The rows with group numbers Excel wrote as 1.0 made whole, and deadlines as canonical
    periods (read from the deadline text when the period is blank). A row whose deadline reads
    as no period gets its error here and is left out."""
    out = rows.astype(object)
    out = out.where(out.notna(), None)
    for name in TASK_COLUMNS:
        if name not in out:
            out[name] = None
    out["group_no"] = [re.sub(r"^(\d+)\.0+$", r"\1", v) if isinstance(v, str) else v for v in out["group_no"]]
    periods, keep = [], []
    for r in out.to_dict("records"):
        raw, text = r.get("deadline_period"), r.get("deadline_text")
        period = None
        if raw or text:
            try:
                period = parse_period(raw or text)
            except CellError as exc:
                column = columns.get("deadline_period" if raw else "deadline_text", "deadline_period")
                errors.append(f"dòng {r['row']}, cột {column}: “{raw or text}” không đọc được thành kỳ hạn; "
                              f"cần {exc.expected}.")
                keep.append(False)
                periods.append(None)
                continue
            if not raw:
                notes.append(f"Dòng {r['row']}: kỳ hạn {period} đọc từ thời hạn “{text}”.")
        periods.append(period)
        keep.append(True)
    out["deadline_period"] = periods
    out = out[keep].reset_index(drop=True).astype(object)
    return out.where(out.notna(), None)


def _other_plans(rows: pd.DataFrame, plan: tuple[str, str], columns: dict[str, str]) -> list[str]:
    """Rows whose plan_code column names another plan than the one chosen (by code or number)."""
    if "plan_code" not in rows:
        return []
    return [f"dòng {r['row']}, cột {columns['plan_code']}: kế hoạch “{r['plan_code']}” khác kế hoạch đang chọn "
            f"({plan[0]}, số {plan[1]})." for r in rows.to_dict("records") if r["plan_code"] and r["plan_code"] not in plan]


def _unknown_indicators(con: duckdb.DuckDBPyConnection, served: pd.DataFrame, row_of: dict[str, int],
                        columns: dict[str, str]) -> list[str]:
    known = {r[0] for r in con.execute("select indicator_code from indicator").fetchall()}
    column = columns.get("indicator_codes", "indicator_codes")
    return [f"dòng {row_of.get(task_no, '?')}, cột {column}: không có chỉ tiêu “{code}” trong danh mục chỉ tiêu."
            for code, task_no in zip(served.get("indicator_code", []), served.get("task_no", [])) if code not in known]


def _kept(con: duckdb.DuckDBPyConnection, plan_code: str, tasks: pd.DataFrame, row_of: dict[str, int]
          ) -> tuple[pd.Series, list[str]]:
    """(which tasks are new, warnings for tasks already in the plan that the list writes differently)."""
    stored = con.execute("select task_no, title, lead_text, deadline_period from plan_task where plan_code = $p",
                         {"p": plan_code}).df().set_index("task_no")
    is_new = ~tasks["task_no"].isin(stored.index)
    warnings = []
    for r in tasks[~is_new].to_dict("records"):
        old = stored.loc[r["task_no"]]
        if (old["title"], old["lead_text"], old["deadline_period"]) != (r["title"], r["lead_text"], r["deadline_period"]):
            warnings.append(f"dòng {row_of.get(r['task_no'], '?')}: nhiệm vụ {r['task_no']} đã có trong kế hoạch và "
                            "được ghi khác ở danh sách; giữ nguyên nhiệm vụ đã có (danh sách chỉ thêm nhiệm vụ mới).")
    return is_new, warnings


def _new_groups(con: duckdb.DuckDBPyConnection, plan_code: str, new: pd.DataFrame, frame: pd.DataFrame,
                row_of: dict[str, int]) -> tuple[dict[int, str], list[str]]:
    """(group_no -> title of the groups the plan does not have yet, warnings for those without a title)."""
    groups = {r[0] for r in con.execute("select group_no from task_group where plan_code = $p",
                                        {"p": plan_code}).fetchall()}
    titles = dict(zip(frame["task_no"].astype(str).str.strip(),
                      frame["group_title"] if "group_title" in frame else [None] * len(frame)))
    found: dict[int, str] = {}
    warnings = []
    for r in new.to_dict("records"):
        g = int(r["group_no"])
        if g in groups or g in found:
            continue
        found[g] = titles.get(r["task_no"]) or f"Nhóm {g}"
        if not titles.get(r["task_no"]):
            warnings.append(f"dòng {row_of.get(r['task_no'], '?')}: kế hoạch chưa có nhóm {g}; nhóm được thêm với "
                            f"tên “{found[g]}” (ghi tên nhóm ở cột group_title để đặt tên khác).")
    return found, warnings


def check_task_list(con: duckdb.DuckDBPyConnection, preview: TaskListPreview) -> TaskListPreview:
    """Fill the preview's new tasks, existing tasks, new groups, errors and warnings from its rows
    and the store as it is now (run again inside the transaction that adds them)."""
    plan_code, columns, rows = preview.plan_code, preview.columns, preview.rows
    preview.errors, preview.warnings, preview.notes = [], [], list(preview.read_notes)
    preview.existing, preview.new_groups, preview.new_tasks = [], {}, pd.DataFrame()
    plan = con.execute("select plan_code, number from plan where plan_code = $p", {"p": plan_code}).fetchone()
    if plan is None:
        preview.errors.append(f"Không có kế hoạch “{plan_code}”.")
        return preview
    if rows.empty:
        preview.errors.append(f"Trang “{preview.sheet}” không có nhiệm vụ nào dưới dòng tiêu đề.")
        return preview
    if len(rows) > MAX_TASKS:
        preview.errors.append(f"Trang “{preview.sheet}” có {len(rows)} dòng; một danh sách tối đa {MAX_TASKS} nhiệm vụ.")
        return preview
    preview.errors.extend(_other_plans(rows, plan, columns))
    frame = _normalised(rows, columns, preview.errors, preview.notes)
    shown = {**{c: f"{c} (tệp không có cột này)" for c in TASK_COLUMNS}, **columns}
    tasks, agencies, served, errors = task_rows(plan_code, frame, AgencyNames.load(con), rows=frame["row"].tolist(),
                                                columns=shown)
    preview.errors.extend(errors)
    row_of = dict(zip(frame["task_no"].astype(str).str.strip(), frame["row"]))
    preview.errors.extend(_unknown_indicators(con, served, row_of, columns))
    preview.errors.sort(key=_row_key)
    if tasks.empty:
        return preview
    is_new, preview.warnings = _kept(con, plan_code, tasks, row_of)
    preview.existing = tasks.loc[~is_new, "task_no"].tolist()
    new = tasks[is_new].copy()
    # After the plan's own tasks, in the list's order.
    last = con.execute("select coalesce(max(position), 0) from plan_task where plan_code = $p",
                       {"p": plan_code}).fetchone()[0]
    new["position"] = range(last + 1, last + 1 + len(new))
    preview.new_groups, group_warnings = _new_groups(con, plan_code, new, frame, row_of)
    preview.warnings.extend(group_warnings)
    preview.new_tasks = new
    preview.agencies = agencies[agencies["task_no"].isin(new["task_no"])]
    preview.served = served[served["task_no"].isin(new["task_no"])]
    return preview


def preview_task_list(con: duckdb.DuckDBPyConnection, user_name: str, plan_code: str, data: bytes,
                      file_name: str) -> TaskListPreview:
    """Read and check a task list for the plan (admins only); writes nothing."""
    scope.require_role(con, user_name, "admin", "thêm nhiệm vụ của kế hoạch")
    from indicators.excel.importer import sha256_of
    sheet, rows, columns, notes = read_task_list(data, file_name)
    preview = TaskListPreview(plan_code=plan_code, file_name=file_name, sha256=sha256_of(data), sheet=sheet,
                              rows=rows, columns=columns, read_notes=notes)
    return check_task_list(con, preview)


def add_task_list(con: duckdb.DuckDBPyConnection, user_name: str, preview: TaskListPreview) -> str:
    """Add the previewed list's new tasks (and new groups) in one transaction, audited, after
    checking it again against the store as it is now. TaskListError listing every error, or when
    nothing is new: then nothing is written."""
    scope.require_role(con, user_name, "admin", "thêm nhiệm vụ của kế hoạch")
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        checked = check_task_list(cur, preview)
        if checked.errors:
            raise TaskListError(f"Có {len(checked.errors)} lỗi; chưa thêm nhiệm vụ nào.\n" + "\n".join(checked.errors))
        if checked.new_tasks.empty:
            raise TaskListError(f"Mọi nhiệm vụ trong tệp “{preview.file_name}” đã có trong kế hoạch "
                                f"{preview.plan_code}; không có gì để thêm.")
        now = cur.execute("select current_timestamp::timestamp").fetchone()[0]
        for group_no, title in checked.new_groups.items():
            cur.execute("insert into task_group (plan_code, group_no, title) values ($p, $g, $t)",
                        {"p": preview.plan_code, "g": group_no, "t": title})
        added = insert_tasks(cur, checked.new_tasks, checked.agencies, checked.served, added_by=user_name,
                             added_at=now)
        numbers = checked.new_tasks["task_no"].tolist()
        shown = ", ".join(numbers[:20]) + (" …" if len(numbers) > 20 else "")
        audit(cur, user_name, AUDIT_ACTION,
              f"kế hoạch {preview.plan_code}: thêm {added} nhiệm vụ ({shown}) từ tệp “{preview.file_name}” "
              f"SHA-256 {preview.sha256[:12]}"
              + (f"; thêm nhóm {', '.join(str(g) for g in checked.new_groups)}" if checked.new_groups else "")
              + (f"; {len(checked.existing)} nhiệm vụ đã có, giữ nguyên" if checked.existing else ""))
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    kept = f" {len(checked.existing)} nhiệm vụ đã có được giữ nguyên." if checked.existing else ""
    return f"Đã thêm {added} nhiệm vụ vào kế hoạch {preview.plan_code}.{kept}"
