"""AppTest of the locality page ("Địa phương"): what a leader sees."""
from __future__ import annotations

import html
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from indicators.progress.locality import locality_progress
from indicators.store import gate
from tests.conftest import ROOT

STATUS_LABELS = ["Đã đạt", "Đúng tiến độ", "Cần tăng tốc", "Chệch hướng", "Chưa đủ số liệu"]


def open_app(locality: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if locality:
        at.query_params["locality"] = locality
    at.switch_page(str(ROOT / "pages" / "locality.py")).run()
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    """The text a reader sees of stored text the page escaped (widgets.safe)."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def texts(at: AppTest) -> str:
    return "\n".join(plain(m.value) for m in at.markdown)


def card_titles(at: AppTest) -> list[str]:
    return [plain(m.value).strip("*") for m in at.markdown if re.fullmatch(r"\*\*[^*]+\*\*", plain(m.value))]


def test_lai_chau_shows_every_target_with_status(seeded_db):
    at = open_app()  # Lai Châu is the default view
    assert plain(at.subheader[0].value) == "Tỉnh Lai Châu (12)"
    body = texts(at)
    titles = card_titles(at)
    for name in ["Số bác sĩ trên 10.000 dân", "Tỷ lệ xã đạt Tiêu chí quốc gia về y tế",
                 "Tỷ lệ dân số tham gia bảo hiểm y tế", "Tuổi thọ trung bình",
                 "Tỷ lệ suy dinh dưỡng thể thấp còi trẻ em dưới 5 tuổi",
                 "Tỷ suất tử vong trẻ em dưới 1 tuổi", "Tỷ suất tử vong trẻ em dưới 5 tuổi"]:
        assert name in titles
    # Target with comparator, unit and decimal comma; baselines from the plan.
    assert "Mục tiêu 2030: **≥ 13,5 bác sĩ/10.000 dân**" in body
    assert "Mục tiêu 2030: **đạt 92,11%**" in body
    assert "Mục tiêu 2030: **< 20‰**" in body
    captions = "\n".join(plain(c.value) for c in at.caption)
    assert "Đầu vào 2025: 13,1 bác sĩ/10.000 dân (theo kế hoạch)" in captions
    assert "Đầu vào 2025: 78,95% (theo kế hoạch)" in captions
    assert "Đầu vào 2025: 68,5 năm (theo kế hoạch)" in captions
    # The plan citation is one click away (popover content is in the tree).
    assert "**Kế hoạch 243/KH-SYT**, ngày 27/11/2025 – Sở Y tế tỉnh Lai Châu" in body
    assert "**Điều khoản:** Mục II.1.3, bảng Các chỉ tiêu chủ yếu, dòng 1, cột 2026-2030" in body


def test_status_counts_match_the_cards(seeded_db):
    at = open_app()
    metrics = {m.label: int(m.value) for m in at.metric}
    assert list(metrics) == STATUS_LABELS
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    for label, n in metrics.items():
        assert sum(label in b for b in badges) == n, label
    with gate.reading(seeded_db) as con:
        expected = [r["status_label"] for r in locality_progress(con, "12").rows]
    assert sum(metrics.values()) == len(expected) == len(badges) == 9
    assert all(metrics[s] == expected.count(s) for s in STATUS_LABELS)


def test_illustrative_notice_is_visible(seeded_db):
    at = open_app()
    assert any("Dữ liệu minh họa" in w.value for w in at.warning)
    assert "· minh họa" in texts(at)


def test_no_illustrative_notice_without_samples(tmp_path, monkeypatch):
    from indicators.setup import init_db
    db = tmp_path / "clean.duckdb"
    init_db(db, samples=False)
    monkeypatch.setenv("INDICATORS_DB", str(db))
    at = open_app()
    assert not any("minh họa" in w.value for w in at.warning)
    assert "minh họa" not in texts(at)
    assert "Chưa có số liệu báo cáo" in texts(at)
    assert {m.label: int(m.value) for m in at.metric}["Chưa đủ số liệu"] > 0


def test_search_ignores_diacritics(seeded_db):
    at = open_app()
    at.selectbox(key="province").set_value("01").run()
    at.text_input(key="commune_query").input("hung dao").run()
    assert not at.exception
    assert plain(at.subheader[0].value).startswith("Xã Hưng Đạo (09931)")
    assert at.query_params["locality"] == "09931"
    assert "Trạm Y tế xã đạt chuẩn quốc gia" in card_titles(at)


def test_search_without_match_says_so(seeded_db):
    at = open_app()
    at.text_input(key="commune_query").input("khong co xa nay").run()
    assert any("Không tìm thấy xã/phường nào khớp" in c.value for c in at.caption)
    assert plain(at.subheader[0].value) == "Tỉnh Lai Châu (12)"


@pytest.mark.parametrize("locality,heading", [("09931", "Xã Hưng Đạo (09931)"), ("01", "Thành phố Hà Nội (01)")])
def test_link_opens_the_locality(seeded_db, locality, heading):
    at = open_app(locality)
    assert plain(at.subheader[0].value).startswith(heading)


def test_commune_year_choice_changes_the_milestone(seeded_db):
    at = open_app("09931")
    year = at.selectbox(key="year_09931")
    assert year.options == ["2026", "2030", "2035", "2045"] and year.value == 2030
    assert "Mục tiêu 2030: **đạt 100%**" in texts(at)
    year.set_value(2026).run()
    assert "Mục tiêu 2026: **≥ 95%**" in texts(at)
    assert at.query_params["year"] == "2026"


def test_locality_without_plan_says_so(seeded_db):
    at = open_app("04")  # Cao Bằng: no plan in the catalogue
    assert any("Chưa có kế hoạch nào có chỉ tiêu cho Tỉnh Cao Bằng" in i.value for i in at.info)
    assert not at.metric


def test_every_year_target_lists_each_year(seeded_db):
    at = open_app("09931")
    captions = "\n".join(plain(c.value) for c in at.caption)
    assert "Từng năm: 2021: 12,4% ✘" in captions
    assert "Mục tiêu 2030 mỗi năm: **≥ 20%**" in texts(at)


def test_english_interface(seeded_db):
    at = open_app()
    at.selectbox(key="lang").set_value("en").run()
    assert at.title[0].value == "Locality"
    assert [m.label for m in at.metric][0] == "Achieved"


def test_first_start_builds_the_database_and_a_restart_keeps_it(tmp_path, monkeypatch):
    from indicators.web import connection
    db = tmp_path / "new" / "health.duckdb"
    monkeypatch.setenv("INDICATORS_DB", str(db))
    open_app()
    assert db.exists()
    with gate.writing(db) as con:
        con.execute("insert into upload (file_name, sha256, user_name) values ('b.xlsx', 'y', 'canbo')")
        before = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("locality", "target", "baseline", "observation", "upload")}
    connection.ensure_database.clear()  # as a new app process would
    at = open_app()
    assert plain(at.subheader[0].value) == "Tỉnh Lai Châu (12)"
    with gate.reading(db) as con:
        after = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in before}
    assert after == before and before["locality"] == 3355


def test_a_commit_shows_on_the_next_rerun_in_the_card_and_its_chart(seeded_db):
    """The cards' figures are built once per data version and shared by every session
    (web.views): a value committed by anyone is in the card and its chart at the next rerun."""
    from indicators.excel import importer
    from tests.store.test_import import add_account, workbook

    def bhyt_card(at: AppTest) -> tuple[str, str]:
        titles = [plain(m.value) for m in at.markdown]
        start = titles.index("**Tỷ lệ dân số tham gia bảo hiểm y tế**")
        latest = next(t for t in titles[start:] if t.startswith("Mới nhất"))
        hovers = [h for c in at.get("plotly_chart") for trace in json.loads(c.proto.spec)["data"]
                  for h in trace.get("customdata") or [] if isinstance(h, str)]
        return latest, hovers

    at = open_app("12")
    before, charts = bhyt_card(at)
    assert "99,1%" not in before and "Tháng 11/2026: 99,1%" not in charts
    with gate.writing(seeded_db) as con:
        add_account(con, "canbo-lc", "officer", "12")
        pv = importer.preview(con, workbook([["12", "bhyt_coverage", "2026-11", 99.1]]), "q.xlsx", "canbo-lc")
        assert not pv.errors, pv.errors
        importer.commit(con, pv, "canbo-lc")
    at.run()
    after, charts = bhyt_card(at)
    assert "99,1% (Tháng 11/2026)" in after
    assert "Tháng 11/2026: 99,1%" in charts   # the reported line's hover text of the new point
