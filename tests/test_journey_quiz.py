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


def test_answers_go_together_a_reload_keeps_those_not_sent_and_the_hand_in_carries_the_rest(
        synced, app, live_url, page):
    app.config["QUIZ_SAVE_EVERY_SECONDS"] = 15  # as in production; the page's clock is Playwright's
    province = make_unit("LDLD-LC", kind="province")
    member = make_member(make_unit("CDCS", province), "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    topic = learning_topics.get_topic("chuyen-de-2022")
    study_everything(member, topic)
    db.session.add(Quiz(topic=topic, title="Kiểm tra", question_count=4, time_limit_seconds=600,
                        pass_percent=60, max_attempts=None, min_duration_seconds=0, one_per_page=False))
    db.session.commit()
    page.clock.install()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.post_data or "")
            if request.url.endswith("/answer") else None)

    log_in_browser(page, live_url, "doanvien")
    page.goto(live_url + f"/learn/{topic.slug}/quiz")
    page.get_by_role("button", name=re.compile("Bắt đầu làm bài")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+"))
    attempt = db.session.scalars(db.select(Attempt)).one()
    paper = attempt.paper

    def choose(entry, choice_ids):
        for choice_id in choice_ids:
            page.locator("#" + quizzes.choice_key(attempt, choice_id)).check()

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
