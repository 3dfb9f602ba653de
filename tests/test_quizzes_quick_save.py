"""The answer save a page's script makes: one statement, and every refusal still holds."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from accounts.models import User
from core.extensions import db
from quizzes import services
from quizzes.models import Answer
from tests.test_quizzes_views import quiz, save, start  # noqa: F401  (quiz is a fixture)


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    yield seen
    event.remove(engine, "before_cursor_execute", on_execute)


def saved(attempt) -> dict[int, list[int]]:
    db.session.expire_all()
    return services.saved_answers(attempt)


def warm(member, attempt):
    """A first save: this process now knows the attempt's keys."""
    entry = attempt.paper[0]
    assert save(member, attempt, entry, entry["correct"]).status_code == 200
    return entry


def test_a_script_save_is_one_statement_without_loading_the_user(quiz, login, statements):
    member = login("member")
    attempt = start(member, quiz)
    warm(member, attempt)
    entry = attempt.paper[1]
    statements.clear()
    response = save(member, attempt, entry, entry["correct"][:1])
    assert response.status_code == 200 and response.json["saved"] is True
    assert 590 <= response.json["remaining"] <= 600
    assert len(statements) == 1, " ## ".join(" ".join(s.split())[:150] for s in statements)
    assert statements[0].lstrip().upper().startswith("INSERT INTO ANSWERS")
    assert saved(attempt)[entry["id"]] == entry["correct"][:1]


def test_a_save_after_the_session_ended_elsewhere_is_refused(quiz, login, world):
    member = login("member")
    attempt = start(member, quiz)
    first = warm(member, attempt)
    db.session.get(User, world.member_user.id).end_sessions()  # "log out everywhere", a new password
    db.session.commit()
    response = save(member, attempt, attempt.paper[1], attempt.paper[1]["correct"])
    assert response.status_code in (302, 401)
    assert set(saved(attempt)) == {first["id"]}


@pytest.mark.parametrize("change", ["disabled", "must_change_password"])
def test_a_save_by_an_account_that_may_no_longer_act_is_refused(quiz, login, world, change):
    member = login("member")
    attempt = start(member, quiz)
    first = warm(member, attempt)
    user = db.session.get(User, world.member_user.id)
    if change == "disabled":
        user.is_enabled = False
    else:
        user.must_change_password = True
    db.session.commit()
    response = save(member, attempt, attempt.paper[1], attempt.paper[1]["correct"])
    assert response.status_code in (302, 401)
    if change == "must_change_password":
        assert response.headers["Location"].endswith("/accounts/password")
    assert set(saved(attempt)) == {first["id"]}


def test_another_person_cannot_save_into_an_attempt_this_process_knows(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    first = warm(member, attempt)
    other = login("tinh")
    entry = attempt.paper[1]
    assert save(other, attempt, entry, entry["correct"]).status_code == 404
    assert set(saved(attempt)) == {first["id"]}


def test_a_handed_in_attempt_refuses_a_save_this_process_knows(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    warm(member, attempt)
    assert member.post(f"/attempts/{attempt.id}/submit").status_code == 302
    response = save(member, attempt, attempt.paper[1], attempt.paper[1]["correct"])
    assert response.status_code == 400 and "đã nộp" in response.json["message"]
    assert attempt.paper[1]["id"] not in saved(attempt)


def test_refused_choices_go_the_long_way_and_say_why(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    first = warm(member, attempt)
    single = next(e for e in attempt.paper if e["type"] != "multiple")
    two = save(member, attempt, single, [c["id"] for c in single["choices"][:2]])
    assert two.status_code == 400 and "chỉ chọn một đáp án" in two.json["message"]
    other = next(e for e in attempt.paper if e["id"] != first["id"])
    foreign = save(member, attempt, first, [other["choices"][0]["id"]])
    assert foreign.status_code == 400 and "không thuộc câu hỏi này" in foreign.json["message"]
    assert saved(attempt) == {first["id"]: first["correct"]}


def test_the_quick_save_leaves_a_late_answer_to_the_long_way(quiz, login, world):
    member = login("member")
    attempt = start(member, quiz)
    warm(member, attempt)
    entry = attempt.paper[1]
    key = services.question_key(attempt, entry["id"])
    choice = services.choice_key(attempt, entry["correct"][0])
    token = db.session.get(User, world.member_user.id).session_token
    after_grace = attempt.deadline + timedelta(seconds=services.GRACE_SECONDS + 1)
    assert services.quick_save(attempt.id, world.member_user.id, token, key, [choice], now=after_grace) is None
    assert services.quick_save(attempt.id, world.member_user.id, token, key, [choice]) is not None
    db.session.commit()
    row = db.session.scalars(db.select(Answer).filter_by(attempt_id=attempt.id, question_id=entry["id"])).one()
    assert row.choice_ids == [entry["correct"][0]]


def test_a_moved_deadline_is_not_taken_from_what_the_process_remembers(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    warm(member, attempt)
    attempt.deadline = attempt.deadline - timedelta(minutes=30)  # closed in the meantime (another server)
    db.session.commit()
    late = save(member, attempt, attempt.paper[1], attempt.paper[1]["correct"])
    assert late.status_code == 409
