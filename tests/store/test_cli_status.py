"""`python -m indicators status`: the plan's targets exactly as written, and a status for each."""
from __future__ import annotations

import json
import subprocess

import pytest

from indicators.progress.statuses import STATUSES
from indicators.progress.locality import STATUS_FIELDS
from tests.conftest import cli_in_process


def run_cli(*args: str, db) -> subprocess.CompletedProcess:
    return cli_in_process(db, *args)


def status_json(db, locality: str, *extra: str) -> list[dict]:
    out = run_cli("status", "--locality", locality, "--format", "json", *extra, db=db)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# Lai Châu, Kế hoạch 243/KH-SYT, table II.1.3: baseline ("đầu vào") and the 2026-2030 target.
LAI_CHAU_TABLE = [
    ("doctors_per_10k", 13.1, 2025, "≥", 13.5),
    ("commune_health_criteria", 78.95, 2025, "=", 92.11),
    ("bhyt_coverage", 95, 2025, "=", 96),
    ("life_expectancy", 68.5, 2025, "=", 70),
]


def test_lai_chau_json_gives_the_plans_targets(seeded_db):
    rows = status_json(seeded_db, "12")
    by_code = {r["indicator_code"]: r for r in rows}
    for code, base, base_year, comp, target in LAI_CHAU_TABLE:
        r = by_code[code]
        assert (r["baseline_value"], r["baseline_year"]) == (pytest.approx(base), base_year)
        assert (r["target_comparator"], r["target_value"], r["target_year"]) == (comp, pytest.approx(target), 2030)
        assert r["plan_number"] == "243/KH-SYT"
    assert (by_code["under5_stunting"]["target_comparator"], by_code["under5_stunting"]["target_value"]) == ("<", 17)
    assert (by_code["infant_mortality"]["target_comparator"], by_code["infant_mortality"]["target_value"]) == ("<", 20)
    assert (by_code["under5_mortality"]["target_comparator"], by_code["under5_mortality"]["target_value"]) == ("<", 30)
    assert by_code["infant_mortality"]["direction"] == "lower"
    for r in rows:
        assert list(r)[:len(STATUS_FIELDS)] == list(STATUS_FIELDS)
        assert r["status"] in STATUSES
        assert r["locality_code"] == "12"
    # The stunting and mortality targets have no baseline in the plan: rule 7 takes it from data.
    assert by_code["under5_stunting"]["baseline_source"] == "reported"
    assert by_code["doctors_per_10k"]["baseline_source"] == "document"


def test_year_selects_the_milestone(seeded_db):
    rows = {r["indicator_code"]: r for r in status_json(seeded_db, "09931", "--year", "2026")}
    assert (rows["bhyt_coverage"]["target_year"], rows["bhyt_coverage"]["target_comparator"],
            rows["bhyt_coverage"]["target_value"]) == (2026, "≥", 95)
    rows = {r["indicator_code"]: r for r in status_json(seeded_db, "09931")}
    assert (rows["bhyt_coverage"]["target_year"], rows["bhyt_coverage"]["target_value"]) == (2030, 100)
    assert rows["under5_malnutrition"]["target_value"] is None  # qualitative: text, no number
    assert "chuẩn quốc gia" in rows["under5_malnutrition"]["target_text"]


def test_table_uses_decimal_comma(seeded_db):
    out = run_cli("status", "--locality", "12", db=seeded_db)
    assert out.returncode == 0
    assert "≥ 13,5" in out.stdout and "78,95" in out.stdout and "13.5" not in out.stdout
    assert "MINH HỌA" in out.stdout


def test_unknown_locality_is_refused_in_vietnamese(seeded_db):
    out = run_cli("status", "--locality", "1", db=seeded_db)
    assert out.returncode != 0
    assert "Không có địa phương mã “1”" in out.stderr and "01" in out.stderr


def test_table_tells_apart_two_plans_setting_one_indicator(seeded_db):
    """Hà Nội's BHYT coverage: > 95% in 239/KH-UBND and 100% in 71/KH-UBND, one line each."""
    out = run_cli("status", "--locality", "01", db=seeded_db)
    lines = [line for line in out.stdout.splitlines() if line.startswith("bhyt_coverage")]
    assert len(lines) == 2
    assert "> 95%" in lines[0] and lines[0].rstrip().endswith("239/KH-UBND")
    assert "đạt 100%" in lines[1] and lines[1].rstrip().endswith("71/KH-UBND")
