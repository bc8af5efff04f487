"""The sheet reader's worker process: a workbook that makes the Rust reader abort costs that
upload only, with a Vietnamese message; the app (here: the test process) carries on."""
from __future__ import annotations

import io
import os
from datetime import date

import pytest
from openpyxl import Workbook

from indicators.excel import importer
from indicators.excel import reader as sheet_reader
from indicators.excel.workbook import read_workbook
from indicators.excel.safety import UnsafeFile, check_xlsx
from tests.store.test_import import con, workbook  # noqa: F401 — the seeded store fixture


def _book(cells: dict[str, object]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    ws.append(["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    ws.append(["12", "bhyt_coverage", "2025", 95.5])
    for ref, value in cells.items():
        ws[ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _read(data: bytes, name: str = "xa.xlsx"):
    return read_workbook(data, check_xlsx(data, name))


def test_a_lone_far_cell_is_refused_by_name_and_the_next_file_still_reads():
    pid = os.getpid()
    with pytest.raises(UnsafeFile) as exc:
        _read(_book({"XFD1048576": 1}), "o_xa.xlsx")   # 5 KB that asks the reader for 549 GB
    message = str(exc.value)
    assert message.startswith("Tệp “o_xa.xlsx” bị từ chối: bộ đọc Excel phải dừng")
    assert "trải tới ô XFD1048576" in message and "Ctrl+End" in message
    assert os.getpid() == pid   # still this process: only the worker died
    read = _read(_book({}))
    assert read.rows["value"].tolist() == ["95.5"]


def test_a_reader_that_needs_more_memory_than_its_ceiling_is_stopped():
    """A1 + XFD12000: a grid of ~6 GB, which the machine could grant; the worker's ceiling does not."""
    with pytest.raises(UnsafeFile, match="quá nhiều bộ nhớ"):
        _read(_book({"XFD12000": 1}))
    assert len(_read(_book({"J20": 1})).rows) == 1


def test_a_ceiling_too_low_to_start_with_still_reads_in_a_worker(monkeypatch):
    """100 MiB cannot even hold the libraries: the worker starts without it, still apart."""
    sheet_reader.stop_worker()
    monkeypatch.setattr(sheet_reader, "MAX_MIB", 100)
    try:
        assert _read(_book({})).rows["value"].tolist() == ["95.5"]
        assert sheet_reader._WORKER.proc.pid != os.getpid()
        with pytest.raises(UnsafeFile):
            _read(_book({"XFD1048576": 1}))   # still the worker that stops, not this process
    finally:
        sheet_reader.stop_worker()


def test_no_worker_means_no_reading_here(monkeypatch):
    sheet_reader.stop_worker()
    monkeypatch.setattr(sheet_reader, "WORKER", sheet_reader.WORKER.with_name("no_such_worker.py"))
    try:
        with pytest.raises(UnsafeFile, match="không khởi động được"):
            _read(_book({"XFD1048576": 1}))
    finally:
        monkeypatch.undo()
        sheet_reader.stop_worker()


def test_a_refused_file_changes_nothing_and_the_import_goes_on(con):  # noqa: F811
    before = con.execute("select (select count(*) from observation), (select count(*) from upload)").fetchone()
    with pytest.raises(UnsafeFile):
        importer.preview(con, _book({"XFD1048576": 1}), "o_xa.xlsx", "canbo-lc")
    assert con.execute("select (select count(*) from observation), (select count(*) from upload)").fetchone() \
        == before
    pv = importer.preview(con, workbook([["12", "bhyt_coverage", "2026-Q1", 95.5]]), "ok.xlsx", "canbo-lc",
                          today=date(2026, 11, 24))
    assert pv.can_commit and pv.n_new == 1


def test_a_broken_workbook_is_the_readers_refusal_not_a_crash(monkeypatch):
    """The worker answers with the reader's own error; the officer gets a sentence, not a traceback."""
    def refuse(data, names):
        raise sheet_reader.ReaderFailed("Cannot detect file format")
    monkeypatch.setattr("indicators.excel.workbook.read_sheets", refuse)
    with pytest.raises(UnsafeFile) as exc:
        _read(_book({}), "hong.xlsx")
    assert str(exc.value).startswith("Tệp “hong.xlsx” không đọc được: cấu trúc bên trong không đúng chuẩn")
    assert "Cannot detect file format" in str(exc.value)
