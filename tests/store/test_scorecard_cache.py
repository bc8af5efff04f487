"""scorecard_cache (migration 009): the scorecard computed ahead for the milestone years. What a
leader sees must be what the live computation says, right after every kind of change: an
upload, a revert, a target or baseline saved, an edit made outside the product and repaired at
start-up; and a read never uses rows older than the data."""
from __future__ import annotations

import pandas as pd
import pytest

from indicators.plans.admin import save_baseline, save_target
from indicators.progress import scorecard as sc
from indicators.progress.statuses import MILESTONE_YEARS
from tests.store.test_scorecard import LOCALITIES, add_observations, every_target, make_db

KEY = ["plan_code", "locality_code", "indicator_code"]


@pytest.fixture(autouse=True)
def cache_every_database(monkeypatch):
    """These databases hold a few targets: keep the cache anyway (the product keeps it from
    scorecard.CACHE_MIN_TARGETS targets)."""
    monkeypatch.setattr(sc, "CACHE_MIN_TARGETS", 0)
OBS = [("98", "cover", "2024", 60, 1), ("98", "cover", "2025", 70, 1),
       ("98001", "cover", "2024", 95, 1), ("98002", "cover", "2024", 60, 1),
       ("98002", "cover", "2025", 59, 1), ("97001", "deaths", "2025", 12, 1)]


def assert_same(con, scope="country", province=None, year=2030):
    cached = sc.scorecard(con, scope, province, year, cells_only=False)
    fresh = sc.scorecard(con, scope, province, year, cells_only=False, live=True)
    pd.testing.assert_frame_equal(cached.sort_values(KEY).reset_index(drop=True),
                                  fresh.sort_values(KEY).reset_index(drop=True), check_dtype=False)
    return cached.set_index(["locality_code", "indicator_code"])


def refreshed_db(**kwargs):
    con = make_db(every_target() + every_target("deaths", "<", 10), OBS, **kwargs)
    assert sc.refresh_current_observations(con)["scorecard"] == "full"
    con.execute("insert into account (user_name, display_name, password_hash, role) "
                "values ('qt', 'Quản trị', 'x', 'admin')")
    return con


@pytest.mark.parametrize("year", MILESTONE_YEARS)
@pytest.mark.parametrize("scope,province", [("country", None), ("province", "98"), ("communes", "98")])
def test_the_cache_is_the_live_scorecard(year, scope, province):
    con = refreshed_db()
    assert sc._is_cached(con.cursor(), year)
    assert len(assert_same(con, scope, province, year))


def test_an_upload_and_its_revert_show_at_once():
    con = refreshed_db()
    assert assert_same(con).loc[("98002", "cover"), "latest_value"] == 59
    con.execute("insert into upload (upload_id, file_name, sha256, user_name) values (2, 'g.xlsx', '2', 't')")
    add_observations(con, [("98002", "cover", "2026", 91, 2)])
    # not yet refreshed: the read computes live and already shows the upload
    assert not sc._is_cached(con.cursor(), 2030)
    assert sc.scorecard(con, "country").set_index("locality_code").loc["98002"].query(
        "indicator_code == 'cover'")["status"].item() == "achieved"
    assert sc.refresh_current_observations(con)["scorecard"] == "incremental"
    row = assert_same(con).loc[("98002", "cover")]
    assert (row["latest_value"], row["status"]) == (91, "achieved")
    con.execute("update upload set state = 'reverted' where upload_id = 2")
    sc.refresh_current_observations(con)
    assert assert_same(con).loc[("98002", "cover"), "latest_value"] == 59


def test_a_target_or_baseline_saved_by_an_admin_changes_the_cell_in_the_same_transaction():
    con = refreshed_db()
    assert assert_same(con).loc[("98", "cover"), "status"] != "achieved"
    save_target(con, "qt", plan_code="P1", locality_code="98", indicator_code="cover", target_year=2030,
                comparator="≥", target_value=65, target_text="65%", clause="Mục 1", reason="sửa")
    row = assert_same(con).loc[("98", "cover")]
    assert (row["target_value"], row["status"]) == (65, "achieved")
    save_baseline(con, "qt", locality_code="98001", indicator_code="cover", baseline_year=2020,
                  baseline_value=40, source="Văn bản X")
    assert assert_same(con).loc[("98001", "cover"), "baseline_value"] == 40
    # a new milestone year (not one of the four): its sums are added, the cache stays right
    save_target(con, "qt", plan_code="P1", locality_code="97", indicator_code="cover", target_year=2028,
                comparator="≥", target_value=80, target_text="80%", clause="Mục 2")
    assert sc._is_cached(con.cursor(), 2026)
    assert assert_same(con, year=2026).loc[("97", "cover"), "target_year"] == 2028


def test_an_edit_outside_the_product_is_repaired_by_the_next_refresh():
    """A target changed with plain SQL (not through plans.admin) is not announced; init-db and
    every import's refresh compare the inputs' fingerprint and rebuild the cache."""
    con = refreshed_db()
    con.execute("update target set target_value = 50 where locality_code = '98002' and indicator_code = 'cover'")
    con.execute("update target set comparator = '>' where locality_code = '97001' and indicator_code = 'deaths'")
    assert sc.refresh_current_observations(con)["scorecard"] == "full"
    cells = assert_same(con)
    assert cells.loc[("98002", "cover"), "status"] == "achieved"
    assert cells.loc[("97001", "deaths"), "status"] == "achieved"   # 12 > 10


def test_other_years_and_approved_only_are_computed_live():
    con = refreshed_db()
    assert not sc._is_cached(con.cursor(), 2028)
    assert len(sc.scorecard(con, "country", year=2028)) == 2 * len(LOCALITIES)
    assert sc.scorecard(con, "country", approved_only=True)["latest_value"].isna().all()


def test_a_small_database_computes_live_and_pays_no_refresh(monkeypatch):
    con = refreshed_db()                      # kept while the threshold is 0
    monkeypatch.setattr(sc, "CACHE_MIN_TARGETS", 1000)
    con.execute("insert into upload (upload_id, file_name, sha256, user_name) values (2, 'g.xlsx', '2', 't')")
    add_observations(con, [("98002", "cover", "2026", 91, 2)])
    assert sc.refresh_current_observations(con)["scorecard"] == "off"
    assert not sc._is_cached(con.cursor(), 2030)
    assert con.execute("select count(*) from scorecard_cache").fetchone()[0] == 0
    row = sc.scorecard(con, "country").set_index(["locality_code", "indicator_code"]).loc[("98002", "cover")]
    assert (row["latest_value"], row["status"]) == (91, "achieved")
