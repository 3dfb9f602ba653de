"""Nothing the browser sees tells the right choice: not the values, ids or order of the inputs.

Authors write the right choice first (or last), so its database id is the lowest (or highest)
of its question. Over many such questions, guessing by any structural feature of the page
must score at chance (25 % with four choices); the bar is 40 %, some five standard deviations
above chance with 200 questions, so a leak fails it and luck does not.
"""
import random
import re
from functools import partial
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from core.extensions import db
from learning.models import SINGLE, Choice, Question, Topic
from quizzes import services
from quizzes.models import Attempt, Quiz
from tests.conftest import Snapshot
from tests.factories import make_member, make_unit, make_user

QUESTIONS = 200
CHANCE_BAR = 0.40


def _natural(value: str):
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


STRATEGIES = {
    "lowest value": lambda choices: min(choices, key=lambda c: _natural(c["value"])),
    "highest value": lambda choices: max(choices, key=lambda c: _natural(c["value"])),
    "lowest id": lambda choices: min(choices, key=lambda c: _natural(c["id"].lstrip("c"))),
    "first shown": lambda choices: choices[0],
    "last shown": lambda choices: choices[-1],
}


def _make_bank(place: str) -> SimpleNamespace:
    rng = random.Random(15)
    topic = Topic(slug="ngan-hang-thu", title="Ngân hàng thử", kind="annual", year=2022, published=True)
    db.session.add(topic)
    for n in range(QUESTIONS):
        texts = [f"Phương án {rng.randrange(10**6)}" for _ in range(4)]
        right = 0 if place == "first" else 3
        # Added one by one, in the order written, so the ids follow it.
        db.session.add(Question(topic=topic, slug=f"cau-{n}", type=SINGLE, text=f"Câu hỏi số {n}?", position=n,
                                choices=[Choice(position=i, text=text, is_correct=i == right)
                                         for i, text in enumerate(texts)]))
        db.session.flush()
    quiz = Quiz(topic=topic, title="Kiểm tra", question_count=QUESTIONS, time_limit_seconds=6 * 3600,
                pass_percent=0, max_attempts=None, min_duration_seconds=0, one_per_page=False)
    db.session.add(quiz)
    member = make_member(make_unit("CDCS"), "Lò Thị Xuân")
    member.user = make_user("member")
    db.session.commit()
    return SimpleNamespace(quiz=quiz, member=member)


# Built once per worker (800 rows, a second) and restored for each of the file's ~20 tests.
BANKS = {place: Snapshot(partial(_make_bank, place)) for place in ("first", "last")}


@pytest.fixture(params=["first", "last"])
def bank(request, app):
    """A topic of 200 four-choice questions, each with its right choice written ``request.param``."""
    built = BANKS[request.param].restore()
    return built.quiz, built.member


class _Inputs(HTMLParser):
    """The questions of an attempt page, each with its choice inputs in the order shown."""

    def __init__(self):
        super().__init__()
        self.questions: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset" and "data-question" in attrs:
            self.questions.append({"key": attrs["data-question"], "choices": []})
        elif tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            self.questions[-1]["choices"].append({"name": attrs["name"], "value": attrs["value"], "id": attrs["id"]})


def _page_questions(client, attempt_id: int) -> list[dict]:
    parser = _Inputs()
    parser.feed(client.get(f"/attempts/{attempt_id}?view=all").get_data(as_text=True))
    assert len(parser.questions) == QUESTIONS
    return parser.questions


def _start(client, quiz) -> int:
    response = client.post(f"/learn/{quiz.topic.slug}/quiz/start")
    return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))


def _page_form(questions: list[dict], pick) -> dict:
    """The plain form of the page, every question answered with the choice ``pick`` takes."""
    data: dict = {"question_id": [question["key"] for question in questions]}
    for question in questions:
        picked = pick(question["choices"])
        data[picked["name"]] = picked["value"]
    return data


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_guessing_from_the_attempt_page_scores_at_chance(bank, login, strategy):
    quiz, _ = bank
    client = login("member")
    attempt_id = _start(client, quiz)
    data = _page_form(_page_questions(client, attempt_id), STRATEGIES[strategy])
    assert client.post(f"/attempts/{attempt_id}/answer", data=data).status_code == 302
    client.post(f"/attempts/{attempt_id}/submit")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and len(services.saved_answers(attempt)) == QUESTIONS
    assert attempt.score / QUESTIONS <= CHANCE_BAR, f"{strategy}: {attempt.score}/{QUESTIONS}"


@pytest.mark.parametrize("strategy", ["lowest value", "highest value", "first shown", "last shown"])
def test_guessing_from_the_public_paper_scores_at_chance(bank, strategy):
    quiz, member = bank
    attempt = services.start_attempt(quiz, member.user, member)
    picks = {}
    for question in services.public_paper(attempt):
        choices = [{"value": c.key, "id": c.key} for c in question.choices]
        picks[question.key] = [STRATEGIES[strategy](choices)["value"]]
    services.save_public_answers(attempt, picks)
    services.submit(attempt)
    assert attempt.score / QUESTIONS <= CHANCE_BAR, f"{strategy}: {attempt.score}/{QUESTIONS}"


def test_two_attempts_at_the_same_questions_name_them_differently(bank, login):
    quiz, _ = bank
    client = login("member")
    first = _start(client, quiz)
    first_page = _page_questions(client, first)
    client.post(f"/attempts/{first}/submit")
    second = _start(client, quiz)
    second_page = _page_questions(client, second)
    assert second != first
    keys = [{q["key"] for q in page} | {c["value"] for q in page for c in q["choices"]}
            | {c["id"] for q in page for c in q["choices"]} for page in (first_page, second_page)]
    assert not keys[0] & keys[1]
    # Neither are they the bank's ids in another dress: none is a number.
    assert not any(key.isdigit() for key in keys[0])


def test_the_state_and_a_saved_answer_speak_in_the_attempts_keys(bank, login):
    quiz, _ = bank
    client = login("member")
    attempt_id = _start(client, quiz)
    question = _page_questions(client, attempt_id)[0]
    choice = question["choices"][1]
    saved = client.post(f"/attempts/{attempt_id}/answer", headers={"Accept": "application/json"},
                        data={"question_id": question["key"], choice["name"]: choice["value"]})
    assert saved.json["saved"] is True
    assert client.get(f"/attempts/{attempt_id}/state").json["answered"] == [question["key"]]
    # Shown checked again on reload; a bank id in place of a key is refused.
    again = _page_questions(client, attempt_id)[0]
    page = client.get(f"/attempts/{attempt_id}?view=all").get_data(as_text=True)
    assert re.search(rf'id="{choice["id"]}"[^>]*checked', page) and again["key"] == question["key"]
    attempt = db.session.get(Attempt, attempt_id)
    entry = attempt.paper[0]
    forged = client.post(f"/attempts/{attempt_id}/answer", headers={"Accept": "application/json"},
                         data={"question_id": str(entry["id"]), f"choice-{entry['id']}": str(entry["correct"][0])})
    assert forged.status_code == 400


def test_saving_a_whole_page_works_out_the_attempts_keys_once(bank, login, monkeypatch):
    # A page without its script sends every question in one form: working the keys out again for
    # each question made a 200-question page take seconds of CPU (200 × 1,000 keyed hashes).
    quiz, _ = bank
    client = login("member")
    attempt_id = _start(client, quiz)
    data = _page_form(_page_questions(client, attempt_id), STRATEGIES["first shown"])
    hashed = []
    monkeypatch.setattr(services, "_key", lambda *args, real=services._key: hashed.append(args) or real(*args))
    assert client.post(f"/attempts/{attempt_id}/answer", data=data).status_code == 302
    assert len(services.saved_answers(db.session.get(Attempt, attempt_id))) == QUESTIONS
    assert len(hashed) <= QUESTIONS * 5  # each question's key and its four choices' keys, once


def test_one_question_sent_many_times_in_a_form_is_worked_out_once(bank, login, monkeypatch):
    # An attacker's form repeating a key: each repeat must not cost the attempt's keys again.
    quiz, _ = bank
    client = login("member")
    attempt_id = _start(client, quiz)
    question = _page_questions(client, attempt_id)[0]
    data = {"question_id": [question["key"]] * 500, question["choices"][1]["name"]: question["choices"][1]["value"]}
    hashed = []
    monkeypatch.setattr(services, "_key", lambda *args, real=services._key: hashed.append(args) or real(*args))
    assert client.post(f"/attempts/{attempt_id}/answer", data=data).status_code == 302
    assert len(services.saved_answers(db.session.get(Attempt, attempt_id))) == 1
    assert len(hashed) <= QUESTIONS * 5
