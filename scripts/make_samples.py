"""Write data/samples/du_lieu_minh_hoa.xlsx: ILLUSTRATIVE reported values, 2020-2025.

These numbers are made up to look plausible, so that a new user sees charts at once. They are
not any locality's real figures, and every page that shows them says so. Where the plan gives
a baseline (Lai Châu, 2025), the illustrative 2025 value equals it so the charts agree with the
document. Run: python scripts/make_samples.py (the workbook is committed; rerun after edits).
"""
from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "samples" / "du_lieu_minh_hoa.xlsx"
YEARS = range(2020, 2026)

# locality × indicator -> values for 2020..2025 (blank: not reported that year); a table, so in a CSV.
SERIES_CSV = ROOT / "data" / "samples" / "series.csv"


def read_series() -> dict[str, dict[str, list[float | None]]]:
    """locality -> indicator -> the values of YEARS (None where blank)."""
    import csv
    series: dict[str, dict[str, list[float | None]]] = {}
    with open(SERIES_CSV, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            series.setdefault(r["locality_code"], {})[r["indicator_code"]] = [
                float(r[str(y)]) if r[str(y)] else None for y in YEARS]
    return series


# Lai Châu's communes meeting the national criteria, as numerator/denominator of its 38 communes.
COMMUNES_MEETING_CRITERIA_LC = [23, 25, 26, 27, 29, 30]

HEADERS = ["Mã địa phương", "Tên địa phương", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị",
           "Kỳ báo cáo", "Giá trị", "Tử số", "Mẫu số", "Nguồn / ghi chú"]
NOTE = "DỮ LIỆU MINH HỌA – không phải số liệu thật"


def rows(names: dict[str, str], indicators: dict[str, tuple[str, str]]) -> list[list]:
    out = []
    for code, series in read_series().items():
        for ind, values in series.items():
            for year, v in zip(YEARS, values):
                if v is not None:
                    out.append([code, names[code], ind, *indicators[ind], str(year), v, None, None, NOTE])
    for year, k in zip(YEARS, COMMUNES_MEETING_CRITERIA_LC):
        out.append(["12", names["12"], "commune_health_criteria", *indicators["commune_health_criteria"],
                    str(year), round(100 * k / 38, 2), k, 38, NOTE])
    return out


def main() -> int:
    sys.path.insert(0, str(ROOT))
    import csv

    from indicators.store.localities import locality_frame
    frame = locality_frame().set_index("locality_code")
    names = {c: frame.loc[c, "name"] for c in read_series()}
    with open(ROOT / "data" / "seed" / "indicators.csv", encoding="utf-8") as f:
        indicators = {r["indicator_code"]: (r["name_vi"], r["unit"]) for r in csv.DictReader(f)}
    wb = Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    ws.append(["DỮ LIỆU MINH HỌA (illustrative data) – số liệu tự tạo để xem thử biểu đồ, "
               "KHÔNG phải số liệu thực của địa phương"])
    ws["A1"].font = Font(bold=True, color="B00020")
    ws.append([])
    ws.append(HEADERS)
    for c in ws[3]:
        c.font = Font(bold=True)
    for r in rows(names, indicators):
        ws.append(r)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    wb.save(OUT)
    print(f"{OUT.relative_to(ROOT)}: {ws.max_row - 3} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
