"""member_topics kept current through the real write paths: a member reads, takes the quiz, completes,
gets a certificate that is later revoked; an editor publishes a lesson; the sweep closes an attempt.
After each step the row is what it should be and equals the row rebuilt from scratch."""
from datetime import date, datetime, timedelta

import pytest

from certificates import services as certificates
from certificates.models import Issuer
from core.extensions import db
from learning import editing, studying
from learning import topics as learning_topics
from quizzes import services as quizzes
from quizzes.models import Quiz
from reports import progress, services
from reports.models import MemberTopic
from tests import member_topics
from tests.factories import make_member, make_unit, make_user
from units import importing
from units import members as unit_members
from units import tree as unit_tree

T0 = datetime(2026, 3, 2, 2, 0)  # 09:00 in Vietnam


@pytest.fixture
def setup(synced, app):
    topic = learning_topics.get_topic("chuyen-de-2022")
    quiz = Quiz(topic=topic, title="Kiểm tra", question_count=10, time_limit_seconds=600, pass_percent=70,
                max_attempts=3, min_duration_seconds=0)
    unit = make_unit("S")
    db.session.add_all([quiz, Issuer(unit_id=unit.id, body_lines="Liên đoàn", place="Lai Châu",
                                     signer_title="Chủ tịch", signer_name="Nguyễn Văn A")])
    member = make_member(unit, "Lò Thị Xuân")
    member.user = make_user("xuan")
    db.session.commit()
    return topic, quiz, member


def row(member, topic) -> MemberTopic | None:
    db.session.flush()
    return db.session.scalar(db.select(MemberTopic).filter_by(member_id=member.id, topic_id=topic.id)
                             .execution_options(populate_existing=True))


def take(quiz, member, right: int, now: datetime):
    attempt = quizzes.start_attempt(quiz, member.user, member, now=now)
    for entry in attempt.paper[:right]:
        quizzes.save_answer(attempt, entry["id"], entry["correct"], now=now + timedelta(minutes=1))
    return quizzes.submit(attempt, now=now + timedelta(minutes=5))


def test_each_step_of_a_member_is_kept_as_it_happens(setup):
    topic, quiz, member = setup
    lessons = learning_topics.published_lessons(topic)
    assert row(member, topic) is None

    studying.open_lesson(member, lessons[0], now=T0)
    assert (row(member, topic).started_at, row(member, topic).studied_all_at) == (T0, None)
    studying.save_place(member, lessons[0], "muc-1", 50, now=T0 + timedelta(minutes=1))  # not a step
    assert row(member, topic).started_at == T0
    member_topics.assert_rebuild_the_same()

    last = T0
    for n, lesson in enumerate(lessons):
        studying.open_lesson(member, lesson, now=T0 + timedelta(hours=n))
        last = T0 + timedelta(hours=n, minutes=30)
        studying.mark_studied(member, lesson, now=last)
    assert row(member, topic).studied_all_at == last
    member_topics.assert_rebuild_the_same()

    first = take(quiz, member, 5, T0 + timedelta(days=1))  # 50%: not passed; closed by the guarded UPDATE
    kept = row(member, topic)
    assert (kept.first_finished_at, kept.first_percent, kept.passed_at) == (first.finished_at, 50.0, None)
    passing = take(quiz, member, 9, T0 + timedelta(days=2))
    kept = row(member, topic)
    assert (kept.first_percent, kept.passed_at, kept.completed_at) == (50.0, passing.finished_at, passing.finished_at)
    assert kept.certified_on == date(2026, 3, 4) and kept.certificate_revoked_at is None
    take(quiz, member, 10, T0 + timedelta(days=3))  # a better score later moves none of the steps
    assert (row(member, topic).first_percent, row(member, topic).passed_at) == (50.0, passing.finished_at)
    member_topics.assert_rebuild_the_same()

    certificate = certificates.completion_certificate(member.id, topic.id)
    certificates.revoke(certificate, None, "Cấp nhầm người", now=T0 + timedelta(days=4))
    assert row(member, topic).certificate_revoked_at == T0 + timedelta(days=4)
    member_topics.assert_rebuild_the_same()
    db.session.commit()


def test_a_new_published_lesson_changes_who_has_studied_every_lesson(setup):
    topic, _, member = setup
    for n, lesson in enumerate(learning_topics.published_lessons(topic)):
        studying.open_lesson(member, lesson, now=T0)
        studying.mark_studied(member, lesson, now=T0 + timedelta(hours=n + 1))
    studied_all = row(member, topic).studied_all_at
    assert studied_all is not None
    extra = editing.create_lesson(topic, "bai-bo-sung", editing.LessonData(title="Bài bổ sung", body_md="Nội dung."))
    editing.set_lesson_published(extra, True)
    assert row(member, topic).studied_all_at is None
    editing.set_lesson_published(extra, False)
    assert row(member, topic).studied_all_at == studied_all
    member_topics.assert_rebuild_the_same()
    db.session.commit()


def test_the_sweep_closing_an_attempt_counts_as_a_first_attempt(setup):
    topic, quiz, member = setup
    for lesson in learning_topics.published_lessons(topic):
        studying.open_lesson(member, lesson, now=T0)
        studying.mark_studied(member, lesson, now=T0 + timedelta(hours=1))
    attempt = quizzes.start_attempt(quiz, member.user, member, now=T0 + timedelta(days=1))
    assert row(member, topic).first_finished_at is None
    quizzes.close_expired(now=attempt.deadline + timedelta(hours=1))
    assert (row(member, topic).first_finished_at, row(member, topic).first_percent) == (attempt.deadline, 0.0)
    member_topics.assert_rebuild_the_same()


def test_the_report_reads_the_steps_in_the_period_they_happened(setup):
    """Each step counts once, in the period it was first reached: adjoining periods add up."""
    topic, quiz, member = setup
    lessons = learning_topics.published_lessons(topic)
    studying.open_lesson(member, lessons[0], now=datetime(2026, 3, 31, 10))      # started in Q1
    for lesson in lessons:
        studying.open_lesson(member, lesson, now=datetime(2026, 4, 2, 1))
        studying.mark_studied(member, lesson, now=datetime(2026, 4, 2, 3))       # studied all in Q2
    take(quiz, member, 5, datetime(2026, 4, 3, 1))                              # first attempt, 50%, in Q2
    take(quiz, member, 10, datetime(2026, 7, 1, 1))                             # passed and completed in Q3
    unit = member.unit
    quarters = [services.Period.custom(date(2026, 1, 1), date(2026, 3, 31)),
                services.Period.custom(date(2026, 4, 1), date(2026, 6, 30)),
                services.Period.custom(date(2026, 7, 1), date(2026, 9, 30))]
    figures = [services.completion_report(unit, topic, quarter).total for quarter in quarters]
    assert [(f.started, f.studied_all, f.passed, f.completed, f.scored) for f in figures] == [
        (1, 0, 0, 0, 0), (0, 1, 0, 0, 1), (0, 0, 1, 1, 0)]
    assert figures[1].average_first_score == 50.0
    year = services.completion_report(unit, topic, services.Period.custom(date(2026, 1, 1), date(2026, 12, 31)))
    assert (year.total.started, year.total.studied_all, year.total.passed, year.total.completed) == (1, 1, 1, 1)
    # Where the member stood at the end of each quarter, and their best score within it.
    statuses = [services.member_statuses(unit, topic, quarter)[0] for quarter in quarters]
    assert [s.status for s in statuses] == [services.STUDYING, services.STUDIED_ALL, services.COMPLETED]
    assert [s.best_score for s in statuses] == [None, 50.0, 100.0]
    assert [s.lessons_studied for s in statuses] == [0, len(lessons), len(lessons)]


def test_a_members_rows_follow_them_to_another_unit(setup, tmp_path):
    """A move, an import and a merge each take the member's row along: the report sums rows by unit."""
    topic, _, member = setup
    studying.open_lesson(member, learning_topics.published_lessons(topic)[0], now=T0)
    first, second, third = member.unit, make_unit("T"), make_unit("U")
    member.card_number = "LC1"
    db.session.commit()
    year = services.Period.custom(date(2026, 1, 1), date(2026, 12, 31))

    unit_members.move_member(member, second, on=date(2026, 3, 3))
    assert row(member, topic).unit_id == second.id

    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên,Mã đơn vị,Số thẻ đoàn viên\nLò Thị Xuân,U,LC1\n", encoding="utf-8")
    result = importing.import_members(path, "ds.csv", make_user("admin", "admin"))
    db.session.commit()
    assert result.updated == 1 and row(member, topic).unit_id == third.id  # moved by a bulk UPDATE
    member_topics.assert_rebuild_the_same()

    unit_tree.merge_unit(third, second)
    assert row(member, topic).unit_id == second.id
    assert [services.completion_report(unit, topic, year).total.started for unit in (first, second, third)] == [
        0, 1, 0]
    member_topics.assert_rebuild_the_same()


def test_the_rebuild_command(setup, app):
    topic, _, member = setup
    studying.open_lesson(member, learning_topics.published_lessons(topic)[0], now=T0)
    db.session.commit()
    db.session.execute(db.delete(MemberTopic))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reports", "rebuild-progress", "--topic", topic.slug])
    assert result.exit_code == 0, result.output
    assert "Đã tính lại 1 dòng." in result.output
    assert row(member, topic).started_at == T0
    missing = app.test_cli_runner().invoke(args=["reports", "rebuild-progress", "--topic", "khong-co"])
    assert missing.exit_code != 0 and "Không có chuyên đề khong-co" in missing.output
    assert progress.rebuild() == 1


def test_a_loader_recomputes_each_topic_once_at_the_end_and_keeps_the_same_rows(setup):
    topic, quiz, member = setup
    lessons = learning_topics.published_lessons(topic)
    with progress.recomputed_once():
        for lesson in lessons:
            with progress.recomputed_once():  # a loader calling another: the outer block's end recomputes
                studying.open_lesson(member, lesson, now=T0)
            studying.mark_studied(member, lesson, now=T0 + timedelta(hours=1))
        assert row(member, topic) is None  # the flushes inside only noted the topic
    assert row(member, topic).studied_all_at == T0 + timedelta(hours=1)
    member_topics.assert_rebuild_the_same()

    with pytest.raises(RuntimeError), progress.recomputed_once():
        raise RuntimeError("a loader that fails")
    passing = take(quiz, member, 9, T0 + timedelta(days=1))  # after the block, each flush recomputes again
    assert row(member, topic).passed_at == passing.finished_at
    member_topics.assert_rebuild_the_same()


def test_the_demo_seeded_with_one_recompute_a_topic_keeps_the_rows_a_rebuild_makes(demo):
    assert db.session.scalar(db.select(db.func.count()).select_from(MemberTopic)) > 200
    member_topics.assert_rebuild_the_same()
