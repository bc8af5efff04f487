"""fastexcel in a worker process, so that no workbook can take the app down.

fastexcel (calamine, Rust) sizes a sheet's grid from its cells' positions. A 5 KB workbook with
one cell at A1 and one at XFD1048576 asks for 549 GB, and when an allocation fails Rust aborts
the whole process: no Python exception, and in the Streamlit server every session gone. Cells
with no position, reordered attributes or a lying <dimension> lead to the same place, so instead
of predicting every such file, the parse runs in a worker (sheet_worker.py) whose address space
is capped. If a file kills it, only that upload fails, with a Vietnamese message, and the next
request starts a new worker.

`read_sheets(data, names)` returns one SheetTable per name (every sheet when `names` is None,
as for .xls, .xlsb and .ods, whose sheets no check lists beforehand; `typed=True` asks for
their number cells that read like "1.234", see worker.py) or the reader's error for that sheet,
and raises ReaderFailed when the whole file cannot be read (`crashed` tells a worker that died
or ran out of time from the reader's own refusal). One worker per process, started on first
use (about 0.3 s) and reused; requests are served one at a time.
"""
from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from indicators.excel.worker import _LEN, READY   # the protocol, defined once (the worker imports only stdlib)

WORKER = Path(__file__).with_name("worker.py")
# The worker's address-space ceiling. A 200,000-row sheet needs well under 1 GB resident; the
# rest is room for the libraries' reserved but untouched address space.
MAX_MIB = int(os.environ.get("INDICATORS_READER_MAX_MIB", "4096"))
TIMEOUT_S = float(os.environ.get("INDICATORS_READER_TIMEOUT_S", "120"))
START_TIMEOUT_S = 60.0
_log = logging.getLogger(__name__)


class ReaderFailed(Exception):
    """The workbook could not be read at all. `crashed`: the worker died (out of memory, abort) or
    ran out of time; `unavailable`: no worker could start; otherwise `detail` is the reader's own
    message."""

    def __init__(self, detail: str, *, crashed: bool = False, timed_out: bool = False,
                 unavailable: bool = False):
        super().__init__(detail)
        self.detail, self.crashed, self.timed_out = detail, crashed, timed_out
        self.unavailable = unavailable   # no worker could be started: the file was not looked at


@dataclass
class SheetTable:
    name: str
    table: pa.RecordBatch | None    # every cell as text; None when the sheet could not be read
    columns: list[int]              # the absolute (0-based) column index of each table column
    error: str | None = None
    state: str = "visible"          # visible | hidden | veryHidden
    numbers: list[list[int]] | None = None   # typed formats: [row, column] of number cells like "1.234"


class _Worker:
    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.peak_mib = 0.0          # the worker's own peak resident memory, as it last reported

    def _start(self) -> subprocess.Popen | None:
        """A new worker once it says it is ready; None when none can be started here.

        A worker that exits at once is stopped by its own ceiling (a ulimit or a MAX_MIB too low for
        the libraries): then one without a ceiling of its own, still a separate process, is used. A
        worker slow to get ready (a loaded machine) gets one more try with its ceiling, never one
        without it."""
        ceiling, tries = MAX_MIB, 0
        while True:
            tries += 1
            env = {**os.environ, "INDICATORS_READER_MAX_MIB": str(ceiling), "RUST_BACKTRACE": "0"}
            exited = False
            try:
                # stderr discarded: an abort prints a Rust backtrace, which says nothing to an officer.
                self.proc = subprocess.Popen([sys.executable, str(WORKER)], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                             close_fds=True)
                if self._message(time.monotonic() + START_TIMEOUT_S) == READY:
                    if not ceiling:
                        _log.warning("sheet reader worker runs without its %d MiB ceiling", MAX_MIB)
                    return self.proc
            except EOFError:
                exited = True
            except (OSError, TimeoutError, ValueError):
                pass
            self.stop()
            if exited and ceiling:
                ceiling = 0
            elif tries >= 2 or not ceiling:
                return None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.kill()
                proc.wait(timeout=5)
            except Exception:   # noqa: BLE001 — already gone
                pass

    def _read(self, n: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        chunks, left = [], n
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _write(self, data: bytes, deadline: float) -> None:
        """All of `data` to the worker's stdin, or TimeoutError: a worker that stopped reading
        must not hold the request (and the lock) forever."""
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([], [fd], [], wait)[1]:
                raise TimeoutError
            view = view[os.write(fd, view[:1 << 16]):]

    def _message(self, deadline: float) -> bytes:
        return self._read(_LEN.unpack(self._read(_LEN.size, deadline))[0], deadline)

    def request(self, data: bytes, names: list[str] | None, typed: bool = False,
                early: "EarlyRead | None" = None) -> tuple[dict, list[bytes]]:
        """One file read by the worker. A worker that dies on it is started again and given the
        file once more (it may have been killed from outside, by the OOM killer say); a file that
        kills it twice is the file's doing. `early`: the EarlyRead this request is for; once it
        is cancelled, the file is not (or no longer) read."""
        with self.lock:
            for attempt in (1, 2):
                try:
                    # Never read in this process instead: one hostile file would then stop the app.
                    self._start_if_needed()
                    if early is not None:
                        with early.state:
                            if early.cancelled:
                                raise ReaderFailed("cancelled")
                            early.proc = self.proc   # what cancel() stops
                    try:
                        return self._request_once(data, names, typed)
                    finally:
                        if early is not None:
                            with early.state:
                                early.proc = None   # the worker is no longer this request's to stop
                except ReaderFailed as exc:
                    if exc.timed_out or exc.unavailable or attempt == 2 or (early is not None and early.cancelled):
                        raise
            raise AssertionError("unreachable")

    def _start_if_needed(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            if self._start() is None:
                _log.error("sheet reader worker could not start (%s)", WORKER)
                raise ReaderFailed("worker unavailable", unavailable=True)

    def _request_once(self, data: bytes, names: list[str] | None, typed: bool) -> tuple[dict, list[bytes]]:
        deadline = time.monotonic() + TIMEOUT_S
        try:
            head = json.dumps({"names": names, "typed": typed}).encode()
            self._write(_LEN.pack(len(head)) + head + _LEN.pack(len(data)) + data, deadline)
            result = json.loads(self._message(deadline))
            payloads = [self._message(deadline) for s in result["sheets"] if s["ok"]]
        except TimeoutError:
            self.stop()
            raise ReaderFailed("timeout", crashed=True, timed_out=True) from None
        except (EOFError, BrokenPipeError, OSError, ValueError):
            self.stop()
            raise ReaderFailed("worker died", crashed=True) from None
        self.peak_mib = float(result.get("peak_mib") or 0.0)
        return result, payloads


_WORKER = _Worker()


def _batch(payload: bytes) -> pa.RecordBatch:
    """One record batch (plain arrays, as fastexcel itself returns) from an IPC stream."""
    reader = pa.ipc.open_stream(payload)
    batches = list(reader)
    if len(batches) == 1:
        return batches[0]
    table = pa.Table.from_batches(batches, reader.schema).combine_chunks()
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in table.columns], schema=table.schema)


def read_sheets(data: bytes, names: list[str] | None, typed: bool = False) -> list[SheetTable]:
    """Every sheet in `names` (None: all), read by the worker; see the module docstring."""
    return _tables(*_WORKER.request(data, names, typed))


class EarlyRead:
    """Every sheet of an .xlsx read by the worker while this process still checks the file
    (importer.preview: the safety checks take ~0,1 s of a 100k-row file, the parse ~0,5 s, on
    two cores at once). Nothing read is used before the checks pass: a file they refuse is
    cancel()led, and a worker still reading it is stopped (the next read starts another).
    The worker is the same sandbox every read goes through; the checks still decide."""

    def __init__(self, data: bytes) -> None:
        self.state = threading.Lock()
        self.cancelled = False
        self.proc: subprocess.Popen | None = None
        self._found: tuple[dict, list[bytes]] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(data,), name="early-sheet-read", daemon=True)
        self._thread.start()

    def _run(self, data: bytes) -> None:
        try:
            self._found = _WORKER.request(data, None, False, early=self)
        except BaseException as exc:   # noqa: BLE001 — handed to take(), raised there
            self._error = exc

    def take(self, names: list[str]) -> list[SheetTable] | None:
        """The sheets `names`, as read_sheets(data, names) gives them; None when this read cannot
        stand for that one (a sheet the worker did not list): then read again."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        result, payloads = self._found
        if result.get("fatal"):
            raise ReaderFailed(result["fatal"])
        by_name = {}
        it = iter(payloads)
        for sheet in result["sheets"]:
            by_name[sheet["name"]] = (sheet, next(it) if sheet["ok"] else None)
        if any(name not in by_name for name in names):
            return None
        picked = [by_name[name] for name in names]
        return _tables({"sheets": [sheet for sheet, _ in picked]},
                       [payload for sheet, payload in picked if sheet["ok"]])

    def cancel(self) -> None:
        """The file was refused: no read of it goes on. Waits (briefly) for the reading thread."""
        with self.state:
            self.cancelled = True
            proc = self.proc
        if proc is not None and self._thread.is_alive():
            try:
                proc.kill()   # the request sees its pipe close and gives up (no second try)
            except OSError:
                pass
        self._thread.join(timeout=10)


def _tables(result: dict, payloads: list[bytes]) -> list[SheetTable]:
    if result.get("fatal"):
        raise ReaderFailed(result["fatal"])
    out, it = [], iter(payloads)
    for sheet in result["sheets"]:
        if sheet["ok"]:
            out.append(SheetTable(sheet["name"], _batch(next(it)), sheet["columns"],
                                  state=sheet.get("state", "visible"), numbers=sheet.get("numbers")))
        else:
            out.append(SheetTable(sheet["name"], None, [], sheet["error"]))
    return out


def worker_peak_mib() -> float:
    """The worker's peak resident memory (MiB) as of its last answer: the benchmark adds it to the
    importing process's own."""
    return _WORKER.peak_mib


def stop_worker() -> None:
    _WORKER.stop()
