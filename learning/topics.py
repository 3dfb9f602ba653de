"""Who a topic is for: finding topics and lessons, the topics a person may open, placing a
federation's topics in its tree, assigning a topic to a unit."""
from datetime import datetime

from sqlalchemy import false, or_

from core import signals
from core.clock import utcnow
from core.extensions import db
from core.permissions import EDITOR, OFFICER, ORGANISER, has_role, is_admin
from learning.models import Lesson, Topic, TopicAssignment
from units import tree as unit_tree
from units.models import Member, Unit


def get_topic(slug: str, *, include_unpublished=False) -> Topic | None:
    query = db.select(Topic).where(Topic.slug == slug)
    if not include_unpublished:
        query = query.where(Topic.published)
    return db.session.scalars(query).one_or_none()


def _set_for(unit_condition):
    """SQL condition on Topic: the topic belongs to no federation, or is set for a unit that
    meets the condition. A topic that names its federation stays inside that federation's tree;
    one that does not (an editor's own, set by hand) reads as it always did."""
    return or_(Topic.federation_code.is_(None),
               Topic.id.in_(db.select(TopicAssignment.topic_id).join(Unit, TopicAssignment.unit_id == Unit.id)
                            .where(unit_condition)))


def hides_answer_key(topic: Topic, user, *, now: datetime | None = None) -> bool:
    """Whether ``user`` may not see the right answers of ``topic``'s questions now, whatever their role:
    a contestant, while their contest can still draw them (``core.signals.answer_key_hidden``)."""
    return bool(signals.first_answer(signals.answer_key_hidden, topic, user=user, now=now or utcnow()))


def topic_scope(user, member: Member | None):
    """SQL condition on Topic: the topics this person may open; None for every topic.

    Editors and administrators see every topic. Of a federation's topics, a member sees those
    set for their unit or a unit above it; an officer or organiser, those set above, at or below
    the units they hold. Another province's topic is none of these: it answers as if it did not exist."""
    if has_role(user, EDITOR) or is_admin(user):
        return None
    on_path = set(unit_tree.path_ids(member.unit)) if member else set()
    conditions = []
    for held in {role.unit for role in getattr(user, "roles", ()) if role.unit and role.name in (OFFICER, ORGANISER)}:
        on_path.update(unit_tree.path_ids(held))
        conditions.append(unit_tree.in_subtree(held))
    if on_path:
        conditions.append(Unit.id.in_(on_path))
    return _set_for(or_(*conditions) if conditions else false())


def topic_for(slug: str, user, member: Member | None) -> Topic | None:
    """The topic as this person may open it: unpublished ones for editors only, others' never."""
    scope = topic_scope(user, member)
    topic = get_topic(slug, include_unpublished=scope is None)
    if topic is None or scope is None:
        return topic
    return topic if db.session.scalar(db.select(Topic.id).where(Topic.id == topic.id, scope)) else None


def topics_of_tree(unit: Unit):
    """SQL condition on Topic: of a federation's topics, those set for the unit, a unit above it
    or a unit below it: what its officers report on and hold sessions for."""
    return _set_for(or_(Unit.id.in_(unit_tree.path_ids(unit)), unit_tree.in_subtree(unit)))


def place_topic(topic: Topic) -> str | None:
    """Set a topic with a federation for that federation's tree and no other; what changed, or None.

    Until a unit with the federation's code exists, nothing changes: `on_unit_created`
    places the topic when it appears."""
    if not topic.federation_code:
        return None
    federation = unit_tree.get_unit(topic.federation_code)
    if federation is None:
        return f"chưa có đơn vị {topic.federation_code}: chủ đề sẽ được giao khi đơn vị này được tạo"
    changes = []
    if not any(a.unit_id == federation.id for a in topic.assignments):
        assign_topic(topic, federation)
        changes.append(f"giao cho {federation.code}")
    for assignment in list(topic.assignments):
        if assignment.unit_id != federation.id and not assignment.unit.path.startswith(federation.path):
            topic.assignments.remove(assignment)
            changes.append(f"bỏ giao cho {assignment.unit.code} (ngoài cây {federation.code})")
    db.session.flush()
    return ", ".join(changes) or None


def on_unit_created(unit: Unit) -> None:
    """A federation unit has just been created: set the topics that wait for its code."""
    for topic in db.session.scalars(db.select(Topic).where(Topic.federation_code == unit.code)):
        place_topic(topic)


def get_lesson(topic: Topic, slug: str, *, include_unpublished=False) -> Lesson | None:
    query = db.select(Lesson).where(Lesson.topic_id == topic.id, Lesson.slug == slug)
    if not include_unpublished:
        query = query.where(Lesson.published)
    return db.session.scalars(query).one_or_none()


def published_lessons(topic: Topic) -> list[Lesson]:
    return list(db.session.scalars(db.select(Lesson).where(Lesson.topic_id == topic.id, Lesson.published)
                                   .order_by(Lesson.position, Lesson.id)))


def assigned_topics(member: Member) -> list[Topic]:
    """Published topics set for the member's unit or any unit above it, newest first."""
    query = (db.select(Topic).join(TopicAssignment)
             .where(Topic.published, TopicAssignment.unit_id.in_(unit_tree.path_ids(member.unit)))
             .distinct().order_by(Topic.year.desc(), Topic.due_on, Topic.id))
    return list(db.session.scalars(query))


def assign_topic(topic: Topic, unit: Unit) -> None:
    exists = db.session.scalars(db.select(TopicAssignment).filter_by(topic_id=topic.id, unit_id=unit.id)).first()
    if exists is None:
        db.session.add(TopicAssignment(topic=topic, unit_id=unit.id))
        db.session.flush()
