"""The report-sheet benchmark (issue 14): a province's own workbook read and its mapping shown.

`bench_wide(repeats=3)` returns import_wide_province_s: median seconds of importer.preview —
read, understand, validate, compare: what the upload page does before it shows how the sheets
were read and the preview — of Hà Nội's workbook as a Sở Y tế writes it: four quarter sheets
("Quý I/2025" …), each a title, then `STT | Tên xã, phường | <30 indicator columns>`, one row
per commune (126) named as people write them, a total row at the bottom. 27 columns are the
catalogue's indicators by their Vietnamese names, 3 are indicators the catalogue does not keep
(shown as not read). Timed in a fresh process after a one-sheet warm-up preview (as a running
app has its reader worker and its name matchers ready), for a Hà Nội officer; budget 1 s.
"""
from __future__ import annotations

import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROVINCE = "01"
USER = "bench-hanoi"
QUARTERS = ("Quý I/2025", "Quý II/2025", "Quý III/2025", "Quý IV/2025")
OTHER_COLUMNS = ("Số giường bệnh/vạn dân", "Tỷ lệ hộ gia đình dùng nước sạch", "Số ca sốt xuất huyết")
_RANGES = {"percent": (50, 99), "percent_change": (-10, 30), "per_1000": (5, 40), "per_10000": (5, 20),
           "years": (65, 80), "count": (0, 10), "yes_no": (0, 1)}
BUDGET_S = 1.0


def province_workbook(con, quarters=QUARTERS) -> tuple[bytes, int]:
    """The workbook's bytes and how many figures it holds for catalogue indicators."""
    from openpyxl import Workbook

    rng = random.Random(20250101)
    communes = con.execute("select name from locality where parent_code = $p order by locality_code",
                           {"p": PROVINCE}).fetchall()
    indicators = con.execute("select name_vi, value_kind, decimals from indicator order by indicator_code").fetchall()
    wb = Workbook()
    n = 0
    for k, quarter in enumerate(quarters):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = quarter.replace("/", "-")
        ws.append([f"TỔNG HỢP KẾT QUẢ CÁC CHỈ TIÊU Y TẾ CÁC XÃ, PHƯỜNG – {quarter.upper()} (số liệu tự tạo)"])
        ws.append(["STT", "Tên xã, phường", *[name for name, _, _ in indicators], *OTHER_COLUMNS])
        for i, (name,) in enumerate(communes, start=1):
            row = [i, name.replace("Xã ", "").replace("Phường ", "Phường ") if i % 3 == 0 else name]
            for _, kind, decimals in indicators:
                lo, hi = _RANGES[kind]
                row.append(rng.randint(0, 1) if kind == "yes_no" else round(rng.uniform(lo, hi), decimals))
                n += 1
            row += [rng.randint(1, 50) for _ in OTHER_COLUMNS]
            ws.append(row)
        ws.append(["", "Toàn thành phố", *([None] * (len(indicators) + len(OTHER_COLUMNS)))])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), n


def _child(db: str, path: str) -> None:
    """In a fresh process: warm up on one sheet, then time the whole workbook's preview."""
    from indicators.excel import importer
    from indicators.store.connection import connect

    data = Path(path).read_bytes()
    con = connect(db)
    from openpyxl import Workbook
    warm = Workbook()
    warm.active.append(["Tên xã, phường", "Tỷ lệ dân số tham gia BHYT"])
    warm.active.append(["Phường Ba Đình", 95.0])
    buf = io.BytesIO()
    warm.save(buf)
    importer.preview(con, buf.getvalue(), "warm.xlsx", USER, dry_run=True)
    start = time.perf_counter()
    pv = importer.preview(con, data, Path(path).name, USER, dry_run=True)
    layouts = json.dumps(pv.layouts, ensure_ascii=False)   # what the page and the CLI show
    seconds = time.perf_counter() - start
    con.close()
    print(json.dumps({"seconds": seconds, "rows": pv.n_rows, "errors": len(pv.errors),
                      "sheets": len(pv.layouts), "layout_chars": len(layouts)}))


def bench_wide(repeats: int = 3) -> dict:
    from indicators.setup import init_db
    from indicators.store.connection import connect

    root = Path(__file__).resolve().parent.parent
    times = []
    with tempfile.TemporaryDirectory(prefix="bench_wide_") as tmp:
        db = Path(tmp) / "seeded.duckdb"
        init_db(db)
        con = connect(db)
        try:
            con.execute("insert into account (user_name, display_name, role, locality_code, password_hash) "
                        "values ($u, 'Benchmark', 'officer', $p, 'not-a-hash: cannot sign in')",
                        {"u": USER, "p": PROVINCE})
            data, n_figures = province_workbook(con)
        finally:
            con.close()
        xlsx = Path(tmp) / "ha_noi_4_quy.xlsx"
        xlsx.write_bytes(data)
        for i in range(repeats):
            run_db = Path(tmp) / f"run{i}.duckdb"
            shutil.copy(db, run_db)
            out = subprocess.run([sys.executable, "-c", "import sys; from bench.wide import _child; "
                                  "_child(sys.argv[1], sys.argv[2])", str(run_db), str(xlsx)],
                                 cwd=root, capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONPATH": str(root)})
            found = json.loads(out.stdout.strip().splitlines()[-1])
            if found["errors"] or found["rows"] != n_figures or found["sheets"] != len(QUARTERS):
                raise RuntimeError(f"bench wide did not read the workbook whole: {found} (expected {n_figures} rows)")
            times.append(found["seconds"])
            run_db.unlink()
    return {"import_wide_province_s": round(statistics.median(times), 3), "import_wide_province_budget_s": BUDGET_S}


if __name__ == "__main__":
    print(json.dumps(bench_wide(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
