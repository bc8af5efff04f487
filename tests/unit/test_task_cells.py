"""Reading a task report's cells (indicators/tasks/task_cells.py): a table of what officers type."""
from __future__ import annotations

from datetime import date

import pytest

from indicators.tasks.sheets.task_cells import CellProblem, read_day, read_quarter, read_state, read_task_no, read_text

TITLES = {"1.1": "Đầu tư hạ tầng", "3.1": "Thử nghiệm UAV", "3.10": "Bệnh án điện tử", "3.2": "Dữ liệu y tế",
          "4.10": "Chỉ có 4.10"}


@pytest.mark.parametrize("raw, kind, title, read, warns", [
    ("3.10", "s", None, "3.10", False),           # typed text: exactly
    ("3.1", "s", None, "3.1", False),
    ("'3.10", "", None, "3.10", False),           # Excel's text mark
    ("Nhiệm vụ 3.10.", "s", None, "3.10", False),
    ("3,10", "s", None, "3.10", False),           # a decimal comma typed as text
    ("3.10", "", None, "3.10", False),            # shown with its 0: what the officer saw (.csv)
    ("3.2", "n", None, "3.2", False),             # a number without a twin in the plan
    ("3.1", "n", "Thử nghiệm UAV", "3.1", False),   # the row's title says which
    ("3.1", "n", "Bệnh án điện tử", "3.10", True),  # read by the title: said
    ("4.1", "n", None, "4.10", True),             # the plan has 4.10 only: read so, and said
])
def test_task_numbers(raw, kind, title, read, warns):
    task_no, warning = read_task_no(raw, kind, title, TITLES)
    assert task_no == read and bool(warning) == warns


@pytest.mark.parametrize("raw, kind, code", [
    ("3.1", "n", "ambiguous_task"),     # 3.1 or 3.10: never guessed
    ("3.1", "", "ambiguous_task"),      # a .xls or .csv cell: its type is not known
    ("9.9", "s", "unknown_task"),
    ("3.20", "", "unknown_task"),       # shown with its 0, and no such task
    (None, "s", "missing_value"),
    ("3.1", "formula", "formula_without_value"),
    ("", "error:#N/A", "excel_error"),
])
def test_task_numbers_refused(raw, kind, code):
    with pytest.raises(CellProblem) as refused:
        read_task_no(raw, kind, None, TITLES)
    assert refused.value.code == code


@pytest.mark.parametrize("raw, read", [("Quý IV/2026", "2026-Q4"), ("2026-Q4", "2026-Q4"), ("Q4/2026", "2026-Q4"),
                                        ("quy 4 nam 2026", "2026-Q4"), (" Quý I / 2026 ", "2026-Q1")])
def test_quarters(raw, read):
    assert read_quarter(raw) == read


@pytest.mark.parametrize("raw, code", [("2026", "not_a_quarter"), ("06/2026", "not_a_quarter"),
                                       ("2026-06-01 00:00:00", "not_a_quarter"), ("Quý V/2026", "bad_quarter"),
                                       (None, "missing_value")])
def test_quarters_refused(raw, code):
    with pytest.raises(CellProblem) as refused:
        read_quarter(raw)
    assert refused.value.code == code


@pytest.mark.parametrize("raw, read", [("Hoàn thành", "done"), ("hoan thanh", "done"), ("HOÀN THÀNH QUÁ HẠN", "done_late"),
                                        ("Vướng mắc.", "blocked"), ("dang thuc hien", "in_progress"),
                                        ("not_started", "not_started")])
def test_states(raw, read):
    assert read_state(raw) == read


@pytest.mark.parametrize("raw", ["xong", "Quá hạn", None])
def test_states_refused(raw):
    with pytest.raises(CellProblem):
        read_state(raw)


@pytest.mark.parametrize("raw, read", [("30/11/2026", date(2026, 11, 30)), ("3-2-2026", date(2026, 2, 3)),
                                        ("2026-11-30 00:00:00", date(2026, 11, 30)), ("46356", date(2026, 11, 30)),
                                        ("ngày 30 tháng 11 năm 2026", date(2026, 11, 30)), (None, None), ("  ", None)])
def test_days(raw, read):
    assert read_day(raw) == read


@pytest.mark.parametrize("raw", ["31/02/2026", "hôm qua", "11/2026"])
def test_days_refused(raw):
    with pytest.raises(CellProblem, match="ngày/tháng/năm"):
        read_day(raw)


def test_texts_are_trimmed_and_a_date_cell_reads_as_a_date():
    assert read_text("  Đã ban hành \u200b") == "Đã ban hành"
    assert read_text("2026-11-30 00:00:00") == "30/11/2026" and read_text(" ") is None
