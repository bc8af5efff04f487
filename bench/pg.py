"""PostgreSQL as the system of record (store.pg): the national scorecard on a replica, a replica
catching up after another process's upload, and the 100k-row import.

Measured only when a PostgreSQL server answers at $INDICATORS_BENCH_PG_URL, else
$INDICATORS_TEST_PG_URL (the URL of any database on the server, e.g. …/postgres): every part
runs in databases of its own, created there and dropped afterwards. Without a server
`bench_pg()` is not called (run_all checks `server_url()` and `reachable()`). Keys, seconds:

- pg_replica_build_s: a new process's first `store.pg.store(url)` on the national synthetic
  dataset (bench/synth.py: 2.4 M observations, 362 k targets): the connection, the migrations
  in memory, every stored table fetched through ADBC into the in-memory DuckDB replica, and the
  overview's caches rebuilt there from the 2.4 M observations (the AFTER_SYNC hook). One run:
  the process's first sync.
- scorecard_national_pg_s: the overview's national scorecard on that replica, as
  scorecard_national_s times it on the file (bench/scorecard.py: scorecard(con, 'country',
  None, 2030, columns=OVERVIEW_COLUMNS), one unmeasured run, median of `scorecard_repeats`),
  each run inside gate.reading(url): so it includes the read's version check, one round trip
  to PostgreSQL, which the DuckDB figure (a plain read-only connection) has no counterpart of.
- pg_sync_after_upload_s: after another process has committed a 20-row upload for one commune
  (20 indicators, 2025, a new commune and new values each round; preview under gate.reading,
  commit under gate.writing, as the app does), the time of this
  process's next gate.reading(url) until its first statement has answered: the version check,
  the catch-up (observations and audit events fetched past the replica's last ids, every other
  stored table fetched whole and reloaded) and the incremental refresh of the overview's
  caches. Median of `sync_repeats` rounds; each round's new upload and the caches' freshness
  are checked after the clock stops.
- import_100k_pg_s: import_100k_s of bench/importing.py (the same generated 100,000-row
  workbook, the same admin account, preview + commit timed in a fresh child process after the
  same one-row warm-up preview, refresh_cache=False, process start / imports / the database's
  preparation not counted) into a fresh PostgreSQL database initialised by
  indicators.setup.init_db(url): the preview runs under gate.reading(url) on the replica, the
  commit under gate.writing(url), so the figure also includes the advisory lock, the replica's
  snapshot before the write and the PUSH of the upload (100 k observation rows by COPY, the
  upload row, the audit event, the version) to PostgreSQL in one transaction. Median of
  `repeats`, each on its own copy (CREATE DATABASE … TEMPLATE) of one init_db'd database, as
  the DuckDB figure copies a seeded file.

The national dataset is copied into PostgreSQL once (not timed) straight from the synthetic
DuckDB file through ADBC ingest (COPY), the tables created by store.pg itself; the import's
database and workbook are prepared in a child process meanwhile, done before anything is timed.
About 110 s in all on a quiet 2-core machine, most of it the five catch-ups and the two replica
builds. `python -m bench.pg` prints the keys; `python -m bench.pg --national` the detail behind
the national ones (every round's catch-up and upload).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from indicators.paths import PROJECT_ROOT

SYNC_ROWS = 20
SYNC_USER = "bench-pg-admin"
READY_TIMEOUT_S = 300.0


def server_url() -> str | None:
    """The PostgreSQL server to measure on: $INDICATORS_BENCH_PG_URL, else $INDICATORS_TEST_PG_URL."""
    return os.environ.get("INDICATORS_BENCH_PG_URL") or os.environ.get("INDICATORS_TEST_PG_URL") or None


def reachable(server: str) -> bool:
    """Whether the server answers (and the PostgreSQL driver is installed)."""
    try:
        import adbc_driver_postgresql.dbapi as pgdb
        with pgdb.connect(server, autocommit=True) as con, con.cursor() as cur:
            cur.execute("select 1")
            return cur.fetchone()[0] == 1
    except Exception:   # noqa: BLE001 — no driver, no server, refused: no PostgreSQL figures
        return False


def _database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path="/" + name))


@contextlib.contextmanager
def fresh_database(server: str, *, template: str | None = None) -> Iterator[str]:
    """A new database on the server (a copy of `template` if given), dropped afterwards."""
    import adbc_driver_postgresql.dbapi as pgdb
    from indicators.store import pg
    name = "bench_" + uuid.uuid4().hex[:12]
    url = _database_url(server, name)
    with pgdb.connect(server, autocommit=True) as admin, admin.cursor() as cur:
        cur.execute(f"create database {name}" + (f" template {template}" if template else ""))
        try:
            yield url
        finally:
            pg.forget(url)
            cur.execute(f"drop database if exists {name} with (force)")


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


# --- the national dataset ------------------------------------------------------------------------

def _national_source(work: Path) -> Path:
    """The synthetic national database, built when missing; a migrated copy if it is from an
    earlier schema (the file itself is only read)."""
    from bench.synth import SYNTHETIC_DB, build_synthetic
    from indicators.store.connection import _migrations, connect, schema_version
    if not SYNTHETIC_DB.exists():
        build_synthetic(SYNTHETIC_DB)
    con = connect(SYNTHETIC_DB, read_only=True)
    try:
        current = schema_version(con) == _migrations()[-1][0]
    finally:
        con.close()
    if current:
        return SYNTHETIC_DB
    copy = work / "synthetic.duckdb"
    shutil.copy(SYNTHETIC_DB, copy)
    connect(copy).close()
    return copy


def load_national(url: str, source: Path) -> dict[str, int]:
    """Copy every stored table of the synthetic file into the (new, empty) database at `url`:
    store.pg creates the tables, ADBC ingest fills them (COPY), one version increment; then
    ANALYZE, as autovacuum would soon, and the BRIN summaries a restore makes. Returns the row counts."""
    import adbc_driver_postgresql.dbapi as pgdb

    from indicators.store import pg
    from indicators.store.connection import connect
    tables = pg.store(url).tables   # the schema in PostgreSQL, schema_migration filled
    pg.forget(url)
    src = connect(source, read_only=True)
    src.execute("set enable_progress_bar = false")
    counts = {}
    try:
        with pgdb.connect(url) as con:
            with con.cursor() as cur:
                for name, t in tables.items():
                    if name == "schema_migration":
                        continue
                    cols = ", ".join(f'"{c}"' for c, _ in t["columns"])
                    counts[name] = src.execute(f'select count(*) from "{name}"').fetchone()[0]
                    if counts[name]:
                        # Rows in the order they arrived, as uploads add them (store.pg's BRIN indexes rely on it).
                        order = f" order by {pg.GROWING[name]}" if name in pg.GROWING else ""
                        batches = src.execute(f'select {cols} from "{name}"{order}').to_arrow_reader(250_000)
                        cur.adbc_ingest(name, batches, mode="append")
                cur.execute("update store_version set version = version + 1 where id = 1")
                # Each loaded table's version, as a write's push records it (store.pg's replicas
                # key what they computed from a table on its version).
                for name in counts:
                    if counts[name]:
                        cur.execute("insert into store_table_version select $1, version from store_version "
                                    "where id = 1 on conflict (table_name) do update set version = "
                                    "excluded.version", (name,))
            con.commit()
        with pgdb.connect(url, autocommit=True) as con, con.cursor() as cur:
            cur.execute("analyze")
            for name in pg.GROWING:   # as a restore does after loading the growing tables
                cur.execute(f"select brin_summarize_new_values('{pg.brin_index(name)}')")
                cur.fetchall()
    finally:
        src.close()
    return counts


# Stands for an app process on PostgreSQL: builds its replica, times the overview's national
# scorecard, then, on each line from the parent, times its next read's catch-up.
_READER = r"""
import json, sys, time
from indicators.progress import scorecard as sc   # registers the replica's cache refresh (AFTER_SYNC)
from indicators.store import gate, pg
from bench.scorecard import _median_time
url, repeats = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
pg.store(url)
build = time.perf_counter() - t0
rows = []
def national():
    with gate.reading(url) as con:
        rows.append(len(sc.scorecard(con, "country", None, 2030, columns=sc.OVERVIEW_COLUMNS)))
seconds = _median_time(national, repeats)
print(json.dumps({"build_s": build, "national_s": seconds, "cells": rows[-1]}), flush=True)
for line in sys.stdin:
    t0 = time.perf_counter()
    with gate.reading(url) as con:
        seen = con.execute("select max(upload_id) from upload").fetchone()[0]
    took = time.perf_counter() - t0
    with gate.reading(url) as con:
        fresh = sc.is_current_fresh(con)
    print(json.dumps({"sync_s": took, "seen": seen, "fresh": fresh}), flush=True)
"""

# Another process: an admin uploads SYNC_ROWS values of one commune on each line it reads. It
# keeps no overview caches (no AFTER_SYNC hook, refresh_cache=False): the import reads none of
# them, they are never stored in PostgreSQL, and its replica builds in half the time.
_UPLOADER = r"""
import io, json, random, sys, time
from openpyxl import Workbook
from indicators.excel import importer
from indicators.store import gate, pg
from bench.importing import TEMPLATE_HEADERS, _RANGES
pg.AFTER_SYNC.clear()
url, user, n_rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
with gate.writing(url) as con:
    con.execute("insert into account (user_name, display_name, role, locality_code, password_hash) "
                "values ($u, 'Benchmark', 'admin', null, 'not-a-hash: cannot sign in')", {"u": user})
with gate.reading(url) as con:
    communes = con.execute("select locality_code, name from locality where level = 'commune' "
                           "order by locality_code").fetchall()
    indicators = con.execute("select indicator_code, name_vi, unit, value_kind, decimals from indicator "
                             "order by indicator_code").fetchall()[:n_rows]
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    i = int(line)
    rng = random.Random(i)
    code, name = communes[(i * 97) % len(communes)]
    wb = Workbook()
    ws = wb.active
    ws.append(TEMPLATE_HEADERS)
    for ind, ind_name, unit, kind, decimals in indicators:
        lo, hi = _RANGES[kind]
        value = rng.randint(0, 1) if kind == "yes_no" else round(rng.uniform(lo, hi), decimals)
        ws.append([code, name, ind, ind_name, unit, "2025", value, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    t0 = time.perf_counter()
    with gate.reading(url) as con:
        pv = importer.preview(con, buf.getvalue(), f"xa_{code}_{i}.xlsx", user)
    with gate.writing(url) as con:
        done = importer.commit(con, pv, user, confirm_warnings=True, refresh_cache=False)
    print(json.dumps({"upload_id": done.upload_id, "rows": done.n_new + done.n_changed,
                      "errors": len(pv.errors), "upload_s": time.perf_counter() - t0}), flush=True)
"""


def _start(code: str, args: list[str], stderr) -> tuple[subprocess.Popen, object]:
    from bench.shared import _Lines
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=PROJECT_ROOT, env=_child_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True)
    return proc, _Lines(proc)


def _tell(proc: subprocess.Popen, line: str) -> None:
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _failed(what: str, err) -> RuntimeError:
    err.seek(0)
    return RuntimeError(f"{what}: {err.read()[-3000:]}")


def measure_national(server: str, *, scorecard_repeats: int = 5, sync_repeats: int = 5,
                     before_timing: Callable[[], None] | None = None) -> dict:
    """The national figures with their detail: load_s (not a key), build_s, national_s, cells,
    syncs (each round's catch-up), uploads (each round's upload in the other process).
    `before_timing` is called before the first timed step (bench_pg: waits for the import's
    preparation, which runs beside the untimed load)."""
    with tempfile.TemporaryDirectory(prefix="bench_pg_") as tmp, fresh_database(server) as url:
        work = Path(tmp)
        start = time.perf_counter()
        load_national(url, _national_source(work))
        detail = {"load_s": time.perf_counter() - start}
        with open(work / "uploader.err", "w+") as up_err, open(work / "reader.err", "w+") as rd_err:
            # The uploader builds its replica first, alone: the reader's build is timed on a quiet machine.
            uploader, up = _start(_UPLOADER, [url, SYNC_USER, str(SYNC_ROWS)], up_err)
            reader = None
            try:
                try:
                    up.next(READY_TIMEOUT_S, "uploader ready")
                except RuntimeError:
                    raise _failed("the uploading process failed", up_err) from None
                if before_timing is not None:
                    before_timing()
                reader, rd = _start(_READER, [url, str(scorecard_repeats)], rd_err)
                try:
                    first = rd.next(READY_TIMEOUT_S, "reader's scorecard")
                except RuntimeError:
                    raise _failed("the reading process failed", rd_err) from None
                detail.update(build_s=first["build_s"], national_s=first["national_s"], cells=first["cells"],
                              syncs=[], uploads=[])
                # Every round measured: the catch-up is per-row work on the replica, not first-use costs.
                for i in range(sync_repeats):
                    _tell(uploader, str(i))
                    try:
                        done = up.next(READY_TIMEOUT_S, "upload")
                    except RuntimeError:
                        raise _failed("the upload failed", up_err) from None
                    if done["errors"] or done["rows"] != SYNC_ROWS or done["upload_id"] is None:
                        raise RuntimeError(f"bench upload did not land cleanly: {done}")
                    _tell(reader, "read")
                    try:
                        seen = rd.next(READY_TIMEOUT_S, "reader's catch-up")
                    except RuntimeError:
                        raise _failed("the reading process failed", rd_err) from None
                    if seen["seen"] != done["upload_id"] or not seen["fresh"]:
                        raise RuntimeError(f"the reader did not catch up: {seen} after {done}")
                    detail["syncs"].append(seen["sync_s"])
                    detail["uploads"].append(done["upload_s"])
            finally:
                for proc in (uploader, reader):
                    if proc is not None:
                        _stop(proc)
    return detail


def bench_national(server: str, *, scorecard_repeats: int = 5, sync_repeats: int = 5,
                   before_timing: Callable[[], None] | None = None) -> dict:
    """pg_replica_build_s, scorecard_national_pg_s and pg_sync_after_upload_s (module doc)."""
    found = measure_national(server, scorecard_repeats=scorecard_repeats, sync_repeats=sync_repeats,
                             before_timing=before_timing)
    return {"pg_replica_build_s": found["build_s"], "scorecard_national_pg_s": found["national_s"],
            "pg_sync_after_upload_s": statistics.median(found["syncs"])}


# --- the import ----------------------------------------------------------------------------------

def _import_child(url: str, xlsx: str) -> None:
    """Run in a fresh process: bench/importing.py's _child, on PostgreSQL through store.gate."""
    import adbc_driver_postgresql.dbapi as pgdb

    from bench.importing import BENCH_USER, _tiny_workbook
    from indicators.excel import importer
    from indicators.store import gate, pg
    from indicators.text import fmt

    data = Path(xlsx).read_bytes()
    pg.store(url)   # the replica, as a running app holds it (the DuckDB child's connect)
    with gate.reading(url) as con:   # the same warm-up: a one-row preview, not committed
        importer.preview(con, _tiny_workbook(), "warm.xlsx", BENCH_USER)
    fmt.number(1234.5)
    start = time.perf_counter()
    with gate.reading(url) as con:
        pv = importer.preview(con, data, Path(xlsx).name, BENCH_USER)
    with gate.writing(url) as con:   # includes the push of the upload to PostgreSQL
        result = importer.commit(con, pv, BENCH_USER, confirm_warnings=True, refresh_cache=False)
    seconds = time.perf_counter() - start
    with pgdb.connect(url) as con, con.cursor() as cur:   # landed in PostgreSQL, not only in the replica
        cur.execute("select count(*) from observation where upload_id = $1", parameters=(result.upload_id,))
        in_pg = cur.fetchone()[0]
    print(json.dumps({"seconds": seconds, "rows": result.n_new, "in_pg": in_pg, "errors": len(pv.errors)}))


def _prepare_import(url: str, xlsx: Path, n_rows: int) -> None:
    """init_db(url), the bench admin (bench/importing.py's prepare), and the workbook from it."""
    from bench.importing import BENCH_USER, generate_workbook
    from indicators.setup import init_db
    from indicators.store import gate, pg
    init_db(url)
    with gate.writing(url) as con:
        con.execute("insert into account (user_name, display_name, role, locality_code, password_hash) "
                    "values ($u, 'Benchmark', 'admin', null, 'not-a-hash: cannot sign in')", {"u": BENCH_USER})
    with gate.reading(url) as con:
        generate_workbook(con, xlsx, n_rows)
    pg.forget(url)   # no connection may stay on a template


class _Preparation:
    """_prepare_import in a child process, so that it can run beside the national load."""

    def __init__(self, url: str, xlsx: Path, n_rows: int):
        self.err = open(xlsx.with_name("prepare.err"), "w+")   # noqa: SIM115 — closed by wait()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from pathlib import Path; from bench.pg import _prepare_import; "
                                   "_prepare_import(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))",
             url, str(xlsx), str(n_rows)],
            cwd=PROJECT_ROOT, env=_child_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err)

    def wait(self) -> None:
        if self.err.closed:
            return
        try:
            if self.proc.wait(timeout=READY_TIMEOUT_S) != 0:
                raise _failed("preparing the import database failed", self.err)
        finally:
            self.err.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.err.close()


def time_imports(server: str, seeded: str, xlsx: Path, repeats: int, n_rows: int) -> list[float]:
    """Seconds of each import, each in a copy of the prepared database `seeded`."""
    times = []
    for _ in range(repeats):
        with fresh_database(server, template=urlsplit(seeded).path.lstrip("/")) as url:
            out = subprocess.run(
                [sys.executable, "-c", "import sys; from bench.pg import _import_child; "
                                       "_import_child(sys.argv[1], sys.argv[2])", url, str(xlsx)],
                cwd=PROJECT_ROOT, capture_output=True, text=True, env=_child_env())
            if out.returncode != 0:
                raise RuntimeError(f"the PostgreSQL import failed: {out.stderr[-3000:]}")
            found = json.loads(out.stdout.strip().splitlines()[-1])
            if found["errors"] or found["rows"] != n_rows or found["in_pg"] != n_rows:
                raise RuntimeError(f"bench import on PostgreSQL did not land cleanly: {found}")
            times.append(found["seconds"])
    return times


def bench_import_pg(server: str, *, repeats: int = 3, n_rows: int | None = None) -> dict:
    """import_100k_pg_s (module doc)."""
    from bench.importing import N_ROWS
    n_rows = n_rows or N_ROWS
    with tempfile.TemporaryDirectory(prefix="bench_pg_import_") as tmp, fresh_database(server) as seeded:
        xlsx = Path(tmp) / "bench_100k.xlsx"
        _prepare_import(seeded, xlsx, n_rows)
        return {"import_100k_pg_s": round(statistics.median(time_imports(server, seeded, xlsx, repeats, n_rows)), 3)}


def bench_pg(server: str, *, repeats: int = 3, scorecard_repeats: int = 5, sync_repeats: int = 5) -> dict:
    """Every PostgreSQL key of the module doc, on the server at `server` (checked reachable).
    The import's database and workbook are prepared beside the national load (neither timed)."""
    from bench.importing import N_ROWS
    with tempfile.TemporaryDirectory(prefix="bench_pg_import_") as tmp, fresh_database(server) as seeded:
        xlsx = Path(tmp) / "bench_100k.xlsx"
        preparation = _Preparation(seeded, xlsx, N_ROWS)
        try:
            report = bench_national(server, scorecard_repeats=scorecard_repeats, sync_repeats=sync_repeats,
                                    before_timing=preparation.wait)
            preparation.wait()
        finally:
            preparation.stop()
        times = time_imports(server, seeded, xlsx, repeats, N_ROWS)
    report["import_100k_pg_s"] = round(statistics.median(times), 3)
    return report


if __name__ == "__main__":
    found = server_url()
    if not found or not reachable(found):
        raise SystemExit("no PostgreSQL server: set INDICATORS_BENCH_PG_URL (or INDICATORS_TEST_PG_URL)")
    if sys.argv[1:] == ["--national"]:   # the detail behind the national keys
        print(json.dumps(measure_national(found), indent=1))
    else:
        print(json.dumps(bench_pg(found)))
