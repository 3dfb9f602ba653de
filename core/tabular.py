"""Read the spreadsheets officers actually have: .xlsx, or .csv in the encodings Excel writes.

Rows are streamed, never loaded whole, so a 100,000-row file costs the memory of one row.
Headers are matched without diacritics or case, in any order, and may sit below a title row.
"""
import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.text import clean_name, fold

HEADER_SEARCH_ROWS = 10


class TableError(ValueError):
    """The file as a whole cannot be read; the message is for the person who sent it."""


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
    return max(counts, key=counts.get) if any(counts.values()) else ","


OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other Office 97–2003 files


def _is_workbook(path: Path) -> bool:
    """An .xlsx is a zip holding xl/workbook.xml, whatever the file is called."""
    import zipfile
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _raw_rows(path: Path, filename: str) -> Iterator[list]:
    """Rows of the first sheet of an .xlsx, or of a CSV: told apart by content, not by the name."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        if not _is_workbook(path):
            raise TableError("Không đọc được tệp .xlsx: tệp hỏng hoặc không phải bảng tính Excel.")
        from openpyxl import load_workbook
        with open(path, "rb") as handle:  # a handle, not the path: openpyxl would judge by the name
            try:
                workbook = load_workbook(handle, read_only=True, data_only=True)
            except (KeyError, OSError, ValueError):
                raise TableError("Không đọc được tệp .xlsx: tệp hỏng hoặc không phải bảng tính Excel.") from None
            try:
                sheet = workbook.worksheets[0]
                yield from sheet.iter_rows(values_only=True)
            finally:
                workbook.close()
    elif head.startswith(OLE2_SIGNATURE):
        raise TableError("Tệp Excel 97–2003 (.xls) chưa được hỗ trợ: hãy mở bằng Excel và lưu lại dưới dạng .xlsx.")
    elif Path(filename).suffix.lower() == ".xlsx":
        raise TableError("Không đọc được tệp .xlsx: tệp hỏng hoặc không phải bảng tính Excel.")
    elif Path(filename).suffix.lower() not in (".csv", ".txt"):
        raise TableError("Chỉ nhận tệp .xlsx hoặc .csv.")
    else:
        text = _decode_csv(path.read_bytes())
        if "\x00" in text:
            raise TableError("Tệp không phải bảng tính .xlsx hay văn bản CSV. Hãy lưu lại dưới dạng .xlsx hoặc CSV UTF-8.")
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))


def read_table(path: Path, filename: str, columns: dict[str, tuple[str, ...]],
               required: tuple[str, ...]) -> tuple[dict[str, str], Iterator[Row]]:
    """Find the header row and stream the data rows.

    ``columns`` maps a canonical key to the header titles it accepts. Returns the
    titles found (key -> header as written) and an iterator of ``Row``. Raises
    ``TableError`` when the file cannot be read or a required column is missing.
    """
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
        try:
            for number, raw in enumerate(rows, start=header_number + 1):
                values = {key: _cell_text(raw[i]) if i < len(raw) else ""
                          for i, key in header_map.items()}
                if any(values.values()):
                    yield Row(number, values)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise TableError(f"Không đọc được tệp: {exc}.") from None

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


# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@")


def neutralise(value):
    """What we write into an exported spreadsheet: text that would be a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
