"""What officers type in a cell, read: codes, periods, numbers, yes/no, column letters.

Pure functions, no workbook: each returns the canonical value or raises CellError with a stable
English code and what was expected, in Vietnamese, so validation can say it to the person.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from indicators.text.fold import fold

class CellError(ValueError):
    """A cell that cannot be read: `code` is stable English, `expected` a Vietnamese phrase."""

    def __init__(self, code: str, expected: str):
        super().__init__(expected)
        self.code = code
        self.expected = expected


# Invisible characters that ride along when a figure is copied from a web page or a PDF.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _clean_text(raw: object) -> str:
    """Whitespace (incl. non-breaking) trimmed, invisible zero-width characters removed, a
    leading apostrophe (Excel's text mark) dropped."""
    s = str(raw).translate(_INVISIBLE).replace("\xa0", " ").replace("\u202f", " ").strip()
    if s.startswith("'"):
        s = s[1:].strip()
    return s


def normalise_code(raw: object) -> str:
    """A locality code as text. Codes are 2 digits (province) or 5 (commune) with leading zeros:
    text of that length is kept ('12', '00070'); a number cell loses its zeros, so 1 or '1.0'
    -> '01' and 9931 -> '09931' (1–2 digits pad to a province, 3–4 to a commune)."""
    s = _clean_text(raw)
    m = re.fullmatch(r"(\d+)(?:\.0+)?", s)
    if m:
        digits = m.group(1)
        if len(digits) in (2, 5):
            return digits
        return digits.zfill(2) if len(digits) < 2 else digits.zfill(5) if len(digits) < 5 else digits
    return s


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_SEP = r"\s*(?:[-/.,:]|\s|nam)*\s*"
_PERIOD_FORMS = [
    ("year", re.compile(r"(?:nam\s*)?(\d{4})(?:\.0+)?")),
    ("year_quarter", re.compile(r"(\d{4})\s*[-/ ]?\s*(?:q|quy)\s*([1-4]|iv|i{1,3})")),
    ("quarter_year", re.compile(r"(?:q|quy)\s*([1-4]|iv|i{1,3})" + _SEP + r"(\d{4})")),
    ("year_month", re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})")),
    # a separator is required: "46082" (a date serial) is not month 4 of year 6082
    ("month_year", re.compile(r"(?:thang|t)?\s*(\d{1,2})" + r"\s*(?:[-/.,:]|\s|nam)+\s*" + r"(\d{4})")),
    ("iso_date", re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")),
    ("dmy_date", re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")),
]
PERIOD_EXPECTED = ("một kỳ như “2026”, “Quý I/2026” (hoặc “2026-Q1”, “Q1/2026”), "
                   "“Tháng 6/2026” (hoặc “06/2026”, “2026-06”)")
MIN_YEAR = 2000


def parse_period(raw: object, shown_as: str | None = None) -> str:
    """The canonical period ('2026', '2026-Q1', '2026-06') of what an officer typed.

    Accepts 2026 / "2026" / "Năm 2026"; "2026-Q1", "Q1/2026", "Quý I/2026", "Quý 1 năm 2026";
    "06/2026", "2026-06", "Tháng 6/2026"; a date (cell or text) -> its month. Case and
    diacritics do not matter. Raises CellError('bad_period') for anything else, a month or
    quarter out of range, or a year before 2000 (a future period is checked by the caller).

    `shown_as` is how the cell's number format displays a date (number_format_kind): a date
    cell shown as 'year' (Excel's `yyyy`, “2026”) is that year, one shown as 'month'
    (`mm/yyyy`, “06/2026”) that month, as the officer saw them; any other value, or a cell
    that is not a date, is read as above. The caller passes it only for number (date) cells,
    never for typed text: excel/workbook.py does so for the period column, and
    `workbook.period_formats` gives it for any cell (a wide sheet's period headers).
    """
    if shown_as in ("year", "month"):
        day = date_value(raw)
        if day is not None:
            if day.year < MIN_YEAR:
                raise CellError("bad_period", f"một năm từ {MIN_YEAR} trở đi")
            return str(day.year) if shown_as == "year" else f"{day.year}-{day.month:02d}"
    s = fold(_clean_text(raw))
    if not s:
        raise CellError("missing_value", PERIOD_EXPECTED)
    for form, pattern in _PERIOD_FORMS:
        m = pattern.fullmatch(s)
        if not m:
            continue
        if form == "year":
            year, sub = int(m.group(1)), None
        elif form in ("year_quarter", "quarter_year"):
            y, q = (m.group(1), m.group(2)) if form == "year_quarter" else (m.group(2), m.group(1))
            year, sub = int(y), ("Q", _ROMAN.get(q) or int(q))
        elif form in ("year_month", "iso_date"):
            year, sub = int(m.group(1)), ("M", int(m.group(2)))
        elif form == "month_year":
            year, sub = int(m.group(2)), ("M", int(m.group(1)))
        else:  # dmy_date: day/month/year, as Vietnamese dates are written
            year, sub = int(m.group(3)), ("M", int(m.group(2)))
        if year < MIN_YEAR:
            raise CellError("bad_period", f"một năm từ {MIN_YEAR} trở đi")
        if sub is None:
            return str(year)
        if sub[0] == "Q":
            return f"{year}-Q{sub[1]}"
        if not 1 <= sub[1] <= 12:
            raise CellError("bad_period", "tháng từ 1 đến 12, " + PERIOD_EXPECTED)
        return f"{year}-{sub[1]:02d}"
    serial = re.fullmatch(r"(\d{5})(?:\.\d+)?", s)
    if serial and 36526 <= int(serial.group(1)) <= 73050:   # 01/01/2000 … 31/12/2099 as Excel stores dates
        day = date(1899, 12, 30) + timedelta(days=int(serial.group(1)))
        raise CellError("bad_period", f"{PERIOD_EXPECTED}; ô này có vẻ là một ngày tháng mà Excel lưu dạng số "
                        f"({serial.group(1)} là ngày {day.strftime('%d/%m/%Y')}): hãy ghi kỳ bằng chữ, vd. "
                        f"“Tháng {day.month}/{day.year}”")
    raise CellError("bad_period", PERIOD_EXPECTED)


_DATE_VALUE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")


def date_value(raw: object) -> date | None:
    """The date a date cell holds, as the reader hands it over ('2026-06-01 00:00:00', a date
    object, or an Excel serial such as 46174 when the reader did not see a date format); None
    for anything else."""
    if isinstance(raw, date):   # datetime too
        return date(raw.year, raw.month, raw.day)
    s = _clean_text(raw) if raw is not None else ""
    if m := _DATE_VALUE.fullmatch(s):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if (m := _SERIAL.fullmatch(s)) and 36526 <= int(m.group(1)) <= 73050:   # 2000 … 2099
        return date(1899, 12, 30) + timedelta(days=int(m.group(1)))
    return None


# --- number formats ---------------------------------------------------------------------------
# Excel's built-in date and time formats (ids 14–22, 45–47; their codes follow the locale).
BUILTIN_DATE_FORMATS = {14: "date", 15: "date", 16: "date", 17: "month", 18: "time", 19: "time",
                        20: "time", 21: "time", 22: "date", 45: "time", 46: "time", 47: "time"}
# Shown as themselves, never a date part: quoted text, an escaped character, the width of one
# (_x), a fill character (*x), and [...] sections (colour, locale [$-42A], condition [>100]).
_FORMAT_LITERAL = re.compile(r'"[^"]*"?|\\.|_.|\*.|\[[^\]]*\]?', re.DOTALL)
_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)   # [h]:mm elapsed time
_AM_PM = re.compile(r"am/pm|a/p", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"y+|m+|d+|h+|s+")


def _first_section(code: str) -> str:
    """The part before the first ';' that is not quoted, escaped or in brackets: the format of
    positive numbers (and dates)."""
    quoted = bracket = escaped = False
    for i, ch in enumerate(code):
        if escaped:
            escaped = False
        elif quoted:
            quoted = ch != '"'
        elif bracket:
            bracket = ch != "]"
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = True
        elif ch == "[":
            bracket = True
        elif ch == ";":
            return code[:i]
    return code


def number_format_kind(code: str | None) -> str | None:
    """How an Excel number format code shows a date: 'year' (only years: `yyyy`, `"Năm "yyyy`),
    'month' (a month, with or without its year, and no day: `mm/yyyy`, `mmm-yy`,
    `"Tháng "m/yyyy`, `[$-42A]mm/yyyy`), 'date' (has a day, or mixes a date and a time),
    'time' (only hours, minutes, seconds: `h:mm`), or None (not a date format: `General`,
    `0.00%`, `@`).

    Only the first section counts; quoted text ("d" is the letter d), escaped characters
    (`\\-`), [colour], [$-locale] and [condition] sections and AM/PM are literals. An `m` right
    after an hour or right before seconds is minutes, as in Excel.
    """
    if not code:
        return None
    # [h]:mm and [mm]:ss (elapsed time) stay as an hour and seconds, the only brackets that do
    section = _ELAPSED.sub(lambda e: " s " if e.group(0)[1] in "sS" else " h ", _first_section(code))
    letters = _AM_PM.sub(" ", _FORMAT_LITERAL.sub(" ", section)).lower()
    tokens = [m.group(0)[0] for m in _DATE_TOKEN.finditer(letters)]
    kinds = set()
    for i, t in enumerate(tokens):
        if t == "m":
            minutes = (i > 0 and tokens[i - 1] == "h") or (i + 1 < len(tokens) and tokens[i + 1] == "s")
            kinds.add("minute" if minutes else "month")
        else:
            kinds.add(t)
    time = bool(kinds & {"h", "minute", "s"})
    date_part = kinds & {"y", "month", "d"}
    if "d" in kinds or (time and date_part):
        return "date"
    if time:
        return "time"
    if "month" in kinds:
        return "month"
    if "y" in kinds:
        return "year"
    return None


def period_end(period: str) -> tuple[int, int]:
    """(year, last month) of a canonical period, for comparing with today."""
    if "-Q" in period:
        y, q = period.split("-Q")
        return int(y), 3 * int(q)
    if "-" in period:
        y, m = period.split("-")
        return int(y), int(m)
    return int(period), 12


def period_start(period: str) -> tuple[int, int]:
    y, last = period_end(period)
    return (y, last - 2) if "-Q" in period else (y, last if "-" in period else 1)


def is_future(period: str, today: date) -> bool:
    """True when the period starts after today's month (the current year, quarter or month is allowed)."""
    return period_start(period) > (today.year, today.month)


NUMBER_EXPECTED = "một số, ví dụ 13,5 hoặc 1.234 hoặc 95%"
_INT = re.compile(r"\d+")
_ONE_SEP = re.compile(r"(\d+)([.,])(\d+)")
_GROUPED_DOT = re.compile(r"\d{1,3}(?:\.\d{3})+")
_GROUPED_COMMA = re.compile(r"\d{1,3}(?:,\d{3})+")
_DOT_THEN_COMMA = re.compile(r"(\d{1,3}(?:\.\d{3})+),(\d+)")
_COMMA_THEN_DOT = re.compile(r"(\d{1,3}(?:,\d{3})+)\.(\d+)")
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?e[-+]?\d+")
_AMBIGUOUS = re.compile(r"[-+]?[1-9]\d{0,2}\.\d{3}")
AMBIGUOUS_RE2 = r"^\s*[-+]?[1-9]\d{0,2}\.\d{3}\s*$"   # the same, for Arrow's RE2


def is_ambiguous_number(text: str) -> bool:
    """'1.234': a number cell means 1.234, typed text means 1234 (Vietnamese thousands dot)."""
    return bool(_AMBIGUOUS.fullmatch(text))


def reads_as_thousands(text: object) -> bool:
    """Typed text whose dots parse_number takes as thousands separators ('28.123', '1.234.567'):
    worth saying so when the number that results is out of range."""
    s = _clean_text(text).rstrip("%").strip().replace(" ", "").lstrip("+-−")
    return bool(_GROUPED_DOT.fullmatch(s) or _DOT_THEN_COMMA.fullmatch(s))


_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?")


def looks_like_date_cell(text: object) -> bool:
    """How a date cell reaches us ('2026-05-13 00:00:00'): Excel turns a typed '13/5' or '13.5'
    into a date when the column is not formatted as number or text."""
    return bool(_DATE_TEXT.fullmatch(_clean_text(text)))


def parse_number(raw: object, *, numeric_cell: bool = False) -> tuple[float | None, bool]:
    """(value, had a percent sign) for one cell; (None, False) for a blank cell.

    Policy (reject with a reason, never guess silently):
    - decimal comma "13,5" and decimal point "13.5" are both decimals;
    - a single dot followed by exactly three digits, after one to three digits, in typed text is
      a thousands dot: "1.234" -> 1234 (a number cell 1.234 stays 1.234: `numeric_cell`);
      "0.125" stays 0.125 and "1234.567" is a decimal (no grouping has four digits);
    - with both separators the last one is the decimal: "1.234,5" and "1,234.5" -> 1234.5;
      several equal separators are thousands: "1.234.567" -> 1234567;
    - "95%", " 95 % " -> (95, True); spaces as thousands separators "1 234" -> 1234;
    - a leading apostrophe, "+" or "-"/"−" are accepted; anything else raises CellError.
    """
    s = _clean_text(raw)
    if not s:
        return None, False
    pct = s.endswith("%")
    if pct:
        s = s[:-1].strip()
    s = s.replace(" ", "").replace("−", "-").lower()
    sign = 1.0
    if s[:1] in "+-" and s:
        sign, s = (-1.0 if s[0] == "-" else 1.0), s[1:]
    if numeric_cell:
        try:
            return sign * float(s), pct
        except ValueError:
            pass
    if _INT.fullmatch(s):
        return sign * float(s), pct
    if m := _ONE_SEP.fullmatch(s):
        whole, sep, frac = m.groups()
        if sep == "." and len(frac) == 3 and whole[0] != "0" and len(whole) <= 3:
            return sign * float(whole + frac), pct          # thousands dot: 1.234, 28.123
        return sign * float(f"{whole}.{frac}"), pct
    if _GROUPED_DOT.fullmatch(s):
        return sign * float(s.replace(".", "")), pct
    if _GROUPED_COMMA.fullmatch(s):
        return sign * float(s.replace(",", "")), pct
    if m := _DOT_THEN_COMMA.fullmatch(s):
        return sign * float(m.group(1).replace(".", "") + "." + m.group(2)), pct
    if m := _COMMA_THEN_DOT.fullmatch(s):
        return sign * float(m.group(1).replace(",", "") + "." + m.group(2)), pct
    if _SCIENTIFIC.fullmatch(s):
        return sign * float(s), pct
    raise CellError("bad_number", NUMBER_EXPECTED)


YES = {"dat", "co", "yes", "y", "1", "x", "true", "v", "da dat", "dat chuan"}
NO = {"khong dat", "khong", "no", "n", "0", "false", "chua dat", "chua", "khong dat chuan"}
YES_NO_EXPECTED = "“Đạt” hoặc “Không đạt” (cũng nhận Có/Không, Yes/No, 1/0, x)"


def parse_yes_no(raw: object) -> float | None:
    """1.0 for Đạt/Có/Yes/1/x, 0.0 for Không đạt/Không/Chưa đạt/No/0; None for blank; else CellError."""
    s = fold(_clean_text(raw)).rstrip(".")
    if not s:
        return None
    if s in YES or re.fullmatch(r"1(?:\.0+)?", s):
        return 1.0
    if s in NO or re.fullmatch(r"0(?:\.0+)?", s):
        return 0.0
    raise CellError("bad_number", YES_NO_EXPECTED)


def column_letter(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    out = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        out = chr(65 + r) + out
    return out
