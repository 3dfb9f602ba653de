"""The union tree: finding units, scope conditions, creating, renaming, moving, merging and
dissolving units (each leaves a `UnitEvent`), and reading the tree. Plain functions that flush;
the caller commits."""
import re
from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import func, or_, update

from core import signals
from core.clock import local_today
from core.extensions import db
from core.permissions import ensure_unit_in_scope, scope_paths
from core.text import clean_name, fold, identifier
from units.errors import EMPTY_NAME, UNIT_INACTIVE, UnitError
from units.models import (
    MEMBER_ACTIVE,
    UNIT_ACTIVE,
    UNIT_DISSOLVED,
    UNIT_MERGED,
    Member,
    MemberMove,
    Unit,
    UnitEvent,
    UnitKind,
)

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
UNIT_STATUS_NAMES = {UNIT_ACTIVE: "Đang hoạt động", UNIT_MERGED: "Đã sáp nhập",
                     UNIT_DISSOLVED: "Đã giải thể"}


def get_unit(code: str) -> Unit | None:
    return db.session.execute(db.select(Unit).where(Unit.code == identifier(code))).scalar_one_or_none()


def unit_in_scope_or_404(user, code: str) -> Unit:
    """The unit with this code, if ``user`` may act on it; otherwise a 404, as if it did not exist."""
    unit = get_unit(code)
    if unit is None:
        abort(404)
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
        raise UnitError("Mã đơn vị chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới (tối đa 40 ký tự).")
    if not name:
        raise UnitError(EMPTY_NAME)
    if get_unit(code) is not None:
        raise UnitError("Mã đơn vị này đã có.")
    if parent is not None and not parent.is_active:
        raise UnitError(UNIT_INACTIVE)
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
        raise UnitError(EMPTY_NAME)
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
        raise UnitError("Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới của nó.")
    if not (unit.is_active and new_parent.is_active):
        raise UnitError(UNIT_INACTIVE)
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
        raise UnitError("Không thể sáp nhập vào chính nó hoặc đơn vị cấp dưới của nó.")
    if not (source.is_active and target.is_active):
        raise UnitError(UNIT_INACTIVE)
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
        raise UnitError("Đơn vị còn đoàn viên hoặc đơn vị trực thuộc đang hoạt động: hãy sáp nhập thay vì giải thể.")
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
    roots: list[TreeNode] = []
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
