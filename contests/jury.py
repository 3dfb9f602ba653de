"""The jury's work on a contest: a round's real figure, freezing the public boards, publishing
the results, excluding a participant, and a round's full ranking with every detail (rows and the
workbook).

Flush only: views and commands commit.
"""
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func

from contests import ranking
from contests.boards import forget_cache, in_order, refresh_standings
from contests.models import Contest, Division, Participant, Round, Standing
from contests.services import FIGURE_RULE, PREDICTION_MAX, ContestError
from core import audit, database
from core.clock import to_local, utcnow
from core.extensions import db
from core.tabular import WorkbookWriter
from quizzes.models import Attempt
from units.models import Unit


def set_actual_figure(contest_round: Round, figure: int, actor) -> None:
    if not 0 <= figure <= PREDICTION_MAX:
        raise ContestError(FIGURE_RULE)
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


def jury_rows(contest_round: Round, *, own_connection: bool = False) -> Iterator[JuryRow]:
    """The full ranking of a round for the jury, every detail, excluded people left out: read in order
    from the standings and streamed (a server-side cursor on PostgreSQL), a thousand rows at a time.
    ``own_connection``: for the workbook's download, which goes on after the view has returned
    (`core.database.long_read`)."""
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
             .order_by(*in_order(contest.tie_break, line.score, line.prediction_error, line.duration_seconds,
                                  line.finished_at, line.attempt_id)))
    # Planned for a cursor, the query would fetch each line's person and attempt by index, 100,000
    # random reads; planned for every row, it hashes and sorts them: 2-3 times faster to the last row.
    rows = database.long_read(query, batch=1000, settings=("SET LOCAL cursor_tuple_fraction = 1",),
                              own_connection=own_connection)
    for place, (name, birth_year, phone, where, division, participant_id, attempt_id, score, prediction, duration,
                finished_at, short) in enumerate(rows, start=1):
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
    for count, row in enumerate(jury_rows(contest_round, own_connection=True)):
        if count % 1000 == 1:
            yield workbook.take()
        sheet.append([row.place, row.full_name, row.birth_year, row.phone, row.unit_or_workplace, row.division,
                      row.result.score,
                      row.result.prediction, row.prediction_error, row.result.duration_seconds,
                      to_local(row.result.finished_at).replace(tzinfo=None), "Có" if row.flagged_short else ""])
    yield from workbook.chunks()
