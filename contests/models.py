"""Anniversary quiz contests: rounds, who takes part, and their entries.

Each round is a quiz of the attempt engine (purpose "contest") drawing from the
contest's own bank, an unpublished topic, so nothing of the contest is searchable.
"""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from certificates.models import Certificate
from core.clock import utcnow
from core.extensions import db
from learning.models import Topic
from quizzes.models import Attempt, Quiz
from units.models import Member, Unit, UnitKind

PREDICTION_THEN_DURATION, DURATION_THEN_PREDICTION = "prediction", "duration"
DIVISIONS_BY_KIND, DIVISIONS_FREE = "unit_kind", "free"


class Contest(db.Model):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(Text)
    anniversary: Mapped[str] = mapped_column(Text, default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    rules_md: Mapped[str] = mapped_column(Text, default="")
    organiser_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # Members of this subtree take part with their own accounts.
    audience_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    open_to_public: Mapped[bool] = mapped_column(default=True)
    division_mode: Mapped[str] = mapped_column(String(12), default=DIVISIONS_BY_KIND)
    # Which tie-break comes second: the prediction or the duration (the other is third).
    tie_break: Mapped[str] = mapped_column(String(12), default=PREDICTION_THEN_DURATION)
    bank_topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    published: Mapped[bool] = mapped_column(default=False)
    leaderboard_frozen_at: Mapped[datetime | None]
    results_published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organiser_unit: Mapped[Unit] = relationship(foreign_keys=[organiser_unit_id])
    audience_unit: Mapped[Unit] = relationship(foreign_keys=[audience_unit_id])
    bank: Mapped[Topic] = relationship()
    rounds: Mapped[list["Round"]] = relationship(back_populates="contest", order_by="Round.number")
    divisions: Mapped[list["Division"]] = relationship(back_populates="contest", order_by="Division.position")


class Division(db.Model):
    """A bảng: prizes are given per division."""
    __tablename__ = "contest_divisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    # With divisions by unit kind: participants of units of these kinds fall in it.
    unit_kind_id: Mapped[int | None] = mapped_column(ForeignKey("unit_kinds.id"))

    contest: Mapped[Contest] = relationship(back_populates="divisions")
    unit_kind: Mapped[UnitKind | None] = relationship()


class Round(db.Model):
    __tablename__ = "contest_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    number: Mapped[int] = mapped_column(SmallInteger)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), unique=True)
    prediction_question: Mapped[str] = mapped_column(Text, default="")
    # The real figure the predictions are measured against; None until the organiser sets it.
    actual_figure: Mapped[int | None]

    contest: Mapped[Contest] = relationship(back_populates="rounds")
    quiz: Mapped[Quiz] = relationship()

    __table_args__ = (UniqueConstraint("contest_id", "number"),)


class Participant(db.Model):
    __tablename__ = "contest_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    phone: Mapped[str | None] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    workplace: Mapped[str] = mapped_column(String(300), default="")
    citizen_id_hash: Mapped[str | None] = mapped_column(String(64))
    citizen_id_last4: Mapped[str | None] = mapped_column(String(4))
    division_id: Mapped[int | None] = mapped_column(ForeignKey("contest_divisions.id"))
    excluded_at: Mapped[datetime | None]
    excluded_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contest: Mapped[Contest] = relationship()
    user: Mapped[User] = relationship()
    member: Mapped[Member | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    division: Mapped[Division | None] = relationship()

    __table_args__ = (
        UniqueConstraint("contest_id", "user_id", name="uq_contest_participants_user"),
        # One account per phone per contest.
        UniqueConstraint("contest_id", "phone", name="uq_contest_participants_phone"),
        Index("ix_contest_participants_contest", "contest_id", "excluded_at"),
    )


class Entry(db.Model):
    """A contest attempt's extra: the participant's answer to the prediction question."""
    __tablename__ = "contest_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("contest_participants.id"), index=True)
    prediction: Mapped[int | None]
    # A hash of the browser's long-lived device cookie: several accounts on one device get flagged.
    device: Mapped[str | None] = mapped_column(String(32), index=True)

    attempt: Mapped[Attempt] = relationship()
    round: Mapped[Round] = relationship()
    participant: Mapped[Participant] = relationship()


class Standing(db.Model):
    """A participant's place-deciding figures, kept current as their attempts finish
    (contests.boards.refresh_standings): per round (``round_number``), their best finished
    attempt by the rule of contests/ranking.py; for the whole contest (``round_number`` 0), the
    sums over the rounds. So a board is the first hundred entries of an index, not a sort of
    every attempt. Excluded people keep their rows: the boards leave them out as they read."""
    __tablename__ = "contest_standings"

    # Derived from rows that have their keys, and rewritten wholesale (a figure set recounts a
    # round: 100,000 lines): no foreign keys, whose checks were half the time of a recount.
    contest_id: Mapped[int] = mapped_column(primary_key=True)
    round_number: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0: the whole contest
    participant_id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int | None]
    attempt_id: Mapped[int | None]  # None for the whole contest
    score: Mapped[int]
    prediction: Mapped[int | None]
    prediction_error: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[int] = mapped_column(BigInteger)
    finished_at: Mapped[datetime]
    rounds: Mapped[int] = mapped_column(SmallInteger)



# One index per order of the tie-breaks (the contest chooses), each read in order by the boards.
Index("ix_contest_standings_prediction_first", Standing.contest_id, Standing.round_number, Standing.score.desc(),
      Standing.prediction_error, Standing.duration_seconds, Standing.finished_at, Standing.attempt_id,
      Standing.participant_id)
Index("ix_contest_standings_duration_first", Standing.contest_id, Standing.round_number, Standing.score.desc(),
      Standing.duration_seconds, Standing.prediction_error, Standing.finished_at, Standing.attempt_id,
      Standing.participant_id)


PRIZE_RANKS = {"first": "Giải Nhất", "second": "Giải Nhì", "third": "Giải Ba", "consolation": "Giải Khuyến khích"}


class Prize(db.Model):
    """An individual prize of a division, for one round or (round_number 0) the whole contest."""
    __tablename__ = "contest_prizes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    round_number: Mapped[int] = mapped_column(SmallInteger)  # 0: the whole contest
    division_id: Mapped[int | None] = mapped_column(ForeignKey("contest_divisions.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("contest_participants.id"), index=True)
    rank: Mapped[str] = mapped_column(String(12))  # a key of PRIZE_RANKS
    place: Mapped[int]  # the place in the division's ranking
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contest: Mapped[Contest] = relationship()
    division: Mapped[Division | None] = relationship()
    participant: Mapped[Participant] = relationship()
    certificate: Mapped[Certificate | None] = relationship()

    __table_args__ = (
        UniqueConstraint("contest_id", "round_number", "participant_id", name="uq_contest_prizes_participant"),
    )

    @property
    def rank_label(self) -> str:
        return PRIZE_RANKS[self.rank]
