"""Studying: the reading clock, a member's progress through a topic, opening, placing and
marking lessons. Plain functions that flush; the caller commits."""
import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from core import markup
from core.clock import utcnow
from core.errors import Refusal
from core.extensions import db
from learning.models import Lesson, LessonProgress, Topic
from learning.topics import published_lessons
from units.models import Member

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


def required_read_seconds(lesson: Lesson) -> int:
    if lesson.min_read_seconds is not None:
        return lesson.min_read_seconds
    return math.ceil(markup.reading_seconds(lesson.word_count) * MIN_READ_SHARE)


def reading_minutes(lesson: Lesson) -> int:
    return math.ceil(markup.reading_seconds(lesson.word_count) / 60)


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
