"""Which spreadsheet an upload is, told from its bytes, and the checks each format gets before a
parser sees it.

`check_file(data, file_name)` returns an XlsxInfo whose `format` is 'xlsx', 'xlsb', 'ods', 'xls'
or 'csv', or raises UnsafeFile (a Vietnamese sentence naming the file and the real reason). The
extension does not matter, the content does:

- a zip is an .ods when its `mimetype` entry says so, an .xlsb when its content types declare
  the binary workbook part, and otherwise checked as an .xlsx (safety.check_xlsx). Every zip
  gets the directory limits of safety (entries, sizes, ratio, encrypted entries, vbaProject.bin)
  and is decompressed in bounded chunks, refusing any DTD. An .ods must have its manifest; one
  whose manifest declares encryption, or that holds Basic or script macros, is refused.
- an OLE2 compound file is an .xls when it has a Workbook (or Book) stream, read with olefile:
  refused when it is encrypted (an EncryptionInfo stream, or a FILEPASS record in the workbook
  globals), holds a VBA storage (macros), is malformed, or is another Office document.
- anything else must be text: a .csv in UTF-8 (with or without BOM), UTF-16 with BOM, or else
  Windows-1258 or Windows-1252, guessed by which one yields Vietnamese letters; the guess and
  the delimiter (comma, semicolon, tab) are told to the officer in `info.notes`. Its rows
  become the one sheet's table here (every cell as text, as the reader gives it), bounded by
  the same row limit, and no worker is needed. HTML or XML named .xls (a common "export to
  Excel") is refused with its own message.

The .xls, .xlsb and .ods formats are then read by the same worker as .xlsx (excel/reader.py).
"""
from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import struct
import unicodedata
import zipfile
import zlib

import pyarrow as pa

from indicators.excel import safety
from indicators.excel.reader import SheetTable
from indicators.excel.safety import MAX_DATA_ROWS, ROW_SLACK, SheetPart, UnsafeFile, XlsxInfo, _refuse
from indicators.text import fmt

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SUPPORTED = ".xlsx, .xls, .ods, .xlsb hoặc .csv"
ODS_TYPES = ("application/vnd.oasis.opendocument.spreadsheet",
             "application/vnd.oasis.opendocument.spreadsheet-template")
ODF_OTHER = {"text": "văn bản (Writer)", "presentation": "trình chiếu (Impress)", "graphics": "hình vẽ (Draw)"}
XLSB_TYPE = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"   # every .xlsb, macros or not
MAX_CSV_COLUMNS = 16_384          # Excel's own limit; a line of a million commas is not a table
_BASIC_LIBRARY_FILES = {"script-lc.xml", "script-lb.xml", "dialog-lc.xml", "dialog-lb.xml"}
_SAVE_AS = "Hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại dưới dạng “Sổ làm việc Excel (.xlsx)” rồi tải lên lại."


def check_file(data: bytes, file_name: str) -> XlsxInfo:
    """Refuse anything but a supported, plain spreadsheet within the limits (see module doc)."""
    safety.check_size(len(data), file_name)
    if not data:
        raise _refuse(file_name, "tệp rỗng.")
    if data[:8] == OLE_MAGIC:
        return check_xls(data, file_name)
    if data[:4] == ZIP_MAGIC:
        kind = _zip_kind(data, file_name)
        if kind == "ods":
            return check_ods(data, file_name)
        if kind == "xlsb":
            return check_xlsb(data, file_name)
        info = safety.check_xlsx(data, file_name)
        info.format = "xlsx"
        return info
    if data[:4] in (b"PK\x05\x06", b"PK\x07\x08"):
        raise _refuse(file_name, "tệp nén rỗng hoặc không trọn vẹn, không chứa bảng tính nào.")
    return check_csv(data, file_name)


# Below this an .xlsx is read after its checks, not beside them (reader.EarlyRead): too little to gain.
EARLY_READ_MIN_BYTES = 256 * 1024


def read_early(data: bytes, file_name: str) -> bool:
    """Whether the file is an .xlsx worth reading while check_file checks it: within the size
    limit and, by its zip's own type entries, neither an OpenDocument file nor an .xlsb.
    Refuses nothing (check_file does, with its message)."""
    if len(data) < EARLY_READ_MIN_BYTES or data[:4] != ZIP_MAGIC:
        return False
    try:
        safety.check_size(len(data), file_name)
        return _zip_kind(data, file_name) == "xlsx"
    except Exception:   # noqa: BLE001 — a refusal or a broken zip: check_file says why
        return False


# --- zip formats -----------------------------------------------------------------------------
def _open_zip(data: bytes, file_name: str) -> zipfile.ZipFile:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError) as exc:
        raise _refuse(file_name, f"tệp nén bị hỏng, không mở được. {safety.DAMAGED_ADVICE} "
                                 f"(Chi tiết kỹ thuật: {exc})") from None
    safety._check_directory(z, file_name)
    return z


def _small_entry(z: zipfile.ZipFile, name: str, file_name: str, limit: int = 4 * 1024 * 1024) -> bytes | None:
    """One small entry (by its name with "/" separators), or None when absent or too large."""
    info = next((i for i in z.infolist() if i.filename.replace("\\", "/") == name), None)
    if info is None or info.file_size > limit:
        return None
    raw, _ = safety._stream_entry(z, info, file_name, [safety.MAX_TOTAL_BYTES], True, False)
    return raw


def _zip_kind(data: bytes, file_name: str) -> str:
    """'ods', 'xlsb' or 'xlsx' (everything else: safety.check_xlsx says what it is not)."""
    with _open_zip(data, file_name) as z:
        mimetype = _small_entry(z, "mimetype", file_name, 4096)
        if mimetype is not None:
            kind = mimetype.strip().decode("ascii", "replace")
            if kind in ODS_TYPES:
                return "ods"
            m = re.fullmatch(r"application/vnd\.oasis\.opendocument\.(\w+)(?:-template)?", kind)
            if m:
                what = ODF_OTHER.get(m.group(1), m.group(1))
                raise _refuse(file_name, f"đây là tệp {what} OpenDocument, không phải bảng tính.")
        types = _small_entry(z, "[Content_Types].xml", file_name)
        if types is not None and XLSB_TYPE.encode() in types:
            return "xlsb"
    return "xlsx"


def _stream_all(z: zipfile.ZipFile, file_name: str, keep: set[str]) -> dict[str, bytes]:
    """Every entry decompressed in bounded chunks (sizes, ratio, DTD: safety._stream_entry); the
    contents of those named in `keep`."""
    budget = [safety.MAX_TOTAL_BYTES]
    kept = {}
    for info in z.infolist():
        name = info.filename.replace("\\", "/")
        raw, _ = safety._stream_entry(z, info, file_name, budget, name in keep and info.file_size <= 4 << 20, False)
        if raw is not None:
            kept[name] = raw
    return kept


def check_ods(data: bytes, file_name: str) -> XlsxInfo:
    """An OpenDocument spreadsheet: manifest present, not encrypted, no macros, within limits."""
    with _open_zip(data, file_name) as z:
        names = [i.filename.replace("\\", "/") for i in z.infolist()]
        kept = _stream_all(z, file_name, {"META-INF/manifest.xml"})
    manifest = kept.get("META-INF/manifest.xml")
    if manifest is None:
        raise _refuse(file_name, "tệp .ods thiếu bảng kê thành phần (META-INF/manifest.xml) – tệp bị hỏng "
                                 "hoặc không phải bảng tính LibreOffice thật. " + _SAVE_AS)
    root = safety._xml(manifest, file_name, "META-INF/manifest.xml")
    if any(el.tag.endswith("}encryption-data") for el in root.iter()):
        raise _refuse(file_name, "tệp được mã hoá (đặt mật khẩu). Hãy mở tệp bằng LibreOffice, bỏ mật khẩu "
                                 "(Tệp › Thuộc tính › Bảo mật) rồi lưu và tải lên lại.")
    macros = [n for n in names if (n.startswith("Basic/") and posixpath.basename(n) not in _BASIC_LIBRARY_FILES
                                   and not n.endswith("/"))
              or (n.startswith("Scripts/") and not n.endswith("/"))]
    if macros:
        raise _refuse(file_name, f"tệp chứa macro ({macros[0]}). Hãy xoá macro hoặc lưu lại dưới dạng "
                                 "“Sổ làm việc Excel (.xlsx)” không có macro rồi tải lên lại.")
    if "content.xml" not in names:
        raise _refuse(file_name, "tệp .ods thiếu phần nội dung (content.xml). " + _SAVE_AS)
    info = XlsxInfo(file_name=file_name, size_bytes=len(data), format="ods")
    info.percent_cells = ods_percent_cells(data)
    return info


_ODF_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODF_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_PERCENT = b'value-type="percentage"'
MAX_REPEAT = 10_000   # a repeated row or cell beyond this is formatting to the sheet's end, not figures


def ods_percent_cells(data: bytes) -> dict[str, set[tuple[int, int]]]:
    """Sheet -> (row, column), 0-based, of the cells formatted as a percentage: the reader gives
    their value (0.95 for 95%), as for an .xlsx's % cells. Empty without any such cell (the
    usual case: then content.xml is only searched, not parsed)."""
    from defusedxml.ElementTree import iterparse
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        entry = next(i for i in z.infolist() if i.filename.replace("\\", "/") == "content.xml")
        with z.open(entry) as f:
            tail, found = b"", False
            while chunk := f.read(4 << 20):
                if _PERCENT in tail + chunk:
                    found = True
                    break
                tail = chunk[-32:]
        if not found:
            return {}
        out: dict[str, set[tuple[int, int]]] = {}
        sheet, row, col, percent = None, 0, 0, []
        with z.open(entry) as f:
            for event, el in iterparse(f, events=("start", "end")):
                tag = el.tag.rsplit("}", 1)[-1]
                if event == "start":
                    if tag == "table" and el.tag.startswith(_ODF_TABLE):
                        sheet, row = el.get(_ODF_TABLE + "name", ""), 0
                        out.setdefault(sheet, set())
                    elif tag == "table-row":
                        col, percent = 0, []
                    continue
                if tag in ("table-cell", "covered-table-cell"):
                    n = min(int(el.get(_ODF_TABLE + "number-columns-repeated") or 1), MAX_REPEAT)
                    if el.get(_ODF_OFFICE + "value-type") == "percentage":
                        percent += range(col, col + n)
                    col += n
                    el.clear()
                elif tag == "table-row":
                    n = min(int(el.get(_ODF_TABLE + "number-rows-repeated") or 1), MAX_REPEAT)
                    if sheet is not None and percent:
                        out[sheet].update((r, c) for r in range(row, row + n) for c in percent)
                    row += n
                    el.clear()
    return {name: cells for name, cells in out.items() if cells}


def check_xlsb(data: bytes, file_name: str) -> XlsxInfo:
    """An Excel binary workbook: the zip limits (vbaProject.bin, the macros, is refused there)."""
    with _open_zip(data, file_name) as z:
        names = {i.filename.replace("\\", "/").lower() for i in z.infolist()}
        _stream_all(z, file_name, set())
    if not any(n.endswith("workbook.bin") for n in names):
        raise _refuse(file_name, "tệp .xlsb thiếu phần sổ làm việc (xl/workbook.bin). " + _SAVE_AS)
    return XlsxInfo(file_name=file_name, size_bytes=len(data), format="xlsb")


# --- OLE2: .xls ------------------------------------------------------------------------------
_FILEPASS, _EOF, _BOF = 0x002F, 0x000A, 0x0809
_VBA_STORAGES = {"_vba_project_cur", "vba", "_vba_project", "macros"}
_OTHER_OLE = {"worddocument": "Word", "powerpoint document": "PowerPoint", "visiodocument": "Visio"}


def _filepass(stream: bytes) -> bool:
    """Whether the workbook globals (the records before the first EOF) hold a FILEPASS record:
    the .xls is encrypted ("Password to open")."""
    pos = 0
    while pos + 4 <= len(stream):
        rtype, size = struct.unpack_from("<HH", stream, pos)
        if rtype == _FILEPASS:
            return True
        if rtype == _EOF:
            return False
        pos += 4 + size
    return False


def check_xls(data: bytes, file_name: str) -> XlsxInfo:
    """An OLE2 compound file: an Excel 97–2003 workbook, unencrypted and without macros."""
    import olefile
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:   # noqa: BLE001 — olefile raises many kinds for a damaged directory
        raise _refuse(file_name, f"cấu trúc tệp Excel 97–2003 bị hỏng ({type(exc).__name__}). " + _SAVE_AS) from None
    with ole:
        try:
            entries = [[part.lower() for part in path] for path in ole.listdir(streams=True, storages=True)]
            tops = {path[0] for path in entries}
            if tops & {"encryptioninfo", "encryptedpackage"}:
                raise _refuse(file_name, "tệp được bảo vệ bằng mật khẩu (mã hóa). Hãy mở tệp trong Excel, bỏ mật "
                                         "khẩu (Tệp › Thông tin › Bảo vệ sổ làm việc) rồi tải lên lại.")
            book = "workbook" if "workbook" in tops else "book" if "book" in tops else None
            if book is None:
                other = next((name for key, name in _OTHER_OLE.items() if key in tops), None)
                raise _refuse(file_name, f"đây là tệp {other}, không phải bảng tính." if other else
                              "tệp Office cũ này không chứa sổ làm việc Excel. " + _SAVE_AS)
            if any(part in _VBA_STORAGES for path in entries for part in path):
                raise _refuse(file_name, "tệp chứa macro (VBA). Hãy lưu lại dưới dạng “Sổ làm việc Excel (.xlsx)” "
                                         "không có macro rồi tải lên lại.")
            if ole.get_size(book) > safety.MAX_ENTRY_BYTES:
                raise _refuse(file_name, "phần sổ làm việc của tệp lớn bất thường.")
            stream = ole.openstream(book).read()
        except UnsafeFile:
            raise
        except Exception as exc:   # noqa: BLE001 — a directory that lies about its streams
            raise _refuse(file_name, f"cấu trúc tệp Excel 97–2003 bị hỏng ({type(exc).__name__}). "
                          + _SAVE_AS) from None
    if stream[:2] == struct.pack("<H", _BOF) and _filepass(stream):
        raise _refuse(file_name, "tệp được bảo vệ bằng mật khẩu (mã hóa). Hãy mở tệp trong Excel, bỏ mật khẩu "
                                 "(Tệp › Thông tin › Bảo vệ sổ làm việc) rồi tải lên lại.")
    return XlsxInfo(file_name=file_name, size_bytes=len(data), format="xls")


# --- text: .csv ------------------------------------------------------------------------------
_TONES = "\u0300\u0301\u0309\u0303\u0323"
VIETNAMESE_LETTERS = frozenset(
    "ăâđêôơưĂÂĐÊÔƠƯ"
    + "".join(unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY" for tone in _TONES))
_ONLY_VIETNAMESE = VIETNAMESE_LETTERS - set(bytes(range(0xC0, 0x100)).decode("cp1252"))
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (có BOM)", "utf-16": "UTF-16",
                  "cp1258": "Windows-1258 (tiếng Việt)", "cp1252": "Windows-1252 (Tây Âu)"}


def _controls(text: str) -> int:
    return sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\ufffd" or 0x7F <= ord(ch) < 0xA0)


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """(text, encoding, guessed): UTF-8 (BOM or not) and UTF-16 with BOM are certain; otherwise
    Windows-1258 when it yields letters only Vietnamese has (ơ, ư, ă, đ, ạ, ả…) and more of them
    than tone marks left over on letters that take none, with no more control characters than
    Windows-1252 gives; else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace"), "utf-8-sig", False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), "utf-16", False
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    vietnamese = unicodedata.normalize("NFC", data.decode("cp1258", "replace"))
    western = data.decode("cp1252", "replace")
    letters = sum(1 for ch in vietnamese if ch in _ONLY_VIETNAMESE)
    stray = sum(1 for ch in vietnamese if unicodedata.combining(ch))
    if letters > stray and _controls(vietnamese) <= _controls(western):
        return vietnamese, "cp1258", True
    return western, "cp1252", True


DELIMITERS = {";": "dấu chấm phẩy (;)", ",": "dấu phẩy (,)", "\t": "dấu tab"}


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most equal, widest rows (semicolon
    first on a tie: what Excel writes where the decimal mark is a comma, as in Vietnam)."""
    lines = [line for line in text[:64 * 1024].splitlines()[:50] if line.strip()]
    best, best_score = ";", (-1, 0)
    for delim in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (counts.count(mode) if mode > 1 else 0, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _looks_like_markup(text: str) -> str | None:
    head = text[:2048].lstrip("\ufeff \t\r\n").lower()
    if head.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")) or \
            (head.startswith("<") and "<html" in head):
        return "trang web (HTML)"
    if head.startswith("<?xml") or head.startswith("<"):
        return "tệp XML"
    if head.startswith("{\\rtf"):
        return "văn bản RTF"
    if head.startswith("%pdf"):
        return "tệp PDF"
    return None


def check_csv(data: bytes, file_name: str) -> XlsxInfo:
    """Text that reads as a table: decoded (notes say how), split, bounded; see module doc."""
    if data[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08") and data[3:4] == b"\x00":
        raise _refuse(file_name, "đây là tệp Excel đời rất cũ (Excel 2.x–5.0, trước Excel 97), không còn được hỗ "
                                 "trợ. " + _SAVE_AS)
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse(file_name, f"nội dung không phải bảng tính được hỗ trợ ({SUPPORTED}), dù tên tệp là gì. "
                                 "Hãy dùng tệp mẫu tải về từ hệ thống, điền số liệu và lưu dạng .xlsx.")
    text, encoding, guessed = decode_text(data)
    markup = _looks_like_markup(text)
    if markup:
        raise _refuse(file_name, f"nội dung là {markup} chứ không phải bảng tính thật (nhiều phần mềm “xuất ra "
                                 f"Excel” theo cách này). {_SAVE_AS}")
    if _controls(text[:65536]) > max(8, len(text[:65536]) // 100):
        raise _refuse(file_name, f"nội dung không phải bảng tính được hỗ trợ ({SUPPORTED}) mà là dữ liệu nhị "
                                 "phân khác. Hãy dùng tệp mẫu tải về từ hệ thống, điền số liệu và lưu dạng .xlsx.")
    delimiter = detect_delimiter(text)
    rows: list[list[str]] = []
    width = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            width = max(width, len(row))
            if len(rows) > MAX_DATA_ROWS + ROW_SLACK:
                raise _refuse(file_name, f"tệp có hơn {fmt.number(MAX_DATA_ROWS, 0)} dòng số liệu. "
                                         "Hãy chia thành nhiều tệp.")
            if width > MAX_CSV_COLUMNS:
                raise _refuse(file_name, f"một dòng của tệp có hơn {fmt.number(MAX_CSV_COLUMNS, 0)} cột – "
                                         "không phải bảng số liệu.")
    except csv.Error as exc:
        raise _refuse(file_name, f"tệp CSV không đọc được ở dòng {len(rows) + 1} ({exc}). {_SAVE_AS}") from None
    if width < 2:
        raise _refuse(file_name, f"nội dung là văn bản thường, không phải bảng tính được hỗ trợ ({SUPPORTED}): không "
                                 "có cột nào (không có dấu phẩy, chấm phẩy hay tab phân cách các ô). " + _SAVE_AS)
    columns = [pa.array([(r[j] if j < len(r) and r[j] != "" else None) for r in rows], pa.string())
               for j in range(width)]
    name = posixpath.splitext(re.split(r"[\\/]", file_name)[-1])[0] or "CSV"
    table = pa.RecordBatch.from_arrays(columns, names=[f"column_{j}" for j in range(width)])
    info = XlsxInfo(file_name=file_name, size_bytes=len(data), format="csv",
                    sheets=[SheetPart(name=name, part="")])
    info.preread = [SheetTable(name, table, list(range(width)))]
    shown = ENCODING_NAMES[encoding]
    info.notes.append(f"Đọc tệp CSV “{file_name}” theo bảng mã {shown}"
                      + (" (đoán, vì tệp không phải UTF-8: nếu chữ có dấu hiện sai, hãy lưu lại từ Excel dạng "
                         "“CSV UTF-8”)" if guessed else "")
                      + f", cột phân cách bằng {DELIMITERS[delimiter]}.")
    return info
