"""The one place numbers become text: Vietnamese decimal comma, thousands dot, units, comparators."""
from __future__ import annotations

import math

from babel.numbers import format_decimal

LOCALE = "vi_VN"
PLOTLY_SEPARATORS = ",."   # layout.separators: decimal comma, thousands dot
_TIGHT_UNITS = {"%", "‰"}  # written without a space: 95%, 20‰
COMPARATOR_TEXT = {"≥": "≥", ">": ">", "≤": "≤", "<": "<", "=": "đạt"}


def number(value: float | None, decimals: int = 2) -> str:
    """'13,5', '1.234', '78,95'; up to `decimals` places, trailing zeros dropped; '–' for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if unit in _TIGHT_UNITS else f"{text} {unit}"


def value(v: float | None, unit: str = "", decimals: int = 2, value_kind: str = "") -> str:
    """A reported value for display: '13,1 bác sĩ/10.000 dân', '95%', 'Đạt' for yes/no."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if value_kind == "yes_no":
        return "Đạt" if v >= 0.5 else "Chưa đạt"
    return with_unit(number(v, decimals), unit)


def target(comparator: str | None, v: float | None, unit: str = "", decimals: int = 2,
           value_kind: str = "", text: str | None = None) -> str:
    """A target for display: '≥ 13,5 bác sĩ/10.000 dân', 'đạt 92,11%', '< 20‰'; the plan's words when it has no number."""
    if v is None:
        return text or "Chỉ tiêu định tính"
    if value_kind == "yes_no":
        return "Đạt chuẩn" if v >= 0.5 else "Không đạt"
    return f"{COMPARATOR_TEXT.get(comparator or '=', comparator)} {value(v, unit, decimals)}"


def signed(v: float | None, unit: str = "", decimals: int = 2) -> str:
    """A change with its sign: '+0,3 năm', '−1,2%'."""
    if v is None:
        return "–"
    sign = "+" if v > 0 else ("−" if v < 0 else "")
    return with_unit(sign + number(abs(v), decimals), unit)


def period(p: str) -> str:
    """'2024' -> '2024', '2024-Q1' -> 'Quý I/2024', '2024-06' -> 'Tháng 06/2024'."""
    if "-Q" in p:
        y, q = p.split("-Q")
        return f"Quý {['I', 'II', 'III', 'IV'][int(q) - 1]}/{y}"
    if "-" in p:
        y, m = p.split("-")
        return f"Tháng {m}/{y}"
    return p


def date(iso: str) -> str:
    """'2025-11-27' -> '27/11/2025'."""
    y, m, d = str(iso)[:10].split("-")
    return f"{d}/{m}/{y}"


def plan_number(number: str | None) -> str:
    """A plan's number for display; a number left blank in the document ('/KH-UBND') shows as '…/KH-UBND'."""
    if not number:
        return "(không số)"
    return f"…{number}" if number.startswith("/") else number
