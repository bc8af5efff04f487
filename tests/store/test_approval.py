"""Approval of reported periods (issue 12): submit → approve → return, every refusal (wrong role,
wrong scope, wrong state, no reason), the approve permission, and what an approved period locks:
its import rows, a revert touching it. On both backends, through store.gate as the app and the
command line go; the PostgreSQL cases skip locally without a server (conftest.pg_url)."""
from __future__ import annotations

import json

import pytest

from indicators import cli
from indicators.auth import approval
from indicators.auth.accounts import AccountError, PermissionDenied
from indicators.excel import importer
from indicators.setup import init_db
from indicators.store import gate, pg
from tests.store.test_import import add_account, workbook

COMMUNE, PROVINCE = "09931", "12"          # Xã Hưng Đạo (Hà Nội), Tỉnh Lai Châu
Q1 = "2026-Q1"
LOCKED = ("Kỳ Quý I/2026 của Xã Hưng Đạo đã được Người duyệt Hà Nội (duyet-hn) duyệt ngày {day}; muốn sửa, "
          "đề nghị người duyệt trả lại kỳ này.")


def _build(target) -> None:
    init_db(target, samples=False)
    with gate.writing(target) as con:
        add_account(con, "admin", "admin", None)
        add_account(con, "canbo-xa", "officer", COMMUNE)
        add_account(con, "canbo-lc", "officer", PROVINCE)
        add_account(con, "xem-hn", "viewer", "01")
        add_account(con, "duyet-hn", "officer", "01")
        add_account(con, "duyet-lc", "officer", PROVINCE)
        con.execute("update account set display_name = 'Người duyệt Hà Nội' where user_name = 'duyet-hn'")
        approval.grant(con, "admin", "duyet-hn")
        approval.grant(con, "admin", "duyet-lc")


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, store_copy):
    """A store without the illustrative samples, with: an admin, the officer of Xã Hưng Đạo, the
    officer of Lai Châu, a Hà Nội viewer, and two province approvers (Hà Nội, Lai Châu); built
    once per session and backend, copied for each test."""
    return store_copy(request.param, "approval", _build)


def act(target, action: str, user: str, locality: str = COMMUNE, period: str = Q1, reason: str | None = None):
    """One transition in a write of its own."""
    with gate.writing(target) as con:
        if action == "return":
            return approval.return_period(con, locality, period, user, reason)
        return getattr(approval, action)(con, locality, period, user)


def state(target, locality: str = COMMUNE, period: str = Q1) -> approval.State:
    with gate.reading(target) as con:
        return approval.state_of(con, locality, period)


def events(target, action: str | None = None) -> list[tuple]:
    """(user, action, locality, detail) of every audit event (of one action), in order."""
    with gate.reading(target) as con:
        return con.execute("select user_name, action, locality_code, detail from audit_event "
                           "where $a is null or action = $a order by event_id", {"a": action}).fetchall()


def counts(target) -> tuple[int, int]:
    with gate.reading(target) as con:
        return tuple(con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("upload", "observation"))


def reopened(target) -> None:
    """Another process's view: on PostgreSQL a new replica built from the server, so what a
    write pushed is what is read (on a file the file is read again anyway)."""
    if isinstance(target, str):
        pg.forget(target)


# --- transitions ---------------------------------------------------------------------------------
def test_submit_approve_return_each_written_with_history_and_audit(store):
    done = act(store, "submit", "canbo-xa")
    assert (done.from_state, done.to_state) == ("open", "submitted")
    assert done.message == "Đã nộp kỳ Quý I/2026 của Xã Hưng Đạo: chưa nộp → đã nộp."
    assert state(store).state == "submitted"
    act(store, "approve", "duyet-hn")
    assert state(store).state == "approved"
    done = act(store, "return", "duyet-hn", reason="  Số thẻ BHYT chưa khớp với BHXH huyện  ")
    assert done.reason == "Số thẻ BHYT chưa khớp với BHXH huyện"

    reopened(store)
    now = state(store)
    assert (now.state, now.last_action, now.changed_by, now.reason, now.step) == (
        "open", "return", "duyet-hn", "Số thẻ BHYT chưa khớp với BHXH huyện", 3)
    with gate.reading(store) as con:
        history = approval.approval_history(con, COMMUNE, Q1)
        listed = approval.approval_list(con, COMMUNE)
    assert history[["step", "action", "from_state", "to_state", "changed_by"]].values.tolist() == [
        [1, "submit", "open", "submitted", "canbo-xa"],
        [2, "approve", "submitted", "approved", "duyet-hn"],
        [3, "return", "approved", "open", "duyet-hn"]]
    # The officer sees the period returned, by whom and why.
    row = listed.set_index("period").loc[Q1]
    assert (row["state"], row["state_label"], row["changed_by_name"], row["reason"]) == (
        "open", "đã trả lại", "Người duyệt Hà Nội", "Số thẻ BHYT chưa khớp với BHXH huyện")
    assert [(u, a, loc) for u, a, loc, _ in events(store) if a.startswith("approval_")] == [
        ("canbo-xa", "approval_submit", COMMUNE), ("duyet-hn", "approval_approve", COMMUNE),
        ("duyet-hn", "approval_return", COMMUNE)]
    assert "lý do: Số thẻ BHYT chưa khớp" in events(store, "approval_return")[0][3]
    # Reopened, the period goes round again.
    act(store, "submit", "canbo-xa")
    assert state(store).state == "submitted"


def test_a_submitted_period_can_be_returned_and_an_admin_approves_communes_and_provinces(store):
    act(store, "submit", "canbo-xa")
    act(store, "return", "duyet-hn", reason="Thiếu số liệu tháng 3")
    assert state(store).state == "open"
    act(store, "submit", "canbo-xa")
    act(store, "approve", "admin")
    assert state(store).state == "approved"
    act(store, "submit", "canbo-lc", locality=PROVINCE, period="2026")
    act(store, "approve", "admin", locality=PROVINCE, period="2026")
    act(store, "return", "admin", locality=PROVINCE, period="2026", reason="Sai mẫu số")
    assert state(store, PROVINCE, "2026").state == "open"


def test_periods_are_separate_keys(store):
    """Approving a quarter leaves the year and the other localities open."""
    act(store, "submit", "canbo-xa")
    act(store, "approve", "duyet-hn")
    assert state(store, COMMUNE, "2026").state == "open"
    assert state(store, "03640", Q1).state == "open"
    with gate.reading(store) as con:
        assert set(approval.locked_periods(con, [COMMUNE, "03640"])) == {(COMMUNE, Q1)}


# --- refusals -------------------------------------------------------------------------------------
# (what happened before, the refused action, who, locality, period, reason, words the refusal says)
REFUSALS = {
    "viewer submits": ([], "submit", "xem-hn", COMMUNE, Q1, None, ["Người xem", "chỉ cán bộ nhập liệu"]),
    "officer of another province submits": ([], "submit", "canbo-lc", COMMUNE, Q1, None,
                                            ["phạm vi mã 12", "không gồm Xã Hưng Đạo"]),
    "submitted again": ([("submit", "canbo-xa")], "submit", "canbo-xa", COMMUNE, Q1, None,
                        ["hiện đã nộp bởi canbo-xa", "đang chờ duyệt"]),
    "submit an approved period": ([("submit", "canbo-xa"), ("approve", "duyet-hn")], "submit", "canbo-xa", COMMUNE,
                                  Q1, None, ["hiện đã duyệt bởi Người duyệt Hà Nội (duyet-hn)",
                                             "đề nghị người duyệt trả lại"]),
    "officer without the permission approves": ([("submit", "canbo-xa")], "approve", "canbo-xa", COMMUNE, Q1, None,
                                                ["không có quyền duyệt", "Thành phố Hà Nội"]),
    "viewer approves": ([("submit", "canbo-xa")], "approve", "xem-hn", COMMUNE, Q1, None,
                        ["Người xem", "không có quyền duyệt"]),
    "approver of another province": ([("submit", "canbo-xa")], "approve", "duyet-lc", COMMUNE, Q1, None,
                                     ["các xã thuộc Tỉnh Lai Châu", "không cho Xã Hưng Đạo"]),
    "province approver approves a province": ([("submit", "canbo-lc", PROVINCE, "2026")], "approve", "duyet-lc",
                                              PROVINCE, "2026", None, ["Năm 2026 của Tỉnh Lai Châu",
                                                                       "chỉ quản trị viên"]),
    "approve an open period": ([], "approve", "duyet-hn", COMMUNE, Q1, None, ["hiện chưa nộp", "chưa được nộp"]),
    "approve twice": ([("submit", "canbo-xa"), ("approve", "duyet-hn")], "approve", "admin", COMMUNE, Q1, None,
                      ["đã được duyệt rồi"]),
    "officer returns": ([("submit", "canbo-xa")], "return", "canbo-xa", COMMUNE, Q1, "sai", ["không có quyền duyệt"]),
    "return an open period": ([], "return", "duyet-hn", COMMUNE, Q1, "sai", ["chỉ trả lại được kỳ đã nộp"]),
    "return without a reason": ([("submit", "canbo-xa")], "return", "duyet-hn", COMMUNE, Q1, "   ",
                                ["cần ghi lý do"]),
    "unknown account": ([], "submit", "khong-co", COMMUNE, Q1, None, ["không tồn tại"]),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_every_refusal_names_locality_period_state_and_why_and_is_audited(store, case):
    before, action, user, locality, period, reason, words = REFUSALS[case]
    for step in before:
        act(store, *step)
    was, n_events = state(store, locality, period), len(events(store))

    with pytest.raises(PermissionDenied) as refused:
        act(store, action, user, locality, period, reason)

    message = str(refused.value)
    for word in words:
        assert word in message, message
    if user != "khong-co":
        place = "Xã Hưng Đạo" if locality == COMMUNE else "Tỉnh Lai Châu"
        label = "Quý I/2026" if period == Q1 else "Năm 2026"
        assert message.startswith(f"Không thể {approval.VERBS[action]} kỳ {label} của {place} (hiện "), message
    reopened(store)
    assert state(store, locality, period) == was                     # nothing changed
    new = events(store)[n_events:]
    assert [(u, a, loc) for u, a, loc, _ in new] == [(user, "denied", None if user == "khong-co" else locality)]


def test_an_inactive_account_is_refused(store):
    with gate.writing(store) as con:
        con.execute("update account set is_active = false where user_name = 'canbo-xa'")
    with pytest.raises(PermissionDenied, match="vô hiệu hóa"):
        act(store, "submit", "canbo-xa")
    assert state(store).state == "open"


def test_bad_period_or_locality_is_not_a_refusal(store):
    with pytest.raises(approval.ApprovalInputError, match="không hợp lệ"):
        act(store, "submit", "canbo-xa", period="Quý I/2026")   # the command line parses it first
    with pytest.raises(approval.ApprovalInputError, match="Không có địa phương"):
        act(store, "submit", "canbo-xa", locality="99999")


# --- the approve permission -----------------------------------------------------------------------
def test_only_an_admin_grants_and_revokes_and_only_to_a_province_account(store):
    with gate.writing(store) as con:
        with pytest.raises(PermissionDenied):
            approval.grant(con, "duyet-hn", "canbo-lc")
        with pytest.raises(AccountError, match="phạm vi là một tỉnh"):
            approval.grant(con, "admin", "canbo-xa")            # a commune's officer: no level below
        with pytest.raises(AccountError, match="quản trị viên"):
            approval.grant(con, "admin", "admin")
        assert "đã có quyền" in approval.grant(con, "admin", "duyet-hn")
        assert set(approval.permissions(con)["user_name"]) == {"duyet-hn", "duyet-lc"}
    act(store, "submit", "canbo-xa")
    with gate.writing(store) as con:
        approval.revoke(con, "admin", "duyet-hn")
        with pytest.raises(AccountError, match="không có quyền"):
            approval.revoke(con, "admin", "duyet-hn")
    with pytest.raises(PermissionDenied, match="không có quyền duyệt"):
        act(store, "approve", "duyet-hn")
    changes = [d for _, _, _, d in events(store, "account_change")]
    assert any(d.startswith("cấp quyền approve") and d.endswith("cho duyet-hn") for d in changes)
    assert any(d.startswith("thu hồi quyền approve") and d.endswith("của duyet-hn") for d in changes)
    assert [u for u, *_ in events(store, "denied")][:1] == ["duyet-hn"]   # the non-admin's grant


# --- an approved period is locked -----------------------------------------------------------------
def lock(target) -> str:
    """Submit and approve Xã Hưng Đạo's Quý I/2026; the lock sentence an officer will read."""
    act(target, "submit", "canbo-xa")
    done = act(target, "approve", "duyet-hn")
    return LOCKED.format(day=done.at.strftime("%d/%m/%Y"))


def preview(target, rows, user="canbo-xa", name="bao_cao_quy1.xlsx"):
    with gate.reading(target) as con:
        return importer.preview(con, workbook(rows), name, user)


def test_rows_of_an_approved_period_are_refused_row_by_row_and_audited_once(store):
    message = lock(store)
    before, n_refused = counts(store), len(events(store, "upload_refused"))
    pv = preview(store, [[COMMUNE, "bhyt_coverage", "Quý I/2026", 91.5],    # locked
                         [COMMUNE, "bhyt_coverage", "Quý II/2026", 92.0],   # open: kept
                         [COMMUNE, "life_expectancy", "2026-Q1", 74.1]])    # locked
    assert [(p.row, p.code, p.column) for p in pv.errors] == [(4, "locked_period", "F (Kỳ báo cáo)"),
                                                              (6, "locked_period", "F (Kỳ báo cáo)")]
    assert pv.errors[0].message == f"Trang “Số liệu”, dòng 4, cột F (Kỳ báo cáo): {message}"
    assert (pv.n_rejected, pv.n_new) == (2, 1)
    assert not pv.can_commit                  # as for rows outside the scope: fix the file first
    with gate.writing(store) as con, pytest.raises(importer.ImportRefused, match="còn 2 lỗi"):
        importer.commit(con, pv, "canbo-xa")
    reopened(store)
    assert counts(store) == before            # nothing written
    refused = events(store, "upload_refused")[n_refused:]
    assert len(refused) == 1
    user, _, locality, detail = refused[0]
    assert (user, locality) == ("canbo-xa", COMMUNE)
    assert "kỳ báo cáo đã được duyệt (đã khóa): 2 dòng, địa phương 09931" in detail


def test_rows_outside_the_scope_are_not_reported_as_locked(store):
    lock(store)
    pv = preview(store, [[COMMUNE, "bhyt_coverage", "Quý I/2026", 91.5]], user="canbo-lc")
    assert [p.code for p in pv.errors] == ["out_of_scope"]


def test_after_return_the_same_import_commits(store):
    lock(store)
    rows = [[COMMUNE, "bhyt_coverage", "Quý I/2026", 91.5]]
    assert [p.code for p in preview(store, rows).errors] == ["locked_period"]
    act(store, "return", "duyet-hn", reason="Cần sửa số BHYT quý I")
    pv = preview(store, rows)
    assert not pv.errors
    with gate.writing(store) as con:
        done = importer.commit(con, pv, "canbo-xa")
    assert done.n_new == 1
    assert counts(store)[0] == 1


def test_a_period_approved_after_the_preview_is_refused_at_commit(store):
    pv = preview(store, [[COMMUNE, "bhyt_coverage", "Quý I/2026", 91.5]])
    assert pv.can_commit
    message = lock(store)
    n_refused = len(events(store, "upload_refused"))
    with gate.writing(store) as con, pytest.raises(importer.ImportRefused) as refused:
        importer.commit(con, pv, "canbo-xa")
    assert message in str(refused.value)
    assert counts(store) == (0, 0)
    assert len(events(store, "upload_refused")) == n_refused + 1


def test_revert_of_an_upload_touching_an_approved_period_is_refused(store):
    pv = preview(store, [[COMMUNE, "bhyt_coverage", "Quý I/2026", 91.5]])
    with gate.writing(store) as con:
        upload_id = importer.commit(con, pv, "canbo-xa").upload_id
    message = lock(store)
    with gate.writing(store) as con, pytest.raises(PermissionDenied) as refused:
        importer.revert(con, upload_id, "admin")
    assert message in str(refused.value) and f"lần nhập số {upload_id}" in str(refused.value)
    with gate.reading(store) as con:
        assert con.execute("select state from upload where upload_id = $u", {"u": upload_id}).fetchone()[0] == \
            "committed"
    assert f"hoàn tác lần nhập số {upload_id}" in events(store, "denied")[-1][3]
    act(store, "return", "duyet-hn", reason="Hoàn tác lần nhập sai")
    with gate.writing(store) as con:
        importer.revert(con, upload_id, "admin")
    assert [a for _, a, _, _ in events(store)][-1] == "revert"


# --- the command line ------------------------------------------------------------------------------
def run(target, capsys, *argv: str) -> tuple[int, str, str]:
    """`python -m indicators --db TARGET …`, in this process."""
    code = cli.main(["--db", str(target), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_import_into_an_approved_period_exits_nonzero_then_commits_after_return(store, tmp_path, capsys):
    code, out, _ = run(store, capsys, "approval", "submit", "--locality", COMMUNE, "--period", "Quý I/2026",
                       "--user", "canbo-xa")
    assert code == 0 and "chưa nộp → đã nộp" in out
    code, out, _ = run(store, capsys, "approval", "approve", "--locality", COMMUNE, "--period", "2026-Q1",
                       "--user", "duyet-hn")
    assert code == 0 and "đã nộp → đã duyệt" in out
    path = tmp_path / "bao_cao_quy1.xlsx"
    path.write_bytes(workbook([[COMMUNE, "bhyt_coverage", "Quý I/2026", 91.5]]))
    n_events = len(events(store))

    code, out, _ = run(store, capsys, "import", str(path), "--user", "canbo-xa")

    assert code != 0
    assert "Kỳ Quý I/2026 của Xã Hưng Đạo đã được Người duyệt Hà Nội (duyet-hn) duyệt ngày" in out
    assert "muốn sửa, đề nghị người duyệt trả lại kỳ này" in out
    assert counts(store) == (0, 0)
    assert [a for _, a, _, _ in events(store)[n_events:]] == ["upload_refused"]

    code, _, err = run(store, capsys, "approval", "return", "--locality", COMMUNE, "--period", "Q1/2026",
                       "--user", "duyet-hn")
    assert code == 5 and "cần ghi lý do" in err
    code, out, _ = run(store, capsys, "approval", "return", "--locality", COMMUNE, "--period", "Q1/2026",
                       "--user", "duyet-hn", "--reason", "Số liệu quý I cần sửa")
    assert code == 0 and "đã duyệt → chưa nộp" in out
    code, out, _ = run(store, capsys, "import", str(path), "--user", "canbo-xa")
    assert code == 0 and "Đã nhập lần số" in out
    assert counts(store) == (1, 1)


def test_cli_refusals_exit_nonzero_with_the_sentence(store, capsys):
    code, out, err = run(store, capsys, "approval", "approve", "--locality", COMMUNE, "--period", "2026-Q1",
                         "--user", "duyet-hn")
    assert (code, out) == (5, "")
    assert "Không thể duyệt kỳ Quý I/2026 của Xã Hưng Đạo (hiện chưa nộp)" in err
    code, _, err = run(store, capsys, "approval", "submit", "--locality", COMMUNE, "--period", "Quý V/2026",
                       "--user", "canbo-xa")
    assert code == 2 and "không đọc được" in err
    code, _, err = run(store, capsys, "approval", "submit", "--locality", "99999", "--period", "2026",
                       "--user", "canbo-xa")
    assert code == 2 and "Không có địa phương mã “99999”" in err
    code, _, err = run(store, capsys, "approval", "grant", "--user", "canbo-lc", "--account", "canbo-xa")
    assert code == 5
    assert state(store).state == "open"


def test_cli_list_json_gives_state_who_when_and_reason_per_period(store, capsys):
    act(store, "submit", "canbo-xa")
    act(store, "return", "duyet-hn", reason="Thiếu tử số")
    act(store, "submit", "canbo-xa", period="2026")
    act(store, "approve", "admin", period="2026")
    code, out, _ = run(store, capsys, "approval", "list", "--locality", COMMUNE, "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert listed["locality_name"] == "Xã Hưng Đạo"
    rows = {r["period"]: r for r in listed["periods"]}
    assert (rows[Q1]["state"], rows[Q1]["state_label"], rows[Q1]["changed_by"], rows[Q1]["reason"]) == (
        "open", "đã trả lại", "duyet-hn", "Thiếu tử số")
    assert (rows["2026"]["state"], rows["2026"]["period_label"], rows["2026"]["changed_by"]) == (
        "approved", "Năm 2026", "admin")
    with gate.reading(store) as con:
        approved_at = approval.state_of(con, COMMUNE, "2026").changed_at
    assert rows["2026"]["changed_at"].startswith(approved_at.strftime("%Y-%m-%dT%H:%M"))
    code, out, _ = run(store, capsys, "approval", "list", "--locality", COMMUNE)
    assert code == 0 and "đã trả lại" in out and "Thiếu tử số" in out and "Năm 2026" in out
