"""Read the spreadsheets officers actually have: .xlsx, or .csv in the encodings Excel writes.

Rows are streamed, never loaded whole, so a 100,000-row file costs the memory of one row.
Headers are matched without diacritics or case, in any order, and may sit below a title row.
A workbook is judged by its zip directory before openpyxl reads a byte of it, and every file
has a row cap, so a small upload cannot cost minutes or gigabytes.

Write them with ``WorkbookWriter``: every text cell is neutralised by construction (``neutralise``).
"""
import codecs
import csv
import io
import math
import re
import tempfile
import weakref
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import BinaryIO, cast

from openpyxl.styles import Alignment, Border, Font
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.datetime import to_excel
from openpyxl.xml.functions import tostring

from core.errors import Refusal
from core.text import clean_name, fold, number_vn

HEADER_SEARCH_ROWS = 10
MAX_ROWS = 500_000  # data rows in one file: above the largest province's membership
MAX_CSV_BYTES = 100 * 1024 * 1024  # a CSV is decoded whole
# A 300,000-row member sheet expands to ~100 MB at a ratio of ~10. Worksheets are streamed; the
# other parts (shared strings above all) are loaded whole, so they get a tighter cap.
MAX_EXPANDED_BYTES = 250 * 1024 * 1024
MAX_LOADED_PART_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECKED_ABOVE = 1024 * 1024
# A workbook's zip directory lists tens of parts in a few kilobytes; 20 MB of empty parts would
# take seconds and hundreds of MB to read.
MAX_DIRECTORY_BYTES = 1024 * 1024


class TableError(Refusal, ValueError):
    """The file as a whole cannot be read."""


@dataclass(frozen=True)
class Row:
    number: int            # the row number the person sees in Excel
    values: dict[str, str]  # canonical column key -> cleaned text ("" when empty)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return clean_name(str(value))


def _decode_csv(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Windows-1258 and friends cannot be told apart reliably; guessing would corrupt names.
        raise TableError(
            "Tệp CSV không ở dạng UTF-8 (có thể là bảng mã Windows-1258 cũ). "
            "Trong Excel hãy chọn Lưu thành (Save As) → “CSV UTF-8 (Comma delimited)” rồi tải lại."
        ) from None


def _sniff_delimiter(text: str) -> str:
    first_lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    sample = "\n".join(first_lines)
    counts = {delim: sample.count(delim) for delim in ("\t", ";", ",")}
    return max(counts, key=counts.__getitem__) if any(counts.values()) else ","


UNREADABLE_WORKBOOK = "Không đọc được tệp .xlsx: tệp hỏng hoặc không phải bảng tính Excel."
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other Office 97–2003 files


def check_workbook(path: Path) -> None:
    """Refuse a zip that is not a workbook, or whose parts would expand beyond our caps.

    Only the zip directory is read. The sizes it declares bound what zipfile will ever
    inflate (it stops at the declared size), so they can be trusted as upper bounds.
    """
    try:
        with open(path, "rb") as handle:
            # Private zipfile API: the last record alone says how long the directory is.
            end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]
    except OSError:
        end = None
    if end is not None and end[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES:  # type: ignore[attr-defined]
        raise TableError("Tệp .xlsx gồm quá nhiều phần nên không được mở. Hãy mở bằng Excel, lưu lại "
                         "hoặc lưu thành CSV UTF-8, rồi tải lại.")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        parts = []
    if "xl/workbook.xml" not in {part.filename for part in parts}:
        raise TableError(UNREADABLE_WORKBOOK)
    total = sum(part.file_size for part in parts)
    loaded = sum(part.file_size for part in parts if not part.filename.startswith("xl/worksheets/"))
    squeezed = any(part.file_size > RATIO_CHECKED_ABOVE and part.file_size > MAX_RATIO * max(part.compress_size, 1)
                   for part in parts)
    if total > MAX_EXPANDED_BYTES or loaded > MAX_LOADED_PART_BYTES or squeezed:
        raise TableError(
            f"Tệp .xlsx khi giải nén quá lớn ({number_vn(total // (1024 * 1024))} MB) hoặc bị nén bất thường, "
            "nên không được mở. Hãy xóa định dạng, ô thừa và trang tính không cần, hoặc lưu thành CSV UTF-8, "
            "rồi tải lại.")


def _raw_rows(path: Path, filename: str) -> Iterator[list]:
    """Rows of the first sheet of an .xlsx, or of a CSV: told apart by content, not by the name."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        check_workbook(path)
        from openpyxl import load_workbook
        with open(path, "rb") as handle:  # a handle, not the path: openpyxl would judge by the name
            try:
                workbook = load_workbook(handle, read_only=True, data_only=True)
            except (KeyError, OSError, ValueError, zipfile.BadZipFile):
                raise TableError(UNREADABLE_WORKBOOK) from None
            try:
                sheet = workbook.worksheets[0]
                yield from sheet.iter_rows(values_only=True)
            finally:
                workbook.close()
    elif head.startswith(OLE2_SIGNATURE):
        raise TableError("Tệp Excel 97–2003 (.xls) chưa được hỗ trợ: hãy mở bằng Excel và lưu lại dưới dạng .xlsx.")
    elif Path(filename).suffix.lower() == ".xlsx":
        raise TableError(UNREADABLE_WORKBOOK)
    elif Path(filename).suffix.lower() not in (".csv", ".txt"):
        raise TableError("Chỉ nhận tệp .xlsx hoặc .csv.")
    elif path.stat().st_size > MAX_CSV_BYTES:
        raise TableError(f"Tệp CSV quá lớn (tối đa {number_vn(MAX_CSV_BYTES // (1024 * 1024))} MB): "
                         "hãy chia thành nhiều tệp.")
    else:
        text = _decode_csv(path.read_bytes())
        if "\x00" in text:
            raise TableError("Tệp không phải bảng tính .xlsx hay văn bản CSV. "
                             "Hãy lưu lại dưới dạng .xlsx hoặc CSV UTF-8.")
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))


def read_table(path: Path, filename: str, columns: dict[str, tuple[str, ...]],
               required: tuple[str, ...], max_rows: int | None = None) -> tuple[dict[str, str], Iterator[Row]]:
    """Find the header row and stream the data rows.

    ``columns`` maps a canonical key to the header titles it accepts. Returns the
    titles found (key -> header as written) and an iterator of ``Row``. Raises
    ``TableError`` when the file cannot be read, a required column is missing, or
    (while iterating) it holds more than ``max_rows`` data rows (default ``MAX_ROWS``).
    """
    max_rows = max_rows or MAX_ROWS
    accepted = {fold(title): key for key, titles in columns.items() for title in titles}
    rows = _raw_rows(Path(path), filename)
    header_map: dict[int, str] = {}
    found: dict[str, str] = {}
    header_number = 0
    try:
        for number, raw in enumerate(rows, start=1):
            if number > HEADER_SEARCH_ROWS:
                break
            candidate = {i: accepted[fold(_cell_text(v))] for i, v in enumerate(raw)
                         if fold(_cell_text(v)) in accepted}
            if any(key in required for key in candidate.values()):
                header_map, header_number = candidate, number
                found = {key: _cell_text(raw[i]) for i, key in candidate.items()}
                break
    except (csv.Error, UnicodeDecodeError) as exc:
        raise TableError(f"Không đọc được tệp: {exc}.") from None
    missing = [columns[key][0] for key in required if key not in found]
    if not header_map or missing:
        raise TableError("Thiếu cột bắt buộc: " + ", ".join(f"“{m}”" for m in missing)
                         + f". Dòng tiêu đề phải nằm trong {HEADER_SEARCH_ROWS} dòng đầu.")

    def data_rows() -> Iterator[Row]:
        count = 0
        try:
            for number, raw in enumerate(rows, start=header_number + 1):
                # Every row counts, even one empty in the columns read: each costs its reading.
                count += 1
                if count > max_rows:
                    raise TableError(f"Tệp có quá {number_vn(max_rows)} dòng dữ liệu: "
                                     "hãy chia thành nhiều tệp rồi nhập lần lượt.")
                values = {key: _cell_text(raw[i]) if i < len(raw) else ""
                          for i, key in header_map.items()}
                if any(values.values()):
                    yield Row(number, values)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise TableError(f"Không đọc được tệp: {exc}.") from None
        except zipfile.BadZipFile:  # a part longer than the zip directory says, or a bad checksum
            raise TableError(UNREADABLE_WORKBOOK) from None

    return found, data_rows()


MAX_REPORTED_ERRORS = 500


@dataclass
class ImportIssue:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    """What an all-or-nothing import found: the first errors by row and column, and how many."""
    rows: int = 0
    errors: list[ImportIssue] = field(default_factory=list)
    error_count: int = 0
    outcomes: list[tuple[int, str, str]] = field(default_factory=list)  # (row, outcome or slug, label)

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(ImportIssue(row, column, message))

    @property
    def ok(self) -> bool:
        return self.error_count == 0


# -- writing ---------------------------------------------------------------------------
# SpreadsheetML written by hand, rows straight into the zip as they come: about 10 µs a row, where
# openpyxl's write-only mode took 100 µs (a jury's 100,000 rows: 12 s of CPU). Text is stored inline
# (no shared-strings table to keep in memory); the few styles are collected as cells ask for them.

# A cell starting with one of these is run as a formula by spreadsheet programs (tab and carriage
# return too: some programs drop them and read what follows).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
SPOOL_BYTES = 4 * 1024 * 1024  # the zip is kept in memory up to this, then in a temporary file
ROWS_PER_WRITE = 256
# zlib's fastest level: a jury's 100,000 rows in 6.0 MB and 0.4 s less CPU than the default level's 4.8 MB.
COMPRESS_LEVEL = 1

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_ESCAPED = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}  # the other matches cannot be written in XML 1.0: dropped
_LETTERS = [get_column_letter(index) for index in range(1, 703)]  # A … ZZ


def neutralise(value):
    """What we write into an exported spreadsheet or CSV: text that would be a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _xml(text: str) -> str:
    return _SPECIAL.sub(lambda match: _ESCAPED.get(match.group(), ""), text)


def _number(value: float) -> str:
    """16 significant digits, as openpyxl wrote them (and Excel keeps 15): the same values read back."""
    return f"{value:.16g}"


def _letters(count: int) -> list[str]:
    """The letters of the first ``count`` columns."""
    return _LETTERS if count <= len(_LETTERS) else [get_column_letter(index) for index in range(1, count + 1)]


@dataclass
class StyledCell:
    """A value with its style (an index the workbook gave it), made by ``SheetWriter.cell``."""
    value: object
    style: int


class _Styles:
    """The workbook's cell formats, each combination of font, alignment, border and number format once."""

    def __init__(self):
        self._formats: dict[tuple, int] = {(None, None, None, None): 0}

    def index(self, font: Font | None, alignment: Alignment | None, border: Border | None,
              number_format: str | None) -> int:
        key = (font, alignment, border, number_format)
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = len(self._formats)
        return found

    def xml(self) -> str:
        fonts: dict[Font, int] = {DEFAULT_FONT: 0}
        borders: dict[Border, int] = {Border(): 0}
        custom: dict[str, int] = {}
        formats = []
        for font, alignment, border, number_format in self._formats:
            font_id = fonts.setdefault(font, len(fonts)) if font is not None else 0
            border_id = borders.setdefault(border, len(borders)) if border is not None else 0
            format_id = 0
            if number_format is not None:
                format_id = BUILTIN_FORMATS_REVERSE.get(number_format) or custom.setdefault(
                    number_format, 164 + len(custom))
            applied = "".join(f' apply{name}="1"' for name, used in (
                ("NumberFormat", format_id), ("Font", font_id), ("Border", border_id), ("Alignment", alignment))
                if used)
            inner = _element(alignment) if alignment is not None else ""
            formats.append(f'<xf numFmtId="{format_id}" fontId="{font_id}" fillId="0" borderId="{border_id}" '
                           f'xfId="0"{applied}>{inner}</xf>')
        number_formats = "".join(f'<numFmt numFmtId="{number}" formatCode="{escape(code, quote=True)}"/>'
                                 for code, number in custom.items())
        return (f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
                + (f'<numFmts count="{len(custom)}">{number_formats}</numFmts>' if custom else "")
                + f'<fonts count="{len(fonts)}">{"".join(map(_element, fonts))}</fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                f'<borders count="{len(borders)}">{"".join(map(_element, borders))}</borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(formats)}">{"".join(formats)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                '</styleSheet>')


def _element(style) -> str:
    """An openpyxl style object (font, border, alignment) as the XML element it stands for."""
    return tostring(style.to_tree()).decode()


class _Sink:
    """Where the zip is written: a stream without seek or tell, so zipfile writes each part's sizes
    after its data and the bytes can leave as they come (``take``). They wait in memory, or in a
    temporary file past ``SPOOL_BYTES`` (a workbook saved whole), closed with the sink."""

    def __init__(self):
        self._file: BinaryIO = io.BytesIO()
        self._spilled = False

    def write(self, data) -> int:
        written = self._file.write(data)
        if not self._spilled and self._file.tell() > SPOOL_BYTES:
            spilled = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the sink, below)
            spilled.write(cast(io.BytesIO, self._file).getvalue())
            self._file, self._spilled = spilled, True
            weakref.finalize(self, spilled.close)
        return written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        self._file.seek(0)
        data = self._file.read()
        self._file.seek(0)
        self._file.truncate()
        return data


class SheetWriter:
    """One sheet of a ``WorkbookWriter``, written row by row. Every value it writes goes through
    ``neutralise``, the values of styled cells included: no text can become a formula."""

    def __init__(self, workbook: "WorkbookWriter", number: int, stream, tail: str):
        self._workbook = workbook
        self.number = number
        self._stream = stream
        self._tail = tail
        self._rows: list[str] = []
        self._row = 0

    def cell(self, value, *, font=None, alignment=None, border=None, number_format: str | None = None) -> StyledCell:
        """A styled cell for ``append``: openpyxl ``Font``, ``Alignment``, ``Border``; dates read dd/mm/yyyy."""
        if number_format and isinstance(value, (int, float)):
            shown = number_format
        elif isinstance(value, datetime):
            shown = DATETIME_FORMAT
        elif isinstance(value, date):
            shown = DATE_FORMAT
        else:
            shown = None
        return StyledCell(neutralise(value), self._workbook._styles.index(font, alignment, border, shown))

    def append(self, row=()) -> None:
        """One row: plain values or cells from ``cell``; an empty row by default."""
        if self._stream is None:
            raise ValueError("Trang tính đã đóng: các trang được ghi lần lượt, trang sau mở thì trang trước đóng.")
        self._row += 1
        number = str(self._row)
        if not isinstance(row, (list, tuple)):
            row = list(row)
        cells = []
        # Plain text and numbers, nearly every cell of a big sheet, are written here; the rest by _cell.
        for letter, value in zip(_letters(len(row)), row, strict=False):
            kind = type(value)
            if kind is str:
                if not value:  # an empty cell, as openpyxl wrote it
                    continue
                if value.startswith(FORMULA_START):
                    value = "'" + value
                cells.append(f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">'
                             f'{_xml(value) if _SPECIAL.search(value) else value}</t></is></c>')
            elif kind is int:
                cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
            elif value is not None:
                cells.append(self._cell(letter + number, value))
        self._rows.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(self._rows) >= ROWS_PER_WRITE:
            self._write_rows()

    def _cell(self, reference: str, value) -> str:
        style = 0
        if isinstance(value, StyledCell):
            value, style = value.value, value.style
            if value is None or value == "":
                return f'<c r="{reference}" s="{style}"/>' if style else ""
        kind = type(value)
        styled = f' s="{style}"' if style else ""
        if kind is str or isinstance(value, str):
            if not value:
                return ""
            value = neutralise(value)
            return (f'<c r="{reference}"{styled} t="inlineStr"><is><t xml:space="preserve">'
                    f'{_xml(value) if _SPECIAL.search(value) else value}</t></is></c>')
        if kind is bool:
            return f'<c r="{reference}"{styled} t="b"><v>{int(value)}</v></c>'
        if kind is int or kind is float or isinstance(value, (int, float, Decimal)):
            if isinstance(value, float):
                if not math.isfinite(value):
                    raise ValueError(f"Không ghi được số {value} vào bảng tính.")
                value = _number(value)
            return f'<c r="{reference}"{styled}><v>{value}</v></c>'
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                raise TypeError("Excel không lưu múi giờ: hãy đổi sang giờ địa phương rồi bỏ tzinfo.")
            serial = to_excel(value)  # openpyxl's own arithmetic: the same float, the same millisecond read back
            style = style or self._workbook._styles.index(None, None, None, DATETIME_FORMAT)
        elif isinstance(value, date):
            serial = to_excel(value)
            style = style or self._workbook._styles.index(None, None, None, DATE_FORMAT)
        else:
            raise TypeError(f"Không ghi được giá trị kiểu {kind.__name__} vào bảng tính.")
        return f'<c r="{reference}" s="{style}"><v>{_number(serial)}</v></c>'

    def _write_rows(self) -> None:
        self._stream.write("".join(self._rows).encode())
        self._rows.clear()

    def close(self) -> None:
        if self._stream is not None:
            self._write_rows()
            self._stream.write(self._tail.encode())
            self._stream.close()
            self._stream = None

    def header(self, titles) -> None:
        """A row of bold titles."""
        self.append([self.cell(title, font=Font(bold=True)) for title in titles])


class WorkbookWriter:
    """An .xlsx written row by row, sheet after sheet, into a zip whose bytes can leave as they are made
    (``take``), so memory does not grow with the rows. Sheets are written one after the other: opening
    a sheet closes the one before."""

    def __init__(self):
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(cast(BinaryIO, self._sink), "w", compression=zipfile.ZIP_DEFLATED,
                                    compresslevel=COMPRESS_LEVEL)
        self._styles = _Styles()
        self._sheets: list[tuple[str, SheetWriter, int | None]] = []
        self._closed = False
        self._open_streams: list = []  # the current sheet's
        # A workbook left half written (an error, a download cancelled) closes its sheet before its zip,
        # or zipfile would raise while the garbage is collected.
        weakref.finalize(self, _abandon, self._zip, self._open_streams)

    def sheet(self, title: str, *, widths: dict[int, float] | None = None, default_width: float | None = None,
              columns: int = 0, freeze: str | None = None, print_title_row: int | None = None) -> SheetWriter:
        """A new sheet. ``widths`` by column number (from 1), ``default_width`` for the others of the first
        ``columns``; ``freeze`` a cell such as "A2"; ``print_title_row``: print A4 landscape, as wide as the
        page, that row repeated on every page, pages numbered."""
        if not title or len(title) > 31 or _BAD_TITLE.search(title) or any(
                title.lower() == known.lower() for known, _, _ in self._sheets):
            raise ValueError(f"Tên trang tính không hợp lệ: {title!r}")
        if self._sheets:
            self._sheets[-1][1].close()
        widths = dict(widths or {})
        if default_width is not None:
            widths = {index: widths.get(index, default_width) for index in range(1, max(columns, *widths, 0) + 1)}
        head = [_DECLARATION, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">']
        if print_title_row is not None:
            head.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        head.append(f'<sheetViews><sheetView workbookViewId="0">{_frozen_pane(freeze)}</sheetView></sheetViews>')
        if widths:
            head.append("<cols>" + "".join(f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
                                           for index, width in sorted(widths.items())) + "</cols>")
        head.append("<sheetData>")
        tail = "</sheetData>" + (
            '<pageMargins left="0.4" right="0.4" top="1" bottom="1" header="0.5" footer="0.5"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            '<headerFooter><oddFooter>&amp;CTrang &amp;P/&amp;N</oddFooter></headerFooter>'
            if print_title_row is not None else
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>') + "</worksheet>"
        number = len(self._sheets) + 1
        stream = self._zip.open(f"xl/worksheets/sheet{number}.xml", "w")
        self._open_streams[:] = [stream]
        stream.write("".join(head).encode())
        sheet = SheetWriter(self, number, stream, tail)
        self._sheets.append((title, sheet, print_title_row))
        return sheet

    def take(self) -> bytes:
        """The bytes of the file made so far and not yet taken; after ``close``, the rest of it."""
        return self._sink.take()

    def close(self) -> None:
        """Write the parts that describe the sheets; the file is then complete."""
        if self._closed:
            return
        self._closed = True
        if not self._sheets:
            self.sheet("Sheet")
        self._sheets[-1][1].close()
        count = len(self._sheets)
        sheets = "".join(f'<sheet name="{escape(title, quote=True)}" sheetId="{number}" r:id="rId{number}"/>'
                         for number, (title, _, _) in enumerate(self._sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{number}">'
            f"{escape(quote_sheetname(title))}!${row}:${row}</definedName>"
            for number, (title, _, row) in enumerate(self._sheets) if row is not None)
        parts = {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                + "".join(f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
                          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                          for number in range(1, count + 1)) + "</Types>"),
            "_rels/.rels": (
                f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
                f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
            "xl/workbook.xml": (
                f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><bookViews><workbookView/></bookViews>'
                f'<sheets>{sheets}</sheets>' + (f"<definedNames>{names}</definedNames>" if names else "")
                + "</workbook>"),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
                + "".join(f'<Relationship Id="rId{number}" Type="{_RELATIONSHIPS}/worksheet" '
                          f'Target="worksheets/sheet{number}.xml"/>' for number in range(1, count + 1))
                + f'<Relationship Id="rId{count + 1}" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
                '</Relationships>'),
            "xl/styles.xml": self._styles.xml(),
        }
        for name, xml in parts.items():
            self._zip.writestr(name, xml if xml.startswith("<?xml") else _DECLARATION + xml)
        self._zip.close()

    def chunks(self) -> Iterator[bytes]:
        """Close the workbook and give the rest of its bytes."""
        self.close()
        if data := self.take():
            yield data

    def save(self, out) -> None:
        for data in self.chunks():
            out.write(data)

    def to_buffer(self) -> io.BytesIO:
        buffer = io.BytesIO()
        self.save(buffer)
        buffer.seek(0)
        return buffer


def _abandon(archive: zipfile.ZipFile, streams: list) -> None:
    for stream in streams:
        stream.close()
    archive.close()


_BAD_TITLE = re.compile(r"[\\*?:/\[\]]")


def _frozen_pane(cell: str | None) -> str:
    """The sheetView's pane that keeps the rows above ``cell`` and the columns left of it in view."""
    if not cell or cell.upper() == "A1":
        return ""
    column, row = coordinate_from_string(cell.upper())
    x_split, y_split = column_index_from_string(column) - 1, row - 1
    pane = "bottomRight" if x_split and y_split else "bottomLeft" if y_split else "topRight"
    splits = (f' xSplit="{x_split}"' if x_split else "") + (f' ySplit="{y_split}"' if y_split else "")
    return (f'<pane{splits} topLeftCell="{cell.upper()}" activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{cell.upper()}" sqref="{cell.upper()}"/>')
