"""The rules of studying: what a member must study, their progress, the reading clock, search."""
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup, escape
from sqlalchemy import and_, false, or_

from core import markup, signals
from core.clock import utcnow
from core.errors import Refusal
from core.extensions import db
from core.permissions import EDITOR, OFFICER, ORGANISER, has_role, is_admin
from core.text import fold, fold_aligned, like_escape
from learning.models import (
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
    Choice,
    Lesson,
    LessonProgress,
    Question,
    Topic,
    TopicAssignment,
)
from units import services as units
from units.models import Member, Unit

MIN_READ_SHARE = 0.3  # a lesson can be marked after 30% of its estimated reading time
STUDIED, READING, NEW = "studied", "reading", "new"
_ANCHOR = re.compile(r"^[a-z0-9-]{0,120}$")


class LearningError(Refusal):
    """A refusal to show the member."""


def wait_text(seconds_left: int) -> str:
    """92 -> "1 phút 32 giây", 120 -> "2 phút" (static/js/lesson.js counts down in the same words)."""
    minutes, seconds = divmod(seconds_left, 60)
    if not minutes:
        return f"{seconds} giây"
    return f"{minutes} phút {seconds} giây" if seconds else f"{minutes} phút"


class TooSoon(LearningError):
    def __init__(self, seconds_left: int):
        super().__init__(f"Bạn mở bài này chưa lâu. "
                         f"Hãy đọc hết bài rồi đánh dấu lại sau {wait_text(seconds_left)} nữa.")
        self.seconds_left = seconds_left


# -- content helpers shared by the sync and the editor --------------------------------

def set_lesson_body(lesson: Lesson, source: str) -> None:
    """Store the Markdown and everything derived from it: safe HTML, contents, search text."""
    rendered = markup.render(source)
    lesson.body_md = source
    lesson.body_html = rendered.html
    lesson.toc_html = rendered.toc_html
    lesson.word_count = rendered.word_count
    index_lesson(lesson, rendered.plain_text)


def index_lesson(lesson: Lesson, plain: str | None = None) -> None:
    plain = markup.plain_text(lesson.body_html) if plain is None else plain
    lesson.search_text = fold_aligned(f"{lesson.title}\n{lesson.summary}\n{plain}")


def index_question(question: Question) -> None:
    # Only the question itself: matching on choices or explanations would hint at answers.
    question.search_text = fold_aligned(question.text)


def check_choices(kind: str, choices: list[tuple[str, bool]]) -> str | None:
    """Why a set of (text, correct) choices cannot make a question of this kind, or None."""
    correct = sum(1 for _, is_correct in choices if is_correct)
    texts = [fold(text) for text, _ in choices]
    if len(choices) < 2:
        return "cần ít nhất hai đáp án."
    if len(choices) > 6:
        return "có nhiều nhất sáu đáp án (A–F)."
    if len(set(texts)) != len(texts):
        return "có hai đáp án giống nhau."
    if correct == 0:
        return "chưa có đáp án đúng."
    if kind in (SINGLE, TRUE_FALSE) and correct != 1:
        return "loại một đáp án đúng thì chỉ được đánh dấu đúng một đáp án."
    if kind == TRUE_FALSE and len(choices) != 2:
        return "câu Đúng/Sai có đúng hai đáp án."
    if kind == MULTIPLE and correct < 2:
        return "loại nhiều đáp án đúng cần ít nhất hai đáp án đúng."
    return None


def set_choices(question: Question, choices: list[tuple[str, bool]]) -> bool:
    """Make the question's choices these, in order, reusing rows; True when anything changed."""
    changed = False
    current = list(question.choices)
    for position, (text, is_correct) in enumerate(choices, start=1):
        if position <= len(current):
            row = current[position - 1]
            if (row.text, row.is_correct, row.position) != (text, is_correct, position):
                row.text, row.is_correct, row.position = text, is_correct, position
                changed = True
        else:
            question.choices.append(Choice(position=position, text=text, is_correct=is_correct))
            changed = True
    for row in current[len(choices):]:
        question.choices.remove(row)
        changed = True
    return changed


def required_read_seconds(lesson: Lesson) -> int:
    if lesson.min_read_seconds is not None:
        return lesson.min_read_seconds
    return math.ceil(markup.reading_seconds(lesson.word_count) * MIN_READ_SHARE)


def reading_minutes(lesson: Lesson) -> int:
    return math.ceil(markup.reading_seconds(lesson.word_count) / 60)


# -- what a member studies -------------------------------------------------------------

def get_topic(slug: str, *, include_unpublished=False) -> Topic | None:
    query = db.select(Topic).where(Topic.slug == slug)
    if not include_unpublished:
        query = query.where(Topic.published)
    return db.session.scalars(query).one_or_none()


def _set_for(unit_condition):
    """SQL condition on Topic: the topic belongs to no federation, or is set for a unit that
    meets the condition. A topic that names its federation stays inside that federation's tree;
    one that does not (an editor's own, set by hand) reads as it always did."""
    return or_(Topic.federation_code.is_(None),
               Topic.id.in_(db.select(TopicAssignment.topic_id).join(Unit, TopicAssignment.unit_id == Unit.id)
                            .where(unit_condition)))


def hides_answer_key(topic: Topic, user, *, now: datetime | None = None) -> bool:
    """Whether ``user`` may not see the right answers of ``topic``'s questions now, whatever their role:
    a contestant, while their contest can still draw them (``core.signals.answer_key_hidden``)."""
    return bool(signals.first_answer(signals.answer_key_hidden, topic, user=user, now=now or utcnow()))


def topic_scope(user, member: Member | None):
    """SQL condition on Topic: the topics this person may open; None for every topic.

    Editors and administrators see every topic. Of a federation's topics, a member sees those
    set for their unit or a unit above it; an officer or organiser, those set above, at or below
    the units they hold. Another province's topic is none of these: it answers as if it did not exist."""
    if has_role(user, EDITOR) or is_admin(user):
        return None
    on_path = set(units.path_ids(member.unit)) if member else set()
    conditions = []
    for held in {role.unit for role in getattr(user, "roles", ()) if role.unit and role.name in (OFFICER, ORGANISER)}:
        on_path.update(units.path_ids(held))
        conditions.append(units.in_subtree(held))
    if on_path:
        conditions.append(Unit.id.in_(on_path))
    return _set_for(or_(*conditions) if conditions else false())


def topic_for(slug: str, user, member: Member | None) -> Topic | None:
    """The topic as this person may open it: unpublished ones for editors only, others' never."""
    scope = topic_scope(user, member)
    topic = get_topic(slug, include_unpublished=scope is None)
    if topic is None or scope is None:
        return topic
    return topic if db.session.scalar(db.select(Topic.id).where(Topic.id == topic.id, scope)) else None


def topics_of_tree(unit: Unit):
    """SQL condition on Topic: of a federation's topics, those set for the unit, a unit above it
    or a unit below it: what its officers report on and hold sessions for."""
    return _set_for(or_(Unit.id.in_(units.path_ids(unit)), units.in_subtree(unit)))


def place_topic(topic: Topic) -> str | None:
    """Set a topic with a federation for that federation's tree and no other; what changed, or None.

    Until a unit with the federation's code exists, nothing changes: `on_unit_created`
    places the topic when it appears."""
    if not topic.federation_code:
        return None
    federation = units.get_unit(topic.federation_code)
    if federation is None:
        return f"chưa có đơn vị {topic.federation_code}: chủ đề sẽ được giao khi đơn vị này được tạo"
    changes = []
    if not any(a.unit_id == federation.id for a in topic.assignments):
        assign_topic(topic, federation)
        changes.append(f"giao cho {federation.code}")
    for assignment in list(topic.assignments):
        if assignment.unit_id != federation.id and not assignment.unit.path.startswith(federation.path):
            topic.assignments.remove(assignment)
            changes.append(f"bỏ giao cho {assignment.unit.code} (ngoài cây {federation.code})")
    db.session.flush()
    return ", ".join(changes) or None


def on_unit_created(unit: Unit) -> None:
    """A federation unit has just been created: set the topics that wait for its code."""
    for topic in db.session.scalars(db.select(Topic).where(Topic.federation_code == unit.code)):
        place_topic(topic)


def get_lesson(topic: Topic, slug: str, *, include_unpublished=False) -> Lesson | None:
    query = db.select(Lesson).where(Lesson.topic_id == topic.id, Lesson.slug == slug)
    if not include_unpublished:
        query = query.where(Lesson.published)
    return db.session.scalars(query).one_or_none()


def published_lessons(topic: Topic) -> list[Lesson]:
    return list(db.session.scalars(db.select(Lesson).where(Lesson.topic_id == topic.id, Lesson.published)
                                   .order_by(Lesson.position, Lesson.id)))


def assigned_topics(member: Member) -> list[Topic]:
    """Published topics set for the member's unit or any unit above it, newest first."""
    query = (db.select(Topic).join(TopicAssignment)
             .where(Topic.published, TopicAssignment.unit_id.in_(units.path_ids(member.unit)))
             .distinct().order_by(Topic.year.desc(), Topic.due_on, Topic.id))
    return list(db.session.scalars(query))


def assign_topic(topic: Topic, unit: Unit) -> None:
    exists = db.session.scalars(db.select(TopicAssignment).filter_by(topic_id=topic.id, unit_id=unit.id)).first()
    if exists is None:
        db.session.add(TopicAssignment(topic=topic, unit_id=unit.id))
        db.session.flush()


@dataclass
class LessonState:
    lesson: Lesson
    state: str
    progress: LessonProgress | None


@dataclass
class TopicProgress:
    topic: Topic
    lessons: list[LessonState]
    studied: int
    next_lesson: Lesson | None  # the first lesson not yet studied

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def percent(self) -> int:
        return round(100 * self.studied / self.total) if self.total else 0

    @property
    def done(self) -> bool:
        return self.total > 0 and self.studied == self.total

    def overdue(self, today: date) -> bool:
        return bool(self.topic.due_on and today > self.topic.due_on and not self.done)


def _progress_rows(member: Member | None, lesson_ids: list[int]) -> dict[int, LessonProgress]:
    if member is None or not lesson_ids:
        return {}
    rows = db.session.scalars(db.select(LessonProgress).where(LessonProgress.member_id == member.id,
                                                              LessonProgress.lesson_id.in_(lesson_ids)))
    return {row.lesson_id: row for row in rows}


def topic_progress(member: Member | None, topic: Topic) -> TopicProgress:
    lessons = published_lessons(topic)
    rows = _progress_rows(member, [lesson.id for lesson in lessons])
    states = []
    for lesson in lessons:
        row = rows.get(lesson.id)
        state = STUDIED if row and row.studied_at else READING if row else NEW
        states.append(LessonState(lesson, state, row))
    next_lesson = next((s.lesson for s in states if s.state != STUDIED), None)
    return TopicProgress(topic, states, sum(1 for s in states if s.state == STUDIED), next_lesson)


def neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = published_lessons(lesson.topic)
    index = lessons.index(lesson)
    return (lessons[index - 1] if index > 0 else None,
            lessons[index + 1] if index + 1 < len(lessons) else None)


def open_lesson(member: Member, lesson: Lesson, *, now: datetime | None = None) -> LessonProgress:
    """The member opens the lesson: the reading clock starts at the first opening."""
    now = now or utcnow()
    row = _progress_rows(member, [lesson.id]).get(lesson.id)
    if row is None:
        row = LessonProgress(member_id=member.id, lesson_id=lesson.id, opened_at=now, last_seen_at=now)
        db.session.add(row)
    else:
        row.last_seen_at = now
    db.session.flush()
    return row


def lesson_progress(member: Member, lesson: Lesson) -> LessonProgress | None:
    return _progress_rows(member, [lesson.id]).get(lesson.id)


def save_place(member: Member, lesson: Lesson, anchor: str, percent: int,
               *, now: datetime | None = None) -> LessonProgress:
    if not _ANCHOR.match(anchor or "") or not 0 <= percent <= 100:
        raise LearningError("Vị trí đọc không hợp lệ.")
    row = open_lesson(member, lesson, now=now)
    row.resume_anchor, row.resume_percent = anchor, percent
    db.session.flush()
    return row


def seconds_until_markable(row: LessonProgress, lesson: Lesson, *, now: datetime | None = None) -> int:
    """How long the lesson must stay open before it may be marked studied; 0 once it may."""
    elapsed = ((now or utcnow()) - row.opened_at).total_seconds()
    return max(0, math.ceil(required_read_seconds(lesson) - elapsed))


def mark_studied(member: Member, lesson: Lesson, *, now: datetime | None = None) -> LessonProgress:
    """Mark the lesson studied, unless it was opened too recently to have been read."""
    now = now or utcnow()
    row = _progress_rows(member, [lesson.id]).get(lesson.id)
    if row is None:
        raise LearningError("Hãy mở và đọc bài học trước khi đánh dấu đã học.")
    if row.studied_at is None:
        seconds_left = seconds_until_markable(row, lesson, now=now)
        if seconds_left:
            raise TooSoon(seconds_left)
        row.studied_at = now
        db.session.flush()
    return row


# -- search ----------------------------------------------------------------------------

@dataclass
class SearchHit:
    kind: str  # "lesson" or "question"
    topic: Topic
    lesson: Lesson | None
    question: Question | None
    title: str
    snippet: Markup
    score: float


def _terms(query: str) -> list[str]:
    return [term for term in dict.fromkeys(fold(query).split()) if term][:8]


def _word_pattern(term: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")


def _score(folded: str, folded_title: str, terms: list[str], phrase: str) -> float:
    """Whole-word hits, much more for the phrase as typed and for words in the title."""
    hits = [len(_word_pattern(term).findall(folded)) for term in terms]
    if not all(hits):
        return 0
    score = sum(min(h, 10) for h in hits)
    if len(terms) > 1:
        score += 20 * len(_word_pattern(phrase).findall(folded))
    score += 5 * sum(1 for term in terms if _word_pattern(term).search(folded_title))
    return score


def _snippet(original: str, folded: str, terms: list[str], phrase: str, width: int = 200) -> Markup:
    """A window of the original text around the best match, with the terms in <mark>."""
    first = _word_pattern(phrase).search(folded) or _word_pattern(terms[0]).search(folded)
    start = max(0, (first.start() if first else 0) - width // 3)
    end = min(len(original), start + width)
    if start > 0:  # do not cut a word in half
        space = original.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    window, folded_window = original[start:end], folded[start:end]
    patterns = [_word_pattern(phrase)] + [_word_pattern(term) for term in terms]
    spans = sorted((match.span() for pattern in patterns for match in pattern.finditer(folded_window)),
                   key=lambda span: (span[0], -span[1]))  # the whole phrase wins over its words
    parts, cursor = [], 0
    for begin, finish in spans:
        if begin < cursor:
            continue
        parts.append(escape(window[cursor:begin]))
        parts.append(Markup("<mark>") + escape(window[begin:finish]) + Markup("</mark>"))
        cursor = finish
    parts.append(escape(window[cursor:]))
    text = Markup("").join(parts)
    return Markup(("… " if start > 0 else "") + text + (" …" if end < len(original) else ""))


def search(query: str, *, limit: int = 20, include_unpublished=False, scope=None) -> list[SearchHit]:
    """Lessons and questions matching every word of the query, diacritics ignored, best first,
    in the topics ``scope`` allows (see `topic_scope`; None: every topic)."""
    terms = _terms(query)
    if not terms:
        return []
    phrase = " ".join(terms)
    hits: list[SearchHit] = []

    def like_all(column):
        return and_(*(column.like(f"%{like_escape(term)}%", escape="\\") for term in terms))

    lesson_query = db.select(Lesson).join(Topic).where(like_all(Lesson.search_text))
    question_query = db.select(Question).join(Topic).where(like_all(Question.search_text))
    if not include_unpublished:
        lesson_query = lesson_query.where(Lesson.published, Topic.published)
        question_query = question_query.where(Question.published, Topic.published)
    if scope is not None:
        lesson_query, question_query = lesson_query.where(scope), question_query.where(scope)
    for lesson in db.session.scalars(lesson_query.limit(500)):
        original = unicodedata.normalize("NFC", f"{lesson.title}\n{lesson.summary}\n"
                                                f"{markup.plain_text(lesson.body_html)}")
        folded = fold_aligned(original)
        score = _score(folded, fold(lesson.title), terms, phrase)
        if score:
            body_start = len(lesson.title) + len(lesson.summary) + 2
            hits.append(SearchHit("lesson", lesson.topic, lesson, None, lesson.title,
                                  _snippet(original[body_start:], folded[body_start:], terms, phrase)
                                  if _word_pattern(terms[0]).search(folded[body_start:])
                                  else _snippet(original, folded, terms, phrase), score))
    for question in db.session.scalars(question_query.limit(500)):
        original = unicodedata.normalize("NFC", question.text)
        folded = fold_aligned(original)
        score = _score(folded, "", terms, phrase)
        if score:
            hits.append(SearchHit("question", question.topic, question.lesson, question,
                                  question.lesson.title if question.lesson else question.topic.title,
                                  _snippet(original, folded, terms, phrase), score * 0.8))
    hits.sort(key=lambda hit: (-hit.score, hit.kind, hit.title))
    return hits[:limit]
