"""Taking a quiz through the test client: every refusal, and no answer leaks before review."""
import re
from datetime import timedelta

import pytest

from core.clock import utcnow
from core.extensions import db
from learning import studying
from learning import topics as learning_topics
from learning.models import LessonProgress
from quizzes import services
from quizzes.models import EXPIRED, REVIEW_EACH_TRY, REVIEW_SCORE, Attempt, Quiz


@pytest.fixture
def quiz(synced, world):
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, world.province)
    quiz = Quiz(topic=topic, title="Bài kiểm tra cuối chuyên đề", question_count=5, time_limit_seconds=600,
                pass_percent=60, max_attempts=2, min_duration_seconds=0)
    db.session.add(quiz)
    for lesson in learning_topics.published_lessons(topic):
        studying.open_lesson(world.member_a, lesson, now=utcnow() - timedelta(hours=2))
        studying.mark_studied(world.member_a, lesson)
    db.session.commit()
    return quiz


def start(client, quiz) -> Attempt:
    response = client.post(f"/learn/{quiz.topic.slug}/quiz/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    attempt_id = int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))
    return db.session.get(Attempt, attempt_id)


def secrets_of(attempt) -> list[str]:
    """Strings that must not reach the browser while the attempt is open."""
    found = []
    for entry in attempt.paper:
        found.append('"correct"')
        if entry["explanation"]:
            found.append(entry["explanation"][:60])
    return found


def save(client, attempt, entry, ids, json_=True):
    """Save through the page's form fields, which name the question and choices by the attempt's keys."""
    question = services.question_key(attempt, entry["id"])
    data = {"question_id": question, f"choice-{question}": [services.choice_key(attempt, i) for i in ids]}
    headers = {"Accept": "application/json"} if json_ else {}
    return client.post(f"/attempts/{attempt.id}/answer", data=data, headers=headers)


def test_the_whole_attempt_through_the_client_leaks_nothing(quiz, login):
    member = login("member")
    landing = member.get(f"/learn/{quiz.topic.slug}/quiz").get_data(as_text=True)
    assert "Bắt đầu làm bài (còn 2 lượt)" in landing
    attempt = start(member, quiz)
    pages = [member.get(f"/attempts/{attempt.id}?q={n}").get_data(as_text=True) for n in range(1, 6)]
    pages.append(member.get(f"/attempts/{attempt.id}?view=all").get_data(as_text=True))
    state = member.get(f"/attempts/{attempt.id}/state")
    saved = save(member, attempt, attempt.paper[0], attempt.paper[0]["correct"])
    for body in pages + [state.get_data(as_text=True), saved.get_data(as_text=True)]:
        for secret in secrets_of(attempt):
            assert secret not in body
        assert "is_correct" not in body and "(đáp án đúng)" not in body
    assert saved.json == {"saved": True, "remaining": pytest.approx(600, abs=5)}
    assert state.json["status"] == "in_progress" and 590 <= state.json["remaining"] <= 600
    all_page = pages[-1]
    for entry in attempt.paper:
        assert entry["text"] in all_page
    assert 'data-remaining="' in all_page


def test_the_countdown_comes_from_the_server_on_every_load(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    attempt.deadline = utcnow() + timedelta(seconds=125)  # as if started earlier, in another tab
    db.session.commit()
    page = member.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    remaining = int(re.search(r'data-remaining="(\d+)"', page).group(1))
    assert 120 <= remaining <= 125 and "2:0" in page


def test_forged_ids_are_refused(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    first, second = attempt.paper[0], attempt.paper[1]
    assert save(member, attempt, {"id": 424242}, []).status_code == 400
    bad = save(member, attempt, first, [second["choices"][0]["id"]])
    assert bad.status_code == 400 and "không thuộc câu hỏi này" in bad.json["message"]
    junk = member.post(f"/attempts/{attempt.id}/answer", data={"question_id": "abc"},
                       headers={"Accept": "application/json"})
    assert junk.status_code == 400
    assert services.saved_answers(attempt) == {}


def test_another_persons_attempt_is_404(quiz, login, world):
    attempt = start(login("member"), quiz)
    other = login("tinh")
    for url in (f"/attempts/{attempt.id}", f"/attempts/{attempt.id}/state", f"/attempts/{attempt.id}/result"):
        assert other.get(url).status_code == 404
    assert other.post(f"/attempts/{attempt.id}/submit").status_code == 404
    assert save(other, attempt, attempt.paper[0], attempt.paper[0]["correct"]).status_code == 404


def test_a_late_answer_is_refused_with_a_clear_message_and_the_attempt_is_graded(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    entry = attempt.paper[0]
    assert save(member, attempt, entry, entry["correct"]).status_code == 200
    # wind the clock on: the attempt started 10 minutes ago and that answer came in time
    attempt.started_at -= timedelta(minutes=10)
    attempt.deadline = utcnow() - timedelta(seconds=30)
    for row in attempt.answers:
        row.saved_at = attempt.deadline - timedelta(minutes=1)
    db.session.commit()
    late = save(member, attempt, attempt.paper[1], attempt.paper[1]["correct"])
    assert late.status_code == 409 and "Đã hết giờ làm bài" in late.json["message"]
    assert late.json["status"] == "expired"
    db.session.refresh(attempt)
    assert attempt.score == 1 and attempt.finished_at == attempt.deadline
    # the plain form gets the same refusal as a flashed message on the result page
    page = save(member, attempt, entry, entry["correct"], json_=False)
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/attempts/{attempt.id}/result")


def test_reloading_after_zero_shows_the_result(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    attempt.deadline = utcnow() - timedelta(seconds=10)
    db.session.commit()
    response = member.get(f"/attempts/{attempt.id}", follow_redirects=True)
    assert "tự nộp khi hết giờ" in response.get_data(as_text=True)


def test_double_submit_gives_one_result(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    save(member, attempt, attempt.paper[0], attempt.paper[0]["correct"])
    first = member.post(f"/attempts/{attempt.id}/submit")
    finished = db.session.get(Attempt, attempt.id).finished_at
    second = member.post(f"/attempts/{attempt.id}/submit")
    assert first.headers["Location"] == second.headers["Location"]
    db.session.refresh(attempt)
    assert attempt.finished_at == finished and attempt.score == 1
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 1


def test_too_many_attempts_are_refused(quiz, login):
    member = login("member")
    for _ in range(2):
        attempt = start(member, quiz)
        member.post(f"/attempts/{attempt.id}/submit")
    response = member.post(f"/learn/{quiz.topic.slug}/quiz/start", follow_redirects=True)
    assert "Bạn đã dùng hết 2 lượt làm bài." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 2


def test_the_plain_form_saves_every_question_of_the_page(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    data = {"question_id": [services.question_key(attempt, e["id"]) for e in attempt.paper], "go": "1"}
    for entry in attempt.paper:
        data[f"choice-{services.question_key(attempt, entry['id'])}"] = [services.choice_key(attempt, i)
                                                                           for i in entry["correct"]]
    response = member.post(f"/attempts/{attempt.id}/answer", data=data)
    assert response.status_code == 302
    assert len(services.saved_answers(attempt)) == 5
    member.post(f"/attempts/{attempt.id}/submit")
    result = member.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "5/5 câu đúng" in result and "Đạt" in result
    assert "Chúc mừng! Bạn đã hoàn thành chuyên đề" in result
    assert "Đã hoàn thành lúc" in member.get("/learn/").get_data(as_text=True)


def test_a_page_with_one_forged_question_saves_none_of_it(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    keys = [services.question_key(attempt, e["id"]) for e in attempt.paper]
    data = {"question_id": [*keys[:2], "q000000000000", keys[2]]}
    for entry, key in zip(attempt.paper[:3], keys[:3], strict=True):
        data[f"choice-{key}"] = [services.choice_key(attempt, entry["correct"][0])]
    response = member.post(f"/attempts/{attempt.id}/answer", data=data)
    assert response.status_code == 302 and services.saved_answers(attempt) == {}
    assert "Câu hỏi này không thuộc bài làm của bạn." in member.get(response.headers["Location"]).get_data(as_text=True)


def test_review_shows_answers_only_when_the_policy_allows(quiz, login):
    quiz.review_after_submit = REVIEW_SCORE
    db.session.commit()
    member = login("member")
    attempt = start(member, quiz)
    member.post(f"/attempts/{attempt.id}/submit")
    page = member.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Đáp án và lời giải được công bố khi bài kiểm tra đóng" in page
    assert "(đáp án đúng)" not in page
    for entry in attempt.paper:
        assert entry["explanation"][:60] not in page
    quiz.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = member.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "(đáp án đúng)" in page and "&lt;p&gt;" not in page


def test_the_quiz_waits_for_the_lessons(quiz, login, world):
    for row in db.session.scalars(db.select(LessonProgress)):
        row.studied_at = None
    db.session.commit()
    member = login("member")
    response = member.post(f"/learn/{quiz.topic.slug}/quiz/start", follow_redirects=True)
    assert "Hãy học xong các bài học trước khi làm bài kiểm tra (còn 6 bài)." in response.get_data(as_text=True)


def test_the_sweep_command(quiz, login, runner):
    attempt = start(login("member"), quiz)
    attempt.deadline = utcnow() - timedelta(minutes=5)
    db.session.commit()
    deadline = attempt.deadline
    result = runner.invoke(args=["quizzes", "close-expired"])
    assert "Đã đóng 1 lượt" in result.output
    db.session.refresh(attempt)
    assert attempt.status == "expired" and attempt.finished_at == deadline
    assert "Đã đóng 0 lượt" in runner.invoke(args=["quizzes", "close-expired"]).output


def settings_form(**changes):
    data = {"title": "Kiểm tra cuối chuyên đề 2022", "question_count": "20", "balance_lessons": "y",
            "time_limit_minutes": "20", "pass_percent": "80", "max_attempts": "", "grading": "last",
            "opens_at": "19/05/2022 08:00", "closes_at": "31/05/2022 21:00", "review_after_submit": "score",
            "min_duration_seconds": "90", "published": "y"}
    data.update(changes)
    return data


def test_the_editor_sets_the_quiz(quiz, login):
    editor = login("editor")
    url = f"/editor/topics/{quiz.topic.slug}/quiz"
    assert "Ngân hàng có <strong>49</strong> câu hỏi" in editor.get(url).get_data(as_text=True)
    response = editor.post(url, data=settings_form(), follow_redirects=True)
    assert "Đã lưu cài đặt bài kiểm tra" in response.get_data(as_text=True)
    db.session.refresh(quiz)
    assert (quiz.question_count, quiz.time_limit_seconds, quiz.pass_percent, quiz.max_attempts, quiz.grading) == \
        (20, 1200, 80, None, "last")
    assert quiz.opens_at.isoformat() == "2022-05-19T01:00:00"  # 08:00 in Vietnam is 01:00 UTC
    assert not quiz.one_per_page and quiz.balance_lessons and quiz.review_after_submit == "score"
    page = editor.get(url).get_data(as_text=True)
    assert 'value="19/05/2022 08:00"' in page and 'value="20"' in page


@pytest.mark.parametrize("changes,message", [
    ({"question_count": "60"}, "Ngân hàng chỉ có 49 câu đang dùng"),
    ({"closes_at": "18/05/2022 08:00"}, "Thời điểm đóng phải sau thời điểm mở."),
    ({"opens_at": "2022-05-19"}, "ví dụ 19/05/2022 08:00"),
    ({"time_limit_minutes": "0"}, "Số phải trong khoảng 1 đến 360."),
])
def test_bad_quiz_settings_are_refused_and_nothing_changes(quiz, login, changes, message):
    response = login("editor").post(f"/editor/topics/{quiz.topic.slug}/quiz", data=settings_form(**changes))
    assert message in response.get_data(as_text=True)
    db.session.refresh(quiz)
    assert quiz.question_count == 5 and quiz.opens_at is None


def test_only_editors_set_quizzes(quiz, login, client):
    url = f"/editor/topics/{quiz.topic.slug}/quiz"
    for who in ("member", "tinh", "officer_a", "organiser"):
        assert login(who).get(url).status_code == 403
        assert login(who).post(url, data=settings_form()).status_code == 403
    assert client.get(url).status_code == 302
    assert login("admin").get(url).status_code == 200


def test_a_new_quiz_may_allow_unlimited_attempts(quiz, login):
    url = "/editor/topics/chuyen-de-toan-khoa-xiii/quiz"
    login("editor").post(url, data=settings_form(max_attempts="", question_count="10"))
    topic = learning_topics.get_topic("chuyen-de-toan-khoa-xiii")
    created = services.final_quiz(topic)
    assert created is not None and created.max_attempts is None


def _submit_with(client, attempt, right: int):
    """Answer the first ``right`` questions right and the others wrong, then hand in; the result page."""
    for n, entry in enumerate(attempt.paper):
        wrong = [c["id"] for c in entry["choices"] if c["id"] not in entry["correct"]][:1]
        save(client, attempt, entry, entry["correct"] if n < right else wrong)
    client.post(f"/attempts/{attempt.id}/submit")
    return client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)


def _shows_answers(page: str, attempt) -> bool:
    return "(đáp án đúng)" in page or any(e["explanation"][:60] in page for e in attempt.paper if e["explanation"])


def test_a_failed_try_with_tries_left_shows_right_and_wrong_but_no_answer(quiz, login):
    member = login("member")
    first = start(member, quiz)
    page = _submit_with(member, first, right=1)
    assert "1/5 câu đúng" in page and "Chưa đạt" in page
    assert page.count(">Đúng</span>") == 1 and page.count(">Sai</span>") == 4
    assert not _shows_answers(page, first)
    # the last try: now the answers can no longer help, and both reviews show them
    second = start(member, quiz)
    page = _submit_with(member, second, right=2)
    assert "Chưa đạt" in page and _shows_answers(page, second)
    assert _shows_answers(member.get(f"/attempts/{first.id}/result").get_data(as_text=True), first)


def test_a_pass_shows_the_answers(quiz, login):
    member = login("member")
    attempt = start(member, quiz)
    page = _submit_with(member, attempt, right=3)
    assert "3/5 câu đúng" in page and "Đạt" in page and _shows_answers(page, attempt)


def test_the_editor_may_show_the_answers_after_every_try(quiz, login):
    quiz.review_after_submit = REVIEW_EACH_TRY
    db.session.commit()
    member = login("member")
    attempt = start(member, quiz)
    assert _shows_answers(_submit_with(member, attempt, right=0), attempt)


@pytest.mark.parametrize("page", ["/learn/", "/learn/chuyen-de-2022/"])
def test_learning_pages_close_an_attempt_out_of_time_and_keep_it_closed(quiz, login, page):
    """The member's pages work out the quiz's state in the view and commit it: the attempt closed
    there stays closed, and the page offers a new try rather than "Làm tiếp"."""
    member = login("member")
    attempt = start(member, quiz)
    attempt.deadline = utcnow() - timedelta(minutes=5)
    db.session.commit()
    html = member.get(page).get_data(as_text=True)
    db.session.rollback()  # what the request left uncommitted is gone
    assert db.session.get(Attempt, attempt.id).status == EXPIRED
    assert "Làm tiếp bài kiểm tra" not in html
