"""AppTest of the presentation page ("Trình chiếu"): choosing slides, walking them, the URL state."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from indicators.present.slides import slides_for
from indicators.store import gate
from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "present.py")


def open_page(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def html_text(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def test_setup_counts_the_slides_and_starts(seeded_db):
    at = open_page()
    assert at.title[0].value == "Trình chiếu"
    assert any("**9 trang**" in m.value for m in at.markdown)  # Lai Châu has 9 targets
    assert any("Dữ liệu minh họa" in w.value for w in at.warning)
    start = next(b for b in at.button if b.label == "Bắt đầu trình chiếu")
    start.click().run()
    assert at.query_params["slide"] == "1" and at.query_params["locality"] == "12"


def test_slides_walk_forward_and_back(seeded_db):
    expected = [s["title"] for s in lai_chau_slides(seeded_db)]
    at = open_page(order="indicator", locality="12", year="2030", slide="1")
    assert expected[0] in html_text(at) and "Trang 1/9" in html_text(at)
    at.button(key="next").click().run()
    at.button(key="next").click().run()
    assert at.query_params["slide"] == "3"
    assert expected[2] in html_text(at) and "Trang 3/9" in html_text(at)
    at.button(key="prev").click().run()
    assert at.query_params["slide"] == "2" and expected[1] in html_text(at)
    assert at.button(key="prev").disabled is False
    at.button(key="exit").click().run()
    assert "slide" not in at.query_params and at.title[0].value == "Trình chiếu"


def test_slide_shows_status_target_citation_and_notice(seeded_db):
    at = open_page(order="indicator", locality="12", slide="5")
    body = html_text(at)
    slide = lai_chau_slides(seeded_db)[4]
    assert slide["status_label"] in body and slide["target_text"] in body
    assert "Nguồn: Kế hoạch 243/KH-SYT" in body
    assert "Dữ liệu minh họa" in body
    assert len(at.get("plotly_chart")) == 1


def test_slide_number_out_of_range_shows_the_last(seeded_db):
    at = open_page(order="indicator", locality="12", slide="99")
    assert "Trang 9/9" in html_text(at)
    assert at.button(key="next").disabled


def test_one_indicator_across_localities(seeded_db):
    at = open_page(order="locality", indicator="bhyt_coverage", slide="1")
    body = html_text(at)
    # BHYT has targets in Lai Châu, Hà Nội (two plans) and Hưng Đạo.
    assert "Trang 1/4" in body


def lai_chau_slides(db):
    with gate.reading(db) as con:
        return slides_for(con, "indicator", locality_code="12")
