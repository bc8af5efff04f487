"""One app process killed in the middle of a load through the local cluster (scripts/cluster.sh):
nginx in front of two processes on PostgreSQL, viewers and signed-in officers committing uploads
(bench/load.py's clients, which keep the route cookie as a browser does).

What a person would notice: the tabs on the dead process lose their page once (a disconnect), and
their next page comes from the live process; an officer is still signed in there (sessions live in
the store) and goes on committing; every upload either is in the store whole or left nothing, and
every upload an officer saw committed is there.

No browser: the load driver's clients speak Streamlit's websocket protocol. About 15 s to start
the cluster and 20 s of load."""
from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from bench import cluster as local_cluster
from bench import load
from tests.conftest import missing

SESSIONS = 8
OFFICERS = 2
SECONDS = 20.0
THINK_S = 0.7
COMMIT_WAIT_S = 60.0   # every officer's first commit, before the kill (a busy 2-core machine)
# Each person makes at least this many visits, past SECONDS if the machine is slow: one visit of
# the first officer may be cut by the kill, and one more must come after it.
MIN_VISITS = 4


@pytest.fixture(scope="module")
def cluster():
    absent = local_cluster.available()   # Debian's nginx and PostgreSQL
    if absent:
        missing(absent, "cluster load test skipped")
    with local_cluster.running(2) as running:
        for app in running.app_urls():   # each process warm: its imports, replica and caches
            asyncio.run(load._warm_up(app, list(local_cluster.WARM_PAGES), None, load.STEP_TIMEOUT_S))
        yield running


def _port(upstream: str) -> int:
    return int(upstream.rsplit(":", 1)[1])


def _uploads(db_url: str) -> list[tuple]:
    """(upload id, user, state, rows the file had, new rows, observations the store holds for it)
    of every upload by the load's officers."""
    from indicators.store import gate, pg
    try:
        with gate.reading(db_url) as con:
            return con.execute(
                "select u.upload_id, u.user_name, u.state, u.n_rows, u.n_new, "
                "  (select count(*) from observation o where o.upload_id = u.upload_id) "
                "from upload u where u.user_name like $p order by u.upload_id",
                {"p": load.LOAD_USER_PREFIX + "%"}).fetchall()
    finally:
        pg.forget(db_url)


def test_a_killed_process_loses_no_session_and_no_upload(cluster):
    killed: dict = {}

    async def kill_one(rec: load.Recorder, clients) -> None:
        """Once every officer has committed, kill -9 the process that served the first commit."""
        killed["rec"] = rec
        deadline = time.monotonic() + COMMIT_WAIT_S
        while len({user for _, user, _, _ in rec.commits}) < OFFICERS:
            assert time.monotonic() < deadline, f"not every officer committed within {COMMIT_WAIT_S} s: " \
                                                f"{rec.commits} {rec.samples}"
            await asyncio.sleep(0.1)
        victim = rec.commits[0][3]
        assert victim, "the officer's page did not say which process served it (nginx's X-Upstream)"
        pid = cluster.pids()[_port(victim) - cluster.port - 1]
        killed.update(at=time.monotonic(), upstream=victim, pid=pid, before=len(rec.commits))
        os.kill(pid, signal.SIGKILL)

    before = _uploads(cluster.db_url)
    report = asyncio.run(load.run_load_async(
        cluster.url, sessions=SESSIONS, officers=OFFICERS, db=cluster.db_url, seconds=SECONDS,
        think_s=THINK_S, ramp_s=1.0, warmup=False, during=kill_one, min_visits=MIN_VISITS))
    assert "pid" in killed, "the process was never killed"
    rec_runs, rec_commits = killed["rec"].runs, killed["rec"].commits
    at, victim = killed["at"], killed["upstream"]
    with pytest.raises(ProcessLookupError):
        os.kill(killed["pid"], 0)

    # The tabs on the dead process broke once each, as disconnects; nothing else went wrong.
    errors = report["load_errors_by_kind"]
    assert set(errors) <= {"disconnect"}, (errors, report["error_samples"])
    assert report["load_errors"] <= SESSIONS, (errors, report["error_samples"])

    # Every client the dead process served came back, served by the live process.
    on_victim = {who for t, _, _, up, who in rec_runs if up == victim and t < at}
    assert on_victim, f"no client was on {victim} before the kill: {rec_runs[:20]}"
    after = {who for t, _, _, up, who in rec_runs if t > at and up and up != victim}
    assert on_victim <= after, f"clients of {victim} never ran a page again after the kill"
    assert not [r for r in rec_runs if r[0] > at + 1.0 and r[3] == victim], "a page was served by a dead process"

    # The officer whose process died is still signed in on the live one: it commits again there.
    first_user = rec_commits[0][1]
    again = [c for c in rec_commits if c[1] == first_user and c[0] > at]
    assert again and all(c[3] != victim for c in again), rec_commits

    # No upload lost or half-written: each one the store holds has every row of its file, each
    # one an officer saw committed is there, and a commit cut off before its answer counts whole.
    uploads = [u for u in _uploads(cluster.db_url) if u not in before]
    assert uploads, "no upload reached the store"
    for upload_id, user, state, n_rows, n_new, held in uploads:
        assert state == "committed", (upload_id, state)
        assert n_rows == load.ROWS_PER_UPLOAD and n_new == n_rows == held, \
            f"upload {upload_id} of {user}: {n_rows} rows in the file, {n_new} new, {held} in the store"
    print(f"killed {victim}: errors {errors}, clients on it {len(on_victim)}, commits {len(rec_commits)}, "
          f"uploads {len(uploads)}, officer again {len(again)}")
    seen = report["load_uploads_committed"]
    assert seen == len(rec_commits)
    assert seen <= len(uploads) <= seen + OFFICERS, (seen, uploads)
    assert report["load_rows_added"] == sum(u[5] for u in uploads) >= report["load_rows_expected"]
