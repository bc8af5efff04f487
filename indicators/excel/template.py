"""The upload template for a locality (and, for a province, its communes), written with openpyxl.

Sheets:
- "Số liệu": a title row, the header row, then one row per locality × indicator × period with
  codes, names and units pre-filled and Giá trị / Tử số / Mẫu số / Nguồn-ghi chú left to fill;
  below them EXTRA_ROWS empty rows for anything else. Dropdowns (data validation) for locality
  code, indicator code and period. The sheet is protected without a password: the header and the
  code/name/unit columns of pre-filled rows are locked, the value columns and period are not.
- "Hướng dẫn": how to fill it, in Vietnamese.
- "_danh_muc" (hidden): the lists the dropdowns read.
- "_phien_ban" (hidden): template version, locality, date written.

Which rows (decided here, see issue 4): the indicators with targets for the locality itself —
for a commune without a plan of its own, its province's indicators. Periods: the chosen
locality gets every year from FIRST_YEAR to the current year (so a history can be filled in);
its communes get the current year only, which keeps a province's template to about
(communes × indicators) rows — Hà Nội: 126 × 10. Other periods can be typed or picked in the
Kỳ báo cáo column, or added on the empty rows.
"""
from __future__ import annotations

from datetime import date
from typing import BinaryIO

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from indicators.excel.cells import column_letter
from indicators.store.sql import query

TEMPLATE_VERSION = "1"
FIRST_YEAR = 2020
EXTRA_ROWS = 200
DATA_SHEET = "Số liệu"
HELP_SHEET = "Hướng dẫn"
LIST_SHEET = "_danh_muc"
VERSION_SHEET = "_phien_ban"
HEADERS = ["Mã địa phương", "Tên địa phương", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị",
           "Kỳ báo cáo", "Giá trị", "Tử số", "Mẫu số", "Nguồn / ghi chú"]
WIDTHS = [14, 28, 26, 60, 18, 12, 12, 10, 10, 36]
EDITABLE = {"Kỳ báo cáo", "Giá trị", "Tử số", "Mẫu số", "Nguồn / ghi chú"}
TITLE_ROW, HEADER_ROW = 1, 3

HELP_LINES = [
    ("HƯỚNG DẪN ĐIỀN MẪU BÁO CÁO SỐ LIỆU CHỈ TIÊU Y TẾ", True),
    ("", False),
    ("1. Mỗi dòng của trang “Số liệu” là một địa phương × một chỉ tiêu × một kỳ báo cáo. Chỉ điền các cột "
     "Giá trị, Tử số, Mẫu số (nếu có) và Nguồn / ghi chú. Dòng để trống Giá trị sẽ được bỏ qua.", False),
    ("2. Không sửa dòng tiêu đề và các cột mã, tên, đơn vị (đã khóa). Muốn thêm dòng, dùng các dòng trống "
     "phía dưới: chọn Mã địa phương, Mã chỉ tiêu và Kỳ báo cáo từ danh sách thả xuống.", False),
    ("3. Kỳ báo cáo: năm “2025”; quý “Quý I/2026” (cũng nhận “2026-Q1”, “Q1/2026”, “Quý 1 năm 2026”); "
     "tháng “Tháng 6/2026” (cũng nhận “06/2026”, “2026-06” hoặc một ô ngày). Không nhập kỳ chưa tới.", False),
    ("4. Giá trị là số: dùng dấu phẩy thập phân “13,5” (cũng nhận “13.5”); dấu chấm hàng nghìn “1.234”; "
     "tỷ lệ phần trăm ghi “95” hoặc “95%”. Ô định dạng phần trăm (hiển thị 95%) được hiểu là 95.", False),
    ("5. Chỉ tiêu đạt/không đạt: ghi “Đạt” hoặc “Không đạt” (cũng nhận Có/Không, Yes/No, 1/0, x).", False),
    ("6. Nếu có tử số và mẫu số (vd. số xã đạt chuẩn / tổng số xã), ghi cả hai; để trống Giá trị thì hệ "
     "thống tự tính tỷ lệ.", False),
    ("7. Không dùng công thức chưa tính xong; nếu có công thức, hãy lưu tệp trong Excel trước khi tải lên "
     "(hoặc dán giá trị). Không đặt mật khẩu, không lưu dạng .xls hay có macro (.xlsm).", False),
    ("8. Tải tệp lên trang “Nhập số liệu”: hệ thống kiểm tra và liệt kê mọi lỗi theo trang, dòng, cột "
     "trước khi nhập; giá trị khác xa số liệu cũ sẽ được cảnh báo để bạn xác nhận.", False),
]


def template_rows(con: duckdb.DuckDBPyConnection, locality_code: str,
                  today: date | None = None) -> tuple[list[list], dict]:
    """The rows to pre-fill ([code, name, indicator, indicator name, unit, period]) and the lists
    for the dropdowns. Raises ValueError for an unknown locality."""
    today = today or date.today()
    cur = con.cursor()
    places = cur.execute(query("template_localities"), {"locality": locality_code}).fetchall()
    if not any(p[0] == locality_code for p in places):
        raise ValueError(f"Không có địa phương mã “{locality_code}”.")
    plan_places = sorted({p[3] for p in places})
    found = cur.execute(query("template_indicators"), {"plan_localities": plan_places}).fetchall()
    by_plan: dict[str, list[tuple]] = {}
    for plan_loc, code, name, unit, _kind in found:
        by_plan.setdefault(plan_loc, []).append((code, name, unit))
    years = [str(y) for y in range(FIRST_YEAR, today.year + 1)]
    rows = []
    for code, name, _level, plan_loc in places:
        periods = years if code == locality_code else [str(today.year)]
        for ind, ind_name, unit in by_plan.get(plan_loc, []):
            rows.extend([code, name, ind, ind_name, unit, p] for p in periods)
    quarters = [f"{y}-Q{q}" for y in (today.year - 1, today.year) for q in range(1, 5)
                if (y, 3 * q - 2) <= (today.year, today.month)]
    lists = {
        "localities": [(p[0], p[1]) for p in places],
        "indicators": sorted({(c, n) for v in by_plan.values() for c, n, _ in v}),
        "periods": years + quarters,
    }
    return rows, lists


def write_template(con: duckdb.DuckDBPyConnection, locality_code: str, path_or_buffer: str | BinaryIO,
                   today: date | None = None) -> int:
    """Write the template workbook; returns the number of pre-filled rows."""
    today = today or date.today()
    rows, lists = template_rows(con, locality_code, today)
    name = next(n for c, n in lists["localities"] if c == locality_code)
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.cell(TITLE_ROW, 1, f"BÁO CÁO SỐ LIỆU CHỈ TIÊU Y TẾ – {name} ({locality_code}) – mẫu phiên bản "
                          f"{TEMPLATE_VERSION}, tạo ngày {today.strftime('%d/%m/%Y')}").font = Font(bold=True, size=13)
    ws.cell(TITLE_ROW + 1, 1, "Chỉ điền các ô nền trắng; xem trang “Hướng dẫn”.").font = Font(italic=True)
    header_fill = PatternFill("solid", fgColor="DDE7F0")
    locked_fill = PatternFill("solid", fgColor="F2F2F2")
    for j, (h, w) in enumerate(zip(HEADERS, WIDTHS), 1):
        c = ws.cell(HEADER_ROW, j, h)
        c.font, c.fill = Font(bold=True), header_fill
        c.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[column_letter(j - 1)].width = w
    unlocked = Protection(locked=False)
    first = HEADER_ROW + 1
    for i, r in enumerate(rows):
        for j, v in enumerate(r, 1):
            c = ws.cell(first + i, j, v)
            if HEADERS[j - 1] in EDITABLE:
                c.protection = unlocked
            else:
                c.fill = locked_fill
        for j in range(len(r) + 1, len(HEADERS) + 1):
            ws.cell(first + i, j).protection = unlocked
    last = first + len(rows) + EXTRA_ROWS - 1
    for i in range(first + len(rows), last + 1):
        for j in range(1, len(HEADERS) + 1):
            ws.cell(i, j).protection = unlocked
    for j in (1, 3, 6):   # codes and period stay text, so leading zeros survive typing
        for i in range(first, last + 1):
            ws.cell(i, j).number_format = "@"
    ws.freeze_panes = ws.cell(first, 1)

    lst = wb.create_sheet(LIST_SHEET)
    columns = [("Mã địa phương", [c for c, _ in lists["localities"]]),
               ("Mã chỉ tiêu", [c for c, _ in lists["indicators"]]),
               ("Kỳ báo cáo", lists["periods"])]
    for j, (title, values) in enumerate(columns, 1):
        lst.cell(1, j, title)
        for i, v in enumerate(values, 2):
            lst.cell(i, j, v).number_format = "@"
    lst.sheet_state = "hidden"
    for list_col, (target_col, (_, values)) in enumerate(zip((1, 3, 6), columns), 1):
        letter = column_letter(list_col - 1)
        ref = f"'{LIST_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True,
                            errorStyle="warning", errorTitle="Giá trị ngoài danh sách",
                            error="Giá trị này không có trong danh sách; hệ thống sẽ kiểm tra khi tải lên.")
        dv.add(f"{column_letter(target_col - 1)}{first}:{column_letter(target_col - 1)}{last}")
        ws.add_data_validation(dv)
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    ws.protection.sort = False

    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 120
    for i, (text, bold) in enumerate(HELP_LINES, 1):
        c = help_ws.cell(i, 1, text)
        c.font = Font(bold=bold, size=13 if bold else 11)
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ver = wb.create_sheet(VERSION_SHEET)
    for i, (k, v) in enumerate([("template_version", TEMPLATE_VERSION), ("locality_code", locality_code),
                                ("written_on", today.isoformat()), ("rows", str(len(rows)))], 1):
        ver.cell(i, 1, k)
        ver.cell(i, 2, v).number_format = "@"
    ver.sheet_state = "hidden"
    wb.active = 0
    wb.save(path_or_buffer)
    return len(rows)
