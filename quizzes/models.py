"""Quizzes and the attempts at them.

An attempt carries its own paper: the questions drawn, their order, each question's
choices in the order shown, and which choices are right, copied when the attempt
starts. Grading and review read only the paper, so editing the bank later never
changes a result, and nothing about the answers has to be looked up while a crowd is
answering.
"""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.clock import utcnow
from core.extensions import db
from learning.models import Topic
from units.models import Member

GRADE_BEST, GRADE_LAST = "best", "last"
# What a finished attempt's review shows before the quiz closes (afterwards: everything).
# "answers": right/wrong per question while tries remain, the right answers and explanations once
# the person has passed or used every try (Moodle's "after the quiz is closed" for that person);
# "each_try": the right answers after every try; "score": the score only.
REVIEW_SCORE, REVIEW_ANSWERS, REVIEW_EACH_TRY = "score", "answers", "each_try"
IN_PROGRESS, SUBMITTED, EXPIRED = "in_progress", "submitted", "expired"
PURPOSE_FINAL = "final"


class Quiz(db.Model):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)  # the bank it draws from
    purpose: Mapped[str] = mapped_column(String(12), default=PURPOSE_FINAL)
    title: Mapped[str] = mapped_column(String(300))
    question_count: Mapped[int] = mapped_column(SmallInteger, default=10)
    balance_lessons: Mapped[bool] = mapped_column(default=False)
    single_choice_only: Mapped[bool] = mapped_column(default=False)  # contests draw only these
    time_limit_seconds: Mapped[int] = mapped_column(default=15 * 60)
    pass_percent: Mapped[int] = mapped_column(SmallInteger, default=70)
    # None: unlimited. No Python default: the ORM would put it in place of an explicit None.
    max_attempts: Mapped[int | None] = mapped_column(SmallInteger)
    grading: Mapped[str] = mapped_column(String(8), default=GRADE_BEST)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    review_after_submit: Mapped[str] = mapped_column(String(8), default=REVIEW_ANSWERS)
    one_per_page: Mapped[bool] = mapped_column(default=True)
    # Attempts finished faster than this are flagged for the editor to look at.
    min_duration_seconds: Mapped[int] = mapped_column(default=60)
    published: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[Topic] = relationship()


class Attempt(db.Model):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    number: Mapped[int] = mapped_column(SmallInteger)  # 1 for the person's first attempt at this quiz
    status: Mapped[str] = mapped_column(String(12), default=IN_PROGRESS)
    started_at: Mapped[datetime]
    deadline: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    paper: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    max_score: Mapped[int] = mapped_column(SmallInteger)
    percent: Mapped[float | None]
    passed: Mapped[bool | None]
    flagged_short: Mapped[bool] = mapped_column(default=False)

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    member: Mapped[Member | None] = relationship()
    answers: Mapped[list["Answer"]] = relationship(back_populates="attempt", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_attempts_quiz_user", "quiz_id", "user_id"),
        # A person's attempts are numbered 1, 2, ...: two starts racing past the try limit cannot both insert.
        UniqueConstraint("quiz_id", "user_id", "number", name="uq_attempts_quiz_user_number"),
        # At most one attempt in progress per person per quiz, even with two tabs racing.
        Index("uq_attempts_one_open", "quiz_id", "user_id", unique=True,
              sqlite_where=text("status = 'in_progress'"), postgresql_where=text("status = 'in_progress'")),
        Index("ix_attempts_open_deadline", "status", "deadline"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == IN_PROGRESS

    @property
    def duration_seconds(self) -> int | None:
        if self.finished_at is None:
            return None
        return int((self.finished_at - self.started_at).total_seconds())


class Answer(db.Model):
    """The choices a person has picked for one question of an attempt, as last saved."""
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int]  # as on the paper; the bank's row may change or go later
    choice_ids: Mapped[list[int]] = mapped_column(JSON)
    saved_at: Mapped[datetime]

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)


class TopicCompletion(db.Model):
    """A member completed a topic: every lesson studied and its quiz passed."""
    __tablename__ = "topic_completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    percent: Mapped[float | None]
    completed_at: Mapped[datetime]

    member: Mapped[Member] = relationship()
    topic: Mapped[Topic] = relationship()
    attempt: Mapped[Attempt | None] = relationship()

    __table_args__ = (UniqueConstraint("member_id", "topic_id"),)
