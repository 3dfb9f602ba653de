"""The editor's rules: topics, lessons, their order and publication, cloning, the question bank.

Plain functions taking explicit arguments; they flush, never commit, and refuse with an
`EditError` whose message is shown to the editor as it is.
"""
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import selectinload

from core import audit
from core.errors import Refusal
from core.extensions import db
from core.text import clean_name
from learning import authoring
from learning import topics as learning_topics
from learning.models import KIND_NAMES, QUESTION_TYPES, Choice, Lesson, Question, Topic, TopicAssignment
from units import tree as unit_tree
from units.models import Unit

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
SLUG_RULE = "chỉ gồm chữ thường không dấu (a–z), số (0–9) và dấu gạch ngang “-”, tối đa 80 ký tự"
MIN_YEAR, MAX_YEAR = 2000, 2100
LETTERS = "ABCDEF"
_NUMBERED_SLUG = re.compile(r"^q(\d{1,9})$")


class EditError(Refusal):
    """A refusal to show the editor."""


# -- topics ----------------------------------------------------------------------------

@dataclass
class TopicData:
    title: str
    kind: str
    year: int
    opens_on: date | None = None
    due_on: date | None = None
    guiding_document: str = ""
    summary: str = ""


@dataclass
class TopicSummary:
    topic: Topic
    lessons: int
    published_lessons: int
    questions: int
    published_questions: int
    assignments: int


def check_slug(slug: str) -> str:
    slug = (slug or "").strip()
    if not SLUG_PATTERN.match(slug):
        raise EditError(f"Mã (slug) “{slug}” không hợp lệ: {SLUG_RULE}.")
    return slug


def _check_topic_data(data: TopicData) -> None:
    if not clean_name(data.title):
        raise EditError("Hãy nhập tên chuyên đề.")
    if data.kind not in KIND_NAMES:
        raise EditError("Loại chuyên đề không hợp lệ.")
    if data.year is None or not MIN_YEAR <= data.year <= MAX_YEAR:
        raise EditError(f"Năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR}.")
    if data.opens_on and data.due_on and data.due_on < data.opens_on:
        raise EditError("Hạn hoàn thành không được trước ngày bắt đầu.")


def _apply_topic_data(topic: Topic, data: TopicData) -> None:
    topic.title = clean_name(data.title)
    topic.kind = data.kind
    topic.year = data.year
    topic.opens_on = data.opens_on
    topic.due_on = data.due_on
    topic.guiding_document = (data.guiding_document or "").strip()
    topic.summary = (data.summary or "").strip()


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(db.select(Topic.id).where(Topic.slug == slug)) is not None


def create_topic(slug: str, data: TopicData, *, actor=None) -> Topic:
    """A new topic, unpublished, with no lessons yet."""
    slug = check_slug(slug)
    _check_topic_data(data)
    if _slug_taken(slug):
        raise EditError(f"Đã có chuyên đề mang mã “{slug}”.")
    topic = Topic(slug=slug, published=False, from_content=False)
    _apply_topic_data(topic, data)
    db.session.add(topic)
    db.session.flush()
    audit.record(actor, "topic_created", "topic", topic.slug, f"Tạo chuyên đề {topic.title}")
    return topic


def update_topic(topic: Topic, data: TopicData, *, actor=None) -> None:
    _check_topic_data(data)
    _apply_topic_data(topic, data)
    db.session.flush()
    audit.record(actor, "topic_updated", "topic", topic.slug, f"Sửa chuyên đề {topic.title}")


def set_topic_published(topic: Topic, published: bool, *, actor=None) -> None:
    """Publish (members assigned to it see it) or take a topic down."""
    if published and not learning_topics.published_lessons(topic):
        raise EditError("Chuyên đề chưa có bài học nào đã xuất bản: hãy xuất bản ít nhất một bài trước.")
    if topic.published != published:
        topic.published = published
        db.session.flush()
        audit.record(actor, "topic_published" if published else "topic_unpublished", "topic", topic.slug,
                     f"{'Xuất bản' if published else 'Gỡ xuất bản'} chuyên đề {topic.title}")


def topic_overview() -> list[TopicSummary]:
    """Every topic, published or not, newest year first, with its counts."""
    def counts(column, *conditions) -> dict[int, int]:
        query = db.select(column, func.count()).group_by(column)
        if conditions:
            query = query.where(*conditions)
        return {key: count for key, count in db.session.execute(query)}

    lessons, lessons_live = counts(Lesson.topic_id), counts(Lesson.topic_id, Lesson.published)
    questions, questions_live = counts(Question.topic_id), counts(Question.topic_id, Question.published)
    assigned = counts(TopicAssignment.topic_id)
    topics = db.session.scalars(db.select(Topic).order_by(Topic.year.desc(), Topic.title, Topic.id))
    return [TopicSummary(t, lessons.get(t.id, 0), lessons_live.get(t.id, 0), questions.get(t.id, 0),
                         questions_live.get(t.id, 0), assigned.get(t.id, 0)) for t in topics]


def assign_unit(topic: Topic, unit: Unit, *, actor=None) -> None:
    """Set the topic for the unit and everyone below it."""
    if not unit.is_active:
        raise EditError(f"Đơn vị {unit.name} đã sáp nhập hoặc giải thể.")
    federation = unit_tree.get_unit(topic.federation_code) if topic.federation_code else None
    if federation is not None and not unit.path.startswith(federation.path):
        raise EditError(f"Chuyên đề này dạy văn bản của {federation.name}: chỉ giao được cho các đơn vị thuộc "
                        "liên đoàn đó.")
    learning_topics.assign_topic(topic, unit)
    audit.record(actor, "topic_assigned", "topic", topic.slug, f"Giao chuyên đề {topic.title} cho {unit.name}",
                 {"unit": unit.code})


def unassign_unit(topic: Topic, unit_id: int, *, actor=None) -> bool:
    row = db.session.scalars(db.select(TopicAssignment).filter_by(topic_id=topic.id, unit_id=unit_id)).first()
    if row is None:
        return False
    code, name = row.unit.code, row.unit.name
    topic.assignments.remove(row)
    db.session.flush()
    audit.record(actor, "topic_unassigned", "topic", topic.slug, f"Thôi giao chuyên đề {topic.title} cho {name}",
                 {"unit": code})
    return True


def topic_assignments(topic: Topic) -> list[TopicAssignment]:
    return sorted(topic.assignments, key=lambda row: row.unit.path)


def assignable_units(limit: int = 300) -> list[Unit]:
    """Suggestions for the assignment box: the active units of the top two levels."""
    return list(db.session.scalars(db.select(Unit).where(Unit.depth <= 1, Unit.status == "active")
                                   .order_by(Unit.path).limit(limit)))


# -- lessons ---------------------------------------------------------------------------

@dataclass
class LessonData:
    title: str
    summary: str = ""
    body_md: str = ""
    min_read_seconds: int | None = None


def ordered_lessons(topic: Topic) -> list[Lesson]:
    """All the topic's lessons, drafts included, in reading order."""
    return list(db.session.scalars(db.select(Lesson).where(Lesson.topic_id == topic.id)
                                   .order_by(Lesson.position, Lesson.id)))


def _renumber(lessons: list[Lesson]) -> None:
    for position, lesson in enumerate(lessons, start=1):
        if lesson.position != position:
            lesson.position = position


def _check_lesson_data(data: LessonData) -> None:
    if not clean_name(data.title):
        raise EditError("Hãy nhập tên bài học.")
    if not (data.body_md or "").strip():
        raise EditError("Bài học chưa có nội dung.")
    if data.min_read_seconds is not None and not 0 <= data.min_read_seconds <= 36000:
        raise EditError("Thời gian đọc tối thiểu phải từ 0 đến 36.000 giây.")


def _apply_lesson_data(lesson: Lesson, data: LessonData) -> None:
    lesson.title = clean_name(data.title)
    lesson.summary = (data.summary or "").strip()
    lesson.min_read_seconds = data.min_read_seconds
    # Renders, sanitises and re-indexes (the search text includes the title and summary).
    authoring.set_lesson_body(lesson, (data.body_md or "").strip())


def create_lesson(topic: Topic, slug: str, data: LessonData, *, actor=None) -> Lesson:
    """A new lesson at the end of the topic, as a draft that members do not see yet."""
    slug = check_slug(slug)
    _check_lesson_data(data)
    lessons = ordered_lessons(topic)
    if any(lesson.slug == slug for lesson in lessons):
        raise EditError(f"Chuyên đề đã có bài học mang mã “{slug}”.")
    _renumber(lessons)
    lesson = Lesson(topic=topic, slug=slug, position=len(lessons) + 1, published=False, from_content=False)
    _apply_lesson_data(lesson, data)
    db.session.add(lesson)
    db.session.flush()
    audit.record(actor, "lesson_created", "lesson", lesson.id, f"Thêm bài {lesson.title} ({topic.slug})")
    return lesson


def update_lesson(lesson: Lesson, data: LessonData, *, actor=None) -> None:
    _check_lesson_data(data)
    _apply_lesson_data(lesson, data)
    db.session.flush()
    audit.record(actor, "lesson_updated", "lesson", lesson.id, f"Sửa bài {lesson.title} ({lesson.topic.slug})")


def move_lesson(lesson: Lesson, offset: int) -> bool:
    """Move a lesson one place up (-1) or down (+1); False when it is already at that end."""
    if offset not in (-1, 1):
        raise ValueError(offset)
    lessons = ordered_lessons(lesson.topic)
    index = lessons.index(lesson)
    target = index + offset
    if not 0 <= target < len(lessons):
        return False
    lessons[index], lessons[target] = lessons[target], lessons[index]
    _renumber(lessons)
    db.session.flush()
    return True


def set_lesson_published(lesson: Lesson, published: bool, *, actor=None) -> None:
    if lesson.published != published:
        lesson.published = published
        db.session.flush()
        audit.record(actor, "lesson_published" if published else "lesson_unpublished", "lesson", lesson.id,
                     f"{'Xuất bản' if published else 'Gỡ xuất bản'} bài {lesson.title} ({lesson.topic.slug})")


# -- cloning ---------------------------------------------------------------------------

def _shift_year(day: date | None, years: int) -> date | None:
    if day is None or years == 0:
        return day
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def clone_topic(source: Topic, slug: str, title: str, year: int | None = None, *, actor=None) -> Topic:
    """Copy a topic with its lessons and question bank, as a new unpublished topic.

    The copy is the editor's own (not from content files), set for no unit, with no
    progress. Its start and due dates move by as many years as the year changes.
    """
    slug = check_slug(slug)
    year = source.year if year is None else year
    data = TopicData(title=title, kind=source.kind, year=year,
                     opens_on=_shift_year(source.opens_on, year - source.year),
                     due_on=_shift_year(source.due_on, year - source.year),
                     guiding_document=source.guiding_document, summary=source.summary)
    _check_topic_data(data)
    if _slug_taken(slug):
        raise EditError(f"Đã có chuyên đề mang mã “{slug}”.")
    topic = Topic(slug=slug, published=False, from_content=False, federation_code=source.federation_code)
    _apply_topic_data(topic, data)
    db.session.add(topic)
    lessons: dict[int, Lesson] = {}
    for original in ordered_lessons(source):
        copy = Lesson(topic=topic, slug=original.slug, title=original.title, summary=original.summary,
                      min_read_seconds=original.min_read_seconds, compares_with=original.compares_with,
                      position=original.position,
                      published=original.published, from_content=False)
        authoring.set_lesson_body(copy, original.body_md)
        db.session.add(copy)
        lessons[original.id] = copy
    questions = db.session.scalars(db.select(Question).where(Question.topic_id == source.id)
                                   .options(selectinload(Question.choices))
                                   .order_by(Question.position, Question.id))
    count = 0
    for original in questions:
        copy = Question(topic=topic, lesson=lessons.get(original.lesson_id), slug=original.slug,
                        type=original.type, text=original.text, explanation=original.explanation,
                        position=original.position, published=original.published, from_content=False,
                        choices=[Choice(position=c.position, text=c.text, is_correct=c.is_correct)
                                 for c in original.choices])
        authoring.index_question(copy)
        db.session.add(copy)
        count += 1
    db.session.flush()
    audit.record(actor, "topic_cloned", "topic", topic.slug,
                 f"Nhân bản chuyên đề {source.title} thành {topic.title}",
                 {"from": source.slug, "lessons": len(lessons), "questions": count})
    return topic


# -- the question bank -----------------------------------------------------------------

@dataclass
class QuestionData:
    type: str
    text: str
    explanation: str = ""
    lesson: Lesson | None = None
    choices: list[tuple[str, bool]] = field(default_factory=list)


def choice_problem(kind: str, choices: list[tuple[str, bool]]) -> str | None:
    """Why these choices cannot make the question, as a sentence, or None."""
    problem = authoring.check_choices(kind, choices)
    return problem[:1].upper() + problem[1:] if problem else None


def _check_question_data(topic: Topic, data: QuestionData) -> None:
    if not (data.text or "").strip():
        raise EditError("Hãy nhập nội dung câu hỏi.")
    if data.type not in QUESTION_TYPES:
        raise EditError("Loại câu hỏi không hợp lệ.")
    if data.lesson is not None and data.lesson.topic_id != topic.id:
        raise EditError("Bài học đã chọn không thuộc chuyên đề này.")
    problem = choice_problem(data.type, data.choices)
    if problem:
        raise EditError(f"Đáp án chưa hợp lệ: {problem}")


def new_question_slugs(topic: Topic, count: int = 1) -> list[str]:
    """Unused slugs q1, q2, … after the highest number the bank already uses."""
    slugs = db.session.scalars(db.select(Question.slug).where(Question.topic_id == topic.id)).all()
    numbers = [int(m.group(1)) for s in slugs if (m := _NUMBERED_SLUG.match(s))]
    start = max(numbers, default=0) + 1
    return [f"q{n}" for n in range(start, start + count)]


def next_question_position(topic: Topic) -> int:
    return (db.session.scalar(db.select(func.max(Question.position)).where(Question.topic_id == topic.id)) or 0) + 1


def _apply_question_data(question: Question, data: QuestionData) -> None:
    question.type = data.type
    question.text = data.text.strip()
    question.explanation = (data.explanation or "").strip()
    question.lesson = data.lesson
    authoring.set_choices(question, [(text.strip(), correct) for text, correct in data.choices])
    authoring.index_question(question)


def create_question(topic: Topic, data: QuestionData, *, slug: str | None = None, published: bool = False,
                    position: int | None = None, actor=None) -> Question:
    """Add a question to the bank (a draft unless ``published``); an empty slug gets the next "qN".

    Audited when an ``actor`` is given; the spreadsheet import passes none and audits once.
    """
    _check_question_data(topic, data)
    if slug:
        slug = check_slug(slug)
        if db.session.scalar(db.select(Question.id).filter_by(topic_id=topic.id, slug=slug)) is not None:
            raise EditError(f"Ngân hàng câu hỏi đã có câu mang mã “{slug}”.")
    else:
        slug = new_question_slugs(topic)[0]
    question = Question(topic=topic, slug=slug, published=published, from_content=False,
                        position=next_question_position(topic) if position is None else position)
    _apply_question_data(question, data)
    db.session.add(question)
    db.session.flush()
    if actor is not None:
        audit.record(actor, "question_created", "question", question.id, f"Thêm câu hỏi {slug} ({topic.slug})")
    return question


def update_question(question: Question, data: QuestionData, *, actor=None) -> None:
    _check_question_data(question.topic, data)
    _apply_question_data(question, data)
    db.session.flush()
    audit.record(actor, "question_updated", "question", question.id,
                 f"Sửa câu hỏi {question.slug} ({question.topic.slug})")


def set_question_published(question: Question, published: bool, *, actor=None) -> None:
    if published:
        problem = choice_problem(question.type, [(c.text, c.is_correct) for c in question.choices])
        if problem:
            raise EditError(f"Chưa thể xuất bản câu {question.slug}: {problem}")
    if question.published != published:
        question.published = published
        db.session.flush()
        audit.record(actor, "question_published" if published else "question_unpublished", "question",
                     question.id, f"{'Xuất bản' if published else 'Gỡ xuất bản'} câu hỏi {question.slug} "
                                  f"({question.topic.slug})")


def questions_query(topic: Topic, *, lesson: Lesson | None = None, without_lesson: bool = False):
    """The bank in order, for `db.paginate`; optionally one lesson's questions or those with none."""
    query = (db.select(Question).where(Question.topic_id == topic.id)
             .options(selectinload(Question.choices), selectinload(Question.lesson))
             .order_by(Question.position, Question.id))
    if lesson is not None:
        query = query.where(Question.lesson_id == lesson.id)
    elif without_lesson:
        query = query.where(Question.lesson_id.is_(None))
    return query


def question_page(topic: Topic, question: Question, per_page: int, *, lesson: Lesson | None = None,
                  without_lesson: bool = False) -> int:
    """The page of ``questions_query`` (with the same filter) that lists ``question``."""
    before = (questions_query(topic, lesson=lesson, without_lesson=without_lesson)
              .where(or_(Question.position < question.position,
                         and_(Question.position == question.position, Question.id < question.id))))
    count = db.session.scalar(db.select(func.count()).select_from(before.order_by(None).subquery()))
    return count // per_page + 1


def question_count(topic: Topic) -> int:
    return db.session.scalar(db.select(func.count()).select_from(Question).where(Question.topic_id == topic.id))


def get_question(topic: Topic, slug: str) -> Question | None:
    return db.session.scalars(db.select(Question).filter_by(topic_id=topic.id, slug=slug)).one_or_none()
