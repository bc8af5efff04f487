"""The leaders' overview, computed in DuckDB: scorecard, counts, completeness, roll-ups.

Thin typed wrappers over queries/progress/scorecard.sql; no Streamlit. Every function takes a DuckDB
connection (it uses a cursor of it) and returns a pandas DataFrame or plain values.

Promises:
- Statuses, projections and ratios equal indicators.progress.method.evaluate's for the same inputs
  (tests/test_scorecard_parity.py); values are not rounded here.
- Current values come from the caches current_observation / current_series (migration 004)
  when they reflect every upload and target year; otherwise from temporary copies refreshed
  for that one read (slower, same results): a stale cache is never read, and reads never
  write the database.
- The scorecard of a milestone year comes from scorecard_cache (migration 009), the scorecard
  query's own rows computed by refresh_current_observations in the writer's transaction,
  whenever current_observation is fresh; every other read computes it live.
- Province values from communes are Σ numerator / Σ denominator with their completeness,
  never an average of percentages.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from indicators.progress.statuses import CELL_SEVERITY, DEFAULT_TARGET_YEAR, MILESTONE_YEARS, STATUSES
from indicators.store import pg
from indicators.store.sql import query

SCOPE_KINDS = ("country", "province", "communes")
# A refresh rebuilds the caches instead of patching them when the uploads to catch up on hold
# more than this share of all observations (and more than FULL_REFRESH_MIN_ROWS of them).
FULL_REFRESH_SHARE = 0.25
FULL_REFRESH_MIN_ROWS = 50_000
# scorecard_cache is kept only where computing the scorecard costs something: from this many
# targets (the national dataset has 362,382; a province's plans a few hundred, computed live in
# ~0,05 s). Below it the cache is emptied and every read computes live, and an import does not
# pay the cache's refresh (~0,2 s).
CACHE_MIN_TARGETS = 20_000
# Every column the scorecard query returns, in its order (queries/progress/scorecard.sql, `final`).
COLUMNS = ("locality_code", "indicator_code", "baseline_value", "baseline_year", "target_value",
           "target_comparator", "target_year", "latest_value", "latest_period", "projected_value",
           "status", "plan_code", "is_every_year", "is_qualitative", "baseline_source", "latest_time",
           "previous_value", "previous_period", "change", "trend", "ratio", "progress_share",
           "required_annual_change", "n_points", "is_latest_illustrative")
# What the overview's cells show (status, latest value, trend, the illustrative flag). Asking
# for only these lets DuckDB skip the other columns (and, computed live, the rest of the
# arithmetic).
OVERVIEW_COLUMNS = ("locality_code", "indicator_code", "plan_code", "target_year", "latest_value",
                    "status", "trend", "is_latest_illustrative")
# choose_cells needs these; the milestone check in `scorecard` needs target_year.
_ALWAYS = ("locality_code", "indicator_code", "plan_code", "target_year", "status")


def _frame(cur: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pd.DataFrame:
    # Arrow then pandas: DuckDB's .df() on 90k rows with text columns is ~4x slower here.
    return cur.execute(sql, params).to_arrow_table().to_pandas()


def _check_scope(scope_kind: str, province: str | None) -> None:
    if scope_kind not in SCOPE_KINDS:
        raise ValueError(f"scope_kind must be one of {SCOPE_KINDS}, not {scope_kind!r}")
    if scope_kind != "country" and not province:
        raise ValueError(f"scope_kind {scope_kind!r} needs a province code")


CACHE_TABLES = ("current_observation", "current_series", "current_observation_upload")


def stale_uploads(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Uploads added, reverted or restored since the caches were last refreshed, as seen by
    `con` itself (inside its open transaction, if any)."""
    return [r[0] for r in con.execute(query("current_stale_uploads")).fetchall()]


def missing_horizons(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Target years (e.g. a milestone an admin just added) current_series has no sums for."""
    return [r[0] for r in con.execute(query("series_missing_horizons"),
                                      {"milestones": list(MILESTONE_YEARS)}).fetchall()]


def is_current_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when current_observation and current_series reflect every upload and target year."""
    cur = con.cursor()
    return cur.execute(query("cache_state")).fetchone()[0] == 0 and not missing_horizons(cur)


def refresh_current_observations(con: duckdb.DuckDBPyConnection, *,
                                  changed_localities: list[str] | None = None) -> dict[str, int | str]:
    """Bring the overview's derived tables up to date: current_observation and current_series
    with observation, upload and the target years, then scorecard_cache with those and the
    targets, baselines, plans, indicators and localities.

    Call it inside the transaction that adds an upload or changes an upload's state (import,
    revert), or that changes targets, baselines or plans (then pass the localities whose rows
    changed as changed_localities, [] for none: only those are recomputed), after the change.
    Only the keys the uploads reported are recomputed; an empty or largely stale cache is
    rebuilt, and so is current_series when a target year is new, and scorecard_cache when its
    inputs changed unannounced (e.g. init-db's catalogue, a restore, a replica catching up).
    The caller owns the transaction (this issues no begin/commit); inside a write on a
    PostgreSQL replica an upload's incremental refresh runs when the write is in PostgreSQL,
    before the write ends (_after_replica_write). Returns
    {'mode': 'none'|'incremental'|'full'|'horizons', 'n_uploads': …, 'scorecard': 'none'|
    'incremental'|'full'|'off'|'deferred'} ('off': fewer than CACHE_MIN_TARGETS targets, reads
    compute live; 'deferred': put off to the end of the PostgreSQL write, as said above).
    """
    put_off = _after_replica_write(con, changed_localities)
    if put_off is not None:
        return put_off
    done, touched = refresh_current_values(con)
    if touched is not None and changed_localities:
        touched = sorted(set(touched) | set(changed_localities))
    done["scorecard"] = _refresh_scorecard_cache(con, touched, announced=changed_localities is not None)
    return done


def _after_replica_write(con: duckdb.DuckDBPyConnection, changed_localities: list[str] | None) -> dict | None:
    """Inside a write on a PostgreSQL replica (store.pg), an upload's incremental refresh is put
    off until the write is in PostgreSQL (pg.after_write): the caches are the replica's own,
    never sent, so other processes see the upload without waiting for this process's refresh,
    and this process refreshes before its write ends, as ever. Returns what the refresh will
    do ({'mode': 'incremental', 'n_uploads': …, 'scorecard': 'deferred'}), or None when it is
    to run now (not in such a write, nothing stale, or a full rebuild)."""
    if not pg.in_replica_write():   # a DuckDB file, or no write: at once
        return None
    stale = stale_uploads(con)
    if not stale or _needs_full_refresh(con, stale):
        return None
    pg.after_write(lambda cur: refresh_current_observations(cur, changed_localities=changed_localities))
    return {"mode": "incremental", "n_uploads": len(stale), "scorecard": "deferred"}


def _needs_full_refresh(con: duckdb.DuckDBPyConnection, stale: list[int]) -> bool:
    """Whether catching up on the uploads `stale` rebuilds the caches (empty or largely stale
    caches, a new target year) rather than patching them."""
    n_total, n_cached = con.execute(
        "select (select count(*) from observation), (select count(*) from current_observation)"
    ).fetchone()
    n_stale = con.execute("select count(*) from observation where upload_id in (select unnest($u))",
                          {"u": stale}).fetchone()[0]
    return (n_cached == 0 or n_stale > max(FULL_REFRESH_SHARE * n_total, FULL_REFRESH_MIN_ROWS)
            or bool(missing_horizons(con)))


def refresh_current_values(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int | str], list[str] | None]:
    """current_observation and current_series (see refresh_current_observations); also returns
    the localities whose current values changed (None: any may have)."""
    stale = stale_uploads(con)
    if not stale:
        if missing_horizons(con):
            _refresh_series(con, None)
            return {"mode": "horizons", "n_uploads": 0}, None
        return {"mode": "none", "n_uploads": 0}, []
    full = _needs_full_refresh(con, stale)
    ids = None if full else stale
    for name in ("current_delete", "current_insert"):
        con.execute(query(name), {"upload_ids": ids})
    _refresh_series(con, ids)
    con.execute(query("current_snapshot_clear"))
    con.execute(query("current_snapshot_fill"))
    touched = None if full else [r[0] for r in con.execute(
        "select distinct locality_code from observation where upload_id in (select unnest($u))",
        {"u": stale}).fetchall()]
    return {"mode": "full" if full else "incremental", "n_uploads": len(stale)}, touched


def _refresh_scorecard_cache(con: duckdb.DuckDBPyConnection, localities: list[str] | None, *,
                             announced: bool) -> str:
    """Recompute scorecard_cache's rows of `localities` (None: every row) for every milestone
    year, or all of them when its inputs changed and the caller did not announce where
    (`announced`: the caller passed the localities its change touched)."""
    years = list(MILESTONE_YEARS)
    state = con.execute("select inputs_fingerprint, years from scorecard_cache_state").fetchone()
    if con.execute("select count(*) from target").fetchone()[0] < CACHE_MIN_TARGETS:
        if state is not None:   # it was kept for a larger set of targets: not any more
            con.execute("delete from scorecard_cache_state")
            con.execute(query("scorecard_cache_delete"), {"localities": None})
        return "off"
    fingerprint = _inputs_fingerprint(con)
    if state is None or list(state[1]) != years or (state[0] != fingerprint and not announced):
        localities = None
    elif localities is not None and not localities:
        if state[0] != fingerprint:
            con.execute("update scorecard_cache_state set inputs_fingerprint = $f, "
                        "refreshed_at = current_timestamp", {"f": fingerprint})
        return "none"
    con.execute(query("scorecard_cache_delete"), {"localities": localities})
    # Every milestone year in one statement (the query reads its inputs once for all four).
    con.execute("insert into scorecard_cache select s.year, coalesce(l.parent_code, s.locality_code), "
                f"s.* exclude (year) from ({query('scorecard')}) as s "
                "left join locality as l on l.locality_code = s.locality_code",
                {"years": years, "scope_kind": "country", "province": None, "indicator": None,
                 "localities": localities})
    con.execute("delete from scorecard_cache_state")
    con.execute("insert into scorecard_cache_state (inputs_fingerprint, years) values ($f, $y)",
                {"f": fingerprint, "y": years})
    return "full" if localities is None else "incremental"


# The tables scorecard_inputs_fingerprint reads.
SCORECARD_INPUTS = ("target", "baseline", "plan", "indicator", "locality")
_FINGERPRINTS: dict[tuple, str] = {}   # pg.table_versions(SCORECARD_INPUTS) -> their fingerprint


def _inputs_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """scorecard_inputs_fingerprint; on a PostgreSQL replica catching up, the one computed on the
    same rows before when their versions say they are unchanged (362 k targets: ~20 ms saved in
    every process on each upload)."""
    key = pg.table_versions(SCORECARD_INPUTS)
    found = _FINGERPRINTS.get(key) if key is not None else None
    if found is None:
        found = con.execute(query("scorecard_inputs_fingerprint")).fetchone()[0]
        if key is not None:
            if len(_FINGERPRINTS) >= 16:
                _FINGERPRINTS.clear()
            _FINGERPRINTS[key] = found
    return found


def _refresh_series(con: duckdb.DuckDBPyConnection, upload_ids: list[int] | None) -> None:
    """Recompute current_series for the keys the uploads reported (None: every key), for every
    target year and the milestones."""
    con.execute(query("series_delete"), {"upload_ids": upload_ids})
    con.execute(query("series_insert"), {"upload_ids": upload_ids, "milestones": list(MILESTONE_YEARS)})


def _reader(con: duckdb.DuckDBPyConnection, *, check_horizons: bool = False,
            approved_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A cursor whose current_observation / current_series reflect every upload (and, with
    check_horizons, every target year; `scorecard` checks those on its result, as only a
    target year outside the four milestones can be missing). When the stored caches are
    stale, the cursor gets temporary tables of the same names (they shadow the stored ones on
    that cursor only), copied and refreshed: a read never writes the database, so it also
    works on a read-only connection.

    approved_only: the current values only of the locality × periods an approver has approved
    (period_approval, migration 007): current_observation filtered and current_series
    recomputed from it, in temporary tables of the same names on this cursor."""
    cur = con.cursor()
    fresh = cur.execute(query("cache_state")).fetchone()[0] == 0 and not (check_horizons and missing_horizons(cur))
    if fresh and not approved_only:
        return cur
    database = cur.execute("select current_database()").fetchone()[0].replace('"', '""')
    if not fresh:
        for table in CACHE_TABLES:   # our own table names, never user input
            cur.execute(f'create temp table {table} as select * from "{database}".main.{table}')
        refresh_current_values(cur)
    if approved_only:
        source = "temp.main" if not fresh else f'"{database}".main'
        cur.execute(f"create or replace temp table _approved_observation as select o.* from "
                    f"{source}.current_observation as o semi join period_approval as a on "
                    "a.locality_code = o.locality_code and a.period = o.period and a.state = 'approved'")
        if fresh:
            for table in ("current_observation", "current_series"):
                cur.execute(f'create temp table {table} as select * from "{database}".main.{table} limit 0')
        else:
            cur.execute("delete from temp.main.current_observation")
            cur.execute("delete from temp.main.current_series")
        cur.execute("insert into temp.main.current_observation select * from _approved_observation")
        cur.execute("drop table _approved_observation")
        _refresh_series(cur, None)
    return cur


def _params(scope_kind: str, province: str | None, **extra) -> dict:
    _check_scope(scope_kind, province)
    return {"scope_kind": scope_kind, "province": province if scope_kind != "country" else None,
            **extra}


def _scorecard_sql(columns: tuple[str, ...] | None, *, cached: bool = False) -> str:
    """The scorecard query (or, `cached`, its rows in scorecard_cache), narrowed to `columns`
    (None: all). Column names are checked against COLUMNS, never taken from user input; the
    optimizer then drops what is not asked for."""
    unknown = [c for c in columns or () if c not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown scorecard columns: {unknown}")
    wanted = [c for c in COLUMNS if columns is None or c in columns or c in _ALWAYS]
    source = query("scorecard_cached" if cached else "scorecard")
    return f"select {', '.join(wanted)} from ({source}) as scorecard"


def _is_cached(cur: duckdb.DuckDBPyConnection, year: int) -> bool:
    """Whether scorecard_cache answers year `year` for the data as it stands: current_observation
    reflects every upload and the cache holds that year (its refresh shares their transaction)."""
    if cur.execute(query("cache_state")).fetchone()[0] != 0:
        return False
    years = cur.execute(query("scorecard_cache_years")).fetchone()
    return years is not None and year in years[0]


def scorecard(con: duckdb.DuckDBPyConnection, scope_kind: str, province: str | None = None,
              year: int = DEFAULT_TARGET_YEAR, *, indicator: str | None = None,
              cells_only: bool = True, columns: tuple[str, ...] | None = None,
              approved_only: bool = False, live: bool = False) -> pd.DataFrame:
    """One row per locality × indicator in scope (cells_only) or per target (all plans),
    judged toward `year`. Columns: the `status` JSON fields (locality_code, indicator_code,
    baseline_value, baseline_year, target_value, target_comparator, target_year,
    latest_value, latest_period, projected_value, status), then plan_code, is_every_year,
    is_qualitative, baseline_source ('document'|'reported'), latest_time, previous_value,
    previous_period, change (latest − previous), trend ('improving'|'worsening'|'flat'|None,
    direction-aware: a falling mortality rate is 'improving'), ratio, progress_share,
    required_annual_change, n_points, is_latest_illustrative, is_cell, n_plans.
    Names, levels, provinces, units: see `labels`. Rows in no particular order.
    `columns` (e.g. OVERVIEW_COLUMNS) keeps only those, plus what choosing cells needs.
    `approved_only`: judged on approved figures only (see _reader).
    `live`: computed from the tables even when scorecard_cache holds the year (benchmarks and
    parity checks; the result is the same)."""
    params = _params(scope_kind, province, indicator=indicator)
    if not approved_only and not live:
        cur = con.cursor()
        if _is_cached(cur, int(year)):
            return choose_cells(_frame(cur, _scorecard_sql(columns, cached=True), {**params, "year": int(year)}),
                                cells_only=cells_only)
    sql = _scorecard_sql(columns)
    params.update(localities=None, years=[int(year)])
    targets = _frame(_reader(con, approved_only=approved_only), sql, params)
    if not targets["target_year"].isin(MILESTONE_YEARS).all():
        # current_series always holds the four milestones; another year may be newer than it
        targets = _frame(_reader(con, check_horizons=True, approved_only=approved_only), sql, params)
    return choose_cells(targets, cells_only=cells_only)


def choose_cells(targets: pd.DataFrame, *, cells_only: bool = True) -> pd.DataFrame:
    """Mark the target each locality × indicator cell shows when several plans set one: the
    most severe status (off track first, no data last), then the first plan_code. Adds
    is_cell and n_plans to `targets` (a frame with a default index, changed in place) and
    returns only the cells when cells_only."""
    key = ["locality_code", "indicator_code"]
    several = np.flatnonzero(targets.duplicated(key, keep=False).to_numpy())
    is_cell = np.ones(len(targets), dtype=bool)
    n_plans = np.ones(len(targets), dtype=np.int64)
    if len(several):   # rare: a locality with several plans for one indicator
        rows = targets.iloc[several]
        loc, ind, plan, status = (rows[c].to_numpy(dtype=object)
                                  for c in (*key, "plan_code", "status"))
        severity = np.array([CELL_SEVERITY[s] for s in status])   # a handful of rows
        order = np.lexsort((plan, severity, ind, loc))             # last key sorts first
        starts = np.r_[True, (loc[order][1:] != loc[order][:-1]) | (ind[order][1:] != ind[order][:-1])]
        group = np.cumsum(starts) - 1
        is_cell[several] = False
        is_cell[several[order[starts]]] = True
        n_plans[several[order]] = np.bincount(group)[group]
    targets["is_cell"] = is_cell
    targets["n_plans"] = n_plans
    if not cells_only or is_cell.all():
        return targets
    return targets[is_cell].reset_index(drop=True)


def labels(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(localities, indicators) to merge into a scorecard for display: locality_code ->
    locality_name, level, province_code; indicator_code -> name_vi, name_en, unit, value_kind,
    direction, min/max, decimals, indicator_group. Kept apart so the scorecard stays lean."""
    cur = con.cursor()
    localities = cur.execute(
        "select locality_code, name as locality_name, short_name, level,"
        " coalesce(parent_code, locality_code) as province_code from locality").df()
    indicators = cur.execute("select * from indicator").df()
    return localities, indicators


def status_counts(df: pd.DataFrame) -> dict[str, int]:
    """Cells per status, every status present (0 when none), in STATUSES order."""
    counts = df["status"].value_counts() if len(df) else {}
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def indicator_across(con: duckdb.DuckDBPyConnection, indicator_code: str, scope_kind: str,
                     province: str | None = None, year: int = DEFAULT_TARGET_YEAR) -> pd.DataFrame:
    """One indicator across the localities in scope: the scorecard cells plus `rank`
    (1 = best latest value in the indicator's good direction; ties share the lowest rank;
    no value, no rank), sorted by rank."""
    df = scorecard(con, scope_kind, province, year, indicator=indicator_code)
    direction = con.cursor().execute("select direction from indicator where indicator_code = $i",
                                     {"i": indicator_code}).fetchone()
    if direction is None:
        raise KeyError(f"no indicator {indicator_code!r}")
    ascending = direction[0] == "lower"
    df["rank"] = df["latest_value"].rank(method="min", ascending=ascending).astype("Int64")
    return df.sort_values(["rank", "locality_code"], na_position="last").reset_index(drop=True)


def trajectories(con: duckdb.DuckDBPyConnection, indicator_code: str, scope_kind: str,
                 province: str | None = None) -> pd.DataFrame:
    """Current values of one indicator per locality in scope and period (small multiples)."""
    return _frame(_reader(con), query("trajectories"),
                  _params(scope_kind, province, indicator=indicator_code))


def province_rollup(con: duckdb.DuckDBPyConnection, province: str | None = None,
                    indicator: str | None = None, period: str | None = None) -> pd.DataFrame:
    """Province values from communes: Σ numerator / Σ denominator × scale per province ×
    indicator × period, with n_reporting of n_communes and is_complete; only percent,
    per_1000 and per_10000 indicators. None = all provinces / indicators / periods."""
    params = {"province": province, "indicator": indicator, "period": period}
    return _frame(_reader(con), query("province_rollup"), params)


def completeness(con: duckdb.DuckDBPyConnection, scope_kind: str, province: str | None = None,
                 period: str | None = None, *, expect_all: bool = False) -> pd.DataFrame:
    """Per indicator: the period judged (`period`, else the latest any locality in scope
    reported), n_expected (localities in scope with a target for it, or all when
    expect_all), n_reported, n_missing, reported_share, n_approved (of the reported, those
    whose locality × period is approved)."""
    return _frame(_reader(con), query("completeness"),
                  _params(scope_kind, province, period=period, expect_all=expect_all))


def missing_reports(con: duckdb.DuckDBPyConnection, indicator_code: str, scope_kind: str,
                    province: str | None = None, period: str | None = None, *,
                    expect_all: bool = False) -> pd.DataFrame:
    """The expected localities that did not report `indicator_code` for the period that
    `completeness` judges, with their name and the last period they did report."""
    return _frame(_reader(con), query("completeness_missing"),
                  _params(scope_kind, province, indicator=indicator_code, period=period,
                          expect_all=expect_all))


def approval_latest(con: duckdb.DuckDBPyConnection, scope_kind: str, province: str | None = None,
                    level: str | None = None) -> pd.DataFrame:
    """Per locality in scope (of `level` 'province' or 'commune' when given) with a current
    value: its latest period and that period's approval state (open, submitted, approved;
    period_approval), last_action, changed_by, changed_by_name, changed_at, reason."""
    return _frame(_reader(con), query("approval_latest"), _params(scope_kind, province, level=level))


def is_province(con: duckdb.DuckDBPyConnection, code: str) -> bool:
    return con.cursor().execute("select 1 from locality where locality_code = $p and level = 'province'",
                                {"p": code}).fetchone() is not None


def is_indicator(con: duckdb.DuckDBPyConnection, code: str) -> bool:
    return con.cursor().execute("select 1 from indicator where indicator_code = $i",
                                {"i": code}).fetchone() is not None


# On PostgreSQL, each process's replica recomputes these caches after catching up (store.pg).
pg.AFTER_SYNC.append(refresh_current_observations)
