"""Officers' own report sheets (issue 14): periods as columns, indicators or communes named as
people write them, read into the same preview, validation and commit as the template."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from indicators.auth.accounts import PermissionDenied
from indicators.excel import importer, mappings
from indicators.excel.names import name_key
from indicators.auth.accounts import get_account
from indicators.store import gate
from tests.store.test_import import add_account


def sheet(rows: list[list], title: str = "Báo cáo", merges: list[str] = (), formats: dict[str, str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    for ref in merges:
        ws.merge_cells(ref)
    for ref, number_format in (formats or {}).items():
        ws[ref].number_format = number_format
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def db(seeded_db):
    with gate.writing(seeded_db) as con:
        add_account(con, "canbo-lc", "officer", "12")
        add_account(con, "admin", "admin", None)
        add_account(con, "canbo-hn", "officer", "01")
    return seeded_db


def preview(db, data: bytes, user: str = "canbo-lc", **kw):
    with gate.reading(db) as con:
        return importer.preview(con, data, "bao_cao.xlsx", user, **kw)


def commit(db, pv, user: str = "canbo-lc"):
    with gate.writing(db) as con:
        return importer.commit(con, pv, user, confirm_warnings=True)


def values(pv) -> dict[tuple[str, str, str], float]:
    rows = pv.validation.rows
    return {(r.locality_code, r.indicator_code, r.period): r.value for r in rows.itertuples()}


YEARLY = [
    ["SỞ Y TẾ TỈNH LAI CHÂU"],
    ["BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU Y TẾ"],
    ["STT", "Chỉ tiêu", "Đơn vị tính", "Năm 2023", "Năm 2024", "Thực hiện 2025", "Kế hoạch 2026"],
    ["I", "Nhân lực y tế"],
    [1, "Số bác sĩ/10.000 dân", "Bác sĩ", 9.8, 10.2, 10.9, 11],
    [2, "Tỷ lệ dân số tham gia BHYT", "%", 93.1, 94.0, 95.2, 96],
    [3, "Tuoi tho trung binh", "Năm", 66.5, 66.9, 67.2, 67.5],
    [4, "Số giường bệnh/vạn dân", "Giường", 30, 31, 32, 33],
]


def test_a_yearly_report_sheet_is_read_as_the_officer_wrote_it_and_committed(db):
    pv = preview(db, sheet(YEARLY))
    assert not pv.errors
    assert values(pv) == {
        ("12", "doctors_per_10k", "2023"): 9.8, ("12", "doctors_per_10k", "2024"): 10.2,
        ("12", "doctors_per_10k", "2025"): 10.9, ("12", "bhyt_coverage", "2023"): 93.1,
        ("12", "bhyt_coverage", "2024"): 94.0, ("12", "bhyt_coverage", "2025"): 95.2,
        ("12", "life_expectancy", "2023"): 66.5, ("12", "life_expectancy", "2024"): 66.9,
        ("12", "life_expectancy", "2025"): 67.2}
    (layout,) = pv.layouts
    assert layout["kind"] == "indicators_as_rows" and layout["locality"]["code"] == "12"
    assert layout["locality_how"] == "title"
    plan = next(c for c in layout["columns"] if c["header"] == "Kế hoạch 2026")
    assert plan["role"] == "plan" and "kế hoạch" in plan["reason"]
    heading = next(r for r in layout["rows"] if r["label"] == "Nhân lực y tế")
    assert heading["role"] == "heading"
    # A row with figures that matches no indicator is listed, with where and why, never dropped silently.
    (unmatched,) = [p for p in pv.warnings if p.code == "wide_unmatched"]
    assert unmatched.row == 8 and "Số giường bệnh/vạn dân" in unmatched.message and "không được nhập" in unmatched.message
    done = commit(db, pv)
    assert done.n_new + done.n_changed == 9   # the sample database has some of these already
    with gate.reading(db) as con:
        h = importer.history(con, "12", "bhyt_coverage")
    h = h[h["is_current"] & h["period"].isin(["2023", "2024", "2025"])]
    assert dict(zip(h["period"], h["value"])) == {"2023": 93.1, "2024": 94.0, "2025": 95.2}


def test_a_two_row_header_reads_actuals_and_leaves_the_plan_columns(db):
    rows = [
        ["UBND TỈNH LAI CHÂU"],
        ["STT", "Nội dung chỉ tiêu", "ĐVT", "Năm 2024", None, "Năm 2025", None],
        [None, None, None, "Kế hoạch", "Thực hiện", "Kế hoạch", "Thực hiện"],
        [1, "Tỷ lệ dân số tham gia bảo hiểm y tế", "%", 95, 94.1, 96, 95.4],
    ]
    pv = preview(db, sheet(rows, merges=["D2:E2", "F2:G2"]))
    assert not pv.errors
    assert values(pv) == {("12", "bhyt_coverage", "2024"): 94.1, ("12", "bhyt_coverage", "2025"): 95.4}
    roles = {c["letter"]: c["role"] for c in pv.layouts[0]["columns"]}
    assert roles["D"] == roles["F"] == "plan" and roles["E"] == roles["G"] == "period"


def test_quarters_and_months_as_columns_and_half_years_said_not_kept(db):
    rows = [
        ["Chỉ tiêu", "Quý I/2026", "Quý 2 năm 2026", "Tháng 6/2026", "6 tháng đầu năm 2026"],
        ["Tỷ lệ dân số tham gia BHYT", 94.2, 94.6, 94.7, 94.5],
    ]
    pv = preview(db, sheet(rows), today=datetime(2026, 12, 2).date())
    assert values(pv) == {("12", "bhyt_coverage", "2026-Q1"): 94.2, ("12", "bhyt_coverage", "2026-Q2"): 94.6,
                          ("12", "bhyt_coverage", "2026-06"): 94.7}
    half = next(c for c in pv.layouts[0]["columns"] if c["header"].startswith("6 tháng"))
    assert half["role"] == "skip" and "năm, quý, tháng" in half["reason"]


def test_communes_as_rows_by_name_with_or_without_diacritics_or_by_code(db):
    rows = [
        ["Tỷ lệ dân số tham gia bảo hiểm y tế (%) năm 2024–2025"],
        ["STT", "Xã, phường", "2024", "2025"],
        [1, "Xã Mường Kim", 91.5, 92.0],
        [2, "khoen on", 88.0, 89.5],
        [3, "03595", 90.1, 90.9],
    ]
    pv = preview(db, sheet(rows, title="BHYT"))
    assert not pv.errors, [p.message for p in pv.errors]
    assert values(pv) == {
        ("03637", "bhyt_coverage", "2024"): 91.5, ("03637", "bhyt_coverage", "2025"): 92.0,
        ("03640", "bhyt_coverage", "2024"): 88.0, ("03640", "bhyt_coverage", "2025"): 89.5,
        ("03595", "bhyt_coverage", "2024"): 90.1, ("03595", "bhyt_coverage", "2025"): 90.9}
    assert pv.layouts[0]["kind"] == "localities_as_rows"


def test_communes_as_rows_with_one_column_per_indicator_take_the_year_of_the_title(db):
    rows = [
        ["KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU Y TẾ CẤP XÃ NĂM 2025"],
        ["STT", "Tên xã", "Tỷ lệ dân số tham gia BHYT", "Tỷ lệ trạm y tế xã, phường có bác sĩ"],
        [1, "Xã Mường Kim", 92.0, 100],
        [2, "Xã Khoen On", 89.5, 0],
    ]
    pv = preview(db, sheet(rows))
    assert not pv.errors, [p.message for p in pv.errors]
    assert values(pv) == {("03637", "bhyt_coverage", "2025"): 92.0, ("03637", "station_with_doctor", "2025"): 100,
                          ("03640", "bhyt_coverage", "2025"): 89.5, ("03640", "station_with_doctor", "2025"): 0}


def test_a_unit_that_contradicts_the_indicator_is_an_error_naming_both(db):
    rows = [["Chỉ tiêu", "Đơn vị tính", "Năm 2025"],
            ["Tỷ suất tử vong trẻ em dưới 1 tuổi", "%", 1.9],
            ["Tỷ lệ dân số tham gia BHYT", "%", 95.0]]
    pv = preview(db, sheet(rows))
    (error,) = pv.errors
    assert error.code == "wide_unit" and error.row == 2 and "“%”" in error.message and "‰" in error.message
    with pytest.raises(importer.ImportRefused):
        commit(db, pv)


def test_a_loose_unit_is_not_a_contradiction(db):
    rows = [["Chỉ tiêu", "ĐVT", "Năm 2025"], ["Số bác sĩ trên 10.000 dân", "Bác sĩ", 10.4],
            ["Tuổi thọ trung bình", "Năm", 67.0]]
    pv = preview(db, sheet(rows))
    assert not pv.errors and len(values(pv)) == 2


def test_whose_figures_title_else_account_else_chosen_and_never_outside_the_scope(db):
    rows = [["Chỉ tiêu", "Năm 2025"], ["Tỷ lệ dân số tham gia BHYT", 95.0]]
    # an officer's sheet that names no locality is their locality's
    pv = preview(db, sheet(rows))
    assert values(pv) == {("12", "bhyt_coverage", "2025"): 95.0}
    assert pv.layouts[0]["locality_how"] == "account"
    # an admin must say whose
    pv = preview(db, sheet(rows), user="admin")
    assert [p.code for p in pv.errors] == ["wide_no_locality"] and "chọn địa phương" in pv.errors[0].message
    pv = preview(db, sheet(rows), user="admin", locality="03637")
    assert values(pv) == {("03637", "bhyt_coverage", "2025"): 95.0}
    # a commune of the officer's province may be chosen; another province may not
    pv = preview(db, sheet(rows), locality="03637")
    assert values(pv) == {("03637", "bhyt_coverage", "2025"): 95.0}
    with pytest.raises(PermissionDenied):
        preview(db, sheet(rows), locality="01")


def test_a_guess_is_a_warning_until_confirmed_and_a_confirmed_mapping_is_used_next_time(db):
    rows = [["Chỉ tiêu", "Năm 2025"], ["Tỷ lệ trẻ em suy dinh dưỡng thể thấp còi", 17.5],
            ["Tỷ lệ người dân tham gia bảo hiểm", 93.0], ["Số giường bệnh/vạn dân", 31]]
    pv = preview(db, sheet(rows))
    guesses = [p for p in pv.warnings if p.code == "wide_guess"]
    assert [p.row for p in guesses] == [2, 3] and all("đoán" in p.message for p in guesses)
    row = next(r for r in pv.layouts[0]["rows"] if r["row"] == 2)
    assert row["match"]["how"] == "guess" and row["match"]["code"] == "under5_stunting"
    # The officer confirms the first, corrects the second to primary care paid by BHYT and skips
    # the beds row; kept for Lai Châu and this shape of sheet.
    overrides = {"rows": {name_key(rows[1][0]): "under5_stunting", name_key(rows[2][0]): "primary_care_bhyt",
                          name_key(rows[3][0]): ""}}
    with gate.writing(db) as con:
        mappings.save_mapping(con, get_account(con, "canbo-lc"), pv.layouts[0]["signature"], "Báo cáo", overrides)
    again = preview(db, sheet(rows))
    assert not again.warnings and not again.errors
    assert values(again) == {("12", "under5_stunting", "2025"): 17.5, ("12", "primary_care_bhyt", "2025"): 93.0}
    assert again.layouts[0]["confirmed"] is True
    # next quarter's file of the same shape, other figures: straight to the preview
    rows[1][1], rows[2][1] = 17.1, 93.4
    assert values(preview(db, sheet(rows))) == {("12", "under5_stunting", "2025"): 17.1,
                                               ("12", "primary_care_bhyt", "2025"): 93.4}
    # another locality's officer with the same shape still sees the guesses
    other = preview(db, sheet(rows), user="canbo-hn")
    assert len([p for p in other.warnings if p.code == "wide_guess"]) == 2


def test_the_template_still_reads_as_before(db):
    from tests.store.test_import import workbook
    pv = preview(db, workbook([["12", "bhyt_coverage", "2025", 95.5]]))
    assert values(pv) == {("12", "bhyt_coverage", "2025"): 95.5} and pv.layouts == []


def test_numbered_names_dashes_for_no_figure_and_a_unit_in_the_name(db):
    rows = [["TT", "Chỉ tiêu", "Năm 2024", "Năm 2025"],
            ["1.", "1. Tỷ lệ dân số tham gia BHYT", "-", 95.5],
            ["2", "a) Tuổi thọ trung bình (năm)", 67.0, "…"],
            ["3", "- Tỷ suất tử vong trẻ em dưới 5 tuổi (%)", 30, 29]]
    pv = preview(db, sheet(rows))
    assert values(pv) == {("12", "bhyt_coverage", "2025"): 95.5, ("12", "life_expectancy", "2024"): 67.0}
    (error,) = pv.errors   # "(%)" for a rate per 1,000 live births: the figures would be read 10× off
    assert error.code == "wide_unit" and error.row == 4 and "“%”" in error.message


def test_one_sheet_per_commune_named_by_its_sheet(db):
    data = io.BytesIO()
    wb = Workbook()
    for n, (name, value) in enumerate([("Mường Kim", 92.5), ("Khoen On", 88.0)]):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = name
        ws.append(["Chỉ tiêu", "Năm 2025"])
        ws.append(["Tỷ lệ dân số tham gia BHYT", value])
    wb.save(data)
    pv = preview(db, data.getvalue())
    assert values(pv) == {("03637", "bhyt_coverage", "2025"): 92.5, ("03640", "bhyt_coverage", "2025"): 88.0}


def test_communes_as_rows_with_indicator_names_merged_over_their_years(db):
    rows = [
        ["STT", "Xã, phường", "Tỷ lệ dân số tham gia BHYT (%)", None, "Tỷ lệ TYT xã có bác sĩ (%)", None],
        [None, None, 2024, 2025, 2024, 2025],
        [1, "Xã Mường Kim", 91.0, 92.0, 100, 100],
        [2, "Xã Khoen On", 88.0, 89.5, 0, 100],
    ]
    pv = preview(db, sheet(rows, merges=["C1:D1", "E1:F1"]))
    assert not pv.errors, [p.message for p in pv.errors]
    assert values(pv) == {
        ("03637", "bhyt_coverage", "2024"): 91.0, ("03637", "bhyt_coverage", "2025"): 92.0,
        ("03637", "station_with_doctor", "2024"): 100, ("03637", "station_with_doctor", "2025"): 100,
        ("03640", "bhyt_coverage", "2024"): 88.0, ("03640", "bhyt_coverage", "2025"): 89.5,
        ("03640", "station_with_doctor", "2024"): 0, ("03640", "station_with_doctor", "2025"): 100}


def test_period_headers_that_are_dates_shown_as_years(db):
    rows = [["Chỉ tiêu", datetime(2024, 1, 1), datetime(2025, 1, 1)], ["Tỷ lệ dân số tham gia BHYT", 94.0, 95.0]]
    pv = preview(db, sheet(rows, formats={"B1": "yyyy", "C1": '"Năm "yyyy'}))
    assert values(pv) == {("12", "bhyt_coverage", "2024"): 94.0, ("12", "bhyt_coverage", "2025"): 95.0}


def test_cli_imports_a_report_sheet_for_the_locality_it_is_told(db, tmp_path, capsys):
    import json

    from tests.store.test_import import run_cli
    f = tmp_path / "bao_cao.xlsx"
    f.write_bytes(sheet([["Chỉ tiêu", "Đơn vị tính", "Năm 2025", "Kế hoạch 2026"],
                         ["Tỷ lệ dân số tham gia BHYT", "%", 95.1, 96]]))
    code, out, _ = run_cli(["--db", str(db), "import", str(f), "--user", "admin", "--dry-run", "--format", "json"],
                           capsys)
    found = json.loads(out)
    assert code == 1 and [e["code"] for e in found["errors"]] == ["wide_no_locality"]
    code, out, _ = run_cli(["--db", str(db), "import", str(f), "--user", "admin", "--locality", "03637"], capsys)
    assert code == 0
    assert "Số liệu của: mã 03637 (đã chọn)" in out and "Cột D “Kế hoạch 2026”: Kế hoạch / chỉ tiêu – không đọc" in out
    with gate.reading(db) as con:
        h = importer.history(con, "03637", "bhyt_coverage")
    assert h[h["is_current"] & (h["period"] == "2025")]["value"].tolist() == [95.1]
    code, _, err = run_cli(["--db", str(db), "import", str(f), "--user", "canbo-lc", "--locality", "01"], capsys)
    assert code == 5 and "ngoài phạm vi" in err


def test_results_and_plan_named_in_a_group_row_above_bare_years(db):
    rows = [
        ["SỞ Y TẾ TỈNH LAI CHÂU"],
        ["STT", "Chỉ tiêu", "Thực hiện", None, "Kế hoạch", "Ghi chú"],
        [None, None, 2024, 2025, 2026, None],
        [1, "Tỷ lệ dân số tham gia BHYT", 94.1, 95.4, 96, "ước"],
        ["", "Tổng cộng", 1, 2, 3, None],
    ]
    pv = preview(db, sheet(rows, merges=["C2:D2", "A2:A3", "B2:B3", "F2:F3"]))
    assert not pv.errors, [p.message for p in pv.errors]
    assert values(pv) == {("12", "bhyt_coverage", "2024"): 94.1, ("12", "bhyt_coverage", "2025"): 95.4}
    roles = {c["letter"]: c["role"] for c in pv.layouts[0]["columns"]}
    assert roles["C"] == roles["D"] == "period" and roles["E"] == "plan" and roles["F"] == "skip"
    total = next(r for r in pv.layouts[0]["rows"] if r["label"] == "Tổng cộng")
    assert total["role"] == "total" and not pv.warnings


def test_a_total_row_is_never_a_locality(db):
    rows = [["BHYT năm 2025"], ["STT", "Xã, phường", "Tỷ lệ dân số tham gia BHYT"],
            [1, "Xã Mường Kim", 92.0], [2, "Xã Khoen On", 89.5], ["", "Toàn tỉnh", 93.1]]
    pv = preview(db, sheet(rows))
    assert values(pv) == {("03637", "bhyt_coverage", "2025"): 92.0, ("03640", "bhyt_coverage", "2025"): 89.5}
    assert not pv.warnings and not pv.errors


def test_a_province_workbook_with_quarter_sheets_takes_each_sheets_quarter(db):
    data = io.BytesIO()
    wb = Workbook()
    for n, quarter in enumerate(["Quý I-2026", "Quý II-2026"]):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = quarter
        ws.append(["STT", "Tên xã", "Tỷ lệ dân số tham gia BHYT", "Tỷ lệ trạm y tế xã có bác sĩ"])
        ws.append([1, "Mường Kim", 90 + n, 100])
    wb.save(data)
    pv = preview(db, data.getvalue(), today=datetime(2026, 12, 2).date())
    assert values(pv) == {("03637", "bhyt_coverage", "2026-Q1"): 90, ("03637", "station_with_doctor", "2026-Q1"): 100,
                          ("03637", "bhyt_coverage", "2026-Q2"): 91, ("03637", "station_with_doctor", "2026-Q2"): 100}
