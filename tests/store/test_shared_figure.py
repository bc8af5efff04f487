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


def test_a_shared_styled_table_gives_streamlit_what_a_plain_one_does_on_every_run(seeded_db):
    """The overview's tinted scorecard (web.views.shared_styler): the first run renders it, later
    runs copy that; each must send the browser exactly what the plain pandas Styler gives."""
    import pandas as pd
    import streamlit.elements.arrow as st_arrow
    from streamlit.proto.ArrowData_pb2 import ArrowData

    from indicators.web import views
    table = pd.DataFrame({"locality": ["Lai Châu (12)", "Hà Nội (01)"], "bhyt": ["● 95,0 ↑", "○ –"]})
    css = pd.DataFrame({"locality": ["", ""], "bhyt": ["background-color: #fde0dd", ""]})

    def sent(styler) -> bytes:
        proto = ArrowData()
        st_arrow.marshall_styler(proto, styler, "1234")
        return proto.styler.SerializeToString()

    shared = views.shared_styler(table, css)
    expected = ArrowData()   # the plain Styler (pandas gives each a random uuid: the same here)
    views._marshall_styler(expected, table.style.apply(lambda _: css, axis=None).set_uuid(shared.uuid), "1234")
    runs = [sent(shared) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2] == expected.styler.SerializeToString()
    assert b"#fde0dd" in runs[2] and "● 95,0 ↑".encode() in runs[2]
