"""The quarterly report of a plan's tasks as a printable A4 page, printed to PDF by Chromium.

A cover with the plan, the date described and the counts; then the overdue tasks by lead
agency; then every task with its latest report. Each page carries the plan's number and title
at the top and its number at the bottom (CSS page margin boxes); long tables continue over
pages with their header repeated and no row cut in two. Self-contained HTML: nothing is loaded.
"""
from __future__ import annotations

import html
import tempfile
from pathlib import Path

import pandas as pd

from indicators.tasks.states import COLOURS, LABELS_VI
from indicators.text import fmt

HEADER_TITLE_CHARS = 95   # what one line of the running header holds at 7.5 pt

CSS = """
@page { size: A4 portrait; margin: 17mm 12mm 15mm 12mm;
        @top-left { content: "@HEADER@"; font: 7.5pt Arial, sans-serif; color: #4b5563;
                    vertical-align: bottom; padding-bottom: 2mm; }
        @top-right { content: "@HEADER_RIGHT@"; font: 7.5pt Arial, sans-serif; color: #4b5563;
                     vertical-align: bottom; padding-bottom: 2mm; white-space: nowrap; }
        @bottom-right { content: "Trang " counter(page) "/" counter(pages); font: 8.5pt Arial, sans-serif;
                        color: #4b5563; } }
* { box-sizing: border-box; }
body { font-family: Arial, "Liberation Sans", "DejaVu Sans", sans-serif; color: #111827; margin: 0; font-size: 9.5pt;
       -webkit-print-color-adjust: exact; print-color-adjust: exact; }
section.part { break-before: page; }
section.part:first-child { break-before: auto; }
h1 { font-size: 17pt; margin: 0 0 1mm; color: #1f4e79; }
h2 { font-size: 13pt; margin: 0 0 1.5mm; color: #1f4e79; }
h3 { font-size: 11pt; margin: 5mm 0 1.5mm; color: #1f4e79; break-after: avoid; }
.plan { font-size: 10.5pt; margin: 3mm 0 1mm; font-weight: bold; }
.plan-title { font-size: 10pt; margin: 0 0 3mm; }
.asof { font-size: 11pt; font-weight: bold; margin: 2mm 0 1mm; }
.meta { color: #4b5563; font-size: 8.5pt; margin: 0 0 2mm; }
.lead { font-size: 10.5pt; margin: 2mm 0 1mm; }
table { border-collapse: collapse; width: 100%; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { background: #1f4e79; color: #fff; text-align: left; padding: 1.2mm 1.5mm; font-size: 8.5pt; vertical-align: bottom; }
td { border-bottom: 0.3mm solid #d1d5db; padding: 1mm 1.5mm; vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.zero { color: #9ca3af; }
tr.total td { font-weight: bold; border-top: 0.4mm solid #6b7280; }
tr.group td { background: #e8eef5; font-weight: bold; color: #1f4e79; padding: 1.6mm 1.5mm 1.2mm; font-size: 10pt; }
table.list { margin: 0 0 4mm; }
table.counts { table-layout: fixed; }
table.counts th.state { font-size: 7.5pt; text-align: right; white-space: normal; }
table.counts th:first-child { width: 34%; }
table.side th:first-child { width: 60%; }
.badge { display: inline-block; padding: 0.3mm 1.5mm; border-radius: 1.2mm; font-weight: bold; font-size: 8pt;
         white-space: nowrap; }
.swatch { display: inline-block; width: 3mm; height: 3mm; border-radius: 0.6mm; margin-right: 1.5mm;
          vertical-align: -0.3mm; }
.small { font-size: 8pt; color: #374151; }
.late { font-weight: bold; color: #b41212; font-size: 8.5pt; }
.report div { margin: 0 0 0.6mm; }
.label { color: #4b5563; }
.inq { display: inline-block; font-size: 7.5pt; font-weight: bold; border: 0.3mm solid #1f4e79; color: #1f4e79;
       border-radius: 1mm; padding: 0 1mm; margin-left: 1mm; white-space: nowrap; }
.none { color: #6b7280; font-style: italic; }
.cols { display: flex; gap: 6mm; align-items: flex-start; }
.cols > div { flex: 1; }
"""


def _e(text) -> str:
    return html.escape(str(text))


def _css_string(text: str) -> str:
    """Text safe inside a CSS double-quoted string in a <style> element (no quote, backslash,
    angle bracket or control character left as it is)."""
    return "".join(f"\\{ord(c):x} " if c in '\\"<>' or ord(c) < 32 else c for c in text)


def _short(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:–- ") + " …"


def _ink(colour: str) -> str:
    """Dark type on light fills, white on dark ones (relative luminance)."""
    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return "#111827" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 else "#ffffff"


def badge(state: str, label: str) -> str:
    """The state's colour with its words (never the colour alone)."""
    colour = COLOURS[state]
    return f'<span class="badge" style="background:{colour};color:{_ink(colour)}">{_e(label)}</span>'


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "–"


def _count_table(table: pd.DataFrame, first: str, states: pd.DataFrame, kind: str = "counts") -> str:
    colour = dict(zip(states["label"], states["state"]))
    head = "".join(
        f'<th class="n state">{_swatch(colour[c]) if c in colour else ""}{_e(c)}</th>' for c in table.columns)
    rows = []
    for name, counts in table.iterrows():
        cells = "".join(f'<td class="n{" zero" if int(n) == 0 else ""}">{int(n) if int(n) else "–"}</td>'
                        for n in counts)
        rows.append(f"<tr><td>{_e(name)}</td>{cells}</tr>")
    return (f'<table class="counts {kind}"><thead><tr><th>{_e(first)}</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _swatch(state: str) -> str:
    return f'<span class="swatch" style="background:{COLOURS[state]}"></span>'


def _cover(q, parts) -> str:
    states = parts.states
    state_rows = "".join(
        f'<tr><td>{badge(s["state"], s["label"])}</td><td class="n">{s["n"]}</td>'
        f'<td class="n">{fmt.number(100 * s["share"], 1)}%</td></tr>' for s in states.to_dict("records"))
    total = len(q.tasks)
    shown = [f'{s["n"]} {s["label"].lower()}' for s in states.to_dict("records") if s["n"]]
    return f"""<section class="part">
<h1>Báo cáo tình hình thực hiện nhiệm vụ – {_e(q.quarter_label)}</h1>
<p class="plan">{_e(q.plan_line)}</p>
<p class="plan-title">{_e(q.plan['title'])}</p>
<p class="asof">{_e(q.as_of_line)}</p>
<p class="meta">Trạng thái tính theo báo cáo gần nhất của đơn vị đến hết ngày {q.as_of:%d/%m/%Y}; nhiệm vụ chưa
hoàn thành đã qua thời hạn là quá hạn. Ngày lập báo cáo: {q.made_on:%d/%m/%Y}.</p>
<p class="lead"><b>{total} nhiệm vụ</b>: {_e(", ".join(shown))}. Có báo cáo trong {_e(q.quarter_label)}:
<b>{q.n_in_quarter}</b> nhiệm vụ.</p>
<div class="cols"><div>
<h3>Theo tình trạng</h3>
<table><thead><tr><th>Tình trạng</th><th class="n">Số nhiệm vụ</th><th class="n">Tỷ lệ</th></tr></thead>
<tbody>{state_rows}<tr class="total"><td>Tổng</td><td class="n">{total}</td><td class="n">100%</td></tr></tbody></table>
</div><div>
<h3>Theo Tổ công tác</h3>
{_count_table(parts.by_team[[LABELS_VI["overdue"], "Tổng"]], "Tổ công tác", states, "side")}
</div></div>
<h3>Theo nhóm nhiệm vụ</h3>
{_count_table(parts.by_group, "Nhóm nhiệm vụ", states)}
<h3>Theo cơ quan chủ trì</h3>
{_count_table(parts.by_agency, "Cơ quan chủ trì", states)}
<p class="meta">Nhiệm vụ có nhiều cơ quan chủ trì được tính cho mỗi cơ quan.</p>
</section>"""


def _report_cell(r: dict, quarter_label: str) -> str:
    if r["reported_at"] is None:
        return '<span class="none">Chưa có báo cáo</span>'
    lines = [f'<div><b>{_e(fmt.period(r["report_period"]))}: {_e(r["reported_state"])}</b>'
             + (f'<span class="inq">Báo cáo trong {_e(quarter_label)}</span>' if r["in_quarter"] else "") + "</div>"]
    for label, key in (("Kết quả", "result"), ("Văn bản, sản phẩm", "product_ref")):
        if r[key]:
            lines.append(f'<div><span class="label">{label}:</span> {_e(r[key])}</div>')
    if r["completed_on"] is not None:
        lines.append(f'<div><span class="label">Hoàn thành ngày:</span> {_date(r["completed_on"])}</div>')
    if r["needs"] or r["needs_from"]:
        whom = f' <span class="label">– đề nghị:</span> {_e(r["needs_from"])}' if r["needs_from"] else ""
        lines.append(f'<div><span class="label">Vướng mắc, cần:</span> {_e(r["needs"] or "–")}{whom}</div>')
    lines.append(f'<div class="small">{_e(r["reporter"] or "–")} báo cáo lúc {r["reported_at"]:%H:%M} '
                 f'ngày {r["reported_at"]:%d/%m/%Y}</div>')
    return f'<div class="report">{"".join(lines)}</div>'


def _state_cell(r: dict) -> str:
    late = f'<div class="late">trễ {fmt.number(r["days_late"], 0)} ngày</div>' if r["days_late"] else ""
    return f"{badge(r['state'], r['state_label'])}{late}"


def _grouped(rows: list[dict], key: str) -> list[tuple[str, list[dict]]]:
    """Consecutive rows with the same `key`, in order."""
    groups: list[tuple[str, list[dict]]] = []
    for r in rows:
        if not groups or groups[-1][0] != r[key]:
            groups.append((r[key], []))
        groups[-1][1].append(r)
    return groups


def _table(title: str, head: str, n_cols: int, rows: list[str]) -> str:
    """One group's table: its title is a header row, so a page it continues on names it again."""
    return (f'<table class="list"><thead><tr class="group"><td colspan="{n_cols}">{_e(title)}</td></tr>'
            f'<tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


OVERDUE_HEAD = ('<th style="width:9mm">Số</th><th>Nhiệm vụ</th><th style="width:31mm">Thời hạn</th>'
                '<th class="n" style="width:15mm">Trễ (ngày)</th><th style="width:50mm">Báo cáo gần nhất</th>')
TASKS_HEAD = ('<th style="width:9mm">Số</th><th>Nhiệm vụ</th><th style="width:31mm">Tình trạng</th>'
              '<th style="width:68mm">Báo cáo gần nhất</th>')


def _overdue_row(r: dict) -> str:
    last = (f'{_e(fmt.period(r["report_period"]))}: {_e(r["reported_state"])}, ngày {_date(r["reported_at"])}'
            if r["reported_at"] is not None else '<span class="none">Chưa có báo cáo</span>')
    needs = f'<div class="small">Vướng mắc: {_e(r["needs"])}</div>' if r["needs"] else ""
    return (f'<tr><td>{_e(r["task_no"])}</td><td>{_e(r["title"])}</td>'
            f'<td>{_e(r["deadline_text"])}<div class="small">{_date(r["deadline"])}</div></td>'
            f'<td class="n late">{fmt.number(r["days_late"], 0)}</td><td>{last}{needs}</td></tr>')


def _overdue(q, parts) -> str:
    if not parts.overdue:
        body = f'<p class="lead">Không có nhiệm vụ nào quá hạn tính đến ngày {q.as_of:%d/%m/%Y}.</p>'
    else:
        body = "".join(_table(f"{agency} – {len(rows)} nhiệm vụ quá hạn", OVERDUE_HEAD, 5,
                              [_overdue_row(r) for r in rows]) for agency, rows in _grouped(parts.overdue, "agency"))
    return f"""<section class="part">
<h2>Nhiệm vụ quá hạn theo cơ quan chủ trì</h2>
<p class="meta">{_e(q.as_of_line)} · {q.n_overdue} nhiệm vụ quá hạn; cơ quan có nhiệm vụ trễ lâu nhất trước,
trong mỗi cơ quan nhiệm vụ trễ lâu nhất trước. Nhiệm vụ có nhiều cơ quan chủ trì có tên ở mỗi cơ quan.</p>
{body}</section>"""


def _task_row(r: dict, quarter_label: str) -> str:
    about = [f'<span class="label">Chủ trì:</span> {_e(r["lead"])}']
    if r["product"]:
        about.append(f'<span class="label">Sản phẩm:</span> {_e(r["product"])}')
    about.append(f'<span class="label">Thời hạn:</span> {_e(r["deadline_text"])} ({_date(r["deadline"])})')
    return (f'<tr><td>{_e(r["task_no"])}</td><td>{_e(r["title"])}<div class="small">{"<br>".join(about)}</div></td>'
            f'<td>{_state_cell(r)}</td><td>{_report_cell(r, quarter_label)}</td></tr>')


def _tasks(q, parts) -> str:
    body = "".join(_table(group, TASKS_HEAD, 4, [_task_row(r, q.quarter_label) for r in rows])
                   for group, rows in _grouped(parts.tasks, "group"))
    return f"""<section class="part">
<h2>Từng nhiệm vụ và báo cáo gần nhất</h2>
<p class="meta">{_e(q.as_of_line)} · báo cáo gần nhất của đơn vị đến hết ngày {q.as_of:%d/%m/%Y}; nhãn
“Báo cáo trong {_e(q.quarter_label)}” đánh dấu báo cáo được gửi trong quý.</p>
{body}</section>"""


def report_html(q, parts) -> str:
    """The whole report as one self-contained HTML document (pure: no file, no browser)."""
    header = _short(f"{q.plan_name} – {q.plan['title']}", HEADER_TITLE_CHARS)
    style = (CSS.replace("@HEADER@", _css_string(header))
             .replace("@HEADER_RIGHT@", _css_string(f"Báo cáo {q.quarter_label} · đến {q.as_of:%d/%m/%Y}")))
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Báo cáo nhiệm vụ {_e(q.quarter_label)} – {_e(q.plan_name)}</title><style>{style}</style></head>
<body>{_cover(q, parts)}{_overdue(q, parts)}{_tasks(q, parts)}</body></html>"""


def pdf(q, parts, *, chromium: str | None = None) -> bytes:
    """The PDF's bytes, printed by the system Chromium (render.ChromiumMissing without it)."""
    from indicators.present.report import print_pdf   # the printer of the progress report
    doc = report_html(q, parts)
    with tempfile.TemporaryDirectory(prefix="tasks-report-") as tmp:
        html_path, pdf_path = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        html_path.write_text(doc, encoding="utf-8")
        print_pdf(html_path, pdf_path, chromium)
        return pdf_path.read_bytes()
