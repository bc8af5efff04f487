"""Workbooks found by probing the importer as a careless officer and as an attacker would: each
must end in a clean import or a precise message, with nothing written on refusal."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from indicators.excel import importer
from tests.store.test_import import con  # noqa: F401 — the seeded store fixture

HEAD = ["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"]


def book(*sheets: tuple[str, list[list]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_sheet_xml(data: bytes, edit) -> bytes:
    """The same workbook with its first sheet's XML passed through `edit` (bytes -> bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            raw = src.read(info)
            dst.writestr(info.filename, edit(raw) if info.filename == "xl/worksheets/sheet1.xml" else raw)
    return out.getvalue()


def preview(con, data, user="canbo-lc"):  # noqa: F811
    return importer.preview(con, data, "tep.xlsx", user)


def test_a_second_sheet_with_only_its_header_is_no_crash(con):  # noqa: F811
    pv = preview(con, book(("Số liệu", [HEAD, ["12", "bhyt_coverage", "2025", 95.5]]), ("Trống", [HEAD])))
    assert not pv.errors and pv.n_rows == 1


def test_unclosed_cell_fragments_do_not_stall_the_scan(con):  # noqa: F811
    """Thousands of '<c r="D1">' in a comment once made each failed regex match run to the end of the
    sheet: quadratic, in the app's own process. 20,000 of them took 18 s; now a blink."""
    junk = b'<!-- t="e" ' + b'<c r="D1">' * 20_000 + b" -->"
    data = with_sheet_xml(book(("Số liệu", [HEAD, ["12", "bhyt_coverage", "2025", 95.5]])),
                          lambda x: x.replace(b"</worksheet>", junk + b"</worksheet>"))
    pv = preview(con, data)
    assert not pv.errors and pv.validation.rows["value"].tolist() == [95.5]


@pytest.mark.parametrize("error", ["#SPILL!", "#CALC!", "#BUSY!"])
def test_newer_excel_error_values_are_reported_per_cell(con, error):  # noqa: F811
    data = with_sheet_xml(book(("Số liệu", [HEAD, ["12", "bhyt_coverage", "2025", 95.5],
                                            ["12", "bhyt_coverage", "2024", 1]])),
                          lambda x: x.replace(b'<c r="D3" t="n"><v>1</v></c>',
                                              f'<c r="D3" t="e"><f>SORT(A:A)</f><v>{error}</v></c>'.encode()))
    pv = preview(con, data)
    assert [(p.code, p.row, p.value) for p in pv.errors] == [("error_cell", 3, error)]
    assert pv.validation.rows["value"].tolist() == [95.5]


def test_a_blank_commune_code_is_the_provinces_own_row_for_its_officer(con):  # noqa: F811
    data = book(("Số liệu", [["Mã tỉnh", "Mã xã", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"],
                             ["12", None, "bhyt_coverage", "2025", 95.5], ["12", "03640", "bhyt_coverage", "2025", 91]]))
    pv = preview(con, data)
    assert not pv.errors
    assert pv.validation.rows[["locality_code", "value"]].values.tolist() == [["12", 95.5], ["03640", 91.0]]


def test_commune_numbers_that_lost_their_zeros_stay_communes(con):  # noqa: F811
    """Under "Mã xã", 4 is 00004 (Phường Ba Đình), never 04 (Tỉnh Cao Bằng)."""
    data = book(("Số liệu", [["Mã xã", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"], [4, "bhyt_coverage", "2025", 91]]))
    pv = preview(con, data, "admin")
    assert not pv.errors and pv.validation.rows["locality_code"].tolist() == ["00004"]


@pytest.mark.parametrize("headers,field", [
    (["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị (kế hoạch)", "Giá trị (thực hiện)"], "Giá trị"),
    (["Mã địa phương", "Mã chỉ tiêu", "Năm", "Kỳ báo cáo", "Giá trị"], "Kỳ báo cáo"),
])
def test_two_columns_for_one_field_are_refused_not_guessed(con, headers, field):  # noqa: F811
    row = ["12", "bhyt_coverage", "2026", "Quý I/2026", 95] if "Năm" in headers else \
        ["12", "bhyt_coverage", "2025", 96, 95]
    before = con.execute("select count(*) from observation").fetchone()
    pv = preview(con, book(("Số liệu", [headers, row])))
    assert [p.code for p in pv.errors] == ["duplicate_column"]
    assert f"hai cột cùng được hiểu là {field}" in pv.errors[0].message
    assert not pv.can_commit and con.execute("select count(*) from observation").fetchone() == before
