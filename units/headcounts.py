"""Headcounts: how many members a unit declares for a period, the denominator of its rates.

A declaration counts the members attached to the unit itself, not its subtree; a
unit above adds up its units' figures. Declaring the same period again replaces the
number, and the audit log keeps every value it had. Plain functions; the caller commits.
"""
from datetime import date

from accounts.models import User
from core import audit
from core.clock import utcnow
from core.extensions import db
from core.models import AuditEntry
from core.periods import Period, period_label, year_periods
from units.errors import UnitError
from units.models import Headcount, Unit

MAX_HEADCOUNT = 1_000_000
ACTIONS = ("headcount_declared", "headcount_removed")
HISTORY_LIMIT = 100


def presets(today: date) -> list[Period]:
    """The report periods of this year and the last (core.periods)."""
    return year_periods(today.year, today.year - 1)


def declare(unit: Unit, start: date, end: date, headcount: int, actor, *, now=None) -> Headcount:
    if not unit.is_active:
        raise UnitError("Đơn vị đã sáp nhập hoặc giải thể, không khai báo được nữa.")
    if start > end:
        raise UnitError("Ngày kết thúc không được trước ngày bắt đầu.")
    if not 0 <= headcount <= MAX_HEADCOUNT:
        raise UnitError("Số đoàn viên không hợp lệ.")
    row = db.session.scalars(db.select(Headcount).filter_by(unit_id=unit.id, period_start=start,
                                                            period_end=end)).one_or_none()
    previous = row.headcount if row else None
    if row is None:
        row = Headcount(unit=unit, period_start=start, period_end=end)
    row.headcount, row.declared_by_id, row.declared_at = headcount, getattr(actor, "id", None), now or utcnow()
    db.session.add(row)
    db.session.flush()
    label = period_label(start, end)
    audit.record(actor, "headcount_declared", "unit", unit.code,
                 f"Khai báo {headcount} đoàn viên cho {label}" + (f" (trước: {previous})" if previous is not None
                                                                   else ""),
                 {"start": start.isoformat(), "end": end.isoformat(), "headcount": headcount, "previous": previous},
                 now=now)
    return row


def remove(row: Headcount, actor, *, now=None) -> None:
    audit.record(actor, "headcount_removed", "unit", row.unit.code,
                 f"Xóa khai báo {row.headcount} đoàn viên cho {period_label(row.period_start, row.period_end)}",
                 {"start": row.period_start.isoformat(), "end": row.period_end.isoformat(),
                  "headcount": row.headcount}, now=now)
    db.session.delete(row)
    db.session.flush()


def declarations(unit: Unit) -> list[tuple[Headcount, str | None]]:
    """The unit's declarations, latest period first, with who made each."""
    return list(db.session.execute(
        db.select(Headcount, User.full_name).outerjoin(User, User.id == Headcount.declared_by_id)
        .where(Headcount.unit_id == unit.id)
        .order_by(Headcount.period_end.desc(), Headcount.period_start.desc())))


def history(unit: Unit) -> list[tuple[AuditEntry, str | None]]:
    """Every declaration and removal for the unit, newest first, with who made it."""
    return list(db.session.execute(
        db.select(AuditEntry, User.full_name).outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.target_type == "unit", AuditEntry.target_id == unit.code, AuditEntry.action.in_(ACTIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(HISTORY_LIMIT)))
