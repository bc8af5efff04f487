"""Indicators and localities named as officers write them, matched to the catalogue's codes.

A report sheet names its rows "Số bác sĩ/10.000 dân", "Tỷ lệ dân số tham gia BHYT", "Xã Hưng
Đạo", not `doctors_per_10k` or `09931`. `IndicatorNames.match(text)` and
`LocalityNames.match(text)` return the code with how sure the match is:

- 'exact': the name, a code or a listed synonym (data/seed/indicator_synonyms.csv, one file kept
  beside the catalogue, easy to extend) once folded: no case, no diacritics, đ = d, punctuation
  as spaces, the usual abbreviations written out (BHYT, TYT, TCQG, NVYT, KCB…) and "vạn" = 10.000;
- 'guess': the closest name by rapidfuzz's token-set similarity, when it is close and clearly
  closer than the next one; the officer confirms it before anything is written;
- no code: nothing close enough, with the nearest candidates to choose from.
"""
from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from indicators.paths import DATA_DIR
from indicators.text.fold import fold

SYNONYMS_FILE = DATA_DIR / "seed" / "indicator_synonyms.csv"

# Folded abbreviation -> folded words, applied word by word.
ABBREVIATIONS = {
    "bhyt": "bao hiem y te", "bhxh": "bao hiem xa hoi", "tyt": "tram y te", "tcqg": "tieu chi quoc gia",
    "nvyt": "nhan vien y te", "kcb": "kham chua benh", "ytcs": "y te co so", "tcmr": "tiem chung mo rong",
    "sdd": "suy dinh duong", "hssk": "ho so suc khoe", "badt": "benh an dien tu", "ctv": "cong tac vien",
    "attp": "an toan thuc pham", "tp": "thanh pho", "tx": "thi xa", "tt": "thi tran",
    "vac": "vac", "vacxin": "vac xin", "vaccine": "vac xin", "vacxine": "vac xin",
}
_PHRASES = [(re.compile(r"\bvan dan\b"), "10000 dan"), (re.compile(r"\b(\d{1,3})[.,](\d{3})\b"), r"\1\2"),
            (re.compile(r"\s*/\s*"), " tren "), (re.compile(r"\bbac sy\b"), "bac si")]

# A guess must be at least this similar (0–100), and this much closer than the runner-up.
GUESS_MIN, GUESS_MARGIN = 82.0, 4.0


@functools.lru_cache(maxsize=65_536)   # a sheet repeats its names and headers
def _key(t: str) -> str:
    t = fold(t).replace("‰", " phan nghin ").replace("%", " phan tram ")
    t = re.sub(r"\(.*?\)", " ", t)
    for pattern, repl in _PHRASES:
        t = pattern.sub(repl, t)
    t = re.sub(r"[^a-z0-9]+", " ", t)
    return " ".join(ABBREVIATIONS.get(w, w) for w in t.split())


def name_key(text: object) -> str:
    """'Số bác sĩ/10.000 dân' -> 'so bac si tren 10000 dan'; 'Tỷ lệ tham gia BHYT' ->
    'ty le tham gia bao hiem y te'. Parenthesised asides (units) are dropped."""
    return _key(str(text))


@dataclass
class Match:
    """What a written name was matched to: `code` (None when nothing is close), `how` ('exact' |
    'guess' | 'none'), `score` (0–100) and the nearest `candidates` as (code, name, score)."""
    text: str
    code: str | None
    how: str
    score: float
    candidates: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def sure(self) -> bool:
        return self.how == "exact"


class _Names:
    """Codes known by several written forms; see the module docstring."""

    def __init__(self, forms: list[tuple[str, str]], names: dict[str, str]) -> None:
        self.names = names                       # code -> display name
        self.exact: dict[str, set[str]] = {}     # key -> codes
        for code, text in forms:
            key = name_key(text)
            if key:
                self.exact.setdefault(key, set()).add(code)
        self.keys = list(self.exact)
        self._matched: dict[str, Match] = {}

    def exact_code(self, text: object) -> str | None:
        """The code when the text, folded, is a known form of exactly one (no similarity search:
        cheap enough to try on every cell of a sheet)."""
        codes = self.exact.get(name_key(text)) if text is not None else None
        return next(iter(codes)) if codes and len(codes) == 1 else None

    def match(self, text: object) -> Match:
        raw = "" if text is None else str(text).strip()
        key = name_key(raw)
        if not key:
            return Match(raw, None, "none", 0.0)
        if key not in self._matched:   # a sheet repeats its names: each is searched once
            if len(self._matched) > 20_000:   # shared by every upload of the process: bounded
                self._matched.clear()
            self._matched[key] = self._search(key)
        found = self._matched[key]
        return Match(raw, found.code, found.how, found.score, found.candidates)

    def _search(self, key: str) -> Match:
        codes = self.exact.get(key)
        if codes and len(codes) == 1:
            code = next(iter(codes))
            return Match(key, code, "exact", 100.0, [(code, self.names[code], 100.0)])
        best: dict[str, float] = {}
        for found_key, score, _ in process.extract(key, self.keys, scorer=fuzz.token_set_ratio, limit=12,
                                                   score_cutoff=50):
            for code in self.exact[found_key]:
                # token_set_ratio is 100 for a name inside a longer one: weigh in the plain ratio
                score_both = (score + fuzz.ratio(key, found_key)) / 2
                best[code] = max(best.get(code, 0.0), score_both)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        candidates = [(c, self.names[c], round(s, 1)) for c, s in ranked[:5]]
        if ranked and ranked[0][1] >= GUESS_MIN and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= GUESS_MARGIN):
            return Match(key, ranked[0][0], "guess", round(ranked[0][1], 1), candidates)
        return Match(key, None, "none", round(ranked[0][1], 1) if ranked else 0.0, candidates)


def load_synonyms(path: Path = SYNONYMS_FILE) -> list[tuple[str, str]]:
    """(indicator_code, synonym) of the synonym file; none when the file is absent."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [(r["indicator_code"].strip(), r["synonym"].strip()) for r in csv.DictReader(f)
                if (r.get("indicator_code") or "").strip() and (r.get("synonym") or "").strip()]


class IndicatorNames(_Names):
    """The catalogue's indicators by code, Vietnamese name, English name and synonyms."""

    def __init__(self, indicators: list[dict], synonyms: list[tuple[str, str]] | None = None) -> None:
        known = {i["indicator_code"] for i in indicators}
        forms = []
        for i in indicators:
            forms += [(i["indicator_code"], i["indicator_code"]), (i["indicator_code"], i["name_vi"])]
            if i.get("name_en"):
                forms.append((i["indicator_code"], i["name_en"]))
        forms += [(c, s) for c, s in (load_synonyms() if synonyms is None else synonyms) if c in known]
        super().__init__(forms, {i["indicator_code"]: i["name_vi"] for i in indicators})

    @classmethod
    def of(cls, con) -> "IndicatorNames":
        rows = con.execute("select indicator_code, name_vi, name_en, unit from indicator").fetchall()
        return cls([{"indicator_code": c, "name_vi": v, "name_en": e, "unit": u} for c, v, e, u in rows])


# Words that say what kind of unit a locality is, dropped to match "Hưng Đạo" with "Xã Hưng Đạo".
_LEVEL_WORDS = {"xa", "phuong", "thi tran", "dac khu", "tinh", "thanh pho", "tp"}
_LEVEL_PREFIX = re.compile(r"^(?:xa|phuong|thi tran|dac khu|tinh|thanh pho)\s+")


class LocalityNames(_Names):
    """Localities within an uploader's scope by code, full name ("Xã Hưng Đạo") and short name
    ("Hưng Đạo"): two localities of the scope with the same short name are never guessed between."""

    def __init__(self, localities: list[tuple[str, str]]) -> None:
        forms = []
        for code, name in localities:
            forms += [(code, code), (code, name)]
            short = _LEVEL_PREFIX.sub("", name_key(name))
            if short and short not in _LEVEL_WORDS:
                forms.append((code, short))
        super().__init__(forms, dict(localities))

    def exact_code(self, text: object) -> str | None:
        found = super().exact_code(text)
        if found is None and text is not None:   # "Hưng Đạo" written for "Xã Hưng Đạo"
            codes = self.exact.get(_LEVEL_PREFIX.sub("", name_key(text)))
            found = next(iter(codes)) if codes and len(codes) == 1 else None
        return found

    # Beyond a province's communes, a similarity search is slow (thousands of names) and its
    # guesses among many alike names ("Xã Trần Phú" is in three provinces) would not help anyone.
    FUZZY_MAX = 600

    def _search(self, key: str) -> Match:
        code = self.exact_code(key)
        if code is not None:
            return Match(key, code, "exact", 100.0, [(code, self.names[code], 100.0)])
        if len(self.names) > self.FUZZY_MAX:
            return Match(key, None, "none", 0.0)
        return super()._search(key)
