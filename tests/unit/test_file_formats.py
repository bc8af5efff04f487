"""formats.check_file: the format told from the bytes, and each format's own refusals, each with
the file named and the real reason in Vietnamese."""
from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from indicators.excel.formats import check_file, decode_text, detect_delimiter, ods_percent_cells
from indicators.excel.safety import UnsafeFile
from tests.unit.test_xlsx_safety import plain_xlsx, rezip

FIXTURES = Path(__file__).parent.parent / "fixtures" / "formats"
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            f'manifest:media-type="{ODS_MIME}"/><manifest:file-entry manifest:full-path="content.xml" '
            'manifest:media-type="text/xml"/>{extra}</manifest:manifest>')


def refused(data: bytes, name: str = "tep.xlsx") -> str:
    with pytest.raises(UnsafeFile) as exc:
        check_file(data, name)
    message = str(exc.value)
    assert f"“{name}”" in message   # the file is named
    return message


EMPTY_CONTENT = ('<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
                 'xmlns:office:1.0"/>')


def odf(mime: str = ODS_MIME, manifest_extra: str = "", extra: dict | None = None, manifest: bool = True,
        content: str = EMPTY_CONTENT) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", mime, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
        if manifest:
            z.writestr("META-INF/manifest.xml", MANIFEST.replace("{extra}", manifest_extra))
        for name, text in (extra or {}).items():
            z.writestr(name, text)
    return buf.getvalue()


def xls() -> bytes:
    return (FIXTURES / "so_lieu.xls").read_bytes()


def renamed(data: bytes, old: str, new: str) -> bytes:
    """The compound file with one directory entry renamed (its 64-byte name and its length)."""
    field = old.encode("utf-16-le") + b"\x00\x00"
    at = data.index(field)
    assert struct.unpack_from("<H", data, at + 64)[0] == len(field)
    name = new.encode("utf-16-le") + b"\x00\x00"
    return data[:at] + name.ljust(64, b"\x00") + struct.pack("<H", len(name)) + data[at + 66:]


def with_workbook_record(data: bytes, tmp_path: Path, rtype: int) -> bytes:
    """The .xls with its workbook globals' second record turned into `rtype` (same size)."""
    import olefile
    path = tmp_path / "sua.xls"
    path.write_bytes(data)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        size = struct.unpack_from("<H", stream, 2)[0]
        struct.pack_into("<H", stream, 4 + size, rtype)
        ole.write_stream("Workbook", bytes(stream))
    return path.read_bytes()


# --- what the bytes are ------------------------------------------------------------------------
def test_each_format_is_told_from_its_content_whatever_its_name():
    assert check_file(plain_xlsx(), "bao_cao.csv").format == "xlsx"
    assert check_file(xls(), "bao_cao.xlsx").format == "xls"
    assert check_file((FIXTURES / "so_lieu.ods").read_bytes(), "bao_cao.xls").format == "ods"
    assert check_file("Mã địa phương;Giá trị\n12;95,5\n".encode(), "bao_cao.xlsx").format == "csv"


@pytest.mark.parametrize("content, words", [
    (b"<html><body><table><tr><td>12</td></tr></table></body></html>", "trang web (HTML)"),
    (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>', "XML"),
    (b"%PDF-1.7\n1 0 obj", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "không phải bảng tính"),
    ("Tôi gửi báo cáo tháng này qua thư.\n".encode(), "văn bản thường"),
])
def test_what_is_not_a_spreadsheet_is_named(content, words):
    message = refused(content, "xuat_excel.xls")
    assert words in message and ".xlsx" in message   # and what to do about it


def test_an_empty_zip_is_not_a_workbook():
    buf = io.BytesIO()
    zipfile.ZipFile(buf, "w").close()
    assert "không chứa bảng tính" in refused(buf.getvalue())


# --- .ods --------------------------------------------------------------------------------------
def test_an_encrypted_ods_is_refused_as_such():
    data = odf(manifest_extra='<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                              '<manifest:encryption-data manifest:checksum-type="SHA1"/></manifest:file-entry>')
    assert "mã hoá" in refused(data, "bi_mat.ods")


def test_an_ods_with_macros_is_refused_but_an_empty_basic_library_is_not():
    with_module = odf(extra={"Basic/script-lc.xml": "<x/>", "Basic/Standard/script-lb.xml": "<x/>",
                             "Basic/Standard/Module1.xml": "<x/>"})
    assert "macro" in refused(with_module, "macro.ods")
    assert "macro" in refused(odf(extra={"Scripts/python/tinh.py": "import os"}), "py.ods")
    assert check_file(odf(extra={"Basic/script-lc.xml": "<x/>", "Basic/Standard/script-lb.xml": "<x/>"}),
                      "rong.ods").format == "ods"


def test_an_ods_without_its_manifest_or_with_a_dtd_is_refused():
    assert "manifest" in refused(odf(manifest=False), "thieu.ods")
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert "DTD" in refused(odf(extra={"styles.xml": bomb}), "dtd.ods")


def test_ods_percent_cells_are_found_through_repeated_rows_and_cells():
    t = 'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    o = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    pct = '<table:table-cell office:value-type="percentage" office:value="0.9"/>'
    content = (f'<?xml version="1.0"?><office:document-content {o} {t}><office:body><office:spreadsheet>'
               '<table:table table:name="Số liệu"><table:table-row><table:table-cell table:number-columns-repeated="3"/>'
               f'{pct}</table:table-row><table:table-row table:number-rows-repeated="2">'
               '<table:covered-table-cell/>' + pct.replace("/>", ' table:number-columns-repeated="2"/>') +
               '</table:table-row></table:table><table:table table:name="Khác"/></office:spreadsheet></office:body>'
               '</office:document-content>')
    data = odf(content=content)
    cells = {"Số liệu": {(0, 3), (1, 1), (1, 2), (2, 1), (2, 2)}}
    assert ods_percent_cells(data) == cells and check_file(data, "pt.ods").percent_cells == cells
    assert ods_percent_cells(odf()) == {}


def test_another_opendocument_is_named():
    assert "văn bản (Writer)" in refused(odf(mime="application/vnd.oasis.opendocument.text"), "cong_van.ods")


# --- .xls --------------------------------------------------------------------------------------
def test_an_xls_with_macros_is_refused():
    assert "macro" in refused(renamed(xls(), "\x01CompObj", "_VBA_PROJECT_CUR"), "macro.xls")


def test_an_encrypted_xls_is_refused_from_its_stream_or_its_filepass_record(tmp_path):
    assert "mật khẩu" in refused(renamed(xls(), "\x05SummaryInformation", "EncryptionInfo"), "mk.xls")
    assert "mật khẩu" in refused(with_workbook_record(xls(), tmp_path, 0x002F), "filepass.xls")


def test_other_ole_documents_and_broken_ones_are_named():
    assert "tệp Word" in refused(renamed(xls(), "Workbook", "WordDocument"), "thu.xls")
    broken = xls()[:512] + b"\xff" * 100
    assert "bị hỏng" in refused(broken, "hong.xls")


# --- .xlsb -------------------------------------------------------------------------------------
XLSB_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.'
              'macroEnabled.main"/></Types>')


def xlsb(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", XLSB_TYPES)
        for name, raw in parts.items():
            z.writestr(name, raw)
    return buf.getvalue()


def test_an_xlsb_is_told_apart_and_its_macros_refused():
    book = {"xl/workbook.bin": b"\x83\x01\x00"}
    assert check_file(xlsb(book), "nhi_phan.xlsb").format == "xlsb"
    assert "vbaProject.bin" in refused(xlsb({**book, "xl/vbaProject.bin": b"x"}), "m.xlsb")
    assert ".xlsb" in refused(xlsb({}), "thieu.xlsb")


# --- .xlsx that were refused and are readable --------------------------------------------------
def test_a_workbook_typed_by_a_default_content_type_is_read():
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    data = plain_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        types = z.read("[Content_Types].xml").decode()
    types = types.replace('<Override PartName="/xl/workbook.xml" ContentType="' + main + '"/>', "")
    types = types.replace('Extension="xml" ContentType="application/xml"', f'Extension="xml" ContentType="{main}"')
    assert main in types and "/xl/workbook.xml" not in types
    info = check_file(rezip(data, replace={"[Content_Types].xml": types.encode()}), "default.xlsx")
    assert [s.name for s in info.sheets] == [s.name for s in check_file(data, "x.xlsx").sheets]


def backslashed(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename.replace("/", "\\"), src.read(info))
    return out.getvalue()


def test_backslashes_in_zip_paths_are_read_and_checked_like_slashes():
    info = check_file(backslashed(plain_xlsx()), "nhan_su.xlsx")
    assert info.sheets and info.backslashes and all("\\" not in s.part for s in info.sheets)
    macro = rezip(plain_xlsx(), add={"xl/vbaProject.bin": b"x"})
    assert "vbaProject.bin" in refused(backslashed(macro), "macro.xlsx")
    twice = rezip(plain_xlsx(), add={"xl\\workbook.xml": b"<x/>"})
    assert "trùng tên" in refused(twice, "hai.xlsx")


# --- .csv --------------------------------------------------------------------------------------
def test_csv_encodings_are_certain_or_a_told_guess():
    text = "Mã xã;Ghi chú\n03640;Trạm y tế đạt chuẩn\n"
    assert decode_text(text.encode("utf-8")) == (text, "utf-8", False)
    assert decode_text(b"\xef\xbb\xbf" + text.encode()) == (text, "utf-8-sig", False)
    assert decode_text(text.encode("utf-16")) == (text, "utf-16", False)
    western = "Région;Note\nÎle-de-France;été\n"
    assert decode_text(western.encode("cp1252")) == (western, "cp1252", True)
    info = check_file(western.encode("cp1252"), "phap.csv")
    assert "Windows-1252" in info.notes[0] and "đoán" in info.notes[0]


def test_csv_delimiters():
    assert detect_delimiter("a;b;c\n1,5;2;3\n") == ";"
    assert detect_delimiter("a,b,c\n1.5,2,3\n") == ","
    assert detect_delimiter("a\tb\tc\n1,5\t2\t3\n") == "\t"


def test_csv_limits(monkeypatch):
    monkeypatch.setattr("indicators.excel.formats.MAX_DATA_ROWS", 5)
    monkeypatch.setattr("indicators.excel.formats.ROW_SLACK", 0)
    assert "dòng" in refused(b"a;b\n" * 10, "dai.csv")
    monkeypatch.setattr("indicators.excel.formats.MAX_CSV_COLUMNS", 10)
    assert "cột" in refused(b";" * 30 + b"\n", "rong.csv")
