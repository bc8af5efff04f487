"""Plan tasks in a real browser (issue 15): an officer of the Sở Y tế reports task 1.1 of
71/KH-UBND done with its decision's number; the board's counts and its overdue list change, and
the quarterly workbook and PDF downloaded from the board show the report."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from indicators.auth.admin import create_account, set_password
from indicators.store import gate
from indicators.tasks import reports
from tests.browser.support import TIMEOUT_MS, app_rerun, open_page, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-so-y-te"
DOCUMENT = "Quyết định số 555/QĐ-UBND ngày 20/03/2026"
BOARD = "/nhiem-vu?plan=HN-71-2026"


@pytest.fixture(scope="module")
def app_db(seeded_db_template, tmp_path_factory):
    """The seeded database and an officer of Hà Nội who reports for the Sở Y tế."""
    path = tmp_path_factory.mktemp("tasks-db") / "health.duckdb"
    shutil.copy(seeded_db_template, path)
    with gate.writing(path) as con:
        set_password(con, "quantri", "quantri", PASSWORD)
        create_account(con, "quantri", "canbo_syt", "Cán bộ Sở Y tế", "officer", "01", PASSWORD)
        reports.grant_agency(con, "quantri", "canbo_syt", "so_y_te")
    return path


def metric(page, label: str) -> int:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    expect(box).to_be_visible()
    return int(box.get_by_test_id("stMetricValue").inner_text().replace(".", ""))


def overdue_heading(page):
    return page.get_by_role("heading", name=re.compile(r"^Nhiệm vụ quá hạn: \d+"))


def test_an_officer_reports_a_task_done_and_the_board_and_quarterly_report_show_it(page, server, tmp_path):
    base, _ = server
    open_page(page, base + BOARD)
    overdue_before = metric(page, "Quá hạn")
    late_before = metric(page, "Hoàn thành quá hạn")
    assert overdue_before >= 31     # every task due by 30/09/2026 at least, none reported
    expect(overdue_heading(page)).to_have_text(f"Nhiệm vụ quá hạn: {overdue_before}")

    # The officer opens task 1.1 (due Quý I/2026) and reports it done with the decision issued.
    sign_in(page, base, "canbo_syt", PASSWORD)
    open_page(page, base + "/nhiem-vu-chi-tiet?plan=HN-71-2026&task=1.1")
    expect(page.get_by_text("Tập trung đầu tư nâng cấp cơ sở hạ tầng").first).to_be_visible()
    state = page.get_by_role("combobox", name="Tình trạng", exact=True)
    state.click()
    state.fill("Hoàn thành")
    page.get_by_role("option", name=re.compile(r"Hoàn thành$")).first.click()   # inside a form: no rerun yet
    expect(state).to_have_value(re.compile(r"Hoàn thành$"))
    page.get_by_label("Kết quả (ngắn gọn)").fill("Đã ban hành kế hoạch nâng cấp 12 bệnh viện")
    page.get_by_label("Văn bản/sản phẩm đã ban hành (số, ngày)").fill(DOCUMENT)
    with app_rerun(page, "sending the report"):   # ends in st.rerun()
        page.get_by_role("button", name="Gửi báo cáo").click()
    expect(page.get_by_text("Đã ghi báo cáo nhiệm vụ 1.1").first).to_be_visible()
    expect(page.get_by_text(DOCUMENT).first).to_be_visible()           # in the task's history

    # The board: one task fewer overdue, one more done late (reported done after its deadline).
    open_page(page, base + BOARD)
    assert metric(page, "Quá hạn") == overdue_before - 1
    assert metric(page, "Hoàn thành quá hạn") == late_before + 1
    expect(overdue_heading(page)).to_have_text(f"Nhiệm vụ quá hạn: {overdue_before - 1}")

    # The quarterly report of this quarter, as a workbook and as a PDF, downloaded from the board.
    quarter_box = page.get_by_role("combobox", name="Quý", exact=True)
    quarter_box.scroll_into_view_if_needed()
    today = date.today()
    expect(quarter_box).to_have_value(f"Quý {['I', 'II', 'III', 'IV'][(today.month - 1) // 3]}/{today.year}")
    files = {}
    for label, suffix in (("Tải Excel", "xlsx"), ("Tải PDF", "pdf")):
        button = page.get_by_test_id("stDownloadButton").filter(has_text=label).last
        with page.expect_download(timeout=TIMEOUT_MS) as download:
            button.click()
        files[suffix] = tmp_path / f"quy.{suffix}"
        download.value.save_as(files[suffix])
    sheet = load_workbook(files["xlsx"])["Từng nhiệm vụ"]
    row = next(r for r in sheet.iter_rows(values_only=True) if r and "1.1" in [str(c) for c in r])
    cells = [str(c) for c in row if c is not None]
    assert DOCUMENT in cells and any("Hoàn thành quá hạn" in c for c in cells), row
    text = subprocess.run(["pdftotext", "-layout", str(files["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "555/QĐ-UBND" in text and "Cán bộ Sở Y tế" in text
