"""The attempt engine as services: the paper, the clock, saving, grading, closing, completion."""
import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError

from core import signals
from core.extensions import db
from learning import studying
from learning import topics as learning_topics
from quizzes import services
from quizzes.models import EXPIRED, GRADE_LAST, IN_PROGRESS, REVIEW_SCORE, SUBMITTED, Attempt, Quiz, TopicCompletion
from tests.factories import make_member, make_unit, make_user

T0 = datetime(2026, 5, 19, 1, 0, 0)  # 08:00 in Vietnam


@pytest.fixture
def setup(synced, app):
    topic = learning_topics.get_topic("chuyen-de-2022")
    quiz = Quiz(topic=topic, title="Kiểm tra", question_count=10, time_limit_seconds=600, pass_percent=70,
                max_attempts=2, min_duration_seconds=60)
    db.session.add(quiz)
    member = make_member(make_unit("S"), "Lò Thị Xuân")
    user = make_user("xuan")
    member.user = user
    db.session.commit()
    return quiz, user, member


def study_all(member, topic):
    for lesson in learning_topics.published_lessons(topic):
        studying.open_lesson(member, lesson, now=T0 - timedelta(days=1))
        studying.mark_studied(member, lesson, now=T0 - timedelta(hours=1))


def answer_right(attempt, count, now):
    for entry in attempt.paper[:count]:
        services.save_answer(attempt, entry["id"], entry["correct"], now=now)


def test_lessons_come_before_the_quiz(setup):
    quiz, user, member = setup
    with pytest.raises(services.QuizError, match="Hãy học xong các bài học"):
        services.start_attempt(quiz, user, member, now=T0)
    with pytest.raises(services.QuizError, match="Chỉ đoàn viên"):
        services.start_attempt(quiz, make_user("editor"), None, now=T0)


def test_starting_freezes_the_paper_and_the_deadline(setup):
    quiz, user, member = setup
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0, rng=random.Random(1))
    assert attempt.deadline == T0 + timedelta(seconds=600)
    assert len(attempt.paper) == 10 and len({e["id"] for e in attempt.paper}) == 10
    assert all(entry["correct"] for entry in attempt.paper)
    # starting again (a second tab) gives the same attempt
    assert services.start_attempt(quiz, user, member, now=T0 + timedelta(seconds=30)) is attempt
    # the deadline never runs past the quiz's close
    services.submit(attempt, now=T0 + timedelta(minutes=2))
    quiz.closes_at = T0 + timedelta(minutes=5)
    second = services.start_attempt(quiz, user, member, now=T0 + timedelta(minutes=3))
    assert second.deadline == quiz.closes_at and second.number == 2


def test_balanced_draw_takes_from_every_lesson(setup):
    quiz, user, member = setup
    quiz.balance_lessons = True
    quiz.question_count = 12
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0)
    per_lesson = {}
    for entry in attempt.paper:
        per_lesson[entry["lesson_id"]] = per_lesson.get(entry["lesson_id"], 0) + 1
    assert sorted(per_lesson.values()) == [2] * 6


def test_answers_are_checked_against_the_attempt(setup):
    quiz, user, member = setup
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0)
    first, second = attempt.paper[0], attempt.paper[1]
    with pytest.raises(services.QuizError, match="không thuộc bài làm"):
        services.save_answer(attempt, 999999, [], now=T0)
    with pytest.raises(services.QuizError, match="không thuộc câu hỏi này"):
        services.save_answer(attempt, first["id"], [second["choices"][0]["id"]], now=T0)
    single = next(e for e in attempt.paper if e["type"] != "multiple")
    with pytest.raises(services.QuizError, match="chỉ chọn một"):
        services.save_answer(attempt, single["id"], [c["id"] for c in single["choices"][:2]], now=T0)
    services.save_answer(attempt, first["id"], [first["choices"][0]["id"]], now=T0)
    services.save_answer(attempt, first["id"], [first["choices"][1]["id"]], now=T0 + timedelta(seconds=1))
    assert services.saved_answers(attempt) == {first["id"]: [first["choices"][1]["id"]]}


def test_a_late_answer_is_refused_and_the_attempt_closes_at_its_deadline(setup):
    quiz, user, member = setup
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0)
    answer_right(attempt, 8, T0 + timedelta(minutes=5))
    last = attempt.paper[9]
    # within the grace: still counted
    services.save_answer(attempt, last["id"], last["correct"], now=attempt.deadline + timedelta(seconds=3))
    with pytest.raises(services.TooLate):
        services.save_answer(attempt, attempt.paper[8]["id"], attempt.paper[8]["correct"],
                             now=attempt.deadline + timedelta(seconds=6))
    assert attempt.status == EXPIRED and attempt.finished_at == attempt.deadline
    assert attempt.score == 9 and attempt.percent == 90.0 and attempt.passed


def test_the_sweep_closes_forgotten_attempts_at_their_deadline_and_is_safe_to_repeat(setup):
    quiz, user, member = setup
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0)
    answer_right(attempt, 7, T0 + timedelta(minutes=1))
    assert services.close_expired(now=T0 + timedelta(minutes=9)) == 0
    sweep = T0 + timedelta(hours=3)
    assert services.close_expired(now=sweep) == 1
    assert services.close_expired(now=sweep) == 0
    assert (attempt.status, attempt.finished_at, attempt.score) == (EXPIRED, attempt.deadline, 7)
    assert attempt.passed  # 70% is the pass mark


def test_submitting_twice_gives_one_result(setup):
    quiz, user, member = setup
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0)
    answer_right(attempt, 5, T0 + timedelta(minutes=2))
    first = services.submit(attempt, now=T0 + timedelta(minutes=3))
    answer_time = first.finished_at
    services.submit(attempt, now=T0 + timedelta(minutes=4))
    services.finish(attempt, now=T0 + timedelta(minutes=5), status=EXPIRED)
    assert (attempt.status, attempt.finished_at, attempt.score) == (SUBMITTED, answer_time, 5)
    with pytest.raises(services.QuizError, match="đã nộp"):
        services.save_answer(attempt, attempt.paper[6]["id"], attempt.paper[6]["correct"],
                             now=T0 + timedelta(minutes=4))


def test_attempts_are_limited_and_graded_by_best_or_last(setup):
    quiz, user, member = setup
    study_all(member, quiz.topic)
    first = services.start_attempt(quiz, user, member, now=T0)
    answer_right(first, 9, T0 + timedelta(minutes=1))
    services.submit(first, now=T0 + timedelta(minutes=2))
    second = services.start_attempt(quiz, user, member, now=T0 + timedelta(minutes=3))
    answer_right(second, 4, T0 + timedelta(minutes=4))
    services.submit(second, now=T0 + timedelta(minutes=5))
    assert services.graded_attempt(quiz, user) == first
    quiz.grading = GRADE_LAST
    assert services.graded_attempt(quiz, user) == second
    with pytest.raises(services.QuizError, match="hết 2 lượt"):
        services.start_attempt(quiz, user, member, now=T0 + timedelta(minutes=6))


def test_a_short_attempt_is_flagged(setup):
    quiz, user, member = setup
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0)
    answer_right(attempt, 10, T0 + timedelta(seconds=20))
    services.submit(attempt, now=T0 + timedelta(seconds=30))
    assert attempt.flagged_short


def test_passing_completes_the_topic_once_and_tells_listeners(setup):
    quiz, user, member = setup
    heard = []

    def listener(completion):
        heard.append(completion)

    signals.topic_completed.connect(listener)
    try:
        study_all(member, quiz.topic)
        attempt = services.start_attempt(quiz, user, member, now=T0)
        answer_right(attempt, 7, T0 + timedelta(minutes=3))
        services.submit(attempt, now=T0 + timedelta(minutes=4))
    finally:
        signals.topic_completed.disconnect(listener)
    record = db.session.scalars(db.select(TopicCompletion)).one()
    assert (record.member_id, record.topic_id, record.completed_at, record.percent) == \
        (member.id, quiz.topic_id, T0 + timedelta(minutes=4), 70.0)
    assert heard == [record]
    status = services.quiz_status(member, quiz.topic, user, now=T0 + timedelta(minutes=5))
    assert status.completion == record and status.counted == attempt


def test_review_follows_the_policy(setup):
    quiz, user, member = setup
    quiz.review_after_submit = REVIEW_SCORE
    quiz.closes_at = T0 + timedelta(days=1)
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0)
    assert services.review_level(attempt, now=T0) == services.NO_REVIEW
    services.submit(attempt, now=T0 + timedelta(minutes=1))
    assert services.review_level(attempt, now=T0 + timedelta(minutes=2)) == services.SCORE_ONLY
    assert services.review_level(attempt, now=T0 + timedelta(days=2)) == services.FULL_REVIEW


def test_an_open_attempt_is_unique_in_the_database(setup):
    quiz, user, member = setup
    study_all(member, quiz.topic)
    attempt = services.start_attempt(quiz, user, member, now=T0)
    twin = Attempt(quiz=quiz, user_id=user.id, number=2, status=IN_PROGRESS, started_at=T0,
                   deadline=attempt.deadline, paper=[], max_score=0)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# -- grading, property-based ----------------------------------------------------------------

@st.composite
def papers(draw):
    entries = []
    for number in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["single", "multiple", "true_false"]))
        size = 2 if kind == "true_false" else draw(st.integers(2, 6))
        ids = [number * 10 + i for i in range(size)]
        correct = draw(st.lists(st.sampled_from(ids), min_size=2 if kind == "multiple" and size > 2 else 1,
                                max_size=size if kind == "multiple" else 1, unique=True))
        entries.append({"id": number, "type": kind, "choices": [{"id": i} for i in ids], "correct": sorted(correct)})
    return entries


@st.composite
def answered(draw):
    paper = draw(papers())
    answers = {}
    for entry in paper:
        if draw(st.booleans()):
            ids = [c["id"] for c in entry["choices"]]
            picked = draw(st.lists(st.sampled_from(ids), max_size=len(ids), unique=True))
            late = draw(st.booleans())
            answers[entry["id"]] = (picked, T0 + timedelta(seconds=5 if late else -5))
    return paper, answers


@settings(max_examples=200, deadline=None)
@given(answered(), st.randoms())
def test_grading_properties(case, rng):
    paper, answers = case
    score = services.grade(paper, answers, T0)
    assert 0 <= score <= len(paper)
    # shuffling the questions, or the picked ids, never changes the score
    shuffled = paper[:]
    rng.shuffle(shuffled)
    reordered = {q: (rng.sample(picked, len(picked)), at) for q, (picked, at) in answers.items()}
    assert services.grade(shuffled, reordered, T0) == score
    # late answers never count: dropping them changes nothing
    on_time = {q: a for q, a in answers.items() if a[1] <= T0}
    assert services.grade(paper, on_time, T0) == score
    # answering everything right gives full marks
    assert services.grade(paper, {e["id"]: (e["correct"], T0) for e in paper}, T0) == len(paper)
