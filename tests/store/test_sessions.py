"""Sign-in sessions in the store (indicators/auth/sessions.py), on both backends: the hand-off
code is single-use and short-lived, the cookie is signed and names its session, sign-out ends
one session, a password change or an admin ends the others, and every ending is audited."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from indicators.auth import admin, sessions
from indicators.auth.accounts import PermissionDenied
from indicators.store import gate
from tests.store.test_backends import store   # noqa: F401 — the fixture, on both backends


def signed_in(target, user="canbo-lc", next_path="/nhap-so-lieu?ky=2026", now=None) -> tuple[str, str]:
    """A sign-in and its hand-off: (session id, cookie value)."""
    with gate.writing(target, bump=False) as con:
        session_id, code = sessions.start(con, user, client="10.0.0.7", next_path=next_path, now=now)
    with gate.writing(target, bump=False) as con:
        cookie, landing = sessions.exchange(con, code, now=now)
    assert landing == next_path
    return session_id, cookie


def from_cookie(target, cookie):
    with gate.reading(target) as con:
        return sessions.from_cookie(con, cookie)


def events(target, action):
    with gate.reading(target) as con:
        return [r[0] for r in con.execute("select detail from audit_event where action = $a order by event_id",
                                          {"a": action}).fetchall()]


def test_the_cookie_names_the_session_and_only_its_signature_opens_it(store):
    session_id, cookie = signed_in(store)
    found = from_cookie(store, cookie)
    assert found.session_id == session_id and found.user_name == "canbo-lc" and not found.is_ended
    token, signature = cookie.split(".")
    forged = f"{token}.{'0' * len(signature)}"
    assert from_cookie(store, forged) is None                # a changed signature
    assert from_cookie(store, token) is None                 # no signature
    assert from_cookie(store, f"x{token}.{signature}") is None
    with gate.reading(store) as con:   # the store keeps neither the token nor the code
        stored = con.execute("select * from web_session").fetchall()
    assert token not in repr(stored)


def test_a_hand_off_code_works_once_and_only_for_a_minute(store):
    now = datetime(2026, 12, 3, 9, 0, 0)
    with gate.writing(store, bump=False) as con:
        _, code = sessions.start(con, "canbo-lc", now=now)
        _, late_code = sessions.start(con, "canbo-lc", now=now)
    with gate.writing(store, bump=False) as con:
        assert sessions.exchange(con, code, now=now + timedelta(seconds=5)) is not None
        assert sessions.exchange(con, code, now=now + timedelta(seconds=6)) is None      # used
        assert sessions.exchange(con, late_code, now=now + timedelta(seconds=61)) is None  # expired
        assert sessions.exchange(con, late_code, now=now + timedelta(seconds=1)) is None  # and spent by that try
        assert sessions.exchange(con, "not-a-code") is None


@pytest.mark.parametrize("where,expected", [
    ("/nhap-so-lieu?ky=2026&tinh=12", "/nhap-so-lieu?ky=2026&tinh=12"),
    ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"), ("/a\nSet-Cookie: x=1", "/"), (None, "/"),
])
def test_the_landing_page_is_always_a_page_of_this_app(store, where, expected):
    with gate.writing(store, bump=False) as con:
        _, code = sessions.start(con, "canbo-lc", next_path=where)
    with gate.writing(store, bump=False) as con:
        assert sessions.exchange(con, code)[1] == expected


def test_signing_out_ends_that_session_only_and_is_audited(store):
    first, first_cookie = signed_in(store)
    second, second_cookie = signed_in(store)
    with gate.writing(store, bump=False) as con:
        assert sessions.end(con, first, "sign_out")
        assert not sessions.end(con, first, "sign_out")   # once
    assert from_cookie(store, first_cookie).ended_reason == "sign_out"
    assert not from_cookie(store, second_cookie).is_ended
    assert len(events(store, "sign_out")) == 1


def test_a_password_change_ends_the_other_sessions_and_an_admin_ends_them_all(store):
    mine, _ = signed_in(store)
    other, other_cookie = signed_in(store)
    with gate.writing(store) as con:
        admin.set_password(con, "canbo-lc", "canbo-lc", "mat-khau-moi-rat-dai", keep_session=mine)
    with gate.reading(store) as con:
        assert not sessions.by_id(con, mine).is_ended
        assert sessions.by_id(con, other).ended_reason == "password_changed"
    with gate.writing(store) as con:
        with pytest.raises(PermissionDenied):
            admin.end_sessions(con, "canbo-lc", "admin")   # an officer cannot
        assert admin.end_sessions(con, "admin", "canbo-lc") == 1
    with gate.reading(store) as con:
        assert sessions.by_id(con, mine).ended_reason == "ended_by_admin"
        assert sessions.open_sessions(con, "canbo-lc") == 0
    assert any("canbo-lc" in d for d in events(store, "session_ended"))
    assert from_cookie(store, other_cookie).is_ended


def test_disabling_an_account_ends_its_sessions(store):
    session_id, _ = signed_in(store)
    with gate.writing(store) as con:
        admin.update_account(con, "admin", "canbo-lc", is_active=False)
    with gate.reading(store) as con:
        assert sessions.by_id(con, session_id).ended_reason == "account_disabled"


def test_idle_is_measured_from_the_last_activity(store):
    start = datetime(2026, 12, 3, 9, 0, 0)
    session_id, _ = signed_in(store, now=start)
    with gate.reading(store) as con:
        session = sessions.by_id(con, session_id)
    assert not sessions.is_idle(session, 30, now=start + timedelta(minutes=29))
    assert sessions.is_idle(session, 30, now=start + timedelta(minutes=31))
    with gate.writing(store, bump=False) as con:
        sessions.touch(con, session_id, start + timedelta(minutes=29))
    with gate.reading(store) as con:
        session = sessions.by_id(con, session_id)
    assert not sessions.is_idle(session, 30, now=start + timedelta(minutes=31))


def test_session_writes_leave_the_data_version_alone(store):
    before = gate.data_version(store)
    signed_in(store)
    assert gate.data_version(store) == before   # no cached page is recomputed for a sign-in's session


def test_the_command_line_ends_an_accounts_sessions(store):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT
    first, _ = signed_in(store)
    second, _ = signed_in(store)
    done = subprocess.run([sys.executable, "-m", "indicators", "--db", str(store), "user", "--user", "admin",
                           "end-sessions", "canbo-lc"], cwd=ROOT, text=True, capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "Đã kết thúc 2 phiên" in done.stdout
    with gate.reading(store) as con:
        assert {sessions.by_id(con, s).ended_reason for s in (first, second)} == {"ended_by_admin"}
    refused = subprocess.run([sys.executable, "-m", "indicators", "--db", str(store), "user", "--user", "canbo-lc",
                              "end-sessions", "admin"], cwd=ROOT, text=True, capture_output=True, timeout=300,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert refused.returncode != 0 and "quyền" in refused.stderr
