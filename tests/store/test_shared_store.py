"""Several processes on one database file (store.gate): the command line beside a reading app,
writes that wait their turn, readers that cannot keep a writer out, and a clear message when a
wait gives up. Real processes, as a Sở Y tế runs them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from indicators.store import gate
from tests.conftest import ROOT
from tests.store.test_import import add_account, workbook

# A stand-in for the app: reads the file through the gate in N threads, without pause, until
# stdin closes; prints "reading" once it holds its first read, and at the end how many reads
# it made and the data versions it saw; a failed read ends it with the error.
READER = r"""
import sys, threading
from indicators.store import gate
db, n_threads = sys.argv[1], int(sys.argv[2])
stop, counts, versions, errors = threading.Event(), [0] * n_threads, set(), []
def loop(i):
    try:
        while not stop.is_set():
            with gate.reading(db) as con:
                con.execute("select count(*) from observation").fetchone()
                counts[i] += 1
            versions.add(gate.data_version(db))
    except BaseException as exc:
        errors.append(repr(exc))
        stop.set()
threads = [threading.Thread(target=loop, args=(i,)) for i in range(n_threads)]
for t in threads: t.start()
while sum(counts) == 0: pass
print("reading", flush=True)
sys.stdin.read()
stop.set()
for t in threads: t.join()
print(sum(counts), len(versions), flush=True)
sys.exit("; ".join(errors) if errors else 0)
"""

# Holds the file for writing until stdin says "go"; prints "holding" once it does.
WRITER = r"""
import sys
from indicators.store import gate
with gate.writing(sys.argv[1]) as con:
    con.execute("select 1")
    print("holding", flush=True)
    sys.stdin.readline()
"""


def child(script: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def cli(db, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indicators", "--db", str(db), *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=240, env={**os.environ, **(env or {})})


@pytest.fixture
def db(seeded_db):
    with gate.writing(seeded_db) as con:
        add_account(con, "admin", "admin", None)
        add_account(con, "canbo-lc", "officer", "12")
    return seeded_db


def value(db, locality: str, indicator: str, period: str):
    with gate.reading(db) as con:
        rows = con.execute("select o.value from observation o join upload u using (upload_id) "
                           "where u.state = 'committed' and o.locality_code = $l and o.indicator_code = $i "
                           "and o.period = $p order by o.upload_id desc limit 1",
                           {"l": locality, "i": indicator, "p": period}).fetchall()
    return rows[0][0] if rows else None


def test_every_command_works_beside_a_reading_app(db, tmp_path):
    """The app reads without pause in two threads; status, template, a dry run and a real import
    all succeed meanwhile, the app keeps reading, and it sees the write's new data version."""
    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5]]))
    app = child(READER, str(db), "2")
    try:
        assert app.stdout.readline().strip() == "reading", app.stderr.read()
        status = cli(db, "status", "--locality", "12", "--format", "json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)
        template = cli(db, "template", "--locality", "12", "-o", str(tmp_path / "mau.xlsx"))
        assert template.returncode == 0, template.stderr
        assert (tmp_path / "mau.xlsx").stat().st_size > 0
        dry = cli(db, "import", str(xlsx), "--user", "canbo-lc", "--dry-run", "--format", "json")
        assert dry.returncode == 0, dry.stderr
        assert json.loads(dry.stdout)["n_new"] == 1 and value(db, "12", "bhyt_coverage", "2026") is None
        real = cli(db, "import", str(xlsx), "--user", "canbo-lc")
        assert real.returncode == 0, real.stderr
    finally:
        out, err = app.communicate("", timeout=120)
    assert app.returncode == 0, err
    n_reads, n_versions = map(int, out.split())
    assert n_reads > 10 and n_versions >= 2   # it kept reading, and saw the import's new version
    assert value(db, "12", "bhyt_coverage", "2026") == 95.5


def test_two_imports_started_together_beside_the_app_both_commit(db, tmp_path):
    lai_chau, ha_noi = tmp_path / "lc.xlsx", tmp_path / "hn.xlsx"
    lai_chau.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5], ["03640", "bhyt_coverage", "2026", 90.0]]))
    ha_noi.write_bytes(workbook([["01", "bhyt_coverage", "2026", 94.9], ["09931", "bhyt_coverage", "2026", 92.5]]))
    app = child(READER, str(db), "2")
    try:
        assert app.stdout.readline().strip() == "reading", app.stderr.read()
        runs = [subprocess.Popen([sys.executable, "-m", "indicators", "--db", str(db), "import", str(f),
                                  "--user", "admin"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE) for f in (lai_chau, ha_noi)]
        for run in runs:
            out, err = run.communicate(timeout=240)
            assert run.returncode == 0, err
            assert "Đã nhập lần số" in out
    finally:
        _, app_err = app.communicate("", timeout=120)
    assert app.returncode == 0, app_err
    with gate.reading(db) as con:
        got = dict(con.execute("select o.locality_code, o.value from observation o join upload u using (upload_id) "
                               "where u.user_name = 'admin' and o.period = '2026'").fetchall())
        n_uploads = con.execute("select count(*) from upload where user_name = 'admin'").fetchone()[0]
    assert got == {"12": 95.5, "03640": 90.0, "01": 94.9, "09931": 92.5} and n_uploads == 2


def test_a_write_waits_for_the_write_in_progress(db, tmp_path):
    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5]]))
    holder = child(WRITER, str(db))
    try:
        assert holder.stdout.readline().strip() == "holding", holder.stderr.read()
        importing = subprocess.Popen([sys.executable, "-m", "indicators", "--db", str(db), "import", str(xlsx),
                                      "--user", "canbo-lc"], cwd=ROOT, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # The import's preview needs a read, which waits for the holder: it cannot finish now.
        with pytest.raises(subprocess.TimeoutExpired):
            importing.wait(timeout=3)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        out, err = importing.communicate(timeout=240)
    finally:
        holder.communicate(timeout=60)
    assert importing.returncode == 0, err
    assert value(db, "12", "bhyt_coverage", "2026") == 95.5


def test_a_wait_that_gives_up_says_so_and_changes_nothing(db, tmp_path):
    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 95.5]]))
    with gate.reading(db) as con:
        uploads = con.execute("select count(*) from upload").fetchone()[0]
    holder = child(WRITER, str(db))
    try:
        assert holder.stdout.readline().strip() == "holding", holder.stderr.read()
        given_up = cli(db, "import", str(xlsx), "--user", "canbo-lc", env={"INDICATORS_LOCK_TIMEOUT": "1"})
    finally:
        holder.communicate("go\n", timeout=60)
    assert given_up.returncode == 3
    assert "đang bận" in given_up.stderr and "Không có gì bị thay đổi" in given_up.stderr
    assert "Traceback" not in given_up.stderr
    with gate.reading(db) as con:
        assert con.execute("select count(*) from upload").fetchone()[0] == uploads


def test_a_stream_of_readers_does_not_keep_a_writer_out(db, tmp_path):
    """Four threads of another process read back to back (the file is never free of readers);
    a write still gets its turn, and no read fails meanwhile."""
    app = child(READER, str(db), "4")
    try:
        assert app.stdout.readline().strip() == "reading", app.stderr.read()
        started = time.monotonic()
        with gate.writing(db) as con:
            con.execute("insert into audit_event (user_name, action, detail) values ('kiem-thu', 'test', 'x')")
        waited = time.monotonic() - started
    finally:
        out, err = app.communicate("", timeout=120)
    assert app.returncode == 0, err
    assert waited < gate.lock_timeout()   # it got in: no StoreError after the full wait
    assert int(out.split()[0]) >= 4


def test_the_data_version_changes_with_a_write_and_only_then(db):
    before = gate.data_version(db)
    with gate.reading(db) as con:
        con.execute("select count(*) from observation").fetchone()
    assert gate.data_version(db) == before
    with gate.writing(db) as con:
        con.execute("update account set display_name = 'Quản trị' where user_name = 'admin'")
    assert gate.data_version(db) != before


def test_every_version_another_process_writes_is_seen_even_in_quick_succession(db):
    """The version is read from its file only when the file was replaced: another process's
    bumps, however close together, are each seen by the next ask (the app keys its caches on it)."""
    bump = [sys.executable, "-c", "import sys; from indicators.store import gate; from pathlib import Path; "
            "print(gate.bump_version(Path(sys.argv[1])))", str(db)]
    seen = []
    for _ in range(5):
        written = subprocess.run(bump, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        seen.append((gate.data_version(db), written))
        # asked again without a change: the same answer
        assert gate.data_version(db) == written
    assert all(a == b for a, b in seen) and len({b for _, b in seen}) == 5


def test_a_check_inside_a_read_still_leaves_its_audit_event(db):
    """A refusal found while the file is open read-only (a viewer who tries to upload) is
    audited all the same, once the read ends."""
    from indicators.auth import scope
    from indicators.auth.accounts import PermissionDenied
    add = "select count(*) from audit_event where user_name = 'xem-thu' and action = 'denied'"
    with gate.writing(db) as con:
        add_account(con, "xem-thu", "viewer", "12")
    with pytest.raises(PermissionDenied):
        with gate.reading(db) as con:
            scope.require_role(con, "xem-thu", "officer", "nhập số liệu")
    with gate.reading(db) as con:
        assert con.execute(add).fetchone()[0] == 1
