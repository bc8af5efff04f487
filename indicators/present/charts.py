"""Progress charts: plain data in, a plotly figure out (no Streamlit here).

Vietnamese number format comes from `layout.separators` (decimal comma, thousands dot);
years are drawn with tickformat "d" so 2030 never reads "2.030".
"""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from indicators.text import fmt
from indicators.progress.statuses import STATUS_COLOURS, STATUS_LABELS_VI

REPORTED = "#1f4e79"
REQUIRED = "#6b7280"
PROJECTED = "#b45309"
TARGET = "#1a7f37"
ACCEPTABLE_FILL = "rgba(26, 127, 55, 0.10)"


def _y_range(values: list[float], lo: float | None, hi: float | None) -> tuple[float, float]:
    """A padded range around what is drawn, kept inside the indicator's plausible bounds."""
    vmin, vmax = min(values), max(values)
    pad = max((vmax - vmin) * 0.15, abs(vmax) * 0.02, 0.5)
    low, high = vmin - pad, vmax + pad
    # Stay near the plausible bounds, with a little room so a 100% target line and its star
    # are not cut by the frame.
    room = (high - low) * 0.04
    if lo is not None:
        low = max(low, lo - room)
    if hi is not None:
        high = min(high, hi + room)
    if high <= low:
        high = low + 1
    return low, high


def progress_figure(row: dict, obs: pd.DataFrame, milestones: pd.DataFrame, *,
                    height: int = 300, large: bool = False) -> go.Figure:
    """progress_spec as a plotly figure, for callers that change it (the deck and the report)."""
    spec = progress_spec(row, obs, milestones, height=height, large=large)
    return go.Figure({"data": spec["data"], "layout": {k: v for k, v in spec["layout"].items() if k != "template"}})


_TEMPLATE: dict | None = None


def _template() -> dict:
    """The default template as every figure's dict carries it (plotly puts it in `to_dict()`),
    made once; shared by every spec, read only."""
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = go.Figure().to_dict()["layout"]["template"]
    return _TEMPLATE


def progress_spec(row: dict, obs: pd.DataFrame, milestones: pd.DataFrame, *,
                  height: int = 300, large: bool = False) -> dict:
    """Reported values, baseline, target and milestones with the acceptable side shaded, the
    straight required path from baseline to target, and the projection to the target year.

    `row` is a status row (indicators.progress.locality), `obs` the indicator's current observations,
    `milestones` the same plan's targets for this indicator at every milestone year.

    The chart as plotly's figure dict (what `go.Figure(...).to_dict()` gives, plain lists for
    arrays), written directly: plotly's objects validate every property on every change, which
    made a chart cost 30–45 ms and a province's 37 cards more than a second; this costs well
    under 1 ms a chart. tests/store/test_progress_spec.py checks that plotly reads it back as it is.
    """
    unit, d, kind = row["unit"], row["decimals"], row["value_kind"]
    direction = 1 if row["direction"] == "higher" else -1
    T, t = row["target_year"], row["target_value"]
    b, by = row["baseline_value"], row["baseline_year"]
    data: list[dict] = []

    hover_value = "%{customdata}<extra>%{fullData.name}</extra>"
    if len(obs):
        data.append({
            "type": "scatter", "x": [float(x) for x in obs["period_time"]], "y": [float(v) for v in obs["value"]],
            "mode": "lines+markers", "name": "Số liệu báo cáo",
            "line": {"color": REPORTED, "width": 3 if large else 2}, "marker": {"size": 9 if large else 7},
            "customdata": [f"{fmt.period(p)}: {fmt.value(v, unit, d, kind)}"
                           for p, v in zip(obs["period"], obs["value"])],
            "hovertemplate": hover_value,
        })
    drawn = list(obs["value"]) if len(obs) else []

    if b is not None and row["baseline_source"] == "document":
        data.append({
            "type": "scatter", "x": [by], "y": [b], "mode": "markers", "name": "Đầu vào (theo kế hoạch)",
            "marker": {"symbol": "square", "size": 11, "color": REQUIRED},
            "customdata": [f"Đầu vào {by}: {fmt.value(b, unit, d, kind)}"], "hovertemplate": hover_value,
        })
    if b is not None:
        drawn.append(b)

    if t is not None:
        drawn.append(t)
        # Required path: straight from the baseline to the target.
        if b is not None and by is not None and by < T and kind != "yes_no" and not row["is_every_year"]:
            data.append({
                "type": "scatter", "x": [by, T], "y": [b, t], "mode": "lines", "name": "Lộ trình cần đạt",
                "line": {"color": REQUIRED, "dash": "dot", "width": 2}, "hoverinfo": "skip",
            })
        # Every milestone of the same plan (statuses.MILESTONE_YEARS, or a year a plan added).
        ms = milestones.dropna(subset=["target_value"])
        if len(ms):
            data.append({
                "type": "scatter", "x": [int(y) for y in ms["target_year"]],
                "y": [float(v) for v in ms["target_value"]], "mode": "markers", "name": "Mốc mục tiêu",
                "marker": {"symbol": "star", "size": 15 if large else 13, "color": TARGET,
                           "line": {"color": "white", "width": 1}},
                "customdata": [f"Mục tiêu {int(y)}: {fmt.target(c, v, unit, d, kind)}"
                               for y, c, v in zip(ms["target_year"], ms["comparator"], ms["target_value"])],
                "hovertemplate": hover_value,
            })
            drawn.extend(ms["target_value"])

    P = row["projected_value"]
    if P is not None and row["latest_value"] is not None and len(obs) and kind != "yes_no":
        last = obs.iloc[-1]
        data.append({
            "type": "scatter", "x": [float(last["period_time"]), T], "y": [float(last["value"]), P],
            "mode": "lines+markers", "name": f"Dự báo {T}", "line": {"color": PROJECTED, "dash": "dash", "width": 2},
            "marker": {"size": [0, 9], "color": PROJECTED},
            "customdata": ["", f"Dự báo {T}: {fmt.value(P, unit, d, kind)}"], "hovertemplate": hover_value,
        })
        drawn.append(P)

    if not drawn:
        drawn = [row["min_value"] or 0, row["max_value"] or 1]
    low, high = _y_range([float(v) for v in drawn], row["min_value"], row["max_value"])
    if kind == "yes_no":
        low, high = -0.2, 1.2
    shapes = []
    if t is not None:
        # The acceptable side of the target, shaded (above for higher-is-better, below for lower),
        # across the whole plot (x in the axis' domain), as add_hrect and add_hline draw them.
        y0, y1 = (t, high) if direction > 0 else (low, t)
        shapes = [{"type": "rect", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y0, "y1": y1,
                   "fillcolor": ACCEPTABLE_FILL, "line": {"width": 0}, "layer": "below"},
                  {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": t, "y1": t,
                   "line": {"color": TARGET, "width": 1.5}}]

    xs = [float(x) for x in obs["period_time"]] if len(obs) else []
    xs += [T] + ([by] if by is not None else []) + [float(y) for y in milestones["target_year"]]
    x_lo, x_hi = min(xs) - 0.5, max(xs) + 0.5
    font = 18 if large else 12
    # automargin: tick labels ("16", "100%") are never cut by the tight margins above.
    yaxis = {"automargin": True, "range": [low, high], "gridcolor": "#eee", "ticksuffix": unit if unit in ("%", "‰") else ""}
    if kind == "yes_no":
        yaxis.update(tickvals=[0, 1], ticktext=["Chưa đạt", "Đạt"])
    layout = {
        "height": height, "separators": fmt.PLOTLY_SEPARATORS,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "font": {"size": font}, "showlegend": large,
        "legend": {"orientation": "h", "y": -0.15},
        "plot_bgcolor": "white", "hoverlabel": {"font": {"size": font}},
        "xaxis": {"automargin": True, "range": [x_lo, x_hi], "tickformat": "d",
                  "dtick": 1 if x_hi - x_lo <= 12 else 5, "showgrid": False, "linecolor": "#999"},
        "yaxis": yaxis,
        "template": _template(),
    }
    if shapes:
        layout["shapes"] = shapes
    return {"data": data, "layout": layout}


def status_colour(status: str) -> str:
    return STATUS_COLOURS[status]


def _plain(text: object) -> str:
    """A stored name as plotly text: plotly reads <a href>, <b>, <br> in labels, and turns
    entities back into characters, so escaping shows exactly what was typed."""
    return html.escape(str(text), quote=False)


def ranked_figure(df: pd.DataFrame, *, unit: str, decimals: int, value_kind: str, direction: str,
                  title_of: dict[str, str]) -> go.Figure:
    """One indicator across localities: a dot per locality (best first, top to bottom), coloured by
    status, with each locality's target as a short green bar. `df` rows: locality_code,
    latest_value, target_value, target_comparator, status."""
    df = df.dropna(subset=["latest_value"]).iloc[::-1]   # plotly draws the first category at the bottom
    labels = [_plain(title_of.get(c, c)) for c in df["locality_code"]]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=df["target_value"], y=labels, mode="markers", name="Mục tiêu",
        marker={"symbol": "line-ns-open", "size": 16, "color": TARGET, "line": {"width": 3}},
        customdata=[fmt.target(c, v, unit, decimals, value_kind) for c, v in zip(df["target_comparator"], df["target_value"])],
        hovertemplate="%{y}: mục tiêu %{customdata}<extra></extra>",
    ))
    for status in df["status"].unique():
        part = df[df["status"] == status]
        fig.add_trace(go.Scatter(
            x=part["latest_value"], y=[_plain(title_of.get(c, c)) for c in part["locality_code"]], mode="markers",
            name=STATUS_LABELS_VI[status], marker={"size": 11, "color": STATUS_COLOURS[status]},
            customdata=[fmt.value(v, unit, decimals, value_kind) for v in part["latest_value"]],
            hovertemplate="%{y}: %{customdata}<extra>" + STATUS_LABELS_VI[status] + "</extra>",
        ))
    fig.update_layout(height=max(260, 24 * len(df) + 90), separators=fmt.PLOTLY_SEPARATORS,
                      margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="white",
                      legend={"orientation": "h", "y": -0.08 if len(df) > 10 else -0.3})
    fig.update_yaxes(automargin=True, categoryorder="array", categoryarray=labels)
    fig.update_xaxes(automargin=True, gridcolor="#eee", ticksuffix=unit if unit in ("%", "‰") else "")
    return fig


def small_multiples(traj: pd.DataFrame, *, unit: str, title_of: dict[str, str], columns: int = 4) -> go.Figure:
    """Trajectories of one indicator, one small panel per locality (same y scale)."""
    from plotly.subplots import make_subplots
    codes = list(dict.fromkeys(traj["locality_code"]))
    rows = max(1, -(-len(codes) // columns))
    fig = make_subplots(rows=rows, cols=columns, shared_yaxes=True, vertical_spacing=0.12 if rows < 4 else 0.06,
                        subplot_titles=[_plain(title_of.get(c, c)) for c in codes])
    for i, code in enumerate(codes):
        part = traj[traj["locality_code"] == code]
        fig.add_trace(go.Scatter(x=part["period_time"], y=part["value"], mode="lines", line={"color": REPORTED},
                                 showlegend=False, hovertemplate="%{y}<extra></extra>"),
                      row=i // columns + 1, col=i % columns + 1)
    fig.update_layout(height=170 * rows + 40, separators=fmt.PLOTLY_SEPARATORS, plot_bgcolor="white",
                      margin={"l": 10, "r": 10, "t": 30, "b": 10}, font={"size": 11})
    fig.update_xaxes(tickformat="d", dtick=2, gridcolor="#f3f3f3", automargin=True)
    fig.update_yaxes(gridcolor="#eee", automargin=True, ticksuffix=unit if unit in ("%", "‰") else "")
    fig.update_annotations(font_size=11)
    return fig
