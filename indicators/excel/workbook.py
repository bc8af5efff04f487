"""Reading an uploaded workbook: which sheets hold data, where their header is, what each
column means, and the rows as found.

`read_workbook(data, info)` reads every data sheet with fastexcel (Rust, Arrow; run in the
reader's worker process, excel/reader.py) and returns the rows as text, with their sheet, Excel
row and column letters. The cells themselves are read later (excel/cells.py, excel/validate.py).

fastexcel hands every cell over as text, so four facts are taken from the sheet XML instead,
and only when a sheet needs it: formulas without a cached value (the sheet holds `<f>`),
cells formatted as a percentage (styles.xml has a % format), whether a "1.234" was a
number cell (1.234) or typed text (thousands dots: 1234), and how a date in the period column
is shown (styles.xml has a `yyyy` or `mm/yyyy` format: the year or the month the officer saw,
not the date's month; `period_formats` tells the same for any cell, such as a wide sheet's
period headers).

The other formats (formats.check_file) have no sheet XML: .xls, .xlsb and .ods are read by the
same worker, which lists their sheets and, as their cells are typed, tells which "1.234" are
number cells; their formulas come with their computed values. An .ods says which cells are
percentages (formats.ods_percent_cells); for .xls and .xlsb the format is not known (a 95%
cell reads as 0.95). A .csv is all text, read with its checks.
"""
from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from indicators.excel.cells import AMBIGUOUS_RE2, CellError, column_letter, parse_period
from indicators.excel.layout import SheetLayout, WideContext
from indicators.excel.reader import TIMEOUT_S, EarlyRead, ReaderFailed, read_sheets
from indicators.excel.safety import MAX_DATA_ROWS, SheetPart, UnsafeFile, XlsxInfo, normalised_zip
from indicators.text import fmt
from indicators.text.fold import fold

# province_code: a "Mã tỉnh" column beside a "Mã xã" one (validate: the commune is the locality,
# the province fills in where the commune is blank and must be the commune's own).
FIELDS = ("locality_code", "indicator_code", "period", "value", "numerator", "denominator", "note",
          "province_code")
NUMERIC_FIELDS = ("value", "numerator", "denominator")
REQUIRED_FIELDS = ("locality_code", "indicator_code", "period", "value")
HEADER_SEARCH_ROWS = 30
# The template's own sheets, never data (compared folded).
SKIPPED_SHEETS = {"huong dan", "_phien_ban", "_danh_muc"}

# Header text (folded, punctuation as spaces, parentheses dropped) -> field.
HEADERS = {
    "locality_code": ["ma dia phuong", "ma dp", "ma don vi", "ma dia ban", "ma xa", "ma xa phuong",
                      "ma phuong xa", "ma xa phuong thi tran", "locality code", "locality", "locality id",
                      "area code", "commune code"],
    "province_code": ["ma tinh", "ma tinh thanh", "ma tinh thanh pho", "province code", "province"],
    "indicator_code": ["ma chi tieu", "ma chi so", "ma ct", "indicator code", "indicator",
                       "indicator id"],
    "period": ["ky bao cao", "ky", "thoi gian", "thoi ky", "nam", "nam bao cao", "period",
               "reporting period", "time period", "year"],
    "value": ["gia tri", "so lieu", "gia tri bao cao", "ket qua", "value", "reported value"],
    "numerator": ["tu so", "numerator"],
    "denominator": ["mau so", "denominator"],
    "note": ["nguon ghi chu", "ghi chu nguon", "ghi chu", "nguon", "nguon so lieu", "note", "notes",
             "source", "source note", "note source", "comment", "comments"],
}
_HEADER_FIELD = {h: f for f, names in HEADERS.items() for h in names}
# A code column headed like these holds communes only: a number cell 4 there is 00004, not 04.
COMMUNE_HEADERS = {"ma xa", "ma xa phuong", "ma phuong xa", "ma xa phuong thi tran", "commune code"}


# --- headers ------------------------------------------------------------------------------
def header_key(text: object) -> str:
    """'Nguồn / ghi chú' -> 'nguon ghi chu'; 'Giá trị (%)' -> 'gia tri'; 'Locality_Code' -> 'locality code'."""
    t = re.sub(r"\(.*?\)|\[.*?\]", " ", fold(str(text)))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", t).split())


def header_field(text: object) -> str | None:
    return _HEADER_FIELD.get(header_key(text))


# --- reading the workbook --------------------------------------------------------------------
@dataclass
class WorkbookRows:
    """The data rows as found: one per non-blank row, raw text per field, with positions.

    `rows` columns: sheet, row (Excel, 1-based), the FIELDS (text or None), and for every
    numeric field `<field>_cell`: '' (unknown: plain), 'n' number cell, 's' text cell,
    'pct' number cell formatted as a percentage, 'formula' formula without a computed value.
    `columns[sheet][field]` is the column as shown to people: 'G (Giá trị)'.
    `notes` are sheet-level findings (sheet, code, detail) that validation turns into problems.
    """
    rows: pd.DataFrame
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[tuple[str, str, str]] = field(default_factory=list)
    sheets_read: list[str] = field(default_factory=list)
    # (sheet, reason) of sheets not read: 'template' (the template's own), 'text_only' (words, no
    # header: notes, a signature block)
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)
    commune_sheets: set[str] = field(default_factory=set)     # whose code column is headed "Mã xã"
    layouts: list[SheetLayout] = field(default_factory=list)  # report sheets read by excel/layout.py


_NUMBER_RE2 = r"^\s*[-+]?\d+(?:[.,]\d+)*\s*%?\s*$"


def _holds_numbers(table) -> bool:
    """Whether any cell of the sheet is a number (a header-less sheet of figures, not of notes)."""
    return any(pc.any(pc.fill_null(pc.match_substring_regex(column, _NUMBER_RE2), False)).as_py()
               for column in table.columns)


def _find_header(head: list[list[str | None]]) -> tuple[int, dict[str, int], dict[int, str]] | None:
    """(row index, field -> column index, column index -> header text) of the best header row."""
    best = None
    for i, row in enumerate(head):
        found: dict[str, int] = {}
        texts: dict[int, str] = {}
        for j, cell in enumerate(row):
            if cell is None:
                continue
            f = header_field(cell)
            if f and f not in found:
                found[f] = j
                texts[j] = str(cell).strip()
            elif f:   # a second column for the same field: which one is meant is not ours to guess
                texts[j] = str(cell).strip()
                found.setdefault(f"{f}#{j}", j)
        if "province_code" in found and "locality_code" not in found:
            found["locality_code"] = found.pop("province_code")   # a province's sheet: Mã tỉnh is the code
        score = sum(f in found for f in REQUIRED_FIELDS)
        if score >= 2 and (best is None or score > best[0]):
            best = (score, i, found, texts)
    return None if best is None else best[1:]


# A cell's inner XML may not run past the next <c> or </c>: with a lazy ".*?" a file full of
# unclosed <c> fragments made every failed match scan to the end of the sheet (quadratic: a 7 KB
# file held the app for minutes).
_CELL_TAG = r'<(?:\w+:)?c r="({letters})(\d+)"([^>]*?)(?:/>|>((?:[^<]|<(?!/?(?:\w+:)?c[\s>/]))*)</(?:\w+:)?c>)'
_T_ATTR = re.compile(rb'\bt="(\w+)"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')
_HAS_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]|<(?:\w+:)?is>")


_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def scan_cells(xml: bytes, letters: list[str], percent_styles: set[int]) -> dict[tuple[int, str], str]:
    """(row, column letter) -> 's' | 'n' | 'pct' | 'formula' | 'error:#DIV/0!' for the cells of
    the given columns ('error:…' is a cell holding an Excel error, with the error's text).

    A regex over the raw sheet XML, restricted to the columns we read: enough to learn a cell's
    type, style and whether it has a formula without a cached value. Safe because
    check_xlsx refused any DTD/entity declaration, so there is nothing to expand.
    """
    pattern = re.compile(_CELL_TAG.format(letters="|".join(sorted(set(letters), key=len, reverse=True)))
                         .encode(), re.DOTALL)
    out: dict[tuple[int, str], str] = {}
    for m in pattern.finditer(xml):
        attrs, inner = m.group(3), m.group(4) or b""
        has_value = bool(_HAS_VALUE.search(inner))
        if b"<f" in inner and not has_value:
            kind = "formula"
        else:
            t = _T_ATTR.search(attrs)
            ctype = t.group(1) if t else b"n"
            if ctype == b"e":
                found = _ERROR_VALUE.search(inner)
                kind = "error:" + (found.group(1).decode("utf-8", "replace").strip() if found else "#?")
            elif ctype in (b"s", b"inlineStr", b"str"):
                kind = "s"
            else:
                s = _S_ATTR.search(attrs)
                kind = "pct" if s and int(s.group(1)) in percent_styles else "n"
        out[(int(m.group(2)), m.group(1).decode())] = kind
    return out


# A cell's opening tag in one column. Starting with a literal lets the search skip ahead (4x
# faster than from "<"); the look-behind then checks that it opens a tag (`<c` or `<x:c`).
_CELL_OPEN = r'c r="{letter}(?<=[<:]c r="{letter})(\d+)"([^>]*)>'


def column_styles(xml: bytes, letter: str) -> dict[int, np.ndarray]:
    """cellXfs index (the `s` attribute) -> the Excel rows of the column's number cells in that
    style (dates are number cells; text and error cells are left out). Only the opening tags
    are read, and each distinct set of attributes is looked at once: a column of 100,000 dates
    takes about 0.2 s."""
    by_attrs: dict[bytes, list[bytes]] = {}
    for row, attrs in re.compile(_CELL_OPEN.format(letter=letter).encode()).findall(xml):
        by_attrs.setdefault(attrs, []).append(row)
    out: dict[int, np.ndarray] = {}
    for attrs, rows in by_attrs.items():
        s, t = _S_ATTR.search(attrs), _T_ATTR.search(attrs)
        if s and (t is None or t.group(1) in (b"n", b"d")):
            found = np.array(rows).astype(np.int64)
            style = int(s.group(1))
            out[style] = np.concatenate([out[style], found]) if style in out else found
    return out


def period_formats(data: bytes, info: XlsxInfo, sheet_name: str, refs: list[str]) -> dict[str, str]:
    """Cell reference ('D3') -> how the cell's number format shows a date: 'year' (`yyyy`),
    'month' (`mm/yyyy`), 'date' or 'time' (cells.number_format_kind), for those of `refs` on the
    sheet that are number (date) cells with a date format; other cells are left out.

    For a wide sheet whose header cells are periods: read each header cell's text as
    `parse_period(text, shown_as=period_formats(...).get(ref))`, so that a date shown as “2026”
    is the year 2026 and one shown as “06/2026” that month, as for the period column (which
    read_workbook does itself)."""
    sheet = info.sheet(sheet_name)
    wanted = {}
    for ref in refs:
        m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref.strip().upper())
        if m:
            wanted[(int(m.group(2)), m.group(1))] = ref
    if sheet is None or not info.date_styles or not wanted:
        return {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(sheet.part)
    styles = {(int(r), letter): style for letter in sorted({c for _, c in wanted})
              for style, rows in column_styles(xml, letter).items() for r in rows}
    return {ref: info.date_styles[styles[key]] for key, ref in wanted.items()
            if styles.get(key) in info.date_styles}


# A date cell as the reader hands it over ('2026-06-01 00:00:00'), or an Excel date serial.
_DATE_CELL_RE2 = r"^\s*(?:\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?|\d{5}(?:\.\d+)?)\s*$"


def _periods_as_shown(period: pa.Array, first_row: int, xml: bytes, letter: str, shown: dict[int, str]) -> pa.Array:
    """The period column with each date cell formatted as a year or a month replaced by that
    period ('2026', '2026-06'): what the officer saw, not the date's month. `first_row` is the
    Excel row of the column's first cell; `shown` maps cellXfs indices to 'year' | 'month'.

    Vectorised for the reader's '2026-06-01 00:00:00' (a whole column of dates is common); a
    serial the reader left as a number goes through parse_period(shown_as=…) one by one."""
    n = len(period)
    kind = np.zeros(n, dtype=np.int8)            # 0 as read, 1 year, 2 month
    for style, rows in column_styles(xml, letter).items():
        if style in shown:
            at = rows - first_row
            kind[at[(at >= 0) & (at < n)]] = 1 if shown[style] == "year" else 2
    if not kind.any():
        return period
    text = pc.utf8_trim_whitespace(period)
    iso = pc.fill_null(pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}"), False).to_numpy(zero_copy_only=False)
    out = pc.if_else(pa.array(iso & (kind == 1)), pc.utf8_slice_codeunits(text, 0, 4), period)
    out = pc.if_else(pa.array(iso & (kind == 2)), pc.utf8_slice_codeunits(text, 0, 7), out)
    others = np.flatnonzero((kind > 0) & ~iso)   # serials, or text the scan took for a number
    if len(others):
        values = out.to_pylist()
        for i in others:
            if values[i] is not None:
                try:
                    values[i] = parse_period(values[i], shown_as="year" if kind[i] == 1 else "month")
                except CellError:
                    pass   # kept as read: validation says what is wrong with it
        out = pa.array(values, period.type)
    return out.cast(period.type)


def _column(parts: list, name: str) -> pd.Series:
    """One column of all sheets: text as Arrow-backed strings (None stays missing, nothing is
    converted to Python objects), Excel rows as int64, cell kinds as plain objects."""
    if name == "row":
        return pd.Series(pa.concat_arrays(parts).to_numpy() if parts else np.zeros(0, dtype="int64"), dtype="int64")
    if name.endswith("_cell"):
        return pd.Series(list(itertools.chain.from_iterable(parts)), dtype=object)
    arr = pa.concat_arrays(parts) if parts else pa.array([], pa.string())
    return pd.Series(pd.arrays.ArrowExtensionArray(arr))


def _merged_over(ref: str, value_letters: list[str], first_data_row: int) -> str:
    """The value column letters a merged range spans over two or more data rows ('' if none): in a
    merge only the top cell holds the figure, the rows under it read as blank."""
    m = re.fullmatch(r"([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)", ref)
    if not m:
        return ""
    c1, r1, c2, r2 = column_number(m.group(1)), int(m.group(2)), column_number(m.group(3)), int(m.group(4))
    if max(r2, first_data_row) - max(r1, first_data_row) < 1:
        return ""
    return ",".join(c for c in value_letters if c1 <= column_number(c) <= c2)


def _first_line(exc: object) -> str:
    """The reader's message, shortened: kept as a technical detail after the Vietnamese sentence."""
    text = " ".join(str(exc).split())
    return text[:160] + ("…" if len(text) > 160 else "")


_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d{1,7})"')


def column_number(letters: str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27, 'XFD' -> 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def farthest_cell(xml: bytes) -> tuple[int, int] | None:
    """(largest row, largest column) among the sheet's cell and row references, or None. A full
    scan of the sheet XML: used only to explain a file the reader could not read."""
    best_row = best_col = 0
    for letters, digits in _REF.findall(xml):
        best_row, best_col = max(best_row, int(digits)), max(best_col, column_number(letters.decode()))
    return (best_row, best_col) if best_row else None


# Beyond these a lone cell, not the officer's table, is what makes a sheet's grid huge.
FAR_ROW, FAR_COLUMN = 300_000, 200


def _reader_failed_message(exc: ReaderFailed, data: bytes, info: XlsxInfo) -> str:
    """Why a whole workbook could not be read, in words an officer can act on."""
    name = info.file_name
    if exc.unavailable:
        return (f"Chưa đọc được tệp “{name}”: bộ đọc Excel của hệ thống không khởi động được (lỗi của hệ thống, "
                "không phải của tệp). Hãy thử lại sau ít phút và báo cho quản trị hệ thống nếu vẫn lỗi.")
    if not exc.crashed:
        kind = {"xls": "Excel 97–2003 (.xls)", "xlsb": "Excel nhị phân (.xlsb)", "ods": "bảng tính .ods"}.get(
            info.format, "Excel .xlsx")
        return (f"Tệp “{name}” không đọc được: cấu trúc bên trong không đúng chuẩn tệp {kind}. Hãy mở tệp "
                "bằng Excel, chọn Tệp › Lưu thành › Sổ làm việc Excel (.xlsx) rồi tải lên lại. "
                f"(Chi tiết kỹ thuật: {_first_line(exc.detail)})")
    if exc.timed_out:
        return (f"Tệp “{name}” bị từ chối: đọc tệp mất quá {fmt.number(TIMEOUT_S, 0)} giây. Hãy xóa các trang, hàng "
                "và cột không cần thiết hoặc chia số liệu thành nhiều tệp nhỏ hơn.")
    far = []
    with zipfile.ZipFile(io.BytesIO(data if info.format == "xlsx" else _EMPTY_ZIP)) as z:
        names = set(z.namelist())
        for sheet in info.sheets:
            found = farthest_cell(z.read(sheet.part)) if sheet.part in names else None
            if found and (found[0] > FAR_ROW or found[1] > FAR_COLUMN):
                far.append(f"vùng dữ liệu của trang “{sheet.name}” trải tới ô {column_letter(found[1] - 1)}{found[0]}")
    where = (" Trong tệp, " + "; ".join(far) + ": một ô lẻ nằm rất xa vùng số liệu làm bảng tính trở nên "
             "khổng lồ.") if far else ""
    return (f"Tệp “{name}” bị từ chối: bộ đọc Excel phải dừng vì tệp đòi quá nhiều bộ nhớ (vùng dữ liệu quá lớn "
            f"hoặc cấu trúc bất thường).{where} Hãy mở tệp bằng Excel, xóa các hàng và cột thừa ở cuối bảng (nhấn "
            "Ctrl+End để thấy ô cuối cùng), lưu lại rồi tải lên lại.")


_EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18


def read_tables(data: bytes, info: XlsxInfo, early: EarlyRead | None = None
                ) -> tuple[list[SheetPart], list[tuple[str, str]], list]:
    """(sheets to read, template sheets skipped, their reader.SheetTables). An .xlsx's sheets are
    known from its XML; those of .xls, .xlsb and .ods from the reader, which reads them all (and
    `info.sheets` is filled in); a .csv's one table was read with its checks (formats.check_csv).
    `early`: the .xlsx's sheets already being read (reader.EarlyRead), taken when it has them."""
    try:
        if info.format not in ("xlsx", "csv"):
            everything = read_sheets(data, None, typed=True)
            info.sheets = [SheetPart(name=t.name, part="", state=t.state) for t in everything]
        wanted = [sheet for sheet in info.sheets if fold(sheet.name) not in SKIPPED_SHEETS]
        skipped = [(sheet.name, "template") for sheet in info.sheets if fold(sheet.name) in SKIPPED_SHEETS
                   and sheet.state == "visible"]   # the hidden version sheet is not the officer's business
        if info.format == "xlsx":
            names = [sheet.name for sheet in wanted]
            tables = early.take(names) if early is not None and not info.backslashes else None
            return wanted, skipped, tables if tables is not None else read_sheets(data, names)
        keep = {sheet.name for sheet in wanted}
        return wanted, skipped, [t for t in (info.preread or []) if t.name in keep] if info.format == "csv" else \
            [t for t in everything if t.name in keep]
    except ReaderFailed as exc:
        raise UnsafeFile(_reader_failed_message(exc, data, info)) from None


# A report sheet is small (indicators or communes as rows); a sheet this long without the
# template's header is not one.
WIDE_MAX_ROWS = 2000


def _read_wide(sheet, table: pa.Table, absolute: list[int], wide: WideContext, data: bytes,
               info: XlsxInfo) -> SheetLayout | None:
    """The sheet read as a report sheet (layout.read_wide), or None."""
    if table.num_rows > WIDE_MAX_ROWS:
        return None
    grid = [list(r.values()) for r in table.to_pylist()]
    shown: dict[tuple[int, int], str] = {}
    if getattr(info, "date_styles", None) and getattr(sheet, "part", None):
        refs = {f"{column_letter(c)}{i + 1}": (i, j) for i in range(min(HEADER_SEARCH_ROWS, len(grid)))
                for j, c in enumerate(absolute)}
        try:
            found = period_formats(data, info, sheet.name, list(refs))
        except (KeyError, zipfile.BadZipFile):
            found = {}
        shown = {refs[ref]: kind for ref, kind in found.items()}
    return wide.read(sheet.name, grid, list(absolute), shown)


def _wide_frame(layout: SheetLayout, data: bytes, info: XlsxInfo, sheet) -> tuple[dict, int]:
    """The long rows of a report sheet as read_workbook's frame, and their count."""
    rows = layout.long_rows()
    k = len(rows)
    kinds: dict[tuple[int, str], str] = {}
    part = getattr(sheet, "part", None)
    values = [str(r["value"]) for r in rows]
    if part and getattr(info, "format", "xlsx") == "xlsx" and k and (
            sheet.has_formulas or info.percent_styles or any(re.fullmatch(r"-?\d+\.\d{3}", v) for v in values)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            kinds = scan_cells(archive.read(part), sorted({r["letter"] for r in rows}), info.percent_styles)
    frame: dict[str, object] = {"sheet": pa.array([layout.sheet] * k, pa.string()),
                                "row": pa.array([r["row"] for r in rows], pa.int64())}
    for f in FIELDS:
        frame[f] = pa.array([None if r.get(f) is None else str(r[f]) for r in rows], pa.string())
    for f in FIELDS:
        frame[f + "_cell"] = [kinds.get((r["row"], r["letter"]), "") if f == "value" else "" for r in rows]
    frame["cell_column"] = pa.array([r["column"] for r in rows], pa.string())
    return frame, k


def _wide_columns(layout: SheetLayout) -> dict[str, str]:
    """How problems name the columns of a report sheet (the value's own column is per row)."""
    label = next((c for c in layout.columns if c.role == "label"), None)
    named = f"{label.letter} ({label.header})" if label else "tên"
    if layout.kind == "indicators_as_rows":
        where = layout.locality.candidates[0][1] if layout.locality and layout.locality.candidates else \
            (layout.locality.code if layout.locality and layout.locality.code else "chưa rõ")
        return {"indicator_code": named, "locality_code": f"(địa phương của bảng: {where})"}
    return {"locality_code": named, "indicator_code": "(chỉ tiêu của trang)"}


def read_workbook(data: bytes, info: XlsxInfo,
                  wide: WideContext | Callable[[], WideContext] | None = None,
                  early: EarlyRead | None = None) -> WorkbookRows:
    """Every data row of every sheet but the template's own; see WorkbookRows.

    A sheet without the template's header is read as a report sheet (periods as columns,
    excel/layout.py) when `wide` is given (or a function making it, called only for such a sheet:
    a template upload never pays for it) and the sheet is one; its reading is in `layouts`.

    Raises UnsafeFile when there are more than MAX_DATA_ROWS data rows in all.
    """
    if info.backslashes:   # zip paths written with "\\": the reader and the scans see "/"
        data = normalised_zip(data)
    wanted, skipped, tables = read_tables(data, info, early)
    out = WorkbookRows(rows=pd.DataFrame(), sheets_skipped=skipped)
    # Cell styles that show a date as a year or a month: only then is the period column scanned.
    shown = {i: kind for i, kind in info.date_styles.items() if kind in ("year", "month")}
    frames = []
    total = 0
    archive = None
    for sheet, read in zip(wanted, tables):
        if read.table is None:   # an unreadable sheet is reported, never silently skipped
            if re.search(r"alloc|memory", read.error or "", re.IGNORECASE):
                # the worker's ceiling, met without an abort: the same cause as a crash
                raise UnsafeFile(_reader_failed_message(ReaderFailed(read.error, crashed=True), data, info))
            out.notes.append((sheet.name, "unreadable_sheet", _first_line(read.error)))
            continue
        table = read.table
        if table.num_rows == 0 or table.num_columns == 0:
            continue
        absolute = read.columns
        head = [list(r.values()) for r in table.slice(0, HEADER_SEARCH_ROWS).to_pylist()]
        found = _find_header(head)
        if found is None:
            if callable(wide):
                wide = wide()
            layout = _read_wide(sheet, table, read.columns, wide, data, info) if wide is not None else None
            if layout is not None:
                frame, kinds_total = _wide_frame(layout, data, info, sheet)
                total += kinds_total
                if total > MAX_DATA_ROWS:
                    raise UnsafeFile(f"Tệp “{info.file_name}” bị từ chối: có hơn {fmt.number(MAX_DATA_ROWS, 0)} "
                                     "dòng số liệu. Hãy chia thành nhiều tệp.")
                out.sheets_read.append(sheet.name)
                out.layouts.append(layout)
                out.columns[sheet.name] = _wide_columns(layout)
                out.notes += [(sheet.name, p["code"], json.dumps(p, ensure_ascii=False)) for p in layout.problems]
                if frame["row"]:
                    frames.append(frame)
                continue
            if _holds_numbers(table):   # figures without a header: the officer must know they are not read
                out.notes.append((sheet.name, "no_header", ""))
            else:                       # notes, a signature block: nothing to import
                out.sheets_skipped.append((sheet.name, "text_only"))
            continue
        header_at, fields, texts = found
        doubled = {f: j for f, j in fields.items() if "#" in f}
        fields = {f: j for f, j in fields.items() if "#" not in f}
        missing = [f for f in REQUIRED_FIELDS if f not in fields]
        out.sheets_read.append(sheet.name)
        out.columns[sheet.name] = {f: f"{column_letter(absolute[j])} ({texts[j]})" for f, j in fields.items()}
        if "locality_code" in fields and header_key(texts[fields["locality_code"]]) in COMMUNE_HEADERS:
            out.commune_sheets.add(sheet.name)
        if missing:
            out.notes.append((sheet.name, "missing_column", ",".join(missing)))
            continue
        if doubled:
            for key, j in doubled.items():
                f = key.split("#")[0]
                first = fields[f]
                out.notes.append((sheet.name, "duplicate_column", f"{f}|{column_letter(absolute[first])} "
                                  f"(“{texts[first]}”)|{column_letter(absolute[j])} (“{texts[j]}”)"))
            continue
        start = header_at + 1
        body = table.slice(start)
        letters = {f: column_letter(absolute[j]) for f, j in fields.items()}
        arrays = {f: body.column(j) for f, j in fields.items()}
        if shown and "period" in arrays and pc.any(pc.match_substring_regex(arrays["period"], _DATE_CELL_RE2)).as_py():
            archive = archive or zipfile.ZipFile(io.BytesIO(data))
            arrays["period"] = _periods_as_shown(arrays["period"], start + 1, archive.read(sheet.part),
                                                 letters["period"], shown)
        excel_rows = pa.array(range(start + 1, table.num_rows + 1), pa.int64())
        nums = [arrays[f] for f in NUMERIC_FIELDS if f in arrays]
        # Vectorised (Arrow): a row counts when any numeric cell holds something. A row with
        # codes but no value is a template row left unfilled: skipped, not an error.
        filled = pa.array([False] * body.num_rows, pa.bool_())   # typed: an empty list is not null-typed
        for a in nums:
            filled = pc.or_(filled, pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(a), ""), False))
        needs_scan = info.format == "xlsx" and (  # the other formats have no sheet XML
            sheet.has_formulas or sheet.has_errors or bool(info.percent_styles) or any(
                pc.any(pc.match_substring_regex(a, AMBIGUOUS_RE2)).as_py() for a in nums))
        kinds: dict[tuple[int, str], str] = {}
        if read.numbers:   # .xls, .xlsb, .ods: their number cells that read like "1.234" (reader.py)
            kinds = {(r + 1, column_letter(c)): "n" for r, c in read.numbers}
        if info.percent_cells and info.percent_cells.get(sheet.name):   # .ods cells shown as %
            number_columns = {absolute[j] for f, j in fields.items() if f in NUMERIC_FIELDS}
            kinds.update({(r + 1, column_letter(c)): "pct" for r, c in info.percent_cells[sheet.name]
                          if c in number_columns})
        if needs_scan:
            archive = archive or zipfile.ZipFile(io.BytesIO(data))
            scan_letters = list(letters.values()) if sheet.has_formulas or sheet.has_errors else \
                [letters[f] for f in NUMERIC_FIELDS if f in letters]
            kinds = scan_cells(archive.read(sheet.part), scan_letters, info.percent_styles)
            # The reader hands a formula without a cached value, and an error cell, over as blank:
            # such a row is not an unfilled template row but one to report.
            numeric_letters = {letters[f] for f in NUMERIC_FIELDS if f in letters}
            formula_rows = sorted({r for (r, c), k in kinds.items() if k == "formula"
                                   or (k.startswith("error:") and c in numeric_letters)})
            if formula_rows and formula_rows[-1] > table.num_rows:
                # The reader ends the sheet at its last cell with a value: rows below it that hold
                # only formulas without values are still the officer's rows.
                extra = formula_rows[-1] - table.num_rows
                arrays = {f: pa.concat_arrays([a, pa.nulls(extra, pa.string())]) for f, a in arrays.items()}
                excel_rows = pa.array(range(start + 1, formula_rows[-1] + 1), pa.int64())
                filled = pa.concat_arrays([filled, pa.array([False] * extra, pa.bool_())])
            if formula_rows:
                filled = pc.or_(filled, pc.is_in(excel_rows, value_set=pa.array(formula_rows, pa.int64())))
        rows_kept = pc.filter(excel_rows, filled)
        k = len(rows_kept)
        total += k
        if total > MAX_DATA_ROWS:
            raise UnsafeFile(f"Tệp “{info.file_name}” bị từ chối: có hơn {fmt.number(MAX_DATA_ROWS, 0)} "
                             "dòng số liệu. Hãy chia thành nhiều tệp.")
        if k and sheet.state != "visible":
            out.notes.append((sheet.name, "hidden_sheet", f"{k}|{sheet.state}"))   # rows not seen in Excel
        for ref in sheet.merged:
            covered = _merged_over(ref, [letters[f] for f in NUMERIC_FIELDS if f in letters], start + 1)
            if covered:
                out.notes.append((sheet.name, "merged_cells", f"{ref}|{covered}"))
        frame: dict[str, object] = {"sheet": pa.array([sheet.name] * k, pa.string()), "row": rows_kept}
        for f in FIELDS:
            frame[f] = pc.filter(arrays[f], filled) if f in arrays else pa.nulls(k, pa.string())
        kept_list = rows_kept.to_pylist() if kinds else []
        for f in FIELDS:
            frame[f + "_cell"] = [kinds.get((r, letters[f]), "") for r in kept_list] \
                if kinds and f in letters else [""] * k
        frames.append(frame)
    if archive is not None:
        archive.close()
    for frame in frames:
        frame.setdefault("cell_column", pa.nulls(len(frame["row"]), pa.string()))
    columns = ["sheet", "row", *FIELDS, *(f + "_cell" for f in FIELDS), "cell_column"]
    out.rows = pd.DataFrame({c: _column([fr[c] for fr in frames], c) for c in columns})
    return out
