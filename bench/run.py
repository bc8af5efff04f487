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
Page timings run in a child process so that its peak memory is the page's own, not the
benchmark's.
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
t0 = time.perf_counter()
at = AppTest.from_file(page, default_timeout=120)
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
    return {k: round(v, 4) for k, v in report.items()}
