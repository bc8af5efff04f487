"""The meeting deck: a 16:9 PowerPoint file of one locality's progress (python-pptx).

Slides: a title slide (plans, locality, date, the illustrative-data notice when relevant); one
slide per target with its chart as a sharp image, status, latest value against the target,
plan citation, data date, and speaker notes with the figures; then the status table, split
over several slides when long. Texts and figures come from indicators.present.slides, numbers from
indicators.text.fmt; charts are drawn by the system Chromium, started once for the whole deck.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import os
from dataclasses import dataclass, field

import duckdb
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from indicators.text import fmt
from indicators.present import slides as sl
from indicators.present import task_charts
from indicators.progress.statuses import DEFAULT_TARGET_YEAR, STATUS_COLOURS, status_text
from indicators.present.render import Renderer
from indicators.progress.locality import LocalityProgress, locality_progress

SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)   # 16:9
MARGIN = Inches(0.45)
CONTENT_W = SLIDE_W - 2 * MARGIN
FONT = "Arial"   # Liberation Sans in LibreOffice: same metrics, full Vietnamese diacritics
INK, MUTED, NOTICE_RED = RGBColor(0x11, 0x18, 0x27), RGBColor(0x4B, 0x55, 0x63), RGBColor(0xB4, 0x12, 0x12)
# The chart box on a chart slide, and the CSS pixel size it is drawn at (×2 for sharpness).
# 1160 px across 12.4 in keeps plotly's 20 px type about 15 pt on the slide.
CHART_TOP, CHART_H = Inches(2.28), Inches(4.0)
CHART_PX = (1160, 374)
CHART_SCALE = 2
CHART_FONT_PX = 20
VALUE_LINE_CHARS = 76   # what one 22 pt line holds across the slide (Arial, mixed case)
# The status table: 16 pt text, a page holds about ten one-line rows; long names wrap, so rows
# are measured (TABLE_COLUMNS_IN, CHARS_PER_INCH at 16 pt Arial) and pages filled up to TABLE_BUDGET_IN.
TABLE_COLUMNS_IN = (5.6, 2.4, 2.4, 2.03)
TABLE_FONT_PT = 16
CHARS_PER_INCH = 9.5
LINE_IN, ROW_PAD_IN, TABLE_BUDGET_IN = 0.27, 0.16, 5.3
BLANK_LAYOUT = 6
SHORT_NOTICE = sl.ILLUSTRATIVE_BANNER
# The task board (tasks/board.py): its chart beside its facts, its overdue table at 15 pt.
TASK_CHART_PX = (860, 470)
TASK_CHART_BOX = (MARGIN, Inches(1.75), Inches(8.3), Inches(4.55))
TASK_TABLE_COLUMNS_IN = (3.3, 1.25, 1.6, 6.28)
TASK_TABLE_FONT_PT = 15


class DeckError(ValueError):
    """The deck cannot be made for this request; the message is for a person, in Vietnamese."""


@dataclass
class DeckInfo:
    """What was written: slide counts by kind (1-based slide numbers) and the notice flag."""
    locality_code: str
    locality_name: str
    n_slides: int
    chart_slides: list[int] = field(default_factory=list)
    table_slides: list[int] = field(default_factory=list)
    task_slides: list[int] = field(default_factory=list)
    has_illustrative: bool = False


def _hex(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def _badge_ink(status: str) -> RGBColor:
    # Dark text on the yellow and grey badges, white on green and red: readable on a projector.
    return INK if status in ("needs_acceleration", "no_data") else RGBColor(0xFF, 0xFF, 0xFF)


def _text(slide, left, top, width, height, paragraphs, *, anchor=MSO_ANCHOR.TOP):
    """A text box; `paragraphs` is a list of lists of runs (text, size pt, bold, colour) or
    (runs, alignment) pairs. Text wraps inside the box; nothing shrinks silently."""
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = Inches(0.05)
    tf.margin_top = tf.margin_bottom = Inches(0.02)
    for i, para in enumerate(paragraphs):
        runs, align = para if isinstance(para, tuple) else (para, PP_ALIGN.LEFT)
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.alignment = align
        for text, size, bold, colour in runs:
            r = p.add_run()
            r.text = text
            r.font.name, r.font.size, r.font.bold = FONT, Pt(size), bold
            r.font.color.rgb = colour
    return box


def _badge(slide, left, top, width, height, status: str, size: int = 24):
    shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = _hex(STATUS_COLOURS[status])
    shape.line.fill.background()
    shape.shadow.inherit = False
    tf = shape.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = MSO_ANCHOR.MIDDLE
    p = tf.paragraphs[0]
    p.alignment = PP_ALIGN.CENTER
    r = p.add_run()
    r.text = status_text(status)
    r.font.name, r.font.size, r.font.bold = FONT, Pt(size), True
    r.font.color.rgb = _badge_ink(status)
    return shape


def _page_number(slide, number: int, total: int):
    _text(slide, SLIDE_W - MARGIN - Inches(1.2), SLIDE_H - Inches(0.45), Inches(1.2), Inches(0.35),
          [([(f"{number}/{total}", 12, False, MUTED)], PP_ALIGN.RIGHT)])


def _title_slide(prs, locality: str, rows: list[dict], year: int, today: str, illustrative: bool,
                 approved_only: bool = False):
    s = prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])
    _text(s, MARGIN, Inches(0.7), CONTENT_W, Inches(1.5),
          [[("Tiến độ thực hiện các chỉ tiêu y tế", 40, True, INK)], [(f"đến năm {year}", 40, True, INK)]], anchor=MSO_ANCHOR.BOTTOM)
    _text(s, MARGIN, Inches(2.4), CONTENT_W, Inches(0.8), [[(locality, 34, True, _hex("#1f4e79"))]])
    plans = [[(line, 20, False, INK)] for line in sl.plan_lines(rows)]
    _text(s, MARGIN, Inches(3.3), CONTENT_W, Inches(1.2), plans)
    summary = sl.status_summary(rows)
    latest = sl.latest_data_date(rows)
    facts = [[(f"{len(rows)} chỉ tiêu: {summary}", 22, False, INK)],
             [(f"Ngày xuất: {today}" + (f" · Số liệu đến: {latest}" if latest else ""), 20, False, MUTED)],
             [(sl.FIGURES_SHOWN[approved_only], 20, False, MUTED)]]
    _text(s, MARGIN, Inches(4.5), CONTENT_W, Inches(1.4), facts)
    if illustrative:
        _text(s, MARGIN, Inches(5.95), CONTENT_W, Inches(1.0),
              [[(sl.ILLUSTRATIVE_NOTICE, 20, True, NOTICE_RED)]])
    return s


def _value_paragraphs(slide: dict) -> tuple[list, bool]:
    """Latest, target and projection at 22 pt on one line; on two lines when they would not
    fit (a qualitative target's words, a long unit). Returns (paragraphs, two_lines)."""
    latest = [(f"{slide['latest_label']}: ", 22, False, INK), (slide["latest_text"], 22, True, INK)]
    target = [(f"{slide['target_label']}: ", 22, False, INK), (slide["target_text"], 22, True, INK)]
    projected = ([(f"{slide['projected_label']}: ", 22, False, INK), (slide["projected_text"], 22, True, INK)]
                 if slide["projected_text"] else [])
    gap = [("      ", 22, False, INK)]
    one = latest + gap + target + (gap + projected if projected else [])
    if sum(len(t) for t, *_ in one) <= VALUE_LINE_CHARS:
        return [one], False
    return [latest + (gap + projected if projected else []), target], True


def _chart_slide(prs, slide: dict):
    """Everything but the picture, which is added once all charts are rendered; returns the
    slide and the box (left, top, width, height) its chart goes in."""
    s = prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])
    title_w = CONTENT_W - Inches(3.3)
    _text(s, MARGIN, Inches(0.25), title_w, Inches(1.05),
          [[(slide["title"], 28, True, INK)]], anchor=MSO_ANCHOR.MIDDLE)
    _badge(s, SLIDE_W - MARGIN - Inches(3.1), Inches(0.38), Inches(3.1), Inches(0.8), slide["status"])
    _text(s, MARGIN, Inches(1.3), CONTENT_W, Inches(0.42), [[(slide["subtitle"], 18, False, MUTED)]])
    values, two_lines = _value_paragraphs(slide)
    extra = Inches(0.4) if two_lines else Emu(0)
    _text(s, MARGIN, Inches(1.72), CONTENT_W, Inches(0.5) + extra, values)
    # A second line of values pushes the chart down; it shrinks, keeping its aspect, centred.
    height = CHART_H - extra
    width = int(CONTENT_W * height / CHART_H)
    box = (MARGIN + (CONTENT_W - width) // 2, CHART_TOP + extra, width, height)
    footer = [[(f"Nguồn: {slide['citation']}", 14, False, INK)],
              [(slide["data_date"], 14, True, INK)]]
    if slide["notice"]:
        footer[1] += [("   ", 14, False, INK), (SHORT_NOTICE, 14, True, NOTICE_RED)]
    _text(s, MARGIN, CHART_TOP + CHART_H + Inches(0.08), CONTENT_W - Inches(1.3), Inches(0.95), footer)
    s.notes_slide.notes_text_frame.text = slide["notes"]
    return s, box


def _table_cells(slide: dict, year: int = DEFAULT_TARGET_YEAR) -> list[str]:
    return [slide["row"]["indicator_name"], slide["latest_text"], sl.target_cell(slide["row"], year),
            f"{slide['status_mark']} {slide['status_label']}"]


def _row_height_in(cells: list[str]) -> float:
    lines = max(math.ceil(len(text) / (w * CHARS_PER_INCH)) for text, w in zip(cells, TABLE_COLUMNS_IN))
    return max(1, lines) * LINE_IN + ROW_PAD_IN


def table_pages(rows: list[list[str]]) -> list[tuple[int, int]]:
    """(start, stop) of the rows on each table slide: filled in order up to the height budget
    (header included), then balanced so the last slide is not a lone row. Pure."""
    if not rows:
        return [(0, 0)]
    heights = [_row_height_in(r) for r in rows]
    header = _row_height_in(["Chỉ tiêu", "Mới nhất", "Mục tiêu 2030", "Trạng thái"])
    n_pages, used = 1, header
    for h in heights:
        if used + h > TABLE_BUDGET_IN:
            n_pages, used = n_pages + 1, header
        used += h
    # Same number of pages, rows spread evenly; a page never takes more than the greedy fill did.
    per_page = math.ceil(len(rows) / n_pages)
    bounds, start = [], 0
    while start < len(rows):
        stop, used = start, header
        while stop < len(rows) and stop - start < per_page and used + heights[stop] <= TABLE_BUDGET_IN:
            used += heights[stop]
            stop += 1
        stop = max(stop, start + 1)
        bounds.append((start, stop))
        start = stop
    return bounds


def _table_slides(prs, slides: list[dict], year: int, illustrative: bool) -> list:
    """The status table over as many slides as its rows need (see table_pages)."""
    made = []
    widths = [Inches(w) for w in TABLE_COLUMNS_IN]
    pages = table_pages([_table_cells(x, year) for x in slides])
    n_pages = len(pages)
    for page, (start, stop) in enumerate(pages):
        chunk = slides[start:stop]
        s = prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])
        suffix = f" ({page + 1}/{n_pages})" if n_pages > 1 else ""
        _text(s, MARGIN, Inches(0.3), CONTENT_W, Inches(0.8),
              [[(f"Bảng tổng hợp trạng thái đến năm {year}{suffix}", 30, True, INK)]])
        table = s.shapes.add_table(len(chunk) + 1, 4, MARGIN, Inches(1.2), sum(widths, Emu(0)),
                                   Inches(0.5) * (len(chunk) + 1)).table
        for col, w in enumerate(widths):
            table.columns[col].width = w
        head = ["Chỉ tiêu", "Mới nhất", f"Mục tiêu {year}", "Trạng thái"]
        cells = [head] + [_table_cells(x, year) for x in chunk]
        for i, values in enumerate(cells):
            for j, value in enumerate(values):
                cell = table.cell(i, j)
                cell.margin_left = cell.margin_right = Inches(0.08)
                cell.vertical_anchor = MSO_ANCHOR.MIDDLE
                p = cell.text_frame.paragraphs[0]
                run = p.add_run()
                run.text = value
                run.font.name, run.font.size, run.font.bold = FONT, Pt(TABLE_FONT_PT), i == 0 or j == 3
                run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF) if i == 0 else INK
                if i == 0:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = _hex("#1f4e79")
                elif j == 3:
                    status = chunk[i - 1]["status"]
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = _hex(STATUS_COLOURS[status])
                    run.font.color.rgb = _badge_ink(status)
                else:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor(0xFF, 0xFF, 0xFF) if i % 2 else RGBColor(0xF3, 0xF4, 0xF6)
        if illustrative:
            _text(s, MARGIN, SLIDE_H - Inches(0.6), CONTENT_W - Inches(1.3), Inches(0.45),
                  [[(SHORT_NOTICE, 14, True, NOTICE_RED)]])
        made.append(s)
    return made


def _task_heading(s, slide: dict) -> None:
    _text(s, MARGIN, Inches(0.3), CONTENT_W, Inches(0.85), [[(slide["title"], 30, True, INK)]],
          anchor=MSO_ANCHOR.MIDDLE)
    _text(s, MARGIN, Inches(1.15), CONTENT_W, Inches(0.45), [[(slide["subtitle"], 18, False, MUTED)]])
    _text(s, MARGIN, SLIDE_H - Inches(0.6), CONTENT_W - Inches(1.3), Inches(0.45),
          [[(f"Nguồn: {slide['citation']}", 14, False, INK)]])
    s.notes_slide.notes_text_frame.text = slide["notes"]


def _task_states_slide(prs, slide: dict):
    """The plan's tasks by state: the chart (added once drawn) and the facts beside it."""
    s = prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])
    _task_heading(s, slide)
    left = TASK_CHART_BOX[0] + TASK_CHART_BOX[2] + Inches(0.3)
    facts = [[(f, 22, i < 2, INK)] for i, f in enumerate(slide["facts"])]
    _text(s, left, Inches(2.0), SLIDE_W - MARGIN - left, Inches(4.2), facts)
    return s, TASK_CHART_BOX


def _task_overdue_slide(prs, slide: dict):
    """The overdue tasks by lead agency, as a table (or the sentence that there is none)."""
    s = prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])
    _task_heading(s, slide)
    if not slide["rows"]:
        _text(s, MARGIN, Inches(2.2), CONTENT_W, Inches(1.0), [[(slide["empty"], 24, True, INK)]])
        return s
    widths = [Inches(w) for w in TASK_TABLE_COLUMNS_IN]
    table = s.shapes.add_table(len(slide["rows"]) + 1, len(widths), MARGIN, Inches(1.7), sum(widths, Emu(0)),
                               Inches(0.45) * (len(slide["rows"]) + 1)).table
    for col, w in enumerate(widths):
        table.columns[col].width = w
    for i, values in enumerate([slide["columns"], *slide["rows"]]):
        for j, value in enumerate(values):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(0.07)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            run = cell.text_frame.paragraphs[0].add_run()
            run.text = value
            run.font.name, run.font.size, run.font.bold = FONT, Pt(TASK_TABLE_FONT_PT), i == 0 or j == 1
            run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF) if i == 0 else INK
            cell.fill.solid()
            cell.fill.fore_color.rgb = (_hex("#1f4e79") if i == 0 else
                                        RGBColor(0xFF, 0xFF, 0xFF) if i % 2 else RGBColor(0xF3, 0xF4, 0xF6))
    if slide["more"]:
        _text(s, MARGIN, SLIDE_H - Inches(1.05), CONTENT_W, Inches(0.4), [[(slide["more"], 16, False, MUTED)]])
    return s


def _task_slides(prs, extra: list[dict]) -> tuple[list, list]:
    """The task board slides in order: (every slide made, [(slide, chart box)] awaiting a chart)."""
    made, charted = [], []
    for slide in extra:
        if slide["kind"] == "task_states":
            page, box = _task_states_slide(prs, slide)
            charted.append((page, box, slide))
        elif slide["kind"] == "task_overdue":
            page = _task_overdue_slide(prs, slide)
        else:
            raise ValueError(f"không biết vẽ trang loại {slide['kind']!r}")
        made.append(page)
    return made, charted


def task_figures(charted: list) -> list:
    return [task_charts.state_figure(slide["counts"], height=TASK_CHART_PX[1], large=True)
            for _, _, slide in charted]


def chart_figures(slides: list[dict]) -> list:
    """The deck's charts: the slides' large figures with type sized for a projector."""
    figs = []
    for slide in slides:
        fig = sl.slide_figure(slide, height=CHART_PX[1], large=True)
        fig.update_layout(font={"size": CHART_FONT_PX}, legend={"font": {"size": CHART_FONT_PX}},
                          margin={"l": 10, "r": 20, "t": 10, "b": 10})
        figs.append(fig)
    return figs


def exportable_progress(con: duckdb.DuckDBPyConnection, locality_code: str, year: int,
                        what: str, approved_only: bool = False) -> tuple[str, LocalityProgress]:
    """(locality name, its progress) for an export, or DeckError before any drawing starts:
    an unknown code, or a locality without targets ("không có gì để {what}"). `approved_only`:
    judged on the approved periods' figures only."""
    name = sl.locality_name(con, locality_code)
    if name is None:
        raise DeckError(f"Không có địa phương mã '{locality_code}'. Mã tỉnh gồm 2 chữ số (01, 12), "
                        "mã xã/phường gồm 5 chữ số (09931).")
    lp = locality_progress(con, locality_code, year, approved_only=approved_only)
    if not lp.rows:
        raise DeckError(f"{name} ({locality_code}) chưa có chỉ tiêu nào trong các kế hoạch: "
                        f"không có gì để {what}.")
    return name, lp


def build_deck(con: duckdb.DuckDBPyConnection, locality_code: str, out: str | os.PathLike | io.BufferedIOBase,
               year: int = DEFAULT_TARGET_YEAR, order: str = "indicator", *,
               renderer: Renderer | None = None, chromium: str | None = None,
               today: dt.date | None = None, approved_only: bool = False,
               extra_slides: list[dict] | None = None) -> DeckInfo:
    """Write the deck of `locality_code` toward `year` to `out` (a path or a binary buffer).

    `order` is "indicator" (the locality page's group order) or "offtrack" (off-track and
    needs-acceleration first; every target is still shown). A `renderer` already started is
    reused; otherwise Chromium is started here, in the background while slides are laid out,
    and stopped at the end. `approved_only`: judged on approved figures only; the title slide
    says which figures the deck shows either way. `extra_slides`: the task board's slides
    (tasks/board.py, composed by the caller: this room does not read tasks), after the table. Raises DeckError (unknown locality, no targets) and
    render.ChromiumMissing (no browser), both with a Vietnamese sentence.
    """
    own = renderer is None
    name, lp = exportable_progress(con, locality_code, year, "trình chiếu", approved_only)
    if own:
        renderer = Renderer(chromium).start()   # Chromium loads while the slides are laid out
    try:
        slides = sl.slides_of_locality(lp, name, order)
        prs = Presentation()
        prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
        today_text = fmt.date((today or dt.date.today()).isoformat())
        _title_slide(prs, name, lp.rows, year, today_text, lp.has_illustrative, approved_only)
        chart_pages = [_chart_slide(prs, x) for x in slides]
        table_pages = _table_slides(prs, slides, year, lp.has_illustrative)
        task_pages, task_charted = _task_slides(prs, extra_slides or [])
        pngs = renderer.pngs(chart_figures(slides), width=CHART_PX[0], height=CHART_PX[1],
                             scale=CHART_SCALE)
        task_pngs = renderer.pngs(task_figures(task_charted), width=TASK_CHART_PX[0], height=TASK_CHART_PX[1],
                                  scale=CHART_SCALE)
    finally:
        if own:
            renderer.close()
    for (page, (left, top, width, height)), png in zip(chart_pages, pngs):
        page.shapes.add_picture(io.BytesIO(png), left, top, width=width, height=height)
    for (page, (left, top, width, height), _), png in zip(task_charted, task_pngs):
        page.shapes.add_picture(io.BytesIO(png), left, top, width=width, height=height)
    total = len(prs.slides)
    for i, page in enumerate(prs.slides, start=1):
        if i > 1:
            _page_number(page, i, total)
    prs.save(out)
    return DeckInfo(
        locality_code=locality_code, locality_name=name, n_slides=total,
        chart_slides=list(range(2, 2 + len(chart_pages))),
        table_slides=list(range(2 + len(chart_pages), 2 + len(chart_pages) + len(table_pages))),
        task_slides=list(range(total - len(task_pages) + 1, total + 1)),
        has_illustrative=lp.has_illustrative,
    )
