"""An admin adds a plan's tasks from a list in the columns of data/seed/plan_tasks.csv (issue 15):
read safely, every error named by row and column, added in one transaction with an audit event,
tasks already in the plan kept as they are."""
from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from indicators.auth.accounts import PermissionDenied
from indicators.auth.admin import create_account
from indicators.store import gate
from indicators.tasks import listing
from indicators.tasks.sheets import task_list_import
from indicators.tasks.catalogue import TaskListError
from indicators.tasks.sheets.task_list_import import add_task_list, preview_task_list

PLAN = "HN-71-2026"
HEADER = ["group_no", "task_no", "task_title", "lead_agency", "partner_agencies", "product", "deadline_text",
          "deadline_period", "indicator_codes", "group_title"]
NEW = [10, "10.1", "Xây dựng bộ chỉ số theo dõi nhiệm vụ", "Sở Y tế (chủ trì, tổng hợp); Sở Tài chính",
       "Sở Nội vụ; các cơ quan, đơn vị liên quan", "Kế hoạch", "Quý II năm 2027", None, "private_beds_share",
       "Theo dõi, đánh giá"]


def workbook(rows: list[list], header: list[str] = HEADER, title: str | None = "Danh sách nhiệm vụ bổ sung") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    if title:
        ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def preview(db, content: bytes, name: str = "bo_sung.xlsx", user: str = "quantri", plan: str = PLAN):
    with gate.reading(db) as con:
        return preview_task_list(con, user, plan, content, name)


def add(db, pv, user: str = "quantri") -> str:
    with gate.writing(db) as con:
        return add_task_list(con, user, pv)


def value(db, sql: str):
    with gate.reading(db) as con:
        return con.execute(sql).fetchone()[0]


count = value


def test_new_tasks_are_added_with_their_agencies_targets_and_group(seeded_db):
    pv = preview(seeded_db, workbook([NEW, [10, "10.2", "Đánh giá giữa kỳ", "Sở Y tế", None, "Báo cáo",
                                            "Năm 2028", "2028", None, None]]))
    assert pv.errors == [] and pv.n_new == 2 and pv.new_groups == {10: "Theo dõi, đánh giá"}
    assert pv.columns["lead_agency"] == "D (lead_agency)"
    assert "Dòng 3: kỳ hạn 2027-Q2 đọc từ thời hạn “Quý II năm 2027”." in pv.notes   # row 3: under a title row
    message = add(seeded_db, pv)
    assert message == "Đã thêm 2 nhiệm vụ vào kế hoạch HN-71-2026."
    with gate.reading(seeded_db) as con:
        tasks = listing.task_list(con, PLAN, date(2027, 7, 1))
        agencies = con.execute("select role, position, agency_code, role_note from task_agency "
                               "where plan_code = $p and task_no = '10.1' order by role, position", {"p": PLAN}).fetchall()
        added = con.execute("select added_by, added_at is not null, position from plan_task "
                            "where plan_code = $p and task_no = '10.1'", {"p": PLAN}).fetchone()
        event = con.execute("select user_name, detail from audit_event where action = 'task_change' "
                            "order by event_id desc limit 1").fetchone()
    assert len(tasks) == 45 and tasks["task_no"].tolist()[-2:] == ["10.1", "10.2"]
    row = tasks.set_index("task_no").loc["10.1"]
    assert (row["deadline_period"], str(row["deadline_date"])[:10], row["group_title"]) == (
        "2027-Q2", "2027-06-30", "Theo dõi, đánh giá")
    assert list(row["indicator_codes"]) == ["private_beds_share"] and row["state"] == "overdue"
    assert agencies == [("lead", 1, "so_y_te", "chủ trì, tổng hợp"), ("lead", 2, "so_tai_chinh", None),
                        ("partner", 1, "so_noi_vu", None), ("partner", 2, "lien_quan", None)]
    assert added == ("quantri", True, 44)   # after the plan's 43 tasks
    assert event[0] == "quantri" and "thêm 2 nhiệm vụ (10.1, 10.2) từ tệp “bo_sung.xlsx”" in event[1]
    assert "thêm nhóm 10" in event[1]


def test_the_seed_list_itself_adds_nothing(seeded_db):
    from indicators.tasks.catalogue import SEED_DIR
    pv = preview(seeded_db, (SEED_DIR / "plan_tasks.csv").read_bytes(), "plan_tasks.csv")
    assert pv.errors == [] and pv.n_new == 0 and len(pv.existing) == 43 and pv.warnings == []
    with pytest.raises(TaskListError, match="đã có trong kế hoạch"):
        add(seeded_db, pv)


def test_a_task_already_in_the_plan_is_kept_with_a_warning_when_written_differently(seeded_db):
    pv = preview(seeded_db, workbook([NEW, [1, "1.1", "Một tên khác", "Sở Y tế", None, None, "Quý I năm 2026",
                                            "2026-Q1", None, None]]))
    assert pv.n_new == 1 and pv.existing == ["1.1"]
    assert pv.warnings == ["dòng 4: nhiệm vụ 1.1 đã có trong kế hoạch và được ghi khác ở danh sách; giữ nguyên "
                           "nhiệm vụ đã có (danh sách chỉ thêm nhiệm vụ mới)."]
    add(seeded_db, pv)
    assert value(seeded_db, "select title from plan_task where task_no = '1.1'").startswith("Tập trung đầu tư")


def test_a_new_group_without_a_title_is_named_by_its_number(seeded_db):
    pv = preview(seeded_db, workbook([[11, "11.1", "Nhiệm vụ mới", "Sở Y tế", None, None, "Năm 2027", "2027",
                                       None, None]]))
    assert pv.new_groups == {11: "Nhóm 11"} and "kế hoạch chưa có nhóm 11" in pv.warnings[0]


@pytest.mark.parametrize("row,expected", [
    ([10, "10.1", None, "Sở Y tế", None, None, "Năm 2027", "2027", None, None],
     "dòng 3: thiếu cột C (task_title)"),
    ([10, "10.1", "Nhiệm vụ", "Sở Ngoại giao", None, None, "Năm 2027", "2027", None, None],
     "dòng 3, cột D (lead_agency): chưa có cơ quan “Sở Ngoại giao” trong danh mục cơ quan"),
    ([10, "10.1", "Nhiệm vụ", "Sở Y tế", "Sở Y tế; Bộ Ngoại giao", None, "Năm 2027", "2027", None, None],
     "dòng 3, cột E (partner_agencies): chưa có cơ quan “Bộ Ngoại giao” trong danh mục cơ quan"),
    ([10, "10.1", "Nhiệm vụ", "Sở Y tế", None, None, "Năm 2027", "Quý 5/2027", None, None],
     "dòng 3, cột H (deadline_period): “Quý 5/2027” không đọc được thành kỳ hạn"),
    ([10, "10.1", "Nhiệm vụ", "Sở Y tế", None, None, "Sớm nhất có thể", None, None, None],
     "dòng 3, cột G (deadline_text): “Sớm nhất có thể” không đọc được thành kỳ hạn"),
    ([10, "10.1", "Nhiệm vụ", "Sở Y tế", None, None, None, None, None, None],
     "dòng 3: thiếu cột G (deadline_text), cột H (deadline_period)"),
    (["mười", "10.1", "Nhiệm vụ", "Sở Y tế", None, None, "Năm 2027", "2027", None, None],
     "dòng 3, cột A (group_no): “mười” không phải số nhóm"),
    ([10, "10.1", "Nhiệm vụ", "Sở Y tế", None, None, "Năm 2027", "2027", "khong_co_chi_tieu", None],
     "dòng 3, cột I (indicator_codes): không có chỉ tiêu “khong_co_chi_tieu” trong danh mục chỉ tiêu."),
])
def test_each_error_names_its_row_and_column_and_nothing_is_added(seeded_db, row, expected):
    pv = preview(seeded_db, workbook([row]))
    assert any(e.startswith(expected) for e in pv.errors), pv.errors
    with pytest.raises(TaskListError, match="chưa thêm nhiệm vụ nào"):
        add(seeded_db, pv)
    assert count(seeded_db, "select count(*) from plan_task") == 43


def test_a_task_twice_and_a_row_for_another_plan(seeded_db):
    header = ["plan_code"] + HEADER
    pv = preview(seeded_db, workbook([[PLAN] + NEW, [PLAN] + NEW, ["LC-243-2025"] + NEW[:1] + ["10.9"] + NEW[2:]],
                                     header=header, title=None))
    assert "dòng 3: nhiệm vụ 10.1 xuất hiện hai lần" in pv.errors
    assert any(e.startswith("dòng 4, cột A (plan_code): kế hoạch “LC-243-2025” khác kế hoạch đang chọn")
               for e in pv.errors)


def test_headers_as_people_write_them_and_numbers_excel_made(seeded_db):
    header = ["Nhóm", "Số nhiệm vụ", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Sản phẩm", "Thời hạn"]
    pv = preview(seeded_db, workbook([[10.0, "10.1", "Nhiệm vụ", "Sở Y tế", None, None, "Tháng 6 năm 2027"]],
                                     header=header))
    assert pv.errors == [] and pv.n_new == 1
    new = pv.new_tasks.iloc[0]
    assert (new["group_no"], new["deadline_period"]) == (10, "2027-06")


def test_a_file_without_the_columns_or_not_a_spreadsheet_is_refused(seeded_db):
    with pytest.raises(TaskListError, match="không thấy trang nào có dòng tiêu đề"):
        preview(seeded_db, workbook([["a", "b"]], header=["Cột 1", "Cột 2"]))
    with pytest.raises(TaskListError, match="bị từ chối"):
        preview(seeded_db, b"<html><body>not a sheet</body></html>", "danh_sach.xlsx")


def test_only_an_admin_adds_tasks(seeded_db):
    with gate.writing(seeded_db) as con:
        create_account(con, "quantri", "canbo_syt", "Cán bộ Sở Y tế", "officer", "01", "mat-khau-thu-nghiem")
    with pytest.raises(PermissionDenied):
        preview(seeded_db, workbook([NEW]), user="canbo_syt")
    pv = preview(seeded_db, workbook([NEW]))
    with pytest.raises(PermissionDenied):
        add(seeded_db, pv, user="canbo_syt")
    assert count(seeded_db, "select count(*) from plan_task") == 43


def test_the_list_is_checked_again_when_added(seeded_db):
    """A task another admin added since the preview is kept, not added twice."""
    pv = preview(seeded_db, workbook([NEW]))
    add(seeded_db, preview(seeded_db, workbook([NEW])))
    with pytest.raises(TaskListError, match="đã có trong kế hoạch"):
        add(seeded_db, pv)
    assert count(seeded_db, "select count(*) from plan_task") == 44


def test_one_transaction_a_failure_leaves_nothing(seeded_db, monkeypatch):
    pv = preview(seeded_db, workbook([NEW]))

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit failed")

    monkeypatch.setattr(task_list_import, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        add(seeded_db, pv)
    assert count(seeded_db, "select count(*) from plan_task") == 43
    assert count(seeded_db, "select count(*) from task_agency where task_no = '10.1'") == 0
    assert count(seeded_db, "select count(*) from task_group where group_no = 10") == 0
