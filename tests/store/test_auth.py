"""Accounts, roles and locality scope: who may write where, sign-in, lockout, audit, history."""
from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta

import pytest

from indicators.auth.admin import create_account, set_password, update_account
from indicators.auth.accounts import AccountError, PermissionDenied, get_account
from indicators.auth.scope import require_write, writable
from indicators.auth.signin import (ACCOUNT_FREE_FAILURES, CLIENT_FREE_FAILURES, MAX_WAIT, REFUSED, sign_in,
                                    wait_before_next)
from indicators.plans.admin import save_target
from indicators.store.connection import connect
from tests.conftest import cli_in_process

PASSWORD = "mat-khau-thu-nghiem"
ANOTHER_HANOI_COMMUNE = "00004"   # Phường Ba Đình (Hà Nội), not Hưng Đạo
LAI_CHAU_COMMUNE = None           # filled from the database in the fixture


@pytest.fixture
def con(seeded_db):
    con = connect(seeded_db)
    set_password(con, "quantri", "quantri", PASSWORD)
    create_account(con, "quantri", "canbo_hd", "Cán bộ Hưng Đạo", "officer", "09931", PASSWORD)
    create_account(con, "quantri", "canbo_hn", "Cán bộ Sở Y tế Hà Nội", "officer", "01", PASSWORD)
    create_account(con, "quantri", "lanhdao", "Lãnh đạo", "viewer", None, PASSWORD)
    yield con
    con.close()


def audit_actions(con, user: str) -> list[str]:
    return [r[0] for r in con.execute("select action from audit_event where user_name = $u order by event_id",
                                      {"u": user}).fetchall()]


def lai_chau_commune(con) -> str:
    return con.execute("select min(locality_code) from locality where parent_code = '12'").fetchone()[0]


@pytest.mark.parametrize("user,locality,allowed", [
    ("canbo_hd", "09931", True),                 # its own commune
    ("canbo_hd", "01", False),                   # not its province
    ("canbo_hd", "12", False),                   # another province
    ("canbo_hd", ANOTHER_HANOI_COMMUNE, False),  # another commune of the same province
    ("canbo_hn", "01", True),                    # its province ...
    ("canbo_hn", "09931", True),                 # ... and every commune of it
    ("canbo_hn", ANOTHER_HANOI_COMMUNE, True),
    ("canbo_hn", "12", False),
    ("canbo_hn", "LAI_CHAU_COMMUNE", False),
    ("lanhdao", "09931", False),                 # a viewer writes nowhere
    ("quantri", "12", True),                     # an admin writes everywhere
    ("quantri", "LAI_CHAU_COMMUNE", True),
])
def test_write_scope(con, user, locality, allowed):
    code = lai_chau_commune(con) if locality == "LAI_CHAU_COMMUNE" else locality
    account = get_account(con, user)
    assert (code in writable(con, account, {code})) is allowed
    if allowed:
        require_write(con, user, [code], "nhập số liệu")
    else:
        with pytest.raises(PermissionDenied, match="không được nhập số liệu|không có quyền"):
            require_write(con, user, [code], "nhập số liệu")
        assert audit_actions(con, user)[-1] == "denied"


def test_deactivated_officer_writes_nowhere(con):
    update_account(con, "quantri", "canbo_hd", is_active=False)
    with pytest.raises(PermissionDenied):
        require_write(con, "canbo_hd", ["09931"], "nhập số liệu")
    with pytest.raises(PermissionDenied, match="vô hiệu hóa"):
        sign_in(con, "canbo_hd", PASSWORD)


def test_officer_cannot_change_targets_or_accounts(con):
    before = con.execute("select count(*) from target_history").fetchone()[0]
    with pytest.raises(PermissionDenied, match="cần quyền Quản trị"):
        save_target(con, "canbo_hd", plan_code="LC-243-2025", locality_code="12", indicator_code="bhyt_coverage",
                    target_year=2030, comparator="=", target_value=50, target_text="x", clause="y")
    with pytest.raises(PermissionDenied):
        create_account(con, "canbo_hd", "ke_gian", "Kẻ gian", "admin", None, PASSWORD)
    with pytest.raises(PermissionDenied):
        update_account(con, "canbo_hd", "canbo_hd", role="admin")
    with pytest.raises(PermissionDenied):
        set_password(con, "canbo_hd", "quantri", "mat-khau-cua-toi")
    assert con.execute("select target_value from target where plan_code = 'LC-243-2025' "
                       "and indicator_code = 'bhyt_coverage'").fetchone()[0] == 96
    assert get_account(con, "ke_gian") is None and get_account(con, "canbo_hd").role == "officer"
    assert con.execute("select count(*) from target_history").fetchone()[0] == before
    assert audit_actions(con, "canbo_hd").count("denied") == 4


def test_admin_target_edit_keeps_the_old_value(con):
    result = save_target(con, "quantri", plan_code="LC-243-2025", locality_code="12",
                         indicator_code="bhyt_coverage", target_year=2030, comparator="≥", target_value=97,
                         target_text="Tỷ lệ dân số tham gia BHYT: 97%", clause="Mục II.1.3, dòng 4",
                         reason="Điều chỉnh theo văn bản sửa đổi")
    assert result == "changed"
    row = con.execute("select changed_by, old_value, new_value, reason from target_history "
                      "where key_text = 'LC-243-2025|12|bhyt_coverage|2030'").fetchone()
    assert row[0] == "quantri" and row[3] == "Điều chỉnh theo văn bản sửa đổi"
    assert json.loads(row[1])["target_value"] == 96 and json.loads(row[1])["comparator"] == "="
    assert json.loads(row[2])["target_value"] == 97
    assert con.execute("select target_value from target where plan_code = 'LC-243-2025' "
                       "and indicator_code = 'bhyt_coverage'").fetchone()[0] == 97
    assert "target_change" in audit_actions(con, "quantri")


def test_password_is_stored_as_argon2_hash(con):
    stored = con.execute("select password_hash from account where user_name = 'canbo_hd'").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(AccountError, match="ít nhất"):
        create_account(con, "quantri", "ngan", "Ngắn", "viewer", None, "ngan")


def test_a_few_wrong_passwords_cost_nothing(con):
    assert sign_in(con, "canbo_hd", PASSWORD).user_name == "canbo_hd"
    now = datetime(2026, 11, 24, 9, 0)
    for _ in range(CLIENT_FREE_FAILURES - 1):
        with pytest.raises(PermissionDenied) as refused:
            sign_in(con, "canbo_hd", "sai-mat-khau", client="10.0.0.7", now=now)
        assert str(refused.value) == REFUSED
    assert sign_in(con, "canbo_hd", PASSWORD, client="10.0.0.7", now=now).user_name == "canbo_hd"
    actions = audit_actions(con, "canbo_hd")
    assert actions.count("sign_in_failed") == CLIENT_FREE_FAILURES - 1 and actions[-1] == "sign_in"
    assert con.execute("select failed_attempts, locked_until from account where user_name = 'canbo_hd'"
                       ).fetchone() == (0, None)


def attempt(con, user, password, client, now) -> str:
    """The refusal's message ('' when signed in)."""
    try:
        sign_in(con, user, password, client=client, now=now)
        return ""
    except PermissionDenied as exc:
        return str(exc)


def test_twenty_wrong_passwords_slow_that_client_not_the_owner(con):
    """Someone at 203.0.113.9 types the admin's name with twenty wrong passwords, waiting each time
    as long as told: each wait is longer; their right guess is not even checked while they must
    wait; the admin signs in at once from the office."""
    now = datetime(2026, 11, 24, 9, 0)
    attacker, office = "203.0.113.9", "10.0.0.7"
    waits = []
    for _ in range(20):
        wait = wait_before_next(con, "quantri", attacker, now)
        now += wait
        waits.append(wait)
        assert attempt(con, "quantri", "doan-sai-mat-khau", attacker, now).startswith(REFUSED)
    assert audit_actions(con, "quantri").count("sign_in_failed") == 20   # every guess was checked
    assert waits[:CLIENT_FREE_FAILURES] == [timedelta(0)] * CLIENT_FREE_FAILURES
    assert waits[CLIENT_FREE_FAILURES:] == sorted(waits[CLIENT_FREE_FAILURES:])
    assert waits[-1] > waits[CLIENT_FREE_FAILURES] > timedelta(0)
    assert timedelta(minutes=1) < wait_before_next(con, "quantri", attacker, now) <= MAX_WAIT
    # The attacker, now with the right password, is told to wait and nothing is checked ...
    message = attempt(con, "quantri", PASSWORD, attacker, now)
    assert "hãy đợi" in message and "phút" in message and "quantri" not in message
    assert audit_actions(con, "quantri")[-1] == "sign_in_throttled"
    # ... while the owner signs in at once from another address.
    assert wait_before_next(con, "quantri", office, now) == timedelta(0)
    assert sign_in(con, "quantri", PASSWORD, client=office, now=now).role == "admin"
    # Other names from the attacker's address wait too (the client is slowed, whatever the name).
    assert "hãy đợi" in attempt(con, "canbo_hd", PASSWORD, attacker, now)
    # The waits end: much later the attacker's address is checked again.
    later = now + MAX_WAIT + timedelta(seconds=1)
    assert wait_before_next(con, "quantri", attacker, later) == timedelta(0)
    assert attempt(con, "quantri", PASSWORD, attacker, later) == ""


def test_guessing_one_name_from_many_addresses_slows_each_of_them(con):
    """A name guessed from many addresses: after ACCOUNT_FREE_FAILURES guesses in all, an address
    that got it wrong waits before its next try at it; an address that did not is not slowed."""
    now = datetime(2026, 11, 24, 9, 0)
    for i in range(ACCOUNT_FREE_FAILURES + 3):
        assert attempt(con, "quantri", "doan-sai-mat-khau", f"198.51.100.{i}", now).startswith(REFUSED)
    last = f"198.51.100.{ACCOUNT_FREE_FAILURES + 2}"
    assert wait_before_next(con, "quantri", last, now) == timedelta(seconds=2 ** 3)
    assert wait_before_next(con, "quantri", "198.51.100.0", now) == timedelta(0)   # before the count grew
    assert "hãy đợi 8 giây" in attempt(con, "quantri", PASSWORD, last, now)
    assert attempt(con, "quantri", PASSWORD, "10.0.0.7", now) == ""


def test_unknown_names_and_throttled_attempts_answer_alike(con):
    now = datetime(2026, 11, 24, 9, 0)
    # A wrong password for a real name and any password for a name that does not exist: one answer
    # at every count (from two addresses with the same history), the waits included.
    for _ in range(CLIENT_FREE_FAILURES + 3):
        real = attempt(con, "canbo_hd", "sai-mat-khau", "192.0.2.3", now)
        unknown = attempt(con, "khong_ai", "sai-mat-khau", "192.0.2.4", now)
        assert real == unknown and (real.startswith(REFUSED) or "hãy đợi" in real)
    # Throttled: the same answer for a real name with its right password, a wrong one, and a
    # name that does not exist.
    answers = {attempt(con, "canbo_hd", PASSWORD, "192.0.2.3", now),
               attempt(con, "canbo_hd", "sai-mat-khau", "192.0.2.3", now)}
    answers |= {attempt(con, "khong_ai", PASSWORD, "192.0.2.3", now)}
    assert len(answers) == 1 and "hãy đợi" in answers.pop()
    assert audit_actions(con, "khong_ai")[-1] == "sign_in_throttled"


def test_no_attempt_from_a_client_without_address_stops_another(con):
    """The command line and this machine have no address: they count as one client, '-'."""
    now = datetime(2026, 11, 24, 9, 0)
    for _ in range(CLIENT_FREE_FAILURES + 1):
        attempt(con, "canbo_hd", "sai-mat-khau", None, now)
    assert wait_before_next(con, "canbo_hd", None, now) > timedelta(0)
    assert sign_in(con, "canbo_hd", PASSWORD, client="10.0.0.8", now=now)
    detail = con.execute("select detail from audit_event where action = 'sign_in' order by event_id desc limit 1"
                         ).fetchone()[0]
    assert "10.0.0.8" in detail


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", " " * 12, "\t\t\t\t\t\n\n\n\n\n\n", "１１１１１１１１１１"])
def test_repeated_or_blank_passwords_are_refused(con, password):
    with pytest.raises(AccountError, match="một ký tự lặp lại"):
        set_password(con, "quantri", "canbo_hd", password)
    with pytest.raises(AccountError, match="một ký tự lặp lại"):
        create_account(con, "quantri", "lap_lai", "Lặp lại", "viewer", None, password)
    assert sign_in(con, "canbo_hd", PASSWORD)


def test_unknown_user_gets_the_same_message(con):
    with pytest.raises(PermissionDenied, match="Tên đăng nhập hoặc mật khẩu không đúng"):
        sign_in(con, "khong_ai", PASSWORD)


def run_cli(db, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return cli_in_process(db, *args, stdin=stdin)


def test_cli_user_add_list_passwd(seeded_db):
    out = run_cli(seeded_db, "user", "add", "canbo_xa", "--role", "officer", "--locality", "09931",
                  "--password-stdin", stdin="mat-khau-tu-stdin\n")
    assert out.returncode == 0, out.stderr
    assert "mat-khau-tu-stdin" not in out.stdout
    listing = run_cli(seeded_db, "user", "list").stdout
    assert "canbo_xa" in listing and "09931" in listing and "Cán bộ nhập liệu" in listing
    out = run_cli(seeded_db, "user", "passwd", "canbo_xa")
    assert out.returncode == 0 and "chỉ hiện một lần" in out.stdout
    new_password = out.stdout.strip().split(": ")[-1]
    con = connect(seeded_db)
    assert sign_in(con, "canbo_xa", new_password).locality_code == "09931"
    with pytest.raises(PermissionDenied):
        sign_in(con, "canbo_xa", "mat-khau-tu-stdin")


def test_cli_refuses_officer_without_scope_and_delegated_non_admin(seeded_db):
    out = run_cli(seeded_db, "user", "add", "canbo_x", "--role", "officer")
    assert out.returncode == 2 and "phạm vi địa phương" in out.stderr
    run_cli(seeded_db, "user", "add", "canbo_y", "--role", "officer", "--locality", "09931")
    out = run_cli(seeded_db, "user", "--as", "canbo_y", "add", "ke_gian", "--role", "admin")
    assert out.returncode == 4 and "Bị từ chối" in out.stderr


def test_init_db_prints_a_generated_admin_password_once(tmp_path):
    db = tmp_path / "new.duckdb"
    first = run_cli(db, "init-db", "--no-samples")
    assert first.returncode == 0 and "quantri" in first.stdout
    password = first.stdout.split("mật khẩu: ")[1].split()[0]
    assert len(password) >= 12
    second = run_cli(db, "init-db", "--no-samples")
    assert password not in second.stdout and "mật khẩu:" not in second.stdout
    assert sign_in(connect(db), "quantri", password).role == "admin"
    other = tmp_path / "other.duckdb"
    assert password not in run_cli(other, "init-db", "--no-samples").stdout  # no fixed default


def test_cli_acts_as_user_and_says_who_ran_it(seeded_db):
    """`user --user NAME` acts with that account's rights; every event the command line raises
    says it came from the command line and which operating-system user ran it."""
    import getpass
    suffix = f"(dòng lệnh, người dùng hệ điều hành: {getpass.getuser()})"
    con = connect(seeded_db)
    set_password(con, "quantri", "quantri", PASSWORD)
    create_account(con, "quantri", "canbo_hd", "Cán bộ Hưng Đạo", "officer", "09931", PASSWORD)
    before = con.execute("select max(event_id) from audit_event").fetchone()[0]
    con.close()
    out = run_cli(seeded_db, "user", "--user", "quantri", "add", "lanhdao2", "--role", "viewer")
    assert out.returncode == 0, out.stderr
    out = run_cli(seeded_db, "user", "--user", "canbo_hd", "add", "ke_gian", "--role", "admin")
    assert out.returncode == 4 and "Bị từ chối" in out.stderr
    out = run_cli(seeded_db, "user", "--user", "canbo_hd", "list")
    assert out.returncode == 4 and "lanhdao2" not in out.stdout
    con = connect(seeded_db)
    events = con.execute("select user_name, action, detail from audit_event where event_id > $e order by event_id",
                         {"e": before}).fetchall()
    assert [(u, a) for u, a, _ in events] == [("quantri", "account_change"), ("canbo_hd", "denied"),
                                              ("canbo_hd", "denied")]
    assert all(detail.endswith(suffix) for _, _, detail in events)
    assert get_account(con, "lanhdao2").role == "viewer" and get_account(con, "ke_gian") is None
    # The app's own events (no command line) carry no such note.
    sign_in(con, "quantri", PASSWORD, client="10.0.0.7")
    assert "dòng lệnh" not in con.execute("select detail from audit_event order by event_id desc limit 1").fetchone()[0]
