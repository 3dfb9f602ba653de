"""Studying without network: topics taken onto the phone, and the marks queued there.

A mark made offline carries two times from the phone's clock, which the member controls: when
the lesson was opened and when it was marked. The server trusts them only within what it knows
itself. The interval is cut to [the topic's download, the mark's arrival] (server times; a
phone clock up to CLOCK_SKEW off is tolerated, never counted), must be at least the lesson's
reading time, and the member's accepted offline marks must fit one after another: nobody
reads two lessons at once, so for every span of time the reading times of the marks inside it
add up to no more than the span. Forged times can only move a mark inside that window.
"""
import re
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from core.clock import format_datetime, utcnow
from core.extensions import db
from learning import studying
from learning.models import (
    OFFLINE_ACCEPTED,
    OFFLINE_ALREADY,
    OFFLINE_REFUSED,
    Lesson,
    LessonProgress,
    OfflineMark,
    Topic,
    TopicDownload,
)
from units.models import Member

CLOCK_SKEW = timedelta(minutes=2)
CLIENT_KEY = re.compile(r"[A-Za-z0-9-]{8,64}")
EARLIEST = datetime(2020, 1, 1)


def record_download(member: Member, topic: Topic, *, now: datetime | None = None) -> TopicDownload:
    """The member takes the topic onto the phone; the first time counts (a later one only widens nothing)."""
    row = db.session.scalars(db.select(TopicDownload).filter_by(member_id=member.id, topic_id=topic.id)).first()
    if row is None:
        row = TopicDownload(member_id=member.id, topic_id=topic.id, downloaded_at=now or utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # the same download tapped twice at once: the other one is kept
            row = db.session.scalars(db.select(TopicDownload).filter_by(member_id=member.id, topic_id=topic.id)).one()
    return row


def downloaded_at(member: Member, topic: Topic) -> datetime | None:
    return db.session.scalar(db.select(TopicDownload.downloaded_at).filter_by(member_id=member.id, topic_id=topic.id))


def parse_client_time(value) -> datetime | None:
    """A phone's time in milliseconds since 1970 (JavaScript's Date.now()), or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        moment = datetime(1970, 1, 1) + timedelta(milliseconds=value)
    except OverflowError:
        return None
    return moment if EARLIEST <= moment < datetime(2100, 1, 1) else None


def _overcrowded(intervals: list[tuple[datetime, datetime, int]]) -> tuple[datetime, datetime, int, int] | None:
    """The first span [start, end] whose marks need more reading time than it lasts, or None.

    Each interval is (opened, marked, reading seconds). Marks fit one after another exactly when
    no span from an opening to a marking holds more reading than its length (a schedule with
    release times and deadlines on one reader)."""
    for start in sorted({opened for opened, _, _ in intervals}):
        for end in sorted({marked for _, marked, _ in intervals}):
            if end <= start:
                continue
            inside = [seconds for opened, marked, seconds in intervals if opened >= start and marked <= end]
            if sum(inside) > (end - start).total_seconds():
                return start, end, len(inside), sum(inside)
    return None


def _judge(member: Member, lesson: Lesson, opened: datetime, marked: datetime, now: datetime):
    """(outcome, reason, counted opened, counted marked) of a mark that is not yet judged."""
    since = downloaded_at(member, lesson.topic)
    if since is None:
        return OFFLINE_REFUSED, ("Chuyên đề chưa được tải về máy nên không ghi nhận được bài học khi không có mạng."), \
            opened, marked
    if marked > now + CLOCK_SKEW:
        return OFFLINE_REFUSED, ("Thời điểm đánh dấu ở sau giờ hiện tại của máy chủ: đồng hồ của điện thoại "
                                 "đang sai."), opened, marked
    if opened < since - CLOCK_SKEW:
        return OFFLINE_REFUSED, (f"Thời điểm mở bài ở trước lúc tải chuyên đề về máy ({format_datetime(since)}): "
                                 "đồng hồ của điện thoại đang sai."), opened, marked
    if marked < opened:
        return OFFLINE_REFUSED, "Thời điểm đánh dấu ở trước lúc mở bài.", opened, marked
    opened, marked = max(opened, since), min(marked, now)
    required = studying.required_read_seconds(lesson)
    read = int((marked - opened).total_seconds())
    if read < required:
        return OFFLINE_REFUSED, (f"Bài được đánh dấu sau {studying.wait_text(max(read, 0))} kể từ lúc mở; "
                                 f"cần mở bài ít nhất {studying.wait_text(required)}."), opened, marked
    progress = db.session.scalars(db.select(LessonProgress).filter_by(member_id=member.id, lesson_id=lesson.id)).first()
    if progress is not None and progress.studied_at is not None:
        return OFFLINE_ALREADY, "Bài này đã được ghi nhận là đã học từ trước.", opened, marked
    accepted = db.session.execute(db.select(OfflineMark.opened_at, OfflineMark.marked_at, OfflineMark.required_seconds)
                                  .filter_by(member_id=member.id, outcome=OFFLINE_ACCEPTED)).all()
    crowded = _overcrowded([tuple(row) for row in accepted] + [(opened, marked, required)])
    if crowded:
        start, end, count, needed = crowded
        span = int((end - start).total_seconds())
        return OFFLINE_REFUSED, (f"Quá nhiều bài được đánh dấu trong thời gian quá ngắn: từ {format_datetime(start)} "
                                 f"đến {format_datetime(end)} chỉ có {studying.wait_text(span)}, không đủ để đọc "
                                 f"{count} bài (cần {studying.wait_text(needed)})."), opened, marked
    return OFFLINE_ACCEPTED, "", opened, marked


def apply_mark(member: Member, lesson: Lesson, client_key: str, opened: datetime, marked: datetime,
               *, now: datetime | None = None) -> OfflineMark:
    """Judge a mark queued offline and, if accepted, record the lesson studied at its marked time.

    The same client key is judged once: sent again, the first judgement is returned unchanged."""
    now = now or utcnow()
    existing = db.session.scalars(db.select(OfflineMark).filter_by(member_id=member.id, client_key=client_key)).first()
    if existing is not None:
        return existing
    outcome, reason, opened, marked = _judge(member, lesson, opened, marked, now)
    mark = OfflineMark(member_id=member.id, lesson_id=lesson.id, client_key=client_key, opened_at=opened,
                       marked_at=marked, received_at=now, outcome=outcome, reason=reason,
                       required_seconds=studying.required_read_seconds(lesson))
    try:
        with db.session.begin_nested():
            db.session.add(mark)
            if outcome == OFFLINE_ACCEPTED:
                progress = db.session.scalars(db.select(LessonProgress)
                                              .filter_by(member_id=member.id, lesson_id=lesson.id)).first()
                if progress is None:
                    progress = LessonProgress(member_id=member.id, lesson_id=lesson.id, opened_at=opened,
                                              last_seen_at=marked)
                    db.session.add(progress)
                progress.studied_at = marked
    except IntegrityError:  # the same mark arrived twice at once: the first judgement stands
        return db.session.scalars(db.select(OfflineMark).filter_by(member_id=member.id, client_key=client_key)).one()
    return mark


def lock_member(member: Member) -> None:
    """Judge one member's marks one request at a time: two batches sent at once must not both fit
    in the same reading time."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(db.select(Member.id).where(Member.id == member.id).with_for_update())
    else:  # SQLite has one writer at a time: take the write lock now, as BEGIN IMMEDIATE would
        db.session.execute(update(Member).where(Member.id == member.id).values(unit_id=Member.unit_id)
                           .execution_options(synchronize_session=False))


def recent_marks(member: Member, limit: int = 100) -> list[OfflineMark]:
    return list(db.session.scalars(db.select(OfflineMark).filter_by(member_id=member.id)
                                   .order_by(OfflineMark.received_at.desc(), OfflineMark.id.desc()).limit(limit)))
