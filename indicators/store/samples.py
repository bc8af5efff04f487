"""The illustrative workbook (data/samples/): reported values that are NOT real figures.

It is loaded as an ordinary upload flagged `is_illustrative`, so pages can tell which values
are illustrative and label them, and an admin can revert it like any other upload.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd
from python_calamine import CalamineWorkbook

from indicators.progress.method import period_time
from indicators.paths import PROJECT_ROOT
from indicators.text.fold import fold

SAMPLE_WORKBOOK = PROJECT_ROOT / "data" / "samples" / "du_lieu_minh_hoa.xlsx"
SAMPLE_USER = "he-thong"   # the system, not a person

# folded header -> column; the sample workbook uses the template's Vietnamese headers.
_COLUMNS = {
    "ma dia phuong": "locality_code", "ma chi tieu": "indicator_code", "ky bao cao": "period",
    "gia tri": "value", "tu so": "numerator", "mau so": "denominator", "nguon / ghi chu": "note",
}


def read_sample_rows(path: Path = SAMPLE_WORKBOOK) -> pd.DataFrame:
    """The sample sheet's data rows (header found below the title), one column per field."""
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header_at = next(i for i, row in enumerate(sheet) if row and fold(str(row[0])) == "ma dia phuong")
    header = [_COLUMNS.get(fold(str(h))) for h in sheet[header_at]]
    records = []
    for row in sheet[header_at + 1:]:
        if not any(str(c).strip() for c in row):
            continue
        records.append({col: cell for col, cell in zip(header, row) if col})
    frame = pd.DataFrame(records)
    frame["locality_code"] = frame["locality_code"].astype(str)
    frame["period"] = frame["period"].map(lambda p: str(int(p)) if isinstance(p, float) else str(p))
    for col in ("numerator", "denominator"):
        frame[col] = pd.to_numeric(frame[col].replace("", None), errors="raise")
    frame["value"] = pd.to_numeric(frame["value"], errors="raise")
    frame["period_time"] = frame["period"].map(period_time)
    return frame


def load_samples(con: duckdb.DuckDBPyConnection, path: Path = SAMPLE_WORKBOOK) -> int:
    """Record the sample workbook as one illustrative upload, unless that file is already in.

    Returns the number of observations added (0 when the same file was loaded before).
    The caller owns the transaction.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    seen = con.execute("select count(*) from upload where sha256 = $s", {"s": digest}).fetchone()[0]
    if seen:
        return 0
    frame = read_sample_rows(path)
    upload_id = con.execute(
        "insert into upload (file_name, sha256, user_name, n_rows, n_new, is_illustrative) "
        "values ($f, $s, $u, $n, $n, true) returning upload_id",
        {"f": path.name, "s": digest, "u": SAMPLE_USER, "n": len(frame)},
    ).fetchone()[0]
    frame["upload_id"] = upload_id
    con.register("sample_rows", frame)
    try:
        con.execute(
            "insert into observation (locality_code, indicator_code, period, period_time, value,"
            " numerator, denominator, note, upload_id)"
            " select locality_code, indicator_code, period, period_time, value, numerator,"
            " denominator, note, upload_id from sample_rows"
        )
    finally:
        con.unregister("sample_rows")
    return len(frame)
