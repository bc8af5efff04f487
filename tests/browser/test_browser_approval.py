"""Approval in a real browser against a real server (issue 12): the officer of Xã Hưng Đạo (09931)
has uploaded values for Quý I/2026 and submits the quarter on "Nhập số liệu"; a province approver
(an officer of Hà Nội, 01, granted 'approve') approves it on "Duyệt số liệu"; the commune officer's
upload page then shows it approved, and the overview's completeness for Hà Nội shows it."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from indicators.auth import approval
from indicators.auth.admin import create_account, set_password
from indicators.store import gate
from tests.browser.support import WATCH_RUNS_JS, app_rerun, open_page, sign_in
from tests.store.test_backends import upload

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-duyet-so-lieu"


@pytest.fixture(scope="module")
def app_db(seeded_db_template, tmp_path_factory):
    """The seeded database, a commune officer who uploaded Quý I/2026, and a province approver."""
    path = tmp_path_factory.mktemp("approval-db") / "health.duckdb"
    shutil.copy(seeded_db_template, path)
    with gate.writing(path) as con:
        set_password(con, "quantri", "quantri", PASSWORD)
        create_account(con, "quantri", "canbo_hd", "Cán bộ Hưng Đạo", "officer", "09931", PASSWORD)
        create_account(con, "quantri", "duyet_hn", "Người duyệt Hà Nội", "officer", "01", PASSWORD)
        approval.grant(con, "quantri", "duyet_hn")
    _, done = upload(path, [["09931", "bhyt_coverage", "2026-Q1", 92.5]], user="canbo_hd")
    assert done is not None and done.n_new == 1
    return path


def new_tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    context.add_init_script(WATCH_RUNS_JS)
    return context, context.new_page()


def rows(page, text: str):
    """The table rows on the page holding `text`. Streamlit's grid draws on a canvas and keeps a
    hidden table of the same cells for assistive technology (no ARIA role Playwright sees), drawn
    once the grid has been in view: every table of the page is scrolled into view first."""
    tables = page.get_by_test_id("stDataFrame")
    expect(tables.first).to_be_visible()
    for i in range(tables.count()):
        tables.nth(i).scroll_into_view_if_needed()
    return page.locator("tr").filter(has_text=text)


def test_a_province_approver_approves_a_communes_quarter(browser, server, app_db):
    base, _ = server
    officer_context, officer = new_tab(browser)
    approver_context, approver = new_tab(browser)
    try:
        # The commune officer submits Quý I/2026 (the only open period with values it picks first).
        sign_in(officer, base, "canbo_hd", PASSWORD, at="/nhap-so-lieu")
        expect(officer.get_by_role("heading", name="3. Trạng thái duyệt các kỳ báo cáo")).to_be_visible()
        expect(officer.get_by_role("combobox", name="Kỳ báo cáo")).to_have_value("Quý I/2026")
        with app_rerun(officer, "submitting Quý I/2026"):
            officer.get_by_role("button", name="Nộp kỳ báo cáo để duyệt").click()
        expect(officer.get_by_text("Đã nộp kỳ Quý I/2026 của Xã Hưng Đạo")).to_be_visible()
        with gate.reading(app_db) as con:
            assert approval.state_of(con, "09931", "2026-Q1").state == "submitted"

        # The province approver finds it on its page and approves it.
        sign_in(approver, base, "duyet_hn", PASSWORD)
        with app_rerun(approver, "opening Duyệt số liệu"):
            approver.get_by_test_id("stSidebarNav").get_by_role("link", name="Duyệt số liệu").click()
        expect(approver.get_by_role("heading", name="Duyệt số liệu", level=1)).to_be_visible()
        expect(approver.get_by_role("combobox", name="Kỳ báo cáo")).to_have_value(
            "Xã Hưng Đạo (09931) – Quý I/2026 – đã nộp")
        with app_rerun(approver, "approving"):
            approver.get_by_role("button", name="Duyệt", exact=True).click()
        expect(approver.get_by_text("Đã duyệt kỳ Quý I/2026 của Xã Hưng Đạo")).to_be_visible()
        expect(approver.get_by_text("Không có kỳ báo cáo nào đang chờ duyệt.")).to_be_visible()
        with gate.reading(app_db) as con:
            now = approval.state_of(con, "09931", "2026-Q1")
        assert (now.state, now.changed_by) == ("approved", "duyet_hn")

        # The commune officer's upload page shows it approved, by whom.
        open_page(officer, f"{base}/nhap-so-lieu")
        quarter = rows(officer, "Quý I/2026").first
        expect(quarter).to_contain_text("đã duyệt")
        expect(quarter).to_contain_text("Người duyệt Hà Nội (duyet_hn)")

        # The overview's completeness for Hà Nội shows it approved.
        open_page(officer, f"{base}/?scope=province&province=01")
        bhyt = rows(officer, "Tỷ lệ dân số tham gia bảo hiểm y tế").first
        expect(bhyt).to_contain_text("Quý I/2026")
        expect(bhyt).to_contain_text("1 / 1")
        expect(officer.get_by_text("1 đã duyệt · 0 đã nộp · 1 chưa nộp", exact=False)).to_be_visible()
        expect(rows(officer, "09931").last).to_contain_text("đã duyệt – Người duyệt Hà Nội (duyet_hn)")
    finally:
        officer_context.close()
        approver_context.close()
