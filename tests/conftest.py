"""Shared fixtures: a seeded database file built once per test session, and fresh ones on demand."""
from __future__ import annotations

from typing import NoReturn

import os
import shutil
from pathlib import Path

import pytest

from indicators.setup import init_db

ROOT = Path(__file__).resolve().parent.parent
# A developer's INDICATORS_DATABASE_URL (their PostgreSQL) is never what a test writes to; the
# PostgreSQL tests use INDICATORS_TEST_PG_URL (pg_url below).
os.environ.pop("INDICATORS_DATABASE_URL", None)


@pytest.fixture(autouse=True, scope="session")
def _light_password_hashing():
    """argon2id with its smallest work factors inside the test process. The product's defaults
    (about 0.2 s and 64 MiB a hash or check, on purpose) made every account a test adds, and
    every sign-in it tries, cost that much; the algorithm, the stored format and every rule
    around them are unchanged. Commands and app servers the tests start as processes keep the
    real cost (they verify with the parameters stored in each hash)."""
    from argon2 import PasswordHasher

    from indicators.auth import signin
    saved = signin._hasher, signin._dummy_hash
    signin._hasher, signin._dummy_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1), None
    yield
    signin._hasher, signin._dummy_hash = saved


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


def in_ci() -> bool:
    """Whether the suite runs in CI (CI=true), where .ci/run installs every system tool."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str, skipped: str) -> NoReturn:
    """A system tool pip cannot give is missing: a skip saying `reason` and what is `skipped`
    locally; in CI, where .ci/run installs it, a failure."""
    if in_ci():
        pytest.fail("CI=true but " + reason)
    pytest.skip(f"{reason}: {skipped}")


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
        missing("Debian's chromium is not installed (apt-get install chromium)", "browser test skipped")
    return path



def _pg_server() -> str:
    """The PostgreSQL server of the tests ($INDICATORS_TEST_PG_URL, started by .ci/run; locally:
    scripts/pg_cluster.sh start DIR). Skips locally without it; in CI its absence is a failure."""
    server = os.environ.get("INDICATORS_TEST_PG_URL")
    if not server:
        missing("PostgreSQL is not running for the tests (scripts/pg_cluster.sh start /tmp/pg, then export "
                "INDICATORS_TEST_PG_URL=<the URL it prints>)", "PostgreSQL test skipped")
    return server


def _pg_admin(server: str, sql: str) -> None:
    import adbc_driver_postgresql.dbapi as pgdb
    with pgdb.connect(server, autocommit=True) as con, con.cursor() as cur:
        cur.execute(sql)


def _pg_database(server: str, name: str, *, template: str | None = None) -> str:
    """Create database `name` on the server (a copy of `template`, if given); its URL. Under
    pytest-xdist the worker's id is part of the name (t_gw1_…): the workers share the server,
    and a database left behind says which worker made it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker:
        prefix, _, rest = name.partition("_")
        name = f"{prefix}_{worker}_{rest}"
    _pg_admin(server, f"create database {name}" + (f" template {template}" if template else ""))
    return f"{server.rsplit('/', 1)[0]}/{name}"


def _pg_drop(server: str, url: str) -> None:
    from indicators.store import pg
    pg.forget(url)
    _pg_admin(server, f"drop database if exists {url.rsplit('/', 1)[1]} with (force)")


@pytest.fixture
def pg_url():
    """A new, empty PostgreSQL database on the test server (see _pg_server), dropped afterwards."""
    import uuid
    server = _pg_server()
    url = _pg_database(server, "t_" + uuid.uuid4().hex[:12])
    try:
        yield url
    finally:
        _pg_drop(server, url)


@pytest.fixture(scope="session")
def _store_templates(tmp_path_factory):
    """Databases built once per test session, by name and backend, that store_copy copies."""
    made: dict[tuple[str, str], str | Path] = {}
    yield made
    for (backend, _), target in made.items():
        if backend == "postgres":
            _pg_drop(os.environ["INDICATORS_TEST_PG_URL"], str(target))


@pytest.fixture
def store_copy(_store_templates, tmp_path_factory, tmp_path, request):
    """store_copy(backend, name, build) -> a private store for this test: a copy of the template
    `name` on `backend` ('duckdb': a file; 'postgres': CREATE DATABASE … TEMPLATE on the test
    server), built once per session by build(target) (e.g. init_db and accounts). Building a
    store takes seconds on PostgreSQL; copying one takes a fraction of that."""
    import uuid

    def make(backend: str, name: str, build, *, file: str = "health.duckdb") -> str | Path:
        key = (backend, name)
        if backend == "duckdb":
            if key not in _store_templates:
                path = tmp_path_factory.mktemp("store-template") / f"{name}.duckdb"
                build(path)
                _store_templates[key] = path
            template, copy = Path(_store_templates[key]), tmp_path / file
            shutil.copy(template, copy)
            shutil.copy(template.with_name(template.name + ".version"), copy.with_name(copy.name + ".version"))
            return copy
        if backend != "postgres":
            raise ValueError(backend)
        server = _pg_server()
        if key not in _store_templates:
            url = _pg_database(server, f"tpl_{name}_{uuid.uuid4().hex[:8]}")
            try:
                build(url)
            except BaseException:
                _pg_drop(server, url)
                raise
            from indicators.store import pg
            pg.forget(url)   # a template database must have no connection when it is copied
            _store_templates[key] = url
        template = str(_store_templates[key]).rsplit("/", 1)[1]
        url = _pg_database(server, "t_" + uuid.uuid4().hex[:12], template=template)
        request.addfinalizer(lambda: _pg_drop(server, url))
        return url

    return make


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


def cli_in_process(db, *args: str, stdin: str | None = None):
    """`python -m indicators --db DB ARGS` run by this process's own command line (no new
    interpreter: ~2 s each), as a finished process with its exit code, stdout and stderr. For
    tests whose point is the command, not another process."""
    import contextlib
    import io
    import subprocess
    import sys

    from indicators.cli import main
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["--db", str(db), *args])
            except SystemExit as exc:   # argparse's refusals
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = saved
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())
