"""The task board in the presenter: the progress slides of a choice, then the board slides of
the chosen locality's plans that have tasks (tasks/board.py), as of today.

The board is cached per day as well as per data version: a presenter left open past midnight
shows the next day's overdue counts at its next run.
"""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go

from indicators.present import task_charts
from indicators.tasks.report import board
from indicators.web import data
from indicators.web.widgets import html_text

KINDS = board.KINDS


def _boards(con, locality_code: str | None, as_of: str) -> list[dict]:
    return board.locality_boards(con, locality_code, date.fromisoformat(as_of))


boards = data._cached(_boards, depends=data.SHARED)  # (locality_code | None, 'YYYY-MM-DD') -> board slides


def presenter_slides(order: str, locality_code: str | None, indicator_code: str | None, year: int,
                     today: str | None = None) -> list[dict]:
    """What the presenter shows for a choice: the progress slides, then (for a locality's
    targets, or what needs action) the task board of its plans with tasks, as of `today`
    ('YYYY-MM-DD', default today)."""
    shown = data.slides(order, locality_code, indicator_code, year)
    if order == "locality":
        return shown
    return shown + boards(locality_code, today or date.today().isoformat())


def is_task_slide(slide: dict) -> bool:
    return slide.get("kind") in KINDS


def figure(slide: dict, height: int = 600) -> go.Figure | None:
    """The board chart of a task slide (None for the overdue table, which has none)."""
    if slide["kind"] == "task_states":
        return task_charts.state_figure(slide["counts"], height=height, large=True)
    return None


def facts_html(slide: dict) -> str:
    """The facts beside the board chart, the first two in bold."""
    return "".join(f'<p class="slide-fact">{"<b>" if i < 2 else ""}{html_text(f)}{"</b>" if i < 2 else ""}</p>'
                   for i, f in enumerate(slide["facts"]))


def overdue_html(slide: dict) -> str:
    """The overdue table of a board slide, in the presenter's large type."""
    if not slide["rows"]:
        return f'<p class="slide-fact"><b>{html_text(slide["empty"])}</b></p>'
    head = "".join(f"<th>{html_text(c)}</th>" for c in slide["columns"])
    rows = "".join("<tr>" + "".join(f"<td>{html_text(v)}</td>" for v in r) + "</tr>" for r in slide["rows"])
    more = f'<p class="slide-small">{html_text(slide["more"])}</p>' if slide["more"] else ""
    return f'<table class="task-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}'
