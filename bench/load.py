"""`python -m bench.load`: many light clients that behave like browser tabs of the app, against a
running app server, speaking Streamlit's own websocket protocol (no browser), and the timings.

A client ("tab") does what the browser's frontend does, minus drawing:
- GETs what a returning browser fetches (its static files are cached): the page's HTML,
  /_stcore/host-config and /_stcore/health (which hands out the `_streamlit_xsrf` cookie), then opens
  the websocket /_stcore/stream with the subprotocols ["streamlit", <xsrf token>] and the cookies
  (`chitieu_phien`, the app's sign-in cookie, for an officer);
- sends BackMsg.rerun_script with a ClientState: the query string, the page (the first run of a
  visit names it by its URL path in `page_name`, as the frontend does before it knows the app's
  pages; later runs name it by the `page_script_hash` the server's `navigation` message gave),
  the widget states it has changed, the hashes of the cacheable messages it holds, and the
  browser's context (time zone, locale, URL);
- reads ForwardMsgs until `script_finished`: a run stopped early for a rerun (st.rerun, a
  callback) is followed by the rerun, so it waits on; `page_not_found`, a compile error and every
  `exception` element (an uncaught exception drawn on the page) count as errors; `ref_hash`
  messages are resolved from its own cache (the server sends a reference only for a hash the
  client said it holds); `page_info_changed` updates the query string, as the browser's address
  bar would;
- changes a widget by sending another rerun_script with that widget's state (its id is read from
  the element the server sent: `selectbox.id`, `checkbox.id`, `button.id`…; a keyed widget's id
  ends with "-<key>"); a button click is a `trigger_value` sent once;
- uploads a file as the file uploader does: BackMsg.file_urls_request, the server's
  file_urls_response, a multipart PUT to /_stcore/upload_file/<session>/<file id> with the XSRF
  header, then the uploader's widget state naming the file.

People arrive one after another: the sessions open their first page evenly over the first
`ramp_s` seconds (default: the think time, as people clicking one link in a meeting do over a
few seconds, their browsers loading the app first); `--ramp 0` opens them all in one instant,
the worst case (the last of 50 then waits for the 49 runs before it).

Scenarios (one visit = a new tab; each step is one script run, timed from sending the request to
`script_finished`; "open" includes the page's HTTP requests and the websocket handshake):
- overview: `/?year=2030`, change the target year, flip "Chỉ số liệu đã duyệt";
- locality: `/dia-phuong?locality=12`, change the target year, flip the approved-only toggle;
- indicator: `/chi-tieu?indicator=bhyt_coverage`, pick another indicator, change the year;
- presenter: `/trinh-chieu?...&slide=1`, press "Tiếp" until the last slide;
- officer (signed in by a session made in the store, as the sign-in form makes one): the upload
  page, upload a workbook of distinct new rows ("preview"), tick the warnings' confirmation if
  asked, press "Nhập dữ liệu" ("commit"), check the success message.

`run_load(url, scenarios, sessions=N, seconds=S, officers=k, db=...)` returns the report (per page
and per step: runs, p50/p95/max seconds, errors; totals load_*; the server's CPU seconds and peak
memory when its pid is given; uploads committed and rows expected vs rows added in the database).
`serve(db)` starts the app server on a free port and stops it. The command line:
`python -m bench.load --db PATH --sessions 50 --seconds 60 [--officers 5] [--url URL]` prints the
report as JSON; `python -m indicators bench load …` is the product's door to it.

The clients run in one asyncio loop in this process; on a small machine they take CPU from the
server they measure (the report says how much this process used).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from indicators.paths import PROJECT_ROOT

STEP_TIMEOUT_S = 60.0          # a step slower than this is an error ("timeout")
HEALTH_TIMEOUT_S = 90.0        # a server start
ROWS_PER_UPLOAD = 20
XSRF_COOKIE = "_streamlit_xsrf"
LOAD_USER_PREFIX = "bench-load-"
# The default mix of the non-officer clients: client i plays MIX[i % len(MIX)].
DEFAULT_MIX = ("overview", "locality", "indicator", "overview", "locality", "indicator", "overview", "locality",
               "presenter")
PAGES = ("overview", "locality", "indicator", "presenter", "upload")
PAGE_PATHS = {"overview": "", "locality": "dia-phuong", "indicator": "chi-tieu", "presenter": "trinh-chieu",
              "upload": "nhap-so-lieu"}
PRESENT_QUERY = "order=indicator&locality=12&indicator=bhyt_coverage&year=2030&slide=1"
YEARS = [str(y) for y in range(2020, 2026)]


# --- errors -----------------------------------------------------------------------------------
class StepError(Exception):
    """A step that did not complete: `kind` is one of timeout, disconnect, page_not_found,
    compile_error, no_widget, upload_failed, commit_refused, protocol."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.detail = kind, detail


# --- one browser tab --------------------------------------------------------------------------
def _protos():
    """Streamlit's protobuf classes (importing them loads streamlit: only when a client runs)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    return BackMsg, ForwardMsg, WidgetState


def widget_key(widget_id: str) -> str | None:
    """The user key of a widget id ("$$ID-<hash>-<key>"), None for a widget without one."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[2] != "None" else None


@dataclass
class RunResult:
    seconds: float
    errors: list[tuple[str, str]]      # (kind, detail): exception elements, page_not_found, compile errors


class Tab:
    """One browser tab of the app: a websocket session, its page, its widgets and its cache."""

    def __init__(self, base_url: str, *, cookies: dict[str, str] | None = None, cache: bool = True,
                 timeout: float = STEP_TIMEOUT_S) -> None:
        self.base = base_url.rstrip("/")
        self.cookies = dict(cookies or {})
        self.use_cache = cache
        self.timeout = timeout
        self.ws = None
        self.session_id: str | None = None
        self.page_hash = ""             # the running page's script hash (from `navigation`)
        self.page_name = ""             # its URL path, for a run before the hash is known
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.query_string = ""
        self.elements: dict[tuple, object] = {}   # delta path -> Element of the current run
        self.states: dict[str, object] = {}       # widget id -> WidgetState this tab has set
        self.cache: dict[str, object] = {}        # hash -> cacheable ForwardMsg
        self.file_urls: dict[str, object] = {}    # request id -> FileURLsResponse
        self.run_errors: list[tuple[str, str]] = []
        self.finished: int | None = None
        self.bytes_in = 0
        self.upstream = ""              # the process that served the page (X-Upstream, behind scripts/cluster.sh)

    # -- connection ---------------------------------------------------------------------------
    @property
    def ws_url(self) -> str:
        parts = urlsplit(self.base)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _page_load(self, path: str, query: str) -> None:
        """What a returning browser fetches before its websocket (static files come from its
        cache): the page's HTML, /_stcore/host-config and /_stcore/health, which hands out the
        XSRF cookie. Every cookie a response sets is kept, as a browser keeps it: behind nginx
        (scripts/cluster.sh) the route cookie of the first response sends the websocket and the
        uploads to the process that served the page."""
        import requests
        with requests.Session() as http:
            http.headers["Cookie"] = self._cookie_header()
            page = f"{self.base}/{path.strip('/')}" + (f"?{query}" if query else "")
            for address in (page, f"{self.base}/_stcore/host-config", f"{self.base}/_stcore/health"):
                response = http.get(address, timeout=self.timeout)
                response.raise_for_status()
                if response.cookies:
                    self.cookies.update(response.cookies.get_dict())
                    http.headers["Cookie"] = self._cookie_header()
                if response.headers.get("X-Upstream"):
                    self.upstream = response.headers["X-Upstream"].split(",")[-1].strip()

    async def connect(self, path: str = "", query: str = "") -> None:
        """Load the page at `path` (the HTTP requests a returning browser makes) and open the
        websocket."""
        from websockets.asyncio.client import connect
        try:
            await asyncio.wait_for(asyncio.to_thread(self._page_load, path, query), self.timeout)
            protocols = ["streamlit"] + ([self.cookies[XSRF_COOKIE]] if XSRF_COOKIE in self.cookies else [])
            self.ws = await connect(self.ws_url, subprotocols=protocols,
                                    additional_headers={"Cookie": self._cookie_header()},
                                    max_size=None, open_timeout=self.timeout, ping_interval=20, ping_timeout=120,
                                    close_timeout=2)
            # The process holding the websocket: its handshake's own X-Upstream (nginx adds it to
            # the 101 too). The page load before it may have reached another process: one that
            # died in between, the websocket then going to the live one.
            upstream = self.ws.response.headers.get("X-Upstream") if self.ws.response else None
            if upstream:
                self.upstream = upstream.split(",")[-1].strip()
        except asyncio.TimeoutError as exc:
            raise StepError("timeout", "connect") from exc
        except Exception as exc:   # noqa: BLE001 — refused, reset, HTTP error: the server did not take us
            raise StepError("disconnect", f"connect: {type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None

    # -- messages ------------------------------------------------------------------------------
    def handle(self, msg) -> int | None:
        """Take one ForwardMsg into the tab's state; the script_finished status when it is one
        that ends the run (a run stopped early for a rerun does not), else None."""
        _, ForwardMsg, _ = _protos()
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                raise StepError("protocol", f"ref_hash {msg.ref_hash} not in this tab's cache")
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, cached.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash and self.use_cache:
            self.cache[msg.hash] = msg
        if kind == "delta":
            if msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                self.elements[tuple(msg.metadata.delta_path)] = element
                if element.WhichOneof("type") == "exception":
                    self.run_errors.append(("exception", f"{element.exception.type}: {element.exception.message}"))
        elif kind == "new_session":
            if msg.new_session.initialize.session_id:
                self.session_id = msg.new_session.initialize.session_id
            if msg.new_session.page_script_hash:
                self.page_hash = msg.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.run_errors.append(("page_not_found", msg.page_not_found.page_name or self.page_name))
        elif kind == "session_event":
            if msg.session_event.WhichOneof("type") == "script_compilation_exception":
                self.run_errors.append(("compile_error", msg.session_event.script_compilation_exception.message))
        elif kind == "file_urls_response":
            self.file_urls[msg.file_urls_response.response_id] = msg.file_urls_response
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.elements = {}   # the rerun draws the page again
                return None
            if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.run_errors.append(("compile_error", "FINISHED_WITH_COMPILE_ERROR"))
            return status
        return None

    async def _receive(self, deadline: float, until) -> None:
        """Read ForwardMsgs until `until()` is true after one of them."""
        _, ForwardMsg, _ = _protos()
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise StepError("timeout", f"{self.page_name or '/'} after {self.timeout:.0f} s")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
            except asyncio.TimeoutError as exc:
                raise StepError("timeout", f"{self.page_name or '/'} after {self.timeout:.0f} s") from exc
            except Exception as exc:   # noqa: BLE001 — ConnectionClosed and friends
                raise StepError("disconnect", f"{type(exc).__name__}: {exc}") from exc
            if isinstance(raw, str):
                raise StepError("protocol", "text frame from the server")
            self.bytes_in += len(raw)
            self.finished = self.handle(ForwardMsg.FromString(raw))
            if until():
                return

    def _context_info(self, client_state) -> None:
        info = client_state.context_info
        info.timezone = "Asia/Ho_Chi_Minh"
        info.timezone_offset = -420
        info.locale = "vi-VN"
        info.url = f"{self.base}/{self.page_name}" + (f"?{self.query_string}" if self.query_string else "")
        info.is_embedded = False
        info.color_scheme = "light"

    async def run(self, *states, page: str | None = None, query: str | None = None) -> RunResult:
        """One script run: open `page` (a URL path, "" for the home page) with `query`, or rerun
        the current page with the widget `states` changed; waits for its script_finished."""
        if self.ws is None:
            raise StepError("disconnect", "not connected")
        BackMsg, _, _ = _protos()
        if page is not None:     # a navigation: the frontend forgets the old page's widgets
            self.page_name = page.strip("/")
            self.page_hash = self.pages.get(self.page_name, "") if self.pages else ""
            self.states = {}
            self.query_string = query or ""
        elif query is not None:
            self.query_string = query
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_hash
        cs.page_name = "" if self.page_hash else self.page_name
        sent = dict(self.states)
        for state in states:
            sent[state.id] = state
            if state.WhichOneof("value") not in ("trigger_value", "string_trigger_value", "json_trigger_value"):
                self.states[state.id] = state   # kept for later runs, as the frontend keeps it
        for state in sent.values():
            cs.widget_states.widgets.append(state)
        if self.use_cache:
            cs.cached_message_hashes.extend(self.cache)
        self._context_info(cs)
        self.elements, self.run_errors, self.finished = {}, [], None
        start = time.perf_counter()
        try:
            await self.ws.send(msg.SerializeToString())
        except Exception as exc:   # noqa: BLE001
            raise StepError("disconnect", f"{type(exc).__name__}: {exc}") from exc
        await self._receive(start + self.timeout, lambda: self.finished is not None)
        return RunResult(time.perf_counter() - start, list(self.run_errors))

    # -- widgets -------------------------------------------------------------------------------
    def widgets(self) -> Iterator[tuple[str, str, object]]:
        """(kind, id, proto) of every widget of the current run, in page order."""
        for path in sorted(self.elements):
            element = self.elements[path]
            kind = element.WhichOneof("type")
            proto = getattr(element, kind) if kind else None
            if proto is not None and "id" in proto.DESCRIPTOR.fields_by_name and proto.id:
                yield kind, proto.id, proto

    def widget(self, key: str | re.Pattern, kind: str | None = None) -> tuple[str, object]:
        """(id, proto) of the widget whose user key is `key` (or matches the pattern)."""
        for found_kind, widget_id, proto in self.widgets():
            k = widget_key(widget_id)
            if k is None or (kind and found_kind != kind):
                continue
            if (k == key) if isinstance(key, str) else key.fullmatch(k):
                return widget_id, proto
        raise StepError("no_widget", f"{key if isinstance(key, str) else key.pattern} on /{self.page_name}")

    def alerts(self, fmt: int) -> list[str]:
        return [e.alert.body for e in self.elements.values() if e.WhichOneof("type") == "alert" and e.alert.format == fmt]

    def selectbox_other(self, key: str | re.Pattern):
        """The state that picks the option after the selected one (wrapping)."""
        _, _, WidgetState = _protos()
        widget_id, box = self.widget(key, "selectbox")
        options = list(box.options)
        if len(options) < 2:
            raise StepError("no_widget", f"{widget_id}: fewer than two options")
        kept = self.states.get(widget_id)
        current = kept.string_value if kept is not None else (
            box.raw_value if box.set_value else options[box.default] if box.HasField("default") else options[0])
        index = options.index(current) if current in options else 0
        return WidgetState(id=widget_id, string_value=options[(index + 1) % len(options)])

    def selectbox_pick(self, key: str | re.Pattern, wanted):
        """The state that picks the first option, other than the selected one, whose label
        satisfies `wanted`."""
        _, _, WidgetState = _protos()
        widget_id, box = self.widget(key, "selectbox")
        options = list(box.options)
        kept = self.states.get(widget_id)
        current = kept.string_value if kept is not None else (
            box.raw_value if box.set_value else options[box.default] if box.HasField("default") else None)
        for option in options:
            if option != current and wanted(option):
                return WidgetState(id=widget_id, string_value=option)
        raise StepError("no_widget", f"{widget_id}: no other option to pick")

    def checkbox_flipped(self, key: str, value: bool | None = None):
        _, _, WidgetState = _protos()
        widget_id, box = self.widget(key, "checkbox")
        kept = self.states.get(widget_id)
        current = kept.bool_value if kept is not None else (box.value if box.set_value else box.default)
        return WidgetState(id=widget_id, bool_value=(not current) if value is None else value)

    def click(self, key: str):
        """A button's click, or None when the button is disabled."""
        _, _, WidgetState = _protos()
        widget_id, button = self.widget(key, "button")
        return None if button.disabled else WidgetState(id=widget_id, trigger_value=True)

    # -- file upload ---------------------------------------------------------------------------
    async def upload(self, key: str | re.Pattern, name: str, data: bytes):
        """Upload `data` as the file uploader `key` does; returns the widget state naming it."""
        BackMsg, _, WidgetState = _protos()
        widget_id, _ = self.widget(key, "file_uploader")
        request_id = str(uuid.uuid4())
        msg = BackMsg()
        msg.file_urls_request.request_id = request_id
        msg.file_urls_request.file_names.append(name)
        msg.file_urls_request.session_id = self.session_id or ""
        try:
            await self.ws.send(msg.SerializeToString())
        except Exception as exc:   # noqa: BLE001
            raise StepError("disconnect", f"{type(exc).__name__}: {exc}") from exc
        await self._receive(time.perf_counter() + self.timeout, lambda: request_id in self.file_urls)
        response = self.file_urls.pop(request_id)
        if response.error_msg or not response.file_urls:
            raise StepError("upload_failed", response.error_msg or "no upload URL")
        urls = response.file_urls[0]
        target = urls.upload_url if urls.upload_url.startswith("http") else \
            f"{self.base}/{urls.upload_url.lstrip('/')}"

        def put() -> int:
            import requests
            headers = {"Cookie": self._cookie_header()}
            if XSRF_COOKIE in self.cookies:
                headers["X-Xsrftoken"] = self.cookies[XSRF_COOKIE]
            return requests.put(target, files={"file": (name, data, "application/vnd.openxmlformats-"
                                                                    "officedocument.spreadsheetml.sheet")},
                                headers=headers, timeout=self.timeout).status_code
        status = await asyncio.to_thread(put)
        if status >= 300:
            raise StepError("upload_failed", f"HTTP {status} from {urls.upload_url}")
        state = WidgetState(id=widget_id)
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        return state


# --- what the clients record ------------------------------------------------------------------
@dataclass
class Recorder:
    timings: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    samples: list[str] = field(default_factory=list)
    uploads_committed: int = 0
    rows_expected: int = 0
    # (time.monotonic(), user name, rows, the process that served the tab) of every commit seen
    commits: list[tuple[float, str, int, str]] = field(default_factory=list)
    # (time.monotonic(), page, step, the process of the tab, the client) of every run that finished
    runs: list[tuple[float, str, str, str, int]] = field(default_factory=list)

    def ran(self, page: str, step: str, result: RunResult, upstream: str = "", who: int = 0) -> None:
        self.timings[(page, step)].append(result.seconds)
        self.runs.append((time.monotonic(), page, step, upstream, who))
        for kind, detail in result.errors:
            self.error(page, step, kind, detail)

    def error(self, page: str, step: str, kind: str, detail: str = "") -> None:
        self.errors[(page, step)][kind] += 1
        if len(self.samples) < 20:
            self.samples.append(f"{page}.{step}: {kind}: {detail}"[:300])


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _summary(times: list[float], errors: Counter) -> dict:
    return {"runs": len(times), "p50_s": _round(percentile(times, 0.5)), "p95_s": _round(percentile(times, 0.95)),
            "max_s": _round(max(times) if times else None), "errors": sum(errors.values()),
            **({"errors_by_kind": dict(errors)} if errors else {})}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# --- scenarios --------------------------------------------------------------------------------
class Client:
    """One simulated person: visits (each a new tab) until the deadline."""

    def __init__(self, base: str, rec: Recorder, deadline: float, *, think_s: float = 0.0,
                 timeout: float = STEP_TIMEOUT_S, rng: random.Random | None = None, min_visits: int = 0) -> None:
        self.base, self.rec, self.deadline = base, rec, deadline
        self.think_s, self.timeout = think_s, timeout
        self.rng = rng or random.Random()
        self.min_visits, self.visits = min_visits, 0
        self.kept: dict[str, str] = {}   # the cookies servers set, kept across this person's tabs

    def time_left(self) -> bool:
        """Before the deadline, or until this client has made min_visits whole visits."""
        return time.monotonic() < self.deadline or self.visits < self.min_visits

    async def think(self) -> None:
        if self.think_s > 0:
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.think_s)

    async def open(self, tab: Tab, page: str, query: str) -> RunResult:
        start = time.perf_counter()
        await tab.connect(PAGE_PATHS[page], query)
        result = await tab.run(page=PAGE_PATHS[page], query=query)
        result.seconds = time.perf_counter() - start   # what the person waits: handshake and run
        self.rec.ran(page, "open", result, tab.upstream, id(self))
        return result

    async def step(self, tab: Tab, page: str, step: str, *states) -> RunResult:
        await self.think()
        result = await tab.run(*states)
        self.rec.ran(page, step, result, tab.upstream, id(self))
        return result

    start_delay = 0.0   # seconds after the run's start before this person opens the first page

    async def loop(self) -> None:
        if self.start_delay > 0:
            await asyncio.sleep(self.start_delay)
        while self.time_left():
            try:
                await self.visit_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:   # noqa: BLE001 — a bug of the client: counted, never silent
                self.rec.error(self.page, "client", "client_error", f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.5)

    page = "?"

    async def visit_once(self) -> None:
        tab = Tab(self.base, cookies={**self.kept, **self.cookies()}, timeout=self.timeout)
        step = "open"
        steps = self.steps(tab)
        try:
            async for step in steps:   # noqa: B007 — the step about to run, named in an error
                if not self.time_left():
                    break
        except StepError as exc:
            self.rec.error(self.page, step, exc.kind, exc.detail)
            await asyncio.sleep(0.2)   # a server in trouble: no hot loop
        finally:
            self.visits += 1
            own = self.cookies()
            self.kept.update({k: v for k, v in tab.cookies.items() if k not in own})
            await steps.aclose()
            await tab.close()

    def cookies(self) -> dict[str, str]:
        return {}

    async def steps(self, tab: Tab):
        raise NotImplementedError
        yield


class Overview(Client):
    page = "overview"

    async def steps(self, tab):
        await self.open(tab, "overview", "year=2030")
        yield "year"
        await self.step(tab, "overview", "year", tab.selectbox_other("ov_year"))
        yield "approved"
        await self.step(tab, "overview", "approved", tab.checkbox_flipped("ov_approved"))


class Locality(Client):
    page = "locality"
    # Lai Châu and Hà Nội (plans with targets in the seed), and a commune with its own plan.
    localities = ("12", "01", "09931")

    async def steps(self, tab):
        code = self.rng.choice(self.localities)
        await self.open(tab, "locality", f"locality={code}")
        yield "province"   # the other province with a plan
        await self.step(tab, "locality", "province",
                        tab.selectbox_pick("province", lambda label: "(12)" in label or "(01)" in label))
        yield "approved"
        await self.step(tab, "locality", "approved", tab.checkbox_flipped("loc_approved"))


class Indicator(Client):
    page = "indicator"

    async def steps(self, tab):
        await self.open(tab, "indicator", "indicator=bhyt_coverage")
        yield "indicator"
        await self.step(tab, "indicator", "indicator", tab.selectbox_other("ind_code"))
        yield "year"
        await self.step(tab, "indicator", "year", tab.selectbox_other("ind_year"))


class Presenter(Client):
    page = "presenter"

    async def steps(self, tab):
        await self.open(tab, "presenter", PRESENT_QUERY)
        for _ in range(50):
            yield "next"
            click = tab.click("next")
            if click is None:   # the last slide
                return
            await self.step(tab, "presenter", "next", click)


@dataclass
class Officer:
    """A signed-in officer: the account, its session cookie, and new keys to report."""
    user_name: str
    province: str
    cookie: str
    keys: list[tuple[str, str, str]]
    rows_per_upload: int = ROWS_PER_UPLOAD
    used: int = 0

    def next_rows(self) -> list[list] | None:
        if self.used + self.rows_per_upload > len(self.keys):
            return None
        batch = self.keys[self.used:self.used + self.rows_per_upload]
        self.used += self.rows_per_upload
        first = self.used - len(batch)
        return [[*k, round(50.0 + ((first + j) % 400) / 10, 1)] for j, k in enumerate(batch)]


def workbook(rows: list[list], title: str = "Báo cáo (bench load)") -> bytes:
    """A filled template: title, blank, the template's header, then [locality, indicator, period,
    value] rows."""
    from openpyxl import Workbook

    from indicators.excel.template import DATA_SHEET, HEADERS
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([title])
    ws.append([])
    ws.append(HEADERS)
    for loc, ind, period, value in rows:
        ws.append([loc, "", ind, "", "", period, value])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


SUCCESS, ERROR = 4, 1   # Alert.Format


class OfficerClient(Client):
    page = "upload"

    def __init__(self, *args, officer: Officer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.officer = officer

    def cookies(self) -> dict[str, str]:
        from indicators.auth.sessions import COOKIE
        return {COOKIE: self.officer.cookie}

    async def steps(self, tab):
        await self.open(tab, "upload", "")
        rows = self.officer.next_rows()
        if rows is None:
            raise StepError("upload_failed", f"{self.officer.user_name}: no new keys left to report")
        yield "preview"
        data = await asyncio.to_thread(workbook, rows)
        await self.think()
        start = time.perf_counter()
        state = await tab.upload(re.compile(r"upload_file_\d+"), f"bench_{self.officer.user_name}.xlsx", data)
        result = await tab.run(state)
        result.seconds = time.perf_counter() - start   # the upload and the preview run
        self.rec.ran("upload", "preview", result, tab.upstream, id(self))
        try:
            tab.widget("upload_confirm", "checkbox")
        except StepError:
            pass
        else:   # warnings to confirm first
            yield "confirm"
            await self.step(tab, "upload", "confirm", tab.checkbox_flipped("upload_confirm", True))
        yield "commit"
        click = tab.click("upload_commit")
        if click is None:
            raise StepError("commit_refused", "button disabled: " + " | ".join(tab.alerts(ERROR))[:200])
        await self.step(tab, "upload", "commit", click)
        if not tab.alerts(SUCCESS):
            raise StepError("commit_refused", " | ".join(tab.alerts(ERROR))[:200] or "no success message")
        self.rec.uploads_committed += 1
        self.rec.rows_expected += len(rows)
        self.rec.commits.append((time.monotonic(), self.officer.user_name, len(rows), tab.upstream))


SCENARIOS: dict[str, type[Client]] = {"overview": Overview, "locality": Locality, "indicator": Indicator,
                                      "presenter": Presenter}


# --- officers: accounts and sessions made in the store ----------------------------------------
def prepare_officers(db: str | os.PathLike, n: int, *, keys_each: int = 4000,
                     rows_per_upload: int = ROWS_PER_UPLOAD) -> list[Officer]:
    """`n` officer accounts (bench-load-1…, created by the database's first admin, reused when
    they exist), each on its own province (the ones with the most communes), each with a signed-in
    session made as the sign-in form and the cookie route make one (sessions.start, then
    sessions.exchange: the cookie value), and commune × percent indicator × year keys without any
    reported value, distinct between officers."""
    if n <= 0:
        return []
    from indicators.auth import sessions
    from indicators.auth.accounts import get_account
    from indicators.auth.admin import create_account
    from indicators.store import gate
    with gate.reading(db) as con:
        provinces = [r[0] for r in con.execute(
            "select parent_code, count(*) n from locality where level = 'commune' and parent_code is not null "
            "group by parent_code order by n desc, parent_code").fetchall()]
        admin = con.execute("select user_name from account where role = 'admin' and is_active "
                            "order by user_name limit 1").fetchone()
        if not provinces:
            raise RuntimeError("bench load: the database has no communes to report for")
        wanted = [(f"{LOAD_USER_PREFIX}{i + 1}", provinces[i % len(provinces)]) for i in range(n)]
        missing = [(u, p) for u, p in wanted if get_account(con, u) is None]
    gate.close_idle(db)
    if missing:
        if admin is None:
            raise RuntimeError("bench load: the database has no admin account to create the officers with")
        with gate.writing(db) as con:
            for user, province in missing:
                create_account(con, admin[0], user, f"Cán bộ thử tải {user.rsplit('-', 1)[-1]}", "officer", province)
    officers = []
    with gate.writing(db, bump=False) as con:
        for user, province in wanted:
            account = get_account(con, user)
            if account is None or not account.is_active or account.role != "officer" \
                    or account.locality_code != province:
                raise RuntimeError(f"bench load: account {user} exists but is not an active officer of {province}")
            _, code = sessions.start(con, user, client="bench-load")
            cookie, _ = sessions.exchange(con, code)
            officers.append(Officer(user, province, cookie, [], rows_per_upload))
        for province in dict.fromkeys(p for _, p in wanted):
            sharing = [o for o in officers if o.province == province]
            free = con.execute(
                "select c.locality_code, i.indicator_code, y.period from locality c "
                "cross join indicator i cross join (select unnest($years) as period) y "
                "where c.parent_code = $p and c.level = 'commune' and i.value_kind = 'percent' "
                "and not exists (select 1 from observation o where o.locality_code = c.locality_code "
                "  and o.indicator_code = i.indicator_code and o.period = y.period) "
                "order by y.period, c.locality_code, i.indicator_code limit $n",
                {"years": YEARS, "p": province, "n": keys_each * len(sharing)}).fetchall()
            for j, officer in enumerate(sharing):
                officer.keys = [tuple(k) for k in free[j::len(sharing)]]
    return officers


def observation_rows(db: str | os.PathLike) -> int:
    from indicators.store import gate
    with gate.reading(db) as con:
        n = con.execute("select count(*) from observation").fetchone()[0]
    gate.close_idle(db)   # no read-only opening lingers in this process beside the server's writes
    return n


# --- the server's CPU and memory --------------------------------------------------------------
def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of `pid`, its reaped children and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for i, p in enumerate([pid, *_descendants(pid)]):
        try:
            with open(f"/proc/{p}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            if i == 0:
                return None
            continue
        # after the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
        total += sum(int(x) for x in fields[11:15]) / tick
    return total


def peak_mib(pid: int) -> float | None:
    """VmHWM (peak resident memory) of `pid`, in MiB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# --- the load ---------------------------------------------------------------------------------
async def _warm_up(base: str, pages: list[str], officer: Officer | None, timeout: float) -> dict:
    """Open each page once (not recorded): the server's first imports and caches."""
    warm = {}
    for page in pages:
        cookies = {}
        if page == "upload" and officer is not None:
            from indicators.auth.sessions import COOKIE
            cookies = {COOKIE: officer.cookie}
        tab = Tab(base, cookies=cookies, timeout=max(timeout, 120.0))
        start = time.perf_counter()
        try:
            query = {"overview": "year=2030", "locality": "locality=12", "indicator": "indicator=bhyt_coverage",
                     "presenter": PRESENT_QUERY}.get(page, "")
            await tab.connect(PAGE_PATHS[page], query)
            result = await tab.run(page=PAGE_PATHS[page], query=query)
            warm[page] = _round(time.perf_counter() - start) if not result.errors else \
                "; ".join(f"{kind}: {detail}" for kind, detail in result.errors)[:200]
        except StepError as exc:
            warm[page] = f"{exc.kind}: {exc.detail}"[:200]
        finally:
            await tab.close()
    return warm


async def run_load_async(url_base: str, scenarios=DEFAULT_MIX, *, sessions: int = 10, seconds: float = 30.0,
                         officers: int = 0, db: str | os.PathLike | None = None, server_pid: int | None = None,
                         rows_per_upload: int = ROWS_PER_UPLOAD, think_s: float = 0.0,
                         timeout: float = STEP_TIMEOUT_S, warmup: bool = True, seed: int = 2030,
                         min_visits: int = 0, ramp_s: float | None = None, during=None) -> dict:
    scenarios = list(scenarios)
    ramp_s = think_s if ramp_s is None else max(0.0, ramp_s)
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenarios {unknown}; known: {sorted(SCENARIOS)}")
    officers = max(0, min(officers, sessions))
    if officers and db is None:
        raise ValueError("officers need the server's database (db=…) for their accounts and sessions")
    if sessions - officers > 0 and not scenarios:
        raise ValueError("no scenario for the non-officer clients")
    people = await asyncio.to_thread(prepare_officers, db, officers, rows_per_upload=rows_per_upload) \
        if officers else []
    rows_before = await asyncio.to_thread(observation_rows, db) if db is not None else None
    pages = list(dict.fromkeys(SCENARIOS[s].page for s in scenarios[:max(sessions - officers, 0)]))
    warm = await _warm_up(url_base, pages + (["upload"] if people else []), people[0] if people else None,
                          timeout) if warmup else {}

    rec = Recorder()
    rng = random.Random(seed)
    cpu_before = cpu_seconds(server_pid) if server_pid else None
    self_before = time.process_time()
    start = time.monotonic()
    deadline = start + seconds
    clients: list[Client] = [OfficerClient(url_base, rec, deadline, officer=o, think_s=think_s, timeout=timeout,
                                           rng=random.Random(rng.random()), min_visits=min_visits)
                             for o in people]
    for i in range(sessions - officers):
        clients.append(SCENARIOS[scenarios[i % len(scenarios)]](url_base, rec, deadline, think_s=think_s,
                                                                timeout=timeout, rng=random.Random(rng.random()),
                                                                min_visits=min_visits))
    for i, client in enumerate(clients):   # people arrive one after another over ramp_s, not in one instant
        client.start_delay = ramp_s * i / len(clients)
    beside = [during(rec, clients)] if during is not None else []   # e.g. a test killing a process
    await asyncio.gather(*(c.loop() for c in clients), *beside)
    elapsed = time.monotonic() - start
    cpu_after = cpu_seconds(server_pid) if server_pid else None
    rows_after = await asyncio.to_thread(observation_rows, db) if db is not None else None

    by_page_times: dict[str, list[float]] = defaultdict(list)
    by_page_errors: dict[str, Counter] = defaultdict(Counter)
    for (page, _), times in rec.timings.items():
        by_page_times[page].extend(times)
    for (page, _), errors in rec.errors.items():
        by_page_errors[page].update(errors)
    all_times = [t for times in rec.timings.values() for t in times]
    all_errors = sum((c for c in rec.errors.values()), Counter())
    report = {
        "url": url_base, "sessions": sessions, "officers": officers, "seconds": seconds,
        "scenarios": scenarios, "think_s": think_s, "ramp_s": ramp_s, "elapsed_s": _round(elapsed, 2),
        "warmup_s": warm,
        "pages": {p: _summary(by_page_times[p], by_page_errors[p])
                  for p in PAGES if p in by_page_times or p in by_page_errors},
        "steps": {f"{p}.{s}": _summary(rec.timings.get((p, s), []), rec.errors.get((p, s), Counter()))
                  for p, s in sorted(set(rec.timings) | set(rec.errors))},
        "error_samples": rec.samples,
        "load_runs": len(all_times),
        "load_p50_s": _round(percentile(all_times, 0.5)),
        "load_p95_s": _round(percentile(all_times, 0.95)),
        "load_max_s": _round(max(all_times) if all_times else None),
        "load_errors": sum(all_errors.values()),
        "load_errors_by_kind": dict(all_errors),
        "load_runs_per_s": _round(len(all_times) / elapsed if elapsed > 0 else 0.0, 3),
        "load_client_cpu_s": _round(time.process_time() - self_before, 2),
    }
    if server_pid:
        report["load_server_cpu_s"] = _round(cpu_after - cpu_before, 2) if None not in (cpu_after, cpu_before) \
            else None
        report["load_server_peak_mib"] = _round(peak_mib(server_pid), 1)
    if officers:
        report["load_uploads_committed"] = rec.uploads_committed
        report["load_rows_expected"] = rec.rows_expected
    if rows_before is not None:
        report["load_rows_added"] = rows_after - rows_before
    return report


def run_load(url_base: str, scenarios=DEFAULT_MIX, *, sessions: int = 10, seconds: float = 30.0, **kwargs) -> dict:
    """Run `sessions` concurrent light clients against the app at `url_base` for `seconds`:
    `officers` of them sign in and commit uploads (they need `db`, the server's database), the
    others play `scenarios` in turn (names of SCENARIOS). Keyword arguments: officers, db,
    server_pid (for the server's CPU seconds and peak memory), rows_per_upload, think_s (a pause
    before each interaction, ±50 %), ramp_s (the people open their first page one after another
    over this many seconds; default think_s, 0: all at once), timeout (per step), warmup (open
    each page once first, not recorded), seed, during (a coroutine function given the Recorder
    and the clients, run beside them: what a test does to the servers meanwhile). Returns the
    report (see the module's docstring)."""
    return asyncio.run(run_load_async(url_base, scenarios, sessions=sessions, seconds=seconds, **kwargs))


# --- a server to measure ----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(db: str | os.PathLike, *, port: int | None = None, env: dict[str, str] | None = None,
          log: str | os.PathLike | None = None, timeout: float = HEALTH_TIMEOUT_S) -> Iterator[tuple[str, int]]:
    """The app server (python -m indicators.web.serve) on `db` at 127.0.0.1:<a free port>;
    yields (url, pid) once /_stcore/health answers, stops it afterwards. Its output goes to `log`
    (else a temporary file, quoted when it fails to start)."""
    import requests
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    child_env = {**os.environ, "INDICATORS_DB": str(db), "PYTHONPATH": str(PROJECT_ROOT), **(env or {})}
    child_env.pop("INDICATORS_DATABASE_URL", None)
    with contextlib.ExitStack() as stack:
        if log is None:
            out = stack.enter_context(tempfile.TemporaryFile(mode="w+b"))
        else:
            out = stack.enter_context(open(log, "wb"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "indicators.web.serve", "--server.port", str(port), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=PROJECT_ROOT, env=child_env, stdout=out, stderr=subprocess.STDOUT)
        try:
            end = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app server stopped at start (exit {proc.returncode}): {_tail(out)}")
                try:
                    if requests.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > end:
                    raise RuntimeError(f"the app server did not answer in {timeout:.0f} s: {_tail(out)}")
                time.sleep(0.1)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _tail(out) -> str:
    with contextlib.suppress(Exception):
        out.flush()
        out.seek(0)
        return out.read().decode("utf-8", "replace")[-3000:]
    return ""


@contextlib.contextmanager
def private_copy(db: str | os.PathLike) -> Iterator[Path]:
    """A copy of the database file (and its WAL) in a temporary folder: a load with officers
    writes rows, which the original must not get."""
    db = Path(db)
    if not db.exists():
        raise FileNotFoundError(f"Không có cơ sở dữ liệu {db}")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        copy = Path(folder) / db.name
        shutil.copy2(db, copy)
        if Path(f"{db}.wal").exists():
            shutil.copy2(f"{db}.wal", f"{copy}.wal")
        yield copy


def bench_load(db: str | os.PathLike | None = None, *, url: str | None = None, server_pid: int | None = None,
               sessions: int = 50, seconds: float = 60.0, officers: int = 0, in_place: bool = False,
               **kwargs) -> dict:
    """The whole measurement: against `url` (a running server on `db`), else a server started on
    a private copy of `db` (or on `db` itself with in_place=True) for the run."""
    from indicators.store.connection import database_path
    if url:
        return run_load(url, sessions=sessions, seconds=seconds, officers=officers, server_pid=server_pid,
                        db=str(database_path(db)) if (db or officers) else None, **kwargs)
    source = database_path(db)
    with contextlib.ExitStack() as stack:
        target = source if in_place else stack.enter_context(private_copy(source))
        served_url, pid = stack.enter_context(serve(target))
        report = run_load(served_url, sessions=sessions, seconds=seconds, officers=officers, server_pid=pid,
                          db=str(target), **kwargs)
    report["db"] = str(source)
    return report


# --- the command line -------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `python -m bench.load` and `python -m indicators bench load`."""
    p.add_argument("--db", help="cơ sở dữ liệu (mặc định $INDICATORS_DB hoặc data/health.duckdb); được sao "
                                "chép sang thư mục tạm trừ khi có --url hoặc --in-place")
    p.add_argument("--url", help="máy chủ ứng dụng đang chạy (vd. http://127.0.0.1:8501); mặc định: tự khởi động")
    p.add_argument("--pid", type=int, help="pid của máy chủ đang chạy (để đo CPU và bộ nhớ), cùng với --url")
    p.add_argument("--sessions", type=int, default=50, help="số phiên đồng thời (mặc định 50)")
    p.add_argument("--seconds", type=float, default=60.0, help="thời gian đo, giây (mặc định 60)")
    p.add_argument("--officers", type=int, default=0, help="trong số đó, số cán bộ nhập liệu tải tệp lên")
    p.add_argument("--rows", type=int, default=ROWS_PER_UPLOAD, help="số dòng mỗi tệp tải lên")
    p.add_argument("--think", type=float, default=0.0, help="thời gian nghỉ trước mỗi thao tác, giây")
    p.add_argument("--ramp", type=float, default=None,
                   help="các phiên lần lượt mở trang đầu tiên trong bấy nhiêu giây (mặc định bằng --think; 0: cùng lúc)")
    p.add_argument("--scenarios", default=",".join(DEFAULT_MIX),
                   help="các kịch bản xem, luân phiên: overview, locality, indicator, presenter")
    p.add_argument("--in-place", action="store_true", help="chạy trên chính tệp --db (cán bộ sẽ ghi vào đó)")
    p.add_argument("--no-warmup", action="store_true", help="không mở trước mỗi trang một lần")


def from_args(args: argparse.Namespace) -> dict:
    return bench_load(args.db, url=args.url, server_pid=args.pid, sessions=args.sessions, seconds=args.seconds,
                      officers=args.officers, in_place=args.in_place, rows_per_upload=args.rows,
                      think_s=args.think, scenarios=[s.strip() for s in args.scenarios.split(",") if s.strip()],
                      warmup=not args.no_warmup, ramp_s=args.ramp)


TABLE_HEADINGS = ("Trang", "Số lượt", "Trung vị (s)", "P95 (s)", "Lâu nhất (s)", "Lỗi")
PAGE_LABELS = {"overview": "Tổng quan", "locality": "Địa phương", "indicator": "Chỉ tiêu",
               "presenter": "Trình chiếu", "upload": "Nhập số liệu"}
TOTAL_LABELS = {"load_runs": "Tổng số lượt chạy", "load_p95_s": "P95 mọi lượt (s)",
                "load_errors": "Tổng số lỗi", "load_runs_per_s": "Lượt chạy mỗi giây",
                "load_server_cpu_s": "CPU máy chủ (giây)", "load_server_peak_mib": "Bộ nhớ đỉnh máy chủ (MiB)",
                "load_client_cpu_s": "CPU của trình tạo tải (giây)",
                "load_uploads_committed": "Số lần nhập thành công", "load_rows_expected": "Số dòng cần có",
                "load_rows_added": "Số dòng đã thêm vào cơ sở dữ liệu"}


def table(report: dict, number=None) -> str:
    """The report as a table with Vietnamese headings (numbers formatted by `number`)."""
    number = number or (lambda v, d: "–" if v is None else f"{v:.{d}f}")
    lines = [f"{TABLE_HEADINGS[0]:<14}" + "".join(f"{h:>14}" for h in TABLE_HEADINGS[1:])]
    for page, s in report["pages"].items():
        lines.append(f"{PAGE_LABELS.get(page, page):<14}{number(s['runs'], 0):>14}{number(s['p50_s'], 3):>14}"
                     f"{number(s['p95_s'], 3):>14}{number(s['max_s'], 3):>14}{number(s['errors'], 0):>14}")
    lines.append("")
    for key, label in TOTAL_LABELS.items():
        if key in report:
            value = report[key]
            lines.append(f"{label:<40}{number(value, 0 if isinstance(value, int) else 3):>14}")
    for sample in report.get("error_samples", [])[:10]:
        lines.append(f"  lỗi: {sample}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    add_arguments(p)
    p.add_argument("--format", choices=["json", "table"], default="json")
    args = p.parse_args(argv)
    report = from_args(args)
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.format == "json" else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
