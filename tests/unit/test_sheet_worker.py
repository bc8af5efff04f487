"""The reader's worker (excel/worker.py) on what the Rust readers do with odd files, found in
their own test corpora: a panic (pyo3's PanicException is a BaseException, not an Exception)
is the reader's refusal of the file or of one sheet, never the worker's death (which the app
would tell the officer as "the file needs too much memory"); an .xlsb chart sheet, which the
reader cannot load, is left out as an .xlsx's chart sheet is, not called a damaged sheet."""
from __future__ import annotations

import sys
import types

import pyarrow as pa
import pytest

from indicators.excel import worker


class Panic(BaseException):
    """Stands for pyo3_runtime.PanicException (a BaseException subclass)."""


class _Sheet:
    def __init__(self, rows):
        self.visible = "visible"
        self._table = pa.table({"A": pa.array(rows, pa.string())})

    def available_columns(self):
        return [types.SimpleNamespace(absolute_index=0)]

    def to_arrow(self):
        return self._table


class _Reader:
    def __init__(self, sheets):
        self.sheets = sheets
        self.sheet_names = list(sheets)

    def load_sheet(self, name, **_):
        found = self.sheets[name]
        if isinstance(found, BaseException):
            raise found
        return _Sheet(found)


def _fake_readers(monkeypatch, *, read=None, sheets=None, kinds=None):
    def read_excel(_data):
        if read is not None:
            raise read
        return _Reader(sheets)
    monkeypatch.setitem(sys.modules, "fastexcel", types.SimpleNamespace(read_excel=read_excel))
    meta = [types.SimpleNamespace(name=n, typ=f"SheetTypeEnum.{k}") for n, k in (kinds or {}).items()]
    book = types.SimpleNamespace(sheets_metadata=meta)
    monkeypatch.setitem(sys.modules, "python_calamine", types.SimpleNamespace(
        CalamineWorkbook=types.SimpleNamespace(from_filelike=lambda _f: book)))


def test_a_panic_opening_the_file_is_the_readers_refusal(monkeypatch):
    _fake_readers(monkeypatch, read=Panic("range start index 4 out of range for slice of length 2"))
    result, payloads = worker._parse(None, b"odd")
    assert result == {"fatal": "range start index 4 out of range for slice of length 2", "sheets": []}
    assert payloads == []


def test_a_panic_in_one_sheet_is_that_sheets_error_and_the_others_are_read(monkeypatch):
    _fake_readers(monkeypatch, sheets={"Số liệu": ["12", "bhyt_coverage"], "Hỏng": Panic("index out of range")},
                  kinds={"Số liệu": "WorkSheet", "Hỏng": "WorkSheet"})
    result, payloads = worker._parse(None, b"odd")
    assert [(s["name"], s["ok"], s["error"]) for s in result["sheets"]] == [
        ("Số liệu", True, None), ("Hỏng", False, "index out of range")]
    assert len(payloads) == 1


def test_a_chart_sheet_the_reader_cannot_load_is_left_out_not_called_damaged(monkeypatch):
    _fake_readers(monkeypatch, sheets={"Số liệu": ["12"], "Biểu đồ": OSError("failed to fill whole buffer")},
                  kinds={"Số liệu": "WorkSheet", "Biểu đồ": "ChartSheet"})
    result, _ = worker._parse(None, b"xlsb")
    assert [s["name"] for s in result["sheets"]] == ["Số liệu"]


def test_an_interrupt_is_not_swallowed(monkeypatch):
    _fake_readers(monkeypatch, read=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        worker._parse(None, b"odd")
