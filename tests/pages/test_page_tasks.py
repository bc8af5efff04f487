"""AppTest of the task pages (issue 15, point 4): the board "Nhiệm vụ" as of a date, by group, Tổ
công tác, lead agency and directing Vice-Chair; one task's page with its history and the report
form (who sees it, who is told why not); the admin's agency grants, group ↔ Tổ mapping and task
list import; the locality page's link to Hà Nội's tasks.

Run through app.py, as a visitor would: the pages open each other (st.switch_page, st.page_link)."""
from __future__ import annotations

import html
import io
import re
from datetime import date

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from indicators.auth.admin import create_account, set_password
from indicators.store import gate
from indicators.tasks import reports
from indicators.tasks.reports import TaskReport
from indicators.tasks.states import MARKS
from tests.conftest import ROOT, signed_in

PASSWORD = "mat-khau-thu-nghiem"
PLAN = "HN-71-2026"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def task_db(seeded_db):
    """Hà Nội's officers of Sở Y tế and Sở Tài chính (each granted their agency), a viewer, an admin."""
    with gate.writing(seeded_db) as con:
        set_password(con, "quantri", "quantri", PASSWORD)
        create_account(con, "quantri", "canbo_syt", "Cán bộ Sở Y tế", "officer", "01", PASSWORD)
        create_account(con, "quantri", "canbo_stc", "Cán bộ Sở Tài chính", "officer", "01", PASSWORD)
        create_account(con, "quantri", "lanhdao", "Lãnh đạo Thành phố", "viewer", "01", PASSWORD)
        reports.grant_agency(con, "quantri", "canbo_syt", "so_y_te")
        reports.grant_agency(con, "quantri", "canbo_stc", "so_tai_chinh")
    return seeded_db


def open_page(page: str, user: str | None = None, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if user:
        signed_in(at, user)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(str(ROOT / "pages" / page)).run()
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    """The text a reader sees of Markdown the page escaped (widgets.safe)."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def table(at: AppTest, column: str):
    """The first table with that column (AppTest does not keep st.dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def shown(state: str, label: str) -> str:
    """A state as the pages show it: its mark, then its label."""
    return f"{MARKS[state]} {label}"


def metrics(at: AppTest) -> dict[str, int]:
    """Summary label (its state's mark left out) -> count."""
    marks = set(MARKS.values())
    return {(m.label.split(" ", 1)[1] if m.label.split(" ", 1)[0] in marks else m.label): int(m.value)
            for m in at.metric}


def texts(at: AppTest, kind: str = "markdown") -> str:
    return "\n".join(plain(e.value) for e in getattr(at, kind))


# --- the board ----------------------------------------------------------------------------------
def test_the_board_as_of_a_date_counts_the_overdue_tasks(task_db):
    at = open_page("tasks.py", plan=PLAN, as_of="2026-12-02")
    assert at.title[0].value == "Nhiệm vụ"
    counts = metrics(at)
    assert counts["Tổng số nhiệm vụ"] == 43 and counts["Quá hạn"] == 31
    assert counts["Chưa có báo cáo nào"] == 43 and counts["Hoàn thành"] == 0
    assert "tính đến ngày 02/12/2026" in texts(at, "warning")
    assert at.query_params["as_of"] == "2026-12-02"
    overdue = table(at, "Thời hạn")   # the full list below shows the deadline as a date only
    assert len(overdue) == 31
    assert overdue["Số ngày trễ"].tolist() == sorted(overdue["Số ngày trễ"], reverse=True)
    first = overdue.iloc[0]
    assert (first["Số"], first["Thời hạn"], first["Hạn"], first["Số ngày trễ"]) == ("2.1", "Tháng 2 năm 2026",
                                                                                    "28/02/2026", 277)
    assert first["Cơ quan chủ trì"] == "Sở Y tế; Sở Quy hoạch - Kiến trúc"
    assert first["Báo cáo gần nhất"].endswith("Chưa báo cáo")
    by_group = table(at, "Nhóm nhiệm vụ")
    assert by_group["Tổng"].sum() == 43 and by_group.iloc[2]["Nhóm nhiệm vụ"].startswith("3. Chuyển đổi số")
    # Every state is shown with its mark and its label, never by colour alone.
    assert shown("overdue", "Quá hạn") in by_group.columns and shown("done_late", "Hoàn thành quá hạn") in by_group.columns


def test_a_day_before_a_deadline_the_task_is_not_yet_overdue(task_db):
    at = open_page("tasks.py", plan=PLAN, as_of="2026-02-28")   # 2.1's deadline: February 2026
    assert metrics(at)["Quá hạn"] == 0
    at.date_input(key="tasks_as_of").set_value(date(2026, 3, 1)).run()
    assert metrics(at)["Quá hạn"] == 1
    assert at.query_params["as_of"] == "2026-03-01"


@pytest.mark.parametrize("by,heading", [("team", "Tổ công tác"), ("leader", "Phó Chủ tịch chỉ đạo")])
def test_without_a_mapping_every_group_is_not_yet_assigned_a_team(task_db, by, heading):
    at = open_page("tasks.py", plan=PLAN, as_of="2026-12-02")
    at.segmented_control(key="tasks_by").set_value(by).run()
    counts = table(at, heading)
    assert counts[heading].tolist() == ["chưa phân Tổ"] and counts["Tổng"].tolist() == [43]
    assert "chưa phân Tổ" in texts(at, "caption")


def test_the_lead_agency_view_and_filter(task_db):
    at = open_page("tasks.py", plan=PLAN, as_of="2026-12-02", by="agency")
    counts = table(at, "Cơ quan chủ trì").set_index("Cơ quan chủ trì")
    assert counts.loc["Sở Y tế", "Tổng"] == 35 and counts.loc["Sở Tài chính", "Tổng"] == 2
    at.pills(key="tasks_agency").set_value("so_tai_chinh").run()
    listed = table(at, "Tình trạng")
    assert listed["Số"].tolist() == ["2.3", "9.3"]
    assert "2 nhiệm vụ do Sở Tài chính chủ trì" in texts(at)
    assert at.query_params["agency"] == "so_tai_chinh"


def test_a_link_with_the_agency_opens_its_tasks(task_db):
    at = open_page("tasks.py", plan="71/KH-UBND", agency="so_tai_chinh")   # the plan's number works too
    assert table(at, "Tình trạng")["Số"].tolist() == ["2.3", "9.3"]


def test_after_an_admin_maps_group_3_to_team_3_the_team_view_shows_it(task_db):
    admin = open_page("admin_tasks.py", "quantri")
    assert "không nêu nhóm nhiệm vụ nào do Tổ công tác nào theo dõi" in texts(admin, "info")
    admin.selectbox(key="team_group").set_value(3)
    admin.selectbox(key="team_pick").set_value(3)
    admin.button(key="FormSubmitter:group_team-Lưu").click().run()
    assert not admin.exception, admin.exception
    assert "Nhóm 3 giao Tổ công tác số 3" in texts(admin, "success")
    groups = table(admin, "Tổ công tác")
    assert groups.set_index("Nhóm").loc[3, "Tổ công tác"].startswith("Tổ 3 – Tổ công tác về chuyển đổi số")

    at = open_page("tasks.py", plan=PLAN, as_of="2026-12-02", by="team")
    teams = table(at, "Tổ công tác").set_index("Tổ công tác")
    assert teams.loc["Tổ 3", "Tổng"] == 13 and teams.loc["chưa phân Tổ", "Tổng"] == 30
    at.segmented_control(key="tasks_by").set_value("leader").run()
    leaders = table(at, "Phó Chủ tịch chỉ đạo").set_index("Phó Chủ tịch chỉ đạo")
    assert leaders.loc["Đồng chí Trương Việt Dũng", "Tổng"] == 13


# --- one task -------------------------------------------------------------------------------------
def test_the_task_page_shows_the_task_and_its_history(task_db):
    with gate.writing(task_db) as con:
        reports.record(con, "canbo_syt", [TaskReport(PLAN, "3.10", "2026-Q3", "in_progress", result="Đã khảo sát")])
        wrong = reports.record(con, "canbo_syt", [TaskReport(PLAN, "3.10", "2026-Q4", "blocked", needs="Vốn",
                                                             needs_from="Sở Tài chính")])
        reports.revert(con, wrong, "quantri")
    at = open_page("task.py", plan=PLAN, task="3.10")
    assert plain(at.title[0].value) == "Nhiệm vụ 3.10"
    assert plain(at.subheader[0].value).startswith("Dự án chuyển đổi số tổng thể")
    body = texts(at)
    assert "**Cơ quan chủ trì:**" in body and "Sở Y tế" in body
    assert "Quý II năm 2026 (hạn 30/06/2026)" in body
    history = table(at, "Hiệu lực")
    assert history["Quý"].tolist() == ["Quý IV/2026", "Quý III/2026"]
    assert history["Tình trạng"].tolist() == [shown("blocked", "Vướng mắc"), shown("in_progress", "Đang thực hiện")]
    assert history["Hiệu lực"].iloc[0].startswith("↩ Đã hoàn tác") and history["Hiệu lực"].iloc[1] == "● Đang áp dụng"
    assert history["Kiến nghị"].iloc[0] == "Vốn (từ Sở Tài chính)"
    # Today it is overdue whatever was reported (its deadline has passed), and says by how much.
    badge = html.unescape(at.get("html")[0].proto.body)
    assert shown("overdue", "Quá hạn") in badge and "so với hạn 30/06/2026" in badge
    assert "Đang thực hiện (Quý III/2026)" in body


def test_the_task_page_links_the_target_it_serves(task_db):
    at = open_page("task.py", plan=PLAN, task="2.3")
    links = [(plain(p.proto.label), p.proto.page) for p in at.get("page_link")]
    assert any(label == "Tỷ lệ giường bệnh ngoài công lập trên tổng số giường bệnh" and "chi-tieu" in page
               for label, page in links), links


def report_form(at: AppTest, state: str, **fields) -> AppTest:
    at.selectbox(key="report_state_0").set_value(state)
    for key, value in fields.items():
        widget = at.date_input(key=f"report_{key}_0") if key == "completed" else (
            at.text_area(key=f"report_{key}_0") if key in ("result", "needs") else at.text_input(key=f"report_{key}_0"))
        widget.set_value(value)
    at.button(key="FormSubmitter:task_report_0-Gửi báo cáo").click().run()
    assert not at.exception, at.exception
    return at


def test_an_officer_of_the_lead_agency_reports_and_the_board_changes(task_db):
    board = open_page("tasks.py", plan=PLAN)
    before = metrics(board)
    at = open_page("task.py", "canbo_syt", plan=PLAN, task="1.1")
    assert at.selectbox(key="report_period_0").value == f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"
    report_form(at, "done", result="Đã ban hành kế hoạch", product="Kế hoạch 321/KH-SYT ngày 20/03/2026",
                completed=date(2026, 3, 20))
    assert "Đã ghi báo cáo nhiệm vụ 1.1" in texts(at, "success")
    assert shown("done", "Hoàn thành") in texts(at, "success")
    history = table(at, "Hiệu lực")
    assert history["Tình trạng"].tolist() == [shown("done", "Hoàn thành")] and history["Văn bản/sản phẩm"].tolist() == [
        "Kế hoạch 321/KH-SYT ngày 20/03/2026"]
    assert "Đã ban hành kế hoạch" in texts(at)
    after = metrics(open_page("tasks.py", plan=PLAN))
    assert after["Quá hạn"] == before["Quá hạn"] - 1
    assert after["Hoàn thành"] == before["Hoàn thành"] + 1
    assert after["Chưa có báo cáo nào"] == before["Chưa có báo cáo nào"] - 1


def test_a_report_without_what_it_needs_is_recorded_with_a_warning(task_db):
    at = open_page("task.py", "canbo_syt", plan=PLAN, task="3.1")
    report_form(at, "blocked", result="Chưa có khung pháp lý")
    assert "Đã ghi báo cáo" in texts(at, "success")
    assert "chưa ghi cần gì, từ cơ quan nào" in texts(at, "warning")


def test_a_late_task_reported_stuck_counts_as_stuck_on_the_board(task_db):
    """An overdue task stays overdue whatever is reported; the board still counts it among the
    tasks that need help."""
    before = metrics(open_page("tasks.py", plan=PLAN))
    at = open_page("task.py", "canbo_syt", plan=PLAN, task="1.2")   # due 31/03/2026
    report_form(at, "blocked", result="Chờ ý kiến Sở Nội vụ", needs="Góp ý quy tắc", needs_from="Sở Nội vụ")
    assert "Đã ghi báo cáo" in texts(at, "success")
    after = metrics(open_page("tasks.py", plan=PLAN))
    assert after["Quá hạn"] == before["Quá hạn"] and after["Vướng mắc"] == before["Vướng mắc"] + 1


def test_a_wrong_report_is_refused_with_the_reason(task_db):
    at = open_page("task.py", "canbo_syt", plan=PLAN, task="1.1")
    report_form(at, "in_progress", completed=date(2026, 3, 20))
    assert "không phải “Hoàn thành”" in texts(at, "error")
    with gate.reading(task_db) as con:
        assert con.execute("select count(*) from task_report").fetchone()[0] == 0
    # What was typed is still there to correct.
    assert at.date_input(key="report_completed_0").value == date(2026, 3, 20)


def test_an_officer_of_another_agency_sees_why_not_a_form(task_db):
    at = open_page("task.py", "canbo_stc", plan=PLAN, task="1.1")
    assert not at.get("form") or not any("task_report" in str(f.proto) for f in at.get("form"))
    with pytest.raises(KeyError):
        at.selectbox(key="report_state_0")
    why = texts(at, "info")
    assert "do Sở Y tế chủ trì" in why and "báo cáo cho Sở Tài chính" in why


@pytest.mark.parametrize("user,expected", [("lanhdao", "tài khoản xem"), (None, "đăng nhập để báo cáo")])
def test_a_viewer_or_a_visitor_sees_no_form(task_db, user, expected):
    at = open_page("task.py", user, plan=PLAN, task="1.1")
    with pytest.raises(KeyError):
        at.selectbox(key="report_state_0")
    assert expected in texts(at, "info")


def test_an_admin_reports_any_task_and_reverts(task_db):
    at = open_page("task.py", "quantri", plan=PLAN, task="2.3")
    report_form(at, "in_progress", result="Đang dự thảo")
    assert "Đã ghi báo cáo nhiệm vụ 2.3" in texts(at, "success")
    at.button(key="task_revert").click().run()
    assert not at.exception, at.exception
    assert "Đã hoàn tác lần báo cáo nhiệm vụ số 1" in texts(at, "success")
    assert table(at, "Hiệu lực")["Hiệu lực"].iloc[0].startswith("↩ Đã hoàn tác")


# --- administration -----------------------------------------------------------------------------
def test_an_admin_assigns_an_account_to_an_agency(task_db):
    at = open_page("admin_tasks.py", "quantri")
    at.selectbox(key="grant_who").set_value("lanhdao")
    at.selectbox(key="grant_agency").set_value("bhxh_ha_noi")
    at.button(key="FormSubmitter:agency_grant-Gán cơ quan").click().run()
    assert not at.exception, at.exception
    assert "lanhdao" in texts(at, "success") and "Bảo hiểm xã hội thành phố Hà Nội" in texts(at, "success")
    grants = table(at, "agency_name")
    assert ["lanhdao", "Bảo hiểm xã hội thành phố Hà Nội"] in grants[["user_name", "agency_name"]].values.tolist()
    at.selectbox(key="grant_who").set_value("lanhdao")
    at.selectbox(key="grant_agency").set_value("bhxh_ha_noi")
    at.button(key="FormSubmitter:agency_grant-Bỏ gán").click().run()
    assert "không còn báo cáo" in texts(at, "success")


def test_an_officer_cannot_open_the_task_administration(task_db):
    at = AppTest.from_file(str(ROOT / "pages" / "admin_tasks.py"), default_timeout=60)
    signed_in(at, "canbo_syt")
    at.run()
    assert any("không có quyền" in e.value for e in at.error)
    assert not at.get("file_uploader")


def task_list_file(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["group_no", "task_no", "task_title", "lead_agency", "partner_agencies", "product", "deadline_text",
               "deadline_period", "indicator_codes", "group_title"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_an_admin_adds_tasks_from_a_list_and_the_board_shows_them(task_db):
    at = open_page("admin_tasks.py", "quantri")
    assert at.selectbox(key="list_plan").value == PLAN
    bad = task_list_file([[10, "10.1", "Theo dõi nhiệm vụ", "Sở Ngoại giao", None, "Báo cáo", "Quý II năm 2027",
                           None, None, "Theo dõi, đánh giá"]])
    at.file_uploader[0].set_value(("bo_sung.xlsx", bad, XLSX)).run()
    assert not at.exception, at.exception
    assert "1 lỗi; chưa thêm nhiệm vụ nào" in texts(at, "error")
    assert "Dòng 2, cột D (lead_agency): chưa có cơ quan “Sở Ngoại giao”" in texts(at)
    good = task_list_file([[10, "10.1", "Theo dõi nhiệm vụ", "Sở Y tế", "Sở Tài chính", "Báo cáo",
                            "Quý II năm 2027", None, None, "Theo dõi, đánh giá"],
                           [1, "1.1", "Tập trung đầu tư nâng cấp cơ sở hạ tầng, thiết bị y tế tại các bệnh viện, cơ "
                                      "sở trợ giúp xã hội xuống cấp", "Sở Y tế", None, None, "Quý I năm 2026",
                            "2026-Q1", None, None]])
    at.file_uploader[0].set_value(("bo_sung_2.xlsx", good, XLSX)).run()
    assert "1 nhiệm vụ mới" in texts(at) and "1 nhiệm vụ đã có được giữ nguyên (1.1)" in texts(at)
    at.button(key="task_list_add").click().run()
    assert not at.exception, at.exception
    assert "Đã thêm 1 nhiệm vụ vào kế hoạch HN-71-2026" in texts(at, "success")
    board = open_page("tasks.py", plan=PLAN, as_of="2026-12-02")
    assert metrics(board)["Tổng số nhiệm vụ"] == 44
    assert table(board, "Tình trạng")["Số"].iloc[-1] == "10.1"
    with gate.reading(task_db) as con:
        event = con.execute("select user_name, action, detail from audit_event where action = 'task_change' "
                            "order by event_id desc limit 1").fetchone()
    assert event[0] == "quantri" and "thêm 1 nhiệm vụ (10.1) từ tệp “bo_sung_2.xlsx”" in event[2]


# --- the locality page ----------------------------------------------------------------------------
def test_the_locality_page_of_ha_noi_links_to_its_tasks(task_db):
    at = open_page("locality.py", locality="01")
    links = [plain(p.proto.label) for p in at.get("page_link")]
    today_overdue = metrics(open_page("tasks.py", plan=PLAN))["Quá hạn"]
    assert f"Nhiệm vụ của kế hoạch 71/KH-UBND: {today_overdue} quá hạn" in links
    lai_chau = open_page("locality.py", locality="12")
    assert not [p for p in lai_chau.get("page_link") if "Nhiệm vụ" in p.proto.label]


# --- typed text ---------------------------------------------------------------------------------
@pytest.mark.parametrize("page,user,params", [
    ("tasks.py", None, {"plan": PLAN, "as_of": "2026-12-02"}),
    ("tasks.py", None, {"plan": PLAN, "by": "agency", "agency": "so_tai_chinh"}),
    ("task.py", "canbo_syt", {"plan": PLAN, "task": "1.1"}),
    ("task.py", "canbo_stc", {"plan": PLAN, "task": "1.1"}),
    ("admin_tasks.py", "quantri", {}),
])
def test_stored_text_is_shown_as_text(task_db, page, user, params):
    """Titles, agency names, reports and a display name holding Markdown and HTML are text."""
    from tests.pages.test_page_typed_text import PAYLOAD, assert_no_markup, shows_payload
    with gate.writing(task_db) as con:
        reports.record(con, "canbo_syt", [TaskReport(PLAN, "1.1", "2026-Q3", "blocked", result=PAYLOAD,
                                                     needs=PAYLOAD, needs_from=PAYLOAD)])
        con.execute("update plan_task set title = title || ' ' || $p, product = $p where task_no in ('1.1', '2.3')",
                    {"p": PAYLOAD})
        con.execute("update agency set name_vi = name_vi || ' ' || $p where agency_code in ('so_y_te', 'so_tai_chinh')",
                    {"p": PAYLOAD})
        con.execute("update task_group set title = title || ' ' || $p", {"p": PAYLOAD})
        con.execute("update account set display_name = $p where user_name = 'canbo_syt'", {"p": PAYLOAD})
    texts = assert_no_markup(open_page(page, user, **params))
    if page == "task.py":   # the title, the agency, the report's texts: there, as text
        assert shows_payload(texts)
