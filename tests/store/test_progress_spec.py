"""charts.progress_spec: the progress chart written as plotly's figure dict, without plotly's
objects. Plotly must read it back exactly as written (so the browser draws what plotly would
have), and it must carry what an officer reads on a card: the reported series with its hover
text in decimal comma, the target line and its shaded side, the milestones, the projection."""
from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools as tools
import pytest

from indicators.present import charts, slides
from indicators.progress.locality import locality_progress
from indicators.store import gate
from indicators.web.views import SharedFigure


def cards(db, code: str, year: int = 2030):
    with gate.reading(db) as con:
        lp = locality_progress(con, code, year)
    return [(r, *slides.chart_inputs(r, lp.observations, lp.milestones)) for r in lp.rows]


def sent(figure) -> dict:
    """What st.plotly_chart sends the browser for `figure` (Streamlit 1.67's two calls)."""
    return json.loads(pio.to_json(tools.return_figure_from_figure_or_data(figure, validate_figure=True),
                                  validate=False))


@pytest.mark.parametrize("large", [False, True])
def test_plotly_reads_every_card_of_lai_chau_back_as_written(seeded_db, large):
    found = cards(seeded_db, "12")
    assert len(found) >= 7
    kinds = set()
    for r, obs, ms in found:
        spec = charts.progress_spec(r, obs, ms, height=640 if large else 300, large=large)
        assert json.loads(json.dumps(go.Figure(spec).to_dict())) == json.loads(json.dumps(spec)), r["indicator_code"]
        kinds.add(r["value_kind"])
    assert len(kinds) >= 2   # cards of more than one kind of figure (percentages, counts, yes/no)


def test_a_card_shows_reported_values_target_and_its_side(seeded_db):
    found = [c for c in cards(seeded_db, "12") if len(c[1]) and c[0]["target_value"] is not None]
    assert found, "Lai Châu has cards with reported values and a target"
    r, obs, ms = found[0]
    spec = charts.progress_spec(r, obs, ms)
    names = [t["name"] for t in spec["data"]]
    assert names[0] == "Số liệu báo cáo" and "Mốc mục tiêu" in names
    reported = spec["data"][0]
    assert reported["y"] == [float(v) for v in obs["value"]]
    assert all(":" in text for text in reported["customdata"])
    assert spec["layout"]["separators"] == ",."   # decimal comma, thousands dot
    rect, line = spec["layout"]["shapes"]
    assert line["y0"] == line["y1"] == r["target_value"]
    side = (rect["y0"], rect["y1"])
    assert (side[0] == r["target_value"]) == (r["direction"] == "higher")


def test_the_shared_card_sends_what_a_plotly_figure_of_it_sends(seeded_db):
    """SharedFigure.from_spec hands Streamlit the spec itself: the browser gets the same chart as
    from a plotly figure built from it, every run, and sending it changes nothing."""
    for r, obs, ms in cards(seeded_db, "12"):
        spec = charts.progress_spec(r, obs, ms)
        shared = SharedFigure.from_spec(spec)
        plain = sent(charts.progress_figure(r, obs, ms))
        before = json.dumps(spec, sort_keys=True)
        assert sent(shared) == plain, r["indicator_code"]
        assert sent(shared) == plain
        assert json.dumps(spec, sort_keys=True) == before
