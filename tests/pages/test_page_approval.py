"""AppTest of approval on the pages (issue 12, point 7): the approver's page "Duyệt số liệu", the
officer's states and submission on "Nhập số liệu", the overview's approval state and the
"Chỉ số liệu đã duyệt" toggle (overview, locality page, exports), the approve permission and
ending sessions on "Tài khoản", and the audit page's labels."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators.auth import approval, sessions
from indicators.auth.admin import create_account, set_password
from indicators.store import gate
from tests.conftest import ROOT, signed_in
from tests.store.test_backends import upload

PASSWORD = "mat-khau-thu-nghiem"
REASON = "Số *BHYT* ![x](http://example.com/a.png) không khớp"


@pytest.fixture
def accounts(seeded_db):
    """Hà Nội (01): a commune officer of Xã Hưng Đạo (09931) who uploaded and submitted Quý I/2026;
    a province officer and a province viewer holding 'approve'; a province officer without it."""
    with gate.writing(seeded_db) as con:
        set_password(con, "quantri", "quantri", PASSWORD)
        create_account(con, "quantri", "canbo_hd", "Cán bộ Hưng Đạo", "officer", "09931", PASSWORD)
        create_account(con, "quantri", "duyet_hn", "Người *duyệt* Hà Nội", "officer", "01", PASSWORD)
        create_account(con, "quantri", "xem_hn", "Lãnh đạo Sở Hà Nội", "viewer", "01", PASSWORD)
        create_account(con, "quantri", "canbo_hn", "Cán bộ Hà Nội", "officer", "01", PASSWORD)
        approval.grant(con, "quantri", "duyet_hn")
        approval.grant(con, "quantri", "xem_hn")
    upload(seeded_db, [["09931", "bhyt_coverage", "2026-Q1", 92.5]], user="canbo_hd")
    with gate.writing(seeded_db) as con:
        approval.submit(con, "09931", "2026-Q1", "canbo_hd")
    return seeded_db


def page(name: str, user: str | None = None, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    if user:
        signed_in(at, user)
    at.run()
    assert not at.exception, at.exception
    return at


def table(at: AppTest, column: str):
    """The first table with that column (AppTest does not keep st.dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def state_of(db, code="09931", period="2026-Q1"):
    with gate.reading(db) as con:
        return approval.state_of(con, code, period)


# --- the approver's page -------------------------------------------------------------------
def test_a_province_approver_approves_a_submitted_commune_period(accounts):
    at = page("approval.py", "duyet_hn")
    assert at.title[0].value == "Duyệt số liệu"
    queue = table(at, "Người nộp")
    assert queue[["Địa phương", "Kỳ", "Trạng thái", "Người nộp"]].values.tolist() == [
        ["Xã Hưng Đạo (09931)", "Quý I/2026", "đã nộp", "Cán bộ Hưng Đạo (canbo_hd)"]]
    assert any("Thành phố Hà Nội" in c.value for c in at.caption)
    at.button(key="approve_button").click().run()
    assert not at.exception, at.exception
    assert any("Đã duyệt kỳ Quý I/2026 của Xã Hưng Đạo" in s.value for s in at.success)
    assert state_of(accounts).state == "approved"
    # The approved period is listed as such, and can no longer be approved again.
    at.segmented_control(key="approval_state").set_value("approved").run()
    approved = table(at, "Người duyệt")
    assert approved["Trạng thái"].tolist() == ["đã duyệt"]
    assert approved["Người duyệt"].tolist() == ["Người *duyệt* Hà Nội (duyet_hn)"]
    assert at.button(key="approve_button").disabled


def test_a_return_needs_a_reason_and_reopens_the_period(accounts):
    at = page("approval.py", "duyet_hn")
    at.button(key="FormSubmitter:return_form-Trả lại").click().run()
    assert any("cần ghi lý do" in e.value for e in at.error)
    assert state_of(accounts).state == "submitted"
    at.text_area(key="return_reason").input(REASON)
    at.button(key="FormSubmitter:return_form-Trả lại").click().run()
    assert not at.exception, at.exception
    returned = state_of(accounts)
    assert (returned.state, returned.last_action, returned.reason) == ("open", "return", REASON)
    # The reason is shown as the characters typed: escaped in the message, plain in the history.
    assert any("\\*BHYT\\*" in s.value and "!\\[x\\]" in s.value for s in at.success)
    at.segmented_control(key="approval_state").set_value("all").run()
    assert "Không có kỳ báo cáo nào" in at.info[0].value   # nothing submitted or approved now


def test_the_history_of_a_period_on_demand(accounts):
    with gate.writing(accounts) as con:
        approval.return_period(con, "09931", "2026-Q1", "duyet_hn", "Sai mẫu số")
        approval.submit(con, "09931", "2026-Q1", "canbo_hd")
    at = page("approval.py", "duyet_hn")
    at.toggle(key="approval_show_history").set_value(True).run()
    history = table(at, "Lý do")
    assert history[["Lần", "Việc", "Từ", "Sang", "Lý do"]].values.tolist() == [
        [1, "nộp", "chưa nộp", "đã nộp", ""], [2, "trả lại", "đã nộp", "chưa nộp", "Sai mẫu số"],
        [3, "nộp", "chưa nộp", "đã nộp", ""]]


def test_a_viewer_holding_approve_reaches_the_page_and_approves(accounts):
    at = page("approval.py", "xem_hn")
    assert table(at, "Người nộp")["Địa phương"].tolist() == ["Xã Hưng Đạo (09931)"]
    at.button(key="approve_button").click().run()
    assert state_of(accounts).changed_by == "xem_hn"


@pytest.mark.parametrize("user", ["canbo_hn", "canbo_hd"])
def test_accounts_without_the_permission_read_why(accounts, user):
    at = page("approval.py", user)
    assert any("không có quyền duyệt số liệu" in e.value for e in at.error)
    assert not at.dataframe and not at.button


def test_the_admin_approves_everything(accounts):
    with gate.writing(accounts) as con:
        approval.submit(con, "01", "2025", "canbo_hn")
    at = page("approval.py", "quantri")
    assert set(table(at, "Người nộp")["Địa phương"]) == {"Xã Hưng Đạo (09931)", "Thành phố Hà Nội (01)"}


def pages_of(at: AppTest) -> set[str]:
    return {Path(str(info["script_path"])).name for info in at._registered_pages.values()
            if info.get("script_path")}


@pytest.mark.parametrize("user,listed", [("duyet_hn", True), ("xem_hn", True), ("quantri", True),
                                         ("canbo_hn", False), ("canbo_hd", False)])
def test_the_menu_offers_the_page_to_approvers_only(accounts, user, listed):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    signed_in(at, user)
    at.run()
    assert ("approval.py" in pages_of(at)) == listed


# --- the officer's upload page ---------------------------------------------------------------
def test_the_officer_sees_each_period_state_and_submits(accounts):
    with gate.writing(accounts) as con:
        approval.submit(con, "09931", "2025", "canbo_hd")
        approval.return_period(con, "09931", "2025", "duyet_hn", REASON)
    at = page("upload.py", "canbo_hd")
    assert any(s.value == "3. Trạng thái duyệt các kỳ báo cáo" for s in at.subheader)
    states = table(at, "Lý do trả lại").set_index("Kỳ")
    assert states.at["Quý I/2026", "Trạng thái"] == "đã nộp"
    assert states.at["Quý I/2026", "Bởi"] == "Cán bộ Hưng Đạo (canbo_hd)"
    assert states.at["Năm 2025", "Trạng thái"] == "đã trả lại"
    assert states.at["Năm 2025", "Bởi"] == "Người *duyệt* Hà Nội (duyet_hn)"
    assert states.at["Năm 2025", "Lý do trả lại"] == REASON
    assert states.at["Năm 2024", "Trạng thái"] == "chưa nộp"
    # Only open periods with values can be submitted; the returned one is among them.
    periods = at.selectbox(key="submit_period_09931")
    assert "Quý I/2026" not in periods.options and "Năm 2025" in periods.options
    periods.set_value("2025").run()
    at.button(key="submit_button").click().run()
    assert not at.exception, at.exception
    assert any("Đã nộp kỳ Năm 2025 của Xã Hưng Đạo" in s.value for s in at.success)
    assert table(at, "Lý do trả lại").set_index("Kỳ").at["Năm 2025", "Trạng thái"] == "đã nộp"


def test_the_officer_sees_an_approval(accounts):
    with gate.writing(accounts) as con:
        approval.approve(con, "09931", "2026-Q1", "duyet_hn")
    at = page("upload.py", "canbo_hd")
    row = table(at, "Lý do trả lại").set_index("Kỳ").loc["Quý I/2026"]
    assert (row["Trạng thái"], row["Bởi"]) == ("đã duyệt", "Người *duyệt* Hà Nội (duyet_hn)")
    assert "Quý I/2026" not in at.selectbox(key="submit_period_09931").options   # locked: nothing to submit


# --- the overview, the locality page, exports ----------------------------------------------
def test_the_overview_shows_approval_of_the_latest_periods(accounts):
    with gate.writing(accounts) as con:
        approval.approve(con, "09931", "2026-Q1", "duyet_hn")
    at = page("overview.py", scope="province", province="01")
    comp = table(at, "Đã báo cáo").set_index("Kỳ")
    assert comp.at["Quý I/2026", "Đã duyệt"] == "1 / 1"
    states = table(at, "Trạng thái duyệt").set_index("Mã")
    assert states.at["09931", "Kỳ gần nhất"] == "Quý I/2026"
    assert states.at["09931", "Trạng thái duyệt"].startswith("đã duyệt – Người *duyệt* Hà Nội (duyet_hn), ")
    assert states.at["01", "Trạng thái duyệt"] == "chưa nộp"
    assert any("1 đã duyệt · 0 đã nộp · 1 chưa nộp" in c.value for c in at.caption)


def test_the_national_overview_lists_provinces(accounts):
    at = page("overview.py")
    states = table(at, "Trạng thái duyệt")
    assert "09931" not in set(states["Mã"]) and {"01", "12"} <= set(states["Mã"])


def test_the_approved_only_toggle_says_what_is_shown_and_lives_in_the_url(accounts):
    at = page("overview.py", scope="province", province="01")
    assert any(c.value.startswith("Đang hiện: mọi số liệu đã báo cáo") for c in at.caption)
    before = table(at, "locality").set_index("locality")
    at.toggle(key="ov_approved").set_value(True).run()
    assert not at.exception, at.exception
    assert at.query_params["approved"] == "1"
    assert any(c.value.startswith("Đang hiện: chỉ số liệu đã được duyệt") for c in at.caption)
    after = table(at, "locality").set_index("locality")
    # Nothing approved yet: Hưng Đạo's BHYT cell had a value, now it has none.
    cell = next(c for c in before.columns if before.at["Xã Hưng Đạo (09931)", c].startswith("◆ 92,5"))
    assert "92,5" not in after.at["Xã Hưng Đạo (09931)", cell]
    # A shared link opens with the toggle on.
    again = page("overview.py", scope="province", province="01", approved="1")
    assert again.toggle(key="ov_approved").value


def test_the_locality_page_toggle(accounts):
    with gate.writing(accounts) as con:
        approval.approve(con, "09931", "2026-Q1", "duyet_hn")
    at = page("locality.py", locality="09931")
    assert any(c.value.startswith("Đang hiện: mọi số liệu đã báo cáo") for c in at.caption)
    every = "\n".join(m.value for m in at.markdown)
    assert "Quý I/2026" in every and "Năm 2025" not in every
    at.toggle(key="loc_approved").set_value(True).run()
    assert not at.exception, at.exception
    assert at.query_params["approved"] == "1"
    assert any(c.value.startswith("Đang hiện: chỉ số liệu đã được duyệt") for c in at.caption)
    shown = "\n".join(m.value for m in at.markdown)
    # Only BHYT Quý I/2026 is approved: the other targets have no approved figure.
    assert "92,5" in shown and shown.count("Quý I/2026") == 1


def test_the_export_says_which_figures(accounts):
    at = page("present.py", order="indicator", locality="12")
    assert any(c.value == "Tệp sẽ ghi: Số liệu: mọi số liệu đã báo cáo (kể cả chưa được duyệt)." for c in at.caption)
    at.toggle(key="export_approved").set_value(True).run()
    assert any(c.value == "Tệp sẽ ghi: Số liệu: chỉ số liệu đã được duyệt." for c in at.caption)


# --- administration --------------------------------------------------------------------------
def test_the_admin_grants_and_revokes_approve(accounts):
    at = page("admin_accounts.py", "quantri")
    holders = table(at, "Cấp bởi")
    assert set(holders["Tên đăng nhập"]) == {"duyet_hn", "xem_hn"}
    at.selectbox(key="approve_who").set_value("canbo_hn")
    at.button(key="FormSubmitter:approve_permission-Cấp quyền duyệt").click().run()
    assert not at.exception, at.exception
    assert any("Đã cấp cho" in s.value and "canbo\\_hn" in s.value for s in at.success)
    assert set(table(at, "Cấp bởi")["Tên đăng nhập"]) == {"duyet_hn", "xem_hn", "canbo_hn"}
    at.selectbox(key="approve_who").set_value("duyet_hn")
    at.button(key="FormSubmitter:approve_permission-Thu hồi quyền duyệt").click().run()
    assert set(table(at, "Cấp bởi")["Tên đăng nhập"]) == {"xem_hn", "canbo_hn"}
    # A commune's account cannot approve: refused with the reason.
    at.selectbox(key="approve_who").set_value("canbo_hd")
    at.button(key="FormSubmitter:approve_permission-Cấp quyền duyệt").click().run()
    assert any("phạm vi là một tỉnh" in e.value for e in at.error)


def test_the_admin_ends_an_accounts_sessions(accounts):
    other = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    session_id = signed_in(other, "canbo_hd")
    at = page("admin_accounts.py", "quantri")
    at.selectbox(key="sessions_who").set_value("canbo_hd")
    at.button(key="FormSubmitter:end_sessions-Kết thúc mọi phiên đăng nhập").click().run()
    assert not at.exception, at.exception
    assert any("Đã kết thúc 1 phiên đăng nhập của canbo\\_hd" in s.value for s in at.success)
    with gate.reading(accounts) as con:
        assert sessions.by_id(con, session_id).is_ended
    other.run()
    assert not other.file_uploader and other.error


def test_the_audit_page_names_approval_and_session_events(accounts):
    at = page("admin_audit.py", "quantri")
    shown = set(table(at, "detail")["action"]) if "detail" in at.dataframe[0].value.columns else set()
    assert "Nộp kỳ báo cáo" in shown
    for label in ("Nộp kỳ báo cáo", "Duyệt kỳ báo cáo", "Trả lại kỳ báo cáo", "Kết thúc phiên đăng nhập",
                  "Đăng xuất"):
        assert label in at.selectbox[0].options
