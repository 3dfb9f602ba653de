"""Keeping ``member_topics`` current: one row per member and topic, recomputed from its sources.

A row is never edited step by step: whenever a source row changes (a lesson opened or
studied, an attempt started or finished, a completion, a certificate issued or revoked), the
member's row for that topic is recomputed whole from the sources, in the same transaction.
So it cannot drift, whatever the order of events, and rebuilding a topic (``flask reports
rebuild-progress``, after a bulk load) runs the very same statement for every member.

Each row also carries the member's current unit, so the report sums rows by unit without
joining every member; a member who changes unit (a move, a merge, an import) takes their rows along.

Changes made through the ORM are caught after each flush. The two writes that bypass the
ORM report themselves through a signal: an attempt closed by a guarded UPDATE
(quizzes.services.finish, ``attempt_finished``) and members moved by the import's bulk UPDATE
(units.importing ``members_moved``). Publishing or withdrawing a lesson changes what "studied
every lesson" means, so it recomputes the whole topic: at a million members, a few seconds.
"""
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import (
    Connection,
    Date,
    and_,
    cast,
    delete,
    event,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session, object_session

from certificates.models import KIND_COMPLETION, Certificate
from core.clock import LOCAL_TZ
from core.extensions import db
from learning.models import Lesson, LessonProgress, Topic
from quizzes.models import EXPIRED, PURPOSE_FINAL, SUBMITTED, Attempt, Quiz, TopicCompletion
from reports.models import MemberTopic
from units.models import Member

LOCAL_OFFSET = LOCAL_TZ.utcoffset(datetime(2000, 1, 1))  # Vietnam keeps no daylight saving time
COLUMNS = ("started_at", "studied_all_at", "first_finished_at", "first_percent", "passed_at", "completed_at",
           "certified_on", "certificate_revoked_at")


def _part(member_id, **values):
    """One branch of the union: the member and the given columns, NULL for the others (typed: PostgreSQL
    would take two untyped NULLs for text)."""
    table = MemberTopic.__table__
    return [member_id.label("member_id")] + [values.get(name, cast(null(), table.c[name].type)).label(name)
                                             for name in COLUMNS]


def local_day(moment, dialect: str):
    """The Vietnam calendar day of a stored (naive UTC) time, in SQL."""
    if dialect == "sqlite":
        return func.date(moment, f"+{int(LOCAL_OFFSET.total_seconds())} seconds", type_=Date)
    return func.date(moment + LOCAL_OFFSET, type_=Date)


def refresh(connection: Connection, topic_id: int, member_ids: Iterable[int] | None = None) -> None:
    """Recompute the rows of ``topic_id`` for ``member_ids`` (every member when None) from their sources."""
    lessons = connection.execute(select(Lesson.id, Lesson.published).where(Lesson.topic_id == topic_id)).all()
    lesson_ids = [lesson_id for lesson_id, _ in lessons]
    published = [lesson_id for lesson_id, is_published in lessons if is_published]
    quizzes = list(connection.scalars(select(Quiz.id).where(Quiz.topic_id == topic_id, Quiz.purpose == PURPOSE_FINAL)))
    members = None if member_ids is None else sorted(set(member_ids))

    def of(column):
        return true() if members is None else column.in_(members)

    progress = LessonProgress
    finished = and_(Attempt.quiz_id.in_(quizzes), Attempt.member_id.is_not(None), of(Attempt.member_id),
                    Attempt.status.in_((SUBMITTED, EXPIRED)))
    first = (select(Attempt.member_id, Attempt.finished_at, Attempt.percent,
                    func.row_number().over(partition_by=Attempt.member_id,
                                           order_by=(Attempt.finished_at, Attempt.id)).label("rank"))
             .where(finished).subquery())
    parts = [
        select(*_part(progress.member_id, started_at=progress.opened_at))
        .where(progress.lesson_id.in_(lesson_ids), of(progress.member_id)),
        select(*_part(progress.member_id, started_at=progress.studied_at))
        .where(progress.lesson_id.in_(lesson_ids), of(progress.member_id), progress.studied_at.is_not(None)),
        select(*_part(Attempt.member_id, started_at=Attempt.started_at))
        .where(Attempt.quiz_id.in_(quizzes), Attempt.member_id.is_not(None), of(Attempt.member_id)),
        select(*_part(first.c.member_id, first_finished_at=first.c.finished_at, first_percent=first.c.percent))
        .where(first.c.rank == 1),
        select(*_part(Attempt.member_id, passed_at=func.min(Attempt.finished_at)))
        .where(finished, Attempt.passed.is_(True)).group_by(Attempt.member_id),
        select(*_part(TopicCompletion.member_id, started_at=TopicCompletion.completed_at,
                      completed_at=TopicCompletion.completed_at))
        .where(TopicCompletion.topic_id == topic_id, of(TopicCompletion.member_id)),
        select(*_part(Certificate.member_id, certified_on=Certificate.issued_on,
                      certificate_revoked_at=Certificate.revoked_at))
        .where(Certificate.kind == KIND_COMPLETION, Certificate.topic_id == topic_id,
               Certificate.member_id.is_not(None), of(Certificate.member_id)),
    ]
    if published:
        # The moment the last of the published lessons was marked studied, once all of them are.
        studied = and_(progress.lesson_id.in_(published), progress.studied_at.is_not(None))
        parts.append(select(*_part(progress.member_id, studied_all_at=func.max(progress.studied_at)))
                     .where(studied, of(progress.member_id))
                     .group_by(progress.member_id).having(func.count() == len(published)))
    sources = union_all(*parts).subquery("sources")
    earliest = {"started_at", "passed_at"}  # the others have one value per member, or NULL
    rows = (select(sources.c.member_id, literal(topic_id), Member.unit_id,
                   *[(func.min if name in earliest else func.max)(sources.c[name]) for name in COLUMNS],
                   local_day(func.max(sources.c.completed_at), connection.dialect.name))
            .join(Member, Member.id == sources.c.member_id)
            .group_by(sources.c.member_id, Member.unit_id))
    table = MemberTopic.__table__
    connection.execute(delete(table).where(table.c.topic_id == topic_id, of(table.c.member_id)))
    connection.execute(insert(table).from_select(["member_id", "topic_id", "unit_id", *COLUMNS, "completed_on"],
                                                 rows))


FOLLOW_BATCH = 500  # member ids per UPDATE: a merge may move a 15,000-member enterprise


def follow_members(connection: Connection, member_ids: Iterable[int]) -> None:
    """Give these members' rows their current unit, after a move, a merge or an import."""
    table = MemberTopic.__table__
    current_unit = select(Member.unit_id).where(Member.id == table.c.member_id).scalar_subquery()
    ids = sorted(set(member_ids))
    for start in range(0, len(ids), FOLLOW_BATCH):
        connection.execute(update(table).where(table.c.member_id.in_(ids[start:start + FOLLOW_BATCH]))
                           .values(unit_id=current_unit))


def rebuild(topic: Topic | None = None) -> int:
    """Recompute every row of ``topic`` (of every topic when None); returns the number of rows."""
    connection = db.session.connection()
    topic_ids = [topic.id] if topic else list(db.session.scalars(select(Topic.id)))
    for topic_id in topic_ids:
        refresh(connection, topic_id)
    return db.session.scalar(select(func.count()).select_from(MemberTopic)
                             .where(MemberTopic.topic_id.in_(topic_ids)))


# -- keeping rows current ------------------------------------------------------------------

DEFERRED = "member_topics_deferred"  # session.info key: the topics whose recompute waits for the block's end


@contextmanager
def recomputed_once(session: Session | None = None) -> Iterator[None]:
    """Many flushes, one recompute: for an ORM loader (the demo) that flushes member after member.

    Inside the block a flush only notes the topics it touched; at the end each of them is rebuilt
    whole, in the same transaction. Moves still follow at once (they are one UPDATE).
    """
    session = session or db.session()
    if DEFERRED in session.info:  # within another such block, whose end recomputes
        yield
        return
    touched: set[int] = set()
    session.info[DEFERRED] = touched
    try:
        yield
    finally:
        del session.info[DEFERRED]
    session.flush()
    connection = session.connection()
    for topic_id in sorted(touched):
        refresh(connection, topic_id)


def _changed(obj, written: bool, *names: str) -> bool:
    """Whether the flush wrote the object (new or deleted) or changed one of these attributes."""
    return written or any(db.inspect(obj).attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    """Recompute the rows whose sources this flush wrote (the session still lists them)."""
    by_lesson, by_quiz, by_topic = defaultdict(set), defaultdict(set), defaultdict(set)
    whole_topics, moved = set(), set()
    written = {id(obj) for obj in (*session.new, *session.deleted)}
    for obj in (*session.new, *session.dirty, *session.deleted):
        new_or_gone = id(obj) in written
        if isinstance(obj, LessonProgress) and _changed(obj, new_or_gone, "opened_at", "studied_at", "lesson_id"):
            by_lesson[obj.lesson_id].add(obj.member_id)
        elif isinstance(obj, Attempt) and obj.member_id and _changed(
                obj, new_or_gone, "status", "started_at", "finished_at", "percent", "passed"):
            by_quiz[obj.quiz_id].add(obj.member_id)
        elif (isinstance(obj, TopicCompletion) and _changed(obj, new_or_gone, "completed_at")) or (
                isinstance(obj, Certificate) and obj.kind == KIND_COMPLETION and obj.member_id and obj.topic_id
                and _changed(obj, new_or_gone, "issued_on", "revoked_at")):
            by_topic[obj.topic_id].add(obj.member_id)
        elif isinstance(obj, Lesson) and obj.topic_id and (
                obj.published if new_or_gone else _changed(obj, False, "published")):
            whole_topics.add(obj.topic_id)  # what "every published lesson" means has changed
        elif isinstance(obj, Member) and not new_or_gone and _changed(obj, False, "unit_id", "unit"):
            moved.add(obj.id)
    if not (by_lesson or by_quiz or by_topic or whole_topics or moved):
        return
    connection = session.connection()
    if moved:
        follow_members(connection, moved)
    if by_lesson:
        for lesson_id, topic_id in connection.execute(select(Lesson.id, Lesson.topic_id)
                                                      .where(Lesson.id.in_(by_lesson))):
            by_topic[topic_id] |= by_lesson[lesson_id]
    if by_quiz:
        for quiz_id, topic_id in connection.execute(select(Quiz.id, Quiz.topic_id).where(
                Quiz.id.in_(by_quiz), Quiz.purpose == PURPOSE_FINAL, Quiz.topic_id.is_not(None))):
            by_topic[topic_id] |= by_quiz[quiz_id]
    if (deferred := session.info.get(DEFERRED)) is not None:
        deferred.update(whole_topics, by_topic)
        return
    for topic_id in whole_topics:
        refresh(connection, topic_id)
    for topic_id, member_ids in by_topic.items():
        if topic_id not in whole_topics:
            refresh(connection, topic_id, member_ids)


def on_attempt_finished(attempt: Attempt) -> None:
    """An attempt closed by UPDATE, which no flush sees (connected in create_app)."""
    quiz = attempt.quiz
    if attempt.member_id and quiz.purpose == PURPOSE_FINAL and quiz.topic_id:
        refresh((object_session(attempt) or db.session).connection(), quiz.topic_id, [attempt.member_id])


def on_members_moved(member_ids: Iterable[int]) -> None:
    """Members moved by a bulk UPDATE, which no flush sees (connected in create_app)."""
    follow_members(db.session.connection(), member_ids)
