"""The shared system of record: the command line and a second process beside a serving app.

Processes share the database file through store.gate (reads read-only and shared, a write
alone, every write first replaces `<db>.version`). `bench_shared(cli_repeats=3, fresh_repeats=5)`
returns
- cli_while_serving_s: median wall seconds of `python -m indicators import <sample workbook>
  --user <admin> --dry-run --db <db>` as a subprocess (interpreter start, imports, the sheet
  reader's worker, the preview, exit) while a child process runs the real overview page with
  AppTest over and over, its caches dropped before each run so that every run reads the file
  (five reads through store.gate); the number of page runs that overlapped each command is
  checked (at least one) and kept in the detail;
- freshness_cross_process_s: median seconds from a commit returning in one process (a 1-row
  workbook changing one current value: importer.preview under gate.reading, importer.commit
  under gate.writing) to another process, which stands for an app process, seeing the new value
  through the page's own cached read path (follow_writes() then web.data.progress_of, polled
  every ~5 ms). It includes the write's close (checkpoint, lock release: the other process
  cannot read before that), the reader's poll, its wait for the write (gate's back-off), its
  read-only opening and the read itself.

Both run on fresh copies of a seeded database (init_db + a bench admin) in a temp dir.
`measure_cli_while_serving` and `measure_freshness` return the detail behind each key;
`python -m bench.shared [--alone]` prints it (`--alone`: the CLI also timed with no app).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from indicators.paths import PROJECT_ROOT

SAMPLE_WORKBOOK = PROJECT_ROOT / "data" / "samples" / "du_lieu_minh_hoa.xlsx"
OVERVIEW_PAGE = PROJECT_ROOT / "pages" / "overview.py"
BENCH_ADMIN = "bench-shared"
# The watched value: a current value the locality page shows (Lai Châu, health insurance
# coverage, 2025: 95.0 in the illustrative samples). Each commit moves it by 0.1.
WATCH = ("12", "bhyt_coverage", "2025")
WATCH_YEAR = 2030
READY_TIMEOUT_S = 120.0
SEEN_TIMEOUT_S = 20.0


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "INDICATORS_DB": str(db), "PYTHONPATH": str(PROJECT_ROOT),
            "STREAMLIT_LOGGER_LEVEL": "error"}


def seed(workdir: Path) -> Path:
    """A seeded database (catalogue, localities, illustrative samples) with an admin, BENCH_ADMIN."""
    from indicators.auth.admin import BOOTSTRAP_ADMIN, create_account
    from indicators.setup import init_db
    from indicators.store import gate

    db = workdir / "seeded.duckdb"
    init_db(db)
    with gate.writing(db) as con:
        create_account(con, BOOTSTRAP_ADMIN, BENCH_ADMIN, "Benchmark", "admin")
    return db


def fresh_copy(seeded: Path, db: Path) -> Path:
    """A copy of the (closed) seeded database and its data version, under a new name."""
    shutil.copy(seeded, db)
    for suffix in (".wal", ".version"):
        side = seeded.with_name(seeded.name + suffix)
        if side.exists():
            shutil.copy(side, db.with_name(db.name + suffix))
    return db


class _Lines:
    """A child's stdout, one JSON object per line, read by a thread (a full pipe never blocks it)."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.q = proc, queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("{"):
                self.q.put(json.loads(line))
        self.q.put(None)

    def next(self, timeout: float, what: str) -> dict:
        try:
            item = self.q.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"no {what} from the child after {timeout:.0f} s") from None
        if item is None:
            raise RuntimeError(f"the child ended before {what}")
        return item

    def drain(self) -> list[dict]:
        out = []
        while True:
            try:
                item = self.q.get_nowait()
            except queue.Empty:
                return out
            if item is not None:
                out.append(item)


def _start_child(code: str, args: list[str], db: Path, stderr) -> tuple[subprocess.Popen, _Lines]:
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=PROJECT_ROOT, env=_env(db),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True)
    return proc, _Lines(proc)


def _stop_child(proc: subprocess.Popen, stop: Path, lines: _Lines, stderr_path: Path) -> list[dict]:
    stop.touch()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    lines.thread.join(5)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}): {stderr_path.read_text(errors='replace')[-2000:]}")
    return lines.drain()


# --- 1. the command line while the app serves -------------------------------------------------------

def _serve(page: str, stop_file: str) -> None:
    """Child: the page in AppTest, run until `stop_file` exists; caches dropped before each run
    so that each run reads the database; one JSON line per run (times, reads through the gate)."""
    from streamlit.testing.v1 import AppTest

    from indicators.store import gate
    from indicators.web.connection import clear_caches

    reads = [0]
    opened = gate.reading

    def counted(*args, **kwargs):
        reads[0] += 1
        return opened(*args, **kwargs)

    gate.reading = counted   # web.data and web.connection call gate.reading through the module
    at = AppTest.from_file(page, default_timeout=120)
    at.run()
    if at.exception:
        raise SystemExit(f"page failed: {at.exception}")
    print(json.dumps({"ready": time.time(), "reads": reads[0]}), flush=True)
    stop = Path(stop_file)
    while not stop.exists():
        clear_caches()
        reads[0] = 0
        start = time.time()
        at.run()
        end = time.time()
        if at.exception:
            raise SystemExit(f"page failed: {at.exception}")
        print(json.dumps({"start": start, "end": end, "reads": reads[0]}), flush=True)


_SERVE_CHILD = "import sys; from bench.shared import _serve; _serve(sys.argv[1], sys.argv[2])"


def _cli_dry_run(db: Path, workbook: Path, user: str) -> tuple[float, float, float]:
    """(seconds, wall start, wall end) of one `import --dry-run` subprocess; raises unless it exits 0."""
    cmd = [sys.executable, "-m", "indicators", "import", str(workbook), "--user", user, "--dry-run", "--db", str(db)]
    wall0, t0 = time.time(), time.perf_counter()
    out = subprocess.run(cmd, cwd=PROJECT_ROOT, env=_env(db), capture_output=True, text=True, timeout=300)
    seconds, wall1 = time.perf_counter() - t0, time.time()
    if out.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd[1:])}` exited {out.returncode}: {out.stderr[-2000:] or out.stdout[-2000:]}")
    return seconds, wall0, wall1


def measure_cli_while_serving(seeded: Path, workdir: Path, *, repeats: int = 3, alone: bool = False) -> dict:
    """The CLI dry run `repeats` times while a child serves the overview page (see module doc);
    with `alone`, also `repeats` times with no app, for comparison."""
    db = fresh_copy(seeded, workdir / "serving.duckdb")
    stop, err = workdir / "serve.stop", workdir / "serve.stderr"
    stop.unlink(missing_ok=True)
    detail: dict = {}
    if alone:
        detail["alone_s"] = [_cli_dry_run(db, SAMPLE_WORKBOOK, BENCH_ADMIN)[0] for _ in range(repeats)]
    with open(err, "w") as stderr:
        proc, lines = _start_child(_SERVE_CHILD, [str(OVERVIEW_PAGE), str(stop)], db, stderr)
        try:
            lines.next(READY_TIMEOUT_S, "first page run")
            lines.next(READY_TIMEOUT_S, "a page run in the loop")   # the loop is running
            cli = [_cli_dry_run(db, SAMPLE_WORKBOOK, BENCH_ADMIN) for _ in range(repeats)]
        finally:
            runs = _stop_child(proc, stop, lines, err)   # raises with its stderr if the page failed
    overlapping, reads = [], []
    for _, start, end in cli:
        during = [r for r in runs if "start" in r and r["start"] < end and r["end"] > start]
        overlapping.append(len(during))
        reads.append(sum(r["reads"] for r in during))
    if min(overlapping) < 1:
        raise RuntimeError(f"the app ran no page while the command ran ({overlapping}): not measured while serving")
    seconds = [s for s, _, _ in cli]
    detail.update(seconds=seconds, page_runs_during=overlapping, page_reads_during=reads,
                  page_run_s=statistics.median(r["end"] - r["start"] for r in runs if "start" in r))
    return {"cli_while_serving_s": statistics.median(seconds), "detail": detail}


# --- 2. a commit in one process, seen by another -----------------------------------------------------

def _current_value(progress, indicator: str, period: str) -> float | None:
    obs = progress.observations
    hit = obs.loc[(obs["indicator_code"] == indicator) & (obs["period"] == period), "value"]
    return float(hit.iloc[-1]) if len(hit) else None


def _watch(locality: str, indicator: str, period: str, year: str, stop_file: str) -> None:
    """Child, an app process: poll the page's cached read path (follow_writes at the start of a
    run, then data.progress_of), sleeping 5 ms; print time.time() whenever the value changes."""
    import logging
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from indicators.store import gate
    from indicators.web import data

    got_file = [None]   # when the last read through the gate had its cursor (after any wait)
    opened = gate.reading

    @contextlib.contextmanager
    def timed(*args, **kwargs):
        with opened(*args, **kwargs) as cur:
            got_file[0] = time.time()
            yield cur

    gate.reading = timed   # web.data's cached loaders call gate.reading through the module
    stop = Path(stop_file)
    version, version_seen = data.data_version(), None
    value = _current_value(data.progress_of(locality, int(year)), indicator, period)
    print(json.dumps({"ready": time.time(), "value": value}), flush=True)
    polls = 0
    while not stop.exists():
        data.follow_writes()
        now_version = data.data_version()
        if now_version != version:
            version, version_seen = now_version, time.time()
        t0 = time.time()
        seen = _current_value(data.progress_of(locality, int(year)), indicator, period)
        polls += 1
        if seen != value:
            t = time.time()
            print(json.dumps({"seen": t, "value": seen, "version_seen": version_seen, "got_file": got_file[0],
                              "read_s": t - t0, "polls": polls}), flush=True)
            value, polls = seen, 0
        time.sleep(0.005)


_WATCH_CHILD = "import sys; from bench.shared import _watch; _watch(*sys.argv[1:])"


def one_row_workbook(locality: str, indicator: str, period: str, value: float) -> bytes:
    from openpyxl import Workbook

    from bench.importing import TEMPLATE_HEADERS
    wb = Workbook()
    wb.active.append(TEMPLATE_HEADERS)
    wb.active.append([locality, "", indicator, "", "", period, value, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _commit(db: Path, data: bytes, name: str, user: str) -> dict:
    """Preview under a read, commit under a write, as import_file does; wall times of each step."""
    from indicators.excel import importer
    from indicators.store import gate

    with gate.reading(db) as con:
        pv = importer.preview(con, data, name, user)
    if pv.errors:
        raise RuntimeError(f"the freshness workbook was rejected: {[p.message for p in pv.errors]}")
    asked = time.time()
    with gate.writing(db) as con:
        opened = time.time()
        result = importer.commit(con, pv, user, confirm_warnings=True)
        committed = time.time()
    closed = time.time()
    if result.n_changed != 1:
        raise RuntimeError(f"the freshness commit did not change one value: {result.message}")
    return {"asked": asked, "opened": opened, "committed": committed, "closed": closed}


def measure_freshness(seeded: Path, workdir: Path, *, repeats: int = 5) -> dict:
    """`repeats` commits by this process, each waited for in the watching child (see module doc)."""
    from indicators.store import gate

    db = fresh_copy(seeded, workdir / "fresh.duckdb")
    stop, err = workdir / "watch.stop", workdir / "watch.stderr"
    stop.unlink(missing_ok=True)
    locality, indicator, period = WATCH
    fresh, detail = [], []
    try:
        with open(err, "w") as stderr:
            proc, lines = _start_child(_WATCH_CHILD, [locality, indicator, period, str(WATCH_YEAR), str(stop)],
                                       db, stderr)
            try:
                ready = lines.next(READY_TIMEOUT_S, "the watcher's first read")
                base = ready["value"]
                if base is None:
                    raise RuntimeError(f"no current value for {WATCH} in the seeded database")
                for i in range(repeats):
                    value = round(base + 0.1 * (i + 1), 1)
                    data = one_row_workbook(locality, indicator, period, value)
                    times = _commit(db, data, f"freshness_{i}.xlsx", BENCH_ADMIN)
                    while True:
                        seen = lines.next(SEEN_TIMEOUT_S, f"the value {value}")
                        if seen.get("value") == value:
                            break
                    fresh.append(seen["seen"] - times["committed"])
                    detail.append({
                        "seen_after_commit_s": seen["seen"] - times["committed"],
                        "seen_after_close_s": seen["seen"] - times["closed"],
                        "close_s": times["closed"] - times["committed"],
                        "write_wait_s": times["opened"] - times["asked"],
                        "version_seen_before_commit_s": (times["committed"] - seen["version_seen"]
                                                         if seen["version_seen"] else None),
                        "watcher_got_file_after_close_s": seen["got_file"] - times["closed"],
                        "watcher_read_s": seen["read_s"]})
                    time.sleep(0.2)
            finally:
                _stop_child(proc, stop, lines, err)
    finally:
        gate.close_idle(db)   # this process's lingering read-only opening of the temp file
    return {"freshness_cross_process_s": statistics.median(fresh), "detail": detail}


def bench_shared(cli_repeats: int = 3, fresh_repeats: int = 5, *, alone: bool = False) -> tuple[dict, dict]:
    """(the two keys, their detail); each key on its own fresh copy of one seeded database."""
    with tempfile.TemporaryDirectory(prefix="bench_shared_") as tmp:
        work = Path(tmp)
        seeded = seed(work)
        cli = measure_cli_while_serving(seeded, work, repeats=cli_repeats, alone=alone)
        fresh = measure_freshness(seeded, work, repeats=fresh_repeats)
    keys = {"cli_while_serving_s": cli["cli_while_serving_s"],
            "freshness_cross_process_s": fresh["freshness_cross_process_s"]}
    return keys, {"cli_while_serving": cli["detail"], "freshness_cross_process": fresh["detail"]}


if __name__ == "__main__":
    keys, detail = bench_shared(alone="--alone" in sys.argv)
    print(json.dumps({**keys, "detail": detail}, indent=2))
