"""Demo study results in both demo provinces, so that each one's report reads like a real one.

Lai Châu studies the 2022 topic: each district or sector at its own pace (Tam Đường well
ahead, Mường Tè far behind; the civil servants' and the health sector's unions complete on time,
so the report marks some units behind and not others); members read lessons from ten days after the topic opens,
take the quiz, and some finish after the due date. Lào Cai, smaller, studies its
Kết luận 01 topic the same way. Units hold a few offline sessions, and a few schools and
clinics declare their headcount for the first half of 2022. The members who already
completed in the certificates demo get the lessons and the attempt behind their
completion. ``doanvien`` and ``doanvien-laocai`` are left untouched, so the whole
journey stays to try.
"""
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from accounts import services as accounts
from accounts.models import User
from certificates import services as certificates
from core.extensions import db
from learning import topics as learning_topics
from learning.models import Lesson, LessonProgress, Question, StudySession, StudySessionMember
from quizzes import services as quizzes
from quizzes.models import SUBMITTED, Attempt, TopicCompletion
from reports import progress
from units import demo as units_demo
from units import tree as unit_tree
from units.models import Headcount, Member, Unit


@dataclass
class Plan:
    topic: str
    name: str  # as a session's notes call the topic
    pace: dict[str, float]  # how keen each second-level unit is: the share of its members who study at all
    everyone: set[str]  # units (or whole second-level units) where every member completes on time
    sessions: list[tuple[str, date, str, int, int]]  # unit, day, form, attendances, members listed
    headcounts: list[tuple[str, int]]


PLANS = [
    Plan("chuyen-de-2022", "Chuyên đề năm 2022",
         {"LDLD-TD": 0.9, "LDLD-TP": 0.75, "CDN-GD": 0.8, "CDN-YT": 0.6, "CDVC": 0.55, "LDLD-PT": 0.4, "LDLD-MT": 0.2},
         {"CDCS-TD-UBND", "CDVC", "CDN-YT"},
         [("CDCS-TD-THCS", date(2022, 2, 18), "in_person", 34, 30),
          ("CDCS-TD-THCS", date(2022, 3, 11), "meeting", 31, 0),
          ("CDCS-TD-TTYT", date(2022, 2, 25), "combined", 22, 18),
          ("LDLD-TD", date(2022, 2, 10), "in_person", 85, 0),
          ("CDCS-GD-LQD", date(2022, 3, 4), "in_person", 26, 24),
          ("CDCS-TP-CHE", date(2022, 3, 15), "meeting", 24, 0),
          ("CDCS-YT-BVDK", date(2022, 3, 22), "online", 41, 0),
          ("CDCS-PT-SILO", date(2022, 4, 8), "in_person", 14, 12)],
         [("CDCS-TD-THCS", 36), ("CDCS-TD-TTYT", 22), ("CDCS-GD-LQD", 28)]),
    Plan("ket-luan-01-kl-tw", "Kết luận số 01-KL/TW",
         {"LDLD-LCA-TP": 0.8, "CDN-GD-LCA": 0.7, "LDLD-LCA-SAPA": 0.35},
         {units_demo.GRASSROOTS_OF_COSO_LAO_CAI, "CDN-GD-LCA"},
         [(units_demo.GRASSROOTS_OF_COSO_LAO_CAI, date(2022, 3, 9), "in_person", 11, 10),
          ("CDCS-SAPA-TTYT", date(2022, 3, 24), "meeting", 9, 0)],
         [("CDCS-SAPA-TTYT", 11)]),
]
H1 = (date(2022, 1, 1), date(2022, 6, 30))


def _utc(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour) - timedelta(hours=7)


def _account(member: Member, password_hash: str) -> User:
    """A login for a member who takes the quiz (attempts belong to an account); one hash for all."""
    if member.user is None:
        member.user = User(username=f"dv{member.id}", full_name=member.full_name, password_hash=password_hash)
        db.session.flush()
    return member.user


def _attempt(quiz, member: Member, number: int, finished: datetime, percent: float, rng, bank) -> Attempt:
    paper = quizzes.make_paper(rng.sample(bank, quiz.question_count), rng)
    score = round(percent * len(paper) / 100)
    attempt = Attempt(quiz=quiz, user_id=member.user.id, member_id=member.id, number=number, status=SUBMITTED,
                      started_at=finished - timedelta(minutes=rng.randint(6, 14)),
                      deadline=finished + timedelta(minutes=5), finished_at=finished, paper=paper, score=score,
                      max_score=len(paper), percent=100 * score / len(paper),
                      passed=100 * score / len(paper) >= quiz.pass_percent)
    db.session.add(attempt)
    return attempt


def _study(member: Member, lessons: list[Lesson], first_day: date, count: int, rng) -> date:
    """Open and mark ``count`` lessons in order from ``first_day``; the day of the last one."""
    day = first_day
    for lesson in lessons[:count]:
        opened = _utc(day, rng.randint(7, 21))
        db.session.add(LessonProgress(member_id=member.id, lesson_id=lesson.id, opened_at=opened,
                                      last_seen_at=opened + timedelta(minutes=25), resume_percent=100,
                                      studied_at=opened + timedelta(minutes=rng.randint(10, 30))))
        day += timedelta(days=rng.randint(0, 4))
    return day


def _seed_plan(plan: Plan, password_hash: str) -> str:
    topic = learning_topics.get_topic(plan.topic)
    quiz = quizzes.final_quiz(topic) if topic else None
    if quiz is None:
        return ""
    lessons = learning_topics.published_lessons(topic)
    if db.session.scalar(db.select(LessonProgress.id).where(LessonProgress.lesson_id.in_([x.id for x in lessons]))
                         .limit(1)) is not None:
        return f"Kết quả học tập mẫu {plan.topic}: đã có."
    rng = random.Random(2022)
    start = topic.opens_on + timedelta(days=9)
    on_time = topic.due_on - timedelta(days=1)
    bank = list(db.session.scalars(db.select(Question).where(Question.topic_id == topic.id, Question.published)
                                   .order_by(Question.id)))
    completions = {c.member_id: c for c in db.session.scalars(
        db.select(TopicCompletion).where(TopicCompletion.topic_id == topic.id))}
    studied = completed = 0
    for code, pace in plan.pace.items():
        district = unit_tree.get_unit(code)
        members = db.session.scalars(
            db.select(Member).join(Unit, Member.unit_id == Unit.id)
            .where(unit_tree.in_subtree(district), Member.user_id.is_(None))
            .order_by(Member.id)).all()
        for member in members:
            keen = member.unit.code in plan.everyone or code in plan.everyone
            done = completions.get(member.id)
            if done is not None:  # completed in the certificates demo: the lessons and the passing attempt
                _study(member, lessons, topic.opens_on + timedelta(days=31), len(lessons), rng)
                _account(member, password_hash)
                finished = done.completed_at
                attempt = _attempt(quiz, member, 1, finished, done.percent or 80.0, rng, bank)
                db.session.flush()
                done.attempt_id = attempt.id
                studied += 1
                continue
            if rng.random() > pace and not keen:
                continue
            studied += 1
            first_day = start + timedelta(days=rng.randint(0, 40 if keen else 70))
            count = len(lessons) if keen or rng.random() < 0.5 + pace / 2 else rng.randint(1, len(lessons) - 1)
            last_day = _study(member, lessons, first_day, count, rng)
            if count < len(lessons) or (rng.random() > 0.85 and not keen):
                continue
            _account(member, password_hash)
            day, number = last_day + timedelta(days=rng.randint(0, 6)), 1
            if keen:
                day = min(day, on_time)
            percent = rng.choice([70, 80, 90, 100] if keen else [50, 60, 70, 80, 80, 90, 90, 100])
            if percent < 70 and rng.random() < 0.7:  # tries again a few days later
                _attempt(quiz, member, 1, _utc(day, rng.randint(8, 21)), percent, rng, bank)
                day, number, percent = day + timedelta(days=rng.randint(1, 5)), 2, rng.choice([70, 80, 90])
            attempt = _attempt(quiz, member, number, _utc(day, rng.randint(8, 21)), percent, rng, bank)
            db.session.flush()
            if attempt.passed:
                completion = TopicCompletion(member_id=member.id, topic_id=topic.id, attempt_id=attempt.id,
                                             percent=attempt.percent, completed_at=attempt.finished_at)
                db.session.add(completion)
                db.session.flush()
                certificates.issue_for_completion(completion)
                completed += 1
    for code, day, form, attendances, listed in plan.sessions:
        unit = unit_tree.get_unit(code)
        session = StudySession(unit_id=unit.id, topic_id=topic.id, held_on=day, form=form, attendances=attendances,
                               notes=f"Hội nghị học tập, quán triệt {plan.name} (dữ liệu mẫu).")
        attendees = db.session.scalars(db.select(Member.id).where(Member.unit_id == unit.id)
                                       .order_by(Member.id).limit(listed)).all()
        session.attendees = [StudySessionMember(member_id=member_id) for member_id in attendees]
        db.session.add(session)
    for code, headcount in plan.headcounts:
        unit = unit_tree.get_unit(code)
        db.session.add(Headcount(unit_id=unit.id, period_start=H1[0], period_end=H1[1], headcount=headcount))
    db.session.flush()
    return (f"Kết quả học tập mẫu {plan.topic}: {studied} đoàn viên học, thêm {completed} người hoàn thành; "
            f"{len(plan.sessions)} buổi học tập trực tiếp; {len(plan.headcounts)} đơn vị khai báo số đoàn viên.")


def seed() -> list[str]:
    password_hash = accounts.hash_password(units_demo.DEMO_PASSWORD)
    with progress.recomputed_once():  # a flush per member: recomputing each topic once is 10 s less
        return [line for plan in PLANS if (line := _seed_plan(plan, password_hash))]
