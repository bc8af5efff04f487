"""bench load (bench/load.py): light clients speaking Streamlit's websocket protocol to a real app
server measure what a browser tab would wait for, and count what went wrong."""
from __future__ import annotations

import asyncio
import re
import shutil

import pytest

from bench import load
from indicators.store import gate


def _rows(db) -> int:
    with gate.reading(db) as con:
        return con.execute("select count(*) from observation").fetchone()[0]


@pytest.fixture
def served(seeded_db_template, tmp_path):
    """A running app server on a private copy of the seeded database: (url, pid, db)."""
    db = tmp_path / "load.duckdb"
    shutil.copy(seeded_db_template, db)
    with load.serve(db, log=tmp_path / "server.log") as (url, pid):
        yield url, pid, db
    gate.close_idle(db)


def test_every_page_runs_without_errors_and_the_officer_commits(served):
    url, pid, db = served
    before = _rows(db)
    report = load.run_load(url, ["overview", "locality", "indicator", "presenter"], sessions=5, seconds=8,
                           officers=1, db=db, server_pid=pid, min_visits=1)   # each visit whole, however busy
    assert report["load_errors"] == 0, report["error_samples"]
    for page in load.PAGES:
        assert report["pages"][page]["runs"] > 0, page
        assert report["pages"][page]["errors"] == 0, page
    for name, step in report["steps"].items():
        assert step["runs"] > 0 and step["p50_s"] > 0 and step["max_s"] >= step["p95_s"] >= step["p50_s"], name
    # Interactions, not only page opens: a widget change on each viewer page, a slide, a commit.
    for step in ("overview.year", "locality.province", "indicator.indicator", "presenter.next",
                 "upload.preview", "upload.commit"):
        assert report["steps"][step]["runs"] > 0, step
    assert report["load_runs"] == sum(p["runs"] for p in report["pages"].values())
    assert report["load_p95_s"] > 0 and report["load_runs_per_s"] > 0
    assert report["load_server_cpu_s"] > 0 and report["load_server_peak_mib"] > 50
    # Each commit wrote its own new rows, all of them, and the report says how many.
    assert report["load_uploads_committed"] >= 1
    assert report["load_rows_expected"] == report["load_uploads_committed"] * load.ROWS_PER_UPLOAD
    assert _rows(db) - before == report["load_rows_expected"] == report["load_rows_added"]


def test_people_arrive_one_after_another_over_the_ramp(served):
    """With ramp_s, the last of n sessions opens its first page (n − 1)/n × ramp_s after the
    start: the run lasts at least that long even when its duration is shorter."""
    url, _, _ = served
    report = load.run_load(url, ["indicator"], sessions=3, seconds=0.1, ramp_s=6.0, min_visits=1)
    assert report["ramp_s"] == 6.0 and report["load_errors"] == 0
    assert report["elapsed_s"] >= 4.0 and report["steps"]["indicator.open"]["runs"] == 3


def test_a_page_that_is_not_there_or_not_allowed_is_an_error(served):
    url, _, _ = served

    async def visit():
        tab = load.Tab(url, timeout=60)
        await tab.connect()
        try:
            missing = await tab.run(page="khong-co-trang-nay")
            # Signed out, the upload page is the sign-in form: no file uploader to use.
            await tab.run(page="nhap-so-lieu")
            with pytest.raises(load.StepError) as raised:
                tab.widget(re.compile(r"upload_file_\d+"), "file_uploader")
            return missing, raised.value
        finally:
            await tab.close()

    missing, no_uploader = asyncio.run(visit())
    assert [kind for kind, _ in missing.errors] == ["page_not_found"]
    assert no_uploader.kind == "no_widget"


# --- the client's reading of ForwardMsgs, without a server ---------------------------------------
def _msg(**fields):
    _, ForwardMsg, _ = load._protos()
    return ForwardMsg(**fields)


def test_exception_elements_count_and_a_rerun_is_waited_for():
    _, ForwardMsg, _ = load._protos()
    tab = load.Tab("http://127.0.0.1:1")
    crash = _msg()
    crash.delta.new_element.exception.type = "KeyError"
    crash.delta.new_element.exception.message = "'x'"
    crash.metadata.delta_path[:] = [0, 3]
    assert tab.handle(crash) is None
    assert tab.run_errors == [("exception", "KeyError: 'x'")]
    assert tab.handle(_msg(script_finished=ForwardMsg.FINISHED_EARLY_FOR_RERUN)) is None   # st.rerun: wait on
    assert tab.elements == {}
    assert tab.handle(_msg(page_info_changed={"query_string": "slide=2"})) is None
    assert tab.query_string == "slide=2"
    assert tab.handle(_msg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY)) == ForwardMsg.FINISHED_SUCCESSFULLY


def test_a_cached_message_reference_is_resolved_from_the_tabs_cache():
    tab = load.Tab("http://127.0.0.1:1")
    big = _msg(hash="abc")
    big.metadata.cacheable = True
    big.delta.new_element.markdown.body = "x" * 20000
    tab.handle(big)
    ref = _msg(ref_hash="abc")
    ref.metadata.delta_path[:] = [0, 7]
    tab.handle(ref)
    assert tab.elements[(0, 7)].markdown.body == "x" * 20000
    with pytest.raises(load.StepError):
        tab.handle(_msg(ref_hash="unknown"))


def test_percentile_is_nearest_rank():
    assert load.percentile([], 0.95) is None
    assert load.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert load.percentile([float(i) for i in range(1, 101)], 0.95) == 95.0


def test_the_load_command_measures_people_who_read_before_they_click_unless_told(monkeypatch, tmp_path):
    """`bench load --sessions 50 --seconds 60` measures what the bench's load_* keys measure:
    people pausing ~5 s before each click; --think 0 asks for clicking without a pause."""
    from bench.run import LOAD_THINK_S
    from tests.conftest import cli_in_process
    asked = []
    monkeypatch.setattr(load, "bench_load", lambda db, **kw: asked.append(kw) or {"pages": {}, "load_p95_s": 1.0})
    db = tmp_path / "x.duckdb"
    assert cli_in_process(db, "bench", "load", "--sessions", "50", "--seconds", "60").returncode == 0
    assert cli_in_process(db, "bench", "load", "--think", "0").returncode == 0
    assert [(a["sessions"], a["think_s"]) for a in asked] == [(50, LOAD_THINK_S), (50, 0.0)]
    assert LOAD_THINK_S == 5.0
