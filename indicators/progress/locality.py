"""Progress of every target of one locality: the store's rows fed to the progress method.

`locality_progress` is what the locality page and `status` command both call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import duckdb
import pandas as pd

from indicators.progress import method
from indicators.progress.statuses import DEFAULT_TARGET_YEAR, STATUS_LABELS_VI
from indicators.store.sql import query


# The JSON fields DESIGN.md promises, first, in this order.
STATUS_FIELDS = (
    "locality_code", "indicator_code", "unit", "direction", "baseline_value", "baseline_year",
    "target_value", "target_comparator", "target_year", "latest_value", "latest_period",
    "projected_value", "status",
)


@dataclass
class LocalityProgress:
    """Everything a page needs for one locality: a row per target, and the chart data."""
    locality_code: str
    target_year: int
    rows: list[dict]
    observations: pd.DataFrame      # current values, one row per indicator × period
    milestones: pd.DataFrame        # every milestone of every plan of the locality
    has_illustrative: bool = field(default=False)


def _clean(v):
    """NaN/NA from pandas -> None, numpy scalars -> Python."""
    if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v.item() if hasattr(v, "item") else v


class Point(NamedTuple):
    """One current observation of a target's indicator, as evaluate_target reads it."""
    time: float
    period: str
    value: float
    is_illustrative: bool


def _period_at(obs: list[Point], time: float | None, *, first: bool = False) -> str | None:
    """The period reported at `time`; of a quarter and a month sharing that midpoint, the one
    that counts as later (the quarter), or with `first` the earlier one (the month)."""
    if time is None or not obs:
        return None
    hit = [p.period for p in obs if abs(p.time - time) < 1e-9]
    return hit[0 if first else -1] if hit else None


def evaluate_target(t: dict, obs: list[Point]) -> dict:
    """One status row: the target `t` (a locality_targets row) judged on its observations.

    Plain Python, not pandas: a sort and a few filters of some thirty points each cost pandas
    milliseconds, and a province page judges dozens of targets."""
    direction = 1 if t["direction"] == "higher" else -1
    # In time order; a quarter and a month sharing a midpoint (2024-Q1, 2024-02): the quarter
    # counts as later, as its text sorts later (as in queries/progress/scorecard.sql).
    obs = sorted(obs, key=lambda p: (p.time, p.period))
    has_doc_baseline = t["baseline_value"] is not None
    lo, hi = t["min_value"], t["max_value"]
    result = method.evaluate(
        target_value=t["target_value"], comparator=t["comparator"], target_year=int(t["target_year"]),
        direction=direction,
        observations=[(p.time, p.value) for p in obs],
        baseline=(float(t["baseline_year"]), float(t["baseline_value"])) if has_doc_baseline else None,
        plan_start_year=t["plan_start_year"], value_kind=t["value_kind"],
        value_range=(lo, hi) if lo is not None and hi is not None else None,
        is_every_year=bool(t["is_every_year"]),
    )
    if result.baseline_source == "document":
        baseline_year, baseline_period = int(t["baseline_year"]), str(int(t["baseline_year"]))
    else:
        # Rule 7: the latest value at or before the plan's start year is the later of a tie;
        # the earliest one (after it, or with no start year) the earlier.
        cutoff = method.start_cutoff(t["plan_start_year"])
        baseline_period = _period_at(
            obs, result.baseline_time,
            first=cutoff is None or (result.baseline_time is not None and result.baseline_time > cutoff))
        baseline_year = int(baseline_period[:4]) if baseline_period else None
    latest_period = _period_at(obs, result.latest_time) if obs else baseline_period
    latest = [p for p in obs if p.period == latest_period] if latest_period else []
    row = {
        "locality_code": t["locality_code"],
        "indicator_code": t["indicator_code"],
        "unit": t["unit"],
        "direction": t["direction"],
        "baseline_value": result.baseline_value,
        "baseline_year": baseline_year,
        "target_value": t["target_value"],
        "target_comparator": t["comparator"],
        "target_year": int(t["target_year"]),
        "latest_value": result.latest_value,
        "latest_period": latest_period,
        "projected_value": result.projected_value,
        "status": result.status,
        "status_label": STATUS_LABELS_VI[result.status],
        "indicator_name": t["name_vi"],
        "indicator_name_en": t["name_en"],
        "indicator_group": t["indicator_group"],
        "value_kind": t["value_kind"],
        "decimals": int(t["decimals"]),
        "min_value": lo,
        "max_value": hi,
        "is_every_year": bool(t["is_every_year"]),
        "is_qualitative": result.is_qualitative,
        "target_text": t["target_text"],
        "year_note": t["year_note"],
        "plan_code": t["plan_code"],
        "plan_number": t["plan_number"],
        "plan_issuer": t["plan_issuer"],
        "plan_issued_on": t["plan_issued_on"].isoformat() if t["plan_issued_on"] else None,
        "plan_title": t["plan_title"],
        "clause": t["clause"],
        "baseline_source": result.baseline_source,
        "baseline_period": baseline_period,
        "baseline_source_text": t["baseline_source_text"],
        "plan_start_year": int(start_year) if (start_year := t["plan_start_year"]) is not None else None,
        "progress_share": result.progress_share,
        "required_annual_change": result.required_annual_change,
        "ratio": result.ratio,
        "n_points": result.n_points,
        "yearly": [list(y) for y in result.yearly],
        "latest_is_illustrative": any(p.is_illustrative for p in latest),
        "has_illustrative": any(p.is_illustrative for p in obs),
    }
    return row


def locality_progress(con: duckdb.DuckDBPyConnection, locality_code: str,
                      target_year: int = DEFAULT_TARGET_YEAR, *, approved_only: bool = False) -> LocalityProgress:
    """Status of every target of the locality toward `target_year` (see queries/progress/locality.sql);
    `approved_only`: judged on the approved periods' figures only."""
    params = {"locality": locality_code}
    cur = con.cursor()
    targets = cur.execute(query("locality_targets"), {**params, "year": target_year}).df()
    observations = cur.execute(query("current_observations"), {**params, "approved_only": approved_only}).df()
    milestones = cur.execute(query("locality_milestones"), params).df()
    rows = []
    # Each indicator's points, split once in one pass over plain Python values (the same rows,
    # in the same order, as a filter per target): pandas' sorts and filters of arrow-backed
    # text, 27 times over, were most of a national commune's page read.
    by_indicator: dict[str, list[Point]] = {}
    for code, period, time, value, illustrative in zip(
            observations["indicator_code"].tolist(), observations["period"].tolist(),
            observations["period_time"].tolist(), observations["value"].tolist(),
            observations["is_illustrative"].tolist()):
        by_indicator.setdefault(code, []).append(Point(float(time), str(period), float(value), bool(illustrative)))
    for t in targets.to_dict("records"):
        t = {k: _clean(v) for k, v in t.items()}
        rows.append(evaluate_target(t, by_indicator.get(t["indicator_code"], [])))
    return LocalityProgress(
        locality_code=locality_code, target_year=target_year, rows=rows,
        observations=observations, milestones=milestones,
        has_illustrative=any(r["has_illustrative"] for r in rows),
    )


def target_years(con: duckdb.DuckDBPyConnection, locality_code: str) -> list[int]:
    """The milestone years the locality's plans set: some of statuses.MILESTONE_YEARS, or
    others a plan names."""
    cur = con.cursor()
    years = cur.execute(query("locality_milestones"), {"locality": locality_code}).df()["target_year"]
    return sorted({int(y) for y in years})
