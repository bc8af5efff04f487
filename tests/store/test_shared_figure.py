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


def test_after_an_upload_only_the_changed_card_is_built_again_and_it_shows_the_new_value(seeded_db):
    """views keeps built figures by their inputs' content across data versions: the uploaded
    indicator's card is a new figure with the new figure in it, the others are the same objects."""
    from indicators.excel import importer
    from indicators.web import views
    from tests.store.test_import import add_account, workbook

    views._progress_figure.clear()

    def cards() -> dict:
        with gate.reading(seeded_db) as con:
            lp = locality_progress(con, "12", 2030)
        out = {}
        for r in lp.rows:
            obs, ms = slides.chart_inputs(r, lp.observations, lp.milestones)
            out[r["indicator_code"]] = views._progress_figure(r, obs, ms)
        return out

    before = cards()
    assert cards() == before and all(cards()[k] is f for k, f in before.items())   # nothing changed: shared
    with gate.writing(seeded_db) as con:
        add_account(con, "canbo-lc", "officer", "12")
        pv = importer.preview(con, workbook([["12", "bhyt_coverage", "2026", 93.7]]), "bao_cao.xlsx", "canbo-lc")
        assert not pv.errors
        importer.commit(con, pv, "canbo-lc")
    after = cards()
    assert after["bhyt_coverage"] is not before["bhyt_coverage"]
    assert "93,7" in json.dumps(drawn(after["bhyt_coverage"]), ensure_ascii=False)
    assert "93,7" not in json.dumps(drawn(before["bhyt_coverage"]), ensure_ascii=False)
    unchanged = [k for k in before if k != "bhyt_coverage"]
    assert unchanged and all(after[k] is before[k] for k in unchanged)
