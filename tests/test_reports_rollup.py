"""The completion report's figures: each unit's equal the sum over its subtree, computed here
independently from the generated facts; members are placed where they stood at the period end."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from certificates.models import Certificate, Issuer
from contests.models import Contest, Entry, Participant, Round
from core.extensions import db
from learning.models import Lesson, LessonProgress, StudySession, StudySessionMember, Topic
from quizzes.models import SUBMITTED, Attempt, Quiz, TopicCompletion
from reports import charts, services
from tests import member_topics
from tests.factories import make_member, make_unit
from units import kinds as unit_kinds
from units import members as unit_members
from units import tree as unit_tree
from units.models import MEMBER_ACTIVE, MEMBER_LEFT, Headcount, Member, MemberMove

PERIOD = services.Period(date(2022, 1, 1), date(2022, 3, 31), "Quý I/2022")
DAYS = [date(2021, 12, 31), date(2022, 1, 1), date(2022, 2, 15), date(2022, 3, 31), date(2022, 4, 1)]


def local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """The naive UTC time of a Vietnam wall-clock time, as the database stores it."""
    return datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=7)


# Moments around the period's edges in Vietnam time: midnight, 00:10 and 23:50 fall on opposite UTC days.
MOMENTS = [local(day, hour, minute) for day in DAYS for hour, minute in ((0, 0), (0, 10), (12, 0), (23, 50))]


def in_period(moment: datetime | date | None) -> bool:
    if moment is None:
        return False
    day = (moment + timedelta(hours=7)).date() if isinstance(moment, datetime) else moment
    return PERIOD.start <= day <= PERIOD.end


def by_end(moment: datetime | date | None) -> bool:
    if moment is None:
        return False
    day = (moment + timedelta(hours=7)).date() if isinstance(moment, datetime) else moment
    return day <= PERIOD.end


def make_topic(lessons: int = 3, *, due_on=date(2022, 3, 31)) -> tuple[Topic, list[Lesson], Quiz]:
    topic = Topic(slug="chuyen-de-thu", title="Chuyên đề thử", kind="annual", year=2022, opens_on=date(2022, 1, 1),
                  due_on=due_on, published=True)
    rows = [Lesson(topic=topic, slug=f"bai-{n}", title=f"Bài {n}", position=n) for n in range(lessons)]
    rows.append(Lesson(topic=topic, slug="bai-an", title="Bài chưa đăng", position=99, published=False))
    quiz = Quiz(topic=topic, title="Bài kiểm tra", question_count=1)
    db.session.add_all([topic, quiz, *rows])
    db.session.flush()
    return topic, rows[:lessons], quiz


def account(member: Member) -> User:
    if member.user is None:
        member.user = User(username=f"u{member.id}", full_name=member.full_name, password_hash="x")
        db.session.flush()
    return member.user


def attempt(quiz: Quiz, member: Member, finished: datetime, percent: float, number: int = 1) -> Attempt:
    row = Attempt(quiz=quiz, user_id=account(member).id, member_id=member.id, number=number, status=SUBMITTED,
                  started_at=finished - timedelta(minutes=20), deadline=finished + timedelta(minutes=5),
                  finished_at=finished, paper=[], score=0, max_score=10, percent=percent,
                  passed=percent >= quiz.pass_percent)
    db.session.add(row)
    db.session.flush()
    return row


def certificate(issuer: Issuer, member: Member, topic: Topic, issued_on: date, revoked_at=None) -> Certificate:
    serial = db.session.scalar(db.select(db.func.count(Certificate.id))) + 1
    row = Certificate(code=f"C{member.id:015d}", issuer=issuer, serial_number=serial, serial=f"{serial}/GCN",
                      member_id=member.id, topic_id=topic.id, unit_id=member.unit_id, holder_name=member.full_name,
                      achievement="", issued_on=issued_on, body_lines="", place="", signer_title="", signer_name="",
                      revoked_at=revoked_at)
    db.session.add(row)
    return row


# -- the generated world -----------------------------------------------------------------

@dataclass
class MemberFacts:
    unit: int                      # index of the current unit
    moves: list[tuple[int, date]]  # (index of the unit left, day), oldest first; the member ends in ``unit``
    status: str
    status_changed_on: date | None
    opened: list[datetime | None]
    studied: list[datetime | None]
    attempts: list[tuple[datetime, float]]
    completed: datetime | None
    certificate: tuple[date, datetime | None] | None
    contest: list[datetime] = field(default_factory=list)


@st.composite
def worlds(draw):
    size = draw(st.integers(1, 9))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, size)]
    moment = st.sampled_from(MOMENTS)
    maybe_moment = st.none() | moment
    members = []
    for _ in range(draw(st.integers(0, 14))):
        unit = draw(st.integers(0, size - 1))
        moves = []
        if draw(st.booleans()):
            for day in sorted(draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=2, unique=True))):
                moves.append((draw(st.integers(0, size - 1)), day))
        left = draw(st.sampled_from([None, date(2022, 2, 1), PERIOD.end, date(2022, 5, 1)]))
        completed = draw(maybe_moment)
        members.append(MemberFacts(
            unit=unit, moves=moves, status=MEMBER_LEFT if left else MEMBER_ACTIVE, status_changed_on=left,
            opened=[draw(maybe_moment) for _ in range(3)], studied=[draw(maybe_moment) for _ in range(3)],
            attempts=draw(st.lists(st.tuples(moment, st.sampled_from([40.0, 70.0, 90.0])), max_size=2)),
            completed=completed,
            certificate=(draw(st.sampled_from(DAYS)), draw(st.sampled_from([None, local(date(2022, 2, 1)),
                                                                             local(date(2022, 5, 1))])))
            if completed and draw(st.booleans()) else None,
            contest=draw(st.lists(moment, max_size=2))))
    sessions = draw(st.lists(st.tuples(st.integers(0, size - 1), st.sampled_from(DAYS),
                                       st.sampled_from(["in_person", "online", "meeting"]), st.integers(0, 50),
                                       st.sets(st.integers(0, max(len(members) - 1, 0)), max_size=4)),
                             max_size=4))
    headcounts = draw(st.dictionaries(st.integers(0, size - 1),
                                      st.tuples(st.integers(0, 30),
                                                st.sampled_from([(date(2022, 1, 1), date(2022, 6, 30)),
                                                                 (date(2022, 1, 1), date(2022, 2, 28))])),
                                      max_size=size))
    return parents, members, sessions, headcounts


def build(parents, members_facts, sessions, headcounts):
    """The world in the database (flushed, never committed); returns units and members by index."""
    unit_kinds.ensure_default_kinds()
    kind = unit_kinds.find_kind("grassroots")
    tree = []
    for index, parent in enumerate(parents):
        tree.append(unit_tree.create_unit(f"U{index}", f"Đơn vị {index}", kind,
                                      tree[parent] if parent is not None else None))
    topic, lessons, quiz = make_topic()
    issuer = Issuer(unit_id=tree[0].id, body_lines="", place="", signer_title="", signer_name="")
    contest = Contest(slug="cuoc-thi", title="Cuộc thi", organiser_unit_id=tree[0].id, audience_unit_id=tree[0].id,
                      bank_topic_id=topic.id)
    contest_quiz = Quiz(topic=topic, purpose="contest", title="Vòng 1", question_count=1)
    contest_round = Round(contest=contest, number=1, quiz=contest_quiz)
    db.session.add_all([issuer, contest, contest_quiz, contest_round])
    db.session.flush()
    people = []
    for n, facts in enumerate(members_facts):
        start = facts.moves[0][0] if facts.moves else facts.unit
        member = Member(unit_id=tree[start].id, full_name=f"Người {n}", name_folded=f"nguoi {n:02d}",
                        status=facts.status, status_changed_on=facts.status_changed_on)
        db.session.add(member)
        db.session.flush()
        stops = [unit for unit, _ in facts.moves[1:]] + [facts.unit]
        for (left, day), arrived in zip(facts.moves, stops, strict=False):  # no move: stops holds the unit alone
            db.session.add(MemberMove(member_id=member.id, from_unit_id=tree[left].id, to_unit_id=tree[arrived].id,
                                      moved_on=day, reason="move"))
        for lesson, opened, studied in zip(lessons, facts.opened, facts.studied, strict=True):
            if opened or studied:
                db.session.add(LessonProgress(member_id=member.id, lesson_id=lesson.id, opened_at=opened or studied,
                                              last_seen_at=opened or studied, studied_at=studied))
        for number, (finished, percent) in enumerate(facts.attempts, start=1):
            attempt(quiz, member, finished, percent, number)
        if facts.completed:
            db.session.add(TopicCompletion(member_id=member.id, topic_id=topic.id, completed_at=facts.completed))
        if facts.certificate:
            certificate(issuer, member, topic, *facts.certificate)
        if facts.contest:
            participant = Participant(contest=contest, user_id=account(member).id, member_id=member.id,
                                      full_name=member.full_name, unit_id=tree[facts.unit].id)
            db.session.add(participant)
            for number, started in enumerate(facts.contest, start=1):
                row = Attempt(quiz=contest_quiz, user_id=member.user_id, member_id=member.id, number=number,
                              status=SUBMITTED, started_at=started, deadline=started + timedelta(minutes=20),
                              finished_at=started + timedelta(minutes=10), paper=[], score=1, max_score=1,
                              percent=100.0, passed=True)
                db.session.add(Entry(attempt=row, round=contest_round, participant=participant))
        # Moved after studying where they started: their member_topics rows must follow them.
        db.session.flush()
        member.unit_id = tree[facts.unit].id
        people.append(member)
    db.session.flush()
    for unit_index, day, form, attendances, listed in sessions:
        session = StudySession(unit_id=tree[unit_index].id, topic_id=topic.id, held_on=day, form=form,
                               attendances=attendances)
        session.attendees = [StudySessionMember(member_id=people[i].id) for i in listed if i < len(people)]
        db.session.add(session)
    for unit_index, (headcount, (start, end)) in headcounts.items():
        db.session.add(Headcount(unit_id=tree[unit_index].id, period_start=start, period_end=end, headcount=headcount))
    db.session.flush()
    return topic, tree, people


def placed_at(facts: MemberFacts) -> int:
    """Where the member stood at the period end: the unit left by the first later move, else the current one."""
    for left, day in facts.moves:
        if day > PERIOD.end:
            return left
    return facts.unit


def steps(facts: MemberFacts) -> dict[str, datetime | None]:
    """When the member first reached each step."""
    activity = ([m for m in facts.opened + facts.studied if m] + [m - timedelta(minutes=20) for m, _ in facts.attempts]
                + ([facts.completed] if facts.completed else []))
    passes = [m for m, percent in facts.attempts if percent >= 70]
    return {"started": min(activity, default=None),
            "studied_all": max(facts.studied) if all(facts.studied) else None,
            "passed": min(passes, default=None)}


def status_at_end(facts: MemberFacts) -> str:
    moments = steps(facts)
    if in_period(facts.completed):
        return services.COMPLETED
    for moment, status in ((facts.completed, services.COMPLETED_BEFORE), (moments["passed"], services.PASSED),
                           (moments["studied_all"], services.STUDIED_ALL), (moments["started"], services.STUDYING)):
        if by_end(moment):
            return status
    return services.NOT_STARTED


def expected(parents, members_facts, sessions, headcounts) -> dict[int, dict]:
    """Each unit's own figures, worked out from the facts with no SQL."""
    own = defaultdict(lambda: defaultdict(int))
    attended = defaultdict(set)
    for unit_index, day, _, attendances, listed in sessions:
        if in_period(day):
            own[unit_index]["sessions"] += 1
            own[unit_index]["attendances"] += attendances
            for i in listed:
                if i < len(members_facts):
                    attended[i].add(unit_index)
    for i, facts in enumerate(members_facts):
        f = own[placed_at(facts)]
        active = facts.status == MEMBER_ACTIVE or facts.status_changed_on > PERIOD.end
        f["members"] += active
        moments = steps(facts)
        f["started"] += in_period(moments["started"])
        f["studied_all"] += in_period(moments["studied_all"])
        f["passed"] += in_period(moments["passed"])
        f["completed"] += in_period(facts.completed)
        f["completed_to_date"] += by_end(facts.completed)
        if facts.certificate:
            issued, revoked = facts.certificate
            f["certificates"] += in_period(issued) and not by_end(revoked)
        if facts.attempts:
            first_finished, first_percent = min(facts.attempts, key=lambda a: a[0])  # ties: the first made
            if in_period(first_finished):
                f["score_sum"] += first_percent
                f["scored"] += 1
        f["attendees"] += bool(attended[i])
        entries = [m for m in facts.contest if in_period(m)]
        if entries:
            contest_unit = own[facts.unit]  # the unit named at registration
            contest_unit["contest_participants"] += 1
            contest_unit["contest_attempts"] += len(entries)
    for index in range(len(parents)):
        declared = headcounts.get(index)
        covering = declared and declared[1][0] <= PERIOD.end <= declared[1][1]
        own[index]["headcount"] = declared[0] if covering else own[index]["members"]
    return own


def subtree(parents, root: int) -> list[int]:
    def under(index: int) -> bool:
        while index is not None:
            if index == root:
                return True
            index = parents[index]
        return False
    return [index for index in range(len(parents)) if under(index)]


def summed(own, indices) -> dict:
    return {key: sum(own[i][key] for i in indices) for key in
            ("headcount", "members", "started", "studied_all", "passed", "completed", "completed_to_date",
             "certificates", "sessions", "attendances", "attendees", "contest_participants", "contest_attempts",
             "score_sum", "scored")}


def actual(figures: services.Figures) -> dict:
    values = {key: getattr(figures, key) for key in
              ("headcount", "members", "started", "studied_all", "passed", "completed", "completed_to_date",
               "certificates", "sessions", "attendances", "attendees", "contest_participants", "contest_attempts",
               "scored")}
    values["score_sum"] = round(figures.score_sum, 6)
    return values


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(worlds())
def test_every_unit_is_the_sum_of_its_subtree(app, world):
    parents, members_facts, sessions, headcounts = world
    try:
        topic, tree, _ = build(*world)
        own = expected(*world)
        for index, unit in enumerate(tree):
            report = services.completion_report(unit, topic, PERIOD)
            want = summed(own, subtree(parents, index))
            want["score_sum"] = round(want["score_sum"], 6)
            assert actual(report.total) == want, f"unit {index}"
            rate = report.total.completion_rate
            assert rate == (round(100 * want["completed"] / want["headcount"], 1) if want["headcount"] else None)
            children = [i for i, parent in enumerate(parents) if parent == index]
            assert [child.code for child, _ in report.rows] == sorted(
                (f"U{i}" for i in children), key=lambda code: unit_tree.get_unit(code).name_folded)
            for child, figures in report.rows:
                child_want = summed(own, subtree(parents, int(child.code[1:])))
                child_want["score_sum"] = round(child_want["score_sum"], 6)
                assert actual(figures) == child_want, f"child {child.code} of unit {index}"
                assert (child.id in report.behind) == (figures.completed_to_date < figures.headcount)
        statuses = services.member_statuses(tree[0], topic, PERIOD)
        root = services.completion_report(tree[0], topic, PERIOD).total
        assert sum(s.status == services.COMPLETED for s in statuses) == root.completed
        assert sum(s.active for s in statuses) == root.members
        listed = {s.full_name: s.status for s in statuses}
        for n, facts in enumerate(members_facts):
            if f"Người {n}" in listed:
                assert listed[f"Người {n}"] == status_at_end(facts), f"member {n}"
        member_topics.assert_rebuild_the_same()
    finally:
        db.session.rollback()


# -- the rules, one by one ----------------------------------------------------------------

@pytest.fixture
def tree(app):
    province = make_unit("P", kind="province")
    district_a = make_unit("DA", province, kind="district", name="Huyện A")
    district_b = make_unit("DB", province, kind="district", name="Huyện B")
    return province, district_a, make_unit("GA", district_a), district_b, make_unit("GB", district_b)


def complete(member, topic, moment):
    db.session.add(TopicCompletion(member_id=member.id, topic_id=topic.id, completed_at=moment))
    db.session.commit()


def test_a_member_who_moved_is_counted_once_where_they_were_at_the_period_end(tree):
    province, district_a, ga, district_b, gb = tree
    topic, _, _ = make_topic()
    member = make_member(ga)
    complete(member, topic, local(date(2022, 1, 20)))
    unit_members.move_member(member, gb, on=date(2022, 2, 15))
    db.session.commit()
    january = services.Period.custom(date(2022, 1, 1), date(2022, 1, 31))
    for period, where, elsewhere in ((PERIOD, district_b, district_a), (january, district_a, district_b)):
        report = services.completion_report(province, topic, period)
        figures = dict((unit.id, f) for unit, f in report.rows)
        assert (figures[where.id].members, figures[where.id].completed) == (1, 1)
        assert (figures[elsewhere.id].members, figures[elsewhere.id].completed) == (0, 0)
        assert (report.total.members, report.total.completed) == (1, 1)
    assert [s.unit_name for s in services.member_statuses(district_a, topic, january)] == [ga.name]
    assert services.member_statuses(district_a, topic, PERIOD) == []


def test_rates_use_the_declared_headcount_and_say_where_it_came_from(tree):
    province, district_a, ga, district_b, gb = tree
    topic, _, _ = make_topic()
    for _ in range(4):
        make_member(ga)
    complete(make_member(gb), topic, local(date(2022, 2, 1)))
    db.session.add(Headcount(unit_id=gb.id, period_start=date(2022, 1, 1), period_end=date(2022, 6, 30), headcount=10))
    db.session.commit()
    report = services.completion_report(province, topic, PERIOD)
    figures = {unit.code: f for unit, f in report.rows}
    assert (figures["DB"].headcount, figures["DB"].members, figures["DB"].completion_rate) == (10, 1, 10.0)
    assert figures["DB"].headcount_declared and figures["DB"].headcount_source == "declared"
    assert (figures["DA"].headcount, figures["DA"].completion_rate, figures["DA"].headcount_source) == (4, 0.0,
                                                                                                     "counted")
    assert (report.total.headcount, report.total.completion_rate) == (14, 7.1)
    assert report.total.headcount_source == "mixed" and not report.total.headcount_declared
    # A declaration that does not cover the period end is not used.
    after = services.Period.custom(date(2022, 7, 1), date(2022, 12, 31))
    assert services.completion_report(gb, topic, after).total.headcount == 1


def test_the_exact_period_declaration_wins_over_a_wider_one(tree):
    ga = tree[2]
    topic, _, _ = make_topic()
    make_member(ga)
    db.session.add_all([Headcount(unit_id=ga.id, period_start=date(2022, 1, 1), period_end=date(2022, 12, 31),
                                  headcount=40),
                        Headcount(unit_id=ga.id, period_start=PERIOD.start, period_end=PERIOD.end, headcount=30)])
    db.session.commit()
    assert services.completion_report(ga, topic, PERIOD).total.headcount == 30


def test_the_period_is_in_vietnam_time(tree):
    ga = tree[2]
    topic, _, _ = make_topic()
    complete(make_member(ga), topic, local(date(2022, 3, 31), 23, 50))  # 16:50 UTC on 31/03
    complete(make_member(ga), topic, local(date(2022, 4, 1), 0, 10))    # 17:10 UTC on 31/03, but 1/4 in Vietnam
    report = services.completion_report(ga, topic, PERIOD)
    assert report.total.completed == 1
    assert report.completions_by_day == [(date(2022, 3, 31), 1)]


def test_units_behind_the_due_date(tree):
    province, district_a, ga, district_b, gb = tree
    topic, _, _ = make_topic()
    complete(make_member(ga), topic, local(date(2021, 12, 20)))  # before the period: still done by the due date
    make_member(gb)
    report = services.completion_report(province, topic, PERIOD)
    assert report.behind == {district_b.id} and report.total_behind
    before_due = services.Period.custom(date(2022, 1, 1), date(2022, 2, 28))
    assert services.completion_report(province, topic, before_due).behind == set()
    topic.due_on = None
    db.session.commit()
    assert services.completion_report(province, topic, PERIOD).behind == set()


def test_a_unit_merged_after_the_period_still_shows_with_its_members(tree):
    province, district_a, ga, district_b, gb = tree
    topic, _, _ = make_topic()
    complete(make_member(ga), topic, local(date(2022, 2, 1)))
    unit_tree.merge_unit(ga, gb, on=date(2022, 6, 1))
    db.session.commit()
    rows = {unit.code: f for unit, f in services.completion_report(district_a, topic, PERIOD).rows}
    assert (rows["GA"].members, rows["GA"].completed) == (1, 1)
    assert services.completion_report(district_b, topic, PERIOD).total.members == 0
    later = services.Period.custom(date(2022, 7, 1), date(2022, 12, 31))
    assert services.completion_report(district_a, topic, later).rows == []
    assert services.completion_report(district_b, topic, later).total.members == 1


def test_presets_follow_the_topic_and_the_year():
    topic = Topic(slug="t", title="T", kind="annual", year=2022, opens_on=date(2022, 1, 10), due_on=date(2022, 3, 31))
    periods = services.presets(topic, date(2023, 5, 1))
    assert [(p.start, p.end) for p in periods[:4]] == [
        (date(2022, 1, 10), date(2022, 3, 31)), (date(2022, 1, 1), date(2022, 6, 30)),
        (date(2022, 7, 1), date(2022, 12, 31)), (date(2022, 1, 1), date(2022, 12, 31))]
    assert periods[0].label == "Đến hạn hoàn thành 31/03/2022"
    assert [p.label for p in periods[4:]] == ["6 tháng đầu năm 2023", "6 tháng cuối năm 2023", "Cả năm 2023"]
    assert len(services.presets(topic, date(2022, 2, 1))) == 4


def test_the_api_shape(tree):
    province = tree[0]
    topic, _, _ = make_topic()
    data = services.report_as_dict(services.completion_report(province, topic, PERIOD))
    assert data["unit"] == {"code": "P", "name": province.name, "kind": "province"}
    assert data["period"] == {"from": "2022-01-01", "to": "2022-03-31"}
    assert {"headcount", "members", "started", "studied_all", "passed", "completed", "completion_rate",
            "certificates", "sessions", "attendances"} <= set(data["totals"])
    assert [child["code"] for child in data["children"]] == ["DA", "DB"]


def test_the_line_is_cumulative_over_weeks_or_months():
    start, end = date(2022, 1, 1), date(2022, 6, 30)
    points = charts.cumulative([(date(2022, 1, 3), 2), (date(2022, 6, 30), 1)], start, end)
    assert points == [(start, 0), (date(2022, 1, 31), 2), (date(2022, 2, 28), 2), (date(2022, 3, 31), 2),
                      (date(2022, 4, 30), 2), (date(2022, 5, 31), 2), (end, 3)]
    weekly = charts.cumulative([(date(2022, 1, 3), 2)], start, date(2022, 1, 31))
    assert [day for day, _ in weekly] == [start, date(2022, 1, 7), date(2022, 1, 14), date(2022, 1, 21),
                                          date(2022, 1, 28), date(2022, 1, 31)]
    svg = str(charts.completion_line([(date(2022, 1, 3), 2)], start, end, 4))
    assert svg.startswith("<svg") and "2 người · 50,0%" in svg and "style=" not in svg
    bars = str(charts.completion_bars([("Huyện <A>", 12.5, True), ("Huyện B", None, False)]))
    assert "Huyện &lt;A&gt;" in bars and "12,5% · chậm tiến độ" in bars and "chưa có số đoàn viên" in bars


def test_a_period_of_years_is_drawn_year_by_year_and_any_period_in_a_few_dozen_points():
    """A period anyone can type (0001–9999) once drew 120,000 monthly points: megabytes a page, seconds a request."""
    start, end = date(2019, 7, 1), date(2026, 3, 31)
    points = charts.cumulative([(date(2020, 2, 1), 3), (date(2026, 1, 5), 1)], start, end)
    assert points == [(start, 0)] + [(date(year, 12, 31), 0 if year < 2020 else 3) for year in range(2019, 2026)] \
        + [(end, 4)]
    assert '>2021</text>' in str(charts.completion_line([(date(2020, 2, 1), 3)], start, end, 0))
    for start, end in ((date(1, 1, 1), date(9999, 12, 31)), (date(2022, 1, 1), date(9999, 12, 31))):
        points = charts.cumulative([(date(2022, 3, 1), 2)], start, end)
        assert len(points) <= charts.MOST_POINTS + 2 and points[-1] == (end, 2)
        assert [day for day, _ in points] == sorted({day for day, _ in points})
        assert len(str(charts.completion_line([(date(2022, 3, 1), 2)], start, end, 5))) < 30_000
