"""web.views.SharedFigure: a cached figure many sessions draw gives Streamlit exactly the chart
the figure it copies would, every time, and drawing it changes nothing."""
from __future__ import annotations

import copy
import json

import plotly.io as pio
import plotly.tools as tools

from indicators.present import charts, slides
from indicators.progress.locality import locality_progress
from indicators.store import gate
from indicators.web.views import SharedFigure


def drawn(figure) -> dict:
    """What st.plotly_chart sends the browser for `figure` (Streamlit 1.67's two calls)."""
    return json.loads(pio.to_json(tools.return_figure_from_figure_or_data(figure, validate_figure=True),
                                  validate=False))


def test_every_card_of_lai_chau_draws_the_same_chart_shared_or_not(seeded_db):
    with gate.reading(seeded_db) as con:
        lp = locality_progress(con, "12", 2030)
    assert len(lp.rows) >= 7
    for r in lp.rows:
        obs, ms = slides.chart_inputs(r, lp.observations, lp.milestones)
        plain = drawn(charts.progress_figure(r, obs, ms))
        shared = SharedFigure.of(charts.progress_figure(r, obs, ms))
        kept = copy.deepcopy(shared.to_dict())
        assert drawn(shared) == plain, r["indicator_code"]
        assert drawn(shared) == plain   # a second session's run draws it again
        assert shared.to_dict() == kept
