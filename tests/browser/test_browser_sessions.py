"""A sign-in that lasts, in a real browser against a real server: a deep link asks to sign in
and lands on the page with its query string; a reload and a new tab stay signed in (an HttpOnly
cookie set by the server); signing out in one tab signs the other out at its next interaction;
an admin ending the account's sessions signs it out everywhere."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from indicators.auth.admin import create_account, end_sessions, set_password
from indicators.store import gate
from tests.browser.support import WATCH_RUNS_JS, app_rerun, open_page, reload_page, serving, sign_in, wait_for_app

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-can-bo-tinh"


@pytest.fixture(scope="module")
def app_db(seeded_db_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("sessions-db") / "health.duckdb"
    shutil.copy(seeded_db_template, path)
    with gate.writing(path) as con:
        set_password(con, "quantri", "quantri", PASSWORD)
        create_account(con, "quantri", "canbo_lc", "Cán bộ Lai Châu", "officer", "12", PASSWORD)
    return path


def upload_link(page):
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name="Nhập số liệu")


def click_overview(page) -> None:
    """An interaction: the next script run checks the session."""
    with app_rerun(page, "opening Tổng quan"):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Tổng quan").click()


def test_a_sign_in_lasts_across_reloads_and_tabs_until_signed_out(browser, server):
    base, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(WATCH_RUNS_JS)
    try:
        first = context.new_page()
        # A shared link to a page that needs an account: the form is there, then the page itself.
        sign_in(first, base, "canbo_lc", PASSWORD, at="/nhap-so-lieu?tinh=12")
        assert first.url == f"{base}/nhap-so-lieu?tinh=12"
        expect(first.get_by_role("heading", name="Nhập số liệu", level=1)).to_be_visible()
        cookie = next(c for c in context.cookies() if c["name"] == "chitieu_phien")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

        reload_page(first)
        expect(first.get_by_role("heading", name="Nhập số liệu", level=1)).to_be_visible()

        second = context.new_page()
        open_page(second, f"{base}/dia-phuong?locality=12")
        expect(upload_link(second)).to_be_visible()
        expect(second.get_by_test_id("stSidebar").get_by_text("Cán bộ Lai Châu")).to_be_visible()

        first.evaluate("() => { window.__beforeSignOut = true; }")
        first.get_by_role("button", name="Đăng xuất").click()
        first.wait_for_function("() => !window.__beforeSignOut")
        wait_for_app(first, after=0, what="signing out")
        expect(first.get_by_text("Đã đăng xuất.")).to_be_visible()
        assert not [c for c in context.cookies() if c["name"] == "chitieu_phien"]

        click_overview(second)   # the other tab, at its next interaction, says why
        expect(upload_link(second)).to_have_count(0)
        expect(second.get_by_test_id("stSidebar").get_by_text("Đã đăng xuất.")).to_be_visible()
        expect(second.get_by_test_id("stSidebar").get_by_text("Cán bộ Lai Châu")).to_have_count(0)
    finally:
        context.close()


def test_an_admin_ending_the_sessions_signs_the_account_out_everywhere(browser, server, app_db):
    base, _ = server
    tabs, contexts = [], []
    try:
        for _ in range(2):   # two browsers (two devices), each signed in
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_init_script(WATCH_RUNS_JS)
            contexts.append(context)
            tab = context.new_page()
            sign_in(tab, base, "canbo_lc", PASSWORD)
            expect(upload_link(tab)).to_be_visible()
            tabs.append(tab)
        with gate.writing(app_db) as con:
            assert end_sessions(con, "quantri", "canbo_lc") == 2
        for tab in tabs:
            click_overview(tab)
            expect(upload_link(tab)).to_have_count(0)
            expect(tab.get_by_test_id("stSidebar").get_by_text("Quản trị viên đã kết thúc")).to_be_visible()
            reload_page(tab)   # the cookie no longer opens anything
            expect(upload_link(tab)).to_have_count(0)
    finally:
        for context in contexts:
            context.close()


def test_a_private_deployment_asks_to_sign_in_on_a_shared_dashboard_link(browser, app_db, tmp_path):
    """INDICATORS_PUBLIC_READ=0: a leader's link to a locality asks to sign in, then opens that
    locality, not the overview and not "Page not found"."""
    with serving({"INDICATORS_DB": str(app_db), "INDICATORS_PUBLIC_READ": "0"}, tmp_path / "private.log") as base:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(WATCH_RUNS_JS)
        try:
            page = context.new_page()
            open_page(page, f"{base}/dia-phuong?locality=12")
            expect(page.get_by_role("heading", name="Đăng nhập", level=1)).to_be_visible()
            expect(page.get_by_text("cần đăng nhập")).to_be_visible()
            sign_in(page, base, "canbo_lc", PASSWORD, at="/dia-phuong?locality=12")
            assert page.url.startswith(f"{base}/dia-phuong?locality=12")   # the page adds its own year
            expect(page.get_by_role("heading", name="Đăng nhập", level=1)).to_have_count(0)
            expect(page.get_by_role("heading", name="Địa phương", level=1)).to_be_visible()
            expect(page.get_by_test_id("stMain")).to_contain_text("Lai Châu")
        finally:
            context.close()
