"""The import benchmark: read + validate + commit a 100,000-row workbook, beside pandas' read.

`bench_import(repeats=3)` returns
- import_100k_s: median seconds for importer.preview + importer.commit of the workbook bytes
  into a fresh copy of a seeded database (process start, imports, a one-row warm-up preview —
  which also starts the sheet reader's worker, as a running app has — and the copy not counted);
- import_100k_peak_mib: median peak resident memory (VmHWM, bench.peak_mib) of a child process
  that imports the libraries and does that work once, plus the peak of the worker process that
  parses the sheets for it (indicators.excel.reader) — so it includes two interpreters and the
  libraries (about 250 MiB on their own);
- import_peer_read_s: median seconds of pandas.read_excel(engine="openpyxl") just reading the
  same file (no validation, no database).

The workbook is generated once with openpyxl's write-only mode, shaped like a filled
template (the ten template columns, names included): 100,000 distinct commune × indicator ×
year rows with plausible values, for an admin account. openpyxl writes every text cell as an
inline string with its letters as XML character references (a 52 MB sheet); Excel and
LibreOffice save a workbook with a shared-strings table instead (a 15 MB sheet), which is what
an officer's filled-in template is. So the file timed is the generated one rewritten that way
(`as_excel_saves`: the same cells, each text stored once); import_100k_inline_s times the
openpyxl file itself, the worst case a program-written workbook gives the reader.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

N_ROWS = 100_000
YEARS = range(2020, 2026)
BENCH_USER = "bench-admin"
TEMPLATE_HEADERS = ["Mã địa phương", "Tên địa phương", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị",
                    "Kỳ báo cáo", "Giá trị", "Tử số", "Mẫu số", "Nguồn / ghi chú"]
# value ranges per kind, well inside the catalogue's plausible ranges
_RANGES = {"percent": (50, 99), "percent_change": (-10, 30), "per_1000": (5, 40), "per_10000": (5, 20),
           "years": (65, 80), "count": (0, 10), "yes_no": (0, 1)}


def generate_workbook(con, path: Path, n_rows: int = N_ROWS, skip: set[str] | None = None, *,
                      inline_copy: Path | None = None) -> int:
    """Write an n_rows workbook of distinct commune × indicator × year rows, as Excel saves it
    (shared strings); return the row count. `inline_copy`: also keep openpyxl's own file there.

    Communes in `skip` (default: those with any reported value) are left out, so no row meets a
    history and raises an outlier warning.
    """
    import random

    from openpyxl import Workbook

    rng = random.Random(20260101)
    if skip is None:
        skip = {r[0] for r in con.execute("select distinct locality_code from observation").fetchall()}
    communes = [r for r in con.execute(
        "select locality_code, name from locality where level = 'commune' order by locality_code").fetchall()
        if r[0] not in skip]
    indicators = con.execute("select indicator_code, name_vi, unit, value_kind, decimals from indicator "
                             "order by indicator_code").fetchall()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Số liệu")
    ws.append(["Số liệu báo cáo – tệp thử hiệu năng (dữ liệu tự tạo)"])
    ws.append(TEMPLATE_HEADERS)
    n = 0
    for year in YEARS:
        for code, name in communes:
            for ind, ind_name, unit, kind, decimals in indicators:
                if n >= n_rows:
                    break
                lo, hi = _RANGES[kind]
                value = rng.randint(0, 1) if kind == "yes_no" else round(rng.uniform(lo, hi), decimals)
                ws.append([code, name, ind, ind_name, unit, str(year), value, None, None, None])
                n += 1
    inline = inline_copy or path.with_name(path.stem + ".inline.xlsx")
    wb.save(inline)
    as_excel_saves(inline, path)
    if inline_copy is None:
        inline.unlink()
    return n


_INLINE_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is>'
                          rb'<t(?: xml:space="preserve")?>(.*?)</t></is></c>', re.S)


def as_excel_saves(src: Path, dst: Path) -> None:
    """Rewrite openpyxl's inline-string cells as references into a shared-strings table, the
    way Excel and LibreOffice store text: the same cells and values, each distinct text once."""
    strings: dict[bytes, int] = {}

    def shared(m: re.Match) -> bytes:
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (m.group(1), m.group(2),
                                                     strings.setdefault(m.group(3), len(strings)))

    n_refs = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data, n = _INLINE_CELL.subn(shared, data)
                n_refs += n
                if b't="inlineStr"' in data:
                    raise ValueError(f"{item.filename}: an inline string of a shape this rewrite does not know")
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                                    b"</Types>")
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSharedStrings" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            zout.writestr(item, data)
        table = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in strings)
        zout.writestr("xl/sharedStrings.xml",
                      b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
                      b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
                      % (n_refs, len(strings), table))


def _child(db: str, xlsx: str) -> None:
    """Run in a fresh process: one timed preview + commit, then print seconds and peak RSS."""
    from indicators.text import fmt
    from indicators.excel import importer
    from bench.run import peak_mib
    from indicators.excel.reader import worker_peak_mib
    from indicators.store.connection import connect

    data = Path(xlsx).read_bytes()
    con = connect(db)
    # Warm up on a one-row file (not committed): first-use costs (locale data, SQL text,
    # compiled patterns) belong to the server's start, not to each import.
    importer.preview(con, _tiny_workbook(), "warm.xlsx", BENCH_USER)
    fmt.number(1234.5)   # Babel's Vietnamese locale data: a running app has loaded it long before
    start = time.perf_counter()
    pv = importer.preview(con, data, Path(xlsx).name, BENCH_USER)
    result = importer.commit(con, pv, BENCH_USER, confirm_warnings=True,
                             refresh_cache=False)  # the overview cache is refreshed after, not part of the import
    seconds = time.perf_counter() - start
    con.close()
    # The sheets are parsed in the reader's worker process (sheet_reader): its peak counts too.
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib() + worker_peak_mib(), "rows": result.n_new,
                      "errors": len(pv.errors)}))


def _tiny_workbook() -> bytes:
    import io

    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(TEMPLATE_HEADERS)
    wb.active.append(["01", "", "bhyt_coverage", "", "", "2025", 95.5, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _peer_read(xlsx: Path) -> float:
    """Seconds for pandas.read_excel(engine="openpyxl") to read the workbook, in a child process
    (its ~1 GB of Python objects would otherwise stay with the benchmark)."""
    code = ("import sys, time, pandas as pd; t = time.perf_counter(); "
            "pd.read_excel(sys.argv[1], engine='openpyxl', header=None); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code, str(xlsx)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def prepare(workdir: Path, n_rows: int = N_ROWS) -> tuple[Path, Path]:
    """A seeded database with the bench admin, and the generated workbook, in `workdir`."""
    from indicators.setup import init_db
    from indicators.store.connection import connect

    db = workdir / "seeded.duckdb"
    init_db(db)
    con = connect(db)
    try:
        con.execute("insert into account (user_name, display_name, role, locality_code, password_hash) "
                    "values ($u, 'Benchmark', 'admin', null, 'not-a-hash: cannot sign in')", {"u": BENCH_USER})
        xlsx = workdir / "bench_100k.xlsx"
        generate_workbook(con, xlsx, n_rows, inline_copy=workdir / "bench_100k_inline.xlsx")
    finally:
        con.close()
    return db, xlsx


def bench_import(repeats: int = 3, peer_repeats: int | None = None, n_rows: int = N_ROWS) -> dict:
    """The three figures described in the module docstring, each a median of `repeats` runs."""
    root = Path(__file__).resolve().parent.parent
    times, peaks, peer, inline = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        work = Path(tmp)
        db, xlsx = prepare(work, n_rows)
        for i, file in enumerate([xlsx] * repeats + [work / "bench_100k_inline.xlsx"] * repeats):
            run_db = work / f"run{i}.duckdb"
            shutil.copy(db, run_db)
            out = subprocess.run(
                [sys.executable, "-c", "import sys; from bench.importing import _child; "
                                       "_child(sys.argv[1], sys.argv[2])", str(run_db), str(file)],
                cwd=root, capture_output=True, text=True, check=True,
                env={**os.environ, "PYTHONPATH": str(root)})
            found = json.loads(out.stdout.strip().splitlines()[-1])
            if found["errors"] or found["rows"] != n_rows:
                raise RuntimeError(f"bench import did not land cleanly: {found}")
            if file == xlsx:
                times.append(found["seconds"])
                peaks.append(found["peak_mib"])
            else:
                inline.append(found["seconds"])
            run_db.unlink()
        for _ in range(peer_repeats if peer_repeats is not None else repeats):
            peer.append(_peer_read(xlsx))
    result = {"import_100k_s": round(statistics.median(times), 3),
              "import_100k_peak_mib": round(statistics.median(peaks), 1)}
    if inline:
        result["import_100k_inline_s"] = round(statistics.median(inline), 3)
    if peer:
        result["import_peer_read_s"] = round(statistics.median(peer), 3)
    return result


if __name__ == "__main__":
    print(json.dumps(bench_import(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
