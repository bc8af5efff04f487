"""Two app processes on one PostgreSQL, each in its own browser: an officer commits an upload
through the first; a leader's page served by the second shows the value on its next run."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from indicators.auth.admin import create_account
from indicators.setup import init_db
from indicators.store import gate
from tests.browser.support import TIMEOUT_MS, WATCH_RUNS_JS, app_rerun, open_page, reload_page, serving
from tests.browser.test_browser_upload import PASSWORD, sign_in
from tests.store.test_import import workbook

pytestmark = pytest.mark.browser
BHYT = "Tỷ lệ dân số tham gia bảo hiểm y tế"


def new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_RUNS_JS)
    return context.new_page()


def bhyt_card(page):
    return page.get_by_test_id("stVerticalBlock").filter(
        has=page.locator("strong").get_by_text(BHYT, exact=True)).last


def test_a_commit_through_one_app_process_shows_in_the_other(browser, pg_url, tmp_path):
    init_db(pg_url)
    with gate.writing(pg_url) as con:
        create_account(con, "quantri", "canbo_hd", "Cán bộ Hưng Đạo", "officer", "09931", PASSWORD)
    env = {"INDICATORS_DATABASE_URL": pg_url}
    with serving(env, tmp_path / "a.log") as first, serving(env, tmp_path / "b.log") as second:
        leader, officer = new_page(browser), new_page(browser)
        open_page(leader, f"{second}/dia-phuong?locality=09931")
        expect(bhyt_card(leader)).to_be_visible()
        expect(bhyt_card(leader)).not_to_contain_text("96,5%")

        sign_in(officer, first)
        with app_rerun(officer, "opening Nhập số liệu"):
            officer.get_by_test_id("stSidebarNav").get_by_text("Nhập số liệu").click()
        filled = tmp_path / "hung_dao.xlsx"
        filled.write_bytes(workbook([["09931", "bhyt_coverage", "2026", "96,5"]]))
        with app_rerun(officer, "uploading"):
            officer.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(filled))
        with app_rerun(officer, "clicking Nhập dữ liệu"):
            officer.get_by_role("button", name="Nhập dữ liệu").click()
        expect(officer.get_by_test_id("stAlertContentSuccess")).to_be_visible()
        committed = time.monotonic()

        reload_page(leader)   # the next run of the leader's page, on the other process
        expect(bhyt_card(leader)).to_contain_text("Mới nhất: 96,5% (2026)")
        print(f"commit through one process -> shown by the other: {time.monotonic() - committed:.2f} s "
              "(a whole page run included)")
