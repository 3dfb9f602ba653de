"""Collective results of a contest: participants, attempts and members per unit, rolled up over
each unit's subtree, and the units leading each division (collective prizes).
"""
from dataclasses import dataclass

from contests.boards import cached
from contests.models import Contest, Division, Entry, Participant
from core.extensions import db
from units import tree as unit_tree
from units.models import Member, Unit


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
    return cached(("collective", contest.id), compute)


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
