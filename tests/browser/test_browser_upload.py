"""End-to-end, in a real browser: an officer signs in, sees upload but not administration,
downloads the template, fills it, uploads it, sees the preview, commits, and the locality page
shows the new value."""
from __future__ import annotations

import re
import shutil

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from indicators.auth.admin import create_account, set_password
from indicators.store.connection import connect
from indicators.text.fold import fold
from tests.browser import support
from tests.browser.support import TIMEOUT_MS, app_rerun, open_page

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-can-bo-xa"


@pytest.fixture(scope="module")
def app_db(seeded_db_template, tmp_path_factory):
    """This module's database: the seeded one plus an officer of Xã Hưng Đạo (09931)."""
    path = tmp_path_factory.mktemp("upload-db") / "health.duckdb"
    shutil.copy(seeded_db_template, path)
    con = connect(path)
    set_password(con, "quantri", "quantri", PASSWORD)
    create_account(con, "quantri", "canbo_hd", "Cán bộ Hưng Đạo", "officer", "09931", PASSWORD)
    con.close()
    return path


def sign_in(page, base: str) -> None:
    support.sign_in(page, base, "canbo_hd", PASSWORD)
    expect(page.get_by_test_id("stSidebar").get_by_text("Cán bộ Hưng Đạo")).to_be_visible()


def test_officer_sees_upload_but_not_administration(page, server):
    base, _ = server
    sign_in(page, base)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Nhập số liệu")).to_be_visible()
    expect(nav.get_by_role("link", name="Tổng quan")).to_be_visible()
    for admin_page in ("Tài khoản", "Kế hoạch và chỉ tiêu", "Nhật ký"):
        expect(nav.get_by_role("link", name=admin_page)).to_have_count(0)
    expect(nav.get_by_text("Quản trị", exact=True)).to_have_count(0)
    # Typing an administration page's address does not open it either.
    open_page(page, f"{base}/tai-khoan")
    expect(page.get_by_role("heading", name="Tài khoản", level=1)).to_have_count(0)


def test_template_fill_upload_commit_and_see_it(page, server, tmp_path):
    base, _ = server
    sign_in(page, base)
    with app_rerun(page, "opening Nhập số liệu"):
        page.get_by_test_id("stSidebarNav").get_by_text("Nhập số liệu").click()
    expect(page.get_by_role("heading", name="Nhập số liệu", level=1)).to_be_visible()

    # The template is made on the server when the button is clicked (no rerun): on a busy machine
    # that takes a while, hence the explicit timeout.
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name=re.compile("Tải tệp mẫu")).click()
    template = tmp_path / "mau.xlsx"
    download.value.save_as(template)

    # Fill BHYT coverage for 2026 as an officer would, with a decimal comma typed as text.
    wb = load_workbook(template)
    ws = wb["Số liệu"]
    header_row, cols = next((r[0].row, {fold(str(c.value)): c.column for c in r if c.value})
                            for r in ws.iter_rows() if any(fold(str(c.value or "")) == "ma chi tieu" for c in r))
    target = next(r for r in range(header_row + 1, ws.max_row + 1)
                  if ws.cell(r, cols["ma chi tieu"]).value == "bhyt_coverage"
                  and str(ws.cell(r, cols["ky bao cao"]).value) == "2026"
                  and ws.cell(r, cols["ma dia phuong"]).value == "09931")
    ws.cell(target, cols["gia tri"]).value = "96,5"
    filled = tmp_path / "bao_cao_hung_dao.xlsx"
    wb.save(filled)

    # The upload (over HTTP), then the rerun that reads the file in the worker and shows the preview.
    with app_rerun(page, "uploading the filled workbook"):
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(filled))
    preview = page.get_by_test_id("stMetric").filter(has_text="Mới")
    expect(preview.first).to_contain_text("1")
    expect(preview.first.get_by_test_id("stMetricValue")).to_have_text("1")
    with app_rerun(page, "clicking Nhập dữ liệu"):   # the commit ends in st.rerun(), as signing in
        page.get_by_role("button", name="Nhập dữ liệu").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()

    open_page(page, f"{base}/dia-phuong?locality=09931")
    card = page.get_by_test_id("stVerticalBlock").filter(
        has=page.locator("strong").get_by_text("Tỷ lệ dân số tham gia bảo hiểm y tế", exact=True)).last
    expect(card).to_contain_text("Mới nhất: 96,5% (2026)")
