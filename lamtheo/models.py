"""Làm theo: plans of units, commitments of members, reviews and the commendations they select.

A commitment keeps the unit its member belonged to when registering (``unit_id``): the review
counts it there, so a province's figures group two million rows by unit without joining a
million members. Reading and confirming go by the member's current unit (who oversees them now).
"""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from certificates.models import Certificate
from core.clock import utcnow
from core.extensions import db
from units.models import Member, Unit

RESULT_PASSED, RESULT_FAILED = "dat", "chua_dat"
RESULT_NAMES = {RESULT_PASSED: "Đạt", RESULT_FAILED: "Chưa đạt"}
REVIEW_MIDTERM, REVIEW_FINAL = "so_ket", "tong_ket"
REVIEW_NAMES = {REVIEW_MIDTERM: "Sơ kết", REVIEW_FINAL: "Tổng kết"}


class Plan(db.Model):
    """A unit's plan for a year, or for the whole 2021–2025 term (``is_term``, ``year`` 2021)."""
    __tablename__ = "lamtheo_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    is_term: Mapped[bool] = mapped_column(default=False)
    issues: Mapped[str] = mapped_column(Text, default="")  # "vấn đề bức xúc, nổi cộm" chosen
    actions: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None]
    # The signed document, if attached: stored under instance/, served only in scope.
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_key: Mapped[str | None] = mapped_column(String(80))
    file_size: Mapped[int | None]
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)  # first saved: decides on time or late
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()

    __table_args__ = (UniqueConstraint("unit_id", "year", "is_term", name="uq_lamtheo_plans_unit_year"),)


class Suggestion(db.Model):
    """A commitment a unit proposes to the members below it for a year."""
    __tablename__ = "lamtheo_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()


class Commitment(db.Model):
    __tablename__ = "lamtheo_commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    # 1, 2, 3 within the member's year, kept dense: the unique key caps racing registrations at
    # three on both databases, and "position 1" counts each member once without grouping by member.
    position: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(String(500))
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("lamtheo_suggestions.id", ondelete="SET NULL"))
    # Registered by an officer ("nêu gương": shown first, counted apart).
    exemplary: Mapped[bool] = mapped_column(default=False)
    self_assessment: Mapped[str] = mapped_column(Text, default="")
    self_assessed_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(10))  # RESULT_PASSED / RESULT_FAILED once confirmed
    result_comment: Mapped[str] = mapped_column(Text, default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()

    __table_args__ = (
        UniqueConstraint("member_id", "year", "position", name="uq_lamtheo_commitments_member_year_position"),
        # The review: one pass over a year's rows, by unit, without reading the table.
        Index("ix_lamtheo_commitments_year_unit", "year", "unit_id", "position", "result", "exemplary"),
        # The review's candidates when few pass: the members with a commitment "đạt", without reading the year.
        Index("ix_lamtheo_commitments_passed", "year", "unit_id", "member_id", "exemplary",
              postgresql_where=db.text("result = 'dat'"), sqlite_where=db.text("result = 'dat'")),
    )


class Review(db.Model):
    """A unit's "sơ kết" of a year (or the 2025 "tổng kết") over its subtree."""
    __tablename__ = "lamtheo_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(10), default=REVIEW_MIDTERM)
    title: Mapped[str] = mapped_column(String(300))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    opened_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("unit_id", "year", "kind", name="uq_lamtheo_reviews_unit_year_kind"),)


class Commendation(db.Model):
    """A person (``member_id``) or a collective (``unit_id``) commended by a review, with its certificate."""
    __tablename__ = "lamtheo_commendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("lamtheo_reviews.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    reason: Mapped[str] = mapped_column(Text)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    review: Mapped[Review] = relationship()
    member: Mapped[Member | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    certificate: Mapped[Certificate | None] = relationship()

    __table_args__ = (
        UniqueConstraint("review_id", "member_id", name="uq_lamtheo_commendations_review_member"),
        UniqueConstraint("review_id", "unit_id", name="uq_lamtheo_commendations_review_unit"),
    )
