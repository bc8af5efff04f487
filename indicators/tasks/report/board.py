"""The task board for a meeting: for each plan with tasks, a slide of its tasks by state and one
of the overdue tasks by lead agency, as plain slide dicts (texts formatted, counts as a
DataFrame) that the presenter page and the deck draw (present/task_charts.py, present/deck.py).
"""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from indicators.tasks import listing

from indicators.tasks.report import quarterly
from indicators.tasks.parse import quarter_of
from indicators.tasks.states import COLOURS, DONE, LABELS_VI, SHOWN
from indicators.text import fmt

TOP_AGENCIES = 8      # rows of the overdue slide: what a 16 pt table holds
TASKS_NAMED = 6       # task numbers named per agency before "+ N"
KINDS = ("task_states", "task_overdue")
OVERDUE_COLUMNS = ["Cơ quan chủ trì", "Quá hạn", "Trễ lâu nhất", "Nhiệm vụ quá hạn (trễ lâu nhất trước)"]


def state_frame(tasks: pd.DataFrame) -> pd.DataFrame:
    """state, label, n, colour for every shown state, in SHOWN order (zeros included)."""
    n = tasks["state"].value_counts().reindex(list(SHOWN), fill_value=0)
    return pd.DataFrame({"state": list(SHOWN), "label": [LABELS_VI[s] for s in SHOWN],
                         "n": [int(v) for v in n], "colour": [COLOURS[s] for s in SHOWN]})


def agency_rows(tasks: pd.DataFrame, top: int = TOP_AGENCIES) -> tuple[list[list[str]], str | None]:
    """The overdue slide's rows (OVERDUE_COLUMNS as text), agencies with the latest task first,
    and a line for the agencies left out (None when none is)."""
    late = quarterly.overdue_by_agency(tasks)
    rows = []
    for agency, part in late.groupby("agency", sort=False):
        named = [f"{r.task_no} ({fmt.number(r.days_late, 0)} ngày)" for r in part.head(TASKS_NAMED).itertuples()]
        more = f" + {len(part) - TASKS_NAMED} nhiệm vụ khác" if len(part) > TASKS_NAMED else ""
        rows.append([agency, fmt.number(len(part), 0), f"{fmt.number(int(part['days_late'].max()), 0)} ngày",
                     " · ".join(named) + more])
    if len(rows) <= top:
        return rows, None
    rest = late[late["agency"].isin([r[0] for r in rows[top:]])]
    return rows[:top], (f"… và {len(rows) - top} cơ quan khác ({fmt.number(rest['task_no'].nunique(), 0)} "
                        "nhiệm vụ quá hạn)")


def board_slides(con: duckdb.DuckDBPyConnection, plan_code: str, as_of: date) -> list[dict]:
    """The plan's two board slides as of `as_of` (the report of its quarter, as quarterly.content)."""
    q = quarterly.content(con, plan_code, quarter_of(as_of), as_of, today=as_of)
    tasks = q.tasks
    counts = state_frame(tasks)
    n = dict(zip(counts["state"], counts["n"]))
    done = sum(n[s] for s in DONE)
    when = f"Tình hình đến ngày {as_of:%d/%m/%Y}"
    facts = [f"{len(tasks)} nhiệm vụ",
             f"{LABELS_VI['overdue']}: {n['overdue']}",
             f"{LABELS_VI['blocked']}: {int(listing.stuck(tasks).sum())} (kể cả quá hạn)",
             f"Đã hoàn thành: {done} (trong đó quá hạn {n['done_late']})",
             f"Có báo cáo trong {q.quarter_label}: {q.n_in_quarter}"]
    rows, more = agency_rows(tasks)
    common = {"plan_code": plan_code, "locality_code": q.plan["locality_code"], "citation": q.plan_line,
              "notice": None, "as_of": as_of.isoformat()}
    states = {
        **common, "kind": "task_states", "key": f"tasks/{plan_code}/states",
        "title": f"Nhiệm vụ của {q.plan_name}", "subtitle": f"{when} · {len(tasks)} nhiệm vụ theo tình trạng",
        "counts": counts, "facts": facts,
        "notes": "\n".join([f"Nhiệm vụ của {q.plan_line}", when, *facts,
                            *(f"{r['label']}: {r['n']}" for r in counts.to_dict("records"))]),
    }
    overdue = {
        **common, "kind": "task_overdue", "key": f"tasks/{plan_code}/overdue",
        "title": "Nhiệm vụ quá hạn theo cơ quan chủ trì",
        "subtitle": f"{q.plan_name} · {when.lower()} · {q.n_overdue} nhiệm vụ quá hạn",
        "columns": OVERDUE_COLUMNS, "rows": rows, "more": more,
        "empty": f"Không có nhiệm vụ nào quá hạn tính đến ngày {as_of:%d/%m/%Y}.",
        "notes": "\n".join([f"Nhiệm vụ quá hạn của {q.plan_line}", when,
                            *(f"{r[0]}: {r[1]} nhiệm vụ, trễ lâu nhất {r[2]} – {r[3]}" for r in rows),
                            *([more] if more else [])]),
    }
    return [states, overdue]


def locality_boards(con: duckdb.DuckDBPyConnection, locality_code: str | None, as_of: date) -> list[dict]:
    """The board slides of every plan of the locality that has tasks (of every such plan when
    `locality_code` is None), in plan order; [] when none has."""
    plans = listing.plans_with_tasks(con)
    if locality_code:
        plans = plans[plans["locality_code"] == locality_code]
    return [s for code in plans["plan_code"] for s in board_slides(con, code, as_of)]
