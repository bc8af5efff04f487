"""Benchmark of the leaders' overview on the synthetic national database, and its pandas peer.

`bench_scorecard(db_path)` returns medians in seconds, warm (after one unmeasured run):
- scorecard_national_s: the overview's national scorecard, scorecard.scorecard(con, 'country',
  columns=OVERVIEW_COLUMNS) — 3,355 localities × 27 indicators, status, latest value and trend
  per cell, DataFrame included (the peer returns status, latest and projected values);
- scorecard_national_full_s: the same with every column (ratio, progress share, required
  change, previous value …), as the `scorecard` command prints it;
- scorecard_national_pandas_s: the same computation from the same tables (current_series,
  current_observation, target, baseline, indicator, plan, upload) as a plain pandas
  groupby/merge pipeline (`scorecard_pandas`), on DataFrames pulled from DuckDB before the
  clock starts;
- scorecard_province_s: the overview's scorecard of Hà Nội and its 126 communes;
- scorecard_national_uncached_s: the national scorecard when the current-value caches must
  first be rebuilt from the 2.4 M observations (what every overview would cost without them;
  one run);
- scorecard_cache_rebuild_s: rebuilding scorecard_cache whole, the four milestone years (what
  init-db, a restore or an unannounced change to targets costs once; one run, rolled back).
The national, full and province keys read scorecard_cache, as the overview does;
scorecard_national_live_s computes the same rows from the current-value caches in SQL, as the
pandas peer does in pandas (its inputs pulled before the clock starts).
The database is created with `synth` when missing. Peak memory and the overview page's
AppTest timings belong to the page's benchmark.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from indicators.progress import scorecard as sc
from indicators.progress.method import EPS, ON_TRACK_RATIO
from indicators.store.sql import query

PROVINCE = "01"


def _median_time(fn, repeats: int) -> float:
    fn()   # warm: caches, page-ins, the query plan
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pull_frames(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The tables the national scorecard reads, as DataFrames (the pandas peer's input)."""
    if not sc.is_current_fresh(con):
        raise ValueError("current_series is stale: run scorecard.refresh_current_observations first")
    cur = con.cursor()
    tables = {
        "target": "select plan_code, locality_code, indicator_code, target_year, comparator,"
                  " target_value, is_every_year from target",
        "plan": "select plan_code, start_year from plan",
        "baseline": "select locality_code, indicator_code, baseline_year, baseline_value from baseline",
        "indicator": "select indicator_code, value_kind, direction, min_value, max_value from indicator",
        "series": "select * exclude (province_code) from current_series",
        "committed": "select upload_id, is_illustrative from upload where state = 'committed'",
    }
    frames = {name: cur.execute(sql).to_arrow_table().to_pandas() for name, sql in tables.items()}
    # Every current value (2.4 M rows nationally), for rule 7's baseline: its text columns as
    # categories (~50 MB instead of ~450 MB of Python strings).
    values = cur.execute("select locality_code, indicator_code, period, period_time, value"
                         " from current_observation").to_arrow_table()
    frames["observation"] = pa.table({
        name: pc.dictionary_encode(col) if pa.types.is_string(col.type) else col
        for name, col in zip(values.column_names, values.columns)}).to_pandas()
    return frames


def _satisfies(latest, comparator, target, d):
    return np.select(
        [comparator == "≥", comparator == ">", comparator == "≤", comparator == "<"],
        [latest >= target - EPS, latest > target + EPS, latest <= target + EPS, latest < target - EPS],
        d * (latest - target) >= -EPS)


def _start_values(observation: pd.DataFrame, lookups: pd.DataFrame) -> np.ndarray:
    """For each lookup row (locality_code, indicator_code, start_year): the latest current
    value at or before the start year (any period of it); of a quarter and a month sharing a
    midpoint the quarter counts as later."""
    keys = ["locality_code", "indicator_code", "start_year"]
    wanted = lookups.drop_duplicates()
    o = observation[observation["locality_code"].isin(wanted["locality_code"].unique())]
    o = o.astype({"locality_code": str, "indicator_code": str, "period": str}).merge(wanted, on=keys[:2])
    o = o[o["period_time"] <= o["start_year"] + 0.5 + EPS]
    order = o["period_time"] + np.where(o["period"].str.contains("Q", regex=False), 1e-6, 0.0)
    o = o.assign(_order=order).sort_values("_order").drop_duplicates(keys, keep="last")
    return lookups.merge(o[[*keys, "value"]], how="left", on=keys)["value"].to_numpy(float)


def national_pandas(frames: dict[str, pd.DataFrame], year: int = 2030) -> pd.DataFrame:
    """The country scorecard (one row per locality × indicator) computed with pandas only:
    groupby for milestones, latest baselines and cells; merges; numpy for the arithmetic."""
    keys = ["locality_code", "indicator_code"]
    t = frames["target"]
    t = t[t["plan_code"].isin(frames["plan"]["plan_code"])]
    y = t["target_year"].to_numpy()
    rank = np.where(y == year, 0, np.where(y > year, y - year, 10000 + year - y))
    m = t.loc[t.assign(_rank=rank).groupby(["plan_code", *keys], sort=False)["_rank"].idxmin()]
    b = frames["baseline"]
    b = b.loc[b.groupby(keys, sort=False)["baseline_year"].idxmax()]
    s = frames["series"]
    if not set(m["target_year"]) <= set(s["horizon"]):
        raise ValueError("a target year is not in current_series: refresh it first")
    m = (m.merge(frames["indicator"], on="indicator_code")
          .merge(frames["plan"], on="plan_code")
          .merge(b, how="left", on=keys)
          .merge(s, how="left", left_on=[*keys, "target_year"], right_on=[*keys, "horizon"]))
    T = m["target_year"].to_numpy(dtype=float)
    d = np.where(m["direction"] == "higher", 1.0, -1.0)
    n_obs = m["n_obs"].fillna(0).to_numpy()
    has_doc = (m["baseline_year"] <= m["target_year"]).fillna(False).to_numpy(dtype=bool)
    doc_year = np.where(has_doc, m["baseline_year"].to_numpy(dtype=float), np.nan)
    doc_value = np.where(has_doc, m["baseline_value"].to_numpy(dtype=float), np.nan)
    first_time, first_value = m["first_time"].to_numpy(float), m["first_value"].to_numpy(float)
    # Rule 7 without a document baseline: the latest value at or before the plan's start year,
    # else the earliest after it (no start year: the earliest). The series' last or first
    # value, unless it has values on both sides of that year: then look them up.
    cutoff = m["start_year"].to_numpy(float) + 0.5 + EPS    # NaN without a start year
    last_time = m["last_time"].to_numpy(float)
    reported = np.where(np.isnan(cutoff) | (first_time > cutoff), first_value,
                        np.where(last_time <= cutoff, m["last_value"].to_numpy(float), np.nan))
    straddle = ~has_doc & (first_time <= cutoff) & (last_time > cutoff)
    if straddle.any():
        reported[straddle] = _start_values(frames["observation"],
                                           m.loc[straddle, [*keys, "start_year"]])
    base = np.where(has_doc, doc_value, reported)
    latest_time = np.where(n_obs > 0, m["last_time"].to_numpy(float), doc_year)
    latest = np.where(n_obs > 0, m["last_value"].to_numpy(float), doc_value)
    n_points = n_obs + has_doc
    w_doc = np.where(has_doc, 1.0 / np.maximum(T - doc_year, 0.25), 0.0)
    u_doc = np.nan_to_num(doc_year - T)
    v_doc = np.nan_to_num(doc_value)
    sw = m["sw"].fillna(0).to_numpy() + w_doc
    swu = m["swu"].fillna(0).to_numpy() + w_doc * u_doc
    swv = m["swv"].fillna(0).to_numpy() + w_doc * v_doc
    swuu = m["swuu"].fillna(0).to_numpy() + w_doc * u_doc ** 2
    swuv = m["swuv"].fillna(0).to_numpy() + w_doc * u_doc * v_doc
    t_min = np.fmin(first_time, doc_year)
    scale = np.maximum(T - t_min, 0.25)
    with np.errstate(divide="ignore", invalid="ignore"):
        sxx = swuu - swu * swu / sw
        line = np.where(scale * sxx <= 1e-9, swv / sw,
                        swv / sw - (swuv - swu * swv / sw) / sxx * (swu / sw))
        line = np.where(n_points >= 2, line, np.nan)
        lo, hi = m["min_value"].to_numpy(float), m["max_value"].to_numpy(float)
        clamp = ~np.isnan(lo) & ~np.isnan(hi) & ~np.isnan(line)
        projected = np.where(clamp, np.minimum(np.maximum(line, lo), hi), line)
        target = m["target_value"].to_numpy(float)
        comparator = m["comparator"].fillna("=").to_numpy(dtype=object)
        met = _satisfies(latest, comparator, target, d)
        ahead = d * (target - base) > EPS
        ratio = (projected - base) / (target - base)
    qualitative = np.isnan(target)
    yes_no = (m["value_kind"] == "yes_no").to_numpy()
    every_year = m["is_every_year"].to_numpy(dtype=bool)
    no_latest = np.isnan(latest)
    regular = np.select(
        [met, np.isnan(projected), ~ahead, ratio >= ON_TRACK_RATIO - EPS, ratio > EPS],
        ["achieved", "no_data",
         np.where(d * (projected - latest) > EPS, "needs_acceleration", "off_track"),
         "on_track", "needs_acceleration"], "off_track")
    status = np.select(
        [qualitative, yes_no & no_latest, yes_no & (np.abs(latest - 1) <= EPS),
         yes_no, every_year & (n_obs == 0), every_year, no_latest],
        ["no_data", "no_data", "achieved",
         np.where(latest_time < T - EPS, "needs_acceleration", "off_track"),
         "no_data", np.where(met, "achieved", "off_track"), "no_data"], regular)
    out = m[["plan_code", *keys, "target_year"]].assign(
        latest_value=latest, projected_value=np.where(qualitative | ~(yes_no | every_year), projected, np.nan),
        status=status)
    return _cells(out)


def _cells(out: pd.DataFrame) -> pd.DataFrame:
    """One row per locality × indicator: the most severe status, then the first plan_code."""
    out = out.assign(_severity=out["status"].map(sc.CELL_SEVERITY))
    plans = out.groupby("locality_code", sort=False)["plan_code"].agg(["min", "max"])
    multi = out["locality_code"].isin(plans.index[plans["min"] != plans["max"]])
    several = out[multi].sort_values(["_severity", "plan_code"])
    chosen = several.drop_duplicates(["locality_code", "indicator_code"])
    return pd.concat([out[~multi], chosen]).drop(columns="_severity").reset_index(drop=True)


def scorecard_pandas(con: duckdb.DuckDBPyConnection, year: int = 2030) -> pd.DataFrame:
    """The country scorecard by the pandas peer: pull_frames then national_pandas."""
    return national_pandas(pull_frames(con), year)


def _uncached_national(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The national scorecard as if the caches were empty: rebuilt in temporary tables."""
    cur = con.cursor()
    for table in sc.CACHE_TABLES:
        cur.execute(f"create temp table {table} as select * from main.{table} limit 0")
    sc.refresh_current_values(cur)
    params = {"scope_kind": "country", "province": None, "years": [2030], "indicator": None, "localities": None}
    return sc.choose_cells(cur.execute(f"select * exclude (year) from ({query('scorecard')})", params)
                           .to_arrow_table().to_pandas())


def bench_scorecard(db_path: str | Path | None = None, repeats: int = 5) -> dict[str, float]:
    """Medians of `repeats` warm runs on the synthetic national database (see module doc)."""
    from bench.synth import SYNTHETIC_DB, build_synthetic
    path = Path(db_path) if db_path else SYNTHETIC_DB
    if not path.exists():
        build_synthetic(path)
    from indicators.store.connection import connect
    # A file from an earlier version gets this version's migrations and derived tables (as
    # init-db does); then the rebuild of scorecard_cache alone is timed, and rolled back.
    with connect(path) as rw:
        rw.execute("begin transaction")
        sc.refresh_current_observations(rw)
        rw.execute("commit")
        rw.execute("begin transaction")
        rw.execute("delete from scorecard_cache_state")
        start = time.perf_counter()
        assert sc.refresh_current_observations(rw)["scorecard"] == "full"
        rebuild = time.perf_counter() - start
        rw.execute("rollback")
    con = connect(path, read_only=True)   # a held file is a StoreError: one sentence, exit 3
    try:
        # The overview's scorecard first, before the pandas peer's frames (2.4 M current values)
        # fill this process's memory.
        national = _median_time(lambda: sc.scorecard(con, "country", columns=sc.OVERVIEW_COLUMNS), repeats)
        frames = pull_frames(con)
        return {
            "scorecard_national_s": national,
            "scorecard_national_pandas_s": _median_time(lambda: national_pandas(frames), repeats),
            "scorecard_national_full_s": _median_time(lambda: sc.scorecard(con, "country"), repeats),
            "scorecard_national_live_s": _median_time(
                lambda: sc.scorecard(con, "country", columns=sc.OVERVIEW_COLUMNS, live=True), repeats),
            "scorecard_province_s": _median_time(
                lambda: sc.scorecard(con, "province", PROVINCE, columns=sc.OVERVIEW_COLUMNS), repeats),
            "scorecard_national_uncached_s": _median_time(lambda: _uncached_national(con), 1),
            "scorecard_cache_rebuild_s": rebuild,
        }
    finally:
        con.close()
