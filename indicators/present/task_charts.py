"""The task board's chart: a plan's tasks by state, from a plain DataFrame (no Streamlit here).

This room may not read tasks itself: the caller passes the states' labels, counts and colours
(indicators.tasks.report.board.state_frame). Every bar is named on the axis and its count written
beside it, so no state is told by its colour alone.
"""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from indicators.text import fmt

AXIS_INK = "#111827"


def state_figure(counts: pd.DataFrame, *, height: int = 520, large: bool = True) -> go.Figure:
    """Horizontal bars, one per state in the frame's order (first on top): `label`, `n`, `colour`."""
    font = 22 if large else 13
    labels = [html.escape(str(v)) for v in counts["label"]]
    n = [int(v) for v in counts["n"]]
    fig = go.Figure(go.Bar(
        x=n, y=labels, orientation="h", marker={"color": list(counts["colour"]), "line": {"width": 0}},
        text=[fmt.number(v, 0) for v in n], textposition="outside", cliponaxis=False,
        textfont={"size": font, "color": AXIS_INK},
        customdata=[f"{label}: {fmt.number(v, 0)} nhiệm vụ" for label, v in zip(labels, n)],
        hovertemplate="%{customdata}<extra></extra>",
    ))
    top = max(n) if n and max(n) else 1
    fig.update_layout(
        height=height, separators=fmt.PLOTLY_SEPARATORS, showlegend=False, bargap=0.28,
        margin={"l": 10, "r": 30, "t": 36, "b": 10}, plot_bgcolor="#ffffff", paper_bgcolor="#ffffff",
        font={"family": "Arial, Liberation Sans, sans-serif", "size": font, "color": AXIS_INK},
        xaxis={"visible": False, "range": [0, top * 1.15]},
        yaxis={"autorange": "reversed", "automargin": True, "ticksuffix": "  ", "tickfont": {"size": font}},
    )
    return fig
