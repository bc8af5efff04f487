"""data/seed/indicator_synonyms.csv: the Vietnamese wordings an uploaded sheet may use for an
indicator instead of its code. Checks the file is well-formed against data/seed/indicators.csv.

Reads the CSVs with the csv module; the only project module used is indicators.text.fold
(and, in the last test, the upload matcher's key when that module is present).
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

from indicators.text.fold import fold

SEED = Path(__file__).resolve().parents[2] / "data" / "seed"
SYNONYMS = SEED / "indicator_synonyms.csv"
HEADER = ["indicator_code", "synonym", "source"]


def key(text: str) -> str:
    """Folded (lower case, no diacritics, đ -> d), punctuation as spaces, spaces collapsed."""
    return " ".join(re.sub(r"[\W_]+", " ", fold(text)).split())


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as f:  # strict UTF-8: a bad byte fails here
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


CAT_HEADER, INDICATORS = read(SEED / "indicators.csv")
SYN_HEADER, ROWS = read(SYNONYMS)
CODES = {i["indicator_code"] for i in INDICATORS}


def test_header_and_rows_present():
    assert SYN_HEADER == HEADER
    assert ROWS, "no synonyms"
    assert not SYNONYMS.read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 without a byte-order mark"


def test_no_empty_or_padded_cells():
    for n, row in enumerate(ROWS, start=2):
        assert None not in row, f"line {n}: more cells than the header"
        for col in HEADER:
            value = row.get(col)
            assert value is not None and value.strip(), f"line {n}: empty {col}"
            assert value == value.strip(), f"line {n}: {col} has leading/trailing spaces"
        assert key(row["synonym"]), f"line {n}: synonym is only punctuation"


def test_every_code_is_in_the_catalogue():
    unknown = sorted({r["indicator_code"] for r in ROWS} - CODES)
    assert not unknown, f"codes not in indicators.csv: {unknown}"


def test_no_synonym_belongs_to_two_indicators():
    owners: dict[str, set[str]] = defaultdict(set)
    for r in ROWS:
        owners[key(r["synonym"])].add(r["indicator_code"])
    shared = {k: sorted(c) for k, c in owners.items() if len(c) > 1}
    assert not shared, f"synonyms given to several indicators: {shared}"


def test_no_synonym_listed_twice():
    """Wordings differing only by case, diacritics, punctuation or spacing are one wording."""
    seen: dict[str, str] = {}
    for r in ROWS:
        k = key(r["synonym"])
        assert k not in seen, f"{r['synonym']!r} repeats {seen[k]!r}"
        seen[k] = r["synonym"]


def test_no_synonym_is_a_catalogue_name():
    """Not another indicator's name_vi (that would point the wording at two indicators), not its
    own name_vi (already matched), and not an English name (name_en is matched already)."""
    names = {}
    for i in INDICATORS:
        names[key(i["name_vi"])] = (i["indicator_code"], "name_vi")
        names.setdefault(key(i["name_en"]), (i["indicator_code"], "name_en"))
        names.setdefault(key(i["indicator_code"]), (i["indicator_code"], "indicator_code"))
    clashes = [(r["indicator_code"], r["synonym"], names[key(r["synonym"])])
               for r in ROWS if key(r["synonym"]) in names]
    assert not clashes, f"synonyms equal to a catalogue name or code: {clashes}"


def test_matcher_keys_point_at_one_indicator():
    """The upload matcher also writes out abbreviations (BHYT, TYT, …), reads '/' as 'trên' and
    'vạn' as 10.000: under its key too, no wording may lead to two indicators."""
    names = pytest.importorskip("indicators.excel.names")
    name_key = getattr(names, "name_key", None)
    if name_key is None:
        pytest.skip("indicators.excel.names has no name_key")
    owners: dict[str, set[str]] = defaultdict(set)
    for i in INDICATORS:
        for text in (i["indicator_code"], i["name_vi"], i["name_en"]):
            owners[name_key(text)].add(i["indicator_code"])
    for r in ROWS:
        owners[name_key(r["synonym"])].add(r["indicator_code"])
    shared = {k: sorted(c) for k, c in owners.items() if len(c) > 1}
    assert not shared, f"matcher keys shared by several indicators: {shared}"
