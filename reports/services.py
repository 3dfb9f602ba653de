"""The completion report: a topic's figures for a unit and a period, rolled up the tree.

A period is a span of local (Asia/Ho_Chi_Minh) calendar days, both ends included.
Figures are "as of" its end: nothing dated after the end counts, and each member is
placed where they stood at the end.

Where a member is counted. Each member is placed at their unit as of the period end:
the unit they left by their first move dated after the end (``MemberMove``), else
their current unit. All of a member's figures (progress, quiz, completion,
certificate, attendance) go to that one unit, wherever they did the studying, so a
member who moved is counted once, where they belonged on the report's date: a unit
takes credit for the people it has, and its rate compares them with its headcount.
Units sit where they are in today's tree (merged units keep their place under their
old parent, so a period before a merge still shows them with their members).
A member who left (status other than active) after the period end still counts as
a member; one who left before it is no longer among the members, but what they
studied within the period still counts at their last unit.

The columns (per unit, each rolled up over the unit's whole subtree):

- ``headcount``: for each unit of the subtree, its declared headcount for a
  declaration covering the period end (the one whose dates equal the period's, else
  the shortest, else the latest declared), else its counted ``members`` attached to
  it; summed. ``headcount_declared``: at least one unit declared and every unit with
  members declared (``headcount_source`` tells declared, counted or mixed).
- ``members``: members placed in the subtree and active at the period end.
The four steps count each member once, in the period in which they first reached it (the
moments kept in ``member_topics``, reports/progress.py): so the columns of two adjoining
periods add up to those of both together, and a past period's figures never change later.

- ``started``: members whose first activity on the topic (a lesson opened or marked
  studied, an attempt at a final quiz started, a completion recorded) is in the period.
- ``studied_all``: members who marked the last of the topic's published lessons studied
  within the period, having studied every other one by then.
- ``passed``: members whose first passed attempt at a final quiz finished within the period.
- ``completed``: members whose completion of the topic (``TopicCompletion``: lessons
  and quiz, or certified for offline study) is dated within the period.
- ``completion_rate``: ``completed`` / ``headcount`` in %, one decimal.
- ``certificates``: completion certificates of the topic issued within the period to
  members placed in the subtree and not revoked by its end.
- ``average_first_score``: the mean score of first attempts, over members whose first
  finished attempt at a final quiz is in the period. (Each one's best score within the
  period is in the member list; a mean of bests would change after the period ends,
  whenever someone retakes the quiz, so it is not a column.)
- ``sessions``, ``sessions_by_form``, ``attendances``: offline study sessions of the
  topic held within the period by units of the subtree, by form, and their
  attendances (lượt), as recorded.
- ``attendees``: distinct members placed in the subtree who are listed at one or more
  sessions of the topic held within the period (by any unit), each counted once however
  many they came to.
- ``contest_participants``, ``contest_attempts``: contest registrations naming a
  unit of the subtree with at least one contest attempt started within the period,
  and those attempts (all contests: they are not tied to a topic).

A unit is behind the due date when the topic has one, the period ends on or after
it, and the members who completed the topic by the period end (at any time before it,
not only within the period) are fewer than its headcount.

A fixed number of queries per report, whatever the number of members or units, each
grouped by unit: members (and attendees), ``member_topics`` rows (which carry the
member's current unit, so no statement joins a million members), sessions, contests,
headcounts; and the completions per day for the chart. Members who moved after the
period end are few: each statement takes them out of their current unit and adds them
back where they stood (``_by_placement``). Python adds each unit's figures into the row
of the child it is under.
"""
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Subquery, and_, case, func, or_, union_all

from certificates.models import KIND_COMPLETION, Certificate
from contests.models import Entry, Participant
from core import database, signals
from core.clock import format_date
from core.extensions import db
from core.periods import Period, year_periods
from learning import topics as learning_topics
from learning.models import KIND_CONTEST, SESSION_FORMS, Lesson, LessonProgress, StudySession, StudySessionMember, Topic
from quizzes.models import EXPIRED, PURPOSE_FINAL, SUBMITTED, Attempt, Quiz
from reports.models import MemberTopic
from units import tree as unit_tree
from units.models import MEMBER_ACTIVE, UNIT_ACTIVE, Headcount, Member, MemberMove, Unit


def report_topics(unit: Unit) -> list[Topic]:
    """The topics a unit's report can be made for: published study topics (not contest banks)
    set for the unit's tree (above, at or below it: another province's are not), newest first."""
    return list(db.session.scalars(db.select(Topic).where(Topic.published, Topic.kind != KIND_CONTEST,
                                                          learning_topics.topics_of_tree(unit))
                                   .order_by(Topic.year.desc(), Topic.due_on, Topic.id)))


def presets(topic: Topic, today: date) -> list[Period]:
    """The topic's due period, then the halves and the whole of its year (and of this year if later)."""
    periods = []
    if topic.due_on:
        start = topic.opens_on if topic.opens_on and topic.opens_on <= topic.due_on else date(topic.due_on.year, 1, 1)
        periods.append(Period(start, topic.due_on, f"Đến hạn hoàn thành {format_date(topic.due_on)}"))
    return periods + year_periods(*sorted({topic.year, max(topic.year, today.year)}))


def _empty_forms() -> dict[str, int]:
    return dict.fromkeys(SESSION_FORMS, 0)


@dataclass
class Figures:
    headcount: int = 0
    members: int = 0
    started: int = 0
    studied_all: int = 0
    passed: int = 0
    completed: int = 0
    certificates: int = 0
    sessions: int = 0
    sessions_by_form: dict[str, int] = field(default_factory=_empty_forms)
    attendances: int = 0
    attendees: int = 0
    contest_participants: int = 0
    contest_attempts: int = 0
    # What the roll-up needs beyond the columns.
    score_sum: float = 0.0
    scored: int = 0            # members whose first attempt was in the period
    declared_units: int = 0    # units whose headcount was declared
    undeclared_units: int = 0  # units with members whose headcount was counted
    completed_to_date: int = 0  # completions up to the period end, from any time: for "behind"

    SUMMED = ("headcount", "members", "started", "studied_all", "passed", "completed", "certificates", "sessions",
              "attendances", "attendees", "contest_participants", "contest_attempts", "score_sum", "scored",
              "declared_units", "undeclared_units", "completed_to_date")

    def add(self, other: "Figures") -> None:
        for name in self.SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for form, count in other.sessions_by_form.items():
            self.sessions_by_form[form] = self.sessions_by_form.get(form, 0) + count

    @property
    def headcount_declared(self) -> bool:
        return self.declared_units > 0 and self.undeclared_units == 0

    @property
    def headcount_source(self) -> str:
        """"declared", "counted" or "mixed" (some units declared, others counted)."""
        if not self.declared_units:
            return "counted"
        return "mixed" if self.undeclared_units else "declared"

    @property
    def completion_rate(self) -> float | None:
        return round(100 * self.completed / self.headcount, 1) if self.headcount else None

    @property
    def average_first_score(self) -> float | None:
        return round(self.score_sum / self.scored, 1) if self.scored else None

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.SUMMED)

    def as_dict(self) -> dict:
        return {
            "headcount": self.headcount, "headcount_declared": self.headcount_declared, "members": self.members,
            "started": self.started, "studied_all": self.studied_all, "passed": self.passed,
            "completed": self.completed, "completion_rate": self.completion_rate,
            "certificates": self.certificates, "average_first_score": self.average_first_score,
            "sessions": self.sessions, "sessions_by_form": dict(self.sessions_by_form),
            "attendances": self.attendances, "attendees": self.attendees,
            "contest_participants": self.contest_participants, "contest_attempts": self.contest_attempts,
        }


@dataclass
class ColumnGroup:
    """Columns a package to the right adds to the report, for each row (``core.signals.report_columns``)."""
    key: str                                  # its name in the API ("lam_theo")
    title: str                                # the heading over its columns
    columns: list[tuple[str, str, str]]       # (key in each row, header, "#,##0" or "0.0%": a percentage 0–100)
    rows: dict[int, dict]                     # by child unit id
    own: dict                                 # the unit itself without its children
    total: dict


@dataclass
class Report:
    unit: Unit
    topic: Topic
    period: Period
    rows: list[tuple[Unit, Figures]]  # one per child unit, each over its whole subtree
    total: Figures                    # the unit's whole subtree
    completions_by_day: list[tuple[date, int]]  # the subtree's completions per local day of the period
    behind: set[int]                  # ids of child units behind the due date
    own: Figures | None = None        # the unit itself without its children (its members, sessions), if any
    total_behind: bool = False
    groups: list[ColumnGroup] = field(default_factory=list)  # added columns (``core.signals.report_columns``)


# -- the building blocks: who is where, and what each member did -----------------------

def _later_moves(period: Period):
    """(member_id, from_unit_id) of each member's first move dated after the period end: the unit they left
    is where they stood at the end. (Not a ranking: the planner sizes "no earlier such move" well, and a
    drill-down's plan depends on knowing these are thousands of rows, not dozens.)"""
    move, earlier = MemberMove, db.aliased(MemberMove)
    first = ~db.exists().where(earlier.member_id == move.member_id, earlier.moved_on > period.end,
                               or_(earlier.moved_on < move.moved_on,
                                   and_(earlier.moved_on == move.moved_on, earlier.id < move.id)))
    return (db.select(move.member_id, move.from_unit_id).where(move.moved_on > period.end, first)
            .cte("later"))


def _placement(root: Unit, period: Period):
    """(member_id, unit_id, active) of every member placed in ``root``'s subtree at the period end.

    Two disjoint parts, each filtered on a plain unit column so the subtree's units lead to
    their members through ``members.unit_id``: members with no move after the period end,
    at their current unit, and members who moved after it, at the unit their first such
    move left (joining on ``coalesce(left unit, current unit)`` instead reads every member).
    """
    later = _later_moves(period)
    active = _flag(_active_at_end(period))
    stayed = (db.select(Member.id.label("member_id"), Member.unit_id.label("unit_id"), active.label("active"))
              .join(Unit, Unit.id == Member.unit_id)
              .where(unit_tree.in_subtree(root), ~db.exists().where(later.c.member_id == Member.id)))
    moved = (db.select(Member.id, later.c.from_unit_id, active)
             .join(later, later.c.member_id == Member.id)
             .join(Unit, Unit.id == later.c.from_unit_id)
             .where(unit_tree.in_subtree(root)))
    return union_all(stayed, moved)


def _active_at_end(period: Period):
    """A member still active at the period end: active now, or left after it."""
    return or_(Member.status == MEMBER_ACTIVE, Member.status_changed_on > period.end)


def _by_placement(root: Unit, period: Period, *, source, member_id, unit_id, sums: list, where=(), key=None,
                  filter_units: bool = True):
    """``sums`` of the rows of ``source`` whose member stood in ``root``'s subtree at the period end, grouped
    by that unit (or by ``key``): three parts whose rows the caller adds up.

    The rows are summed by their member's current unit (``unit_id``); then the members who moved
    after the period end are taken back out of it and summed at the unit their first later move
    left. Those are a few thousand rows, so no statement joins every member to a computed unit, and a
    drill-down reads its units' rows through the index on ``unit_id``. Without ``filter_units``
    every unit's rows are summed, for a caller that keeps the subtree's own: for a subtree holding
    most units that is cheaper than testing a million rows against the subtree.
    """
    later = _later_moves(period)
    subtree = db.select(Unit.id).where(unit_tree.in_subtree(root))

    def part(unit_column, negate=False):
        group = unit_column if key is None else key
        query = (db.select(group, *[-total if negate else total for total in sums]).select_from(source)
                 .where(*where).group_by(group))
        return query.where(unit_column.in_(subtree)) if filter_units else query

    moved_out = part(unit_id, negate=True).join(later, later.c.member_id == member_id)
    moved_back = part(later.c.from_unit_id).join(later, later.c.member_id == member_id)
    return union_all(part(unit_id), moved_out, moved_back)


def _within(column, period: Period):
    low, high = period.utc_bounds
    return and_(column >= low, column < high)


def _certified_in(period: Period):
    """A member_topics row whose completion certificate was issued within the period and held at its end."""
    t, (_, high) = MemberTopic, period.utc_bounds
    return and_(t.certified_on >= period.start, t.certified_on <= period.end,
                or_(t.certificate_revoked_at.is_(None), t.certificate_revoked_at >= high))


def _attendance(topic: Topic, period: Period):
    """The member ids listed at sessions of the topic held within the period (by any unit)."""
    return (db.select(StudySessionMember.member_id)
            .join(StudySession, StudySession.id == StudySessionMember.session_id)
            .where(StudySession.topic_id == topic.id, StudySession.held_on >= period.start,
                   StudySession.held_on <= period.end))


def _flag(condition):
    return case((condition, 1), else_=0)


REPORTING_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL random_page_cost = 1.1")


def _tune_for_reporting() -> None:
    """On PostgreSQL, for this transaction: no JIT, as compiling these plans costs more (over a second)
    than it ever saves; and random reads priced as what they are for tables read this often, which
    stay in memory. At the default price (4 sequential reads) the planner scans all of member_topics
    to reach the few thousand members who moved after the period end, instead of looking them up."""
    database.set_local(db.session.connection(), REPORTING_SETTINGS)


def _units_share(root: Unit) -> float:
    """The share of all units that are in the subtree: 1 for the province, the root of the tree."""
    inside, total = db.session.execute(
        db.select(func.coalesce(func.sum(case((unit_tree.in_subtree(root), 1), else_=0)), 0),
                  func.count(Unit.id))).one()
    return inside / total if total else 1.0


@dataclass
class _PerMember:
    rows: Subquery        # one row per member placed in the subtree
    published: list[int]  # ids of the topic's published lessons

    @property
    def lesson_count(self) -> int:
        return len(self.published)


def _per_member(root: Unit, topic: Topic, period: Period) -> _PerMember:
    """One row per member placed in the subtree: their ``member_topics`` row read against the period.

    Attendance is the one figure not in ``member_topics`` (a member may come to sessions in
    any period): for a subtree with under half of the units it is joined to the placed
    members before it is made distinct, so a drill-down reads it through the member index.
    """
    _, high = period.utc_bounds
    published = list(db.session.scalars(db.select(Lesson.id).where(Lesson.topic_id == topic.id, Lesson.published)))
    placed = _placement(root, period).cte("placed")
    attended = _attendance(topic, period)
    if _units_share(root) < 0.5:
        attended = attended.join(placed, placed.c.member_id == StudySessionMember.member_id)
    attended = attended.distinct().subquery("attended")
    t = MemberTopic
    completed_by_end = case((t.completed_at < high, t.completed_at))
    rows = (db.select(placed.c.member_id, placed.c.unit_id, placed.c.active,
                      _flag(_within(t.started_at, period)).label("started"),
                      _flag(_within(t.studied_all_at, period)).label("studied_all"),
                      _flag(_within(t.passed_at, period)).label("passed"),
                      case((_within(t.first_finished_at, period), t.first_percent)).label("first_percent"),
                      completed_by_end.label("completed_at"),
                      _flag(_within(t.completed_at, period)).label("completed"),
                      _flag(_certified_in(period)).label("certified"),
                      _flag(attended.c.member_id.is_not(None)).label("attended"),
                      # As of the period end, for the member list.
                      _flag(t.started_at < high).label("started_by_end"),
                      _flag(t.studied_all_at < high).label("studied_all_by_end"),
                      _flag(t.passed_at < high).label("passed_by_end"))
            .select_from(placed)
            .outerjoin(t, and_(t.member_id == placed.c.member_id, t.topic_id == topic.id))
            .outerjoin(attended, attended.c.member_id == placed.c.member_id)
            .subquery("per_member"))
    return _PerMember(rows, published)


# -- the report -------------------------------------------------------------------------

def _add_unit_figures(root: Unit, topic: Topic, period: Period, row_of: dict[int, Figures],
                      filter_units: bool) -> None:
    """Add each unit's own figures to the report row it counts in: ``row_of`` maps every unit of the
    subtree to that row (rows from units outside it are dropped). Headcounts are taken per unit."""
    def by_placement(**parts):
        return db.session.execute(_by_placement(root, period, filter_units=filter_units, **parts))

    # Members, and those listed at a session of the topic within the period.
    attended = _attendance(topic, period).distinct().subquery("attended")
    members: dict[int, int] = {}
    for unit_id, count, attendees in by_placement(
            source=db.outerjoin(Member, attended, attended.c.member_id == Member.id), member_id=Member.id,
            unit_id=Member.unit_id,
            sums=[func.count().filter(_active_at_end(period)), func.count(attended.c.member_id)]):
        members[unit_id] = members.get(unit_id, 0) + count
        if (f := row_of.get(unit_id)) is not None:
            f.attendees += attendees

    _, high = period.utc_bounds
    t = MemberTopic
    progress = by_placement(
        source=t, member_id=t.member_id, unit_id=t.unit_id, where=[t.topic_id == topic.id],
        sums=[func.count().filter(_within(t.started_at, period)),
              func.count().filter(_within(t.studied_all_at, period)),
              func.count().filter(_within(t.passed_at, period)),
              func.count().filter(_within(t.completed_at, period)),
              func.count().filter(t.completed_at < high),
              func.count().filter(_certified_in(period)),
              func.sum(t.first_percent).filter(_within(t.first_finished_at, period)),
              func.count(t.first_percent).filter(_within(t.first_finished_at, period))])
    for unit_id, started, studied_all, passed, completed, to_date, certificates, score_sum, scored in progress:
        if (f := row_of.get(unit_id)) is not None:
            f.started += started
            f.studied_all += studied_all
            f.passed += passed
            f.completed += completed
            f.completed_to_date += to_date
            f.certificates += certificates
            f.score_sum += float(score_sum or 0)
            f.scored += scored

    sessions = (db.select(StudySession.unit_id, StudySession.form, func.count(StudySession.id),
                          func.coalesce(func.sum(StudySession.attendances), 0))
                .join(Unit, Unit.id == StudySession.unit_id)
                .where(unit_tree.in_subtree(root), StudySession.topic_id == topic.id,
                       StudySession.held_on >= period.start, StudySession.held_on <= period.end)
                .group_by(StudySession.unit_id, StudySession.form))
    for unit_id, form, count, attendances in db.session.execute(sessions):
        f = row_of[unit_id]
        f.sessions += count
        f.sessions_by_form[form] = f.sessions_by_form.get(form, 0) + count
        f.attendances += attendances

    contests = (db.select(Participant.unit_id, func.count(func.distinct(Participant.id)), func.count(Entry.id))
                .join(Entry, Entry.participant_id == Participant.id)
                .join(Attempt, Attempt.id == Entry.attempt_id)
                .join(Unit, Unit.id == Participant.unit_id)
                .where(unit_tree.in_subtree(root), _within(Attempt.started_at, period))
                .group_by(Participant.unit_id))
    for unit_id, participants, attempts in db.session.execute(contests):
        f = row_of[unit_id]
        f.contest_participants += participants
        f.contest_attempts += attempts

    # A unit's declared headcount stands in for its counted members.
    declared = _declared_headcounts(root, period)
    for unit_id, f in row_of.items():
        count = members.get(unit_id, 0)
        f.members += count
        if unit_id in declared:
            f.headcount += declared[unit_id]
            f.declared_units += 1
        else:
            f.headcount += count
            f.undeclared_units += 1 if count else 0


def _completions_by_day(root: Unit, topic: Topic, period: Period, filter_units: bool) -> list[tuple[date, int]]:
    """Completions within the period of the members placed in the subtree, per local day."""
    t = MemberTopic
    counts: dict[date, int] = {}
    for completed_on, count in db.session.execute(_by_placement(
            root, period, source=t, member_id=t.member_id, unit_id=t.unit_id, sums=[func.count()],
            key=t.completed_on, where=[t.topic_id == topic.id, t.completed_on >= period.start,
                                       t.completed_on <= period.end], filter_units=filter_units)):
        counts[completed_on] = counts.get(completed_on, 0) + count
    return sorted((completed_on, count) for completed_on, count in counts.items() if count)


def _declared_headcounts(root: Unit, period: Period) -> dict[int, int]:
    """Each unit's declaration covering the period end: the period's own, else the shortest, else the latest."""
    rows = db.session.execute(
        db.select(Headcount.unit_id, Headcount.period_start, Headcount.period_end, Headcount.headcount,
                  Headcount.declared_at)
        .join(Unit, Unit.id == Headcount.unit_id)
        .where(unit_tree.in_subtree(root), Headcount.period_start <= period.end, Headcount.period_end >= period.end))
    chosen: dict[int, tuple] = {}
    for unit_id, start, end, headcount, declared_at in rows:
        rank = ((start, end) != (period.start, period.end), end - start, -declared_at.timestamp())
        if unit_id not in chosen or rank < chosen[unit_id][0]:
            chosen[unit_id] = (rank, headcount)
    return {unit_id: headcount for unit_id, (_, headcount) in chosen.items()}


def _existed_at(unit: Unit, day: date) -> bool:
    return unit.status == UNIT_ACTIVE or (unit.status_changed_on is not None and unit.status_changed_on > day)


def _is_behind(figures: Figures, topic: Topic, period: Period) -> bool:
    return bool(topic.due_on and period.end >= topic.due_on and figures.headcount
                and figures.completed_to_date < figures.headcount)


def completion_report(unit: Unit, topic: Topic, period: Period) -> Report:
    _tune_for_reporting()
    share = _units_share(unit)
    # Each unit of the subtree counts in the row of the child it is under, or in the unit's own row.
    depth = len(unit_tree.path_ids(unit))
    own_row, by_child = Figures(), defaultdict[int, Figures](Figures)
    row_of = {}
    for unit_id, path in db.session.execute(db.select(Unit.id, Unit.path).where(unit_tree.in_subtree(unit))):
        ids = path.strip("/").split("/")
        row_of[unit_id] = by_child[int(ids[depth])] if len(ids) > depth else own_row
    _add_unit_figures(unit, topic, period, row_of, filter_units=share < 0.5)
    total = Figures()
    for figures in (own_row, *by_child.values()):
        total.add(figures)
    rows = []
    for child in unit_tree.children(unit, include_inactive=True):
        figures = by_child.get(child.id, Figures())
        if _existed_at(child, period.end) or not figures.is_empty:
            rows.append((child, figures))
    rows.sort(key=lambda row: (row[0].kind.position, row[0].name_folded))
    return Report(unit=unit, topic=topic, period=period, rows=rows, total=total,
                  completions_by_day=_completions_by_day(unit, topic, period, filter_units=share < 1),
                  behind={child.id for child, figures in rows if _is_behind(figures, topic, period)},
                  own=None if own_row.is_empty or not rows else own_row, total_behind=_is_behind(total, topic, period),
                  groups=sorted(signals.answers(signals.report_columns, unit, period=period),
                                key=lambda group: group.key))


def report_as_dict(report: Report) -> dict:
    """The API's shape: the unit, topic, period, its totals and one entry per child unit."""
    return {
        "unit": {"code": report.unit.code, "name": report.unit.name, "kind": report.unit.kind.code},
        "topic": {"slug": report.topic.slug, "title": report.topic.title},
        "period": {"from": report.period.start.isoformat(), "to": report.period.end.isoformat()},
        "totals": report.total.as_dict() | {group.key: group.total for group in report.groups},
        "children": [{"code": child.code, "name": child.name,
                      "totals": figures.as_dict() | {g.key: g.rows.get(child.id, {}) for g in report.groups}}
                     for child, figures in report.rows],
    }


# -- the member list --------------------------------------------------------------------

NOT_STARTED, STUDYING, STUDIED_ALL, PASSED, COMPLETED, COMPLETED_BEFORE = (
    "not_started", "studying", "studied_all", "passed", "completed", "completed_before")
STATUS_NAMES = {
    NOT_STARTED: "Chưa bắt đầu", STUDYING: "Đang học", STUDIED_ALL: "Đã học hết bài",
    PASSED: "Đã đạt bài kiểm tra", COMPLETED: "Hoàn thành", COMPLETED_BEFORE: "Đã hoàn thành trước kỳ",
}


@dataclass
class MemberStatus:
    member_id: int
    full_name: str
    card_number: str | None
    phone: str | None          # for the officers' lists only: never on a public page
    unit_name: str
    active: bool               # False: left before the period end, listed for what they did within it
    status: str                # a key of STATUS_NAMES
    lessons_studied: int       # published lessons marked studied by the period end
    lessons_total: int
    best_score: float | None   # best final-quiz percentage among attempts finished within the period
    completed_at: datetime | None
    certificate_serial: str | None  # the completion certificate held at the period end

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    @property
    def completed(self) -> bool:
        """Completed the topic by the period end, within the period or before it."""
        return self.status in (COMPLETED, COMPLETED_BEFORE)


def iter_member_statuses(unit: Unit, topic: Topic, period: Period, *, only_incomplete: bool = False,
                         own_connection: bool = False) -> Iterator[MemberStatus]:
    """Members placed in the subtree at the period end (and leavers counted in a column), by name, streamed.

    Each member's status is where they stood at the period end: completed within the period,
    completed before it, else passed, else studied every lesson, else started (studying), else
    not started; so the members "completed" are the report's completed column.
    ``only_incomplete`` keeps those who have not completed the topic by the period end.
    ``own_connection``: read on a connection of the generator's own (`core.database.long_read`),
    for a download that goes on after the view has returned; else in the session, seeing its changes.
    """
    _, high = period.utc_bounds
    per_member = _per_member(unit, topic, period)
    m = per_member.rows.c
    status = case(
        (m.completed == 1, COMPLETED),
        (m.completed_at.is_not(None), COMPLETED_BEFORE),
        (m.passed_by_end == 1, PASSED),
        (m.studied_all_by_end == 1, STUDIED_ALL),
        (m.started_by_end == 1, STUDYING),
        else_=NOT_STARTED)
    # Per listed member, through the member indexes: what the list shows beyond member_topics.
    studied = (db.select(func.count()).where(LessonProgress.member_id == m.member_id,
                                             LessonProgress.lesson_id.in_(per_member.published),
                                             LessonProgress.studied_at < high)
               .scalar_subquery())
    best = (db.select(func.max(Attempt.percent))
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Attempt.member_id == m.member_id, Quiz.topic_id == topic.id, Quiz.purpose == PURPOSE_FINAL,
                   Attempt.status.in_((SUBMITTED, EXPIRED)), _within(Attempt.finished_at, period))
            .scalar_subquery())
    serial = (db.select(Certificate.serial)
              .where(Certificate.member_id == m.member_id, Certificate.kind == KIND_COMPLETION,
                     Certificate.topic_id == topic.id, Certificate.issued_on <= period.end,
                     or_(Certificate.revoked_at.is_(None), Certificate.revoked_at >= high))
              .scalar_subquery())
    counted = or_(m.active == 1, m.started == 1, m.studied_all == 1, m.passed == 1, m.completed == 1,
                  m.first_percent.is_not(None), m.certified == 1, m.attended == 1)
    query = (db.select(Member.id, Member.full_name, Member.card_number, Member.phone, Unit.name, m.active, status,
                       studied, best, m.completed_at, serial)
             .select_from(per_member.rows)
             .join(Member, Member.id == m.member_id)
             .join(Unit, Unit.id == m.unit_id)
             .where(counted))
    if only_incomplete:
        query = query.where(m.completed_at.is_(None))
    query = query.order_by(Member.name_folded, Member.id)
    rows = database.long_read(query, batch=500, settings=REPORTING_SETTINGS, own_connection=own_connection)
    for (member_id, full_name, card, phone, unit_name, active, key, lessons_studied, best_score, completed_at,
         certificate_serial) in rows:
        yield MemberStatus(member_id, full_name, card, phone, unit_name, bool(active), key, lessons_studied,
                           per_member.lesson_count, None if best_score is None else float(best_score), completed_at,
                           certificate_serial)


def member_statuses(unit: Unit, topic: Topic, period: Period, *, only_incomplete=False) -> list[MemberStatus]:
    return list(iter_member_statuses(unit, topic, period, only_incomplete=only_incomplete))
