"""End-to-end: a leader opens a shared link and sees the same scope and indicator."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import SCRIPT_DONE

pytestmark = pytest.mark.browser


def done(page) -> None:
    page.wait_for_selector(SCRIPT_DONE)
    assert page.get_by_test_id("stException").count() == 0


def test_shared_overview_link_opens_the_same_scope(page, server):
    base, _ = server
    # The overview is the app's home page: its links are "/?…".
    page.goto(f"{base}/?scope=communes&province=01&year=2035")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Tổng quan", level=1)).to_be_visible()
    expect(main.get_by_text("Bảng điểm – 1 địa phương")).to_be_visible()
    expect(main.get_by_text("tiến độ đến năm 2035")).to_be_visible()
    expect(main.get_by_role("combobox", name="Tỉnh / thành phố")).to_have_value("Thành phố Hà Nội (01)")
    expect(page.get_by_role("dialog", name="Page not found")).to_have_count(0)
    done(page)
    assert "scope=communes" in page.url and "province=01" in page.url


def test_shared_indicator_link_opens_the_same_indicator(page, server):
    base, _ = server
    page.goto(f"{base}/chi-tieu?indicator=infant_mortality&scope=province&province=12")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("combobox", name="Chỉ tiêu")).to_have_value("Tỷ suất tử vong trẻ em dưới 1 tuổi")
    expect(main.get_by_role("combobox", name="Tỉnh / thành phố")).to_have_value("Tỉnh Lai Châu (12)")
    expect(main.get_by_text("1 địa phương có chỉ tiêu")).to_be_visible()
    done(page)
