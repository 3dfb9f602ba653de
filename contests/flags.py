"""What the jury should look at before giving prizes: attempts too fast to be read, and several
accounts taking rounds on one device. A flag is a reason to look, never an automatic exclusion:
a family shares a phone, an office a computer."""
from dataclasses import dataclass

from contests.models import Contest, Entry, Participant, Round
from core.extensions import db
from quizzes.models import Attempt


def fast_attempts(contest: Contest, limit: int = 200) -> list[tuple[Participant, int]]:
    """Participants with attempts handed in faster than their round's minimum, most first."""
    count = db.func.count(Attempt.id)
    return [tuple(row) for row in db.session.execute(
        db.select(Participant, count).join(Entry, Entry.participant_id == Participant.id)
        .join(Attempt, Entry.attempt_id == Attempt.id)
        .where(Participant.contest_id == contest.id, Attempt.flagged_short)
        .group_by(Participant.id).order_by(count.desc(), Participant.id).limit(limit))]


@dataclass
class SharedDevice:
    participants: list[Participant]
    attempts: int


def shared_devices(contest: Contest, limit: int = 100) -> list[SharedDevice]:
    """Devices (by their cookie's hash) on which more than one participant started an attempt."""
    people = db.func.count(db.distinct(Entry.participant_id))
    devices = db.session.execute(
        db.select(Entry.device, db.func.count(Entry.id)).join(Round, Entry.round_id == Round.id)
        .where(Round.contest_id == contest.id, Entry.device.is_not(None))
        .group_by(Entry.device).having(people > 1).order_by(people.desc(), Entry.device).limit(limit)).all()
    if not devices:
        return []
    pairs = db.session.execute(
        db.select(Entry.device, Participant).join(Participant, Entry.participant_id == Participant.id)
        .where(Entry.device.in_([device for device, _ in devices])).distinct()
        .order_by(Participant.full_name)).all()
    by_device: dict[str, list[Participant]] = {}
    for device, participant in pairs:
        by_device.setdefault(device, []).append(participant)
    return [SharedDevice(by_device[device], attempts) for device, attempts in devices]
