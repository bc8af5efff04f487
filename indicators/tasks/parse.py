"""Pure helpers on a plan's task list as written: agencies with their roles, deadlines as dates."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class NamedAgency:
    name: str               # as written, role note removed: 'Sở Y tế'
    role_note: str | None   # 'cơ quan rà soát, đề xuất'


def split_agencies(text: str | None) -> list[NamedAgency]:
    """'Sở Y tế (cơ quan rà soát, đề xuất); Sở Quy hoạch - Kiến trúc (…)' -> two agencies with
    their role notes. Separators are ';' outside parentheses (a name may hold a comma:
    'Ủy ban nhân dân xã, phường')."""
    parts, depth, current = [], 0, []
    for ch in text or "":
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if ch == ";" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    found = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        m = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", part)
        found.append(NamedAgency(m.group(1).strip(), m.group(2).strip()) if m else NamedAgency(part, None))
    return found


def deadline_date(period: str) -> date:
    """The last day of a period: '2026-Q1' -> 2026-03-31, '2026-02' -> 2026-02-28, '2026' -> 2026-12-31."""
    m = _PERIOD.match(period or "")
    if not m:
        raise ValueError(f"kỳ “{period}” không đúng dạng 2026, 2026-Q1 hoặc 2026-02")
    year = int(m.group(1))
    month = 3 * int(m.group(2)) if m.group(2) else int(m.group(3)) if m.group(3) else 12
    return date(year, month, calendar.monthrange(year, month)[1])


def quarter_of(day: date) -> str:
    """'2026-Q4' for any day of October–December 2026."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of '2026-Q4'."""
    m = re.match(r"^(\d{4})-Q([1-4])$", quarter or "")
    if not m:
        raise ValueError(f"quý “{quarter}” không đúng dạng 2026-Q4")
    year, q = int(m.group(1)), int(m.group(2))
    return date(year, 3 * q - 2, 1), deadline_date(quarter)
