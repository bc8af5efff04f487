"""An officer's own report sheet in a real browser (issue 14): an officer of Lai Châu uploads a
wide sheet (indicators as rows, years as columns), corrects the one row the system guessed,
confirms the reading, commits, and the locality page shows the values; the next upload of the
same shape needs no correction."""
from __future__ import annotations

import shutil

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from indicators.auth.admin import create_account, set_password
from indicators.store.connection import connect
from tests.browser import support
from tests.browser.support import app_rerun, open_page

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-can-bo-tinh"
GUESSED = "Tỷ lệ người dân tham gia bảo hiểm"   # read as BHYT coverage, a guess: it is primary care
PICKER = f"Dòng 4: “{GUESSED}”"
BHYT = "Tỷ lệ dân số tham gia bảo hiểm y tế (bhyt_coverage)"
PRIMARY_CARE = ("Tỷ lệ người dân sử dụng dịch vụ chăm sóc ban đầu tại y tế cơ sở "
                "được BHYT chi trả (primary_care_bhyt)")
CHECK_ROWS = "Hãy kiểm tra các dòng dưới đây"


@pytest.fixture(scope="module")
def app_db(seeded_db_template, tmp_path_factory):
    """This module's database: the seeded one plus an officer of Tỉnh Lai Châu (12)."""
    path = tmp_path_factory.mktemp("report-sheet-db") / "health.duckdb"
    shutil.copy(seeded_db_template, path)
    con = connect(path)
    set_password(con, "quantri", "quantri", PASSWORD)
    create_account(con, "quantri", "canbo_lc", "Cán bộ Lai Châu", "officer", "12", PASSWORD)
    con.close()
    return path


def sign_in(page, base: str) -> None:
    support.sign_in(page, base, "canbo_lc", PASSWORD, at="/nhap-so-lieu")
    expect(page.get_by_test_id("stSidebar").get_by_text("Cán bộ Lai Châu")).to_be_visible()
    expect(page.get_by_role("heading", name="Nhập số liệu", level=1)).to_be_visible()


def wide_sheet(path, bhyt: float, primary_care: float):
    """The province's own yearly report: a title naming it, actuals of 2025 and the 2026 plan."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    for row in (["SỞ Y TẾ TỈNH LAI CHÂU"],
                ["STT", "Chỉ tiêu", "Đơn vị tính", "Năm 2025", "Kế hoạch 2026"],
                [1, "Tỷ lệ dân số tham gia BHYT", "%", bhyt, 96],
                [2, GUESSED, "%", primary_care, 45]):
        ws.append(row)
    wb.save(path)
    return path


def rows(page, text: str):
    """The table rows on the page holding `text` (as in test_browser_approval.py: the grid keeps a
    hidden table of its cells, drawn once the grid has been in view)."""
    tables = page.get_by_test_id("stDataFrame")
    expect(tables.first).to_be_visible()
    for i in range(tables.count()):
        tables.nth(i).scroll_into_view_if_needed()
    return page.locator("tr").filter(has_text=text)


def pick(page, label: str, option: str, typed: str) -> None:
    """Choose `option` in the selectbox labelled `label`: open it, type to filter, click the option
    (the click reruns the script)."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(typed)
    with app_rerun(page, f"picking {option} in {label}"):
        page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def upload(page, path) -> None:
    with app_rerun(page, f"uploading {path.name}"):
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    expect(page.get_by_text("Cách hệ thống đọc trang “Báo cáo”")).to_be_visible()


def commit(page, expected: str) -> None:
    button = page.get_by_role("button", name="Nhập dữ liệu")
    expect(button).to_be_enabled()
    # No warning is left to tick off.
    expect(page.get_by_text("Tôi đã kiểm tra và xác nhận các cảnh báo")).to_have_count(0)
    with app_rerun(page, "clicking Nhập dữ liệu"):   # the commit ends in st.rerun()
        button.click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(expected)


def latest_bhyt(page, base: str):
    open_page(page, f"{base}/dia-phuong?locality=12")
    return page.get_by_test_id("stVerticalBlock").filter(
        has=page.locator("strong").get_by_text("Tỷ lệ dân số tham gia bảo hiểm y tế", exact=True)).last


def history(page, base: str, indicator: str, file_name: str):
    """The row of the upload page's history of Lai Châu's values of `indicator` (section 4) that
    came from the file `file_name`, cell by cell."""
    open_page(page, f"{base}/nhap-so-lieu")
    expect(page.get_by_role("heading", name="4. Lịch sử số liệu")).to_be_visible()
    pick(page, "Chỉ tiêu", indicator, indicator.rsplit("(", 1)[-1].rstrip(")"))
    return rows(page, file_name).locator("td")


def test_a_corrected_reading_is_committed_shown_and_remembered(page, server, tmp_path):
    base, _ = server
    sign_in(page, base)

    # The sheet is read with its title's province; the second row's name is only a guess.
    first = wide_sheet(tmp_path / "bao_cao_nam_2025.xlsx", 95.7, 41.3)
    upload(page, first)
    expect(page.get_by_text("Số liệu của: Tỉnh Lai Châu (12)")).to_be_visible()
    expect(page.get_by_text(CHECK_ROWS)).to_be_visible()
    expect(page.get_by_text("(đoán, độ giống").first).to_be_visible()
    expect(page.get_by_role("combobox", name=PICKER, exact=True)).to_have_value(BHYT)
    # Read as BHYT coverage, both rows would report 2025 twice: nothing can be committed yet.
    expect(page.get_by_role("button", name="Nhập dữ liệu")).to_be_disabled()

    # The officer corrects the guess and confirms the reading; the file is previewed again with it.
    pick(page, PICKER, PRIMARY_CARE, "primary_care_bhyt")
    with app_rerun(page, "confirming the reading"):   # ends in st.rerun()
        page.get_by_role("button", name="Xác nhận cách đọc này và ghi nhớ cho lần sau").click()
    expect(page.get_by_text("Cách đọc này đã được xác nhận trước đây.")).to_be_visible()
    expect(page.get_by_text(CHECK_ROWS)).to_have_count(0)
    expect(page.get_by_text("(đoán, độ giống")).to_have_count(0)
    expect(rows(page, GUESSED).first).to_contain_text("đã xác nhận")
    expect(rows(page, GUESSED).first).to_contain_text(PRIMARY_CARE)
    commit(page, "1 giá trị mới, 1 thay đổi")

    # The locality page shows the new coverage; primary care has no target (no card) in Lai Châu,
    # its value is in the upload page's history.
    expect(latest_bhyt(page, base)).to_contain_text("Mới nhất: 95,7% (2025)")
    expect(page.get_by_text("Tỷ lệ người dân sử dụng dịch vụ chăm sóc ban đầu", exact=False)).to_have_count(0)
    cells = history(page, base, PRIMARY_CARE, first.name)
    expect(cells).to_contain_text(["2025", "41,3", "canbo_lc", "✔"])

    # Next time, a file of the same shape with other figures: no question asked.
    second = wide_sheet(tmp_path / "bao_cao_nam_2025_lan_2.xlsx", 95.9, 41.8)
    upload(page, second)
    expect(page.get_by_text("Cách đọc này đã được xác nhận trước đây.")).to_be_visible()
    expect(page.get_by_text(CHECK_ROWS)).to_have_count(0)
    expect(page.get_by_role("combobox", name=PICKER, exact=True)).to_be_hidden()   # only on request
    expect(page.get_by_text("(đoán, độ giống")).to_have_count(0)
    expect(rows(page, GUESSED).first).to_contain_text("đã xác nhận")
    changed = page.get_by_test_id("stMetric").filter(has_text="Thay đổi")
    expect(changed.get_by_test_id("stMetricValue")).to_have_text("2")
    commit(page, "0 giá trị mới, 2 thay đổi")

    expect(latest_bhyt(page, base)).to_contain_text("Mới nhất: 95,9% (2025)")
    cells = history(page, base, PRIMARY_CARE, second.name)
    expect(cells).to_contain_text(["2025", "41,8", "canbo_lc", "✔"])
    expect(rows(page, first.name)).not_to_contain_text("✔")   # kept in the history, no longer current
