"""Contests: rounds on the attempt engine, registration, entries, leaderboards, counters.

Flush only: views and commands commit.
"""
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import BigInteger, Integer, case, cast, delete, extract, func, insert, literal, null, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload, object_session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from accounts import services as accounts
from contests import ranking
from contests.models import (
    DIVISIONS_BY_KIND,
    DURATION_THEN_PREDICTION,
    Contest,
    Division,
    Entry,
    Participant,
    Round,
    Standing,
)
from core import audit
from core.clock import format_datetime, to_local, utcnow
from core.errors import Refusal
from core.extensions import db, insert_or_merge
from core.permissions import ORGANISER, is_admin
from core.tabular import WorkbookWriter
from core.text import citizen_id_digits, clean_name, normalise_phone
from learning.models import Topic
from quizzes import services as quizzes
from quizzes.models import IN_PROGRESS, REVIEW_SCORE, Attempt, Quiz
from units import members as unit_members
from units import tree as unit_tree
from units.models import Member, Unit

UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"
CACHE_SECONDS = 15  # counters and public leaderboards may lag this much behind


class ContestError(Refusal):
    """A refusal about contests."""


# -- contests and rounds -----------------------------------------------------------------

def get_contest(slug: str, *, include_unpublished=False) -> Contest | None:
    query = db.select(Contest).where(Contest.slug == slug)
    if not include_unpublished:
        query = query.where(Contest.published)
    return db.session.scalars(query).one_or_none()


def add_round(contest: Contest, number: int, opens_at: datetime, closes_at: datetime, *,
              question_count: int = 20, time_limit_seconds: int = 20 * 60, max_attempts: int | None = 2,
              prediction_question: str = "Theo bạn, có bao nhiêu người dự thi tuần này?",
              answers_after_close: bool = True, one_per_page: bool = True, bank: Topic | None = None) -> Round:
    """A round drawing from the contest's bank, or from ``bank``: a part of its own, so that the
    answers of the rounds before it can be published as each one closes."""
    if closes_at <= opens_at:
        raise ContestError("Thời điểm đóng vòng thi phải sau thời điểm mở.")
    db.session.flush()  # the banks' ids
    quiz = Quiz(topic_id=(bank or contest.bank).id, purpose="contest", title=f"{contest.title} · tuần {number}",
                question_count=question_count, single_choice_only=True, time_limit_seconds=time_limit_seconds,
                pass_percent=0, max_attempts=max_attempts, grading="best", opens_at=opens_at, closes_at=closes_at,
                review_after_submit=REVIEW_SCORE if answers_after_close else "answers", one_per_page=one_per_page,
                min_duration_seconds=60, published=True)
    problems = quizzes.check_settings(quiz)
    if problems:
        raise ContestError(" ".join(problems))
    contest_round = Round(contest=contest, number=number, quiz=quiz, prediction_question=prediction_question)
    db.session.add(contest_round)
    db.session.flush()
    return contest_round


def round_state(contest_round: Round, now: datetime) -> str:
    quiz = contest_round.quiz
    assert quiz.opens_at is not None and quiz.closes_at is not None, "a contest round is always timed"
    if now < quiz.opens_at:
        return UPCOMING
    return OPEN if now < quiz.closes_at else CLOSED


def current_round(contest: Contest, now: datetime) -> Round | None:
    """The open round, else the next to open, else the last."""
    rounds = contest.rounds
    return (next((r for r in rounds if round_state(r, now) == OPEN), None)
            or next((r for r in rounds if round_state(r, now) == UPCOMING), None)
            or (rounds[-1] if rounds else None))


def time_left_text(seconds: int) -> str:
    """3 days 4 hours -> "3 ngày 4 giờ"; under a day, hours and minutes; never "0 phút"."""
    minutes = max(1, -(-seconds // 60))
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} ngày {hours} giờ" if hours else f"{days} ngày"
    if hours:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    return f"{minutes} phút"


@dataclass(frozen=True)
class Headline:
    """What a contest's card and page lead with: its state now, in words, and the round it is about."""
    state: str  # OPEN, UPCOMING or CLOSED
    text: str
    round: Round | None


def headline(contest: Contest, now: datetime | None = None) -> Headline:
    now = now or utcnow()
    contest_round = current_round(contest, now)
    if contest_round is None:
        return Headline(UPCOMING, "Sắp mở: Ban Tổ chức đang chuẩn bị các tuần thi", None)
    state = round_state(contest_round, now)
    quiz = contest_round.quiz
    if state == OPEN:
        assert quiz.closes_at is not None, "a contest round is always timed"
        left = time_left_text(int((quiz.closes_at - now).total_seconds()))
        return Headline(OPEN, f"Tuần {contest_round.number} đang mở · còn {left}", contest_round)
    if state == UPCOMING:
        return Headline(UPCOMING, f"Tuần {contest_round.number} mở lúc {format_datetime(quiz.opens_at)}",
                        contest_round)
    return Headline(CLOSED, "Đã kết thúc", contest_round)


def contest_cards(now: datetime | None = None, *, user=None, viewer=None) -> list[tuple[Contest, Headline]]:
    """The published contests (those ``user`` takes part in, if given) with their headlines, in two queries.
    A ``viewer`` who is a union member sees only the contests their own unit takes part in: another
    province's contest would refuse them at VÀO THI."""
    query = db.select(Contest).where(Contest.published).order_by(Contest.id.desc())
    if user is not None:
        query = query.where(Contest.id.in_(db.select(Participant.contest_id).where(Participant.user_id == user.id)))
    contests = list(db.session.scalars(query.options(selectinload(Contest.rounds).joinedload(Round.quiz),
                                                     joinedload(Contest.organiser_unit),
                                                     joinedload(Contest.audience_unit))))
    member = unit_members.member_for_user(viewer) if getattr(viewer, "is_authenticated", False) else None
    if member is not None:
        contests = [c for c in contests if member.unit.path.startswith(c.audience_unit.path)]
    return [(contest, headline(contest, now)) for contest in contests]


def home_panels(user, *, now: datetime) -> dict:
    """Answers ``core.signals.home_panels``: the contests the home page shows (a member: their own province's)."""
    return {"contest_cards": contest_cards(now, viewer=user)}


def navigation(user) -> dict:
    """Answers ``core.signals.navigation``: a contestant's menu is their contests."""
    return {"only_a_contestant": only_a_contestant(user)}


def only_a_contestant(user) -> bool:
    """An account made to take contests: no role, no member record, taking part in a contest."""
    if (not getattr(user, "is_authenticated", False) or user.role_names
            or unit_members.member_for_user(user) is not None):
        return False
    return db.session.scalar(db.select(Participant.id).where(Participant.user_id == user.id).limit(1)) is not None


def get_round(contest: Contest, number: int) -> Round | None:
    return next((r for r in contest.rounds if r.number == number), None)


def withheld_questions(attempt: Attempt, now: datetime) -> set[int]:
    """The questions of a contest attempt whose answers its review must not show yet: those any
    round of the contest that has not closed can still draw (its own round too, while open)."""
    if attempt.quiz.purpose != "contest":
        return set()
    contest_round = db.session.scalars(db.select(Round).where(Round.quiz_id == attempt.quiz_id)).first()
    if contest_round is None:
        return set()
    return set().union(*(quizzes.drawable_question_ids(r.quiz) for r in contest_round.contest.rounds
                         if round_state(r, now) != CLOSED))


def answer_key_hidden(topic: Topic, *, user, now: datetime) -> bool | None:
    """Answers ``core.signals.answer_key_hidden``: a participant of a contest drawing from ``topic`` (its
    bank, or a round's part of it) does not see its answers until every round has closed, whatever
    other role they hold."""
    if not getattr(user, "is_authenticated", False):
        return None
    drawing = db.select(Round.contest_id).join(Quiz, Quiz.id == Round.quiz_id).where(Quiz.topic_id == topic.id)
    contests = db.session.scalars(db.select(Contest).join(Participant, Participant.contest_id == Contest.id).where(
        Participant.user_id == user.id, (Contest.bank_topic_id == topic.id) | Contest.id.in_(drawing))).all()
    if any(not contest.rounds or any(round_state(r, now) != CLOSED for r in contest.rounds) for contest in contests):
        return True
    return None


def shared_questions(contest: Contest) -> list[tuple[Round, Round, int]]:
    """Pairs of rounds that can draw the same questions, with how many: the organiser is told, since
    those answers stay unpublished until every round drawing them has closed."""
    drawable = {r.id: quizzes.drawable_question_ids(r.quiz) for r in contest.rounds}
    return [(first, second, len(drawable[first.id] & drawable[second.id]))
            for n, first in enumerate(contest.rounds) for second in contest.rounds[n + 1:]
            if drawable[first.id] & drawable[second.id]]


def rounds_with_quizzes(contest: Contest) -> list[Round]:
    """The contest's rounds with their quizzes, in one query however many rounds (the landing page)."""
    rounds = list(db.session.scalars(db.select(Round).where(Round.contest_id == contest.id)
                                     .options(joinedload(Round.quiz)).order_by(Round.number)))
    set_committed_value(contest, "rounds", rounds)
    return rounds


def attempts_by_round(contest: Contest, user) -> dict[int, list[Attempt]]:
    """Round id -> the person's attempts at it, in order, as quizzes.attempts_of gives them, in one query."""
    quiz_to_round = {r.quiz_id: r.id for r in contest.rounds}
    found: dict[int, list[Attempt]] = {round_id: [] for round_id in quiz_to_round.values()}
    for attempt in db.session.scalars(db.select(Attempt).where(Attempt.quiz_id.in_(list(quiz_to_round)),
                                                               Attempt.user_id == user.id)
                                      .options(defer(Attempt.paper)).order_by(Attempt.quiz_id, Attempt.number)):
        found[quiz_to_round[attempt.quiz_id]].append(attempt)
    return found


# -- who takes part --------------------------------------------------------------------

def participant_for(contest: Contest, user) -> Participant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalars(db.select(Participant).filter_by(contest_id=contest.id, user_id=user.id)
                              .options(joinedload(Participant.division))).first()


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


# -- taking a round ----------------------------------------------------------------------

def device_mark(cookie_value: str | None) -> str | None:
    """What is kept of the browser's device cookie: a keyed hash, enough to match two accounts on one device."""
    if not cookie_value:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hashlib.blake2b(cookie_value.encode()[:64], key=key[:64], digest_size=16).hexdigest()


def start(contest_round: Round, participant: Participant, *, device: str | None = None,
          now: datetime | None = None) -> Attempt:
    now = now or utcnow()
    if participant.excluded_at is not None:
        raise ContestError("Bạn đã bị loại khỏi cuộc thi: " + participant.excluded_reason)
    state = round_state(contest_round, now)
    if state == UPCOMING:
        raise ContestError("Tuần thi này chưa mở.")
    if state == CLOSED:
        raise ContestError("Tuần thi này đã kết thúc.")
    try:
        attempt = quizzes.start_attempt(contest_round.quiz, participant.user, None, now=now)
    except quizzes.QuizError as error:
        raise ContestError(str(error)) from error
    # Once per attempt, whichever of two racing starts (both given the same open attempt) gets here first.
    db.session.execute(insert_or_merge(Entry).values(
        attempt_id=attempt.id, round_id=contest_round.id, participant_id=participant.id, device=device_mark(device))
        .on_conflict_do_nothing(index_elements=["attempt_id"]))
    return attempt


def entry_for(attempt: Attempt) -> Entry | None:
    # With its round and contest: the attempt pages show both, in one query.
    return db.session.scalars(db.select(Entry).filter_by(attempt_id=attempt.id)
                              .options(joinedload(Entry.round).joinedload(Round.contest))).first()


def _check_prediction(prediction: int | None) -> None:
    if prediction is not None and not 0 <= prediction <= 10**9:
        raise ContestError("Số dự đoán không hợp lệ.")


def save_prediction(attempt: Attempt, prediction: int | None, *, now: datetime | None = None) -> None:
    """Keep the prediction as it is typed, like an answer: only within the attempt's time."""
    entry = entry_for(attempt)
    if entry is None:
        raise ContestError("Bài làm này không thuộc cuộc thi nào.")
    if quizzes.remaining_seconds(attempt, now=now) <= 0:
        raise ContestError("Bài thi đã nộp hoặc đã hết giờ: dự đoán không lưu được nữa.")
    _check_prediction(prediction)
    entry.prediction = prediction


def submit(attempt: Attempt, prediction: int | None, *, now: datetime | None = None) -> Attempt:
    """Hand in, with the prediction (kept only while the attempt is open; none sent keeps the one saved)."""
    now = now or utcnow()
    entry = entry_for(attempt)
    if entry is not None and attempt.is_open and prediction is not None:
        _check_prediction(prediction)
        entry.prediction = prediction
    return quizzes.submit(attempt, now=now)


# -- counters and leaderboards -----------------------------------------------------------

_cache: dict[tuple, tuple[float, object]] = {}
_computing: dict[tuple, threading.Lock] = {}
_computing_guard = threading.Lock()


def _cached(key: tuple, compute):
    """A few seconds of memory per worker: a crowd refreshing the page costs one query.

    With threaded workers, one thread computes a key at a time; while it does, the others
    answer with the value that just expired rather than computing it again beside it."""
    hit = _cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    with _computing_guard:
        lock = _computing.setdefault(key, threading.Lock())
    if not lock.acquire(blocking=hit is None):
        assert hit is not None  # only a non-blocking acquire can fail
        return hit[1]
    try:
        again = _cache.get(key)
        if again is not None and again is not hit and again[0] > time.monotonic():
            return again[1]  # computed by another thread while this one waited
        value = compute()
        _cache[key] = (time.monotonic() + CACHE_SECONDS, value)
        return value
    finally:
        lock.release()


def counters(contest: Contest) -> dict[str, int]:
    def compute():
        participants = db.session.scalar(db.select(db.func.count(Participant.id))
                                         .where(Participant.contest_id == contest.id)) or 0
        attempts = db.session.scalar(db.select(db.func.count(Entry.id)).join(Round)
                                     .where(Round.contest_id == contest.id)) or 0
        return {"participants": participants, "attempts": attempts}
    return _cached(("counters", contest.id), compute)


def round_results(contest_round: Round) -> list[ranking.Result]:
    rows = db.session.execute(
        db.select(Entry.participant_id, Attempt.id, Attempt.score, Entry.prediction, Attempt.started_at,
                  Attempt.finished_at)
        .join(Attempt, Entry.attempt_id == Attempt.id).join(Participant, Entry.participant_id == Participant.id)
        .where(Entry.round_id == contest_round.id, Attempt.status != IN_PROGRESS, Participant.excluded_at.is_(None)))
    return [ranking.Result(pid, aid, score or 0, prediction, int((finished - started).total_seconds()), finished)
            for pid, aid, score, prediction, started, finished in rows]


@dataclass(frozen=True)
class BoardLine:
    place: int
    participant_id: int  # to mark the viewer's own line; never printed
    name: str
    unit: str
    score: int
    duration_seconds: int
    # "(2)", "(3)": the same masked name in the same unit (or none) as a line above it.
    twin: str = ""
    # For a score tied with a neighbour: what decided between them, in the contest's order.
    tie_break: str = ""


def _tie_break_text(contest: Contest, error: int | None, duration_seconds: int) -> str:
    time_text = f"thời gian {duration_seconds // 60}:{duration_seconds % 60:02d}"
    if error is None:  # no real figure yet: only the time counts
        return time_text
    error_text = "không dự đoán" if error >= ranking.NO_PREDICTION else f"dự đoán lệch {error:,}".replace(",", ".")
    ordered = [time_text, error_text] if contest.tie_break == DURATION_THEN_PREDICTION else [error_text, time_text]
    return ", ".join(ordered)


def _lines(contest: Contest, ordered, errors: list[int | None]) -> list[BoardLine]:
    ids = [item.participant_id for item in ordered]
    people = {p.id: p for p in db.session.scalars(db.select(Participant).where(Participant.id.in_(ids))
                                                  .options(joinedload(Participant.unit)))}
    scores = [item.score for item in ordered]
    seen: dict[tuple[str, str], int] = {}
    lines = []
    for index, item in enumerate(ordered):
        person = people[item.participant_id]
        # A guest's workplace is free text: fine for the jury, not for a public page.
        unit = person.unit.name if person.unit else ""
        name = ranking.mask_name(person.full_name)
        seen[name, unit] = seen.get((name, unit), 0) + 1
        tied = scores[max(0, index - 1):index + 2].count(item.score) > 1
        lines.append(BoardLine(index + 1, item.participant_id, name, unit, item.score, item.duration_seconds,
                               twin=f"({seen[name, unit]})" if seen[name, unit] > 1 else "",
                               tie_break=_tie_break_text(contest, errors[index], item.duration_seconds)
                               if tied else ""))
    return lines


# The ranking rule of contests/ranking.py, computed by the database: a board needs the first
# hundred of 100,000 participants, not all of them in Python. ranking.py stays the reference;
# tests/test_contests_ranking_sql.py checks that both give the same order.

def _duration_sql(dialect: str):
    """int((finished_at - started_at).total_seconds()), as ranking.Result has it: whole seconds, truncated."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", Attempt.finished_at - Attempt.started_at)), BigInteger)

    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff": the whole seconds of the first 19 characters (strftime
    # would round .999999 up to the next second), then the microseconds of the text.
    def micros(column):
        return (cast(func.strftime("%s", func.substr(column, 1, 19)), Integer) * 1_000_000
                + cast(func.substr(column, 21, 6), Integer))
    # SQLite divides integers as integers, truncating; precedence 8 (that of "/") keeps the brackets.
    return (micros(Attempt.finished_at) - micros(Attempt.started_at)).op("/", precedence=8)(
        literal(1_000_000, Integer))


def _error_sql(actual: int | None):
    """ranking.error(prediction, actual)."""
    if actual is None:
        return literal(0, BigInteger)
    return func.coalesce(func.abs(cast(Entry.prediction, BigInteger) - literal(actual, BigInteger)),
                         literal(ranking.NO_PREDICTION, BigInteger))


def _in_order(tie_break: str, score, error, duration, finished_at, tie) -> list:
    """ranking._key as an ORDER BY."""
    middle = [duration, error] if tie_break == DURATION_THEN_PREDICTION else [error, duration]
    return [score.desc(), *middle, finished_at, tie]


def _best_per_participant(rounds: list[Round], tie_break: str, frozen: datetime | None,
                          division: Division | None = None, *, dialect: str | None = None,
                          with_excluded: bool = False, participant_ids: list[int] | None = None):
    """Each participant's best finished attempt in each of ``rounds`` (ranking.best_per_participant),
    excluded participants left out unless ``with_excluded``, only those of ``division`` or
    ``participant_ids`` if given, as a subquery."""
    score = func.coalesce(Attempt.score, 0)
    error = case(*[(Entry.round_id == r.id, _error_sql(r.actual_figure)) for r in rounds],
                 else_=literal(0, BigInteger)) if len(rounds) > 1 else _error_sql(rounds[0].actual_figure)
    duration = _duration_sql(dialect or db.session.get_bind().dialect.name)
    rows = (db.select(Entry.participant_id, Attempt.id.label("attempt_id"), score.label("score"), Entry.prediction,
                      duration.label("duration"), Attempt.finished_at, error.label("error"),
                      func.row_number().over(partition_by=[Entry.round_id, Entry.participant_id],
                                             order_by=_in_order(tie_break, score, error, duration,
                                                                Attempt.finished_at, Attempt.id)).label("best"))
            .join(Attempt, Entry.attempt_id == Attempt.id)
            .where(Entry.round_id.in_([r.id for r in rounds]), Attempt.status != IN_PROGRESS))
    if not with_excluded:
        # The few excluded people, rather than a join with every participant.
        rows = rows.where(Entry.participant_id.not_in(_excluded(rounds[0].contest_id)))
    if frozen is not None:
        rows = rows.where(Attempt.finished_at <= frozen)
    if division is not None:
        rows = rows.where(Entry.participant_id.in_(db.select(Participant.id).where(
            Participant.division_id == division.id)))
    if participant_ids is not None:
        rows = rows.where(Entry.participant_id.in_(participant_ids))
    return rows.subquery()


def _excluded(contest_id: int):
    return db.select(Participant.id).where(Participant.contest_id == contest_id, Participant.excluded_at.is_not(None))


def ranked_round(contest_round: Round, tie_break: str, *, frozen: datetime | None = None,
                 limit: int | None = None, division: Division | None = None) -> list[ranking.Result]:
    """ranking.rank_round(round_results(contest_round), its actual figure, tie_break)[:limit], by the database."""
    best = _best_per_participant([contest_round], tie_break, frozen, division)
    query = (db.select(best.c.participant_id, best.c.attempt_id, best.c.score, best.c.prediction, best.c.duration,
                       best.c.finished_at)
             .where(best.c.best == 1)
             .order_by(*_in_order(tie_break, best.c.score, best.c.error, best.c.duration, best.c.finished_at,
                                  best.c.attempt_id))
             .limit(limit))
    return [ranking.Result(*row) for row in db.session.execute(query)]


def ranked_overall(contest: Contest, tie_break: str, *, frozen: datetime | None = None,
                   limit: int | None = None, division: Division | None = None) -> list[ranking.Standing]:
    """ranking.rank_overall over the contest's rounds[:limit], by the database."""
    if not contest.rounds:
        return []
    best = _best_per_participant(contest.rounds, tie_break, frozen, division)
    score, error = cast(func.sum(best.c.score), BigInteger), cast(func.sum(best.c.error), BigInteger)
    duration, finished_at = cast(func.sum(best.c.duration), BigInteger), func.max(best.c.finished_at)
    query = (db.select(best.c.participant_id, score, error, duration, finished_at, func.count())
             .where(best.c.best == 1).group_by(best.c.participant_id)
             .order_by(*_in_order(tie_break, score, error, duration, finished_at, best.c.participant_id))
             .limit(limit))
    return [ranking.Standing(*row) for row in db.session.execute(query)]


# -- standings kept current (contest_standings) -----------------------------------------------
# ranked_round and ranked_overall sort every finished attempt: what a frozen board needs (it stops
# at the freeze), and the reference the standings are tested against. The other boards and the jury
# read the standings, which the transaction closing an attempt brings up to date for its participant.

def refresh_standings(session, contest: Contest, *, rounds: list[Round] | None = None,
                      participant_ids: list[int] | None = None) -> None:
    """Recompute from the attempts the lines of ``participant_ids`` (everyone when None) for ``rounds``
    (all when None), then their lines for the whole contest. ``session``: the request's session, or one
    on the migration's connection. Given people keep their lines and have them overwritten (an
    attempt never stops being finished); a whole recount rewrites the rounds it covers."""
    table = Standing.__table__
    dialect = session.get_bind().dialect.name
    everyone = participant_ids is None
    if everyone and dialect == "postgresql":
        # A whole recount waits for the attempts finishing now and makes the next ones wait: no
        # line written twice. Organisers' actions only (a figure, the tie-break order), a few seconds.
        session.execute(text("LOCK TABLE contest_standings IN SHARE ROW EXCLUSIVE MODE"))

    def of(column):
        return true() if everyone else column.in_(participant_ids)

    columns = ["contest_id", "round_number", "participant_id", "division_id", "attempt_id", "score", "prediction",
               "prediction_error", "duration_seconds", "finished_at", "rounds"]

    def write(number: int, rows) -> None:
        if everyone:
            session.execute(delete(table).where(table.c.contest_id == contest.id, table.c.round_number == number))
            session.execute(insert(table).from_select(columns, rows))
            return
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).from_select(columns, rows)
        session.execute(upsert.on_conflict_do_update(
            index_elements=["contest_id", "round_number", "participant_id"],
            set_={name: upsert.excluded[name] for name in columns[3:]}))

    for contest_round in contest.rounds if rounds is None else rounds:
        best = _best_per_participant([contest_round], contest.tie_break, None, dialect=dialect, with_excluded=True,
                                     participant_ids=participant_ids)
        write(contest_round.number, db.select(
            literal(contest.id, Integer), literal(contest_round.number, Integer), best.c.participant_id,
            Participant.division_id, best.c.attempt_id, best.c.score, best.c.prediction, best.c.error,
            best.c.duration, best.c.finished_at, literal(1, Integer))
            .join(Participant, Participant.id == best.c.participant_id).where(best.c.best == 1))
    lines = table.alias("line")
    write(0, db.select(
        literal(contest.id, Integer), literal(0, Integer), lines.c.participant_id, func.max(lines.c.division_id),
        cast(null(), Integer), func.sum(lines.c.score), cast(null(), Integer), func.sum(lines.c.prediction_error),
        func.sum(lines.c.duration_seconds), func.max(lines.c.finished_at), func.count())
        .where(lines.c.contest_id == contest.id, lines.c.round_number > 0, of(lines.c.participant_id))
        .group_by(lines.c.participant_id))


def on_attempt_finished(attempt: Attempt) -> None:
    """A contest attempt closed (by its owner or the sweep): its participant's standings, in the same
    transaction (connected in create_app)."""
    if attempt.quiz.purpose != "contest":
        return
    session = object_session(attempt) or db.session
    # Locking the participant: one recount at a time per person (a round closed by the sweep while
    # they submit another). Round and contest come from the session when the view loaded them.
    entry = session.scalars(db.select(Entry).join(Participant, Participant.id == Entry.participant_id)
                            .where(Entry.attempt_id == attempt.id).with_for_update(of=Participant)).first()
    if entry is not None:
        refresh_standings(session, entry.round.contest, rounds=[entry.round], participant_ids=[entry.participant_id])


def _from_standings(contest: Contest, number: int, limit: int | None, division: Division | None):
    line = Standing
    query = (db.select(line.participant_id, line.attempt_id, line.score, line.prediction, line.prediction_error,
                       line.duration_seconds, line.finished_at, line.rounds)
             .where(line.contest_id == contest.id, line.round_number == number,
                    line.participant_id.not_in(_excluded(contest.id)))
             .order_by(*_in_order(contest.tie_break, line.score, line.prediction_error, line.duration_seconds,
                                  line.finished_at, line.attempt_id), line.participant_id)
             .limit(limit))
    if division is not None:
        query = query.where(line.division_id == division.id)
    return query


def standing_round(contest_round: Round, *, limit: int | None = None,
                   division: Division | None = None) -> list[ranking.Result]:
    """ranked_round(contest_round, its contest's tie-break)[:limit], read from the standings."""
    query = _from_standings(contest_round.contest, contest_round.number, limit, division)
    return [ranking.Result(pid, aid, score, prediction, duration, finished)
            for pid, aid, score, prediction, _, duration, finished, _ in db.session.execute(query)]


def standing_overall(contest: Contest, *, limit: int | None = None,
                     division: Division | None = None) -> list[ranking.Standing]:
    """ranked_overall(contest, its tie-break)[:limit], read from the standings."""
    query = _from_standings(contest, 0, limit, division)
    return [ranking.Standing(pid, score, error, duration, finished, rounds)
            for pid, _, score, _, error, duration, finished, rounds in db.session.execute(query)]


def round_board(contest_round: Round, *, limit: int = 100, division: Division | None = None) -> list[BoardLine]:
    """The public leaderboard of a round (of one division, as prizes are given): masked names, never a phone."""
    contest = contest_round.contest
    frozen = contest.leaderboard_frozen_at if not contest.results_published_at else None
    actual = contest_round.actual_figure

    def compute():
        ordered = (ranked_round(contest_round, contest.tie_break, frozen=frozen, limit=limit, division=division)
                   if frozen else standing_round(contest_round, limit=limit, division=division))
        return _lines(contest, ordered, [None if actual is None else ranking.error(r.prediction, actual)
                                         for r in ordered])
    return _cached(("round", contest_round.id, frozen, limit, division and division.id), compute)


def overall_board(contest: Contest, *, limit: int = 100, division: Division | None = None) -> list[BoardLine]:
    frozen = contest.leaderboard_frozen_at if not contest.results_published_at else None
    figures_known = any(r.actual_figure is not None for r in contest.rounds)

    def compute():
        ordered = (ranked_overall(contest, contest.tie_break, frozen=frozen, limit=limit, division=division)
                   if frozen else standing_overall(contest, limit=limit, division=division))
        return _lines(contest, ordered, [s.prediction_error if figures_known else None for s in ordered])
    return _cached(("overall", contest.id, frozen, limit, division and division.id), compute)


def forget_cache() -> None:
    _cache.clear()


def organiser_units(user) -> list[Unit] | None:
    """The units over whose subtrees the user runs contests; None means anywhere (administrators)."""
    if is_admin(user):
        return None
    return [role.unit for role in user.roles if role.name == ORGANISER and role.unit is not None]


def may_organise_at(user, unit: Unit) -> bool:
    roots = organiser_units(user)
    return roots is None or any(unit.path.startswith(root.path) for root in roots)


def can_organise(user, contest: Contest) -> bool:
    """Administrators, and organisers holding their role over the organising unit or above it."""
    return may_organise_at(user, contest.organiser_unit)


# -- organisers --------------------------------------------------------------------------

def set_actual_figure(contest_round: Round, figure: int, actor) -> None:
    if figure < 0:
        raise ContestError("Con số thực tế phải là số không âm.")
    contest_round.actual_figure = figure
    refresh_standings(db.session, contest_round.contest, rounds=[contest_round])  # every prediction's error
    audit.record(actor, "contest_figure_set", "contest_round", contest_round.id,
                 f"Con số thực tế tuần {contest_round.number}: {figure}")
    forget_cache()


def freeze(contest: Contest, actor, *, now: datetime | None = None) -> None:
    contest.leaderboard_frozen_at = now or utcnow()
    audit.record(actor, "contest_frozen", "contest", contest.slug, "Tạm dừng cập nhật bảng xếp hạng công khai")
    forget_cache()


def publish_results(contest: Contest, actor, *, now: datetime | None = None) -> None:
    contest.results_published_at = now or utcnow()
    audit.record(actor, "contest_results_published", "contest", contest.slug, "Công bố kết quả")
    forget_cache()


def exclude(participant: Participant, actor, reason: str, *, now: datetime | None = None) -> None:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ContestError("Hãy ghi lý do loại (ít nhất 5 ký tự).")
    participant.excluded_at, participant.excluded_reason = now or utcnow(), reason
    audit.record(actor, "contest_participant_excluded", "contest_participant", participant.id,
                 f"Loại {participant.full_name} khỏi {participant.contest.title[:80]}: {reason}", {"reason": reason})
    forget_cache()


@dataclass(frozen=True)
class JuryRow:
    place: int
    full_name: str
    birth_year: int | None
    phone: str | None
    unit_or_workplace: str
    division: str
    result: ranking.Result
    prediction_error: int | None
    flagged_short: bool


def jury_rows(contest_round: Round) -> Iterator[JuryRow]:
    """The full ranking of a round for the jury, every detail, excluded people left out: read in order
    from the standings and streamed (a server-side cursor on PostgreSQL), a thousand rows at a time."""
    contest, actual = contest_round.contest, contest_round.actual_figure
    line = Standing
    query = (db.select(Participant.full_name, Participant.birth_year, Participant.phone,
                       func.coalesce(Unit.name, Participant.workplace), Division.name, line.participant_id,
                       line.attempt_id, line.score, line.prediction, line.duration_seconds, line.finished_at,
                       Attempt.flagged_short)
             .join(Participant, Participant.id == line.participant_id)
             .join(Attempt, Attempt.id == line.attempt_id)
             .outerjoin(Unit, Unit.id == Participant.unit_id)
             .outerjoin(Division, Division.id == Participant.division_id)
             .where(line.contest_id == contest.id, line.round_number == contest_round.number,
                    Participant.excluded_at.is_(None))
             .order_by(*_in_order(contest.tie_break, line.score, line.prediction_error, line.duration_seconds,
                                  line.finished_at, line.attempt_id))
             .execution_options(yield_per=1000))
    if db.session.get_bind().dialect.name == "postgresql":
        # Planned for a cursor, the query would fetch each line's person and attempt by index, 100,000
        # random reads; planned for every row, it hashes and sorts them: 2-3 times faster to the last row.
        db.session.execute(text("SET LOCAL cursor_tuple_fraction = 1"))
    for place, (name, birth_year, phone, where, division, participant_id, attempt_id, score, prediction, duration,
                finished_at, short) in enumerate(db.session.execute(query), start=1):
        yield JuryRow(place, name, birth_year, phone, where, division or "",
                      ranking.Result(participant_id, attempt_id, score, prediction, duration, finished_at),
                      None if actual is None or prediction is None else abs(prediction - actual), bool(short))


JURY_HEADERS = ["Hạng", "Họ và tên", "Năm sinh", "Số điện thoại", "Đơn vị / nơi làm việc", "Bảng", "Số câu đúng",
                "Dự đoán", "Sai lệch dự đoán", "Thời gian làm bài (giây)", "Nộp lúc", "Làm quá nhanh"]


def jury_workbook(contest_round: Round) -> Iterator[bytes]:
    """The round's results as .xlsx for the jury (full data), its bytes given as the rows are read: the
    first chunk once the ranking's query has run, then one every thousand rows."""
    workbook = WorkbookWriter()
    sheet = workbook.sheet(f"Tuần {contest_round.number}")
    sheet.append([f"{contest_round.contest.title} · tuần {contest_round.number}"])
    sheet.append(JURY_HEADERS)
    for count, row in enumerate(jury_rows(contest_round)):
        if count % 1000 == 1:
            yield workbook.take()
        sheet.append([row.place, row.full_name, row.birth_year, row.phone, row.unit_or_workplace, row.division,
                      row.result.score,
                      row.result.prediction, row.prediction_error, row.result.duration_seconds,
                      to_local(row.result.finished_at).replace(tzinfo=None), "Có" if row.flagged_short else ""])
    yield from workbook.chunks()


# -- collective results ------------------------------------------------------------------

@dataclass
class UnitFigures:
    unit: Unit
    participants: int = 0
    attempts: int = 0
    members: int = 0  # active members of the subtree: the denominator until units declare headcounts

    @property
    def rate(self) -> float | None:
        return round(100 * self.participants / self.members, 1) if self.members else None


def collective(contest: Contest) -> dict[int, UnitFigures]:
    """Participants, attempts and members per unit, each rolled up over its whole subtree."""
    def compute():
        root = contest.audience_unit
        units_in = {u.id: u for u in db.session.scalars(db.select(Unit).where(unit_tree.in_subtree(root)))}
        figures = {unit_id: UnitFigures(unit) for unit_id, unit in units_in.items()}

        def add(unit_id, field, amount):
            unit = units_in.get(unit_id)
            if unit is None:
                return
            for ancestor in unit_tree.path_ids(unit):
                if ancestor in figures:
                    setattr(figures[ancestor], field, getattr(figures[ancestor], field) + amount)

        people = db.select(Participant.unit_id, db.func.count(Participant.id)).where(
            Participant.contest_id == contest.id, Participant.unit_id.is_not(None)).group_by(Participant.unit_id)
        for unit_id, count in db.session.execute(people):
            add(unit_id, "participants", count)
        tries = (db.select(Participant.unit_id, db.func.count(Entry.id))
                 .join(Entry, Entry.participant_id == Participant.id)
                 .where(Participant.contest_id == contest.id, Participant.unit_id.is_not(None))
                 .group_by(Participant.unit_id))
        for unit_id, count in db.session.execute(tries):
            add(unit_id, "attempts", count)
        members = (db.select(Member.unit_id, db.func.count(Member.id)).where(Member.status == "active")
                   .group_by(Member.unit_id))
        for unit_id, count in db.session.execute(members):
            add(unit_id, "members", count)
        return figures
    return _cached(("collective", contest.id), compute)


def top_units(contest: Contest, figures: dict[int, UnitFigures], limit: int = 10) -> list[tuple[Division, list]]:
    """Per division, the units of its kind with the most participants (collective prizes)."""
    result = []
    for division in contest.divisions:
        if division.unit_kind_id is None:
            continue
        ranked = sorted((f for f in figures.values() if f.unit.kind_id == division.unit_kind_id and f.participants),
                        key=lambda f: (-f.participants, -(f.rate or 0), f.unit.name))
        result.append((division, ranked[:limit]))
    return result
