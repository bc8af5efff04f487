"""AppTest of the overview ("Tổng quan") and indicator ("Chỉ tiêu") pages: what a leader sees."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from indicators.progress.statuses import STATUS_LABELS_VI, STATUSES
from indicators.progress.scorecard import scorecard
from indicators.store import gate
from tests.conftest import ROOT


def open_page(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def status_pills(at: AppTest) -> dict[str, int]:
    """The status strip: label -> count, read from the pills' own text."""
    for group in at.get("button_group"):
        texts = [o.content for o in group.proto.options]
        if any(STATUS_LABELS_VI["off_track"] in t for t in texts):
            return {t.rsplit(": ", 1)[0].lstrip("✔▲◆▼○ "): int(t.rsplit(": ", 1)[1]) for t in texts}
    raise AssertionError("no status strip on the page")


def test_counts_match_the_scorecard_cells(seeded_db):
    at = open_page("overview.py")  # whole country, provinces shown
    counts = status_pills(at)
    table = at.dataframe[0].value
    cells = [v for col in table.columns if col != "locality" for v in table[col] if isinstance(v, str) and v]
    marks = {"Đã đạt": "✔", "Đúng tiến độ": "▲", "Cần tăng tốc": "◆", "Chệch hướng": "▼", "Chưa đủ số liệu": "○"}
    for label, n in counts.items():
        assert sum(c.startswith(marks[label]) for c in cells) == n, label
    with gate.reading(seeded_db) as con:
        expected = scorecard(con, "country", None, 2030)
    expected = expected[expected["locality_code"].str.len() == 2]
    assert sum(counts.values()) == len(expected) == len(cells)
    assert {STATUS_LABELS_VI[s]: int((expected["status"] == s).sum()) for s in STATUSES} == counts


def test_status_filter_keeps_only_those_cells(seeded_db):
    at = open_page("overview.py", status="off_track")
    table = at.dataframe[0].value
    cells = [v for col in table.columns if col != "locality" for v in table[col] if isinstance(v, str) and v]
    assert cells and all(c.startswith("▼") for c in cells)


def test_falling_mortality_shows_an_improving_arrow(seeded_db):
    at = open_page("overview.py")
    table = at.dataframe[0].value.set_index("locality")
    infant = table.loc["Tỉnh Lai Châu (12)", "infant_mortality"]   # 28,8‰ (2024) -> 28,6‰ (2025)
    assert "28,6‰" in infant and infant.endswith("⬆")
    under5 = table.loc["Tỉnh Lai Châu (12)", "under5_mortality"]   # 43,9‰ -> 44,1‰: worse
    assert under5.endswith("⬇")
    assert any("⬆ tốt lên" in c.value for c in at.caption)


@pytest.fixture
def communes_reported(seeded_db):
    """Three Hà Nội communes report BHYT with numerator and denominator: very different sizes, so
    the ratio of sums (the province value) differs from the mean of their percentages."""
    with gate.writing(seeded_db) as con:
        return _report_communes(con)


def _report_communes(con):
    upload = con.execute("insert into upload (file_name, sha256, user_name) values ('xa.xlsx', 'abc', 'canbo') "
                         "returning upload_id").fetchone()[0]
    codes = [r[0] for r in con.execute("select locality_code from locality where parent_code = '01' "
                                       "order by locality_code limit 3").fetchall()]
    for code, num, den in zip(codes, (9_000, 45_000, 1_000), (10_000, 50_000, 2_000)):
        con.execute("insert into observation values ($l, 'bhyt_coverage', '2025', 2025, $v, $n, $d, null, $u)",
                    {"l": code, "v": 100 * num / den, "n": num, "d": den, "u": upload})
    return codes


def test_province_value_from_communes_states_completeness(communes_reported):
    at = open_page("overview.py", scope="province", province="01")
    rollups = [d.value for d in at.dataframe if "Số xã báo cáo" in d.value.columns]
    assert rollups, "no province roll-up table"
    row = rollups[0].set_index("Chỉ tiêu").loc["Tỷ lệ dân số tham gia bảo hiểm y tế"]
    assert row["Số xã báo cáo"] == "3 / 126 xã"
    # (9.000 + 45.000 + 1.000) / (10.000 + 50.000 + 2.000) = 88,7%; the mean of 90, 90 and 50 would be 76,7%.
    assert row["Giá trị tỉnh"] == "88,7%"
    page_text = "\n".join(str(d.value.to_dict()) for d in at.dataframe) + "\n".join(m.value for m in at.markdown)
    assert "76,7" not in page_text
    assert any("không lấy trung bình các tỷ lệ" in c.value for c in at.caption)


def test_completeness_lists_who_did_not_report(seeded_db):
    at = open_page("overview.py", scope="province", province="01")
    comp = next(d.value for d in at.dataframe if "Đã báo cáo" in d.value.columns)
    assert {"Chỉ tiêu", "Kỳ", "Đã báo cáo", "Chưa báo cáo"} <= set(comp.columns)
    assert comp["Chưa báo cáo"].sum() > 0   # Hưng Đạo has targets it never reported (healthy life years)
    missing = next(d.value for d in at.dataframe if "Kỳ báo cáo gần nhất" in d.value.columns)
    assert list(missing.columns) == ["Mã", "Địa phương", "Cấp", "Kỳ cần báo cáo", "Kỳ báo cáo gần nhất"]
    assert "09931" in set(missing["Mã"])
    shown = missing.astype(str).to_numpy().ravel().tolist()
    assert not any(v in ("None", "nan", "commune", "province") for v in shown), shown


def test_scope_and_year_live_in_the_url(seeded_db):
    at = open_page("overview.py", scope="communes", province="01", year="2035")
    assert at.query_params["scope"] == "communes" and at.query_params["province"] == "01"
    assert at.query_params["year"] == "2035"
    table = at.dataframe[0].value
    assert table["locality"].tolist() == ["Xã Hưng Đạo (09931)"]  # the only Hà Nội commune with a plan


def test_indicator_page_ranks_and_offers_downloads(seeded_db):
    at = open_page("indicator.py", indicator="bhyt_coverage")
    assert at.selectbox(key="ind_code").value == "bhyt_coverage"
    table = next(d.value for d in at.dataframe if "Hạng" in d.value.columns)
    assert set(table["Mã"]) == {"12", "01", "09931"}
    assert table["Hạng"].tolist()[0] == 1 and table.iloc[0]["Mã"] == "12"   # 95% is the highest
    assert [b.label for b in at.get("download_button")] == ["Tải Excel", "Tải CSV"] or len(at.get("download_button")) == 2
    assert len(at.get("plotly_chart")) == 2
