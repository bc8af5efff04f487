"""The task tracking's pure core: agencies as written, deadlines as dates, what is late (a table of cases)."""
from datetime import date

import pytest

from indicators.tasks.parse import NamedAgency, deadline_date, quarter_bounds, quarter_of, split_agencies
from indicators.tasks.states import state_from_text
from indicators.tasks.status import shown_state

D = date


@pytest.mark.parametrize("text, expected", [
    ("Sở Y tế", [NamedAgency("Sở Y tế", None)]),
    ("Sở Y tế (cơ quan rà soát, đề xuất); Sở Quy hoạch - Kiến trúc (cơ quan tổng hợp, tích hợp Quy hoạch tổng thể "
     "100 năm)", [NamedAgency("Sở Y tế", "cơ quan rà soát, đề xuất"),
                  NamedAgency("Sở Quy hoạch - Kiến trúc", "cơ quan tổng hợp, tích hợp Quy hoạch tổng thể 100 năm")]),
    # A comma inside a name is not a separator; a semicolon inside parentheses neither.
    ("Sở Tài chính; Ủy ban nhân dân xã, phường; các cơ quan, đơn vị liên quan",
     [NamedAgency("Sở Tài chính", None), NamedAgency("Ủy ban nhân dân xã, phường", None),
      NamedAgency("các cơ quan, đơn vị liên quan", None)]),
    ("Sở Y tế (chủ trì; tổng hợp)", [NamedAgency("Sở Y tế", "chủ trì; tổng hợp")]),
    ("", []), (None, []), (" ; Sở Nội vụ ;", [NamedAgency("Sở Nội vụ", None)]),
])
def test_agencies_are_split_as_written(text, expected):
    assert split_agencies(text) == expected


@pytest.mark.parametrize("period, last_day", [
    ("2026-Q1", D(2026, 3, 31)), ("2026-Q2", D(2026, 6, 30)), ("2026-Q4", D(2026, 12, 31)),
    ("2026-02", D(2026, 2, 28)), ("2028-02", D(2028, 2, 29)), ("2026-12", D(2026, 12, 31)), ("2026", D(2026, 12, 31)),
])
def test_a_deadline_is_the_last_day_of_its_period(period, last_day):
    assert deadline_date(period) == last_day


@pytest.mark.parametrize("bad", ["2026-Q5", "Quý I năm 2026", "2026-13", "", "26-Q1"])
def test_a_deadline_period_that_cannot_be_read_says_so(bad):
    with pytest.raises(ValueError, match="không đúng dạng"):
        deadline_date(bad)


def test_quarters_of_days_and_their_bounds():
    assert quarter_of(D(2026, 12, 2)) == "2026-Q4" and quarter_of(D(2026, 1, 1)) == "2026-Q1"
    assert quarter_bounds("2026-Q3") == (D(2026, 7, 1), D(2026, 9, 30))


DUE = D(2026, 3, 31)


@pytest.mark.parametrize("reported, as_of, completed_on, reported_on, expected", [
    # Not reported: nothing before the deadline day has passed, overdue the day after.
    (None, D(2026, 3, 31), None, None, ("no_report", 0)),
    (None, D(2026, 4, 1), None, None, ("overdue", 1)),
    (None, D(2026, 12, 2), None, None, ("overdue", 246)),
    # Reported but not done: the reported state until the deadline, overdue after it, whatever was said.
    ("in_progress", D(2026, 3, 1), None, D(2026, 3, 1), ("in_progress", 0)),
    ("in_progress", D(2026, 4, 10), None, D(2026, 3, 1), ("overdue", 10)),
    ("blocked", D(2026, 4, 10), None, D(2026, 3, 1), ("overdue", 10)),
    ("not_started", D(2026, 2, 1), None, D(2026, 2, 1), ("not_started", 0)),
    # Done on time, done late by its product's date, by the report's date, or as the officer said.
    ("done", D(2026, 12, 2), D(2026, 3, 31), D(2026, 4, 5), ("done", 0)),
    ("done", D(2026, 12, 2), D(2026, 5, 10), D(2026, 5, 12), ("done_late", 40)),
    ("done", D(2026, 12, 2), None, D(2026, 4, 2), ("done_late", 2)),
    ("done_late", D(2026, 12, 2), None, D(2026, 3, 1), ("done_late", 0)),
])
def test_what_a_view_shows_for_a_task(reported, as_of, completed_on, reported_on, expected):
    assert shown_state(reported, DUE, as_of, completed_on, reported_on) == expected


@pytest.mark.parametrize("typed, state", [
    ("Hoàn thành", "done"), ("hoan thanh", "done"), ("HOÀN THÀNH QUÁ HẠN", "done_late"), ("Vướng mắc", "blocked"),
    ("đang thực hiện", "in_progress"), ("Chưa triển khai", "not_started"), ("done", "done"), ("quá hạn", None),
    ("xong", None),
])
def test_a_state_is_read_from_its_label_with_or_without_diacritics(typed, state):
    assert state_from_text(typed) == state
