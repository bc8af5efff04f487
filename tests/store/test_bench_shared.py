"""The shared-store benchmark's machinery (bench/shared.py): it measures what it says, no budgets."""
from __future__ import annotations

import shutil

import pytest

from bench import shared
from indicators.auth.admin import BOOTSTRAP_ADMIN, create_account
from indicators.store import gate


@pytest.fixture
def seeded(seeded_db_template, tmp_path):
    db = tmp_path / "seeded.duckdb"
    shutil.copy(seeded_db_template, db)
    with gate.writing(db) as con:
        create_account(con, BOOTSTRAP_ADMIN, shared.BENCH_ADMIN, "Benchmark", "admin")
    return db


def test_freshness_is_seen_by_the_other_process_after_the_commit(seeded, tmp_path):
    found = shared.measure_freshness(seeded, tmp_path, repeats=2)
    assert found["freshness_cross_process_s"] > 0          # seen only after the write closed
    for step in found["detail"]:
        assert step["seen_after_close_s"] > 0 and step["close_s"] >= 0
    # The commits landed in the copy, not in the seeded file.
    locality, indicator, period = shared.WATCH
    sql = ("select value from observation where locality_code = $l and indicator_code = $i and period = $p "
           "order by upload_id desc limit 1")
    args = {"l": locality, "i": indicator, "p": period}
    with gate.reading(tmp_path / "fresh.duckdb") as con:
        after = con.execute(sql, args).fetchone()[0]
    with gate.reading(seeded) as con:
        before = con.execute(sql, args).fetchone()[0]
    gate.close_idle(tmp_path / "fresh.duckdb")
    gate.close_idle(seeded)
    assert after == pytest.approx(before + 0.2)


def test_the_command_runs_while_the_page_reads_the_file(seeded, tmp_path):
    found = shared.measure_cli_while_serving(seeded, tmp_path, repeats=1)
    detail = found["detail"]
    assert found["cli_while_serving_s"] > 0
    assert detail["page_runs_during"][0] >= 1 and detail["page_reads_during"][0] >= 1


def test_a_failing_command_raises_with_its_message(seeded, tmp_path):
    db = shared.fresh_copy(seeded, tmp_path / "x.duckdb")
    with pytest.raises(RuntimeError, match="exited"):
        shared._cli_dry_run(db, shared.SAMPLE_WORKBOOK, "nobody-here")
