"""Content sync: the real content/ folder, idempotence, unpublishing, and refusal of bad files."""
import shutil
from pathlib import Path

import pytest

from core.extensions import db
from learning import authoring, content, studying
from learning import topics as learning_topics
from learning.models import KIND_ANNUAL, KIND_FULL_TERM, Lesson, LessonProgress, Question, Topic
from tests.factories import make_member, make_unit

CONTENT = Path(__file__).resolve().parent.parent / "content"


@pytest.fixture
def folder(tmp_path):
    """A copy of content/ that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_the_shipped_content_meets_the_brief(app):
    report = content.sync(CONTENT)
    db.session.commit()
    topics = db.session.scalars(db.select(Topic).order_by(Topic.slug)).all()
    assert [t.slug for t in topics] == ["chuyen-de-2022", "chuyen-de-toan-khoa-xiii", "ket-luan-01-kl-tw"]
    assert {t.kind for t in topics} == {KIND_ANNUAL, KIND_FULL_TERM}
    assert report.topics.added == 3 and report.lessons.added == count(Lesson)
    annual = learning_topics.get_topic("chuyen-de-2022")
    assert annual.due_on.strftime("%d/%m/%Y") == "31/03/2022"
    for topic in topics:
        assert topic.guiding_document and topic.summary and topic.year
        lessons = learning_topics.published_lessons(topic)
        assert 4 <= len(lessons) <= 8, topic.slug
        for lesson in lessons:
            assert 400 <= lesson.word_count <= 1200, (lesson.slug, lesson.word_count)
            assert lesson.summary and "<h2" in lesson.body_html and lesson.toc_html
        questions = db.session.scalars(db.select(Question).filter_by(topic_id=topic.id)).all()
        assert len(questions) >= 40, topic.slug
        assert {q.type for q in questions} == {"single", "multiple", "true_false"}, topic.slug
        for question in questions:
            assert question.explanation and question.lesson is not None
            assert any(choice.is_correct for choice in question.choices)


def test_sync_twice_changes_nothing(app, runner):
    first = runner.invoke(args=["content", "sync", str(CONTENT)])
    assert first.exit_code == 0, first.output
    assert "Chủ đề: thêm 3" in first.output
    second = runner.invoke(args=["content", "sync", str(CONTENT)])
    assert second.exit_code == 0
    assert "Chủ đề: thêm 0, sửa 0, giữ nguyên 3, gỡ 0." in second.output
    assert f"Bài học: thêm 0, sửa 0, giữ nguyên {count(Lesson)}, gỡ 0." in second.output
    assert f"Câu hỏi: thêm 0, sửa 0, giữ nguyên {count(Question)}, gỡ 0." in second.output


def test_an_edited_lesson_is_updated_in_place_and_progress_survives(app, folder):
    content.sync(folder)
    member = make_member(make_unit("GA"))
    lesson = learning_topics.get_lesson(learning_topics.get_topic("chuyen-de-2022"), "muc-dich-yeu-cau")
    studying.open_lesson(member, lesson)
    db.session.commit()
    lesson_id = lesson.id

    path = folder / "chuyen-de-2022" / "02-muc-dich-yeu-cau.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n## Phần thêm mới\n\nMột đoạn bổ sung.\n",
                    encoding="utf-8")
    report = content.sync(folder)
    db.session.commit()
    assert (report.lessons.changed, report.lessons.added) == (1, 0)
    lesson = db.session.get(Lesson, lesson_id)
    assert "Phần thêm mới" in lesson.body_html and 'id="phan-them-moi"' in lesson.body_html
    assert count(LessonProgress) == 1


def test_a_removed_file_unpublishes_and_a_restored_one_publishes_again(app, folder):
    content.sync(folder)
    lesson_file = folder / "chuyen-de-2022" / "05-cong-tac-tuyen-truyen.md"
    saved = lesson_file.read_text(encoding="utf-8")
    lesson_file.unlink()
    questions = folder / "chuyen-de-2022" / "questions.yml"
    kept = "\n".join(line for line in questions.read_text(encoding="utf-8").split("\n- slug")
                     [:1])  # the header comment only: every question goes
    questions.write_text(kept + "\n[]\n", encoding="utf-8")
    shutil.rmtree(folder / "ket-luan-01-kl-tw")

    report = content.sync(folder)
    db.session.commit()
    assert report.lessons.unpublished == 1 and report.topics.unpublished == 1
    assert report.questions.unpublished >= 40
    topic = learning_topics.get_topic("chuyen-de-2022")
    lesson = learning_topics.get_lesson(topic, "cong-tac-tuyen-truyen", include_unpublished=True)
    assert lesson is not None and not lesson.published
    assert learning_topics.get_topic("ket-luan-01-kl-tw") is None  # unpublished, so members do not see it
    assert learning_topics.get_topic("ket-luan-01-kl-tw", include_unpublished=True) is not None

    lesson_file.write_text(saved, encoding="utf-8")
    again = content.sync(folder)
    assert again.lessons.changed == 1
    assert learning_topics.get_lesson(topic, "cong-tac-tuyen-truyen").published


def test_lessons_made_in_the_editor_are_left_alone(app, folder):
    content.sync(folder)
    topic = learning_topics.get_topic("chuyen-de-2022")
    own = Lesson(topic=topic, slug="bai-rieng", title="Bài riêng của biên tập viên", position=99)
    authoring.set_lesson_body(own, "## Mục\n\nNội dung.")
    db.session.add(own)
    db.session.commit()
    report = content.sync(folder)
    assert report.lessons.unpublished == 0 and own.published


BROKEN = {
    "front matter": ("chuyen-de-2022/01-gioi-thieu-chuyen-de.md",
                     lambda text: text.replace("title:", "title: [không đóng", 1),
                     "01-gioi-thieu-chuyen-de.md, dòng 3: YAML không hợp lệ"),
    "missing field": ("chuyen-de-2022/topic.yml",
                      lambda text: "\n".join(line for line in text.splitlines() if not line.startswith("due_on")),
                      "topic.yml, dòng 1: Thiếu “due_on”."),
    "unknown lesson": ("chuyen-de-2022/questions.yml",
                       lambda text: text.replace("lesson: gioi-thieu-chuyen-de", "lesson: bai-khong-co", 1),
                       "questions.yml, dòng 4: Câu hỏi “q001” chỉ tới bài học không có: “bai-khong-co”."),
    "no correct choice": ("chuyen-de-2022/questions.yml",
                          lambda text: text.replace("      correct: true\n", "", 1),
                          "questions.yml, dòng 4: Câu hỏi “q001”: chưa có đáp án đúng."),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_malformed_file_is_refused_with_file_and_line_and_nothing_loads(app, runner, folder, case):
    relative, break_it, message = BROKEN[case]
    path = folder / relative
    path.write_text(break_it(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = runner.invoke(args=["content", "sync", str(folder)])
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert "Có 1 lỗi. Không nạp gì." in result.output  # one fault, one message
    assert count(Topic) == count(Lesson) == count(Question) == 0


def test_a_refused_sync_leaves_what_was_loaded_untouched(app, folder):
    content.sync(folder)
    db.session.commit()
    lesson_file = folder / "chuyen-de-2022" / "02-muc-dich-yeu-cau.md"
    lesson_file.write_text(lesson_file.read_text(encoding="utf-8") + "\nĐoạn mới.\n", encoding="utf-8")
    (folder / "chuyen-de-2022" / "09-bai-hong.md").write_text("không có front matter", encoding="utf-8")
    with pytest.raises(content.ContentError) as error:
        content.sync(folder)
    assert "09-bai-hong.md, dòng 1: Thiếu phần đầu" in str(error.value)
    db.session.rollback()
    lesson = learning_topics.get_lesson(learning_topics.get_topic("chuyen-de-2022"), "muc-dich-yeu-cau")
    assert "Đoạn mới." not in lesson.body_md


def test_question_rules(app):
    assert authoring.check_choices("single", [("A", True), ("B", True)]) is not None
    assert authoring.check_choices("true_false", [("Đúng", True), ("Sai", False), ("Khác", False)]) is not None
    assert authoring.check_choices("multiple", [("A", True), ("B", False)]) is not None
    assert authoring.check_choices("single", [("Hà Nội", True), ("Ha Noi", False)]) == "có hai đáp án giống nhau."
    assert authoring.check_choices("multiple", [("A", True), ("B", True), ("C", False)]) is None
