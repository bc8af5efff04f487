"""The local cluster of scripts/cluster.sh (`make cluster`), in a real browser: PostgreSQL, two app
processes and nginx in front. nginx spreads browsers over the processes and keeps each on one
(its route cookie; Streamlit keeps a session, its uploads and media in the process holding its
websocket); a browser whose process dies is served by the other after a reload, still signed in
(sessions live in the store), and an upload works there.

One cluster for the module (about 15 s to start on a busy 2-core machine). Which process served a
response: the X-Upstream header nginx adds in this cluster, and its access log (route, upstream
and status of every request; a websocket's line is written when it closes)."""
from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.cluster import available as cluster_available, running
from tests.conftest import missing
from tests.browser.support import TIMEOUT_MS, WATCH_RUNS_JS, app_rerun, sign_in, wait_for_app

pytestmark = pytest.mark.browser
N = 2
PASSWORD = "mat-khau-can-bo-cum"
LOG_WAIT_S = 30        # a line of nginx's access log (a websocket's is written when it closes)
ROUTE = "st_route"
CONNECTED_JS = ("() => document.querySelector(\"[data-testid='stApp']\")"
                "?.getAttribute('data-test-connection-state') === 'CONNECTED'")


@dataclass
class Cluster:
    base: str
    folder: Path
    port: int
    db_url: str

    def app_port(self, upstream: str) -> int:
        """The app process that answered, from an X-Upstream value ("127.0.0.1:P[, 127.0.0.1:Q]":
        nginx lists every process it tried; the last one answered)."""
        return int(upstream.split(",")[-1].strip().rsplit(":", 1)[1])

    def pid(self, app_port: int) -> int:
        return int((self.folder / f"app-{app_port - self.port}.pid").read_text())

    def access_log(self) -> list[str]:
        path = self.folder / "nginx" / "access.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def tails(self) -> str:
        parts = []
        for log in sorted(self.folder.glob("app-*.log")) + [self.folder / "nginx" / "error.log"]:
            parts.append(f"--- {log.name}\n" + log.read_text(errors="replace")[-2000:])
        return "\n".join(parts)


@pytest.fixture(scope="module")
def cluster():
    absent = cluster_available()   # Debian's nginx and PostgreSQL
    if absent:
        missing(absent, "cluster test skipped")
    with running(N) as started:   # a folder PostgreSQL (as `postgres` when root) can reach, free ports
        from indicators.auth.admin import create_account
        from indicators.store import gate, pg
        with gate.writing(started.db_url) as con:
            create_account(con, "quantri", "canbo_lc", "Cán bộ Lai Châu", "officer", "12", PASSWORD)
        pg.forget(started.db_url)   # this process keeps no connection to the cluster's database
        yield Cluster(started.url, started.folder, started.port, started.db_url)


@pytest.fixture
def contexts(browser):
    """new() -> a fresh browser context (its own cookies: another browser); all closed afterwards."""
    made = []

    def new():
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(WATCH_RUNS_JS)
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()


def served_by(context, cluster: Cluster) -> int:
    """The app process this browser's requests reach now (a cheap request with its cookies)."""
    response = context.request.get(f"{cluster.base}/_stcore/health")
    assert response.ok, f"/_stcore/health through nginx: HTTP {response.status}\n{cluster.tails()}"
    return cluster.app_port(response.headers["x-upstream"])


def route_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == ROUTE)


def log_lines(cluster: Cluster, route: str, *, until=None) -> list[str]:
    """The access log's lines of the browser with this route; with `until`, waits (bounded) for a
    line that satisfies it (a websocket's line is written when it closes)."""
    deadline = time.monotonic() + LOG_WAIT_S
    while True:
        lines = [line for line in cluster.access_log() if f" route={route} " in line]
        if until is None or any(until(line) for line in lines):
            return lines
        if time.monotonic() > deadline:
            pytest.fail(f"nginx's access log has no such line for route {route} after {LOG_WAIT_S} s:\n"
                        + "\n".join(lines[-20:]), pytrace=False)
        time.sleep(0.1)   # the poll interval of a wait for a state (a line in the log)


def upstreams(lines: list[str]) -> set[str]:
    return {re.search(r" upstream=(.*?) route=", line).group(1) for line in lines}


def is_websocket(line: str) -> bool:
    return '"GET /_stcore/stream ' in line and '" 101 ' in line


def test_browsers_are_spread_over_the_processes_and_each_keeps_its_route(cluster, contexts):
    # Different browsers (all from 127.0.0.1) reach different processes: a browser's first request
    # gets a random route. 20 browsers all on one of two processes: chance 2^-19.
    seen: dict[int, object] = {}
    for _ in range(20):
        context = contexts()
        seen.setdefault(served_by(context, cluster), context)
        if len(seen) == N:
            break
    assert sorted(seen) == [cluster.port + i for i in range(1, N + 1)], f"every browser reached {sorted(seen)}"
    for process, context in seen.items():
        cookie = next(c for c in context.cookies() if c["name"] == ROUTE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
        assert {served_by(context, cluster) for _ in range(5)} == {process}
        response = context.request.get(f"{cluster.base}/_stcore/health")
        given = [h["value"] for h in response.headers_array
                 if h["name"].lower() == "set-cookie" and h["value"].startswith(ROUTE + "=")]
        assert not given, given   # the route is given once, then kept


def test_a_browser_stays_on_its_process_until_it_dies_then_moves_signed_in(cluster, contexts, tmp_path):
    from tests.store.test_import import workbook

    context = contexts()
    page = context.new_page()
    answered: list[str] = []
    page.on("response", lambda r: answered.append(r.headers.get("x-upstream", "")))
    sign_in(page, cluster.base, "canbo_lc", PASSWORD)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Cán bộ Lai Châu")).to_be_visible()
    first = served_by(context, cluster)
    route = route_of(context)
    # Every response of the sign-in (the form's page with its scripts and styles, the route that
    # sets the sign-in cookie, the page it leads to) and the form's websocket: one process.
    assert len(answered) > 3 and {cluster.app_port(u) for u in answered if u} == {first}, answered
    lines = log_lines(cluster, route, until=is_websocket)
    assert {cluster.app_port(u) for u in upstreams(lines)} == {first}, "\n".join(lines)

    # The process dies (no goodbye). The tab reconnects by itself, through nginx, to the other
    # process; its next click runs there, still signed in (the session is in the store, the
    # cookie in the browser).
    with page.expect_websocket(timeout=TIMEOUT_MS):
        os.killpg(cluster.pid(first), signal.SIGKILL)
    logged = len(cluster.access_log())
    page.wait_for_function(CONNECTED_JS, timeout=TIMEOUT_MS)
    with app_rerun(page, "opening Nhập số liệu after its process died"):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Nhập số liệu").click()
    expect(page.get_by_role("heading", name="Nhập số liệu", level=1)).to_be_visible()
    expect(sidebar.get_by_text("Cán bộ Lai Châu")).to_be_visible()
    second = served_by(context, cluster)
    assert second != first, f"still on the process that was killed ({first})\n{cluster.tails()}"
    assert route_of(context) == route   # same browser, same route: only the live process changed

    # A reload (a new session) is served by the live process too, still signed in, and the page
    # works: an upload (/_stcore/upload_file/…, held by the process of the websocket) and its commit.
    response = page.reload()
    wait_for_app(page, after=0, what="reloading after its process died")
    assert cluster.app_port(response.headers["x-upstream"]) == second
    expect(page.get_by_role("heading", name="Nhập số liệu", level=1)).to_be_visible()
    expect(sidebar.get_by_text("Cán bộ Lai Châu")).to_be_visible()
    filled = tmp_path / "lai_chau.xlsx"
    filled.write_bytes(workbook([["12", "bhyt_coverage", "2026", "93,5"]]))
    with app_rerun(page, "uploading"):
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(filled))
    with app_rerun(page, "clicking Nhập dữ liệu"):
        page.get_by_role("button", name="Nhập dữ liệu").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()

    # Every request since, but the line of the websocket the dying process held (written as it closed).
    after = [line for line in cluster.access_log()[logged:] if f" route={route} " in line
             and not (is_websocket(line) and upstreams([line]) == {f"127.0.0.1:{first}"})]
    assert any("/_stcore/upload_file/" in line for line in after), "\n".join(after)
    assert {cluster.app_port(u) for u in upstreams(after)} == {second}, "\n".join(after)
