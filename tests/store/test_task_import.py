"""Task reports from Excel: the template of a plan, its round trip, every problem named by sheet,
row and column, scope refused and audited, dry runs, reverts, odd and hostile files, and the
`tasks template` / `tasks import` commands."""
from __future__ import annotations

import io
import json
import subprocess
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from indicators.auth import admin
from indicators.auth.accounts import PermissionDenied
from indicators.cli import main
from indicators.excel.safety import UnsafeFile
from indicators.store.connection import connect
from indicators.tasks import listing, reports
from indicators.tasks.sheets import task_import, template
from indicators.tasks.reports import ReportRefused, TaskReport
from tests.conftest import missing

PLAN = "HN-71-2026"
AS_OF = date(2026, 12, 2)
SHEET = template.DATA_SHEET


@pytest.fixture
def con(seeded_db):
    c = connect(seeded_db)
    add_officers(c)
    yield c
    c.close()


def add_officers(c) -> None:
    """canbo-syt reports for Sở Y tế, canbo-stc for Sở Tài chính, canbo-moi for no agency yet."""
    for user in ("canbo-syt", "canbo-stc", "canbo-moi"):
        admin.create_account(c, "quantri", user, f"Cán bộ {user}", "officer", "01", password="mat-khau-thu-nghiem")
    admin.create_account(c, "quantri", "xem", "Người xem", "viewer", "01", password="mat-khau-thu-nghiem")
    reports.grant_agency(c, "quantri", "canbo-syt", "so_y_te")
    reports.grant_agency(c, "quantri", "canbo-stc", "so_tai_chinh")


def fill(data: bytes, rows: dict[str, dict[str, object]]) -> bytes:
    """The template with cells filled in: task number -> {header: value}."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET]
    col = {ws.cell(template.HEADER_ROW, j).value: j for j in range(1, ws.max_column + 1)}
    where = {ws.cell(r, col["Số nhiệm vụ"]).value: r for r in range(template.HEADER_ROW + 1, ws.max_row + 1)}
    for task_no, values in rows.items():
        for header, value in values.items():
            ws.cell(where[task_no], col[header]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def own_sheet(header: list[str], rows: list[list], *, title_rows: int = 0, name: str = "BC") -> bytes:
    """A sheet an officer made themself: a few title rows, their header, their rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = name
    for i in range(title_rows):
        ws.append([f"Dòng tiêu đề {i + 1}"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def syt_template(con, **kw) -> bytes:
    return template.write_template(con, PLAN, "canbo-syt", today=AS_OF, **kw)


def state_of(con, task_no: str) -> str:
    """The state last reported on the task (as of today: reports are recorded now)."""
    return listing.task_list(con, PLAN, date.today()).set_index("task_no").loc[task_no, "reported_state"]


def count(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def refused_events(con) -> list[tuple]:
    return con.execute("select user_name, detail from audit_event where action = 'task_report_refused'").fetchall()


# --- the template ------------------------------------------------------------------------------
def test_the_template_lists_the_officers_tasks_with_the_columns_to_fill(con):
    wb = load_workbook(io.BytesIO(template.write_template(con, "71/KH-UBND", "canbo-stc", today=AS_OF)))
    assert wb.sheetnames == [SHEET, "_danh_muc", "Hướng dẫn", "_phien_ban"]
    ws = wb[SHEET]
    assert [c.value for c in ws[template.HEADER_ROW]] == [
        "Kế hoạch", "Số nhiệm vụ", "Nhiệm vụ", "Cơ quan chủ trì", "Sản phẩm", "Thời hạn", "Quý báo cáo",
        "Tình trạng", "Kết quả", "Số/ngày văn bản", "Ngày hoàn thành", "Cần hỗ trợ gì", "Từ cơ quan nào"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert [r[:2] for r in rows] == [["71/KH-UBND", "2.3"], ["71/KH-UBND", "9.3"]]   # Sở Tài chính leads these
    assert rows[0][3] == "Sở Tài chính" and rows[0][6] == "Quý IV/2026" and rows[0][7:] == [None] * 6
    assert "Sở Tài chính" in ws["A1"].value and "Quý IV/2026" in ws["A1"].value
    # The state dropdown lists the reported states; task numbers and quarters stay text.
    [states] = [dv for dv in ws.data_validations.dataValidation if "H4" in str(dv.sqref)]
    assert states.formula1 == "'_danh_muc'!$A$2:$A$6"
    assert [wb["_danh_muc"].cell(i, 1).value for i in range(2, 7)] == [
        "Chưa triển khai", "Đang thực hiện", "Hoàn thành", "Hoàn thành quá hạn", "Vướng mắc"]
    assert ws["B4"].number_format == "@" and ws["G4"].number_format == "@"
    assert ws["B4"].protection.locked and not ws["H4"].protection.locked and ws.protection.sheet
    assert "HƯỚNG DẪN" in wb["Hướng dẫn"]["A1"].value


def test_the_template_for_an_admin_or_no_account_has_every_task_and_another_quarter(con):
    for user in (None, "quantri"):
        ws = load_workbook(io.BytesIO(template.write_template(con, PLAN, user, "2026-Q3", today=AS_OF)))[SHEET]
        assert ws.max_row - template.HEADER_ROW == 43 and ws["G4"].value == "Quý III/2026"


@pytest.mark.parametrize("user, quarter, refusal, message", [
    ("xem", None, PermissionDenied, "cần quyền Cán bộ"),
    ("canbo-moi", None, template.TemplateRefused, "chưa được gán cơ quan nào"),
    ("canbo-syt", "2026", template.BadQuarter, "không phải một quý"),
    ("canbo-syt", "quý năm", template.BadQuarter, "không đọc được"),
])
def test_no_template_for_a_viewer_an_account_without_agency_or_a_quarter_that_is_not_one(con, user, quarter,
                                                                                        refusal, message):
    with pytest.raises(refusal, match=message):
        template.write_template(con, PLAN, user, quarter, today=AS_OF)


# --- the round trip ----------------------------------------------------------------------------
def test_download_the_template_fill_two_tasks_import_and_the_list_shows_them(con):
    data = fill(syt_template(con), {
        "1.1": {"Tình trạng": "Hoàn thành", "Kết quả": "Đã ban hành kế hoạch",
                "Số/ngày văn bản": "Kế hoạch số 45/KH-SYT ngày 20/3/2026", "Ngày hoàn thành": date(2026, 3, 20)},
        "3.10": {"Tình trạng": "Vướng mắc", "Kết quả": "Chưa có kinh phí", "Cần hỗ trợ gì": "Bố trí kinh phí",
                 "Từ cơ quan nào": "Sở Tài chính"},
    })
    pv = task_import.preview(con, data, "bao_cao_quy_4.xlsx", "canbo-syt", today=AS_OF)
    assert (pv.plan_code, pv.n_rows, pv.n_new, pv.n_changed, pv.n_blank) == (PLAN, 2, 2, 0, 33)
    assert not pv.problems and pv.can_commit and pv.sheets == [SHEET]
    upload_id = task_import.commit(con, pv, "canbo-syt")
    assert con.execute("select user_name, source, file_name, sha256, n_rows from task_upload").fetchall() == [
        (  "canbo-syt", "excel", "bao_cao_quy_4.xlsx", pv.sha256, 2)]
    tasks = listing.task_list(con, PLAN, date.today()).set_index("task_no")
    assert tasks.loc["1.1", ["reported_state", "product_ref", "state"]].tolist() == [
        "done", "Kế hoạch số 45/KH-SYT ngày 20/3/2026", "done"]   # completed before its deadline
    assert tasks.loc["1.1", "completed_on"].date() == date(2026, 3, 20)
    assert tasks.loc["3.10", ["reported_state", "needs", "needs_from"]].tolist() == [
        "blocked", "Bố trí kinh phí", "Sở Tài chính"]
    history = listing.task_history(con, PLAN, "3.10")
    assert history[["period", "step", "task_upload_id"]].values.tolist() == [["2026-Q4", 1, upload_id]]
    [(detail,)] = con.execute("select detail from audit_event where action = 'task_report'").fetchall()
    assert "bao_cao_quy_4.xlsx" in detail and "1.1 (Hoàn thành)" in detail
    # The next template holds the reports in force for the quarter: sent back as is, nothing changes.
    again = task_import.preview(con, syt_template(con), "mau.xlsx", "canbo-syt", today=AS_OF)
    assert (again.n_rows, again.n_unchanged, again.can_commit) == (2, 2, False)
    assert "Không có gì thay đổi" in again.notice
    with pytest.raises(ReportRefused, match="Không có gì thay đổi"):
        task_import.commit(con, again, "canbo-syt")
    # One cell changed: one changed report, the other unchanged.
    edited = fill(syt_template(con), {"3.10": {"Tình trạng": "Đang thực hiện", "Cần hỗ trợ gì": None,
                                               "Từ cơ quan nào": None}})
    pv = task_import.preview(con, edited, "sua.xlsx", "canbo-syt", today=AS_OF)
    assert (pv.n_new, pv.n_changed, pv.n_unchanged) == (0, 1, 1)
    assert pv.changes()[["task_no", "old_state", "state"]].values.tolist() == [["3.10", "blocked", "in_progress"]]
    task_import.commit(con, pv, "canbo-syt")
    assert listing.task_history(con, PLAN, "3.10")["step"].tolist() == [2, 1]


def test_a_revert_brings_the_previous_report_back(con):
    first = task_import.preview(con, fill(syt_template(con), {"3.1": {"Tình trạng": "Đang thực hiện"}}), "a.xlsx",
                                "canbo-syt", today=AS_OF)
    task_import.commit(con, first, "canbo-syt")
    second = task_import.preview(con, fill(syt_template(con), {"3.1": {"Tình trạng": "Hoàn thành",
                                                                       "Số/ngày văn bản": "QĐ 9/QĐ-SYT"}}),
                                 "b.xlsx", "canbo-syt", today=AS_OF)
    assert [r.change for r in second.rows] == ["changed"]
    upload = task_import.commit(con, second, "canbo-syt")
    assert state_of(con, "3.1") == "done"
    reports.revert(con, upload, "quantri")
    assert state_of(con, "3.1") == "in_progress"
    # Back in force: the same file again is a change once more.
    assert [r.change for r in task_import.preview(con, fill(syt_template(con), {}), "c.xlsx", "canbo-syt",
                                                  today=AS_OF).rows] == ["unchanged"]


# --- problems named by sheet, row and column ----------------------------------------------------
@pytest.mark.parametrize("cells, column, value, says", [
    ({"Tình trạng": "xong"}, "H (Tình trạng)", "xong", "tình trạng “xong” không có trong danh sách"),
    ({"Tình trạng": "Hoàn thành", "Quý báo cáo": "2026"}, "G (Quý báo cáo)", "2026", "“2026” không phải một quý"),
    ({"Tình trạng": "Hoàn thành", "Quý báo cáo": "Quý I/2027"}, "G (Quý báo cáo)", "Quý I/2027",
     "quý 2027-Q1 chưa bắt đầu"),
    ({"Tình trạng": "Hoàn thành", "Quý báo cáo": None}, "G (Quý báo cáo)", "", "thiếu quý báo cáo"),
    ({"Kết quả": "Đang làm"}, "H (Tình trạng)", "", "thiếu tình trạng"),
    ({"Tình trạng": "Hoàn thành", "Ngày hoàn thành": "31/13/2026"}, "K (Ngày hoàn thành)", "31/13/2026",
     "cần một ngày dạng ngày/tháng/năm"),
    ({"Tình trạng": "Đang thực hiện", "Ngày hoàn thành": "20/11/2026"}, "K (Ngày hoàn thành)", "20/11/2026",
     "nhưng tình trạng không phải “Hoàn thành”"),
    ({"Tình trạng": "Hoàn thành", "Ngày hoàn thành": date(2026, 12, 25)}, "K (Ngày hoàn thành)",
     "2026-12-25 00:00:00", "ở tương lai"),
    ({"Tình trạng": "Hoàn thành", "Kết quả": "x" * 2001}, "I (Kết quả)", "x" * 2001, "tối đa 2000"),
    ({"Tình trạng": "Hoàn thành", "Số nhiệm vụ": "1.9"}, "B (Số nhiệm vụ)", "1.9",
     "không có nhiệm vụ “1.9” trong kế hoạch"),
    ({"Tình trạng": "Hoàn thành", "Kế hoạch": "99/KH-UBND"}, "A (Kế hoạch)", "99/KH-UBND",
     "Không có kế hoạch “99/KH-UBND”"),
])
def test_each_error_names_the_sheet_row_column_and_value_and_blocks_the_file(con, cells, column, value, says):
    data = fill(syt_template(con), {"1.1": cells, "1.2": {"Tình trạng": "Đang thực hiện"}})
    pv = task_import.preview(con, data, "loi.xlsx", "canbo-syt", today=AS_OF)
    [error] = pv.errors
    assert (error.sheet, error.row, error.column, error.value) == (SHEET, 4, column, value)
    assert error.message.startswith(f"Trang “{SHEET}”, dòng 4, cột {column}: ") and says in error.message
    assert not pv.can_commit and pv.n_rejected == 1
    with pytest.raises(ReportRefused, match="còn 1 lỗi"):
        task_import.commit(con, pv, "canbo-syt")
    assert count(con, "task_report") == 0


def test_every_problem_of_a_row_is_listed_at_once(con):
    data = fill(syt_template(con), {"3.2": {"Tình trạng": "xong", "Quý báo cáo": "2027-Q1",
                                            "Ngày hoàn thành": "hôm qua"}})
    pv = task_import.preview(con, data, "loi.xlsx", "canbo-syt", today=AS_OF)
    assert [(e.row, e.column, e.code) for e in pv.errors] == [
        (10, "H (Tình trạng)", "bad_state"), (10, "K (Ngày hoàn thành)", "bad_date"),
        (10, "G (Quý báo cáo)", "check_period")]


def test_warnings_are_listed_and_do_not_block(con):
    pv = task_import.preview(con, fill(syt_template(con), {"1.1": {"Tình trạng": "Hoàn thành"},
                                                           "3.3": {"Tình trạng": "Vướng mắc"}}),
                             "w.xlsx", "canbo-syt", today=AS_OF)
    assert [(w.row, w.column) for w in pv.warnings] == [(4, "J (Số/ngày văn bản)"), (11, "L (Cần hỗ trợ gì)")]
    assert "chưa ghi số, ngày văn bản" in pv.warnings[0].message and pv.can_commit


def test_the_same_task_and_quarter_twice_is_an_error_on_the_second_row(con):
    header = ["Kế hoạch", "Số nhiệm vụ", "Quý báo cáo", "Tình trạng"]
    data = own_sheet(header, [["71/KH-UBND", "1.1", "Quý IV/2026", "Hoàn thành"],
                              ["71/KH-UBND", "1.1", "2026-Q4", "Vướng mắc"]])
    [error] = task_import.preview(con, data, "trung.xlsx", "canbo-syt", today=AS_OF).errors
    assert (error.row, error.column, error.code) == (3, "B (Số nhiệm vụ)", "duplicate_report")
    assert "đã có ở dòng 2" in error.message


def test_each_finding_of_check_report_names_its_field():
    cases = [
        (TaskReport(PLAN, "1.9", "2026-Q4", "done", product_ref="x"), "task_no"),
        (TaskReport(PLAN, "1.1", "2026-Q4", "overdue"), "state"),
        (TaskReport(PLAN, "1.1", "2027-Q1", "in_progress"), "period"),
        (TaskReport(PLAN, "1.1", "2026", "in_progress"), "period"),
        (TaskReport(PLAN, "1.1", "2026-Q4", "in_progress", completed_on=date(2026, 10, 1)), "completed_on"),
        (TaskReport(PLAN, "1.1", "2026-Q4", "done", product_ref="x", completed_on=date(2027, 1, 1)), "completed_on"),
        (TaskReport(PLAN, "1.1", "2026-Q4", "in_progress", result="x" * 2001), "result"),
        (TaskReport(PLAN, "1.1", "2026-Q4", "in_progress", product_ref="x" * 2001), "product_ref"),
        (TaskReport(PLAN, "1.1", "2026-Q4", "in_progress", needs="x" * 2001), "needs"),
        (TaskReport(PLAN, "1.1", "2026-Q4", "in_progress", needs_from="x" * 2001), "needs_from"),
        (TaskReport(PLAN, "1.1", "2026-Q4", "done"), "product_ref"),        # a warning
        (TaskReport(PLAN, "1.1", "2026-Q4", "blocked"), "needs"),           # a warning
    ]
    for report, fld in cases:
        checked = reports.check_report(report, {"1.1"}, AS_OF)
        [finding] = checked.errors or checked.warnings
        assert finding.field == fld, finding


# --- scope -----------------------------------------------------------------------------------
def test_an_officer_of_another_agency_is_refused_up_front_audited_once_and_nothing_is_written(con):
    data = fill(syt_template(con), {"1.1": {"Tình trạng": "Hoàn thành", "Số/ngày văn bản": "QĐ 1"}})
    pv = task_import.preview(con, data, "cua_so_y_te.xlsx", "canbo-stc", today=AS_OF)
    assert "báo cáo cho Sở Tài chính" in pv.refusal and "1.1: Sở Y tế" in pv.refusal
    assert pv.refused_tasks == ["1.1"] and not pv.can_commit
    [error] = pv.errors
    assert (error.row, error.column, error.code) == (4, "B (Số nhiệm vụ)", "out_of_scope")
    assert "nhiệm vụ 1.1 do Sở Y tế chủ trì" in error.message
    [(user, detail)] = refused_events(con)
    assert user == "canbo-stc" and "cua_so_y_te.xlsx" in detail and "Sở Y tế" in detail
    with pytest.raises(PermissionDenied, match="không được báo cáo nhiệm vụ 1.1"):
        task_import.commit(con, pv, "canbo-stc")
    assert len(refused_events(con)) == 1      # one attempt, one event
    assert (count(con, "task_report"), count(con, "task_upload")) == (0, 0)
    # Said up front even when the row has other mistakes too.
    sloppy = fill(syt_template(con), {"1.1": {"Tình trạng": "xong"}})
    pv = task_import.preview(con, sloppy, "cau_tha.xlsx", "canbo-stc", today=AS_OF)
    assert pv.refused_tasks == ["1.1"] and sorted(e.code for e in pv.errors) == ["bad_state", "out_of_scope"]


def test_a_file_mixing_own_and_other_tasks_is_refused_whole_and_an_account_without_agency_too(con):
    data = fill(template.write_template(con, PLAN, None, today=AS_OF),
                {"2.3": {"Tình trạng": "Hoàn thành", "Số/ngày văn bản": "QĐ 2"},
                 "2.4": {"Tình trạng": "Đang thực hiện"}})
    pv = task_import.preview(con, data, "tron.xlsx", "canbo-stc", today=AS_OF)
    assert pv.refused_tasks == ["2.4"] and [e.row for e in pv.errors] == [9]
    assert [r.report.task_no for r in pv.rows] == ["2.3"] and not pv.can_commit
    nobody = task_import.preview(con, data, "tron.xlsx", "canbo-moi", today=AS_OF)
    assert "chưa được gán cơ quan nào" in nobody.refusal and nobody.refused_tasks == ["2.3", "2.4"]
    # An admin reports any task.
    assert task_import.preview(con, data, "tron.xlsx", "quantri", today=AS_OF).can_commit


def test_a_viewer_cannot_import(con):
    with pytest.raises(PermissionDenied):
        task_import.preview(con, fill(syt_template(con), {}), "x.xlsx", "xem", today=AS_OF)


def test_a_preview_is_committed_only_by_its_own_account(con):
    pv = task_import.preview(con, fill(syt_template(con), {"1.1": {"Tình trạng": "Đang thực hiện"}}), "x.xlsx",
                             "canbo-syt", today=AS_OF)
    with pytest.raises(PermissionDenied, match="của tài khoản “canbo-syt”"):
        task_import.commit(con, pv, "canbo-stc")
    assert count(con, "task_report") == 0


# --- odd and hostile files ---------------------------------------------------------------------
@pytest.mark.parametrize("data, says", [
    (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "tệp PDF"),
    (b"chi mot dong chu\n", "không phải bảng tính"),
    (b"PK\x05\x06" + b"\x00" * 18, "tệp nén rỗng"),
])
def test_a_file_that_is_not_a_spreadsheet_is_refused_in_vietnamese_and_nothing_changes(con, data, says):
    with pytest.raises(UnsafeFile, match=says) as refused:
        task_import.preview(con, data, "bao_cao.xlsx", "canbo-syt", today=AS_OF)
    assert str(refused.value).startswith("Tệp “bao_cao.xlsx” bị từ chối")
    assert (count(con, "task_report"), count(con, "task_upload")) == (0, 0)


def test_a_macro_workbook_renamed_xlsx_is_refused(con):
    good = fill(syt_template(con), {"1.1": {"Tình trạng": "Đang thực hiện"}})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for entry in src.infolist():
            dst.writestr(entry, src.read(entry))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 64)
    with pytest.raises(UnsafeFile, match="macro"):
        task_import.preview(con, out.getvalue(), "co_macro.xlsx", "canbo-syt", today=AS_OF)


def test_a_task_number_excel_turned_into_the_number_3_1_is_never_silently_3_10(con):
    header = ["Kế hoạch", "Số nhiệm vụ", "Quý báo cáo", "Tình trạng"]
    # A sheet without task titles: the number 3.1 may be 3.1 or 3.10 -> an error naming the cell.
    pv = task_import.preview(con, own_sheet(header, [["71/KH-UBND", 3.1, "Quý IV/2026", "Đang thực hiện"],
                                                     ["71/KH-UBND", "3.10", "Quý IV/2026", "Đang thực hiện"],
                                                     ["71/KH-UBND", 3.2, "Quý IV/2026", "Đang thực hiện"]]),
                             "so.xlsx", "canbo-syt", today=AS_OF)
    [error] = pv.errors
    assert (error.row, error.column, error.value, error.code) == (2, "B (Số nhiệm vụ)", "3.1", "ambiguous_task")
    assert "3.1 và 3.10" in error.message and "'3.10" in error.message
    assert sorted(r.report.task_no for r in pv.rows) == ["3.10", "3.2"]   # typed text exact; 3.2 has no twin
    # In the template the row's task title says which: read so, with a warning to check.
    data = fill(syt_template(con), {"3.10": {"Số nhiệm vụ": 3.1, "Tình trạng": "Đang thực hiện"},
                                    "3.1": {"Số nhiệm vụ": 3.1, "Tình trạng": "Hoàn thành",
                                            "Số/ngày văn bản": "QĐ 5"}})
    pv = task_import.preview(con, data, "mau_so.xlsx", "canbo-syt", today=AS_OF)
    assert not pv.errors and sorted((r.report.task_no, r.report.state) for r in pv.rows) == [
        ("3.1", "done"), ("3.10", "in_progress")]
    [warning] = pv.warnings
    assert warning.column == "B (Số nhiệm vụ)" and "đọc là nhiệm vụ 3.10 theo tên nhiệm vụ" in warning.message


def test_empty_rows_are_skipped_and_counted_not_errors(con):
    pv = task_import.preview(con, syt_template(con), "trong.xlsx", "canbo-syt", today=AS_OF)
    assert (pv.n_rows, pv.n_blank, pv.errors) == (0, 35, [])
    assert "35 dòng nhiệm vụ đều để trống" in pv.notice and not pv.can_commit
    header = ["Kế hoạch", "Số nhiệm vụ", "Quý báo cáo", "Tình trạng", "Kết quả"]
    pv = task_import.preview(con, own_sheet(header, [["71/KH-UBND", "1.1", "Quý IV/2026", "Đang thực hiện", None],
                                                     [None] * 5, [None, None, None, None, "  "],
                                                     ["71/KH-UBND", "1.2", "Quý IV/2026", None, None],
                                                     ["71/KH-UBND", "4.1", "Quý IV/2026", "Chưa triển khai", None]]),
                             "cach_dong.xlsx", "canbo-syt", today=AS_OF)
    assert (pv.n_rows, pv.n_blank, pv.n_new, pv.errors) == (2, 1, 2, [])


def test_states_without_diacritics_headers_as_people_write_them_and_the_plan_code(con):
    header = ["Kế hoạch", "STT nhiệm vụ", "Nội dung nhiệm vụ", "Quý", "Trạng thái", "Kết quả thực hiện",
              "Số và ngày văn bản", "Ngày hoàn thành (dd/mm/yyyy)", "Kiến nghị", "Cơ quan hỗ trợ"]
    data = own_sheet(header, [
        ["HN-71-2026", "1.1", "…", "quy 4 nam 2026", "hoan thanh", "Xong", "QĐ 3/QĐ-SYT", "15/11/2026", None, None],
        ["HN-71-2026", "Nhiệm vụ 1.2", "…", "Q4/2026", "VUONG MAC", None, None, None, "Kinh phí", "Sở Tài chính"],
        ["HN-71-2026", "4.1", "…", "2026-Q4", "Chưa triển khai.", None, None, None, None, None],
    ], title_rows=3, name="Báo cáo Sở Y tế")
    pv = task_import.preview(con, data, "tu_lam.xlsx", "canbo-syt", today=AS_OF)
    assert not pv.problems and pv.plan_code == PLAN
    got = {r.report.task_no: (r.report.period, r.report.state, r.report.completed_on, r.report.needs_from)
           for r in pv.rows}
    assert got == {"1.1": ("2026-Q4", "done", date(2026, 11, 15), None),
                   "1.2": ("2026-Q4", "blocked", None, "Sở Tài chính"),
                   "4.1": ("2026-Q4", "not_started", None, None)}


def test_a_csv_of_reports_reads_the_same(con):
    text = ("Kế hoạch;Số nhiệm vụ;Quý báo cáo;Tình trạng;Số/ngày văn bản\n"
            "71/KH-UBND;1.10;Quý IV/2026;Hoàn thành;QĐ 7\n71/KH-UBND;1.1;Quý IV/2026;Đang thực hiện;\n")
    pv = task_import.preview(con, text.encode("utf-8"), "bc.csv", "canbo-syt", today=AS_OF)
    assert pv.file_format == "csv"
    [error] = pv.errors   # 1.10 is no task of the plan (a csv cell's type is not known: read as a number too)
    assert error.code == "unknown_task" and error.row == 2
    assert [r.report.task_no for r in pv.rows] == ["1.1"]


def test_the_template_saved_as_xls_or_ods_by_libreoffice_reads_the_same(con, tmp_path):
    """.xls and .ods do not tell number cells from text: a 3.1 there is read by the row's task title."""
    from tests.store.test_import_formats import soffice
    if soffice() is None:
        missing("LibreOffice Calc is not installed (apt-get install libreoffice-calc)", ".xls/.ods task report test skipped")
    source = tmp_path / "bao_cao.xlsx"
    source.write_bytes(fill(syt_template(con), {
        "1.1": {"Tình trạng": "Hoàn thành", "Số/ngày văn bản": "QĐ 1", "Ngày hoàn thành": date(2026, 3, 20)},
        "3.10": {"Số nhiệm vụ": 3.1, "Tình trạng": "Vướng mắc", "Cần hỗ trợ gì": "Kinh phí"}}))
    expected = [("1.1", "done", date(2026, 3, 20)), ("3.10", "blocked", None)]
    for ext in ("xls", "ods"):
        done = subprocess.run([soffice(), "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                               ext, "--outdir", str(tmp_path), str(source)], capture_output=True, timeout=180)
        saved = tmp_path / f"bao_cao.{ext}"
        assert done.returncode == 0 and saved.exists(), done.stderr.decode(errors="replace")
        pv = task_import.preview(con, saved.read_bytes(), saved.name, "canbo-syt", today=AS_OF)
        assert pv.file_format == ext and not pv.errors and pv.n_blank == 33
        assert [(r.report.task_no, r.report.state, r.report.completed_on) for r in pv.rows] == expected
        [warning] = pv.warnings
        assert warning.code == "task_number_cell" and "không rõ là số hay chữ" in warning.message


def test_a_file_without_a_task_header_or_with_two_plans_is_an_error(con):
    pv = task_import.preview(con, own_sheet(["Mã địa phương", "Giá trị"], [["01", 5]]), "chi_tieu.xlsx",
                             "canbo-syt", today=AS_OF)
    assert [e.code for e in pv.errors] == ["no_header"] and "hãy dùng tệp mẫu" in pv.errors[0].message
    header = ["Kế hoạch", "Số nhiệm vụ", "Quý báo cáo", "Tình trạng"]
    pv = task_import.preview(con, own_sheet(header, [["71/KH-UBND", "1.1", "Quý IV/2026", "Hoàn thành"],
                                                     ["HN-239-2024", "1.2", "Quý IV/2026", "Hoàn thành"]]),
                             "hai.xlsx", "canbo-syt", today=AS_OF)
    [error] = pv.errors
    assert (error.row, error.column, error.code) == (3, "A (Kế hoạch)", "other_plan")
    pv = task_import.preview(con, own_sheet(header, [["71/KH-UBND", "1.1", "Quý IV/2026", "Hoàn thành"],
                                                     ["71/KH", "1.2", "Quý IV/2026", "Hoàn thành"],
                                                     ["71/KH", "1.3", "Quý IV/2026", "Hoàn thành"],
                                                     [None, "2.4", "Quý IV/2026", "Hoàn thành"]]),
                             "sai_so.xlsx", "canbo-syt", today=AS_OF)
    assert [(e.row, e.code) for e in pv.errors] == [(3, "unknown_plan"), (4, "unknown_plan")]
    assert sorted(r.report.task_no for r in pv.rows) == ["1.1", "2.4"]   # a blank plan cell: the file's plan


# --- the command line ----------------------------------------------------------------------------
def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_template_then_dry_run_then_import(con, seeded_db, tmp_path, capsys):
    con.close()
    target = tmp_path / "mau.xlsx"
    code, out, _ = run(capsys, "--db", str(seeded_db), "tasks", "template", "--plan", "71/KH-UBND", "--user",
                       "canbo-stc", "-o", str(target))
    assert code == 0 and "Đã ghi mẫu" in out
    filled = tmp_path / "da_dien.xlsx"
    filled.write_bytes(fill(target.read_bytes(), {"2.3": {"Tình trạng": "Hoàn thành quá hạn",
                                                          "Số/ngày văn bản": "QĐ 88/QĐ-UBND"}}))
    code, out, _ = run(capsys, "--db", str(seeded_db), "tasks", "import", str(filled), "--user", "canbo-stc",
                       "--dry-run", "--format", "json")
    found = json.loads(out)
    assert code == 0 and found["n_new"] == 1 and not found["committed"] and found["dry_run"]
    assert found["reports"][0]["task_no"] == "2.3" and found["reports"][0]["state"] == "done_late"
    c = connect(seeded_db)
    assert (count(c, "task_report"), count(c, "task_upload")) == (0, 0)   # the dry run wrote nothing
    c.close()
    code, out, _ = run(capsys, "--db", str(seeded_db), "tasks", "import", str(filled), "--user", "canbo-stc")
    assert code == 0 and "Đã ghi lần báo cáo nhiệm vụ số 1" in out and "MỚI" in out
    code, out, _ = run(capsys, "--db", str(seeded_db), "tasks", "import", str(filled), "--user", "canbo-stc")
    assert code == 0 and "Không có gì thay đổi" in out
    code, out, _ = run(capsys, "--db", str(seeded_db), "tasks", "list", "--plan", "71/KH-UBND", "--agency",
                       "so_tai_chinh", "--format", "json")
    assert [t["reported_state"] for t in json.loads(out)["tasks"]] == ["done_late", None]


def test_cli_exit_codes_for_errors_refusals_and_bad_arguments(con, seeded_db, tmp_path, capsys):
    wrong = tmp_path / "loi.xlsx"
    wrong.write_bytes(fill(syt_template(con), {"1.1": {"Tình trạng": "xong"}}))
    theirs = tmp_path / "cua_so_y_te.xlsx"
    theirs.write_bytes(fill(syt_template(con), {"1.1": {"Tình trạng": "Đang thực hiện"}}))
    fake = tmp_path / "gia.xlsx"
    fake.write_bytes(b"%PDF-1.4\n")
    con.close()
    db = ["--db", str(seeded_db), "tasks"]
    code, out, _ = run(capsys, *db, "import", str(wrong), "--user", "canbo-syt", "--format", "json")
    assert code == 1 and json.loads(out)["errors"][0]["column"] == "H (Tình trạng)"
    code, out, _ = run(capsys, *db, "import", str(theirs), "--user", "canbo-stc")
    assert code == 5 and "TỪ CHỐI" in out and "Sở Y tế" in out
    code, out, _ = run(capsys, *db, "import", str(theirs), "--user", "canbo-stc", "--dry-run", "--format", "json")
    assert code == 5 and json.loads(out)["refused_tasks"] == ["1.1"]
    code, out, err = run(capsys, *db, "import", str(fake), "--user", "canbo-syt")
    assert code == 1 and "tệp PDF" in err
    code, _, err = run(capsys, *db, "import", str(tmp_path / "khong_co.xlsx"), "--user", "canbo-syt")
    assert code == 2 and "Không tìm thấy tệp" in err
    code, _, err = run(capsys, *db, "template", "--plan", "99/KH-UBND", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and "Không có kế hoạch" in err
    code, _, err = run(capsys, *db, "template", "--plan", PLAN, "--quarter", "2026", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and "không phải một quý" in err
    code, _, err = run(capsys, *db, "template", "--plan", PLAN, "--user", "canbo-moi", "-o", str(tmp_path / "x.xlsx"))
    assert code == 5 and "chưa được gán cơ quan nào" in err
    c = connect(seeded_db)
    try:
        assert (count(c, "task_report"), count(c, "task_upload")) == (0, 0)
        events = refused_events(c)
        assert len(events) == 2 and all("dòng lệnh" in d for _, d in events)   # each attempt once, from the CLI
    finally:
        c.close()
