"""The database: localities, the catalogue of targets, and init-db/app start keeping every row."""
from __future__ import annotations

import pytest

from indicators.setup import init_db
from indicators.store.connection import connect, schema_version
from tests.unit.test_seed_catalogue import EXPECTED_BASELINES, EXPECTED_TARGETS

TABLES = ("locality", "indicator", "plan", "target", "baseline", "upload", "observation")


def counts(con) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def test_has_34_provinces_and_3321_communes(seeded_db):
    con = connect(seeded_db, read_only=True)
    levels = dict(con.execute("select level, count(*) from locality group by level").fetchall())
    assert levels == {"province": 34, "commune": 3321}
    rows = dict(con.execute(
        "select locality_code, name from locality where locality_code in ('01', '12', '09931')").fetchall())
    assert rows == {"01": "Thành phố Hà Nội", "12": "Tỉnh Lai Châu", "09931": "Xã Hưng Đạo"}
    parent = con.execute("select parent_code from locality where locality_code = '09931'").fetchone()[0]
    assert parent == "01"
    orphans = con.execute("select count(*) from locality c where level = 'commune' and not exists "
                          "(select 1 from locality p where p.locality_code = c.parent_code)").fetchone()[0]
    assert orphans == 0
    assert con.execute("select count(*) from locality where parent_code = '01'").fetchone()[0] == 126


@pytest.mark.parametrize("loc,plan,ind,year,comp,value", EXPECTED_TARGETS,
                         ids=[f"{t[0]}-{t[2]}-{t[3]}" for t in EXPECTED_TARGETS])
def test_every_target_of_targets_md_is_in_the_database(seeded_db, loc, plan, ind, year, comp, value):
    con = connect(seeded_db, read_only=True)
    row = con.execute(
        "select comparator, target_value from target where plan_code = $p and locality_code = $l "
        "and indicator_code = $i and target_year = $y", {"p": plan, "l": loc, "i": ind, "y": year}).fetchone()
    assert row is not None, f"missing target {plan} {loc} {ind} {year}"
    assert row[0] == comp
    assert row[1] == (None if value is None else pytest.approx(value))


def test_only_the_documents_baselines(seeded_db):
    con = connect(seeded_db, read_only=True)
    rows = con.execute("select locality_code, indicator_code, baseline_year, baseline_value "
                       "from baseline order by all").fetchall()
    assert sorted(rows) == sorted(EXPECTED_BASELINES)
    assert con.execute("select count(*) from target").fetchone()[0] == len(EXPECTED_TARGETS)


def test_init_db_twice_keeps_and_duplicates_nothing(tmp_path):
    db = tmp_path / "h.duckdb"
    first = init_db(db)
    assert first["observation"] > 0 and first["target"] == len(EXPECTED_TARGETS)
    con = connect(db)
    # What users did since: an upload of their own and an admin's edited target.
    con.execute("insert into upload (file_name, sha256, user_name) values ('bao_cao.xlsx', 'x', 'canbo')")
    con.execute("insert into observation values ('12', 'bhyt_coverage', '2026', 2026, 95.5, null, null, "
                "'của cán bộ', (select max(upload_id) from upload))")
    con.execute("update target set target_value = 97 where plan_code = 'LC-243-2025' "
                "and indicator_code = 'bhyt_coverage'")
    before = counts(con)
    version = schema_version(con)
    con.close()

    second = init_db(db)
    assert second["admin_password"] is None  # the admin exists: no new password is made
    assert all(n == 0 for k, n in second.items() if k not in ("path", "admin_password", "cache_refresh"))
    # The row added behind the importer's back left the overview's caches behind: init-db repairs them.
    assert second["cache_refresh"] != "none"
    con = connect(db)
    assert counts(con) == before
    assert schema_version(con) == version
    assert con.execute("select target_value from target where plan_code = 'LC-243-2025' "
                       "and indicator_code = 'bhyt_coverage'").fetchone()[0] == 97
    assert con.execute("select count(*) from observation where note = 'của cán bộ'").fetchone()[0] == 1


def test_no_samples_loads_no_reported_values(tmp_path):
    db = tmp_path / "h.duckdb"
    init_db(db, samples=False)
    con = connect(db, read_only=True)
    assert con.execute("select count(*) from observation").fetchone()[0] == 0
    assert con.execute("select count(*) from target").fetchone()[0] == len(EXPECTED_TARGETS)


def test_sample_values_are_flagged_illustrative(seeded_db):
    con = connect(seeded_db, read_only=True)
    rows = con.execute("select u.is_illustrative, count(*) from observation o "
                       "join upload u using (upload_id) group by all").fetchall()
    assert rows and all(flag for flag, _ in rows)
    localities = {r[0] for r in con.execute("select distinct locality_code from observation").fetchall()}
    assert localities == {"01", "12", "09931"}
    years = con.execute("select min(period), max(period) from observation").fetchone()
    assert years == ("2020", "2025")
