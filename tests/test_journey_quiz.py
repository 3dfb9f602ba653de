"""In Chromium, on a 360-px phone: a member starts a quiz of a few seconds, answers two of
three questions (each saved as it is chosen), does nothing more, and the quiz ends by
itself and grades the saved answers."""
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
