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
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from core.errors import Refusal
from core.text import clean_name, fold

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


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


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
            f"Tệp .xlsx khi giải nén quá lớn ({_thousands(total // (1024 * 1024))} MB) hoặc bị nén bất thường, "
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
        raise TableError(f"Tệp CSV quá lớn (tối đa {_thousands(MAX_CSV_BYTES // (1024 * 1024))} MB): "
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
                    raise TableError(f"Tệp có quá {_thousands(max_rows)} dòng dữ liệu: "
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

# A cell starting with one of these is run as a formula by spreadsheet programs (tab and carriage
# return too: some programs drop them and read what follows).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def neutralise(value):
    """What we write into an exported spreadsheet or CSV: text that would be a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SheetWriter:
    """One sheet of a ``WorkbookWriter``, written row by row. Every value it writes goes through
    ``neutralise``, the values of styled cells included: no text can become a formula."""

    def __init__(self, sheet):
        self._sheet = sheet

    def cell(self, value, *, font=None, alignment=None, border=None, number_format: str | None = None):
        """A styled cell for ``append``: openpyxl ``Font``, ``Alignment``, ``Border``; dates read dd/mm/yyyy."""
        cell = WriteOnlyCell(self._sheet, value=neutralise(value))
        if number_format and isinstance(value, (int, float)):
            cell.number_format = number_format
        elif isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        if font is not None:
            cell.font = font
        if alignment is not None:
            cell.alignment = alignment
        if border is not None:
            cell.border = border
        return cell

    def append(self, row=()) -> None:
        """One row: plain values or cells from ``cell``; an empty row by default."""
        values = []
        for value in row:
            if isinstance(value, Cell):
                value.value = neutralise(value.value)
            elif isinstance(value, date):
                value = self.cell(value)
            else:
                value = neutralise(value)
            values.append(value)
        self._sheet.append(values)

    def header(self, titles) -> None:
        """A row of bold titles."""
        self.append([self.cell(title, font=Font(bold=True)) for title in titles])


class WorkbookWriter:
    """An .xlsx written row by row (openpyxl's write-only mode, so memory does not grow with the rows)."""

    def __init__(self):
        self._workbook = Workbook(write_only=True)

    def sheet(self, title: str, *, widths: dict[int, float] | None = None, default_width: float | None = None,
              columns: int = 0, freeze: str | None = None, print_title_row: int | None = None) -> SheetWriter:
        """A new sheet. ``widths`` by column number (from 1), ``default_width`` for the others of the first
        ``columns``; ``freeze`` a cell such as "A2"; ``print_title_row``: print A4 landscape, as wide as the
        page, that row repeated on every page, pages numbered. All are set before the first row, as write-only
        mode requires."""
        sheet = self._workbook.create_sheet(title)
        widths = dict(widths or {})
        if default_width is not None:
            widths = {index: widths.get(index, default_width) for index in range(1, max(columns, *widths, 0) + 1)}
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index)].width = width
        if print_title_row is not None:
            _print_setup(sheet, print_title_row)
        if freeze:
            sheet.freeze_panes = freeze
        return SheetWriter(sheet)

    def save(self, out) -> None:
        self._workbook.save(out)

    def to_buffer(self) -> io.BytesIO:
        buffer = io.BytesIO()
        self.save(buffer)
        buffer.seek(0)
        return buffer


def _print_setup(sheet, title_row: int) -> None:
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.print_title_rows = f"{title_row}:{title_row}"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "Trang &P/&N"
