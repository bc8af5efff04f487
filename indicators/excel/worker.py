"""The worker process of indicators.excel.reader: parses workbooks with fastexcel, one request at a
time, and sends each sheet back as an Arrow IPC stream.

Run as a script (`python sheet_worker.py`), never imported by the app: it imports only fastexcel,
pyarrow and the standard library, so it starts in a fraction of a second. Its address space is
capped (RLIMIT_AS, from $INDICATORS_READER_MAX_MIB): a workbook that makes the reader ask for more
makes the allocation fail, and Rust then aborts this process only.

Protocol on stdin/stdout, every message a little-endian u64 length and that many bytes:
  at start: "ready", once the libraries are loaded
  request : JSON {"names": [sheet, ...] | null (every sheet), "typed": bool}, then the workbook bytes
  response: JSON {"fatal": null | str, "sheets": [{"name", "ok", "error", "columns", "state",
            "numbers"}], "peak_mib"}, then one Arrow IPC stream per sheet that is ok, in order

"typed" is for the formats whose cells carry their type (.xls, .xlsb, .ods), where no sheet XML
tells a number cell 1.234 from typed text "1.234" (a thousands dot: 1234): "numbers" lists the
[row, column] (0-based, absolute) of the number cells whose text reads like that, learnt from
python-calamine's typed values, only for a sheet that has such text.
"""
from __future__ import annotations

import json
import os
import resource
import struct
import sys

_LEN = struct.Struct("<Q")
READY = b"ready"


def _read_exact(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(stream) -> bytes:
    return _read_exact(stream, _LEN.unpack(_read_exact(stream, _LEN.size))[0])


def _send(stream, payload: bytes) -> None:
    stream.write(_LEN.pack(len(payload)))
    stream.write(payload)


def _peak_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _ipc(table) -> bytes:
    import pyarrow as pa
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        if isinstance(table, pa.RecordBatch):
            writer.write_batch(table)
        else:
            writer.write_table(table)
    return sink.getvalue().to_pybytes()


# Error values of newer Excel versions that the reader does not know and refuses a whole sheet
# for. Read as #VALUE! here, they come out as blank cells like every error; the app reports each
# with its real text, which it takes from the sheet XML itself.
NEWER_ERRORS = (b"#SPILL!", b"#CALC!", b"#GETTING_DATA", b"#FIELD!", b"#BLOCKED!", b"#CONNECT!", b"#BUSY!",
                b"#UNKNOWN!", b"#PYTHON!", b"#EXTERNAL!")


def _older_errors(data: bytes) -> bytes:
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            raw = src.read(info)
            if info.filename.lower().startswith("xl/worksheets/"):
                for err in NEWER_ERRORS:
                    raw = raw.replace(b">" + err + b"<", b">#VALUE!<")
            dst.writestr(info.filename, raw)
    return out.getvalue()


_AMBIGUOUS = r"^\s*[-+]?[1-9]\d{0,2}\.\d{3}\s*$"   # as cells.AMBIGUOUS_RE2 (this process imports no app code)
_STATES = {"visible": "visible", "hidden": "hidden", "veryhidden": "veryHidden"}


def _number_cells(data: bytes, name: str, table, columns: list[int], typed: dict) -> list[list[int]]:
    """[row, column] of the number cells whose text looks like "1.234" (see the module doc)."""
    import pyarrow.compute as pc
    wanted = []
    for j, column in enumerate(table.columns):
        hits = pc.fill_null(pc.match_substring_regex(column, _AMBIGUOUS), False)
        if pc.any(hits).as_py():
            wanted += [(i, columns[j]) for i in pc.indices_nonzero(hits).to_pylist()]
    if not wanted:
        return []
    if "book" not in typed:
        import io
        import python_calamine
        typed["book"] = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    grid = typed["book"].get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [[i, j] for i, j in wanted
            if i < len(grid) and j < len(grid[i]) and type(grid[i][j]) in (int, float)]


# A Rust panic inside the reader (a malformed record it indexes past) reaches Python as pyo3's
# PanicException, a BaseException: it is the reader's refusal of this file like any error,
# not a reason for the worker to die (which would read as running out of memory).
_NOT_OURS = (KeyboardInterrupt, SystemExit, GeneratorExit)


def _is_worksheet(data: bytes, name: str, books: dict) -> bool:
    """Whether the sheet `name` is a worksheet (not a chart, dialog or macro sheet), by
    python-calamine's sheet list; True when that cannot be told."""
    try:
        if "meta" not in books:
            import io
            import python_calamine
            books["meta"] = {m.name: str(m.typ) for m in python_calamine.CalamineWorkbook.from_filelike(
                io.BytesIO(data)).sheets_metadata}
        return books["meta"].get(name, "WorkSheet").rsplit(".", 1)[-1] == "WorkSheet"
    except _NOT_OURS:
        raise
    except BaseException:   # noqa: BLE001 — unknown: the sheet's own error is reported
        return True


def _parse(names: list[str] | None, data: bytes, typed: bool = False) -> tuple[dict, list[bytes]]:
    import fastexcel
    try:
        reader = fastexcel.read_excel(data)
    except _NOT_OURS:
        raise
    except BaseException as exc:   # the reader's own refusal: the caller words it for the officer
        return {"fatal": str(exc) or type(exc).__name__, "sheets": []}, []
    sheets, payloads, patched, books = [], [], None, {}
    for name in reader.sheet_names if names is None else names:
        try:
            try:
                sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            except Exception as exc:
                if "error value" not in str(exc).lower():
                    raise
                patched = patched or fastexcel.read_excel(_older_errors(data))
                sheet = patched.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            columns = [c.absolute_index for c in sheet.available_columns()]
            table = sheet.to_arrow()
            numbers = _number_cells(data, name, table, columns, books) if typed else []
            payloads.append(_ipc(table))
            sheets.append({"name": name, "ok": True, "error": None, "columns": columns, "numbers": numbers,
                           "state": _STATES.get(str(sheet.visible).lower(), "visible")})
        except _NOT_OURS:
            raise
        except BaseException as exc:   # one unreadable sheet is reported; the others are still read
            if names is None and not _is_worksheet(data, name, books):
                continue   # a chart or dialog sheet holds no cells (an .xlsx's are not listed either)
            sheets.append({"name": name, "ok": False, "error": str(exc) or type(exc).__name__, "columns": []})
    return {"fatal": None, "sheets": sheets}, payloads


def main() -> int:
    limit = int(os.environ.get("INDICATORS_READER_MAX_MIB", "0")) * 1024 * 1024
    if limit:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        # Never above a ceiling the app itself runs under (ulimit -v): that would be refused.
        cap = min([limit] + [x for x in (soft, hard) if x != resource.RLIM_INFINITY])
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    import fastexcel  # noqa: F401 — loaded before the first request, not during it
    import pyarrow  # noqa: F401
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    _send(out, READY)   # the app waits for this before its first request
    out.flush()
    while True:
        try:
            header = json.loads(_receive(inp))
            data = _receive(inp)
        except EOFError:
            return 0   # the app closed the pipe: it has stopped
        result, payloads = _parse(header["names"], data, bool(header.get("typed")))
        result["peak_mib"] = _peak_mib()
        _send(out, json.dumps(result).encode())
        for payload in payloads:
            _send(out, payload)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
