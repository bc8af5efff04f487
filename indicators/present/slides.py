"""Slides for presenting progress: one dict per chart, in the order the presenter chose.

The presentation page, the deck and the printed report all show the same slides, so what a
slide says (title, status, latest value against the target, the plan it comes from, how old
the data is, whether it is illustrative) is decided here once. Everything below the loaders
is pure: status rows and DataFrames in, plain dicts out.

Three orders:
- `locality_slides`  – every target of one locality ("indicator" order: by group, as the
  locality page; "offtrack" order: what needs action first, then the rest);
- `indicator_slides` – one indicator across every locality whose plans target it;
- `attention_slides` – only the off-track, then needs-acceleration targets of one locality,
  or of every locality with targets (the overview's "off track first").
"""
from __future__ import annotations

from collections import Counter

import duckdb
import pandas as pd

from indicators.text import fmt
from indicators.text import i18n
from indicators.present.charts import progress_figure, progress_spec
from indicators.progress.method import period_time
from indicators.progress.statuses import (ATTENTION_ORDER, DEFAULT_TARGET_YEAR, NEEDS_ACTION, STATUS_COLOURS,
                                         STATUS_LABELS_VI, STATUS_MARKS, STATUSES, status_text)
from indicators.store.sql import query
from indicators.progress.locality import LocalityProgress, locality_progress

ORDERS = {
    "indicator": "Từng chỉ tiêu của một địa phương",
    "locality": "Từng địa phương cho một chỉ tiêu",
    "offtrack": "Chệch hướng và cần tăng tốc trước",
}
# One plain-text sentence for slides and print (the page's notice without its markdown).
ILLUSTRATIVE_NOTICE = i18n.t("illustrative_notice", "vi").replace("**", "")
ILLUSTRATIVE_SHORT = i18n.t("illustrative_short", "vi")
# The one-line form, for a slide's footer or a printed page's header.
ILLUSTRATIVE_BANNER = "DỮ LIỆU MINH HỌA – số liệu báo cáo là số tự tạo để xem thử, không phải số liệu thực."
# Which reported figures an export is judged on (approval of reported periods, issue 12).
FIGURES_SHOWN = {False: "Số liệu: mọi số liệu đã báo cáo (kể cả chưa được duyệt)",
                 True: "Số liệu: chỉ số liệu đã được duyệt"}


# --------------------------------------------------------------------------- pure core

def plan_name(row: dict) -> str:
    """'Kế hoạch 243/KH-SYT'; a plan known by its date only keeps its own words
    ('Kế hoạch ngày 27/5/2025'), not 'Kế hoạch Kế hoạch …'."""
    number = fmt.plan_number(row["plan_number"])
    return number if number.lower().startswith("kế hoạch") else f"Kế hoạch {number}"


def plan_citation(row: dict) -> str:
    """'Kế hoạch 243/KH-SYT ngày 27/11/2025 của Sở Y tế tỉnh Lai Châu – Mục II.1.3, …'
    (the date is not repeated when the plan's name already carries it)."""
    named = plan_name(row)
    issued = (f" ngày {fmt.date(row['plan_issued_on'])}"
              if row.get("plan_issued_on") and "ngày" not in named.lower() else "")
    issuer = f" của {row['plan_issuer']}" if row.get("plan_issuer") else ""
    clause = f" – {row['clause']}" if row.get("clause") else ""
    return f"{named}{issued}{issuer}{clause}"


def plan_line(row: dict) -> str:
    """A plan without the clause, for title slides: 'Kế hoạch 243/KH-SYT ngày … của …'."""
    return plan_citation({**row, "clause": None})


def latest_text(row: dict) -> str:
    """'28,6‰ (2025)', or that nothing has been reported."""
    if row["latest_value"] is None:
        return i18n.t("no_value", "vi")
    v = fmt.value(row["latest_value"], row["unit"], row["decimals"], row["value_kind"])
    return f"{v} ({fmt.period(row['latest_period'])})" if row["latest_period"] else v


def target_text(row: dict) -> str:
    """'< 20‰', '≥ 13,5 bác sĩ/10.000 dân', or the plan's words for a qualitative target."""
    return fmt.target(row["target_comparator"], row["target_value"], row["unit"],
                      row["decimals"], row["value_kind"], row["target_text"])


def target_cell(row: dict, year: int) -> str:
    """A target in a table headed 'Mục tiêu {year}': its milestone year added when another
    (a plan with no {year} milestone is judged on its next one, e.g. 2045)."""
    text = target_text(row)
    return text if row["target_year"] == year else f"{text} (năm {row['target_year']})"


def target_label(row: dict) -> str:
    """'Mục tiêu 2030', 'Mục tiêu 2030 (mỗi năm)'."""
    every = " (mỗi năm)" if row["is_every_year"] else ""
    return f"Mục tiêu {row['target_year']}{every}"


def projected_text(row: dict) -> str | None:
    """The projection to the target year ('27,2‰'), when the method makes one worth showing."""
    if row["projected_value"] is None or row["value_kind"] == "yes_no" or row["is_every_year"]:
        return None
    return fmt.value(row["projected_value"], row["unit"], row["decimals"], row["value_kind"])


def data_date(row: dict) -> str:
    """How recent the figures are: 'Số liệu đến: Quý I/2025'."""
    if row["latest_period"]:
        return f"Số liệu đến: {fmt.period(row['latest_period'])}"
    return "Số liệu đến: chưa có số liệu báo cáo"


def baseline_how(row: dict) -> str:
    """Where the baseline comes from (DESIGN rule 7): the plan, else the latest reported value
    at or before the plan's start year, else the earliest one after it; with no start year
    known (or no row field for it), the earliest reported value."""
    if row["baseline_source"] == "document":
        return "theo kế hoạch"
    start, year = row.get("plan_start_year"), row.get("baseline_year")
    if start is None or year is None:
        return "kế hoạch không ghi; lấy số báo cáo sớm nhất"
    # The line already sits in brackets ("Đầu vào 2025: 44,1‰ (…)"): the year by a dash, not in brackets.
    if year <= start:
        return f"kế hoạch không ghi; lấy số báo cáo gần nhất tính đến năm {start} – năm bắt đầu kế hoạch"
    return (f"kế hoạch không ghi; chưa có số liệu đến năm {start} – năm bắt đầu kế hoạch – "
            "nên lấy số báo cáo sớm nhất sau đó")


def facts(row: dict) -> list[str]:
    """The figures behind a status, one line each, in Vietnamese number format."""
    u, d, k = row["unit"], row["decimals"], row["value_kind"]
    lines = [f"Trạng thái: {status_text(row['status'])}"]
    if row["baseline_value"] is not None:
        how = baseline_how(row)
        lines.append(f"Đầu vào {row['baseline_year']}: {fmt.value(row['baseline_value'], u, d, k)} ({how})")
    latest = latest_text(row)
    if row["latest_is_illustrative"]:
        latest += f" – {ILLUSTRATIVE_SHORT.lower()}"
    lines.append(f"Mới nhất: {latest}")
    lines.append(f"{target_label(row)}: {target_text(row)}")
    if (projected := projected_text(row)) is not None:
        lines.append(f"Dự báo {row['target_year']}: {projected}")
    if row["required_annual_change"] and row["status"] != "achieved" and not row["is_every_year"]:
        lines.append(f"Cần thay đổi mỗi năm: {fmt.signed(row['required_annual_change'], u, d)}/năm")
    share = row["progress_share"]
    if share is not None and row["status"] != "achieved":
        lines.append(f"Đã đi được {fmt.number(100 * share, 0)}% chặng đường" if share >= 0
                     else f"Lùi {fmt.number(-100 * share, 0)}% so với đầu vào")
    if row["yearly"]:
        lines.append("Từng năm: " + " · ".join(
            f"{y}: {fmt.value(v, u, d, k)} {'✔' if ok else '✘'}" for y, v, ok in row["yearly"]))
    if row["is_qualitative"]:
        lines.append("Chỉ tiêu định tính: kế hoạch không ghi con số, trạng thái không tính được.")
    return lines


def detail_facts(row: dict) -> list[str]:
    """The figures beyond status, latest value and target (baseline, projection, pace, years):
    what the locality page and a slide show under the headline."""
    shown = ("Trạng thái", "Mới nhất", "Mục tiêu")
    return [f for f in facts(row) if not f.startswith(shown)]


def chart_inputs(row: dict, observations: pd.DataFrame, milestones: pd.DataFrame
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The row's observations and its plan's milestones up to the target year (as the locality page)."""
    obs = observations[observations["indicator_code"] == row["indicator_code"]]
    ms = milestones[(milestones["plan_code"] == row["plan_code"])
                    & (milestones["indicator_code"] == row["indicator_code"])
                    & (milestones["target_year"] <= row["target_year"])]
    return obs.reset_index(drop=True), ms.reset_index(drop=True)


def make_slide(row: dict, observations: pd.DataFrame, milestones: pd.DataFrame,
               locality_name: str, *, title: str | None = None, subtitle: str | None = None) -> dict:
    """One chart slide for a status row; `observations`/`milestones` may be the locality's whole
    frames (they are filtered to the row). Title defaults to the indicator, subtitle to the place."""
    obs, ms = chart_inputs(row, observations, milestones)
    status = row["status"]
    notes = [row["indicator_name"], f"{locality_name} – {row['indicator_group']}", *facts(row),
             f"Nguồn: {plan_citation(row)}", f"Nội dung chỉ tiêu: “{row['target_text']}”",
             data_date(row)]
    if row["has_illustrative"]:
        notes.append(ILLUSTRATIVE_NOTICE)
    return {
        "kind": "chart",
        "key": f"{row['locality_code']}/{row['plan_code']}/{row['indicator_code']}",
        "title": title or row["indicator_name"],
        "subtitle": subtitle or f"{locality_name} · {row['indicator_group']}",
        "locality_code": row["locality_code"],
        "locality_name": locality_name,
        "row": row,
        "observations": obs,
        "milestones": ms,
        "status": status,
        "status_label": STATUS_LABELS_VI[status],
        "status_mark": STATUS_MARKS[status],
        "status_colour": STATUS_COLOURS[status],
        "latest_label": "Mới nhất",
        "latest_text": latest_text(row),
        "target_label": target_label(row),
        "target_text": target_text(row),
        "projected_label": f"Dự báo {row['target_year']}",
        "projected_text": projected_text(row),
        "citation": plan_citation(row),
        "data_date": data_date(row),
        "notice": ILLUSTRATIVE_NOTICE if row["has_illustrative"] else None,
        "facts": facts(row),
        "notes": "\n".join(notes),
    }


def slide_figure(slide: dict, *, height: int = 520, large: bool = True):
    """The slide's progress chart (plotly figure, Vietnamese separators)."""
    return progress_figure(slide["row"], slide["observations"], slide["milestones"],
                           height=height, large=large)


def slide_spec(slide: dict, *, height: int = 520, large: bool = True) -> dict:
    """The same chart as a figure dict (charts.progress_spec), for the presenter's shared figures."""
    return progress_spec(slide["row"], slide["observations"], slide["milestones"], height=height, large=large)


def attention_key(slide: dict) -> int:
    return ATTENTION_ORDER.index(slide["status"])


def slides_of_locality(lp: LocalityProgress, locality_name: str, order: str = "indicator") -> list[dict]:
    """Every target of the locality, as slides: "indicator" keeps the page's group order,
    "offtrack" puts off-track, then needs-acceleration, first (stable within a status)."""
    if order not in ("indicator", "offtrack"):
        raise ValueError(f"thứ tự trình chiếu không hợp lệ: {order!r} (indicator hoặc offtrack)")
    slides = [make_slide(r, lp.observations, lp.milestones, locality_name) for r in lp.rows]
    return sorted(slides, key=attention_key) if order == "offtrack" else slides


def slides_of_indicator(progresses: list[tuple[str, LocalityProgress]], indicator_code: str) -> list[dict]:
    """One indicator across localities: a slide per (locality, plan) target, titled by the place."""
    slides = []
    for name, lp in progresses:
        for r in lp.rows:
            if r["indicator_code"] == indicator_code:
                slides.append(make_slide(
                    r, lp.observations, lp.milestones, name, title=name,
                    subtitle=f"{r['indicator_name']} · {plan_name(r)}"))
    return slides


def needing_action(slides: list[dict]) -> list[dict]:
    """Only off-track slides, then needs-acceleration ones, in their given order within each."""
    return sorted((s for s in slides if s["status"] in NEEDS_ACTION), key=attention_key)


def status_counts(rows: list[dict]) -> dict[str, int]:
    """How many targets have each status, every status present (zeros included)."""
    c = Counter(r["status"] for r in rows)
    return {s: c.get(s, 0) for s in STATUSES}


def status_summary(rows: list[dict]) -> str:
    """'2 ▼ Chệch hướng · 5 ▲ Đúng tiến độ': the statuses present, with their counts."""
    counts = status_counts(rows)
    return " · ".join(f"{n} {status_text(s)}" for s, n in counts.items() if n)


def plan_lines(rows: list[dict]) -> list[str]:
    """The distinct plans behind the rows, in first-seen order, for a title slide."""
    seen: dict[str, str] = {}
    for r in rows:
        seen.setdefault(r["plan_code"], plan_line(r))
    return list(seen.values())


def latest_data_date(rows: list[dict]) -> str | None:
    """The most recent period reported for any row, formatted ('Quý I/2025'), or None."""
    periods = [r["latest_period"] for r in rows if r["latest_period"]]
    return fmt.period(max(periods, key=period_time)) if periods else None


# --------------------------------------------------------------------------- loaders

def locality_name(con: duckdb.DuckDBPyConnection, locality_code: str) -> str | None:
    """'Tỉnh Lai Châu', or 'Xã Hưng Đạo, Thành phố Hà Nội' for a commune; None if unknown."""
    row = con.cursor().execute(query("locality_by_code"), {"locality": locality_code}).fetchone()
    if row is None:
        return None
    _, name, level, _, parent_name = row
    return f"{name}, {parent_name}" if level == "commune" and parent_name else name


def _name_or_code(con: duckdb.DuckDBPyConnection, code: str) -> str:
    return locality_name(con, code) or code


def locality_slides(con: duckdb.DuckDBPyConnection, locality_code: str,
                    year: int = DEFAULT_TARGET_YEAR, order: str = "indicator") -> list[dict]:
    """Every target of one locality toward `year`, as slides in `order` (indicator | offtrack)."""
    lp = locality_progress(con, locality_code, year)
    return slides_of_locality(lp, _name_or_code(con, locality_code), order)


def localities_with_targets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Codes of the localities some plan sets a target for (provinces first, as the query orders)."""
    return [r[0] for r in con.cursor().execute(query("localities_with_targets")).fetchall()]


def indicator_slides(con: duckdb.DuckDBPyConnection, indicator_code: str,
                     year: int = DEFAULT_TARGET_YEAR) -> list[dict]:
    """One indicator in every locality whose plans set a target for it."""
    progresses = [(_name_or_code(con, code), locality_progress(con, code, year))
                  for code in localities_with_targets(con)]
    return slides_of_indicator(progresses, indicator_code)


def attention_slides(con: duckdb.DuckDBPyConnection, locality_code: str | None = None,
                     year: int = DEFAULT_TARGET_YEAR) -> list[dict]:
    """Off-track, then needs-acceleration targets: of one locality, or (None) of every locality
    with targets; within a status, localities in the query's order, targets by group."""
    codes = [locality_code] if locality_code else localities_with_targets(con)
    slides = []
    for code in codes:
        slides += locality_slides(con, code, year)
    return needing_action(slides)


def slides_for(con: duckdb.DuckDBPyConnection, order: str, *, locality_code: str | None = None,
               indicator_code: str | None = None, year: int = DEFAULT_TARGET_YEAR) -> list[dict]:
    """The page's one entry point: `order` is a key of ORDERS."""
    if order == "indicator":
        return locality_slides(con, locality_code, year)
    if order == "locality":
        return indicator_slides(con, indicator_code, year)
    if order == "offtrack":
        return attention_slides(con, locality_code, year)
    raise ValueError(f"thứ tự trình chiếu không hợp lệ: {order!r}; chọn một trong {list(ORDERS)}")
