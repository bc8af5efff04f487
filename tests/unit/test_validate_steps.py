"""Each step of validate() on its own: literal rows in, the step's output out. No database, no workbook.

One table per step. A case states what the officer would see: which problem (code, column,
the words that tell what to do), which value is kept, which row is rejected.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from indicators.excel.validate import (ERROR, FIELD_LABELS, WARNING, _arrow, _Collector, check_duplicate_keys,
                                       check_indicator_codes, check_key_cells, check_locality_codes, check_notes,
                                       check_periods, check_province_codes, check_sheets, fill_locality_codes,
                                       flag_outliers, read_numbers, rows_without_errors)
from tests.unit.test_validate import CATALOGUE, COLUMNS, TODAY, WRITABLE, rows

PLACES = CATALOGUE.localities
NAN = float("nan")


def start(*records, cells: dict | None = None):
    """(collector, text columns, cell kinds) as validate() has them before its first row step."""
    df = rows(*records, cells=cells).rows
    text = {f: _arrow(df[f]) for f in FIELD_LABELS}
    kinds = {f: df[f + "_cell"].to_numpy(dtype=object) for f in FIELD_LABELS}
    return _Collector(df, text, COLUMNS), text, kinds


def rules_of(*indicators) -> dict[str, np.ndarray]:
    """Each row's indicator rules, as check_indicator_codes gives them, for these typed codes."""
    col, text, _ = start(*[("12", code, "2025", "95") for code in indicators])
    return check_indicator_codes(text["indicator_code"], CATALOGUE.indicators, set(), col)


def found(col: _Collector) -> list[tuple]:
    """The problems as (Excel row, column, code, severity), in the order they were found."""
    return [(p.row, p.column, p.code, p.severity) for _, p in col.items]


def message(col: _Collector) -> str:
    return " | ".join(p.message for _, p in col.items)


def same_floats(got, expected) -> bool:
    return len(got) == len(expected) and all(
        (math.isnan(g) and math.isnan(e)) or g == pytest.approx(e) for g, e in zip(got, expected))


# --- check_sheets -------------------------------------------------------------------------------
@pytest.mark.parametrize("note,code,severity,column,value,words,not_words", [
    (("Ghi chép", "no_header", ""), "no_header", WARNING, "", "", "không được đọc", None),
    (("Cũ", "hidden_sheet", "2|hidden"), "hidden_sheet", WARNING, "", "", "2 dòng", None),
    (("Cũ", "hidden_sheet", "1234|hidden"), "hidden_sheet", WARNING, "", "", "Bỏ ẩn", None),
    # Excel cannot unhide a veryHidden sheet with a right click: do not tell the officer to try.
    (("Ẩn", "hidden_sheet", "3|veryHidden"), "hidden_sheet", WARNING, "", "", "VBA", "Bỏ ẩn"),
    (("S", "merged_cells", "D2:D4|D"), "merged_cells", WARNING, "D", "D2:D4", "chỉ ô đầu (D2)", None),
    (("S", "duplicate_column", "value|D (“Giá trị”)|E (“Số liệu”)"), "duplicate_column", ERROR, "", "",
     "Giá trị: D (“Giá trị”) và E (“Số liệu”)", None),
    (("Khác", "missing_column", "period,value"), "missing_column", ERROR, "", "", "thiếu cột Kỳ báo cáo, Giá trị",
     None),
    (("Hỏng", "unreadable_sheet", "calamine error"), "unreadable_sheet", ERROR, "", "calamine error",
     "Chi tiết kỹ thuật: calamine error", None),
])
def test_check_sheets(note, code, severity, column, value, words, not_words):
    [p] = check_sheets([note])
    assert (p.sheet, p.row, p.code, p.severity, p.column, p.value) == (note[0], None, code, severity, column, value)
    assert p.message.startswith(f"Trang “{note[0]}”")
    assert words in p.message
    assert not_words is None or not_words not in p.message


def test_check_sheets_keeps_the_readers_order():
    notes = [("A", "missing_column", "value"), ("B", "no_header", ""), ("C", "merged_cells", "E3:E9|E")]
    assert [p.sheet for p in check_sheets(notes)] == ["A", "B", "C"]


# --- check_key_cells ------------------------------------------------------------------------------
@pytest.mark.parametrize("cells,skipped,problems,value", [
    ({}, {}, [], None),
    ({(2, "period"): "s"}, {}, [], None),                       # a text cell is read, not reported
    ({(2, "period"): "formula"}, {"period": {0}}, [(2, "C (Kỳ báo cáo)", "formula_without_value", ERROR)],
     "(công thức)"),
    ({(2, "locality_code"): "error:#REF!"}, {"locality_code": {0}},
     [(2, "A (Mã địa phương)", "error_cell", ERROR)], "#REF!"),
    ({(2, "indicator_code"): "error:"}, {"indicator_code": {0}},
     [(2, "B (Mã chỉ tiêu)", "error_cell", ERROR)], "#?"),
    # Number columns are the number step's: not reported twice.
    ({(2, "value"): "formula"}, {}, [], None),
])
def test_check_key_cells(cells, skipped, problems, value):
    col, _, kinds = start(("12", "bhyt_coverage", None, "95"), cells=cells)
    got = check_key_cells({f: kinds[f] for f in ("locality_code", "indicator_code", "period")}, col)
    assert got == {f: skipped.get(f, set()) for f in ("locality_code", "indicator_code", "period")}
    assert found(col) == problems
    if value is not None:
        assert col.items[0][1].value == value


# --- fill_locality_codes --------------------------------------------------------------------------
@pytest.mark.parametrize("locality,province,commune_sheet,code,from_province", [
    ("12", None, False, "12", False),
    ("4", None, True, "00004", False),             # a number under "Mã xã" lost its leading zeros
    ("9931.0", None, True, "09931", False),
    (" 12 ", None, True, "00012", False),          # under "Mã xã" two digits are a commune too
    ("4", None, False, "4", False),                # under "Mã địa phương" it stays for normalise_code
    ("12345", None, True, "12345", False),
    ("xã A", None, True, "xã A", False),
    (None, "12", True, "12", True),                # a blank commune: the province's own row
    ("  ", "12", False, "12", True),
    ("03640", "12", True, "03640", False),         # both given: the commune is the locality
    (None, None, False, None, False),
    (None, "  ", False, None, False),
])
def test_fill_locality_codes(locality, province, commune_sheet, code, from_province):
    codes, took = fill_locality_codes(pa.array([locality], pa.string()), pa.array([province], pa.string()),
                                      np.array(["S"], dtype=object), {"S"} if commune_sheet else set())
    assert codes.to_pylist() == [code]
    assert took.tolist() == [from_province]


# --- check_locality_codes -------------------------------------------------------------------------
@pytest.mark.parametrize("locality,province,from_province,skip,loc,allowed,problems,words", [
    ("12", None, False, set(), "12", True, [], None),
    (" 12 ", None, False, set(), "12", True, [], None),
    ("3640", None, False, set(), "03640", True, [], None),      # 3 digits: a commune lost its zero
    ("99", None, False, set(), "99", False, [(2, "A (Mã địa phương)", "unknown_locality", ERROR)],
     "không có địa phương mã “99”"),
    ("1", None, False, set(), "01", False, [(2, "A (Mã địa phương)", "out_of_scope", ERROR)], "“01”"),
    ("09931", None, False, set(), "09931", False, [(2, "A (Mã địa phương)", "out_of_scope", ERROR)],
     "không được nhập"),
    (None, None, False, set(), None, False, [(2, "A (Mã địa phương)", "missing_value", ERROR)],
     "thiếu mã địa phương"),
    ("  ", None, False, set(), None, False, [(2, "A (Mã địa phương)", "missing_value", ERROR)], "5 chữ số"),
    # Taken from the Mã tỉnh column: the error is on that column and speaks of a province.
    ("99", "99", True, set(), "99", False, [(2, "H (Mã tỉnh)", "unknown_locality", ERROR)], "không có tỉnh mã"),
    ("01", "01", True, set(), "01", False, [(2, "H (Mã tỉnh)", "out_of_scope", ERROR)], "cho tỉnh “01”"),
    ("12", "12", True, set(), "12", True, [], None),
    # Already reported as a formula or error cell: rejected, not reported again.
    (None, None, False, {0}, None, False, [], None),
])
def test_check_locality_codes(locality, province, from_province, skip, loc, allowed, problems, words):
    col, text, _ = start((locality, "bhyt_coverage", "2025", "95", None, None, None, province))
    locs, ok = check_locality_codes(text["locality_code"], np.array([from_province]), PLACES, WRITABLE, skip, col)
    assert locs.tolist() == [loc] and ok.tolist() == [allowed]
    assert found(col) == problems
    assert words is None or words in message(col)


# --- check_province_codes -------------------------------------------------------------------------
@pytest.mark.parametrize("locality,province,from_province,allowed,problems,words", [
    ("03640", "12", False, True, [], None),
    ("03640", "12.0", False, True, [], None),        # a number cell
    ("03640", "01", False, True, [(2, "H (Mã tỉnh)", "province_mismatch", ERROR)], "thuộc tỉnh “12”"),
    ("12", "12", False, True, [], None),
    ("12", "01", False, True, [(2, "H (Mã tỉnh)", "province_mismatch", ERROR)], "là một tỉnh"),
    ("03640", None, False, True, [], None),
    ("03640", "01", False, False, [], None),          # locality already rejected: one error is enough
    ("12", "12", True, True, [], None),               # the locality is the province itself
])
def test_check_province_codes(locality, province, from_province, allowed, problems, words):
    col, text, _ = start((locality, "bhyt_coverage", "2025", "95", None, None, None, province))
    check_province_codes(text["province_code"], np.array([from_province]), np.array([locality], dtype=object),
                         np.array([allowed]), PLACES, col)
    assert found(col) == problems
    if words:
        assert words in message(col) and "ở cột A (Mã địa phương)" in message(col)


# --- check_indicator_codes ------------------------------------------------------------------------
@pytest.mark.parametrize("typed,skip,code,problems,words", [
    ("bhyt_coverage", set(), "bhyt_coverage", [], None),
    (" BHYT_Coverage ", set(), "bhyt_coverage", [], None),
    ("nope", set(), "nope", [(2, "B (Mã chỉ tiêu)", "unknown_indicator", ERROR)], "không có chỉ tiêu mã “nope”"),
    (None, set(), None, [(2, "B (Mã chỉ tiêu)", "missing_value", ERROR)], "thiếu mã chỉ tiêu"),
    ("   ", set(), None, [(2, "B (Mã chỉ tiêu)", "missing_value", ERROR)], "thiếu mã chỉ tiêu"),
    (None, {0}, None, [], None),
])
def test_check_indicator_codes(typed, skip, code, problems, words):
    col, text, _ = start(("12", typed, "2025", "95"))
    rules = check_indicator_codes(text["indicator_code"], CATALOGUE.indicators, skip, col)
    assert rules["code"].tolist() == [code]
    assert found(col) == problems
    assert words is None or words in message(col)


# --- check_indicator_codes: each row's rules --------------------------------------------------------
@pytest.mark.parametrize("code,kind,lo,hi,decimals,name,unit", [
    ("bhyt_coverage", "percent", 0, 100, 1, "Tỷ lệ dân số tham gia bảo hiểm y tế", "%"),
    ("infant_mortality", "per_1000", 0, 1000, 1, "Tỷ suất tử vong trẻ em dưới 1 tuổi", "‰"),
    ("commune_station_standard", "yes_no", 0, 1, 0, "Trạm Y tế xã đạt chuẩn quốc gia", "đạt/không đạt"),
    ("bhyt_visits_growth", "percent_change", -100, 1000, 1, "Mức tăng lượt khám BHYT", "%"),
    ("nope", None, NAN, NAN, 2, None, None),          # unknown: no range, so no second error
    (None, None, NAN, NAN, 2, None, None),
])
def test_check_indicator_codes_gives_each_row_its_rules(code, kind, lo, hi, decimals, name, unit):
    # Between two other rows, so that each row gets its own indicator's rules.
    rules = rules_of("doctors_added", code, "doctors_added")
    assert [rules["code"][1], rules["kind"][1], rules["name"][1], rules["unit"][1]] == [code, kind, name, unit]
    assert same_floats([rules["min"][1], rules["max"][1], rules["decimals"][1]], [lo, hi, decimals])
    assert rules["kind"][0] == rules["kind"][2] == "count" and rules["max"][2] == 1000


# --- check_periods --------------------------------------------------------------------------------
@pytest.mark.parametrize("typed,skip,period,problems,words", [
    ("2025", set(), "2025", [], None),
    ("Quý I/2026", set(), "2026-Q1", [], None),
    ("Quý IV/2026", set(), "2026-Q4", [], None),      # the current quarter (today is 24/11/2026)
    ("2026-11", set(), "2026-11", [], None),          # the current month
    ("2026", set(), "2026", [], None),
    ("2026-12", set(), "2026-12", [(2, "C (Kỳ báo cáo)", "future_period", ERROR)], "hôm nay là 24/11/2026"),
    ("2027", set(), "2027", [(2, "C (Kỳ báo cáo)", "future_period", ERROR)], "tương lai"),
    ("Quý V/2026", set(), None, [(2, "C (Kỳ báo cáo)", "bad_period", ERROR)], "“Quý V/2026” không hợp lệ"),
    ("1999", set(), None, [(2, "C (Kỳ báo cáo)", "bad_period", ERROR)], "không hợp lệ"),
    ("2025-13", set(), None, [(2, "C (Kỳ báo cáo)", "bad_period", ERROR)], "cần"),
    (None, set(), None, [(2, "C (Kỳ báo cáo)", "missing_value", ERROR)], "thiếu kỳ báo cáo"),
    ("  ", set(), None, [(2, "C (Kỳ báo cáo)", "missing_value", ERROR)], "thiếu kỳ báo cáo"),
    (None, {0}, None, [], None),
])
def test_check_periods(typed, skip, period, problems, words):
    col, text, _ = start(("12", "bhyt_coverage", typed, "95"))
    periods = check_periods(text["period"], TODAY, skip, col)
    assert periods.tolist() == [period]
    assert found(col) == problems
    assert words is None or words in message(col)


# --- read_numbers ---------------------------------------------------------------------------------
D, E, F = "D (Giá trị)", "E (Tử số)", "F (Mẫu số)"


@pytest.mark.parametrize("indicator,typed,kind,numbers,problems,words", [
    # (value, numerator, denominator) typed; the value cell's kind; what is read
    ("bhyt_coverage", ("95,5", None, None), "", (95.5, NAN, NAN), [], None),
    ("bhyt_coverage", ("95.5", None, None), "", (95.5, NAN, NAN), [], None),
    ("bhyt_coverage", ("95%", None, None), "", (95.0, NAN, NAN), [], None),
    ("bhyt_coverage", ("0.95", None, None), "pct", (95.0, NAN, NAN), [], None),   # a % cell shows 95%
    ("bhyt_coverage", ("95", None, None), "pct", (9500.0, NAN, NAN), [(2, D, "out_of_range", ERROR)],
     "định dạng phần trăm"),
    ("bhyt_coverage", ("28.123", None, None), "", (28123.0, NAN, NAN), [(2, D, "out_of_range", ERROR)],
     "phân cách hàng nghìn"),
    ("bhyt_coverage", ("28.123", None, None), "n", (28.123, NAN, NAN), [], None),   # a number cell
    ("bhyt_coverage", ("120", None, None), "", (120.0, NAN, NAN), [(2, D, "out_of_range", ERROR)],
     "cần từ 0 đến 100 (%)."),
    ("bhyt_visits_growth", ("-12,5%", None, None), "", (-12.5, NAN, NAN), [], None),
    ("bhyt_visits_growth", ("-150%", None, None), "", (-150.0, NAN, NAN), [(2, D, "out_of_range", ERROR)],
     "cần từ -100 đến 1.000 (%)."),
    ("infant_mortality", ("-3", None, None), "", (-3.0, NAN, NAN), [(2, D, "out_of_range", ERROR)], "giá trị -3 "),
    ("commune_station_standard", ("Đạt", None, None), "", (1.0, NAN, NAN), [], None),
    ("commune_station_standard", ("Không đạt", None, None), "", (0.0, NAN, NAN), [], None),
    ("commune_station_standard", ("Tốt", None, None), "", (NAN, NAN, NAN), [(2, D, "bad_number", ERROR)],
     "Không đạt"),
    ("doctors_added", ("5%", None, None), "", (NAN, NAN, NAN), [(2, D, "bad_number", ERROR)], "dấu %"),
    ("bhyt_coverage", ("chín lăm", None, None), "", (NAN, NAN, NAN), [(2, D, "bad_number", ERROR)], "13,5"),
    ("bhyt_coverage", ("2026-05-13 00:00:00", None, None), "", (NAN, NAN, NAN), [(2, D, "bad_number", ERROR)],
     "ngày tháng"),
    # An unreadable cell is the cause: the value is not also called missing.
    ("bhyt_coverage", (None, None, None), "formula", (NAN, NAN, NAN), [(2, D, "formula_without_value", ERROR)],
     "công thức"),
    ("bhyt_coverage", (None, None, None), "error:#DIV/0!", (NAN, NAN, NAN), [(2, D, "error_cell", ERROR)],
     "#DIV/0!"),
    # The value from numerator / denominator × the kind's scale.
    ("infant_mortality", (None, "12", "1.000"), "", (12.0, 12.0, 1000.0), [], None),
    ("bhyt_coverage", (None, "45", "50"), "", (90.0, 45.0, 50.0), [], None),
    ("bhyt_coverage", (None, "1.200", "1.000"), "", (120.0, 1200.0, 1000.0), [(2, E, "out_of_range", ERROR)],
     "đảo chỗ"),
    ("bhyt_coverage", (None, "5%", "10"), "", (NAN, NAN, 10.0), [(2, E, "bad_number", ERROR)], "dấu %"),
    ("doctors_added", (None, "5", "10"), "", (NAN, 5.0, 10.0), [(2, D, "missing_value", ERROR)],
     "thiếu giá trị"),                                 # a count is no ratio: nothing to compute
    ("bhyt_coverage", (None, "5", None), "", (NAN, 5.0, NAN), [(2, D, "missing_value", ERROR)], "tử số"),
    ("infant_mortality", ("10", "-1", "100"), "", (10.0, -1.0, 100.0),
     [(2, E, "out_of_range", ERROR), (2, D, "ratio_mismatch", WARNING)], "tử số -1 là số âm"),
    ("infant_mortality", ("10", "1", "-100"), "", (10.0, 1.0, -100.0), [(2, F, "out_of_range", ERROR)],
     "số âm"),
    ("infant_mortality", ("10", "1", "0"), "", (10.0, 1.0, 0.0), [(2, F, "out_of_range", ERROR)], "bằng 0"),
    # A typed value beside its numerator / denominator: checked, but only warned of.
    ("infant_mortality", ("25", "12", "1000"), "", (25.0, 12.0, 1000.0), [(2, D, "ratio_mismatch", WARNING)],
     "(12/1.000 × 1.000 = 12)"),
    ("infant_mortality", ("12,1", "12", "1000"), "", (12.1, 12.0, 1000.0), [], None),   # rounding
    ("infant_mortality", ("500", "499", "1000"), "", (500.0, 499.0, 1000.0), [], None),   # within 1%
    ("infant_mortality", ("510", "499", "1000"), "", (510.0, 499.0, 1000.0), [(2, D, "ratio_mismatch", WARNING)],
     "giá trị 510 khác"),
    ("bhyt_coverage", ("33,3", "1", "3"), "", (33.3, 1.0, 3.0), [], None),
    # An unknown indicator was rejected already: no value is asked for, no range applies.
    ("nope", (None, None, None), "", (NAN, NAN, NAN), [], None),
    ("nope", ("5000", None, None), "", (5000.0, NAN, NAN), [], None),
])
def test_read_numbers(indicator, typed, kind, numbers, problems, words):
    col, text, kinds = start(("12", indicator, "2025", *typed), cells={(2, "value"): kind})
    rules = rules_of(indicator)
    got = read_numbers(text, kinds, rules, col)
    assert same_floats([a[0] for a in got], numbers), [a[0] for a in got]
    assert found(col) == problems
    assert words is None or words in message(col)


# --- check_notes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("note,problems,shown", [
    (None, [], None),
    ("Báo cáo BHXH tỉnh, quý IV", [], None),
    ("x" * 1000, [], None),
    ("ý" * 1000, [], None),                           # characters, not bytes
    ("x" * 1001, [(2, "G (Ghi chú)", "note_too_long", ERROR)], "x" * 60 + "…"),
])
def test_check_notes(note, problems, shown):
    col, text, _ = start(("12", "bhyt_coverage", "2025", "95", None, None, note))
    check_notes(text["note"], col)
    assert found(col) == problems
    if shown:
        assert col.items[0][1].value == shown and "1.001 ký tự" in col.items[0][1].message


# --- check_duplicate_keys -------------------------------------------------------------------------
@pytest.mark.parametrize("keys,flagged", [
    ([("12", "bhyt_coverage", "2025"), ("12", "bhyt_coverage", "2025")], [3]),
    ([("12", "bhyt_coverage", "2025"), ("12", "bhyt_coverage", "2024")], []),
    ([("12", "bhyt_coverage", "2025"), ("03640", "bhyt_coverage", "2025")], []),
    ([("12", "bhyt_coverage", "2025"), ("12", "infant_mortality", "2025")], []),
    ([("12", "bhyt_coverage", "2025"), ("12", "bhyt_coverage", "2024"), ("12", "bhyt_coverage", "2025"),
      ("12", "bhyt_coverage", "2025")], [4, 5]),
    ([("12", "bhyt_coverage", None), ("12", "bhyt_coverage", None)], []),   # no key: already rejected
    ([(None, "bhyt_coverage", "2025"), (None, "bhyt_coverage", "2025")], []),
])
def test_check_duplicate_keys(keys, flagged):
    col, _, _ = start(*[(lc, ic, p, "95") for lc, ic, p in keys])
    locs, codes, periods = (np.array(k, dtype=object) for k in zip(*keys))
    check_duplicate_keys(locs, codes, periods, col)
    assert found(col) == [(r, "C (Kỳ báo cáo)", "duplicate_key", ERROR) for r in flagged]
    # Each names the first row with the same key, so the officer can choose between the two.
    assert all("với trang “S”, dòng 2;" in p.message for _, p in col.items)


# --- rows_without_errors --------------------------------------------------------------------------
@pytest.mark.parametrize("problems,kept", [
    ([], [True, True, True]),
    ([(0, ERROR)], [False, True, True]),
    ([(1, WARNING)], [True, True, True]),                 # a warning does not reject
    ([(2, ERROR), (2, ERROR), (1, WARNING)], [True, True, False]),
    ([(0, ERROR), (1, ERROR), (2, ERROR)], [False, False, False]),
])
def test_rows_without_errors(problems, kept):
    col, _, _ = start(*[("12", "bhyt_coverage", str(2020 + k), "95") for k in range(3)])
    for i, severity in problems:
        col.add(i, "value", "some_code", "…", severity)
    assert rows_without_errors(col, 3).tolist() == kept


# --- flag_outliers --------------------------------------------------------------------------------
HISTORY = pd.DataFrame([("12", "bhyt_coverage", 6, 94.8, 0.6), ("12", "infant_mortality", 2, 29.0, 0.5),
                        ("03640", "bhyt_coverage", 3, 100.0, 0.0), ("12", "doctors_added", 5, 0.0, None),
                        ("12", "commune_station_standard", 5, 5.0, 0.0)],
                       columns=["locality_code", "indicator_code", "n_values", "median_value", "mad_value"])


@pytest.mark.parametrize("locality,indicator,value,ok,history,flagged", [
    ("12", "bhyt_coverage", 95.5, True, HISTORY, False),
    ("12", "bhyt_coverage", 90.0, True, HISTORY, False),       # within 3.5 × 5% of 94.8
    ("12", "bhyt_coverage", 9.5, True, HISTORY, True),         # a slipped decimal point
    ("12", "bhyt_coverage", 9.5, False, HISTORY, False),       # rejected already: one message is enough
    ("12", "infant_mortality", 30.0, True, HISTORY, False),
    ("12", "infant_mortality", 290.0, True, HISTORY, True),    # two past values: 3.5 × 10% of the median
    ("12", "infant_mortality", 35.0, True, HISTORY, False),    # ... not their MAD (0.5)
    ("12", "infant_mortality", 40.0, True, HISTORY, True),
    ("03640", "bhyt_coverage", 99.0, True, HISTORY, False),    # a flat history: the 5% floor
    ("03640", "bhyt_coverage", 80.0, True, HISTORY, True),
    ("12", "doctors_added", 3.0, True, HISTORY, False),        # median 0: one unit of the last decimal
    ("12", "doctors_added", 4.0, True, HISTORY, True),
    ("12", "commune_station_standard", 0.0, True, HISTORY, False),   # yes/no: never, whatever the history
    ("01", "bhyt_coverage", 9.5, True, HISTORY, False),        # no history for this locality
    ("12", "bhyt_coverage", 9.5, True, HISTORY.iloc[:0], False),
    ("12", "bhyt_coverage", 9.5, True, None, False),
])
def test_flag_outliers(locality, indicator, value, ok, history, flagged):
    # Beside a kept, ordinary row: the row under test is judged on its own.
    col, _, _ = start((locality, indicator, "2026", str(value)), ("12", "bhyt_coverage", "2025", "95"))
    rules = rules_of(indicator, "bhyt_coverage")
    flag_outliers(np.array([locality, "12"], dtype=object), np.array([value, 95.0]), rules, np.array([ok, True]),
                  history, col)
    assert found(col) == ([(2, "D (Giá trị)", "outlier", WARNING)] if flagged else [])
    if flagged:
        row = HISTORY[(HISTORY.locality_code == locality) & (HISTORY.indicator_code == indicator)].iloc[0]
        assert f"qua {row.n_values} kỳ" in message(col) and "xác nhận" in message(col)
