"""The answer save a page's script makes: one statement, and every refusal still holds."""
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from accounts.models import User
from core.clock import utcnow
from core.extensions import db
from quizzes import services
from quizzes.models import Answer
from tests.test_quizzes_views import quiz, save, start  # noqa: F401  (quiz is a fixture)


def saved(attempt) -> dict[int, list[int]]:
    db.session.expire_all()
    return services.saved_answers(attempt)


def page_fields(attempt, picks: dict[int, list[int]]) -> dict:
    """What a page sends for these questions (bank ids): question_id repeated, each with its choices."""
    data = {"question_id": [services.question_key(attempt, q) for q in picks]}
    for question_id, ids in picks.items():
        data[f"choice-{services.question_key(attempt, question_id)}"] = [services.choice_key(attempt, i) for i in ids]
    return data


def save_together(client, attempt, picks: dict[int, list[int]]):
    """The script's save of several questions at once."""
    return client.post(f"/attempts/{attempt.id}/answer", data=page_fields(attempt, picks),
                       headers={"Accept": "application/json"})


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
    assert services.quick_save(attempt.id, world.member_user.id, token, {key: [choice]}, now=after_grace) is None
    assert services.quick_save(attempt.id, world.member_user.id, token, {key: [choice]}) is not None
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


def test_answers_sent_together_are_one_request_and_one_statement(quiz, login, statements):
    member = login("member")
    attempt = start(member, quiz)
    warm(member, attempt)
    entries = attempt.paper[1:4]
    statements.clear()
    response = save_together(member, attempt, {e["id"]: e["correct"] for e in entries})
    assert response.status_code == 200 and response.json["saved"] is True
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT INTO ANSWERS")
    assert {e["id"]: saved(attempt)[e["id"]] for e in entries} == {e["id"]: sorted(e["correct"]) for e in entries}


@pytest.mark.parametrize("why", ["session ended", "handed in", "another person"])
def test_a_refused_save_of_questions_sent_together_writes_none_of_them(quiz, login, world, why):
    member = login("member")
    attempt = start(member, quiz)
    first = warm(member, attempt)
    sender = member
    if why == "session ended":
        db.session.get(User, world.member_user.id).end_sessions()
        db.session.commit()
    elif why == "handed in":
        assert member.post(f"/attempts/{attempt.id}/submit").status_code == 302
    else:
        sender = login("tinh")
    response = save_together(sender, attempt, {e["id"]: e["correct"] for e in attempt.paper[1:5]})
    assert response.status_code in (302, 400, 401, 404)
    assert set(saved(attempt)) == {first["id"]}


def test_one_forged_question_among_those_sent_together_saves_none_of_them(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    first = warm(member, attempt)
    good, other = attempt.paper[1], attempt.paper[2]
    data = {"question_id": [services.question_key(attempt, good["id"]), "not-a-key"],
            f"choice-{services.question_key(attempt, good['id'])}": services.choice_key(attempt, good["correct"][0])}
    refused = member.post(f"/attempts/{attempt.id}/answer", data=data, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and "không thuộc bài làm" in refused.json["message"]
    # a choice of another question, sent with a good one: the long way refuses both
    mixed = save_together(member, attempt, {good["id"]: good["correct"][:1], other["id"]: [good["choices"][0]["id"]]})
    assert mixed.status_code == 400 and "không thuộc câu hỏi này" in mixed.json["message"]
    assert set(saved(attempt)) == {first["id"]}


def hand_in(client, attempt, picks: dict[int, list[int]]):
    """'Nộp bài' carrying answers the script had not sent yet."""
    return client.post(f"/attempts/{attempt.id}/submit", data=page_fields(attempt, picks))


def test_the_hand_in_saves_the_answers_it_carries_and_grades_them(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    warm(member, attempt)  # one right answer saved before
    carried = {e["id"]: e["correct"] for e in attempt.paper[1:3]}  # two more the script had not sent yet
    response = hand_in(member, attempt, carried)
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    db.session.refresh(attempt)
    assert attempt.status == "submitted" and attempt.score == 3


def test_answers_carried_by_a_late_hand_in_are_not_counted(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    warm(member, attempt)
    attempt.deadline = utcnow() - timedelta(seconds=services.GRACE_SECONDS + 1)
    db.session.execute(db.update(Answer).values(saved_at=attempt.deadline - timedelta(seconds=10)))  # saved in time
    db.session.commit()
    response = hand_in(member, attempt, {e["id"]: e["correct"] for e in attempt.paper[1:]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    db.session.refresh(attempt)
    assert attempt.status == "expired" and attempt.score == 1 and len(saved(attempt)) == 1


def test_a_hand_in_carrying_a_forged_answer_is_refused_and_the_attempt_stays_open(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    first = warm(member, attempt)
    good = attempt.paper[1]
    response = hand_in(member, attempt, {good["id"]: good["correct"][:1], first["id"]: [good["choices"][0]["id"]]})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt.id}")
    page = member.get(response.headers["Location"]).get_data(as_text=True)
    assert "không thuộc câu hỏi này" in page
    db.session.refresh(attempt)
    assert attempt.is_open and saved(attempt) == {first["id"]: first["correct"]}


def test_a_form_repeating_one_question_key_is_read_once_per_distinct_key():
    """Anyone signed in can send a save for any attempt id, and picks_from runs before ownership is
    checked: a key repeated n times must cost n, not n reads of n values each."""
    reads = []

    class CountingForm(MultiDict):
        def getlist(self, key, type=None):
            reads.append(key)
            return super().getlist(key, type)

    key, choice = "q" + "a" * 12, "c" + "b" * 12
    form = CountingForm([("question_id", key)] * 5000 + [(f"choice-{key}", choice)] * 5000)
    assert services.picks_from(form) == {key: [choice] * 5000}
    assert len(reads) == 2


@pytest.fixture
def keys_made(monkeypatch):
    """How many question and choice keys the process computes from here on."""
    made = {"count": 0}
    compute = services._key

    def counted(*args):
        made["count"] += 1
        return compute(*args)

    monkeypatch.setattr(services, "_key", counted)
    return made


def test_the_page_its_saves_and_its_hand_in_make_the_keys_once(quiz, login, keys_made):
    member = login("member")
    attempt = start(member, quiz)
    first, second, last = attempt.paper[0], attempt.paper[1], attempt.paper[-1]
    quick = page_fields(attempt, {first["id"]: first["correct"], second["id"]: second["correct"]})
    waiting = page_fields(attempt, {last["id"]: last["correct"]})
    keys_made["count"] = 0
    assert member.get(f"/attempts/{attempt.id}").status_code == 200
    on_the_page = sum(1 + len(entry["choices"]) for entry in attempt.paper)
    assert keys_made["count"] == on_the_page
    saved_quickly = member.post(f"/attempts/{attempt.id}/answer", data=quick, headers={"Accept": "application/json"})
    assert saved_quickly.status_code == 200
    assert member.post(f"/attempts/{attempt.id}/submit", data=waiting).status_code == 302
    assert keys_made["count"] == on_the_page
    assert saved(attempt) == {e["id"]: sorted(e["correct"]) for e in (first, second, last)}


def test_a_deadline_moved_later_is_taken_up_by_the_next_page_and_saves_stay_quick(quiz, login, statements):
    member = login("member")
    attempt = start(member, quiz)
    warm(member, attempt)
    attempt.deadline = attempt.deadline + timedelta(minutes=10)  # more time given (another server)
    db.session.commit()
    assert member.get(f"/attempts/{attempt.id}").status_code == 200
    entry = attempt.paper[1]
    statements.clear()
    response = save(member, attempt, entry, entry["correct"])
    assert response.status_code == 200 and response.json["remaining"] > 600
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT INTO ANSWERS")
