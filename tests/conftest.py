"""Shared fixtures: a seeded database file built once per test session, and fresh ones on demand."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indicators.setup import init_db

ROOT = Path(__file__).resolve().parent.parent


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

