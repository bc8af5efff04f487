"""The printable report (indicators.present.report): its HTML, page grouping, and the PDF Chromium prints."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys

import pytest

from indicators.present import render
from indicators.present import report as rp
from indicators.present import slides as sl
from indicators.present.deck import DeckError
from indicators.progress.locality import locality_progress
from indicators.store.connection import connect
from tests.conftest import ROOT

PNG_1PX = bytes.fromhex(  # a valid 1×1 PNG, standing in for a chart
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def con(seeded_db_template):
    c = connect(seeded_db_template, read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def renderer(chromium):
    with render.Renderer(chromium) as r:
        yield r


def fake(group: str, code: str) -> dict:
    return {"key": code, "row": {"indicator_group": group, "indicator_code": code}}


@pytest.mark.parametrize("items, per_page, expected", [
    ([("A", "a1"), ("B", "b1"), ("A", "a2")], 3, [("A", ["a1", "a2"]), ("B", ["b1"])]),
    ([("A", f"a{i}") for i in range(5)], 3, [("A", ["a0", "a1", "a2"]), ("A (tiếp)", ["a3", "a4"])]),
    ([("A", f"a{i}") for i in range(6)] + [("B", "b1")], 3,
     [("A", ["a0", "a1", "a2"]), ("A (tiếp)", ["a3", "a4", "a5"]), ("B", ["b1"])]),
    ([], 3, []),
])
def test_group_pages(items, per_page, expected):
    pages = rp.group_pages([fake(g, c) for g, c in items], per_page)
    assert [(t, [s["key"] for s in chunk]) for t, chunk in pages] == expected


def lai_chau_html(con, *, illustrative: bool | None = None, pngs=True) -> tuple[str, list[dict]]:
    lp = locality_progress(con, "12")
    slides = sl.slides_of_locality(lp, "Tỉnh Lai Châu")
    flag = lp.has_illustrative if illustrative is None else illustrative
    html = rp.report_html("Tỉnh Lai Châu", lp.rows, slides, [PNG_1PX if pngs else None] * len(slides),
                          2030, "02/03/2026", flag)
    return html, slides


def test_report_html_is_self_contained_and_print_styled(con):
    html, slides = lai_chau_html(con)
    assert "@page { size: A4 landscape" in html and "break-after: page" in html
    assert "default-src 'none'" in html                      # the browser may load nothing
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "@import" not in html
    assert html.count("data:image/png;base64,") == len(slides)
    pages = html.count('<section class="page">')
    assert pages == 1 + len(rp.group_pages(slides))


def test_report_html_says_what_each_target_is(con):
    html, slides = lai_chau_html(con)
    for s in slides:
        assert s["row"]["indicator_name"] in html
        assert s["citation"].replace("“", "").split(" – ")[0] in html
    assert "≥ 13,5 bác sĩ/10.000 dân" in html and "13.5" not in html
    assert "Ngày in: 02/03/2026" in html and "Kế hoạch 243/KH-SYT" in html


@pytest.mark.parametrize("illustrative", [True, False])
def test_report_html_notice(con, illustrative):
    html, _ = lai_chau_html(con, illustrative=illustrative)
    assert (sl.ILLUSTRATIVE_NOTICE in html) is illustrative
    assert (sl.ILLUSTRATIVE_BANNER in html) is illustrative


def test_report_html_without_charts_still_lists_every_target(con):
    html, slides = lai_chau_html(con, pngs=False)
    assert "data:image/png" not in html
    assert all(s["row"]["indicator_name"] in html for s in slides)


@pytest.mark.parametrize("pdf, pages", [
    (b"%PDF-1.4 1 0 obj <</Type /Pages /Count 2>> 2 0 obj <</Type /Page>> 3 0 obj <</Type/Page/Parent 1 0 R>>", 2),
    (b"%PDF-1.4 1 0 obj <</Type /Pages /Count 0>>", 0),
])
def test_pdf_page_count(pdf, pages):
    assert rp.pdf_page_count(pdf) == pages


def test_report_refuses_unknown_locality_and_missing_chromium(con, tmp_path, monkeypatch):
    with pytest.raises(DeckError, match="Không có địa phương mã '1'"):
        rp.build_report(con, "1", tmp_path / "x.pdf")
    monkeypatch.setenv(render.CHROMIUM_ENV, str(tmp_path / "nothing"))
    with pytest.raises(render.ChromiumMissing, match="gói Debian `chromium`"):
        rp.build_report(con, "12", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_lai_chau_report_pdf(con, chromium, tmp_path):
    out = tmp_path / "lc.pdf"   # its own renderer, started and stopped by build_report
    info = rp.build_report(con, "12", out, today=dt.date(2026, 3, 2), chromium=chromium)
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    slides = sl.locality_slides(con, "12")
    # One summary page, then one page per group (Lai Châu's groups hold at most 3 targets):
    # a target that overflowed its page would add a page and fail this.
    assert info.n_pages == rp.pdf_page_count(pdf) == 1 + len(rp.group_pages(slides)) == 6
    assert info.groups == list(dict.fromkeys(s["row"]["indicator_group"] for s in slides))
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 841.9) < 2 and abs(float(h) - 595.3) < 2 for w, h in boxes)


def test_report_to_a_buffer(con, renderer):
    buffer = io.BytesIO()
    info = rp.build_report(con, "09931", buffer, renderer=renderer)
    assert buffer.getvalue().startswith(b"%PDF") and info.n_pages == rp.pdf_page_count(buffer.getvalue())
    assert info.locality_name == "Xã Hưng Đạo, Thành phố Hà Nội"


def test_cli_report(seeded_db, chromium, tmp_path):
    out = tmp_path / "lc.pdf"
    done = subprocess.run([sys.executable, "-m", "indicators", "--db", str(seeded_db), "report",
                           "--locality", "12", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF") and "6 trang" in done.stdout


@pytest.mark.parametrize("approved_only,said", [(False, "mọi số liệu đã báo cáo (kể cả chưa được duyệt)"),
                                                (True, "chỉ số liệu đã được duyệt")])
def test_report_says_which_figures_it_shows(con, approved_only, said):
    lp = locality_progress(con, "12", approved_only=approved_only)
    slides = sl.slides_of_locality(lp, "Tỉnh Lai Châu")
    html = rp.report_html("Tỉnh Lai Châu", lp.rows, slides, [None] * len(slides), 2030, "02/03/2026",
                          lp.has_illustrative, approved_only)
    assert f"Số liệu: {said}" in html
