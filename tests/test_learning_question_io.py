"""Question banks in spreadsheets: the template, the all-or-nothing import, the export."""
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from core.extensions import db
from core.models import AuditEntry
from core.tabular import TableError
from learning import editing, question_io
from learning.models import Choice, Question, Topic

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["Câu hỏi", "Loại", "Đáp án A", "Đáp án B", "Đáp án C", "Đáp án D", "Đáp án E", "Đáp án F",
           "Đáp án đúng", "Giải thích", "Bài học"]


def make_topic(slug="chuyen-de-2022", lessons=("Mục đích, yêu cầu", "Nội dung chuyên đề")) -> Topic:
    topic = editing.create_topic(slug, editing.TopicData(title="Chuyên đề năm 2022", kind="annual", year=2022,
                                                         due_on=date(2022, 3, 31)))
    for n, title in enumerate(lessons, start=1):
        editing.create_lesson(topic, f"bai-{n}", editing.LessonData(title=title, body_md=f"Nội dung {n}."))
    db.session.commit()
    return topic


def xlsx(rows, headers=HEADERS, title_row=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title_row:
        sheet.append([title_row])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(text, kind="Một đáp án", choices=("Đúng", "Sai"), correct="A", explanation="", lesson=""):
    cells = list(choices) + [""] * (6 - len(choices))
    return [text, kind, *cells, correct, explanation, lesson]


GOOD_ROWS = [
    row("Chuyên đề năm 2022 phải học xong trong thời gian nào?", "Một đáp án",
        ("Quý I năm 2022", "Quý II năm 2022", "Cả năm"), "A", "Hạn là hết Quý I.", "bai-1"),
    row("Những hình thức nào được tính là học tập chuyên đề?", "nhieu dap an",
        ("Hội nghị học tập", "Sinh hoạt chuyên đề", "Tọa đàm", "Không tham gia"), "a, B;c", "", "Nội dung chuyên đề"),
    row("Kết quả học tập được báo cáo trong báo cáo 6 tháng và năm.", "Đúng/Sai", ("Đúng", "Sai"), "A", "", "2"),
    row("Câu hỏi dùng mã loại.", "MULTIPLE", ("Một", "Hai", "Ba"), "AC"),
    row("Câu đúng sai dùng mã.", "true_false", ("Đúng", "Sai"), "b"),
]


def post_file(client, topic_slug, content: bytes, filename="cau-hoi.xlsx", **fields):
    data = {"file": (io.BytesIO(content), filename), "publish": "y", **fields}
    return client.post(f"/editor/topics/{topic_slug}/import-questions", data=data,
                       content_type="multipart/form-data")


def bank(topic: Topic):
    questions = db.session.scalars(db.select(Question).filter_by(topic_id=topic.id)
                                   .order_by(Question.position, Question.id))
    return [(q.type, q.text, q.explanation, q.lesson.slug if q.lesson else None,
             [(c.text, c.is_correct) for c in q.choices]) for q in questions]


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def editor(world, login):
    return login("editor")


@pytest.fixture
def saved(tmp_path):
    """Write rows to an .xlsx file and return its path, for calling the service directly."""
    def _saved(rows):
        path = tmp_path / f"file-{len(list(tmp_path.iterdir()))}.xlsx"
        path.write_bytes(xlsx(rows))
        return path
    return _saved


# -- the template ----------------------------------------------------------------------

def test_template_download(editor):
    response = editor.get("/editor/question-template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == "attachment; filename=mau-nhap-cau-hoi.xlsx"
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.max_row == 4 and "Hướng dẫn" in workbook.sheetnames


def test_the_template_itself_imports(editor):
    topic = make_topic()
    response = post_file(editor, topic.slug, editor.get("/editor/question-template.xlsx").data)
    assert "Đã thêm 3 câu hỏi" in response.get_data(as_text=True)
    assert [kind for kind, *_ in bank(topic)] == ["single", "multiple", "true_false"]


# -- importing -------------------------------------------------------------------------

def test_good_file_imports(editor, world):
    topic = make_topic()
    editing.create_question(topic, editing.QuestionData(type="single", text="Câu có sẵn",
                                                        choices=[("a", True), ("b", False)]), slug="q7")
    db.session.commit()
    response = post_file(editor, topic.slug, xlsx(GOOD_ROWS, title_row="NGÂN HÀNG CÂU HỎI CHUYÊN ĐỀ 2022"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã thêm 5 câu hỏi vào ngân hàng của chuyên đề." in html and 'id="import-outcomes"' in html
    questions = db.session.scalars(db.select(Question).filter_by(topic_id=topic.id).order_by(Question.position)).all()
    assert [q.slug for q in questions] == ["q7", "q8", "q9", "q10", "q11", "q12"]
    assert all(q.published and not q.from_content for q in questions[1:])
    assert bank(topic)[1:] == [
        ("single", "Chuyên đề năm 2022 phải học xong trong thời gian nào?", "Hạn là hết Quý I.", "bai-1",
         [("Quý I năm 2022", True), ("Quý II năm 2022", False), ("Cả năm", False)]),
        ("multiple", "Những hình thức nào được tính là học tập chuyên đề?", "", "bai-2",
         [("Hội nghị học tập", True), ("Sinh hoạt chuyên đề", True), ("Tọa đàm", True), ("Không tham gia", False)]),
        ("true_false", "Kết quả học tập được báo cáo trong báo cáo 6 tháng và năm.", "", "bai-2",
         [("Đúng", True), ("Sai", False)]),
        ("multiple", "Câu hỏi dùng mã loại.", "", None, [("Một", True), ("Hai", False), ("Ba", True)]),
        ("true_false", "Câu đúng sai dùng mã.", "", None, [("Đúng", False), ("Sai", True)]),
    ]
    assert questions[1].search_text.startswith("chuyen de nam 2022")
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="questions_imported"))
    assert entry.actor_id == world.editor.id and entry.target_id == topic.slug
    assert entry.details == {"file": "cau-hoi.xlsx", "added": 5, "published": True}


def test_import_as_drafts_and_dry_run(editor):
    topic = make_topic()
    html = post_file(editor, topic.slug, xlsx(GOOD_ROWS), dry_run="y").get_data(as_text=True)
    assert "Tệp hợp lệ: 5 câu hỏi. Chưa ghi gì" in html
    assert count(Question) == 0
    response = editor.post(f"/editor/topics/{topic.slug}/import-questions", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(xlsx(GOOD_ROWS[:2])), "cau-hoi.xlsx")})
    assert "(bản nháp, chưa xuất bản)" in response.get_data(as_text=True)
    assert [q.published for q in db.session.scalars(db.select(Question))] == [False, False]


BAD_ROWS = [
    GOOD_ROWS[0],                                                                      # row 2: fine
    row("Câu chỉ tới bài không có.", lesson="bai-99"),                                  # row 3
    row("Câu không có đáp án đúng.", correct=""),                                       # row 4
    row("Câu sai loại.", kind="Tự luận"),                                               # row 5
    row("Câu chỉ tới ô trống.", choices=("Một", "Hai"), correct="C"),                   # row 6
    row("Một đáp án mà chọn hai.", choices=("Một", "Hai", "Ba"), correct="A, B"),       # row 7
    row("Đáp án bỏ trống ở giữa.", choices=("Một", "", "Ba"), correct="A"),             # row 8
    row("Đáp án đúng viết lạ.", correct="Đúng"),                                        # row 9
    row("", correct="A"),                                                               # row 10
    row("Câu chỉ tới bài không có.", lesson="bai-1"),                                   # row 11: repeats row 3
    row("Đúng/Sai ba đáp án.", kind="Đúng/Sai", choices=("Đúng", "Sai", "Chưa rõ")),    # row 12
    row("Hai đáp án trùng nhau.", choices=("Quý I", "quy i")),                          # row 13
]


def test_bad_file_is_refused_with_rows_and_columns(editor, saved):
    topic = make_topic()
    response = post_file(editor, topic.slug, xlsx(BAD_ROWS))
    html = response.get_data(as_text=True)
    assert "Chưa thêm câu hỏi nào." in html and 'id="import-errors"' in html
    assert count(Question) == 0 and count(Choice) == 0
    assert db.session.scalar(db.select(AuditEntry).filter_by(action="questions_imported")) is None
    result = question_io.import_questions(topic, saved(BAD_ROWS), "cau-hoi.xlsx", None)
    found = {(issue.row, issue.column): issue.message for issue in result.errors}
    assert set(found) == {
        (3, "Bài học"), (4, "Đáp án đúng"), (5, "Loại"), (6, "Đáp án đúng"), (7, "Đáp án đúng"),
        (8, "Đáp án B"), (9, "Đáp án đúng"), (10, "Câu hỏi"), (11, "Câu hỏi"), (12, "Đáp án C"), (13, "Đáp án B"),
    }
    assert found[(3, "Bài học")].startswith("Chuyên đề không có bài học “bai-99”")
    assert found[(4, "Đáp án đúng")].startswith("Chưa có đáp án đúng")
    assert found[(5, "Loại")] == "Loại “Tự luận” không hợp lệ: ghi Một đáp án, Nhiều đáp án hoặc Đúng/Sai."
    assert found[(6, "Đáp án đúng")] == "Đáp án C được đánh dấu đúng nhưng ô “Đáp án C” đang trống."
    assert "chỉ được đánh dấu đúng một đáp án" in found[(7, "Đáp án đúng")]
    assert found[(11, "Câu hỏi")] == "Câu hỏi trùng với dòng 3."
    assert found[(13, "Đáp án B")] == "Có hai đáp án giống nhau."
    assert result.rows == 12 and result.error_count == 11 and result.added == 0
    for number, column in found:
        assert f"<td>{number}</td><td>{column}</td>" in html
    assert count(Question) == 0


def test_lessons_by_slug_title_or_number(app, saved):
    topic = make_topic(lessons=("Bài một", "Bài hai", "Bài hai"))
    result = question_io.import_questions(topic, saved([
        row("Theo mã", lesson="bai-3"), row("Theo tên", lesson="Bài một"), row("Theo số", lesson="3"),
        row("Tên trùng", lesson="Bài hai"), row("Số quá lớn", lesson="4"),
        row("Số mũ", lesson="²")]), "x.xlsx", None)  # a digit to str.isdigit(), not to int()
    found = {(issue.row, issue.column): issue.message for issue in result.errors}
    assert found == {(5, "Bài học"): "Có 2 bài cùng tên “Bài hai”: hãy ghi mã (slug) của bài.",
                     (6, "Bài học"): "Chuyên đề không có bài học “4”. Ghi mã (slug), tên đúng của bài, "
                                     "hoặc số thứ tự bài (1–3).",
                     (7, "Bài học"): "Chuyên đề không có bài học “²”. Ghi mã (slug), tên đúng của bài, "
                                     "hoặc số thứ tự bài (1–3)."}
    result = question_io.import_questions(topic, saved([
        row("Theo mã", lesson="bai-3"), row("Theo tên", lesson=" Bài  một "), row("Theo số", lesson=3)]),
        "x.xlsx", None)
    assert result.ok and result.added == 3
    assert [lesson for _, _, _, lesson, _ in bank(topic)] == ["bai-3", "bai-1", "bai-3"]


def test_unreadable_files_are_refused(editor):
    topic = make_topic()
    html = post_file(editor, topic.slug, xlsx([["Câu?", "Một đáp án"]], headers=["Câu hỏi", "Loại"])) \
        .get_data(as_text=True)
    assert "Thiếu cột bắt buộc: “Đáp án A”, “Đáp án B”, “Đáp án đúng”" in html
    html = post_file(editor, topic.slug, b"not a spreadsheet").get_data(as_text=True)
    assert "Không đọc được tệp .xlsx" in html
    html = post_file(editor, topic.slug, b"x", filename="cau-hoi.pdf").get_data(as_text=True)
    assert "Chỉ nhận tệp .xlsx" in html
    html = post_file(editor, topic.slug, xlsx([])).get_data(as_text=True)
    assert "Tệp không có câu hỏi nào dưới dòng tiêu đề." in html
    assert count(Question) == 0


def test_parsing_helpers():
    for text, kind in [("Một đáp án", "single"), ("mot dap an dung", "single"), ("SINGLE", "single"),
                       ("Nhiều đáp án", "multiple"), ("multiple", "multiple"), ("Đúng/Sai", "true_false"),
                       ("dung - sai", "true_false"), ("true_false", "true_false"), ("Tự luận", None), ("", None)]:
        assert question_io.parse_type(text) == kind, text
    for text, letters in [("A", ["A"]), ("a, c", ["A", "C"]), ("A;C", ["A", "C"]), ("AC", ["A", "C"]),
                          ("A và C", ["A", "C"]), ("B, b", ["B"]), ("F", ["F"]), ("G", None), ("Đúng", None),
                          ("1", None)]:
        assert question_io.parse_letters(text) == letters, text


# -- exporting -------------------------------------------------------------------------

TRICKY = [
    ("single", "=HYPERLINK(\"http://x\",\"bấm\")", "+84 là mã vùng", [("-5", True), ("@SUM(A1)", False)], "bai-1"),
    ("multiple", "Chọn các ý đúng về Kết luận 01-KL/TW", "Xem bài 2.",
     [("Học tập và làm theo", True), ("=1+1", True), ("Không liên quan", False)], "bai-2"),
    ("true_false", "Hạn học tập là hết Quý I.", "", [("Đúng", True), ("Sai", False)], None),
]


def _fill(topic):
    lessons = {lesson.slug: lesson for lesson in editing.ordered_lessons(topic)}
    for kind, text, explanation, choices, lesson in TRICKY:
        editing.create_question(topic, editing.QuestionData(type=kind, text=text, explanation=explanation,
                                                            lesson=lessons.get(lesson), choices=choices))
    db.session.commit()


def test_export_neutralises_formulas(editor):
    topic = make_topic()
    _fill(topic)
    response = editor.get(f"/editor/topics/{topic.slug}/questions.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == "attachment; filename=cau-hoi-chuyen-de-2022.xlsx"
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = [[cell.value for cell in r] for r in sheet.iter_rows()]
    assert rows[0] == HEADERS
    assert rows[1][:4] == ["'=HYPERLINK(\"http://x\",\"bấm\")", "Một đáp án", "'-5", "'@SUM(A1)"]
    assert rows[1][8:] == ["A", "'+84 là mã vùng", "bai-1"]
    assert rows[2][1:5] == ["Nhiều đáp án", "Học tập và làm theo", "'=1+1", "Không liên quan"]
    assert rows[2][8] == "A, B" and rows[3][1] == "Đúng/Sai" and rows[3][10] is None
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)


def test_export_then_import_round_trips(editor):
    source = make_topic()
    _fill(source)
    exported = editor.get(f"/editor/topics/{source.slug}/questions.xlsx").data
    target = make_topic("chuyen-de-2023")
    html = post_file(editor, target.slug, exported, filename="cau-hoi-chuyen-de-2022.xlsx").get_data(as_text=True)
    assert "Đã thêm 3 câu hỏi" in html
    assert bank(target) == bank(source)
    assert bank(source) == [(k, t, e, lesson, c) for k, t, e, c, lesson in TRICKY]
    # And into the same topic: added again (with a warning), never replacing what is there.
    html = post_file(editor, source.slug, exported).get_data(as_text=True)
    assert "Ngân hàng đã có câu hỏi này (q1); vẫn thêm." in html
    assert [q.slug for q in db.session.scalars(db.select(Question).filter_by(topic_id=source.id)
                                               .order_by(Question.position))] == ["q1", "q2", "q3", "q4", "q5", "q6"]


def test_import_and_export_are_for_editors(world, login, client):
    topic = make_topic()
    assert client.get(f"/editor/topics/{topic.slug}/questions.xlsx").headers["Location"].startswith("/accounts/login")
    for username in ("member", "officer_a", "tinh"):
        other = login(username)
        assert other.get("/editor/question-template.xlsx").status_code == 403
        assert other.get(f"/editor/topics/{topic.slug}/questions.xlsx").status_code == 403
        assert post_file(other, topic.slug, xlsx(GOOD_ROWS)).status_code == 403
    assert count(Question) == 0
    assert login("admin").get(f"/editor/topics/{topic.slug}/questions.xlsx").status_code == 200


def test_service_raises_for_unreadable_file(app, tmp_path):
    topic = make_topic()
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"garbage")
    with pytest.raises(TableError):
        question_io.import_questions(topic, path, "x.xlsx", None)
