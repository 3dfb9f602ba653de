"""The 19/5 review ("sơ kết", and in 2025 "tổng kết") of a year over a unit's subtree.

The figures per child unit, each over the child's whole subtree:

- ``units``, ``plans_filed``, ``plans_on_time``: active units, those with a plan for the year
  (``lamtheo_plans``, not the term's), and those that filed it by the due day;
- ``committed``, ``exemplary``: members with at least one commitment in the year, and among them
  officers ("nêu gương"); a member counts at the unit they registered in;
- ``commitments``, ``confirmed``, ``passed``, ``passed_share``: commitments, those confirmed, those
  confirmed "đạt", and đạt as a share of all commitments (%);
- ``models_nominated``, ``models_approved``: the exemplary models and people nominated in the year,
  and those of them on the public page ("Gương sáng", ``lamtheo.stories.add_review_figures``).

Two statements whatever the size: commitments grouped by unit, read from the covering index
(members counted by their first commitment), and plans by unit. Python adds each unit's figures into its child's row.
The review page adds the completion and contest figures of the completion report (reports).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased

from certificates import services as certificates
from core import audit
from core.clock import local_today, utcnow
from core.errors import Refusal
from core.extensions import db
from core.permissions import can_manage_unit
from core.text import number_vn
from lamtheo import plans, stories
from lamtheo.models import (
    RESULT_PASSED,
    REVIEW_FINAL,
    REVIEW_MIDTERM,
    REVIEW_NAMES,
    Commendation,
    Commitment,
    Plan,
    Review,
)
from reports import services as reports
from units import tree as unit_tree
from units.models import UNIT_ACTIVE, Member, Unit

FINAL_YEAR = 2025  # the 10-year / 5-year "tổng kết"
MAX_REASON = 1_000


class ReviewError(Refusal):
    """The Vietnamese sentence saying what is wrong."""


@dataclass
class Figures:
    units: int = 0
    plans_filed: int = 0
    plans_on_time: int = 0
    committed: int = 0
    exemplary: int = 0
    commitments: int = 0
    confirmed: int = 0
    passed: int = 0
    models_nominated: int | None = None
    models_approved: int | None = None

    SUMMED = ("units", "plans_filed", "plans_on_time", "committed", "exemplary", "commitments", "confirmed", "passed")

    def add(self, other: "Figures") -> None:
        for name in self.SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("models_nominated", "models_approved"):
            if getattr(other, name) is not None:
                setattr(self, name, (getattr(self, name) or 0) + getattr(other, name))

    @property
    def passed_share(self) -> float | None:
        return round(100 * self.passed / self.commitments, 1) if self.commitments else None

    def as_dict(self) -> dict:
        return {"units": self.units, "plans_filed": self.plans_filed, "plans_on_time": self.plans_on_time,
                "members_committed": self.committed, "officers_committed": self.exemplary,
                "commitments": self.commitments, "confirmed": self.confirmed, "passed": self.passed,
                "passed_share": self.passed_share, "models_nominated": self.models_nominated,
                "models_approved": self.models_approved}


@dataclass
class Figured:
    rows: list[tuple[Unit, Figures]]  # each active child unit (and any with figures), over its subtree
    own: Figures                      # the root unit itself
    total: Figures = field(default_factory=Figures)
    behind: set[int] = field(default_factory=set)  # children without their plan after the due day


def commitment_counts(root: Unit, year: int):
    """(unit_id, commitments, members, officers, confirmed, passed) of the subtree's units for the year.
    A member's first commitment (position 1) counts the member: one pass, no grouping by member."""
    c = Commitment
    first = c.position == 1
    query = (db.select(c.unit_id, func.count(), func.count().filter(first), func.count().filter(first, c.exemplary),
                       func.count(c.result), func.count().filter(c.result == RESULT_PASSED))
             .where(c.year == year).group_by(c.unit_id))
    # A subtree holding most units (the province) is cheaper read whole: the caller keeps its own units' rows.
    if reports._units_share(root) < 0.5:
        query = query.where(c.unit_id.in_(db.select(Unit.id).where(unit_tree.in_subtree(root))))
    return db.session.execute(query)


def figures(root: Unit, year: int, *, today: date | None = None) -> Figured:
    today = today or local_today()
    reports._tune_for_reporting()
    depth = len(unit_tree.path_ids(root))
    own, by_child = Figures(), defaultdict(Figures)
    row_of: dict[int, Figures] = {}
    for unit_id, path, status in db.session.execute(
            db.select(Unit.id, Unit.path, Unit.status).where(unit_tree.in_subtree(root))):
        ids = path.strip("/").split("/")
        row = by_child[int(ids[depth])] if len(ids) > depth else own
        row_of[unit_id] = row
        row.units += status == UNIT_ACTIVE
    due = plans.due_on(year)
    for unit_id, filed_at in db.session.execute(
            db.select(Plan.unit_id, Plan.filed_at).join(Unit, Unit.id == Plan.unit_id)
            .where(unit_tree.in_subtree(root), Plan.year == year, Plan.is_term.is_(False))):
        row = row_of[unit_id]
        row.plans_filed += 1
        row.plans_on_time += local_today(filed_at) <= due
    for unit_id, count, members, officers, confirmed, passed in commitment_counts(root, year):
        row = row_of.get(unit_id)
        if row is None:
            continue  # another province's unit, read with the whole table
        row.commitments += int(count)
        row.committed += members
        row.exemplary += int(officers or 0)
        row.confirmed += int(confirmed or 0)
        row.passed += int(passed or 0)
    stories.add_review_figures(root, year, row_of)
    result = Figured(rows=[], own=own)
    children = {child.id: child for child in unit_tree.children(root, include_inactive=True)}
    for child_id, child in children.items():
        row = by_child.get(child_id, Figures())
        if child.is_active or row.commitments or row.plans_filed:
            result.rows.append((child, row))
    result.rows.sort(key=lambda r: (r[0].kind.position, r[0].name_folded))
    for row in (own, *by_child.values()):
        result.total.add(row)
    child_plans = {cp.unit.id: cp for cp in plans.children_plans(root, year, today=today)}
    result.behind = {unit_id for unit_id, cp in child_plans.items() if cp.behind}
    return result


@dataclass
class Completion:
    """The completion report's figures for the year's study topic, per child unit and in total."""
    topic_title: str
    rows: dict[int, "reports.Figures"]
    total: "reports.Figures"


def completion_figures(root: Unit, year: int) -> Completion | None:
    """The completion and contest figures of the year (reports), for the first study topic of that year."""
    topic = next((t for t in reports.report_topics(root) if t.year == year), None)
    if topic is None:
        return None
    report = reports.completion_report(root, topic, reports.Period(date(year, 1, 1), date(year, 12, 31),
                                                                  f"Năm {year}"))
    return Completion(topic.title, {child.id: f for child, f in report.rows}, report.total)


# -- reviews and commendations ------------------------------------------------------------

def reviews_of(unit: Unit) -> list[Review]:
    return list(db.session.scalars(db.select(Review).where(Review.unit_id == unit.id)
                                   .order_by(Review.year.desc(), Review.kind)))


def open_review(unit: Unit, year: int, kind: str, actor, *, now: datetime | None = None) -> Review:
    now = now or utcnow()
    if kind not in REVIEW_NAMES:
        raise ReviewError("Loại hội nghị không hợp lệ.")
    if not plans.TERM_START <= year <= local_today(now).year:
        raise ReviewError(f"Năm sơ kết phải từ {plans.TERM_START} đến năm nay.")
    if kind == REVIEW_FINAL and year != FINAL_YEAR:
        raise ReviewError(f"Tổng kết chỉ mở cho năm {FINAL_YEAR} (10 năm Chỉ thị 05, 5 năm Kết luận 01).")
    if db.session.scalar(db.select(Review.id).filter_by(unit_id=unit.id, year=year, kind=kind)) is not None:
        raise ReviewError(f"{REVIEW_NAMES[kind]} năm {year} của đơn vị đã được mở.")
    title = (f"Sơ kết năm {year} việc học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
             if kind == REVIEW_MIDTERM else
             "Tổng kết 10 năm Chỉ thị 05-CT/TW và 5 năm Kết luận 01-KL/TW")
    review = Review(unit_id=unit.id, year=year, kind=kind, title=title, opened_by_id=getattr(actor, "id", None),
                    opened_at=now)
    db.session.add(review)
    db.session.flush()
    audit.record(actor, "lamtheo_review_opened", "unit", unit.code, f"Mở {title.lower()} ({unit.name})",
                 {"review_id": review.id, "year": year, "kind": kind}, now=now)
    return review


def commendations(review: Review) -> list[Commendation]:
    return list(db.session.scalars(db.select(Commendation).where(Commendation.review_id == review.id)
                                   .order_by(Commendation.id)))


WALK = 20_000  # members read in name order before reading the candidates from the other side


def candidates(review: Review, *, limit: int = 100) -> list[tuple[Member, int]]:
    """Members of the subtree (where they registered) whose every commitment of the year is confirmed
    "đạt", not yet commended: officers first, then by name, with their number of commitments.

    Never grouping the year's commitments by member (2,000,000 of them in a province). Officers, then
    the others, for a subtree holding most of the tree: the first ``WALK`` members in name order, each
    checked by its own few commitments, so the limit ends the walk early. For a smaller subtree, or
    when not enough of them pass (a year not yet confirmed): the members with a commitment "đạt" in
    the subtree (their partial index), each checked the same way."""
    reports._tune_for_reporting()  # as the figures: at the default price of random reads, 4x slower plans
    c = Commitment
    in_tree = c.unit_id.in_(db.select(Unit.id).where(unit_tree.in_subtree(review.unit)))
    done = db.select(Commendation.member_id).where(Commendation.review_id == review.id,
                                                   Commendation.member_id.is_not(None))

    def first(person, needed: int, officers: bool) -> list[Member]:
        def theirs(*conditions):
            return db.exists().where(c.member_id == person.id, c.year == review.year, in_tree, *conditions)
        kind = theirs(c.exemplary) if officers else theirs() & ~theirs(c.exemplary)
        return list(db.session.scalars(
            db.select(person).where(kind, ~theirs(c.result.is_distinct_from(RESULT_PASSED)), person.id.not_in(done))
            .order_by(person.name_folded, person.id).limit(needed)))

    def passed(officers: bool):
        # Materialised: otherwise the planner may walk every member by name to find a few of them.
        found = (db.select(c.member_id).where(c.year == review.year, in_tree, c.result == RESULT_PASSED,
                                              *([c.exemplary] if officers else [])).distinct()
                 .cte().prefix_with("MATERIALIZED"))
        return aliased(Member, db.select(Member).join(found, found.c.member_id == Member.id).subquery())

    walked = aliased(Member, db.select(Member).order_by(Member.name_folded, Member.id).limit(WALK).subquery())
    whole = reports._units_share(review.unit) >= 0.5
    found: list[Member] = []
    for officers in (True, False):
        needed = limit - len(found)
        if needed > 0:
            window = first(walked, needed, officers) if whole else []
            found += window if len(window) == needed else first(passed(officers), needed, officers)
    counts = dict(db.session.execute(
        db.select(c.member_id, func.count()).where(c.member_id.in_([m.id for m in found]), c.year == review.year,
                                                   in_tree).group_by(c.member_id)).all())
    return [(member, counts[member.id]) for member in found]


def commend(review: Review, actor, *, members: list[Member] = (), unit_list: list[Unit] = (), reason: str,
            now: datetime | None = None) -> list[Commendation]:
    """Commend people and collectives of the review's subtree, each with a "Giấy khen" of the reviewing
    unit's issuer (verifiable at /verify/<code>). All or nothing."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not (members or unit_list):
        raise ReviewError("Chưa chọn cá nhân hay tập thể nào.")
    if len(reason) < 10 or len(reason) > MAX_REASON:
        raise ReviewError(f"Hãy ghi thành tích được biểu dương (từ 10 đến {number_vn(MAX_REASON)} ký tự).")
    root = review.unit
    for unit in [m.unit for m in members] + list(unit_list):
        if not unit.path.startswith(root.path) or not can_manage_unit(actor, unit):
            raise ReviewError("Có người hoặc đơn vị không thuộc phạm vi của hội nghị này.")
    already = {(c.member_id, c.unit_id) for c in commendations(review)}
    if any((m.id, None) in already for m in members) or any((None, u.id) in already for u in unit_list):
        raise ReviewError("Có người hoặc đơn vị đã được biểu dương trong hội nghị này.")
    issuer = certificates.issuer_for(root)
    if issuer is None:
        raise ReviewError("Chưa có đơn vị cấp giấy khen: quản trị viên cần khai báo mẫu giấy của đơn vị cấp trên.")
    achievement = (f"Đã có thành tích tiêu biểu trong học tập và làm theo tư tưởng, đạo đức, phong cách "
                   f"Hồ Chí Minh năm {review.year}\n{reason}")
    day = local_today(now)
    made = []
    for member in members:
        certificate = certificates.issue_commendation(
            issuer, holder_name=member.full_name, unit_name=member.unit.name,
            parent_unit_name=member.unit.parent.name if member.unit.parent else "", achievement=achievement,
            issued_on=day, member=member, actor=actor)
        made.append(Commendation(review_id=review.id, member_id=member.id, reason=reason, certificate=certificate,
                                 created_by_id=getattr(actor, "id", None), created_at=now))
    for unit in unit_list:
        certificate = certificates.issue_commendation(
            issuer, holder_name=unit.name, unit_name=unit.parent.name if unit.parent else "", achievement=achievement,
            issued_on=day, unit=unit, actor=actor)
        made.append(Commendation(review_id=review.id, unit_id=unit.id, reason=reason, certificate=certificate,
                                 created_by_id=getattr(actor, "id", None), created_at=now))
    db.session.add_all(made)
    audit.record(actor, "lamtheo_commended", "unit", root.code,
                 f"Biểu dương {len(members)} cá nhân, {len(unit_list)} tập thể ({review.title[:80]})",
                 {"review_id": review.id, "members": [m.id for m in members], "units": [u.id for u in unit_list]},
                 now=now)
    db.session.flush()
    return made


# -- the completion report's làm-theo columns (core.signals.report_columns) --------------

COLUMNS = [("plans_filed", "Đơn vị có kế hoạch", "#,##0"), ("members_committed", "Đoàn viên đăng ký", "#,##0"),
           ("officers_committed", "Trong đó cán bộ", "#,##0"), ("commitments", "Việc đăng ký", "#,##0"),
           ("passed", "Việc đạt", "#,##0"), ("passed_share", "Tỷ lệ đạt (%)", "0.0%")]


def report_columns(unit: Unit, *, period) -> "reports.ColumnGroup":
    """The report's làm-theo columns, for the year the period ends in."""
    year = period.end.year
    figured = figures(unit, year, today=period.end)
    return reports.ColumnGroup(
        key="lam_theo", title=f"Làm theo Bác năm {year}", columns=COLUMNS,
        rows={child.id: f.as_dict() for child, f in figured.rows},
        own=figured.own.as_dict(), total=figured.total.as_dict())
