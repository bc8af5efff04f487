"""The 43 tasks of 71/KH-UBND as the reference transcription has them; overdue as of a date; who
may report which task; reports kept with their history and reverted."""
from __future__ import annotations

import csv
import json
import subprocess
from datetime import date, datetime

import pytest

from indicators.auth.accounts import PermissionDenied
from indicators.store.connection import connect
from indicators.tasks import listing, reports
from indicators.tasks.parse import deadline_date, split_agencies
from indicators.tasks.reports import ReportRefused, TaskReport
from tests.conftest import ROOT, cli_in_process
from tests.store.test_import import add_account

REFERENCE = ROOT / "data" / "reference" / "plan71_tasks.csv"
SHARED = ROOT.parent / "shared" / "reference" / "plan71_tasks.csv"
PLAN = "HN-71-2026"
AS_OF = date(2026, 12, 2)
AT = datetime(2026, 12, 1, 9, 30)   # when the tests' reports are made


@pytest.fixture
def con(seeded_db):
    c = connect(seeded_db)
    add_account(c, "admin", "admin", None)
    add_account(c, "canbo-syt", "officer", "01")
    add_account(c, "canbo-stc", "officer", "01")
    reports.grant_agency(c, "admin", "canbo-syt", "so_y_te")
    reports.grant_agency(c, "admin", "canbo-stc", "so_tai_chinh")
    yield c
    c.close()


def reference_rows() -> list[dict]:
    with open(REFERENCE, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.skipif(not SHARED.exists(), reason="the shared reference folder is not beside this checkout")
def test_the_repository_holds_the_reference_transcription_unchanged():
    assert REFERENCE.read_bytes() == SHARED.read_bytes()


def test_the_43_tasks_are_stored_exactly_as_the_reference_has_them(con):
    ref = reference_rows()
    assert len(ref) == 43
    stored = {r["task_no"]: r for r in con.execute(
        "select t.task_no, t.group_no, g.title as group_title, t.title, t.lead_text, t.partner_text, t.product, "
        "t.deadline_text, t.deadline_period, t.deadline_date from plan_task t join task_group g using (plan_code, group_no) "
        "where plan_code = $p", {"p": PLAN}).df().to_dict("records")}
    assert sorted(stored, key=lambda t: [int(x) for x in t.split(".")]) == [r["task_no"] for r in ref]
    for r in ref:
        s = stored[r["task_no"]]
        assert (int(s["group_no"]), s["group_title"], s["title"], s["lead_text"], s["partner_text"] or "", s["product"],
                s["deadline_text"], s["deadline_period"]) == (
            int(r["group_no"]), r["group_title"], r["task_title"], r["lead_agency"], r["partner_agencies"],
            r["product"], r["deadline_text"], r["deadline_period"]), r["task_no"]
        assert s["deadline_date"].date() == deadline_date(r["deadline_period"])


def test_each_task_links_to_the_agencies_it_names_in_order_with_their_roles(con):
    names = dict(con.execute("select agency_code, name_vi from agency").fetchall())
    linked = con.execute("select task_no, role, position, agency_code, role_note from task_agency "
                         "where plan_code = $p order by task_no, role, position", {"p": PLAN}).fetchall()
    by_task: dict[tuple[str, str], list] = {}
    for task_no, role, _, code, note in linked:
        by_task.setdefault((task_no, role), []).append((names[code], note))
    aliases = {"Bảo hiểm xã hội": "Bảo hiểm xã hội thành phố Hà Nội",
               "Mặt trận Tổ quốc Việt Nam thành phố Hà Nội": "Ủy ban Mặt trận Tổ quốc Việt Nam thành phố Hà Nội",
               "các đơn vị liên quan": "các cơ quan, đơn vị liên quan"}
    for r in reference_rows():
        for role, column in (("lead", "lead_agency"), ("partner", "partner_agencies")):
            written = [(aliases.get(a.name, a.name), a.role_note) for a in split_agencies(r[column])]
            assert by_task.get((r["task_no"], role), []) == written, (r["task_no"], role)
    assert by_task[("2.1", "lead")] == [("Sở Y tế", "cơ quan rà soát, đề xuất"),
                                        ("Sở Quy hoạch - Kiến trúc",
                                         "cơ quan tổng hợp, tích hợp Quy hoạch tổng thể 100 năm")]


def test_groups_teams_and_directing_vice_chairs_are_those_of_the_plan(con):
    groups = con.execute("select group_no, team_no from task_group where plan_code = $p order by 1", {"p": PLAN}).fetchall()
    assert [g for g, _ in groups] == list(range(1, 10))
    assert all(team is None for _, team in groups)   # the plan does not say which Tổ follows which group
    teams = con.execute("select team_no, title, directed_by from work_team where plan_code = $p order by 1",
                        {"p": PLAN}).fetchall()
    assert [t[0] for t in teams] == list(range(1, 9))
    assert teams[2][1] == "Tổ công tác về chuyển đổi số, khoa học công nghệ và đổi mới sáng tạo"
    assert {t[0] for t in teams if t[2] == "Đồng chí Trương Việt Dũng"} == {3}
    assert {t[0] for t in teams if t[2] == "Đồng chí Vũ Thu Hà"} == {1, 2, 4, 5, 6, 7, 8}
    assert con.execute("select indicator_code from task_indicator where plan_code = $p and task_no = '2.3'",
                       {"p": PLAN}).fetchall() == [("private_beds_share",)]


def run_cli(db, *args) -> subprocess.CompletedProcess:
    return cli_in_process(db, *args)


def test_cli_lists_every_task_due_before_the_date_as_overdue_when_nothing_is_reported(seeded_db):
    out = run_cli(seeded_db, "tasks", "list", "--plan", "71/KH-UBND", "--as-of", "2026-12-02", "--overdue",
                  "--format", "json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)["tasks"]
    due_before = {r["task_no"] for r in reference_rows() if deadline_date(r["deadline_period"]) < AS_OF}
    assert {t["task_no"] for t in listed} == due_before and len(due_before) == 31
    first = listed[0]
    assert first["task_no"] == "2.1" and first["days_late"] == 277 and first["deadline_date"] == "2026-02-28"
    assert list(first)[:11] == ["plan", "group_no", "task_no", "title", "lead_agencies", "deadline_text",
                                "deadline_date", "state", "overdue", "days_late", "last_report_on"]
    assert first["plan"] == "71/KH-UBND" and first["state"] == "overdue" and first["overdue"] is True
    assert first["last_report_on"] is None
    assert [t["days_late"] for t in listed] == sorted((t["days_late"] for t in listed), reverse=True)


def test_cli_agency_filter_and_unknown_plan(seeded_db):
    out = run_cli(seeded_db, "tasks", "list", "--plan", "HN-71-2026", "--agency", "tài chính", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [t["task_no"] for t in json.loads(out.stdout)["tasks"]] == ["2.3", "9.3"]
    table = run_cli(seeded_db, "tasks", "list", "--plan", "71/KH-UBND", "--as-of", "02/12/2026", "--overdue")
    assert table.returncode == 0 and "31 nhiệm vụ quá hạn tính đến 02/12/2026" in table.stdout
    assert "trễ 277 ngày" in table.stdout
    bad = run_cli(seeded_db, "tasks", "list", "--plan", "99/KH-UBND")
    assert bad.returncode == 2 and "Không có kế hoạch “99/KH-UBND”" in bad.stderr
    bad_date = run_cli(seeded_db, "tasks", "list", "--plan", "71/KH-UBND", "--as-of", "hôm qua")
    assert bad_date.returncode == 2 and "Ngày “hôm qua” không đọc được" in bad_date.stderr


def done(task_no: str, ref: str | None = "Quyết định số 123/QĐ-UBND ngày 15/11/2026", **kw) -> TaskReport:
    return TaskReport(PLAN, task_no, kw.pop("period", "2026-Q4"), kw.pop("state", "done"), result="Đã ban hành",
                      product_ref=ref, **kw)


def state_of(con, task_no: str, as_of: date = AS_OF) -> tuple[str, int]:
    row = listing.task_list(con, PLAN, as_of).set_index("task_no").loc[task_no]
    return row["state"], int(row["days_late"])


def test_an_officer_of_another_agency_is_refused_and_audited_and_nothing_is_written(con):
    before = con.execute("select count(*) from task_report").fetchone()[0]
    with pytest.raises(PermissionDenied, match=r"không được báo cáo nhiệm vụ 1\.1 \(cơ quan chủ trì – 1\.1: Sở Y tế\)"):
        reports.record(con, "canbo-stc", [done("1.1")], today=AS_OF, at=AT)
    assert con.execute("select count(*) from task_report").fetchone()[0] == before
    assert con.execute("select count(*) from task_upload").fetchone()[0] == 0
    [(user, detail)] = con.execute("select user_name, detail from audit_event where action = 'task_report_refused'").fetchall()
    assert user == "canbo-stc" and "1.1" in detail and "Sở Tài chính" in detail and "Sở Y tế" in detail
    # Its own task: recorded.
    reports.record(con, "canbo-stc", [done("2.3")], today=AS_OF, at=AT)
    assert state_of(con, "2.3") == ("done_late", 245)   # due 31/03/2026, reported done on 01/12/2026


def test_a_viewer_and_an_account_without_an_agency_cannot_report(con):
    add_account(con, "xem", "viewer", None)
    add_account(con, "canbo-moi", "officer", "01")
    with pytest.raises(PermissionDenied):
        reports.record(con, "xem", [done("1.1")], today=AS_OF, at=AT)
    with pytest.raises(PermissionDenied, match="chưa được gán cơ quan nào"):
        reports.record(con, "canbo-moi", [done("1.1")], today=AS_OF, at=AT)


def test_reports_keep_history_and_a_revert_brings_back_the_one_before(con):
    first = reports.record(con, "canbo-syt", [TaskReport(PLAN, "3.1", "2026-Q4", "in_progress", result="Đang thử bay")],
                           today=AS_OF, at=AT)
    assert state_of(con, "3.1") == ("in_progress", 0)   # due 31/12/2026
    second = reports.record(con, "canbo-syt", [done("3.1", completed_on=date(2026, 11, 30))], today=AS_OF,
                            at=datetime(2026, 12, 1, 10))
    assert state_of(con, "3.1") == ("done", 0)
    history = listing.task_history(con, PLAN, "3.1")
    assert list(history["step"]) == [2, 1] and list(history["state"]) == ["done", "in_progress"]
    reports.revert(con, second, "admin")
    assert state_of(con, "3.1") == ("in_progress", 0)
    assert listing.task_history(con, PLAN, "3.1")["reverted_at"].notna().tolist() == [True, False]
    with pytest.raises(ReportRefused, match="đã được hoàn tác"):
        reports.revert(con, second, "admin")
    with pytest.raises(PermissionDenied):
        reports.revert(con, first, "canbo-syt")
    # As of a date before any report: as if nothing were reported.
    assert state_of(con, "3.1", date(2026, 6, 1)) == ("no_report", 0)


@pytest.mark.parametrize("report, message", [
    (TaskReport(PLAN, "1.9", "2026-Q4", "done"), "không có nhiệm vụ “1.9”"),
    (TaskReport(PLAN, "1.1", "2026-Q4", "overdue"), "tình trạng “overdue” không có"),
    (TaskReport(PLAN, "1.1", "2027-Q1", "in_progress"), "quý 2027-Q1 chưa bắt đầu"),
    (TaskReport(PLAN, "1.1", "2026-Q4", "in_progress", completed_on=date(2026, 10, 1)), "không phải “Hoàn thành”"),
    (TaskReport(PLAN, "1.1", "2026", "done"), "không đúng dạng 2026-Q4"),
])
def test_a_wrong_report_is_refused_with_its_reason_and_nothing_is_written(con, report, message):
    with pytest.raises(ReportRefused, match=message):
        reports.record(con, "canbo-syt", [report, done("1.2")], today=AS_OF, at=AT)
    assert con.execute("select count(*) from task_report").fetchone()[0] == 0


def test_done_without_a_document_and_blocked_without_needs_are_warnings():
    checked = reports.check_report(TaskReport(PLAN, "1.1", "2026-Q4", "done"), {"1.1"}, AS_OF)
    assert not checked.errors and "chưa ghi số, ngày văn bản" in checked.warnings[0].text
    checked = reports.check_report(TaskReport(PLAN, "1.1", "2026-Q4", "blocked"), {"1.1"}, AS_OF)
    assert "cần gì, từ cơ quan nào" in checked.warnings[0].text


def test_the_board_counts_follow_a_report_and_the_team_mapping(con):
    before = listing.counts(listing.task_list(con, PLAN, AS_OF))
    assert before.loc["count", "Quá hạn"] == 31 and before.loc["count", "Tổng"] == 43
    reports.record(con, "canbo-syt", [done("1.1", completed_on=date(2026, 3, 20))], today=AS_OF, at=AT)
    tasks = listing.task_list(con, PLAN, AS_OF)
    after = listing.counts(tasks)
    assert after.loc["count", "Quá hạn"] == 30 and after.loc["count", "Hoàn thành"] == 1
    assert listing.counts(tasks, "team_label").index.tolist() == ["chưa phân Tổ"]
    reports.set_group_team(con, "admin", PLAN, 3, 3)
    by_team = listing.counts(listing.task_list(con, PLAN, AS_OF), "team_label")
    assert by_team.loc["Tổ 3", "Tổng"] == 13 and by_team.loc["chưa phân Tổ", "Tổng"] == 30
    by_leader = listing.counts(listing.task_list(con, PLAN, AS_OF), "directed_by")
    assert by_leader.loc["Đồng chí Trương Việt Dũng", "Tổng"] == 13
    with pytest.raises(PermissionDenied):
        reports.set_group_team(con, "canbo-syt", PLAN, 1, 1)


def test_init_db_again_keeps_reports_and_adds_no_task_twice(seeded_db, con):
    reports.record(con, "canbo-syt", [done("1.1")], today=AS_OF, at=AT)
    con.close()
    from indicators.setup import init_db
    init_db(seeded_db)
    c = connect(seeded_db)
    try:
        assert c.execute("select count(*) from plan_task").fetchone()[0] == 43
        assert c.execute("select count(*) from task_report").fetchone()[0] == 1
    finally:
        c.close()
