"""Members' accounts: logging in by phone or card number, accounts made for members, their
passwords. Plain functions that flush; the caller commits."""
from dataclasses import dataclass

from accounts import services as accounts
from accounts.models import User
from core import audit
from core.extensions import db
from units.errors import UnitError
from units.members import member_by_identifier, members_query
from units.models import Member, Unit


def user_for_identifier(text: str) -> User | None:
    """Login lookup: a member may type their phone number or card number."""
    member = member_by_identifier(text)
    return member.user if member is not None else None


@dataclass
class IssuedPassword:
    member: Member
    username: str
    password: str


def _member_account(member: Member, password: str) -> User:
    """An account named dv<id>, or dv<id>-2, -3… when that name is already held (an account
    made by hand, or left behind by a member since deleted)."""
    username, attempt = f"dv{member.id}", 1
    while True:
        try:
            return accounts.create_user(username, member.full_name, password, must_change_password=True)
        except accounts.AccountError:
            attempt += 1
            username = f"dv{member.id}-{attempt}"


def activate_members(unit: Unit, actor: User, *, member_ids: list[int] | None = None,
                     now=None) -> list[IssuedPassword]:
    """Create accounts for active members of ``unit``'s subtree that have none yet."""
    query = members_query(unit).where(Member.user_id.is_(None))
    if member_ids is not None:
        query = query.where(Member.id.in_(member_ids))
    issued = []
    for member in db.session.execute(query).scalars():
        password = accounts.generate_initial_password()
        user = _member_account(member, password)
        member.user = user
        issued.append(IssuedPassword(member, user.username, password))
    if issued:
        audit.record(actor, "members_activated", "unit", unit.code,
                     f"Cấp tài khoản cho {len(issued)} đoàn viên của {unit.name}",
                     {"count": len(issued)}, now=now)
    db.session.flush()
    return issued


def reset_member_password(member: Member, actor: User, *, now=None) -> IssuedPassword:
    if member.user is None:
        raise UnitError("Đoàn viên này chưa có tài khoản.")
    password = accounts.issue_one_time_password(member.user, actor, now=now)
    return IssuedPassword(member, member.user.username, password)
