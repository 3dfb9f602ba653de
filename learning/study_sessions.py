"""Offline study sessions (hội nghị học tập, sinh hoạt chuyên đề, tọa đàm) recorded by officers,
by hand or from a spreadsheet. Plain functions that flush; the caller commits.

Attendances (lượt) and people are never mixed: a session carries its number of
attendances; the members listed, when a unit lists them, are the distinct people.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func

from core import audit
from core.clock import format_date, local_today, parse_vn_date
from core.errors import Refusal
from core.extensions import db
from core.logs import logged_import
from core.permissions import can_manage_unit
from core.tabular import ImportReport, read_table
from core.text import clean_name, fold, identifier, number_vn
from learning import topics as learning_topics
from learning.models import KIND_CONTEST, SESSION_FORMS, StudySession, StudySessionMember, Topic
from units import members as unit_members
from units import tree as unit_tree
from units.models import Member, Unit

MAX_ATTENDANCES = 100_000
MAX_NOTES = 2000
EARLIEST_YEAR = 2000  # catches a year typed short ("1/3/202") without refusing any real session
# What people write in the "Hình thức" column, folded: each form's name, its key and a short word.
FORM_ALIASES = {fold(name): key for key, name in SESSION_FORMS.items()} | {key: key for key in SESSION_FORMS} | {
    "truc tiep": "in_person", "truc tuyen": "online", "ket hop": "combined", "long ghep": "meeting",
    "sinh hoat dinh ky": "meeting"}
SESSION_COLUMNS = {
    "unit_code": ("Mã đơn vị",),
    "held_on": ("Ngày", "Ngày tổ chức"),
    "topic": ("Chủ đề", "Chuyên đề"),
    "form": ("Hình thức",),
    "attendances": ("Số lượt tham dự", "Số lượt"),
    "notes": ("Ghi chú",),
}
REQUIRED_COLUMNS = ("unit_code", "held_on", "topic", "form", "attendances")
TEMPLATE_HEADERS = [names[0] for names in SESSION_COLUMNS.values()]
ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"
_IDENTIFIER_SPLIT = re.compile(r"[\n,;\t]+")


class SessionError(Refusal):
    """The session breaks a rule: ``problems`` maps a field ("unit", "held_on", ...) to its sentence."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass
class SessionData:
    unit: Unit | None
    topic: Topic | None
    held_on: date
    form: str
    attendances: int
    notes: str = ""
    members: list[Member] = field(default_factory=list)


def session_topics(scope) -> list[Topic]:
    """Published study topics within ``scope`` (an SQL condition on Topic, None for all), newest first:
    `learning_topics.topics_of_tree(unit)` for a unit's sessions, `learning_topics.topic_scope(user, None)`
    for an officer's."""
    query = db.select(Topic).where(Topic.published, Topic.kind != KIND_CONTEST)
    return list(db.session.scalars((query if scope is None else query.where(scope))
                                   .order_by(Topic.year.desc(), Topic.id)))


def find_topic(text: str, topics: list[Topic]) -> Topic | None:
    """A topic by its slug or its title, as typed in a file (case and diacritics ignored)."""
    wanted = fold(text)
    return next((t for t in topics if wanted in (t.slug.lower(), fold(t.title))), None) if wanted else None


def find_form(text: str) -> str | None:
    return FORM_ALIASES.get(fold(text))


def resolve_members(text: str, unit: Unit) -> tuple[list[Member], list[str]]:
    """Members named by card numbers or phones (one a line, or separated by commas), and what went wrong."""
    members: dict[int, Member] = {}
    errors = []
    for typed in (part.strip() for part in _IDENTIFIER_SPLIT.split(unicodedata.normalize("NFKC", text or ""))):
        if not typed:
            continue
        member = unit_members.member_by_identifier(typed)
        if member is None:
            errors.append(f"Không tìm thấy đoàn viên có số thẻ hoặc số điện thoại “{typed}”.")
        elif not member.unit.path.startswith(unit.path):
            # Named without their unit: an officer must not learn where someone outside their unit is.
            errors.append(f"“{typed}” không phải đoàn viên của {unit.name} hoặc đơn vị trực thuộc.")
        else:
            members[member.id] = member
    return list(members.values()), errors


def member_identifier(member: Member) -> str:
    return member.card_number or member.phone or ""


def problems(data: SessionData, actor, *, today: date | None = None) -> dict[str, str]:
    """Every rule the session breaks, by field, in Vietnamese."""
    today = today or local_today()
    found = {}
    if data.unit is None or not can_manage_unit(actor, data.unit):
        found["unit"] = "Không có đơn vị này hoặc đơn vị không thuộc phạm vi bạn quản lý."
    elif not data.unit.is_active:
        found["unit"] = f"{data.unit.name} đã sáp nhập hoặc giải thể."
    if data.topic is None or data.topic.kind == KIND_CONTEST:
        found["topic"] = "Không có chuyên đề này."
    elif "unit" not in found and not db.session.scalar(
            db.select(Topic.id).where(Topic.id == data.topic.id, learning_topics.topics_of_tree(data.unit))):
        found["topic"] = f"Chuyên đề này không được giao cho {data.unit.name}."
    if data.held_on > today:
        found["held_on"] = f"Ngày {format_date(data.held_on)} chưa tới: chỉ ghi buổi học đã diễn ra."
    elif data.held_on.year < EARLIEST_YEAR:
        found["held_on"] = f"Ngày {format_date(data.held_on)} không hợp lệ."
    if data.form not in SESSION_FORMS:
        found["form"] = "Hình thức phải là: " + ", ".join(SESSION_FORMS.values()) + "."
    if data.attendances < 1:
        found["attendances"] = "Số lượt tham dự phải từ 1 trở lên."
    elif data.attendances > MAX_ATTENDANCES:
        found["attendances"] = f"Số lượt tham dự không được quá {number_vn(MAX_ATTENDANCES)}."
    elif data.attendances < len(data.members):
        found["attendances"] = (f"Số lượt tham dự ({data.attendances}) ít hơn số đoàn viên có tên trong danh sách "
                                f"({len(data.members)}).")
    if data.unit is not None and any(not m.unit.path.startswith(data.unit.path) for m in data.members):
        found["members"] = f"Danh sách có đoàn viên không thuộc {data.unit.name}."
    if len(data.notes) > MAX_NOTES:
        found["notes"] = f"Ghi chú không được dài quá {MAX_NOTES} ký tự."
    return found


def _describe(session: StudySession) -> dict:
    return {"unit": session.unit.code, "topic": session.topic.slug, "held_on": session.held_on.isoformat(),
            "form": session.form, "attendances": session.attendances, "members": len(session.attendees)}


def _apply(session: StudySession, data: SessionData) -> None:
    session.unit, session.topic, session.held_on = data.unit, data.topic, data.held_on
    session.form, session.attendances, session.notes = data.form, data.attendances, data.notes
    wanted = {m.id for m in data.members}
    # Keep rows for members still listed: deleting and re-adding one primary key in a flush clashes.
    for row in [row for row in session.attendees if row.member_id not in wanted]:
        session.attendees.remove(row)
    kept = {row.member_id for row in session.attendees}
    session.attendees.extend(StudySessionMember(member_id=member_id) for member_id in wanted - kept)


def record_session(data: SessionData, actor, *, today: date | None = None, now=None) -> StudySession:
    found = problems(data, actor, today=today)
    if found:
        raise SessionError(found)
    session = StudySession(created_by_id=getattr(actor, "id", None))
    _apply(session, data)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "study_session_recorded", "study_session", session.id,
                 f"Ghi buổi học tập {format_date(session.held_on)} của {session.unit.name}: "
                 f"{session.attendances} lượt", _describe(session), now=now)
    return session


def update_session(session: StudySession, data: SessionData, actor, *, today: date | None = None,
                   now=None) -> None:
    found = problems(data, actor, today=today)
    if found:
        raise SessionError(found)
    before = _describe(session)
    _apply(session, data)
    db.session.flush()
    audit.record(actor, "study_session_updated", "study_session", session.id,
                 f"Sửa buổi học tập {format_date(session.held_on)} của {session.unit.name}",
                 {"before": before, "after": _describe(session)}, now=now)


def delete_session(session: StudySession, actor, *, now=None) -> None:
    audit.record(actor, "study_session_deleted", "study_session", session.id,
                 f"Xóa buổi học tập {format_date(session.held_on)} của {session.unit.name}: "
                 f"{session.attendances} lượt", _describe(session), now=now)
    db.session.delete(session)
    db.session.flush()


def sessions_query(unit: Unit, *, topic: Topic | None = None, form: str | None = None,
                   date_from: date | None = None, date_to: date | None = None):
    """Sessions of ``unit``'s whole subtree, newest first."""
    query = db.select(StudySession).join(Unit, StudySession.unit_id == Unit.id).where(unit_tree.in_subtree(unit))
    if topic is not None:
        query = query.where(StudySession.topic_id == topic.id)
    if form:
        query = query.where(StudySession.form == form)
    if date_from:
        query = query.where(StudySession.held_on >= date_from)
    if date_to:
        query = query.where(StudySession.held_on <= date_to)
    return query.order_by(StudySession.held_on.desc(), StudySession.id.desc())


def totals(query) -> tuple[int, int]:
    """Sessions and attendances of a ``sessions_query``."""
    sub = query.order_by(None).subquery()
    count, attendances = db.session.execute(
        db.select(func.count(sub.c.id), func.coalesce(func.sum(sub.c.attendances), 0))).one()
    return count, attendances


# -- import ------------------------------------------------------------------------------

@dataclass
class SessionImportResult(ImportReport):
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def _existing_sessions(key: tuple[int, int, date, str]) -> list[StudySession]:
    unit_id, topic_id, held_on, form = key
    return list(db.session.scalars(db.select(StudySession).filter_by(
        unit_id=unit_id, topic_id=topic_id, held_on=held_on, form=form)))


@logged_import("sessions")
def import_sessions(path: Path, filename: str, actor, *, dry_run=False, now=None) -> SessionImportResult:
    """Validate every row, then (unless ``dry_run`` or any error) write them all.

    A row for a session already recorded (same unit, topic, date and form) updates its
    attendances and notes, so the same file imported twice counts nothing twice.
    Raises ``core.tabular.TableError`` when the file itself is unreadable.
    """
    today = local_today(now)
    result = SessionImportResult()
    titles, rows = read_table(path, filename, SESSION_COLUMNS, REQUIRED_COLUMNS)
    title = {key: titles.get(key, names[0]) for key, names in SESSION_COLUMNS.items()}
    topics = session_topics(learning_topics.topic_scope(actor, None))
    unit_cache: dict[str, Unit | None] = {}
    seen: dict[tuple, int] = {}
    planned: list[tuple[int, SessionData, StudySession | None]] = []
    for row in rows:
        result.rows += 1
        v, n = row.values, row.number
        errors_before = result.error_count
        code = identifier(v.get("unit_code", ""))
        if code not in unit_cache:
            unit_cache[code] = unit_tree.get_unit(code) if code else None
        unit = unit_cache[code]
        topic = find_topic(v.get("topic", ""), topics)
        form = find_form(v.get("form", ""))
        held_on = None
        try:
            held_on = parse_vn_date(v.get("held_on", ""))
        except ValueError:
            result.error(n, title["held_on"], f"Ngày “{v.get('held_on', '')}” không hợp lệ (ghi theo dd/mm/yyyy)."
                         if v.get("held_on") else "Thiếu ngày tổ chức.")
        attendances = None
        text = v.get("attendances", "").replace(".", "").replace(" ", "")
        if text.isdecimal():
            attendances = int(text)
        else:
            result.error(n, title["attendances"], f"Số lượt tham dự “{v.get('attendances', '')}” không phải số nguyên."
                         if v.get("attendances") else "Thiếu số lượt tham dự.")
        if not code:
            result.error(n, title["unit_code"], "Thiếu mã đơn vị.")
        if topic is None:
            result.error(n, title["topic"], f"Không có chuyên đề “{v.get('topic', '')}” (ghi mã hoặc tên chuyên đề)."
                         if v.get("topic") else "Thiếu chuyên đề.")
        if form is None:
            result.error(n, title["form"], f"Hình thức “{v.get('form', '')}” không có; ghi một trong: "
                         + ", ".join(SESSION_FORMS.values()) + ".")
        if held_on is None or attendances is None:
            continue
        data = SessionData(unit=unit, topic=topic, held_on=held_on, form=form or "", attendances=attendances,
                           notes=clean_name(v.get("notes", "")))
        reported = {name for name, missing in (("unit", not code), ("topic", topic is None), ("form", form is None))
                    if missing}
        for key, message in problems(data, actor, today=today).items():
            if key in reported:
                continue
            if key == "unit" and (unit is None or not can_manage_unit(actor, unit)):
                # Outside the officer's scope reads the same as unknown: no hint that it exists.
                message = f"Mã đơn vị “{code}” không có hoặc không thuộc phạm vi bạn quản lý."
            result.error(n, title["unit_code" if key == "unit" else key], message)
        if result.error_count > errors_before:
            continue
        key = (unit.id, topic.id, held_on, form)
        if key in seen:
            result.error(n, title["held_on"], f"Trùng đơn vị, ngày, chuyên đề và hình thức với dòng {seen[key]}; "
                                              "gộp số lượt vào một dòng.")
            continue
        seen[key] = n
        existing = _existing_sessions(key)
        if len(existing) > 1:
            result.error(n, title["held_on"], f"{unit.name} đã có {len(existing)} buổi cùng ngày, chuyên đề và "
                                              "hình thức này; hãy sửa trên trang Buổi học tập.")
            continue
        session = existing[0] if existing else None
        if session is not None and attendances < len(session.attendees):
            result.error(n, title["attendances"], f"Buổi này đã có {len(session.attendees)} đoàn viên có tên; "
                                                  f"số lượt tham dự không thể là {attendances}.")
            continue
        planned.append((n, data, session))
    if not result.ok or dry_run:
        return result

    for n, data, session in planned:
        if session is None:
            record_session(data, actor, today=today, now=now)
            outcome = ADDED
        elif (session.attendances, session.notes) == (data.attendances, data.notes or session.notes):
            outcome = UNCHANGED
        else:
            data.notes = data.notes or session.notes  # an empty cell never erases what is stored
            data.members = [row.member for row in session.attendees]
            update_session(session, data, actor, today=today, now=now)
            outcome = UPDATED
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.outcomes.append((n, outcome, f"{data.unit.code} · {format_date(data.held_on)}"))
    audit.record(actor, "study_sessions_imported", "study_session", "*",
                 f"Nhập buổi học tập từ {filename}: thêm {result.added}, cập nhật {result.updated}, "
                 f"không đổi {result.unchanged}",
                 {"file": filename, "added": result.added, "updated": result.updated,
                  "unchanged": result.unchanged, "rows": result.rows}, now=now)
    db.session.flush()
    return result
