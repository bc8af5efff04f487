"""kill -9 in the middle of a large import, repeated: the database reopens with all rows of that
upload or none, the upload record agrees, and the overview's caches of current values agree
with both (they are written in the same transaction)."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

from indicators.progress import scorecard as sc
from indicators.store.connection import connect
from tests.conftest import ROOT
from tests.store.test_import import add_account, commune_keys, fast_workbook

N_ROWS = 60_000
DELAYS = (0.0, 0.05, 0.15, 0.3, 0.6)   # seconds after the child starts committing

CHILD = """
import sys
from pathlib import Path
from indicators.excel import importer
from indicators.progress import scorecard as sc
from indicators.store.connection import connect
con = connect(sys.argv[1])
data = Path(sys.argv[2]).read_bytes()
pv = importer.preview(con, data, "lon.xlsx", "admin")
assert not pv.errors, pv.errors[:3]
print("COMMITTING", flush=True)
importer.commit(con, pv, "admin", confirm_warnings=True)
print("DONE", flush=True)
"""


def test_kill_during_commit_leaves_all_rows_or_none(seeded_db, tmp_path):
    con = connect(seeded_db)
    add_account(con, "admin", "admin", None)
    keys = commune_keys(con, N_ROWS)
    con.close()
    assert len(keys) == N_ROWS
    data = fast_workbook([[*k, 50.0 + (i % 400) / 10] for i, k in enumerate(keys)])
    xlsx = tmp_path / "lon.xlsx"
    xlsx.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    outcomes = []
    for delay in DELAYS:
        db = tmp_path / f"crash_{delay}.duckdb"
        shutil.copy(seeded_db, db)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(xlsx)], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        line = child.stdout.readline().strip()
        assert line == "COMMITTING", child.stderr.read()
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.wait(30)
        finished = "DONE" in rest

        con = connect(db)    # reopens: DuckDB replays or discards its write-ahead log
        try:
            uploads = con.execute("select upload_id, n_new, state from upload where sha256 = $s",
                                  {"s": sha}).fetchall()
            n_obs = con.execute("select count(*) from observation o join upload u using (upload_id) "
                                "where u.sha256 = $s", {"s": sha}).fetchone()[0]
            orphans = con.execute("select count(*) from observation where upload_id not in "
                                  "(select upload_id from upload)").fetchone()[0]
            audits = con.execute("select count(*) from audit_event where action = 'upload'").fetchone()[0]
            # The overview's caches commit with the upload: never left behind by a kill.
            fresh = sc.is_current_fresh(con)
        finally:
            con.close()
        assert orphans == 0 and fresh
        if uploads:
            assert uploads == [(uploads[0][0], N_ROWS, "committed")] and n_obs == N_ROWS and audits == 1
        else:
            assert n_obs == 0 and audits == 0 and not finished
        outcomes.append("all" if uploads else "none")
    print("outcomes", outcomes)
    # The point of the test: at least one kill landed before the commit finished.
    assert "none" in outcomes, outcomes
