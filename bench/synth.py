"""`synth`: a national-scale SYNTHETIC dataset in its own database file, for speed measurements.

Promises:
- It never writes to the main database: the default file is data/synthetic.duckdb, and an
  existing file is replaced only when it is itself marked synthetic (`dataset.is_synthetic`).
- Deterministic for a seed and a date: numpy's seeded generator, no Python loop per row.
- Every commune (3,321) and province (34) × every indicator of the catalogue gets quarterly
  values from 2020-Q1 up to the current quarter (never a future one, never past 2030-Q4),
  a target per milestone (2026, 2030, 2035, 2045) in plan "SYN-2030" and, for most pairs,
  a 2025 baseline. Percent-like kinds carry numerator and denominator; a province's
  percent-like value is the ratio of its communes' sums (queries/progress/scorecard.sql
  `province_rollup`), never an average of percentages.
- Marked synthetic everywhere it shows: `dataset.is_synthetic` is true (pages check
  `is_synthetic(con)`), the plan's title starts with SYNTHETIC_TITLE, every upload row has
  file_name 'synthetic' and is_illustrative = true.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from indicators.progress.scorecard import refresh_current_observations
from indicators.store.sql import query
from indicators.paths import PROJECT_ROOT
from indicators.store.connection import DEFAULT_DB
from indicators.store.dataset import is_synthetic

SYNTHETIC_DB = PROJECT_ROOT / "data" / "synthetic.duckdb"
DEFAULT_SEED = 2030
SYN_PLAN = "SYN-2030"
SYNTHETIC_TITLE = "DỮ LIỆU TỔNG HỢP (synthetic)"
SYNTHETIC_NOTICE = "Dữ liệu tổng hợp (synthetic)"
SYN_FILE = "synthetic"
SYN_USER = "synth"
MILESTONES = (2026, 2030, 2035, 2045)
BASELINE_YEAR = 2025
FIRST_YEAR, LAST_YEAR = 2020, 2030
RATIO_SCALE = {"percent": 100.0, "per_1000": 1000.0, "per_10000": 10000.0}

# (value_kind, direction) -> level range in 2020, mean and spread of the yearly change in the
# good direction, quarterly noise, denominator range (ratio kinds only). Plausible, not real.
SERIES = {
    ("percent", "higher"): (35.0, 92.0, 2.0, 1.8, 1.2, 300, 20000),
    ("percent", "lower"): (5.0, 30.0, 0.8, 0.7, 0.8, 300, 5000),
    ("per_1000", "lower"): (6.0, 30.0, 0.8, 0.7, 1.0, 800, 6000),
    ("per_1000", "higher"): (6.0, 30.0, 0.8, 0.7, 1.0, 800, 6000),
    ("per_10000", "higher"): (4.0, 14.0, 0.35, 0.3, 0.3, 8000, 60000),
    ("per_10000", "lower"): (4.0, 14.0, 0.35, 0.3, 0.3, 8000, 60000),
    ("years", "higher"): (64.0, 75.0, 0.18, 0.15, 0.15, 0, 0),
    ("years", "lower"): (64.0, 75.0, 0.18, 0.15, 0.15, 0, 0),
    ("percent_change", "higher"): (5.0, 30.0, 0.0, 0.5, 6.0, 0, 0),
    ("percent_change", "lower"): (5.0, 30.0, 0.0, 0.5, 6.0, 0, 0),
}
P_REPORTED, P_REPORTED_LATEST, P_SERIES_MISSING = 0.97, 0.75, 0.01
P_BASELINE, P_QUALITATIVE, P_CORRECTED, P_REVERTED = 0.85, 0.003, 0.01, 0.005


class SynthError(RuntimeError):
    """Refusal in Vietnamese, e.g. when asked to overwrite a database of real figures."""


def quarters(today: dt.date, first: str | None = None) -> list[str]:
    """'2020-Q1' (or `first`, e.g. '2013-Q1') .. the quarter containing `today` (at most '2030-Q4')."""
    last = (min(today.year, LAST_YEAR), (today.month - 1) // 3 + 1 if today.year <= LAST_YEAR else 4)
    start = (int(first[:4]), int(first[-1])) if first else (FIRST_YEAR, 1)
    return [f"{y}-Q{q}" for y in range(start[0], last[0] + 1) for q in range(1, 5)
            if start <= (y, q) <= last]


def _quarter_times(periods: list[str]) -> np.ndarray:
    # Same arithmetic as progress.period_time, vectorised: Y - 0.5 + (q - 0.5) / 4.
    y = np.array([int(p[:4]) for p in periods], dtype=float)
    q = np.array([int(p[-1]) for p in periods], dtype=float)
    return y - 0.5 + (q - 0.5) / 4


def _indicator_values(rng, ind: dict, n_loc: int, times: np.ndarray):
    """(values, numerators, denominators, trend at the baseline year, ambition per year) for
    one indicator, arrays of shape (n_loc, n_quarters); numerators are NaN for other kinds."""
    kind, d = ind["value_kind"], 1.0 if ind["direction"] == "higher" else -1.0
    lo, hi = ind["min_value"], ind["max_value"]
    n_q = len(times)
    nan = np.full((n_loc, n_q), np.nan)
    if kind == "yes_no":
        switch = rng.uniform(FIRST_YEAR, FIRST_YEAR + 15, n_loc)[:, None]
        values = (times[None, :] >= switch).astype(float)
        return values, nan, nan, (BASELINE_YEAR + 0.5 >= switch[:, 0]).astype(float), 0.0
    if kind == "count":
        # Counted from 2026 (e.g. doctors added since 2026): a cumulative Poisson process.
        rate = rng.uniform(0.0, 0.6, n_loc)[:, None]
        steps = rng.poisson(np.broadcast_to(rate, (n_loc, n_q))) * (times[None, :] > BASELINE_YEAR + 0.5)
        return np.cumsum(steps, axis=1).astype(float), nan, nan, np.zeros(n_loc), 0.0
    lv_lo, lv_hi, mu, sd, noise, den_lo, den_hi = SERIES[(kind, ind["direction"])]
    level = rng.uniform(lv_lo, lv_hi, n_loc)
    slope = d * rng.normal(mu, sd, n_loc)
    trend = level[:, None] + slope[:, None] * (times[None, :] - FIRST_YEAR)
    values = np.clip(trend + rng.normal(0.0, noise, (n_loc, n_q)), lo, hi)
    base = np.clip(level + slope * (BASELINE_YEAR - FIRST_YEAR), lo, hi)
    if kind not in RATIO_SCALE:
        return values, nan, nan, base, mu
    scale = RATIO_SCALE[kind]
    growth = 1 + 0.005 * np.arange(n_q)[None, :]
    den = np.round(rng.integers(den_lo, den_hi, n_loc)[:, None] * growth)
    num = np.clip(np.round(values / scale * den), 0, den)
    return num / den * scale, num, den, base, mu


def _targets(rng, ind: dict, base: np.ndarray, ambition: float, codes: np.ndarray) -> pd.DataFrame:
    """Four milestone targets per locality for one indicator, varied in ambition and comparator."""
    n, kind = len(codes), ind["value_kind"]
    d = 1.0 if ind["direction"] == "higher" else -1.0
    years = np.array(MILESTONES, dtype=float)
    every_year = kind == "percent_change"
    if kind == "yes_no":
        values, comps = np.ones((n, len(years))), np.full(n, "=")
    elif kind == "count":
        k = rng.integers(2, 5, n)[:, None].astype(float)
        values, comps = np.hstack([np.ones((n, 1)), k, k + 2, k + 4]), np.full(n, "≥")
    elif every_year:
        values = np.repeat(rng.choice([15.0, 20.0, 25.0], n)[:, None], len(years), axis=1)
        comps = np.full(n, "≥")
    else:
        gap = ambition * rng.uniform(0.5, 2.0, n)[:, None] * (years[None, :] - BASELINE_YEAR)
        values = np.clip(np.round(base[:, None] + d * gap, int(ind["decimals"])),
                         ind["min_value"], ind["max_value"])
        choices = (["≥", "=", ">"], [0.6, 0.25, 0.15]) if d > 0 else (["<", "≤", "="], [0.5, 0.3, 0.2])
        comps = rng.choice(choices[0], n, p=choices[1])
    comps = np.repeat(np.asarray(comps, dtype=object)[:, None], len(years), axis=1)
    # "> 100%" or "< 0" cannot be met: a target at the end of the range is a level to reach.
    at_bound = (values >= ind["max_value"]) | (values <= ind["min_value"])
    comps[at_bound & np.isin(comps, [">", "<"])] = "="
    frame = pd.DataFrame({
        "plan_code": SYN_PLAN, "locality_code": np.repeat(codes, len(years)),
        "indicator_code": ind["indicator_code"], "target_year": np.tile(years.astype(int), n),
        "comparator": comps.ravel(), "target_value": values.ravel(),
        "is_every_year": every_year,
        "target_text": f"{SYNTHETIC_TITLE} – mục tiêu giả lập", "clause": f"{SYN_PLAN} (synthetic)",
    })
    if kind not in ("yes_no", "count") and not every_year:
        qualitative = rng.random(len(frame)) < P_QUALITATIVE
        frame.loc[qualitative, ["comparator", "target_value"]] = None
        frame.loc[qualitative, "target_text"] = f"{SYNTHETIC_TITLE} – chỉ tiêu định tính giả lập"
    return frame


def synthetic_frames(localities: pd.DataFrame, indicators: pd.DataFrame, seed: int,
                     periods: list[str]) -> dict[str, pd.DataFrame | pa.Table]:
    """The generated rows, before any database write: 'observations' (an Arrow table, every
    locality × indicator × period actually reported, province ratio kinds excluded), 'targets',
    'baselines'; 'corrected' and 'reverted' re-report a few commune observations."""
    rng = np.random.default_rng(seed)
    locs = localities.sort_values(["province_code", "locality_code"]).reset_index(drop=True)
    codes = locs["locality_code"].to_numpy(dtype=object)
    times = _quarter_times(periods)
    n_loc, n_ind, n_q = len(locs), len(indicators), len(periods)
    vals, nums, dens = (np.empty((n_loc, n_ind, n_q)) for _ in range(3))
    targets, baselines = [], []
    for j, ind in enumerate(indicators.to_dict("records")):   # one pass per indicator, ~27
        vals[:, j], nums[:, j], dens[:, j], base, ambition = _indicator_values(rng, ind, n_loc, times)
        base = np.round(base, int(ind["decimals"]))
        targets.append(_targets(rng, ind, base, ambition, codes))
        has = rng.random(n_loc) < P_BASELINE
        baselines.append(pd.DataFrame({
            "locality_code": codes[has], "indicator_code": ind["indicator_code"],
            "baseline_year": BASELINE_YEAR, "baseline_value": base[has], "plan_code": SYN_PLAN,
            "source": f"{SYNTHETIC_TITLE} – số liệu cơ sở giả lập"}))
    reported = rng.random((n_loc, n_ind, n_q)) < P_REPORTED
    reported[:, :, -1] = rng.random((n_loc, n_ind)) < P_REPORTED_LATEST   # late reporters
    reported &= (rng.random((n_loc, n_ind)) >= P_SERIES_MISSING)[:, :, None]
    is_ratio = indicators["value_kind"].isin(list(RATIO_SCALE)).to_numpy()
    is_province = (locs["level"] == "province").to_numpy()
    reported &= ~(is_province[:, None, None] & is_ratio[None, :, None])   # rolled up later
    li, ii, qi = np.nonzero(reported)
    observations = _arrow_rows(codes, indicators["indicator_code"].to_numpy(dtype=object),
                               np.array(periods, dtype=object), times, li, ii, qi,
                               vals[li, ii, qi], nums[li, ii, qi], dens[li, ii, qi])
    # A correction upload (later, committed) and a reverted one: "latest committed upload wins".
    commune_ratio = ~is_province[li] & is_ratio[ii]
    pick = np.nonzero(commune_ratio & (rng.random(len(li)) < P_CORRECTED))[0]
    new_num = np.clip(nums[li, ii, qi][pick] + rng.integers(-3, 4, len(pick)), 0, dens[li, ii, qi][pick])
    scale = indicators["value_kind"].map(RATIO_SCALE).to_numpy(dtype=float)[ii[pick]]
    corrected = _arrow_rows(codes, indicators["indicator_code"].to_numpy(dtype=object),
                            np.array(periods, dtype=object), times, li[pick], ii[pick], qi[pick],
                            new_num / dens[li, ii, qi][pick] * scale, new_num, dens[li, ii, qi][pick])
    wild = np.nonzero(rng.random(len(li)) < P_REVERTED)[0]
    reverted = _arrow_rows(codes, indicators["indicator_code"].to_numpy(dtype=object),
                           np.array(periods, dtype=object), times, li[wild], ii[wild], qi[wild],
                           indicators["max_value"].to_numpy(dtype=float)[ii[wild]],
                           np.full(len(wild), np.nan), np.full(len(wild), np.nan))
    # Stored in locality order, as a province's plan would add them: a province's rows sit
    # together, which the overview's zone maps use.
    order = pd.Series(np.arange(n_loc), index=codes)
    def by_locality(frames):
        frame = pd.concat(frames, ignore_index=True)
        return frame.iloc[np.argsort(order[frame["locality_code"]].to_numpy(), kind="stable")]
    return {"observations": observations, "corrected": corrected, "reverted": reverted,
            "targets": by_locality(targets), "baselines": by_locality(baselines)}


def _arrow_rows(codes, ind_codes, periods, times, li, ii, qi, value, num, den) -> pa.Table:
    """Observation rows as Arrow, strings dictionary-encoded (cheap for millions of rows)."""
    def dictionary(indices, values):
        return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(values, pa.string()))
    return pa.table({
        "locality_code": dictionary(li, codes), "indicator_code": dictionary(ii, ind_codes),
        "period": dictionary(qi, periods), "period_time": pa.array(times[qi]),
        "value": pa.array(value), "numerator": pa.array(num, from_pandas=True),
        "denominator": pa.array(den, from_pandas=True),
    })


def _insert_upload(con, rows: pa.Table, label: str, *, state: str = "committed") -> int:
    digest = hashlib.sha256(f"{SYN_FILE}:{label}".encode()).hexdigest()
    upload_id = con.execute(
        "insert into upload (file_name, sha256, user_name, n_rows, n_new, state, is_illustrative)"
        " values ($f, $s, $u, $n, $n, $st, true) returning upload_id",
        {"f": SYN_FILE, "s": digest, "u": SYN_USER, "n": rows.num_rows, "st": state}).fetchone()[0]
    con.register("syn_rows", rows)
    try:
        con.execute("insert into observation (locality_code, indicator_code, period, period_time,"
                    " value, numerator, denominator, note, upload_id)"
                    " select locality_code, indicator_code, period, period_time, value, numerator,"
                    " denominator, $note, $id from syn_rows",
                    {"note": f"{SYNTHETIC_TITLE} – {label}", "id": upload_id})
    finally:
        con.unregister("syn_rows")
    return upload_id


def _insert_frame(con, table: str, frame: pd.DataFrame, keys: tuple[str, ...]) -> None:
    """Insert the frame's rows whose key the table lacks (the seed's real rows stay)."""
    con.register("syn_frame", frame)
    try:
        # Identifiers are our own frame's columns and keys, never user input.
        cols = ", ".join(frame.columns)
        match = " and ".join(f"t.{k} = s.{k}" for k in keys)
        con.execute(f"insert into {table} ({cols}) select {cols} from syn_frame as s"
                    f" where not exists (select 1 from {table} as t where {match})")
    finally:
        con.unregister("syn_frame")


def _refuse_real(path: Path) -> None:
    """Raise SynthError unless `path` is absent or already a synthetic database."""
    if path.resolve() == DEFAULT_DB.resolve():
        raise SynthError(f"Không ghi dữ liệu tổng hợp vào cơ sở dữ liệu chính {path}. "
                         f"Hãy dùng một tệp riêng, ví dụ {SYNTHETIC_DB}.")
    if not path.exists():
        return
    with duckdb.connect(str(path), read_only=True) as con:
        if not is_synthetic(con):
            raise SynthError(f"Tệp {path} đã có và không phải dữ liệu tổng hợp: không ghi đè. "
                             "Hãy chọn một đường dẫn khác.")


def build_synthetic(path: str | os.PathLike | None = None, *, seed: int = DEFAULT_SEED,
                    today: dt.date | None = None,
                    provinces: list[str] | None = None,
                    first_quarter: str | None = None) -> dict[str, int]:
    """(Re)create the synthetic database at `path` (default data/synthetic.duckdb); return
    row counts per table. `provinces` limits the data to those provinces and their communes
    (default: the whole country). `first_quarter` (default '2020-Q1') starts the history
    elsewhere, e.g. '2013-Q1' for twice as many quarters (bench/scaling.py). One transaction
    for the generated rows."""
    from indicators.setup import init_db   # setup_db imports samples etc.; keep this module light

    path = Path(path) if path else SYNTHETIC_DB
    _refuse_real(path)
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
    init_db(path, samples=False)
    con = duckdb.connect(str(path))
    con.execute("set enable_progress_bar = false")
    try:
        localities = con.execute(
            "select locality_code, level, coalesce(parent_code, locality_code) as province_code"
            " from locality where $p is null or coalesce(parent_code, locality_code) in $p",
            {"p": provinces}).df()
        indicators = con.execute("select * from indicator order by indicator_code").df()
        periods = quarters(today or dt.date.today(), first_quarter)
        frames = synthetic_frames(localities, indicators, seed, periods)
        con.execute("begin transaction")
        try:
            con.execute(
                "insert into plan (plan_code, number, issuer, issued_on, title, locality_code,"
                " start_year, end_year, source_file) values ($p, $p, $i, date '2025-12-31', $t,"
                " 'VN', 2026, 2045, $f)",
                {"p": SYN_PLAN, "i": SYNTHETIC_NOTICE, "f": SYN_FILE,
                 "t": f"{SYNTHETIC_TITLE} – kế hoạch giả lập cho mọi tỉnh và xã, không phải văn bản thật"})
            _insert_frame(con, "target", frames["targets"],
                          ("plan_code", "locality_code", "indicator_code", "target_year"))
            _insert_frame(con, "baseline", frames["baselines"],
                          ("locality_code", "indicator_code", "baseline_year"))
            _insert_upload(con, frames["observations"], "số liệu giả lập")
            _insert_upload(con, frames["corrected"], "bản sửa giả lập")
            _insert_upload(con, frames["reverted"], "bản đã hủy giả lập", state="reverted")
            refresh_current_observations(con)
            # On `con` itself: a cursor would not see this open transaction's rows.
            rollup = con.execute(query("province_rollup"),
                                 {"province": None, "indicator": None, "period": None}).df()
            _insert_upload(con, _province_rows(rollup), "tỉnh tổng hợp từ xã")
            refresh_current_observations(con)
            con.execute("update dataset set is_synthetic = true, seed = $s,"
                        " generated_at = current_timestamp, note = $n",
                        {"s": seed, "n": f"{SYNTHETIC_TITLE}: {len(periods)} quý đến {periods[-1]}"})
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        con.execute("checkpoint")
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("locality", "indicator", "target", "baseline", "upload", "observation")}
    finally:
        con.close()
    return counts


def _province_rows(rollup: pd.DataFrame) -> pa.Table:
    """Province observations = Σ numerator / Σ denominator of their reporting communes."""
    frame = rollup[rollup["value"].notna()]
    return pa.Table.from_pandas(frame.rename(columns={"province_code": "locality_code",
                                                      "numerator_sum": "numerator",
                                                      "denominator_sum": "denominator"})
                                [["locality_code", "indicator_code", "period", "period_time",
                                  "value", "numerator", "denominator"]], preserve_index=False)
