"""Export of current values: contents, and formula-injection escaping in .xlsx and .csv."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from indicators.excel import export
from indicators.excel import importer
from tests.store.test_import import con, workbook  # noqa: F401  (fixture)


@pytest.mark.parametrize("raw,expected", [
    ("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("-5 xã", "'-5 xã"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("bình thường", "bình thường"), ("95%", "95%"), (" =ok", " =ok"), (95.5, 95.5), (-3.0, -3.0), (None, None),
    ("a\x07b", "a\ufffdb"), ("\x1b=1", "\ufffd=1"), ("hai\ndòng", "hai\ndòng"),
])
def test_escape_cell(raw, expected):
    assert export.escape_cell(raw) == expected


EVIL = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"]


@pytest.fixture
def with_evil_notes(con):
    """Notes as a hostile uploader could store them (written directly: the reader trims them)."""
    up = con.execute("insert into upload (file_name, sha256, user_name) values ('x.xlsx', 'x', 'canbo-lc') "
                     "returning upload_id").fetchone()[0]
    for m, note in enumerate(EVIL, 1):
        con.execute("insert into observation values ('12', 'bhyt_coverage', $p, 2026, $v, null, null, $n, $u)",
                    {"p": f"2026-{m:02d}", "v": 95.0 + m / 10, "n": note, "u": up})
    return con


def test_xlsx_cells_are_text_and_numbers_stay_numbers(with_evil_notes):
    frame = export.current_values(with_evil_notes, "12")
    ws = load_workbook(io.BytesIO(export.to_bytes(frame, "xlsx")))["Số liệu"]
    header = [c.value for c in ws[1]]
    assert header[:10] == ["Mã địa phương", "Tên địa phương", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị",
                           "Kỳ báo cáo", "Giá trị", "Tử số", "Mẫu số", "Nguồn / ghi chú"]
    notes = {}
    for row in ws.iter_rows(min_row=2):
        if row[9].value and row[5].value.startswith("2026-"):
            notes[row[5].value] = (row[9].value, row[9].data_type, row[6].value, row[6].data_type)
    assert [notes[f"2026-{m:02d}"][0] for m in range(1, len(EVIL) + 1)] == ["'" + e for e in EVIL]
    assert all(n[1] == "s" for n in notes.values())                 # string cells, never formulas
    assert all(n[3] == "n" and isinstance(n[2], float) for n in notes.values())


def test_csv_has_bom_and_escaped_cells(with_evil_notes):
    data = export.to_bytes(export.current_values(with_evil_notes, "12"), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "Mã địa phương" and "Tỉnh Lai Châu" in {r[1] for r in rows[1:]}
    notes = sorted((r[5], r[9]) for r in rows[1:] if r[5].startswith("2026-"))
    assert [n for _, n in notes] == ["'" + e for e in EVIL]
    assert not any(cell.startswith(export.DANGEROUS_START) for r in rows for cell in r)


def test_export_holds_current_values_of_the_locality_and_its_communes(con, tmp_path):
    importer.commit(con, importer.preview(con, workbook([["03640", "bhyt_coverage", "2026", 91.5],
                                                         ["12", "bhyt_coverage", "2025", 95.3]]),
                                          "e.xlsx", "canbo-lc"), "canbo-lc")
    frame = export.current_values(con, "12")
    assert set(frame["locality_code"]) == {"12", "03640"}
    lc = frame[(frame["locality_code"] == "12") & (frame["indicator_code"] == "bhyt_coverage")]
    assert lc.set_index("period")["value"].to_dict()["2025"] == 95.3         # the latest upload wins
    assert lc.set_index("period")["is_illustrative"].to_dict() == {**{str(y): True for y in range(2020, 2025)},
                                                                   "2025": False}
    n = export.export(con, "12", tmp_path / "x.csv")
    assert n == len(frame)
    with pytest.raises(ValueError, match=".xlsx hoặc .csv"):
        export.export(con, "12", tmp_path / "x.pdf")


def test_any_table_download_is_escaped():
    import pandas as pd
    import io

    from openpyxl import load_workbook

    from indicators.excel.export import table_bytes
    frame = pd.DataFrame({"Địa phương": ["=HYPERLINK(\"http://x\")", "Xã Hưng Đạo"], "Giá trị": [1.5, None]})
    wb = load_workbook(io.BytesIO(table_bytes(frame, "xlsx")))
    ws = wb.active
    assert ws["A2"].value == "'=HYPERLINK(\"http://x\")" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 1.5 and ws["B3"].value is None
    text = table_bytes(frame, "csv").decode("utf-8-sig")
    assert text.splitlines()[1].startswith("\"'=HYPERLINK")


def test_table_download_with_missing_integers():
    import pandas as pd

    from indicators.excel.export import table_bytes
    frame = pd.DataFrame({"Hạng": pd.array([1, None], dtype="Int64"), "Tên": ["a", "b"]})
    assert table_bytes(frame, "xlsx") and table_bytes(frame, "csv").decode("utf-8-sig").splitlines()[2] == ",b"


def test_a_note_with_control_characters_does_not_break_the_excel_files(con):
    """A note carried BEL and ESC (stored as sent); the .xlsx exports still open, the characters
    shown as �, and the file name in the audit download likewise."""
    up = con.execute("insert into upload (file_name, sha256, user_name) values ('x\x1b.xlsx', 'y', 'canbo-lc') "
                     "returning upload_id").fetchone()[0]
    con.execute("insert into observation values ('12', 'bhyt_coverage', '2026-01', 2026, 95, null, null, $n, $u)",
                {"n": "chuông\x07 và ESC\x1b", "u": up})
    ws = load_workbook(io.BytesIO(export.to_bytes(export.current_values(con, "12"), "xlsx")))["Số liệu"]
    assert "chuông\ufffd và ESC\ufffd" in [c.value for c in ws["J"]]
    recent = importer.recent_uploads(con, 5)
    table = load_workbook(io.BytesIO(export.table_bytes(recent, "xlsx"))).active
    assert "x\ufffd.xlsx" in [c.value for row in table.iter_rows() for c in row]
