"""Members: their details, moves between units, status, finding them. Plain functions that
flush; the caller commits."""
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_

from accounts import services as accounts
from accounts.models import User
from core.clock import local_today
from core.extensions import db
from core.text import clean_name, fold, identifier, like_escape, normalise_phone
from units.errors import EMPTY_NAME, UNIT_INACTIVE, UnitError
from units.models import MEMBER_ACTIVE, MEMBER_LEFT, MEMBER_MOVED, Member, MemberMove, Unit
from units.tree import in_subtree

CARD_PATTERN = re.compile(r"^[A-Z0-9-]{3,32}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MEMBER_STATUS_NAMES = {MEMBER_ACTIVE: "Đang sinh hoạt", MEMBER_MOVED: "Đã chuyển đi",
                       MEMBER_LEFT: "Đã thôi sinh hoạt"}
GENDERS = {"nam": "Nam", "nu": "Nữ", "khac": "Khác"}


def normalise_gender(text: str) -> str | None:
    return GENDERS.get(fold(text))


@dataclass
class MemberData:
    full_name: str
    card_number: str | None = None
    phone: str | None = None
    birth_year: int | None = None
    birth_date: date | None = None
    gender: str | None = None
    email: str | None = None
    position: str | None = None

    def as_columns(self) -> dict:
        values = dict(self.__dict__)
        values["full_name"] = clean_name(self.full_name)
        values["name_folded"] = fold(self.full_name)
        if self.birth_date and not self.birth_year:
            values["birth_year"] = self.birth_date.year
        return values


def _identity_conflict(data: MemberData, member_id: int | None) -> str | None:
    """Why another member already holds this card number or phone, as the sentence to show."""
    for column, value, message in ((Member.card_number, data.card_number,
                                    "Số thẻ đoàn viên đã thuộc về một đoàn viên khác."),
                                   (Member.phone, data.phone, "Số điện thoại đã thuộc về một đoàn viên khác.")):
        if value:
            other = db.session.execute(db.select(Member.id).where(column == value)).scalar()
            if other is not None and other != member_id:
                return message
    return None


def create_member(unit: Unit, data: MemberData, *, actor=None) -> Member:
    if not clean_name(data.full_name):
        raise UnitError(EMPTY_NAME)
    if not unit.is_active:
        raise UnitError(UNIT_INACTIVE)
    conflict = _identity_conflict(data, None)
    if conflict:
        raise UnitError(conflict)
    member = Member(unit=unit, **data.as_columns())
    db.session.add(member)
    db.session.flush()
    return member


# What a member's account logs in with (phone, card) or is known by: changed only by those who
# may take the account over (``accounts.BeyondScope`` otherwise).
ACCOUNT_FIELDS = ("phone", "card_number", "full_name")


def update_member(member: Member, data: MemberData, *, actor=None) -> None:
    if not clean_name(data.full_name):
        raise UnitError(EMPTY_NAME)
    conflict = _identity_conflict(data, member.id)
    if conflict:
        raise UnitError(conflict)
    columns = data.as_columns()
    if member.user is not None and any(columns[key] != getattr(member, key) for key in ACCOUNT_FIELDS):
        accounts.ensure_may_change_login(member.user, actor)
    for key, value in columns.items():
        setattr(member, key, value)
    if member.user is not None:
        member.user.full_name = member.full_name
    db.session.flush()


def move_member(member: Member, unit: Unit, *, actor=None, on: date | None = None, note="") -> None:
    if not unit.is_active:
        raise UnitError(UNIT_INACTIVE)
    if member.unit_id == unit.id:
        return
    db.session.add(MemberMove(member_id=member.id, from_unit_id=member.unit_id, to_unit_id=unit.id,
                              moved_on=on or local_today(), reason="move", note=note,
                              actor_id=getattr(actor, "id", None)))
    member.unit = unit
    if member.status == MEMBER_MOVED:
        member.status = MEMBER_ACTIVE
    db.session.flush()


def set_member_status(member: Member, status: str, *, actor: User, on: date | None = None) -> None:
    """Only an active member's account logs in; ``accounts.BeyondScope`` when
    ``actor`` may not disable (or enable) that account."""
    if status not in MEMBER_STATUS_NAMES:
        raise UnitError("Trạng thái không hợp lệ.")
    if member.user is not None:
        accounts.set_enabled(member.user, status == MEMBER_ACTIVE, actor)
    member.status, member.status_changed_on = status, on or local_today()
    db.session.flush()


def member_moves(member: Member) -> list[MemberMove]:
    return list(db.session.execute(
        db.select(MemberMove).where(MemberMove.member_id == member.id)
        .order_by(MemberMove.moved_on.desc(), MemberMove.id.desc())).scalars())


def members_query(unit: Unit, *, text: str = "", status: str | None = MEMBER_ACTIVE, subtree=True):
    query = db.select(Member).join(Unit, Member.unit_id == Unit.id)
    query = query.where(in_subtree(unit)) if subtree else query.where(Member.unit_id == unit.id)
    if status:
        query = query.where(Member.status == status)
    wanted = fold(text)
    if wanted:
        pattern = f"%{like_escape(wanted)}%"
        phone = normalise_phone(text)
        query = query.where(or_(Member.name_folded.like(pattern, escape="\\"),
                                Member.card_number == identifier(text),
                                Member.phone == (phone or "")))
    return query.order_by(Member.name_folded, Member.id)


def member_for_user(user: User) -> Member | None:
    return db.session.execute(db.select(Member).where(Member.user_id == user.id)).scalar_one_or_none()



def member_by_identifier(text: str) -> Member | None:
    """The member with this phone number or card number, as a person would type either."""
    phone = normalise_phone(text)
    condition = Member.phone == phone if phone else Member.card_number == identifier(text)
    return db.session.execute(db.select(Member).where(condition)).scalar_one_or_none()

