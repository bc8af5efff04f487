"""The words of task tracking, defined once: the states an officer reports, the states a view
shows (overdue is computed, never reported), their labels, colours and marks (STYLE.md 15)."""
from __future__ import annotations

from indicators.progress.statuses import STATUS_COLOURS
from indicators.text.fold import fold

# What an officer reports for a task and a quarter, in the order forms and counts list them.
REPORTED = ("not_started", "in_progress", "done", "done_late", "blocked")
DONE = ("done", "done_late")

# What a view shows: the reported state, with "overdue" when the deadline has passed and the
# task is not done (whatever was reported), "done_late" when done after the deadline.
SHOWN = ("overdue", "blocked", "in_progress", "not_started", "no_report", "done_late", "done")

LABELS = {
    "vi": {
        "not_started": "Chưa triển khai",
        "in_progress": "Đang thực hiện",
        "done": "Hoàn thành",
        "done_late": "Hoàn thành quá hạn",
        "blocked": "Vướng mắc",
        "overdue": "Quá hạn",
        "no_report": "Chưa báo cáo",
    },
    "en": {
        "not_started": "Not started",
        "in_progress": "In progress",
        "done": "Done",
        "done_late": "Done late",
        "blocked": "Blocked",
        "overdue": "Overdue",
        "no_report": "Not reported",
    },
}
LABELS_VI = LABELS["vi"]

# The progress palette (progress/statuses.py): late is red like off track, stuck is yellow.
COLOURS = {
    "done": STATUS_COLOURS["achieved"],
    "done_late": STATUS_COLOURS["on_track"],
    "in_progress": "#1f6feb",
    "blocked": STATUS_COLOURS["needs_acceleration"],
    "not_started": STATUS_COLOURS["no_data"],
    "overdue": STATUS_COLOURS["off_track"],
    "no_report": "#bdbdbd",
}
MARKS = {"done": "✔", "done_late": "✔", "in_progress": "▶", "blocked": "⚠", "not_started": "○", "overdue": "‼",
         "no_report": "–"}

# Roles of an agency on a task.
ROLE_LABELS = {"lead": "Chủ trì", "partner": "Phối hợp"}


# Reading a state typed in a sheet: every label (folded) and code names its state.
def state_from_text(text: str) -> str | None:
    """The reported state a cell names ('Hoàn thành', 'hoan thanh', 'done'), else None."""
    key = fold(text).replace("_", " ")
    for code in REPORTED:
        if key in (fold(LABELS_VI[code]), fold(LABELS["en"][code]), code.replace("_", " ")):
            return code
    return None


def label(state: str, lang: str = "vi") -> str:
    return LABELS[lang].get(state, state)
