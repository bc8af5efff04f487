"""AppTest of the upload page ("Nhập số liệu"): what an officer sees from file to committed values."""
from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from indicators.auth.signin import hash_password
from indicators.store import gate
from tests.conftest import ROOT, signed_in
from tests.store.test_import import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def officer(seeded_db):
    with gate.writing(seeded_db) as con:
        add_accounts(con)
    return seeded_db


def add_accounts(con):
    for user, role, scope in (("canbo_lc", "officer", "12"), ("xem_lc", "viewer", "12"),
                              ("quantri_thu", "admin", None)):
        con.execute("insert into account (user_name, display_name, role, locality_code, password_hash) "
                    "values ($u, $d, $r, $l, $h)", {"u": user, "d": f"Cán bộ *{user}*", "r": role, "l": scope,
                                                    "h": hash_password("mat-khau-thu-nghiem")})


def open_page(user: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    signed_in(at, user)
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, XLSX)).run()
    assert not at.exception, at.exception
    return at


def table(at: AppTest, column: str):
    """The first table with that column (AppTest does not keep st.dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_officer_sees_only_their_scope(officer):
    at = open_page("canbo_lc")
    assert at.title[0].value == "Nhập số liệu"
    options = at.selectbox(key="template_locality").options
    assert options[0] == "Tỉnh Lai Châu (12)" and len(options) == 39
    assert any("\\*canbo\\_lc\\*" in c.value for c in at.caption)   # display name escaped, not Markdown


def test_preview_then_commit_shows_counts_and_lands(officer):
    at = open_page("canbo_lc")
    data = workbook([["12", "bhyt_coverage", "2025", "95,0"], ["12", "life_expectancy", "2025", "68,9"],
                     ["03640", "bhyt_coverage", "2026", 91.5]])
    upload(at, "bao_cao_quy.xlsx", data)
    assert metrics(at) == {"Dòng số liệu": "3", "Mới": "1", "Thay đổi": "1", "Không đổi": "1", "Bị từ chối": "0"}
    changes = table(at, "Cũ")
    assert changes[["Chỉ tiêu", "Cũ", "Mới"]].values.tolist() == [["life_expectancy", "68,5", "68,9"]]
    button = at.button(key="upload_commit")
    assert not button.disabled
    button.click().run()
    assert not at.exception, at.exception
    assert any("Đã nhập lần số 2" in s.value for s in at.success)
    assert any("Xem trang Địa phương" in i.value and "12" in i.value for i in at.info)
    with gate.reading(officer) as con:
        assert con.execute("select user_name, n_new, n_changed, n_unchanged from upload where upload_id = 2"
                           ).fetchone() == ("canbo_lc", 1, 1, 1)
    # History of the changed value shows both reports.
    at.selectbox(key="history_indicator_12").set_value("life_expectancy").run()
    hist = table(at, "Hiện hành")
    rows_2025 = hist[hist["Kỳ"] == "2025"]
    assert rows_2025[["Giá trị", "Người nhập", "Hiện hành"]].values.tolist() == [
        ["68,9", "canbo_lc", "✔"], ["68,5", "he-thong", ""]]


def test_errors_are_listed_and_block_the_import(officer):
    at = open_page("canbo_lc")
    upload(at, "loi.xlsx", workbook([["01", "bhyt_coverage", "2025", 95], ["12", "bhyt_coverage", "2025", 120]]))
    assert metrics(at)["Bị từ chối"] == "2"
    errors = table(at, "Nội dung")
    assert errors[["Trang", "Dòng", "Cột"]].values.tolist() == [["Số liệu", 4, "A (Mã địa phương)"],
                                                                ["Số liệu", 5, "G (Giá trị)"]]
    assert "từ 0 đến 100" in errors["Nội dung"][1]
    assert at.button(key="upload_commit").disabled
    # Read whole, not cut off by a table cell: each error as a sentence naming where it is.
    listed = [m.value for m in at.markdown if m.value.startswith("- **Trang")]
    assert len(listed) == 2
    assert listed[1].startswith("- **Trang “Số liệu”, dòng 5, cột G \\(Giá trị\\)**: ")
    assert "từ 0 đến 100" in listed[1]
    assert [b.label for b in at.get("download_button") if "danh sách lỗi" in b.label] == ["Tải danh sách lỗi (.xlsx)"]


def test_a_long_list_of_errors_shows_the_first_ones_and_keeps_all(officer):
    at = open_page("canbo_lc")
    upload(at, "nhieu_loi.xlsx", workbook([["12", "bhyt_coverage", str(y), 120] for y in range(2000, 2026)]
                                          + [["12", "life_expectancy", str(y), 500] for y in range(2000, 2026)]))
    assert len([m for m in at.markdown if m.value.startswith("- **Trang")]) == 30
    assert len(table(at, "Nội dung")) == 52
    assert any("52 lỗi" in e.label and "còn 22 lỗi" in e.label for e in at.expander)


def test_warnings_need_the_checkbox(officer):
    at = open_page("canbo_lc")
    upload(at, "w.xlsx", workbook([["12", "bhyt_coverage", "2026", "9,5"]]))
    assert len(table(at, "Nội dung")) == 1
    assert at.button(key="upload_commit").disabled
    at.checkbox(key="upload_confirm").check().run()
    assert not at.button(key="upload_commit").disabled
    at.button(key="upload_commit").click().run()
    assert any("Đã nhập lần số 2" in s.value for s in at.success)


def test_a_refused_file_names_itself_safely(officer):
    at = open_page("canbo_lc")
    upload(at, "**gia**.xlsx", b"<html><body><table><tr><td>12</td></tr></table></body></html>")
    errors = [e.value for e in at.error]
    assert any("\\*\\*gia\\*\\*" in e and "trang web \\(HTML\\)" in e for e in errors)
    assert not at.metric


def test_the_same_file_twice_says_so(officer):
    at = open_page("canbo_lc")
    data = workbook([["12", "bhyt_coverage", "2026", 95.5]])
    upload(at, "a.xlsx", data)
    at.button(key="upload_commit").click().run()
    upload(at, "a.xlsx", data)
    assert any("đã được nhập trước đây" in i.value for i in at.info)
    assert at.button(key="upload_commit").disabled


def test_a_viewer_cannot_use_the_page(officer):
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    signed_in(at, "xem_lc")
    at.run()
    assert not at.file_uploader and at.error


def test_admin_can_revert_from_the_page(officer):
    at = open_page("quantri_thu")
    at.number_input(key="revert_id").set_value(1).run()
    at.button(key="revert_button").click().run()
    assert any("Đã hoàn tác lần nhập số 1" in s.value for s in at.success)


# --- officers' own report sheets (issue 14) ---------------------------------------------------
def report_sheet(rows: list[list]) -> bytes:
    from tests.store.test_import_report_sheets import sheet
    return sheet(rows)


def test_a_report_sheet_shows_how_it_was_read_before_the_preview(officer):
    from tests.store.test_import_report_sheets import YEARLY
    at = upload(open_page("canbo_lc"), "bao_cao_nam.xlsx", report_sheet(YEARLY))
    assert any("Cách hệ thống đọc trang" in m.value and "mỗi dòng là một chỉ tiêu" in m.value for m in at.markdown)
    assert any("Tỉnh Lai Châu" in c.value and "theo tiêu đề" in c.value for c in at.caption)
    columns = table(at, "Tiêu đề trong tệp")
    read_as = dict(zip(columns["Tiêu đề trong tệp"], columns["Được hiểu là"]))
    assert read_as["Năm 2023"] == "Số liệu năm 2023" and read_as["Kế hoạch 2026"] == "Kế hoạch / chỉ tiêu – không đọc"
    assert metrics(at)["Dòng số liệu"] == "9"
    assert any("Số giường bệnh/vạn dân" in m.value and "không được nhập" in m.value for m in at.markdown)


def test_guesses_confirmed_once_are_remembered_for_the_next_file_of_that_shape(officer):
    rows = [["Chỉ tiêu", "Năm 2025"], ["Tỷ lệ trẻ em suy dinh dưỡng thể thấp còi", 17.5],
            ["Tỷ lệ người dân tham gia bảo hiểm", 93.0]]
    at = upload(open_page("canbo_lc"), "bao_cao.xlsx", report_sheet(rows))
    assert len([m for m in at.markdown if "(đoán, độ giống" in m.value]) == 2
    assert at.button(key="upload_commit").disabled   # guesses are warnings: confirm them first
    # the second guess is corrected: primary care paid by BHYT, not coverage
    assert at.selectbox(key="wide_row_0_3").value == "bhyt_coverage"
    at.selectbox(key="wide_row_0_3").set_value("primary_care_bhyt").run()
    at.button(key="wide_confirm_0").click().run()
    assert not at.exception, at.exception
    assert not [m for m in at.markdown if "(đoán, độ giống" in m.value]
    assert any("đã được xác nhận" in m.value for m in at.markdown)
    assert any("Đã ghi nhớ cách đọc trang “Báo cáo”" in s.value for s in at.success)
    assert not at.button(key="upload_commit").disabled
    read_as = dict(zip(table(at, "Mức chắc chắn")["Dòng"], table(at, "Mức chắc chắn")["Được hiểu là"]))
    assert read_as[3].endswith("(primary_care_bhyt)") and read_as[2].endswith("(under5_stunting)")
    with gate.reading(officer) as con:
        assert con.execute("select locality_code, confirmed_by from sheet_mapping").fetchall() == [("12", "canbo_lc")]
        assert con.execute("select count(*) from audit_event where action = 'sheet_mapping'").fetchone()[0] == 1
    # the next file of the same shape, new figures: no question asked
    rows[1][1] = 17.0
    again = upload(open_page("canbo_lc"), "bao_cao_quy_sau.xlsx", report_sheet(rows))
    assert not [m for m in again.markdown if "(đoán, độ giống" in m.value] and not again.warning


def test_an_admin_picks_whose_figures_a_sheet_naming_no_locality_holds(officer):
    rows = [["Chỉ tiêu", "Năm 2025"], ["Tỷ lệ dân số tham gia BHYT", 95.0]]
    at = open_page("quantri_thu")
    at.selectbox(key="upload_province").set_value("12").run()
    upload(at, "bao_cao.xlsx", report_sheet(rows))
    assert any("hãy chọn địa phương" in w.value for w in at.warning)
    assert at.button(key="upload_commit").disabled
    picker = at.selectbox(key="wide_locality_0")
    assert set(picker.options) >= {"— giữ như trên —", "Tỉnh Lai Châu (12)"} and len(picker.options) == 40
    picker.set_value("03637").run()
    assert not at.exception, at.exception
    assert metrics(at)["Dòng số liệu"] == "1" and not at.error
    assert any("Xã Mường Kim" in c.value and "đã chọn" in c.value for c in at.caption)
