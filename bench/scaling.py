"""How cost grows: the national scorecard on 1×, 2× and 4× the synthetic dataset, on DuckDB and
on PostgreSQL.

What "2× the dataset" means here: the same country (3,321 communes + 34 provinces, every one
there already at 1×), the same 27 indicators, plan, targets and current quarter, with twice (four
times) as many quarters of history: a deployment that has been reporting twice (four times) as
long. A province's data grows with its years of reporting, not with new localities; so f× is
bench/synth.py's build_synthetic with `first_quarter` moved back until there are f × n quarters
up to today's, n being the quarters 1× has (2020-Q1 up to the current quarter: 28 in 2026-Q4,
so 2× starts in 2013-Q1 and 4× in 1999-Q1; 1× is exactly what `synth` builds, ≈ 2.45 M
observations). Going back rather than forward keeps the generator's promise of no future
quarter, and keeps the latest quarter, the targets and the baselines where the scorecard looks.
The importer refuses years before 2000 (excel/cells.py); 4×'s four quarters of 1999 stand in
for the years after 2045 a deployment would reach going forward, the same rows per series.
Each factor is its own seeded draw (the arrays have another shape), so its values, and a few
baselines, differ from 1×'s; its sizes do not (observations ≈ f × 1×'s, checked:
scaling_observations_x<f>). Each database is built in a temporary directory, never
data/synthetic.duckdb.

Keys (seconds unless named otherwise), for each factor f in `factors`:
- scorecard_national_x<f>_s: what scorecard_national_s times (bench/scorecard.py): the
  overview's national scorecard, scorecard(con, 'country', columns=OVERVIEW_COLUMNS), read from
  scorecard_cache on a read-only connection, one unmeasured run, median of `repeats`; so
  scorecard_national_x1_s is scorecard_national_s on a fresh 1× build.
- scorecard_national_uncached_x<f>_s: scorecard_national_uncached_s, the same scorecard when the
  current-value caches must first be rebuilt from every observation (one run after a warm one):
  the part of the overview's cost that does follow the number of observations (what a restore
  or a full cache refresh pays).
- scaling_observations_x<f>, scaling_quarters_x<f>: the dataset's observation rows and quarters.
- on PostgreSQL, when `pg_server` is given: scorecard_national_pg_x<f>_s, what
  scorecard_national_pg_s times (bench/pg.py: the f× file loaded into a fresh database on the
  server with load_national, a new process builds its replica and times the scorecard inside
  gate.reading(url), one unmeasured run, median of `repeats`), and pg_replica_build_x<f>_s,
  that process's first sync (every table fetched, the caches rebuilt from the observations).
Growth, for each f > 1 (f=1 in `factors` needed): scorecard_growth_x<f> = time(f×) / time(1×)
of scorecard_national, and likewise scorecard_uncached_growth_x<f>, scorecard_pg_growth_x<f>,
pg_replica_build_growth_x<f>. scorecard_linear_or_better (and _uncached_, _pg_ twins) is 1
when every growth of that figure is at most its factor × (1 + GROWTH_TOLERANCE), else 0.

GROWTH_TOLERANCE = 0.25: each figure is a median on a 2-core machine shared with other jobs,
where the same figure varies by up to ±30 % between runs (README, "Latest figures"), while
what "worse than linear" would look like is far off it: n log n at these sizes adds ~10 % at
4× (passes, as near-linear), a quadratic step would make 4× cost 16× (fails by three times).

About 7 minutes in all on the 2-core development machine: the three builds of the country
(1× ≈ 40 s, 4× ≈ 65 s), each file's timings, and on PostgreSQL each load and replica build
(1–1.5 min a factor); ~7 GB of memory at the peak (4×). `python -m bench.scaling
[--factors 1,2,4] [--repeats N] [--province CODE]` prints the keys as JSON; the PostgreSQL part
runs when bench.pg.server_url() answers ($INDICATORS_BENCH_PG_URL or $INDICATORS_TEST_PG_URL).
`--province` (repeatable) limits every factor to those provinces (a quick look, not the figure).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

GROWTH_TOLERANCE = 0.25
FACTORS = (1, 2, 4)


def first_quarter(factor: int, today: dt.date | None = None) -> str:
    """The first quarter of the f× history: f × n quarters up to today's (n: 1×'s quarters)."""
    from bench.synth import quarters
    periods = quarters(today or dt.date.today())
    year, q = int(periods[-1][:4]), int(periods[-1][-1])
    index = year * 4 + (q - 1) - (factor * len(periods) - 1)
    return f"{index // 4}-Q{index % 4 + 1}"


def build_scaled(path: str | Path, factor: int, *, today: dt.date | None = None,
                 provinces: list[str] | None = None) -> dict[str, int]:
    """The f× synthetic database at `path` (module doc): its row counts per table, and its
    quarters under 'quarters'."""
    from bench.synth import build_synthetic, quarters
    start = first_quarter(factor, today)
    counts = build_synthetic(path, today=today, provinces=provinces, first_quarter=start)
    counts["quarters"] = len(quarters(today or dt.date.today(), start))
    return counts


def time_duckdb(path: str | Path, repeats: int) -> dict[str, float]:
    """The national scorecard on the file, as bench_scorecard times scorecard_national_s and
    scorecard_national_uncached_s."""
    from bench.scorecard import _median_time, _uncached_national
    from indicators.progress import scorecard as sc
    from indicators.store.connection import connect
    con = connect(path, read_only=True)
    try:
        return {"national_s": _median_time(lambda: sc.scorecard(con, "country", columns=sc.OVERVIEW_COLUMNS),
                                           repeats),
                "uncached_s": _median_time(lambda: _uncached_national(con), 1)}
    finally:
        con.close()


def time_pg(server: str, path: str | Path, repeats: int) -> dict:
    """The file loaded into a fresh database on `server`, then bench/pg.py's reader process:
    its replica build and the national scorecard (scorecard_national_pg_s's measurement)."""
    from bench.pg import _READER, _failed, _start, _stop, READY_TIMEOUT_S, fresh_database, load_national
    with tempfile.TemporaryDirectory(prefix="bench_scaling_pg_") as tmp, fresh_database(server) as url:
        start = time.perf_counter()
        load_national(url, Path(path))
        load_s = time.perf_counter() - start
        with open(Path(tmp) / "reader.err", "w+") as err:
            reader, lines = _start(_READER, [url, str(repeats)], err)
            try:
                try:
                    found = lines.next(READY_TIMEOUT_S, "reader's scorecard")
                except RuntimeError:
                    raise _failed("the reading process failed", err) from None
            finally:
                _stop(reader)
    return {"load_s": load_s, "build_s": found["build_s"], "national_s": found["national_s"],
            "cells": found["cells"]}


def growth(times: dict[int, float]) -> dict[int, float]:
    """time(f×) / time(1×) for every f > 1 measured."""
    return {f: t / times[1] for f, t in times.items() if f != 1}


def linear_or_better(ratios: dict[int, float], tolerance: float = GROWTH_TOLERANCE) -> bool:
    """Whether every ratio is at most its factor, give or take `tolerance` (module doc)."""
    return all(ratio <= f * (1 + tolerance) for f, ratio in ratios.items())


def _growth_keys(report: dict, figures: dict[int, float], ratio_key: str, verdict_key: str) -> None:
    ratios = growth(figures)
    report.update({ratio_key.format(f=f): r for f, r in ratios.items()})
    report[verdict_key] = int(linear_or_better(ratios))


def bench_scaling(*, factors: tuple[int, ...] = FACTORS, repeats: int = 5, pg_server: str | None = None,
                  provinces: list[str] | None = None, today: dt.date | None = None,
                  progress=None) -> dict:
    """Every key of the module doc, for `factors` (1 among them for the growth keys); on
    PostgreSQL too when `pg_server` (a reachable server's URL) is given. `provinces` limits the
    data (tests, a quick look); `progress(text)` hears what is being done."""
    factors = tuple(sorted(set(factors)))
    if not factors or factors[0] < 1:
        raise ValueError(f"factors must be whole numbers from 1: {factors}")
    say = progress or (lambda text: None)
    report: dict = {}
    national, uncached, pg_national, pg_build = {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="bench_scaling_") as tmp:
        for f in factors:
            path = Path(tmp) / f"synthetic_x{f}.duckdb"
            say(f"{f}×: building from {first_quarter(f, today)}")
            counts = build_scaled(path, f, today=today, provinces=provinces)
            report[f"scaling_observations_x{f}"] = counts["observation"]
            report[f"scaling_quarters_x{f}"] = counts["quarters"]
            say(f"{f}×: {counts['observation']:,} observations; timing on DuckDB")
            found = time_duckdb(path, repeats)
            national[f], uncached[f] = found["national_s"], found["uncached_s"]
            report[f"scorecard_national_x{f}_s"] = national[f]
            report[f"scorecard_national_uncached_x{f}_s"] = uncached[f]
            if pg_server:
                say(f"{f}×: loading into PostgreSQL and timing there")
                found = time_pg(pg_server, path, repeats)
                pg_national[f], pg_build[f] = found["national_s"], found["build_s"]
                report[f"scorecard_national_pg_x{f}_s"] = pg_national[f]
                report[f"pg_replica_build_x{f}_s"] = pg_build[f]
            for leftover in path.parent.glob(path.name + "*"):   # the next build needs the room
                leftover.unlink()
    if 1 in factors and len(factors) > 1:
        _growth_keys(report, national, "scorecard_growth_x{f}", "scorecard_linear_or_better")
        _growth_keys(report, uncached, "scorecard_uncached_growth_x{f}", "scorecard_uncached_linear_or_better")
        if pg_server:
            _growth_keys(report, pg_national, "scorecard_pg_growth_x{f}", "scorecard_pg_linear_or_better")
            _growth_keys(report, pg_build, "pg_replica_build_growth_x{f}", "pg_replica_build_linear_or_better")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default=",".join(map(str, FACTORS)),
                        help="dataset sizes, comma-separated multiples of the synthetic dataset (default 1,2,4)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per figure, the median kept (default 5)")
    parser.add_argument("--province", action="append", dest="provinces",
                        help="only this province and its communes (repeatable; default the whole country)")
    args = parser.parse_args(argv)
    try:
        factors = tuple(int(f) for f in args.factors.split(","))
    except ValueError:
        parser.error(f"--factors: whole numbers separated by commas, not {args.factors!r}")
    from bench.pg import reachable, server_url
    server = server_url()
    if server and not reachable(server):
        print(f"PostgreSQL at {server} does not answer: DuckDB only", file=sys.stderr)
        server = None
    start = time.perf_counter()
    report = bench_scaling(factors=factors, repeats=args.repeats, pg_server=server, provinces=args.provinces,
                           progress=lambda text: print(f"[{time.perf_counter() - start:6.0f} s] {text}",
                                                       file=sys.stderr, flush=True))
    print(f"[{time.perf_counter() - start:6.0f} s] done", file=sys.stderr)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in report.items()}, indent=1))


if __name__ == "__main__":
    main()
