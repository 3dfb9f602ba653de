"""Contests at the core: contests and their rounds on the attempt engine, what a contest's card
and page lead with, taking a round (entries, predictions, hand-in) and who may organise. Beside
it: registration.py (who takes part), boards.py (counters, leaderboards, standings), jury.py and
collective_results.py.

Flush only: views and commands commit.
"""
import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Executable, Integer, Select, bindparam
from sqlalchemy.orm import defer, joinedload, selectinload

from contests.models import Contest, Entry, Participant, Round
from core.clock import format_datetime, utcnow
from core.errors import Refusal
from core.extensions import db, insert_or_merge
from core.permissions import ORGANISER, is_admin
from core.text import number_vn
from learning.models import Topic
from quizzes import services as quizzes
from quizzes.models import REVIEW_SCORE, Attempt, Quiz
from units import members as unit_members
from units.models import Member, Unit

UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"


class ContestError(Refusal):
    """A refusal about contests."""


# -- contests and rounds -----------------------------------------------------------------

@functools.cache  # built once: docs/DEVELOPING.md 5.13
def _contest_by_slug(include_unpublished: bool, with_rounds: bool) -> Select:
    query = db.select(Contest).where(Contest.slug == bindparam("slug")).options(joinedload(Contest.organiser_unit))
    if with_rounds:
        query = query.options(joinedload(Contest.rounds).joinedload(Round.quiz))
    return query if include_unpublished else query.where(Contest.published)


def get_contest(slug: str, *, include_unpublished=False, with_rounds=False) -> Contest | None:
    """With its organising unit, which the landing page names; ``with_rounds``: and its rounds, each
    with its quiz (the landing page, a start). One query either way."""
    return db.session.scalars(_contest_by_slug(include_unpublished, with_rounds),
                              {"slug": slug}).unique().one_or_none()


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
    if not getattr(user, "is_authenticated", False) or user.role_names:
        return False
    no_member, entered = db.session.execute(_no_member_but_entered(), {"user_id": user.id}).one()
    return no_member and entered


@functools.cache
def _no_member_but_entered() -> Select:
    # Asked of every contestant's first page: two yes-or-no answers in one statement, no member row read.
    user_id = bindparam("user_id", type_=Integer)
    return db.select(~db.exists().where(Member.user_id == user_id), db.exists().where(Participant.user_id == user_id))


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


@functools.cache
def _attempts_at_quizzes() -> Select:
    return (db.select(Attempt).where(Attempt.quiz_id.in_(bindparam("quiz_ids", expanding=True)),
                                     Attempt.user_id == bindparam("user_id"))
            .options(defer(Attempt.paper)).order_by(Attempt.quiz_id, Attempt.number))


def attempts_by_round(contest: Contest, user) -> dict[int, list[Attempt]]:
    """Round id -> the person's attempts at it, in order, as quizzes.attempts_of gives them, in one query."""
    quiz_to_round = {r.quiz_id: r.id for r in contest.rounds}
    found: dict[int, list[Attempt]] = {round_id: [] for round_id in quiz_to_round.values()}
    for attempt in db.session.scalars(_attempts_at_quizzes(), {"quiz_ids": list(quiz_to_round), "user_id": user.id}):
        found[quiz_to_round[attempt.quiz_id]].append(attempt)
    return found


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
    db.session.execute(_entry_once(db.session.get_bind().dialect.name), {
        "entry_attempt_id": attempt.id, "entry_round_id": contest_round.id, "entry_participant_id": participant.id,
        "entry_device": device_mark(device)})
    return attempt


@functools.cache  # per database kind
def _entry_once(dialect: str) -> Executable:
    # The parameters are named apart from the columns: SQLAlchemy keeps those names for the VALUES clause.
    return insert_or_merge(Entry).values(
        {name: bindparam(f"entry_{name}", type_=getattr(Entry, name).type)
         for name in ("attempt_id", "round_id", "participant_id", "device")}
    ).on_conflict_do_nothing(index_elements=["attempt_id"])


@functools.cache
def _entry_of_attempt() -> Select:
    return (db.select(Entry).where(Entry.attempt_id == bindparam("attempt_id"))
            .options(joinedload(Entry.round).joinedload(Round.contest)))


def entry_for(attempt: Attempt) -> Entry | None:
    # With its round and contest: the attempt pages show both, in one query.
    return db.session.scalars(_entry_of_attempt(), {"attempt_id": attempt.id}).first()


PREDICTION_MAX = 10**9
# Said of a word, of a negative number and of one too large alike: one rule, one sentence. The round's
# figure, which every prediction is measured against, keeps to the same bound.
PREDICTION_RULE = f"Số dự đoán phải là một số nguyên từ 0 đến {number_vn(PREDICTION_MAX)}."
FIGURE_RULE = f"Con số thực tế phải là một số nguyên từ 0 đến {number_vn(PREDICTION_MAX)}."


def _check_prediction(prediction: int | None) -> None:
    if prediction is not None and not 0 <= prediction <= PREDICTION_MAX:
        raise ContestError(PREDICTION_RULE)


def save_prediction(attempt: Attempt, prediction: int | None, *, now: datetime | None = None) -> None:
    """Keep the prediction as it is typed, like an answer: only within the attempt's time."""
    entry = entry_for(attempt)
    if entry is None:
        raise ContestError("Bài làm này không thuộc cuộc thi nào.")
    if quizzes.remaining_seconds(attempt, now=now) <= 0:
        raise ContestError("Bài thi đã nộp hoặc đã hết giờ: dự đoán không lưu được nữa.")
    _check_prediction(prediction)
    entry.prediction = prediction


def submit(attempt: Attempt, prediction: int | None, *, answers: dict[str, list[str]] | None = None,
           now: datetime | None = None) -> Attempt:
    """Hand in, with the prediction (kept only while the attempt is open; none sent keeps the one saved)
    and the answers the page's script had not sent yet (`quizzes.services.submit`)."""
    now = now or utcnow()
    entry = entry_for(attempt)
    # Past the grace the prediction is dropped, as the answers the hand-in carries are.
    if entry is not None and attempt.is_open and not quizzes.past_grace(attempt.deadline, now) \
            and prediction is not None:
        _check_prediction(prediction)
        entry.prediction = prediction
    return quizzes.submit(attempt, answers=answers, now=now)


# -- who organises ---------------------------------------------------------------------

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
