"""The union tree and its members. Plain functions that flush; the caller commits."""
import itertools
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, update

from accounts import services as accounts
from accounts.models import User
from core import audit, signals
from core.clock import local_today
from core.extensions import db
from core.permissions import ensure_unit_in_scope, scope_paths
from core.text import clean_name, fold, identifier, like_escape, normalise_phone
from units.models import (
    MEMBER_ACTIVE, MEMBER_LEFT, MEMBER_MOVED, UNIT_ACTIVE, UNIT_DISSOLVED, UNIT_MERGED,
    Member, MemberMove, Unit, UnitEvent, UnitKind,
)

DEFAULT_KINDS = [
    ("province", "Liên đoàn Lao động tỉnh", False),
    ("district", "Liên đoàn Lao động huyện", False),
    ("sector", "Công đoàn ngành", False),
    ("civil_servants", "Công đoàn Viên chức", False),
    ("industrial_zone", "Công đoàn các Khu công nghiệp", False),
    ("commune", "Công đoàn xã, phường", False),
    ("grassroots", "Công đoàn cơ sở", True),
    ("department", "Công đoàn bộ phận", True),
    ("group", "Tổ công đoàn", True),
]
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
CARD_PATTERN = re.compile(r"^[A-Z0-9-]{3,32}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MEMBER_STATUS_NAMES = {MEMBER_ACTIVE: "Đang sinh hoạt", MEMBER_MOVED: "Đã chuyển đi",
                       MEMBER_LEFT: "Đã thôi sinh hoạt"}
UNIT_STATUS_NAMES = {UNIT_ACTIVE: "Đang hoạt động", UNIT_MERGED: "Đã sáp nhập",
                     UNIT_DISSOLVED: "Đã giải thể"}
GENDERS = {"nam": "Nam", "nu": "Nữ", "khac": "Khác"}



class UnitError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# -- kinds --------------------------------------------------------------------------

def ensure_default_kinds() -> None:
    existing = set(db.session.execute(db.select(UnitKind.code)).scalars())
    for position, (code, name, grassroots) in enumerate(DEFAULT_KINDS):
        if code not in existing:
            db.session.add(UnitKind(code=code, name=name, is_grassroots=grassroots, position=position))
    db.session.flush()


def all_kinds() -> list[UnitKind]:
    """Every kind; a new database gets the default kinds on first use."""
    kinds = list(db.session.execute(db.select(UnitKind).order_by(UnitKind.position, UnitKind.name)).scalars())
    if not kinds:
        ensure_default_kinds()
        return all_kinds()
    return kinds


def find_kind(text: str, kinds: list[UnitKind] | None = None) -> UnitKind | None:
    """Match a kind by its code or Vietnamese name, ignoring case and diacritics."""
    wanted = fold(text)
    for kind in kinds if kinds is not None else all_kinds():
        if wanted in (fold(kind.code), fold(kind.name)):
            return kind
    return None


def create_kind(code: str, name: str, *, is_grassroots: bool, actor: User) -> UnitKind:
    code = code.strip().lower()
    if not re.fullmatch(r"[a-z0-9_]{2,32}", code):
        raise UnitError("bad_kind_code")
    if find_kind(code) or find_kind(name):
        raise UnitError("kind_exists")
    kind = UnitKind(code=code, name=clean_name(name), is_grassroots=is_grassroots)
    db.session.add(kind)
    db.session.flush()
    audit.record(actor, "unit_kind_created", "unit_kind", kind.id, f"Thêm loại đơn vị {kind.name}")
    return kind


# -- units --------------------------------------------------------------------------

def get_unit(code: str) -> Unit | None:
    return db.session.execute(db.select(Unit).where(Unit.code == identifier(code))).scalar_one_or_none()


def unit_in_scope_or_404(user, code: str) -> Unit:
    """The unit with this code, if ``user`` may act on it; otherwise a 404, as if it did not exist."""
    unit = get_unit(code)
    ensure_unit_in_scope(user, unit)
    return unit


def in_subtree(root: Unit):
    """SQL condition: a unit lies in ``root``'s subtree (root included)."""
    return Unit.path.startswith(root.path, autoescape=True)


def in_scope(user):
    """SQL condition on ``Unit`` for what ``user`` may see; None when unrestricted."""
    paths = scope_paths(user)
    if paths is None:
        return None
    if not paths:
        return Unit.id.is_(None)
    return or_(*(Unit.path.startswith(path, autoescape=True) for path in paths))


def _record_event(unit: Unit, action: str, on: date, actor, **details) -> None:
    db.session.add(UnitEvent(unit_id=unit.id, action=action, occurred_on=on,
                             actor_id=getattr(actor, "id", None), details=details))


def create_unit(code: str, name: str, kind: UnitKind, parent: Unit | None, *, actor=None,
                on: date | None = None) -> Unit:
    code = identifier(code)
    name = clean_name(name)
    if not CODE_PATTERN.match(code):
        raise UnitError("bad_code")
    if not name:
        raise UnitError("empty_name")
    if get_unit(code) is not None:
        raise UnitError("code_taken")
    if parent is not None and not parent.is_active:
        raise UnitError("parent_inactive")
    unit = Unit(code=code, name=name, name_folded=fold(name), kind=kind, parent=parent)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.depth = parent.depth + 1 if parent else 0
    _record_event(unit, "created", on or local_today(), actor, parent=parent.code if parent else None)
    db.session.flush()
    signals.unit_created.send(unit)
    return unit


def rename_unit(unit: Unit, name: str, *, actor=None, on: date | None = None) -> None:
    name = clean_name(name)
    if not name:
        raise UnitError("empty_name")
    if name == unit.name:
        return
    _record_event(unit, "renamed", on or local_today(), actor, old=unit.name, new=name)
    unit.name, unit.name_folded = name, fold(name)
    db.session.flush()


def change_kind(unit: Unit, kind: UnitKind, *, actor=None, on: date | None = None) -> None:
    if kind.id == unit.kind_id:
        return
    _record_event(unit, "kind_changed", on or local_today(), actor, old=unit.kind.code, new=kind.code)
    unit.kind = kind
    db.session.flush()


def _reparent_subtree(unit: Unit, new_parent: Unit) -> None:
    old_prefix = unit.path
    new_prefix = f"{new_parent.path}{unit.id}/"
    depth_shift = new_parent.depth + 1 - unit.depth
    # One UPDATE rewrites the whole subtree's paths, whatever its size.
    db.session.execute(
        update(Unit)
        .where(Unit.path.startswith(old_prefix, autoescape=True))
        .values(path=new_prefix + func.substr(Unit.path, len(old_prefix) + 1),
                depth=Unit.depth + depth_shift)
        .execution_options(synchronize_session=False)
    )
    unit.parent = new_parent
    db.session.flush()
    db.session.expire_all()


def move_unit(unit: Unit, new_parent: Unit, *, actor=None, on: date | None = None) -> None:
    if new_parent.path.startswith(unit.path):
        raise UnitError("move_into_itself")
    if not (unit.is_active and new_parent.is_active):
        raise UnitError("parent_inactive")
    if unit.parent_id == new_parent.id:
        return
    old_parent_code = unit.parent.code if unit.parent else None
    _record_event(unit, "moved", on or local_today(), actor, old_parent=old_parent_code,
                  new_parent=new_parent.code)
    _reparent_subtree(unit, new_parent)


def merge_unit(source: Unit, target: Unit, *, actor=None, on: date | None = None) -> int:
    """Merge ``source`` into ``target``: its members and child units move there.

    The source unit stays in the table, marked merged, so history and old reports
    still name it. Returns the number of members moved.
    """
    on = on or local_today()
    if target.path.startswith(source.path):
        raise UnitError("merge_into_itself")
    if not (source.is_active and target.is_active):
        raise UnitError("parent_inactive")
    members = db.session.execute(db.select(Member).where(Member.unit_id == source.id)).scalars().all()
    for member in members:
        db.session.add(MemberMove(member_id=member.id, from_unit_id=source.id, to_unit_id=target.id,
                                  moved_on=on, reason="merge", actor_id=getattr(actor, "id", None)))
        member.unit_id = target.id
    children = db.session.execute(db.select(Unit).where(Unit.parent_id == source.id)).scalars().all()
    for child in children:
        _reparent_subtree(child, target)
    source.status, source.status_changed_on, source.merged_into = UNIT_MERGED, on, target
    _record_event(source, "merged", on, actor, into=target.code, members=len(members),
                  children=[c.code for c in children])
    _record_event(target, "absorbed", on, actor, source=source.code, members=len(members))
    db.session.flush()
    return len(members)


def dissolve_unit(unit: Unit, *, actor=None, on: date | None = None) -> None:
    """A unit with active members or active sub-units cannot be dissolved; merge it instead."""
    on = on or local_today()
    if active_member_count(unit) or db.session.execute(
            db.select(Unit.id).where(Unit.parent_id == unit.id, Unit.status == UNIT_ACTIVE)).first():
        raise UnitError("not_empty")
    unit.status, unit.status_changed_on = UNIT_DISSOLVED, on
    _record_event(unit, "dissolved", on, actor)
    db.session.flush()


def unit_events(unit: Unit) -> list[UnitEvent]:
    return list(db.session.execute(
        db.select(UnitEvent).where(UnitEvent.unit_id == unit.id)
        .order_by(UnitEvent.occurred_on.desc(), UnitEvent.id.desc())).scalars())


def path_ids(unit: Unit) -> list[int]:
    """The ids on the unit's path, from the root down to the unit itself."""
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def ancestors(unit: Unit) -> list[Unit]:
    ids = path_ids(unit)[:-1]
    if not ids:
        return []
    by_id = {u.id: u for u in db.session.execute(db.select(Unit).where(Unit.id.in_(ids))).scalars()}
    return [by_id[i] for i in ids if i in by_id]


def children(unit: Unit, *, include_inactive=False) -> list[Unit]:
    query = db.select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.name)
    if not include_inactive:
        query = query.where(Unit.status == UNIT_ACTIVE)
    return list(db.session.execute(query).scalars())


def active_member_count(unit: Unit, *, subtree=False) -> int:
    query = db.select(func.count(Member.id)).where(Member.status == MEMBER_ACTIVE)
    if subtree:
        query = query.join(Unit, Member.unit_id == Unit.id).where(in_subtree(unit))
    else:
        query = query.where(Member.unit_id == unit.id)
    return db.session.execute(query).scalar_one()


@dataclass
class TreeNode:
    unit: Unit
    level: int
    own_members: int
    total_members: int
    children: list["TreeNode"]


def tree(user, *, include_inactive=False) -> list[TreeNode]:
    """The units ``user`` may see, as a forest with active-member counts rolled up."""
    query = db.select(Unit)
    condition = in_scope(user)
    if condition is not None:
        query = query.where(condition)
    if not include_inactive:
        query = query.where(Unit.status == UNIT_ACTIVE)
    units = list(db.session.execute(query).scalars())
    counts_query = (db.select(Member.unit_id, func.count(Member.id))
                    .where(Member.status == MEMBER_ACTIVE).group_by(Member.unit_id))
    own = dict(db.session.execute(counts_query).all())
    nodes = {u.id: TreeNode(u, 0, own.get(u.id, 0), 0, []) for u in units}
    for node in nodes.values():
        for ancestor_id in path_ids(node.unit):
            ancestor = nodes.get(ancestor_id)
            if ancestor is not None:
                ancestor.total_members += node.own_members
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id)
        (parent.children if parent else roots).append(node)

    def arrange(siblings: list[TreeNode], level: int) -> None:
        siblings.sort(key=lambda n: (n.unit.kind.position, n.unit.name_folded))
        for n in siblings:
            n.level = level
            arrange(n.children, level + 1)
    arrange(roots, 0)
    return roots


def search_units(user, text: str, *, limit=50) -> list[Unit]:
    wanted = fold(text)
    if not wanted:
        return []
    query = (db.select(Unit)
             .where(or_(Unit.name_folded.contains(wanted, autoescape=True),
                        Unit.code == identifier(text)))
             .order_by(Unit.depth, Unit.name_folded).limit(limit))
    condition = in_scope(user)
    if condition is not None:
        query = query.where(condition)
    return list(db.session.execute(query).scalars())


def units_for_choice(user) -> list[Unit]:
    """Active units the user may place members in, in tree order."""
    ordered = []

    def walk(nodes):
        for node in nodes:
            ordered.append(node.unit)
            walk(node.children)
    walk(tree(user))
    return ordered


# -- members ------------------------------------------------------------------------

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
    for column, value, code in ((Member.card_number, data.card_number, "card_taken"),
                                (Member.phone, data.phone, "phone_taken")):
        if value:
            other = db.session.execute(db.select(Member.id).where(column == value)).scalar()
            if other is not None and other != member_id:
                return code
    return None


def create_member(unit: Unit, data: MemberData, *, actor=None) -> Member:
    if not clean_name(data.full_name):
        raise UnitError("empty_name")
    if not unit.is_active:
        raise UnitError("parent_inactive")
    conflict = _identity_conflict(data, None)
    if conflict:
        raise UnitError(conflict)
    member = Member(unit=unit, **data.as_columns())
    db.session.add(member)
    db.session.flush()
    return member


# What a member's account logs in with (phone, card) or is known by: changed only by those who
# may take the account over (``accounts.AccountError("admin_only")`` otherwise).
ACCOUNT_FIELDS = ("phone", "card_number", "full_name")


def update_member(member: Member, data: MemberData, *, actor=None) -> None:
    if not clean_name(data.full_name):
        raise UnitError("empty_name")
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
        raise UnitError("parent_inactive")
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
    """Only an active member's account logs in; ``accounts.AccountError("admin_only")`` when
    ``actor`` may not disable (or enable) that account."""
    if status not in MEMBER_STATUS_NAMES:
        raise UnitError("bad_status")
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


# -- accounts for members -----------------------------------------------------------

def member_by_identifier(text: str) -> Member | None:
    """The member with this phone number or card number, as a person would type either."""
    phone = normalise_phone(text)
    condition = Member.phone == phone if phone else Member.card_number == identifier(text)
    return db.session.execute(db.select(Member).where(condition)).scalar_one_or_none()


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
    for attempt in itertools.count(1):
        username = f"dv{member.id}" + (f"-{attempt}" if attempt > 1 else "")
        try:
            return accounts.create_user(username, member.full_name, password, must_change_password=True)
        except accounts.AccountError:
            continue


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
        raise UnitError("no_account")
    password = accounts.issue_one_time_password(member.user, actor, now=now)
    return IssuedPassword(member, member.user.username, password)
