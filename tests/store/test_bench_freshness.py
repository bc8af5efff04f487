"""The national freshness benchmark's machinery (bench/freshness.py), on the small sample database:
a commune's upload committed here is seen by the other process through the pages' cached loaders."""
from __future__ import annotations

import shutil

import pytest

from bench import freshness
from indicators.progress import scorecard as sc
from indicators.store import gate


@pytest.fixture
def seeded(seeded_db_template, tmp_path):
    db = tmp_path / "seeded.duckdb"
    shutil.copy(seeded_db_template, db)
    side = seeded_db_template.with_name(seeded_db_template.name + ".version")
    if side.exists():
        shutil.copy(side, db.with_name(db.name + ".version"))
    freshness.add_bench_admin(db)
    return db


def _latest(target, pick) -> float:
    indicator, period = pick["watched"]
    with gate.reading(target) as con:
        return con.execute("select value from observation where locality_code = $l and indicator_code = $i "
                           "and period = $p order by upload_id desc limit 1",
                           {"l": pick["commune"], "i": indicator, "p": period}).fetchone()[0]


def test_the_workbook_is_one_communes_upload_with_a_new_watched_value(seeded):
    with gate.reading(seeded) as con:
        pick = freshness.pick_upload(con)
    gate.close_idle(seeded)
    data, value, rows = freshness.upload_workbook(pick, 0, None)
    again, other, _ = freshness.upload_workbook(pick, 1, value)
    assert rows == len(pick["indicators"]) * freshness.N_PERIODS and rows >= freshness.N_PERIODS
    assert other != value and data[:2] == b"PK" and again != data


def test_an_upload_is_seen_on_both_pages_by_the_other_process(seeded, tmp_path):
    found = freshness.measure_freshness(seeded, tmp_path, repeats=2, n_viewers=1)
    assert found["freshness_s"] > 0 and len(found["rounds"]) == 2
    for step in found["rounds"]:
        # On a file no other process can read before the write has closed: seen after the commit.
        assert step["freshness_s"] > step["commit_s"] > 0
        assert step["read_s"] > 0 and step["rows_written"] >= 1
    assert found["viewer_reads"] >= 1      # measured while another viewer read
    # The commits landed in the measured file, the last value is the one the watcher saw.
    assert _latest(seeded, found["pick"]) == pytest.approx(found["rounds"][-1]["value"])
    gate.close_idle(seeded)


def test_on_postgresql_the_replicas_refresh_after_the_write_is_sent(pg_url, tmp_path):
    from indicators.setup import init_db
    init_db(pg_url)
    freshness.add_bench_admin(pg_url)
    found = freshness.measure_freshness(pg_url, tmp_path, repeats=1, n_viewers=1)
    step = found["rounds"][0]
    assert step["freshness_s"] > 0 and step["sync_s"] is not None
    # The committing process put its caches' refresh after the push, and finished it before
    # its write ended: its own reads see fresh caches.
    assert step["refresh_mode"] == "incremental/deferred"
    with gate.reading(pg_url) as con:
        assert sc.is_current_fresh(con)
    assert _latest(pg_url, found["pick"]) == pytest.approx(step["value"])
