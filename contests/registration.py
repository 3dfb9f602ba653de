"""Who takes part in a contest: a union member with their own account, a member of the public
registering (an account and a place), and the division each falls in.

Flush only: views and commands commit.
"""
import functools
import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, bindparam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from accounts import services as accounts
from contests.models import DIVISIONS_BY_KIND, Contest, Division, Participant
from contests.services import ContestError
from core.clock import utcnow
from core.extensions import db
from core.text import citizen_id_digits, clean_name, normalise_phone
from units import members as unit_members
from units import tree as unit_tree
from units.models import Member, Unit


@functools.cache  # built once: docs/DEVELOPING.md 5.13
def _participant() -> Select:
    return (db.select(Participant).where(Participant.contest_id == bindparam("contest_id"),
                                         Participant.user_id == bindparam("user_id"))
            .options(joinedload(Participant.division)))


def participant_for(contest: Contest, user) -> Participant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalars(_participant(), {"contest_id": contest.id, "user_id": user.id}).first()


def division_for(contest: Contest, unit: Unit | None) -> Division | None:
    """By unit kind: the division of the unit's kind, else the open one (a guest with only a workplace
    falls there too); otherwise the first division."""
    if contest.division_mode != DIVISIONS_BY_KIND:
        return contest.divisions[0] if contest.divisions else None
    kind_id = unit.kind_id if unit is not None else None
    return next((d for d in contest.divisions if kind_id is not None and d.unit_kind_id == kind_id), None) \
        or next((d for d in contest.divisions if d.unit_kind_id is None), None)


def join_as_member(contest: Contest, user, member: Member) -> Participant:
    """A union member takes part with their own account."""
    existing = participant_for(contest, user)
    if existing is not None:
        return existing
    if not member.unit.path.startswith(contest.audience_unit.path):
        raise ContestError("Cuộc thi này dành cho đoàn viên của " + contest.audience_unit.name + ".")
    participant = Participant(contest=contest, user_id=user.id, member_id=member.id, full_name=member.full_name,
                              birth_year=member.birth_year, phone=member.phone, unit_id=member.unit_id,
                              division=division_for(contest, member.unit))
    return _add_participant(participant)


def _add_participant(participant: Participant) -> Participant:
    try:
        with db.session.begin_nested():
            db.session.add(participant)
    except IntegrityError as error:  # the unique phone key: someone registered this phone a moment ago
        raise ContestError("Số điện thoại này đã đăng ký dự thi cuộc thi này.") from error
    return participant


@dataclass
class Registration:
    full_name: str
    birth_year: int | None
    phone: str
    password: str
    unit_code: str = ""
    workplace: str = ""
    citizen_id: str = ""


def citizen_id_hash(citizen_id: str) -> str:
    """Only a keyed hash and the last four digits are kept, to spot one person registering twice."""
    key = current_app.config["SECRET_KEY"].encode()
    return hashlib.blake2b(citizen_id.encode(), key=key[:64], digest_size=32).hexdigest()


# One answer whoever holds the phone (a member, an account, a registration): saying which would let
# anyone typing numbers find out who is in the member list. The phone's owner knows what to do.
PHONE_TAKEN = ("Số điện thoại này không dùng để đăng ký mới được. Nếu đây là số của bạn, hãy đăng nhập bằng số "
               "điện thoại này (đoàn viên chưa có mật khẩu xin cán bộ công đoàn cơ sở cấp) rồi vào thi.")


def register_guest(contest: Contest, data: Registration) -> tuple[object, Participant]:
    """A member of the public registers: an account (their phone is the login) and a place in the contest."""
    if not contest.open_to_public:
        raise ContestError("Cuộc thi này chỉ dành cho đoàn viên: hãy đăng nhập bằng tài khoản đoàn viên.")
    name = clean_name(data.full_name)
    if len(name) < 4 or len(name.split()) < 2:
        raise ContestError("Hãy nhập đầy đủ họ và tên.")
    phone = normalise_phone(data.phone)
    if phone is None:
        raise ContestError("Số điện thoại di động không hợp lệ (10 số, bắt đầu bằng 0).")
    if data.birth_year is not None and not 1930 <= data.birth_year <= utcnow().year - 10:
        raise ContestError("Năm sinh không hợp lệ.")
    # Every lookup runs whatever the first one found, so that the time taken tells nothing either.
    holders = [db.session.scalars(db.select(Participant.id).filter_by(contest_id=contest.id, phone=phone)).first(),
               unit_members.member_by_identifier(phone), accounts.find_user(phone)]
    if any(holder is not None for holder in holders):
        raise ContestError(PHONE_TAKEN)
    unit = None
    if data.unit_code.strip():
        unit = unit_tree.get_unit(data.unit_code)
        if unit is None or not unit.is_active:
            raise ContestError("Không có đơn vị với mã này.")
    elif not data.workplace.strip():
        raise ContestError("Hãy chọn đơn vị hoặc ghi nơi làm việc.")
    digits = citizen_id_digits(data.citizen_id)
    if data.citizen_id.strip() and len(digits) not in (9, 12):
        raise ContestError("Số CCCD/CMND phải có 12 (hoặc 9) chữ số.")
    problem = accounts.password_problem(data.password, phone)
    if problem:
        raise ContestError(problem)
    try:
        with db.session.begin_nested():
            user = accounts.create_user(phone, name, data.password)
    except (IntegrityError, accounts.AccountError) as error:  # the same phone a moment ago: a double tap
        raise ContestError(PHONE_TAKEN) from error
    participant = Participant(contest=contest, user_id=user.id, full_name=name, birth_year=data.birth_year,
                              phone=phone, unit_id=unit.id if unit else None, workplace=data.workplace.strip()[:300],
                              citizen_id_hash=citizen_id_hash(digits) if digits else None,
                              citizen_id_last4=digits[-4:] if digits else None, division=division_for(contest, unit))
    return user, _add_participant(participant)
