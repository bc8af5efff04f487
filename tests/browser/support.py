"""Fixtures for the real-browser tests: the app served by `streamlit run` on a free local port
and Debian's Chromium driven by Playwright (nothing is downloaded).

Each test module gets its own server and its own copy of the seeded database, so a module
that uploads or signs in does not disturb another; each test gets a fresh browser context.

Waits are for states, never for times (CI runs this on a busy 2-core machine): after every
interaction that makes Streamlit rerun the script, a test waits for what the user would see and
for that script run to have finished (`app_rerun`, `wait_for_app`, `open_page`). The timeouts are
generous for a loaded machine; when a state never comes, the failure says which, and
tests/browser/conftest.py adds the tail of the server's log to the report.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect, sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[2]
# Every wait (expect, locator actions, navigation, a script run, a download) may take this long.
# Generous on purpose: on a loaded 2-core machine the first script run of a fresh server (it
# imports pandas, plotly, duckdb) took over 30 s. A state that never comes still fails, with
# a message, well inside pytest.ini's per-test --timeout=300.
TIMEOUT_MS = 120_000
STARTUP_S = 120          # `streamlit run` answering /_stcore/health
# stApp while no script run is going (or between the two runs of an st.rerun()): part of what
# wait_for_app checks, not enough on its own right after an interaction (see WATCH_RUNS_JS).
SCRIPT_DONE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Streamlit's own wire format, read from the installed version: which field of a ForwardMsg says
# "the script run has finished", and the status that means "stopped early, another run follows"
# (st.rerun(), or an interaction arriving mid-run).
_FINISHED_FIELD = ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].number
_NEW_SESSION_FIELD = ForwardMsg.DESCRIPTOR.fields_by_name["new_session"].number
_EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")

# Installed in every document (context.add_init_script): counts, from the messages the app's
# websocket receives, the script runs that started and those that finished for good (not the
# first half of an st.rerun()). stApp's data-test-script-state alone cannot tell "the run my
# click started is over" from "it has not started yet" (both read notRunning), and a short run
# may never show "running" at all: React draws running and notRunning in one go. A message is
# never missed: the listener is on the socket before the app's own.
WATCH_RUNS_JS = f"""
(() => {{
  if (window !== window.top || window.__stRuns) return;
  const FINISHED = {_FINISHED_FIELD}, NEW_SESSION = {_NEW_SESSION_FIELD}, EARLY_FOR_RERUN = {_EARLY_FOR_RERUN};
  const runs = window.__stRuns = {{ started: 0, finished: 0, early: 0 }};
  // The top-level fields of one ForwardMsg (protobuf): the new_session or script_finished one.
  const read = (bytes) => {{
    let i = 0;
    const varint = () => {{
      let value = 0, scale = 1, byte;
      do {{ byte = bytes[i++]; value += (byte & 0x7f) * scale; scale *= 128; }} while (byte & 0x80 && i < bytes.length);
      return value;
    }};
    while (i < bytes.length) {{
      const tag = varint(), field = Math.floor(tag / 8), type = tag & 7;
      if (field === NEW_SESSION && type === 2) {{ runs.started += 1; return; }}
      if (field === FINISHED && type === 0) {{ if (varint() === EARLY_FOR_RERUN) runs.early += 1; else runs.finished += 1; return; }}
      if (type === 0) varint();
      else if (type === 2) {{ const length = varint(); i += length; }}   // not `i += varint()`: i is read first
      else if (type === 1) i += 8; else if (type === 5) i += 4; else return;
    }}
  }};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {{
    constructor(...args) {{
      super(...args);
      this.addEventListener("message", (e) => {{ if (e.data instanceof ArrayBuffer) read(new Uint8Array(e.data)); }});
    }}
  }};
}})();
"""
# True once the app is connected and not running its script, and (given `after`, a count of
# finished runs read before an interaction) a run has finished for good since.
_APP_IDLE_JS = """(after) => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app && !!window.__stRuns
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && (after === null || window.__stRuns.finished > after);
}"""
_APP_STATE_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return { script: app && app.getAttribute("data-test-script-state"),
           connection: app && app.getAttribute("data-test-connection-state"),
           runs: window.__stRuns || null };
}"""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]



def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(log: Path, n: int = 4000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-n:] if log.exists() else "(no log)"


@pytest.fixture(scope="module")
def app_db(seeded_db_template, tmp_path_factory) -> Path:
    """A module-private copy of the session's seeded database (seeded_db itself is per-test)."""
    path = tmp_path_factory.mktemp("browser-db") / "health.duckdb"
    shutil.copy(seeded_db_template, path)
    return path


@contextmanager
def serving(env: dict, log: Path) -> Iterator[str]:
    """`streamlit run app.py` (what `make run` starts) on a free local port with `env` added to
    this process's environment; yields the base URL once /_stcore/health answers."""
    port = _free_port()
    cmd = [sys.executable, "-m", "indicators.web.serve",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    # Output goes to a file, not a pipe nobody reads (a full pipe would block the server).
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode} before answering:\n{log_tail(log)}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health within {STARTUP_S} s:\n{log_tail(log)}")
            time.sleep(0.2)   # the poll interval of a wait for a state (health "ok"), bounded by STARTUP_S
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(app_db, tmp_path_factory):
    """The app on this module's database; yields (base URL, server log path)."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with serving({"INDICATORS_DB": str(app_db)}, log) as base:
        yield base, log


@pytest.fixture(scope="module")
def browser(chromium):
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_RUNS_JS)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


# --- waiting for the app ------------------------------------------------------------------------

def finished_runs(page: Page) -> int:
    """How many script runs this document has seen finish for good (see WATCH_RUNS_JS)."""
    return page.evaluate("() => window.__stRuns ? window.__stRuns.finished : 0")


def wait_for_app(page: Page, *, after: int | None = None, what: str = "",
                 allow_exception: bool = False) -> None:
    """Wait until Streamlit has finished its script run: connected and not running, and when
    `after` (a finished_runs() count) is given, a run has finished for good since — which tells a
    rerun that has not started yet from one that is over. Then, unless `allow_exception`, fail if
    the page shows an exception."""
    try:
        page.wait_for_function(_APP_IDLE_JS, arg=after, timeout=TIMEOUT_MS)
        failure = None
    except PlaywrightError as exc:   # the timeout, or the page gone
        failure = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    if failure:
        try:
            state = page.evaluate(_APP_STATE_JS)
        except PlaywrightError:
            state = "(page not readable)"
        pytest.fail(f"Streamlit did not finish its script run{' after ' + what if what else ''} within "
                    f"{TIMEOUT_MS // 1000} s (finished runs before: {after}); page {page.url}, "
                    f"app state {state}; {failure}\n(the server log is at the end of this report)",
                    pytrace=False)
    if not allow_exception:
        errors = page.get_by_test_id("stException")
        if errors.count():
            # .streamlit/config.toml sets client.showErrorDetails = "none": the traceback is in the log.
            pytest.fail(f"the page shows an exception{' after ' + what if what else ''} ({page.url}):\n"
                        + "\n---\n".join(errors.all_inner_texts())
                        + "\n(the server log is at the end of this report)", pytrace=False)


@contextmanager
def app_rerun(page: Page, what: str) -> Iterator[None]:
    """Around an interaction that makes Streamlit rerun the script (a click on a button or a link,
    a shortcut key, an upload): first wait until the app is idle (no interaction lands on a page
    still being drawn), then, after the interaction, until a run started by it has finished for
    good (a run that ends in st.rerun() is followed by the next: that one's end is awaited).
    Then check what the user sees of it."""
    wait_for_app(page, what=f"the run before {what}")
    before = finished_runs(page)
    yield
    wait_for_app(page, after=before, what=what)


def open_page(page: Page, url: str) -> None:
    """Load `url` (a new document, a new Streamlit session) and wait for its first script run to
    finish; fails if the page shows an exception."""
    page.goto(url)
    wait_for_app(page, after=0, what=f"opening {url}")


def reload_page(page: Page) -> None:
    """Reload (a new document, a new session) and wait for its first script run to finish."""
    page.reload()
    wait_for_app(page, after=0, what=f"reloading {page.url}")


def sign_in(page: Page, base: str, user_name: str, password: str, *, at: str = "/dang-nhap") -> None:
    """Sign in through the form at `at` (the sign-in page, or any page that asks for it) and wait
    for what follows a sign-in: the page goes through the route that sets the session cookie
    and loads again (a new document) on the page asked for. Fails on a refusal."""
    open_page(page, f"{base}{at}")
    page.get_by_label("Tên đăng nhập").fill(user_name)
    page.get_by_label("Mật khẩu").fill(password)
    page.evaluate("() => { window.__beforeSignIn = true; }")
    page.get_by_role("button", name="Đăng nhập").click()
    try:   # the new document has no marker
        page.wait_for_function("() => !window.__beforeSignIn", timeout=TIMEOUT_MS)
    except PlaywrightError:
        alerts = page.get_by_test_id("stAlert").all_inner_texts()
        pytest.fail(f"signing in as {user_name} at {at} did not load the next page; the page says: {alerts}",
                    pytrace=False)
    wait_for_app(page, after=0, what=f"signing in as {user_name}")
