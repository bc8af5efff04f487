"""Reading what officers really type: periods, numbers, yes/no, codes, headers, and workbooks."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from indicators.excel.cells import (CellError, is_future, normalise_code, number_format_kind, parse_number,
                                    parse_period, parse_yes_no)
from indicators.excel.workbook import header_field, period_formats, read_workbook
from indicators.excel.safety import check_xlsx

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize("raw,expected", [
    ("2026", "2026"), (2026, "2026"), ("2026.0", "2026"), (" 2026 ", "2026"), ("Năm 2026", "2026"),
    ("'2025", "2025"),
    ("2026-Q1", "2026-Q1"), ("2026-q4", "2026-Q4"), ("2026 Q2", "2026-Q2"),
    ("Q1/2026", "2026-Q1"), ("q3-2026", "2026-Q3"), ("Q2 2026", "2026-Q2"),
    ("Quý I/2026", "2026-Q1"), ("Quý IV/2025", "2025-Q4"), ("quý iii - 2026", "2026-Q3"),
    ("Quý 1 năm 2026", "2026-Q1"), ("quy 1/2026", "2026-Q1"), ("QUÝ II NĂM 2026", "2026-Q2"),
    ("06/2026", "2026-06"), ("6/2026", "2026-06"), ("2026-06", "2026-06"), ("2026/6", "2026-06"),
    ("Tháng 6/2026", "2026-06"), ("tháng 12 năm 2025", "2025-12"), ("T6/2026", "2026-06"),
    ("thang 06-2026", "2026-06"),
    ("2026-06-01 00:00:00", "2026-06"), ("2026-06-15", "2026-06"), ("15/06/2026", "2026-06"),
])
def test_period_forms(raw, expected):
    assert parse_period(raw) == expected


@pytest.mark.parametrize("raw,code", [
    ("", "missing_value"), ("   ", "missing_value"), ("abc", "bad_period"), ("2026-Q5", "bad_period"),
    ("Quý V/2026", "bad_period"), ("13/2026", "bad_period"), ("2026-13", "bad_period"),
    ("1999", "bad_period"), ("Quý I/1998", "bad_period"), ("2025-2026", "bad_period"), ("26", "bad_period"),
])
def test_bad_periods(raw, code):
    with pytest.raises(CellError) as exc:
        parse_period(raw)
    assert exc.value.code == code


@pytest.mark.parametrize("period,future", [
    ("2026", False), ("2027", True), ("2026-Q4", False), ("2027-Q1", True),
    ("2026-11", False), ("2026-12", True), ("2025-12", False),
])
def test_future_periods(period, future):
    assert is_future(period, TODAY) is future


@given(st.integers(2000, 2100), st.integers(1, 4), st.sampled_from(
    ["{y}-Q{q}", "Q{q}/{y}", "Quý {r}/{y}", "quý {q} năm {y}", "QUY {r} - {y}", "q{q} {y}"]))
def test_quarter_spellings_round_trip(year, quarter, form):
    roman = ["I", "II", "III", "IV"][quarter - 1]
    assert parse_period(form.format(y=year, q=quarter, r=roman)) == f"{year}-Q{quarter}"


@given(st.integers(2000, 2100), st.integers(1, 12), st.sampled_from(
    ["{m:02d}/{y}", "{m}/{y}", "{y}-{m:02d}", "Tháng {m}/{y}", "tháng {m} năm {y}", "{y}-{m:02d}-01"]))
def test_month_spellings_round_trip(year, month, form):
    assert parse_period(form.format(y=year, m=month)) == f"{year}-{month:02d}"


@pytest.mark.parametrize("raw", ["46082", "46082.0", 46082])
def test_a_date_serial_in_the_period_column_is_explained_not_misread(raw):
    """46082 is how Excel stores 01/03/2026; it is not month 4 of the year 6082."""
    with pytest.raises(CellError) as exc:
        parse_period(raw)
    assert exc.value.code == "bad_period"
    assert "01/03/2026" in exc.value.expected and "Tháng 3/2026" in exc.value.expected


# --- periods as the cell's number format shows them ------------------------------------------
@pytest.mark.parametrize("code,kind", [
    ("yyyy", "year"), ("YYYY", "year"), ("yy", "year"), ('"Năm "yyyy', "year"), ('"d"yyyy', "year"),
    ("[Red]yyyy;[Blue]dd/mm/yyyy", "year"),               # only the first section counts
    ("mm/yyyy", "month"), ("m/yyyy", "month"), ("mmm-yy", "month"), ('"Tháng "m/yyyy', "month"),
    ("[$-42A]mm/yyyy", "month"), ("yyyy\\-mm", "month"), ("mmmm", "month"),
    ("dd/mm/yyyy", "date"), ("d-mmm", "date"), ("[$-F800]dddd, mmmm dd, yyyy", "date"),
    ("yyyy-mm-dd h:mm:ss", "date"), ("mm/yyyy hh:mm", "date"),
    ("h:mm", "time"), ("hh:mm:ss", "time"), ("mm:ss", "time"), ("[h]:mm", "time"), ("[mm]:ss", "time"),
    ("h:mm AM/PM", "time"), ('hh "giờ" mm', "time"),
    ("General", None), ("0.00%", None), ("#,##0", None), ("0.00E+00", None), ("@", None), ("", None),
    ('"Tháng"', None), ("\\y\\y", None),
])
def test_number_format_kind(code, kind):
    """`m` beside an hour or seconds is minutes; quoted text, escapes and [...] are literals."""
    assert number_format_kind(code) == kind


@pytest.mark.parametrize("raw,shown_as,expected", [
    ("2026-01-01 00:00:00", "year", "2026"), ("2026-06-01 00:00:00", "month", "2026-06"),
    ("2026-06-15", "year", "2026"), (datetime(2026, 6, 1), "year", "2026"), ("46174", "year", "2026"),
    ("46174", "month", "2026-06"),
    ("2026-06-01 00:00:00", "date", "2026-06"), ("2026-06-01 00:00:00", None, "2026-06"),   # as before
    ("2026", "month", "2026"), ("Quý I/2026", "year", "2026-Q1"),   # not a date: read as typed
])
def test_a_date_reads_as_its_cell_shows_it(raw, shown_as, expected):
    assert parse_period(raw, shown_as=shown_as) == expected


def test_a_date_shown_as_a_year_before_2000_is_still_refused():
    with pytest.raises(CellError) as exc:
        parse_period("1905-07-18 00:00:00", shown_as="year")   # 2026 typed into a yyyy cell
    assert exc.value.code == "bad_period"


@pytest.mark.parametrize("raw", ["46082", "46082.0", 46082])
def test_a_serial_in_a_plain_cell_is_still_explained(raw):
    with pytest.raises(CellError):
        parse_period(raw, shown_as=None)


@pytest.mark.parametrize("raw,expected", [
    ("13,5", (13.5, False)), ("13.5", (13.5, False)), ("13.25", (13.25, False)), (" 95 % ", (95.0, True)),
    ("95%", (95.0, True)), ("1.234", (1234.0, False)), ("1.234,5", (1234.5, False)),
    ("1,234.5", (1234.5, False)), ("1.234.567", (1234567.0, False)), ("1,234,567", (1234567.0, False)),
    ("0.125", (0.125, False)), ("'42", (42.0, False)), ("42", (42.0, False)), ("-3,5", (-3.5, False)),
    ("−3,5", (-3.5, False)), ("+7", (7.0, False)), ("1 234", (1234.0, False)), ("12,3456", (12.3456, False)),
    ("1e3", (1000.0, False)), ("", (None, False)), ("  ", (None, False)), ("\xa078,9\xa0", (78.9, False)),
])
def test_number_forms(raw, expected):
    assert parse_number(raw) == expected


def test_a_number_cell_with_three_decimals_is_not_a_thousands_dot():
    assert parse_number("1.234", numeric_cell=True) == (1.234, False)
    assert parse_number("1.234") == (1234.0, False)


@pytest.mark.parametrize("raw,expected", [
    ("1234.567", 1234.567),     # a number cell with three decimals, as the reader writes it: no grouping has 4 digits
    ("2469.134", 2469.134), ("-1234.567", -1234.567),
    ("12.345", 12345.0), ("123.456", 123456.0),   # one to three digits before the dot: thousands
])
def test_only_a_real_grouping_is_a_thousands_dot(raw, expected):
    assert parse_number(raw)[0] == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["96\u200b", "\ufeff96", "9\u200d6", "96\u2060", "\u00ad96"])
def test_invisible_characters_copied_from_the_web_are_ignored(raw):
    assert parse_number(raw) == (96.0, False)


@pytest.mark.parametrize("raw", ["abc", "12a", "1.2.3,4,5", "1,2,3", "--5", "95%%", "1.23.4", "nan", "inf"])
def test_bad_numbers(raw):
    with pytest.raises(CellError) as exc:
        parse_number(raw)
    assert exc.value.code == "bad_number"


@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_decimal_comma_and_thousands_dots_round_trip(d):
    """Written the Vietnamese way (1.234.567,89) or the English way (1,234,567.89), it reads back."""
    whole, frac = f"{d:.2f}".split(".")
    groups = f"{int(whole):,}"
    assert parse_number(f"{groups.replace(',', '.')},{frac}")[0] == pytest.approx(float(d))
    assert parse_number(f"{groups},{frac}".replace(",", "_").replace("_", ",", groups.count(","))
                        .replace("_", "."))[0] == pytest.approx(float(d))
    assert parse_number(f"{whole},{frac}")[0] == pytest.approx(float(d))
    assert parse_number(f"{whole}.{frac}")[0] == pytest.approx(float(d))
    assert parse_number(f"{whole},{frac}%") == (pytest.approx(float(d)), True)


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_number_cells_read_back_exactly(x):
    assert parse_number(repr(x), numeric_cell=True)[0] == x


@pytest.mark.parametrize("raw,expected", [
    ("Đạt", 1.0), ("đạt", 1.0), ("DAT", 1.0), ("Có", 1.0), ("co", 1.0), ("Yes", 1.0), ("1", 1.0), ("x", 1.0),
    ("X", 1.0), ("true", 1.0), ("Không đạt", 0.0), ("khong dat", 0.0), ("Không", 0.0), ("No", 0.0),
    ("0", 0.0), ("Chưa đạt", 0.0), ("false", 0.0), ("", None),
])
def test_yes_no(raw, expected):
    assert parse_yes_no(raw) == expected


@pytest.mark.parametrize("raw", ["Tốt", "2", "maybe"])
def test_bad_yes_no(raw):
    with pytest.raises(CellError):
        parse_yes_no(raw)


@pytest.mark.parametrize("raw,expected", [
    ("12", "12"), ("1", "01"), ("1.0", "01"), ("09931", "09931"), ("9931", "09931"), ("00070", "00070"),
    (" '12 ", "12"), ("X1", "X1"),
])
def test_locality_codes(raw, expected):
    assert normalise_code(raw) == expected


@pytest.mark.parametrize("header,field", [
    ("Mã địa phương", "locality_code"), ("MÃ ĐỊA PHƯƠNG", "locality_code"), ("ma dia phuong", "locality_code"),
    ("Locality code", "locality_code"), ("locality_code", "locality_code"), ("Mã chỉ tiêu", "indicator_code"),
    ("INDICATOR CODE", "indicator_code"), ("Kỳ báo cáo", "period"), ("Period", "period"),
    ("Giá trị", "value"), ("Giá trị (%)", "value"), ("VALUE", "value"), ("Tử số", "numerator"),
    ("Numerator", "numerator"), ("Mẫu số", "denominator"), ("denominator", "denominator"),
    ("Nguồn / ghi chú", "note"), ("Nguon/ghi chu", "note"), ("Note", "note"), ("Source", "note"),
    ("Tên chỉ tiêu", None), ("Tên địa phương", None), ("Đơn vị", None), ("STT", None),
])
def test_headers(header, field):
    assert header_field(header) == field


# --- whole workbooks -------------------------------------------------------------------------
def _book(sheets: dict[str, list[list]], formats: dict | None = None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for ref, number_format in (formats or {}).get(name, {}).items():
            ws[ref].number_format = number_format
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _read(data: bytes):
    return read_workbook(data, check_xlsx(data, "t.xlsx"))


EN = ["locality code", "INDICATOR CODE", "Period", "value", "Numerator", "Denominator", "Note / source"]


def test_header_below_a_title_english_headers_extra_columns_and_blank_rows():
    data = _book({"Data": [
        ["Report of Lai Chau"], [],
        ["STT", *EN, "Ignored extra"],
        [1, "12", "bhyt_coverage", "2025", 95.5, None, None, "ok", "zzz"],
        [],
        [2, "12", "life_expectancy", "Q1/2026", "68,5", None, None, None, None],
        [3, "12", "doctors_per_10k", "2026", None, None, None, "nothing reported"],   # unfilled: skipped
    ]})
    read = _read(data)
    assert read.sheets_read == ["Data"]
    rows = read.rows
    assert rows["row"].tolist() == [4, 6]
    assert rows["indicator_code"].tolist() == ["bhyt_coverage", "life_expectancy"]
    assert rows["value"].tolist() == ["95.5", "68,5"]
    assert read.columns["Data"]["value"] == "E (value)"
    assert read.columns["Data"]["locality_code"] == "B (locality code)"


def test_reads_every_data_sheet_but_the_templates_own_and_reports_a_sheet_without_header():
    head = ["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"]
    data = _book({
        "Lai Châu": [head, ["12", "bhyt_coverage", "2025", 95]],
        "Hà Nội": [["Tiêu đề"], head, ["01", "bhyt_coverage", "2025", 94]],
        "Ghi chép": [["chỉ là ghi chú"], ["không có tiêu đề"]],
        "Số rời": [["Bảng tự làm"], ["Lai Châu", 95.5], ["Hà Nội", "94,2"]],
        "Hướng dẫn": [head, ["12", "bhyt_coverage", "2024", 1]],
        "_phien_ban": [["template_version", "1"]],
    })
    read = _read(data)
    assert read.sheets_read == ["Lai Châu", "Hà Nội"]
    assert read.rows["sheet"].tolist() == ["Lai Châu", "Hà Nội"]
    assert read.rows["row"].tolist() == [2, 3]
    assert read.notes == [("Số rời", "no_header", "")]   # figures that will not be read: say so
    assert read.sheets_skipped == [("Hướng dẫn", "template"), ("_phien_ban", "template"),
                                   ("Ghi chép", "text_only")]   # listed, no warning


def test_a_hidden_sheet_with_data_is_read_and_noted():
    head = ["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"]
    wb = Workbook()
    wb.active.append(head)
    wb.active.append(["12", "bhyt_coverage", "2025", 95])
    hidden = wb.create_sheet("Cũ")
    hidden.sheet_state = "hidden"
    hidden.append(head)
    hidden.append(["12", "bhyt_coverage", "2024", 94])
    hidden.append(["12", "bhyt_coverage", "2023", 93])
    buf = io.BytesIO()
    wb.save(buf)
    read = _read(buf.getvalue())
    assert read.rows["sheet"].tolist() == ["Sheet", "Cũ", "Cũ"]
    assert read.notes == [("Cũ", "hidden_sheet", "2|hidden")]


def test_province_and_commune_code_columns_are_told_apart():
    both = _read(_book({"S": [["Mã tỉnh", "Mã xã", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"],
                              ["12", "03640", "bhyt_coverage", "2025", 95]]}))
    assert both.columns["S"]["province_code"] == "A (Mã tỉnh)"
    assert both.columns["S"]["locality_code"] == "B (Mã xã)"
    assert both.rows[["province_code", "locality_code"]].values.tolist() == [["12", "03640"]]
    alone = _read(_book({"S": [["Mã tỉnh", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"], ["12", "bhyt_coverage", "2025", 95]]}))
    assert alone.columns["S"]["locality_code"] == "A (Mã tỉnh)" and "province_code" not in alone.columns["S"]
    assert alone.rows["locality_code"].tolist() == ["12"]


def test_merged_cells_over_the_value_column_are_noted():
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    for y in (2023, 2024, 2025):
        ws.append(["12", "bhyt_coverage", str(y), 95 if y == 2023 else None])
    ws.merge_cells("D2:D4")       # one figure typed over three rows
    ws.merge_cells("F1:G3")       # beside the table: harmless
    buf = io.BytesIO()
    wb.save(buf)
    read = _read(buf.getvalue())
    assert read.rows["row"].tolist() == [2]
    assert read.notes == [("Sheet", "merged_cells", "D2:D4|D")]


def test_missing_value_column_is_reported():
    read = _read(_book({"S": [["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo"], ["12", "x", "2025"]]}))
    assert read.notes == [("S", "missing_column", "value")]


def test_formula_without_cached_value_and_percent_cells_and_number_vs_text():
    head = ["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"]
    data = _book({"S": [
        head,
        ["12", "bhyt_coverage", "2025", "=90+5"],          # openpyxl writes no cached value
        ["12", "bhyt_coverage", "2024", 0.95],             # formatted 0% below: shows 95%
        ["12", "doctors_per_10k", "2024", 1.234],          # a number cell
        ["12", "doctors_per_10k", "2023", "1.234"],        # typed text: thousands dot
        ["12", "life_expectancy", datetime(2026, 6, 1), 68],
    ]}, formats={"S": {"D3": "0%"}})
    read = _read(data)
    r = read.rows.set_index("row")
    assert r.at[2, "value_cell"] == "formula"
    assert r.at[3, "value_cell"] == "pct"
    assert r.at[4, "value_cell"] == "n" and r.at[4, "value"] == "1.234"
    assert r.at[5, "value_cell"] == "s"
    assert parse_period(r.at[6, "period"]) == "2026-06"


def test_data_starting_in_column_c_keeps_excel_letters():
    wb = Workbook()
    ws = wb.active
    ws["C5"], ws["D5"], ws["E5"], ws["F5"] = "Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"
    ws["C6"], ws["D6"], ws["E6"], ws["F6"] = "12", "bhyt_coverage", "2025", "abc"
    buf = io.BytesIO()
    wb.save(buf)
    read = _read(buf.getvalue())
    assert read.columns["Sheet"]["value"] == "F (Giá trị)"
    assert read.rows["row"].tolist() == [6]


def test_period_cells_are_read_as_their_number_format_shows_them():
    head = ["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"]
    dates = [("yyyy", datetime(2026, 1, 1)), ("mm/yyyy", datetime(2026, 6, 1)), ('"Năm "yyyy', datetime(2025, 1, 1)),
             ("dd/mm/yyyy", datetime(2026, 3, 15)), ("mmm-yy", datetime(2026, 5, 1)),   # built-in 17
             ("yyyy", "2024-06-01"), ("@", "2023")]                                     # text cells
    data = _book({"S": [head, *[["12", "bhyt_coverage", when, 95] for _, when in dates]]},
                 formats={"S": {f"C{i}": number_format for i, (number_format, _) in enumerate(dates, 2)}})
    info = check_xlsx(data, "t.xlsx")
    assert sorted(set(info.date_styles.values())) == ["date", "month", "year"]
    periods = read_workbook(data, info).rows["period"].tolist()
    assert periods[:3] == ["2026", "2026-06", "2025"]
    assert parse_period(periods[3]) == "2026-03"                        # a full date: its month, as before
    assert periods[4] == "2026-05"
    assert periods[5:] == ["2024-06-01", "2023"]                        # typed text is left as typed


def test_period_formats_for_header_cells_of_a_wide_sheet():
    """What the wide-layout reader will call for its period headers."""
    data = _book({"Rộng": [["Mã địa phương", "Mã chỉ tiêu", datetime(2025, 1, 1), datetime(2026, 6, 1),
                            datetime(2026, 3, 15), "2024"]]},
                 formats={"Rộng": {"C1": "yyyy", "D1": "mm/yyyy", "E1": "dd/mm/yyyy", "F1": "yyyy"}})
    info = check_xlsx(data, "t.xlsx")
    found = period_formats(data, info, "Rộng", ["C1", "D1", "$E$1", "F1", "A1", "Z9", "not a ref"])
    assert found == {"C1": "year", "D1": "month", "$E$1": "date"}      # F1 is text, A1 has no format
    assert parse_period("2025-01-01 00:00:00", shown_as=found["C1"]) == "2025"
    assert parse_period("2026-06-01 00:00:00", shown_as=found["D1"]) == "2026-06"
    assert period_formats(data, info, "no such sheet", ["C1"]) == {}
