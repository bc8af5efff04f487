"""AppTest of the task report page ("Báo cáo nhiệm vụ"): what an officer sees from template to
recorded reports, a refusal for another agency's tasks, errors where and why, and an admin's revert."""
from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from indicators.auth import admin
from indicators.store import gate
from indicators.tasks import listing, reports
from indicators.tasks.sheets import template
from tests.conftest import ROOT, signed_in
from tests.store.test_task_import import fill

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLAN = "HN-71-2026"


@pytest.fixture
def db(seeded_db):
    with gate.writing(seeded_db) as con:
        for user, role in (("canbo-syt", "officer"), ("canbo-stc", "officer"), ("canbo-moi", "officer"),
                           ("xem", "viewer")):
            admin.create_account(con, "quantri", user, f"Cán bộ *{user}*", role, "01", password="mat-khau-thu-nghiem")
        reports.grant_agency(con, "quantri", "canbo-syt", "so_y_te")
        reports.grant_agency(con, "quantri", "canbo-stc", "so_tai_chinh")
    return seeded_db


def filled(db, rows: dict[str, dict], user: str | None = "canbo-syt") -> bytes:
    with gate.reading(db) as con:
        data = template.write_template(con, PLAN, user)
    return fill(data, rows)


def open_page(user: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "task_upload.py"), default_timeout=60)
    signed_in(at, user)
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, XLSX)).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def refused_events(db) -> int:
    with gate.reading(db) as con:
        return con.execute("select count(*) from audit_event where action = 'task_report_refused'").fetchone()[0]


def test_an_officer_sees_their_agency_and_the_template_of_their_tasks(db):
    at = open_page("canbo-syt")
    assert at.title[0].value == "Báo cáo nhiệm vụ"
    assert any("Sở Y tế" in c.value and "\\*canbo\\-syt\\*" in c.value for c in at.caption)
    assert at.selectbox(key="task_template_plan").options[0].startswith("71/KH-UBND – Kế hoạch thực hiện")
    assert at.selectbox(key="task_template_plan").value == PLAN
    assert [b.label for b in at.get("download_button")] == ["Tải tệp mẫu (.xlsx)"]
    assert any("35 nhiệm vụ tài khoản được báo cáo" in c.value for c in at.caption)


def test_an_account_without_an_agency_is_told_so(db):
    at = open_page("canbo-moi")
    assert any("chưa được gán cơ quan nào" in w.value for w in at.warning)
    assert not at.get("download_button")
    assert any("không chủ trì nhiệm vụ nào" in i.value for i in at.info)


def test_upload_preview_commit_and_the_upload_is_listed(db):
    at = open_page("canbo-syt")
    data = filled(db, {"1.1": {"Tình trạng": "hoan thanh", "Số/ngày văn bản": "QĐ 45/QĐ-SYT",
                               "Ngày hoàn thành": date(2026, 3, 20)},
                       "3.10": {"Tình trạng": "Vướng mắc", "Cần hỗ trợ gì": "Kinh phí", "Từ cơ quan nào": "Sở Tài chính"}})
    upload(at, "bao_cao_quy.xlsx", data)
    assert metrics(at) == {"Dòng báo cáo": "2", "Mới": "2", "Thay đổi": "0", "Không đổi": "0", "Bị từ chối": "0",
                           "Bỏ qua (để trống)": "33"}
    shown = table(at, "Mới/thay đổi")
    assert shown[["Nhiệm vụ", "Tình trạng", "Ngày hoàn thành"]].values.tolist() == [
        ["1.1", "Hoàn thành", "20/03/2026"], ["3.10", "Vướng mắc", ""]]
    button = at.button(key="task_upload_commit")
    assert not button.disabled
    button.click().run()
    assert not at.exception, at.exception
    assert any("Đã ghi lần báo cáo nhiệm vụ số 1" in s.value and "2 báo cáo mới" in s.value for s in at.success)
    listed = table(at, "Lần báo cáo")
    assert listed[["Lần báo cáo", "Tệp", "Người báo cáo", "Trạng thái"]].values.tolist() == [
        [1, "bao_cao_quy.xlsx", "canbo-syt", "hiện hành"]]
    with gate.reading(db) as con:
        assert con.execute("select task_no, state from task_report order by task_no").fetchall() == [
            ("1.1", "done"), ("3.10", "blocked")]
    # The same file again: nothing to record, said so.
    upload(at, "bao_cao_quy.xlsx", data)
    assert any("Không có gì thay đổi" in i.value for i in at.info)
    assert at.button(key="task_upload_commit").disabled


def test_another_agencys_tasks_are_refused_up_front_and_audited_once(db):
    at = open_page("canbo-stc")
    upload(at, "cua_so_y_te.xlsx", filled(db, {"1.1": {"Tình trạng": "Đang thực hiện"}}))
    assert any("báo cáo cho Sở Tài chính" in e.value and "Sở Y tế" in e.value for e in at.error)
    assert at.button(key="task_upload_commit").disabled
    errors = table(at, "Nội dung")
    assert errors[["Dòng", "Cột"]].values.tolist() == [[4, "B (Số nhiệm vụ)"]]
    at.run()   # a rerun reuses the preview: still one event for the attempt
    assert refused_events(db) == 1
    with gate.reading(db) as con:
        assert con.execute("select count(*) from task_report").fetchone()[0] == 0


def test_errors_are_listed_with_where_and_why_and_block(db):
    at = open_page("canbo-syt")
    upload(at, "loi.xlsx", filled(db, {"1.1": {"Tình trạng": "xong"}, "1.2": {"Tình trạng": "Đang thực hiện"}}))
    assert metrics(at)["Bị từ chối"] == "1"
    listed = [m.value for m in at.markdown if m.value.startswith("- **Trang")]
    assert len(listed) == 1 and "dòng 4, cột H \\(Tình trạng\\)" in listed[0] and "xong" in listed[0]
    assert at.button(key="task_upload_commit").disabled


def test_a_file_that_is_not_a_spreadsheet_is_refused_safely(db):
    at = open_page("canbo-syt")
    upload(at, "**gia**.xlsx", b"%PDF-1.4\n1 0 obj\n")
    assert any("\\*\\*gia\\*\\*" in e.value and "tệp PDF" in e.value for e in at.error)
    assert not at.metric


def test_a_viewer_cannot_use_the_page(db):
    at = AppTest.from_file(str(ROOT / "pages" / "task_upload.py"), default_timeout=60)
    signed_in(at, "xem")
    at.run()
    assert not at.file_uploader and at.error


def test_an_admin_sees_every_upload_and_reverts_one(db):
    officer = open_page("canbo-syt")
    upload(officer, "a.xlsx", filled(db, {"3.1": {"Tình trạng": "Đang thực hiện"}}))
    officer.button(key="task_upload_commit").click().run()
    upload(officer, "b.xlsx", filled(db, {"3.1": {"Tình trạng": "Hoàn thành", "Số/ngày văn bản": "QĐ 1"}}))
    officer.button(key="task_upload_commit").click().run()
    at = open_page("quantri")
    assert table(at, "Lần báo cáo")["Lần báo cáo"].tolist() == [2, 1]
    at.number_input(key="task_revert_id").set_value(2).run()
    at.button(key="task_revert_button").click().run()
    assert not at.exception, at.exception
    assert any("Đã hoàn tác lần báo cáo nhiệm vụ số 2" in s.value for s in at.success)
    assert table(at, "Lần báo cáo")["Trạng thái"].tolist() == ["đã hoàn tác", "hiện hành"]
    with gate.reading(db) as con:
        assert listing.task_list(con, PLAN, date.today()).set_index("task_no").loc["3.1", "reported_state"] == \
            "in_progress"
    assert not [e for e in open_page("canbo-syt").expander if "Hoàn tác" in e.label]   # admins only
