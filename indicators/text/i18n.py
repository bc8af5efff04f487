"""Interface strings in Vietnamese (first language) and English (second), from strings.toml."""
from __future__ import annotations

import tomllib
from importlib import resources

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

_TABLES = tomllib.loads(resources.files("indicators.text").joinpath("strings.toml").read_text(encoding="utf-8"))
STRINGS: dict[str, dict[str, str]] = _TABLES["strings"]
INDICATOR_SHORT: dict[str, str] = _TABLES["indicator_short"]


def t(key: str, lang: str = "vi", **kwargs) -> str:
    """The string for `key` in `lang` (Vietnamese when missing), formatted with kwargs."""
    entry = STRINGS[key]
    return entry.get(lang, entry["vi"]).format(**kwargs)


def indicator_short(code: str, full_name: str) -> str:
    """A short column label for an indicator ('Tham gia BHYT'), else its full name."""
    return INDICATOR_SHORT.get(code, full_name)
