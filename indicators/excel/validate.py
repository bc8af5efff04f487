"""Validation of the rows read from a workbook: every problem at once, each a Vietnamese sentence.

Pure: it takes the rows (workbook.WorkbookRows), the catalogue, the set of locality codes the
uploader may write, each locality × indicator's history, and today's date, and returns the
clean rows ready to store plus the problems. Vectorised (Arrow, numpy) so 100,000 rows take a
fraction of a second; per-value work is done once per distinct code or period, and only
problem rows are handled one by one.

validate() is the procedure, one named step per rule, each a function of plain arrays whose
docstring says what it rejects (an error) and what it only warns of: check_sheets,
check_key_cells, fill_locality_codes, check_locality_codes, check_province_codes,
check_indicator_codes, check_periods, check_locked_periods, read_numbers, check_notes,
check_duplicate_keys, rows_without_errors, flag_outliers. Every step sees every row, so all
problems are listed at once; a row's problems are listed together, errors first.

Errors block the import. Warnings must be confirmed by the uploader:
- 'outlier' — a value far from that locality × indicator's own history. Rule (Iglewicz &
  Hoaglin's modified z-score): |v − median| > 3.5 × scale, where scale = max(1.4826 × MAD,
  5% of |median|, one unit of the indicator's last decimal) with 3 or more past values, and
  10% of |median| with 1–2 past values; no check without history or for yes/no indicators.
  The 5% floor keeps a flat history (100, 100, 100) from flagging 99.
- 'ratio_mismatch' — value, numerator and denominator given but value ≠ numerator/denominator
  × 100 (or × 1,000, × 10,000 for rates) beyond rounding.
- 'no_header' — a sheet with data but no recognisable header row (it is not read).
- 'hidden_sheet' — a hidden sheet with data rows: they are read, and the uploader should know.
- 'merged_cells' — merged cells over a number column: only the top cell holds the figure.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from indicators.excel.cells import (NUMBER_EXPECTED, PERIOD_EXPECTED, YES_NO_EXPECTED, CellError, is_future,
                                    looks_like_date_cell, normalise_code, parse_number, parse_period, parse_yes_no,
                                    reads_as_thousands)
from indicators.excel.workbook import WorkbookRows
from indicators.progress.method import period_time
from indicators.text import fmt

ERROR, WARNING = "error", "warning"
PERCENT_KINDS = ("percent", "percent_change")
RATIO_SCALE = {"percent": 100.0, "per_1000": 1000.0, "per_10000": 10000.0}
OUTLIER_Z = 3.5
MAX_NOTE_CHARS = 1000
FIELD_LABELS = {"locality_code": "Mã địa phương", "indicator_code": "Mã chỉ tiêu", "period": "Kỳ báo cáo",
                "value": "Giá trị", "numerator": "Tử số", "denominator": "Mẫu số", "note": "Nguồn / ghi chú",
                "province_code": "Mã tỉnh"}


@dataclass(frozen=True)
class Problem:
    """One finding: where (sheet, Excel row, column 'G (Giá trị)'), the value as found, a stable
    English code, a Vietnamese sentence, and 'error' or 'warning'."""
    sheet: str
    row: int | None
    column: str
    value: str
    code: str
    message: str
    severity: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Catalogue:
    """What validation checks codes against. `indicators` is indexed by indicator_code with
    columns name_vi, unit, value_kind, min_value, max_value, decimals; `localities` maps every
    locality code to its parent (None for a province)."""
    indicators: pd.DataFrame
    localities: dict[str, str | None]


class Findings:
    """The errors and the warnings of a `problems` list (a validation, a task report import)."""
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]


@dataclass
class Validation(Findings):
    rows: pd.DataFrame                 # clean rows (no error): locality_code, indicator_code, period,
    #                                    period_time, value, numerator, denominator, note, sheet, row
    problems: list[Problem] = field(default_factory=list)
    n_rows: int = 0                    # data rows read
    n_rejected: int = 0                # rows with at least one error
    # (sheet, Excel row) -> the locality code a rejected row names, as validation read it
    # (4 under "Mã xã" is 00004, a blank commune takes "Mã tỉnh"); None where it names none
    rejected_localities: dict[tuple[str, int], str | None] = field(default_factory=dict)


def _shown(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _num(v: float, decimals: int = 2) -> str:
    return fmt.number(v, max(decimals, 2))


def check_sheets(notes: list[tuple[str, str, str]]) -> list[Problem]:
    """The reader's sheet-level notes (sheet, code, detail) as problems, in the reader's order.

    Errors, the sheet was not read: 'duplicate_column', 'missing_column', an unreadable sheet.
    Warnings: 'no_header' (data not read), 'hidden_sheet' and 'merged_cells' (data read, but not
    as the officer sees it in Excel)."""
    out = []
    for sheet, code, detail in notes:
        where = f"Trang “{sheet}”"
        if code.startswith("wide_"):   # a report sheet's reading (excel/layout.py): the sentence is made there
            p = json.loads(detail)
            out.append(Problem(sheet, p["row"], p["column"], p["value"], code, p["message"],
                               ERROR if p["severity"] == "error" else WARNING))
        elif code == "no_header":
            out.append(Problem(sheet, None, "", "", code, f"{where}: có dữ liệu nhưng không tìm thấy dòng tiêu đề "
                               "(cần các cột Mã địa phương, Mã chỉ tiêu, Kỳ báo cáo, Giá trị); trang này không được "
                               "đọc. Nếu đây là số liệu, hãy dùng tệp mẫu.", WARNING))
        elif code == "hidden_sheet":
            n_rows, _, state = detail.partition("|")
            how = ("bị ẩn sâu (veryHidden: không hiện lại được bằng chuột phải, chỉ bằng VBA) trong Excel"
                   if state == "veryHidden" else "đang bị ẩn trong Excel")
            show = ("" if state == "veryHidden" else " Hãy hiện trang (chuột phải vào tên trang › Bỏ ẩn) để kiểm tra,"
                    " rồi xác nhận nếu đúng.")
            out.append(Problem(sheet, None, "", "", code, f"{where} {how} nhưng có {fmt.number(int(n_rows), 0)} dòng số "
                               f"liệu; các dòng này sẽ được nhập cùng các trang khác.{show or ' Hãy kiểm tra rồi xác nhận nếu đúng.'}",
                               WARNING))
        elif code == "merged_cells":
            ref, letters = detail.split("|")
            top = ref.split(":")[0]
            out.append(Problem(sheet, None, letters, ref, code, f"{where}: vùng ô gộp {ref} phủ cột {letters} của số "
                               f"liệu: chỉ ô đầu ({top}) có giá trị, các dòng còn lại trong vùng gộp được coi là để "
                               "trống. Nếu mỗi dòng có số liệu riêng, hãy bỏ gộp ô (Merge & Center › Unmerge) và điền "
                               "từng dòng; nếu đúng như vậy, hãy xác nhận.", WARNING))
        elif code == "duplicate_column":
            fld, first, second = detail.split("|")
            out.append(Problem(sheet, None, "", "", code, f"{where}: có hai cột cùng được hiểu là "
                               f"{FIELD_LABELS.get(fld, fld)}: {first} và {second}; trang này chưa được đọc. Hãy đổi "
                               "tên hoặc xóa một cột (chỉ giữ một cột cho mỗi loại thông tin, như tệp mẫu).", ERROR))
        elif code == "missing_column":
            names = ", ".join(FIELD_LABELS[f] for f in detail.split(","))
            out.append(Problem(sheet, None, "", "", code, f"{where}: thiếu cột {names}; cần đủ các cột Mã địa "
                               "phương, Mã chỉ tiêu, Kỳ báo cáo, Giá trị như tệp mẫu.", ERROR))
        else:
            out.append(Problem(sheet, None, "", detail, code, f"{where}: không đọc được trang này – nội dung của "
                               "trang trong tệp bị hỏng hoặc thiếu. Hãy mở tệp bằng Excel, lưu lại dưới dạng Sổ làm "
                               f"việc Excel (.xlsx) rồi tải lên lại. (Chi tiết kỹ thuật: {detail})", ERROR))
    return out


def _arrow(series: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (zero-copy when it already is Arrow-backed)."""
    if isinstance(series.dtype, pd.ArrowDtype):
        arr = series.array._pa_array
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return pa.array(series.tolist(), pa.string())


def _encode(arr: pa.Array) -> tuple[np.ndarray, list]:
    """(position of each row's value in `distinct`, distinct values); the last stands for null.
    Codes and periods repeat a lot, so per-value work is done once per distinct value."""
    enc = pc.dictionary_encode(arr)
    distinct = enc.dictionary.to_pylist()
    index = pc.fill_null(enc.indices, len(distinct)).to_numpy(zero_copy_only=False)
    return index, distinct + [None]


def _per_value(index: np.ndarray, distinct: list, func, dtype=object) -> np.ndarray:
    table = np.empty(len(distinct), dtype=dtype)
    for k, v in enumerate(distinct):
        table[k] = func(v)
    return table[index]


class _Collector:
    """Problems keyed by row position, so a row's count of errors is known at the end.

    Cell text is looked up only for rows with a problem: most files have few."""

    def __init__(self, df: pd.DataFrame, raw: dict[str, pa.Array], columns: dict[str, dict[str, str]]):
        self.columns, self.raw = columns, raw
        self.sheet, self.row = df["sheet"].to_numpy(dtype=object), df["row"].to_numpy()
        # A report sheet's figures each have their own column ('E (Năm 2025)'): its value and period.
        self.cell_column = df["cell_column"].to_numpy(dtype=object) if "cell_column" in df else None
        self.items: list[tuple[int, Problem]] = []

    def text(self, fld: str, i: int):
        return self.raw[fld][int(i)].as_py()

    def add(self, i: int, fld: str, code: str, what: str, severity: str = ERROR, value=None) -> None:
        i = int(i)
        sheet, row = str(self.sheet[i]), int(self.row[i])
        column = self.columns.get(sheet, {}).get(fld, FIELD_LABELS.get(fld, fld))
        if self.cell_column is not None and fld in ("value", "period") and isinstance(self.cell_column[i], str):
            column = self.cell_column[i]
        found = _shown(self.text(fld, i) if value is None else value)
        message = f"Trang “{sheet}”, dòng {row}, cột {column}: {what}"
        self.items.append((i, Problem(sheet, row, column, found, code, message, severity)))


def _try(func):
    def run(v):
        if v is None:
            return (None, "missing_value", "")
        try:
            return (func(v), None, "")
        except CellError as exc:
            return (None, exc.code, exc.expected)
    return run


# As fastexcel writes number cells; exactly three decimals only when the cell is known to be a
# number (otherwise "1.234" is typed text with a thousands dot). RE2 syntax, for Arrow.
_PLAIN_RE2 = r"^-?\d+(?:\.\d{1,2}|\.\d{4,})?$"
_THREE_RE2 = r"^-?\d+\.\d{3}$"


def _is_error(cells: np.ndarray) -> np.ndarray:
    """Which cell kinds are 'error:…'. Most are '' (no scan, or plain cells): only the others are
    looked at one by one."""
    out = np.zeros(len(cells), dtype=bool)
    marked = np.flatnonzero(cells != "")
    if len(marked):
        out[marked] = [isinstance(k, str) and k.startswith("error:") for k in cells[marked]]
    return out


def _special_cell(col: _Collector, i: int, fld: str, kind: str) -> None:
    """A formula without a computed value, or a cell holding an Excel error: the reader sees a
    blank, the officer sees a formula or #DIV/0!; say which."""
    if kind == "formula":
        col.add(i, fld, "formula_without_value", "ô có công thức chưa có giá trị tính (tệp được lưu bằng phần "
                "mềm không tính công thức); hãy mở tệp bằng Excel, để Excel tính xong rồi lưu lại, hoặc dán giá "
                "trị (Paste Values).", value="(công thức)")
    else:
        err = kind.split(":", 1)[1] or "#?"
        col.add(i, fld, "error_cell", f"ô chứa lỗi {err} của Excel (công thức tính ra lỗi, vd. chia cho 0 hoặc "
                "không tìm thấy giá trị); hãy sửa công thức hoặc nhập giá trị rồi lưu lại.", value=err)


KEY_FIELDS = ("locality_code", "indicator_code", "period")
NUMBER_FIELDS = ("value", "numerator", "denominator")
# A row with a cell that could not be read is not also told its value is missing: the cause is the cell.
UNREADABLE = ("bad_number", "formula_without_value", "error_cell")


def validate(data: WorkbookRows, catalogue: Catalogue, writable: set[str], history: pd.DataFrame,
             today: date, locked: dict[tuple[str, str], str] | None = None) -> Validation:
    """Check every row; see the module docstring for the rules and the warning policy.

    `history` has one row per locality_code × indicator_code with n_values, median_value,
    mad_value (from the store's current values); it may be empty or hold more keys. `locked`
    maps each approved (locked) locality_code × period to the sentence that says so
    (auth.approval.Lock.message); its rows are refused (check_locked_periods).
    """
    problems = check_sheets(data.notes)
    df = data.rows.reset_index(drop=True)
    n = len(df)
    if n == 0:
        return Validation(rows=_clean_frame({}, np.zeros(0, dtype=bool)), problems=problems)
    text = {f: _arrow(df[f]) for f in FIELD_LABELS}
    cells = {f: df[f + "_cell"].to_numpy(dtype=object) for f in KEY_FIELDS + NUMBER_FIELDS}
    col = _Collector(df, text, data.columns)

    blank = check_key_cells({f: cells[f] for f in KEY_FIELDS}, col)
    # Into the collector's own dict: a problem quotes the code as understood (4 -> 00004).
    text["locality_code"], from_province = fill_locality_codes(text["locality_code"], text["province_code"],
                                                               col.sheet, data.commune_sheets)
    locs, allowed = check_locality_codes(text["locality_code"], from_province, catalogue.localities, writable,
                                         blank["locality_code"], col)
    check_province_codes(text["province_code"], from_province, locs, allowed, catalogue.localities, col)
    rules = check_indicator_codes(text["indicator_code"], catalogue.indicators, blank["indicator_code"], col)
    codes = rules["code"]
    periods = check_periods(text["period"], today, blank["period"], col)
    check_locked_periods(locs, periods, allowed, locked or {}, col)
    value, num, den = read_numbers(text, cells, rules, col)
    check_notes(text["note"], col)
    check_duplicate_keys(locs, codes, periods, col)
    ok = rows_without_errors(col, n)
    flag_outliers(locs, value, rules, ok, history, col)

    # A row's problems together, its errors before its warnings, each kind in the order checked.
    col.items.sort(key=lambda t: (t[0], t[1].severity != ERROR))
    problems += [p for _, p in col.items]
    columns = {"locality_code": locs, "indicator_code": codes, "period": periods, "value": value,
               "numerator": num, "denominator": den, "sheet": col.sheet, "row": col.row, "note": text["note"]}
    rejected = {(str(col.sheet[i]), int(col.row[i])): locs[i] for i in np.flatnonzero(~ok)}
    return Validation(rows=_clean_frame(columns, ok), problems=problems, n_rows=n, n_rejected=n - int(ok.sum()),
                      rejected_localities=rejected)


def check_key_cells(cells: dict[str, np.ndarray], col: _Collector) -> dict[str, set[int]]:
    """The rows (per field) whose code or period cell is a formula without a value or an Excel
    error: reported here, once, as an error, and returned so that the later checks do not also
    call the same cell missing or unknown."""
    out = {}
    for fld, kinds in cells.items():
        out[fld] = set()
        for i in np.flatnonzero(_is_error(kinds) | (kinds == "formula")):
            _special_cell(col, i, fld, kinds[i])
            out[fld].add(int(i))
    return out


def fill_locality_codes(locality: pa.Array, province: pa.Array, sheets: np.ndarray,
                        commune_sheets: set[str]) -> tuple[pa.Array, np.ndarray]:
    """(the locality code column as the sheet means it, which rows took it from the province).

    Reports nothing: it only decides which code a row is about, for check_locality_codes to judge.
    Under a "Mã xã" header a number of 1–4 digits lost its leading zeros and is a commune
    (4 -> 00004); with both Mã xã and Mã tỉnh columns a blank commune is the province's own row."""
    if commune_sheets:
        short = pc.and_(pc.is_in(pa.array(sheets.tolist(), pa.string()),
                                 value_set=pa.array(sorted(commune_sheets), pa.string())),
                        pc.fill_null(pc.match_substring_regex(locality, r"^\s*\d{1,4}(?:\.0+)?\s*$"), False))
        digits = pc.replace_substring_regex(locality, r"^\s*(\d+)(?:\.0+)?\s*$", r"\1")
        locality = pc.if_else(short, pc.utf8_lpad(digits, width=5, padding="0"), locality)
    from_province = pc.and_(pc.invert(_filled(locality)), _filled(province)).to_numpy(zero_copy_only=False)
    if from_province.any():
        locality = pc.if_else(pa.array(from_province), province, locality)
    return locality, from_province


def check_locality_codes(locality: pa.Array, from_province: np.ndarray, places: dict[str, str | None],
                         writable: set[str], skip: set[int], col: _Collector) -> tuple[np.ndarray, np.ndarray]:
    """(each row's normalised locality code or None, whether the uploader may write it).

    Errors, on the column the code came from: a blank code ('missing_value'), a code not in the
    catalogue ('unknown_locality'), one outside the uploader's scope ('out_of_scope'). Rows in
    `skip` were already reported by check_key_cells."""
    li, lu = _encode(locality)
    l_norm = [None if v is None or not v.strip() else normalise_code(v) for v in lu]
    l_state = np.array([1 if c is None else 2 if c not in places else 3 if c not in writable else 0
                        for c in l_norm])[li]
    locs = np.array(l_norm, dtype=object)[li]
    for i in np.flatnonzero(l_state):
        lc = locs[i]
        if i in skip:
            continue
        if from_province[i]:
            col.add(i, "province_code", "unknown_locality" if lc not in places else "out_of_scope",
                    f"không có tỉnh mã “{lc}”; cần mã 2 chữ số theo danh mục năm 2025, vd. 12." if lc not in places
                    else f"tài khoản của bạn không được nhập số liệu cho tỉnh “{lc}”; chỉ nhập cho địa phương "
                    "thuộc phạm vi được giao.")
            continue
        if lc is None:
            col.add(i, "locality_code", "missing_value", "thiếu mã địa phương; cần mã 2 chữ số (tỉnh, vd. 12) "
                    "hoặc 5 chữ số (xã/phường, vd. 09931).")
        elif lc not in places:
            col.add(i, "locality_code", "unknown_locality", f"không có địa phương mã “{lc}”; cần mã 2 chữ số "
                    "(tỉnh, vd. 12) hoặc đủ 5 chữ số kể cả số 0 đầu (xã/phường, vd. 09931) theo danh mục năm "
                    "2025; nếu Excel làm mất số 0 đầu, hãy định dạng cột là Văn bản (Text).")
        else:
            col.add(i, "locality_code", "out_of_scope", f"tài khoản của bạn không được nhập số liệu cho địa "
                    f"phương “{lc}”; chỉ nhập cho địa phương thuộc phạm vi được giao.")
    return locs, l_state == 0


def check_province_codes(province: pa.Array, from_province: np.ndarray, locs: np.ndarray, allowed: np.ndarray,
                         places: dict[str, str | None], col: _Collector) -> None:
    """Error 'province_mismatch' where a Mã tỉnh is written beside a valid commune of another
    province (or beside another province): never file data under the wrong locality. Only rows
    whose locality passed check_locality_codes are looked at, so a row gets one code error."""
    for i in np.flatnonzero(~from_province & _filled(province).to_numpy(zero_copy_only=False) & allowed):
        code = normalise_code(col.text("province_code", i))
        parent = places.get(locs[i])
        if code not in (locs[i], parent):
            where = f"thuộc tỉnh “{parent}”" if parent else "là một tỉnh"
            col.add(i, "province_code", "province_mismatch", f"mã tỉnh “{code}” không khớp: địa phương "
                    f"“{locs[i]}” ở cột {col.columns.get(str(col.sheet[i]), {}).get('locality_code', 'Mã xã')} "
                    f"{where}; hãy sửa một trong hai mã.")


def check_indicator_codes(indicator: pa.Array, indicators: pd.DataFrame, skip: set[int],
                          col: _Collector) -> dict[str, np.ndarray]:
    """Each row's indicator as the later steps need it: code (trimmed, lower-cased; None when
    blank; an unknown code as typed, for the messages), name, unit, kind, min, max, decimals.

    Errors: a blank code ('missing_value'), a code not in `indicators` ('unknown_indicator').
    Such a row gets kind None, no range (NaN) and 2 decimals, so that the number checks add no
    second error. Rows in `skip` were already reported by check_key_cells."""
    ci, cu = _encode(indicator)
    c_norm = [None if v is None or not v.strip() else v.strip().lower() for v in cu]
    codes = np.array(c_norm, dtype=object)[ci]
    known = set(indicators.index)
    for i in np.flatnonzero(np.array([c is None or c not in known for c in c_norm])[ci]):
        if i in skip:
            continue
        if codes[i] is None:
            col.add(i, "indicator_code", "missing_value", "thiếu mã chỉ tiêu; cần một mã trong danh mục, "
                    "vd. bhyt_coverage.")
        else:
            col.add(i, "indicator_code", "unknown_indicator", f"không có chỉ tiêu mã “{codes[i]}”; cần một mã "
                    "trong danh mục (xem cột Mã chỉ tiêu của tệp mẫu), vd. bhyt_coverage.")

    def per_row(column: str, default, dtype) -> np.ndarray:
        mapping = indicators[column].to_dict()
        return np.array([mapping.get(c, default) for c in c_norm], dtype=dtype)[ci]

    return {"code": codes, "name": per_row("name_vi", None, object), "unit": per_row("unit", None, object),
            "kind": per_row("value_kind", None, object), "min": per_row("min_value", np.nan, float),
            "max": per_row("max_value", np.nan, float), "decimals": per_row("decimals", 2, float)}


def check_periods(period: pa.Array, today: date, skip: set[int], col: _Collector) -> np.ndarray:
    """Each row's period in canonical form ('2025', '2026-Q1', '2026-03'), None when unreadable.

    Errors: a blank period ('missing_value'), one that cannot be read ('bad_period' or the
    parser's own code), one still in the future on `today` ('future_period'). Rows in `skip`
    were already reported by check_key_cells."""
    pi, pu = _encode(period)
    parsed = [_try(parse_period)(v) for v in pu]
    periods = np.array([p[0] for p in parsed], dtype=object)[pi]
    p_state = np.array([0 if p[0] is not None and not is_future(p[0], today) else 1 for p in parsed])[pi]
    for i in np.flatnonzero(p_state):
        if i in skip:
            continue
        p, code, expected = parsed[pi[i]]
        if p is None:
            what = "thiếu kỳ báo cáo" if code == "missing_value" else \
                f"kỳ báo cáo “{col.text('period', i)}” không hợp lệ"
            col.add(i, "period", code or "bad_period", f"{what}; cần {expected or PERIOD_EXPECTED}.")
        else:
            col.add(i, "period", "future_period", f"kỳ {fmt.period(p)} còn ở tương lai (hôm nay là "
                    f"{today.strftime('%d/%m/%Y')}); chỉ nhập số liệu của kỳ đã qua hoặc đang diễn ra.")
    return periods


def check_locked_periods(locs: np.ndarray, periods: np.ndarray, allowed: np.ndarray,
                         locked: dict[tuple[str, str], str], col: _Collector) -> None:
    """Error 'locked_period', on the period, for a row of an approved (locked) locality × period:
    the sentence of `locked` names the period, the locality, who approved it, when, and whom to
    ask. Only rows the uploader may write are looked at: a row outside the scope is refused for
    that alone, and says nothing about another locality's approvals."""
    if not locked:
        return
    wanted = {loc for loc, _ in locked}
    for i in np.flatnonzero(allowed & np.isin(locs, list(wanted))):
        message = locked.get((locs[i], periods[i]))
        if message is not None:
            col.add(i, "period", "locked_period", message)


def read_numbers(text: dict[str, pa.Array], cells: dict[str, np.ndarray], rules: dict[str, np.ndarray],
                 col: _Collector) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, numerator, denominator) as floats, NaN where blank or unreadable; a blank value is
    computed from numerator/denominator when both are given.

    Errors: a cell that is not a number ('bad_number', 'formula_without_value', 'error_cell'), a
    negative numerator or denominator or a zero denominator ('out_of_range'), no value and none
    computable for a known indicator ('missing_value'), a value outside the indicator's range
    ('out_of_range', on the numerator when the value was computed). Warning: a typed value that
    disagrees with its numerator/denominator ('ratio_mismatch')."""
    kinds = rules["kind"]
    value, num, den = (parse_number_column(text[f], cells[f], f, kinds, col) for f in NUMBER_FIELDS)
    check_ratio_parts(num, den, col)
    computed, scale = ratio_values(num, den, kinds)
    filled = np.isnan(value) & ~np.isnan(computed)
    value = np.where(filled, computed, value)
    check_values_present(value, kinds, col)
    check_value_range(value, filled, num, den, scale, cells["value"], rules, col)
    check_ratio_mismatch(value, computed, filled, num, den, scale, rules["decimals"], col)
    return value, num, den


def parse_number_column(arr: pa.Array, cells: np.ndarray, fld: str, kinds: np.ndarray,
                        col: _Collector) -> np.ndarray:
    """The numeric column `fld` as floats (NaN for blank).

    Errors: a formula without a value or an Excel error cell; text that is not a number, or not
    yes/no for a yes/no indicator's value; a % sign where the indicator is not a percentage (all
    'bad_number' but the first two). A cell formatted as a percentage holding 0.95 is 95.

    Plain decimals are parsed vectorised (Arrow); everything else — commas, %, thousands dots,
    yes/no words — goes through cells.py's parsers one cell at a time."""
    n = len(arr)
    formula = cells == "formula"
    error = _is_error(cells)
    if arr.null_count == n and not formula.any() and not error.any():
        return np.full(n, np.nan)
    numeric_cell = (cells == "n") | (cells == "pct")
    plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_RE2), False).to_numpy(zero_copy_only=False)
    three = pc.fill_null(pc.match_substring_regex(arr, _THREE_RE2), False).to_numpy(zero_copy_only=False)
    fast = (plain | (three & numeric_cell)) & ~formula & ~error
    out = pc.cast(pc.if_else(pa.array(fast), arr, pa.scalar(None, pa.string())), pa.float64()) \
        .to_numpy(zero_copy_only=False).astype("float64")
    filled = _filled(arr).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero((filled & ~fast) | formula | error):
        if formula[i] or error[i]:
            _special_cell(col, i, fld, cells[i])
            continue
        t, k = col.text(fld, i), kinds[i]
        try:
            if k == "yes_no" and fld == "value":
                out[i] = parse_yes_no(t)
                continue
            v, pct = parse_number(t, numeric_cell=bool(numeric_cell[i]))
        except CellError as exc:
            expected = YES_NO_EXPECTED if k == "yes_no" and fld == "value" else exc.expected
            hint = (" Ô này đang ở dạng ngày tháng (Excel tự đổi số như “13.5” thành ngày): hãy định dạng cột là "
                    "Số (Number) hoặc Văn bản (Text) rồi nhập lại số.") if looks_like_date_cell(t) else ""
            col.add(i, fld, "bad_number", f"“{t}” không đọc được; cần {expected}.{hint}")
            continue
        if pct and k is not None and not (fld == "value" and k in PERCENT_KINDS):
            col.add(i, fld, "bad_number", f"“{t}” có dấu %, nhưng chỉ tiêu này không tính theo %; "
                    "cần một số không kèm dấu %, ví dụ 13,5.")
            continue
        out[i] = np.nan if v is None else v
    if fld == "value":
        # A number cell formatted as a percentage shows 95% but holds 0.95: use what the officer saw.
        pct_cell = (cells == "pct") & np.isin(kinds, PERCENT_KINDS)
        out[pct_cell] *= 100.0
    return out


def check_ratio_parts(num: np.ndarray, den: np.ndarray, col: _Collector) -> None:
    """Errors 'out_of_range': a negative numerator or denominator, a zero denominator."""
    for f, arr in (("numerator", num), ("denominator", den)):
        for i in np.flatnonzero(arr < 0):
            col.add(i, f, "out_of_range", f"{FIELD_LABELS[f].lower()} {_num(arr[i])} là số âm; cần một số ≥ 0.")
    for i in np.flatnonzero(den == 0):
        col.add(i, "denominator", "out_of_range", "mẫu số bằng 0; cần một số lớn hơn 0.")


def ratio_values(num: np.ndarray, den: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(numerator / denominator × the kind's scale, the scale): NaN where either is missing, the
    denominator is not positive or the indicator is not a ratio (a count, yes/no). Reports nothing."""
    scale = np.array([RATIO_SCALE.get(k, np.nan) for k in kinds], dtype=float) if not np.isnan(num).all() \
        else np.full(len(kinds), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.where(den > 0, num / den * scale, np.nan)
    return computed, scale


def check_values_present(value: np.ndarray, kinds: np.ndarray, col: _Collector) -> None:
    """Error 'missing_value' for a row of a known indicator left without a value. Not for a row
    with an unknown indicator, nor one with a cell already reported unreadable (UNREADABLE)."""
    unreadable = {i for i, p in col.items if p.code in UNREADABLE}
    for i in np.flatnonzero(np.isnan(value)):
        if kinds[i] is None or i in unreadable:
            continue
        col.add(i, "value", "missing_value", "thiếu giá trị (chỉ có tử số hoặc mẫu số, không tính được giá trị); "
                f"cần {YES_NO_EXPECTED if kinds[i] == 'yes_no' else NUMBER_EXPECTED}.")


def check_value_range(value: np.ndarray, filled: np.ndarray, num: np.ndarray, den: np.ndarray, scale: np.ndarray,
                      value_cells: np.ndarray, rules: dict[str, np.ndarray], col: _Collector) -> None:
    """Error 'out_of_range' for a value outside the indicator's [min, max]. A value computed from
    numerator/denominator is reported on the numerator, with the arithmetic (they may be swapped);
    a typed one says when a dot was read as a thousands separator or a % cell multiplied it."""
    lo, hi, names, units = rules["min"], rules["max"], rules["name"], rules["unit"]
    with np.errstate(invalid="ignore"):
        bad_range = (value < lo) | (value > hi)
    for i in np.flatnonzero(bad_range):
        typed = col.text("value", i)
        hint = (f" Dấu chấm trong “{typed}” được hiểu là dấu phân cách hàng nghìn; nếu đây là số thập phân, "
                "hãy dùng dấu phẩy (vd. 28,123).") if typed is not None and value_cells[i] not in ("n", "pct") \
            and reads_as_thousands(typed) else ""
        if value_cells[i] == "pct":
            hint = (f" Ô này được định dạng phần trăm trong Excel: số {typed} trong ô % nghĩa là "
                    f"{_num(value[i])}%. Hãy gõ kèm dấu % (vd. 95%) hoặc bỏ định dạng % của cột.")
        if filled[i]:
            col.add(i, "numerator", "out_of_range", f"giá trị tính từ tử số/mẫu số ({_num(num[i])}/{_num(den[i])} "
                    f"× {_num(scale[i])} = {_num(value[i])}) nằm ngoài khoảng hợp lệ của chỉ tiêu "
                    f"“{names[i]}”, cần từ {_num(lo[i])} đến {_num(hi[i])} ({units[i]}); hãy kiểm tra "
                    "tử số và mẫu số (có thể bị đảo chỗ).", value=f"{_num(num[i])}/{_num(den[i])}")
            continue
        col.add(i, "value", "out_of_range", f"giá trị {_num(value[i])} nằm ngoài khoảng hợp lệ của chỉ tiêu "
                f"“{names[i]}”; cần từ {_num(lo[i])} đến {_num(hi[i])} ({units[i]}).{hint}")


def check_ratio_mismatch(value: np.ndarray, computed: np.ndarray, filled: np.ndarray, num: np.ndarray,
                         den: np.ndarray, scale: np.ndarray, decimals: np.ndarray, col: _Collector) -> None:
    """Warning 'ratio_mismatch' where a typed value differs from numerator/denominator by more
    than rounding: one unit of the indicator's last decimal, or 1% of the computed value."""
    tol = np.maximum(10.0 ** -decimals, 0.01 * np.abs(computed))
    with np.errstate(invalid="ignore"):
        mismatch = ~filled & (np.abs(value - computed) > tol)
    for i in np.flatnonzero(mismatch):
        col.add(i, "value", "ratio_mismatch", f"giá trị {_num(value[i])} khác tử số/mẫu số "
                f"({_num(num[i])}/{_num(den[i])} × {_num(scale[i])} = {_num(computed[i])}); hãy kiểm tra lại.",
                WARNING)


def check_notes(note: pa.Array, col: _Collector) -> None:
    """Error 'note_too_long' past MAX_NOTE_CHARS characters: a note names a source, it is not a
    document. The problem quotes only the note's start."""
    note_length = pc.fill_null(pc.utf8_length(note), 0).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(note_length > MAX_NOTE_CHARS):
        col.add(i, "note", "note_too_long", f"ghi chú dài {fmt.number(int(note_length[i]), 0)} ký tự; tối đa "
                f"{fmt.number(MAX_NOTE_CHARS, 0)} ký tự (ghi nguồn số liệu ngắn gọn, tài liệu dài hãy gửi riêng).",
                value=col.text("note", i)[:60] + "…")


def check_duplicate_keys(locs: np.ndarray, codes: np.ndarray, periods: np.ndarray, col: _Collector) -> None:
    """Error 'duplicate_key' on every row after the first with the same locality × indicator ×
    period, pointing at the first: which of the two values is right only the officer knows.
    Rows missing any part of the key are left out (already rejected)."""
    # Each part as an integer (pandas.factorize: -1 for a missing one), the three in one int64
    # (at most (rows + 1)³: well inside it for MAX_DATA_ROWS), duplicates found on that.
    keyed = np.ones(len(locs), dtype=bool)
    combined = np.zeros(len(locs), dtype=np.int64)
    for part in (locs, codes, periods):
        ids, uniques = pd.factorize(part)
        keyed &= ids >= 0
        combined = combined * (len(uniques) + 1) + (ids + 1)
    later = np.flatnonzero(keyed & pd.Series(combined).duplicated(keep="first").to_numpy())
    if len(later):
        first_at: dict[tuple, int] = {}
        for i in np.flatnonzero(keyed):
            first_at.setdefault((locs[i], codes[i], periods[i]), int(i))
        for i in later:
            f = first_at[(locs[i], codes[i], periods[i])]
            col.add(i, "period", "duplicate_key", f"trùng địa phương “{locs[i]}” × chỉ tiêu “{codes[i]}” × kỳ "
                    f"“{periods[i]}” với trang “{col.sheet[f]}”, dòng {int(col.row[f])}; mỗi kỳ chỉ được báo "
                    "cáo một giá trị trong một tệp.")


def rows_without_errors(col: _Collector, n: int) -> np.ndarray:
    """Which of the `n` rows have no error so far: the rows kept. A warning does not reject."""
    ok = np.ones(n, dtype=bool)
    ok[[i for i, p in col.items if p.severity == ERROR]] = False
    return ok


def flag_outliers(locs: np.ndarray, value: np.ndarray, rules: dict[str, np.ndarray], ok: np.ndarray,
                  history: pd.DataFrame | None, col: _Collector) -> None:
    """Warning 'outlier' for a kept row whose value is far from its locality × indicator's
    history (the rule is in the module docstring). Nothing without history, for yes/no
    indicators, or for rejected rows."""
    if history is None or history.empty or not ok.any():
        return
    known = pd.MultiIndex.from_arrays([history["locality_code"].astype(object), history["indicator_code"]
                                       .astype(object)])
    at = known.get_indexer(pd.MultiIndex.from_arrays([locs, rules["code"]]))
    n_values = np.where(at >= 0, history["n_values"].to_numpy(dtype=float)[at], 0)
    med = np.where(at >= 0, history["median_value"].to_numpy(dtype=float)[at], np.nan)
    mad = np.where(at >= 0, history["mad_value"].fillna(0).to_numpy(dtype=float)[at], np.nan)
    unit = 10.0 ** -rules["decimals"]
    scale = np.where(n_values >= 3, np.maximum.reduce([1.4826 * mad, 0.05 * np.abs(med), unit]),
                     np.maximum(0.10 * np.abs(med), unit))
    with np.errstate(invalid="ignore"):
        far = ok & (n_values > 0) & (rules["kind"] != "yes_no") & (np.abs(value - med) > OUTLIER_Z * scale)
    for i in np.flatnonzero(far):
        col.add(i, "value", "outlier",
                f"giá trị {_num(value[i])} khác xa số liệu đã báo cáo của địa phương này cho chỉ tiêu "
                f"“{rules['name'][i]}” (trung vị {_num(med[i])} qua {int(n_values[i])} kỳ); hãy "
                "kiểm tra (vd. nhầm dấu thập phân, nhập 0,95 thay vì 95) và xác nhận nếu đúng.", WARNING)


def _filled(arr: pa.Array) -> pa.Array:
    """Which cells hold something other than blanks."""
    return pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(arr), ""), False)


def _clean_frame(c: dict, ok: np.ndarray) -> pd.DataFrame:
    """The rows without errors; text columns Arrow-backed so the store reads them without conversion."""
    text = pd.ArrowDtype(pa.string())
    if not ok.any():
        return pd.DataFrame({k: pd.Series(dtype="float64" if k in ("period_time", "value", "numerator",
                                                                     "denominator") else "int64" if k == "row"
                                         else text) for k in CLEAN_COLUMNS})
    keep = np.flatnonzero(ok)
    periods = c["period"][keep]
    pi, pu = _encode(pa.array(periods.tolist(), pa.string()))
    out = {
        "locality_code": pa.array(c["locality_code"][keep].tolist(), pa.string()),
        "indicator_code": pa.array(c["indicator_code"][keep].tolist(), pa.string()),
        "period": pa.array(periods.tolist(), pa.string()),
        "period_time": _per_value(pi, pu, lambda p: period_time(p) if p else np.nan, float),
        "value": c["value"][keep], "numerator": c["numerator"][keep], "denominator": c["denominator"][keep],
        "note": _notes(c["note"]).take(pa.array(keep)),
        "sheet": pa.array(c["sheet"][keep].tolist(), pa.string()),
        "row": c["row"][keep].astype("int64"),
    }
    return pd.DataFrame({k: pd.Series(pd.arrays.ArrowExtensionArray(v)) if isinstance(v, pa.Array) else v
                         for k, v in out.items()})[CLEAN_COLUMNS]


CLEAN_COLUMNS = ["locality_code", "indicator_code", "period", "period_time", "value", "numerator",
                 "denominator", "note", "sheet", "row"]


def _notes(arr: pa.Array) -> pa.Array:
    """Notes trimmed; blank ones become null."""
    if arr.null_count == len(arr):
        return arr
    trimmed = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
