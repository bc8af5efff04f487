"""Officers' report sheets as LibreOffice Calc saves them (issue 14, acceptance): each workbook is
written with openpyxl the way offices write theirs, then opened and saved by LibreOffice as .xlsx,
.xls (Excel 97–2003) and .ods; every saved file must import (importer.preview on the seeded
database) to exactly the expected (locality, indicator, period) -> value, the same in all three.

Cases: an indicators × years report (title rows, a group heading, plan and notes columns not
read, a row matching no indicator listed with three nearest candidates); indicators × quarters;
communes × indicators with the year in the title and a total row that is no locality; one sheet
per commune; a two-row header with "Thực hiện" merged over its years and "Kế hoạch" over the
plan's; and the same figures as the template's long format and as a CSV export.

All sources are converted once per module, one LibreOffice run per target format (a run converts
every file; the three runs go side by side, each with its own profile). Without LibreOffice the
tests skip, except under CI=true, where that is a failure.
"""
from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from indicators.excel import export, importer
from indicators.store import gate
from tests.conftest import missing
from tests.store.test_import import workbook
from tests.store.test_import_formats import soffice
from tests.store.test_import_report_sheets import commit, db, values  # noqa: F401 — the seeded store fixture

FORMATS = ("xlsx", "xls", "ods")
TODAY = date(2026, 12, 2)   # every period below is past


def book(sheets: dict[str, tuple[list[list], list[str]]]) -> Workbook:
    """A workbook of sheets {title: (rows, merged ranges)}, in order."""
    wb = Workbook()
    for n, (title, (rows, merges)) in enumerate(sheets.items()):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = title
        for r in rows:
            ws.append(r)
        for ref in merges:
            ws.merge_cells(ref)
    return wb


# --- 1. indicators × years ---------------------------------------------------------------------
YEARLY = [
    ["SỞ Y TẾ TỈNH LAI CHÂU"],
    ["BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU Y TẾ GIAI ĐOẠN 2023 - 2025"],
    [],
    ["STT", "Chỉ tiêu", "Đơn vị tính", "Năm 2023", "Năm 2024", "Năm 2025", "Kế hoạch 2026", "Ghi chú"],
    [None, "I. Nhân lực y tế"],
    [1, "Số bác sĩ/10.000 dân", "Bác sĩ", 9.8, 10.2, 10.9, 11, "Theo niên giám thống kê"],
    [None, "II. Bảo hiểm y tế và sức khỏe"],
    [2, "Tỷ lệ dân số tham gia BHYT", "%", 93.1, 94.0, 95.2, 96, None],
    [3, "Tuổi thọ trung bình", "Năm", 66.5, 66.9, 67.2, 67.5, "Ước tính"],
    [4, "Số giường bệnh/vạn dân", "Giường", 30, 31, 32, 33, None],
]
UNMATCHED_ROW = 10
YEARLY_VALUES = {
    ("12", "doctors_per_10k", "2023"): 9.8, ("12", "doctors_per_10k", "2024"): 10.2,
    ("12", "doctors_per_10k", "2025"): 10.9,
    ("12", "bhyt_coverage", "2023"): 93.1, ("12", "bhyt_coverage", "2024"): 94.0,
    ("12", "bhyt_coverage", "2025"): 95.2,
    ("12", "life_expectancy", "2023"): 66.5, ("12", "life_expectancy", "2024"): 66.9,
    ("12", "life_expectancy", "2025"): 67.2,
}

# --- 2. indicators × quarters ------------------------------------------------------------------
QUARTERLY = [
    ["SỞ Y TẾ TỈNH LAI CHÂU"],
    ["BÁO CÁO CHỈ TIÊU Y TẾ THEO QUÝ NĂM 2026"],
    ["STT", "Chỉ tiêu", "Đơn vị tính", "Quý I/2026", "Quý II/2026", "Quý III/2026"],
    [1, "Tỷ lệ dân số tham gia BHYT", "%", 94.2, 94.6, 94.9],
    [2, "Số bác sĩ/10.000 dân", "Bác sĩ", 11.0, 11.1, 11.3],
]
QUARTERLY_VALUES = {
    ("12", "bhyt_coverage", "2026-Q1"): 94.2, ("12", "bhyt_coverage", "2026-Q2"): 94.6,
    ("12", "bhyt_coverage", "2026-Q3"): 94.9,
    ("12", "doctors_per_10k", "2026-Q1"): 11.0, ("12", "doctors_per_10k", "2026-Q2"): 11.1,
    ("12", "doctors_per_10k", "2026-Q3"): 11.3,
}

# --- 3. communes × indicators, the year in the title, total rows -------------------------------
COMMUNES = [
    ["SỞ Y TẾ TỈNH LAI CHÂU"],
    ["KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU Y TẾ CẤP XÃ NĂM 2025"],
    ["STT", "Xã, phường", "Tỷ lệ dân số tham gia BHYT", "Tỷ lệ trạm y tế xã, phường có bác sĩ"],
    [1, "Xã Mường Kim", 92.0, 100],
    [2, "Xa Khoen On", 89.5, 0],
    [3, "than uyen", 90.7, 100],
    [None, "Toàn tỉnh", 90.9, 66.7],
    [None, "Tổng cộng", 90.9, 66.7],
]
TOTAL_ROWS = ("Toàn tỉnh", "Tổng cộng")
COMMUNE_VALUES = {
    ("03637", "bhyt_coverage", "2025"): 92.0, ("03637", "station_with_doctor", "2025"): 100,
    ("03640", "bhyt_coverage", "2025"): 89.5, ("03640", "station_with_doctor", "2025"): 0,
    ("03595", "bhyt_coverage", "2025"): 90.7, ("03595", "station_with_doctor", "2025"): 100,
}

# --- 4. a sheet per commune --------------------------------------------------------------------
PER_COMMUNE = {
    "Mường Kim": [["Chỉ tiêu", "Năm 2025"], ["Tỷ lệ dân số tham gia BHYT", 92.5],
                  ["Tỷ lệ trạm y tế có bác sĩ", 100]],
    "Khoen On": [["Chỉ tiêu", "Năm 2025"], ["Tỷ lệ dân số tham gia BHYT", 88.0],
                 ["Tỷ lệ trạm y tế có bác sĩ", 0]],
}
PER_COMMUNE_VALUES = {
    ("03637", "bhyt_coverage", "2025"): 92.5, ("03637", "station_with_doctor", "2025"): 100,
    ("03640", "bhyt_coverage", "2025"): 88.0, ("03640", "station_with_doctor", "2025"): 0,
}

# --- 5. "Thực hiện" merged over its years, "Kế hoạch" over the plan's ----------------------------
MERGED = [
    ["SỞ Y TẾ TỈNH LAI CHÂU"],
    ["STT", "Chỉ tiêu", "Đơn vị tính", "Thực hiện", None, "Kế hoạch"],
    [None, None, None, 2024, 2025, 2026],
    [1, "Tỷ lệ dân số tham gia BHYT", "%", 94.0, 95.2, 96],
    [2, "Tuổi thọ trung bình", "Năm", 66.9, 67.2, 67.5],
]
MERGED_RANGES = ["A2:A3", "B2:B3", "C2:C3", "D2:E2"]
MERGED_VALUES = {
    ("12", "bhyt_coverage", "2024"): 94.0, ("12", "bhyt_coverage", "2025"): 95.2,
    ("12", "life_expectancy", "2024"): 66.9, ("12", "life_expectancy", "2025"): 67.2,
}

# --- 6. the figures of case 1 in the template's long format --------------------------------------
LONG_ROWS = [[loc, ind, period, value] for (loc, ind, period), value in YEARLY_VALUES.items()]


def sources() -> dict[str, Workbook]:
    """Each case's workbook as openpyxl writes it, by file stem."""
    long = load_workbook(io.BytesIO(workbook(LONG_ROWS)))
    return {
        "nam": book({"Báo cáo": (YEARLY, [])}),
        "quy": book({"Báo cáo quý": (QUARTERLY, [])}),
        "xa": book({"Cấp xã": (COMMUNES, [])}),
        "tung_xa": book({name: (rows, []) for name, rows in PER_COMMUNE.items()}),
        "hai_dong": book({"Báo cáo": (MERGED, MERGED_RANGES)}),
        "mau": long,
    }


def _need_soffice() -> str:
    found = soffice()
    if found is None:
        missing("LibreOffice Calc is not installed (apt-get install libreoffice-calc)",
                "report sheets saved by LibreOffice not checked")
    return found


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """{stem: {format: path}}: every source saved by LibreOffice Calc as .xlsx, .xls and .ods —
    one run per format, each converting all the files, the three runs side by side."""
    office = _need_soffice()
    work = tmp_path_factory.mktemp("saved")
    src = work / "openpyxl"
    src.mkdir()
    paths = []
    for stem, wb in sources().items():
        wb.save(src / f"{stem}.xlsx")
        paths.append(str(src / f"{stem}.xlsx"))
    runs = {}
    for ext in FORMATS:
        out = work / ext
        out.mkdir()
        runs[ext] = subprocess.Popen(
            [office, "--headless", "--norestore", f"-env:UserInstallation=file://{work}/profile-{ext}",
             "--convert-to", ext, "--outdir", str(out), *paths],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    made: dict[str, dict[str, Path]] = {}
    for ext, run in runs.items():
        try:
            _, err = run.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            run.kill()
            raise
        assert run.returncode == 0, err.decode(errors="replace")
        for p in paths:
            stem = Path(p).stem
            target = work / ext / f"{stem}.{ext}"
            assert target.exists(), f"LibreOffice did not write {target.name}: {err.decode(errors='replace')}"
            made.setdefault(stem, {})[ext] = target
    return made


def read(db, path: Path, user: str = "canbo-lc", **kw):  # noqa: F811
    """The preview of a saved file, checked to be read as the format it was saved in."""
    with gate.reading(db) as con:
        pv = importer.preview(con, path.read_bytes(), path.name, user, today=TODAY, **kw)
    assert pv.file_format == path.suffix.lstrip("."), path.name
    return pv


def layout_of(pv, sheet: str | None = None) -> dict:
    found = [layout for layout in pv.layouts if sheet is None or layout["sheet"] == sheet]
    assert len(found) == 1, [layout["sheet"] for layout in pv.layouts]
    return found[0]


# --- the tests ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_yearly_report_reads_years_and_leaves_plan_and_notes(db, saved, fmt):  # noqa: F811
    pv = read(db, saved["nam"][fmt])
    assert not pv.errors, [p.message for p in pv.errors]
    assert values(pv) == YEARLY_VALUES
    layout = layout_of(pv)
    assert layout["kind"] == "indicators_as_rows"
    assert layout["locality"]["code"] == "12" and layout["locality_how"] == "title"
    columns = {c["header"]: c for c in layout["columns"]}
    assert {h: columns[h]["period"] for h in ("Năm 2023", "Năm 2024", "Năm 2025")} == \
        {"Năm 2023": "2023", "Năm 2024": "2024", "Năm 2025": "2025"}
    assert all(columns[h]["role"] == "period" for h in ("Năm 2023", "Năm 2024", "Năm 2025"))
    assert columns["Kế hoạch 2026"]["role"] == "plan" and columns["Kế hoạch 2026"]["period"] is None
    assert columns["Ghi chú"]["role"] == "skip" and columns["Ghi chú"]["period"] is None
    rows = {r["label"]: r for r in layout["rows"]}
    assert rows["Nhân lực y tế"]["role"] == "heading"
    assert rows["Bảo hiểm y tế và sức khỏe"]["role"] == "heading"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_row_matching_no_indicator_is_listed_with_three_nearest_candidates(db, saved, fmt):  # noqa: F811
    pv = read(db, saved["nam"][fmt])
    (unmatched,) = [p for p in pv.warnings if p.code == "wide_unmatched"]
    assert unmatched.row == UNMATCHED_ROW
    assert "Số giường bệnh/vạn dân" in unmatched.message and "không được nhập" in unmatched.message
    assert "gần nhất:" in unmatched.message, unmatched.message
    after = unmatched.message.split("gần nhất:", 1)[1].split(";", 1)[0]
    named = re.findall(r"“([^”]+)”", after)
    assert len(named) == 3, unmatched.message
    assert len(set(named)) == 3, unmatched.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_quarters_as_columns(db, saved, fmt):  # noqa: F811
    pv = read(db, saved["quy"][fmt])
    assert not pv.errors, [p.message for p in pv.errors]
    assert values(pv) == QUARTERLY_VALUES
    periods = {c["header"]: c["period"] for c in layout_of(pv)["columns"] if c["role"] == "period"}
    assert periods == {"Quý I/2026": "2026-Q1", "Quý II/2026": "2026-Q2", "Quý III/2026": "2026-Q3"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_communes_as_rows_indicators_as_columns_and_the_total_row_is_no_locality(db, saved, fmt):  # noqa: F811
    pv = read(db, saved["xa"][fmt])
    assert not pv.errors, [p.message for p in pv.errors]
    got = values(pv)
    assert not [k for k in got if k[0] == "12"], "a total row was read as the province's figures"
    assert got == COMMUNE_VALUES
    layout = layout_of(pv)
    assert layout["kind"] == "localities_as_rows"
    totals = [r for r in layout["rows"] if r["label"] in TOTAL_ROWS]
    assert [r["label"] for r in totals] == list(TOTAL_ROWS)
    assert all(r["role"] != "data" for r in totals), totals
    assert all(r["match"] is None or r["match"]["code"] is None for r in totals), totals


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_sheet_per_commune_named_by_its_sheet(db, saved, fmt):  # noqa: F811
    pv = read(db, saved["tung_xa"][fmt])
    assert not pv.errors, [p.message for p in pv.errors]
    assert values(pv) == PER_COMMUNE_VALUES
    assert {layout_of(pv, name)["locality"]["code"] for name in PER_COMMUNE} == {"03637", "03640"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_merged_actuals_over_their_years_are_read_and_the_merged_plan_is_not(db, saved, fmt):  # noqa: F811
    pv = read(db, saved["hai_dong"][fmt])
    assert not pv.errors, [p.message for p in pv.errors]
    assert values(pv) == MERGED_VALUES
    roles = {c["letter"]: (c["role"], c["period"]) for c in layout_of(pv)["columns"]}
    assert roles["D"] == ("period", "2024") and roles["E"] == ("period", "2025")
    assert roles["F"][0] == "plan" and roles["F"][1] is None


@pytest.mark.parametrize("stem", ["nam", "quy", "xa", "tung_xa", "hai_dong", "mau"])
def test_the_three_saved_formats_read_alike(db, saved, stem):  # noqa: F811
    """Not only the values: the same rows of the same sheets, the same warnings."""
    seen = {}
    for fmt in FORMATS:
        pv = read(db, saved[stem][fmt])
        rows = pv.validation.rows
        seen[fmt] = (sorted(values(pv).items()), sorted((p.code, p.row) for p in pv.warnings + pv.errors),
                     sorted(zip(rows["sheet"], rows["row"])) if "sheet" in rows and "row" in rows else None)
    assert seen["xls"] == seen["xlsx"]
    assert seen["ods"] == seen["xlsx"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_template_long_format_gives_the_values_of_the_wide_sheet(db, saved, fmt):  # noqa: F811
    pv = read(db, saved["mau"][fmt])
    assert not pv.errors, [p.message for p in pv.errors]
    assert pv.layouts == []
    assert values(pv) == YEARLY_VALUES == values(read(db, saved["nam"][fmt]))


def test_a_csv_export_of_the_wide_sheet_reimports_to_the_same_values(db, saved):  # noqa: F811
    """The wide sheet committed, its figures exported as the download's CSV and uploaded again."""
    wide = read(db, saved["nam"]["xlsx"])
    commit(db, wide)
    with gate.reading(db) as con:
        frame = export.current_values(con, "12")
    keys = set(YEARLY_VALUES)
    frame = frame[[(r.locality_code, r.indicator_code, r.period) in keys for r in frame.itertuples()]]
    assert len(frame) == len(YEARLY_VALUES)
    data = export.to_bytes(frame, "csv")
    with gate.reading(db) as con:
        again = importer.preview(con, data, "xuat.csv", "canbo-lc", today=TODAY)
    assert again.file_format == "csv"
    assert not again.errors, [p.message for p in again.errors]
    assert values(again) == values(wide) == YEARLY_VALUES
