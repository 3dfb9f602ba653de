"""The editor: who may use it, topics, lessons with their preview, order, publication, cloning, questions."""
import re
from datetime import date

import pytest

from core.extensions import db
from core.models import AuditEntry
from learning import editing
from learning import topics as learning_topics
from learning.models import Choice, Lesson, LessonProgress, Question, Topic, TopicAssignment

ROLES = ["anonymous", "member", "officer_a", "province_officer", "organiser", "editor", "admin"]
USERNAMES = {"member": "member", "officer_a": "officer_a", "province_officer": "tinh", "organiser": "organiser",
             "editor": "editor", "admin": "admin"}
ALLOWED = {"editor", "admin"}

HOSTILE_MARKDOWN = """## Mục đích

Đoạn văn bình thường.

<script>alert("xss")</script>

<img src="/static/a.png" onerror="alert(1)" alt="ảnh">

[Bấm vào đây](javascript:alert(1))

<iframe src="https://example.com/"></iframe>

<a href="javascript:alert(2)" onclick="alert(3)">liên kết</a>
"""


@pytest.fixture
def as_role(world, login, client):
    def _as(role):
        return client if role == "anonymous" else login(USERNAMES[role])
    return _as


def make_topic(slug="chuyen-de-2022", *, lessons=2, questions=True, published=False, year=2022) -> Topic:
    topic = editing.create_topic(slug, editing.TopicData(
        title=f"Chuyên đề năm {year}", kind="annual", year=year, opens_on=date(year, 1, 10),
        due_on=date(year, 3, 31), guiding_document="Hướng dẫn số 01/HD-LĐLĐ", summary="Học tập trong Quý I."))
    for n in range(1, lessons + 1):
        lesson = editing.create_lesson(topic, f"bai-{n}", editing.LessonData(
            title=f"Bài {n}", summary=f"Tóm tắt bài {n}", body_md=f"## Phần {n}\n\nNội dung bài học số {n}."))
        editing.set_lesson_published(lesson, True)
    if questions and lessons:
        first = editing.ordered_lessons(topic)[0]
        editing.create_question(topic, editing.QuestionData(
            type="single", text="Hạn hoàn thành học tập chuyên đề là khi nào?", explanation="Trong Quý I.",
            lesson=first, choices=[("Quý I", True), ("Quý III", False), ("Cuối năm", False)]), published=True)
        editing.create_question(topic, editing.QuestionData(
            type="multiple", text="Những hình thức học tập nào được tính?", lesson=None,
            choices=[("Hội nghị học tập", True), ("Sinh hoạt chuyên đề", True), ("Không học", False)]))
    if published:
        editing.set_topic_published(topic, True)
    db.session.commit()
    return topic


def preview_section(html: str) -> str:
    start = html.index('<section id="lesson-preview"')
    return html[start:html.index("</section>", start)]


def article(html: str) -> str:
    match = re.search(r'<article class="lesson-body">.*?</article>', html, re.S)
    assert match, "no lesson body on the page"
    return match.group(0)


# -- who may use the editor ------------------------------------------------------------

GET_PATHS = [
    "/editor/", "/editor/new-topic", "/editor/topics/chuyen-de-2022/", "/editor/topics/chuyen-de-2022/edit",
    "/editor/topics/chuyen-de-2022/clone", "/editor/topics/chuyen-de-2022/new-lesson",
    "/editor/topics/chuyen-de-2022/lessons/bai-1", "/editor/topics/chuyen-de-2022/questions",
    "/editor/topics/chuyen-de-2022/new-question", "/editor/topics/chuyen-de-2022/questions/q1",
    "/editor/topics/chuyen-de-2022/import-questions", "/editor/topics/chuyen-de-2022/questions.xlsx",
    "/editor/question-template.xlsx",
]
POST_PATHS = [
    "/editor/new-topic", "/editor/topics/chuyen-de-2022/edit", "/editor/topics/chuyen-de-2022/publish",
    "/editor/topics/chuyen-de-2022/unpublish", "/editor/topics/chuyen-de-2022/assign",
    "/editor/topics/chuyen-de-2022/unassign/1", "/editor/topics/chuyen-de-2022/clone",
    "/editor/topics/chuyen-de-2022/new-lesson", "/editor/topics/chuyen-de-2022/lessons/bai-1",
    "/editor/topics/chuyen-de-2022/lessons/bai-2/move/up", "/editor/topics/chuyen-de-2022/lessons/bai-1/move/down",
    "/editor/topics/chuyen-de-2022/lessons/bai-1/publish", "/editor/topics/chuyen-de-2022/lessons/bai-1/unpublish",
    "/editor/topics/chuyen-de-2022/new-question", "/editor/topics/chuyen-de-2022/questions/q1",
    "/editor/topics/chuyen-de-2022/questions/q2/publish", "/editor/topics/chuyen-de-2022/questions/q1/unpublish",
    "/editor/topics/chuyen-de-2022/import-questions",
]


@pytest.mark.parametrize("role", ROLES)
def test_every_editor_page_by_role(as_role, role):
    make_topic()
    client = as_role(role)
    for path in GET_PATHS:
        response = client.get(path)
        if role == "anonymous":
            assert response.status_code == 302 and response.headers["Location"].startswith("/accounts/login"), path
        else:
            assert response.status_code == (200 if role in ALLOWED else 403), path


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ALLOWED])
def test_others_cannot_change_anything(as_role, role):
    topic = make_topic()
    before = (topic.title, [(x.slug, x.position, x.published) for x in editing.ordered_lessons(topic)],
              db.session.scalar(db.select(db.func.count()).select_from(Question)))
    client = as_role(role)
    for path in POST_PATHS:
        response = client.post(path, data={"title": "Đổi tên", "slug": "moi", "kind": "annual", "year": "2023",
                                           "unit_code": "P", "body_md": "x", "type": "single", "lesson": "0",
                                           "text": "?", "choice_a": "a", "correct_a": "y", "choice_b": "b"})
        if role == "anonymous":
            assert response.headers["Location"].startswith("/accounts/login"), path
        else:
            assert response.status_code == 403, path
    db.session.expire_all()
    topic = db.session.get(Topic, topic.id)
    assert (topic.title, [(x.slug, x.position, x.published) for x in editing.ordered_lessons(topic)],
            db.session.scalar(db.select(db.func.count()).select_from(Question))) == before
    assert not topic.published and not topic.assignments
    assert db.session.scalar(db.select(Topic).filter_by(slug="moi")) is None


@pytest.mark.parametrize("role,shown", [("editor", True), ("admin", True), ("member", False), ("officer_a", False)])
def test_navbar_link_for_editors(as_role, role, shown):
    html = as_role(role).get("/learn/").get_data(as_text=True)
    assert ('href="/editor/"' in html and "Biên tập" in html) is shown


# -- topics ----------------------------------------------------------------------------

def test_topic_list_shows_unpublished_topics_with_counts(as_role):
    make_topic()
    make_topic("chuyen-de-2023", lessons=1, questions=False, published=True, year=2023)
    html = as_role("editor").get("/editor/").get_data(as_text=True)
    assert "Chuyên đề năm 2022" in html and "Chuyên đề năm 2023" in html
    assert "Chưa xuất bản" in html and "Đã xuất bản" in html
    overview = {row.topic.slug: row for row in editing.topic_overview()}
    assert (overview["chuyen-de-2022"].lessons, overview["chuyen-de-2022"].questions,
            overview["chuyen-de-2022"].published_questions) == (2, 2, 1)
    assert (overview["chuyen-de-2023"].lessons, overview["chuyen-de-2023"].questions) == (1, 0)
    assert [row.topic.slug for row in editing.topic_overview()] == ["chuyen-de-2023", "chuyen-de-2022"]


def test_create_topic_through_the_form(as_role, world):
    client = as_role("editor")
    response = client.post("/editor/new-topic", data={
        "title": "Chuyên đề năm 2024", "slug": "chuyen-de-2024", "kind": "annual", "year": "2024",
        "opens_on": "2/1/2024", "due_on": "31/03/2024", "guiding_document": "Hướng dẫn số 05/HD-LĐLĐ",
        "summary": "Học tập, quán triệt trong Quý I."})
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2024/"
    topic = learning_topics.get_topic("chuyen-de-2024", include_unpublished=True)
    assert (topic.title, topic.kind, topic.year, topic.opens_on, topic.due_on) == (
        "Chuyên đề năm 2024", "annual", 2024, date(2024, 1, 2), date(2024, 3, 31))
    assert not topic.published and not topic.from_content
    assert db.session.scalar(db.select(AuditEntry).filter_by(action="topic_created")).actor_id == world.editor.id
    html = client.get("/editor/topics/chuyen-de-2024/edit").get_data(as_text=True)
    assert 'value="02/01/2024"' in html and 'value="31/03/2024"' in html


@pytest.mark.parametrize("changes,message", [
    ({"slug": "Chuyên Đề"}, "chỉ gồm chữ thường không dấu"),
    ({"due_on": "31/13/2024"}, "Ngày không hợp lệ: ghi theo dd/mm/yyyy"),
    ({"opens_on": "01/04/2024", "due_on": "31/03/2024"}, "Hạn hoàn thành không được trước ngày bắt đầu."),
    ({"year": "1990"}, "Năm phải trong khoảng 2000–2100."),
    ({"title": ""}, "Hãy nhập tên chuyên đề."),
    ({"slug": "chuyen-de-2022"}, "Đã có chuyên đề mang mã “chuyen-de-2022”."),
])
def test_create_topic_refusals_are_in_vietnamese(as_role, changes, message):
    make_topic()
    data = {"title": "Chuyên đề mới", "slug": "chuyen-de-moi", "kind": "annual", "year": "2024",
            "opens_on": "", "due_on": "", "guiding_document": "", "summary": ""}
    response = as_role("editor").post("/editor/new-topic", data={**data, **changes})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Topic)) == 1


def test_service_refuses_bad_topics(app):
    data = editing.TopicData(title="Chuyên đề", kind="annual", year=2024)
    for slug in ("", "Hoa", "có-dấu", "-dau", "a" * 81, "a b"):
        with pytest.raises(editing.EditError):
            editing.create_topic(slug, data)
    with pytest.raises(editing.EditError, match="Loại chuyên đề"):
        editing.create_topic("x", editing.TopicData(title="Chuyên đề", kind="weekly", year=2024))
    with pytest.raises(editing.EditError, match="Hạn hoàn thành"):
        editing.create_topic("x", editing.TopicData(title="Chuyên đề", kind="annual", year=2024,
                                                    opens_on=date(2024, 4, 1), due_on=date(2024, 3, 1)))


def test_edit_topic_keeps_its_slug(as_role):
    topic = make_topic()
    response = as_role("editor").post("/editor/topics/chuyen-de-2022/edit", data={
        "title": "Chuyên đề năm 2022 (sửa)", "slug": "doi-ma", "kind": "full_term", "year": "2022",
        "opens_on": "15/01/2022", "due_on": "", "guiding_document": "Kế hoạch 02", "summary": "Mới"})
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/"
    db.session.refresh(topic)
    assert (topic.slug, topic.title, topic.kind, topic.opens_on, topic.due_on, topic.summary) == (
        "chuyen-de-2022", "Chuyên đề năm 2022 (sửa)", "full_term", date(2022, 1, 15), None, "Mới")


def test_publishing_needs_a_published_lesson(as_role):
    topic = make_topic(lessons=0)
    client = as_role("editor")
    client.post("/editor/topics/chuyen-de-2022/publish")
    db.session.refresh(topic)
    assert not topic.published
    html = client.get("/editor/topics/chuyen-de-2022/").get_data(as_text=True)
    assert "chưa có bài học nào đã xuất bản" in html


def test_assign_publish_and_the_member_sees_the_topic(as_role, world):
    topic = make_topic()
    editor = as_role("editor")
    member = as_role("member")
    assert "Chuyên đề năm 2022" not in member.get("/learn/").get_data(as_text=True)
    response = editor.post("/editor/topics/chuyen-de-2022/assign", data={"unit_code": "p"})
    assert response.headers["Location"].startswith("/editor/topics/chuyen-de-2022/")
    editor.post("/editor/topics/chuyen-de-2022/publish")
    db.session.refresh(topic)
    assert topic.published and [a.unit.code for a in topic.assignments] == ["P"]
    assert "Chuyên đề năm 2022" in member.get("/learn/").get_data(as_text=True)
    # Unknown unit: a clear message, nothing added.
    editor.post("/editor/topics/chuyen-de-2022/assign", data={"unit_code": "KHONG-CO"})
    assert "Không có đơn vị mã “KHONG-CO”" in editor.get("/editor/topics/chuyen-de-2022/").get_data(as_text=True)
    # Take it back.
    editor.post(f"/editor/topics/chuyen-de-2022/unassign/{world.province.id}")
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(TopicAssignment)) == 0
    assert "Chuyên đề năm 2022" not in member.get("/learn/").get_data(as_text=True)
    editor.post("/editor/topics/chuyen-de-2022/unpublish")
    db.session.expire_all()
    assert not db.session.get(Topic, topic.id).published
    actions = set(db.session.scalars(db.select(AuditEntry.action)))
    assert {"topic_assigned", "topic_unassigned", "topic_published", "topic_unpublished"} <= actions


# -- lessons ---------------------------------------------------------------------------

def test_create_lesson_as_a_draft_then_publish(as_role, world):
    topic = make_topic(lessons=1, questions=False, published=True)
    editing.assign_unit(topic, world.province)
    db.session.commit()
    editor, member = as_role("editor"), as_role("member")
    response = editor.post("/editor/topics/chuyen-de-2022/new-lesson", data={
        "title": "Bài mới", "slug": "bai-moi", "summary": "Tóm tắt", "body_md": "## Một\n\nChữ " * 5,
        "min_read_seconds": "90", "submit": "Lưu bài học"})
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/lessons/bai-moi"
    lesson = learning_topics.get_lesson(topic, "bai-moi", include_unpublished=True)
    assert (lesson.position, lesson.published, lesson.min_read_seconds) == (2, False, 90)
    assert '<h2 id="mot">Một</h2>' in lesson.body_html and "chu" in lesson.search_text
    assert member.get("/learn/chuyen-de-2022/bai-moi").status_code == 404
    editor.post("/editor/topics/chuyen-de-2022/lessons/bai-moi/publish")
    assert member.get("/learn/chuyen-de-2022/bai-moi").status_code == 200
    editor.post("/editor/topics/chuyen-de-2022/lessons/bai-moi/unpublish")
    assert member.get("/learn/chuyen-de-2022/bai-moi").status_code == 404


def test_lesson_slug_rules(as_role):
    make_topic(lessons=1, questions=False)
    client = as_role("editor")
    data = {"title": "Bài", "summary": "", "body_md": "Nội dung", "submit": "Lưu"}
    html = client.post("/editor/topics/chuyen-de-2022/new-lesson",
                       data={**data, "slug": "bai-1"}).get_data(as_text=True)
    assert "Chuyên đề đã có bài học mang mã “bai-1”." in html
    html = client.post("/editor/topics/chuyen-de-2022/new-lesson",
                       data={**data, "slug": "Bài 2"}).get_data(as_text=True)
    assert "chỉ gồm chữ thường không dấu" in html
    html = client.post("/editor/topics/chuyen-de-2022/new-lesson",
                       data={**data, "slug": "bai-2", "body_md": ""}).get_data(as_text=True)
    assert "Bài học chưa có nội dung." in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Lesson)) == 1


def test_edit_lesson_rerenders_and_reindexes(as_role):
    topic = make_topic(lessons=1, questions=False)
    lesson = learning_topics.get_lesson(topic, "bai-1")
    response = as_role("editor").post("/editor/topics/chuyen-de-2022/lessons/bai-1", data={
        "title": "Tiêu đề đã sửa", "summary": "Tóm tắt mới", "body_md": "## Ý nghĩa\n\nVăn bản **mới**.",
        "min_read_seconds": "", "submit": "Lưu bài học"})
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/lessons/bai-1"
    db.session.refresh(lesson)
    assert lesson.title == "Tiêu đề đã sửa" and lesson.body_md == "## Ý nghĩa\n\nVăn bản **mới**."
    assert "<strong>mới</strong>" in lesson.body_html and 'href="#y-nghia"' in lesson.toc_html
    assert "tieu de da sua" in lesson.search_text and "van ban moi" in lesson.search_text
    assert lesson.min_read_seconds is None and lesson.word_count == 5


def test_preview_renders_the_member_partial_and_stores_nothing(as_role):
    topic = make_topic(lessons=1, questions=False)
    lesson = learning_topics.get_lesson(topic, "bai-1")
    saved = (lesson.title, lesson.body_md, lesson.body_html, lesson.updated_at)
    client = as_role("editor")
    source = "## Mục đích, yêu cầu\n\nHọc tập **chuyên đề** năm 2022.\n\n### Chi tiết\n\n- Một\n- Hai"
    response = client.post("/editor/topics/chuyen-de-2022/lessons/bai-1", data={
        "title": "Bài xem trước", "summary": "Tóm tắt xem trước", "body_md": source, "preview": "Xem trước"})
    assert response.status_code == 200
    preview = preview_section(response.get_data(as_text=True))
    assert "Bài xem trước" in preview and "Tóm tắt xem trước" in preview and "Khoảng 1 phút đọc" in preview
    assert '<h2 id="muc-dich-yeu-cau">Mục đích, yêu cầu</h2>' in preview
    assert 'aria-label="Mục lục bài học"' in preview and "<strong>chuyên đề</strong>" in preview
    db.session.expire_all()
    lesson = db.session.get(Lesson, lesson.id)
    assert (lesson.title, lesson.body_md, lesson.body_html, lesson.updated_at) == saved
    # The new-lesson form previews too, without creating anything.
    response = client.post("/editor/topics/chuyen-de-2022/new-lesson", data={
        "title": "Chưa lưu", "slug": "chua-luu", "summary": "", "body_md": source, "preview": "Xem trước"})
    assert "Chưa lưu" in preview_section(response.get_data(as_text=True))
    assert db.session.scalar(db.select(db.func.count()).select_from(Lesson)) == 1
    # After saving, the member's page shows exactly what the preview showed.
    client.post("/editor/topics/chuyen-de-2022/lessons/bai-1", data={
        "title": "Bài xem trước", "summary": "Tóm tắt xem trước", "body_md": source, "submit": "Lưu bài học"})
    member_page = client.get("/learn/chuyen-de-2022/bai-1").get_data(as_text=True)
    assert article(member_page) == article(preview)
    toc = re.compile(r'<details class="toc.*?</details>', re.S)
    assert toc.search(member_page).group(0) == toc.search(preview).group(0)


def test_hostile_markdown_never_reaches_the_page(as_role):
    topic = make_topic(lessons=1, questions=False)
    client = as_role("editor")
    response = client.post("/editor/topics/chuyen-de-2022/lessons/bai-1", data={
        "title": "Bài", "summary": "", "body_md": HOSTILE_MARKDOWN, "preview": "Xem trước"})
    rendered = [preview_section(response.get_data(as_text=True))]
    client.post("/editor/topics/chuyen-de-2022/lessons/bai-1", data={
        "title": "Bài", "summary": "", "body_md": HOSTILE_MARKDOWN, "submit": "Lưu bài học"})
    lesson = learning_topics.get_lesson(topic, "bai-1")
    db.session.refresh(lesson)
    assert lesson.body_md == HOSTILE_MARKDOWN.strip()  # the source is kept as written
    rendered.append(lesson.body_html)
    rendered.append(article(client.get("/learn/chuyen-de-2022/bai-1").get_data(as_text=True)))
    for html in rendered:
        lowered = html.lower()
        for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "alert("):
            assert bad not in lowered, (bad, html)
        assert "Đoạn văn bình thường." in html and 'src="/static/a.png"' in html


def test_move_lessons_up_and_down(as_role):
    topic = make_topic(lessons=3, questions=False)

    def order():
        db.session.expire_all()
        return [lesson.slug for lesson in editing.ordered_lessons(db.session.get(Topic, topic.id))]

    client = as_role("editor")
    response = client.post("/editor/topics/chuyen-de-2022/lessons/bai-3/move/up")
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/#lesson-bai-3"
    assert order() == ["bai-1", "bai-3", "bai-2"]
    client.post("/editor/topics/chuyen-de-2022/lessons/bai-1/move/down")
    assert order() == ["bai-3", "bai-1", "bai-2"]
    client.post("/editor/topics/chuyen-de-2022/lessons/bai-3/move/up")  # already first
    client.post("/editor/topics/chuyen-de-2022/lessons/bai-2/move/down")  # already last
    assert order() == ["bai-3", "bai-1", "bai-2"]
    assert [lesson.position for lesson in editing.ordered_lessons(topic)] == [1, 2, 3]
    # Members read them in the new order.
    assert [lesson.slug for lesson in learning_topics.published_lessons(topic)] == ["bai-3", "bai-1", "bai-2"]


def test_move_renumbers_gapped_positions(app):
    topic = make_topic(lessons=3, questions=False)
    for lesson, position in zip(editing.ordered_lessons(topic), (10, 20, 30), strict=True):
        lesson.position = position
    db.session.flush()
    third = learning_topics.get_lesson(topic, "bai-3")
    assert editing.move_lesson(third, -1) is True
    assert [(x.slug, x.position) for x in editing.ordered_lessons(topic)] == [("bai-1", 1), ("bai-3", 2), ("bai-2", 3)]
    assert editing.move_lesson(learning_topics.get_lesson(topic, "bai-1"), -1) is False


# -- cloning ---------------------------------------------------------------------------

def test_clone_topic_copies_content_but_nothing_of_people(world):
    source = make_topic(published=True)
    source.from_content = True
    editing.assign_unit(source, world.province)
    lesson = learning_topics.get_lesson(source, "bai-1")
    db.session.add(LessonProgress(member_id=world.member_a.id, lesson_id=lesson.id))
    db.session.commit()

    clone = editing.clone_topic(source, "chuyen-de-2023", "Chuyên đề năm 2023", 2023, actor=world.editor)
    db.session.commit()
    assert (clone.slug, clone.title, clone.year, clone.kind) == ("chuyen-de-2023", "Chuyên đề năm 2023", 2023, "annual")
    assert (clone.guiding_document, clone.summary) == (source.guiding_document, source.summary)
    assert (clone.opens_on, clone.due_on) == (date(2023, 1, 10), date(2023, 3, 31))
    assert not clone.published and not clone.from_content and clone.assignments == []
    copies = editing.ordered_lessons(clone)
    originals = editing.ordered_lessons(source)
    def described(lessons):
        return [(lesson.slug, lesson.title, lesson.summary, lesson.body_md, lesson.body_html, lesson.position,
                 lesson.published) for lesson in lessons]

    assert described(copies) == described(originals)
    assert {lesson.id for lesson in copies}.isdisjoint({lesson.id for lesson in originals})
    assert db.session.scalar(db.select(db.func.count()).select_from(LessonProgress)
                             .where(LessonProgress.lesson_id.in_([lesson.id for lesson in copies]))) == 0

    def bank(topic):
        rows = db.session.scalars(db.select(Question).filter_by(topic_id=topic.id).order_by(Question.position))
        return [(q.slug, q.type, q.text, q.explanation, q.published, q.lesson.slug if q.lesson else None,
                 q.search_text, [(c.position, c.text, c.is_correct) for c in q.choices]) for q in rows]

    assert bank(clone) == bank(source) and len(bank(clone)) == 2
    linked = db.session.scalars(db.select(Question).filter_by(topic_id=clone.id).where(Question.lesson_id.is_not(None)))
    assert all(q.lesson.topic_id == clone.id for q in linked)
    # The source is untouched.
    db.session.refresh(source)
    assert source.published and len(source.assignments) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Choice)) == 12
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="topic_cloned"))
    assert entry.details == {"from": "chuyen-de-2022", "lessons": 2, "questions": 2}


def test_clone_refusals_and_leap_day(app):
    source = make_topic(lessons=1, questions=False)
    with pytest.raises(editing.EditError, match="Đã có chuyên đề"):
        editing.clone_topic(source, "chuyen-de-2022", "Bản sao", 2023)
    with pytest.raises(editing.EditError, match="không hợp lệ"):
        editing.clone_topic(source, "Bản sao", "Bản sao", 2023)
    source.opens_on, source.due_on = date(2024, 2, 29), date(2024, 3, 31)
    source.year = 2024
    copy = editing.clone_topic(source, "ban-sao", "Bản sao", 2025)
    assert (copy.opens_on, copy.due_on) == (date(2025, 2, 28), date(2025, 3, 31))
    same_year = editing.clone_topic(source, "ban-sao-2", "Bản sao 2")
    assert (same_year.year, same_year.opens_on) == (2024, date(2024, 2, 29))


def test_clone_through_the_form(as_role):
    make_topic()
    client = as_role("editor")
    html = client.get("/editor/topics/chuyen-de-2022/clone").get_data(as_text=True)
    assert 'value="chuyen-de-2023"' in html and 'value="Chuyên đề năm 2023"' in html and 'value="2023"' in html
    response = client.post("/editor/topics/chuyen-de-2022/clone",
                           data={"title": "Chuyên đề năm 2023", "slug": "chuyen-de-2023", "year": "2023"})
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2023/"
    clone = learning_topics.get_topic("chuyen-de-2023", include_unpublished=True)
    assert len(editing.ordered_lessons(clone)) == 2 and editing.question_count(clone) == 2
    html = client.post("/editor/topics/chuyen-de-2022/clone",
                       data={"title": "Lần nữa", "slug": "chuyen-de-2023", "year": "2023"}).get_data(as_text=True)
    assert "Đã có chuyên đề mang mã “chuyen-de-2023”." in html


# -- the question bank -----------------------------------------------------------------

def question_form(**changes):
    data = {"type": "single", "lesson": "0", "text": "Đại hội XIII của Đảng họp năm nào?", "explanation": "",
            "choice_a": "2021", "correct_a": "y", "choice_b": "2016", "choice_c": "", "choice_d": "",
            "choice_e": "", "choice_f": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_create_questions_with_generated_slugs(as_role):
    topic = make_topic(questions=False)
    lesson = learning_topics.get_lesson(topic, "bai-2")
    client = as_role("editor")
    response = client.post("/editor/topics/chuyen-de-2022/new-question", data=question_form(lesson=str(lesson.id)))
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/questions#q-q1"
    client.post("/editor/topics/chuyen-de-2022/new-question", data=question_form(
        type="multiple", text="Chọn các hình thức học tập", choice_a="Hội nghị", choice_b="Tọa đàm",
        correct_b="y", choice_c="Không học"))
    client.post("/editor/topics/chuyen-de-2022/new-question", data=question_form(slug="cau-rieng", text="Câu riêng"))
    rows = db.session.scalars(db.select(Question).order_by(Question.position)).all()
    assert [(q.slug, q.type, q.position, q.published) for q in rows] == [
        ("q1", "single", 1, False), ("q2", "multiple", 2, False), ("cau-rieng", "single", 3, False)]
    assert rows[0].lesson_id == lesson.id and rows[1].lesson_id is None
    assert [(c.text, c.is_correct) for c in rows[1].choices] == [("Hội nghị", True), ("Tọa đàm", True),
                                                                 ("Không học", False)]
    assert rows[0].search_text == "dai hoi xiii cua dang hop nam nao?"
    assert editing.new_question_slugs(topic, 2) == ["q3", "q4"]


@pytest.mark.parametrize("changes,message", [
    ({"correct_a": None}, "Đáp án chưa hợp lệ: Chưa có đáp án đúng."),
    ({"correct_b": "y"}, "chỉ được đánh dấu đúng một đáp án"),
    ({"type": "multiple"}, "cần ít nhất hai đáp án đúng"),
    ({"choice_b": ""}, "Cần ít nhất hai đáp án."),
    ({"choice_b": "2021"}, "Có hai đáp án giống nhau."),
    ({"type": "true_false", "choice_c": "Không rõ"}, "Câu Đúng/Sai có đúng hai đáp án."),
    ({"choice_d": "Xa", "choice_c": ""}, "Đáp án C trống: hãy điền các đáp án liền nhau từ A."),
    ({"correct_e": "y"}, "Đáp án E đang trống nhưng được đánh dấu đúng."),
    ({"text": ""}, "Hãy nhập nội dung câu hỏi."),
    ({"type": "essay"}, "Lựa chọn không hợp lệ."),
    ({"slug": "Câu 1"}, "chỉ gồm chữ thường không dấu"),
])
def test_question_refusals(as_role, changes, message):
    make_topic(questions=False)
    response = as_role("editor").post("/editor/topics/chuyen-de-2022/new-question", data=question_form(**changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == 0


def test_question_service_checks_the_lesson_belongs_to_the_topic(app):
    topic = make_topic(questions=False)
    other = make_topic("khac", lessons=1, questions=False)
    with pytest.raises(editing.EditError, match="không thuộc chuyên đề"):
        editing.create_question(topic, editing.QuestionData(
            type="single", text="?", lesson=editing.ordered_lessons(other)[0], choices=[("a", True), ("b", False)]))
    editing.create_question(topic, editing.QuestionData(type="single", text="Một", choices=[("a", True), ("b", False)]),
                            slug="trung")
    with pytest.raises(editing.EditError, match="đã có câu mang mã “trung”"):
        editing.create_question(topic, editing.QuestionData(type="single", text="Hai",
                                                            choices=[("a", True), ("b", False)]), slug="trung")


def test_edit_question_and_publish(as_role):
    topic = make_topic()
    question = editing.get_question(topic, "q2")
    client = as_role("editor")
    html = client.get("/editor/topics/chuyen-de-2022/questions/q2").get_data(as_text=True)
    assert 'value="Sinh hoạt chuyên đề"' in html
    checked = {box: "checked" in tag for box, tag in
               ((m.group(1), m.group(0)) for m in re.finditer(r'<input[^>]*id="(correct_[a-f])"[^>]*>', html))}
    assert checked == {"correct_a": True, "correct_b": True, "correct_c": False, "correct_d": False,
                       "correct_e": False, "correct_f": False}
    lesson = learning_topics.get_lesson(topic, "bai-2")
    response = client.post("/editor/topics/chuyen-de-2022/questions/q2?lesson=bai-2", data=question_form(
        type="true_false", lesson=str(lesson.id), text="Học tập chuyên đề là bắt buộc.", choice_a="Đúng",
        choice_b="Sai", explanation="Theo hướng dẫn."))
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/questions?lesson=bai-2#q-q2"
    db.session.refresh(question)
    assert (question.type, question.text, question.lesson_id, question.explanation) == (
        "true_false", "Học tập chuyên đề là bắt buộc.", lesson.id, "Theo hướng dẫn.")
    assert [(c.text, c.is_correct) for c in question.choices] == [("Đúng", True), ("Sai", False)]
    assert question.search_text == "hoc tap chuyen de la bat buoc."
    assert not question.published
    client.post("/editor/topics/chuyen-de-2022/questions/q2/publish")
    db.session.refresh(question)
    assert question.published
    client.post("/editor/topics/chuyen-de-2022/questions/q2/unpublish")
    db.session.refresh(question)
    assert not question.published


def test_save_and_publish_in_one_step(as_role):
    make_topic(questions=False)
    client = as_role("editor")
    page = client.get("/editor/topics/chuyen-de-2022/new-question").get_data(as_text=True)
    assert 'value="Lưu bản nháp"' in page and 'value="Lưu và xuất bản"' in page
    response = client.post("/editor/topics/chuyen-de-2022/new-question",
                           data=question_form(publish="Lưu và xuất bản"), follow_redirects=True)
    assert "Đã thêm và xuất bản câu hỏi q1." in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Question).filter_by(slug="q1")).one().published
    # A draft, edited later, is published with its last changes in one step too.
    client.post("/editor/topics/chuyen-de-2022/new-question", data=question_form(text="Câu nháp"))
    response = client.post("/editor/topics/chuyen-de-2022/questions/q2",
                           data=question_form(text="Câu đã sửa", publish="Lưu và xuất bản"), follow_redirects=True)
    assert "Đã lưu và xuất bản câu hỏi q2." in response.get_data(as_text=True)
    question = db.session.scalars(db.select(Question).filter_by(slug="q2")).one()
    assert question.published and question.text == "Câu đã sửa"
    # A published question offers a plain save only.
    page = client.get("/editor/topics/chuyen-de-2022/questions/q2").get_data(as_text=True)
    assert 'value="Lưu và xuất bản"' not in page and 'value="Lưu câu hỏi"' in page


def test_a_refused_publication_saves_nothing(as_role):
    make_topic(questions=False)
    response = as_role("editor").post("/editor/topics/chuyen-de-2022/new-question",
                                      data=question_form(correct_a=None, publish="Lưu và xuất bản"))
    assert "Chưa có đáp án đúng" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == 0


def test_the_saved_question_is_shown_on_its_page_of_the_bank(as_role):
    topic = make_topic()  # q1 on lesson 1, q2 on no lesson
    for n in range(3, 61):
        editing.create_question(topic, editing.QuestionData(type="true_false", text=f"Câu {n}",
                                                            choices=[("Đúng", True), ("Sai", False)]))
    db.session.commit()
    client = as_role("editor")
    response = client.post("/editor/topics/chuyen-de-2022/new-question", data=question_form(text="Câu mới"))
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/questions?page=2#q-q61"
    assert 'id="q-q61"' in client.get(response.headers["Location"]).get_data(as_text=True)
    # Added from a lesson's list but for no lesson: the filter that would hide it is dropped.
    response = client.post("/editor/topics/chuyen-de-2022/new-question?lesson=bai-1", data=question_form(text="Câu 62"))
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/questions?page=2#q-q62"
    response = client.post("/editor/topics/chuyen-de-2022/questions/q1/unpublish?lesson=bai-1")
    assert response.headers["Location"] == "/editor/topics/chuyen-de-2022/questions?lesson=bai-1#q-q1"


def test_a_draft_is_marked_in_words_in_the_bank(as_role):
    make_topic()  # q1 published, q2 a draft
    page = as_role("editor").get("/editor/topics/chuyen-de-2022/questions").get_data(as_text=True)
    draft = page[page.index('id="q-q2"'):]
    published = page[page.index('id="q-q1"'):page.index('id="q-q2"')]
    assert '<span class="badge text-bg-warning">Bản nháp</span>' in draft[:400]
    assert "Bản nháp" not in published and 'class="list-group-item question-draft" id="q-q2"' in page


def test_question_list_filters_by_lesson(as_role):
    make_topic()
    client = as_role("editor")
    everything = client.get("/editor/topics/chuyen-de-2022/questions").get_data(as_text=True)
    assert 'id="q-q1"' in everything and 'id="q-q2"' in everything and "2 câu hỏi" in everything
    first = client.get("/editor/topics/chuyen-de-2022/questions?lesson=bai-1").get_data(as_text=True)
    assert 'id="q-q1"' in first and 'id="q-q2"' not in first
    none = client.get("/editor/topics/chuyen-de-2022/questions?lesson=-").get_data(as_text=True)
    assert 'id="q-q1"' not in none and 'id="q-q2"' in none
    assert client.get("/editor/topics/chuyen-de-2022/questions?lesson=khong-co").status_code == 404
    assert client.get("/editor/topics/khong-co/questions").status_code == 404


def test_new_question_form_preselects_the_filtered_lesson(as_role):
    topic = make_topic()
    lesson = learning_topics.get_lesson(topic, "bai-2")
    html = as_role("editor").get("/editor/topics/chuyen-de-2022/new-question?lesson=bai-2").get_data(as_text=True)
    assert f'<option selected value="{lesson.id}">2. Bài 2</option>' in html


def test_forms_carry_a_csrf_token_and_posts_without_it_are_refused(app, as_role):
    topic = make_topic()
    client = as_role("editor")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/editor/topics/chuyen-de-2022/publish").status_code == 400
        assert client.post("/editor/topics/chuyen-de-2022/lessons/bai-1", data={
            "title": "x", "summary": "", "body_md": "y", "submit": "Lưu"}).status_code == 400
        html = client.get("/editor/topics/chuyen-de-2022/").get_data(as_text=True)
        forms = re.findall(r"<form method=\"post\".*?</form>", html, re.S)
        assert forms and all('name="csrf_token"' in form for form in forms)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
        client.post("/editor/topics/chuyen-de-2022/publish", data={"csrf_token": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(topic)
    assert topic.published
    for path in ("/editor/new-topic", "/editor/topics/chuyen-de-2022/edit", "/editor/topics/chuyen-de-2022/clone",
                 "/editor/topics/chuyen-de-2022/lessons/bai-1", "/editor/topics/chuyen-de-2022/new-question",
                 "/editor/topics/chuyen-de-2022/questions", "/editor/topics/chuyen-de-2022/import-questions"):
        app.config["WTF_CSRF_ENABLED"] = True
        try:
            html = client.get(path).get_data(as_text=True)
        finally:
            app.config["WTF_CSRF_ENABLED"] = False
        for form in re.findall(r"<form method=\"post\".*?</form>", html, re.S):
            assert 'name="csrf_token"' in form, (path, form[:200])


def test_rows_from_the_content_files_are_explained_without_commands(as_role):
    topic = make_topic()
    lesson = editing.ordered_lessons(topic)[0]
    question = db.session.scalars(db.select(Question).where(Question.topic_id == topic.id)).first()
    for row in (topic, lesson, question):
        row.from_content = True
    db.session.commit()
    editor = as_role("editor")
    for url in (f"/editor/topics/{topic.slug}/", f"/editor/topics/{topic.slug}/lessons/{lesson.slug}",
                f"/editor/topics/{topic.slug}/questions/{question.slug}"):
        page = editor.get(url).get_data(as_text=True)
        assert "quản trị kỹ thuật" in page and "chỉnh sửa ở đây sẽ mất" in page, url
        assert "flask" not in page.lower() and "content sync" not in page, url


def test_no_template_speaks_to_the_user_in_commands():
    """A developer's command (`flask …`, a backticked name) never appears in what users read."""
    from pathlib import Path
    templates = Path(__file__).resolve().parent.parent / "templates"
    offending = [f"{path.relative_to(templates)}:{number}"
                 for path in sorted(templates.rglob("*.html"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if re.search(r"\bflask\s|`", re.sub(r"\{#.*?#\}", "", line))]
    assert offending == []
