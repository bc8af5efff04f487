"""indicators.present.slides: what each slide says, and the three presentation orders.

Pure cases use literal status rows; the orders are also checked on the seeded database
against the `target` table itself.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from indicators.present import slides as sl
from indicators.progress.statuses import STATUSES
from indicators.progress.locality import LocalityProgress
from indicators.store.connection import connect


def row(**over) -> dict:
    """A status row as indicators.progress.locality makes it (Lai Châu, infant mortality, hand-written)."""
    base = {
        "locality_code": "12", "indicator_code": "infant_mortality", "plan_code": "LC-243-2025",
        "indicator_name": "Tỷ suất tử vong trẻ em dưới 1 tuổi", "indicator_group": "Bà mẹ – trẻ em",
        "unit": "‰", "decimals": 1, "value_kind": "per_1000", "direction": "lower",
        "status": "needs_acceleration", "baseline_value": 30.1, "baseline_year": 2020,
        "baseline_source": "reported", "latest_value": 28.6, "latest_period": "2025",
        "target_value": 20.0, "target_comparator": "<", "target_year": 2030, "target_text": "dưới 20‰",
        "projected_value": 27.15, "required_annual_change": -1.72, "progress_share": 0.149,
        "is_every_year": False, "is_qualitative": False, "yearly": [],
        "plan_number": "243/KH-SYT", "plan_issued_on": "2025-11-27", "plan_issuer": "Sở Y tế tỉnh Lai Châu",
        "clause": "Mục II.2.2", "latest_is_illustrative": True, "has_illustrative": True,
    }
    return {**base, **over}


NO_OBS = pd.DataFrame({"indicator_code": [], "period": [], "period_time": [], "value": []})
NO_MILESTONES = pd.DataFrame({"plan_code": [], "indicator_code": [], "target_year": [],
                              "comparator": [], "target_value": []})


@pytest.fixture(scope="module")
def con(seeded_db_template):
    c = connect(seeded_db_template, read_only=True)
    yield c
    c.close()


# ------------------------------------------------------------------ texts

@pytest.mark.parametrize("over, expected", [
    ({}, "Kế hoạch 243/KH-SYT ngày 27/11/2025 của Sở Y tế tỉnh Lai Châu – Mục II.2.2"),
    ({"plan_number": "/KH-UBND", "plan_issuer": "UBND xã Hưng Đạo", "plan_issued_on": None},
     "Kế hoạch …/KH-UBND của UBND xã Hưng Đạo – Mục II.2.2"),
    # A plan known by its date only: neither "Kế hoạch" nor the date twice.
    ({"plan_number": "Kế hoạch ngày 27/5/2025", "plan_issued_on": "2025-05-27", "clause": None},
     "Kế hoạch ngày 27/5/2025 của Sở Y tế tỉnh Lai Châu"),
    ({"plan_number": None, "plan_issuer": None, "clause": None, "plan_issued_on": None},
     "Kế hoạch (không số)"),
])
def test_plan_citation(over, expected):
    assert sl.plan_citation(row(**over)) == expected


@pytest.mark.parametrize("over, latest, target, date", [
    ({}, "28,6‰ (2025)", "< 20‰", "Số liệu đến: 2025"),
    ({"latest_value": 13.1, "latest_period": "2025-Q1", "unit": "bác sĩ/10.000 dân",
      "target_value": 13.5, "target_comparator": "≥"},
     "13,1 bác sĩ/10.000 dân (Quý I/2025)", "≥ 13,5 bác sĩ/10.000 dân", "Số liệu đến: Quý I/2025"),
    ({"latest_value": None, "latest_period": None, "target_value": None, "target_comparator": None,
      "target_text": "Giảm suy dinh dưỡng theo chuẩn quốc gia"},
     "Chưa có số liệu báo cáo", "Giảm suy dinh dưỡng theo chuẩn quốc gia",
     "Số liệu đến: chưa có số liệu báo cáo"),
    ({"value_kind": "yes_no", "unit": "đạt/không đạt", "latest_value": 1.0, "target_value": 1.0,
      "target_comparator": "="}, "Đạt (2025)", "Đạt chuẩn", "Số liệu đến: 2025"),
])
def test_latest_target_and_date(over, latest, target, date):
    r = row(**over)
    assert (sl.latest_text(r), sl.target_text(r), sl.data_date(r)) == (latest, target, date)


def test_facts_give_every_figure_in_decimal_comma():
    lines = sl.facts(row())
    assert lines == [
        "Trạng thái: ◆ Cần tăng tốc",
        "Đầu vào 2020: 30,1‰ (kế hoạch không ghi; lấy số báo cáo sớm nhất)",
        "Mới nhất: 28,6‰ (2025) – dữ liệu minh họa",
        "Mục tiêu 2030: < 20‰",
        "Dự báo 2030: 27,2‰",
        "Cần thay đổi mỗi năm: −1,7‰/năm",
        "Đã đi được 15% chặng đường",
    ]


@pytest.mark.parametrize("over, present, absent", [
    # Achieved: no required change, no "distance travelled".
    ({"status": "achieved"}, ["Trạng thái: ✔ Đã đạt"], ["Cần thay đổi", "Đã đi được"]),
    # Every-year targets are judged year by year, without projection.
    ({"is_every_year": True, "yearly": [[2024, 96.0, True], [2025, 94.5, False]], "unit": "%",
      "target_comparator": "≥", "target_value": 95.0},
     ["Mục tiêu 2030 (mỗi năm): ≥ 95%", "Từng năm: 2024: 96% ✔ · 2025: 94,5% ✘"], ["Dự báo", "Cần thay đổi"]),
    ({"progress_share": -0.08}, ["Lùi 8% so với đầu vào"], ["Đã đi được"]),
    ({"latest_is_illustrative": False}, ["Mới nhất: 28,6‰ (2025)"], ["minh họa"]),
])
def test_facts_cases(over, present, absent):
    text = "\n".join(sl.facts(row(**over)))
    for p in present:
        assert p in text
    for a in absent:
        assert a not in text


@pytest.mark.parametrize("illustrative", [True, False])
def test_slide_has_the_notice_only_with_illustrative_values(illustrative):
    s = sl.make_slide(row(has_illustrative=illustrative, latest_is_illustrative=illustrative),
                      NO_OBS, NO_MILESTONES, "Tỉnh Lai Châu")
    assert (s["notice"] == sl.ILLUSTRATIVE_NOTICE) is illustrative
    assert (sl.ILLUSTRATIVE_NOTICE in s["notes"]) is illustrative
    assert "**" not in sl.ILLUSTRATIVE_NOTICE and sl.ILLUSTRATIVE_NOTICE.startswith("Dữ liệu minh họa")
    assert s["title"] == "Tỷ suất tử vong trẻ em dưới 1 tuổi"
    assert s["subtitle"] == "Tỉnh Lai Châu · Bà mẹ – trẻ em"
    assert (s["status_label"], s["status_mark"]) == ("Cần tăng tốc", "◆")
    assert "Đầu vào 2020: 30,1‰" in s["notes"] and "Nguồn: Kế hoạch 243/KH-SYT" in s["notes"]


def test_chart_inputs_keep_the_rows_indicator_plan_and_years():
    obs = pd.DataFrame({"indicator_code": ["infant_mortality", "other", "infant_mortality"],
                        "period": ["2024", "2024", "2025"], "period_time": [2024.0, 2024.0, 2025.0],
                        "value": [29.0, 1.0, 28.6]})
    ms = pd.DataFrame({"plan_code": ["LC-243-2025", "LC-243-2025", "OTHER", "LC-243-2025"],
                       "indicator_code": ["infant_mortality"] * 3 + ["other"],
                       "target_year": [2030, 2035, 2030, 2030], "comparator": ["<"] * 4,
                       "target_value": [20.0, 15.0, 18.0, 1.0]})
    o, m = sl.chart_inputs(row(), obs, ms)
    assert o["value"].tolist() == [29.0, 28.6]
    assert m[["plan_code", "target_year"]].values.tolist() == [["LC-243-2025", 2030]]


# ------------------------------------------------------------------ orders (pure)

def fake_progress(statuses: list[str]) -> LocalityProgress:
    rows = [row(indicator_code=f"ind{i}", indicator_name=f"Chỉ tiêu {i}", status=s)
            for i, s in enumerate(statuses)]
    return LocalityProgress("12", 2030, rows, NO_OBS, NO_MILESTONES, has_illustrative=True)


@pytest.mark.parametrize("statuses, order, expected", [
    (["on_track", "off_track", "achieved", "needs_acceleration", "off_track"], "indicator",
     ["on_track", "off_track", "achieved", "needs_acceleration", "off_track"]),
    (["on_track", "off_track", "achieved", "needs_acceleration", "off_track", "no_data"], "offtrack",
     ["off_track", "off_track", "needs_acceleration", "no_data", "on_track", "achieved"]),
])
def test_locality_orders(statuses, order, expected):
    slides = sl.slides_of_locality(fake_progress(statuses), "Tỉnh Lai Châu", order)
    assert [s["status"] for s in slides] == expected


def test_offtrack_order_is_stable_within_a_status():
    slides = sl.slides_of_locality(fake_progress(["off_track", "on_track", "off_track"]), "X", "offtrack")
    assert [s["row"]["indicator_code"] for s in slides] == ["ind0", "ind2", "ind1"]


def test_needing_action_keeps_only_off_track_then_needs_acceleration():
    slides = sl.slides_of_locality(
        fake_progress(["needs_acceleration", "achieved", "off_track", "no_data", "needs_acceleration"]), "X")
    assert [s["row"]["indicator_code"] for s in sl.needing_action(slides)] == ["ind2", "ind0", "ind4"]


def test_unknown_order_is_refused():
    with pytest.raises(ValueError, match="indicator"):
        sl.slides_of_locality(fake_progress(["on_track"]), "X", "alphabetical")


def test_status_counts_and_latest_date():
    rows = [row(status="off_track", latest_period="2024"), row(status="off_track", latest_period="2025-Q1"),
            row(status="achieved", latest_period="2024-12"), row(latest_period=None)]
    assert sl.status_counts(rows) == {"achieved": 1, "on_track": 0, "needs_acceleration": 1,
                                      "off_track": 2, "no_data": 0}
    assert sl.latest_data_date(rows) == "Quý I/2025"
    assert sl.latest_data_date([row(latest_period=None)]) is None


# ------------------------------------------------------------------ on the seeded database

def test_locality_slides_of_lai_chau(con):
    slides = sl.locality_slides(con, "12")
    n_targets = con.execute("select count(*) from target where locality_code = '12' and target_year = 2030"
                            ).fetchone()[0]
    assert len(slides) == n_targets == 9
    assert len({s["key"] for s in slides}) == len(slides)
    doctors = next(s for s in slides if s["row"]["indicator_code"] == "doctors_per_10k")
    assert doctors["title"] == "Số bác sĩ trên 10.000 dân"
    assert doctors["subtitle"] == "Tỉnh Lai Châu · Nhân lực y tế"
    assert doctors["target_text"] == "≥ 13,5 bác sĩ/10.000 dân"
    assert doctors["citation"].startswith("Kế hoạch 243/KH-SYT ngày ")
    assert "Mục II.1.3" in doctors["citation"]
    assert doctors["notice"] == sl.ILLUSTRATIVE_NOTICE   # the seeded values are illustrative
    for s in slides:
        assert len(s["observations"]) and set(s["observations"]["indicator_code"]) == {s["row"]["indicator_code"]}
        # No English decimal point in the figures (thousands dots like 10.000 are fine).
        assert not re.search(r"\d\.\d{1,2}(?!\d)", "\n".join(s["facts"])), s["facts"]


def test_slide_figure_uses_vietnamese_separators(con):
    fig = sl.slide_figure(sl.locality_slides(con, "12")[0])
    assert fig.layout.separators == ",." and fig.layout.showlegend is True


def test_indicator_slides_cover_the_localities_that_target_it(con):
    for code in ("bhyt_coverage", "doctors_per_10k"):
        expected = con.execute(
            "select locality_code, count(distinct plan_code) from target where indicator_code = $i "
            "group by all", {"i": code}).fetchall()
        slides = sl.indicator_slides(con, code)
        got = {}
        for s in slides:
            got[s["locality_code"]] = got.get(s["locality_code"], 0) + 1
            assert s["row"]["indicator_code"] == code
            assert s["title"] == s["locality_name"]
        assert got == dict(expected)
    bhyt = sl.indicator_slides(con, "bhyt_coverage")
    assert "Xã Hưng Đạo, Thành phố Hà Nội" in {s["title"] for s in bhyt}


@pytest.mark.parametrize("locality", [None, "12", "01"])
def test_attention_slides(con, locality):
    slides = sl.attention_slides(con, locality)
    codes = [locality] if locality else sl.localities_with_targets(con)
    rows = [s for c in codes for s in sl.locality_slides(con, c)]
    wanted = [s["key"] for s in rows if s["status"] in ("off_track", "needs_acceleration")]
    assert sorted(s["key"] for s in slides) == sorted(wanted)
    ranks = [("off_track", "needs_acceleration").index(s["status"]) for s in slides]
    assert ranks == sorted(ranks)
    assert slides, "the seeded data has off-track or needs-acceleration targets"


def test_slides_for_dispatches_and_refuses_unknown_orders(con):
    assert [s["key"] for s in sl.slides_for(con, "indicator", locality_code="12")] == \
        [s["key"] for s in sl.locality_slides(con, "12")]
    assert len(sl.slides_for(con, "locality", indicator_code="bhyt_coverage")) == \
        len(sl.indicator_slides(con, "bhyt_coverage"))
    assert set(sl.ORDERS) == {"indicator", "locality", "offtrack"}
    with pytest.raises(ValueError, match="không hợp lệ"):
        sl.slides_for(con, "random", locality_code="12")


def test_locality_name(con):
    assert sl.locality_name(con, "12") == "Tỉnh Lai Châu"
    assert sl.locality_name(con, "09931") == "Xã Hưng Đạo, Thành phố Hà Nội"
    assert sl.locality_name(con, "99") is None


def test_slides_in_attention_order_put_off_track_first():
    rows = [{"status": s} for s in STATUSES]
    ordered = sorted(rows, key=sl.attention_key)
    assert [r["status"] for r in ordered] == ["off_track", "needs_acceleration", "no_data", "on_track", "achieved"]
