"""The attempt engine. The server is the only clock and the only grader.

Every function takes ``now`` so tests (and the sweep) can say what time it is. Nothing
here commits: views and commands do, once per request.
"""
import contextlib
import functools
import hashlib
import hmac
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from flask import current_app
from markupsafe import Markup
from sqlalchemy import (
    BindParameter,
    CursorResult,
    Executable,
    Integer,
    Select,
    String,
    bindparam,
    func,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import MultiDict

from accounts import services as accounts
from accounts.models import User
from core import signals
from core.clock import utcnow
from core.errors import Refusal
from core.extensions import db, insert_or_merge
from core.markup import render_inline
from learning import studying
from learning.models import MULTIPLE, SINGLE, Choice, Question, Topic
from quizzes.models import (
    EXPIRED,
    GRADE_LAST,
    IN_PROGRESS,
    PURPOSE_FINAL,
    REVIEW_EACH_TRY,
    REVIEW_SCORE,
    SUBMITTED,
    Answer,
    Attempt,
    Quiz,
    TopicCompletion,
)
from units.models import Member

# Answers that left the phone just before the bell arrive a little late: they still count.
GRACE_SECONDS = 5
NO_REVIEW, SCORE_ONLY, MARKS_ONLY, FULL_REVIEW = "none", "score", "marks", "answers"


class QuizError(Refusal):
    """A refusal to show the person taking or setting the quiz."""


class TooLate(QuizError):
    keeps_changes = True  # the attempt has been closed and graded

    def __init__(self):
        super().__init__("Đã hết giờ làm bài: câu trả lời này đến sau khi bài đã đóng nên không được ghi nhận. "
                         "Các câu đã lưu trước đó vẫn được chấm.")


# -- settings ------------------------------------------------------------------------

def final_quiz(topic: Topic, *, include_unpublished=False) -> Quiz | None:
    query = db.select(Quiz).where(Quiz.topic_id == topic.id, Quiz.purpose == PURPOSE_FINAL)
    if not include_unpublished:
        query = query.where(Quiz.published)
    return db.session.scalars(query.order_by(Quiz.id)).first()


def _bank(topic_id: int | BindParameter[int], single_choice_only: bool = False):
    query = db.select(Question).where(Question.topic_id == topic_id, Question.published)
    return query.where(Question.type == SINGLE) if single_choice_only else query


@functools.cache  # built once: docs/DEVELOPING.md 5.13
def _drawable(single_choice_only: bool) -> Select:
    """What a start draws from: ids and lessons, in id order."""
    return (_bank(bindparam("topic_id"), single_choice_only).with_only_columns(Question.id, Question.lesson_id)
            .order_by(Question.id))


def drawable_question_ids(quiz: Quiz) -> set[int]:
    """The questions an attempt at this quiz may draw."""
    return set(db.session.scalars(_bank(quiz.topic_id, quiz.single_choice_only).with_only_columns(Question.id)))


def bank_size(topic_id: int, *, single_choice_only: bool = False) -> int:
    return db.session.scalar(_bank(topic_id, single_choice_only).with_only_columns(func.count(Question.id))) or 0


def check_settings(quiz: Quiz) -> list[str]:
    problems = []
    if not 1 <= quiz.question_count <= 200:
        problems.append("Số câu hỏi phải từ 1 đến 200.")
    elif quiz.question_count > (available := bank_size(quiz.topic_id or quiz.topic.id,
                                                        single_choice_only=quiz.single_choice_only)):
        problems.append(f"Ngân hàng chỉ có {available} câu đang dùng, ít hơn số câu cần rút "
                        f"({quiz.question_count}).")
    if not 30 <= quiz.time_limit_seconds <= 6 * 3600:
        problems.append("Thời gian làm bài phải từ 30 giây đến 6 giờ.")
    if not 0 <= quiz.pass_percent <= 100:
        problems.append("Điểm đạt phải từ 0 đến 100%.")
    if quiz.max_attempts is not None and quiz.max_attempts < 1:
        problems.append("Số lần làm bài ít nhất là 1 (để trống nếu không giới hạn).")
    if quiz.opens_at and quiz.closes_at and quiz.closes_at <= quiz.opens_at:
        problems.append("Thời điểm đóng phải sau thời điểm mở.")
    return problems


def window(quiz: Quiz, now: datetime) -> str:
    if quiz.opens_at and now < quiz.opens_at:
        return "not_open"
    if quiz.closes_at and now >= quiz.closes_at:
        return "closed"
    return "open"


# -- the paper -----------------------------------------------------------------------

@dataclass(frozen=True)
class _DrawnChoice:
    id: int
    text: str
    is_correct: bool


@dataclass(frozen=True)
class _Drawn:
    """What make_paper reads of a drawn question, as plain values: loading 20 questions and their
    choices as ORM objects cost more than the rest of a start."""
    id: int
    type: str
    text: str
    lesson_id: int | None
    explanation: str
    choices: list[_DrawnChoice]


def _draw(quiz: Quiz, rng: random.Random) -> list[_Drawn]:
    # Draw from the bank's ids (and lessons), then load only the drawn questions with their
    # choices: a start reads 20 questions, not the whole bank. The same rng picks the same
    # positions of the same id-ordered list, so the draw is what it was with whole rows.
    questions = db.session.execute(_drawable(quiz.single_choice_only), {"topic_id": quiz.topic_id}).all()
    if not quiz.balance_lessons:
        return _questions_in_order([q.id for q in rng.sample(questions, min(quiz.question_count, len(questions)))])
    # Balanced: deal one question from each lesson in turn until the count is reached.
    by_lesson: dict[int | None, list] = {}
    for question in questions:
        by_lesson.setdefault(question.lesson_id, []).append(question)
    piles = [rng.sample(pile, len(pile)) for _, pile in sorted(by_lesson.items(), key=lambda kv: kv[0] or 0)]
    rng.shuffle(piles)
    drawn: list = []
    while len(drawn) < quiz.question_count and any(piles):
        for pile in piles:
            if pile and len(drawn) < quiz.question_count:
                drawn.append(pile.pop())
    rng.shuffle(drawn)
    return _questions_in_order([q.id for q in drawn])


@functools.cache
def _drawn_with_choices() -> Select:
    return (db.select(Question.id, Question.type, Question.text, Question.lesson_id, Question.explanation,
                      Choice.id, Choice.text, Choice.is_correct)
            .outerjoin(Choice, Choice.question_id == Question.id)
            .where(Question.id.in_(bindparam("ids", expanding=True)))
            .order_by(Question.id, Choice.position))  # the choices in the order Question.choices has them


def _questions_in_order(ids: list[int]) -> list[_Drawn]:
    by_id: dict[int, _Drawn] = {}
    rows = db.session.execute(_drawn_with_choices(), {"ids": ids})
    for question_id, kind, text, lesson_id, explanation, choice_id, choice_text, is_correct in rows:
        drawn = by_id.get(question_id) or by_id.setdefault(
            question_id, _Drawn(question_id, kind, text, lesson_id, explanation, []))
        if choice_id is not None:
            drawn.choices.append(_DrawnChoice(choice_id, choice_text, is_correct))
    return [by_id[question_id] for question_id in ids]


def make_paper(questions: list[Question] | list[_Drawn], rng: random.Random) -> list[dict]:
    """What the attempt keeps: questions in the order shown, choices shuffled, answers."""
    paper = []
    for question in questions:
        choices: list[Choice | _DrawnChoice] = list(question.choices)
        if question.type != "true_false":  # "Đúng" stays before "Sai"
            rng.shuffle(choices)
        paper.append({
            "id": question.id, "type": question.type, "text": question.text,
            "lesson_id": question.lesson_id, "explanation": question.explanation,
            "choices": [{"id": c.id, "text": c.text} for c in choices],
            "correct": sorted(c.id for c in choices if c.is_correct),
        })
    return paper


# -- what the browser sees -------------------------------------------------------------
# Bank ids follow the order rows were written, and authors write the right choice first, so
# the page never carries them. It names each question and choice by a key of the attempt's
# own: a keyed hash of the attempt and the bank id, random-looking and different in every
# attempt, mapped back here. The paper and the saved answers keep bank ids, so grading,
# statistics and papers started before the keys existed are unchanged.

def _key(attempt: Attempt, kind: str, bank_id: int) -> str:
    keyed = _keyed_hash(current_app.config["SECRET_KEY"]).copy()  # a page makes ~100: copying skips the key setup
    keyed.update(f"{attempt.id}:{kind}:{bank_id}".encode())
    return kind + keyed.hexdigest()[:12]


@functools.lru_cache(maxsize=4)
def _keyed_hash(secret: str) -> hmac.HMAC:
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def question_key(attempt: Attempt, question_id: int) -> str:
    return _key(attempt, "q", question_id)


def choice_key(attempt: Attempt, choice_id: int) -> str:
    return _key(attempt, "c", choice_id)


class PublicChoice(NamedTuple):
    key: str
    text: str


class PublicQuestion(NamedTuple):
    # Attributes rather than dict keys: Jinja reads an attribute first, and the attempt page reads
    # some 600 of them, each a caught AttributeError on a dict.
    key: str
    type: str
    text: str
    choices: list[PublicChoice]


def public_paper(attempt: Attempt) -> list[PublicQuestion]:
    """What the browser may see of the paper while the attempt is open, in the order shown."""
    keys = paper_keys(attempt)
    return [PublicQuestion(keys.of_question[entry["id"]], entry["type"], entry["text"],
                           [PublicChoice(keys.of_choice[c["id"]], c["text"]) for c in entry["choices"]])
            for entry in attempt.paper]


def public_answers(attempt: Attempt) -> dict[str, list[str]]:
    """The saved answers by question key, each the keys of the choices picked."""
    keys = paper_keys(attempt)
    return {keys.of_question[question_id]: [keys.of_choice[c] for c in picked]
            for question_id, picked in saved_answers(attempt).items()}


# -- attempts ------------------------------------------------------------------------

@functools.cache
def _attempts_of() -> Select:
    # The papers (~20 KB each) stay in the database until something reads one. Statuses as the
    # database has them now, not as this session loaded them earlier: the try limit counts them.
    return (db.select(Attempt).where(Attempt.quiz_id == bindparam("quiz_id"), Attempt.user_id == bindparam("user_id"))
            .options(defer(Attempt.paper)).order_by(Attempt.number).execution_options(populate_existing=True))


def attempts_of(quiz: Quiz, user) -> list[Attempt]:
    return list(db.session.scalars(_attempts_of(), {"quiz_id": quiz.id, "user_id": user.id}))


@functools.cache
def _start_lock() -> Select:
    return db.select(func.pg_advisory_xact_lock(bindparam("quiz_id", type_=Integer),
                                                bindparam("user_id", type_=Integer)))


def _hold_starts(quiz: Quiz, user) -> None:
    """Make this person's other starts at this quiz wait until this transaction ends, so the
    attempts counted next are still all there are when the new one is inserted."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_start_lock(), {"quiz_id": quiz.id, "user_id": user.id})
    else:  # SQLite has one writer at a time: take the write lock now, as BEGIN IMMEDIATE would
        db.session.execute(update(User).where(User.id == user.id).values(is_enabled=User.is_enabled)
                           .execution_options(synchronize_session=False))


def lessons_left(member: Member | None, topic: Topic) -> int:
    progress = studying.topic_progress(member, topic)
    return progress.total - progress.studied


def why_not_start(quiz: Quiz, user, member: Member | None, *, now: datetime,
                  attempts: list[Attempt] | None = None) -> str | None:
    """Why this person cannot start a new attempt now, or None."""
    state = window(quiz, now)
    if not quiz.published:
        return "Bài kiểm tra chưa được mở."
    if state == "not_open":
        return "Bài kiểm tra chưa đến giờ mở."
    if state == "closed":
        return "Bài kiểm tra đã đóng."
    if quiz.purpose == PURPOSE_FINAL:
        if member is None:
            return "Chỉ đoàn viên mới làm bài kiểm tra của chuyên đề."
        left = lessons_left(member, quiz.topic)
        if left:
            return f"Hãy học xong các bài học trước khi làm bài kiểm tra (còn {left} bài)."
    finished = [a for a in (attempts_of(quiz, user) if attempts is None else attempts) if not a.is_open]
    if quiz.max_attempts is not None and len(finished) >= quiz.max_attempts:
        return f"Bạn đã dùng hết {quiz.max_attempts} lượt làm bài."
    return None


def start_attempt(quiz: Quiz, user, member: Member | None, *, now: datetime | None = None,
                  rng: random.Random | None = None) -> Attempt:
    """Start an attempt, or return the one already in progress (one per person per quiz)."""
    now = now or utcnow()
    _hold_starts(quiz, user)
    attempts = attempts_of(quiz, user)  # read once: the one in progress, the count, the next number
    current = next((a for a in attempts if a.is_open), None)
    if current is not None and not expire_if_due(current, now=now):
        return current
    reason = why_not_start(quiz, user, member, now=now, attempts=attempts)
    if reason:
        raise QuizError(reason)
    rng = rng or random.SystemRandom()
    paper = make_paper(_draw(quiz, rng), rng)
    deadline = now + timedelta(seconds=quiz.time_limit_seconds)
    if quiz.closes_at and deadline > quiz.closes_at:
        deadline = quiz.closes_at
    number = max((a.number for a in attempts), default=0) + 1
    attempt = Attempt(quiz=quiz, user_id=user.id, member_id=member.id if member else None, number=number,
                      status=IN_PROGRESS, started_at=now, deadline=deadline, paper=paper, max_score=len(paper))
    db.session.add(attempt)
    # Its id, now. No savepoint for a racing start: _hold_starts made any other wait, and it will find
    # this one in progress.
    db.session.flush()
    return attempt


def remaining_seconds(attempt: Attempt, *, now: datetime | None = None) -> int:
    if not attempt.is_open:
        return 0
    return _seconds_until(attempt.deadline, now or utcnow())


def _seconds_until(deadline: datetime, now: datetime) -> int:
    """Whole seconds left, as the page's countdown starts from them (never below 0)."""
    return max(0, int((deadline - now).total_seconds()))


def past_grace(deadline: datetime, now: datetime) -> bool:
    """Whether `now` is past the deadline and the grace late answers get: what came then is not counted."""
    return now > deadline + timedelta(seconds=GRACE_SECONDS)


def _entry(attempt: Attempt, question_id: int) -> dict:
    for entry in attempt.paper:
        if entry["id"] == question_id:
            return entry
    raise QuizError("Câu hỏi này không thuộc bài làm của bạn.")


def save_answer(attempt: Attempt, question_id: int, choice_ids: list[int], *,
                now: datetime | None = None) -> None:
    """Save the choices picked for one question (an empty list clears it)."""
    save_answers(attempt, {question_id: choice_ids}, now=now)


def save_answers(attempt: Attempt, picks: dict[int, list[int]], *, now: datetime | None = None) -> None:
    """Save the choices picked for each question (bank ids), all or none: one refused refuses all."""
    now = now or utcnow()
    if expire_if_due(attempt, now=now) or (attempt.is_open and past_grace(attempt.deadline, now)):
        raise TooLate()
    if not attempt.is_open:
        raise QuizError("Bài làm này đã nộp, không sửa được nữa.")
    rows = {}
    for question_id, choice_ids in picks.items():
        entry = _entry(attempt, question_id)
        allowed = {c["id"] for c in entry["choices"]}
        picked = sorted(set(choice_ids))
        if not set(picked) <= allowed:
            raise QuizError("Đáp án gửi lên không thuộc câu hỏi này.")
        if entry["type"] != MULTIPLE and len(picked) > 1:
            raise QuizError("Câu này chỉ chọn một đáp án.")
        rows[question_id] = picked
    if rows:
        # One statement, so two tabs saving the same question never collide on the unique key.
        db.session.connection().execute(_answers_upsert(len(rows), guarded=False),
                                        {"attempt_id": attempt.id, "saved_at": now, **_answer_rows(rows)})


def picks_from(form: MultiDict[str, str]) -> dict[str, list[str]]:
    """What a quiz page's form sends: each question's key (question_id, repeated) with the keys of
    the choices picked for it (choice-<question key>)."""
    # Each distinct key once: a key repeated n times with n choices must not cost n * n.
    return {key: form.getlist(f"choice-{key}") for key in dict.fromkeys(form.getlist("question_id"))}


def save_public_answers(attempt: Attempt, picks: dict[str, list[str]], *, now: datetime | None = None) -> None:
    """save_answer for what a page sends: each question's key with the keys of the choices picked.
    The attempt's keys are computed once for the whole page, not once per question."""
    questions = paper_keys(attempt).questions
    by_id = {}
    for key, picked_keys in picks.items():
        found = questions.get(key)
        if found is None:
            raise QuizError("Câu hỏi này không thuộc bài làm của bạn.")
        question_id, _kind, by_key = found
        if not set(picked_keys) <= set(by_key):
            raise QuizError("Đáp án gửi lên không thuộc câu hỏi này.")
        by_id[question_id] = [by_key[k] for k in picked_keys]
    save_answers(attempt, by_id, now=now)


# -- the save a page's script makes, without loading the user or the attempt ------------
# Saves are the commonest request in a contest. The keys of an open attempt's page never
# change, so each process keeps them for the attempts it served last, and a save is then one
# guarded INSERT: this person's attempt, same session,
# still in progress, the start and deadline those keys were made for. Anything else (an unknown
# key, a refused choice, too late, no row written) goes the long way, which says why.

@dataclass(frozen=True)
class PaperKeys:
    started_at: datetime
    deadline: datetime
    questions: dict[str, tuple[int, str, dict[str, int]]]  # key -> (bank id, type, {choice key: choice id})
    of_question: dict[int, str]  # bank id -> key, for the page
    of_choice: dict[int, str]


_paper_keys: OrderedDict[int, PaperKeys] = OrderedDict()
_paper_keys_lock = threading.Lock()
PAPER_KEYS_KEPT = 4000  # attempts a process remembers, ~5 KB each


def paper_keys(attempt: Attempt) -> PaperKeys:
    """The attempt's page keys, computed once per process and kept for the page, its saves and its
    hand-in. Kept for the start and deadline they were made with: a deadline moved later makes them
    again, with the deadline the quick save's guard then expects."""
    with _paper_keys_lock:
        kept = _paper_keys.get(attempt.id)
    if kept is not None and (kept.started_at, kept.deadline) == (attempt.started_at, attempt.deadline):
        return kept
    of_question = {entry["id"]: question_key(attempt, entry["id"]) for entry in attempt.paper}
    of_choice = {c["id"]: choice_key(attempt, c["id"]) for entry in attempt.paper for c in entry["choices"]}
    keys = PaperKeys(attempt.started_at, attempt.deadline, {
        of_question[entry["id"]]: (entry["id"], entry["type"], {of_choice[c["id"]]: c["id"] for c in entry["choices"]})
        for entry in attempt.paper}, of_question, of_choice)
    with _paper_keys_lock:
        _paper_keys[attempt.id] = keys
        while len(_paper_keys) > PAPER_KEYS_KEPT:
            _paper_keys.popitem(last=False)
    return keys


def forget_paper_keys() -> None:
    """Empty this process's keys (tests: a new database numbers its attempts from 1 again)."""
    with _paper_keys_lock:
        _paper_keys.clear()


def _keys_of(attempt_id: int, user_id: int) -> PaperKeys | None:
    with _paper_keys_lock:
        keys = _paper_keys.get(attempt_id)
    if keys is not None:
        return keys
    attempt = db.session.execute(_open_paper(), {"attempt_id": attempt_id, "user_id": user_id}).first()
    return None if attempt is None else paper_keys(cast(Attempt, attempt))  # a row with what it reads


@functools.cache
def _open_paper() -> Select:
    return (db.select(Attempt.id, Attempt.paper, Attempt.started_at, Attempt.deadline)
            .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"),
                   Attempt.status == IN_PROGRESS))


def quick_save(attempt_id: int, user_id: int, session_token: str, picks: dict[str, list[str]], *,
               now: datetime | None = None) -> int | None:
    """Save the questions a script sends together as `save_public_answers` would, for the person the
    signed session names (`accounts.services.session_identity`); the seconds left, or None when the
    save has to go the long way (the caller then rolls back what this wrote). The caller commits."""
    now = now or utcnow()
    keys = _keys_of(attempt_id, user_id)
    if keys is None or not picks or past_grace(keys.deadline, now):
        return None
    rows = {}
    for key, picked_keys in picks.items():
        found = keys.questions.get(key)
        if found is None:
            return None
        question_id, kind, by_key = found
        if not set(picked_keys) <= set(by_key) or (kind != MULTIPLE and len(set(picked_keys)) > 1):
            return None
        rows[question_id] = sorted({by_key[k] for k in picked_keys})
    # One statement for all the questions sent: the guard is the same for every row, so either all are
    # written or none. A page's keys are distinct, so no row is written twice.
    written = db.session.connection().execute(_answers_upsert(len(rows), guarded=True), {
        "attempt_id": attempt_id, "saved_at": now, "user_id": user_id, "session_token": session_token,
        "started_at": keys.started_at, "deadline": keys.deadline, **_answer_rows(rows)}).all()
    return _seconds_until(keys.deadline, now) if written else None


def _answer_rows(rows: dict[int, list[int]]) -> dict[str, object]:
    """The question_id_<n> and choice_ids_<n> parameters of _answers_upsert, in bank-id order: two saves
    of the same questions then lock their rows in the same order, where opposite orders deadlock."""
    params: dict[str, object] = {}
    for n, question_id in enumerate(sorted(rows)):
        params[f"question_id_{n}"], params[f"choice_ids_{n}"] = question_id, rows[question_id]
    return params


def _answers_upsert(rows: int, *, guarded: bool) -> Executable:
    """INSERT ... ON CONFLICT DO UPDATE of ``rows`` answers of one attempt, saved at one moment:
    parameters attempt_id, saved_at, question_id_<n>, choice_ids_<n>. ``guarded`` (the quick save)
    writes only if the attempt is the user's, in progress, with the started_at and deadline given,
    and the session token still valid (user_id, session_token, started_at, deadline), and
    returns the rows written."""
    return _built_answers_upsert(db.session.get_bind().dialect.name, rows, guarded)


@functools.cache  # per database kind and number of rows (at most a paper's)
def _built_answers_upsert(dialect: str, rows: int, guarded: bool) -> Executable:
    attempt_id = bindparam("attempt_id", type_=Integer)
    sent = union_all(*(db.select(bindparam(f"question_id_{n}", type_=Integer).label("question_id"),
                                 bindparam(f"choice_ids_{n}", type_=Answer.choice_ids.type).label("choice_ids"))
                       for n in range(rows))).subquery("sent")
    values = db.select(attempt_id, sent.c.question_id, sent.c.choice_ids,
                       bindparam("saved_at", type_=Answer.saved_at.type))
    if guarded:
        user_id = bindparam("user_id", type_=Integer)
        values = values.where(db.select(Attempt.id).where(
            Attempt.id == attempt_id, Attempt.user_id == user_id, Attempt.status == IN_PROGRESS,
            Attempt.started_at == bindparam("started_at", type_=Attempt.started_at.type),
            Attempt.deadline == bindparam("deadline", type_=Attempt.deadline.type),
            accounts.session_still_valid(user_id, bindparam("session_token", type_=String))).exists())
    else:
        values = values.where(true())  # SQLite reads "SELECT ... ON CONFLICT" only after a WHERE
    statement = insert_or_merge(Answer).from_select(["attempt_id", "question_id", "choice_ids", "saved_at"], values)
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"choice_ids": statement.excluded.choice_ids, "saved_at": statement.excluded.saved_at})
    return statement.returning(Answer.id) if guarded else statement


@functools.cache
def _saved_answers() -> Select:
    # Plain rows, not Answer objects: fresh after the saves' upserts, and no identity map to fill.
    return db.select(Answer.question_id, Answer.choice_ids, Answer.saved_at).where(
        Answer.attempt_id == bindparam("attempt_id"))


def saved_answers(attempt: Attempt) -> dict[int, list[int]]:
    rows = db.session.execute(_saved_answers(), {"attempt_id": attempt.id})
    return {question_id: list(choice_ids) for question_id, choice_ids, _ in rows}


def grade(paper: list[dict], answers: dict[int, tuple[list[int], datetime]], cutoff: datetime) -> int:
    """Points: one per question whose picked set is exactly the right set, counting only
    answers saved by ``cutoff``. All or nothing for multiple-choice questions."""
    score = 0
    for entry in paper:
        picked, saved_at = answers.get(entry["id"], ([], cutoff))
        if saved_at <= cutoff and picked and sorted(set(picked)) == sorted(entry["correct"]):
            score += 1
    return score


def finish(attempt: Attempt, *, now: datetime | None = None, status: str = SUBMITTED,
           finished_at: datetime | None = None) -> Attempt:
    """Grade and close the attempt, once: a second call (another tab, the sweep) changes nothing."""
    now = now or utcnow()
    finished_at = finished_at or min(now, attempt.deadline)
    cutoff = attempt.deadline + timedelta(seconds=GRACE_SECONDS)
    rows = db.session.execute(_saved_answers(), {"attempt_id": attempt.id})
    score = grade(attempt.paper, {question_id: (choice_ids, saved_at) for question_id, choice_ids, saved_at in rows},
                  cutoff)
    percent = round(100 * score / attempt.max_score, 1) if attempt.max_score else 0.0
    quiz = attempt.quiz
    values = {"status": status, "finished_at": finished_at, "score": score, "percent": percent,
              "passed": percent >= quiz.pass_percent,
              "flagged_short": (finished_at - attempt.started_at).total_seconds() < quiz.min_duration_seconds}
    result = cast(CursorResult, db.session.execute(  # an UPDATE's result: it has a rowcount
        _close_if_open(tuple(values)),
        {"attempt_id": attempt.id, **{f"new_{key}": value for key, value in values.items()}}))
    if result.rowcount == 1:  # ours: the row now holds exactly these values
        for key, value in values.items():
            set_committed_value(attempt, key, value)
        signals.attempt_finished.send(attempt)
    else:  # another tab or the sweep finished it first: read what they wrote
        db.session.refresh(attempt, list(values))
    if result.rowcount == 1 and attempt.passed and attempt.member_id and quiz.purpose == PURPOSE_FINAL:
        _complete(attempt, now)
    return attempt


@functools.cache  # per set of columns: finish always sets the same ones
def _close_if_open(columns: tuple[str, ...]) -> Executable:
    # The parameters are named apart from the columns: SQLAlchemy keeps those names for the SET clause.
    return (update(Attempt).where(Attempt.id == bindparam("attempt_id"), Attempt.status == IN_PROGRESS)
            .values({name: bindparam(f"new_{name}", type_=getattr(Attempt, name).type) for name in columns})
            .execution_options(synchronize_session=False))


def submit(attempt: Attempt, *, answers: dict[str, list[str]] | None = None,
           now: datetime | None = None) -> Attempt:
    """Hand in. ``answers``: those the page's script had not sent yet, which the hand-in form carries
    (public keys, as `save_public_answers` takes them); saved by the usual rules, so one that comes
    too late is not counted and the attempt closes as expired."""
    now = now or utcnow()
    if answers and attempt.is_open:
        with contextlib.suppress(TooLate):  # then the attempt is closed and graded without them
            save_public_answers(attempt, answers, now=now)
    return finish(attempt, now=now, status=EXPIRED if past_grace(attempt.deadline, now) else SUBMITTED)


def expire_if_due(attempt: Attempt, *, now: datetime | None = None) -> bool:
    """Close an attempt whose time (plus grace) is over; its finish is the deadline."""
    now = now or utcnow()
    if attempt.is_open and past_grace(attempt.deadline, now):
        finish(attempt, now=now, status=EXPIRED, finished_at=attempt.deadline)
        return True
    return False


def close_expired(*, now: datetime | None = None) -> int:
    """Close every attempt past its deadline; the count of those this call closed.

    The sweep runs on every app server at once: on PostgreSQL each takes only the due attempts
    no other sweep has locked, so they share the work and each counts what it closed."""
    now = now or utcnow()
    due = db.session.scalars(db.select(Attempt).where(
        Attempt.status == IN_PROGRESS, Attempt.deadline < now - timedelta(seconds=GRACE_SECONDS))
        .with_for_update(skip_locked=True)).all()
    return sum(1 for attempt in due if expire_if_due(attempt, now=now))


@functools.cache
def _attempt_with_quiz() -> Select:
    # With its quiz: every page of an attempt reads it (one query, not two).
    return db.select(Attempt).where(Attempt.id == bindparam("attempt_id")).options(joinedload(Attempt.quiz))


def get_attempt_for(attempt_id: int, user) -> Attempt | None:
    """The attempt if it is this person's; anyone else's is as good as missing."""
    attempt = db.session.scalars(_attempt_with_quiz(), {"attempt_id": attempt_id}).one_or_none()
    return attempt if attempt is not None and attempt.user_id == user.id else None


# -- results, review, completion -----------------------------------------------------

def review_level(attempt: Attempt, *, now: datetime | None = None) -> str:
    """How much of a finished attempt its review shows: the answers only once they can no longer
    help this person (passed, no try left, quiz closed) unless the editor chose otherwise."""
    quiz = attempt.quiz
    if attempt.is_open:
        return NO_REVIEW
    if window(quiz, now or utcnow()) == "closed" or quiz.review_after_submit == REVIEW_EACH_TRY:
        return FULL_REVIEW
    if quiz.review_after_submit == REVIEW_SCORE:
        return SCORE_ONLY
    finished = [a for a in attempts_of(quiz, attempt.user) if not a.is_open]
    if any(a.passed for a in finished) or (quiz.max_attempts is not None and len(finished) >= quiz.max_attempts):
        return FULL_REVIEW
    return MARKS_ONLY


@dataclass
class ReviewItem:
    """One question of a review. ``right`` is None when not told; ``choices`` are (text, picked,
    is a right answer), the last always False unless the answers are shown."""
    text: str
    choices: list[tuple[str, bool, bool]]
    right: bool | None
    explanation: Markup


def review(attempt: Attempt, level: str, *, now: datetime | None = None) -> list[ReviewItem]:
    """The questions of a finished attempt as its review level allows. When another feature withholds
    some of them (a contest round still drawing them), every question shows only what was picked:
    beside the score, the marks of the others would tell how the withheld ones went."""
    if level not in (MARKS_ONLY, FULL_REVIEW):
        return []
    now = now or utcnow()
    withheld = set().union(*signals.answers(signals.review_withheld, attempt, now=now))
    told = not any(entry["id"] in withheld for entry in attempt.paper)
    answers = saved_answers(attempt)
    items = []
    for entry in attempt.paper:
        picked = set(answers.get(entry["id"], []))
        full = told and level == FULL_REVIEW
        correct = set(entry["correct"]) if full else set()
        items.append(ReviewItem(entry["text"], [(c["text"], c["id"] in picked, c["id"] in correct)
                                                for c in entry["choices"]],
                                picked == set(entry["correct"]) if told else None,
                                render_inline(entry["explanation"] if full else "")))
    return items


def graded_attempt(quiz: Quiz, user, attempts: list[Attempt] | None = None) -> Attempt | None:
    """The attempt that counts: the best or the last finished one, as the quiz says."""
    finished = [a for a in (attempts_of(quiz, user) if attempts is None else attempts) if not a.is_open]
    if not finished:
        return None
    if quiz.grading == GRADE_LAST:
        return finished[-1]
    return max(finished, key=lambda a: (a.percent or 0, -a.number))


def completion(member: Member | None, topic: Topic) -> TopicCompletion | None:
    if member is None:
        return None
    return db.session.scalars(db.select(TopicCompletion).filter_by(member_id=member.id, topic_id=topic.id)).first()


def _complete(attempt: Attempt, now: datetime) -> None:
    member = db.session.get_one(Member, attempt.member_id)
    topic = attempt.quiz.topic
    if completion(member, topic) is not None or lessons_left(member, topic):
        return
    record = TopicCompletion(member_id=member.id, topic_id=topic.id, attempt_id=attempt.id,
                             percent=attempt.percent, completed_at=attempt.finished_at or now)
    db.session.add(record)
    db.session.flush()
    signals.topic_completed.send(record)


@dataclass
class QuizStatus:
    """What a member's pages say about a topic's quiz."""
    quiz: Quiz
    attempts: list[Attempt]
    open_attempt: Attempt | None
    counted: Attempt | None
    completion: TopicCompletion | None
    blocked_by: str | None

    @property
    def attempts_left(self) -> int | None:
        if self.quiz.max_attempts is None:
            return None
        return max(0, self.quiz.max_attempts - sum(1 for a in self.attempts if not a.is_open))


def quiz_status(member: Member | None, topic: Topic, user, *, now: datetime | None = None) -> QuizStatus | None:
    """The topic's final quiz as this person stands with it; an attempt whose time is up is closed
    on the way (the caller commits)."""
    return quiz_statuses(member, [topic], user, now=now).get(topic.id)


def quiz_statuses(member: Member | None, topics: list[Topic], user, *,
                  now: datetime | None = None) -> dict[int, QuizStatus]:
    """``quiz_status`` of several topics (those with a published final quiz), with one query each
    for their quizzes, this person's attempts and their completions, whatever the number of topics."""
    now = now or utcnow()
    quizzes: dict[int, Quiz] = {}
    for quiz in db.session.scalars(db.select(Quiz).where(
            Quiz.topic_id.in_([topic.id for topic in topics]), Quiz.purpose == PURPOSE_FINAL, Quiz.published)
            .order_by(Quiz.id.desc())):
        quizzes[quiz.topic_id] = quiz  # the first final quiz of a topic wins, as in final_quiz()
    if not quizzes:
        return {}
    attempts: dict[int, list[Attempt]] = {quiz.id: [] for quiz in quizzes.values()}
    for attempt in db.session.scalars(db.select(Attempt).where(
            Attempt.quiz_id.in_(attempts), Attempt.user_id == user.id).options(defer(Attempt.paper))
            .order_by(Attempt.number).execution_options(populate_existing=True)):
        attempts[attempt.quiz_id].append(attempt)
    # First close what is out of time: a passed attempt closed here completes its topic.
    current = {quiz_id: next((a for a in tries if a.is_open and not expire_if_due(a, now=now)), None)
               for quiz_id, tries in attempts.items()}
    completions = {} if member is None else {record.topic_id: record for record in db.session.scalars(
        db.select(TopicCompletion).where(TopicCompletion.member_id == member.id,
                                         TopicCompletion.topic_id.in_(quizzes)))}
    statuses = {}
    for topic_id, quiz in quizzes.items():
        tries, in_progress = attempts[quiz.id], current[quiz.id]
        statuses[topic_id] = QuizStatus(
            quiz, tries, in_progress, graded_attempt(quiz, user, tries), completions.get(topic_id),
            None if in_progress else why_not_start(quiz, user, member, now=now, attempts=tries))
    return statuses


def topic_panels(user, *, member: Member | None, topics: list[Topic], now: datetime) -> dict[int, dict]:
    """Answers ``core.signals.topic_panels``: each topic's quiz status for learning's pages."""
    return {topic_id: {"quiz_status": status}
            for topic_id, status in quiz_statuses(member, topics, user, now=now).items()}
