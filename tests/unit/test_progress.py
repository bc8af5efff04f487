"""Tests for indicators.progress.method: hand-checked, table-style cases."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from indicators.progress.method import (Progress, _pick_baseline, evaluate, period_time, satisfies,
                                        weighted_projection)
from indicators.progress.statuses import STATUS_COLOURS, STATUS_LABELS, STATUS_LABELS_VI, STATUS_MARKS, STATUSES

STATUS_LABELS_EN = STATUS_LABELS["en"]

approx = pytest.approx


def ev(**kw):
    """evaluate() with defaults that most cases share: target year 2030, higher is better."""
    kw.setdefault("target_year", 2030)
    kw.setdefault("direction", 1)
    kw.setdefault("comparator", "≥")
    kw.setdefault("observations", [])
    return evaluate(**kw)


# ---------------------------------------------------------------- labels

def test_every_status_has_label_colour_and_mark():
    for table in (STATUS_LABELS_VI, STATUS_LABELS_EN, STATUS_COLOURS, STATUS_MARKS):
        assert set(table) == set(STATUSES)
    assert STATUS_LABELS_VI["no_data"] == "Chưa đủ số liệu"
    assert len(set(STATUS_MARKS.values())) == len(STATUSES)


# ---------------------------------------------------------------- time axis

@pytest.mark.parametrize("period, expected", [
    ("2024", 2024.0),
    ("2024-Q1", 2023.625),   # 2024 - 0.5 + 0.5/4
    ("2024-Q2", 2023.875),
    ("2024-Q3", 2024.125),
    ("2024-Q4", 2024.375),   # 2024 - 0.5 + 3.5/4
    ("2024-01", 2024 - 0.5 + 0.5 / 12),
    ("2024-06", 2024 - 0.5 + 5.5 / 12),
    ("2024-12", 2024 - 0.5 + 11.5 / 12),
])
def test_period_time(period, expected):
    assert period_time(period) == approx(expected)


@pytest.mark.parametrize("period", [
    "", "24", "2024Q1", "2024-Q0", "2024-Q5", "2024-q1", "2024-00", "2024-13",
    "2024-1", "2024/06", "2021-2025", "năm 2024",
])
def test_period_time_rejects_other_spellings(period):
    with pytest.raises(ValueError, match="period"):
        period_time(period)


# ---------------------------------------------------------------- comparators

@pytest.mark.parametrize("value, comparator, target, direction, expected", [
    (95, "≥", 95, 1, True),            # boundary: >= includes equality
    (95, ">", 95, 1, False),           # boundary: > 95 with 95 is NOT met
    (95.1, ">", 95, 1, True),
    (94.9, "≥", 95, 1, False),
    (0.1 + 0.2, "≤", 0.3, -1, True),   # 0.30000000000000004: float noise tolerated
    (95.00000000001, "≤", 95, -1, True),
    (94.99999999999, "≥", 95, 1, True),
    (20, "<", 20, -1, False),          # boundary: < 20 with 20 is NOT met
    (19.9, "<", 20, -1, True),
    (20, "≤", 20, -1, True),
    (20.1, "≤", 20, -1, False),
    (100, "=", 100, 1, True),          # "duy trì 100%"
    (99.9, "=", 100, 1, False),
    (100.5, "=", 100, 1, True),        # "=" is direction-aware: beyond the level is fine
    (92.0, "=", 92.11, -1, True),      # lower is better: at or below the level
    (92.2, "=", 92.11, -1, False),
])
def test_satisfies(value, comparator, target, direction, expected):
    assert satisfies(value, comparator, target, direction) is expected


def test_satisfies_unknown_comparator():
    with pytest.raises(ValueError):
        satisfies(1, ">=", 1, 1)


# ---------------------------------------------------------------- projection

@pytest.mark.parametrize("points, target_year, value_range, expected", [
    ([], 2030, None, None),
    ([(2024.0, 42.0)], 2030, None, 42.0),                        # one point: flat
    ([(2024.0, 10.0), (2024.0, 20.0)], 2030, None, 15.0),        # same time: weighted mean
    # Two points: the line passes through both whatever the weights.
    ([(2020.0, 50.0), (2025.0, 60.0)], 2030, None, 70.0),
    # Clamping: the line reaches 120 (slope 6/yr) and -20 (slope -6/yr).
    ([(2020.0, 60.0), (2025.0, 90.0)], 2030, (0, 100), 100.0),
    ([(2020.0, 60.0), (2025.0, 90.0)], 2030, None, 120.0),
    ([(2020.0, 40.0), (2025.0, 10.0)], 2030, (0, 100), 0.0),
    # Quarter midpoints: 2024-Q1 = 2023.625, 2024-Q3 = 2024.125 -> slope 2/yr;
    # P = 51 + 2 * (2026 - 2024.125) = 54.75 (54.0 if quarters started at .0/.5).
    ([(period_time("2024-Q1"), 50.0), (period_time("2024-Q3"), 51.0)], 2026, None, 54.75),
    # Weighted fit, by hand (x = year - 2020, T = 10, w = 10 / (10 - x)):
    #   x = 0, 5, 8; y = 50, 50, 80; w = 1, 2, 5; sum w = 8
    #   x̄ = 50/8 = 6.25; ȳ = 550/8 = 68.75
    #   Sxx = 39.0625 + 2*1.5625 + 5*3.0625 = 57.5
    #   Sxy = (-6.25)(-18.75) + 2(-1.25)(-18.75) + 5(1.75)(11.25) = 262.5
    #   P = 68.75 + 262.5/57.5 * 3.75 = 85.8695652...
    ([(2020.0, 50.0), (2025.0, 50.0), (2028.0, 80.0)], 2030, None, 68.75 + 262.5 / 57.5 * 3.75),
])
def test_weighted_projection(points, target_year, value_range, expected):
    got = weighted_projection(points, target_year, value_range)
    if expected is None:
        assert got is None
    else:
        assert got == approx(expected)


def test_points_at_or_after_target_year_do_not_divide_by_zero():
    # The points at 2030 and 2031 get the weight of a point at 2029.75.
    got = weighted_projection([(2020.0, 10.0), (2030.0, 20.0), (2031.0, 21.0)], 2030)
    assert math.isfinite(got)
    assert 10.0 < got < 21.0


def test_weights_only_matter_relatively_and_order_does_not_matter():
    pts = [(2020.0, 50.0), (2025.0, 50.0), (2028.0, 80.0)]
    assert weighted_projection(list(reversed(pts)), 2030) == approx(weighted_projection(pts, 2030))


# ---------------------------------------------------------------- evaluate: status table

CASES = [
    # id, kwargs, expected status, expected projected value (None = not checked / None)
    ("higher-better needs acceleration: 50 -> 60, target >= 80; P = 70, r = 20/30",
     dict(target_value=80, baseline=(2020.0, 50.0), observations=[(2025.0, 60.0)]),
     "needs_acceleration", 70.0),
    ("lower-better on track: IMR 25 -> 21, target < 20; P = 21 - 6 = 15, r = -10/-5 = 2",
     dict(target_value=20, comparator="<", direction=-1,
          baseline=(2020.0, 25.0), observations=[(2024.0, 21.0)]),
     "on_track", 15.0),
    ("lower-better off track: IMR 25 -> 27, target < 20; P = 30, r = 5/-5 = -1",
     dict(target_value=20, comparator="<", direction=-1,
          baseline=(2020.0, 25.0), observations=[(2024.0, 27.0)]),
     "off_track", 30.0),
    ("lower-better achieved with <=: 20 <= 20",
     dict(target_value=20, comparator="≤", direction=-1,
          baseline=(2020.0, 25.0), observations=[(2024.0, 20.0)]),
     "achieved", None),
    ("lower-better not achieved with <: 20 < 20 fails; P = 20 - 1.25*6 = 12.5, r = 2.5",
     dict(target_value=20, comparator="<", direction=-1,
          baseline=(2020.0, 25.0), observations=[(2024.0, 20.0)]),
     "on_track", 12.5),
    ("> 95 with L = 95 is NOT achieved; P = 100, r = 10/5 = 2",
     dict(target_value=95, comparator=">", baseline=(2020.0, 90.0), observations=[(2025.0, 95.0)]),
     "on_track", 100.0),
    (">= 95 with L = 95 is achieved",
     dict(target_value=95, comparator="≥", baseline=(2020.0, 90.0), observations=[(2025.0, 95.0)]),
     "achieved", 100.0),
    ("= level reached (đạt 92,11, higher is better)",
     dict(target_value=92.11, comparator="=", baseline=(2020.0, 90.0), observations=[(2025.0, 92.5)]),
     "achieved", None),
    ("missing comparator is read as '='",
     dict(target_value=92.11, comparator=None, baseline=(2020.0, 90.0), observations=[(2025.0, 92.5)]),
     "achieved", None),
    ("baseline alone already meets the target",
     dict(target_value=95, baseline=(2020.0, 96.0)),
     "achieved", None),
    ("exactly one point (baseline only) -> no data",
     dict(target_value=80, baseline=(2020.0, 50.0)),
     "no_data", None),
    ("exactly one point (one observation, no baseline) -> no data",
     dict(target_value=80, observations=[(2024.0, 50.0)]),
     "no_data", None),
    ("nothing at all -> no data",
     dict(target_value=80),
     "no_data", None),
    # r thresholds: baseline 0 at 2020, one observation x at 2025, so P = 2x and r = 2x/100.
    ("r exactly 0.95 -> on track (P = 95)",
     dict(target_value=100, baseline=(2020.0, 0.0), observations=[(2025.0, 47.5)]),
     "on_track", 95.0),
    ("r = 0.948 -> needs acceleration",
     dict(target_value=100, baseline=(2020.0, 0.0), observations=[(2025.0, 47.4)]),
     "needs_acceleration", 94.8),
    ("r exactly 0 (standing still) -> off track",
     dict(target_value=80, baseline=(2020.0, 50.0), observations=[(2025.0, 50.0)]),
     "off_track", 50.0),
    ("r just above 0 -> needs acceleration (P = 51, r = 1/30)",
     dict(target_value=80, baseline=(2020.0, 50.0), observations=[(2025.0, 50.5)]),
     "needs_acceleration", 51.0),
    ("r < 0 (wrong way) -> off track",
     dict(target_value=80, baseline=(2020.0, 50.0), observations=[(2025.0, 49.0)]),
     "off_track", 48.0),
    # Maintain 100% (t = b).
    ("maintain 100%, falling 100 -> 99 -> 98: collinear, P = 95 < L -> off track",
     dict(target_value=100, comparator="=", value_range=(0, 100),
          baseline=(2020.0, 100.0), observations=[(2022.0, 99.0), (2024.0, 98.0)]),
     "off_track", 95.0),
    # Recovering: x = year - 2020 = 0, 1, 5; y = 100, 80, 95; w = 1, 10/9, 2; sum w = 37/9
    #   x̄ = (100/9)/(37/9) = 100/37; ȳ = (3410/9)/(37/9) = 3410/37
    #   Sxx = 51.111 - 30.030 = 21.081; Sxy = 1038.889 - 1024.024 = 14.865
    #   P = 92.162 + 0.70513 * (10 - 2.7027) = 97.308 > L = 95 -> needs acceleration
    ("maintain 100%, recovering 100 -> 80 -> 95: P = 97.31 > L -> needs acceleration",
     dict(target_value=100, comparator="=", value_range=(0, 100),
          baseline=(2020.0, 100.0), observations=[(2021.0, 80.0), (2025.0, 95.0)]),
     "needs_acceleration", 97.3077),
    ("maintain 100% and still at 100 -> achieved",
     dict(target_value=100, comparator="=", baseline=(2020.0, 100.0), observations=[(2024.0, 100.0)]),
     "achieved", None),
    # Target behind the baseline (b = 50, target >= 40, now 35 and falling): r would be
    # (30 - 50)/(40 - 50) = 2, i.e. "on track" for moving the wrong way; judged like t = b.
    ("target behind the baseline and falling -> off track, not on track",
     dict(target_value=40, baseline=(2020.0, 50.0), observations=[(2025.0, 35.0)]),
     "off_track", 20.0),
    # Clamping: 60 -> 90 projects 120, clamped to 100; r = (100 - 60)/(100 - 60) = 1.
    ("percent projection clamped to 100",
     dict(target_value=100, value_range=(0, 100), baseline=(2020.0, 60.0), observations=[(2025.0, 90.0)]),
     "on_track", 100.0),
    # Quarterly observations at midpoints (see test_weighted_projection): P = 54.75, r = 4.75/10.
    ("quarterly data at quarter midpoints",
     dict(target_value=60, target_year=2026,
          observations=[(period_time("2024-Q3"), 51.0), (period_time("2024-Q1"), 50.0)]),
     "needs_acceleration", 54.75),
]


@pytest.mark.parametrize("kwargs, status, projected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_evaluate_status(kwargs, status, projected):
    p = ev(**kwargs)
    assert isinstance(p, Progress)
    assert p.status == status
    if projected is not None:
        assert p.projected_value == approx(projected, abs=1e-4)


# ---------------------------------------------------------------- evaluate: details

def test_shares_and_required_change_higher_is_better():
    p = ev(target_value=80, baseline=(2020.0, 50.0), observations=[(2025.0, 60.0)])
    assert p.ratio == approx(20 / 30)
    assert p.progress_share == approx(10 / 30)
    assert p.required_annual_change == approx((80 - 60) / 5)
    assert (p.latest_value, p.latest_time) == (60.0, 2025.0)
    assert (p.baseline_value, p.baseline_time, p.baseline_source) == (50.0, 2020.0, "document")
    assert p.n_points == 2


def test_shares_and_required_change_lower_is_better():
    # IMR 25 (2020) -> 21 (2024), target < 20 by 2030.
    p = ev(target_value=20, comparator="<", direction=-1,
           baseline=(2020.0, 25.0), observations=[(2024.0, 21.0)])
    assert p.ratio == approx(2.0)
    assert p.progress_share == approx(4 / 5)          # -1 * (21 - 25) / |20 - 25|
    assert p.required_annual_change == approx(-1 / 6)  # (20 - 21) / (2030 - 2024)


def test_one_point_still_reports_share_and_required_change():
    p = ev(target_value=80, baseline=(2020.0, 50.0))
    assert (p.projected_value, p.ratio) == (None, None)
    assert p.progress_share == 0.0
    assert p.required_annual_change == approx(3.0)
    assert (p.latest_value, p.latest_time, p.n_points) == (50.0, 2020.0, 1)


def test_achieved_needs_no_further_change():
    assert ev(target_value=95, baseline=(2020.0, 96.0)).required_annual_change == 0.0


def test_deadline_passed_without_target_has_no_required_change():
    p = ev(target_value=80, target_year=2025, baseline=(2020.0, 50.0), observations=[(2025.0, 60.0)])
    assert p.required_annual_change is None
    assert p.status == "needs_acceleration"  # P = 60, r = 10/30


def test_maintain_target_has_no_ratio_or_share():
    p = ev(target_value=100, comparator="=", baseline=(2020.0, 100.0),
           observations=[(2022.0, 99.0), (2024.0, 98.0)])
    assert (p.ratio, p.progress_share) == (None, None)
    assert p.required_annual_change == approx(2 / 6)


def test_no_data_reports_nothing_without_points():
    p = ev(target_value=80)
    assert p.status == "no_data"
    assert (p.latest_value, p.baseline_value, p.baseline_source, p.n_points) == (None, None, None, 0)


# ---------------------------------------------------------------- weights decide the status

def test_weights_change_the_status():
    # Flat at 50 until a late jump to 80; target >= 85 by 2030.
    pts = [(2020.0, 50.0), (2025.0, 50.0), (2028.0, 80.0)]
    # Unweighted OLS by hand: x̄ = 13/3, ȳ = 60, Sxx = 32.667, Sxy = 110, slope = 3.3673
    #   P = 60 + 3.3673 * (10 - 4.3333) = 79.08 -> r = 29.08/35 = 0.83 -> needs acceleration.
    n = len(pts)
    xb, yb = sum(t for t, _ in pts) / n, sum(v for _, v in pts) / n
    slope = sum((t - xb) * (v - yb) for t, v in pts) / sum((t - xb) ** 2 for t, _ in pts)
    unweighted = yb + slope * (2030 - xb)
    assert unweighted == approx(79.0816, abs=1e-4)
    assert (unweighted - 50) / (85 - 50) < 0.95
    # Weighted (UN ESCAP) by hand: P = 85.87 (see test_weighted_projection) -> r = 1.02.
    p = ev(target_value=85, observations=pts)
    assert p.projected_value == approx(85.8696, abs=1e-4)
    assert p.ratio == approx(35.8696 / 35, abs=1e-4)
    assert p.status == "on_track"


# ---------------------------------------------------------------- baseline from reported data (rule 7)

Q = period_time  # "2021-Q4" -> 2021.375

# No baseline in the plan: the latest reported value at or before the plan's start year (any
# period of that year counts), else the earliest one after it; no start year: the earliest.
BASELINE_RULE = [
    # name, observations (time, value), plan_start_year, expected (time, value)
    ("only before the start year: the latest of them",
     [(2019.0, 40.0), (2020.0, 42.0)], 2021, (2020.0, 42.0)),
    ("only after the start year: the earliest of them",
     [(2024.0, 55.0), (2023.0, 50.0)], 2021, (2023.0, 50.0)),
    ("before and after: the latest at or before",
     [(2025.0, 55.0), (2019.0, 40.0), (2020.0, 42.0), (2023.0, 50.0)], 2021, (2020.0, 42.0)),
    ("the start year itself counts as 'at'",
     [(2025.0, 55.0), (2019.0, 40.0), (2021.0, 45.0)], 2021, (2021.0, 45.0)),
    ("several quarters in the start year: the last of them",
     [(Q("2021-Q1"), 41.0), (Q("2021-Q2"), 42.0), (Q("2021-Q3"), 43.0), (Q("2021-Q4"), 44.0),
      (Q("2022-Q1"), 46.0)], 2021, (Q("2021-Q4"), 44.0)),
    ("a quarter within the start year, nothing before",
     [(Q("2021-Q4"), 45.0), (2024.0, 55.0)], 2021, (2021.375, 45.0)),
    ("months: December of the start year is in, January after is out",
     [(period_time("2022-01"), 47.0), (period_time("2021-12"), 46.0), (period_time("2020-06"), 40.0)],
     2021, (period_time("2021-12"), 46.0)),
    ("the first quarter after the start year is 'after'",
     [(Q("2022-Q1"), 47.0), (Q("2022-Q2"), 48.0)], 2021, (Q("2022-Q1"), 47.0)),
    ("no start year known: the earliest",
     [(2024.0, 55.0), (2023.0, 50.0), (2021.0, 45.0)], None, (2021.0, 45.0)),
]


@pytest.mark.parametrize("observations, plan_start_year, base",
                         [c[1:] for c in BASELINE_RULE], ids=[c[0] for c in BASELINE_RULE])
def test_baseline_from_reported_data(observations, plan_start_year, base):
    p = ev(target_value=90, observations=observations, plan_start_year=plan_start_year)
    assert (p.baseline_time, p.baseline_value) == approx(base)
    assert p.baseline_source == "reported"
    assert p.n_points == len(observations)   # the baseline observation is not counted twice
    assert _pick_baseline(sorted(observations), None, plan_start_year)[0] == approx(base)


def test_no_values_no_baseline():
    for start in (2021, None):
        assert _pick_baseline([], None, start) == (None, None, [])
        p = ev(target_value=90, plan_start_year=start)
        assert (p.baseline_value, p.baseline_time, p.baseline_source, p.status) == (None, None, None, "no_data")


@pytest.mark.parametrize("observations", [
    [],                                          # no values at all
    [(2019.0, 40.0), (2021.0, 45.0)],            # values at or before the start year
    [(2023.0, 50.0), (2025.0, 55.0)],            # values only after it
])
def test_document_baseline_wins(observations):
    p = ev(target_value=90, plan_start_year=2021, baseline=(2020.0, 30.0), observations=observations)
    assert (p.baseline_time, p.baseline_value, p.baseline_source) == (2020.0, 30.0, "document")
    assert p.n_points == len(observations) + 1   # the document's baseline is an extra point
    base, source, points = _pick_baseline(sorted(observations), (2020, 30), 2021)
    assert (base, source, points) == ((2020.0, 30.0), "document", [(2020.0, 30.0), *sorted(observations)])


def test_a_quarter_and_a_month_at_one_midpoint():
    # 2021-Q4 and 2021-11 share a midpoint; locality.py passes the quarter after the month, and
    # the quarter counts as later (as in the SQL): the latest is the quarter, the earliest the month.
    t = period_time("2021-11")
    assert t == period_time("2021-Q4")
    tied = [(t, 46.0), (t, 44.0)]                        # month 46, then quarter 44
    assert ev(target_value=90, plan_start_year=2021, observations=tied).baseline_value == 44.0
    assert ev(target_value=90, plan_start_year=2020, observations=tied).baseline_value == 46.0
    assert ev(target_value=90, plan_start_year=None, observations=tied).baseline_value == 46.0


def test_reported_baseline_projection_and_ratio():
    # 40 (2019) -> 45 (2021) -> 55 (2025), plan starting 2021: b = 45 (2021); the regression
    # still runs through every value, whichever is the baseline.
    obs = [(2019.0, 40.0), (2021.0, 45.0), (2025.0, 55.0)]
    p = ev(target_value=90, plan_start_year=2021, observations=obs)
    assert (p.baseline_time, p.baseline_value) == (2021.0, 45.0)
    assert p.projected_value == approx(weighted_projection(obs, 2030))
    assert p.ratio == approx((p.projected_value - 45) / 45)
    assert p.progress_share == approx(10 / 45)
    earliest = ev(target_value=90, plan_start_year=None, observations=obs)
    assert earliest.projected_value == approx(p.projected_value)
    assert earliest.ratio == approx((p.projected_value - 40) / 50)


def test_the_baseline_can_change_the_status():
    # 40 (2019) -> 50 (2021) -> 60 (2025), target >= 77.5 by 2030: P = 75.96 either way. From
    # the start-year value 50, r = 25.96/27.5 = 0.944 -> needs acceleration; from the earliest
    # value 40 (no start year known) r = 35.96/37.5 = 0.959 -> on track.
    obs = [(2019.0, 40.0), (2021.0, 50.0), (2025.0, 60.0)]
    p = ev(target_value=77.5, plan_start_year=2021, observations=obs)
    earliest = ev(target_value=77.5, plan_start_year=None, observations=obs)
    assert p.projected_value == approx(earliest.projected_value) == approx(75.9615, abs=1e-4)
    assert (p.baseline_value, p.ratio, p.status) == (50.0, approx(0.9441, abs=1e-4), "needs_acceleration")
    assert (earliest.baseline_value, earliest.ratio, earliest.status) == (40.0, approx(0.9590, abs=1e-4), "on_track")


def test_latest_value_as_baseline_is_zero_progress_not_minus_zero():
    # Lai Châu, infant mortality (lower is better), plan starting 2026: b = L = 28.6 (2025).
    p = ev(target_value=20, comparator="<", direction=-1, plan_start_year=2026,
           observations=[(2020.0, 30.1), (2025.0, 28.6)])
    assert p.baseline_value == p.latest_value == 28.6
    assert p.progress_share == 0.0 and math.copysign(1.0, p.progress_share) == 1.0


# ---------------------------------------------------------------- every-year targets

EVERY_YEAR = [
    ("met last year -> achieved",
     [(2022.0, 96.0), (2023.0, 94.0), (2024.0, 97.0)], "≥", 95,
     "achieved", ((2022, 96.0, True), (2023, 94.0, False), (2024, 97.0, True))),
    ("missed last year -> off track",
     [(2024.0, 93.0), (2022.0, 96.0), (2023.0, 95.0)], "≥", 95,
     "off_track", ((2022, 96.0, True), (2023, 95.0, True), (2024, 93.0, False))),
    ("growth >= 20% each year",
     [(2023.0, 25.0), (2024.0, 20.0)], "≥", 20,
     "achieved", ((2023, 25.0, True), (2024, 20.0, True))),
    ("quarterly: each year's last reported figure decides (2024-Q4 = 94)",
     [(period_time("2024-Q4"), 94.0), (period_time("2024-Q1"), 97.0), (period_time("2023-Q4"), 96.0)],
     "≥", 95, "off_track", ((2023, 96.0, True), (2024, 94.0, False))),
    ("monthly: December belongs to its own year",
     [(period_time("2023-12"), 90.0), (period_time("2024-01"), 96.0)], "≥", 95,
     "achieved", ((2023, 90.0, False), (2024, 96.0, True))),
    ("no observation -> no data", [], "≥", 95, "no_data", ()),
]


@pytest.mark.parametrize("observations, comparator, target, status, yearly",
                         [c[1:] for c in EVERY_YEAR], ids=[c[0] for c in EVERY_YEAR])
def test_every_year(observations, comparator, target, status, yearly):
    p = ev(target_value=target, comparator=comparator, is_every_year=True, observations=observations,
           value_range=(0, 100))
    assert p.status == status
    assert p.yearly == yearly
    assert (p.projected_value, p.ratio, p.progress_share, p.required_annual_change) == (None,) * 4


# ---------------------------------------------------------------- yes/no indicators

@pytest.mark.parametrize("observations, status, latest", [
    ([(2022.0, 0.0), (2024.0, 1.0)], "achieved", 1.0),
    ([(2022.0, 1.0), (2024.0, 0.0)], "needs_acceleration", 0.0),  # before the deadline
    ([(2024.0, 0.0), (2030.0, 0.0)], "off_track", 0.0),            # deadline passed, not met
    # T = 2030.0 is the middle of 2030: Q2 (2029.875) is before it, Q3 (2030.125) after.
    ([(period_time("2030-Q2"), 0.0)], "needs_acceleration", 0.0),
    ([(period_time("2030-Q3"), 0.0)], "off_track", 0.0),
    ([], "no_data", None),
])
def test_yes_no(observations, status, latest):
    p = ev(target_value=1, comparator="=", value_kind="yes_no", value_range=(0, 1),
           observations=observations)
    assert p.status == status
    assert p.latest_value == latest
    assert p.projected_value is None


# ---------------------------------------------------------------- qualitative targets

def test_qualitative_target():
    p = ev(target_value=None, comparator=None, observations=[(2020.0, 10.0), (2025.0, 20.0)])
    assert p.status == "no_data"
    assert p.is_qualitative
    assert p.latest_value == 20.0
    assert p.projected_value == approx(30.0)   # slope 2/yr, five more years
    assert (p.ratio, p.progress_share, p.required_annual_change) == (None, None, None)


def test_qualitative_target_with_one_point_has_no_projection():
    p = ev(target_value=None, comparator=None, observations=[(2020.0, 10.0)])
    assert p.is_qualitative and p.projected_value is None and p.latest_value == 10.0


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs", [dict(direction=0), dict(comparator=">=")])
def test_bad_input_raises(kwargs):
    with pytest.raises(ValueError):
        ev(target_value=1, **kwargs)


# ---------------------------------------------------------------- properties

times = st.floats(min_value=2010, max_value=2035, allow_nan=False)
percents = st.floats(min_value=0, max_value=100, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(points=st.lists(st.tuples(times, percents), min_size=1, max_size=12),
       target_year=st.integers(min_value=2020, max_value=2035))
def test_percent_projection_stays_in_range(points, target_year):
    p = weighted_projection(points, target_year, (0, 100))
    assert 0 <= p <= 100


@settings(max_examples=200, deadline=None)
@given(points=st.lists(st.tuples(times, percents), min_size=1, max_size=12),
       target=percents, direction=st.sampled_from([1, -1]),
       comparator=st.sampled_from(["≥", ">", "≤", "<", "="]))
def test_evaluate_always_returns_a_known_status(points, target, direction, comparator):
    p = ev(target_value=target, comparator=comparator, direction=direction,
           observations=points, value_range=(0, 100))
    assert p.status in STATUSES
    if p.projected_value is not None:
        assert 0 <= p.projected_value <= 100
