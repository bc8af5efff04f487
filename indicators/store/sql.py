"""Named SQL queries from queries/**/*.sql, one folder per capability (aiosql style: `-- name: thing`
starts a block; names are unique across all files)."""
from __future__ import annotations

import re
from functools import cache

from indicators.paths import QUERY_DIR

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


@cache
def _all_queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    for path in sorted(QUERY_DIR.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        marks = list(_NAME.finditer(text))
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            name = m.group(1)
            if name in queries:
                raise ValueError(f"query {name!r} is defined twice (in {path.relative_to(QUERY_DIR)})")
            queries[name] = text[m.end():end].strip().rstrip(";")
    return queries


def query(name: str) -> str:
    """The SQL text of the named query; KeyError names the missing query."""
    try:
        return _all_queries()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in {QUERY_DIR}") from None
