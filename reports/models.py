"""Period reports sent up the tree, frozen as they were submitted; and where each member stands on each topic."""
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.clock import utcnow
from core.extensions import db
from learning.models import Topic
from units.models import Unit


class ReportSubmission(db.Model):
    """One version of a unit's period report: the figures as computed at submission, never recomputed."""
    __tablename__ = "report_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The unit above at the time of submission: the one that receives it.
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    period_from: Mapped[date]
    period_to: Mapped[date]
    version: Mapped[int] = mapped_column(SmallInteger)
    results_text: Mapped[str] = mapped_column(Text, default="")
    shortcomings_text: Mapped[str] = mapped_column(Text, default="")
    proposals_text: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    to_unit: Mapped[Unit | None] = relationship(foreign_keys=[to_unit_id])
    topic: Mapped[Topic] = relationship()
    submitted_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("unit_id", "topic_id", "period_from", "period_to", "version",
                         name="uq_report_submissions_version"),
    )


class MemberTopic(db.Model):
    """Where one member stands on one topic: the moment of each step, derived from the lessons,
    attempts, completion and certificate rows and kept current with them (reports/progress.py).

    The completion report reads this one row per member instead of every row behind it
    (bench/reports_province.py, bench/README.md: a province of a million members took 5.2 s
    before it). Each column is the first
    time a step was reached, so it never moves once reached: a report of a past period
    stays what it was.
    """
    __tablename__ = "member_topics"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    # The member's current unit, kept equal to members.unit_id: the report sums these rows by unit
    # without joining a million members.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    started_at: Mapped[datetime | None]         # first activity: a lesson opened or studied, an attempt, completion
    studied_all_at: Mapped[datetime | None]     # every published lesson marked studied (the last of them)
    first_finished_at: Mapped[datetime | None]  # the first finished attempt at a final quiz of the topic
    first_percent: Mapped[float | None]         # ... and its score
    passed_at: Mapped[datetime | None]          # the first passed one
    completed_at: Mapped[datetime | None]       # the TopicCompletion
    completed_on: Mapped[date | None]           # ... its day in Vietnam: the report's chart counts by it
    certified_on: Mapped[date | None]           # the completion certificate
    certificate_revoked_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_member_topics_topic_id_unit_id", "topic_id", "unit_id"),)
