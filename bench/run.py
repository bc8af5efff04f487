"""`python -m indicators bench`: speed and memory, each figure a median of several runs.

Keys (DESIGN.md): import_100k_s, import_100k_peak_mib, import_peer_read_s, scorecard_national_s,
scorecard_national_pandas_s, scorecard_province_s, overview_apptest_cold_s,
overview_apptest_warm_s, overview_peak_mib, deck_10_slides_s, cli_while_serving_s (the CLI's
`import --dry-run` of the sample workbook while another process serves the overview page),
freshness_cross_process_s (a commit in one process until another process's cached page read
shows it; both in bench/shared.py); on PostgreSQL (store.pg, bench/pg.py), measured only when a
server answers at $INDICATORS_BENCH_PG_URL or else $INDICATORS_TEST_PG_URL: pg_replica_build_s,
scorecard_national_pg_s, pg_sync_after_upload_s (a read catching up after another process's
20-row upload) and import_100k_pg_s. A key is absent until the feature it measures exists.
import_wide_province_s (bench/wide.py): the preview of a province's own report workbook (126
communes × 30 indicator columns × 4 quarter sheets), against import_wide_province_budget_s (1).
Page timings run in a child process so that its peak memory is the page's own, not the
benchmark's.

CPU of one warm page run (bench/pages.py; AppTest in a child process, process CPU over N warm
reruns / N): page_run_cpu_s, the largest of the overview, locality (?locality=12) and indicator
(?indicator=bhyt_coverage) pages on a fresh sample database (init_db), against its budget
page_run_cpu_budget_s (0.1); page_run_cpu_national_s, the same on the national synthetic
database (locality=01), against page_run_cpu_national_budget_s (0.2); per page
page_run_cpu_overview_s, page_run_cpu_locality_s, page_run_cpu_indicator_s and their
..._national_s twins.

Under load (bench/load.py: a real app server, light clients speaking Streamlit's websocket
protocol, each pausing LOAD_THINK_S = 5 s ±50 % before every click: a person reading the page
first; the people open their first page one after another over the first 5 s): on a private
copy of the sample database, 50 viewing sessions for 60 s: load_p95_s (every script run's
wait), load_errors, load_runs_per_s, load_server_cpu_s, load_server_peak_mib; the same with 5
of the 50 officers committing uploads: load_officers_p95_s, load_officers_errors,
load_officers_runs_per_s, load_officers_uploads_committed, load_officers_rows_expected,
load_officers_rows_added (the last must equal the one before); on a copy of the national
synthetic database, 20 viewing sessions for 60 s: load_national_p95_s, load_national_errors,
load_national_runs_per_s. With --quick: 5 sessions (1 officer in the second run) for 10 s each.

Freshness at national scale (bench/freshness.py, ~1 min): a commune's 20-row upload committed by
one process until another process, with viewers reading, shows it on the national overview's
scorecard and on the commune's page; from the click on "Nhập" (the write asked for), median of 5:
freshness_national_s on a copy of the national synthetic DuckDB file, freshness_national_pg_s on
PostgreSQL (with a server).

How cost grows (bench/scaling.py; not with --quick, ~7 min and ~7 GB): the national scorecard on
1×, 2× and 4× the synthetic history (the same localities with 2×, 4× the quarters):
scorecard_national_x<f>_s, scorecard_national_uncached_x<f>_s, scaling_observations_x<f>, and
with a PostgreSQL server scorecard_national_pg_x<f>_s and pg_replica_build_x<f>_s; the growth
time(f×)/time(1×) as scorecard_growth_x<f> (and _uncached_, _pg_, pg_replica_build_ twins) and
scorecard_linear_or_better (1 when every growth is within its factor × 1,25; twins likewise).

Through nginx (bench/cluster.py, when Debian's nginx and PostgreSQL are installed: `available()`),
last: a throw-away PostgreSQL with the sample data, N app processes behind nginx's route cookie,
100 viewers for 60 s: cluster_load_p95_s, cluster_load_errors, cluster_load_runs_per_s,
cluster_load_server_cpu_s with N = 2, and cluster_load_n1_* the same with N = 1 (what the second
process buys). With --quick: 10 viewers for 10 s.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from indicators.paths import PROJECT_ROOT

OVERVIEW_PAGE = PROJECT_ROOT / "pages" / "overview.py"
SYNTHETIC_DB = PROJECT_ROOT / "data" / "synthetic.duckdb"

def peak_mib() -> float:
    """This process's own peak resident memory, in MiB.

    Linux's VmHWM belongs to the process's current address space. getrusage's ru_maxrss does
    not: it keeps the parent's resident size at the moment the child was spawned, so a child of
    a benchmark that had just read a workbook with pandas reported ~1.3 GB it never used.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # elsewhere: the best we have


_APPTEST_CHILD = r"""
import json, os, sys, time
from streamlit.testing.v1 import AppTest
from bench.run import peak_mib
page, runs = sys.argv[1], int(sys.argv[2])
at = AppTest.from_file(page, default_timeout=120)
# Streamlit's own start-up, which a server does once before it listens: the scan of every
# installed package for components (0,5-0,6 s here). AppTest would do it inside its first run.
try:
    from streamlit.components.v2.component_manager import BidiComponentManager
    components = BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    at._bidi_component_manager = components
except (ImportError, AttributeError):
    pass
# What the app's server loads before it listens (indicators.web.serve.preload).
from indicators.web.serve import preload
preload()
t0 = time.perf_counter()
at.run()
cold = time.perf_counter() - t0
if at.exception:
    raise SystemExit(f"page failed: {at.exception}")
warm = []
for _ in range(runs):
    t0 = time.perf_counter()
    at.run()
    warm.append(time.perf_counter() - t0)
print(json.dumps({"cold": cold, "warm": warm, "peak_mib": peak_mib()}))
"""


def page_apptest(page: Path, db: Path, *, repeats: int = 3, warm_runs: int = 5) -> dict:
    """Cold first run, warm reruns and peak memory of one page's AppTest on database `db`,
    each in a fresh child process; medians over `repeats` processes."""
    import os
    env = {**os.environ, "INDICATORS_DB": str(db), "PYTHONPATH": str(PROJECT_ROOT)}
    colds, warms, peaks = [], [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _APPTEST_CHILD, str(page), str(warm_runs)],
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"AppTest of {page.name} failed: {out.stderr[-2000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        colds.append(result["cold"])
        warms.append(statistics.median(result["warm"]))
        peaks.append(result["peak_mib"])
    return {"cold_s": statistics.median(colds), "warm_s": statistics.median(warms),
            "peak_mib": statistics.median(peaks)}


LOAD_THINK_S = 5.0   # a person reads the page for ~5 s (±50 %) before the next click
LOAD_SAMPLE_KEYS = ("load_p95_s", "load_errors", "load_runs_per_s", "load_server_cpu_s", "load_server_peak_mib")
LOAD_OFFICER_KEYS = ("load_p95_s", "load_errors", "load_runs_per_s", "load_uploads_committed", "load_rows_expected",
                     "load_rows_added")
LOAD_NATIONAL_KEYS = ("load_p95_s", "load_errors", "load_runs_per_s")


def load_keys(bench_load, sample: Path, *, quick: bool = False, national: Path | None = None) -> dict:
    """The load_* keys: bench_load on (a private copy of) the sample database with viewers only,
    again with officers among them, then on the national synthetic database with viewers only
    (see the module's docstring)."""
    from bench.pages import national_db
    seconds = 10.0 if quick else 60.0
    keys: dict = {}
    report = bench_load(sample, sessions=5 if quick else 50, seconds=seconds, think_s=LOAD_THINK_S)
    keys.update({k: report[k] for k in LOAD_SAMPLE_KEYS if report.get(k) is not None})
    report = bench_load(sample, sessions=5 if quick else 50, seconds=seconds, officers=1 if quick else 5,
                        think_s=LOAD_THINK_S)
    keys.update({"load_officers_" + k[len("load_"):]: report[k] for k in LOAD_OFFICER_KEYS
                 if report.get(k) is not None})
    report = bench_load(national_db(national), sessions=5 if quick else 20, seconds=seconds, think_s=LOAD_THINK_S)
    keys.update({"load_national_" + k[len("load_"):]: report[k] for k in LOAD_NATIONAL_KEYS
                 if report.get(k) is not None})
    return keys


def run_all(*, quick: bool = False) -> dict:
    """Every benchmark whose feature exists; `quick` uses fewer repeats (for a smoke test)."""
    repeats = 1 if quick else 3
    report: dict[str, float] = {}
    # The scorecard first, on a quiet process: the import benchmark's workbooks (and pandas' read
    # of one) leave this process larger and the machine warmer.
    try:
        from bench.scorecard import bench_scorecard
    except ImportError:
        bench_scorecard = None
    if bench_scorecard:
        report.update(bench_scorecard(SYNTHETIC_DB, repeats=repeats + 4))
        if OVERVIEW_PAGE.exists():
            page = page_apptest(OVERVIEW_PAGE, SYNTHETIC_DB, repeats=repeats)
            report.update(overview_apptest_cold_s=page["cold_s"], overview_apptest_warm_s=page["warm_s"],
                          overview_peak_mib=page["peak_mib"])
    try:
        from bench.importing import bench_import
    except ImportError:
        bench_import = None
    if bench_import:
        report.update(bench_import(repeats=repeats))
    try:
        from bench.wide import bench_wide
    except ImportError:
        bench_wide = None
    if bench_wide:
        report.update(bench_wide(repeats=repeats))
    try:
        from bench.deck import bench_deck
    except ImportError:
        bench_deck = None
    if bench_deck:
        # A private seeded database: the benchmark never opens the one the app is using.
        import tempfile

        from indicators.setup import init_db
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "deck.duckdb"
            init_db(db)
            report.update(bench_deck(db, repeats=repeats))
    try:
        from bench.shared import bench_shared
    except ImportError:
        bench_shared = None
    if bench_shared:
        # Two processes on one file through store.gate, on a private seeded database (~25 s).
        keys, _ = bench_shared(cli_repeats=repeats, fresh_repeats=3 if quick else 5)
        report.update(keys)
    try:
        from bench.pg import bench_pg, reachable, server_url
    except ImportError:
        bench_pg = None
    server = server_url() if bench_pg else None
    if server and reachable(server):
        # PostgreSQL as the system of record, in databases of their own on that server (~2 min).
        report.update(bench_pg(server, repeats=repeats, scorecard_repeats=repeats + 4,
                               sync_repeats=3 if quick else 5))
    try:
        from bench.freshness import bench_freshness_national
    except ImportError:
        bench_freshness_national = None
    if bench_freshness_national:
        # A commune's upload through one process until another shows it, national dataset, on a
        # copy of the DuckDB file and (with a server) on PostgreSQL.
        fresh = bench_freshness_national(repeats=3 if quick else 5,
                                         pg_server=server if server and reachable(server) else None)
        fresh.pop("detail", None)
        report.update(fresh)
    try:
        from bench.scaling import bench_scaling
    except ImportError:
        bench_scaling = None
    if bench_scaling and not quick:
        # The national scorecard on 1×, 2× and 4× the synthetic dataset, both backends (minutes).
        report.update(bench_scaling(repeats=repeats + 2,
                                    pg_server=server if server and reachable(server) else None))
    try:
        from bench.pages import bench_pages
    except ImportError:
        bench_pages = None
    try:
        from bench.load import bench_load
    except ImportError:
        bench_load = None
    if bench_pages or bench_load:
        # Last: the load keeps both processors busy for minutes, which would warm the machine
        # under the timings above.
        import tempfile

        from indicators.setup import init_db
        with tempfile.TemporaryDirectory() as tmp:
            sample = Path(tmp) / "pages.duckdb"
            init_db(sample)
            if bench_pages:
                # CPU of one warm run of each viewer page, sample and national (~2 min; quick ~40 s).
                report.update(bench_pages(sample, SYNTHETIC_DB, runs=5 if quick else 10, repeats=repeats))
            if bench_load:
                # Two app servers under load, 60 s each plus start and copy (~2.5 min; quick ~50 s).
                report.update(load_keys(bench_load, sample, quick=quick))
    try:
        from bench.cluster import available as cluster_missing, bench_cluster
    except ImportError:
        cluster_missing = None
    if cluster_missing and cluster_missing() is None:
        # nginx in front of 1, then 2 app processes on a throw-away PostgreSQL, 100 viewers for 60 s
        # each (~3 min; quick: 10 viewers for 10 s).
        report.update(bench_cluster(ns=(1, 2), sessions=10 if quick else 100, seconds=10.0 if quick else 60.0,
                                    think_s=LOAD_THINK_S))
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in report.items()}
