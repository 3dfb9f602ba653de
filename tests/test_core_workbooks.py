"""Every workbook the site writes goes through core.tabular.WorkbookWriter: no text becomes a formula."""
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font

from contests import services as contests
from contests.models import Participant
from core.extensions import db
from core.tabular import FORMULA_START, WorkbookWriter
from learning.models import Question, Topic
from quizzes import services as quizzes
from quizzes.models import Attempt
from tests.test_permissions import TABLE, _client_as, samples  # noqa: F401 (samples is a fixture)

FORMULA_NAME = '=HYPERLINK("http://x","Bấm vào đây")'


def _cells(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_no_formula(cells, where: str) -> None:
    for cell in cells:
        assert cell.data_type != "f", f"{where}: {cell.coordinate} is a formula"
        assert not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_START)), \
            f"{where}: {cell.coordinate} = {cell.value!r}"


def test_the_writer_neutralises_every_text_cell_plain_or_styled():
    writer = WorkbookWriter()
    sheet = writer.sheet("Thử", widths={1: 30}, default_width=12, columns=3, freeze="A2", print_title_row=1)
    sheet.header(["=Tiêu đề", "Cột", "@Cột"])
    sheet.append(["=1+1", "+84", "-5", "@SUM(A1)", "\tTab", "\rCR", "Bình thường", -5, 3.5, None])
    sheet.append([sheet.cell("=styled", font=Font(bold=True)), sheet.cell(date(2022, 3, 31)),
                  datetime(2022, 3, 31, 8, 30)])
    workbook = load_workbook(writer.to_buffer())
    rows = [[cell.value for cell in row] for row in workbook["Thử"].iter_rows()]
    assert rows[0][:3] == ["'=Tiêu đề", "Cột", "'@Cột"]
    assert rows[1][:5] == ["'=1+1", "'+84", "'-5", "'@SUM(A1)", "'\tTab"]
    assert rows[1][5] in ("'\rCR", "'\nCR")  # XML reads a carriage return back as a new line
    assert rows[1][6:9] == ["Bình thường", -5, 3.5]
    assert rows[2][:3] == ["'=styled", datetime(2022, 3, 31), datetime(2022, 3, 31, 8, 30)]
    sheet = workbook["Thử"]
    assert sheet["A3"].font.bold and sheet["B3"].number_format == "dd/mm/yyyy"
    assert sheet["C3"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet.column_dimensions["A"].width == 30 and sheet.column_dimensions["C"].width == 12
    assert sheet.freeze_panes == "A2" and sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.fitToWidth == 1


@pytest.fixture
def formula_world(samples, world):  # noqa: F811 (the fixture imported above)
    """The samples, with a member, a contestant, a question and a topic named like formulas, and the
    member's quiz and contest attempts handed in, so that each appears in the workbooks."""
    world.member_a.full_name = world.member_user.full_name = FORMULA_NAME
    for participant in db.session.scalars(db.select(Participant)):
        participant.full_name = FORMULA_NAME
    topic = db.session.scalars(db.select(Topic).filter_by(slug=samples.topic)).one()
    topic.title = "+" + topic.title
    db.session.scalars(db.select(Question).filter_by(topic_id=topic.id)).first().text = "-" + FORMULA_NAME
    quizzes.submit(db.session.get(Attempt, samples.attempt_id))
    contests.submit(db.session.get(Attempt, samples.contest_attempt_id), 10)
    db.session.commit()
    return samples


def test_no_workbook_download_holds_a_formula(app, formula_world):
    downloads = {endpoint: template for endpoint, (method, template, _) in TABLE.items()
                 if method == "GET" and ".xlsx" in template}
    assert len(downloads) >= 7  # templates, question bank, quiz statistics, jury, report, member list
    named = []
    for endpoint, template in sorted(downloads.items()):
        url = template.format(s=formula_world)
        response = _client_as(app, "admin").get(url)
        assert response.status_code == 200, url
        cells = _cells(response.data)
        _assert_no_formula(cells, url)
        if any(cell.value == "'" + FORMULA_NAME for cell in cells):
            named.append(endpoint)
    # Where the member, the contestant or the question is listed, it is there, as text.
    assert {"quiz_stats.export", "contest_admin.round_results", "reports.export_xlsx",
            "reports.members_xlsx"} <= set(named)


def test_the_writer_streams_what_openpyxl_reads_back_values_styles_and_all():
    from decimal import Decimal

    from openpyxl.styles import Alignment, Border, Side
    writer = WorkbookWriter()
    first = writer.sheet("Kết quả", widths={2: 40}, freeze="B3")
    taken = [writer.take()]
    thin = Border(*(Side(style="thin"),) * 4)
    first.append(["Tên & <đơn vị>", "a\x00b\x1fc", True, False, 2.5, Decimal("1.25"), None, 7])
    first.append([first.cell(0.256, number_format="0.0%", border=thin),
                  first.cell(1234567, number_format="#,##0", font=Font(bold=True, color="C00000")),
                  first.cell("  có khoảng trắng  ", alignment=Alignment(wrap_text=True, vertical="top")),
                  first.cell(None, border=thin), datetime(2026, 12, 5, 23, 59, 59)])
    for number in range(3, 10003):
        first.append([number, f"Người thứ {number} {hash(str(number)):x}"])
        taken.append(writer.take())
    second = writer.sheet("Hai")
    second.append(("tuple", "row"))
    with pytest.raises(ValueError):
        first.append(["sheet closed: the rows of a sheet come before the next sheet"])
    with pytest.raises(ValueError):
        writer.sheet("hai")  # names are unique whatever their case, as in Excel
    taken.extend(writer.chunks())
    assert sum(1 for chunk in taken if chunk) > 2  # bytes left while rows were still being written

    data = b"".join(taken)
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Kết quả"]
    assert [cell.value for cell in sheet[1]] == ["Tên & <đơn vị>", "abc", True, False, 2.5, 1.25, None, 7]
    assert sheet["A2"].value == 0.256 and sheet["A2"].number_format == "0.0%"
    assert sheet["A2"].border.left.style == "thin"
    assert sheet["B2"].value == 1234567 and sheet["B2"].number_format == "#,##0" and sheet["B2"].font.bold
    assert sheet["B2"].font.color.rgb == "00C00000"
    assert sheet["C2"].value == "  có khoảng trắng  " and sheet["C2"].alignment.wrap_text
    assert sheet["D2"].value is None and sheet["D2"].border.top.style == "thin"
    assert sheet["E2"].value == datetime(2026, 12, 5, 23, 59, 59) and sheet["E2"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet.max_row == 10002 and sheet["B10002"].value.startswith("Người thứ 10002 ")
    assert sheet.freeze_panes == "B3" and sheet.column_dimensions["B"].width == 40
    assert [cell.value for cell in workbook["Hai"][1]] == ["tuple", "row"]
    streamed = load_workbook(io.BytesIO(data), read_only=True)  # what imports use
    assert len(list(streamed["Kết quả"].iter_rows(values_only=True))) == 10002


def test_the_writer_refuses_what_a_spreadsheet_cannot_hold():
    sheet = WorkbookWriter().sheet("Thử")
    with pytest.raises(TypeError):
        sheet.append([datetime(2026, 12, 5, tzinfo=datetime.now().astimezone().tzinfo)])
    with pytest.raises(TypeError):
        sheet.append([object()])
    with pytest.raises(ValueError):
        sheet.append([float("nan")])
    with pytest.raises(ValueError):
        WorkbookWriter().sheet("a/b")


def test_the_jury_workbook_is_streamed(app, formula_world):
    response = _client_as(app, "admin").get(TABLE["contest_admin.round_results"][1].format(s=formula_world))
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"ket-qua-")
    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    assert rows[1][0] == "Hạng" and rows[2][1] == "'" + FORMULA_NAME


def test_the_writer_gives_back_what_openpyxl_wrote():
    """Value for value what the openpyxl writer before it gave, read back: the jury's columns above all."""
    from datetime import timedelta

    from openpyxl import Workbook
    rows = [[n, f"Người {n}", 1965 + n % 40, None, [None, 5, 123456][n % 3], n / 7, "" if n % 2 else "Có",
             datetime(2026, 11, 30, 9, 22, 7) + timedelta(seconds=n * 3607, microseconds=n * 7919 % 10**6),
             date(2022, 3, 31) + timedelta(days=n), n % 2 == 0] for n in range(2000)]
    ours = WorkbookWriter()
    sheet = ours.sheet("T")
    theirs = Workbook(write_only=True)
    reference = theirs.create_sheet("T")
    for row in rows:
        sheet.append(row)
        reference.append(row)
    buffer = io.BytesIO()
    theirs.save(buffer)
    read = [list(load_workbook(data).active.values) for data in (ours.to_buffer(), buffer)]
    assert read[0] == read[1]
