"""The quarterly report of a plan's tasks as an .xlsx workbook (openpyxl).

Three sheets: “Tổng hợp” (counts by state, group, Tổ công tác, lead agency), “Quá hạn theo cơ
quan” and “Từng nhiệm vụ” (each task's latest report). Titles and headers frozen, text wrapped,
dates as real dates shown dd/mm/yyyy. Every text cell goes through excel.export.escape_cell and
is written as a string: what an officer typed never runs as a formula.
"""
from __future__ import annotations

import io
import math

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from indicators.excel.export import escape_cell
from indicators.text import fmt

HEAD_FILL = PatternFill("solid", fgColor="1F4E79")
HEAD_FONT = Font(bold=True, color="FFFFFF")
SECTION_FONT = Font(bold=True, size=12, color="1F4E79")
WRAP = Alignment(wrap_text=True, vertical="top")
HEAD_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
LINE_PT = 15          # one line of 11 pt text
CHARS_PER_WIDTH = 1.1  # characters of Vietnamese text per unit of column width (Calibri 11)
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

# (header, key of a task row, column width)
OVERDUE_COLUMNS = [
    ("Cơ quan chủ trì", "agency", 30), ("Số hiệu", "task_no", 8), ("Nhiệm vụ", "title", 55),
    ("Sản phẩm", "product", 18), ("Thời hạn", "deadline_text", 16), ("Ngày hết hạn", "deadline", 12),
    ("Số ngày trễ", "days_late", 10), ("Tình trạng báo cáo gần nhất", "reported_state", 16),
    ("Quý báo cáo", "report_period", 11), ("Ngày báo cáo", "reported_at", 16),
    ("Vướng mắc, kiến nghị", "needs", 35), ("Đề nghị cơ quan", "needs_from", 22),
]
TASK_COLUMNS = [
    ("Số hiệu", "task_no", 8), ("Nhóm nhiệm vụ", "group", 28), ("Nhiệm vụ", "title", 55),
    ("Cơ quan chủ trì", "lead", 30), ("Cơ quan phối hợp", "partners", 30), ("Sản phẩm", "product", 18),
    ("Thời hạn", "deadline_text", 16), ("Ngày hết hạn", "deadline", 12), ("Tình trạng", "state_label", 16),
    ("Số ngày trễ", "days_late", 10), ("Quý báo cáo", "report_period", 11),
    ("Tình trạng đơn vị báo cáo", "reported_state", 16), ("Kết quả", "result", 40),
    ("Số, ngày văn bản / sản phẩm", "product_ref", 28), ("Ngày hoàn thành", "completed_on", 12),
    ("Vướng mắc, cần gì", "needs", 35), ("Đề nghị cơ quan", "needs_from", 22), ("Người báo cáo", "reporter", 22),
    ("Thời điểm báo cáo", "reported_at", 16), ("Báo cáo trong quý", "in_quarter", 10),
]


def _put(ws, row: int, col: int, value, *, bold: bool = False):
    """One cell: text escaped and kept a string, dates and times with their format."""
    if isinstance(value, str):
        cell = ws.cell(row, col, escape_cell(value))
        cell.data_type = TYPE_STRING
    else:
        if hasattr(value, "microsecond"):
            value = value.replace(microsecond=0)
        cell = ws.cell(row, col, value)
        if hasattr(value, "hour"):
            cell.number_format = DATETIME_FORMAT
        elif hasattr(value, "year"):
            cell.number_format = DATE_FORMAT
    cell.alignment = WRAP
    if bold:
        cell.font = Font(bold=True)
    return cell


def _title(ws, q, heading: str, width: int) -> None:
    """Rows 1–3: what the sheet is, the plan, the date it describes."""
    ws.cell(1, 1, escape_cell(heading)).font = Font(bold=True, size=14)
    _put(ws, 2, 1, f"{q.plan_line}: {q.plan['title']}")
    _put(ws, 3, 1, f"{q.as_of_line} · lập ngày {q.made_on:%d/%m/%Y}")
    for r in (2, 3):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    ws.row_dimensions[2].height = 48


def _header(ws, row: int, names: list[str]) -> None:
    for j, name in enumerate(names, 1):
        cell = ws.cell(row, j, escape_cell(name))
        cell.font, cell.fill, cell.alignment = HEAD_FONT, HEAD_FILL, HEAD_ALIGN


def _widths(ws, widths: list[int]) -> None:
    for j, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = w


def _fit_rows(ws, first: int, last: int) -> None:
    """Row heights for the wrapped text (openpyxl cannot measure; Excel and LibreOffice keep
    the default height of a row written without one, cutting the lines after the first)."""
    widths = {j: ws.column_dimensions[get_column_letter(j)].width or 10 for j in range(1, ws.max_column + 1)}
    for r in range(first, last + 1):
        lines = 1
        for cell in ws[r]:
            if isinstance(cell.value, str):
                lines = max(lines, math.ceil(len(cell.value) / (widths[cell.column] * CHARS_PER_WIDTH)))
        if lines > 1:
            ws.row_dimensions[r].height = LINE_PT * lines + 2


def _printable(ws, title_rows: str | None) -> None:
    """Landscape A4, as wide as the page, the header repeated on every printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


def _value(row: dict, key: str):
    value = row[key]
    if key == "in_quarter":
        return "Có" if value else ""
    if key == "days_late":
        return value or None
    if key == "report_period" and value:
        return fmt.period(value)
    return value


def _count_block(ws, row: int, heading: str, table: pd.DataFrame, first: str) -> int:
    """A counts table (index: what is counted; columns: state labels and 'Tổng'); the next free row."""
    ws.cell(row, 1, escape_cell(heading)).font = SECTION_FONT
    _header(ws, row + 1, [first, *table.columns])
    ws.row_dimensions[row + 1].height = 32
    for i, (name, counts) in enumerate(table.iterrows(), row + 2):
        _put(ws, i, 1, str(name))
        for j, n in enumerate(counts, 2):
            cell = _put(ws, i, j, int(n))
            cell.font = Font(bold=j == len(counts) + 1)
    return row + 2 + len(table) + 1


def _summary(wb: Workbook, q, parts) -> None:
    ws = wb.active
    ws.title = "Tổng hợp"
    n_cols = 1 + len(parts.by_group.columns)
    _title(ws, q, f"BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ – {q.quarter_label.upper()}", n_cols)
    _widths(ws, [60] + [12] * (n_cols - 1))
    ws.freeze_panes = "A4"
    total = len(q.tasks)
    ws.cell(5, 1, "1. Theo tình trạng").font = SECTION_FONT
    _header(ws, 6, ["Tình trạng", "Số nhiệm vụ", "Tỷ lệ"])
    row = 7
    for s in parts.states.to_dict("records"):
        _put(ws, row, 1, s["label"])
        ws.cell(row, 2, s["n"])
        ws.cell(row, 3, s["share"]).number_format = "0.0%"
        row += 1
    _put(ws, row, 1, "Tổng", bold=True)
    ws.cell(row, 2, total).font = Font(bold=True)
    _put(ws, row + 1, 1, f"Trong đó có báo cáo trong {q.quarter_label}: {q.n_in_quarter} nhiệm vụ")
    row += 3
    row = _count_block(ws, row, "2. Theo nhóm nhiệm vụ", parts.by_group, "Nhóm nhiệm vụ")
    row = _count_block(ws, row, "3. Theo Tổ công tác", parts.by_team, "Tổ công tác")
    row = _count_block(ws, row, "4. Theo cơ quan chủ trì", parts.by_agency, "Cơ quan chủ trì")
    _put(ws, row - 1, 1, "Nhiệm vụ có nhiều cơ quan chủ trì được tính cho mỗi cơ quan.")
    _fit_rows(ws, 4, row)
    _printable(ws, None)


def _list_sheet(wb: Workbook, q, title: str, heading: str, columns: list, rows: list[dict], empty: str,
                freeze: str) -> None:
    ws = wb.create_sheet(title)
    _title(ws, q, heading, len(columns))
    _widths(ws, [w for _, _, w in columns])
    _header(ws, 5, [h for h, _, _ in columns])
    ws.row_dimensions[5].height = 45
    ws.freeze_panes = freeze
    for i, r in enumerate(rows, 6):
        for j, (_, key, _) in enumerate(columns, 1):
            _put(ws, i, j, _value(r, key))
    if rows:
        ws.auto_filter.ref = f"A5:{get_column_letter(len(columns))}{5 + len(rows)}"
        _fit_rows(ws, 6, 5 + len(rows))
    else:
        _put(ws, 6, 1, empty)
    _printable(ws, "5:5")


def workbook(q, parts) -> bytes:
    """The workbook's bytes for a quarterly.Quarterly and its quarterly.Sections."""
    wb = Workbook()
    _summary(wb, q, parts)
    _list_sheet(wb, q, "Quá hạn theo cơ quan",
                f"NHIỆM VỤ QUÁ HẠN THEO CƠ QUAN CHỦ TRÌ – {q.quarter_label.upper()}", OVERDUE_COLUMNS,
                parts.overdue, f"Không có nhiệm vụ nào quá hạn tính đến ngày {q.as_of:%d/%m/%Y}.", "C6")
    _list_sheet(wb, q, "Từng nhiệm vụ", f"TỪNG NHIỆM VỤ VÀ BÁO CÁO GẦN NHẤT – {q.quarter_label.upper()}",
                TASK_COLUMNS, parts.tasks, "Kế hoạch chưa có nhiệm vụ nào.", "B6")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
