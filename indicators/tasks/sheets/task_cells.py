"""What officers type in a task report's cells, read: task numbers, quarters, states, dates, texts.

Pure functions. Each returns the value read, or raises CellProblem with a Vietnamese phrase
saying what was found and what was expected (task_import adds the sheet, row and column). Policy
(STYLE.md 8): reject with a reason, never guess silently; a reading that is sure but not what
the cell shows comes back with a warning.
"""
from __future__ import annotations

import re
from datetime import date

from indicators.excel.cells import CellError, date_value, looks_like_date_cell, parse_period
from indicators.tasks.states import LABELS_VI, REPORTED, state_from_text
from indicators.text import fmt
from indicators.text.fold import fold

QUARTER_EXPECTED = "một quý như “Quý IV/2026” (cũng nhận “2026-Q4”, “Q4/2026”, “Quý 4 năm 2026”)"
STATE_EXPECTED = "một trong: " + ", ".join(f"“{LABELS_VI[s]}”" for s in REPORTED)
DATE_EXPECTED = "một ngày dạng ngày/tháng/năm, như 30/11/2026"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")
_SHOWN_ZERO = re.compile(r"\d+\.\d*0")
_DMY = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_WORDS_DMY = re.compile(r"(?:ngay\s*)?(\d{1,2})\s*thang\s*(\d{1,2})\s*(?:nam\s*)?(\d{4})")


class CellProblem(ValueError):
    """A cell that cannot be read: `code` is stable English, the message a Vietnamese phrase."""

    def __init__(self, code: str, what: str):
        super().__init__(what)
        self.code, self.what = code, what


def clean(raw: object) -> str | None:
    """The cell's text, trimmed (non-breaking spaces too), invisible characters and Excel's
    leading apostrophe dropped; None when nothing is left."""
    if raw is None:
        return None
    s = str(raw).translate(_INVISIBLE).replace("\xa0", " ").replace("\u202f", " ").strip()
    if s.startswith("'"):
        s = s[1:].strip()
    return s or None


def special_cell(kind: str) -> None:
    """CellProblem for a formula without a computed value or a cell holding an Excel error."""
    if kind == "formula":
        raise CellProblem("formula_without_value", "ô là công thức chưa có giá trị; hãy mở tệp bằng Excel, để "
                                                   "Excel tính xong rồi lưu lại (hoặc dán giá trị)")
    if kind.startswith("error:"):
        raise CellProblem("excel_error", f"ô có lỗi Excel {kind.split(':', 1)[1]}; hãy sửa ô này")


def _task_key(text: str) -> str:
    """'Nhiệm vụ 3.10.' -> '3.10'; '3,10' -> '3.10' (a decimal comma typed as text)."""
    t = re.sub(r"^(?:nhiem vu|nv)\s*(?:so)?\s*", "", fold(text))
    return t.rstrip(".").replace(",", ".").strip()


def read_task_no(raw: object, kind: str, title: object, plan_titles: dict[str, str]) -> tuple[str, str | None]:
    """(task number, a warning or None) of a task number cell.

    `kind` is 's' for typed text, 'n' for a number cell, '' when the file does not tell
    (.xls, .xlsb, .ods, .csv). Excel turns "3.10" typed in a General cell into the number 3.1:
    a number cell (or one of unknown type) reading "3.1" is read as every task whose number is
    the same decimal (3.1 and 3.10); "3.10" is read as written. When that is one task, it is the one; when several, the row's own
    task title (`title`, the Nhiệm vụ column) decides if it names one of them, else the cell is
    refused as ambiguous. A reading other than the text the cell shows comes with a warning.
    Typed text is read exactly. `plan_titles` maps each task number of the plan to its title."""
    special_cell(kind)
    text = clean(raw)
    if text is None:
        raise CellProblem("missing_value", "thiếu số nhiệm vụ")
    key = _task_key(text)
    # A number cell's value never ends in a 0 after the point ("3.10"): such text was typed, or
    # shown so by the cell's format (a .csv is written as shown), and "3.10" is what was seen.
    if kind == "s" or not _DECIMAL.fullmatch(key) or _SHOWN_ZERO.fullmatch(key):
        if key in plan_titles:
            return key, None
        raise CellProblem("unknown_task", f"không có nhiệm vụ “{text}” trong kế hoạch")
    twins = [t for t in plan_titles if _DECIMAL.fullmatch(t) and float(t) == float(key)]
    what = "số" if kind == "n" else "ô (không rõ là số hay chữ)"
    chosen = twins
    if len(twins) > 1:
        chosen = [t for t in twins if clean(title) and fold(plan_titles[t]) == fold(str(title))]
        if len(chosen) != 1:
            raise CellProblem("ambiguous_task", f"“{text}” là {what} nên có thể là nhiệm vụ {' và '.join(twins)} "
                              "(Excel bỏ số 0 ở cuối khi đổi “3.10” thành số 3,1); hãy gõ số nhiệm vụ dạng chữ, có "
                              "dấu nháy đơn phía trước (như '3.10), hoặc giữ nguyên cột Nhiệm vụ của tệp mẫu")
    if not chosen:
        raise CellProblem("unknown_task", f"không có nhiệm vụ “{text}” trong kế hoạch")
    task_no = chosen[0]
    if task_no == key:
        return task_no, None
    why = "theo tên nhiệm vụ ở cột Nhiệm vụ" if len(twins) > 1 else f"vì kế hoạch không có nhiệm vụ “{key}”"
    return task_no, f"ô là {what} “{text}”, đọc là nhiệm vụ {task_no} {why}; hãy kiểm tra"


def read_quarter(raw: object, kind: str = "") -> str:
    """'2026-Q4' from 'Quý IV/2026', '2026-Q4', 'Q4/2026', 'quy 4 nam 2026' (excel.cells.parse_period);
    a year, a month or a date is refused: a report is for a quarter."""
    special_cell(kind)
    text = clean(raw)
    if text is None:
        raise CellProblem("missing_value", f"thiếu quý báo cáo; cần {QUARTER_EXPECTED}")
    try:
        period = parse_period(text)
    except CellError:
        raise CellProblem("bad_quarter", f"quý báo cáo “{text}” không đọc được; cần {QUARTER_EXPECTED}") from None
    if "-Q" not in period:
        shown = fmt.date(text) if looks_like_date_cell(text) else fmt.period(period)
        raise CellProblem("not_a_quarter", f"“{shown}” không phải một quý; cần {QUARTER_EXPECTED}")
    return period


def read_state(raw: object, kind: str = "") -> str:
    """One of states.REPORTED from its label or code, with or without diacritics ('hoan thanh');
    a trailing full stop is ignored."""
    special_cell(kind)
    text = clean(raw)
    if text is None:
        raise CellProblem("missing_value", f"thiếu tình trạng; cần {STATE_EXPECTED}")
    state = state_from_text(text.rstrip(".;:, "))
    if state is None:
        raise CellProblem("bad_state", f"tình trạng “{text}” không có trong danh sách; cần {STATE_EXPECTED}")
    return state


def read_day(raw: object, kind: str = "") -> date | None:
    """A date cell, or a date typed as 30/11/2026, 30-11-2026, 30.11.2026, 2026-11-30 or
    'ngày 30 tháng 11 năm 2026'; None for a blank cell."""
    special_cell(kind)
    text = clean(raw)
    if text is None:
        return None
    found = date_value(text)   # a date cell as the reader hands it over, ISO text, or a date serial
    if found is not None:
        return found
    m = _DMY.fullmatch(text) or _WORDS_DMY.fullmatch(fold(text))
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            pass
    raise CellProblem("bad_date", f"ngày “{text}” không đọc được; cần {DATE_EXPECTED}")


def read_text(raw: object, kind: str = "") -> str | None:
    """A free text (result, document, needs), trimmed; a date cell reads as 30/11/2026."""
    special_cell(kind)
    text = clean(raw)
    if text is not None and looks_like_date_cell(text):
        return fmt.date(text)
    return text
