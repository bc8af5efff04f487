"""Checks an uploaded file before any parser sees it: a real, plain .xlsx within size limits.

`check_xlsx(data, file_name)` either raises UnsafeFile (a Vietnamese sentence naming the file
and the reason) or returns an XlsxInfo describing the workbook's parts (sheet names, their
XML parts, which sheets contain formulas, which cell styles are percentages or dates), read with
defusedxml. The limits are checked twice: from the zip directory, and again while every entry
is decompressed in bounded chunks, so a zip whose headers lie about sizes cannot exhaust
memory (Python's zipfile never returns more than the declared size and fails the CRC check
when the real data is longer).

Entry names written with backslashes ("xl\\workbook.xml", as some exporters do) are read as
"/" (`normalised_zip` gives the reader the same), and a workbook part typed by a `<Default>`
content type is found through the package's officeDocument relationship. The other formats
(.xls, .xlsb, .ods, .csv) and the choice among them are formats.check_file's, which uses the
directory and streaming checks here for every zip.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET

from indicators.excel.cells import BUILTIN_DATE_FORMATS, number_format_kind
from indicators.text import fmt

MAX_FILE_BYTES = 20 * 1024 * 1024          # the upload itself
MAX_ENTRIES = 2_000                        # a workbook has tens of parts; thousands is an attack
MAX_ENTRY_BYTES = 256 * 1024 * 1024        # one part, uncompressed (a 200,000-row sheet is ~100 MB)
MAX_TOTAL_BYTES = 512 * 1024 * 1024        # all parts, uncompressed
MAX_RATIO = 100                            # uncompressed:compressed; real sheets are ~10-20:1
RATIO_FLOOR_BYTES = 1024 * 1024            # small parts may compress better; they cannot hurt
MAX_DATA_ROWS = 200_000
ROW_SLACK = 1_000                          # title, header and formatted blank rows per file
CHUNK = 4 * 1024 * 1024
MAX_MERGED = 1_000
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]{1,3}\d+:[A-Z]{1,3}\d+)"')

MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
MACRO_TYPES = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}
OTHER_OFFICE = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "Word",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "PowerPoint",
}
# Transitional OOXML (what Excel saves by default) and Strict OOXML ("Strict Open XML Spreadsheet").
_NS_MAINS = ("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}",
             "{http://purl.oclc.org/ooxml/spreadsheetml/main}")
_NS_RELS = ("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}",
            "{http://purl.oclc.org/ooxml/officeDocument/relationships}")
MAX_STYLES_BYTES = 64 * 1024 * 1024      # bloated style tables are common in real workbooks
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_BUILTIN_PERCENT_FORMATS = {9, 10}        # "0%" and "0.00%"


class UnsafeFile(ValueError):
    """The file was refused before parsing; the message is for the person who uploaded it."""


@dataclass
class SheetPart:
    name: str
    part: str                  # zip entry, e.g. 'xl/worksheets/sheet1.xml'
    state: str = "visible"     # visible | hidden | veryHidden
    has_formulas: bool = False
    has_errors: bool = False   # cells holding an Excel error (#DIV/0!, #N/A …): t="e"
    merged: list[str] = field(default_factory=list)   # merged ranges ("D2:D4"), the first MAX_MERGED
    n_rows: int = 0            # <row> elements in the XML (an upper bound on data rows)


@dataclass
class XlsxInfo:
    file_name: str
    size_bytes: int
    sheets: list[SheetPart] = field(default_factory=list)
    percent_styles: set[int] = field(default_factory=set)   # cellXfs indices shown as %
    # cellXfs index -> how its number format shows a date: 'year' | 'month' | 'date' | 'time'
    # (cells.number_format_kind); indices of other formats are absent
    date_styles: dict[int, str] = field(default_factory=dict)
    # Set by formats.check_file for every format: 'xlsx' | 'xlsb' | 'ods' | 'xls' | 'csv'
    format: str = "xlsx"
    notes: list[str] = field(default_factory=list)   # how the file was read, told to the officer
    preread: list | None = None     # a .csv's one table (reader.SheetTable), read with the checks
    backslashes: bool = False       # zip entry names written with "\\": read as "/" (normalised_zip)
    percent_cells: dict[str, set[tuple[int, int]]] | None = None   # .ods: sheet -> (row, col), 0-based

    def sheet(self, name: str) -> SheetPart | None:
        return next((s for s in self.sheets if s.name == name), None)


# What to do with a damaged zip (the library's own words follow as technical detail).
DAMAGED_ADVICE = ("Tệp có thể bị hỏng khi tải về hoặc sao chép: hãy mở lại tệp gốc bằng Excel, lưu lại (Tệp › Lưu thành › Sổ làm việc Excel (.xlsx)) rồi tải lên lại.")


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def _refuse(file_name: str, reason: str) -> UnsafeFile:
    return UnsafeFile(f"Tệp “{file_name}” bị từ chối: {reason}")


def _check_signature(data: bytes, file_name: str) -> None:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # An OLE compound file: either an encrypted OOXML package or a pre-2007 .xls.
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise _refuse(file_name, "tệp được bảo vệ bằng mật khẩu (mã hóa). Hãy mở tệp trong Excel, "
                                     "bỏ mật khẩu (Tệp › Thông tin › Bảo vệ sổ làm việc) rồi tải lên lại.")
        raise _refuse(file_name, "đây là tệp Excel 97–2003 (.xls) cũ. Hãy mở bằng Excel và lưu lại "
                                 "dưới dạng “Sổ làm việc Excel (.xlsx)” rồi tải lên lại.")
    if data[:4] != b"PK\x03\x04":
        raise _refuse(file_name, "nội dung không phải tệp Excel .xlsx (dù tên tệp là gì). Hãy dùng "
                                 "tệp mẫu tải về từ hệ thống, điền số liệu và lưu dạng .xlsx.")


def _check_directory(z: zipfile.ZipFile, file_name: str) -> None:
    infos = z.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _refuse(file_name, f"tệp nén chứa {len(infos)} thành phần, vượt giới hạn {MAX_ENTRIES}.")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(file_name, "tệp có thành phần được mã hóa.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # Excel and LibreOffice write deflate; the reader understands nothing else.
            raise _refuse(file_name, f"thành phần “{info.filename}” dùng kiểu nén không phải của tệp Excel. "
                                     "Hãy mở tệp bằng Excel và lưu lại dưới dạng .xlsx rồi tải lên lại.")
        if posixpath.basename(info.filename.replace("\\", "/")).lower() == "vbaproject.bin":
            raise _refuse(file_name, "tệp chứa macro (vbaProject.bin). Hãy lưu lại dưới dạng "
                                     "“Sổ làm việc Excel (.xlsx)” không có macro rồi tải lên lại.")
        if info.file_size > MAX_ENTRY_BYTES:
            raise _refuse(file_name, f"thành phần “{info.filename}” khi giải nén lớn {_mib(info.file_size)}, "
                                     f"vượt giới hạn {_mib(MAX_ENTRY_BYTES)}.")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(file_name, f"thành phần “{info.filename}” có tỷ lệ nén bất thường "
                                     f"(hơn {MAX_RATIO}:1) – dấu hiệu của “bom nén”.")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise _refuse(file_name, f"tổng dung lượng giải nén {_mib(total)} vượt giới hạn {_mib(MAX_TOTAL_BYTES)}.")


def _count(pattern: bytes, chunk: bytes, tail: bytes, seam: bytes) -> int:
    """Occurrences in `chunk`, plus those spanning the seam with the previous chunk's `tail`."""
    head = seam[len(tail):]
    return chunk.count(pattern) + seam.count(pattern) - tail.count(pattern) - head.count(pattern)


# uniqueCount only: count is how many cells use the table, which may be far more than its strings.
_COUNT_ATTR = re.compile(rb'\buniqueCount="(\d+)"')


def _check_string_count(head: bytes, info: zipfile.ZipInfo, file_name: str) -> None:
    """The shared-string table's declared size, from its opening tag: the reader reserves room
    for that many strings up front, so a tiny file declaring two billion of them is a memory bomb.
    Every string takes at least 5 bytes (<si/>), which bounds an honest count by the part's size."""
    start = head.find(b"<sst")
    opening = head[start:head.find(b">", start) + 1] if start >= 0 else b""
    limit = max(1024, info.file_size // 5)
    for m in _COUNT_ATTR.finditer(opening):
        if int(m.group(1)) > limit:
            raise _refuse(file_name, f"bảng chuỗi của tệp ({info.filename}) khai báo {fmt.number(int(m.group(1)), 0)} "
                                     "chuỗi, nhiều hơn những gì nó có thể chứa – tệp bị sửa đổi bất thường.")


def _stream_entry(z: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str, budget: list[int],
                  keep: bool, is_sheet: bool) -> tuple[bytes | None, dict[str, int]]:
    """Decompress one entry in bounded chunks, enforcing the limits on the real bytes.

    Returns its content when `keep`, and for a worksheet how many `<row` tags it has and
    whether it has formulas (counted across chunk boundaries). A DTD is refused: OOXML never
    uses one, and entity declarations are how XML bombs and external-entity attacks work (the
    parts we parse ourselves go through defusedxml as well).
    """
    kept = [] if keep else None
    stats = {"rows": 0, "formulas": 0, "errors": 0, "merged": []}
    tail = back = b""
    seen = 0
    is_xml = info.filename.endswith((".xml", ".rels"))
    try:
        with z.open(info) as f:
            while chunk := f.read(CHUNK):
                seen += len(chunk)
                budget[0] -= len(chunk)
                if seen > MAX_ENTRY_BYTES or budget[0] < 0 or (
                        seen > RATIO_FLOOR_BYTES and seen > MAX_RATIO * max(info.compress_size, 1)):
                    raise _refuse(file_name, f"thành phần “{info.filename}” giải nén ra nhiều dữ liệu hơn "
                                             "giới hạn cho phép (dấu hiệu của “bom nén”).")
                # Patterns are searched in the chunk and in the 16 bytes around its start, so one
                # split across two chunks is found too (without copying whole chunks).
                seam = tail + chunk[:8]
                # OOXML never has a DTD. Searched in every chunk (and across the seam): a long comment
                # can push a prolog's DOCTYPE past the first one. Markup like this cannot occur in
                # cell text, where "<" is always escaped.
                # ("!" first: a one-byte search is memchr-fast, "<!" is slow in XML full of "<".)
                if is_xml and (b"!" in chunk or b"!" in tail) and any(
                        p in chunk or p in tail + chunk[:16] for p in (b"<!DOCTYPE", b"<!ENTITY")):
                    raise _refuse(file_name, f"thành phần “{info.filename}” chứa khai báo DTD/ENTITY, "
                                             "điều tệp Excel thật không có.")
                if seen == len(chunk) and info.filename.lower().endswith("sharedstrings.xml"):
                    _check_string_count(chunk, info, file_name)
                if is_sheet:
                    stats["rows"] += _count(b"<row", chunk, tail, seam)
                    if b"<f" in chunk or b"<f" in seam:   # rare: only then tell <f> from <formula1>…
                        stats["formulas"] += sum(_count(p, chunk, tail, seam) for p in (b"<f>", b"<f "))
                    # An error cell holds "#…" within a formula's length of its t="e": look for the
                    # attribute only where a "#" is (memchr-fast), from the end of the last chunk on.
                    if not stats["errors"] and b"#" in chunk:
                        stats["errors"] = int(b't="e"' in back + chunk)
                    # <mergeCells> follows the cell data: only the part's last chunks can hold it.
                    if info.file_size - seen < 2 * CHUNK and b"mergeCell " in back + chunk \
                            and len(stats["merged"]) < MAX_MERGED:
                        stats["merged"] += [m.decode() for m in _MERGE_REF.findall(back + chunk)
                                            ][: MAX_MERGED - len(stats["merged"])]
                    back = chunk[-16384:]
                tail = chunk[-8:]
                if kept is not None:
                    kept.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _refuse(file_name, f"tệp nén bị hỏng hoặc khai sai kích thước ở thành phần “{info.filename}”. "
                                 f"{DAMAGED_ADVICE} (Chi tiết kỹ thuật: {exc})") from None
    except NotImplementedError:
        raise _refuse(file_name, f"thành phần “{info.filename}” dùng kiểu nén không hỗ trợ.") from None
    return (b"".join(kept) if kept is not None else None), stats


def _xml(raw: bytes | None, file_name: str, part: str):
    if raw is None:
        raise _refuse(file_name, f"thiếu thành phần bắt buộc “{part}” của tệp .xlsx.")
    try:
        return SafeET.fromstring(raw)
    except Exception as exc:  # defusedxml raises its own errors for forbidden constructs
        raise _refuse(file_name, f"thành phần “{part}” không đọc được ({type(exc).__name__}).") from None


def _office_document(raw: bytes | None) -> str | None:
    """The target of the package's officeDocument relationship (_rels/.rels), as a part name."""
    try:
        root_rels = SafeET.fromstring(raw) if raw else None
    except Exception:   # noqa: BLE001 — a damaged _rels/.rels: the workbook part stays unknown
        return None
    for rel in () if root_rels is None else root_rels.iter(f"{_NS_PKG_REL}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return posixpath.normpath(rel.get("Target", "").lstrip("/")).lstrip("/")
    return None


def _main_part(types_root, file_name: str, office_document: str | None = None) -> str:
    main = None
    for el in types_root.iter(f"{_NS_CT}Override"):
        ctype = el.get("ContentType", "")
        if ctype in MACRO_TYPES:
            raise _refuse(file_name, "tệp là sổ làm việc có macro (.xlsm). Hãy lưu lại dưới dạng "
                                     "“Sổ làm việc Excel (.xlsx)” rồi tải lên lại.")
        if ctype in OTHER_OFFICE:
            raise _refuse(file_name, f"đây là tệp {OTHER_OFFICE[ctype]}, không phải bảng tính Excel.")
        if ctype in MAIN_TYPES:
            main = el.get("PartName", "").lstrip("/")
    if not main and office_document:
        # The workbook part typed by a <Default Extension="xml" …> entry, not an <Override>: the
        # package's officeDocument relationship names the part.
        ext = posixpath.splitext(office_document)[1].lstrip(".").lower()
        for el in types_root.iter(f"{_NS_CT}Default"):
            ctype = el.get("ContentType", "")
            if el.get("Extension", "").lower() == ext and ctype in MACRO_TYPES:
                raise _refuse(file_name, "tệp là sổ làm việc có macro (.xlsm). Hãy lưu lại dưới dạng "
                                         "“Sổ làm việc Excel (.xlsx)” rồi tải lên lại.")
            if el.get("Extension", "").lower() == ext and ctype in MAIN_TYPES:
                main = office_document
    if not main:
        raise _refuse(file_name, "tệp không có phần bảng tính Excel (thiếu kiểu nội dung spreadsheetml).")
    return main


def _iter(root, tag: str):
    """Elements named `tag` in either OOXML namespace."""
    for ns in _NS_MAINS:
        yield from root.iter(ns + tag)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default   # a damaged attribute: treated as absent, not a crash


def _percent_styles(styles_root) -> set[int]:
    """cellXfs indices whose number format displays a percentage."""
    custom = {}
    for nf in _iter(styles_root, "numFmt"):
        code = re.sub(r'"[^"]*"|\\.', "", nf.get("formatCode", ""))  # quoted text and escapes are literal
        custom[_int(nf.get("numFmtId"), -1)] = "%" in code
    out = set()
    xfs = next(_iter(styles_root, "cellXfs"), None)
    for i, xf in enumerate(xfs if xfs is not None else []):
        fid = _int(xf.get("numFmtId"), 0)
        if fid in _BUILTIN_PERCENT_FORMATS or custom.get(fid):
            out.add(i)
    return out


def _date_styles(styles_root) -> dict[int, str]:
    """cellXfs index -> how its number format shows a date (see XlsxInfo.date_styles)."""
    custom = {_int(nf.get("numFmtId"), -1): number_format_kind(nf.get("formatCode", ""))
              for nf in _iter(styles_root, "numFmt")}
    out = {}
    xfs = next(_iter(styles_root, "cellXfs"), None)
    for i, xf in enumerate(xfs if xfs is not None else []):
        fid = _int(xf.get("numFmtId"), 0)
        kind = custom[fid] if fid in custom else BUILTIN_DATE_FORMATS.get(fid)
        if kind:
            out[i] = kind
    return out


def normalised_zip(data: bytes) -> bytes:
    """The same package with "/" for every "\\" in its entry names, for the reader (only for a file
    check_xlsx passed: its entries and sizes are already checked)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            dst.writestr(entry.filename.replace("\\", "/"), src.read(entry))
    return out.getvalue()


def check_size(n_bytes: int, file_name: str) -> None:
    """Refuse a file over MAX_FILE_BYTES (also before reading one from disk)."""
    if n_bytes > MAX_FILE_BYTES:
        raise _refuse(file_name, f"dung lượng {_mib(n_bytes)} vượt giới hạn {_mib(MAX_FILE_BYTES)}. "
                                 "Hãy chia số liệu thành nhiều tệp nhỏ hơn.")


def check_xlsx(data: bytes, file_name: str) -> XlsxInfo:
    """Refuse anything but a plain, macro-free, unencrypted .xlsx within the limits (see module doc)."""
    check_size(len(data), file_name)
    if not data:
        raise _refuse(file_name, "tệp rỗng.")
    _check_signature(data, file_name)
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, ValueError) as exc:
        raise _refuse(file_name, f"tệp .xlsx bị hỏng, không mở được. {DAMAGED_ADVICE} (Chi tiết kỹ thuật: {exc})") from None
    with z:
        _check_directory(z, file_name)
        # Some exporters write zip paths with backslashes ("xl\\worksheets\\sheet1.xml"): read as "/"
        # (two entries that would then share a name are refused).
        names = {i.filename.replace("\\", "/") for i in z.infolist()}
        if len(names) < len(z.infolist()):
            raise _refuse(file_name, "tệp nén có hai thành phần trùng tên – tệp bị sửa đổi bất thường.")
        if "[Content_Types].xml" not in names:
            raise _refuse(file_name, "thiếu [Content_Types].xml: đây không phải tệp .xlsx hợp lệ.")
        budget = [MAX_TOTAL_BYTES]
        small: dict[str, bytes] = {}
        sheet_stats: dict[str, dict[str, int]] = {}
        for info in z.infolist():
            entry = info.filename.replace("\\", "/")
            is_sheet = entry.startswith("xl/worksheets/") and entry.endswith(".xml")
            keep = (not is_sheet) and entry.endswith((".xml", ".rels")) and (
                info.file_size <= 4 * 1024 * 1024
                or (entry.endswith("styles.xml") and info.file_size <= MAX_STYLES_BYTES))
            raw, counts = _stream_entry(z, info, file_name, budget, keep, is_sheet)
            if raw is not None:
                small[entry] = raw
            if is_sheet:
                sheet_stats[entry] = counts
    # Zip names are case-sensitive, OOXML part names are not: "Worksheets/Sheet1.xml" is the
    # part stored as "xl/worksheets/sheet1.xml".
    by_folded = {n.lower(): n for n in names}
    folded_small = {n.lower(): raw for n, raw in small.items()}
    main = _main_part(_xml(small.get("[Content_Types].xml"), file_name, "[Content_Types].xml"), file_name,
                      _office_document(small.get("_rels/.rels")))
    info = XlsxInfo(file_name=file_name, size_bytes=len(data))
    info.backslashes = any("\\" in entry.filename for entry in z.infolist())
    book = _xml(folded_small.get(main.lower()), file_name, main)
    rels_name = posixpath.join(posixpath.dirname(main), "_rels", posixpath.basename(main) + ".rels")
    rels = {r.get("Id"): r.get("Target", "") for r in _xml(folded_small.get(rels_name.lower()), file_name,
                                                           rels_name).iter(f"{_NS_PKG_REL}Relationship")}
    for sh in _iter(book, "sheet"):
        rid = next((sh.get(ns + "id") for ns in _NS_RELS if sh.get(ns + "id") is not None), None)
        target = rels.get(rid, "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(main), target))
        part = part if part in names else by_folded.get(part.lower(), part)
        stats = sheet_stats.get(part, {})
        info.sheets.append(SheetPart(
            name=sh.get("name", ""), part=part, state=sh.get("state", "visible"),
            has_formulas=bool(stats.get("formulas")), has_errors=bool(stats.get("errors")),
            merged=list(dict.fromkeys(stats.get("merged", []))),
            n_rows=stats.get("rows", 0)))
    styles = next((n for n in small if n.endswith("styles.xml")), None)
    if styles:
        styles_root = _xml(small[styles], file_name, styles)
        info.percent_styles = _percent_styles(styles_root)
        info.date_styles = _date_styles(styles_root)
    n_rows = sum(s.n_rows for s in info.sheets)
    if n_rows > MAX_DATA_ROWS + ROW_SLACK:
        raise _refuse(file_name, f"tệp có khoảng {fmt.number(n_rows, 0)} dòng, vượt giới hạn "
                                 f"{fmt.number(MAX_DATA_ROWS, 0)} dòng số liệu. Hãy chia thành nhiều tệp.")
    return info
