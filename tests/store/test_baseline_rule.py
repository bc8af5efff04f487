"""DESIGN rule 7 on the seeded database: a target whose plan gives no baseline takes the latest
reported value at or before the plan's start year, else the earliest one after it, and the
page says which. Checked in both paths (indicators.progress.locality, the SQL scorecard) and in
the fact line, with values brought in by the real importer.

Lai Châu (12), under-5 mortality: Kế hoạch 243/KH-SYT (plan LC-243-2025, starting 2026) sets
"< 30‰ by 2030" and gives no baseline.
"""
from __future__ import annotations

import math
from datetime import date

import pytest

from indicators.excel import importer
from indicators.present import slides
from indicators.progress import scorecard as sc
from indicators.progress.locality import locality_progress
from indicators.store.connection import connect
from tests.store.test_import import add_account, workbook

LOCALITY, INDICATOR, PLAN = "12", "under5_mortality", "LC-243-2025"
AT_START = "kế hoạch không ghi; lấy số báo cáo gần nhất tính đến năm 2026 – năm bắt đầu kế hoạch"
AFTER_START = ("kế hoạch không ghi; chưa có số liệu đến năm 2026 – năm bắt đầu kế hoạch – "
               "nên lấy số báo cáo sớm nhất sau đó")


@pytest.fixture
def con(seeded_db):
    """The seeded database with its illustrative upload reverted: only what a test imports counts."""
    c = connect(seeded_db)
    add_account(c, "admin", "admin", None)
    add_account(c, "canbo-lc", "officer", LOCALITY)
    assert c.execute("select start_year from plan where plan_code = $p", {"p": PLAN}).fetchone() == (2026,)
    assert c.execute("select count(*) from baseline where locality_code = $l and indicator_code = $i",
                     {"l": LOCALITY, "i": INDICATOR}).fetchone() == (0,)
    for (upload_id,) in c.execute("select upload_id from upload where state = 'committed'").fetchall():
        importer.revert(c, upload_id, "admin")
    yield c
    c.close()


def import_values(con, values: list[tuple[str, float]]) -> None:
    """Lai Châu's under-5 mortality for these periods, through preview and commit; the
    overview's caches are left stale (the scorecard then reads refreshed temporary copies)."""
    rows = [[LOCALITY, INDICATOR, period, value] for period, value in values]
    pv = importer.preview(con, workbook(rows), "tu_vong_tre_em.xlsx", "canbo-lc", today=date(2029, 1, 15))
    assert not pv.errors, pv.errors
    importer.commit(con, pv, "canbo-lc", confirm_warnings=True, refresh_cache=False)


def python_row(con) -> dict:
    rows = [r for r in locality_progress(con, LOCALITY, 2030).rows
            if (r["plan_code"], r["indicator_code"]) == (PLAN, INDICATOR)]
    assert len(rows) == 1
    return rows[0]


def sql_row(con, *, fresh: bool) -> dict:
    if fresh:
        importer.refresh_overview_cache(con)
    assert sc.is_current_fresh(con) is fresh
    got = sc.scorecard(con, "province", LOCALITY, 2030, cells_only=False)
    got = got[(got["locality_code"] == LOCALITY) & (got["indicator_code"] == INDICATOR)
              & (got["plan_code"] == PLAN)]
    assert len(got) == 1
    return got.iloc[0].to_dict()


@pytest.mark.parametrize("values, baseline, how", [
    # The acceptance case: 2020, 2023, 2025 reported, the plan starts in 2026 -> 2025's value
    # (the situation when the plan began), not the earliest (2020).
    ([("2020", 45.2), ("2023", 43.0), ("2025", 41.5)], (2025, 41.5), AT_START),
    # Values on both sides of the start year: still 2025's (the SQL looks this one up).
    ([("2020", 45.2), ("2023", 43.0), ("2025", 41.5), ("2027", 39.2)], (2025, 41.5), AT_START),
    # Quarters of the start year count as "at": its last quarter.
    ([("2025", 41.5), ("2026-Q1", 40.8), ("2026-Q3", 40.1), ("2027-Q1", 39.2)], (2026, 40.1), AT_START),
    # Nothing up to the start year: the earliest value after it.
    ([("2027", 39.2), ("2028", 37.5)], (2027, 39.2), AFTER_START),
])
def test_lai_chau_under5_mortality_baseline(con, values, baseline, how):
    import_values(con, values)
    row = python_row(con)
    assert (row["baseline_source"], row["plan_start_year"]) == ("reported", 2026)
    assert (row["baseline_year"], row["baseline_value"]) == (baseline[0], pytest.approx(baseline[1]))
    assert row["latest_value"] == pytest.approx(values[-1][1])
    line = next(f for f in slides.facts(row) if f.startswith("Đầu vào"))
    assert line == f"Đầu vào {baseline[0]}: {str(baseline[1]).replace('.', ',')}‰ ({how})"
    assert line in slides.detail_facts(row)
    # The SQL scorecard, from stale caches (temporary copies) and from refreshed ones.
    for fresh in (False, True):
        got = sql_row(con, fresh=fresh)
        assert (got["baseline_source"], got["baseline_year"]) == ("reported", baseline[0])
        assert got["baseline_value"] == pytest.approx(baseline[1])
        for col in ("status", "projected_value", "ratio", "progress_share", "n_points"):
            want, have = row[col], got[col]
            if want is None:
                assert have is None or math.isnan(have), col
            else:
                assert have == pytest.approx(want), col


def test_the_baseline_is_not_the_earliest_value_any_more(con):
    """The old rule took 2020's 45,2‰; progress is now measured from 2025's 41,5‰."""
    import_values(con, [("2020", 45.2), ("2023", 43.0), ("2025", 41.5)])
    row = python_row(con)
    assert row["baseline_value"] == pytest.approx(41.5) != 45.2
    assert row["progress_share"] == pytest.approx(0.0)           # latest = baseline
    assert row["ratio"] == pytest.approx((row["projected_value"] - 41.5) / (30 - 41.5))


@pytest.mark.parametrize("over, how", [
    ({"baseline_source": "document"}, "theo kế hoạch"),
    ({"plan_start_year": 2026, "baseline_year": 2025}, AT_START),
    ({"plan_start_year": 2026, "baseline_year": 2026}, AT_START),
    ({"plan_start_year": 2026, "baseline_year": 2027}, AFTER_START),
    ({"plan_start_year": None, "baseline_year": 2020}, "kế hoạch không ghi; lấy số báo cáo sớm nhất"),
    ({"baseline_year": 2020}, "kế hoạch không ghi; lấy số báo cáo sớm nhất"),   # a row without the field
])
def test_baseline_how(over, how):
    row = {"baseline_source": "reported", **over}
    assert slides.baseline_how(row) == how
