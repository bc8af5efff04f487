"""Validation rules, pure: literal rows and a small catalogue, no database, no workbook."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from indicators.excel.workbook import FIELDS, WorkbookRows
from indicators.excel.validate import Catalogue, validate

TODAY = date(2026, 11, 24)
CATALOGUE = Catalogue(
    indicators=pd.DataFrame([
        ("bhyt_coverage", "Tỷ lệ dân số tham gia bảo hiểm y tế", "%", "percent", 0, 100, 1),
        ("infant_mortality", "Tỷ suất tử vong trẻ em dưới 1 tuổi", "‰", "per_1000", 0, 1000, 1),
        ("commune_station_standard", "Trạm Y tế xã đạt chuẩn quốc gia", "đạt/không đạt", "yes_no", 0, 1, 0),
        ("doctors_added", "Số bác sĩ bổ sung", "người", "count", 0, 1000, 0),
        ("bhyt_visits_growth", "Mức tăng lượt khám BHYT", "%", "percent_change", -100, 1000, 1),
    ], columns=["indicator_code", "name_vi", "unit", "value_kind", "min_value", "max_value", "decimals"]
    ).set_index("indicator_code"),
    localities={"12": None, "01": None, "03640": "12", "09931": "01"},
)
WRITABLE = {"12", "03640"}
COLUMNS = {"S": {"locality_code": "A (Mã địa phương)", "indicator_code": "B (Mã chỉ tiêu)",
                 "period": "C (Kỳ báo cáo)", "value": "D (Giá trị)", "numerator": "E (Tử số)",
                 "denominator": "F (Mẫu số)", "note": "G (Ghi chú)", "province_code": "H (Mã tỉnh)"}}
NO_HISTORY = pd.DataFrame(columns=["locality_code", "indicator_code", "n_values", "median_value", "mad_value"])


def rows(*records, cells: dict | None = None) -> WorkbookRows:
    """records: (locality, indicator, period, value[, numerator, denominator, note]) from row 2 on."""
    data = {"sheet": [], "row": [], **{f: [] for f in FIELDS}, **{f + "_cell": [] for f in FIELDS}}
    for n, rec in enumerate(records, 2):
        rec = list(rec) + [None] * (len(FIELDS) - len(rec))
        data["sheet"].append("S")
        data["row"].append(n)
        for f, v in zip(FIELDS, rec):
            data[f].append(v)
            data[f + "_cell"].append((cells or {}).get((n, f), ""))
    frame = pd.DataFrame({k: pd.Series(v, dtype="int64" if k == "row" else object) for k, v in data.items()})
    return WorkbookRows(rows=frame, columns=COLUMNS, sheets_read=["S"])


def check(data: WorkbookRows, history: pd.DataFrame = NO_HISTORY):
    return validate(data, CATALOGUE, WRITABLE, history, TODAY)


def test_clean_rows_become_typed_values():
    v = check(rows(("12", "bhyt_coverage", "2025", "95,5", None, None, " nguồn: báo cáo "),
                   ("03640", "bhyt_coverage", "Quý I/2026", "95%"),
                   ("12", "commune_station_standard", "2025", "Đạt"),
                   ("12", "infant_mortality", "2024", None, "12", "1.000"),      # value from num/den
                   ("12", "bhyt_visits_growth", "2025", "-12,5%")))
    assert v.problems == [] and v.n_rejected == 0 and v.n_rows == 5
    got = v.rows[["locality_code", "indicator_code", "period", "value"]].values.tolist()
    assert got == [["12", "bhyt_coverage", "2025", 95.5], ["03640", "bhyt_coverage", "2026-Q1", 95.0],
                   ["12", "commune_station_standard", "2025", 1.0], ["12", "infant_mortality", "2024", 12.0],
                   ["12", "bhyt_visits_growth", "2025", -12.5]]
    assert v.rows["note"][0] == "nguồn: báo cáo"
    assert v.rows["period_time"].tolist()[1] == pytest.approx(2025.625)


@pytest.mark.parametrize("record,cells,code,column,found,words", [
    (("99", "bhyt_coverage", "2025", "95"), {}, "unknown_locality", "A (Mã địa phương)", "99", "không có địa phương"),
    (("01", "bhyt_coverage", "2025", "95"), {}, "out_of_scope", "A (Mã địa phương)", "01", "không được nhập"),
    (("09931", "bhyt_coverage", "2025", "95"), {}, "out_of_scope", "A (Mã địa phương)", "09931", "phạm vi"),
    (("12", "no_such", "2025", "95"), {}, "unknown_indicator", "B (Mã chỉ tiêu)", "no_such", "không có chỉ tiêu"),
    (("12", "bhyt_coverage", "2025", "120"), {}, "out_of_range", "D (Giá trị)", "120", "từ 0 đến 100"),
    (("12", "infant_mortality", "2025", "-3"), {}, "out_of_range", "D (Giá trị)", "-3", "ngoài khoảng"),
    (("12", "bhyt_coverage", "2027", "95"), {}, "future_period", "C (Kỳ báo cáo)", "2027", "tương lai"),
    (("12", "bhyt_coverage", "2026-12", "95"), {}, "future_period", "C (Kỳ báo cáo)", "2026-12", "tương lai"),
    (("12", "bhyt_coverage", "Quý V/2026", "95"), {}, "bad_period", "C (Kỳ báo cáo)", "Quý V/2026", "Quý I/2026"),
    (("12", "bhyt_coverage", "1999", "95"), {}, "bad_period", "C (Kỳ báo cáo)", "1999", "2000"),
    (("12", "bhyt_coverage", "2025", "chín lăm"), {}, "bad_number", "D (Giá trị)", "chín lăm", "13,5"),
    (("12", "commune_station_standard", "2025", "Tốt"), {}, "bad_number", "D (Giá trị)", "Tốt", "Không đạt"),
    (("12", "doctors_added", "2025", "5%"), {}, "bad_number", "D (Giá trị)", "5%", "%"),
    (("12", "bhyt_coverage", "2025", None), {(2, "value"): "formula"}, "formula_without_value", "D (Giá trị)",
     "(công thức)", "công thức chưa có giá trị tính"),
    ((None, "bhyt_coverage", "2025", "95"), {}, "missing_value", "A (Mã địa phương)", "", "thiếu mã địa phương"),
    (("12", "bhyt_coverage", None, "95"), {}, "missing_value", "C (Kỳ báo cáo)", "", "thiếu kỳ"),
    (("12", "infant_mortality", "2025", "10", "-1", "100"), {}, "out_of_range", "E (Tử số)", "-1", "số âm"),
    (("12", "infant_mortality", "2025", "10", "1", "0"), {}, "out_of_range", "F (Mẫu số)", "0", "bằng 0"),
])
def test_each_error_names_sheet_row_column_value_and_expectation(record, cells, code, column, found, words):
    v = check(rows(record, cells=cells))
    assert [p.code for p in v.errors] == [code]
    p = v.errors[0]
    assert (p.sheet, p.row, p.column, p.value, p.severity) == ("S", 2, column, found, "error")
    assert p.message.startswith(f"Trang “S”, dòng 2, cột {column}: ")
    assert words in p.message
    assert v.rows.empty and v.n_rejected == 1


def test_a_commune_column_beside_a_province_column():
    """Mã tỉnh | Mã xã: the commune is the locality; a blank commune is the province's own row;
    a commune of another province is an error, never data filed under the wrong locality."""
    v = check(rows(("03640", "bhyt_coverage", "2025", "95", None, None, None, "12"),
                   (None, "bhyt_coverage", "2025", "94", None, None, None, "12"),
                   ("03640", "bhyt_coverage", "2024", "93", None, None, None, "01"),
                   ("09931", "bhyt_coverage", "2024", "93", None, None, None, "12"),
                   (None, "bhyt_coverage", "2024", "93", None, None, None, "01")))
    assert v.rows[["locality_code", "value"]].values.tolist() == [["03640", 95.0], ["12", 94.0]]
    got = [(p.row, p.column, p.code) for p in v.errors]
    assert got == [(4, "H (Mã tỉnh)", "province_mismatch"), (5, "A (Mã địa phương)", "out_of_scope"),
                   (6, "H (Mã tỉnh)", "out_of_scope")]
    assert "“03640”" in v.errors[0].message and "thuộc tỉnh “12”" in v.errors[0].message


def test_a_whole_number_typed_into_a_percent_cell_says_why_it_is_huge():
    v = check(rows(("12", "bhyt_coverage", "2025", "95"), cells={(2, "value"): "pct"}))
    assert [p.code for p in v.errors] == ["out_of_range"]
    assert "9.500" in v.errors[0].message and "định dạng phần trăm" in v.errors[0].message


def test_sheet_notes_for_merged_cells_and_very_hidden_sheets_are_warnings():
    data = rows(("12", "bhyt_coverage", "2025", "95"))
    data.notes = [("S", "merged_cells", "D2:D4|D"), ("Ẩn", "hidden_sheet", "3|veryHidden")]
    v = check(data)
    assert [(p.code, p.severity) for p in v.problems] == [("merged_cells", "warning"), ("hidden_sheet", "warning")]
    assert "D2:D4" in v.problems[0].message and "bỏ gộp ô" in v.problems[0].message
    assert "veryHidden" in v.problems[1].message and "chuột phải" in v.problems[1].message
    assert "Bỏ ẩn" not in v.problems[1].message   # Excel cannot unhide it that way


def test_a_computed_value_out_of_range_points_at_the_numerator():
    v = check(rows(("12", "bhyt_coverage", "2025", None, "1.200", "1.000")))   # swapped: 120%
    assert [(p.code, p.column, p.value) for p in v.errors] == [("out_of_range", "E (Tử số)", "1.200/1.000")]
    assert "= 120" in v.errors[0].message and "đảo chỗ" in v.errors[0].message


def test_a_note_longer_than_a_source_line_is_an_error():
    v = check(rows(("12", "bhyt_coverage", "2025", "95", None, None, "x" * 1001),
                   ("12", "bhyt_coverage", "2024", "95", None, None, "Báo cáo BHXH tỉnh, quý IV")))
    assert [(p.code, p.row, p.column) for p in v.errors] == [("note_too_long", 2, "G (Ghi chú)")]
    assert "1.001 ký tự" in v.errors[0].message and len(v.errors[0].value) < 100
    assert v.rows["note"].tolist() == ["Báo cáo BHXH tỉnh, quý IV"]


def test_duplicates_within_the_file_point_at_the_first_row():
    v = check(rows(("12", "bhyt_coverage", "2025", "95"), ("12", "bhyt_coverage", "2025", "96"),
                   ("12", "bhyt_coverage", "2026", "96"), ("12", "bhyt_coverage", "2025", "97")))
    dups = [p for p in v.errors if p.code == "duplicate_key"]
    assert [p.row for p in dups] == [3, 5]
    assert all("dòng 2" in p.message for p in dups)


def test_every_problem_is_listed_at_once():
    v = check(rows(("99", "bhyt_coverage", "2025", "95"), ("12", "nope", "2025", "95"),
                   ("12", "bhyt_coverage", "2030", "101"), ("12", "bhyt_coverage", "2024", "96")))
    assert sorted(p.code for p in v.errors) == ["future_period", "out_of_range", "unknown_indicator",
                                                 "unknown_locality"]
    assert v.n_rejected == 3 and len(v.rows) == 1


HISTORY = pd.DataFrame([("12", "bhyt_coverage", 6, 94.8, 0.6), ("12", "infant_mortality", 2, 29.0, 0.5)],
                       columns=["locality_code", "indicator_code", "n_values", "median_value", "mad_value"])


@pytest.mark.parametrize("record,is_outlier", [
    (("12", "bhyt_coverage", "2026", "95,5"), False),
    (("12", "bhyt_coverage", "2026", "90"), False),       # within 3.5 × max(1.4826 × 0.6, 5% of 94.8)
    (("12", "bhyt_coverage", "2026", "9,5"), True),        # a slipped decimal point
    (("12", "bhyt_coverage", "2026", "0,95"), True),       # a fraction instead of a percentage
    (("12", "infant_mortality", "2026", "30"), False),
    (("12", "infant_mortality", "2026", "290"), True),     # two past values: 3.5 × 10% of the median
    (("03640", "bhyt_coverage", "2026", "9,5"), False),    # no history: nothing to compare with
])
def test_outliers_are_warnings_against_the_localitys_own_history(record, is_outlier):
    v = check(rows(record), HISTORY)
    assert not v.errors
    assert [p.code for p in v.warnings] == (["outlier"] if is_outlier else [])
    assert len(v.rows) == 1   # a warning does not reject the row
    if is_outlier:
        assert "trung vị" in v.warnings[0].message and "xác nhận" in v.warnings[0].message


def test_an_out_of_range_value_says_when_its_dot_was_read_as_thousands():
    v = check(rows(("12", "bhyt_coverage", "2025", "28.123"), ("12", "bhyt_coverage", "2024", "28,123")))
    assert [p.code for p in v.errors] == ["out_of_range"] and v.errors[0].row == 2
    assert "28.123" in v.errors[0].message and "phân cách hàng nghìn" in v.errors[0].message
    assert v.rows["value"].tolist() == [28.123]
    typed_number = check(rows(("12", "bhyt_coverage", "2025", "120")))
    assert "hàng nghìn" not in typed_number.errors[0].message


def test_a_value_excel_turned_into_a_date_says_so():
    v = check(rows(("12", "bhyt_coverage", "2025", "2026-05-13 00:00:00")))
    assert [p.code for p in v.errors] == ["bad_number"]
    assert "ngày tháng" in v.errors[0].message and "Văn bản (Text)" in v.errors[0].message


def test_ratio_mismatch_is_a_warning():
    v = check(rows(("12", "infant_mortality", "2025", "25", "12", "1000")))
    assert [p.code for p in v.warnings] == ["ratio_mismatch"] and not v.errors


def test_percent_formatted_cell_counts_as_what_the_officer_saw():
    v = check(rows(("12", "bhyt_coverage", "2025", "0.95"), cells={(2, "value"): "pct"}))
    assert v.rows["value"].tolist() == [95.0]


def test_sheet_level_notes_become_problems():
    data = rows(("12", "bhyt_coverage", "2025", "95"))
    data.notes = [("Ghi chép", "no_header", ""), ("Khác", "missing_column", "period,value"),
                  ("Hỏng", "unreadable_sheet", "calamine error: Xlsx error: Worksheet 'Hỏng' not found"),
                  ("Cũ", "hidden_sheet", "2|hidden")]
    v = check(data)
    assert [(p.code, p.severity) for p in v.problems] == [("no_header", "warning"), ("missing_column", "error"),
                                                           ("unreadable_sheet", "error"), ("hidden_sheet", "warning")]
    assert "đang bị ẩn" in v.problems[3].message and "2 dòng" in v.problems[3].message
    assert "Kỳ báo cáo, Giá trị" in v.problems[1].message
    # The reader's English stays a technical detail after a sentence the officer can act on.
    assert v.problems[2].message.startswith("Trang “Hỏng”: không đọc được trang này – nội dung")
    assert "lưu lại dưới dạng Sổ làm việc Excel" in v.problems[2].message
