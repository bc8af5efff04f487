"""Preview, commit, re-upload, revert, history and the CLI, against a seeded database copy."""
from __future__ import annotations

import argparse
import io
import json
import zipfile
from datetime import date, datetime
from xml.sax.saxutils import escape

import pytest
from openpyxl import Workbook

from indicators.auth import accounts, signin
from indicators.excel import importer
from indicators.cli.excel import add_cli
from indicators.store.connection import connect
from indicators.excel.safety import UnsafeFile

HEADERS = ["Mã địa phương", "Tên địa phương", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị", "Kỳ báo cáo",
           "Giá trị", "Tử số", "Mẫu số", "Nguồn / ghi chú"]


# --- helpers shared by the import tests (imported by the crash, concurrency and page tests) ----
def workbook(rows: list[list], title: str = "Báo cáo") -> bytes:
    """A small workbook like a filled template: title, blank, header, then
    [locality, indicator, period, value(, numerator, denominator, note)] rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    ws.append([title])
    ws.append([])
    ws.append(HEADERS)
    for r in rows:
        loc, ind, period, value, *rest = r
        rest = rest + [None] * (3 - len(rest))
        ws.append([loc, "", ind, "", "", period, value, *rest])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _col(i: int) -> str:
    return "ABCDEFGHIJ"[i]


def fast_workbook(rows: list[list]) -> bytes:
    """The same layout written directly as SpreadsheetML with shared strings, as Excel saves it:
    100,000 rows in about a second (openpyxl needs ~20 s)."""
    strings: dict[str, int] = {}
    out = [f'<row r="3">' + "".join(f'<c r="{_col(j)}3" t="s"><v>{strings.setdefault(h, len(strings))}</v></c>'
                                    for j, h in enumerate(HEADERS)) + "</row>"]
    for n, (loc, ind, period, value) in enumerate(rows, 4):
        out.append(f'<row r="{n}"><c r="A{n}" t="s"><v>{strings.setdefault(loc, len(strings))}</v></c>'
                   f'<c r="C{n}" t="s"><v>{strings.setdefault(ind, len(strings))}</v></c>'
                   f'<c r="F{n}" t="s"><v>{strings.setdefault(period, len(strings))}</v></c>'
                   f'<c r="G{n}"><v>{value!r}</v></c></row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{"".join(out)}</sheetData></worksheet>'
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
          'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
          '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>')
    book = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="Số liệu" sheetId="1" r:id="rId1"/></sheets></workbook>')
    book_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
                 f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" '
                 'Target="sharedStrings.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", book),
                           ("xl/_rels/workbook.xml.rels", book_rels), ("xl/worksheets/sheet1.xml", sheet),
                           ("xl/sharedStrings.xml", sst)):
            z.writestr(name, text)
    return buf.getvalue()


def add_account(con, user_name: str, role: str, locality: str | None) -> None:
    con.execute("insert into account (user_name, display_name, role, locality_code, password_hash) "
                "values ($u, $u, $r, $l, $h)",
                {"u": user_name, "r": role, "l": locality, "h": signin.hash_password("mat-khau-thu-nghiem")})


def commune_keys(con, n: int, skip=("09931",)) -> list[tuple[str, str, str]]:
    """n distinct commune × indicator × year keys without history (no outlier warnings)."""
    communes = [r[0] for r in con.execute("select locality_code from locality where level = 'commune' "
                                          "order by locality_code").fetchall() if r[0] not in skip]
    indicators = [r[0] for r in con.execute("select indicator_code from indicator where value_kind = 'percent' "
                                            "order by indicator_code").fetchall()]
    keys = [(c, i, str(y)) for y in range(2020, 2026) for c in communes for i in indicators]
    return keys[:n]


@pytest.fixture
def con(seeded_db):
    c = connect(seeded_db)
    add_account(c, "admin", "admin", None)
    add_account(c, "canbo-lc", "officer", "12")
    add_account(c, "canbo-xa", "officer", "03640")     # a commune of Lai Châu
    add_account(c, "xem", "viewer", "12")
    yield c
    c.close()


def count(con, sql: str, params: dict | None = None) -> int:
    return con.execute(sql, params or {}).fetchone()[0]


def snapshot(con) -> tuple:
    return tuple(count(con, f"select count(*) from {t}") for t in ("upload", "observation"))


# --- preview and commit --------------------------------------------------------------------------
def test_preview_counts_new_changed_unchanged_then_commit(con):
    # The illustrative 2025 values for Lai Châu: bhyt_coverage 95.0, life_expectancy 68.5.
    data = workbook([["12", "bhyt_coverage", "2025", "95,0"],        # unchanged
                     ["12", "life_expectancy", "2025", "68,9"],      # changed 68.5 -> 68.9
                     ["12", "bhyt_coverage", "Quý I/2026", "95,2%"],  # new
                     ["03640", "bhyt_coverage", "2026", 91.5]])       # new (a commune)
    before = snapshot(con)
    pv = importer.preview(con, data, "bao_cao.xlsx", "canbo-lc")
    assert snapshot(con) == before                                    # a preview writes nothing
    assert (pv.n_rows, pv.n_new, pv.n_changed, pv.n_unchanged, pv.n_rejected) == (4, 2, 1, 1, 0)
    assert pv.changes[["indicator_code", "old_value", "value"]].values.tolist() == [["life_expectancy", 68.5, 68.9]]
    assert pv.can_commit and not pv.problems

    result = importer.commit(con, pv, "canbo-lc")
    assert (result.n_new, result.n_changed, result.n_unchanged) == (2, 1, 1)
    up = con.execute("select file_name, sha256, user_name, n_rows, n_new, n_changed, n_unchanged, n_rejected, "
                     "state, size_bytes from upload where upload_id = $i", {"i": result.upload_id}).fetchone()
    assert up == ("bao_cao.xlsx", importer.sha256_of(data), "canbo-lc", 4, 2, 1, 1, 0, "committed", len(data))
    # Unchanged rows are not appended; earlier values stay as history.
    assert count(con, "select count(*) from observation where upload_id = $i", {"i": result.upload_id}) == 3
    hist = importer.history(con, "12", "life_expectancy")
    rows_2025 = hist[hist["period"] == "2025"]
    assert rows_2025[["value", "is_current", "user_name"]].values.tolist() == [
        [68.9, True, "canbo-lc"], [68.5, False, "he-thong"]]
    audit = con.execute("select user_name, detail from audit_event where action = 'upload'").fetchall()
    assert len(audit) == 1 and audit[0][0] == "canbo-lc" and f"lần nhập số {result.upload_id}" in audit[0][1]


def test_reuploading_the_same_file_changes_nothing_and_says_so(con):
    data = workbook([["12", "bhyt_coverage", "2026", 95.5]])
    first = importer.commit(con, importer.preview(con, data, "a.xlsx", "canbo-lc"), "canbo-lc")
    before = snapshot(con)
    again = importer.preview(con, data, "a (1).xlsx", "admin")           # another user, another name
    assert again.already_committed["upload_id"] == first.upload_id and not again.can_commit
    result = importer.commit(con, again, "admin")
    assert result.already_committed and "đã được nhập trước đây" in result.message
    assert f"lần nhập số {first.upload_id}" in result.message
    assert snapshot(con) == before


def test_the_same_figures_saved_again_make_no_empty_upload(con, seeded_db, tmp_path, capsys):
    """Other bytes (another title row), the same values: no upload, no audit row, nothing to revert."""
    rows = [["12", "bhyt_coverage", "2026", 95.5], ["12", "life_expectancy", "2025", 68.9]]
    importer.commit(con, importer.preview(con, workbook(rows), "a.xlsx", "canbo-lc"), "canbo-lc")
    before = snapshot(con)
    audit_before = con.execute("select count(*) from audit_event").fetchone()[0]
    again = importer.preview(con, workbook(rows, title="Báo cáo (lưu lại)"), "a_luu_lai.xlsx", "canbo-lc")
    assert not again.already_committed and (again.n_new, again.n_changed, again.n_unchanged) == (0, 0, 2)
    assert not again.has_changes and not again.can_commit
    result = importer.commit(con, again, "canbo-lc")
    assert result.upload_id is None and "Không có gì thay đổi" in result.message and "2 giá trị" in result.message
    assert snapshot(con) == before
    assert con.execute("select count(*) from audit_event").fetchone()[0] == audit_before
    # the command line says the same and exits 0 (nothing was rejected)
    path = tmp_path / "a_luu_lai.xlsx"
    path.write_bytes(workbook(rows, title="Lần thứ ba"))
    con.close()
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers())
    args = parser.parse_args(["import", str(path), "--user", "canbo-lc", "--format", "json"])
    args.db = str(seeded_db)
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["committed"] is False and out["upload_id"] is None and "Không có gì thay đổi" in out["message"]


@pytest.mark.parametrize("sent,recorded", [
    ("bao\x1bcao.xlsx", "bao_cao.xlsx"), ("C:\\Users\\canbo\\bao cao.xlsx", "bao cao.xlsx"),
    ("../../etc/x.xlsx", "x.xlsx"), ("a" * 300 + ".xlsx", "a" * 190 + "…" + "aaaa.xlsx"),
    ("bao cao\u202excslx.exe", "bao caoxcslx.exe"),   # a right-to-left override that disguises a name
])
def test_the_file_name_is_recorded_clean(con, sent, recorded):
    pv = importer.preview(con, workbook([["12", "bhyt_coverage", "2026-Q1", 95.5]]), sent, "canbo-lc")
    assert pv.file_name == recorded
    importer.commit(con, pv, "canbo-lc")
    assert con.execute("select file_name from upload order by upload_id desc limit 1").fetchone()[0] == recorded


def test_a_commit_after_another_upload_says_what_it_overwrote(con):
    """Two officers: A previews 96 → 97; B commits 98 meanwhile; A commits: the later upload wins
    (history keeps both) and A is told the value moved since the preview."""
    importer.commit(con, importer.preview(con, workbook([["12", "bhyt_coverage", "2026-Q1", 96]]), "a0.xlsx",
                                          "canbo-lc"), "canbo-lc")
    pv = importer.preview(con, workbook([["12", "bhyt_coverage", "2026-Q1", 97]]), "a.xlsx", "canbo-lc")
    assert pv.changes[["old_value", "value"]].values.tolist() == [[96.0, 97.0]]
    importer.commit(con, importer.preview(con, workbook([["12", "bhyt_coverage", "2026-Q1", 98]]), "b.xlsx",
                                          "admin"), "admin")
    result = importer.commit(con, pv, "canbo-lc")
    assert "Lưu ý" in result.message and "1 giá trị đã được một lần nhập khác cập nhật" in result.message
    values = con.execute("select value from observation where locality_code = '12' and period = '2026-Q1' "
                         "and indicator_code = 'bhyt_coverage' order by upload_id").fetchall()
    assert [v[0] for v in values] == [96.0, 98.0, 97.0]


def test_errors_block_the_whole_file_and_nothing_changes(con):
    data = workbook([["12", "bhyt_coverage", "2025", 96], ["12", "bhyt_coverage", "2025", 97],
                     ["12", "bhyt_coverage", "2024", 120]])
    before = snapshot(con)
    pv = importer.preview(con, data, "loi.xlsx", "canbo-lc")
    assert sorted(p.code for p in pv.errors) == ["duplicate_key", "out_of_range"]
    assert pv.n_rejected == 2 and not pv.can_commit
    with pytest.raises(importer.ImportRefused, match="còn 2 lỗi"):
        importer.commit(con, pv, "canbo-lc")
    assert snapshot(con) == before


def test_an_unsafe_file_is_refused_and_changes_nothing(con):
    before = snapshot(con)
    with pytest.raises(UnsafeFile):
        importer.preview(con, b"not a workbook", "x.xlsx", "canbo-lc")
    assert snapshot(con) == before


def test_warnings_must_be_confirmed(con):
    data = workbook([["12", "bhyt_coverage", "2026", "9,5"]])       # history ~95: a slipped decimal
    pv = importer.preview(con, data, "w.xlsx", "canbo-lc")
    assert [p.code for p in pv.warnings] == ["outlier"] and not pv.errors
    before = snapshot(con)
    with pytest.raises(importer.ImportRefused, match="cảnh báo cần xác nhận"):
        importer.commit(con, pv, "canbo-lc")
    assert snapshot(con) == before
    result = importer.commit(con, pv, "canbo-lc", confirm_warnings=True)
    assert result.n_new == 1
    assert count(con, "select n_warnings from upload where upload_id = $i", {"i": result.upload_id}) == 1


def test_scope_rows_outside_are_errors_and_a_crafted_commit_is_refused_and_logged(con):
    data = workbook([["03640", "bhyt_coverage", "2026", 91], ["12", "bhyt_coverage", "2026", 95]])
    pv = importer.preview(con, data, "xa.xlsx", "canbo-xa")      # a commune officer
    assert [(p.code, p.row) for p in pv.errors] == [("out_of_scope", 5)]
    # Crafted: the province officer's clean preview, committed by the commune officer.
    good = importer.preview(con, data, "xa.xlsx", "canbo-lc")
    assert good.can_commit
    before = snapshot(con)
    with pytest.raises(accounts.PermissionDenied, match="03640|12"):
        importer.commit(con, good, "canbo-xa")
    assert snapshot(con) == before
    assert count(con, "select count(*) from audit_event where action = 'denied' and user_name = 'canbo-xa'") == 1


def test_a_viewer_cannot_import(con):
    with pytest.raises(accounts.PermissionDenied):
        importer.preview(con, workbook([["12", "bhyt_coverage", "2026", 95]]), "v.xlsx", "xem")


def test_numerator_and_denominator_fill_the_value(con):
    pv = importer.preview(con, workbook([["12", "commune_health_criteria", "2026", None, 31, 38]]), "n.xlsx",
                          "canbo-lc")
    assert not pv.problems
    assert pv.validation.rows["value"].tolist() == [pytest.approx(100 * 31 / 38)]


# --- revert and history ----------------------------------------------------------------------
def test_revert_restores_previous_values_admin_only_and_once(con):
    pv = importer.preview(con, workbook([["12", "bhyt_coverage", "2025", 95.4]]), "r.xlsx", "canbo-lc")
    up = importer.commit(con, pv, "canbo-lc").upload_id

    def current():
        return con.execute("select value from observation o join upload u using (upload_id) "
                           "where u.state = 'committed' and locality_code = '12' and indicator_code = "
                           "'bhyt_coverage' and period = '2025' order by upload_id desc limit 1").fetchone()[0]
    assert current() == 95.4
    with pytest.raises(accounts.PermissionDenied):
        importer.revert(con, up, "canbo-lc")
    message = importer.revert(con, up, "admin")
    assert f"lần nhập số {up}" in message and current() == 95.0
    assert con.execute("select state, reverted_by from upload where upload_id = $i", {"i": up}).fetchone() == \
        ("reverted", "admin")
    assert count(con, "select count(*) from audit_event where action = 'revert'") == 1
    with pytest.raises(importer.ImportRefused, match="đã được hoàn tác trước đó"):
        importer.revert(con, up, "admin")
    with pytest.raises(importer.ImportRefused, match="Không có lần nhập"):
        importer.revert(con, 999, "admin")
    # After a revert the same file may be imported again.
    again = importer.preview(con, workbook([["12", "bhyt_coverage", "2025", 95.4]]), "r.xlsx", "canbo-lc")
    assert again.already_committed is None and again.can_commit
    hist = importer.history(con, "12", "bhyt_coverage")
    assert hist[hist["period"] == "2025"]["state"].tolist() == ["reverted", "committed"]


# --- CLI -------------------------------------------------------------------------------------
def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_import_dry_run_json_then_import(con, seeded_db, tmp_path, capsys):
    con.close()
    good = tmp_path / "tot.xlsx"
    good.write_bytes(workbook([["12", "bhyt_coverage", "2026", "95,5"]]))
    code, out, _ = run_cli(["--db", str(seeded_db), "import", str(good), "--user", "canbo-lc", "--dry-run",
                            "--format", "json"], capsys)
    found = json.loads(out)
    assert code == 0 and found["n_new"] == 1 and found["errors"] == [] and not found["committed"]
    c = connect(seeded_db)
    assert count(c, "select count(*) from upload") == 1     # only the illustrative samples
    c.close()
    code, out, _ = run_cli(["--db", str(seeded_db), "import", str(good), "--user", "canbo-lc"], capsys)
    assert code == 0 and "Đã nhập lần số 2" in out


def test_cli_import_errors_exit_non_zero_with_every_error_in_json(seeded_db, con, tmp_path, capsys):
    con.close()
    bad = tmp_path / "loi.xlsx"
    bad.write_bytes(workbook([["99", "bhyt_coverage", "2025", 95], ["12", "bhyt_coverage", "2030", 95]]))
    code, out, _ = run_cli(["--db", str(seeded_db), "import", str(bad), "--user", "canbo-lc", "--format",
                            "json"], capsys)
    found = json.loads(out)
    assert code == 1 and found["n_rejected"] == 2
    assert [(e["sheet"], e["row"], e["column"], e["code"]) for e in found["errors"]] == [
        ("Số liệu", 4, "A (Mã địa phương)", "unknown_locality"), ("Số liệu", 5, "F (Kỳ báo cáo)", "future_period")]
    unsafe = tmp_path / "gia.xlsx"
    unsafe.write_text("<html><body><table><tr><td>12</td></tr></table></body></html>", encoding="utf-8")
    code, out, _ = run_cli(["--db", str(seeded_db), "import", str(unsafe), "--user", "canbo-lc", "--format",
                            "json"], capsys)
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "unsafe_file"


def test_cli_warnings_need_confirmation_and_permission_exit_codes(seeded_db, con, tmp_path, capsys):
    con.close()
    f = tmp_path / "w.xlsx"
    f.write_bytes(workbook([["12", "bhyt_coverage", "2026", "9,5"]]))
    code, _, err = run_cli(["--db", str(seeded_db), "import", str(f), "--user", "canbo-lc"], capsys)
    assert code == 4 and "--confirm-warnings" in err
    code, _, _ = run_cli(["--db", str(seeded_db), "import", str(f), "--user", "xem"], capsys)
    assert code == 5
    code, out, _ = run_cli(["--db", str(seeded_db), "import", str(f), "--user", "canbo-lc",
                            "--confirm-warnings"], capsys)
    assert code == 0 and "Đã nhập" in out


def test_cli_template_export_history_revert(seeded_db, con, tmp_path, capsys):
    con.close()
    code, out, _ = run_cli(["--db", str(seeded_db), "template", "--locality", "12", "-o",
                            str(tmp_path / "mau.xlsx")], capsys)
    assert code == 0 and (tmp_path / "mau.xlsx").exists() and "dòng cần điền" in out
    assert run_cli(["--db", str(seeded_db), "template", "--locality", "999", "-o", str(tmp_path / "x.xlsx")],
                   capsys)[0] == 2
    for suffix in ("xlsx", "csv"):
        code, out, _ = run_cli(["--db", str(seeded_db), "export", "--locality", "12", "-o",
                                str(tmp_path / f"e.{suffix}")], capsys)
        assert code == 0 and (tmp_path / f"e.{suffix}").stat().st_size > 0
    code, out, _ = run_cli(["--db", str(seeded_db), "history", "--locality", "12", "--indicator",
                            "bhyt_coverage", "--format", "json"], capsys)
    assert code == 0 and {r["period"] for r in json.loads(out)} >= {"2020", "2025"}
    code, out, _ = run_cli(["--db", str(seeded_db), "history", "--uploads"], capsys)
    assert code == 0 and "du_lieu_minh_hoa.xlsx" in out
    assert run_cli(["--db", str(seeded_db), "revert", "1", "--user", "canbo-lc"], capsys)[0] == 5
    code, out, _ = run_cli(["--db", str(seeded_db), "revert", "1", "--user", "admin"], capsys)
    assert code == 0 and "Đã hoàn tác lần nhập số 1" in out
    assert run_cli(["--db", str(seeded_db), "revert", "1", "--user", "admin"], capsys)[0] == 2


def test_fast_workbook_reads_like_an_excel_file(con):
    keys = commune_keys(con, 50)
    data = fast_workbook([[*k, 80.5] for k in keys])
    pv = importer.preview(con, data, "nhanh.xlsx", "admin", today=date(2026, 11, 24))
    assert pv.n_new == 50 and not pv.problems


def test_formulas_without_values_and_percent_cells_end_to_end(con):
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    ws.append(["12", "bhyt_coverage", "2026-Q1", "=90+5.5"])     # saved by openpyxl: no cached value
    ws.append(["12", "bhyt_coverage", "2026-Q2", 0.955])
    ws["D3"].number_format = "0.0%"                             # the officer sees 95,5%
    buf = io.BytesIO()
    wb.save(buf)
    pv = importer.preview(con, buf.getvalue(), "cong_thuc.xlsx", "canbo-lc")
    assert [(p.code, p.row, p.column) for p in pv.errors] == [("formula_without_value", 2, "D (Giá trị)")]
    assert "công thức chưa có giá trị tính" in pv.errors[0].message
    assert pv.validation.rows["value"].tolist() == [pytest.approx(95.5)]


def _dated_periods(cells: list[tuple]) -> bytes:
    """A sheet whose period cells (indicator, period, number format, value, …) carry a number format."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    for i, (indicator, period, number_format, value, *_) in enumerate(cells, 2):
        ws.append(["12", indicator, period, value])
        ws[f"C{i}"].number_format = number_format
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_period_dates_read_as_the_officer_saw_them(con):
    """A date in the period column shown as a year (yyyy) is that year, shown as a month (mm/yyyy)
    that month; a full date keeps its month, typed text is read as typed."""
    cells = [  # indicator, period cell, number format, value, expected period
        ("bhyt_coverage", datetime(2026, 1, 1), "yyyy", 95, "2026"),                 # was 2026-01
        ("bhyt_coverage", datetime(2026, 6, 1), "mm/yyyy", 95, "2026-06"),
        ("bhyt_coverage", datetime(2024, 1, 1), '"Năm "yyyy', 95, "2024"),
        ("bhyt_coverage", datetime(2026, 3, 15), "dd/mm/yyyy", 95, "2026-03"),       # as before
        ("bhyt_coverage", datetime(2026, 5, 1), "[$-42A]mm/yyyy", 95, "2026-05"),
        ("life_expectancy", "2025", "yyyy", 68.9, "2025"),                           # text in a yyyy cell
    ]
    today = date(2026, 12, 3)
    pv = importer.preview(con, _dated_periods(cells), "ky_dang_ngay.xlsx", "canbo-lc", today=today)
    assert not pv.problems
    assert pv.validation.rows.sort_values("row")["period"].tolist() == [want for *_, want in cells]
    result = importer.commit(con, pv, "canbo-lc")
    stored = con.execute("select period from observation where upload_id = $i order by period",
                         {"i": result.upload_id}).fetchall()
    assert [r[0] for r in stored] == ["2024", "2025", "2026", "2026-03", "2026-05", "2026-06"]
    # the year 2027 is in the future as a year (it was January 2027 before, also future); the
    # problem quotes the cell as the officer sees it
    future = importer.preview(con, _dated_periods([("bhyt_coverage", datetime(2027, 1, 1), "yyyy", 95)]),
                              "ky_2027.xlsx", "canbo-lc", today=today)
    assert [(p.code, p.row, p.value) for p in future.errors] == [("future_period", 2, "2027")]
    assert "kỳ 2027 còn ở tương lai" in future.errors[0].message


def test_excel_error_cells_and_formula_codes_are_reported_not_skipped(con):
    """The reader sees #DIV/0! and an uncomputed formula as blank cells; skipping those rows as
    unfilled would lose what the officer sent and still exit 0."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    ws.append(["12", "bhyt_coverage", "2026-Q1", "#DIV/0!"])     # openpyxl writes t="e": an error cell
    ws.append(["12", "bhyt_coverage", "2026-Q2", "#N/A"])
    ws.append(["12", "=LOWER(\"BHYT_COVERAGE\")", "2026-Q3", 95])   # a formula code with no cached value
    ws.append(["12", "bhyt_coverage", "2025", 95.5])
    buf = io.BytesIO()
    wb.save(buf)
    pv = importer.preview(con, buf.getvalue(), "loi.xlsx", "canbo-lc")
    assert [(p.code, p.row, p.column, p.value) for p in pv.errors] == [
        ("error_cell", 2, "D (Giá trị)", "#DIV/0!"), ("error_cell", 3, "D (Giá trị)", "#N/A"),
        ("formula_without_value", 4, "B (Mã chỉ tiêu)", "(công thức)")]
    assert "lỗi #DIV/0!" in pv.errors[0].message
    assert pv.n_rows == 4 and pv.n_rejected == 3 and not pv.can_commit


def test_bench_import_runs_on_a_small_workbook():
    from bench.importing import bench_import
    result = bench_import(repeats=1, peer_repeats=1, n_rows=300)
    assert set(result) == {"import_100k_s", "import_100k_peak_mib", "import_peer_read_s", "import_100k_inline_s"}
    assert 0 < result["import_100k_s"] < 60 and result["import_100k_peak_mib"] > 50
    assert result["import_peer_read_s"] > 0 and result["import_100k_inline_s"] > 0


def test_the_bench_workbook_as_excel_saves_it_reads_the_same_cells(tmp_path):
    """bench.importing.as_excel_saves moves the text into a shared-strings table (as Excel
    does) without changing one cell the product reads."""
    from bench.importing import BENCH_USER, prepare
    from indicators.excel import importer
    from indicators.store.connection import connect
    db, shared = prepare(tmp_path, n_rows=200)
    inline = tmp_path / "bench_100k_inline.xlsx"
    with zipfile.ZipFile(shared) as z:
        assert "xl/sharedStrings.xml" in z.namelist()
        assert b"inlineStr" not in z.read("xl/worksheets/sheet1.xml")
    con = connect(db)
    previews = [importer.preview(con, f.read_bytes(), f.name, BENCH_USER) for f in (shared, inline)]
    con.close()
    assert [(p.n_new, len(p.errors)) for p in previews] == [(200, 0), (200, 0)]
    rows = [p.validation.rows.drop(columns=["source_row"], errors="ignore").reset_index(drop=True)
            for p in previews]
    assert rows[0].equals(rows[1])


def test_overview_cache_follows_commit_and_revert(seeded_db):
    """After an import and after its revert, the overview's cached current values are fresh."""
    import io

    from openpyxl import Workbook

    from indicators.excel import importer
    from indicators.auth.admin import set_password
    from indicators.progress.scorecard import is_current_fresh, scorecard
    from indicators.store.connection import connect
    con = connect(seeded_db)
    set_password(con, "quantri", "quantri", "mat-khau-quan-tri")
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    ws.append(["12", "bhyt_coverage", "2026", 97.5])
    buf = io.BytesIO()
    wb.save(buf)
    pv = importer.preview(con, buf.getvalue(), "bhyt.xlsx", "quantri")
    result = importer.commit(con, pv, "quantri", confirm_warnings=True)
    assert is_current_fresh(con)
    cell = scorecard(con, "province", "12", 2030)
    assert cell.set_index("indicator_code").at["bhyt_coverage", "latest_value"] == 97.5
    importer.revert(con, result.upload_id, "quantri")
    assert is_current_fresh(con)
    cell = scorecard(con, "province", "12", 2030)
    assert cell.set_index("indicator_code").at["bhyt_coverage", "latest_value"] == 95.0
