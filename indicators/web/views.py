"""What the dashboards draw, built once per data version and shared by every session.

A page run used to rebuild its Plotly figures and its formatted tables on every rerun, in every
session: about 70 % of a warm run of the locality page (nine charts) and of the indicator page
went to building figures, and most of the overview's to pivoting and formatting the scorecard.
None of it changes between reruns or between viewers until the data does. Each view here is a
function of the page's arguments, cached (st.cache_resource, registered with
connection.shared_resource so that a write drops it) on the database and its data version, like
every loader of web.data: an upload is still shown at the next rerun, in every process.

The objects are shared, not copied: a page reads them and never changes them (Streamlit's
st.plotly_chart copies a figure into its message; st.dataframe reads a frame).
"""
from __future__ import annotations

import functools
import hashlib
import pickle
import threading
from collections import OrderedDict
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import plotly.io
import streamlit.elements.arrow as st_arrow

from indicators.present import charts, scorecard_table, slides
from indicators.progress import statuses
from indicators.text import fmt
from indicators.web import data, pacing, task_slides
from indicators.web.connection import EVERYTHING, shared_resource


class SharedFigure(go.Figure):
    """A figure every session draws as it is: st.plotly_chart serialises `to_dict()`, which for
    a plain figure deep-copies it and re-encodes its arrays on every run (half of what drawing a
    cached figure cost). Here that dict is made once, when the figure is cached, and handed out
    as it is; Streamlit only reads it (plotly's to_json drops trace uids, which these have none
    of). Never change a SharedFigure after it is made."""

    _shared_dict: dict

    @classmethod
    def of(cls, figure: go.Figure) -> "SharedFigure":
        """`figure` itself, made shared: not copied (a copy validates the whole figure again,
        0,7 s for Hà Nội's 37 cards, a third of building them)."""
        figure.__class__ = cls
        figure._shared_dict = _Spec(go.Figure.to_dict(figure))
        return figure

    @classmethod
    def from_spec(cls, spec: dict) -> "SharedFigure":
        """A figure drawn as `spec` (a figure dict plotly reads back unchanged, such as
        charts.progress_spec makes), without plotly's objects: building them validated every
        property, most of the cost of a chart. Only its height is also set on the object (what
        st.plotly_chart reads of a figure besides `to_dict()`)."""
        figure = cls(layout={"height": spec["layout"]["height"]} if "height" in spec.get("layout", {}) else None)
        figure._shared_dict = _Spec(spec)
        return figure

    def to_dict(self) -> dict:
        return self._shared_dict


class _Spec(dict):
    """A shared figure's dict, which also keeps its JSON once made: st.plotly_chart encodes the
    figure on every run (plotly.io.to_json), the same text each time."""
    json: str | None = None


_plotly_to_json = plotly.io.to_json


def _to_json(fig, *args, **kwargs):
    """plotly.io.to_json, as st.plotly_chart calls it; a shared figure's text is made once."""
    if type(fig) is _Spec and not args and kwargs == {"validate": False}:
        if fig.json is None:
            fig.json = _plotly_to_json(fig, validate=False)
        return fig.json
    return _plotly_to_json(fig, *args, **kwargs)


plotly.io.to_json = _to_json


def shared_styler(table: pd.DataFrame, css: pd.DataFrame):
    """`table` tinted by `css` (a CSS text per cell), as a pandas Styler every session shows as
    it is: st.dataframe renders a Styler's every cell anew on each run (pandas' _compute and
    _translate, then Streamlit's display values: a tenth of the server's time under load). Here
    that rendering is made once, on the first run that shows it, and copied after. Never change
    the table or the styler after."""
    styler = table.style.apply(lambda _: css, axis=None)
    styler._indicators_shared = threading.Lock()
    styler._indicators_marshalled = None
    return styler


_marshall_styler = st_arrow.marshall_styler


def _marshall_shared(proto, styler, default_uuid: str) -> None:
    """streamlit.elements.arrow.marshall_styler, as st.dataframe calls it; what it writes of a
    shared styler (proto.styler: its uuid, styles and display values) is made once."""
    lock = getattr(styler, "_indicators_shared", None)
    if lock is None:
        return _marshall_styler(proto, styler, default_uuid)
    with lock:
        if styler._indicators_marshalled is None:
            _marshall_styler(proto, styler, default_uuid)
            styler._indicators_marshalled = proto.styler.SerializeToString()
            return
    proto.styler.ParseFromString(styler._indicators_marshalled)


st_arrow.marshall_styler = _marshall_shared


def _view(func, *, max_entries: int = 256, depends=EVERYTHING):
    """func(*args) cached on (database, version, *args), shared by every session; `depends` as in
    data._cached (the scopes of the reads it makes)."""
    def cache(everything: bool):
        def on_version(db: str, version: str, *args):
            with pacing.computing(in_database=False):   # its reads keep the slot (pacing.computing)
                return func(*args)

        on_version.__module__ = func.__module__
        on_version.__qualname__ = f"{func.__qualname__}[view{'' if everything else ', scoped'}]"
        return shared_resource(show_spinner=False, max_entries=max_entries, everything=everything)(on_version)

    return functools.wraps(func)(data.keyed(cache, depends))


class _ByContent:
    """Results of a pure build function (figures, formatted tables), kept by a digest of its
    inputs, across data versions: after an upload, only what the upload changed is built again.

    A write changes the data version, so every view above is computed anew; most of that cost is
    building figures and tables whose inputs did not change (one commune's upload leaves every
    other locality's charts as they were). Each build here is keyed on the pickled bytes of its
    arguments (their content, not their identity), so a changed input is a different key, never a
    stale hit. Bounded (least recently used first out); not dropped on a write, since an entry
    can never be wrong, only unused."""

    def __init__(self, build, max_entries: int):
        self.build, self.max_entries = build, max_entries
        self.entries: OrderedDict[bytes, object] = OrderedDict()
        self.lock = threading.Lock()
        functools.update_wrapper(self, build)

    def __call__(self, *args):
        key = hashlib.blake2b(pickle.dumps(args, protocol=5), digest_size=20).digest()
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = self.build(*args)
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def by_content(max_entries: int):
    return lambda build: _ByContent(build, max_entries)


# --- the locality page ---------------------------------------------------------------------------
def _locality(locality_code: str, year: int, approved_only: bool):
    """(progress, {(plan_code, indicator_code): progress figure}, {(plan_code, indicator_code):
    card texts}) of one locality toward `year`."""
    lp = data.progress_of(locality_code, year, approved_only)
    figures: dict[tuple[str, str], go.Figure] = {}
    texts: dict[tuple[str, str], dict] = {}
    for r in lp.rows:
        obs, ms = slides.chart_inputs(r, lp.observations, lp.milestones)
        figures[(r["plan_code"], r["indicator_code"])] = _progress_figure(r, obs, ms)
        texts[(r["plan_code"], r["indicator_code"])] = card_texts(r)
    return lp, figures, texts


def card_texts(r: dict) -> dict:
    """What a locality page's card writes about status row `r`, formatted (decimal comma, dates,
    plan numbers) and made inert for Markdown (widgets.safe), in the page's own words; the
    words that follow the chosen language (widgets.t) are added by the page. Built with the
    view, once per data version, not on every run: formatting 37 cards' figures with Babel
    was a tenth of a province page's run."""
    from indicators.web.widgets import safe
    d, unit, kind = r["decimals"], r["unit"], r["value_kind"]
    number = safe(fmt.plan_number(r["plan_number"]))
    issued = f", ngày {fmt.date(r['plan_issued_on'])}" if r["plan_issued_on"] else ""
    latest = None
    if r["latest_value"] is not None:
        latest = f"{fmt.value(r['latest_value'], unit, d, kind)} ({fmt.period(r['latest_period'])})"
        if r["latest_is_illustrative"]:
            latest += " · minh họa"
    # Short figures on one line; the per-year verdicts and the qualitative note on their own.
    own_line = ("Từng năm", "Chỉ tiêu định tính")
    facts = slides.detail_facts(r)
    short = [f for f in facts if not f.startswith(own_line)]
    return {
        "title": f"**{safe(r['indicator_name'])}**",
        "group": safe(r["indicator_group"]),
        "badge_help": safe(f"Kế hoạch {fmt.plan_number(r['plan_number'])} – {r['clause']}"),
        "plan_number": number,
        "plan_line": f"**Kế hoạch {number}**{issued} – {safe(r['plan_issuer'])}",
        "plan_title": safe(r["plan_title"]),
        "clause": f"**Điều khoản:** {safe(r['clause'])}",
        "content": f"**Nội dung:** “{safe(r['target_text'])}”",
        "year_note": f"Ghi chú: {safe(r['year_note'])}" if r["year_note"] else None,
        "baseline_note": f"Đầu vào: {safe(r['baseline_source_text'])}"
        if r["baseline_source"] == "document" and r["baseline_source_text"] else None,
        "latest": safe(latest) if latest is not None else None,   # None: the page says "no value" in its language
        "target": f"{r['target_year']}{' mỗi năm' if r['is_every_year'] else ''}: "
                  f"**{safe(fmt.target(r['target_comparator'], r['target_value'], unit, d, kind, r['target_text']))}**",
        "short_facts": safe(" · ".join(short)) if short else None,
        "own_line_facts": [safe(f) for f in facts if f.startswith(own_line)],
    }


@by_content(max_entries=4096)
def _progress_figure(row: dict, obs: pd.DataFrame, ms: pd.DataFrame) -> SharedFigure:
    return SharedFigure.from_spec(charts.progress_spec(row, obs, ms))


locality = _view(_locality, depends=data.of_locality)


# --- the indicator page --------------------------------------------------------------------------
def _indicator_figures(indicator: str, scope: str, province: str | None, year: int, show: str, n: int):
    """The ranking's and the small multiples' figures, and how many localities each shows:
    {'ranked': Figure, 'n_ranked': int, 'n_ranked_of': int, 'multiples': Figure | None, 'n_multiples': int}."""
    localities, indicators = data.labels()
    ind = indicators.set_index("indicator_code").loc[indicator]
    df = data.indicator_across(indicator, scope, province, year)
    ranked = df.dropna(subset=["latest_value"])
    part = ranked if show == "all" else (ranked.head(int(n)) if show == "top" else ranked.tail(int(n)))
    n_of = len(part)
    part = part.head(300)
    multiples = part["locality_code"].head(12).tolist()
    traj = data.trajectories(indicator, scope, province)
    traj = traj[traj["locality_code"].isin(multiples)]
    shown = set(part["locality_code"]) | set(traj["locality_code"])
    names = {c: n for c, n in zip(localities["locality_code"], localities["locality_name"]) if c in shown}
    ranked_fig, multiples_fig = _indicator_charts(part, traj, multiples, names, ind["unit"], int(ind["decimals"]),
                                                  ind["value_kind"], ind["direction"])
    return {"ranked": ranked_fig, "n_ranked": len(part), "n_ranked_of": n_of,
            "multiples": multiples_fig, "n_multiples": len(multiples)}


@by_content(max_entries=256)
def _indicator_charts(part: pd.DataFrame, traj: pd.DataFrame, multiples: list[str], names: dict[str, str],
                      unit: str, decimals: int, value_kind: str, direction: str):
    ranked_fig = charts.ranked_figure(part, unit=unit, decimals=decimals, value_kind=value_kind, direction=direction,
                                      title_of={c: f"{names.get(c, c)}" for c in part["locality_code"]})
    # Panels in the ranking's order.
    traj = traj.assign(_order=pd.Categorical(traj["locality_code"], categories=multiples, ordered=True)) \
        .sort_values(["_order", "period_time"])
    multiples_fig = None if traj.empty else SharedFigure.of(charts.small_multiples(traj, unit=unit, title_of=names))
    return SharedFigure.of(ranked_fig), multiples_fig


indicator_figures = _view(_indicator_figures, depends=data.of_indicator_area)


def _indicator_table(indicator: str, scope: str, province: str | None, year: int) -> pd.DataFrame:
    """The indicator page's table: one formatted row per locality in scope with a target."""
    localities, indicators = data.labels()
    ind = indicators.set_index("indicator_code").loc[indicator]
    df = data.indicator_across(indicator, scope, province, year)
    shown = set(df["locality_code"])
    names = {c: n for c, n in zip(localities["locality_code"], localities["locality_name"]) if c in shown}
    return _indicator_rows(df, names, ind["unit"], int(ind["decimals"]), ind["value_kind"])


@by_content(max_entries=256)
def _indicator_rows(df: pd.DataFrame, names: dict[str, str], unit: str, decimals: int, kind: str) -> pd.DataFrame:
    return pd.DataFrame({
        "Hạng": df["rank"],
        "Địa phương": [names.get(c, c) for c in df["locality_code"]],
        "Mã": df["locality_code"],
        "Mới nhất": [fmt.value(v, unit, decimals, kind) if pd.notna(v) else "–" for v in df["latest_value"]],
        "Kỳ": [fmt.period(p) if isinstance(p, str) else "–" for p in df["latest_period"]],
        "Mục tiêu": [fmt.target(c, v, unit, decimals, kind) if pd.notna(v) else "Chỉ tiêu định tính"
                     for c, v in zip(df["target_comparator"], df["target_value"])],
        "Năm mục tiêu": df["target_year"],
        "Trạng thái": [statuses.status_text(s) for s in df["status"]],
    })


indicator_table = _view(_indicator_table, depends=data.of_indicator_area)


# --- the presenter -------------------------------------------------------------------------------
# Keyed by the day as well: the task board's overdue counts are those of today.
def _slides(order: str, locality_code: str | None, indicator_code: str | None, year: int, today: str) -> list[dict]:
    """The slides of a choice (web.data.slides, then the task board: web.task_slides), shared
    instead of copied on every step."""
    return task_slides.presenter_slides(order, locality_code, indicator_code, year, today)


_slides_of = _view(_slides, max_entries=64, depends=data.of_slides)


def slides_of(order: str, locality_code: str | None, indicator_code: str | None, year: int) -> list[dict]:
    return _slides_of(order, locality_code, indicator_code, year, date.today().isoformat())


def _slide_figure(order: str, locality_code: str | None, indicator_code: str | None, year: int, n: int,
                  today: str) -> go.Figure | None:
    """The chart of slide n (1-based) of that choice, as the presenter shows it (None for a
    task board's table)."""
    slide = _slides_of(order, locality_code, indicator_code, year, today)[n - 1]
    if task_slides.is_task_slide(slide):
        fig = task_slides.figure(slide, height=600)
        return None if fig is None else SharedFigure.of(fig)
    return SharedFigure.from_spec(slides.slide_spec(slide, height=640, large=True))


_slide_figure_of = _view(_slide_figure, depends=data.of_slides)


def slide_figure(order: str, locality_code: str | None, indicator_code: str | None, year: int,
                 n: int) -> go.Figure | None:
    return _slide_figure_of(order, locality_code, indicator_code, year, n, date.today().isoformat())


# --- the overview --------------------------------------------------------------------------------
def _overview_cells(scope: str, province: str | None, year: int, approved_only: bool, level: str) -> dict:
    """The scorecard cells the overview shows for a scope (at `level` for the country), their
    count per status, and what the filters offer: {'cells', 'counts', 'illustrative',
    'indicator_codes', 'groups'}."""
    localities, indicators = data.labels()
    cells = data.scorecard_cells(scope, province, year, approved_only)
    if scope == "country":
        cells = scorecard_table.at_level(cells, localities, level)
    codes = indicators.loc[indicators["indicator_code"].isin(cells["indicator_code"])]
    return {"cells": cells, "counts": scorecard_table.status_summary(cells),
            "illustrative": bool(cells["is_latest_illustrative"].any()) if len(cells) else False,
            "indicator_codes": codes["indicator_code"].tolist(),
            "groups": sorted(codes["indicator_group"].unique())}


overview_cells = _view(_overview_cells, max_entries=128, depends=data.of_area)


def _overview_table(scope: str, province: str | None, year: int, approved_only: bool, level: str,
                    picked: tuple[str, ...], indicator_codes: tuple[str, ...], sort_by: str, show: str,
                    n: int) -> dict:
    """The scorecard as the overview shows it: {'table': localities × indicators texts with a
    leading 'locality' column, 'css': each cell's background, 'order': the locality codes in the
    table's order, 'columns': the indicator codes}."""
    localities, indicators = data.labels()
    cells = overview_cells(scope, province, year, approved_only, level)["cells"]
    cells = cells[cells["indicator_code"].isin(indicator_codes)]
    ind_in_scope = indicators[indicators["indicator_code"].isin(indicator_codes)]
    shown = set(cells["locality_code"])
    names = {c: n for c, n in zip(localities["locality_code"], localities["locality_name"]) if c in shown}
    return _overview_built(cells, ind_in_scope, picked, sort_by, show, n, names)


@by_content(max_entries=256)
def _overview_built(cells: pd.DataFrame, ind_in_scope: pd.DataFrame, picked: tuple[str, ...], sort_by: str,
                    show: str, n: int, names: dict[str, str]) -> dict:
    values, status, trend = scorecard_table.pivot(cells, ind_in_scope, list(picked) or None)
    if sort_by == "attention":
        order = scorecard_table.attention_order(status)
    else:
        direction = ind_in_scope.set_index("indicator_code").at[sort_by, "direction"]
        order = scorecard_table.rank_by(values, sort_by, direction)
    order = list(order)
    if show == "top":
        order = order[: int(n)]
    elif show == "bottom":
        order = order[-int(n):]
    values, status, trend = values.loc[order], status.loc[order], trend.loc[order]
    table = scorecard_table.cell_texts(values, status, trend, ind_in_scope)
    table.insert(0, "locality", [f"{names.get(c, c)} ({c})" for c in table.index])
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    for col in status.columns:
        css[col] = [f"background-color: {statuses.STATUS_TINTS[s]}" if isinstance(s, str) else ""
                    for s in status[col]]
    table, css = table.reset_index(drop=True), css.reset_index(drop=True)
    return {"table": table, "css": css, "styled": shared_styler(table, css), "order": order,
            "columns": list(values.columns)}


overview_table = _view(_overview_table, max_entries=128, depends=data.of_area)
