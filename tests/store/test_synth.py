"""`synth`: a synthetic national dataset in its own file, plausible, deterministic, and marked
synthetic wherever it shows."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from indicators.progress import scorecard as sc
from indicators.setup import init_db
from indicators.store.connection import DEFAULT_DB
from bench.synth import (
    MILESTONES, SYN_FILE, SYN_PLAN, SYNTHETIC_TITLE, SynthError, build_synthetic, is_synthetic,
    quarters, synthetic_frames,
)

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize("today, first, last, n", [
    (dt.date(2026, 11, 24), "2020-Q1", "2026-Q4", 28),   # the current quarter, never a later one
    (dt.date(2026, 1, 1), "2020-Q1", "2026-Q1", 25),
    (dt.date(2020, 3, 31), "2020-Q1", "2020-Q1", 1),
    (dt.date(2035, 6, 1), "2020-Q1", "2030-Q4", 44),    # never past 2030
])
def test_quarters(today, first, last, n):
    got = quarters(today)
    assert (got[0], got[-1], len(got)) == (first, last, n)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """The synthetic dataset limited to Lai Châu (38 communes), as `synth` builds it."""
    path = tmp_path_factory.mktemp("synth") / "synthetic.duckdb"
    counts = build_synthetic(path, seed=7, today=TODAY, provinces=["12"])
    return path, counts


def test_every_locality_and_indicator_is_there_quarterly(small_db):
    path, counts = small_db
    con = duckdb.connect(str(path), read_only=True)
    n_loc = con.execute("select count(*) from locality where '12' in (locality_code, parent_code)").fetchone()[0]
    n_ind = con.execute("select count(*) from indicator").fetchone()[0]
    assert n_loc == 39
    pairs, periods, first, last = con.execute(
        "select count(distinct (locality_code, indicator_code)), count(distinct period), min(period),"
        " max(period) from current_observation").fetchone()
    # about 1% of series are missing on purpose (no data), so pairs is a little under n_loc × n_ind
    assert 0.95 * n_loc * n_ind <= pairs <= n_loc * n_ind
    assert (periods, first, last) == (28, "2020-Q1", "2026-Q4")
    n_syn = con.execute("select count(*) from target where plan_code = $p", {"p": SYN_PLAN}).fetchone()[0]
    assert n_syn == n_loc * n_ind * len(MILESTONES)
    years = {r[0] for r in con.execute("select distinct target_year from target where plan_code = $p",
                                       {"p": SYN_PLAN}).fetchall()}
    assert years == set(MILESTONES)
    assert counts["observation"] == con.execute("select count(*) from observation").fetchone()[0]


def test_marked_synthetic_everywhere(small_db):
    path, _ = small_db
    con = duckdb.connect(str(path), read_only=True)
    assert is_synthetic(con)
    title = con.execute("select title from plan where plan_code = $p", {"p": SYN_PLAN}).fetchone()[0]
    assert title.startswith(SYNTHETIC_TITLE)
    uploads = con.execute("select file_name, is_illustrative, state from upload order by upload_id").fetchall()
    assert {(f, i) for f, i, _ in uploads} == {(SYN_FILE, True)}
    assert [s for *_, s in uploads].count("reverted") == 1   # a reverted one: latest committed wins
    assert sc.is_current_fresh(con)


def test_values_are_plausible(small_db):
    path, _ = small_db
    con = duckdb.connect(str(path), read_only=True)
    out_of_range = con.execute(
        "select count(*) from current_observation c join indicator i using (indicator_code)"
        " where c.value < i.min_value or c.value > i.max_value").fetchone()[0]
    assert out_of_range == 0
    yes_no = con.execute(
        "select distinct value from current_observation join indicator using (indicator_code)"
        " where value_kind = 'yes_no'").fetchall()
    assert {v for (v,) in yes_no} <= {0.0, 1.0}
    # Percent-like values are their numerator / denominator, so roll-ups can use them.
    bad_ratio = con.execute(
        "select count(*) from current_observation c join indicator i using (indicator_code)"
        " where i.value_kind in ('percent', 'per_1000', 'per_10000') and (c.numerator is null"
        " or abs(c.value - c.numerator / c.denominator * case i.value_kind when 'percent' then 100"
        " when 'per_1000' then 1000 else 10000 end) > 1e-9)").fetchone()[0]
    assert bad_ratio == 0
    # The province's percent-like value is its communes' ratio, not the mean of their percentages.
    roll = sc.province_rollup(con, "12", "bhyt_coverage", "2026-Q3")
    mine = con.execute("select value from current_observation where locality_code = '12'"
                       " and indicator_code = 'bhyt_coverage' and period = '2026-Q3'").fetchone()[0]
    assert mine == pytest.approx(roll["value"].iloc[0])
    statuses = set(sc.scorecard(con, "province", "12")["status"])
    assert statuses == {"achieved", "on_track", "needs_acceleration", "off_track", "no_data"}


def test_series_shapes():
    localities = pd.DataFrame({"locality_code": ["12", "03388", "03391"], "level": ["province", "commune", "commune"],
                               "province_code": ["12", "12", "12"]})
    indicators = pd.DataFrame([
        ("yn", "yes_no", "higher", 0.0, 1.0, 0), ("added", "count", "higher", 0.0, 1000.0, 0),
        ("pct", "percent", "higher", 0.0, 100.0, 1),
    ], columns=["indicator_code", "value_kind", "direction", "min_value", "max_value", "decimals"])
    frames = synthetic_frames(localities, indicators, 3, quarters(TODAY))
    obs = frames["observations"].to_pandas().sort_values("period_time")
    for code, series in obs.groupby(["locality_code", "indicator_code"], observed=True):
        if code[1] in ("yn", "added"):   # a step function and a running count never go down
            assert (np.diff(series["value"].to_numpy()) >= 0).all(), code
    assert not ((obs["locality_code"] == "12") & (obs["indicator_code"] == "pct")).any()  # rolled up later
    targets = frames["targets"]
    assert set(targets["comparator"].dropna()) <= {"≥", ">", "≤", "<", "="}
    assert not ((targets["comparator"] == ">") & (targets["target_value"] >= 100)).any()


def test_same_seed_same_data_other_seed_other_data():
    localities = pd.DataFrame({"locality_code": ["12", "03388"], "level": ["province", "commune"],
                               "province_code": ["12", "12"]})
    indicators = pd.DataFrame([("pct", "percent", "lower", 0.0, 100.0, 1)],
                              columns=["indicator_code", "value_kind", "direction", "min_value", "max_value", "decimals"])
    a, b, c = (synthetic_frames(localities, indicators, seed, quarters(TODAY)) for seed in (1, 1, 2))
    assert a["observations"].equals(b["observations"]) and a["targets"].equals(b["targets"])
    assert not a["observations"].equals(c["observations"])


def test_never_overwrites_real_data(tmp_path):
    real = tmp_path / "real.duckdb"
    init_db(real, samples=True)
    with pytest.raises(SynthError, match="không phải dữ liệu tổng hợp"):
        build_synthetic(real, today=TODAY, provinces=["12"])
    assert duckdb.connect(str(real), read_only=True).execute(
        "select count(*) from upload where file_name = $f", {"f": SYN_FILE}).fetchone()[0] == 0
    with pytest.raises(SynthError, match="cơ sở dữ liệu chính"):
        build_synthetic(DEFAULT_DB, today=TODAY, provinces=["12"])


def test_rebuilding_replaces_the_synthetic_file(tmp_path):
    path = tmp_path / "syn.duckdb"
    first = build_synthetic(path, seed=1, today=TODAY, provinces=["12"])
    again = build_synthetic(path, seed=1, today=TODAY, provinces=["12"])
    assert first == again


def run_cli(*argv: str) -> int:
    """`python -m indicators …` in this process: the command line's own parser and dispatch."""
    from indicators.cli import main
    return main(list(argv))


def test_cli_synth_then_scorecard(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    assert run_cli("--db", str(path), "synth", "--province", "12", "--seed", "3") == 0
    assert "DỮ LIỆU TỔNG HỢP (synthetic)" in capsys.readouterr().out
    assert run_cli("--db", str(path), "scorecard", "--scope", "communes", "--province", "12") == 0
    table = capsys.readouterr().out
    assert "1.026 ô" in table and "Chệch hướng" in table      # 38 communes × 27 indicators
    assert run_cli("--db", str(path), "scorecard", "--scope", "province") == 2
    assert run_cli("--db", str(path), "scorecard", "--scope", "province", "--province", "99") == 2
    real = tmp_path / "real.duckdb"
    init_db(real, samples=False)
    assert run_cli("--db", str(real), "synth", "--province", "12") == 6
