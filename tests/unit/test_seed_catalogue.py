"""The seed catalogue (data/seed/*.csv) against the clean transcription in
/work/shared/reference/targets.md.

Reads the CSVs with the csv module only: no database, no other project module.
The expected tables below are transcribed by hand from targets.md.
"""
from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "data" / "seed"

HEADERS = {
    "indicators.csv": "indicator_code,name_vi,name_en,unit,value_kind,direction,"
                      "min_value,max_value,decimals,indicator_group",
    "plans.csv": "plan_code,number,issuer,issued_on,title,locality_code,start_year,end_year,source_file",
    "targets.csv": "plan_code,locality_code,indicator_code,target_year,comparator,target_value,"
                   "is_every_year,target_text,clause,year_note",
    "baselines.csv": "locality_code,indicator_code,baseline_year,baseline_value,plan_code,source",
}


def read(name: str) -> list[dict[str, str]]:
    with open(SEED / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


INDICATORS = read("indicators.csv")
PLANS = read("plans.csv")
TARGETS = read("targets.csv")
BASELINES = read("baselines.csv")

# --- targets.md, "Indicators named by the plans": code, unit, better when -----------------
EXPECTED_INDICATORS = [
    ("bhyt_coverage", "%", "higher"),
    ("doctors_per_10k", "bác sĩ/10.000 dân", "higher"),
    ("life_expectancy", "năm", "higher"),
    ("healthy_life_years", "năm", "higher"),
    ("epi_vaccination", "%", "higher"),
    ("commune_health_criteria", "%", "higher"),
    ("commune_station_standard", "đạt/không đạt", "higher"),
    ("station_with_doctor", "%", "higher"),
    ("village_health_worker", "%", "higher"),
    ("village_collaborator", "%", "higher"),
    ("primary_care_bhyt", "%", "higher"),
    ("health_managed", "%", "higher"),
    ("high_risk_checked", "%", "higher"),
    ("ehr_coverage", "%", "higher"),
    ("emr_hospitals", "%", "higher"),
    ("private_beds_share", "%", "higher"),
    ("bhyt_visits_growth", "%", "higher"),
    ("doctors_added", "người", "higher"),
    ("epidemic_response", "%", "higher"),
    ("food_business_inspected", "%", "higher"),
    ("children_health_managed", "%", "higher"),
    ("students_fitness_checked", "%", "higher"),
    ("health_info_access", "%", "higher"),
    ("under5_malnutrition", "%", "lower"),
    ("under5_stunting", "%", "lower"),
    ("infant_mortality", "‰", "lower"),
    ("under5_mortality", "‰", "lower"),
]

# --- targets.md, per locality: (locality, plan, indicator, year, comparator, value) ---------
# value None = qualitative (no number in the document).
EXPECTED_TARGETS = [
    # Tỉnh Lai Châu (12), Kế hoạch 243/KH-SYT: table II.1.3 (row 3 lost in OCR) ...
    ("12", "LC-243-2025", "doctors_per_10k", 2030, "≥", 13.5),
    ("12", "LC-243-2025", "commune_health_criteria", 2030, "=", 92.11),
    ("12", "LC-243-2025", "bhyt_coverage", 2030, "=", 96),
    ("12", "LC-243-2025", "life_expectancy", 2030, "=", 70),
    # ... and elsewhere in the plan
    ("12", "LC-243-2025", "under5_stunting", 2030, "<", 17),
    ("12", "LC-243-2025", "infant_mortality", 2030, "<", 20),
    ("12", "LC-243-2025", "under5_mortality", 2030, "<", 30),
    ("12", "LC-243-2025", "station_with_doctor", 2030, "=", 100),
    ("12", "LC-243-2025", "high_risk_checked", 2030, "=", 100),
    # Hà Nội (01), Kế hoạch 239/KH-UBND, all by 2030
    ("01", "HN-239-2024", "station_with_doctor", 2030, "=", 100),
    ("01", "HN-239-2024", "village_health_worker", 2030, "=", 100),
    ("01", "HN-239-2024", "commune_health_criteria", 2030, "=", 100),
    ("01", "HN-239-2024", "bhyt_coverage", 2030, ">", 95),
    ("01", "HN-239-2024", "primary_care_bhyt", 2030, ">", 95),
    ("01", "HN-239-2024", "health_managed", 2030, ">", 95),  # II.2 prints "Trên 100%" (typo)
    ("01", "HN-239-2024", "high_risk_checked", 2030, "=", 100),
    # Hà Nội (01), Kế hoạch 71/KH-UBND
    ("01", "HN-71-2026", "private_beds_share", 2030, "≥", 25),
    ("01", "HN-71-2026", "bhyt_coverage", 2030, "=", 100),  # no year written
    # Hà Nội (01), Kế hoạch 27/5/2025
    ("01", "HN-CM-2025", "emr_hospitals", 2030, "=", 100),
    # Xã Hưng Đạo (09931)
    ("09931", "HD-12-2026", "bhyt_coverage", 2026, "≥", 95),
    ("09931", "HD-12-2026", "bhyt_coverage", 2030, "=", 100),
    ("09931", "HD-12-2026", "bhyt_coverage", 2035, "=", 100),
    ("09931", "HD-12-2026", "bhyt_coverage", 2045, "=", 100),
    ("09931", "HD-12-2026", "ehr_coverage", 2030, "=", 100),
    ("09931", "HD-12-2026", "ehr_coverage", 2035, "=", 100),
    ("09931", "HD-12-2026", "commune_station_standard", 2030, "=", 1),
    ("09931", "HD-12-2026", "doctors_added", 2030, "≥", 2),
    ("09931", "HD-12-2026", "bhyt_visits_growth", 2026, "≥", 20),
    ("09931", "HD-12-2026", "bhyt_visits_growth", 2030, "≥", 20),
    ("09931", "HD-12-2026", "epi_vaccination", 2026, "≥", 95),
    ("09931", "HD-12-2026", "epi_vaccination", 2030, "≥", 95),
    ("09931", "HD-12-2026", "epidemic_response", 2026, "=", 100),
    ("09931", "HD-12-2026", "epidemic_response", 2030, "=", 100),
    ("09931", "HD-12-2026", "food_business_inspected", 2026, "=", 100),
    ("09931", "HD-12-2026", "food_business_inspected", 2030, "=", 100),
    ("09931", "HD-12-2026", "life_expectancy", 2030, ">", 77),
    ("09931", "HD-12-2026", "healthy_life_years", 2030, "≥", 68),
    ("09931", "HD-12-2026", "children_health_managed", 2030, "=", 100),
    ("09931", "HD-12-2026", "students_fitness_checked", 2030, "=", 100),
    ("09931", "HD-12-2026", "village_collaborator", 2030, "=", 100),
    ("09931", "HD-12-2026", "under5_malnutrition", 2030, None, None),
    ("09931", "HD-12-2026", "health_info_access", 2045, ">", 98),
]

EVERY_YEAR = {("HD-12-2026", "bhyt_visits_growth", 2026), ("HD-12-2026", "bhyt_visits_growth", 2030)}

# --- the only baselines in the documents: Lai Châu, "Chỉ tiêu đầu vào" -------------------
EXPECTED_BASELINES = [
    ("12", "doctors_per_10k", 2025, 13.1),
    ("12", "commune_health_criteria", 2025, 78.95),
    ("12", "bhyt_coverage", 2025, 95),
    ("12", "life_expectancy", 2025, 68.5),
]

EXPECTED_PLANS = {  # plan_code -> (locality, number, issued_on)
    "LC-243-2025": ("12", "243/KH-SYT", "2025-11-27"),
    "HN-239-2024": ("01", "239/KH-UBND", "2024-08-08"),
    "HN-71-2026": ("01", "71/KH-UBND", "2026-02-26"),
    "HN-CM-2025": ("01", None, "2025-05-27"),  # the document carries no number
    "HD-12-2026": ("09931", None, ""),  # "ngày tháng năm 2026": date left blank
}

VALUE_KINDS = {"percent", "percent_change", "per_1000", "per_10000", "years", "count", "yes_no"}
COMPARATORS = {"≥", ">", "<", "≤", "="}


def target_key(row):
    return (row["plan_code"], row["locality_code"], row["indicator_code"], int(row["target_year"]))


TARGETS_BY_KEY = {target_key(r): r for r in TARGETS}


# ------------------------------------------------------------------------------ headers
@pytest.mark.parametrize("name", sorted(HEADERS))
def test_header_exact(name):
    with open(SEED / name, encoding="utf-8", newline="") as f:
        first = f.readline().rstrip("\r\n")
    assert first == HEADERS[name]
    assert not first.startswith("\ufeff")


# ------------------------------------------------------------------------------ indicators
def test_indicator_codes_exactly_as_targets_md():
    codes = [r["indicator_code"] for r in INDICATORS]
    assert len(codes) == len(set(codes)) == 27
    assert set(codes) == {c for c, _, _ in EXPECTED_INDICATORS}


@pytest.mark.parametrize("code,unit,direction", EXPECTED_INDICATORS)
def test_indicator_row(code, unit, direction):
    row = next(r for r in INDICATORS if r["indicator_code"] == code)
    assert row["unit"] == unit
    assert row["direction"] == direction
    assert row["value_kind"] in VALUE_KINDS
    assert row["name_vi"] and row["name_en"] and row["indicator_group"]
    lo, hi = float(row["min_value"]), float(row["max_value"])
    assert lo < hi
    assert int(row["decimals"]) >= 0
    kind = row["value_kind"]
    if kind == "percent":
        assert (lo, hi) == (0, 100)
    if kind == "yes_no":
        assert (lo, hi, int(row["decimals"])) == (0, 1, 0)


def test_indicator_groups_5_to_7():
    assert 5 <= len({r["indicator_group"] for r in INDICATORS}) <= 7


def test_decimals_show_the_documents_values():
    dec = {r["indicator_code"]: int(r["decimals"]) for r in INDICATORS}
    for r in TARGETS + BASELINES:
        v = r.get("target_value", r.get("baseline_value"))
        if v:
            places = -Decimal(v).normalize().as_tuple().exponent
            assert max(places, 0) <= dec[r["indicator_code"]], r


def test_targets_within_indicator_range():
    rng = {r["indicator_code"]: (float(r["min_value"]), float(r["max_value"])) for r in INDICATORS}
    for r in TARGETS:
        if r["target_value"]:
            lo, hi = rng[r["indicator_code"]]
            assert lo <= float(r["target_value"]) <= hi, r
    for r in BASELINES:
        lo, hi = rng[r["indicator_code"]]
        assert lo <= float(r["baseline_value"]) <= hi, r


# ------------------------------------------------------------------------------ plans
def test_plans_exactly():
    assert sorted(r["plan_code"] for r in PLANS) == sorted(EXPECTED_PLANS)


@pytest.mark.parametrize("code", sorted(EXPECTED_PLANS))
def test_plan_row(code):
    row = next(r for r in PLANS if r["plan_code"] == code)
    loc, number, issued_on = EXPECTED_PLANS[code]
    assert row["locality_code"] == loc
    if number is not None:
        assert row["number"] == number
    assert row["issued_on"] == issued_on
    assert row["issuer"] and row["title"]
    assert int(row["start_year"]) <= int(row["end_year"])
    assert row["source_file"].endswith(".txt")


def test_plan_periods():
    years = {r["plan_code"]: (int(r["start_year"]), int(r["end_year"])) for r in PLANS}
    assert years["LC-243-2025"] == (2026, 2030)
    assert years["HD-12-2026"] == (2026, 2045)
    for r in TARGETS:
        lo, hi = years[r["plan_code"]]
        assert lo <= int(r["target_year"]) <= hi, r


# ------------------------------------------------------------------------------ targets
@pytest.mark.parametrize("loc,plan,ind,year,comp,value", EXPECTED_TARGETS,
                         ids=[f"{p}-{i}-{y}" for _, p, i, y, _, _ in EXPECTED_TARGETS])
def test_target_from_targets_md(loc, plan, ind, year, comp, value):
    row = TARGETS_BY_KEY.get((plan, loc, ind, year))
    assert row is not None, f"missing target {plan} {loc} {ind} {year}"
    if value is None:
        assert row["target_value"] == ""
        assert row["comparator"] == ""
    else:
        assert row["comparator"] == comp
        assert float(row["target_value"]) == pytest.approx(value)
    assert row["target_text"].strip() and row["clause"].strip()
    assert row["is_every_year"] == ("true" if (plan, ind, year) in EVERY_YEAR else "false")


def test_no_target_beyond_targets_md():
    expected = {(p, l, i, y) for l, p, i, y, _, _ in EXPECTED_TARGETS}
    assert set(TARGETS_BY_KEY) == expected
    assert len(TARGETS) == 42


def test_no_duplicate_target_key():
    dupes = [k for k, n in Counter(target_key(r) for r in TARGETS).items() if n > 1]
    assert not dupes


def test_target_value_empty_exactly_for_qualitative():
    qualitative = {(p, l, i, y) for l, p, i, y, _, v in EXPECTED_TARGETS if v is None}
    for r in TARGETS:
        empty = r["target_value"] == ""
        assert empty == (target_key(r) in qualitative), r
        if not empty:
            assert "," not in r["target_value"]  # decimal point, not comma
            float(r["target_value"])
            assert r["comparator"] in COMPARATORS
        else:
            assert r["comparator"] == ""


def test_is_every_year_is_boolean_text():
    assert {r["is_every_year"] for r in TARGETS} <= {"true", "false"}


def test_yes_no_targets_are_equal_one():
    kinds = {r["indicator_code"]: r["value_kind"] for r in INDICATORS}
    for r in TARGETS:
        if kinds[r["indicator_code"]] == "yes_no":
            assert (r["comparator"], float(r["target_value"])) == ("=", 1)


def test_free_health_check_task_is_not_a_target():
    # 71/KH-UBND task 4.6 (free check once a year) is a task without an indicator value.
    assert [r for r in TARGETS if r["plan_code"] == "HN-71-2026"
            and r["indicator_code"] not in {"private_beds_share", "bhyt_coverage"}] == []


def test_inferred_years_and_typo_are_noted():
    note = {(r["plan_code"], r["indicator_code"], int(r["target_year"])): r["year_note"] for r in TARGETS}
    assert "không ghi năm" in note[("HN-71-2026", "bhyt_coverage", 2030)]
    assert "không ghi năm" in note[("HN-CM-2025", "emr_hospitals", 2030)]
    assert "không ghi năm" in note[("LC-243-2025", "station_with_doctor", 2030)]
    assert "100%" in note[("HN-239-2024", "health_managed", 2030)]
    assert "95%" in note[("HN-239-2024", "health_managed", 2030)]


# ------------------------------------------------------------------------------ baselines
@pytest.mark.parametrize("loc,ind,year,value", EXPECTED_BASELINES)
def test_baseline(loc, ind, year, value):
    rows = [r for r in BASELINES if (r["locality_code"], r["indicator_code"], int(r["baseline_year"]))
            == (loc, ind, year)]
    assert len(rows) == 1
    assert float(rows[0]["baseline_value"]) == pytest.approx(value)
    assert rows[0]["plan_code"] == "LC-243-2025"
    assert rows[0]["source"].strip()


def test_no_other_baseline():
    got = {(r["locality_code"], r["indicator_code"], int(r["baseline_year"])) for r in BASELINES}
    assert got == {(l, i, y) for l, i, y, _ in EXPECTED_BASELINES}
    assert len(BASELINES) == 4


# ------------------------------------------------------------------------------ integrity
def test_references_exist():
    indicators = {r["indicator_code"] for r in INDICATORS}
    plans = {r["plan_code"]: r["locality_code"] for r in PLANS}
    for r in TARGETS:
        assert r["indicator_code"] in indicators, r
        assert r["plan_code"] in plans, r
        assert r["locality_code"] == plans[r["plan_code"]], r
    for r in BASELINES:
        assert r["indicator_code"] in indicators, r
        assert r["plan_code"] in plans, r


def test_codes_keep_leading_zeros():
    locs = {r["locality_code"] for r in PLANS} | {r["locality_code"] for r in TARGETS} \
        | {r["locality_code"] for r in BASELINES}
    assert locs == {"01", "12", "09931"}
    raw = (SEED / "targets.csv").read_text(encoding="utf-8")
    assert ",09931," in raw and ",01," in raw


def test_dates_iso_or_empty():
    import datetime as dt
    for r in PLANS:
        if r["issued_on"]:
            dt.date.fromisoformat(r["issued_on"])
