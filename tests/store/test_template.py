"""The upload template: sheets, locked header and codes, dropdowns, and a filled template read back."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from indicators.excel import importer
from indicators.excel.template import HEADERS, TEMPLATE_VERSION, write_template
from indicators.excel.safety import check_xlsx
from tests.store.test_import import con  # noqa: F401  (fixture: seeded database with accounts)

TODAY = date(2026, 11, 24)


def build(con, code: str) -> tuple[bytes, int]:
    buf = io.BytesIO()
    n = write_template(con, code, buf, today=TODAY)
    return buf.getvalue(), n


@pytest.mark.parametrize("code,plan_indicators,communes,years", [
    ("12", 9, 38, 7),        # Lai Châu: its 9 indicators; 2020..2026 for the province, 2026 for 38 communes
    ("09931", 15, 0, 7),     # Xã Hưng Đạo has its own plan (15 indicators)
    ("03640", 9, 0, 7),      # a Lai Châu commune without a plan: the province's indicators
])
def test_rows_cover_locality_communes_indicators_and_periods(con, code, plan_indicators, communes, years):
    data, n = build(con, code)
    assert n == plan_indicators * years + communes * plan_indicators
    ws = load_workbook(io.BytesIO(data))["Số liệu"]
    assert [c.value for c in ws[3]] == HEADERS
    first = [c.value for c in ws[4]]
    assert first[0] == code and first[5] == "2020" and first[6] is None
    assert ws.cell(4 + n - 1, 1).value is not None and ws.cell(4 + n, 1).value is None


def test_hanoi_template_stays_a_sensible_size(con):
    _, n = build(con, "01")
    assert 126 * 10 <= n + 7 * 10 <= 126 * 12 + 7 * 12


def test_sheets_protection_dropdowns_and_version(con):
    data, n = build(con, "12")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Số liệu", "_danh_muc", "Hướng dẫn", "_phien_ban"]
    assert wb["_phien_ban"].sheet_state == "hidden" and wb["_danh_muc"].sheet_state == "hidden"
    assert wb["Hướng dẫn"].sheet_state == "visible"
    version = {r[0].value: r[1].value for r in wb["_phien_ban"].iter_rows()}
    assert version["template_version"] == TEMPLATE_VERSION and version["locality_code"] == "12"
    help_text = " ".join(str(c.value) for c in wb["Hướng dẫn"]["A"] if c.value)
    for words in ("Quý I/2026", "13,5", "Đạt", "Không đạt", "95%"):
        assert words in help_text
    ws = wb["Số liệu"]
    assert ws.protection.sheet
    assert ws["A3"].protection.locked and ws["A4"].protection.locked and ws["C4"].protection.locked
    assert not ws["G4"].protection.locked and not ws["H4"].protection.locked
    assert not ws["J4"].protection.locked and not ws["F4"].protection.locked
    assert not ws.cell(4 + n, 1).protection.locked          # the empty rows below are free
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert set(lists) == {"A", "C", "F"}
    assert all(f.startswith("'_danh_muc'!") for f in lists.values())
    codes = [c.value for c in wb["_danh_muc"]["A"][1:] if c.value]
    assert codes[0] == "12" and "03640" in codes and len(codes) == 39


def test_a_filled_template_reads_back(con):
    data, n = build(con, "12")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Số liệu"]
    filled = {}
    for row in ws.iter_rows(min_row=4, max_row=3 + n):
        if row[5].value == "2026" and row[2].value == "bhyt_coverage":
            row[6].value = "95,5" if row[0].value == "12" else 90.25
            row[9].value = "Báo cáo quý"
            filled[row[0].value] = row[0].row
    out = io.BytesIO()
    wb.save(out)
    info = check_xlsx(out.getvalue(), "mau_12.xlsx")
    assert [s.name for s in info.sheets if s.state == "hidden"] == ["_danh_muc", "_phien_ban"]
    pv = importer.preview(con, out.getvalue(), "mau_12.xlsx", "canbo-lc", today=TODAY)
    assert pv.sheets == ["Số liệu"]
    assert not pv.errors, pv.errors[:3]
    assert pv.n_rows == len(filled) == 39 and pv.n_new == 39
    rows = pv.validation.rows.set_index("locality_code")
    assert rows.at["12", "value"] == 95.5 and rows.at["03640", "value"] == 90.25
    assert rows.at["12", "row"] == filled["12"] and rows.at["12", "note"] == "Báo cáo quý"


def test_unknown_locality(con):
    with pytest.raises(ValueError, match="Không có địa phương"):
        build(con, "999")
