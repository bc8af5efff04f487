"""Every refusal of xlsx_safety.check_xlsx, with the file named and the reason in Vietnamese."""
from __future__ import annotations

import io
import random
import struct
import zipfile

import pytest
from openpyxl import Workbook

from indicators.excel import safety as xlsx_safety
from indicators.excel.safety import UnsafeFile, check_xlsx


def plain_xlsx(rows: int = 3) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    for i in range(rows):
        ws.append(["12", "bhyt_coverage", str(2020 + i), 90 + i])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(data: bytes, add: dict[str, bytes] | None = None, drop: set[str] = frozenset(),
          replace: dict[str, bytes] | None = None) -> bytes:
    """The same package with entries added, dropped or replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def refused(data: bytes, name: str = "bao_cao.xlsx") -> str:
    with pytest.raises(UnsafeFile) as exc:
        check_xlsx(data, name)
    message = str(exc.value)
    assert message.startswith(f"Tệp “{name}” bị từ chối: ")
    return message


def test_a_plain_workbook_passes_and_is_described():
    info = check_xlsx(plain_xlsx(), "bao_cao.xlsx")
    assert [s.name for s in info.sheets] == ["Sheet"]
    assert info.sheets[0].part == "xl/worksheets/sheet1.xml"
    assert info.sheets[0].n_rows == 4 and not info.sheets[0].has_formulas


def test_the_name_does_not_matter_the_content_does():
    assert check_xlsx(plain_xlsx(), "bao_cao.csv").sheets
    assert "không phải tệp Excel .xlsx" in refused("Mã địa phương,Giá trị\n12,95\n".encode(), "bao_cao.xlsx")
    assert "không phải tệp Excel .xlsx" in refused(b"<html><body>xlsx</body></html>")


def test_an_ordinary_zip_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "[Content_Types].xml" in refused(buf.getvalue())


def test_a_word_document_is_named():
    ct = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
          b'officedocument.wordprocessingml.document.main+xml"/></Types>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("word/document.xml", "<w/>")
    assert "tệp Word" in refused(buf.getvalue())


def test_macros_are_refused():
    data = rezip(plain_xlsx(), add={"xl/vbaProject.bin": b"\x00" * 100})
    assert "macro" in refused(data)
    ct = zipfile.ZipFile(io.BytesIO(plain_xlsx())).read("[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    assert ".xlsm" in refused(rezip(plain_xlsx(), replace={"[Content_Types].xml": ct}))


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def test_encrypted_workbook_and_old_xls_each_get_their_own_message():
    encrypted = OLE + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 500
    assert "mật khẩu" in refused(encrypted)
    old_xls = OLE + b"\x00" * 500 + "Workbook".encode("utf-16-le") + b"\x00" * 500
    assert "97–2003 (.xls)" in refused(old_xls, "cu.xls")


def test_size_limit(monkeypatch):
    data = plain_xlsx()
    monkeypatch.setattr(xlsx_safety, "MAX_FILE_BYTES", len(data) - 1)
    assert "vượt giới hạn" in refused(data)
    assert "MB" in refused(b"PK\x03\x04" + b"\x00" * (21 * 1024 * 1024))


def test_too_many_entries(monkeypatch):
    monkeypatch.setattr(xlsx_safety, "MAX_ENTRIES", 10)
    data = rezip(plain_xlsx(), add={f"xl/media/image{i}.png": b"x" for i in range(20)})
    assert "thành phần, vượt giới hạn 10" in refused(data)


def test_a_zip_bomb_is_refused_from_its_directory():
    bomb = b"\x00" * (120 * 1024 * 1024)   # deflates about 1000:1
    data = rezip(plain_xlsx(), replace={"xl/worksheets/sheet1.xml": bomb})
    assert "bom nén" in refused(data)


def test_entry_and_total_size_limits_from_the_directory(monkeypatch):
    monkeypatch.setattr(xlsx_safety, "MAX_ENTRY_BYTES", 1000)
    assert "vượt giới hạn" in refused(rezip(plain_xlsx(), add={"xl/media/a.bin": bytes(range(256)) * 8}))
    monkeypatch.setattr(xlsx_safety, "MAX_ENTRY_BYTES", 256 * 1024 * 1024)
    monkeypatch.setattr(xlsx_safety, "MAX_TOTAL_BYTES", 5000)
    assert "tổng dung lượng" in refused(rezip(plain_xlsx(), add={"xl/media/a.bin": bytes(range(256)) * 40}))


def _lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """Patch the local and central headers of `name` to declare `declared` uncompressed bytes."""
    buf = bytearray(data)
    encoded = name.encode()
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (i := buf.find(sig, start)) >= 0:
            n = struct.unpack_from("<H", buf, i + name_len_at)[0]
            if bytes(buf[i + name_at:i + name_at + n]) == encoded:
                struct.pack_into("<I", buf, i + size_at, declared)
            start = i + 4
    return bytes(buf)


def test_a_lying_header_cannot_make_us_read_more_than_declared():
    """The directory says 2 KB (passes every directory check); the data inflates to 30 MB.

    Reading stops at the declared size and the CRC check fails: refused, memory untouched."""
    big = b"<row>" + b"\x20" * (30 * 1024 * 1024)
    data = rezip(plain_xlsx(), add={"xl/media/blob.xml": big})
    lying = _lie_about_size(data, "xl/media/blob.xml", 2048)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("xl/media/blob.xml").file_size == 2048
    message = refused(lying)
    assert "khai sai kích thước ở thành phần “xl/media/blob.xml”" in message
    # what to do comes before the library's own (English) words, which are labelled as such
    assert message.index("lưu lại") < message.index("(Chi tiết kỹ thuật:")


def test_real_bytes_are_counted_while_reading(monkeypatch):
    """Limits are enforced on what decompression really yields, not only on the directory."""
    data = rezip(plain_xlsx(), add={"xl/media/blob.bin": bytes(range(256)) * 4096})   # 1 MiB
    monkeypatch.setattr(xlsx_safety, "_check_directory", lambda z, f: None)   # as if the directory lied
    monkeypatch.setattr(xlsx_safety, "MAX_ENTRY_BYTES", 100_000)
    assert "giải nén ra nhiều dữ liệu hơn" in refused(data)


def test_a_dtd_is_refused():
    evil = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    data = rezip(plain_xlsx(), replace={"xl/worksheets/sheet1.xml": evil})
    assert "DTD" in refused(data)


def test_a_dtd_behind_a_long_comment_is_refused_too():
    filler = b"<!-- " + random.Random(7).randbytes(xlsx_safety.CHUNK // 2 + 1000).hex().encode() + b" -->"
    evil = (b'<?xml version="1.0"?>' + filler + b'<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
    data = rezip(plain_xlsx(), replace={"xl/worksheets/sheet1.xml": evil})
    assert "DTD" in refused(data)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_excel_never_writes_is_refused(method):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain_xlsx())) as src, zipfile.ZipFile(out, "w", method) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    assert "kiểu nén" in refused(out.getvalue())


def _read(data: bytes):
    from indicators.excel.workbook import read_workbook
    return read_workbook(data, check_xlsx(data, "t.xlsx"))


def test_strict_open_xml_is_read_like_transitional():
    """Excel's "Strict Open XML Spreadsheet" uses other namespaces for the same parts."""
    data = plain_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    strict = {n: (v.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                            b"http://purl.oclc.org/ooxml/spreadsheetml/main")
                  .replace(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                           b"http://purl.oclc.org/ooxml/officeDocument/relationships"))
              for n, v in parts.items() if n.endswith(".xml")}
    data = rezip(data, replace=strict)
    info = check_xlsx(data, "strict.xlsx")
    assert [(s.name, s.part, s.n_rows) for s in info.sheets] == [("Sheet", "xl/worksheets/sheet1.xml", 4)]
    assert _read(data).rows["value"].tolist() == ["90", "91", "92"]


def test_a_relationship_in_other_letter_case_finds_its_part():
    data = plain_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        rels = z.read("xl/_rels/workbook.xml.rels")
    data = rezip(data, replace={"xl/_rels/workbook.xml.rels": rels.replace(b"worksheets/sheet1.xml",
                                                                          b"Worksheets/Sheet1.xml")})
    info = check_xlsx(data, "hoa.xlsx")
    assert info.sheets[0].part == "xl/worksheets/sheet1.xml" and info.sheets[0].n_rows == 4


def test_percent_styles_survive_a_large_or_damaged_style_table():
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã địa phương", "Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị"])
    ws.append(["12", "bhyt_coverage", "2025", 0.958])
    ws["D2"].number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("xl/styles.xml")
    # Thousands of unused named styles (common in real workbooks) push styles.xml past 4 MB.
    bloat = b"".join(b'<cellStyle name="Kieu %d" xfId="0"/>' % i for i in range(120_000))
    big = styles.replace(b"</styleSheet>", b"<extLst><ext uri='x'><x>" + bloat.replace(b"<", b"&lt;")
                         + b"</x></ext></extLst></styleSheet>")
    assert len(big) > 4 * 1024 * 1024
    assert check_xlsx(rezip(data, replace={"xl/styles.xml": big}), "to.xlsx").percent_styles
    damaged = styles.replace(b'numFmtId="0"', b'numFmtId="abc"', 1)
    assert check_xlsx(rezip(data, replace={"xl/styles.xml": damaged}), "hong.xlsx").percent_styles


def test_a_shared_string_table_declaring_billions_of_strings_is_refused():
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sst = b'<?xml version="1.0"?><sst ' + ns + b' count="2000000000" uniqueCount="2000000000"><si><t>a</t></si></sst>'
    data = rezip(plain_xlsx(), add={"xl/sharedStrings.xml": sst})
    assert "2.000.000.000 chuỗi" in refused(data)
    honest = sst.replace(b'uniqueCount="2000000000"', b'uniqueCount="1"')   # count: cells using it
    assert check_xlsx(rezip(plain_xlsx(), add={"xl/sharedStrings.xml": honest}), "ok.xlsx").sheets


def test_a_broken_zip():
    data = plain_xlsx()
    assert "hỏng" in refused(data[: len(data) // 2])


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(xlsx_safety, "MAX_DATA_ROWS", 5)
    monkeypatch.setattr(xlsx_safety, "ROW_SLACK", 1)
    assert "dòng số liệu" in refused(plain_xlsx(rows=10))
    assert check_xlsx(plain_xlsx(rows=4), "ok.xlsx")


def test_more_data_rows_than_allowed_after_reading(monkeypatch):
    """Formatted blank rows pass the cheap count; the exact count after reading still applies."""
    from indicators.excel import workbook as excel_in
    monkeypatch.setattr(excel_in, "MAX_DATA_ROWS", 3)
    data = plain_xlsx(rows=5)
    with pytest.raises(UnsafeFile, match="hơn 3 dòng số liệu"):
        excel_in.read_workbook(data, check_xlsx(data, "x.xlsx"))
