"""PostgreSQL as the system of record (store.pg): the same commands give the same answers as on
the DuckDB file, several processes share it, concurrent writers both land, and a write is all
or nothing. Runs on the server .ci/run starts; skips locally without one (see conftest.pg_url)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from indicators.excel import importer
from indicators.setup import init_db
from indicators.store import gate, pg
from indicators.store.connection import StoreError
from tests.conftest import ROOT, cli_in_process
from tests.store.test_import import add_account, workbook

# Stands for an app process on PostgreSQL: reads through the gate (its replica catches up) and
# prints the moment it first sees the value.
WATCHER = r"""
import sys, time
from indicators.store import gate
url, locality, indicator, period, wanted = sys.argv[1:6]
print("watching", flush=True)
while True:
    with gate.reading(url) as con:
        row = con.execute("select o.value from observation o join upload u using (upload_id) "
                          "where u.state = 'committed' and locality_code = $l and indicator_code = $i "
                          "and period = $p order by o.upload_id desc limit 1",
                          {"l": locality, "i": indicator, "p": period}).fetchone()
    if row and abs(row[0] - float(wanted)) < 1e-9:
        print(f"seen {time.time():.6f}", flush=True)
        break
    time.sleep(0.01)
"""


def cli(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indicators", "--db", str(db), *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def cli_here(db, *args: str) -> subprocess.CompletedProcess:
    """For steps whose point is not another process."""
    return cli_in_process(db, *args)


def built(db) -> str:
    init_db(db)
    with gate.writing(db) as con:
        add_account(con, "canbo-lc", "officer", "12")
        add_account(con, "admin", "admin", None)
    return db


def counts(db) -> dict[str, int]:
    with gate.reading(db) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("locality", "indicator", "plan", "target", "baseline", "upload", "observation", "account")}


def test_the_same_import_and_status_give_identical_json_on_both_backends(pg_url, tmp_path):
    duck = built(tmp_path / "health.duckdb")
    built(pg_url)
    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5], ["12", "life_expectancy", "2025", 68.9]]))
    outputs = {}
    for db in (duck, pg_url):
        imported = cli_here(db, "import", str(xlsx), "--user", "canbo-lc", "--format", "json")
        assert imported.returncode == 0, imported.stderr
        status = cli_here(db, "status", "--locality", "12", "--format", "json")
        assert status.returncode == 0, status.stderr
        outputs[str(db)] = (json.loads(imported.stdout), status.stdout)
    (duck_import, duck_status), (pg_import, pg_status) = outputs.values()
    assert duck_import == pg_import and duck_import["committed"]
    assert duck_status == pg_status
    assert any(r["indicator_code"] == "bhyt_coverage" and r["latest_value"] == 95.5 for r in json.loads(pg_status))
    assert counts(duck) == counts(pg_url)


def test_everything_lives_in_postgres_not_in_the_process(pg_url, tmp_path):
    """A new process (a replica built from nothing) sees what an earlier one wrote."""
    built(pg_url)
    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5]]))
    assert cli(pg_url, "import", str(xlsx), "--user", "canbo-lc").returncode == 0
    history = cli(pg_url, "history", "--uploads", "--format", "json")
    assert history.returncode == 0, history.stderr
    uploads = json.loads(history.stdout)
    assert [u["user_name"] for u in uploads][:1] == ["canbo-lc"]
    accounts = cli(pg_url, "user", "list")
    assert "canbo-lc" in accounts.stdout and "admin" in accounts.stdout


def test_a_commit_through_one_process_is_seen_by_another_within_two_seconds(pg_url, tmp_path):
    built(pg_url)
    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 96.25]]))
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, pg_url, "12", "bhyt_coverage", "2026", "96.25"],
                               cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert watcher.stdout.readline().strip() == "watching", watcher.stderr.read()
        imported = cli(pg_url, "import", str(xlsx), "--user", "canbo-lc")
        committed = time.time()
        assert imported.returncode == 0, imported.stderr
        out, err = watcher.communicate(timeout=60)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert out.startswith("seen"), err
    assert float(out.split()[1]) - committed <= 2.0


def test_two_imports_at_once_both_commit_and_the_same_keys_keep_both_in_history(pg_url, tmp_path):
    built(pg_url)
    files = []
    for i, rows in enumerate(([["12", "bhyt_coverage", "2026", 95.5], ["03640", "bhyt_coverage", "2026", 90.0]],
                              [["01", "bhyt_coverage", "2026", 94.9], ["12", "bhyt_coverage", "2026", 95.8]])):
        f = tmp_path / f"f{i}.xlsx"
        f.write_bytes(workbook(rows))
        files.append(f)
    runs = [subprocess.Popen([sys.executable, "-m", "indicators", "--db", pg_url, "import", str(f), "--user", "admin"],
                             cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}) for f in files]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    with gate.reading(pg_url) as con:
        uploads = con.execute("select upload_id from upload where user_name = 'admin' order by 1").fetchall()
        assert len(uploads) == 2
        later = uploads[-1][0]
    hist = cli(pg_url, "history", "--locality", "12", "--indicator", "bhyt_coverage", "--format", "json")
    rows = [r for r in json.loads(hist.stdout) if r["period"] == "2026"]
    assert len(rows) == 2 and sum(r["is_current"] for r in rows) == 1
    current = next(r for r in rows if r["is_current"])
    assert current["upload_id"] == later


def test_a_write_that_fails_in_postgres_leaves_it_and_the_replica_unchanged(pg_url, tmp_path, monkeypatch):
    built(pg_url)
    before = counts(pg_url)
    store = pg.store(pg_url)
    preview = None
    with gate.reading(pg_url) as con:
        preview = importer.preview(con, workbook([["12", "bhyt_coverage", "2026", 95.5]]), "a.xlsx", "canbo-lc")

    def broken(table, rows):
        raise RuntimeError("the network went away")
    monkeypatch.setattr(store, "_ingest", broken)
    with pytest.raises(StoreError, match="không có gì bị thay đổi"):
        with gate.writing(pg_url) as con:
            importer.commit(con, preview, "canbo-lc")
    monkeypatch.undo()
    assert counts(pg_url) == before   # the replica was rebuilt from PostgreSQL
    pg.forget(pg_url)                 # and a new process sees the same
    assert counts(pg_url) == before


def test_backup_of_postgres_restores_into_a_file_and_back(pg_url, tmp_path):
    """A deployment's PostgreSQL, backed up, gives the same answers from a DuckDB file; and the
    backup restored over later changes brings PostgreSQL back to that point, for every process."""
    built(pg_url)
    zipped = tmp_path / "pg.zip"
    done = cli_here(pg_url, "backup", "-o", str(zipped))
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "copy.duckdb"
    back = cli_here(copy, "restore", str(zipped))
    assert back.returncode == 0, back.stderr
    status = [cli_here(db, "status", "--locality", "12", "--format", "json") for db in (pg_url, copy)]
    assert status[0].returncode == status[1].returncode == 0
    assert status[0].stdout == status[1].stdout

    # Later: an import. Restoring the earlier backup over it is refused without --force, then
    # brings back the earlier state (the import's rows are gone), also in a new process.
    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5]]))
    assert cli_here(pg_url, "import", str(xlsx), "--user", "canbo-lc").returncode == 0
    assert cli_here(pg_url, "status", "--locality", "12", "--format", "json").stdout != status[0].stdout
    refused = cli_here(pg_url, "restore", str(zipped))
    assert refused.returncode == 3 and "--force" in refused.stderr
    forced = cli_here(pg_url, "restore", str(zipped), "--force")
    assert forced.returncode == 0, forced.stderr
    assert list(tmp_path.glob("*.before-restore-*.zip"))   # what was replaced is kept
    assert cli(pg_url, "status", "--locality", "12", "--format", "json").stdout == status[0].stdout   # a new process
    assert counts(pg_url) == counts(copy)   # this process's replica caught up with the restore too


def test_an_unreachable_server_is_one_sentence_and_exit_3():
    """No server needed: the address answers nothing. The password never appears."""
    done = cli("postgresql://chitieu:bi-mat@127.0.0.1:9/khong_co", "status", "--locality", "12")
    assert done.returncode == 3
    assert "Không kết nối được cơ sở dữ liệu PostgreSQL" in done.stderr and "Traceback" not in done.stderr
    assert "bi-mat" not in done.stderr


def _every_table(url) -> dict[str, list]:
    """Every stored table's rows, sorted, as this process's replica holds them."""
    store = pg.store(url)
    with gate.reading(url) as con:
        return {name: sorted(con.execute(f"select * from {name}").fetchall(), key=repr) for name in store.tables}


def test_a_write_that_changes_adds_and_deletes_rows_reaches_postgres_exactly(pg_url):
    """One write that changes, adds and deletes keyed rows of several tables: a new process,
    whose replica is built from PostgreSQL alone, holds exactly what the writer's replica holds."""
    built(pg_url)
    with gate.writing(pg_url) as con:
        add_account(con, "tam-thoi", "officer", "12")
    with gate.writing(pg_url) as con:
        con.execute("update account set display_name = 'Cán bộ Lai Châu (đổi tên)' where user_name = 'canbo-lc'")
        con.execute("delete from account where user_name = 'tam-thoi'")
        add_account(con, "moi", "officer", "01")
        con.execute("update target set target_value = target_value + 1 where rowid in "
                    "(select rowid from target order by all limit 3)")
    written = _every_table(pg_url)
    assert any(r[0] == "moi" for r in written["account"]) and not any(r[0] == "tam-thoi" for r in written["account"])
    pg.forget(pg_url)
    assert _every_table(pg_url) == written


def _pg_rows(url, sql: str) -> list:
    import adbc_driver_postgresql.dbapi as pgdb
    with pgdb.connect(url) as con, con.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


@pytest.mark.parametrize("left_at", [2, 3])
def test_a_database_left_at_an_earlier_migration_is_upgraded_keeping_its_data(pg_url, tmp_path, monkeypatch, left_at):
    """A deployment made by an earlier version (here: only migrations 001..left_at) meets this
    version: the later migrations reach PostgreSQL (the columns 003 adds to upload, the dataset
    table and its row from 004, schema_migration), and what was stored before is all there."""
    from indicators.store import connection
    every = connection._migrations()
    monkeypatch.setattr(connection, "_migrations", lambda: every[:left_at])
    monkeypatch.setattr(pg, "_migrations", lambda: every[:left_at])
    monkeypatch.setattr(pg, "AFTER_SYNC", [])   # the earlier version had no overview caches
    with gate.writing(pg_url) as con:   # an empty database, made by the earlier version
        add_account(con, "canbo-lc", "officer", "12")
        con.execute("insert into locality values ('12', 'Tỉnh Lai Châu', 'Lai Châu', 'tỉnh', 'province', null, "
                    "'lai chau')")
        con.execute("insert into indicator values ('bhyt_coverage', 'Tỷ lệ dân số tham gia BHYT', 'Health insurance "
                    "coverage', '%', 'percent', 'higher', 0, 100, 1, 'Tài chính y tế')")
        con.execute("insert into upload (file_name, sha256, user_name) values ('cu.xlsx', 'x', 'canbo-lc')")
        con.execute("insert into observation select '12', 'bhyt_coverage', '2025', 2025.5, 93.5, null, null, null, "
                    "max(upload_id) from upload")
    pg.forget(pg_url)
    monkeypatch.undo()

    # This version, in two processes started together: one upgrades the database, the other
    # waits for it and builds its replica at the new schema.
    runs = [subprocess.Popen([sys.executable, "-m", "indicators", "--db", pg_url, "history", "--uploads",
                              "--format", "json"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert [u["file_name"] for u in json.loads(out)] == ["cu.xlsx"]
    with gate.reading(pg_url) as con:
        assert con.execute("select value from observation").fetchall() == [(93.5,)]
        assert con.execute("select count(*) from account where user_name = 'canbo-lc'").fetchone()[0] == 1
    assert sorted(v for (v,) in _pg_rows(pg_url, "select version from schema_migration")) == [v for v, _, _ in every]
    assert _pg_rows(pg_url, "select is_synthetic from dataset") == [(False,)]
    columns = {c for (c,) in _pg_rows(pg_url, "select column_name from information_schema.columns "
                                               "where table_name = 'upload'")}
    assert {"size_bytes", "n_warnings", "reverted_at"} <= columns
    assert _pg_rows(pg_url, "select file_name from upload") == [("cu.xlsx",)]
    pg.forget(pg_url)   # a new process needs no upgrade and sees the same
    with gate.reading(pg_url) as con:
        assert con.execute("select value from observation").fetchall() == [(93.5,)]
        assert con.execute("select is_synthetic from dataset").fetchall() == [(False,)]
    xlsx = tmp_path / "bhyt.xlsx"   # and the product works on it
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5]]))
    imported = cli(pg_url, "import", str(xlsx), "--user", "canbo-lc")
    assert imported.returncode == 0, imported.stderr


def test_a_process_that_did_not_create_the_database_keeps_its_caches_fresh(pg_url, tmp_path):
    """A replica built from an existing database (every app process but the first) refreshes the
    overview's caches after catching up with another process's import, as the first one does."""
    from indicators.progress import scorecard as sc
    built(pg_url)
    pg.forget(pg_url)   # this process now opens the database as any later one does
    with gate.reading(pg_url) as con:
        assert sc.is_current_fresh(con)
    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5]]))
    assert cli(pg_url, "import", str(xlsx), "--user", "canbo-lc").returncode == 0
    with gate.reading(pg_url) as con:
        assert sc.is_current_fresh(con)
        assert con.execute("select value from current_observation where locality_code = '12' and "
                           "indicator_code = 'bhyt_coverage' and period = '2026'").fetchall() == [(95.5,)]


def test_another_process_keeps_the_overview_cache_right_when_only_uploads_or_also_targets_change(
        pg_url, tmp_path, monkeypatch):
    """A replica catching up reuses what it computed from the targets while their version says they
    are unchanged (an upload), and computes again when another process changed a target without
    announcing it: in both cases its cached overview equals the one computed from the tables."""
    from indicators.progress import scorecard as sc
    monkeypatch.setattr(sc, "CACHE_MIN_TARGETS", 0)   # the sample's targets, cached as the national ones are
    built(pg_url)
    watcher = pg.PgStore(pg_url)   # another process's replica
    try:
        def watched_overview_matches_the_tables() -> None:
            watcher.sync()
            con = watcher.replica.cursor()
            assert sc.is_current_fresh(con)
            stored = con.execute(sc.query("scorecard_inputs_fingerprint")).fetchone()[0]
            assert con.execute("select inputs_fingerprint from scorecard_cache_state").fetchone()[0] == stored
            for year in (2026, 2030):
                cached = sc.scorecard(con, "country", None, year)
                live = sc.scorecard(con, "country", None, year, live=True)
                assert len(cached)
                key = ["locality_code", "indicator_code"]
                pd.testing.assert_frame_equal(cached.sort_values(key).reset_index(drop=True),
                                              live.sort_values(key).reset_index(drop=True))

        watched_overview_matches_the_tables()
        with gate.reading(pg_url) as con:
            pv = importer.preview(con, workbook([["12", "bhyt_coverage", "2026", 95.5]]), "bhyt.xlsx", "canbo-lc")
        with gate.writing(pg_url) as con:
            importer.commit(con, pv, "canbo-lc")
        watched_overview_matches_the_tables()
        with gate.writing(pg_url) as con:   # a target changed, nothing told: the 2030 milestone for 12
            before = con.execute("select target_value from target where locality_code = '12' and "
                                 "indicator_code = 'bhyt_coverage' and target_year = 2030").fetchall()
            assert before, "Lai Châu has a 2030 BHYT target"
            con.execute("update target set target_value = 99.9 where locality_code = '12' and "
                        "indicator_code = 'bhyt_coverage' and target_year = 2030")
        with gate.reading(pg_url) as con:
            pv = importer.preview(con, workbook([["12", "bhyt_coverage", "2026", 99.5]]), "bhyt2.xlsx", "canbo-lc")
        with gate.writing(pg_url) as con:
            importer.commit(con, pv, "canbo-lc")
        watched_overview_matches_the_tables()
        con = watcher.replica.cursor()
        shown = sc.scorecard(con, "country", None, 2030)
        row = shown[(shown["locality_code"] == "12") & (shown["indicator_code"] == "bhyt_coverage")]
        assert list(row["target_value"]) == [99.9] and list(row["latest_value"]) == [99.5]
    finally:
        watcher.replica.close()
        with watcher.pg_lock:
            watcher.pg.close()


def test_an_app_process_catches_up_at_start_only_on_a_database_that_is_built(pg_url, monkeypatch):
    """serve.warm_store (run in a thread when the app starts) builds the process's replica before
    the first visitor, caches included, but leaves a database init-db has not built yet alone."""
    from indicators.progress import scorecard as sc
    from indicators.web import serve
    monkeypatch.setenv("INDICATORS_DATABASE_URL", pg_url)
    serve.warm_store()   # a new, empty database: nothing made, nothing built
    assert pg_url not in pg._stores
    assert _pg_rows(pg_url, "select count(*) from pg_tables where schemaname = 'public'") == [(0,)]
    built(pg_url)
    pg.forget(pg_url)
    serve.warm_store()
    assert pg_url in pg._stores
    con = pg._stores[pg_url].replica.cursor()
    assert sc.is_current_fresh(con)
    assert con.execute("select count(*) from locality").fetchone()[0] > 0
