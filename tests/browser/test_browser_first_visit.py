"""End-to-end, on a server just started: the first visitor comes through a shared link.

Its own module, so its server has served no one before this test (servers are per module)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import open_page

pytestmark = pytest.mark.browser


def test_a_shared_link_as_the_first_visit_after_a_start_opens_without_a_dialog(page, server):
    base, _ = server
    # open_page returns once that first script run has finished: the dialog, when it came, came
    # with it (Streamlit sends "page not found" during the run), so its absence now is an answer.
    open_page(page, f"{base}/chi-tieu?indicator=bhyt_coverage")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Chỉ tiêu", level=1)).to_be_visible()
    expect(main.get_by_role("combobox", name="Chỉ tiêu")).to_have_value("Tỷ lệ dân số tham gia bảo hiểm y tế")
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert page.get_by_test_id("stException").count() == 0
