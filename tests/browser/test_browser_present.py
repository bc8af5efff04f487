"""End-to-end: presenting slides in a real browser — forward, back, reload keeps the place."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from indicators.present.slides import slides_for
from indicators.store.connection import connect
from tests.browser.support import app_rerun, open_page, reload_page

pytestmark = pytest.mark.browser


def test_walk_three_forward_one_back_and_reload(page, server, seeded_db_template):
    titles = [s["title"] for s in slides_for(connect(seeded_db_template, read_only=True), "indicator", locality_code="12")]
    base, _ = server
    open_page(page, f"{base}/trinh-chieu?order=indicator&locality=12&year=2030&slide=1")
    title = page.locator(".slide-title")
    forward = page.get_by_role("button", name=re.compile("Tiếp"))
    back = page.get_by_role("button", name=re.compile("Trước"))
    expect(title).to_have_text(titles[0])
    # No app chrome while presenting.
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    for n in (2, 3, 4):
        # Each click waits for the previous slide's run to finish: a click on a slide still being
        # drawn would reach the server before that run had registered its buttons' callbacks.
        with app_rerun(page, f"Tiếp to slide {n}"):
            forward.click()
        expect(title).to_have_text(titles[n - 1])
        expect(page.get_by_text(f"Trang {n}/{len(titles)}")).to_be_visible()
    with app_rerun(page, "Trước to slide 3"):
        back.click()
    expect(title).to_have_text(titles[2])
    expect(page).to_have_url(re.compile(r"slide=3"))
    reload_page(page)
    expect(title).to_have_text(titles[2])
    expect(page.get_by_text(f"Trang 3/{len(titles)}")).to_be_visible()
    # The keyboard works too: → goes forward. The key is the Tiếp button's shortcut, so it is
    # pressed once that button is on the page (reload_page has waited for the run that drew it).
    expect(forward).to_be_enabled()
    with app_rerun(page, "pressing →"):
        page.keyboard.press("ArrowRight")
    expect(title).to_have_text(titles[3])
    expect(page.get_by_text(f"Trang 4/{len(titles)}")).to_be_visible()
