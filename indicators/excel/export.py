"""Export of current values (a locality and its communes) to .xlsx and .csv, safe to open in Excel.

Any text cell that starts with = + - @, a tab or a carriage return is prefixed with a single
quote (and written as a string cell in xlsx), so Excel shows it as text instead of running it
as a formula (CSV/formula injection). Numbers stay numbers. The CSV is UTF-8 with a BOM so
Excel opens Vietnamese correctly; it is comma-separated with a decimal point, for machines —
people should use the .xlsx. The headers are the template's, so an export can be re-uploaded.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import BinaryIO

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING
from openpyxl.styles import Font

from indicators.store.sql import query

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = [
    ("locality_code", "Mã địa phương"), ("locality_name", "Tên địa phương"),
    ("indicator_code", "Mã chỉ tiêu"), ("indicator_name", "Tên chỉ tiêu"), ("unit", "Đơn vị"),
    ("period", "Kỳ báo cáo"), ("value", "Giá trị"), ("numerator", "Tử số"), ("denominator", "Mẫu số"),
    ("note", "Nguồn / ghi chú"), ("upload_id", "Mã lần nhập"), ("uploaded_at", "Thời điểm nhập"),
    ("is_illustrative", "Dữ liệu minh họa"),
]


def escape_cell(value):
    """A text value made safe for Excel: "=1+1" -> "'=1+1"; control characters that an .xlsx
    cannot hold (BEL, ESC …, as a note may carry) shown as "�" instead of breaking the whole
    file; other values unchanged."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return "'" + value if value.startswith(DANGEROUS_START) else value


def current_values(con: duckdb.DuckDBPyConnection, locality_code: str) -> pd.DataFrame:
    """The current value of every indicator × period of the locality and its communes."""
    return con.cursor().execute(query("export_current_values"), {"locality": locality_code}).df()


def _records(frame: pd.DataFrame) -> list[list]:
    out = []
    for rec in frame[[c for c, _ in COLUMNS]].itertuples(index=False):
        row = []
        for (col, _), v in zip(COLUMNS, rec):
            if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
                row.append(None)
            elif col == "is_illustrative":
                row.append("Có" if v else "Không")
            elif col == "uploaded_at":
                row.append(pd.Timestamp(v).to_pydatetime().replace(microsecond=0))
            elif hasattr(v, "item"):
                row.append(v.item())
            else:
                row.append(escape_cell(v))
        out.append(row)
    return out


def write_xlsx(frame: pd.DataFrame, path_or_buffer: str | Path | BinaryIO, title: str = "") -> None:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "Số liệu"
    start = 1
    if title:
        ws.cell(1, 1, escape_cell(title)).font = Font(bold=True)
        start = 3
    for j, (_, head) in enumerate(COLUMNS, 1):
        ws.cell(start, j, head).font = Font(bold=True)
    when = [c for c, _ in COLUMNS].index("uploaded_at")
    for i, row in enumerate(_records(frame), start + 1):
        for j, v in enumerate(row):
            c = ws.cell(i, j + 1, v)
            if isinstance(v, str):
                c.data_type = TYPE_STRING   # never a formula, whatever the text (it is escaped too)
            elif j == when and v is not None:
                c.number_format = "dd/mm/yyyy hh:mm"
    wb.save(path_or_buffer)


def write_csv(frame: pd.DataFrame, path_or_buffer: str | Path | BinaryIO) -> None:
    text = io.StringIO(newline="")
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow([h for _, h in COLUMNS])
    for row in _records(frame):
        w.writerow(["" if v is None else v.strftime("%Y-%m-%d %H:%M:%S") if hasattr(v, "strftime") else v
                    for v in row])
    data = ("\ufeff" + text.getvalue()).encode("utf-8")
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)
    else:
        Path(path_or_buffer).write_bytes(data)


def export(con: duckdb.DuckDBPyConnection, locality_code: str, path: str | Path) -> int:
    """Write the current values to `path` (.xlsx or .csv by its suffix); returns the row count."""
    frame = current_values(con, locality_code)
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        write_csv(frame, path)
    elif suffix == ".xlsx":
        write_xlsx(frame, path)
    else:
        raise ValueError(f"Định dạng “{suffix}” không hỗ trợ; hãy dùng tên tệp .xlsx hoặc .csv.")
    return len(frame)


def to_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    """The export as bytes for a download button: kind 'xlsx' or 'csv'."""
    buf = io.BytesIO()
    (write_csv if kind == "csv" else write_xlsx)(frame, buf)
    return buf.getvalue()


def table_bytes(frame: pd.DataFrame, kind: str, sheet: str = "Bảng") -> bytes:
    """Any table (its own column names as headers) as xlsx or csv bytes, escaped the same way:
    for the downloads of the indicator page and the audit log."""
    rows = [[None if v is None or (pd.api.types.is_scalar(v) and pd.isna(v))
             else v.item() if hasattr(v, "item") and not isinstance(v, str)
             else escape_cell(v) if isinstance(v, str) else v
             for v in rec] for rec in frame.itertuples(index=False)]
    headers = [escape_cell(str(c)) for c in frame.columns]
    buf = io.BytesIO()
    if kind == "csv":
        text = io.StringIO(newline="")
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow(headers)
        w.writerows([["" if v is None else v for v in r] for r in rows])
        buf.write(("\ufeff" + text.getvalue()).encode("utf-8"))
    else:
        wb = Workbook()
        ws = wb.active
        ws.title = sheet[:31]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i, r in enumerate(rows, 2):
            for j, v in enumerate(r, 1):
                if isinstance(v, pd.Timestamp):
                    v = v.to_pydatetime()
                c = ws.cell(i, j, v)
                if isinstance(v, str):
                    c.data_type = TYPE_STRING   # never a formula
        wb.save(buf)
    return buf.getvalue()
