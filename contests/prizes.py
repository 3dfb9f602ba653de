"""Individual prizes per division, for a round or the whole contest, each with its prize certificate.

The jury first sees the plan (who would get what under the published ranking rule), then
awards it in one step: every prize row and every certificate in the same transaction.
Flush only: views commit.
"""
from dataclasses import dataclass
from datetime import datetime

from certificates import services as certificates
from contests.boards import standing_overall, standing_round
from contests.models import PRIZE_RANKS, Contest, Division, Participant, Prize, Round
from contests.services import CLOSED, ContestError, round_state
from core import audit
from core.clock import local_today, utcnow
from core.extensions import db

DEFAULT_COUNTS = {"first": 1, "second": 2, "third": 3, "consolation": 5}
WHOLE_CONTEST = 0  # Prize.round_number of the prizes for the whole contest


@dataclass(frozen=True)
class PlannedPrize:
    division: Division | None
    rank: str
    place: int  # in the division's ranking
    participant: Participant
    score: int
    duration_seconds: int

    @property
    def rank_label(self) -> str:
        return PRIZE_RANKS[self.rank]


def scope_label(contest_round: Round | None) -> str:
    return f"tuần {contest_round.number}" if contest_round else "toàn cuộc thi"


def check_ready(contest: Contest, contest_round: Round | None, now: datetime) -> None:
    rounds = [contest_round] if contest_round else contest.rounds
    if not rounds:
        raise ContestError("Cuộc thi chưa có tuần thi nào.")
    for each in rounds:
        if round_state(each, now) != CLOSED:
            raise ContestError(f"Tuần {each.number} chưa kết thúc: chỉ trao giải khi đã hết giờ thi.")
        if each.actual_figure is None:
            raise ContestError(f"Hãy nhập đáp án câu hỏi dự đoán của tuần {each.number} (con số đúng) "
                               "trước khi trao giải.")


def plan(contest: Contest, contest_round: Round | None, counts: dict[int | None, dict[str, int]]) -> list[PlannedPrize]:
    """Who gets which prize: in each division, down its ranking, so many firsts, then seconds, ...

    ``counts`` maps a division id (None for a contest without divisions) to the number of each prize.
    Excluded participants are not in the ranking, so they get nothing.
    """
    divisions = contest.divisions or [None]
    planned = []
    for division in divisions:
        key = division.id if division else None
        wanted = sum(max(0, counts.get(key, {}).get(rank, 0)) for rank in PRIZE_RANKS)
        if not wanted:
            continue
        # The division's ranking (the standings) only as far down as its prizes go: at 100,000
        # participants, reading everyone would be seconds of work for a dozen names.
        ordered = (standing_round(contest_round, limit=wanted, division=division) if contest_round is not None
                   else standing_overall(contest, limit=wanted, division=division))
        people = {p.id: p for p in db.session.scalars(
            db.select(Participant).where(Participant.id.in_([r.participant_id for r in ordered])))}
        queue = iter(enumerate(ordered, start=1))
        for rank in PRIZE_RANKS:
            for _ in range(max(0, counts.get(key, {}).get(rank, 0))):
                place, result = next(queue, (None, None))
                if result is None:
                    break
                planned.append(PlannedPrize(division, rank, place, people[result.participant_id], result.score,
                                            result.duration_seconds))
    return planned


def awarded(contest: Contest, round_number: int) -> list[Prize]:
    return list(db.session.scalars(db.select(Prize).filter_by(contest_id=contest.id, round_number=round_number)
                                   .order_by(Prize.division_id, Prize.place)))


def _prize_text(contest: Contest, contest_round: Round | None, line: PlannedPrize) -> str:
    division = f" – {line.division.name}" if line.division else ""
    scope = f"Tuần {contest_round.number} – " if contest_round else ""
    return f"Đạt {line.rank_label}{division}\n{scope}{contest.title}"


def award(contest: Contest, contest_round: Round | None, counts: dict[int | None, dict[str, int]], actor, *,
          now: datetime | None = None) -> list[Prize]:
    """Award the plan and issue every prize certificate, signed for the organising committee."""
    now = now or utcnow()
    number = contest_round.number if contest_round else WHOLE_CONTEST
    check_ready(contest, contest_round, now)
    if awarded(contest, number):
        raise ContestError(f"Giải {scope_label(contest_round)} đã được trao: hãy hủy kết quả trao giải trước.")
    issuer = certificates.issuer_for(contest.organiser_unit)
    if issuer is None:
        raise ContestError("Đơn vị tổ chức chưa có mẫu giấy chứng nhận: hãy khai báo ở trang Mẫu giấy chứng nhận.")
    lines = plan(contest, contest_round, counts)
    if not lines:
        raise ContestError("Không có ai để trao giải: chưa có bài thi nào, hoặc số giải đều bằng 0.")
    prizes = []
    for line in lines:
        person = line.participant
        unit = person.unit
        certificate = certificates.issue_prize(
            issuer, holder_name=person.full_name, birth_year=person.birth_year,
            unit_name=unit.name if unit else person.workplace,
            parent_unit_name=unit.parent.name if unit and unit.parent else "",
            prize_text=_prize_text(contest, contest_round, line), issued_on=local_today(now),
            member=person.member, actor=actor)
        prizes.append(Prize(contest=contest, round_number=number, division=line.division, participant=person,
                            rank=line.rank, place=line.place, certificate=certificate, awarded_at=now,
                            awarded_by_id=getattr(actor, "id", None)))
    db.session.add_all(prizes)
    db.session.flush()
    audit.record(actor, "contest_prizes_awarded", "contest", contest.slug,
                 f"Trao {len(prizes)} giải {scope_label(contest_round)}",
                 {"round": number, "counts": {str(k): v for k, v in counts.items()}}, now=now)
    return prizes


def cancel(contest: Contest, contest_round: Round | None, actor, reason: str, *, now: datetime | None = None) -> int:
    """Take back the prizes of a round (or the whole contest): their certificates are revoked, not deleted."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ContestError("Hãy ghi lý do hủy kết quả trao giải (ít nhất 5 ký tự).")
    now = now or utcnow()
    prizes = awarded(contest, contest_round.number if contest_round else WHOLE_CONTEST)
    if not prizes:
        raise ContestError(f"Chưa trao giải {scope_label(contest_round)}.")
    for prize in prizes:
        if prize.certificate is not None and prize.certificate.revoked_at is None:
            certificates.revoke(prize.certificate, actor, f"Hủy kết quả trao giải: {reason}", now=now)
        db.session.delete(prize)
    db.session.flush()
    audit.record(actor, "contest_prizes_cancelled", "contest", contest.slug,
                 f"Hủy {len(prizes)} giải {scope_label(contest_round)}: {reason}", {"reason": reason}, now=now)
    return len(prizes)


def prizes_of(participant: Participant) -> list[Prize]:
    return list(db.session.scalars(db.select(Prize).filter_by(participant_id=participant.id)
                                   .order_by(Prize.round_number)))
