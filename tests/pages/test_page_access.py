"""What each visitor can open: navigation by role, the pages' own checks, sign-in, time-out, escaping."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators.auth.admin import create_account, set_password
from indicators.store import gate
from indicators.auth import sessions
from tests.conftest import ROOT, signed_in

PASSWORD = "mat-khau-thu-nghiem"
DASHBOARDS = {"overview.py", "locality.py", "indicator.py", "present.py", "tasks.py", "task.py"}
UPLOAD = {"upload.py", "task_upload.py"}
ADMIN = {"admin_accounts.py", "admin_plans.py", "admin_tasks.py", "admin_audit.py"}


@pytest.fixture
def accounts(seeded_db):
    with gate.writing(seeded_db) as con:   # closed before the app reads, as any other process would
        set_password(con, "quantri", "quantri", PASSWORD)
        create_account(con, "quantri", "canbo_hd", "Cán bộ <script>alert('x')</script>", "officer", "09931",
                       PASSWORD)
        create_account(con, "quantri", "lanhdao", "Lãnh đạo Sở", "viewer", None, PASSWORD)
    return seeded_db


def app(user: str | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if user:
        signed_in(at, user)
    at.run()
    if page:
        at.switch_page(str(ROOT / "pages" / page)).run()
    assert not at.exception, at.exception
    return at


def pages_of(at: AppTest) -> set[str]:
    # AppTest keeps the pages st.navigation registered for this run (a private attribute).
    return {Path(str(info["script_path"])).name for info in at._registered_pages.values()
            if info.get("script_path")}


@pytest.mark.parametrize("user,expected", [
    (None, DASHBOARDS | {"sign_in.py"}),
    ("lanhdao", DASHBOARDS | {"sign_in.py"}),
    ("canbo_hd", DASHBOARDS | UPLOAD | {"sign_in.py"}),
    ("quantri", DASHBOARDS | UPLOAD | {"approval.py"} | ADMIN | {"sign_in.py"}),   # approvers: test_page_approval
])
def test_navigation_follows_the_role(accounts, user, expected):
    assert pages_of(app(user)) == expected


@pytest.mark.parametrize("page", sorted(UPLOAD | ADMIN))
def test_viewer_cannot_open_protected_pages_even_by_url(accounts, page):
    at = app("lanhdao")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(ROOT / "pages" / page))
    # The page itself refuses too, when run directly as if its URL were typed.
    direct = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    signed_in(direct, "lanhdao")
    direct.run()
    assert any("không có quyền" in e.value for e in direct.error)
    assert not direct.dataframe and not direct.get("file_uploader")


@pytest.mark.parametrize("page", sorted(ADMIN))
def test_officer_cannot_open_administration(accounts, page):
    direct = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    signed_in(direct, "canbo_hd")
    direct.run()
    assert any("không có quyền" in e.value for e in direct.error)


def test_private_deployment_shows_only_sign_in(accounts, monkeypatch):
    monkeypatch.setenv("INDICATORS_PUBLIC_READ", "0")
    at = app()
    assert pages_of(at) == {"sign_in.py"}
    assert at.title[0].value == "Đăng nhập"
    assert pages_of(app("lanhdao")) == DASHBOARDS | {"sign_in.py"}


def test_sign_in_through_the_page(accounts):
    at = app(page="sign_in.py")
    at.text_input(key="sign_in_user").input("QuanTri")
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    with gate.reading(accounts) as con:   # a session in the store, not only in this tab
        assert sessions.by_id(con, at.session_state["session_id"]).user_name == "quantri"
    assert pages_of(at) >= ADMIN


def test_wrong_password_is_refused_and_logged(accounts):
    at = app(page="sign_in.py")
    at.text_input(key="sign_in_user").input("lanhdao")
    at.text_input(key="sign_in_password").input("sai-mat-khau-roi")
    at.button[0].click().run()
    assert any("không đúng" in e.value for e in at.error)
    assert "session_id" not in at.session_state
    with gate.reading(accounts) as con:
        n = con.execute("select count(*) from audit_event where user_name = 'lanhdao' "
                        "and action = 'sign_in_failed'").fetchone()[0]
    assert n == 1


def test_idle_session_times_out(accounts, monkeypatch):
    monkeypatch.setenv("INDICATORS_SESSION_MINUTES", "30")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    session_id = signed_in(at, "quantri", idle_minutes=31)
    at.run()
    assert "session_id" not in at.session_state
    assert pages_of(at) == DASHBOARDS | {"sign_in.py"}
    with gate.reading(accounts) as con:   # ended in the store: no other tab or process can use it
        assert sessions.by_id(con, session_id).ended_reason == "idle"


def test_typed_text_is_shown_escaped(accounts):
    at = app("canbo_hd")
    shown = [c.value for c in at.sidebar.caption]
    assert any("&lt;script&gt;" in c for c in shown)
    assert not any("<script>" in c for c in shown)
    admin = app("quantri", page="admin_accounts.py")
    table = admin.dataframe[0].value
    assert "Cán bộ <script>alert('x')</script>" in table["display_name"].tolist()  # data, not markup
