"""Two imports at once: two threads of one process (as the Streamlit server runs), and a second process."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from indicators.excel import importer
from indicators.store.connection import StoreError, connect
from tests.conftest import ROOT
from tests.store.test_import import con, workbook  # noqa: F401  (fixture)


def run_together(*jobs):
    """Start every job at the same moment in its own thread; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def worker(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except BaseException as exc:   # noqa: BLE001 - reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


def test_two_imports_for_different_localities_both_land(con):
    lai_chau = workbook([["12", "bhyt_coverage", "2026", 95.5], ["03640", "bhyt_coverage", "2026", 90.0]])
    ha_noi = workbook([["01", "bhyt_coverage", "2026", 94.9], ["09931", "bhyt_coverage", "2026", 92.5]])

    def job(data, user):
        return lambda: importer.commit(con, importer.preview(con, data, f"{user}.xlsx", user), user)

    a, b = run_together(job(lai_chau, "canbo-lc"), job(ha_noi, "admin"))
    assert {a.upload_id, b.upload_id} == {2, 3} and a.n_new == b.n_new == 2
    got = dict(con.execute("select locality_code, value from observation where period = '2026' and "
                           "indicator_code = 'bhyt_coverage'").fetchall())
    assert got == {"12": 95.5, "03640": 90.0, "01": 94.9, "09931": 92.5}
    assert con.execute("select count(*) from audit_event where action = 'upload'").fetchone()[0] == 2


def test_same_keys_the_later_import_wins_and_history_holds_both(con):
    first = workbook([["12", "bhyt_coverage", "2026", 95.5], ["12", "life_expectancy", "2026", 68.7]])
    second = workbook([["12", "bhyt_coverage", "2026", 95.8], ["12", "life_expectancy", "2026", 68.9]])
    # Both previews are taken before either commits, as two officers at once would.
    p1, p2 = run_together(lambda: importer.preview(con, first, "a.xlsx", "canbo-lc"),
                          lambda: importer.preview(con, second, "b.xlsx", "admin"))
    assert p1.n_new == p2.n_new == 2
    r1, r2 = run_together(lambda: importer.commit(con, p1, "canbo-lc"), lambda: importer.commit(con, p2, "admin"))
    later, earlier = (r1, r2) if r1.upload_id > r2.upload_id else (r2, r1)
    # The later commit saw the earlier one: its rows count as changed, not new.
    assert (earlier.n_new, later.n_changed) == (2, 2)
    winner = {r1.upload_id: {"bhyt_coverage": 95.5, "life_expectancy": 68.7},
              r2.upload_id: {"bhyt_coverage": 95.8, "life_expectancy": 68.9}}[later.upload_id]
    for indicator, value in winner.items():
        hist = importer.history(con, "12", indicator)
        rows = hist[hist["period"] == "2026"]
        assert rows["upload_id"].tolist() == [later.upload_id, earlier.upload_id]
        assert rows["is_current"].tolist() == [True, False]
        assert rows["value"].tolist()[0] == value


HOLDER = """
import sys, time
from indicators.store.connection import connect
con = connect(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()
con.close()
"""


def test_a_second_process_gets_a_clear_message_then_succeeds(con, seeded_db):
    con.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(seeded_db)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="đang được một tiến trình khác sử dụng"):
            connect(seeded_db)
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(30)
    deadline = time.monotonic() + 10
    while True:   # the lock is released when the holder exits
        try:
            c = connect(seeded_db)
            break
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    try:
        result = importer.commit(c, importer.preview(c, workbook([["12", "bhyt_coverage", "2026", 95.5]]),
                                                     "sau.xlsx", "canbo-lc"), "canbo-lc")
        assert result.n_new == 1
    finally:
        c.close()
