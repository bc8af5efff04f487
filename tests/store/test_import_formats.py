"""The file formats officers have: the same rows saved as .xlsx, .xls (Excel 97–2003), .ods
(LibreOffice) and .csv (UTF-8, UTF-8 with BOM, Windows-1258) import to the same stored values,
through the same preview, commit, history and revert.

The .xls and .ods files are committed under tests/fixtures/formats/, made by LibreOffice from the
.xlsx that `source_xlsx` (and `percent_xlsx`, for phan_tram.ods) writes (`write_fixtures`); the
LibreOffice test makes them again and checks they still import the same. LibreOffice cannot write .xlsb: its reading is covered by
the corpus check of the spreadsheet libraries' own test files (see the report of issue 14).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import xlsxwriter

from indicators.excel import importer
from tests.conftest import missing
from tests.store.test_import import con, run_cli  # noqa: F401 — the seeded store fixture

FIXTURES = Path(__file__).parent.parent / "fixtures" / "formats"
HEAD = ["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị", "Nguồn / ghi chú"]
# One row per kind of figure: a decimal, a commune, a number cell that reads like a thousands
# dot (1.234 is a number, not 1234: out of range for a growth in %), and a whole number.
ROWS = [["12", "bhyt_coverage", "2026", 95.5, "Sở Y tế Lai Châu"],
        ["03640", "bhyt_coverage", "2026", 91.25, "Trạm y tế xã Bình Lư"],
        ["12", "life_expectancy", "2026", 68.9, None],
        ["12", "bhyt_visits_growth", "2026", 1.234, "Ước tính của phòng Kế hoạch"],
        ["12", "doctors_added", "2026", 234, "Tổng hợp"]]


def source_xlsx(path: Path) -> Path:
    """ROWS as an officer's own workbook: a title, the header, numbers as number cells."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Số liệu")
    sheet.write_row(0, 0, ["Báo cáo chỉ tiêu y tế năm 2026"])
    sheet.write_row(2, 0, HEAD)
    for i, row in enumerate(ROWS, 3):
        sheet.write_row(i, 0, row)
    book.close()
    return path


def percent_xlsx(path: Path) -> Path:
    """One coverage typed as 95.5% in a cell formatted as a percentage (stored as 0.955)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Số liệu")
    sheet.write_row(0, 0, HEAD[:4])
    sheet.write_row(1, 0, ["12", "bhyt_coverage", "2026"])
    sheet.write_number(1, 3, 0.955, book.add_format({"num_format": "0.0%"}))
    book.close()
    return path


def _csv_number(value: float) -> str:
    return str(value).replace(".", ",")   # as Excel writes it where the decimal mark is a comma


def source_csv(encoding: str, delimiter: str = ";") -> bytes:
    """ROWS as Excel saves a CSV on a Vietnamese Windows: decimal commas, ";" between cells."""
    lines = [delimiter.join(HEAD)] + [delimiter.join([*r[:3], _csv_number(r[3]), r[4] or ""]) for r in ROWS]
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "cp1258":
        return _cp1258(text)
    return text.encode(encoding)


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Windows writes it: ơ, ư, ă… are letters of their own, the five tones are
    combining marks after them."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out.append((base + "".join(c for c in parts if c in tones)).encode("cp1258"))
    return b"".join(out)


def soffice() -> str | None:
    """LibreOffice with Calc (it converts spreadsheets), or None."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    calc = Path("/usr/lib/libreoffice/program/scalc")
    return found if found and calc.exists() else None


def write_fixtures(out_dir: Path, work: Path) -> dict[str, Path]:
    """ROWS as .xls and .ods, converted by LibreOffice from `source_xlsx` (how the committed
    fixtures were made: `write_fixtures(FIXTURES, tmp)`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made = {}
    for src, ext in ((source_xlsx(work / "so_lieu.xlsx"), "xls"), (work / "so_lieu.xlsx", "ods"),
                     (percent_xlsx(work / "phan_tram.xlsx"), "ods")):
        done = subprocess.run([soffice(), "--headless", f"-env:UserInstallation=file://{work}/lo", "--convert-to", ext,
                               "--outdir", str(out_dir), str(src)], capture_output=True, timeout=180)
        made[f"{src.stem}.{ext}"] = out_dir / f"{src.stem}.{ext}"
        assert done.returncode == 0 and made[f"{src.stem}.{ext}"].exists(), done.stderr.decode(errors="replace")
    return made


def stored(con, upload_id: int) -> list[tuple]:  # noqa: F811
    return con.execute("select locality_code, indicator_code, period, value, note from observation "
                       "where upload_id = $u order by locality_code, indicator_code",
                       {"u": upload_id}).fetchall()


EXPECTED = sorted((r[0], r[1], r[2], float(r[3]), r[4] or None) for r in ROWS)


def import_and_revert(con, data: bytes, name: str):  # noqa: F811
    """Preview, commit and revert a file as an officer and an admin would; the preview."""
    pv = importer.preview(con, data, name, "canbo-lc")
    assert not pv.errors, [p.message for p in pv.errors]
    result = importer.commit(con, pv, "canbo-lc", confirm_warnings=True)
    assert stored(con, result.upload_id) == EXPECTED
    assert importer.recent_uploads(con)["file_name"].iloc[0] == name
    hist = importer.history(con, "12", "doctors_added")
    assert hist.loc[hist["period"] == "2026", ["value", "is_current"]].values.tolist() == [[234.0, True]]
    importer.revert(con, result.upload_id, "admin")
    hist = importer.history(con, "12", "doctors_added")
    assert not hist.loc[hist["period"] == "2026", "is_current"].any()
    return pv


def _file(kind: str, tmp_path: Path) -> tuple[bytes, str]:
    if kind == "xlsx":
        return source_xlsx(tmp_path / "so_lieu.xlsx").read_bytes(), "so_lieu.xlsx"
    if kind in ("xls", "ods"):
        return (FIXTURES / f"so_lieu.{kind}").read_bytes(), f"so_lieu.{kind}"
    encoding = kind.split(":")[1]
    return source_csv(encoding), "so_lieu.csv"


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods", "csv:utf-8", "csv:utf-8-sig", "csv:cp1258"])
def test_the_same_rows_in_every_format_store_the_same_values(con, tmp_path, kind):  # noqa: F811
    data, name = _file(kind, tmp_path)
    pv = import_and_revert(con, data, name)
    assert pv.file_format == kind.split(":")[0]
    if kind == "csv:cp1258":   # not UTF-8: the guess is told, with what to do if it is wrong
        assert any("Windows-1258" in n and "đoán" in n for n in pv.notes)
    elif kind.startswith("csv"):
        assert any("UTF-8" in n and "chấm phẩy" in n and "đoán" not in n for n in pv.notes)
    else:
        assert pv.notes == []


def test_the_content_decides_not_the_extension(con, tmp_path):  # noqa: F811
    """An .ods saved under an .xlsx name (and a CSV named .xls) is read for what it is."""
    pv = importer.preview(con, (FIXTURES / "so_lieu.ods").read_bytes(), "so_lieu.xlsx", "canbo-lc")
    assert pv.file_format == "ods" and not pv.errors and pv.n_rows == len(ROWS)
    pv = importer.preview(con, source_csv("utf-8", ","), "xuat_tu_phan_mem.xls", "canbo-lc")
    assert pv.file_format == "csv" and pv.n_rows == len(ROWS)


def test_a_comma_csv_with_decimal_points_reads_the_same(con):  # noqa: F811
    lines = [",".join(HEAD)] + [",".join([*r[:3], str(r[3]) if r[3] != 1.234 else '"1,234"', f'"{r[4] or ""}"'])
                                for r in ROWS]
    pv = importer.preview(con, "\n".join(lines).encode(), "so_lieu.csv", "canbo-lc")
    assert not pv.errors and any("dấu phẩy (,)" in n for n in pv.notes)
    assert sorted(pv.validation.rows["value"].tolist()) == sorted(float(r[3]) for r in ROWS)


def test_cli_json_names_the_format_and_the_csv_guess(con, seeded_db, tmp_path, capsys):  # noqa: F811
    con.close()
    path = tmp_path / "so_lieu.csv"
    path.write_bytes(source_csv("cp1258"))
    code, out, _ = run_cli(["--db", str(seeded_db), "import", str(path), "--user", "canbo-lc", "--dry-run",
                            "--format", "json"], capsys)
    found = json.loads(out)
    assert code == 0 and found["format"] == "csv" and found["n_new"] == len(ROWS)
    assert any("Windows-1258" in n for n in found["notes"])


def test_libreoffice_makes_files_that_import_the_same(con, tmp_path):  # noqa: F811
    """The committed .xls and .ods are what LibreOffice writes today; made again, they import alike."""
    if soffice() is None:
        missing("LibreOffice Calc is not installed (apt-get install libreoffice-calc)", ".xls/.ods conversion test skipped")
    made = write_fixtures(tmp_path / "made", tmp_path)
    for path in made.values():
        ext = path.suffix.lstrip(".")
        again = importer.preview(con, path.read_bytes(), path.name, "canbo-lc")
        committed = importer.preview(con, (FIXTURES / path.name).read_bytes(), path.name, "canbo-lc")
        assert again.file_format == committed.file_format == ext
        columns = ["locality_code", "indicator_code", "period", "value", "note"]
        assert again.validation.rows[columns].values.tolist() == committed.validation.rows[columns].values.tolist()
        assert not again.errors


def test_xlsx_once_refused_are_read_alike(con, tmp_path):  # noqa: F811
    """A workbook part typed by a <Default> content type, and zip paths with backslashes (a real
    HR system's export), read as the plain workbook does."""
    from tests.unit.test_file_formats import backslashed
    from tests.unit.test_xlsx_safety import rezip
    import zipfile
    import io
    data = source_xlsx(tmp_path / "so_lieu.xlsx").read_bytes()
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        types = z.read("[Content_Types].xml").decode()
    types = types.replace(f'<Override PartName="/xl/workbook.xml" ContentType="{main}"/>', "").replace(
        'Extension="xml" ContentType="application/xml"', f'Extension="xml" ContentType="{main}"')
    columns = ["locality_code", "indicator_code", "period", "value", "note"]
    plain = importer.preview(con, data, "so_lieu.xlsx", "canbo-lc").validation.rows[columns].values.tolist()
    for variant in (rezip(data, replace={"[Content_Types].xml": types.encode()}), backslashed(data)):
        pv = importer.preview(con, variant, "so_lieu.xlsx", "canbo-lc")
        assert not pv.errors and pv.validation.rows[columns].values.tolist() == plain


def test_cli_json_gives_the_reason_of_a_file_without_data_rows(con, seeded_db, tmp_path, capsys):  # noqa: F811
    con.close()
    for name, data in (("chi_tieu_de.csv", ";".join(HEAD).encode()), ("ghi_chu.csv", "Báo cáo tháng;6/2026\n".encode())):
        path = tmp_path / name
        path.write_bytes(data)
        code, out, err = run_cli(["--db", str(seeded_db), "import", str(path), "--user", "canbo-lc", "--dry-run",
                                  "--format", "json"], capsys)
        found = json.loads(out)
        assert code == 1 and found["n_errors"] == 1
        assert found["errors"][0]["code"] == "no_data_rows" and "không có dòng số liệu" in found["errors"][0]["message"]
        assert name in found["errors"][0]["message"] or "Giá trị" in found["errors"][0]["message"]


def test_an_ods_percent_cell_reads_as_the_percent_shown(con, tmp_path):  # noqa: F811
    """95.5% in a % cell is stored as 0.955 in both formats; both read as 95.5, as the officer saw."""
    for data, name in ((percent_xlsx(tmp_path / "phan_tram.xlsx").read_bytes(), "phan_tram.xlsx"),
                       ((FIXTURES / "phan_tram.ods").read_bytes(), "phan_tram.ods")):
        pv = importer.preview(con, data, name, "canbo-lc")
        assert not pv.errors and pv.validation.rows["value"].tolist() == [95.5], name


def test_an_xls_percent_cell_is_a_warning_to_check(con):  # noqa: F811
    """.xls gives no cell formats: 95.5% arrives as 0.955. Stored silently it would be 0,955 %;
    the preview asks the officer instead (phan_tram.xls: percent_xlsx saved by LibreOffice)."""
    pv = importer.preview(con, (FIXTURES / "phan_tram.xls").read_bytes(), "phan_tram.xls", "canbo-lc")
    (warning,) = [p for p in pv.warnings if p.code == "maybe_percent_cell"]
    assert warning.row == 2 and "0,955" in warning.message and "95,5%" in warning.message
    with pytest.raises(importer.ImportRefused):
        importer.commit(con, pv, "canbo-lc")


def test_an_xls_date_that_may_be_a_year_is_a_warning_to_check(con):  # noqa: F811
    """.xls gives no cell formats: a period cell 1/1/2025 shown as “2025” (format yyyy) would be
    January 2025; the preview asks (nam.xls: a yyyy-formatted date saved by LibreOffice). The
    same workbook as .xlsx is read as the year, as shown."""
    pv = importer.preview(con, (FIXTURES / "nam.xls").read_bytes(), "nam.xls", "canbo-lc")
    (warning,) = [p for p in pv.warnings if p.code == "maybe_year_date"]
    assert warning.row == 2 and "01/01/2025" in warning.message and "tháng 1/2025" in warning.message
