from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.clock import utcnow
from core.extensions import db

UNIT_ACTIVE, UNIT_MERGED, UNIT_DISSOLVED = "active", "merged", "dissolved"
MEMBER_ACTIVE, MEMBER_MOVED, MEMBER_LEFT = "active", "moved", "left"


class UnitKind(db.Model):
    __tablename__ = "unit_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Grassroots kinds are where members normally belong.
    is_grassroots: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(SmallInteger, default=100)


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_folded: Mapped[str] = mapped_column(String(300), index=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("unit_kinds.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Materialised path of ids, "/1/7/42/": a subtree is every path with this prefix.
    path: Mapped[str] = mapped_column(String(600), default="")
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    status: Mapped[str] = mapped_column(String(12), default=UNIT_ACTIVE)
    status_changed_on: Mapped[date | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    kind: Mapped[UnitKind] = relationship(lazy="joined")
    parent: Mapped["Unit | None"] = relationship(remote_side=[id], foreign_keys=[parent_id])
    merged_into: Mapped["Unit | None"] = relationship(remote_side=[id], foreign_keys=[merged_into_id])

    __table_args__ = (
        Index("ix_units_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    @property
    def is_active(self) -> bool:
        return self.status == UNIT_ACTIVE

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class UnitEvent(db.Model):
    """What happened to a unit and when: created, renamed, moved, merged, dissolved."""
    __tablename__ = "unit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Member(db.Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    card_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    birth_date: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(8))
    email: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=MEMBER_ACTIVE, index=True)
    status_changed_on: Mapped[date | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status == MEMBER_ACTIVE


class MemberMove(db.Model):
    """A member's change of unit: kept so history and reports follow them correctly."""
    __tablename__ = "member_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    moved_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(20))  # "move" or "merge"
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Headcount(db.Model):
    """The number of members a unit declares for a period: the denominator of its rates.

    A declaration counts the members attached to the unit itself; a unit above adds up
    its subtree. A unit with no declaration covering a report's date is counted instead.
    """
    __tablename__ = "headcounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    headcount: Mapped[int]
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()

    __table_args__ = (
        UniqueConstraint("unit_id", "period_start", "period_end", name="uq_headcounts_unit_period"),
    )
