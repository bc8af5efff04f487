"""The progress method's words, defined once: statuses in order, their labels, colours and
marks, the milestone years, the comparators a target may use.

Pages, charts, slides, the deck, the report, the command line, SQL parameters and tests all
read these; nothing else spells a status label or a colour (STYLE.md 15).
"""
from __future__ import annotations

# The order in which counts and legends list the statuses.
STATUSES = ("achieved", "on_track", "needs_acceleration", "off_track", "no_data")

STATUS_LABELS = {
    "vi": {
        "achieved": "Đã đạt",
        "on_track": "Đúng tiến độ",
        "needs_acceleration": "Cần tăng tốc",
        "off_track": "Chệch hướng",
        "no_data": "Chưa đủ số liệu",
    },
    "en": {
        "achieved": "Achieved",
        "on_track": "On track",
        "needs_acceleration": "Needs acceleration",
        "off_track": "Off track",
        "no_data": "Not enough data",
    },
}
STATUS_LABELS_VI = STATUS_LABELS["vi"]

# UN ESCAP-like palette: green, yellow, red, grey; achieved is a darker green.
STATUS_COLOURS = {
    "achieved": "#1a7f37",
    "on_track": "#2e9e4f",
    "needs_acceleration": "#e3b505",
    "off_track": "#c62828",
    "no_data": "#9e9e9e",
}
# Light tints of the same colours, for table cells with dark text on them.
STATUS_TINTS = {
    "achieved": "#cdebd6",
    "on_track": "#e3f4e8",
    "needs_acceleration": "#fff1bf",
    "off_track": "#f8d0d0",
    "no_data": "#eeeeee",
}
# The nearest of Streamlit's named badge colours.
STATUS_BADGE_COLOURS = {
    "achieved": "green",
    "on_track": "green",
    "needs_acceleration": "orange",
    "off_track": "red",
    "no_data": "gray",
}
# A mark per status so that status never relies on colour alone.
STATUS_MARKS = {
    "achieved": "✔",
    "on_track": "▲",
    "needs_acceleration": "◆",
    "off_track": "▼",
    "no_data": "○",
}

# What a leader must act on first: lists, cards and slides sorted "needs attention first".
ATTENTION_ORDER = ("off_track", "needs_acceleration", "no_data", "on_track", "achieved")
NEEDS_ACTION = ATTENTION_ORDER[:2]
# Which target a scorecard cell shows when several plans set one for a locality × indicator:
# the most severe status, where no data counts as the least severe.
CELL_SEVERITY = {"off_track": 1, "needs_acceleration": 2, "on_track": 3, "achieved": 4, "no_data": 5}

# The plans' milestones; 2030 is what the dashboards judge progress toward by default.
MILESTONE_YEARS = (2026, 2030, 2035, 2045)
DEFAULT_TARGET_YEAR = 2030

# How a plan states a target: "=" is a bare level to reach or keep ("92,11", "duy trì 100%").
COMPARATORS = ("≥", ">", "≤", "<", "=")


def status_label(status: str, lang: str = "vi") -> str:
    """'Chệch hướng' (vi) or 'Off track' (en)."""
    return STATUS_LABELS.get(lang, STATUS_LABELS_VI)[status]


def status_text(status: str, lang: str = "vi") -> str:
    """The mark and the label: '▼ Chệch hướng'."""
    return f"{STATUS_MARKS[status]} {status_label(status, lang)}"
