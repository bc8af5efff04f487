"""Reading a workbook of task reports: which sheets hold them, where their header is, what each
column means, and the rows as found (every cell as text, with its Excel row and column).

The file has passed excel.formats.check_file; its sheets are read by the excel package's reader
in its capped worker process (the template's own sheets, Hướng dẫn, _danh_muc, _phien_ban, are
skipped there). The header is looked for in the first rows, by folded names: diacritics, case,
spacing and parentheses do not matter, and the template's headers and their usual synonyms
("STT nhiệm vụ", "Trạng thái", "Kiến nghị") are known.

Only an .xlsx tells a number cell from typed text (its sheet XML, excel.workbook.scan_cells):
`SheetRow.kinds` gives 's' (text), 'n' (number), 'formula' (no computed value) or 'error:#N/A'
per cell; the other formats give '' (not known), and task_cells reads such a task number as if
it could have been a number.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from indicators.excel import workbook
from indicators.excel.cells import column_letter
from indicators.excel.safety import UnsafeFile, XlsxInfo, normalised_zip
from indicators.excel.validate import ERROR, WARNING, Problem
from indicators.text import fmt

# Every column of the template, by the names task_import uses.
FIELDS = ("plan", "task_no", "title", "lead", "product", "deadline", "period", "state", "result", "product_ref",
          "completed_on", "needs", "needs_from")
# What the officer fills; a row with all of them empty is a task not reported on (skipped).
FILL_FIELDS = ("state", "result", "product_ref", "completed_on", "needs", "needs_from")
REQUIRED = ("task_no", "period", "state")
LABELS = {"plan": "Kế hoạch", "task_no": "Số nhiệm vụ", "title": "Nhiệm vụ", "lead": "Cơ quan chủ trì",
          "product": "Sản phẩm", "deadline": "Thời hạn", "period": "Quý báo cáo", "state": "Tình trạng",
          "result": "Kết quả", "product_ref": "Số/ngày văn bản", "completed_on": "Ngày hoàn thành",
          "needs": "Cần hỗ trợ gì", "needs_from": "Từ cơ quan nào"}
# Header text as excel.workbook.header_key folds it -> field.
HEADERS = {
    "plan": ["ke hoach", "so ke hoach", "ma ke hoach", "so hieu ke hoach", "plan", "plan code"],
    "task_no": ["so nhiem vu", "stt nhiem vu", "so tt nhiem vu", "so thu tu nhiem vu", "ma nhiem vu",
                "nhiem vu so", "so hieu nhiem vu", "task no", "task number"],
    "title": ["nhiem vu", "ten nhiem vu", "noi dung nhiem vu", "task", "task title"],
    "lead": ["co quan chu tri", "don vi chu tri", "chu tri", "lead agency"],
    "product": ["san pham", "san pham du kien", "product"],
    "deadline": ["thoi han", "thoi han hoan thanh", "han hoan thanh", "deadline"],
    "period": ["quy bao cao", "quy", "ky bao cao", "thoi gian bao cao", "quarter", "reporting quarter"],
    "state": ["tinh trang", "trang thai", "tinh trang thuc hien", "tinh hinh thuc hien", "state", "status"],
    "result": ["ket qua", "ket qua thuc hien", "ket qua dat duoc", "ket qua trien khai", "result"],
    "product_ref": ["so ngay van ban", "so va ngay van ban", "so ngay van ban san pham", "van ban san pham",
                    "so hieu van ban", "van ban da ban hanh", "san pham da ban hanh", "product ref", "document"],
    "completed_on": ["ngay hoan thanh", "ngay ban hanh", "completed on", "completion date"],
    "needs": ["can ho tro gi", "noi dung can ho tro", "kien nghi", "de xuat kien nghi", "kien nghi de xuat",
              "vuong mac kien nghi", "needs"],
    "needs_from": ["tu co quan nao", "co quan ho tro", "co quan can ho tro", "de nghi co quan", "needs from"],
}
_HEADER_FIELD = {h: f for f, names in HEADERS.items() for h in names}
# A plan lists tens of tasks: a file of more rows than this is not a task report.
MAX_ROWS = 5_000


@dataclass
class SheetRow:
    sheet: str
    row: int                                   # the Excel row, 1-based
    cells: dict[str, str | None]               # field -> the cell's text as read (None when blank)
    kinds: dict[str, str] = field(default_factory=dict)   # field -> 's' | 'n' | 'formula' | 'error:…' | ''


@dataclass
class TaskSheets:
    rows: list[SheetRow] = field(default_factory=list)     # rows with something filled in
    n_blank: int = 0                                         # task rows whose columns to fill are all empty
    columns: dict[str, dict[str, str]] = field(default_factory=dict)   # sheet -> field -> 'H (Tình trạng)'
    problems: list[Problem] = field(default_factory=list)   # about whole sheets
    sheets_read: list[str] = field(default_factory=list)
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)   # (sheet, 'template' | 'no_header')
    types_known: bool = False                               # number and text cells told apart (.xlsx)

    def column(self, sheet: str, fld: str) -> str:
        """How problems name a column: 'H (Tình trạng)', or the field's label when the sheet has none."""
        return self.columns.get(sheet, {}).get(fld, LABELS[fld])


def header_field(text: object) -> str | None:
    return _HEADER_FIELD.get(workbook.header_key(text))


def find_header(head: list[list[str | None]]) -> tuple[int, dict[str, list[int]]] | None:
    """(row index, field -> the column indices headed so) of the row naming most of REQUIRED
    (two at least); None when no row does."""
    best = None
    for i, row in enumerate(head):
        found: dict[str, list[int]] = {}
        for j, cell in enumerate(row):
            f = header_field(cell) if cell is not None else None
            if f:
                found.setdefault(f, []).append(j)
        score = sum(f in found for f in REQUIRED)
        if score >= 2 and (best is None or score > best[0]):
            best = (score, i, found)
    return None if best is None else best[1:]


def _sheet_problem(sheet: str, code: str, what: str, severity: str = ERROR) -> Problem:
    return Problem(sheet, None, "", "", code, f"Trang “{sheet}”: {what}", severity)


def read_task_sheets(data: bytes, info: XlsxInfo) -> TaskSheets:
    """The rows of every sheet with a task report header; see the module doc. UnsafeFile when
    the reader cannot read the file at all, or for more than MAX_ROWS rows."""
    if info.backslashes:
        data = normalised_zip(data)
    # The excel package's sheet list and reader (capped worker, its refusals worded for officers).
    wanted, skipped, tables = workbook.read_tables(data, info)
    out = TaskSheets(sheets_skipped=list(skipped), types_known=info.format == "xlsx")
    archive = zipfile.ZipFile(io.BytesIO(data)) if info.format == "xlsx" else None
    try:
        for sheet, read in zip(wanted, tables):
            _read_sheet(out, sheet, read, info, archive)
            if len(out.rows) > MAX_ROWS:
                raise UnsafeFile(f"Tệp “{info.file_name}” bị từ chối: có hơn {fmt.number(MAX_ROWS, 0)} dòng báo "
                                 "cáo nhiệm vụ, trong khi một kế hoạch chỉ có vài chục nhiệm vụ. Hãy dùng tệp mẫu.")
    finally:
        if archive is not None:
            archive.close()
    return out


def _read_sheet(out: TaskSheets, sheet, read, info: XlsxInfo, archive: zipfile.ZipFile | None) -> None:
    name = sheet.name
    if read.table is None:   # an unreadable sheet is said, never silently skipped
        out.problems.append(_sheet_problem(name, "unreadable_sheet", "không đọc được trang này "
                                           f"({' '.join(str(read.error).split())[:160]})."))
        return
    table = read.table
    if table.num_rows == 0 or table.num_columns == 0:
        return
    head = [list(r.values()) for r in table.slice(0, workbook.HEADER_SEARCH_ROWS).to_pylist()]
    found = find_header(head)
    if found is None:
        out.sheets_skipped.append((name, "no_header"))
        return
    header_at, fields = found
    absolute = read.columns
    texts = {j: str(head[header_at][j]).strip() for cols in fields.values() for j in cols}
    out.sheets_read.append(name)
    out.columns[name] = {f: f"{column_letter(absolute[cols[0]])} ({texts[cols[0]]})" for f, cols in fields.items()}
    doubled = [f for f, cols in fields.items() if len(cols) > 1 and (f in REQUIRED or f in FILL_FIELDS or f == "plan")]
    for f in doubled:
        letters = " và ".join(f"{column_letter(absolute[j])} (“{texts[j]}”)" for j in fields[f])
        out.problems.append(_sheet_problem(name, "duplicate_column", f"có hai cột cùng là “{LABELS[f]}”: {letters}; "
                                           "hãy xóa hoặc đổi tên một cột rồi tải lên lại (trang này chưa được đọc)."))
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        out.problems.append(_sheet_problem(name, "missing_column", "thiếu cột " + ", ".join(f"“{LABELS[f]}”" for f in missing)
                                           + " trong hàng tiêu đề (dòng " + str(header_at + 1)
                                           + "); trang này chưa được đọc. Hãy dùng tệp mẫu."))
    if doubled or missing:
        return
    columns = {f: cols[0] for f, cols in fields.items()}
    letters = {f: column_letter(absolute[j]) for f, j in columns.items()}
    start = header_at + 1
    body = table.slice(start)
    arrays = {f: body.column(j) for f, j in columns.items()}
    kinds: dict[tuple[int, str], str] = {}
    if archive is not None and getattr(sheet, "part", ""):
        kinds = workbook.scan_cells(archive.read(sheet.part), list(letters.values()), info.percent_styles)
    fill = [f for f in FILL_FIELDS if f in arrays]
    filled = _non_blank(body.num_rows, [arrays[f] for f in fill])
    named = _non_blank(body.num_rows, [arrays["task_no"]])
    # A formula without a value, or an error cell, reads as blank: such a row is still the officer's.
    special = {r for (r, c), k in kinds.items() if (k == "formula" or k.startswith("error:"))
               and c in {letters[f] for f in fill}}
    rows = [i for i in range(body.num_rows) if filled[i] or (start + i + 1) in special]
    out.n_blank += sum(1 for i in range(body.num_rows) if named[i] and not filled[i] and (start + i + 1) not in special)
    if rows and sheet.state != "visible":
        out.problems.append(_sheet_problem(name, "hidden_sheet", f"trang đang bị ẩn trong Excel mà có "
                                           f"{fmt.number(len(rows), 0)} dòng báo cáo; các dòng này vẫn được đọc – "
                                           "hãy kiểm tra.", WARNING))
    if len(rows) > MAX_ROWS:
        rows = rows[:MAX_ROWS + 1]   # enough to refuse the file; the rest is not read
    values = {f: arrays[f].take(pa.array(rows, pa.int64())).to_pylist() for f in arrays}
    for k, i in enumerate(rows):
        excel_row = start + i + 1
        out.rows.append(SheetRow(name, excel_row, {f: values[f][k] for f in arrays},
                                 {f: kinds.get((excel_row, letters[f]), "") for f in arrays}))


def _non_blank(n: int, arrays: list) -> list[bool]:
    """Per row, whether any of the arrays holds something other than spaces."""
    mask = pa.array([False] * n, pa.bool_())
    for a in arrays:
        mask = pc.or_(mask, pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(a), ""), False))
    return mask.to_pylist()
