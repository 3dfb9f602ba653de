"""In Chromium, on a 360-px phone: a member starts a quiz of a few seconds, answers two of
three questions (each sent at once: so little time is left), does nothing more, and the quiz
ends by itself and grades the saved answers. Then the answers of a longer quiz: sent together,
kept by the browser over a reload, sent by "Lưu câu trả lời" at once, carried by the hand-in."""
import re
from datetime import timedelta

from core.clock import utcnow
from core.extensions import db
from learning import topics as learning_topics
from quizzes import services as quizzes
from quizzes.models import Attempt, Quiz
from tests.factories import log_in_browser, make_member, make_unit, make_user, study_everything


def test_a_short_quiz_ends_by_itself_and_grades_the_saved_answers(synced, app, live_url, page, tmp_path):
    province = make_unit("LDLD-LC", kind="province")
    member = make_member(make_unit("CDCS", province), "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, province)
    study_everything(member, topic)
    db.session.add(Quiz(topic=topic, title="Kiểm tra nhanh", question_count=3, time_limit_seconds=8,
                        pass_percent=60, max_attempts=None, min_duration_seconds=0, one_per_page=False))
    db.session.commit()

    log_in_browser(page, live_url, "doanvien")
    page.goto(live_url + f"/learn/{topic.slug}/")
    page.get_by_role("link", name="Làm bài kiểm tra").click()
    page.get_by_role("button", name=re.compile("Bắt đầu làm bài")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+"))

    attempt = db.session.scalars(db.select(Attempt)).one()
    assert page.locator("[data-countdown]").inner_text() in ("0:08", "0:07")
    for entry in attempt.paper[:2]:
        for choice_id in entry["correct"]:  # several boxes for a multiple-choice question
            page.locator("#" + quizzes.choice_key(attempt, choice_id)).check()
            status = f"[data-question='{quizzes.question_key(attempt, entry['id'])}'] [data-question-status]"
            page.locator(status).get_by_text("Đã lưu ✓").wait_for()
    page.screenshot(path=str(tmp_path / "attempt.png"), full_page=True)

    # no click on "Nộp bài": at 0:00 the page hands the paper in and shows the result
    page.wait_for_url(re.compile(r"/attempts/\d+/result"), timeout=20000)
    page.get_by_test_id("score").wait_for()
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
    assert page.get_by_test_id("score").inner_text() == "2/3 câu đúng"
    db.session.refresh(attempt)
    assert attempt.status in ("submitted", "expired") and attempt.score == 2
    assert attempt.finished_at <= attempt.deadline


def test_an_answer_chosen_offline_is_saved_when_the_network_returns(synced, app, live_url, page):
    province = make_unit("LDLD-LC", kind="province")
    member = make_member(make_unit("CDCS", province), "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    topic = learning_topics.get_topic("chuyen-de-2022")
    study_everything(member, topic)
    db.session.add(Quiz(topic=topic, title="Kiểm tra", question_count=3, time_limit_seconds=300,
                        pass_percent=60, max_attempts=None, min_duration_seconds=0, one_per_page=True))
    db.session.commit()

    log_in_browser(page, live_url, "doanvien")
    page.goto(live_url + f"/learn/{topic.slug}/quiz")
    page.get_by_role("button", name=re.compile("Bắt đầu làm bài")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+"))
    attempt = db.session.scalars(db.select(Attempt)).one()
    entry = attempt.paper[0]
    choice = entry["correct"][0]

    page.context.set_offline(True)
    for choice_id in entry["correct"]:
        page.locator("#" + quizzes.choice_key(attempt, choice_id)).check()
    page.get_by_text("Chưa lưu được (mất mạng?)").wait_for()
    page.context.set_offline(False)
    page.get_by_text("Đã lưu ✓").wait_for(timeout=15000)

    # a reload (or another tab) keeps the choice and the server's countdown
    attempt.deadline = utcnow() + timedelta(seconds=100)
    db.session.commit()
    page.reload()
    assert page.locator("#" + quizzes.choice_key(attempt, choice)).is_checked()
    minutes, seconds = page.locator("[data-countdown]").inner_text().split(":")
    assert 90 <= int(minutes) * 60 + int(seconds) <= 100
    page.once("dialog", lambda dialog: dialog.accept())  # "Nộp bài?" confirmation
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_test_id("score").wait_for()
    assert page.get_by_test_id("score").inner_text() == "1/3 câu đúng"


def _started(page, live_url, questions: int, *, clock: bool = False) -> Attempt:
    """Doanvien, who studied the 2022 topic, starts its quiz of `questions` questions (10 minutes, all on
    one page) in the browser; with `clock`, the page's timers are Playwright's (page.clock)."""
    province = make_unit("LDLD-LC", kind="province")
    member = make_member(make_unit("CDCS", province), "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    topic = learning_topics.get_topic("chuyen-de-2022")
    study_everything(member, topic)
    db.session.add(Quiz(topic=topic, title="Kiểm tra", question_count=questions, time_limit_seconds=600,
                        pass_percent=60, max_attempts=None, min_duration_seconds=0, one_per_page=False))
    db.session.commit()
    if clock:
        page.clock.install()
    log_in_browser(page, live_url, "doanvien")
    page.goto(live_url + f"/learn/{topic.slug}/quiz")
    page.get_by_role("button", name=re.compile("Bắt đầu làm bài")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    return db.session.scalars(db.select(Attempt)).one()


def test_answers_go_together_a_reload_keeps_those_not_sent_and_the_hand_in_carries_the_rest(
        synced, app, live_url, page):
    app.config["QUIZ_SAVE_EVERY_SECONDS"] = 15  # as in production; the page's clock is Playwright's
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.post_data or "")
            if request.url.endswith("/answer") else None)
    attempt = _started(page, live_url, 4, clock=True)
    paper = attempt.paper

    def choose(entry, choice_ids):  # exactly these: a checkbox chosen before is cleared
        for choice in entry["choices"]:
            box = page.locator("#" + quizzes.choice_key(attempt, choice["id"]))
            if choice["id"] in choice_ids:
                box.check()
            elif entry["type"] == "multiple" and box.is_checked():
                box.uncheck()

    def saved():
        db.session.expire_all()
        return quizzes.saved_answers(attempt)

    # Two answers within a few seconds: nothing is sent until the interval ends, then one request.
    choose(paper[0], paper[0]["correct"])
    page.clock.run_for(4000)
    choose(paper[1], paper[1]["correct"])
    page.get_by_text("Đang chờ lưu 2 câu…").wait_for()
    assert sent == [] and saved() == {}
    page.clock.run_for(12000)
    page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()
    assert len(sent) == 1 and all(quizzes.question_key(attempt, e["id"]) in sent[0] for e in paper[:2])
    assert saved() == {e["id"]: sorted(e["correct"]) for e in paper[:2]}

    # A third answer, then the page reloads before it was sent (the send on leaving fails too):
    # the browser kept it, puts it back on the page and sends it.
    page.route("**/answer", lambda route: route.abort())
    choose(paper[2], paper[2]["correct"])
    page.reload()
    assert page.locator("#" + quizzes.choice_key(attempt, paper[2]["correct"][0])).is_checked()
    page.get_by_text("Chưa lưu được (mất mạng?)").first.wait_for()
    page.unroute("**/answer")
    page.clock.run_for(3000)  # the retry
    page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()
    assert paper[2]["id"] in saved()

    # "Lưu câu trả lời" sends what waits at once, without reloading the page.
    loads: list[str] = []
    page.on("request", lambda request: loads.append(request.url) if request.resource_type == "document" else None)
    wrong = next(c["id"] for c in paper[3]["choices"] if c["id"] not in paper[3]["correct"])
    choose(paper[3], [wrong])
    page.get_by_role("button", name="Lưu câu trả lời").click()
    page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()
    assert loads == [] and saved()[paper[3]["id"]] == [wrong]

    # Leaving with an answer waiting asks nothing (a "leave the page?" prompt would stop the link) and
    # loses nothing: it goes as the page goes, or from the browser's copy on the next page.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    choose(paper[0], [next(c["id"] for c in paper[0]["choices"] if c["id"] not in paper[0]["correct"])])
    page.get_by_role("link", name="Mỗi trang một câu").click()
    page.wait_for_url(re.compile(r"view=one"))
    page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()
    assert saved()[paper[0]["id"]] != sorted(paper[0]["correct"]) and dialogs == []
    page.get_by_role("link", name="Xem tất cả câu trên một trang").click()
    page.wait_for_url(re.compile(r"view=all"))
    choose(paper[0], paper[0]["correct"])

    # The last answer and straight to "Nộp bài": the hand-in carries it (and the first one's change).
    choose(paper[3], paper[3]["correct"])
    page.get_by_role("button", name="Nộp bài", exact=True).click()  # "Nộp bài?" is accepted above
    page.get_by_test_id("score").wait_for()
    assert page.get_by_test_id("score").inner_text() == "4/4 câu đúng"


def test_an_answer_whose_save_met_a_server_error_is_still_handed_in(synced, app, live_url, page):
    """A 503 (the database restarting, SQLite busy) is no refusal: the answers it carried stay waiting
    and go with the next save or the hand-in, and the page never says they were saved."""
    attempt = _started(page, live_url, 2)
    entry = attempt.paper[0]

    # A refusal (400) is said under its question and in the summary, never "Đã lưu tất cả".
    refusal = ('{"message": "Đáp án gửi lên không thuộc câu hỏi này.", "status": "in_progress", '
               '"remaining": 500}')
    page.route("**/answer", lambda route: route.fulfill(status=400, content_type="application/json", body=refusal))
    page.locator("#" + quizzes.choice_key(attempt, attempt.paper[1]["choices"][0]["id"])).check()
    page.get_by_text("Có 1 câu không lưu được: xem lời nhắn dưới câu đó.").wait_for()
    page.unroute("**/answer")

    down = '{"saved": false, "message": "Thao tác vừa rồi chưa được lưu; những gì đã lưu trước đó vẫn còn."}'
    page.route("**/answer", lambda route: route.fulfill(status=503, content_type="application/json", body=down))
    for choice_id in entry["correct"]:
        page.locator("#" + quizzes.choice_key(attempt, choice_id)).check()
    page.get_by_text(re.compile("chưa được lưu|Chưa lưu được")).first.wait_for()
    page.unroute("**/answer")
    assert page.locator("[data-save-status]").inner_text() != "Đã lưu tất cả câu trả lời"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp bài", exact=True).click()
    page.get_by_test_id("score").wait_for()
    assert page.get_by_test_id("score").inner_text() == "1/2 câu đúng"


def test_a_save_after_the_paper_was_handed_in_elsewhere_shows_the_result(synced, app, live_url, page):
    attempt = _started(page, live_url, 2)
    quizzes.submit(attempt)  # handed in on another phone meanwhile
    db.session.commit()

    page.locator("#" + quizzes.choice_key(attempt, attempt.paper[0]["correct"][0])).check()
    page.wait_for_url(re.compile(r"/result$"))  # the refused save (400, "đã nộp") brings the result
    page.get_by_test_id("score").wait_for()


def test_lưu_câu_trả_lời_pressed_while_a_save_is_on_the_way_sends_as_soon_as_it_is_back(
        synced, app, live_url, page):
    app.config["QUIZ_SAVE_EVERY_SECONDS"] = 15
    held = []
    page.route("**/answer", lambda route: route.continue_() if held else held.append(route))  # holds the first
    attempt = _started(page, live_url, 2, clock=True)
    first, second = attempt.paper
    page.locator("#" + quizzes.choice_key(attempt, first["correct"][0])).check()
    page.clock.run_for(15000)  # the first save leaves, and the server is slow to answer it
    page.wait_for_timeout(300)
    assert len(held) == 1
    page.locator("#" + quizzes.choice_key(attempt, second["correct"][0])).check()
    page.get_by_role("button", name="Lưu câu trả lời").click()
    held[0].continue_()
    page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()  # no 15 s more: the page's clock stands still
    db.session.expire_all()
    assert set(quizzes.saved_answers(attempt)) == {first["id"], second["id"]}
