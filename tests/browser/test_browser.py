"""End-to-end: the locality page served for real, driven by Debian's Chromium through Playwright.

Fixtures (server, browser, page) come from tests/browser/support.py via conftest.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect  # pinned in requirements-dev.txt

from tests.browser.support import open_page

pytestmark = pytest.mark.browser

STATUS_LABELS = ["Đã đạt", "Đúng tiến độ", "Cần tăng tốc", "Chệch hướng", "Chưa đủ số liệu"]

# Streamlit 1.67 has no stVerticalBlockBorderWrapper: st.container(border=True) is a plain
# [data-testid=stVerticalBlock] whose border comes from an emotion class, so "bordered" can only
# be told from the computed style. Returns, for every bordered block, its text and chart state.
BORDERED_BLOCKS_JS = """() =>
  [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stVerticalBlock']")]
    .filter(e => { const s = getComputedStyle(e);
                   return s.borderTopStyle === 'solid' && parseFloat(s.borderTopWidth) > 0; })
    .map(e => ({ text: e.innerText,
                 charts: e.querySelectorAll("[data-testid='stPlotlyChart']").length,
                 drawn: e.querySelectorAll(".js-plotly-plot .main-svg .cartesianlayer .trace").length }))
"""


def open_app(page, server, query: str, subheader: str):
    """Load the page, wait for its script run to finish (failing on any exception), return the subheader."""
    base, _ = server
    open_page(page, f"{base}/{query}")
    heading = page.get_by_test_id("stMain").get_by_role("heading", name=subheader, level=3)
    expect(page.get_by_role("heading", name="Địa phương", level=1)).to_be_visible()
    expect(heading).to_be_visible()
    return heading


def card(page, title: str):
    """The innermost st.container holding the bold indicator name (ancestors come first in DOM order)."""
    name = page.locator("[data-testid='stMarkdownContainer'] strong").get_by_text(title, exact=True)
    return page.get_by_test_id("stVerticalBlock").filter(has=name).last


def test_locality_page_shows_cards_for_lai_chau(page, server):
    heading = open_app(page, server, "dia-phuong?locality=12&year=2030", "Tỉnh Lai Châu (12)")
    expect(heading).to_have_text("Tỉnh Lai Châu (12)")
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text("Dữ liệu minh họa")
    expect(page.get_by_test_id("stMetricLabel")).to_have_text(STATUS_LABELS)

    names = ["Số bác sĩ trên 10.000 dân", "Tỷ lệ xã đạt Tiêu chí quốc gia về y tế",
             "Tỷ lệ dân số tham gia bảo hiểm y tế", "Tuổi thọ trung bình",
             "Tỷ suất tử vong trẻ em dưới 1 tuổi"]
    for n in names:
        c = card(page, n)
        expect(c).to_be_visible()
        expect(c).to_have_css("border-top-style", "solid")  # it is a bordered card, not the page
        expect(c.get_by_test_id("stPlotlyChart")).to_have_count(1)
        expect(c.get_by_test_id("stPopoverButton")).to_contain_text("Nguồn: 243/KH-SYT")

    # Every plotly chart has actually drawn a trace in its SVG, not just been mounted. The charts
    # are counted as Streamlit mounted them (the run has finished, so they are all there): plotly
    # adds .js-plotly-plot only once it starts drawing, so counting those could miss late ones.
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts.nth(8)).to_be_attached()
    drawn = charts.filter(has=page.locator(".js-plotly-plot .main-svg .cartesianlayer .trace"))
    expect(drawn).to_have_count(charts.count())

    blocks = page.evaluate(BORDERED_BLOCKS_JS)
    cards = [b for b in blocks if b["charts"]]
    assert len(cards) >= 9, f"expected ≥ 9 bordered cards with a chart, got {len(cards)}: {blocks}"
    assert all(b["charts"] == 1 and b["drawn"] >= 1 for b in cards), cards
    for n in names:
        assert any(b["text"].startswith(n) for b in cards), f"no bordered card titled {n!r}"

    doctors = card(page, "Số bác sĩ trên 10.000 dân")
    expect(doctors).to_contain_text("Mục tiêu 2030: ≥ 13,5 bác sĩ/10.000 dân")
    expect(doctors.locator(".stMarkdownBadge").filter(visible=True)).to_have_text("▲ Đúng tiến độ")

    # The source popover of that card names the plan and the clause of the target.
    # (Not simply the first popover on the page: which card comes first depends on the sort order,
    # and e.g. the infant-mortality card's clause is Mục II.2.2.)
    doctors.get_by_test_id("stPopoverButton").click()
    body = page.get_by_test_id("stPopoverBody")
    expect(body).to_be_visible()
    expect(body.get_by_text("Kế hoạch 243/KH-SYT", exact=True)).to_be_visible()  # the bold plan line
    clause = body.get_by_test_id("stMarkdownContainer").filter(has_text="Điều khoản:")
    expect(clause).to_be_visible()
    expect(clause).to_contain_text("Mục II.1.3")
    assert page.get_by_test_id("stException").count() == 0


def test_commune_page_via_url(page, server):
    open_app(page, server, "dia-phuong?locality=09931", "Xã Hưng Đạo (09931)")
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text("Dữ liệu minh họa")
    station = card(page, "Trạm Y tế xã đạt chuẩn quốc gia")
    expect(station).to_be_visible()
    expect(station).to_have_css("border-top-style", "solid")
    expect(station.locator(".stMarkdownBadge").filter(visible=True)).to_contain_text("Đã đạt")
