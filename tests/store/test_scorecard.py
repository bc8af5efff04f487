"""indicators.progress.scorecard: what a leader's overview is built from — cells and their counts,
direction-aware trends, scopes, ranking, completeness — and the caches that keep it fast."""
from __future__ import annotations

import pytest

from indicators.progress import scorecard as sc
from indicators.progress.method import period_time
from indicators.progress.statuses import STATUSES
from indicators.progress.locality import locality_progress
from indicators.store.connection import connect

# Two provinces, three communes: 98 ⊃ {98001, 98002}, 97 ⊃ {97001}.
LOCALITIES = [("98", None), ("98001", "98"), ("98002", "98"), ("97", None), ("97001", "97")]
INDICATORS = [  # code, kind, direction, min, max
    ("cover", "percent", "higher", 0, 100),
    ("deaths", "per_1000", "lower", 0, 1000),
]


def make_db(targets, observations, *, baselines=(), uploads=((1, "committed"),), plans=("P1",)):
    """An in-memory store. targets: (plan, locality, indicator, year, comparator, value);
    observations: (locality, indicator, period, value, upload); baselines: (locality,
    indicator, year, value)."""
    con = connect(":memory:")
    for code, parent in LOCALITIES:
        con.execute("insert into locality values ($c, $c, $c, 'x', $l, $p, $c)",
                    {"c": code, "l": "commune" if parent else "province", "p": parent})
    for code, kind, direction, lo, hi in INDICATORS:
        con.execute("insert into indicator values ($i, $i, $i, '%', $k, $d, $lo, $hi, 1, 'Nhóm')",
                    {"i": code, "k": kind, "d": direction, "lo": lo, "hi": hi})
    for plan in plans:
        con.execute("insert into plan (plan_code, issuer, title, locality_code, start_year) "
                    "values ($p, 'UBND', 'Kế hoạch', '98', 2025)", {"p": plan})
    for plan, loc, ind, year, comp, value in targets:
        con.execute("insert into target values ($p, $l, $i, $y, $c, $v, false, 't', 'c', null)",
                    {"p": plan, "l": loc, "i": ind, "y": year, "c": comp, "v": value})
    for loc, ind, year, value in baselines:
        con.execute("insert into baseline values ($l, $i, $y, $v, null, 'văn bản')",
                    {"l": loc, "i": ind, "y": year, "v": value})
    for upload_id, state in uploads:
        con.execute("insert into upload (upload_id, file_name, sha256, user_name, state) "
                    "values ($u, 'f.xlsx', $s, 'test', $st)", {"u": upload_id, "s": str(upload_id), "st": state})
    add_observations(con, observations)
    return con


def add_observations(con, observations):
    for loc, ind, period, value, upload in observations:
        con.execute("insert into observation values ($l, $i, $p, $t, $v, null, null, null, $u)",
                    {"l": loc, "i": ind, "p": period, "t": period_time(period), "v": value, "u": upload})


def every_target(indicator="cover", comparator="≥", value=90, plan="P1"):
    return [(plan, code, indicator, 2030, comparator, value) for code, _ in LOCALITIES]


# ---------------------------------------------------------------- counts and cells

def test_counts_are_the_cells_statuses():
    con = make_db(every_target(), [
        ("98", "cover", "2024", 60, 1), ("98", "cover", "2025", 70, 1),        # on track
        ("98001", "cover", "2024", 95, 1),                                       # achieved
        ("98002", "cover", "2024", 60, 1), ("98002", "cover", "2025", 59, 1),   # off track
        ("97", "cover", "2025", 60, 1),                                          # no data
    ])
    cells = sc.scorecard(con, "country")
    counts = sc.status_counts(cells)
    assert list(counts) == list(STATUSES)
    assert counts == {"achieved": 1, "on_track": 1, "needs_acceleration": 0, "off_track": 1, "no_data": 2}
    assert sum(counts.values()) == len(cells) == 5
    assert sc.status_counts(cells.iloc[0:0]) == dict.fromkeys(STATUSES, 0)


def test_cell_of_two_plans_shows_the_most_severe_status():
    targets = [("P1", "98", "cover", 2030, "≥", 60), ("P2", "98", "cover", 2030, "≥", 99)]
    con = make_db(targets, [("98", "cover", "2024", 62, 1), ("98", "cover", "2025", 61, 1)],
                  plans=("P1", "P2"))
    rows = sc.scorecard(con, "country", cells_only=False).set_index("plan_code")
    assert rows.loc["P1", "status"] == "achieved" and rows.loc["P2", "status"] == "off_track"
    assert list(rows["n_plans"]) == [2, 2]
    assert rows.loc["P2", "is_cell"] and not rows.loc["P1", "is_cell"]
    cell = sc.scorecard(con, "country")
    assert cell[["plan_code", "status", "n_plans"]].values.tolist() == [["P2", "off_track", 2]]


def test_the_overview_columns_are_the_full_scorecards_own():
    """The overview asks for fewer columns; its cells must be the full scorecard's, value for value."""
    targets = [*every_target(), ("P2", "98", "cover", 2030, "≥", 99), *every_target("deaths", "≤", 10)]
    con = make_db(targets, [
        ("98", "cover", "2024", 60, 1), ("98", "cover", "2025", 70, 1),
        ("98001", "cover", "2024", 95, 1), ("98002", "deaths", "2024", 18, 1), ("98002", "deaths", "2025", 15, 1),
    ], plans=("P1", "P2"))
    full = sc.scorecard(con, "country")
    assert list(full.columns[:len(sc.COLUMNS)]) == list(sc.COLUMNS)
    lean = sc.scorecard(con, "country", columns=sc.OVERVIEW_COLUMNS)
    assert set(sc.OVERVIEW_COLUMNS) <= set(lean.columns) < set(full.columns)
    key = ["locality_code", "indicator_code"]
    joined = full.merge(lean, on=key, suffixes=("", "_lean"), validate="one_to_one")
    assert len(joined) == len(full) == 10
    for column in set(sc.OVERVIEW_COLUMNS) - set(key):
        assert joined[column].equals(joined[column + "_lean"].rename(column)), column
    with pytest.raises(ValueError, match="unknown scorecard columns"):
        sc.scorecard(con, "country", columns=("status", "1; drop table target"))


# ---------------------------------------------------------------- trend arrows

@pytest.mark.parametrize("indicator, values, trend, change", [
    ("deaths", (18, 15), "improving", -3),   # lower is better and it fell: an improvement
    ("deaths", (15, 18), "worsening", 3),
    ("cover", (70, 75), "improving", 5),
    ("cover", (75, 70), "worsening", -5),
    ("cover", (70, 70), "flat", 0),
    ("cover", (70,), None, None),            # one period: nothing to compare with
])
def test_trend_is_direction_aware(indicator, values, trend, change):
    periods = ["2025-Q3", "2025-Q4"][-len(values):]
    con = make_db(every_target(indicator, "≤" if indicator == "deaths" else "≥", 10 if indicator == "deaths" else 90),
                  [("98", indicator, p, v, 1) for p, v in zip(periods, values)])
    row = sc.scorecard(con, "province", "98", indicator=indicator).set_index("locality_code").loc["98"]
    assert (row["trend"] if isinstance(row["trend"], str) else None) == trend
    assert (None if change is None else row["change"]) == (None if change is None else pytest.approx(change))
    assert row["latest_period"] == periods[-1]
    if len(values) > 1:
        assert (row["previous_value"], row["previous_period"]) == (values[0], periods[0])


def test_trend_compares_with_the_previous_reported_period_of_the_latest_upload():
    con = make_db(every_target(), [
        ("98", "cover", "2025-Q1", 50, 1), ("98", "cover", "2025-Q2", 60, 1),
        ("98", "cover", "2025-Q2", 40, 2),    # corrected down in a later upload
        ("98", "cover", "2025-Q3", 45, 3),    # reverted: not current
    ], uploads=((1, "committed"), (2, "committed"), (3, "reverted")))
    row = sc.scorecard(con, "province", "98").set_index("locality_code").loc["98"]
    assert (row["latest_period"], row["latest_value"], row["previous_value"], row["trend"]) == \
        ("2025-Q2", 40, 50, "worsening")


# ---------------------------------------------------------------- scopes

@pytest.mark.parametrize("scope, province, localities", [
    ("country", None, {"98", "98001", "98002", "97", "97001"}),
    ("province", "98", {"98", "98001", "98002"}),
    ("communes", "98", {"98001", "98002"}),
    ("communes", "97", {"97001"}),
])
def test_scope(scope, province, localities):
    con = make_db(every_target(), [])
    assert set(sc.scorecard(con, scope, province)["locality_code"]) == localities
    assert set(sc.completeness(con, scope, province, expect_all=True)["n_expected"]) == {len(localities)}


@pytest.mark.parametrize("scope, province", [("region", None), ("province", None), ("communes", "")])
def test_bad_scope_is_refused(scope, province):
    con = make_db([], [])
    with pytest.raises(ValueError, match="scope_kind"):
        sc.scorecard(con, scope, province)


# ---------------------------------------------------------------- one indicator across localities

def test_indicator_across_ranks_in_the_good_direction():
    con = make_db(every_target("deaths", "<", 10), [
        ("98001", "deaths", "2025", 12, 1), ("98002", "deaths", "2025", 8, 1), ("98", "deaths", "2025", 12, 1),
    ])
    ranked = sc.indicator_across(con, "deaths", "province", "98")
    assert ranked[["locality_code", "rank"]].astype(str).values.tolist() == [
        ["98002", "1"], ["98", "2"], ["98001", "2"]]
    con2 = make_db(every_target(), [("98001", "cover", "2025", 80, 1)])
    ranked = sc.indicator_across(con2, "cover", "communes", "98")
    assert ranked["locality_code"].tolist() == ["98001", "98002"]   # no value: last, unranked
    assert ranked["rank"].isna().tolist() == [False, True]
    with pytest.raises(KeyError):
        sc.indicator_across(con2, "nope", "country")


def test_trajectories_hold_the_current_values_only():
    con = make_db(every_target(), [
        ("98001", "cover", "2024", 50, 1), ("98001", "cover", "2025", 60, 1),
        ("98001", "cover", "2025", 65, 2), ("98002", "cover", "2025", 70, 3), ("97001", "cover", "2025", 1, 1),
    ], uploads=((1, "committed"), (2, "committed"), (3, "reverted")))
    got = sc.trajectories(con, "cover", "communes", "98")
    assert got[["locality_code", "period", "value"]].values.tolist() == [
        ["98001", "2024", 50], ["98001", "2025", 65]]


# ---------------------------------------------------------------- completeness

def test_completeness_of_the_latest_period_and_who_is_missing():
    targets = every_target() + [("P1", "98", "deaths", 2030, "<", 10)]
    con = make_db(targets, [
        ("98001", "cover", "2025-Q3", 80, 1), ("98001", "cover", "2025-Q4", 81, 1),
        ("98002", "cover", "2025-Q3", 70, 1),                  # has not reported Q4 yet
        ("98", "cover", "2025-Q4", 75, 1), ("98", "deaths", "2025", 12, 1),
    ])
    comp = sc.completeness(con, "province", "98").set_index("indicator_code")
    assert comp.loc["cover", ["period", "n_expected", "n_reported", "n_missing"]].tolist() == ["2025-Q4", 3, 2, 1]
    assert comp.loc["cover", "reported_share"] == pytest.approx(2 / 3)
    assert comp.loc["deaths", ["period", "n_expected", "n_reported"]].tolist() == ["2025", 1, 1]
    missing = sc.missing_reports(con, "cover", "province", "98")
    assert missing[["locality_code", "period", "last_period"]].values.tolist() == [["98002", "2025-Q4", "2025-Q3"]]
    # A given period instead of the latest; and every locality expected, targets or not.
    q3 = sc.completeness(con, "province", "98", "2025-Q3").set_index("indicator_code")
    assert q3.loc["cover", ["period", "n_reported"]].tolist() == ["2025-Q3", 2]
    assert set(sc.missing_reports(con, "cover", "province", "98", "2025-Q3")["locality_code"]) == {"98"}
    every = sc.completeness(con, "province", "98", expect_all=True).set_index("indicator_code")
    assert every.loc["deaths", ["n_expected", "n_reported"]].tolist() == [3, 1]
    never = sc.missing_reports(con, "deaths", "province", "98", expect_all=True)
    assert never["locality_code"].tolist() == ["98001", "98002"] and never["last_period"].isna().all()


# ---------------------------------------------------------------- the caches

OBS = [("98", "cover", "2024", 60, 1), ("98", "cover", "2025", 64, 1), ("98001", "cover", "2025-Q1", 70, 1),
       ("98001", "deaths", "2025-Q1", 20, 1)]


def snapshot(con) -> dict:
    tables = {}
    for table in ("current_observation", "current_series"):
        cols = "* exclude (upload_id)" if table == "current_observation" else "*"
        tables[table] = sorted(con.execute(f"select {cols} from {table}").fetchall(), key=repr)
    return tables


def rebuilt(con) -> dict:
    """The caches as a full rebuild makes them, in temporary tables of a fresh cursor."""
    cur = con.cursor()
    for table in sc.CACHE_TABLES:
        cur.execute(f"create temp table {table} as select * from main.{table} limit 0")
    assert sc.refresh_current_observations(cur)["mode"] == "full"
    return snapshot(cur)


def test_refresh_after_an_upload_and_a_revert_equals_a_rebuild():
    con = make_db(every_target() + every_target("deaths", "<", 10), OBS,
                  uploads=((1, "committed"), (2, "committed")))
    assert not sc.is_current_fresh(con)
    assert sc.refresh_current_observations(con)["mode"] == "full"
    assert sc.is_current_fresh(con)
    assert sc.refresh_current_observations(con)["mode"] == "none"
    # A later upload corrects one value and adds another; then it is reverted.
    con.execute("insert into upload (upload_id, file_name, sha256, user_name) values (3, 'g.xlsx', '3', 't')")
    add_observations(con, [("98", "cover", "2025", 66, 3), ("97001", "cover", "2025", 50, 3)])
    assert not sc.is_current_fresh(con)
    assert sc.refresh_current_observations(con) == {"mode": "incremental", "n_uploads": 1,
                                                    "scorecard": "off"}   # a few targets: computed live
    assert snapshot(con) == rebuilt(con)
    assert con.execute("select value from current_observation where locality_code = '98' "
                       "and period = '2025'").fetchone()[0] == 66
    con.execute("update upload set state = 'reverted' where upload_id = 3")
    assert sc.refresh_current_observations(con)["mode"] == "incremental"
    assert snapshot(con) == rebuilt(con)
    assert con.execute("select value from current_observation where locality_code = '98' "
                       "and period = '2025'").fetchone()[0] == 64


def test_stale_cache_is_never_read_and_a_read_writes_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    con = make_db(every_target(), OBS)
    con.execute(f"attach '{db}' as f")
    con.execute("copy from database memory to f")
    con.close()
    con = connect(db)
    sc.refresh_current_observations(con)
    con.execute("insert into upload (upload_id, file_name, sha256, user_name) values (5, 'g.xlsx', '5', 't')")
    add_observations(con, [("98", "cover", "2026", 90, 5)])     # not refreshed: cache stale
    con.close()
    ro = connect(db, read_only=True)
    row = sc.scorecard(ro, "province", "98").set_index("locality_code").loc["98"]
    assert (row["latest_period"], row["latest_value"]) == ("2026", 90)
    assert not sc.is_current_fresh(ro)    # still stale: the read used temporary tables only
    assert ro.execute("select count(*) from current_observation").fetchone()[0] == 4


def test_a_target_year_added_after_the_refresh_is_still_judged_on_its_values():
    con = make_db(every_target(), OBS)
    sc.refresh_current_observations(con)
    con.execute("insert into target values ('P1', '98', 'cover', 2028, '≥', 70, false, 't', 'c', null)")
    assert sc.missing_horizons(con) == [2028]
    got = sc.scorecard(con, "province", "98", 2028).set_index("locality_code").loc["98"]
    want = {r["indicator_code"]: r for r in locality_progress(con, "98", 2028).rows}["cover"]
    assert got["target_year"] == 2028
    assert (got["status"], got["projected_value"]) == (want["status"], pytest.approx(want["projected_value"]))
    assert sc.refresh_current_observations(con)["mode"] == "horizons"
    assert sc.missing_horizons(con) == []
