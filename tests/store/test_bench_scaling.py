"""bench/scaling.py: f× the synthetic dataset is f× its history (the same localities and
indicators), and the scaling keys come out measured on both backends. On one province (Lai
Châu, 39 localities), not the country: seconds, not minutes. The PostgreSQL case skips locally
without a server (conftest.pg_url) and runs in CI."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from bench.scaling import bench_scaling, build_scaled, first_quarter, growth, linear_or_better

TODAY = dt.date(2026, 11, 24)   # 1×: 2020-Q1 .. 2026-Q4, 28 quarters
PROVINCE = ["12"]


@pytest.mark.parametrize("factor, today, first", [
    (1, TODAY, "2020-Q1"), (2, TODAY, "2013-Q1"), (4, TODAY, "1999-Q1"),
    (2, dt.date(2026, 1, 1), "2013-Q4"),   # 25 quarters up to 2026-Q1: 50 from 2013-Q4
])
def test_the_history_starts_early_enough_for_f_times_the_quarters(factor, today, first):
    assert first_quarter(factor, today) == first


def test_twice_the_dataset_is_twice_the_history_of_the_same_series(tmp_path):
    counts = {f: build_scaled(tmp_path / f"x{f}.duckdb", f, today=TODAY, provinces=PROVINCE) for f in (1, 2)}
    assert (counts[1]["quarters"], counts[2]["quarters"]) == (28, 56)
    assert 1.95 <= counts[2]["observation"] / counts[1]["observation"] <= 2.05
    assert counts[2]["target"] == counts[1]["target"]   # the same plan, localities and indicators
    con = duckdb.connect(str(tmp_path / "x2.duckdb"), read_only=True)
    try:
        first, last, pairs = con.execute(
            "select min(period), max(period), count(distinct (locality_code, indicator_code))"
            " from current_observation").fetchone()
    finally:
        con.close()
    assert (first, last) == ("2013-Q1", "2026-Q4")
    assert pairs <= 39 * 27


def test_growth_is_linear_or_better_within_the_tolerance():
    assert growth({1: 0.5, 2: 0.5, 4: 1.5}) == {2: 1.0, 4: 3.0}
    assert linear_or_better({2: 1.0, 4: 4.9})        # noise on a linear cost: passes
    assert not linear_or_better({2: 1.0, 4: 5.5})    # more than 4 × 1.25
    assert not linear_or_better({2: 2.6, 4: 4.0})


def _check_keys(report: dict, prefixes: tuple[str, ...]) -> None:
    for f in (1, 2):
        for prefix in prefixes:
            assert report[f"{prefix}_x{f}_s"] > 0, (prefix, f)
    assert report["scaling_quarters_x2"] == 2 * report["scaling_quarters_x1"]
    assert 1.95 <= report["scaling_observations_x2"] / report["scaling_observations_x1"] <= 2.05


def test_the_keys_on_duckdb():
    report = bench_scaling(factors=(2, 1), repeats=1, provinces=PROVINCE, today=TODAY)
    _check_keys(report, ("scorecard_national", "scorecard_national_uncached"))
    assert report["scorecard_growth_x2"] == pytest.approx(
        report["scorecard_national_x2_s"] / report["scorecard_national_x1_s"])
    assert report["scorecard_linear_or_better"] in (0, 1)
    assert not any("_pg_" in key for key in report)   # no server given: no PostgreSQL keys


def test_the_keys_on_postgresql(pg_url):
    report = bench_scaling(factors=(1, 2), repeats=1, pg_server=pg_url, provinces=PROVINCE, today=TODAY)
    _check_keys(report, ("scorecard_national", "scorecard_national_pg", "pg_replica_build"))
    assert report["scorecard_pg_growth_x2"] == pytest.approx(
        report["scorecard_national_pg_x2_s"] / report["scorecard_national_pg_x1_s"])
    assert report["pg_replica_build_linear_or_better"] in (0, 1)
