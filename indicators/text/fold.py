"""Text helpers for Vietnamese: folding diacritics for search and header matching."""
from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case, diacritics removed, 'đ' -> 'd', spaces collapsed: 'Xã Hưng Đạo' -> 'xa hung dao'."""
    text = unicodedata.normalize("NFD", str(text).replace("Đ", "D").replace("đ", "d"))
    stripped = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def matches(query: str, candidate_key: str) -> bool:
    """True when every word of the query occurs in the folded candidate ('hung dao' ~ 'xa hung dao')."""
    words = fold(query).split()
    return all(w in candidate_key for w in words)
