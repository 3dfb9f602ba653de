"""Topics, their lessons and question bank, who a topic is for, and each member's progress.

The question bank lives here, not in quizzes: it is part of a topic's content (synced
from files, edited, searched with the lessons); quizzes draw from it.
"""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from units.models import Member, Unit

KIND_ANNUAL, KIND_FULL_TERM, KIND_CONTEST = "annual", "full_term", "contest"
KIND_NAMES = {KIND_ANNUAL: "Chuyên đề hằng năm", KIND_FULL_TERM: "Chuyên đề toàn khóa",
              KIND_CONTEST: "Ngân hàng câu hỏi cuộc thi"}
SINGLE, MULTIPLE, TRUE_FALSE = "single", "multiple", "true_false"
QUESTION_TYPES = {SINGLE: "Một đáp án đúng", MULTIPLE: "Nhiều đáp án đúng", TRUE_FALSE: "Đúng/Sai"}


class Topic(db.Model):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(SmallInteger)
    opens_on: Mapped[date | None]
    due_on: Mapped[date | None]
    guiding_document: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # The code of the province federation whose documents the topic teaches: it is set for that
    # federation's tree only, as soon as a unit with this code exists (learning.topics.place_topic).
    federation_code: Mapped[str | None] = mapped_column(String(32))
    published: Mapped[bool] = mapped_column(default=False)
    # Rows loaded by `content sync`: only these are unpublished when their file goes away.
    from_content: Mapped[bool] = mapped_column(default=False)
    content_removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lessons: Mapped[list["Lesson"]] = relationship(back_populates="topic", order_by="Lesson.position")
    assignments: Mapped[list["TopicAssignment"]] = relationship(back_populates="topic",
                                                                cascade="all, delete-orphan")

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def short_title(self) -> str:
        """The title's own name, before its colon ("Chuyên đề năm 2022"), else its first words: short
        enough for a breadcrumb or a dropdown, and unlike "kind + year" it tells two topics of a year apart."""
        head = self.title.split(":", 1)[0].strip()
        if 8 <= len(head) <= 60:
            return head
        if len(self.title) <= 60:
            return self.title
        return self.title[:60].rsplit(" ", 1)[0].rstrip(",;:–-") + "…"


class TopicAssignment(db.Model):
    """A topic is set for a unit and so for everyone in its subtree."""
    __tablename__ = "topic_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)

    topic: Mapped[Topic] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("topic_id", "unit_id"),)


class Lesson(db.Model):
    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised when the source changes, never per request.
    body_html: Mapped[str] = mapped_column(Text, default="")
    toc_html: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded title, summary and body
    word_count: Mapped[int] = mapped_column(default=0)
    # None: 30% of the estimated reading time.
    min_read_seconds: Mapped[int | None]
    # Codes of other federations the lesson compares with on purpose, space-separated (learning.content_check).
    compares_with: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    published: Mapped[bool] = mapped_column(default=True)
    # Rows loaded by `content sync`: only these are unpublished when their file goes away.
    from_content: Mapped[bool] = mapped_column(default=False)
    content_removed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    topic: Mapped[Topic] = relationship(back_populates="lessons")

    __table_args__ = (UniqueConstraint("topic_id", "slug"),)


class LessonProgress(db.Model):
    """One member's reading of one lesson: kept per member, so it follows them across units."""
    __tablename__ = "lesson_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the member stopped: the id of the last heading reached and how far down (0-100).
    resume_anchor: Mapped[str] = mapped_column(String(120), default="")
    resume_percent: Mapped[int] = mapped_column(SmallInteger, default=0)
    studied_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()
    lesson: Mapped[Lesson] = relationship()

    __table_args__ = (UniqueConstraint("member_id", "lesson_id"),)


class Question(db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=True)
    # Rows loaded by `content sync`: only these are unpublished when their file goes away.
    from_content: Mapped[bool] = mapped_column(default=False)
    content_removed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    topic: Mapped[Topic] = relationship()
    lesson: Mapped[Lesson | None] = relationship()
    choices: Mapped[list["Choice"]] = relationship(back_populates="question", order_by="Choice.position",
                                                   cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("topic_id", "slug"),)

    @property
    def type_name(self) -> str:
        return QUESTION_TYPES.get(self.type, self.type)


class Choice(db.Model):
    __tablename__ = "choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="choices")

    __table_args__ = (Index("ix_choices_question_position", "question_id", "position"),)


SESSION_FORMS = {"in_person": "Trực tiếp", "online": "Trực tuyến", "combined": "Kết hợp trực tiếp và trực tuyến",
                 "meeting": "Lồng ghép sinh hoạt định kỳ"}


class StudySession(db.Model):
    """An offline study session a unit held for a topic (hội nghị, sinh hoạt chuyên đề, tọa đàm)."""
    __tablename__ = "study_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    held_on: Mapped[date]
    form: Mapped[str] = mapped_column(String(12))  # a key of SESSION_FORMS
    # Lượt: one person at two sessions is two attendances; distinct people come from the attendee list.
    attendances: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    topic: Mapped[Topic] = relationship()
    attendees: Mapped[list["StudySessionMember"]] = relationship(back_populates="session",
                                                                 cascade="all, delete-orphan")

    __table_args__ = (Index("ix_study_sessions_unit_held_on", "unit_id", "held_on"),)


class StudySessionMember(db.Model):
    """A member who came to a session, when the unit lists them."""
    __tablename__ = "study_session_members"

    session_id: Mapped[int] = mapped_column(ForeignKey("study_sessions.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)

    session: Mapped[StudySession] = relationship(back_populates="attendees")
    member: Mapped[Member] = relationship()


class TopicDownload(db.Model):
    """When a member took a topic onto their phone, by the server's clock: no lesson of it can
    have been opened offline before this moment (learning.offline)."""
    __tablename__ = "topic_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    downloaded_at: Mapped[datetime] = mapped_column(default=utcnow)  # the first download; kept

    __table_args__ = (UniqueConstraint("member_id", "topic_id"),)


OFFLINE_ACCEPTED, OFFLINE_ALREADY, OFFLINE_REFUSED = "accepted", "already", "refused"
OFFLINE_OUTCOMES = {OFFLINE_ACCEPTED: "Đã ghi nhận", OFFLINE_ALREADY: "Đã học từ trước", OFFLINE_REFUSED: "Bị từ chối"}


class OfflineMark(db.Model):
    """A "Tôi đã học xong bài này" pressed without network and sent later, with its outcome.

    `client_key` is the phone's own id for the queued mark: sent twice, it is judged once."""
    __tablename__ = "offline_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    client_key: Mapped[str] = mapped_column(String(64))
    # As the phone's clock said; once accepted, kept within [download, arrival] as the rule counted them.
    opened_at: Mapped[datetime]
    marked_at: Mapped[datetime]
    required_seconds: Mapped[int] = mapped_column(default=0)  # the lesson's reading time when judged
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")

    lesson: Mapped[Lesson] = relationship()

    @property
    def outcome_name(self) -> str:
        return OFFLINE_OUTCOMES.get(self.outcome, self.outcome)

    __table_args__ = (UniqueConstraint("member_id", "client_key"),
                      Index("ix_offline_marks_member_received", "member_id", "received_at"))
