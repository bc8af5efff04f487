"""A large .xlsx is parsed by the reader's worker while the importer still checks it
(reader.EarlyRead): the officer gets the same preview as from a read after the checks, and a
file the checks refuse is refused as before, its read stopped, the next file read normally."""
from __future__ import annotations

import io
import threading
import zipfile

import pytest

from indicators.excel import formats, importer, reader, safety
from indicators.excel.safety import UnsafeFile
from tests.store.test_import import commune_keys, con, fast_workbook  # noqa: F401 — the seeded store fixture


def _early_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "early-sheet-read" and t.is_alive()]


def _with_macro(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            dst.writestr(entry, src.read(entry))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def _taken(monkeypatch) -> list[list[str]]:
    """The sheet names each early read handed over (spied on EarlyRead.take)."""
    calls: list[list[str]] = []
    original = reader.EarlyRead.take

    def take(self, names):
        calls.append(list(names))
        return original(self, names)
    monkeypatch.setattr(reader.EarlyRead, "take", take)
    return calls


def test_a_large_workbook_read_early_gives_the_same_preview_as_one_read_after_its_checks(con, monkeypatch):  # noqa: F811
    keys = commune_keys(con, 20_000)
    rows = [[*k, 80.5] for k in keys[:-2]] + [[keys[0][0], keys[0][1], keys[0][2], 81.0],   # a duplicate key
                                               [keys[-1][0], "khong_co", keys[-1][2], 50.0]]  # an unknown indicator
    data = fast_workbook(rows)
    assert len(data) >= formats.EARLY_READ_MIN_BYTES, "the file must be one the importer reads early"
    taken = _taken(monkeypatch)
    early = importer.preview(con, data, "lon.xlsx", "admin")
    assert taken == [["Số liệu"]]
    monkeypatch.setattr(formats, "EARLY_READ_MIN_BYTES", len(data) + 1)
    after = importer.preview(con, data, "lon.xlsx", "admin")
    assert len(taken) == 1   # this one was read after its checks
    assert early.summary() == after.summary()
    assert [(p.row, p.code, p.message) for p in early.problems] == [(p.row, p.code, p.message) for p in after.problems]
    assert {p.code for p in early.errors} == {"duplicate_key", "unknown_indicator"}
    assert early.validation.rows.equals(after.validation.rows) and len(early.validation.rows) == len(rows) - 2


@pytest.mark.parametrize("refusal", ["too_many_rows", "macro"])
def test_a_refused_large_file_stops_its_early_read_and_the_next_file_is_read(con, monkeypatch, refusal):  # noqa: F811
    keys = commune_keys(con, 20_000)
    good = fast_workbook([[*k, 80.5] for k in keys])
    taken = _taken(monkeypatch)
    started = []
    monkeypatch.setattr(importer, "EarlyRead", type("Spied", (reader.EarlyRead,), {
        "__init__": lambda self, data: (started.append(self), reader.EarlyRead.__init__(self, data))[1]}))
    uploads = con.execute("select count(*) from upload").fetchone()[0]
    if refusal == "too_many_rows":   # found by the scan of the sheet, while the worker parses it
        monkeypatch.setattr(safety, "MAX_DATA_ROWS", 5_000)
        bad, says = good, "vượt giới hạn 5.000 dòng"
    else:                            # found in the zip's directory: not read early at all
        bad, says = _with_macro(good), "macro"
    with pytest.raises(UnsafeFile, match=says) as refused:
        importer.preview(con, bad, "tu_choi.xlsx", "admin")
    assert str(refused.value).startswith("Tệp “tu_choi.xlsx” bị từ chối")
    assert len(started) == (1 if refusal == "too_many_rows" else 0)
    assert all(s.cancelled for s in started)
    assert taken == [] and _early_threads() == []   # nothing of it was used, its read is over
    monkeypatch.undo()
    taken = _taken(monkeypatch)
    assert con.execute("select count(*) from upload").fetchone()[0] == uploads
    pv = importer.preview(con, good, "tot.xlsx", "admin")   # the worker serves the next file
    assert not pv.errors and pv.n_new == len(keys) and taken == [["Số liệu"]]


def test_a_small_or_non_xlsx_file_is_read_after_its_checks_only(con, monkeypatch):  # noqa: F811
    taken = _taken(monkeypatch)
    small = fast_workbook([["12", "bhyt_coverage", "2026", 95.5]])
    assert len(small) < formats.EARLY_READ_MIN_BYTES
    assert not importer.preview(con, small, "nho.xlsx", "canbo-lc").errors
    assert taken == []
    assert not formats.read_early(b"x" * formats.EARLY_READ_MIN_BYTES, "a.csv")
    assert not formats.read_early(b"PK\x03\x04" + b"\x00" * formats.EARLY_READ_MIN_BYTES, "hong.xlsx")
