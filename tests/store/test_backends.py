"""The store's behaviour on both backends: the DuckDB file and PostgreSQL (store.pg). Each
operation goes through store.gate, as the app and the command line do. The PostgreSQL cases skip
locally without a server (conftest.pg_url) and run in CI."""
from __future__ import annotations

import threading

import pandas as pd
import pytest

from indicators.auth.accounts import PermissionDenied
from indicators.excel import importer
from indicators.plans.admin import save_target
from indicators.progress import scorecard as sc
from indicators.setup import init_db
from indicators.store import gate
from tests.store.test_import import add_account, workbook


def _build(target) -> None:
    init_db(target)
    with gate.writing(target) as con:
        add_account(con, "admin", "admin", None)
        add_account(con, "canbo-lc", "officer", "12")


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, store_copy):
    """A seeded store with an admin and Lai Châu's officer, built once per session and backend."""
    return store_copy(request.param, "backends", _build)


def upload(target, rows, user="canbo-lc", name="bao_cao.xlsx", **commit):
    with gate.reading(target) as con:
        pv = importer.preview(con, workbook(rows), name, user)
    if pv.errors:
        return pv, None
    with gate.writing(target) as con:
        return pv, importer.commit(con, pv, user, **commit)


def current(target, locality, indicator, period):
    with gate.reading(target) as con:
        h = importer.history(con, locality, indicator)
    rows = h[(h["period"] == period) & h["is_current"]]
    return rows["value"].tolist()


def test_preview_commit_and_history(store):
    pv, done = upload(store, [["12", "bhyt_coverage", "2026", 95.5], ["12", "life_expectancy", "2026", 68.9]])
    assert (pv.n_new, done.n_new) == (2, 2)
    pv2, done2 = upload(store, [["12", "bhyt_coverage", "2026", 95.8]], name="sua.xlsx")
    assert pv2.n_changed == 1 and done2.n_changed == 1
    with gate.reading(store) as con:
        h = importer.history(con, "12", "bhyt_coverage")
    rows = h[h["period"] == "2026"]
    assert rows["value"].tolist() == [95.8, 95.5] and rows["is_current"].tolist() == [True, False]


def test_revert_brings_back_the_previous_value_admin_only_and_once(store):
    upload(store, [["12", "bhyt_coverage", "2026", 95.5]])
    _, second = upload(store, [["12", "bhyt_coverage", "2026", 97.0]], name="b.xlsx")
    with gate.writing(store) as con, pytest.raises(PermissionDenied):
        importer.revert(con, second.upload_id, "canbo-lc")
    with gate.writing(store) as con:
        importer.revert(con, second.upload_id, "admin")
    assert current(store, "12", "bhyt_coverage", "2026") == [95.5]
    with gate.writing(store) as con, pytest.raises(importer.ImportRefused, match="đã được hoàn tác"):
        importer.revert(con, second.upload_id, "admin")
    with gate.reading(store) as con:
        actions = [r[0] for r in con.execute("select action from audit_event where user_name in ('admin', 'canbo-lc') "
                                             "order by event_id").fetchall()]
    assert actions == ["upload", "upload", "denied", "revert"]


def test_rows_outside_the_scope_are_refused_and_the_attempt_audited(store):
    pv, done = upload(store, [["01", "bhyt_coverage", "2026", 95.5]])
    assert done is None and pv.errors
    with gate.reading(store) as con:   # written after the preview's read, on both backends
        n = con.execute("select count(*) from audit_event where user_name = 'canbo-lc' "
                        "and action = 'upload_refused'").fetchone()[0]
        uploads = con.execute("select count(*) from upload where user_name = 'canbo-lc'").fetchone()[0]
    assert (n, uploads) == (1, 0)


def test_the_scorecard_reads_the_same_caches_as_a_file(store, store_copy):
    """The overview's caches are current after an import on either backend, and the national
    scorecard equals one computed on a DuckDB file holding the same rows."""
    rows = [["12", "bhyt_coverage", "2026", 95.5], ["03640", "bhyt_coverage", "2026", 90.0]]
    upload(store, rows, user="admin")
    reference = store_copy("duckdb", "backends", _build, file="reference.duckdb")
    upload(reference, rows, user="admin")
    frames = []
    for target in (store, reference):
        with gate.reading(target) as con:
            assert sc.is_current_fresh(con)
            frames.append(sc.scorecard(con, "country", None, 2030).sort_values(
                ["locality_code", "indicator_code", "plan_code", "target_year"]).reset_index(drop=True))
    pd.testing.assert_frame_equal(frames[0].drop(columns=["latest_time"], errors="ignore"),
                                  frames[1].drop(columns=["latest_time"], errors="ignore"))


def test_a_target_saved_by_an_admin_changes_the_overview_at_once(store, monkeypatch):
    """The overview's scorecard (scorecard_cache on either backend, kept here although the sample
    has few targets) follows an admin's target change in the write's own transaction, and
    another reader sees it on its next read."""
    monkeypatch.setattr(sc, "CACHE_MIN_TARGETS", 0)
    upload(store, [["12", "bhyt_coverage", "2026", 95.5]])

    def cell():
        with gate.reading(store) as con:
            rows = sc.scorecard(con, "province", "12", 2030)
        return rows.set_index(["locality_code", "indicator_code"]).loc[("12", "bhyt_coverage")]

    assert (cell()["target_value"], cell()["status"]) == (96, "on_track")
    with gate.writing(store) as con:
        save_target(con, "admin", plan_code="LC-243-2025", locality_code="12", indicator_code="bhyt_coverage",
                    target_year=2030, comparator="≥", target_value=95, target_text="Tỷ lệ tham gia BHYT: 95%",
                    clause="Mục II.1.3, dòng 4", reason="Văn bản sửa đổi")
    assert (cell()["target_value"], cell()["status"]) == (95, "achieved")
    with gate.reading(store) as con:
        assert sc._is_cached(con.cursor(), 2030)   # read from the cache, not computed live


def test_two_commits_of_the_same_keys_at_once_the_later_wins(store):
    with gate.reading(store) as con:
        p1 = importer.preview(con, workbook([["12", "bhyt_coverage", "2026", 95.5]]), "a.xlsx", "canbo-lc")
        p2 = importer.preview(con, workbook([["12", "bhyt_coverage", "2026", 95.8]]), "b.xlsx", "admin")
    results, errors, barrier = {}, [], threading.Barrier(2)

    def commit(pv, user):
        try:
            barrier.wait()
            with gate.writing(store) as con:
                results[user] = importer.commit(con, pv, user)
        except BaseException as exc:   # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=commit, args=a) for a in ((p1, "canbo-lc"), (p2, "admin"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    later = max(results.values(), key=lambda r: r.upload_id)
    earlier = min(results.values(), key=lambda r: r.upload_id)
    assert (earlier.n_new, later.n_changed) == (1, 1)
    assert "ghi đè" in later.message   # the later one says it overwrote a value changed since its preview
    winner = {results["canbo-lc"].upload_id: 95.5, results["admin"].upload_id: 95.8}[later.upload_id]
    assert current(store, "12", "bhyt_coverage", "2026") == [winner]


def test_a_confirmed_reading_of_a_report_sheet_is_kept_and_used(store):
    """excel.mappings on both stores: the officer's confirmed reading of their own sheet is used
    by the next preview of a sheet of the same shape (issue 14)."""
    from indicators.auth.accounts import get_account
    from indicators.excel import mappings
    from indicators.excel.names import name_key
    from tests.store.test_import_report_sheets import sheet

    label = "Tỷ lệ người dân tham gia bảo hiểm"
    data = sheet([["Chỉ tiêu", "Năm 2025"], [label, 93.0]])
    with gate.reading(store) as con:
        pv = importer.preview(con, data, "bao_cao.xlsx", "canbo-lc")
    assert [p.code for p in pv.warnings] == ["wide_guess"]
    with gate.writing(store) as con:
        mappings.save_mapping(con, get_account(con, "canbo-lc"), pv.layouts[0]["signature"], "Báo cáo",
                              {"rows": {name_key(label): "primary_care_bhyt"}})
    with gate.reading(store) as con:
        again = importer.preview(con, data, "bao_cao.xlsx", "canbo-lc")
    assert not again.warnings and again.validation.rows["indicator_code"].tolist() == ["primary_care_bhyt"]


def test_task_reports_history_revert_and_agency_scope_on_both_backends(store):
    """Plan tasks (issue 15) through store.gate on each backend: an officer of the Sở Y tế reports a
    task twice, the second is reverted, an out-of-scope report is refused and audited."""
    from datetime import date, datetime

    from indicators.tasks import listing, reports
    from indicators.tasks.reports import TaskReport
    with gate.writing(store) as con:
        add_account(con, "canbo-syt", "officer", "01")
        reports.grant_agency(con, "admin", "canbo-syt", "so_y_te")
    day = date(2026, 12, 2)
    for at, state in ((datetime(2026, 11, 1, 9), "in_progress"), (datetime(2026, 12, 1, 9), "done")):
        with gate.writing(store) as con:
            last = reports.record(con, "canbo-syt", [TaskReport("HN-71-2026", "3.1", "2026-Q4", state,
                                                                product_ref="QĐ 1/QĐ-UBND")], today=day, at=at)
    with gate.writing(store) as con, pytest.raises(PermissionDenied):
        reports.record(con, "canbo-syt", [TaskReport("HN-71-2026", "2.3", "2026-Q4", "done")], today=day)
    with gate.reading(store) as con:
        row = listing.task_list(con, "HN-71-2026", day).set_index("task_no").loc["3.1"]
        assert (row["state"], row["n_reports"]) == ("done", 2)
    with gate.writing(store) as con:
        reports.revert(con, last, "admin")
    with gate.reading(store) as con:
        assert listing.task_list(con, "HN-71-2026", day).set_index("task_no").loc["3.1", "state"] == "in_progress"
        assert [s for s, in con.execute("select state from task_report order by step").fetchall()] == [
            "in_progress", "done"]
        refused = con.execute("select count(*) from audit_event where action = 'task_report_refused'").fetchone()[0]
    assert refused == 1
