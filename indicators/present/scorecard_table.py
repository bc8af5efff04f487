"""The overview's table shapes: scorecard cells pivoted to localities × indicators (pure pandas).

The numbers come from indicators.progress.scorecard (DuckDB); this module only arranges them for
display: cell text (status mark, value in Vietnamese format, trend arrow), ranking, filters.
"""
from __future__ import annotations

import pandas as pd

from indicators.text import fmt
from indicators.progress.statuses import NEEDS_ACTION, STATUS_MARKS, STATUSES

# Direction-aware: the arrow says better or worse than the previous period, whatever way
# the value moved (a falling mortality rate is ⬆, an improvement).
TREND_ARROWS = {"improving": "⬆", "worsening": "⬇", "flat": "→"}
TREND_LEGEND = "⬆ tốt lên · ⬇ xấu đi · → không đổi so với kỳ báo cáo trước (đã tính chiều tốt của chỉ tiêu)"


def cell_text(status: str, value, trend, unit: str, decimals: int, value_kind: str) -> str:
    """'▲ 95,2% ⬆': status mark, latest value with unit, trend arrow; '○ –' when no value."""
    # Cells keep only short units (%, ‰); the column's tooltip has the indicator's full name.
    short_unit = unit if unit in ("%", "‰") else ""
    shown = fmt.value(value, short_unit, decimals, value_kind) if pd.notna(value) else "–"
    arrow = TREND_ARROWS.get(trend, "") if isinstance(trend, str) else ""
    return f"{STATUS_MARKS[status]} {shown} {arrow}".rstrip()


def pivot(cells: pd.DataFrame, indicators: pd.DataFrame,
          statuses: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(values, status, trend) frames indexed by locality, one column per indicator code, in
    the catalogue's indicator order. Cells whose status is not in `statuses` are left empty."""
    cells = cells if not statuses else cells[cells["status"].isin(statuses)]
    frames = [cells.pivot(index="locality_code", columns="indicator_code", values=v)
              for v in ("latest_value", "status", "trend")]
    order = [c for c in indicators["indicator_code"] if c in frames[0].columns]
    return tuple(f.reindex(columns=order) for f in frames)


def cell_texts(values: pd.DataFrame, status: pd.DataFrame, trend: pd.DataFrame,
               indicators: pd.DataFrame) -> pd.DataFrame:
    """What each cell shows; formats only the rows given (call it on the rows on screen)."""
    ind = indicators.set_index("indicator_code")
    out = pd.DataFrame(index=values.index, columns=values.columns, dtype=object)
    for code in values.columns:
        unit, dec, kind = ind.at[code, "unit"], int(ind.at[code, "decimals"]), ind.at[code, "value_kind"]
        out[code] = [cell_text(s, v, t, unit, dec, kind) if isinstance(s, str) else ""
                     for s, v, t in zip(status[code], values[code], trend[code])]
    return out


def attention_order(status: pd.DataFrame) -> pd.Index:
    """Localities with the most off-track cells first, then most needing acceleration."""
    counts = pd.DataFrame({s: (status == s).sum(axis=1) for s in NEEDS_ACTION})
    return counts.sort_values(list(NEEDS_ACTION), ascending=False, kind="stable").index


def rank_by(values: pd.DataFrame, indicator_code: str, direction: str) -> pd.Index:
    """Localities from best to worst on one indicator's latest value; no value last."""
    return values[indicator_code].sort_values(ascending=direction == "lower", na_position="last",
                                              kind="stable").index


def status_summary(cells: pd.DataFrame) -> dict[str, int]:
    counts = cells["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def at_level(cells: pd.DataFrame, localities: pd.DataFrame, level: str) -> pd.DataFrame:
    """The cells of provinces (`level` 'province') or of communes ('commune'); `localities` is
    the labels frame (locality_code, level)."""
    codes = localities.loc[localities["level"] == level, "locality_code"]
    return cells[cells["locality_code"].isin(codes)]
