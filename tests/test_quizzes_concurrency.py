"""Two tabs at once, for real: separate threads, sessions and database connections."""
import threading
from datetime import timedelta

import pytest

from accounts.models import User
from core.clock import utcnow
from core.extensions import db
from learning import studying
from learning import topics as learning_topics
from quizzes import services
from quizzes.models import Attempt, Quiz, TopicCompletion
from tests.factories import make_member, make_unit, make_user
from units.models import Member


@pytest.fixture
def ready(synced, app):
    topic = learning_topics.get_topic("chuyen-de-2022")
    quiz = Quiz(topic=topic, title="Kiểm tra", question_count=5, time_limit_seconds=600, pass_percent=0,
                max_attempts=None, min_duration_seconds=0)
    db.session.add(quiz)
    member = make_member(make_unit("S"), "Lò Thị Xuân")
    member.user = make_user("xuan")
    for lesson in learning_topics.published_lessons(topic):
        studying.open_lesson(member, lesson, now=utcnow() - timedelta(hours=1))
        studying.mark_studied(member, lesson)
    db.session.commit()
    return app, quiz.id, member.id


def run_together(app, action, count=2):
    """Run ``action`` in ``count`` threads that start together; return what each returned."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def worker(slot):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[slot] = action()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def _load(quiz_id, member_id):
    member = db.session.get(Member, member_id)
    return db.session.get(Quiz, quiz_id), db.session.get(User, member.user_id), member


def test_two_tabs_starting_at_once_share_one_attempt(ready):
    app, quiz_id, member_id = ready

    def start():
        quiz, user, member = _load(quiz_id, member_id)
        return services.start_attempt(quiz, user, member).id

    first, second = run_together(app, start)
    assert first == second
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 1


def test_two_tabs_submitting_at_once_give_one_result(ready):
    app, quiz_id, member_id = ready
    quiz, user, member = _load(quiz_id, member_id)
    attempt = services.start_attempt(quiz, user, member)
    for entry in attempt.paper[:3]:
        services.save_answer(attempt, entry["id"], entry["correct"])
    db.session.commit()
    attempt_id = attempt.id

    def submit():
        mine = db.session.get(Attempt, attempt_id)
        services.submit(mine)
        return (mine.status, mine.score, mine.finished_at)

    first, second = run_together(app, submit)
    assert first == second and first[1] == 3
    assert db.session.scalar(db.select(db.func.count(TopicCompletion.id))) == 1


def test_racing_starts_and_submits_never_pass_the_try_limit(ready):
    app, quiz_id, member_id = ready
    quiz = db.session.get(Quiz, quiz_id)
    quiz.max_attempts = 2
    db.session.commit()

    def start_then_submit():
        quiz, user, member = _load(quiz_id, member_id)
        try:
            attempt = services.start_attempt(quiz, user, member)
        except services.QuizError as refusal:
            return str(refusal)
        services.submit(attempt)
        return attempt.number

    results = run_together(app, start_then_submit, count=8)
    numbers = db.session.scalars(db.select(Attempt.number).where(Attempt.quiz_id == quiz_id)).all()
    assert sorted(numbers) == [1, 2]
    assert set(results) <= {1, 2, "Bạn đã dùng hết 2 lượt làm bài."}, results


def test_two_tabs_saving_the_same_questions_in_opposite_orders_never_deadlock(ready):
    """Each save writes its questions in one statement; two of them taking the rows' locks in opposite
    orders would wait for each other, and PostgreSQL would end one with an error."""
    app, quiz_id, member_id = ready
    quiz, user, member = _load(quiz_id, member_id)
    attempt = services.start_attempt(quiz, user, member)
    db.session.commit()
    attempt_id, entries = attempt.id, attempt.paper

    def save_many(order):
        def save():
            for _ in range(300):
                mine = db.session.get(Attempt, attempt_id)
                services.save_answers(mine, {e["id"]: e["correct"] for e in order})
                db.session.commit()
        return save

    turns = iter([save_many(entries), save_many(entries[::-1])] * 2)
    run_together(app, lambda: next(turns)(), count=4)
    assert set(services.saved_answers(db.session.get(Attempt, attempt_id))) == {e["id"] for e in entries}
