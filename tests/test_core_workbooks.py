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
