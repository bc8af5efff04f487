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

# locality -> indicator -> values for 2020..2025 (None: not reported that year)
SERIES: dict[str, dict[str, list[float | None]]] = {
    "12": {  # Tỉnh Lai Châu
        "doctors_per_10k": [10.8, 11.2, 11.9, 12.4, 12.8, 13.1],
        "bhyt_coverage": [93.2, 94.0, 94.6, 95.4, 95.1, 95.0],
        "life_expectancy": [67.6, 67.5, 67.9, 68.1, 68.3, 68.5],
        "under5_stunting": [25.3, 24.6, 23.5, 22.4, 21.6, 20.9],
        "infant_mortality": [30.1, 29.5, 29.2, 28.9, 28.8, 28.6],
        "under5_mortality": [43.0, 42.8, 43.2, 43.5, 43.9, 44.1],
        "station_with_doctor": [97.4, 100.0, 100.0, 100.0, 97.4, 97.4],
        "high_risk_checked": [None, None, 41.0, 48.5, 55.2, 61.0],
    },
    "01": {  # Thành phố Hà Nội
        "station_with_doctor": [96.5, 97.8, 98.9, 99.6, 100.0, 100.0],
        "village_health_worker": [70.2, 72.9, 75.1, 77.6, 80.3, 82.4],
        "commune_health_criteria": [93.0, 94.1, 95.3, 96.2, 97.5, 98.4],
        "bhyt_coverage": [90.3, 91.2, 92.0, 92.9, 93.6, 94.2],
        "primary_care_bhyt": [62.0, 63.8, 65.9, 67.7, 69.8, 71.5],
        "health_managed": [75.4, 78.0, 80.9, 83.5, 86.2, 88.6],
        "high_risk_checked": [None, 55.0, 58.7, 62.4, 66.1, 70.0],
        "private_beds_share": [17.2, 17.5, 17.9, 18.1, 18.3, 18.4],
        "emr_hospitals": [None, None, 12.5, 28.0, 46.5, 63.0],
    },
    "09931": {  # Xã Hưng Đạo (Hà Nội)
        "bhyt_coverage": [86.1, 87.0, 88.4, 89.5, 90.8, 91.9],
        "ehr_coverage": [None, None, None, 35.0, 61.2, 78.4],
        "commune_station_standard": [0, 0, 0, 1, 1, 1],
        "bhyt_visits_growth": [None, 12.4, 18.6, 22.1, 21.3, 17.8],
        "epi_vaccination": [96.2, 93.1, 95.8, 97.0, 96.5, 97.3],
        "epidemic_response": [None, None, None, 100.0, 100.0, 100.0],
        "food_business_inspected": [None, None, 72.0, 78.0, 83.0, 86.0],
        "life_expectancy": [75.1, 75.0, 75.3, 75.6, 75.8, 76.0],
        "children_health_managed": [None, None, 88.0, 90.5, 92.4, 94.0],
        "students_fitness_checked": [None, None, None, 90.0, 94.0, 97.0],
        "under5_malnutrition": [9.8, 9.5, 9.1, 8.8, 8.4, 8.1],
        "health_info_access": [None, None, None, 72.0, 76.0, 79.0],
    },
}

# Lai Châu's communes meeting the national criteria, as numerator/denominator of its 38 communes.
COMMUNES_MEETING_CRITERIA_LC = [23, 25, 26, 27, 29, 30]

HEADERS = ["Mã địa phương", "Tên địa phương", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị",
           "Kỳ báo cáo", "Giá trị", "Tử số", "Mẫu số", "Nguồn / ghi chú"]
NOTE = "DỮ LIỆU MINH HỌA – không phải số liệu thật"


def rows(names: dict[str, str], indicators: dict[str, tuple[str, str]]) -> list[list]:
    out = []
    for code, series in SERIES.items():
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
    names = {c: frame.loc[c, "name"] for c in SERIES}
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
