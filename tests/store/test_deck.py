"""The meeting deck (indicators.present.deck) and its renderer (indicators.present.render), read back with python-pptx.

Decks need Chromium (the `chromium` fixture: skipped locally without it, a failure in CI).
LibreOffice is optional: when `soffice` is on PATH the deck is also converted to PDF.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys

import pytest
from PIL import Image
from pptx import Presentation
from pptx.util import Pt

from indicators.present import deck as dk
from indicators.present import render
from indicators.present import slides as sl
from bench.deck import bench_deck
from indicators.store.connection import connect
from tests.conftest import ROOT, missing

TODAY = dt.date(2026, 3, 2)


def run_cli(*args: str, db, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indicators", "--db", str(db), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def slide_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [c.text for r in shape.table.rows for c in r.cells]
    return "\n".join(parts)


def pictures(slide) -> list:
    return [s for s in slide.shapes if s.shape_type == 13]   # MSO_SHAPE_TYPE.PICTURE


@pytest.fixture(scope="module")
def con(seeded_db_template):
    c = connect(seeded_db_template, read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def renderer(chromium):
    with render.Renderer(chromium) as r:
        yield r


@pytest.fixture(scope="module")
def lai_chau(con, renderer):
    """The Lai Châu deck, built once: (DeckInfo, Presentation, pptx bytes, its slides)."""
    buffer = io.BytesIO()
    info = dk.build_deck(con, "12", buffer, renderer=renderer, today=TODAY)
    data = buffer.getvalue()
    return info, Presentation(io.BytesIO(data)), data, sl.locality_slides(con, "12")


# ------------------------------------------------------------------ pure parts

SHORT = ["Tuổi thọ trung bình", "68,5 năm (2025)", "đạt 70 năm", "◆ Cần tăng tốc"]
LONG = ["Tỷ lệ người dân thường xuyên được tiếp cận thông tin, kiến thức chăm sóc sức khỏe và còn dài hơn "
        "nữa để phải xuống ba dòng trong cột chỉ tiêu của bảng", "79% (2025)", "> 98%", "▲ Đúng tiến độ"]


@pytest.mark.parametrize("rows, expected", [
    ([], [(0, 0)]),
    ([SHORT] * 9, [(0, 9)]),
    ([SHORT] * 10, [(0, 10)]),
    ([SHORT] * 20, [(0, 10), (10, 20)]),
    ([SHORT] * 13, [(0, 7), (7, 13)]),            # balanced, not 12 + a lone row
    ([LONG] * 8, [(0, 4), (4, 8)]),               # three-line rows: fewer per slide
])
def test_table_pages(rows, expected):
    assert dk.table_pages(rows) == expected


def test_table_pages_never_exceed_the_height_budget():
    rows = [SHORT, LONG, SHORT, SHORT, LONG, LONG, SHORT, LONG, SHORT, SHORT, SHORT, LONG, SHORT] * 2
    pages = dk.table_pages(rows)
    assert pages[0][0] == 0 and pages[-1][1] == len(rows)
    assert all(a[1] == b[0] for a, b in zip(pages, pages[1:]))
    header = dk._row_height_in(["Chỉ tiêu", "Mới nhất", "Mục tiêu 2030", "Trạng thái"])
    for start, stop in pages:
        assert header + sum(dk._row_height_in(r) for r in rows[start:stop]) <= dk.TABLE_BUDGET_IN


# ------------------------------------------------------------------ Chromium missing

SENTENCE = re.compile(r"^[^\n]*Chromium[^\n]*gói Debian `chromium`[^\n]*\.$")


def test_chromium_missing_names_the_package(tmp_path):
    with pytest.raises(render.ChromiumMissing) as err:
        render.find_chromium(tmp_path / "no-such-chromium")
    assert SENTENCE.match(str(err.value)), str(err.value)
    assert "apt-get install chromium" in str(err.value)
    assert not render.chromium_available(tmp_path / "no-such-chromium")


def test_chromium_missing_via_environment(tmp_path, monkeypatch, con):
    monkeypatch.setenv(render.CHROMIUM_ENV, str(tmp_path / "nothing"))
    out = tmp_path / "deck.pptx"
    with pytest.raises(render.ChromiumMissing):
        dk.build_deck(con, "12", out)
    assert not out.exists()
    with pytest.raises(render.ChromiumMissing):
        render.figure_png(sl.slide_figure(sl.locality_slides(con, "12")[0]))


def test_cli_says_chromium_is_missing_in_one_sentence(seeded_db, tmp_path):
    out = tmp_path / "lc.pptx"
    done = run_cli("deck", "--locality", "12", "-o", str(out), db=seeded_db,
                   env={render.CHROMIUM_ENV: str(tmp_path / "nothing")})
    assert done.returncode == 4, done.stderr
    assert SENTENCE.match(done.stderr.strip()), done.stderr
    assert not out.exists()


@pytest.mark.parametrize("locality, message", [
    ("1", "Không có địa phương mã '1'"),
    ("04", "chưa có chỉ tiêu nào"),        # Cao Bằng: a real province, no plan in the catalogue
])
def test_cli_refuses_what_it_cannot_present(seeded_db, tmp_path, locality, message):
    done = run_cli("deck", "--locality", locality, "-o", str(tmp_path / "x.pptx"), db=seeded_db)
    assert done.returncode == 2 and message in done.stderr, done.stderr


@pytest.mark.parametrize("command", ["deck", "report"])
def test_cli_refuses_a_missing_output_folder_before_drawing(seeded_db, tmp_path, command):
    out = tmp_path / "no-such-folder" / "x.out"
    done = run_cli(command, "--locality", "12", "-o", str(out), db=seeded_db,
                   env={render.CHROMIUM_ENV: str(tmp_path / "nothing")})   # never reached
    assert done.returncode == 2 and "không tồn tại" in done.stderr and "Traceback" not in done.stderr


def test_kaleido_still_has_the_tab_hook_the_renderer_overrides():
    # render._kaleido_class skips kaleido's page reload after each image through this private
    # method (0.35 s an image); if an upgrade drops it, decks get slower: re-measure, re-check.
    import kaleido
    assert callable(getattr(kaleido.Kaleido, "_return_kaleido_tab", None))


# ------------------------------------------------------------------ the Lai Châu deck

def test_slide_count_and_shape(lai_chau):
    info, prs, _, slides = lai_chau
    n_tables = len(dk.table_pages([dk._table_cells(s) for s in slides]))
    assert len(prs.slides) == info.n_slides == 1 + len(slides) + n_tables
    assert info.chart_slides == list(range(2, 2 + len(slides)))
    assert info.table_slides == list(range(2 + len(slides), 2 + len(slides) + n_tables))
    assert (prs.slide_width, prs.slide_height) == (dk.SLIDE_W, dk.SLIDE_H)
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.01


def test_title_slide(lai_chau):
    _, prs, _, _ = lai_chau
    text = slide_text(prs.slides[0])
    for expected in ("Tỉnh Lai Châu", "Kế hoạch 243/KH-SYT ngày 27/11/2025", "Ngày xuất: 02/03/2026",
                     sl.ILLUSTRATIVE_NOTICE, "9 chỉ tiêu"):
        assert expected in text


def test_every_chart_slide_has_a_sharp_picture_and_its_texts(lai_chau):
    info, prs, _, slides = lai_chau
    for number, s in zip(info.chart_slides, slides):
        page = prs.slides[number - 1]
        pics = pictures(page)
        assert len(pics) == 1, f"slide {number}: {len(pics)} pictures"
        image = Image.open(io.BytesIO(pics[0].image.blob))
        assert image.format == "PNG" and image.width >= 2 * dk.CHART_PX[0] - 1, image.size
        # The picture is not stretched out of its aspect ratio.
        assert abs(pics[0].width / pics[0].height - image.width / image.height) < 0.02
        text = slide_text(page)
        for expected in (s["title"], s["status_label"], s["latest_text"], s["target_text"],
                         s["citation"], s["data_date"], dk.SHORT_NOTICE, f"{number}/{info.n_slides}"):
            assert expected in text, (number, expected)


def test_speaker_notes_carry_the_figures_in_decimal_comma(lai_chau):
    info, prs, _, slides = lai_chau
    by_code = {}
    for number, s in zip(info.chart_slides, slides):
        page = prs.slides[number - 1]
        assert page.has_notes_slide
        notes = page.notes_slide.notes_text_frame.text
        assert notes == s["notes"]
        by_code[s["row"]["indicator_code"]] = notes
        facts = notes.split("\nNguồn:")[0]     # the clause text ("Mục II.1.3") has dotted numbers
        assert not re.search(r"\d\.\d{1,2}(?!\d)", facts), facts
    doctors = by_code["doctors_per_10k"]
    for expected in ("Đầu vào 2025: 13,1 bác sĩ/10.000 dân (theo kế hoạch)",
                     "Mục tiêu 2030: ≥ 13,5 bác sĩ/10.000 dân", "Dự báo 2030: ", "Cần thay đổi mỗi năm: +"):
        assert expected in doctors
    assert "Mới nhất: 28,6‰ (2025)" in by_code["infant_mortality"]


def test_status_table_lists_every_target(lai_chau):
    info, prs, _, slides = lai_chau
    text = "\n".join(slide_text(prs.slides[n - 1]) for n in info.table_slides)
    for s in slides:
        assert s["row"]["indicator_name"] in text
        assert f"{s['status_mark']} {s['status_label']}" in text
    assert "Mục tiêu 2030" in text and dk.SHORT_NOTICE in text


def test_type_is_large_enough_for_a_projector(lai_chau):
    _, prs, _, _ = lai_chau
    sizes = []
    for page in prs.slides:
        for shape in page.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if shape.has_table:
                frames += [c.text_frame for r in shape.table.rows for c in r.cells]
            for tf in frames:
                sizes += [r.font.size for p in tf.paragraphs for r in p.runs if r.text.strip()]
    assert sizes and all(s is not None and s >= Pt(12) for s in sizes)
    assert max(sizes) >= Pt(28)


def test_offtrack_order_puts_what_needs_action_first(con, renderer):
    buffer = io.BytesIO()
    info = dk.build_deck(con, "12", buffer, order="offtrack", renderer=renderer)
    prs = Presentation(io.BytesIO(buffer.getvalue()))
    firsts = [prs.slides[n - 1] for n in info.chart_slides]
    labels = [next(lab for lab in ("Chệch hướng", "Cần tăng tốc", "Đúng tiến độ", "Đã đạt", "Chưa đủ số liệu")
                   if lab in slide_text(p)) for p in firsts]
    assert labels == sorted(labels, key=["Chệch hướng", "Cần tăng tốc", "Chưa đủ số liệu",
                                         "Đúng tiến độ", "Đã đạt"].index)
    assert labels[0] == "Chệch hướng"


def test_deck_opens_in_libreoffice(lai_chau, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        missing("LibreOffice (soffice) is not installed (apt-get install libreoffice-impress)",
                "the deck was checked with python-pptx only")
    info, _, data, _ = lai_chau
    src = tmp_path / "lc.pptx"
    src.write_bytes(data)
    done = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                          capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "lc.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))
    assert pages == info.n_slides


# ------------------------------------------------------------------ command line and benchmark

def test_cli_writes_the_deck(seeded_db, tmp_path, chromium):
    out = tmp_path / "lc.pptx"
    done = run_cli("deck", "--locality", "12", "-o", str(out), db=seeded_db)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Đã ghi" in done.stdout and "11 trang chiếu" in done.stdout
    prs = Presentation(str(out))
    assert len(prs.slides) == 11
    assert all(len(pictures(prs.slides[i])) == 1 for i in range(1, 10))


def test_bench_deck_reports_the_median(seeded_db, chromium):
    result = bench_deck(seeded_db, repeats=1)
    assert list(result) == ["deck_10_slides_s"]
    assert isinstance(result["deck_10_slides_s"], float) and result["deck_10_slides_s"] > 0


def test_bench_deck_without_chromium_leaves_the_key_out(seeded_db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(render.CHROMIUM_ENV, str(tmp_path / "nothing"))
    assert bench_deck(seeded_db, repeats=1) == {}
    assert "gói Debian `chromium`" in capsys.readouterr().err


def test_figure_png(con, chromium):
    png = render.figure_png(sl.slide_figure(sl.locality_slides(con, "12")[0]), width=600, height=300,
                            scale=2, chromium=chromium)
    assert Image.open(io.BytesIO(png)).size == (1200, 600)


def test_renderer_keeps_the_input_order(renderer, con):
    figs = [sl.slide_figure(s) for s in sl.locality_slides(con, "12")[:3]]
    one_by_one = [renderer.png(f, width=500, height=200, scale=1) for f in figs]
    assert renderer.pngs(figs, width=500, height=200, scale=1) == one_by_one
    assert len(set(one_by_one)) == 3
    assert renderer.pngs([], width=500, height=200) == []


@pytest.mark.parametrize("approved_only,said", [(False, "Số liệu: mọi số liệu đã báo cáo (kể cả chưa được duyệt)"),
                                                (True, "Số liệu: chỉ số liệu đã được duyệt")])
def test_the_title_slide_says_which_figures_it_shows(con, approved_only, said):
    name, lp = dk.exportable_progress(con, "12", 2030, "trình chiếu", approved_only)
    prs = Presentation()
    prs.slide_width, prs.slide_height = dk.SLIDE_W, dk.SLIDE_H
    title = dk._title_slide(prs, name, lp.rows, 2030, "02/03/2026", lp.has_illustrative, approved_only)
    assert said in slide_text(title)
