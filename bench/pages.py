"""The CPU seconds one warm run of a page costs: what each further click on an open page takes
from the server's processor.

Method (`page_run_cpu`): a fresh child process (`_CHILD`, so nothing of the benchmark's own
process is counted) opens the page with Streamlit's AppTest on the database given as
$INDICATORS_DB through app.py's navigation (as a browser does: pages link to one another), its
query parameters set before the first run (as a shared link would), runs
it twice unmeasured (the first run pays the imports, the data caches and the query plans; the
second settles what the first run's widgets changed), then `runs` more times; the figure is the
process's CPU time (`time.process_time()`, every thread: AppTest's script thread included) over
those runs divided by `runs`. AppTest's `at.run()` reruns the page with the widget state it
already has, so every warm run draws the same view: for the locality page, the locality named
in the URL (the child checks that the query parameters still name it afterwards). The median
over `repeats` child processes is reported. A page that raises (an exception element on the
page, or a failed run) makes the measurement raise RuntimeError: a benchmark of a broken page
is not a figure.

`bench_pages(sample_db, national_db)` measures the overview (pages/overview.py), the locality
page (pages/locality.py, ?locality=12 on the sample database, ?locality=01 nationally) and the
indicator page (pages/indicator.py, ?indicator=bhyt_coverage) on both, and returns the keys
page_run_cpu_s (the largest of the three on the sample database; budget page_run_cpu_budget_s =
0.1), page_run_cpu_national_s (the largest on the national synthetic database; budget
page_run_cpu_national_budget_s = 0.2) and one key per page: page_run_cpu_<page>_s and
page_run_cpu_<page>_national_s.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from indicators.paths import PROJECT_ROOT

PAGES_DIR = PROJECT_ROOT / "pages"
BUDGET_S = 0.1
NATIONAL_BUDGET_S = 0.2
# page name -> (file, query parameters on the sample database, on the national one)
PAGES = {
    "overview": ("overview.py", {}, {}),
    "locality": ("locality.py", {"locality": "12"}, {"locality": "01"}),
    "indicator": ("indicator.py", {"indicator": "bhyt_coverage"}, {"indicator": "bhyt_coverage"}),
}

_CHILD = r"""
import json, sys, time
from streamlit.testing.v1 import AppTest
page, params, runs, app = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
# Through app.py's navigation, as a browser opens the page (a page linking to another,
# st.page_link, needs it), with the query parameters of a shared link; a script that is not one
# of the app's pages (app empty) by itself.
at = AppTest.from_file(app or page, default_timeout=300)
for key, value in params.items():
    at.query_params[key] = value
if app:
    at.switch_page(page)

def run():
    at.run()
    if at.exception:
        raise SystemExit("page failed: " + "; ".join(str(e.value) for e in at.exception))

run(); run()   # unmeasured: imports, caches, query plans, the first run's widget changes
start = time.process_time()
for _ in range(runs):
    run()
cpu = (time.process_time() - start) / runs
lost = {k: at.query_params.get(k) for k, v in params.items() if at.query_params.get(k) != v}
if lost:
    raise SystemExit(f"the warm runs did not draw the view asked for: query parameters now {lost}, asked {params}")
print(json.dumps({"cpu_s": cpu}))
"""


def page_run_cpu(page: str | os.PathLike, db: str | os.PathLike, params: dict[str, str] | None = None, *,
                 runs: int = 10, repeats: int = 3, timeout: float = 900) -> float:
    """CPU seconds of one warm run of `page` on database `db` with query parameters `params`:
    the median over `repeats` child processes of (process CPU over `runs` warm runs) / `runs`.
    Raises RuntimeError when the page raises or a child fails."""
    env = {**os.environ, "INDICATORS_DB": str(db), "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("INDICATORS_DATABASE_URL", None)   # the file given, never a developer's PostgreSQL
    figures = []
    page = Path(page).resolve()
    app = str(PROJECT_ROOT / "app.py") if page.parent == PAGES_DIR.resolve() else ""
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _CHILD, str(page), json.dumps(params or {}), str(runs), app],
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"page run CPU of {Path(page).name} failed: {(out.stderr or out.stdout)[-2000:]}")
        figures.append(json.loads(out.stdout.strip().splitlines()[-1])["cpu_s"])
    return statistics.median(figures)


def national_db(path: str | os.PathLike | None = None, *, wait_s: float = 60.0) -> Path:
    """The national synthetic database (bench/synth.py), built when missing and migrated to this
    version (as bench/scorecard.py does). While another process reads it (its lock refuses the
    migration's writable opening), a file that is already current is used as it is; one that
    needs migrating is waited for up to `wait_s`, then the StoreError is raised."""
    import time

    from bench.synth import SYNTHETIC_DB, build_synthetic
    from indicators.store.connection import StoreError, connect
    path = Path(path) if path else SYNTHETIC_DB
    if not path.exists():
        build_synthetic(path)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            connect(path).close()
            return path
        except StoreError:
            try:
                connect(path, read_only=True).close()   # raises if the file is behind this version
                return path
            except StoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)


def measure(db: str | os.PathLike, *, national: bool = False, runs: int = 10, repeats: int = 3,
            pages: dict | None = None) -> dict[str, float]:
    """{page name: CPU seconds of one warm run} on `db`, for each of `pages` (default PAGES)."""
    result = {}
    for name, (file, sample_params, national_params) in (pages or PAGES).items():
        page = Path(file) if Path(file).is_absolute() else PAGES_DIR / file
        result[name] = page_run_cpu(page, db, national_params if national else sample_params,
                                    runs=runs, repeats=repeats)
    return result


def bench_pages(sample_db: str | os.PathLike, national: str | os.PathLike | None = None, *, runs: int = 10,
                repeats: int = 3) -> dict[str, float]:
    """The page_run_cpu_* keys (see the module's docstring); `national` defaults to the synthetic
    database, built or migrated first."""
    report: dict[str, float] = {"page_run_cpu_budget_s": BUDGET_S, "page_run_cpu_national_budget_s": NATIONAL_BUDGET_S}
    sample = measure(sample_db, runs=runs, repeats=repeats)
    report["page_run_cpu_s"] = max(sample.values())
    report.update({f"page_run_cpu_{name}_s": cpu for name, cpu in sample.items()})
    nationally = measure(national_db(national), national=True, runs=runs, repeats=repeats)
    report["page_run_cpu_national_s"] = max(nationally.values())
    report.update({f"page_run_cpu_{name}_national_s": cpu for name, cpu in nationally.items()})
    return report
