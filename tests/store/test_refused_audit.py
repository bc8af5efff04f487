"""An upload attempt with rows refused for scope leaves one `upload_refused` audit event (who, file,
SHA-256, rows refused and why), from the command line and from the page alike; nothing else is
written."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from indicators.excel import importer
from indicators.store.connection import connect
from tests.conftest import ROOT, signed_in
from tests.store.test_import import add_account, count, run_cli, snapshot, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCOPE_REASON = "ngoài phạm vi địa phương được giao"

# Officer of commune 09931 (Xã Hưng Đạo, Hà Nội): one row of theirs, three of Lai Châu (12).
OUT_OF_SCOPE = [["09931", "bhyt_coverage", "2025", 95], ["12", "bhyt_coverage", "2025", 95],
                ["12", "life_expectancy", "2025", 68.9], ["12", "bhyt_coverage", "2024", 94]]


@pytest.fixture
def con(seeded_db):
    c = connect(seeded_db)
    add_account(c, "admin", "admin", None)
    add_account(c, "canbo-xa", "officer", "09931")
    add_account(c, "canbo-lc", "officer", "12")
    yield c
    c.close()


def refused_events(con) -> list[tuple]:
    return con.execute("select user_name, locality_code, detail from audit_event where action = 'upload_refused' "
                       "order by event_id").fetchall()


def all_events(con) -> int:
    return count(con, "select count(*) from audit_event")


def cli(seeded_db, *argv: str) -> subprocess.CompletedProcess:
    """`python -m indicators --db DB …` in its own process, as an operator runs it."""
    env = {**os.environ, "INDICATORS_DB": str(seeded_db)}
    return subprocess.run([sys.executable, "-m", "indicators", "--db", str(seeded_db), *argv], cwd=ROOT, env=env,
                          check=False, capture_output=True, text=True, timeout=120)


# --- the command line ----------------------------------------------------------------------------
@pytest.mark.parametrize("flags", [[], ["--dry-run"], ["--format", "json"], ["--dry-run", "--format", "json"]],
                         ids=["import", "dry-run", "json", "dry-run-json"])
def test_cli_attempt_with_rows_out_of_scope_is_refused_and_audited_once(con, seeded_db, tmp_path, flags):
    data = workbook(OUT_OF_SCOPE)
    path = tmp_path / "bao_cao_quy.xlsx"
    path.write_bytes(data)
    before, events_before = snapshot(con), all_events(con)
    con.close()

    done = cli(seeded_db, "import", str(path), "--user", "canbo-xa", *flags)

    assert done.returncode == 1, done.stderr          # rejected, not imported
    if "--format" in flags:
        out = json.loads(done.stdout)
        assert out["n_rejected"] == 3 and not out["committed"]
        assert [e["code"] for e in out["errors"]] == ["out_of_scope"] * 3
    else:
        assert done.stdout.count("LỖI") == 3 and "không được nhập số liệu cho địa phương “12”" in done.stdout
    c = connect(seeded_db)
    try:
        assert snapshot(c) == before                    # no upload, no observation
        assert all_events(c) == events_before + 1       # only the refusal: no 'denied', no 'upload'
        [(user, locality, detail)] = refused_events(c)
    finally:
        c.close()
    assert user == "canbo-xa" and locality == "12"
    assert "“bao_cao_quy.xlsx”" in detail
    assert f"SHA-256 {importer.sha256_of(data)[:12]}" in detail
    assert "3 trong 4 dòng số liệu bị từ chối" in detail
    assert f"{SCOPE_REASON}: 3 dòng, địa phương 12" in detail
    assert ("kiểm tra thử" in detail) == ("--dry-run" in flags)


def test_cli_in_process_gives_the_same_single_event(con, seeded_db, tmp_path, capsys):
    """The handler itself (as the other CLI tests call it): one event, exit code 1."""
    path = tmp_path / "x.xlsx"
    path.write_bytes(workbook(OUT_OF_SCOPE))
    con.close()
    code, out, _ = run_cli(["--db", str(seeded_db), "import", str(path), "--user", "canbo-xa"], capsys)
    assert code == 1 and "bị từ chối 3" in out
    c = connect(seeded_db)
    try:
        assert len(refused_events(c)) == 1
    finally:
        c.close()


# --- what is not a refusal -----------------------------------------------------------------------
def test_a_file_without_scope_problems_writes_no_refusal_event(con, seeded_db, tmp_path, capsys):
    # Other errors (an unknown indicator, a value out of range) are mistakes to fix, not refusals.
    bad = workbook([["09931", "khong_co_chi_tieu", "2025", 95], ["09931", "bhyt_coverage", "2025", 120]])
    pv = importer.preview(con, bad, "loi.xlsx", "canbo-xa")
    assert sorted(p.code for p in pv.errors) == ["out_of_range", "unknown_indicator"] and not pv.refusals
    # A province officer's rows for one of its communes are in scope; an admin has no scope limit.
    assert not importer.preview(con, workbook([["03640", "bhyt_coverage", "2026", 91]]), "xa.xlsx",
                                "canbo-lc").errors
    assert not importer.preview(con, workbook(OUT_OF_SCOPE), "quoc_gia.xlsx", "admin").refusals
    assert refused_events(con) == []
    path = tmp_path / "loi.xlsx"
    path.write_bytes(bad)
    con.close()
    code, out, _ = run_cli(["--db", str(seeded_db), "import", str(path), "--user", "canbo-xa", "--format", "json"],
                           capsys)
    assert code == 1 and json.loads(out)["n_rejected"] == 2
    c = connect(seeded_db)
    try:
        assert refused_events(c) == []
    finally:
        c.close()


# --- the detail and the table of reasons ---------------------------------------------------------
def test_the_detail_names_the_province_column_and_at_most_ten_localities(con):
    # "Mã tỉnh" fills a blank "Mã xã": the refused row is the province's own.
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã tỉnh", "Mã xã", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    ws.append(["12", None, "bhyt_coverage", "2025", 95])
    ws.append(["01", 9931, "bhyt_coverage", "2025", 95])
    buf = io.BytesIO()
    wb.save(buf)
    pv = importer.preview(con, buf.getvalue(), "tinh.xlsx", "canbo-xa")
    assert [(p.code, p.column) for p in pv.errors] == [("out_of_scope", "A (Mã tỉnh)")]
    [(_, locality, detail)] = refused_events(con)
    assert locality == "12" and "1 trong 2 dòng" in detail and f"{SCOPE_REASON}: 1 dòng, địa phương 12;" in detail

    communes = [r[0] for r in con.execute("select locality_code from locality where parent_code = '12' "
                                          "order by locality_code limit 12").fetchall()]
    importer.preview(con, workbook([[c, "bhyt_coverage", "2025", 95] for c in communes]), "xa.xlsx", "canbo-xa")
    detail = refused_events(con)[-1][2]
    assert f"12 dòng, địa phương {', '.join(communes[:10])} …" in detail and communes[10] not in detail


def test_a_new_refusal_reason_is_one_entry_in_the_table(con, monkeypatch):
    """Tomorrow's "period locked": pretend an unknown indicator were such a reason."""
    monkeypatch.setitem(importer.REFUSAL_REASONS, "unknown_indicator", "kỳ báo cáo đã được phê duyệt")
    data = workbook([["12", "bhyt_coverage", "2025", 95], ["12", "khong_co", "2025", 95],
                     ["09931", "khong_co", "2025", 95]])
    pv = importer.preview(con, data, "hai_ly_do.xlsx", "canbo-xa")
    assert [(r.reason, r.n_rows, r.localities) for r in pv.refusals] == [
        ("out_of_scope", 2, ["12"]), ("unknown_indicator", 2, ["09931", "12"])]
    [(_, _, detail)] = refused_events(con)
    assert ("3 trong 3 dòng số liệu bị từ chối – ngoài phạm vi địa phương được giao: 2 dòng, địa phương 12; "
            "kỳ báo cáo đã được phê duyệt: 2 dòng, địa phương 09931, 12") in detail


# --- the page ------------------------------------------------------------------------------------
def open_page(page: str, user: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    signed_in(at, user)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_upload_refused_for_scope_is_audited_once_per_attempt(con, seeded_db):
    con.close()   # the page opens its own connection in this process
    at = open_page("upload.py", "canbo-xa")
    # Out of scope, plus an outlier warning: the warnings' checkbox reruns the page.
    data = workbook([["12", "bhyt_coverage", "2025", 95], ["09931", "bhyt_coverage", "2025", 9.5],
                     ["09931", "life_expectancy", "2025", 70], ["09931", "bhyt_coverage", "2024", 95]])
    at.file_uploader[0].set_value(("bao cao xa.xlsx", data, XLSX)).run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Bị từ chối"] == "1"
    assert any("Có 1 lỗi ở 1 dòng; chưa nhập dòng nào" in e.value for e in at.error)
    listed = [m.value for m in at.markdown if m.value.startswith("- **Trang")]
    assert any("không được nhập số liệu cho địa phương “12”" in m for m in listed)
    assert at.button(key="upload_commit").disabled

    c = connect(seeded_db)
    try:
        [(user, locality, detail)] = refused_events(c)
    finally:
        c.close()
    assert user == "canbo-xa" and locality == "12" and "“bao cao xa.xlsx”" in detail
    assert f"SHA-256 {importer.sha256_of(data)[:12]}" in detail and f"{SCOPE_REASON}: 1 dòng" in detail
    assert "kiểm tra thử" not in detail

    at.checkbox(key="upload_confirm").check().run()   # reruns reuse the preview: no second event
    at.run()
    assert not at.exception and any("chưa nhập dòng nào" in e.value for e in at.error)

    admin = open_page("admin_audit.py", "admin")      # what the admin sees
    events = next(d.value for d in admin.dataframe if "detail" in d.value.columns)
    refused = events[events["action"] == "Nhập số liệu bị từ chối"]
    assert refused[["user_name", "locality_code"]].values.tolist() == [["canbo-xa", "12"]]
    assert "“bao cao xa.xlsx”" in refused["detail"].iloc[0]
