"""Scoped data versions (store.gate, web.connection): an officer's upload changes only the reported
values of its provinces, so the cached pages of every other province stand, while every page that
shows those values (the commune, its province, the whole country) shows the new figure at the
next run, and a write of anything else (a target, the catalogue) still reaches every page."""
from __future__ import annotations

import pytest

from indicators.auth.accounts import get_account
from indicators.excel import importer
from indicators.store import gate
from indicators.web.connection import clear_caches
from tests.store.test_import import add_account, workbook


def test_a_write_confined_to_a_province_leaves_the_other_provinces_versions(seeded_db):
    with gate.writing(seeded_db) as con:   # the database's first version
        con.execute("select 1")
    before = gate.versions(seeded_db)
    with gate.writing(seeded_db, scopes=["p:01"]) as con:
        con.execute("select 1")
    after = gate.versions(seeded_db)
    assert after.last != before.last                          # the data version changed
    assert after.of(["p:12"]) == before.of(["p:12"])         # Lai Châu's did not
    assert after.of(["p:01"]) != before.of(["p:01"])         # Hà Nội's did
    assert after.of([]) == before.of([])                     # nor did the catalogue's

    with gate.writing(seeded_db) as con:                      # a write of everything
        con.execute("select 1")
    again = gate.versions(seeded_db)
    assert again.of(["p:12"]) != after.of(["p:12"]) and again.of([]) != after.of([])


def test_a_version_file_of_the_format_before_scopes_reads_as_a_write_of_everything(seeded_db):
    gate.version_path(seeded_db).write_text("12345-1-abcdef01\n", encoding="ascii")
    read = gate.versions(seeded_db)
    assert read.last == read.everything == "12345-1-abcdef01" and read.scopes == {}
    with gate.writing(seeded_db, scopes=["p:01"]) as con:
        con.execute("select 1")
    assert gate.versions(seeded_db).everything == "12345-1-abcdef01"


@pytest.fixture
def officer(seeded_db):
    with gate.writing(seeded_db) as con:
        add_account(con, "canbo-hn", "officer", "01")
        return get_account(con, "canbo-hn")


def latest(progress, indicator: str) -> tuple[float | None, str | None]:
    row = next(r for r in progress.rows if r["indicator_code"] == indicator and r["target_year"] == 2030)
    return row["latest_value"], row["latest_period"]


def cell(frame, locality: str, indicator: str) -> float:
    hit = frame[(frame["locality_code"] == locality) & (frame["indicator_code"] == indicator)]
    assert len(hit) == 1, (locality, indicator, len(hit))
    return float(hit["latest_value"].iloc[0])


def test_an_upload_to_a_hanoi_commune_shows_everywhere_it_counts_and_leaves_lai_chau_cached(seeded_db, officer,
                                                                                             monkeypatch):
    from indicators.web import actions, data, views
    clear_caches()
    reads: list[str] = []
    real = data.locality_progress
    monkeypatch.setattr(data, "locality_progress", lambda con, code, *a, **k: reads.append(code) or real(con, code, *a, **k))
    data.progress_of("12", 2030)
    lai_chau_page = views.locality("12", 2030, False)
    assert latest(data.progress_of("09931", 2030), "bhyt_coverage") != (97.3, "2026")

    # what the pages show before: the commune, Hà Nội's scorecard and the country's
    data.scorecard_cells("province", "01", 2030, False)
    data.scorecard_cells("country", None, 2030, False)

    with gate.reading(seeded_db) as con:
        pv = importer.preview(con, workbook([["09931", "bhyt_coverage", "2026", 97.3]]), "hung_dao.xlsx", "canbo-hn")
    assert not pv.errors and actions.upload_scopes(pv) == ["p:01"]
    actions.commit_upload(officer, pv, confirm_warnings=True)

    # Lai Châu's page is not read or built again
    reads.clear()
    data.progress_of("12", 2030)
    assert views.locality("12", 2030, False) is lai_chau_page
    assert "12" not in reads
    # every page showing Hưng Đạo's figure shows the new one
    assert latest(data.progress_of("09931", 2030), "bhyt_coverage") == (97.3, "2026")
    assert latest(views.locality("09931", 2030, False)[0], "bhyt_coverage") == (97.3, "2026")
    assert cell(data.scorecard_cells("province", "01", 2030, False), "09931", "bhyt_coverage") == pytest.approx(97.3)
    assert cell(data.scorecard_cells("country", None, 2030, False), "09931", "bhyt_coverage") == pytest.approx(97.3)
    assert cell(data.indicator_across("bhyt_coverage", "country", None, 2030), "09931", "bhyt_coverage") \
        == pytest.approx(97.3)


def test_a_target_changed_by_another_process_reaches_a_province_page_cached_across_uploads(seeded_db, officer):
    from indicators.web import actions, data
    clear_caches()
    row = next(r for r in data.progress_of("12", 2030).rows if r["target_year"] == 2030)
    with gate.reading(seeded_db) as con:
        pv = importer.preview(con, workbook([["09931", "bhyt_coverage", "2026", 97.3]]), "hung_dao.xlsx", "canbo-hn")
    actions.commit_upload(officer, pv, confirm_warnings=True)   # Hà Nội only: Lai Châu's cache stands

    # the command line (another process) changes one of Lai Châu's targets: a write of everything
    with gate.writing(seeded_db) as con:
        con.execute("update target set target_value = target_value + 1 where locality_code = '12' "
                    "and indicator_code = $i and target_year = 2030", {"i": row["indicator_code"]})
    data.follow_writes()   # what app.py does at the start of a run
    now = next(r for r in data.progress_of("12", 2030).rows
               if r["indicator_code"] == row["indicator_code"] and r["target_year"] == 2030)
    assert now["target_value"] == pytest.approx(row["target_value"] + 1)
