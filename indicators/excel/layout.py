"""Report sheets as officers already have them: periods as columns, indicators or localities as rows.

A Sở Y tế's yearly report is a title, then `STT | Chỉ tiêu | Đơn vị tính | Năm 2023 | Năm 2024 |
Năm 2025`, one row per indicator named as the plan writes it; a province's sheet of communes is
`STT | Xã/phường | 2024 | 2025` for one indicator, or one column per indicator for one year. Such a
sheet has no long-format header (Mã địa phương, Mã chỉ tiêu, Kỳ báo cáo, Giá trị), so
workbook.read_workbook asks `read_wide` how to read it, and `SheetLayout.long_rows` turns it into
the same long rows as the template's: everything after that (validation, preview, one
transaction, history, revert) is unchanged.

What is recognised:
- **Period columns**: "2025", "Năm 2025", "Thực hiện 2025", "TH 2025", "Ước thực hiện 2025",
  "Quý I/2026", "Tháng 6/2026", a date cell shown as a year or a month, and two-row headers whose
  upper row is merged over several columns ("Năm 2025" over "Kế hoạch | Thực hiện").
- **Not actuals**, never read as results and said so: plans and targets ("Kế hoạch 2026", "KH",
  "Chỉ tiêu 2030", "Mục tiêu", "Chỉ tiêu giao"), comparisons ("So sánh", "% so với KH", "Tăng/giảm"),
  notes; and periods the store does not keep (half-years "6 tháng đầu năm 2026", "9 tháng").
- **Rows**: indicators (indicators as rows) or localities within the uploader's scope (localities
  as rows), by code or by name, matched by excel.names; every match that is a guess is a warning
  the officer confirms, and a row with figures that matches nothing is listed, never dropped
  silently. Group headings ("I. Nhân lực y tế") are skipped as headings.
- **The locality** of an indicators-as-rows sheet: a locality named in the title rows (within the
  scope), else the one the caller gives (the officer's own, or the picker's / `--locality`).
- **Units**: a "Đơn vị tính" column that contradicts the indicator's unit (‰ for a % indicator) is
  an error naming both; a loose unit ("Bác sĩ", "Năm", "Người") is not a contradiction.

`SheetLayout.understanding()` is what the page and the CLI show before the preview: which rows
became which indicators (with how sure), which columns which periods, what was skipped and why.
`overrides` (from a confirmed mapping, see importer) replace any row's or column's reading.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from indicators.excel.cells import _ROMAN, CellError, column_letter, parse_period
from indicators.excel.names import IndicatorNames, LocalityNames, Match, name_key
from indicators.text.fold import fold

HEADER_SEARCH_ROWS = 30

# Header words (folded) of the label columns.
_INDICATOR_HEADERS = ("chi tieu", "ten chi tieu", "noi dung", "chi so", "ten chi so", "danh muc", "noi dung chi tieu",
                      "cac chi tieu", "indicator", "chi tieu chu yeu")
_LOCALITY_HEADERS = ("xa", "phuong", "xa phuong", "phuong xa", "xa phuong thi tran", "ten xa", "ten xa phuong",
                     "ten don vi", "don vi", "dia phuong", "ten dia phuong", "tinh", "tinh thanh pho", "ten tinh",
                     "dia ban", "tram y te", "locality", "commune")
_UNIT_HEADERS = ("don vi tinh", "dvt", "don vi", "unit")
_ORDER_HEADERS = ("stt", "tt", "so tt", "so thu tu")
_CODE_HEADERS = ("ma chi tieu", "ma", "ma so", "ma ct")

_PLAN_WORDS = re.compile(r"\b(?:ke hoach|kh|chi tieu|muc tieu|giao|dang ky|target|plan)\b")
_COMPARE_WORDS = re.compile(r"\b(?:so sanh|so voi|tang giam|tang/giam|ty le dat|dat so voi|chenh lech|ghi chu|"
                            r"xep loai|danh gia|note)\b")
_PART_YEAR = re.compile(r"\b(?:6|9|sau|chin) thang\b|\bnua nam\b|\bluy ke\b")
_ESTIMATE = re.compile(r"\buoc\b")
_ACTUAL_WORDS = re.compile(r"\b(?:thuc hien|th|uoc thuc hien|uoc th|uoc|ket qua|so lieu|nam|actual)\b")
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_QUARTER = re.compile(r"\bquy\s*(iv|i{1,3}|[1-4])\b(?:\s*(?:/|-|nam)?\s*(20\d{2}))?")
_MONTH = re.compile(r"\bthang\s*(\d{1,2})\b(?:\s*(?:/|-|nam)?\s*(20\d{2}))?|(?<![\d/])(\d{1,2})\s*/\s*(20\d{2})\b")


# What each column role and each way of knowing the locality is called, for people (page, CLI).
ROLE_TEXT = {"label": "Tên chỉ tiêu / địa phương", "unit": "Đơn vị tính", "order": "Số thứ tự", "code": "Mã",
             "plan": "Kế hoạch / chỉ tiêu – không đọc", "skip": "Không đọc", "indicator": "Chỉ tiêu",
             "period": "Số liệu của kỳ"}
LOCALITY_HOW = {"title": "theo tiêu đề hoặc tên trang", "account": "địa phương của tài khoản", "chosen": "đã chọn",
                "confirmed": "đã xác nhận trước đây", "": ""}


@dataclass
class Column:
    """One column as understood. role: 'period' (read as results of `period`), 'plan' (a plan or
    target: not read), 'skip' (a comparison, a note, a period the store does not keep), 'label'
    (the indicator or locality names), 'unit', 'order' (STT), 'code', 'indicator' (a column of
    one indicator, localities as rows), 'empty'."""
    index: int                 # position in the sheet's table
    letter: str
    header: str
    role: str
    period: str | None = None
    reason: str = ""
    match: Match | None = None      # the indicator of an 'indicator' column
    estimate: bool = False          # "Ước thực hiện": an estimate, read as the period's figure


@dataclass
class Row:
    """One row below the header. role: 'data', 'heading' (a group heading: no figures), 'unmatched'
    (figures, but no indicator or locality recognised: not read, listed), 'empty'."""
    number: int                # Excel row
    label: str
    role: str
    match: Match | None = None
    unit: str = ""
    reason: str = ""
    cells: dict = field(default_factory=dict)   # grid column -> the figure's text


def classify_header(text: str, shown_as: str | None = None, raw: object = None) -> tuple[str, str | None, str]:
    """(role, period, reason) of a column header: role 'period', 'plan', 'skip' or 'other'.

    >>> classify_header("Năm 2025")[:2]
    ('period', '2025')
    >>> classify_header("Kế hoạch 2026")[0]
    'plan'
    """
    if shown_as in ("year", "month") and raw is not None:
        try:
            return "period", parse_period(raw, shown_as=shown_as), ""
        except CellError:
            pass
    t = re.sub(r"[^a-z0-9/ ]+", " ", fold(text))
    t = " ".join(t.split())
    if not t:
        return "other", None, ""
    years = set(_YEAR.findall(t))
    if not years and (_is_header(t, _INDICATOR_HEADERS) or _is_header(t, _LOCALITY_HEADERS)):
        return "other", None, ""   # "Chỉ tiêu", "Nội dung chỉ tiêu": the names' column
    if _PLAN_WORDS.search(t):
        return "plan", None, "cột kế hoạch/chỉ tiêu, không phải số thực hiện"
    if _COMPARE_WORDS.search(t):
        return "skip", None, "cột so sánh hoặc ghi chú, không phải số liệu của một kỳ"
    if not years:
        return "other", None, ""
    if len(years) > 1:
        return "skip", None, "cột ghi nhiều năm (một giai đoạn hoặc một phép so sánh), không phải một kỳ"
    if _PART_YEAR.search(t):
        return "skip", None, "số liệu 6 hoặc 9 tháng / lũy kế: hệ thống chỉ lưu kỳ năm, quý, tháng"
    year = years.pop()
    found = _sub_year(t, year)
    if found is not None:
        return ("period", found, "") if found else ("skip", None, "tháng không có thật (ngoài 1–12)")
    rest = _ACTUAL_WORDS.sub(" ", _YEAR.sub(" ", t)).replace("/", " ").split()
    if rest:   # words we do not know beside the year: not guessed
        return "skip", None, "tiêu đề cột có năm nhưng không rõ là số thực hiện"
    return "period", year, ""


def period_in(text: str) -> str | None:
    """The one period a free text names ('BÁO CÁO QUÝ I NĂM 2026' -> '2026-Q1', 'Tháng 6-2026' ->
    '2026-06', 'Năm 2025' -> '2025'), or None: no year, several years, or a half-year."""
    t = " ".join(re.sub(r"[^a-z0-9/ ]+", " ", fold(text)).split())
    years = set(_YEAR.findall(t))
    # a title says "các chỉ tiêu" of its results: only a plan's own words make it a plan
    if len(years) != 1 or _PART_YEAR.search(t) or re.search(r"\b(?:ke hoach|kh|muc tieu|giao)\b", t):
        return None
    year = years.pop()
    found = _sub_year(t, year)
    return year if found is None else (found or None)


def _sub_year(t: str, year: str) -> str | None:
    """The quarter or month of `year` that folded text `t` names ('2026-Q1', '2026-06'); '' for a
    month outside 1–12; None when it names neither."""
    m = _QUARTER.search(t)
    if m:
        return f"{year}-Q{_ROMAN.get(m.group(1)) or int(m.group(1))}"
    m = _MONTH.search(t)
    if m:
        month = int(m.group(1) or m.group(3))
        return f"{year}-{month:02d}" if 1 <= month <= 12 else ""
    return None


def _is_header(text: str, names: tuple[str, ...]) -> bool:
    key = name_key(text)
    return key in names or any(key.startswith(n + " ") for n in names if len(n) > 3)


# --- units -------------------------------------------------------------------------------------
def _unit_family(text: str) -> str | None:
    """'percent' | 'per_1000' | 'per_10000' | 'per_100000' | 'years' | None (loose or unknown)."""
    t = fold(text).replace(" ", "")
    if not t:
        return None
    if "‰" in text or "phannghin" in t or "/1000" in t.replace(".", "") and "10000" not in t.replace(".", ""):
        return "per_1000"
    if "%" in text or "phantram" in t:
        return "percent"
    if "100000" in t.replace(".", ""):
        return "per_100000"
    if "10000" in t.replace(".", "") or "van" in t:
        return "per_10000"
    return None


_KIND_FAMILY = {"percent": "percent", "percent_change": "percent", "per_1000": "per_1000", "per_10000": "per_10000"}


def unit_contradiction(sheet_unit: str, unit: str, value_kind: str) -> bool:
    """Whether a sheet's unit text says another scale than the indicator's: ‰ for a %, % for a
    rate per 10,000. Loose or unknown words ('Bác sĩ', 'Năm', 'Người', 'Xã') never contradict."""
    said = _unit_family(sheet_unit)
    meant = _KIND_FAMILY.get(value_kind)
    return said is not None and meant is not None and said != meant


# --- the sheet ---------------------------------------------------------------------------------
@dataclass
class SheetLayout:
    sheet: str
    kind: str                           # 'indicators_as_rows' | 'localities_as_rows'
    header_row: int                     # Excel row of the (lower) header row
    columns: list[Column]
    rows: list[Row]
    label_letter: str
    locality: Match | None = None       # indicators as rows: whose figures
    locality_how: str = ""              # 'title' | 'account' | 'chosen' | ''
    indicator: Match | None = None      # localities as rows with period columns: which indicator
    title: str = ""
    problems: list[dict] = field(default_factory=list)   # {row, column, value, code, message, severity}
    confirmed: bool = False             # read with a confirmed mapping (WideContext.read)
    base_signature: str = ""            # the shape's signature before any mapping: the mapping's key

    @property
    def signature(self) -> str:
        """The sheet's shape: its kind, column headers and row labels, so that a mapping confirmed
        for one quarter's file is found again for the next of the same shape."""
        shape = [self.kind, [name_key(c.header) for c in self.columns], [name_key(r.label) for r in self.rows
                                                                          if r.role in ("data", "unmatched")]]
        return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()[:16]

    def long_rows(self) -> list[dict]:
        """The figures as long rows: sheet, row, locality_code, indicator_code, period, value and
        the cell's column ('E (Năm 2025)') and letter, for validation to name."""
        out = []
        periods = [c for c in self.columns if c.role == "period"]
        indicator_cols = [c for c in self.columns if c.role == "indicator" and c.match and c.match.code]
        for r in self.rows:
            if r.role != "data" or r.match is None or r.match.code is None:
                continue
            cells = r.cells
            if self.kind == "indicators_as_rows":
                loc = self.locality.code if self.locality else None
                if loc is None:   # whose figures is not known: the sheet's error says so, no row is read
                    continue
                for c in periods:
                    out.append(_long(self.sheet, r.number, loc, r.match.code, c.period, cells.get(c.index), c))
            else:
                ind = self.indicator.code if self.indicator else None
                for c in periods if ind else ():
                    out.append(_long(self.sheet, r.number, r.match.code, ind, c.period, cells.get(c.index), c))
                for c in (col for col in indicator_cols if col.period):
                    out.append(_long(self.sheet, r.number, r.match.code, c.match.code, c.period, cells.get(c.index), c))
        return [o for o in out if o["value"] is not None and str(o["value"]).strip() != ""]

    def understanding(self) -> dict:
        """How the sheet was read, for people: rows → indicators/localities, columns → periods,
        what was skipped and why, every guess marked."""
        def m(match: Match | None) -> dict | None:
            if match is None:
                return None
            return {"code": match.code, "how": match.how, "score": match.score, "text": match.text,
                    "candidates": [{"code": c, "name": n, "score": s} for c, n, s in match.candidates]}
        return {
            "sheet": self.sheet, "kind": self.kind, "header_row": self.header_row,
            "signature": self.base_signature or self.signature, "confirmed": self.confirmed,
            "locality": m(self.locality), "locality_how": self.locality_how, "indicator": m(self.indicator),
            "columns": [{"letter": c.letter, "header": c.header, "role": c.role, "period": c.period,
                         "reason": c.reason, "estimate": c.estimate, "match": m(c.match)} for c in self.columns
                        if c.role != "empty"],
            "rows": [{"row": r.number, "label": r.label, "role": r.role, "unit": r.unit, "reason": r.reason,
                      "match": m(r.match)} for r in self.rows if r.role != "empty"],
        }


def _long(sheet: str, row: int, loc: str | None, ind: str | None, period: str | None, value, c: Column) -> dict:
    return {"sheet": sheet, "row": row, "locality_code": loc, "indicator_code": ind, "period": period,
            "value": value, "letter": c.letter, "column": f"{c.letter} ({c.header})"}


def _text(v) -> str:
    return "" if v is None else str(v).strip()


# "1. Tỷ lệ…", "a) Số…", "II- Nhân lực", "- Tỷ lệ…", "1.2 Tỷ lệ…": the numbering, not the name.
_ENUMERATOR = re.compile(r"^\s*(?:\d+(?:\.\d+)+\.?\s+|(?:[IVXLC]+|\d+|[a-zđ])\s*[.):/-]\s*|[-+*•–]\s*)")
# What officers write for "no figure": a dash, dots, an x, "KSL"/"không có số liệu".
_NO_FIGURE = re.compile(r"^\s*(?:[-–—.…x/]+|ksl|kcsl|khong co so lieu|chua co so lieu|n/?a)\s*$", re.IGNORECASE)


_TOTAL_WORDS = r"(?:tong cong|tong so|tong|cong|toan tinh|toan thanh pho|toan tp|toan huyen|toan xa|toan quoc|" \
               r"ca nuoc|ca tinh|chung|binh quan|trung binh chung|tinh chung|chung toan tinh|cac xa|cac xa phuong)"
_TOTAL = re.compile(rf"^{_TOTAL_WORDS}(?: {_TOTAL_WORDS})*$")


def _label(text: str) -> str:
    return _ENUMERATOR.sub("", text, count=1).strip()


def _unit_in(label: str) -> str:
    """The unit written in a label's parentheses ('Tỷ suất … (‰)' -> '‰'), or ''."""
    found = re.findall(r"\(([^()]{1,20})\)\s*$", label)
    return found[-1].strip() if found else ""


def _figure(v) -> bool:
    t = _text(v)
    return bool(t) and not _NO_FIGURE.match(fold(t))


_NUMBER = re.compile(r"^\s*[-+]?\d+(?:[.,]\d+)*\s*%?\s*$")


def _carried_above(grid: list[list], i: int) -> list[str]:
    """The texts of the row above row i, each carried right over the blanks of a merged group
    header ('Năm 2025' over 'Kế hoạch | Thực hiện'), stopping where row i is blank too."""
    row = [_text(v) for v in grid[i]]
    above = [_text(v) for v in grid[i - 1]] if i > 0 else []
    carried, last = [], ""
    for j in range(max(len(above), len(row))):
        t = above[j] if j < len(above) else ""
        if t:
            last = t
        elif j >= len(row) or not row[j]:
            last = ""
        carried.append(last)
    return carried


def _header_texts(grid: list[list], i: int, combine: bool = False) -> list[str]:
    """Row i's header texts; with `combine`, each joined with the group header above it."""
    row = [_text(v) for v in grid[i]]
    if i == 0 or not combine:
        return row
    carried = _carried_above(grid, i)
    out = []
    for j in range(max(len(row), len(carried))):
        t = row[j] if j < len(row) else ""
        up = carried[j] if j < len(carried) else ""
        out.append(f"{up} {t}".strip() if up and t and up != t else (t or up))
    return out


def _under_group_row(grid: list[list], i: int, texts: list[str], roles: list[tuple], indicators: IndicatorNames
                     ) -> tuple[list[str], list[tuple], dict[int, Match]]:
    """Header row i read with the group row above it, when that row has cells over its periods:
    "Thực hiện" over "2024 | 2025" (results), "Kế hoạch" over "2026" (a plan: not read), an
    indicator's name over its years (a column group), "Năm 2025" over "Quý I | Quý II"."""
    above = [_text(v) for v in grid[i - 1]]
    over = [j for j in range(1, len(texts)) if j < len(above) and above[j]]
    if not over or not any(roles[j][0] in ("period", "plan") or (texts[j] and _YEAR.search(above[j]))
                           for j in over if j < len(roles)):
        return texts, roles, {}
    uppers = _carried_above(grid, i)
    out_texts, out_roles, groups = list(texts), list(roles), {}
    for j in range(len(texts)):
        up = uppers[j] if j < len(uppers) else ""
        low, role = texts[j], roles[j]
        if not up:
            continue
        if not low:                       # a header merged down over both rows ("Chỉ tiêu", "STT")
            out_texts[j] = up
            out_roles[j] = classify_header(up)
            continue
        out_texts[j] = f"{up} {low}"
        folded = fold(up)
        if role[0] == "period":
            if _PLAN_WORDS.search(folded) and not _is_header(folded, _INDICATOR_HEADERS):
                out_roles[j] = ("plan", None, "cột kế hoạch/chỉ tiêu, không phải số thực hiện")
            elif _COMPARE_WORDS.search(folded):
                out_roles[j] = ("skip", None, "cột so sánh hoặc ghi chú, không phải số liệu của một kỳ")
            elif indicators.match(up).code:
                groups[j] = indicators.match(up)
                out_roles[j] = ("group", role[1], "")
            # "Thực hiện", "Kết quả", other words over a year: the year the officer wrote
        elif role[0] == "other":
            out_roles[j] = classify_header(out_texts[j])   # "Năm 2025" over "Quý I"
    return out_texts, out_roles, groups


def read_wide(sheet: str, grid: list[list], columns: list[int], *, indicators: IndicatorNames,
              localities: LocalityNames | None, indicator_units: dict[str, tuple[str, str]],
              default_locality: tuple[str, str] | None = None, shown_as: dict[tuple[int, int], str] | None = None,
              overrides: dict | None = None) -> SheetLayout | None:
    """How a sheet with periods (or indicators) as columns reads, or None when it is not such a sheet.

    `grid`: the sheet's rows as read (text or None), `columns`: each grid column's 0-based column in
    the sheet. `localities`: the uploader's scope by name; `default_locality` (code, 'account' |
    'chosen'): whose figures an indicators-as-rows sheet holds when its title names none.
    `indicator_units`: code -> (unit, value_kind). `shown_as`: (grid row, grid column) -> 'year' |
    'month' for header cells that are dates shown as such. `overrides`: {'rows': {label key: code
    or ''}, 'columns': {header key: period or ''}, 'locality': code}: a confirmed mapping.
    """
    overrides = overrides or {}
    shown_as = shown_as or {}
    best = None
    for i in range(min(HEADER_SEARCH_ROWS, len(grid))):
        texts = _header_texts(grid, i)
        roles = []
        for j, t in enumerate(texts):
            if t and indicators.exact_code(t):   # an indicator's name ("… so với năm trước"), not a period's
                roles.append(("other", None, ""))
                continue
            role, period, reason = classify_header(t, shown_as.get((i, j)), grid[i][j] if j < len(grid[i]) else None)
            roles.append((role, period, reason))
        if sum(1 for t in texts if t) < 2:   # a title line ("Năm 2025" alone) is not a header
            continue
        n_period = sum(1 for r in roles if r[0] in ("period", "plan"))
        n_ind_headers = sum(1 for t in texts if t and indicators.exact_code(t))
        if n_period >= 1 or n_ind_headers >= 2 or (n_ind_headers and any(_is_header(t, _LOCALITY_HEADERS)
                                                                          for t in texts if t)):
            groups: dict[int, Match] = {}
            moved = False
            # a group header ("Năm 2025" merged over "KH | TH"): the row under it is the header
            below = [_text(v) for v in grid[i + 1]] if i + 1 < len(grid) else []
            if sum(1 for t in below if t) >= 2 and not any(_NUMBER.match(t) and classify_header(t)[0] != "period"
                                                           for t in below if t):
                texts2 = _header_texts(grid, i + 1, combine=True)
                roles2 = [("other", None, "") if indicators.exact_code(t) else classify_header(t) for t in texts2]
                lowers = [classify_header(t) for t in below]
                uppers = _carried_above(grid, i + 1)
                # indicator names merged over their periods: one column group per indicator
                groups = {j: indicators.match(uppers[j]) for j, r in enumerate(lowers)
                          if r[0] == "period" and j < len(uppers) and uppers[j]}
                groups = {j: m for j, m in groups.items() if m.code}
                if groups:
                    roles2 = [("group", lowers[j][1], "") if j in groups else r for j, r in enumerate(roles2)]
                if sum(1 for r in roles2 if r[0] in ("period", "plan", "group")) > n_period:
                    i, texts, roles, moved = i + 1, texts2, roles2, True
                else:
                    groups = {}
            if not moved and i > 0:   # or the group row is above this one
                texts, roles, groups = _under_group_row(grid, i, texts, roles, indicators)
            best = (i, texts, roles, groups)
            break
    if best is None:
        return None
    i, texts, roles, groups = best
    body = grid[i + 1:]
    # The label column: the one whose cells below name the most indicators, or localities.
    width = max((len(r) for r in grid), default=0)
    candidates = []
    for j in range(width):
        if roles[j][0] in ("period", "plan", "group") if j < len(roles) else False:
            continue
        labels = [_text(r[j]) if j < len(r) else "" for r in body]
        labels = [t for t in labels if t]
        if not labels:
            continue
        # exact names only here (a dictionary look-up per cell): a similarity search on every
        # cell of every column made a 7-sheet workbook take minutes
        n_ind = sum(1 for t in labels[:200] if not _NUMBER.match(t) and indicators.exact_code(_label(t)))
        n_loc = sum(1 for t in labels[:400] if localities is not None
                    and (not _NUMBER.match(t) or (t.isdigit() and len(t) in (2, 5)))   # figures are not codes
                    and localities.exact_code(t))
        candidates.append((max(n_ind, n_loc), n_ind >= n_loc, j, labels))
    if not candidates:
        return None
    score, by_indicator, label_j, _ = max(candidates, key=lambda c: (c[0], -c[2]))
    if score == 0:
        # no name known exactly: the column of text whose first names are most often close to
        # an indicator's (a few names of a few columns, so the search stays bounded)
        guessed = []
        for _, _, j, labels in candidates[:12]:
            words = [t for t in labels if not _NUMBER.match(t)][:20]
            guessed.append((sum(1 for t in words if indicators.match(_label(t)).code), j))
        score, label_j = max(guessed, key=lambda g: (g[0], -g[1]), default=(0, 0))
        by_indicator = True
    n_ind_headers = sum(1 for j, t in enumerate(texts) if j != label_j and t and indicators.exact_code(t))
    if score == 0:
        return None
    kind = "indicators_as_rows" if by_indicator else "localities_as_rows"
    cols = []
    for j in range(width):
        header = texts[j] if j < len(texts) else ""
        role, period, reason = roles[j] if j < len(roles) else ("other", None, "")
        letter = column_letter(columns[j]) if j < len(columns) else column_letter(j)
        col = Column(j, letter, header, role, period, reason, estimate=bool(_ESTIMATE.search(fold(header))))
        if j == label_j:
            col.role = "label"
        elif role == "group":   # an indicator's column for one period, under the indicator's name
            col.role, col.match = "indicator", groups[j]
        elif role == "other":
            if not header:
                col.role = "empty"
            elif _is_header(header, _UNIT_HEADERS):
                col.role = "unit"
            elif _is_header(header, _ORDER_HEADERS):
                col.role = "order"
            elif _is_header(header, _CODE_HEADERS):
                col.role = "code"
            elif kind == "localities_as_rows" and n_ind_headers and indicators.match(header).code:
                col.role, col.match = "indicator", indicators.match(header)
            elif kind == "localities_as_rows" and n_ind_headers:
                col.role, col.reason = "skip", "tiêu đề cột không khớp chỉ tiêu nào trong danh mục"
            else:
                col.role, col.reason = "skip", "cột không phải một kỳ báo cáo"
        key = name_key(header)
        if key in overrides.get("columns", {}):
            wanted = overrides["columns"][key]
            col.role, col.period, col.reason = ("period", wanted, "") if wanted else ("skip", None, "bỏ qua theo xác nhận")
        cols.append(col)
    unit_j = next((c.index for c in cols if c.role == "unit"), None)
    value_js = [c.index for c in cols if c.role in ("period", "indicator")]
    # A title above the header: the sheet's own words (locality, indicator, year).
    title = " ".join(_text(v) for r in grid[:i] if sum(1 for v in r if _text(v)) <= 2 for v in r if _text(v))
    layout = SheetLayout(sheet, kind, i + 1, cols, [], column_letter(columns[label_j]) if label_j < len(columns) else "",
                         title=title)
    row_over = overrides.get("rows", {})
    for k, r in enumerate(body):
        number = i + 2 + k
        label = _label(_text(r[label_j])) if label_j < len(r) else ""
        figures = {j: r[j] for j in value_js if j < len(r) and _figure(r[j])}
        if not label and not figures:
            continue
        if not label:
            layout.rows.append(Row(number, "", "unmatched", reason="có số liệu nhưng không có tên", cells=figures))
            continue
        key = name_key(label)
        if _TOTAL.fullmatch(key):   # "Tổng cộng", "Toàn tỉnh": a sum of the rows, never a locality or an indicator
            layout.rows.append(Row(number, label, "total", reason="dòng tổng cộng, không đọc", cells=figures))
            continue
        match = (indicators if kind == "indicators_as_rows" else localities).match(label)
        if key in row_over:
            code = row_over[key]
            match = Match(label, code or None, "confirmed" if code else "none", 100.0 if code else 0.0, match.candidates)
        unit = _text(r[unit_j]) if unit_j is not None and unit_j < len(r) else ""
        row = Row(number, label, "data", match, unit=unit or _unit_in(label), cells=figures)
        if key in row_over and not row_over[key]:
            row.role, row.reason = "skipped", "bỏ qua theo xác nhận"
        elif match.code is None:
            if figures:
                row.role = "unmatched"
                row.reason = ("không nhận ra chỉ tiêu trong danh mục" if kind == "indicators_as_rows"
                              else "không nhận ra địa phương trong phạm vi của tài khoản")
            else:
                row.role, row.reason = "heading", "dòng tiêu đề nhóm (không có số liệu)"
        elif not figures:
            row.role, row.reason = "empty", ""
        layout.rows.append(row)
    _locality_of(layout, localities, default_locality, overrides)
    if kind == "localities_as_rows" and any(c.role == "period" for c in cols):
        found = indicators.match(sheet)
        if not found.code and title:
            found = _indicator_in(title, indicators)
        if "indicator" in overrides:
            found = Match(sheet, overrides["indicator"] or None, "confirmed", 100.0, found.candidates)
        layout.indicator = found
    if kind == "localities_as_rows" and any(c.role == "indicator" for c in cols):
        period = period_in(sheet) or period_in(title) or overrides.get("period")
        for c in cols:
            if c.role == "indicator" and not c.period:
                c.period = period
    _problems(layout, indicator_units)
    return layout


def _indicator_in(title: str, indicators: IndicatorNames) -> Match:
    """An indicator named somewhere in the title lines (the longest exact name found)."""
    key = name_key(title)
    found = [(len(k), next(iter(codes))) for k, codes in indicators.exact.items()
             if len(codes) == 1 and len(k) > 8 and f" {k} " in f" {key} "]
    if not found:
        return Match(title, None, "none", 0.0)
    code = max(found)[1]
    return Match(title, code, "exact", 100.0, [(code, indicators.names[code], 100.0)])


def _locality_of(layout: SheetLayout, localities: LocalityNames | None, default: tuple[str, str] | None,
                 overrides: dict) -> None:
    """Whose figures an indicators-as-rows sheet holds: the locality chosen now, else the one its
    title names (within the scope), else the one confirmed for this shape, else the account's."""
    if layout.kind != "indicators_as_rows":
        return
    if default is not None and default[1] == "chosen":
        layout.locality, layout.locality_how = Match(default[0], default[0], "exact", 100.0), "chosen"
        return
    if localities is not None:
        key = f" {name_key(layout.title)} {name_key(layout.sheet)} "
        hits = {next(iter(codes)) for k, codes in localities.exact.items()
                if len(codes) == 1 and len(k) > 3 and not k.isdigit() and f" {k} " in key}
        # "Xã Hưng Đạo" and "Hưng Đạo" both hit the same code: one locality named
        if len(hits) == 1:
            code = hits.pop()
            layout.locality = Match(layout.title, code, "exact", 100.0, [(code, localities.names[code], 100.0)])
            layout.locality_how = "title"
            return
    if overrides.get("locality"):
        code = overrides["locality"]
        layout.locality, layout.locality_how = Match(code, code, "confirmed", 100.0), "confirmed"
        return
    if default is not None:
        layout.locality = Match(default[0], default[0], "exact", 100.0)
        layout.locality_how = default[1]


def _problems(layout: SheetLayout, units: dict[str, tuple[str, str]]) -> None:
    """Errors and warnings of the reading itself, each naming where and why."""
    where = f"Trang “{layout.sheet}”"
    add = layout.problems.append
    if layout.kind == "indicators_as_rows" and layout.locality is None and any(r.role == "data" for r in layout.rows):
        add({"row": None, "column": "", "value": "", "code": "wide_no_locality", "severity": "error",
             "message": f"{where}: bảng không ghi số liệu của địa phương nào (tiêu đề không nêu tên xã/tỉnh trong "
                        "phạm vi của tài khoản); hãy chọn địa phương trước khi nhập."})
    if layout.kind == "localities_as_rows" and layout.indicator is not None and layout.indicator.code is None:
        add({"row": None, "column": "", "value": layout.sheet, "code": "wide_no_indicator", "severity": "error",
             "message": f"{where}: các cột là các kỳ nhưng không rõ là chỉ tiêu nào (tên trang và tiêu đề không "
                        "nêu tên một chỉ tiêu trong danh mục); hãy chọn chỉ tiêu."})
    for c in layout.columns:
        if c.role == "indicator" and not c.period:
            add({"row": layout.header_row, "column": c.letter, "value": c.header, "code": "wide_no_period",
                 "severity": "error", "message": f"{where}, cột {c.letter} (“{c.header}”): không rõ số liệu của kỳ "
                 "nào (tiêu đề trang không ghi một năm); hãy ghi năm vào tiêu đề hoặc chọn kỳ."})
        if c.role == "indicator" and c.match and c.match.how == "guess":
            add({"row": layout.header_row, "column": c.letter, "value": c.header, "code": "wide_guess",
                 "severity": "warning", "message": f"{where}, cột {c.letter}: “{c.header}” được hiểu là chỉ tiêu "
                 f"“{c.match.candidates[0][1]}” (đoán, độ giống {c.match.score:.0f}%); hãy kiểm tra rồi xác nhận."})
    for r in layout.rows:
        if r.role == "unmatched":
            near = "; gần nhất: " + ", ".join(f"“{n}”" for _, n, _ in r.match.candidates[:3]) \
                if r.match and r.match.candidates else ""
            add({"row": r.number, "column": layout.label_letter, "value": r.label, "code": "wide_unmatched",
                 "severity": "warning", "message": f"{where}, dòng {r.number}: “{r.label}” có số liệu nhưng "
                 f"{r.reason}{near}; dòng này không được nhập. Hãy chọn đúng tên trong danh sách hoặc xác nhận bỏ qua."})
        elif r.role == "data" and r.match and r.match.how == "guess":
            add({"row": r.number, "column": layout.label_letter, "value": r.label, "code": "wide_guess",
                 "severity": "warning", "message": f"{where}, dòng {r.number}: “{r.label}” được hiểu là "
                 f"“{r.match.candidates[0][1]}” (đoán, độ giống {r.match.score:.0f}%); hãy kiểm tra rồi xác nhận."})
        if r.role == "data" and r.match and r.match.code and r.unit and layout.kind == "indicators_as_rows":
            unit, kind = units.get(r.match.code, ("", ""))
            if unit_contradiction(r.unit, unit, kind):
                r.role, r.reason = "unit_error", f"đơn vị “{r.unit}” mâu thuẫn với đơn vị của chỉ tiêu ({unit})"
                add({"row": r.number, "column": "", "value": r.unit, "code": "wide_unit", "severity": "error",
                     "message": f"{where}, dòng {r.number}: đơn vị tính “{r.unit}” mâu thuẫn với đơn vị của chỉ tiêu "
                     f"“{r.match.candidates[0][1] if r.match.candidates else r.match.code}” ({unit}); hãy sửa số "
                     "liệu về đúng đơn vị của chỉ tiêu."})


@dataclass
class WideContext:
    """What read_workbook needs to read report sheets (see read_wide): the catalogue's and the
    scope's names, whose figures a sheet naming no locality holds, and the confirmed mappings.
    `mapping_for(signature)` returns a confirmed mapping's overrides, or None."""
    indicators: IndicatorNames
    localities: LocalityNames | None
    indicator_units: dict[str, tuple[str, str]]
    default_locality: tuple[str, str] | None = None
    mapping_for: object = None
    overrides: dict[str, dict] = field(default_factory=dict)   # signature -> overrides given now

    def read(self, sheet: str, grid: list[list], columns: list[int],
             shown_as: dict[tuple[int, int], str] | None = None) -> SheetLayout | None:
        """read_wide with this context; a mapping given now or confirmed before for the sheet's
        shape replaces the guesses."""
        kwargs = dict(indicators=self.indicators, localities=self.localities, indicator_units=self.indicator_units,
                      default_locality=self.default_locality, shown_as=shown_as)
        layout = read_wide(sheet, grid, columns, **kwargs)
        if layout is None:
            return None
        overrides = self.overrides.get(layout.signature)
        if overrides is None and callable(self.mapping_for):
            overrides = self.mapping_for(layout.signature)
        if overrides:
            again = read_wide(sheet, grid, columns, overrides=overrides, **kwargs)
            if again is not None:
                again.confirmed = True
                again.base_signature = layout.signature
                return again
        layout.base_signature = layout.signature
        return layout
