"""Validation of the rows read from a workbook: every problem at once, each a Vietnamese sentence.

Pure: it takes the rows (excel_in.WorkbookRows), the catalogue, the set of locality codes the
uploader may write, each locality × indicator's history, and today's date, and returns the
clean rows ready to store plus the problems. Vectorised with pandas so 100,000 rows take a
fraction of a second; only problem rows are handled one by one.

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
"""
from __future__ import annotations

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


@dataclass
class Validation:
    rows: pd.DataFrame                 # clean rows (no error): locality_code, indicator_code, period,
    #                                    period_time, value, numerator, denominator, note, sheet, row
    problems: list[Problem] = field(default_factory=list)
    n_rows: int = 0                    # data rows read
    n_rejected: int = 0                # rows with at least one error

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]


def _shown(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _num(v: float, decimals: int = 2) -> str:
    return fmt.number(v, max(decimals, 2))


def _sheet_problems(data: WorkbookRows) -> list[Problem]:
    out = []
    for sheet, code, detail in data.notes:
        where = f"Trang “{sheet}”"
        if code == "no_header":
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
        self.items: list[tuple[int, Problem]] = []

    def text(self, fld: str, i: int):
        return self.raw[fld][int(i)].as_py()

    def add(self, i: int, fld: str, code: str, what: str, severity: str = ERROR, value=None) -> None:
        i = int(i)
        sheet, row = str(self.sheet[i]), int(self.row[i])
        column = self.columns.get(sheet, {}).get(fld, FIELD_LABELS.get(fld, fld))
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


def _special_rows(df: pd.DataFrame, fld: str, col: _Collector) -> set[int]:
    """Rows whose `fld` cell is a formula without a value or an Excel error, reported once here so
    that the field is not also reported as missing."""
    cells = df[fld + "_cell"].to_numpy(dtype=object)
    out = set()
    for i in np.flatnonzero(_is_error(cells) | (cells == "formula")):
        _special_cell(col, i, fld, cells[i])
        out.add(int(i))
    return out


def _parse_numbers(arr: pa.Array, cells: np.ndarray, fld: str, kinds: np.ndarray, col: _Collector) -> np.ndarray:
    """The numeric column `fld` as floats (NaN for blank); unreadable cells reported.

    Plain decimals are parsed vectorised (Arrow); everything else — commas, %, thousands dots,
    yes/no words — goes through excel_in's parsers one cell at a time."""
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
    filled = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(arr), ""), False).to_numpy(zero_copy_only=False)
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


def validate(data: WorkbookRows, catalogue: Catalogue, writable: set[str], history: pd.DataFrame,
             today: date) -> Validation:
    """Check every row; see the module docstring for the rules and the warning policy.

    `history` has one row per locality_code × indicator_code with n_values, median_value,
    mad_value (from the store's current values); it may be empty or hold more keys.
    """
    problems = _sheet_problems(data)
    df = data.rows.reset_index(drop=True)
    n = len(df)
    if n == 0:
        return Validation(rows=_clean_frame({}, np.zeros(0, dtype=bool)), problems=problems)
    raw = {f: _arrow(df[f]) for f in FIELD_LABELS}
    col = _Collector(df, raw, data.columns)
    ind = catalogue.indicators
    names, units = ind["name_vi"].to_dict(), ind["unit"].to_dict()
    kind_of, dec_of = ind["value_kind"].to_dict(), ind["decimals"].to_dict()
    lo_of, hi_of = ind["min_value"].to_dict(), ind["max_value"].to_dict()
    places = catalogue.localities

    special = {f: _special_rows(df, f, col) for f in ("locality_code", "indicator_code", "period")}

    # --- codes: checked once per distinct value ----------------------------------------------
    # Under a "Mã xã" header, a number that lost its leading zeros is a commune: 4 -> 00004.
    if data.commune_sheets:
        short = pc.and_(pc.is_in(pa.array(df["sheet"].astype(object).tolist(), pa.string()),
                                 value_set=pa.array(sorted(data.commune_sheets), pa.string())),
                        pc.fill_null(pc.match_substring_regex(raw["locality_code"], r"^\s*\d{1,4}(?:\.0+)?\s*$"),
                                     False))
        digits = pc.replace_substring_regex(raw["locality_code"], r"^\s*(\d+)(?:\.0+)?\s*$", r"\1")
        raw["locality_code"] = pc.if_else(short, pc.utf8_lpad(digits, width=5, padding="0"), raw["locality_code"])
    # With both Mã xã and Mã tỉnh columns, a blank commune cell means the province's own row.
    given = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(raw["locality_code"]), ""), False)
    province_given = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(raw["province_code"]), ""), False)
    from_province = pc.and_(pc.invert(given), province_given).to_numpy(zero_copy_only=False)
    if from_province.any():
        raw["locality_code"] = pc.if_else(pa.array(from_province), raw["province_code"], raw["locality_code"])
    li, lu = _encode(raw["locality_code"])
    l_norm = [None if v is None or not v.strip() else normalise_code(v) for v in lu]
    l_state = [1 if c is None else 2 if c not in places else 3 if c not in writable else 0 for c in l_norm]
    locs = np.array(l_norm, dtype=object)[li]
    for i in np.flatnonzero(np.array(l_state)[li]):
        lc = locs[i]
        if i in special["locality_code"]:
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
    both = np.flatnonzero(~from_province & province_given.to_numpy(zero_copy_only=False)
                          & (np.array(l_state)[li] == 0))
    for i in both:   # the commune must belong to the province written beside it
        province = normalise_code(col.text("province_code", i))
        parent = places.get(locs[i])
        if province not in (locs[i], parent):
            where = f"thuộc tỉnh “{parent}”" if parent else "là một tỉnh"
            col.add(i, "province_code", "province_mismatch", f"mã tỉnh “{province}” không khớp: địa phương "
                    f"“{locs[i]}” ở cột {col.columns.get(str(col.sheet[i]), {}).get('locality_code', 'Mã xã')} "
                    f"{where}; hãy sửa một trong hai mã.")
    ci, cu = _encode(raw["indicator_code"])
    c_norm = [None if v is None or not v.strip() else v.strip().lower() for v in cu]
    codes = np.array(c_norm, dtype=object)[ci]
    for i in np.flatnonzero(np.array([c is None or c not in kind_of for c in c_norm])[ci]):
        if i in special["indicator_code"]:
            continue
        if codes[i] is None:
            col.add(i, "indicator_code", "missing_value", "thiếu mã chỉ tiêu; cần một mã trong danh mục, "
                    "vd. bhyt_coverage.")
        else:
            col.add(i, "indicator_code", "unknown_indicator", f"không có chỉ tiêu mã “{codes[i]}”; cần một mã "
                    "trong danh mục (xem cột Mã chỉ tiêu của tệp mẫu), vd. bhyt_coverage.")
    kinds = np.array([kind_of.get(c) for c in c_norm], dtype=object)[ci]
    lo = np.array([lo_of.get(c, np.nan) for c in c_norm], dtype=float)[ci]
    hi = np.array([hi_of.get(c, np.nan) for c in c_norm], dtype=float)[ci]
    decimals = np.array([dec_of.get(c, 2) for c in c_norm], dtype=float)[ci]

    # --- periods -------------------------------------------------------------------------------
    pi, pu = _encode(raw["period"])
    parsed = [_try(parse_period)(v) for v in pu]
    periods = np.array([p[0] for p in parsed], dtype=object)[pi]
    p_state = np.array([0 if p[0] is not None and not is_future(p[0], today) else 1 for p in parsed])[pi]
    for i in np.flatnonzero(p_state):
        if i in special["period"]:
            continue
        p, code, expected = parsed[pi[i]]
        if p is None:
            what = "thiếu kỳ báo cáo" if code == "missing_value" else \
                f"kỳ báo cáo “{col.text('period', i)}” không hợp lệ"
            col.add(i, "period", code or "bad_period", f"{what}; cần {expected or PERIOD_EXPECTED}.")
        else:
            col.add(i, "period", "future_period", f"kỳ {fmt.period(p)} còn ở tương lai (hôm nay là "
                    f"{today.strftime('%d/%m/%Y')}); chỉ nhập số liệu của kỳ đã qua hoặc đang diễn ra.")

    # --- numbers -------------------------------------------------------------------------------
    value, num, den = (_parse_numbers(raw[f], df[f + "_cell"].to_numpy(dtype=object), f, kinds, col)
                       for f in ("value", "numerator", "denominator"))
    for f, arr in (("numerator", num), ("denominator", den)):
        for i in np.flatnonzero(arr < 0):
            col.add(i, f, "out_of_range", f"{FIELD_LABELS[f].lower()} {_num(arr[i])} là số âm; cần một số ≥ 0.")
    for i in np.flatnonzero(den == 0):
        col.add(i, "denominator", "out_of_range", "mẫu số bằng 0; cần một số lớn hơn 0.")
    scale = np.array([RATIO_SCALE.get(k, np.nan) for k in kinds], dtype=float) if not np.isnan(num).all() \
        else np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.where(den > 0, num / den * scale, np.nan)
    fill = np.isnan(value) & ~np.isnan(computed)
    value = np.where(fill, computed, value)
    unreadable = {i for i, p in col.items if p.code in ("bad_number", "formula_without_value", "error_cell")}
    for i in np.flatnonzero(np.isnan(value)):
        if kinds[i] is None or i in unreadable:
            continue
        col.add(i, "value", "missing_value", "thiếu giá trị (chỉ có tử số hoặc mẫu số, không tính được giá trị); "
                f"cần {YES_NO_EXPECTED if kinds[i] == 'yes_no' else NUMBER_EXPECTED}.")
    with np.errstate(invalid="ignore"):
        bad_range = (value < lo) | (value > hi)
    value_cells = df["value_cell"].to_numpy(dtype=object)
    for i in np.flatnonzero(bad_range):
        typed = col.text("value", i)
        hint = (f" Dấu chấm trong “{typed}” được hiểu là dấu phân cách hàng nghìn; nếu đây là số thập phân, "
                "hãy dùng dấu phẩy (vd. 28,123).") if typed is not None and value_cells[i] not in ("n", "pct") \
            and reads_as_thousands(typed) else ""
        if value_cells[i] == "pct":
            hint = (f" Ô này được định dạng phần trăm trong Excel: số {typed} trong ô % nghĩa là "
                    f"{_num(value[i])}%. Hãy gõ kèm dấu % (vd. 95%) hoặc bỏ định dạng % của cột.")
        if fill[i]:   # no value typed: it was computed from the numerator and denominator
            col.add(i, "numerator", "out_of_range", f"giá trị tính từ tử số/mẫu số ({_num(num[i])}/{_num(den[i])} "
                    f"× {_num(scale[i])} = {_num(value[i])}) nằm ngoài khoảng hợp lệ của chỉ tiêu "
                    f"“{names[codes[i]]}”, cần từ {_num(lo[i])} đến {_num(hi[i])} ({units[codes[i]]}); hãy kiểm tra "
                    "tử số và mẫu số (có thể bị đảo chỗ).", value=f"{_num(num[i])}/{_num(den[i])}")
            continue
        col.add(i, "value", "out_of_range", f"giá trị {_num(value[i])} nằm ngoài khoảng hợp lệ của chỉ tiêu "
                f"“{names[codes[i]]}”; cần từ {_num(lo[i])} đến {_num(hi[i])} ({units[codes[i]]}).{hint}")
    tol = np.maximum(10.0 ** -decimals, 0.01 * np.abs(computed))
    with np.errstate(invalid="ignore"):
        mismatch = ~fill & (np.abs(value - computed) > tol)
    for i in np.flatnonzero(mismatch):
        col.add(i, "value", "ratio_mismatch", f"giá trị {_num(value[i])} khác tử số/mẫu số "
                f"({_num(num[i])}/{_num(den[i])} × {_num(scale[i])} = {_num(computed[i])}); hãy kiểm tra lại.",
                WARNING)

    # --- notes: free text, but not a document ---------------------------------------------------
    note_length = pc.fill_null(pc.utf8_length(raw["note"]), 0).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(note_length > MAX_NOTE_CHARS):
        col.add(i, "note", "note_too_long", f"ghi chú dài {fmt.number(int(note_length[i]), 0)} ký tự; tối đa "
                f"{fmt.number(MAX_NOTE_CHARS, 0)} ký tự (ghi nguồn số liệu ngắn gọn, tài liệu dài hãy gửi riêng).",
                value=col.text("note", i)[:60] + "…")

    # --- duplicates within the file ------------------------------------------------------------
    keys = pd.DataFrame({"l": locs, "c": codes, "p": periods})
    keyed = keys.notna().all(axis=1).to_numpy()
    later = np.flatnonzero(keyed & keys.duplicated(keep="first").to_numpy())
    if len(later):
        first_at: dict[tuple, int] = {}
        for i in np.flatnonzero(keyed):
            first_at.setdefault((locs[i], codes[i], periods[i]), int(i))
        for i in later:
            f = first_at[(locs[i], codes[i], periods[i])]
            col.add(i, "period", "duplicate_key", f"trùng địa phương “{locs[i]}” × chỉ tiêu “{codes[i]}” × kỳ "
                    f"“{periods[i]}” với trang “{col.sheet[f]}”, dòng {int(col.row[f])}; mỗi kỳ chỉ được báo "
                    "cáo một giá trị trong một tệp.")

    # --- rows with errors, then outliers among the clean ones -----------------------------------
    bad = {i for i, p in col.items if p.severity == ERROR}
    ok = np.ones(n, dtype=bool)
    ok[list(bad)] = False
    columns = {"locality_code": locs, "indicator_code": codes, "period": periods, "value": value,
               "numerator": num, "denominator": den, "sheet": col.sheet, "row": col.row,
               "note": raw["note"], "value_kind": kinds, "decimals": decimals}
    _outliers(columns, ok, history, names, col)
    col.items.sort(key=lambda t: (t[0], t[1].severity != ERROR))
    problems += [p for _, p in col.items]
    return Validation(rows=_clean_frame(columns, ok), problems=problems, n_rows=n, n_rejected=len(bad))


def _outliers(c: dict, ok: np.ndarray, history: pd.DataFrame, names: dict, col: _Collector) -> None:
    if history is None or history.empty or not ok.any():
        return
    known = pd.MultiIndex.from_arrays([history["locality_code"].astype(object), history["indicator_code"]
                                       .astype(object)])
    at = known.get_indexer(pd.MultiIndex.from_arrays([c["locality_code"], c["indicator_code"]]))
    n_values = np.where(at >= 0, history["n_values"].to_numpy(dtype=float)[at], 0)
    med = np.where(at >= 0, history["median_value"].to_numpy(dtype=float)[at], np.nan)
    mad = np.where(at >= 0, history["mad_value"].fillna(0).to_numpy(dtype=float)[at], np.nan)
    unit = 10.0 ** -c["decimals"]
    scale = np.where(n_values >= 3, np.maximum.reduce([1.4826 * mad, 0.05 * np.abs(med), unit]),
                     np.maximum(0.10 * np.abs(med), unit))
    with np.errstate(invalid="ignore"):
        far = ok & (n_values > 0) & (c["value_kind"] != "yes_no") & (np.abs(c["value"] - med) > OUTLIER_Z * scale)
    for i in np.flatnonzero(far):
        col.add(i, "value", "outlier",
                f"giá trị {_num(c['value'][i])} khác xa số liệu đã báo cáo của địa phương này cho chỉ tiêu "
                f"“{names[c['indicator_code'][i]]}” (trung vị {_num(med[i])} qua {int(n_values[i])} kỳ); hãy "
                "kiểm tra (vd. nhầm dấu thập phân, nhập 0,95 thay vì 95) và xác nhận nếu đúng.", WARNING)


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
