"""End-to-end: a leader opens a shared link and sees the same scope and indicator."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import open_page

pytestmark = pytest.mark.browser


def test_shared_overview_link_opens_the_same_scope(page, server):
    base, _ = server
    # The overview is the app's home page: its links are "/?…".
    open_page(page, f"{base}/?scope=communes&province=01&year=2035")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Tổng quan", level=1)).to_be_visible()
    expect(main.get_by_text("Bảng điểm – 1 địa phương")).to_be_visible()
    expect(main.get_by_text("tiến độ đến năm 2035")).to_be_visible()
    expect(main.get_by_role("combobox", name="Tỉnh / thành phố")).to_have_value("Thành phố Hà Nội (01)")
    # Checked once the script run has finished (open_page): a dialog would have come with it.
    expect(page.get_by_role("dialog", name="Page not found")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"[?&]scope=communes(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]province=01(&|$)"))


def test_shared_indicator_link_opens_the_same_indicator(page, server):
    base, _ = server
    open_page(page, f"{base}/chi-tieu?indicator=infant_mortality&scope=province&province=12")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("combobox", name="Chỉ tiêu")).to_have_value("Tỷ suất tử vong trẻ em dưới 1 tuổi")
    expect(main.get_by_role("combobox", name="Tỉnh / thành phố")).to_have_value("Tỉnh Lai Châu (12)")
    expect(main.get_by_text("1 địa phương có chỉ tiêu")).to_be_visible()
