"""Counters and leaderboards: the ranking rule of ranking.py computed by the database, the
standings kept current as attempts close (contest_standings), and the public boards, cached a few
seconds per worker.

Flush only: views and commands commit.
"""
import functools
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    null,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, object_session

from contests import ranking
from contests.models import DURATION_THEN_PREDICTION, Contest, Division, Entry, Participant, Round, Standing
from core.extensions import db
from quizzes.models import IN_PROGRESS, Attempt

CACHE_SECONDS = 15  # counters and public leaderboards may lag this much behind


# -- counters and leaderboards -----------------------------------------------------------

_cache: dict[tuple, tuple[float, object]] = {}
_computing: dict[tuple, threading.Lock] = {}
_computing_guard = threading.Lock()


def cached(key: tuple, compute):
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
    return cached(("counters", contest.id), compute)


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


def _error_sql(actual: int | None | ColumnElement):
    """ranking.error(prediction, actual); ``actual`` a number or a bound parameter."""
    if actual is None:
        return literal(0, BigInteger)
    figure = actual if isinstance(actual, ColumnElement) else literal(actual, BigInteger)
    return func.coalesce(func.abs(cast(Entry.prediction, BigInteger) - figure),
                         literal(ranking.NO_PREDICTION, BigInteger))


def in_order(tie_break: str, score, error, duration, finished_at, tie) -> list:
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
                                             order_by=in_order(tie_break, score, error, duration,
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
             .order_by(*in_order(tie_break, best.c.score, best.c.error, best.c.duration, best.c.finished_at,
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
             .order_by(*in_order(tie_break, score, error, duration, finished_at, best.c.participant_id))
             .limit(limit))
    return [ranking.Standing(*row) for row in db.session.execute(query)]


# -- standings kept current (contest_standings) -----------------------------------------------
# ranked_round and ranked_overall sort every finished attempt: what a frozen board needs (it stops
# at the freeze), and the reference the standings are tested against. The other boards and the jury
# read the standings, which the transaction closing an attempt brings up to date for its participant.

def refresh_standings(session, contest: Contest, *, rounds: list[Round] | None = None) -> None:
    """Recount everyone's lines for ``rounds`` (all when None) from the attempts, then everyone's lines
    for the whole contest: the round's lines are rewritten. ``session``: the request's session, or one
    on the migration's connection. One participant's lines, as their attempt closes:
    ``_refresh_one_participant``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # A whole recount waits for the attempts finishing now and makes the next ones wait: no
        # line written twice. Organisers' actions only (a figure, the tie-break order), a few seconds.
        session.execute(text("LOCK TABLE contest_standings IN SHARE ROW EXCLUSIVE MODE"))
    for statement in _standings_writes(dialect, contest.id, contest.tie_break,
                                       contest.rounds if rounds is None else rounds, None):
        session.execute(statement)


def _standings_writes(dialect: str, contest_id, tie_break: str, rounds, participant_ids) -> list:
    """The statements that recount the lines of ``participant_ids`` (everyone when None: a delete and
    an insert per round, for refresh_standings; else upserts, which keep others' lines) for
    ``rounds``, then their contest lines, in order. The ids, numbers and figures may be bound
    parameters (``_refresh_one_participant``); ``rounds``: objects with id, number and actual_figure."""
    table = Standing.__table__
    everyone = participant_ids is None
    columns = ["contest_id", "round_number", "participant_id", "division_id", "attempt_id", "score", "prediction",
               "prediction_error", "duration_seconds", "finished_at", "rounds"]

    def sql(value):
        return value if isinstance(value, ColumnElement) else literal(value, Integer)

    def write(number, rows) -> list:
        if everyone:
            return [delete(table).where(table.c.contest_id == contest_id, table.c.round_number == number),
                    insert(table).from_select(columns, rows)]
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).from_select(columns, rows)
        return [upsert.on_conflict_do_update(index_elements=["contest_id", "round_number", "participant_id"],
                                             set_={name: upsert.excluded[name] for name in columns[3:]})]

    statements = []
    for contest_round in rounds:
        best = _best_per_participant([contest_round], tie_break, None, dialect=dialect, with_excluded=True,
                                     participant_ids=participant_ids)
        statements += write(contest_round.number, db.select(
            sql(contest_id), sql(contest_round.number), best.c.participant_id,
            Participant.division_id, best.c.attempt_id, best.c.score, best.c.prediction, best.c.error,
            best.c.duration, best.c.finished_at, literal(1, Integer))
            .join(Participant, Participant.id == best.c.participant_id).where(best.c.best == 1))
    lines = table.alias("line")
    statements += write(0, db.select(
        sql(contest_id), literal(0, Integer), lines.c.participant_id, func.max(lines.c.division_id),
        cast(null(), Integer), func.sum(lines.c.score), cast(null(), Integer), func.sum(lines.c.prediction_error),
        func.sum(lines.c.duration_seconds), func.max(lines.c.finished_at), func.count())
        .where(lines.c.contest_id == contest_id, lines.c.round_number > 0,
               true() if everyone else lines.c.participant_id.in_(participant_ids))
        .group_by(lines.c.participant_id))
    return statements


def _refresh_one_participant(session, contest: Contest, contest_round: Round, participant_id: int) -> None:
    """Recount one participant's line for ``contest_round`` and their contest line."""
    params = {"contest_id": contest.id, "round_id": contest_round.id, "round_number": contest_round.number,
              "participant_id": participant_id, "actual": contest_round.actual_figure}
    for statement in _one_participant_writes(session.get_bind().dialect.name, contest.tie_break,
                                             contest_round.actual_figure is not None):
        session.execute(statement, params)


@functools.cache  # per database kind, tie-break and whether the round has its figure
def _one_participant_writes(dialect: str, tie_break: str, has_figure: bool) -> list:
    placeholder = SimpleNamespace(
        id=bindparam("round_id", type_=Integer), number=bindparam("round_number", type_=Integer),
        actual_figure=bindparam("actual", type_=BigInteger) if has_figure else None)
    return _standings_writes(dialect, bindparam("contest_id", type_=Integer), tie_break, [placeholder],
                             [bindparam("participant_id", type_=Integer)])


@functools.cache
def _entry_locking_participant() -> Select:
    return (db.select(Entry).join(Participant, Participant.id == Entry.participant_id)
            .where(Entry.attempt_id == bindparam("attempt_id")).with_for_update(of=Participant))


def on_attempt_finished(attempt: Attempt) -> None:
    """A contest attempt closed (by its owner or the sweep): its participant's standings, in the same
    transaction (connected in create_app)."""
    if attempt.quiz.purpose != "contest":
        return
    session = object_session(attempt) or db.session
    # Locking the participant: one recount at a time per person (a round closed by the sweep while
    # they submit another). Round and contest come from the session when the view loaded them.
    entry = session.scalars(_entry_locking_participant(), {"attempt_id": attempt.id}).first()
    if entry is not None:
        _refresh_one_participant(session, entry.round.contest, entry.round, entry.participant_id)


def _from_standings(contest: Contest, number: int, limit: int | None, division: Division | None):
    line = Standing
    query = (db.select(line.participant_id, line.attempt_id, line.score, line.prediction, line.prediction_error,
                       line.duration_seconds, line.finished_at, line.rounds)
             .where(line.contest_id == contest.id, line.round_number == number,
                    line.participant_id.not_in(_excluded(contest.id)))
             .order_by(*in_order(contest.tie_break, line.score, line.prediction_error, line.duration_seconds,
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
    return cached(("round", contest_round.id, frozen, limit, division and division.id), compute)


def overall_board(contest: Contest, *, limit: int = 100, division: Division | None = None) -> list[BoardLine]:
    frozen = contest.leaderboard_frozen_at if not contest.results_published_at else None
    figures_known = any(r.actual_figure is not None for r in contest.rounds)

    def compute():
        ordered = (ranked_overall(contest, contest.tie_break, frozen=frozen, limit=limit, division=division)
                   if frozen else standing_overall(contest, limit=limit, division=division))
        return _lines(contest, ordered, [s.prediction_error if figures_known else None for s in ordered])
    return cached(("overall", contest.id, frozen, limit, division and division.id), compute)


def forget_cache() -> None:
    _cache.clear()
