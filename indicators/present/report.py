"""The printable report: a PDF of one locality's progress, A4 landscape.

Page 1 is the summary (plans, counts by status, the status table); then one page per group of
indicators (a group with more than ROWS_PER_PAGE targets continues on the next page), each
target a row: its status, latest value against the target and the plan citation beside its
chart. The document is HTML with the charts embedded as PNG data URIs (drawn by the same
renderer as the deck) and a Content-Security-Policy that forbids loading anything, printed to
PDF by the system Chromium in headless mode. `report_html` alone gives the print-styled page.
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from indicators.text import fmt
from indicators.present import slides as sl
from indicators.present.deck import exportable_progress
from indicators.progress.statuses import DEFAULT_TARGET_YEAR, STATUS_COLOURS, status_text
from indicators.present.render import RenderError, Renderer, find_chromium

ROWS_PER_PAGE = 3
CHART_PX = (700, 204)      # drawn ×2; shown 158 mm wide, so 15 px type prints about 10 pt
CHART_FONT_PX = 15
PRINT_TIMEOUT_S = 90
CHART_LEGEND = ("Cách đọc biểu đồ: đường xanh đậm – số liệu báo cáo; ô vuông xám – đầu vào theo kế hoạch; "
                "đường chấm – lộ trình cần đạt; đường gạch cam – dự báo đến năm mục tiêu; ngôi sao – mốc "
                "mục tiêu; vùng tô xanh – phía đạt mục tiêu.")

CSS = """
@page { size: A4 landscape; margin: 11mm 12mm 13mm 12mm;
        @bottom-right { content: "Trang " counter(page) "/" counter(pages); font: 9pt Arial, sans-serif; color: #4b5563; } }
* { box-sizing: border-box; }
body { font-family: Arial, "Liberation Sans", "DejaVu Sans", sans-serif; color: #111827; margin: 0; font-size: 11pt; }
.page { page-break-after: always; break-after: page; }
.page:last-child { page-break-after: auto; break-after: auto; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
h2 { font-size: 16pt; margin: 0 0 1mm; color: #1f4e79; }
.meta { color: #4b5563; font-size: 10pt; margin: 0 0 3mm; }
.notice { color: #b41212; font-weight: bold; font-size: 10pt; margin: 1mm 0 3mm; }
.badge { display: inline-block; padding: 0.6mm 2.5mm; border-radius: 2mm; font-weight: bold; font-size: 10pt;
         -webkit-print-color-adjust: exact; print-color-adjust: exact; }
table.status { border-collapse: collapse; width: 100%; font-size: 10.5pt; }
table.status th { background: #1f4e79; color: white; text-align: left; padding: 1.5mm 2mm;
                  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
table.status td { border-bottom: 0.3mm solid #d1d5db; padding: 1.1mm 2mm; vertical-align: middle; }
table.status td:last-child, table.status th:last-child { white-space: nowrap; width: 1%; }
table.status tr { break-inside: avoid; }
.target { display: flex; gap: 5mm; border-top: 0.4mm solid #d1d5db; padding: 2.5mm 0; break-inside: avoid; }
.target .text { width: 108mm; flex: none; }
.target .name { font-weight: bold; font-size: 12pt; margin-bottom: 1.2mm; }
.target .date { font-size: 9.5pt; color: #4b5563; margin-left: 2mm; }
.target .line { margin: 1.2mm 0; }
.target .more { font-size: 10pt; }
.target .small { font-size: 8.5pt; color: #4b5563; margin-top: 1.2mm; }
.target img { width: 158mm; height: auto; display: block; }
.legend { font-size: 8.5pt; color: #4b5563; margin-top: 1mm; }
"""


@dataclass
class ReportInfo:
    locality_code: str
    locality_name: str
    n_pages: int              # pages of the document: 1 summary + the group pages
    groups: list[str]
    has_illustrative: bool


def _e(text) -> str:
    return html.escape(str(text))


def _badge(status: str) -> str:
    ink = "#111827" if status in ("needs_acceleration", "no_data") else "#ffffff"
    return (f'<span class="badge" style="background:{STATUS_COLOURS[status]};color:{ink}">'
            f"{_e(status_text(status))}</span>")


def group_pages(slides: list[dict], rows_per_page: int = ROWS_PER_PAGE) -> list[tuple[str, list[dict]]]:
    """(group title, slides) per printed page: groups in first-seen order, long ones continued."""
    groups: dict[str, list[dict]] = {}
    for s in slides:
        groups.setdefault(s["row"]["indicator_group"], []).append(s)
    pages = []
    for name, items in groups.items():
        chunks = [items[i:i + rows_per_page] for i in range(0, len(items), rows_per_page)]
        for k, chunk in enumerate(chunks):
            pages.append((name + (" (tiếp)" if k else ""), chunk))
    return pages


def _target_block(s: dict, png: bytes | None) -> str:
    r = s["row"]
    more = [f for f in s["facts"] if f.startswith(("Dự báo", "Cần thay đổi", "Đã đi được", "Lùi",
                                                   "Từng năm", "Chỉ tiêu định tính"))]
    lines = [f'<div class="name">{_e(r["indicator_name"])}</div>',
             f'<div>{_badge(s["status"])} <span class="date">{_e(s["data_date"])}</span></div>',
             f'<div class="line">{_e(s["latest_label"])}: <b>{_e(s["latest_text"])}</b> · '
             f'{_e(s["target_label"])}: <b>{_e(s["target_text"])}</b></div>']
    if more:
        lines.append(f'<div class="line more">{_e(" · ".join(more))}</div>')
    lines.append(f'<div class="small">Nguồn: {_e(s["citation"])}</div>')
    img = (f'<img alt="Biểu đồ {_e(r["indicator_name"])}" src="data:image/png;base64,'
           f'{base64.b64encode(png).decode("ascii")}">' if png else "")
    return f'<div class="target"><div class="text">{"".join(lines)}</div><div>{img}</div></div>'


def report_html(locality: str, rows: list[dict], slides: list[dict], pngs: list[bytes | None],
                year: int, today: str, has_illustrative: bool, approved_only: bool = False) -> str:
    """The whole report as one self-contained HTML document (pure: no file, no browser)."""
    png_of = {s["key"]: p for s, p in zip(slides, pngs)}
    notice = f'<p class="notice">{_e(sl.ILLUSTRATIVE_NOTICE)}</p>' if has_illustrative else ""
    short_notice = f'<p class="notice">{_e(sl.ILLUSTRATIVE_BANNER)}</p>' if has_illustrative else ""
    summary = sl.status_summary(rows)
    latest = sl.latest_data_date(rows)
    plans = "<br>".join(_e(p) for p in sl.plan_lines(rows))
    figures = ("chỉ số liệu đã duyệt" if approved_only else "mọi số liệu đã báo cáo")
    table = "".join(
        f"<tr><td>{_e(s['row']['indicator_name'])}</td><td>{_e(s['latest_text'])}</td>"
        f"<td>{_e(sl.target_cell(s['row'], year))}</td><td>{_badge(s['status'])}</td></tr>" for s in slides)
    pages = [f"""<section class="page">
<h1>Tiến độ thực hiện các chỉ tiêu y tế đến năm {year} – {_e(locality)}</h1>
<p class="meta">{plans}<br>Ngày in: {_e(today)}{f" · Số liệu đến: {_e(latest)}" if latest else ""}
 · {len(rows)} chỉ tiêu: {_e(summary)}<br>{_e(sl.FIGURES_SHOWN[approved_only])}</p>{notice}
<table class="status"><thead><tr><th>Chỉ tiêu</th><th>Mới nhất</th><th>Mục tiêu {year}</th><th>Trạng thái</th></tr></thead>
<tbody>{table}</tbody></table></section>"""]
    for title, items in group_pages(slides):
        blocks = "".join(_target_block(s, png_of.get(s["key"])) for s in items)
        pages.append(f"""<section class="page"><h2>{_e(title)}</h2>
<p class="meta">{_e(locality)} · tiến độ đến năm {year} · ngày in {_e(today)} · {_e(figures)}</p>{short_notice}{blocks}
<p class="legend">{_e(CHART_LEGEND)}</p></section>""")
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Báo cáo tiến độ – {_e(locality)}</title><style>{CSS}</style></head>
<body>{"".join(pages)}</body></html>"""


def print_pdf(html_path: Path, pdf_path: Path, chromium: str | None = None) -> None:
    """Print a local HTML file to PDF with headless Chromium (no network, throwaway profile)."""
    exe = find_chromium(chromium)
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-default-apps", "--no-pdf-header-footer",
               f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path}", html_path.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=PRINT_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise RenderError(f"Chromium không in xong báo cáo sau {PRINT_TIMEOUT_S} giây.") from exc
    if done.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
        raise RenderError(f"Chromium không in được báo cáo ra PDF (mã {done.returncode}): {tail[0]}")


def pdf_page_count(pdf: bytes) -> int:
    """Pages in a PDF written by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def report_figures(slides: list[dict]) -> list:
    """The report's charts: no legend (one line under each page explains the marks)."""
    figs = []
    for s in slides:
        fig = sl.slide_figure(s, height=CHART_PX[1], large=True)
        fig.update_layout(showlegend=False, font={"size": CHART_FONT_PX},
                          margin={"l": 8, "r": 14, "t": 8, "b": 8})
        figs.append(fig)
    return figs


def build_report(con: duckdb.DuckDBPyConnection, locality_code: str, out: str | os.PathLike | io.BufferedIOBase,
                 year: int = DEFAULT_TARGET_YEAR, *, renderer: Renderer | None = None,
                 chromium: str | None = None, today: dt.date | None = None,
                 approved_only: bool = False) -> ReportInfo:
    """Write the PDF report of `locality_code` toward `year` to `out` (a path or a binary buffer).
    A `renderer` already started is reused for the charts; otherwise one is started and stopped
    here. `approved_only`: judged on approved figures only; the header says which figures the
    report shows either way. Raises deck.DeckError (unknown locality, no targets) and render.ChromiumMissing."""
    name, lp = exportable_progress(con, locality_code, year, "in", approved_only)
    own = renderer is None
    if own:
        renderer = Renderer(chromium).start()
    slides = sl.slides_of_locality(lp, name, "indicator")
    try:
        pngs = renderer.pngs(report_figures(slides), width=CHART_PX[0], height=CHART_PX[1], scale=2)
    finally:
        if own:
            renderer.close()
    today_text = fmt.date((today or dt.date.today()).isoformat())
    doc = report_html(name, lp.rows, slides, pngs, year, today_text, lp.has_illustrative, approved_only)
    with tempfile.TemporaryDirectory(prefix="report-") as tmp:
        html_path, pdf_path = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        html_path.write_text(doc, encoding="utf-8")
        print_pdf(html_path, pdf_path, chromium)
        pdf = pdf_path.read_bytes()
        if hasattr(out, "write"):
            out.write(pdf)
        else:
            shutil.copyfile(pdf_path, out)
    return ReportInfo(locality_code=locality_code, locality_name=name, n_pages=pdf_page_count(pdf),
                      groups=list(dict.fromkeys(s["row"]["indicator_group"] for s in slides)),
                      has_illustrative=lp.has_illustrative)
