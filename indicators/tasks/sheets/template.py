"""The task report template of a plan, written with openpyxl in the house style of the
indicators' template (excel/template.py).

Sheets:
- "Báo cáo nhiệm vụ": a title, the header row, then one row per task the account may report
  (reports.reportable_tasks; every task for an admin or when no account is given). The context
  columns (Kế hoạch … Thời hạn) are locked; the columns to fill are not: Quý báo cáo (the
  quarter, pre-filled), Tình trạng (a dropdown of the reported states), Kết quả, Số/ngày văn
  bản, Ngày hoàn thành, Cần hỗ trợ gì, Từ cơ quan nào. Where a report on the task for that
  quarter is in force, its values are pre-filled: sent back unchanged they change nothing.
- "Hướng dẫn": how to fill it, in Vietnamese.
- "_danh_muc" (hidden): the lists the dropdowns read. "_phien_ban" (hidden): version, plan,
  account, quarter, date written. The reader skips these three (excel/workbook.SKIPPED_SHEETS).
"""
from __future__ import annotations

import io
from datetime import date

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from indicators.auth import scope
from indicators.excel.cells import CellError, column_letter, parse_period
from indicators.excel.export import escape_cell
from indicators.store.connection import StoreError
from indicators.store.sql import query
from indicators.tasks import listing, reports
from indicators.tasks.states import LABELS_VI, REPORTED
from indicators.text import fmt

TEMPLATE_VERSION = "1"
DATA_SHEET = "Báo cáo nhiệm vụ"
HELP_SHEET = "Hướng dẫn"
LIST_SHEET = "_danh_muc"
VERSION_SHEET = "_phien_ban"
TITLE_ROW, HEADER_ROW = 1, 3
# (header, width, field); the fields are task_import's names for the columns.
COLUMNS = [
    ("Kế hoạch", 14, "plan"), ("Số nhiệm vụ", 10, "task_no"), ("Nhiệm vụ", 60, "title"),
    ("Cơ quan chủ trì", 24, "lead"), ("Sản phẩm", 24, "product"), ("Thời hạn", 16, "deadline"),
    ("Quý báo cáo", 13, "period"), ("Tình trạng", 20, "state"), ("Kết quả", 44, "result"),
    ("Số/ngày văn bản", 28, "product_ref"), ("Ngày hoàn thành", 14, "completed_on"),
    ("Cần hỗ trợ gì", 32, "needs"), ("Từ cơ quan nào", 24, "needs_from"),
]
HEADERS = [h for h, _, _ in COLUMNS]
EDITABLE = {"period", "state", "result", "product_ref", "completed_on", "needs", "needs_from"}
QUARTERS_BACK = 8   # the quarter dropdown: the current quarter and the seven before it

HELP_LINES = [
    ("HƯỚNG DẪN ĐIỀN MẪU BÁO CÁO TIẾN ĐỘ NHIỆM VỤ", True),
    ("", False),
    ("1. Mỗi dòng của trang “Báo cáo nhiệm vụ” là một nhiệm vụ của kế hoạch mà cơ quan của bạn chủ trì. Chỉ điền "
     "các ô nền trắng: Quý báo cáo, Tình trạng, Kết quả, Số/ngày văn bản, Ngày hoàn thành, Cần hỗ trợ gì, Từ cơ "
     "quan nào. Dòng để trống mọi ô cần điền (trừ Quý báo cáo) được bỏ qua: không cần xóa.", False),
    ("2. Không sửa các cột Kế hoạch, Số nhiệm vụ, Nhiệm vụ, Cơ quan chủ trì, Sản phẩm, Thời hạn (đã khóa). Số "
     "nhiệm vụ là chữ: “3.10” khác “3.1”; nếu gõ lại, hãy gõ dấu nháy đơn phía trước ('3.10) để Excel không đổi "
     "thành số.", False),
    ("3. Quý báo cáo: “Quý IV/2026” (cũng nhận “2026-Q4”, “Q4/2026”, “Quý 4 năm 2026”). Chỉ báo cáo quý hiện tại "
     "hoặc các quý đã qua.", False),
    ("4. Tình trạng: chọn trong danh sách – " + ", ".join(LABELS_VI[s] for s in REPORTED)
     + " (viết không dấu cũng được, như “hoan thanh”).", False),
    ("5. Kết quả: tóm tắt ngắn kết quả đạt được. Số/ngày văn bản: số, ký hiệu và ngày của văn bản/sản phẩm đã "
     "ban hành (như “Quyết định số 123/QĐ-UBND ngày 15/11/2026”); nên ghi khi báo “Hoàn thành”.", False),
    ("6. Ngày hoàn thành: ngày ban hành sản phẩm, dạng ngày/tháng/năm (30/11/2026); chỉ ghi khi tình trạng là "
     "“Hoàn thành” hoặc “Hoàn thành quá hạn”, không ghi ngày ở tương lai.", False),
    ("7. Khi báo “Vướng mắc”: ghi cần hỗ trợ gì và từ cơ quan nào.", False),
    ("8. Tải tệp lên trang “Báo cáo nhiệm vụ”: hệ thống kiểm tra và liệt kê mọi lỗi theo trang, dòng, cột trước "
     "khi ghi; mỗi báo cáo mới được lưu kèm lịch sử, báo cáo trước vẫn được giữ.", False),
    ("9. Mỗi cơ quan chỉ báo cáo các nhiệm vụ do mình chủ trì; tệp có nhiệm vụ của cơ quan khác bị từ chối cả "
     "tệp. Không đặt mật khẩu, không lưu tệp có macro (.xlsm).", False),
]


class TemplateRefused(ValueError):
    """No template for this account and plan: the message says why (no task it may report)."""


class BadQuarter(TemplateRefused):
    """The quarter asked for cannot be read as a quarter."""


def agency_names(con: duckdb.DuckDBPyConnection, user_name: str) -> list[str]:
    """The names of the agencies the account reports for ('Sở Y tế')."""
    return [r[0] for r in con.execute(query("task_agency_names"), {"user": user_name}).fetchall()]


def quarter_of_text(text: str | None, today: date) -> str:
    """'2026-Q4' for what a person typed ('Quý IV/2026', '2026-Q4'); the current quarter for None."""
    if text is None or not str(text).strip():
        return reports.current_quarter(today)
    try:
        period = parse_period(text)
    except CellError as exc:
        raise BadQuarter(f"Quý “{text}” không đọc được; cần một quý như “Quý IV/2026” hoặc “2026-Q4” "
                              f"({exc.expected}).") from None
    if "-Q" not in period:
        raise BadQuarter(f"“{text}” là {fmt.period(period)}, không phải một quý; cần một quý như "
                              "“Quý IV/2026” hoặc “2026-Q4”.")
    return period


def recent_quarters(today: date, n: int = QUARTERS_BACK) -> list[str]:
    """The current quarter and the n - 1 before it, newest first: '2026-Q4', '2026-Q3', …"""
    year, q = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(n):
        out.append(f"{year}-Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out


def plan_label(con: duckdb.DuckDBPyConnection, plan_code: str, number: str | None) -> str:
    """What the Kế hoạch column holds: the plan's number when it names this plan alone
    ('71/KH-UBND'), else its code (a number left blank, or shared by two plans)."""
    if number and not number.startswith("/"):
        try:
            if listing.resolve_plan(con, number) == plan_code:
                return number
        except StoreError:
            pass
    return plan_code


def template_tasks(con: duckdb.DuckDBPyConnection, plan_code: str, user_name: str | None,
                   today: date) -> pd.DataFrame:
    """The plan's tasks (listing.task_list) the account may report, in the plan's order; all of
    them for an admin or no account. PermissionDenied (audited) for a viewer or an unknown
    account; TemplateRefused when the account's agencies lead none of them."""
    tasks = listing.task_list(con, plan_code, today)
    if user_name is None:
        return tasks
    account = scope.require_role(con, user_name, "officer", "tải mẫu báo cáo nhiệm vụ")
    if account.role == "admin":
        return tasks
    allowed = set(reports.reportable_tasks(con, account.user_name, plan_code))
    if not allowed:
        names = agency_names(con, account.user_name)
        number = tasks["plan_number"].iloc[0] if len(tasks) else plan_code
        raise TemplateRefused(
            f"Tài khoản “{account.user_name}” "
            + (f"báo cáo cho {', '.join(names)}; cơ quan này không chủ trì nhiệm vụ nào của kế hoạch {number}."
               if names else "chưa được gán cơ quan nào để báo cáo nhiệm vụ; hãy đề nghị quản trị viên gán cơ quan.")
        )
    return tasks[tasks["task_no"].isin(allowed)].reset_index(drop=True)


def reports_in_force(con: duckdb.DuckDBPyConnection, plan_code: str) -> pd.DataFrame:
    """The report in force per task and quarter of the plan (queries/tasks/task_import.sql)."""
    return con.execute(query("task_reports_in_force"), {"plan": plan_code}).df()


def _prefill(in_force: pd.DataFrame, quarter: str) -> dict[str, dict]:
    """task_no -> the values of its report in force for the quarter, as the template shows them."""
    out = {}
    for r in in_force[in_force["period"] == quarter].to_dict("records"):
        done = r["completed_on"]
        out[r["task_no"]] = {
            "state": LABELS_VI.get(r["state"], r["state"]), "result": r["result"], "product_ref": r["product_ref"],
            "completed_on": None if done is None or pd.isna(done) else pd.Timestamp(done).date(),
            "needs": r["needs"], "needs_from": r["needs_from"]}
    return {k: {f: (None if isinstance(v, float) and pd.isna(v) else v) for f, v in row.items()}
            for k, row in out.items()}


def write_template(con: duckdb.DuckDBPyConnection, plan_code: str, user_name: str | None = None,
                   quarter: str | None = None, today: date | None = None) -> bytes:
    """The .xlsx bytes of the report template of a plan (its code or number) for the account
    (see the module doc). StoreError for an unknown plan, BadQuarter for a quarter that cannot
    be read, TemplateRefused for an account with no task to report, PermissionDenied for a viewer."""
    today = today or date.today()
    plan_code = listing.resolve_plan(con, plan_code)
    quarter = quarter_of_text(quarter, today)
    tasks = template_tasks(con, plan_code, user_name, today)
    number = tasks["plan_number"].iloc[0] if len(tasks) else None
    plan_cell = plan_label(con, plan_code, number)
    prefill = _prefill(reports_in_force(con, plan_code), quarter)
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    names = agency_names(con, user_name) if user_name else []
    who = f" – {', '.join(names)}" if names else ""
    ws.cell(TITLE_ROW, 1, f"BÁO CÁO TIẾN ĐỘ NHIỆM VỤ – Kế hoạch {fmt.plan_number(number) if number else plan_code}{who} – "
                          f"{fmt.period(quarter)} – mẫu phiên bản {TEMPLATE_VERSION}, tạo ngày "
                          f"{today.strftime('%d/%m/%Y')}").font = Font(bold=True, size=13)
    ws.cell(TITLE_ROW + 1, 1, "Chỉ điền các ô nền trắng; xem trang “Hướng dẫn”.").font = Font(italic=True)
    _header(ws)
    first = HEADER_ROW + 1
    locked_fill = PatternFill("solid", fgColor="F2F2F2")
    unlocked = Protection(locked=False)
    for i, t in enumerate(tasks.to_dict("records")):
        values = {"plan": plan_cell, "task_no": t["task_no"], "title": t["title"], "lead": t["lead_text"],
                  "product": t["product"], "deadline": t["deadline_text"], "period": fmt.period(quarter),
                  **prefill.get(t["task_no"], {})}
        for j, (_, _, fld) in enumerate(COLUMNS, 1):
            c = ws.cell(first + i, j, escape_cell(values.get(fld)))   # "=…" typed in a report stays text
            c.alignment = Alignment(wrap_text=True, vertical="top")
            if fld in ("task_no", "period", "plan"):
                c.number_format = "@"   # stays text when retyped: '3.10' is not 3.1
            elif fld == "completed_on":
                c.number_format = "DD/MM/YYYY"
            if fld in EDITABLE:
                c.protection = unlocked
            else:
                c.fill = locked_fill
    last = first + max(len(tasks), 1) - 1
    ws.freeze_panes = ws.cell(first, 3)
    _dropdowns(wb, ws, first, last, today)
    ws.protection.sheet = True   # no password: it guards against slips, not people
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    ws.protection.sort = False
    _help(wb)
    ver = wb.create_sheet(VERSION_SHEET)
    for i, (k, v) in enumerate([("template_version", TEMPLATE_VERSION), ("kind", "task_report"),
                                ("plan_code", plan_code), ("user_name", user_name or ""), ("quarter", quarter),
                                ("written_on", today.isoformat()), ("rows", str(len(tasks)))], 1):
        ver.cell(i, 1, k)
        ver.cell(i, 2, v).number_format = "@"
    ver.sheet_state = "hidden"
    wb.active = 0
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _header(ws) -> None:
    fill = PatternFill("solid", fgColor="DDE7F0")
    to_fill = PatternFill("solid", fgColor="FFF2CC")   # the columns to fill stand out
    for j, (h, w, fld) in enumerate(COLUMNS, 1):
        c = ws.cell(HEADER_ROW, j, h)
        c.font, c.fill = Font(bold=True), (to_fill if fld in EDITABLE else fill)
        c.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[column_letter(j - 1)].width = w


def _dropdowns(wb, ws, first: int, last: int, today: date) -> None:
    """Tình trạng from the reported states; Quý báo cáo from the recent quarters (typing another is
    allowed: the check on upload decides)."""
    lists = [("Tình trạng", [LABELS_VI[s] for s in REPORTED], "state"),
             ("Quý báo cáo", [fmt.period(q) for q in recent_quarters(today)], "period")]
    lst = wb.create_sheet(LIST_SHEET)
    fields = [f for _, _, f in COLUMNS]
    for j, (title, values, fld) in enumerate(lists, 1):
        lst.cell(1, j, title)
        for i, v in enumerate(values, 2):
            lst.cell(i, j, v).number_format = "@"
        letter = column_letter(j - 1)
        target = column_letter(fields.index(fld))
        # A warning, not a stop: "hoan thanh" typed without diacritics is read as well.
        dv = DataValidation(type="list", formula1=f"'{LIST_SHEET}'!${letter}$2:${letter}${len(values) + 1}",
                            allow_blank=True, showErrorMessage=True, errorStyle="warning",
                            errorTitle="Giá trị ngoài danh sách",
                            error="Giá trị này không có trong danh sách; hệ thống sẽ kiểm tra khi tải lên.")
        dv.add(f"{target}{first}:{target}{last}")
        ws.add_data_validation(dv)
    lst.sheet_state = "hidden"


def _help(wb) -> None:
    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 120
    for i, (text, bold) in enumerate(HELP_LINES, 1):
        c = help_ws.cell(i, 1, text)
        c.font = Font(bold=bold, size=13 if bold else 11)
        c.alignment = Alignment(wrap_text=True, vertical="top")


def file_name(plan_label_text: str, quarter: str) -> str:
    """'bao_cao_nhiem_vu_71-KH-UBND_2026-Q4.xlsx': the name the template is offered under."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in plan_label_text).strip("-")
    return f"bao_cao_nhiem_vu_{safe}_{quarter}.xlsx"
