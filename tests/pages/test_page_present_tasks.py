"""AppTest of the presenter's task board: Hà Nội's slides end with its plan's tasks by state and
the overdue tasks by lead agency; a locality whose plans have no tasks shows none."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from indicators.present.slides import slides_for
from indicators.store import gate
from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "present.py")


def open_page(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def html_text(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def progress_slides(db, locality: str) -> int:
    with gate.reading(db) as con:
        return len(slides_for(con, "indicator", locality_code=locality))


def test_setup_counts_the_task_board_for_ha_noi(seeded_db):
    at = open_page(order="indicator", locality="01")
    n = progress_slides(seeded_db, "01")
    assert any(f"**{n + 2} trang**" in m.value and "2 trang về nhiệm vụ" in m.value for m in at.markdown)


def test_the_board_follows_the_progress_slides(seeded_db):
    n = progress_slides(seeded_db, "01")
    at = open_page(order="indicator", locality="01", slide=str(n + 1))
    body = html_text(at)
    assert "Nhiệm vụ của Kế hoạch 71/KH-UBND" in body and "43 nhiệm vụ" in body and "Quá hạn:" in body
    assert f"Trang {n + 1}/{n + 2}" in body and "Nguồn: Kế hoạch 71/KH-UBND ngày 26/02/2026" in body
    chart = at.get("plotly_chart")
    assert len(chart) == 1
    bars = json.loads(chart[0].proto.spec)["data"][0]
    assert bars["y"][:2] == ["Quá hạn", "Vướng mắc"] and "Chưa báo cáo" in bars["y"]
    at.button(key="next").click().run()
    body = html_text(at)
    assert "Nhiệm vụ quá hạn theo cơ quan chủ trì" in body and "<th>Cơ quan chủ trì</th>" in body
    assert "<td>Sở Y tế</td>" in body and f"Trang {n + 2}/{n + 2}" in body
    assert not at.get("plotly_chart") and at.button(key="next").disabled


def test_no_board_where_no_plan_has_tasks(seeded_db):
    at = open_page(order="indicator", locality="12")
    assert any("**9 trang**" in m.value and "nhiệm vụ" not in m.value for m in at.markdown)
