"""Progress of one locality x indicator towards a target year.

Pure standard library: no Streamlit, no DuckDB. The method follows the design
doc: achieved -> not enough data -> time-weighted projection (UN ESCAP) ->
ratio r of projected to required progress. Nothing is rounded here; the
display layer formats.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from indicators.progress.statuses import COMPARATORS

ON_TRACK_RATIO = 0.95
EPS = 1e-9  # so that 95.0 >= 95 holds despite float noise
MIN_GAP = 0.25  # a point at/after T weighs like one a quarter-year before T

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def period_time(period: str) -> float:
    """Map "YYYY", "YYYY-Qq" or "YYYY-MM" to a float time where the integer Y
    is the middle of year Y; quarters and months count at their midpoint.
    Raises ValueError for any other spelling."""
    p = period.strip() if isinstance(period, str) else ""
    if m := _YEAR.match(p):
        return float(m.group(1))
    if m := _QUARTER.match(p):
        return int(m.group(1)) - 0.5 + (int(m.group(2)) - 0.5) / 4
    if (m := _MONTH.match(p)) and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1)) - 0.5 + (int(m.group(2)) - 0.5) / 12
    raise ValueError(
        f"unrecognised period {period!r}: expected 'YYYY', 'YYYY-Q1'..'YYYY-Q4' "
        "or 'YYYY-01'..'YYYY-12'")


def _year_of(time: float) -> int:
    """Calendar year containing a time (year Y spans [Y - 0.5, Y + 0.5))."""
    return math.floor(time + 0.5 + EPS)


def satisfies(value: float, comparator: str, target: float, direction: int) -> bool:
    """True if value meets the target under comparator, with tolerance EPS.
    "=" (a level to reach, no comparator word) is direction-aware: met when
    direction * (value - target) >= 0."""
    if comparator == "≥":
        return value >= target - EPS
    if comparator == ">":
        return value > target + EPS
    if comparator == "≤":
        return value <= target + EPS
    if comparator == "<":
        return value < target - EPS
    if comparator == "=":
        return direction * (value - target) >= -EPS
    raise ValueError(f"unknown comparator {comparator!r}; expected one of {COMPARATORS}")


def weighted_projection(points: Sequence[tuple[float, float]], target_year: int,
                        value_range: tuple[float, float] | None = None) -> float | None:
    """Value at target_year from a time-weighted least-squares line through
    (time, value) points, clamped to value_range. None if there are no points;
    if all points share one time the line is undefined and the weighted mean
    (a flat projection) is returned, so evaluate() typically finds r <= 0 (off
    track) unless the target is already achieved."""
    if not points:
        return None
    T = float(target_year)
    t_min = min(t for t, _ in points)
    # UN ESCAP (Asia-Pacific SDG Progress Report, technical note): weight
    # w_i = (T - t_min) / (T - t_i), so recent points count more. The gap is
    # floored at a quarter-year, so points at/after T never divide by zero and
    # a later point never weighs less than an earlier one. The numerator only
    # scales all weights alike; it is floored too so it stays positive.
    num = max(T - t_min, MIN_GAP)
    ws = [num / max(T - t, MIN_GAP) for t, _ in points]
    sw = sum(ws)
    x_bar = sum(w * t for w, (t, _) in zip(ws, points)) / sw
    y_bar = sum(w * v for w, (_, v) in zip(ws, points)) / sw
    sxx = sum(w * (t - x_bar) ** 2 for w, (t, _) in zip(ws, points))
    if sxx <= EPS:
        projected = y_bar
    else:
        sxy = sum(w * (t - x_bar) * (v - y_bar) for w, (t, v) in zip(ws, points))
        projected = y_bar + sxy / sxx * (T - x_bar)
    if value_range is not None:
        lo, hi = value_range
        projected = min(max(projected, lo), hi)
    return projected


@dataclass(frozen=True)
class Progress:
    """Verdict for one locality x indicator x target year (see evaluate)."""
    status: str
    latest_value: float | None
    latest_time: float | None
    projected_value: float | None
    ratio: float | None            # r = (P - b) / (t - b)
    progress_share: float | None   # d * (L - b) / |t - b|
    required_annual_change: float | None  # (t - L) / (T - t_L)
    baseline_value: float | None
    baseline_time: float | None
    baseline_source: str | None    # "document" | "reported" | None
    n_points: int                  # baseline + observations used
    is_qualitative: bool = False
    yearly: tuple[tuple[int, float, bool], ...] = ()  # every-year targets only


def start_cutoff(plan_start_year: int | None) -> float | None:
    """The last time that counts as "at or before the plan's start year": any period within
    that year (year Y spans [Y - 0.5, Y + 0.5)), with tolerance EPS. None without a start year."""
    return None if plan_start_year is None else plan_start_year + 0.5 + EPS


def _pick_baseline(obs, baseline, plan_start_year):
    """(baseline point, source, regression points) following rule 7.

    obs are (time, value) pairs sorted by time; of two at one time (a quarter and a month
    sharing a midpoint) the later in the list counts as later. A document baseline wins and
    is an extra regression point. Without one, the baseline is the latest reported value at
    or before the plan's start year (the situation when the plan began), else the earliest
    one after it; with no start year known, the earliest. A reported baseline is already one
    of the observations, so it is not added twice: the regression points are the same
    whichever value is picked."""
    if baseline is not None:
        base = (float(baseline[0]), float(baseline[1]))
        return base, "document", [base, *obs]
    if not obs:
        return None, None, []
    cutoff = start_cutoff(plan_start_year)
    early = [p for p in obs if cutoff is not None and p[0] <= cutoff]
    return (early[-1] if early else obs[0]), "reported", list(obs)


def evaluate(*, target_value: float | None, comparator: str | None, target_year: int,
             direction: int, observations: Sequence[tuple[float, float]],
             baseline: tuple[float, float] | None = None,
             plan_start_year: int | None = None, value_kind: str = "number",
             value_range: tuple[float, float] | None = None,
             is_every_year: bool = False) -> Progress:
    """Classify progress towards target_value by target_year.

    observations and baseline are (time, value) pairs with times from
    period_time; direction is +1 (higher is better) or -1. Checks run in
    order: qualitative target -> yes/no -> every-year -> achieved (latest
    value meets the comparator) -> fewer than two points (no_data) ->
    projection and ratio r. A missing comparator means "=" (a level to reach).
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, not {direction!r}")
    comparator = comparator or "="
    if comparator not in COMPARATORS:
        raise ValueError(f"unknown comparator {comparator!r}")
    T = float(target_year)
    obs = sorted(((float(t), float(v)) for t, v in observations), key=lambda p: p[0])
    base, source, points = _pick_baseline(obs, baseline, plan_start_year)
    latest = obs[-1] if obs else base
    t_L, L = latest if latest is not None else (None, None)
    common = dict(latest_value=L, latest_time=t_L,
                  baseline_value=base[1] if base else None,
                  baseline_time=base[0] if base else None,
                  baseline_source=source, n_points=len(points))

    def result(status, projected=None, ratio=None, share=None, required=None, **kw):
        return Progress(status=status, projected_value=projected, ratio=ratio,
                        progress_share=share, required_annual_change=required,
                        **common, **kw)

    # Qualitative target: no verdict, but a projection is still useful for charts.
    if target_value is None:
        projected = weighted_projection(points, target_year, value_range) if len(points) >= 2 else None
        return result("no_data", projected, is_qualitative=True)

    # Yes/no (1 = đạt, 0 = không đạt): no projection; the deadline decides.
    if value_kind == "yes_no":
        if L is None:
            return result("no_data")
        if abs(L - 1) <= EPS:
            return result("achieved")
        return result("needs_acceleration" if t_L < T - EPS else "off_track")

    t = float(target_value)

    # Every-year targets: judged year by year on each year's last reported figure.
    if is_every_year:
        by_year: dict[int, float] = {}
        for time, value in obs:  # sorted, so later figures overwrite earlier ones
            by_year[_year_of(time)] = value
        yearly = tuple((y, v, satisfies(v, comparator, t, direction))
                       for y, v in sorted(by_year.items()))
        if not yearly:
            return result("no_data")
        return result("achieved" if yearly[-1][2] else "off_track", yearly=yearly)

    if L is None:
        return result("no_data")
    b = base[1]
    achieved = satisfies(L, comparator, t, direction)
    # A target that is not ahead of the baseline in the good direction (t = b,
    # "maintain 100%", or a target that asks for less than the baseline) has
    # no meaningful r or share: such cases are judged by the projected trend.
    ahead = direction * (t - b) > EPS
    # + 0.0: no "-0%" where the latest value is the baseline (rule 7 often makes it so)
    share = direction * (L - b) / abs(t - b) + 0.0 if ahead else None
    if achieved:
        required = 0.0
    elif T - t_L > EPS:
        required = (t - L) / (T - t_L)
    else:
        required = None  # the deadline has passed without meeting the target
    projected = weighted_projection(points, target_year, value_range) if len(points) >= 2 else None
    ratio = (projected - b) / (t - b) if ahead and projected is not None else None
    if achieved:
        status = "achieved"
    elif projected is None:
        status = "no_data"
    elif not ahead:
        # Not achieved; only a trend towards the target counts as movement.
        status = "needs_acceleration" if direction * (projected - L) > EPS else "off_track"
    elif ratio >= ON_TRACK_RATIO - EPS:
        status = "on_track"
    elif ratio > EPS:
        status = "needs_acceleration"
    else:
        status = "off_track"
    return result(status, projected, ratio, share, required)
