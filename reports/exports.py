"""The report as files: an .xlsx laid out as a report appendix, and .csv for other programs.

Each sheet of a workbook prints as it is signed: A4 landscape, fit to the page width, the
table's header row on every page, then the place-and-date line and the signature block.
Both stream. The workbook is written in openpyxl's write-only mode, row by row, into a
temporary file that is then sent in chunks; the CSVs are generators. The member list
is read from the database in batches as it is written, so memory does not grow with
the number of members. Every text cell is neutralised (``core.tabular``).
"""
import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator

from openpyxl.styles import Alignment, Border, Font, Side

from core.clock import to_local
from core.tabular import SheetWriter, WorkbookWriter, neutralise
from core.text import number_vn
from learning.models import SESSION_FORMS, Topic
from reports.services import Figures, MemberStatus, Period, Report
from units.models import Unit

CHUNK_BYTES = 64 * 1024
HEADCOUNT_SOURCES = {"declared": "Khai báo", "counted": "Đếm trên hệ thống", "mixed": "Khai báo một phần"}

# (header, width, value of a Figures, Excel number format)
COLUMNS = [
    ("Số đoàn viên (mẫu số)", 12, lambda f: f.headcount, "#,##0"),
    ("Nguồn số đoàn viên", 16, lambda f: HEADCOUNT_SOURCES[f.headcount_source], None),
    ("Đoàn viên đang sinh hoạt", 12, lambda f: f.members, "#,##0"),
    ("Đã bắt đầu học", 11, lambda f: f.started, "#,##0"),
    ("Đã học hết bài", 11, lambda f: f.studied_all, "#,##0"),
    ("Đạt bài kiểm tra", 11, lambda f: f.passed, "#,##0"),
    ("Hoàn thành", 11, lambda f: f.completed, "#,##0"),
    ("Tỷ lệ hoàn thành (%)", 11, lambda f: None if f.completion_rate is None else f.completion_rate / 100, "0.0%"),
    ("Giấy chứng nhận đã cấp", 12, lambda f: f.certificates, "#,##0"),
    ("Điểm bình quân lần làm bài đầu (%)", 12, lambda f: f.average_first_score, "0.0"),
    ("Buổi học tập trực tiếp", 11, lambda f: f.sessions, "#,##0"),
    *[(f"Trong đó: {name}", 12, lambda f, key=key: f.sessions_by_form.get(key, 0), "#,##0")
      for key, name in SESSION_FORMS.items()],
    ("Lượt người dự", 11, lambda f: f.attendances, "#,##0"),
    ("Số người dự (không trùng)", 12, lambda f: f.attendees, "#,##0"),
    ("Người dự thi", 11, lambda f: f.contest_participants, "#,##0"),
    ("Lượt dự thi", 11, lambda f: f.contest_attempts, "#,##0"),
]
# (header, width, Excel number format)
MEMBER_COLUMNS = [("STT", 6, "0"), ("Họ và tên", 30, None), ("Số thẻ đoàn viên", 16, None),
                  ("Số điện thoại", 14, None), ("Đơn vị", 40, None), ("Tình trạng", 22, None),
                  ("Số bài đã học", 10, "0"), ("Tổng số bài", 10, "0"), ("Điểm cao nhất (%)", 12, "0.0"),
                  ("Ngày hoàn thành", 14, None), ("Số giấy chứng nhận", 18, None), ("Ghi chú", 30, None)]
COMPLETED_ON = [header for header, _, _ in MEMBER_COLUMNS].index("Ngày hoàn thành")
TOTAL = "TỔNG CỘNG"
BEHIND = "Chậm tiến độ"
MEMBER_LIST_TITLE = "DANH SÁCH ĐOÀN VIÊN VÀ KẾT QUẢ HỌC TẬP CHUYÊN ĐỀ"
INCOMPLETE_LIST_TITLE = "DANH SÁCH ĐOÀN VIÊN CHƯA HOÀN THÀNH CHUYÊN ĐỀ"
INCOMPLETE_SUFFIX = "-chua-hoan-thanh"  # in the file name of a filtered member list
UNKNOWN_PLACE = "……………"  # the place is then written by hand
SIGNERS = (("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"), ("TM. BAN THƯỜNG VỤ", "(Ký tên, đóng dấu)"))
NOTES = [
    "Số liệu tính đến hết ngày cuối kỳ; mỗi đoàn viên được tính một lần, tại đơn vị sinh hoạt vào ngày cuối kỳ.",
    "Số đoàn viên (mẫu số): số đơn vị khai báo cho kỳ; đơn vị chưa khai báo thì lấy số đoàn viên đang sinh hoạt "
    "trên hệ thống. Tỷ lệ hoàn thành = Hoàn thành / Số đoàn viên.",
    "Đã bắt đầu học, Đạt bài kiểm tra, Hoàn thành, Giấy chứng nhận: tính những việc diễn ra trong kỳ.",
    "Lượt người dự: tổng số người có mặt ở các buổi (một người dự hai buổi tính hai lượt); "
    "Số người dự: số đoàn viên khác nhau có tên trong danh sách dự.",
    "Chậm tiến độ: đã qua hạn hoàn thành của chuyên đề mà số đoàn viên hoàn thành (tính cả trước kỳ) còn ít hơn "
    "số đoàn viên.",
]


def report_lines(report: Report) -> Iterator[tuple[str, str, Figures, str, list]]:
    """(label, unit code, figures, "Chậm tiến độ" or "", values of the added columns) of the table's rows:
    each child unit, the unit itself without its children when it has anything of its own, then the total."""
    def added(pick) -> list:
        return [pick(group).get(key) for group in report.groups for key, _, _ in group.columns]
    for unit, figures in report.rows:
        yield (unit.name, unit.code, figures, BEHIND if unit.id in report.behind else "",
               added(lambda group, unit=unit: group.rows.get(unit.id, {})))
    if report.own is not None:
        yield (f"Tại {report.unit.name} (không kể đơn vị trực thuộc)", report.unit.code, report.own, "",
               added(lambda group: group.own))
    yield TOTAL, report.unit.code, report.total, BEHIND if report.total_behind else "", added(lambda group: group.total)


def added_columns(report: Report) -> list[tuple[str, str]]:
    """(header, number format) of the columns other packages add (core.signals.report_columns)."""
    return [(f"{group.title}: {header}", number_format) for group in report.groups
            for _, header, number_format in group.columns]


def _added_value(value, number_format):
    return value / 100 if number_format == "0.0%" and value is not None else value


def member_row(number: int, status: MemberStatus) -> list:
    return [number, status.full_name, status.card_number or "", status.phone or "", status.unit_name,
            status.status_name, status.lessons_studied, status.lessons_total, status.best_score,
            to_local(status.completed_at).date() if status.completed_at else None,
            status.certificate_serial or "", "" if status.active else "Đã chuyển đi hoặc thôi sinh hoạt"]


# -- xlsx -------------------------------------------------------------------------------

def _cell(sheet: SheetWriter, value, *, number_format=None, bold=False, italic=False, size=None, wrap=False,
          center=False, border=False):
    alignment = (Alignment(wrap_text=True, vertical="center", horizontal="center") if wrap
                 else Alignment(horizontal="center") if center else None)
    return sheet.cell(value, number_format=number_format,
                      font=Font(bold=bold, italic=italic, size=size or 11) if bold or italic or size else None,
                      alignment=alignment, border=Border(*(Side(style="thin"),) * 4) if border else None)


def _sheet(workbook: WorkbookWriter, title: str, widths: dict[int, float], lines: list[str], *,
           freeze: bool = False) -> SheetWriter:
    """A sheet that prints as it is signed, its title lines, then a blank row; the table's header follows
    (repeated on every printed page)."""
    header_row = len(lines) + 2
    sheet = workbook.sheet(title, widths=widths, print_title_row=header_row,
                           freeze=f"A{header_row + 1}" if freeze else None)
    for index, line in enumerate(lines):
        sheet.append([_cell(sheet, line, bold=index < 2, size=14 if index == 0 else None)])
    sheet.append()
    return sheet


def _signatures(sheet: SheetWriter, place: str, left: int, right: int) -> None:
    """The place-and-date line, then who prepared the sheet (column ``left``) and who signs for the union."""
    def at(cells: dict[int, object]) -> list:
        return [cells.get(column) for column in range(1, right + 1)]
    sheet.append()
    sheet.append(at({right: _cell(sheet, f"{place}, ngày …… tháng …… năm ……", italic=True, center=True)}))
    (preparer, preparer_note), (signer, signer_note) = SIGNERS
    sheet.append(at({left: _cell(sheet, preparer, bold=True, center=True),
                     right: _cell(sheet, signer, bold=True, center=True)}))
    sheet.append(at({left: _cell(sheet, preparer_note, italic=True, center=True),
                     right: _cell(sheet, signer_note, italic=True, center=True)}))


def _period_line(period: Period, counted: str) -> str:
    return f"Kỳ báo cáo: {period.label} ({period.dates}); {counted} tính đến hết ngày {period.end:%d/%m/%Y}"


def write_workbook(report: Report, members: Iterable[MemberStatus] | None, out, *, place: str = UNKNOWN_PLACE,
                   only_incomplete: bool = False) -> None:
    """Write the appendix (and, when given, the member list as a second sheet) into ``out``."""
    workbook = WorkbookWriter()
    lines = ["PHỤ LỤC: KẾT QUẢ HỌC TẬP, QUÁN TRIỆT CHUYÊN ĐỀ", f"Đơn vị: {report.unit.name}",
             f"Chuyên đề: {report.topic.title}", _period_line(report.period, "số liệu")]
    if report.topic.due_on:
        lines.append(f"Hạn hoàn thành: {report.topic.due_on:%d/%m/%Y}")
    widths = {1: 48, **{index + 2: width for index, (_, width, _, _) in enumerate(COLUMNS)}, len(COLUMNS) + 2: 13}
    sheet = _sheet(workbook, "Báo cáo", widths, lines)
    added = added_columns(report)
    sheet.append([_cell(sheet, "Đơn vị", bold=True, wrap=True, border=True)]
                 + [_cell(sheet, header, bold=True, wrap=True, border=True) for header, _, _, _ in COLUMNS]
                 + [_cell(sheet, BEHIND, bold=True, wrap=True, border=True)]
                 + [_cell(sheet, header, bold=True, wrap=True, border=True) for header, _ in added])
    for label, _, figures, behind, extra in report_lines(report):
        total = figures is report.total
        sheet.append([_cell(sheet, label, bold=total, border=True)]
                     + [_cell(sheet, value(figures), number_format=number_format, bold=total, border=True)
                        for _, _, value, number_format in COLUMNS]
                     + [_cell(sheet, behind, bold=total, border=True)]
                     + [_cell(sheet, _added_value(value, number_format), number_format=number_format, bold=total,
                              border=True) for value, (_, number_format) in zip(extra, added, strict=True)])
    sheet.append()
    sheet.append([_cell(sheet, "Ghi chú:", bold=True)])
    for note in NOTES:
        sheet.append([_cell(sheet, f"• {note}")])  # not "-": that would be neutralised into "'-"
    _signatures(sheet, place, left=1, right=len(COLUMNS) - 2)
    if members is not None:
        _member_sheet(workbook, members, report.unit, report.topic, report.period, place=place,
                      only_incomplete=only_incomplete)
    workbook.save(out)


def write_member_workbook(unit: Unit, topic: Topic, period: Period, members: Iterable[MemberStatus], out, *,
                          place: str = UNKNOWN_PLACE, only_incomplete: bool = False) -> None:
    """The member list of the report page on its own, ready to print and sign."""
    workbook = WorkbookWriter()
    _member_sheet(workbook, members, unit, topic, period, place=place, only_incomplete=only_incomplete)
    workbook.save(out)


def _member_sheet(workbook: WorkbookWriter, members: Iterable[MemberStatus], unit: Unit, topic: Topic,
                  period: Period, *, place: str, only_incomplete: bool) -> None:
    sheet = _sheet(workbook, "Danh sách đoàn viên",
                   {index + 1: width for index, (_, width, _) in enumerate(MEMBER_COLUMNS)},
                   [INCOMPLETE_LIST_TITLE if only_incomplete else MEMBER_LIST_TITLE, f"Đơn vị: {unit.name}",
                    f"Chuyên đề: {topic.title}", _period_line(period, "tình trạng học tập")], freeze=True)
    sheet.append([_cell(sheet, header, bold=True, wrap=True, border=True) for header, _, _ in MEMBER_COLUMNS])
    count = 0
    for count, status in enumerate(members, start=1):
        sheet.append([_cell(sheet, value, number_format=number_format, border=True)
                      for value, (_, _, number_format) in zip(member_row(count, status), MEMBER_COLUMNS, strict=True)])
    sheet.append()
    sheet.append([_cell(sheet, f"Tổng số: {number_vn(count)} đoàn viên.", bold=True)])
    _signatures(sheet, place, left=2, right=len(MEMBER_COLUMNS) - 2)


def workbook_chunks(write: Callable[[object], None]) -> Iterator[bytes]:
    """The workbook ``write`` makes, written to an anonymous temporary file, then read back in chunks."""
    with tempfile.TemporaryFile() as out:
        write(out)
        out.seek(0)
        while chunk := out.read(CHUNK_BYTES):
            yield chunk


# -- csv --------------------------------------------------------------------------------

def _csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """Each row as one CSV line, after the byte-order mark Excel needs to read UTF-8.

    The first chunk carries the header and the first data row: whoever asks for it has run the
    query behind the rows, while an error can still be an ordinary page (see reports.views._download)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for number, row in enumerate(rows):
        writer.writerow([neutralise(value) for value in row])
        if number > 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():  # a header with no rows below it
        yield buffer.getvalue()


def report_csv(report: Report) -> Iterator[str]:
    def rows():
        added = added_columns(report)
        yield ["Đơn vị", "Mã đơn vị"] + [header for header, _, _, _ in COLUMNS] + [BEHIND] + [h for h, _ in added]
        for label, code, figures, behind, extra in report_lines(report):
            yield ([label, code] + [_csv_value(value(figures), number_format) for _, _, value, number_format in COLUMNS]
                   + [behind] + ["" if value is None else value for value in extra])
    return _csv_lines(rows())


def _csv_value(value, number_format):
    if number_format == "0.0%" and value is not None:
        return round(100 * value, 1)  # the percentage as a plain number; the header says so
    return "" if value is None else value


def members_csv(members: Iterable[MemberStatus]) -> Iterator[str]:
    def rows():
        yield [header for header, _, _ in MEMBER_COLUMNS]
        for number, status in enumerate(members, start=1):
            row = member_row(number, status)
            row[COMPLETED_ON] = row[COMPLETED_ON].strftime("%d/%m/%Y") if row[COMPLETED_ON] else ""
            yield ["" if value is None else value for value in row]
    return _csv_lines(rows())
