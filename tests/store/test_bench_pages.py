"""bench/pages.py: the CPU seconds of one warm page run, measured in a child process with AppTest."""
from __future__ import annotations

import shutil

import pytest

from bench import pages


@pytest.fixture
def sample_db(seeded_db_template, tmp_path):
    db = tmp_path / "pages.duckdb"
    shutil.copy(seeded_db_template, db)
    return db


def test_every_page_has_a_positive_cpu_figure(sample_db):
    cpu = pages.measure(sample_db, runs=2, repeats=1)
    assert set(cpu) == {"overview", "locality", "indicator"}
    for name, seconds in cpu.items():
        assert 0 < seconds < 30, (name, seconds)


def test_a_page_linking_to_another_is_measured_as_the_app_opens_it(sample_db):
    """Hà Nội's page links to its plan's task board (st.page_link), which works only through
    app.py's navigation: measured that way, as a browser opens it, the page runs without error."""
    seconds = pages.page_run_cpu(pages.PAGES_DIR / "locality.py", sample_db, {"locality": "01"}, runs=1, repeats=1)
    assert 0 < seconds < 30


def test_a_page_that_raises_fails_the_measurement(sample_db, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import streamlit as st\nst.title('x')\nraise ValueError('boom in the page')\n")
    with pytest.raises(RuntimeError, match="boom in the page"):
        pages.page_run_cpu(broken, sample_db, runs=1, repeats=1)


def test_a_view_the_warm_runs_lose_fails_the_measurement(sample_db, tmp_path):
    """The figure must be the view asked for: a page that drops the query parameter is not it."""
    drops = tmp_path / "drops.py"
    drops.write_text("import streamlit as st\nst.query_params.clear()\nst.write('hi')\n")
    with pytest.raises(RuntimeError, match="did not draw the view"):
        pages.page_run_cpu(drops, sample_db, {"locality": "12"}, runs=1, repeats=1)
