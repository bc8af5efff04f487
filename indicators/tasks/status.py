"""Whether a task is late, computed from its deadline, its last report and a date (pure)."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from indicators.tasks.states import DONE


def shown_state(reported: str | None, deadline: date, as_of: date,
                completed_on: date | None = None, reported_on: date | None = None) -> tuple[str, int]:
    """(state a view shows, days late) for a task.

    - Reported done: "done_late" when the officer said so, or when it was completed (the
      product's date, else the report's date) after the deadline; days late counted to then.
    - Not reported done: "overdue" once the deadline has passed (as_of after the deadline
      day), days counted to as_of; before that the reported state, or "no_report".
    """
    if reported in DONE:
        finished = completed_on or reported_on
        late = (finished - deadline).days if finished is not None else 0
        if reported == "done_late" or late > 0:
            return "done_late", max(late, 0)
        return "done", 0
    if as_of > deadline:
        return "overdue", (as_of - deadline).days
    return (reported or "no_report"), 0


def _day(value) -> date | None:
    if value is None or value is pd.NaT or (not isinstance(value, (date, datetime)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.date() if isinstance(value, datetime) else value


def with_states(tasks: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The task list with `state`, `is_overdue` (not done, deadline passed) and `days_late`
    computed for `as_of` from `reported_state`, `deadline_date`, `completed_on`, `last_report_at`."""
    out = tasks.copy()
    shown = [shown_state(r.reported_state if isinstance(r.reported_state, str) else None,
                         _day(r.deadline_date), as_of, _day(r.completed_on), _day(r.last_report_at))
             for r in out.itertuples()]
    out["state"] = [s for s, _ in shown]
    out["days_late"] = [d for _, d in shown]
    out["is_overdue"] = out["state"] == "overdue"
    return out
