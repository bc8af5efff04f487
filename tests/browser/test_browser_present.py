"""End-to-end: presenting slides in a real browser — forward, back, reload keeps the place."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from indicators.present.slides import slides_for
from indicators.store.connection import connect
from tests.browser.support import SCRIPT_DONE

pytestmark = pytest.mark.browser


def wait_done(page) -> None:
    page.wait_for_selector(SCRIPT_DONE)
    assert page.get_by_test_id("stException").count() == 0


def test_walk_three_forward_one_back_and_reload(page, server, seeded_db_template):
    titles = [s["title"] for s in slides_for(connect(seeded_db_template, read_only=True), "indicator", locality_code="12")]
    base, _ = server
    page.goto(f"{base}/trinh-chieu?order=indicator&locality=12&year=2030&slide=1")
    title = page.locator(".slide-title")
    expect(title).to_have_text(titles[0])
    # No app chrome while presenting.
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    for n in (2, 3, 4):
        page.get_by_role("button", name=re.compile("Tiếp")).click()
        expect(title).to_have_text(titles[n - 1])
        expect(page.get_by_text(f"Trang {n}/{len(titles)}")).to_be_visible()
    page.get_by_role("button", name=re.compile("Trước")).click()
    expect(title).to_have_text(titles[2])
    expect(page).to_have_url(re.compile(r"slide=3"))
    wait_done(page)
    page.reload()
    expect(title).to_have_text(titles[2])
    expect(page.get_by_text(f"Trang 3/{len(titles)}")).to_be_visible()
    # The keyboard works too: → goes forward.
    page.keyboard.press("ArrowRight")
    expect(title).to_have_text(titles[3])
    wait_done(page)
