"""Shared fixtures: a seeded database file built once per test session, and fresh ones on demand."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indicators.setup import init_db

ROOT = Path(__file__).resolve().parent.parent
# A developer's INDICATORS_DATABASE_URL (their PostgreSQL) is never what a test writes to; the
# PostgreSQL tests use INDICATORS_TEST_PG_URL (pg_url below).
os.environ.pop("INDICATORS_DATABASE_URL", None)


@pytest.fixture(scope="session")
def seeded_db_template(tmp_path_factory) -> Path:
    """A database built by init-db (catalogue + illustrative samples); copy it, don't write to it."""
    path = tmp_path_factory.mktemp("db") / "template.duckdb"
    init_db(path)
    return path


@pytest.fixture
def seeded_db(seeded_db_template, tmp_path, monkeypatch) -> Path:
    """A private copy of the seeded database, also set as $INDICATORS_DB for the app."""
    path = tmp_path / "health.duckdb"
    shutil.copy(seeded_db_template, path)
    monkeypatch.setenv("INDICATORS_DB", str(path))
    return path


def chromium_path() -> str | None:
    """Debian's Chromium, or None; in CI its absence is a failure, not a skip."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install chromium): browser test skipped"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but " + reason.replace(": browser test skipped", ""))
        pytest.skip(reason)
    return path



@pytest.fixture
def pg_url() -> str:
    """A new, empty PostgreSQL database on the server at $INDICATORS_TEST_PG_URL (started by
    .ci/run; locally: scripts/pg_cluster.sh start DIR), dropped afterwards. Skips locally
    without it; in CI its absence is a failure."""
    import uuid
    server = os.environ.get("INDICATORS_TEST_PG_URL")
    if not server:
        reason = ("PostgreSQL is not running for the tests (scripts/pg_cluster.sh start /tmp/pg, then export "
                  "INDICATORS_TEST_PG_URL=<the URL it prints>): PostgreSQL test skipped")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but " + reason.replace(": PostgreSQL test skipped", ""))
        pytest.skip(reason)
    import adbc_driver_postgresql.dbapi as pgdb
    name = "t_" + uuid.uuid4().hex[:12]
    admin = pgdb.connect(server, autocommit=True)
    cur = admin.cursor()
    cur.execute(f"create database {name}")
    base = server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        from indicators.store import pg
        pg.forget(f"{base}/{name}")
        cur.execute(f"drop database if exists {name} with (force)")
        cur.close()
        admin.close()


def signed_in(at, user_name: str, *, idle_minutes: float = 0, db=None):
    """A real session of `user_name` in the store (as the sign-in form makes one), remembered by
    the AppTest tab `at`; `idle_minutes` ago was its last activity. Returns the session id."""
    from datetime import datetime, timedelta

    from indicators.auth import sessions
    from indicators.store import gate
    with gate.writing(db, bump=False) as con:
        session_id, _ = sessions.start(con, user_name, now=datetime.now() - timedelta(minutes=idle_minutes))
    at.session_state["session_id"] = session_id
    return session_id
