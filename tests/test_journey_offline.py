"""In Chromium with the network switched off (Playwright's offline mode): a member takes a topic
onto the phone, reads every lesson offline, marks them studied, comes back online, and the marks
arrive on the server, judged by the reading-time rule; a forged early mark is refused; the quiz
button says it needs the network; any page not stored is the offline page."""
import re
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from core.extensions import db
from learning import topics as learning_topics
from learning.models import LessonProgress, OfflineMark, TopicDownload
from quizzes import services as quizzes
from quizzes.models import Attempt, Quiz
from tests.chromium import live_server
from tests.conftest import synced_content
from tests.factories import log_in_browser, make_member, make_unit, make_user, study_everything

READ_SECONDS = 2


class Network:
    """The app on a real http origin (service workers need one), and a switch for the network.

    Playwright's offline mode does not reach a service worker's own requests, so "offline" here
    is both: the browser told it is offline, and the server's socket closed (nothing answers)."""

    def __init__(self, app):
        self.app, self.port, self.server, self.thread = app, 0, None, None

    def up(self):
        self.server = live_server(self.app, self.port)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.port}"

    def down(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def phone(app, browser):
    """A 390-px phone that allows service workers, logged in as a Lai Châu member."""
    school = make_unit("CDCS-TD-THCS", make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu"))
    member = make_member(school, "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    synced_content()
    topic = learning_topics.get_topic("chuyen-de-2022")
    for lesson in learning_topics.published_lessons(topic):
        lesson.min_read_seconds = READ_SECONDS
    db.session.add(Quiz(topic=topic, title="Bài kiểm tra cuối chuyên đề năm 2022", question_count=2,
                        time_limit_seconds=600, pass_percent=50, min_duration_seconds=0))
    db.session.commit()
    network = Network(app)
    url = network.up()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", service_workers="allow")
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in_browser(page, url, "doanvien")
    yield SimpleNamespace(page=page, url=url, topic=topic, member=member, network=network)
    context.close()
    if network.server.socket.fileno() != -1:
        network.down()


def _take_topic(phone):
    page, live_url, topic = phone.page, phone.url, phone.topic
    page.goto(f"{live_url}/learn/{topic.slug}/")
    page.evaluate("() => navigator.serviceWorker.ready")  # registered by static/js/offline.js
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()  # a page opened before the worker was active is not yet controlled by it
    card = page.get_by_role("region", name="Học khi không có mạng")
    expect(card).to_contain_text("Dung lượng lưu trên máy: khoảng")
    card.get_by_role("button", name="Tải về để học khi không có mạng").click()
    expect(card.get_by_role("status")).to_contain_text("Đã tải về máy lúc")
    return card


def _offline(phone):
    phone.page.context.set_offline(True)
    phone.network.down()


def _online(phone):
    phone.network.up()
    phone.page.context.set_offline(False)


def test_a_topic_read_and_marked_offline_arrives_when_the_network_returns(phone):
    page, live_url, topic, member = phone.page, phone.url, phone.topic, phone.member
    _take_topic(phone)
    assert db.session.scalars(db.select(TopicDownload)).one().member_id == member.id
    lessons = learning_topics.published_lessons(topic)

    _offline(phone)
    page.goto(f"{live_url}/learn/{topic.slug}/")
    expect(page.get_by_text("Đang ngoại tuyến")).to_be_visible()
    quiz = page.locator("[data-needs-network]")
    expect(quiz).to_have_attribute("aria-disabled", "true")
    expect(page.get_by_text("Bài kiểm tra cần có mạng")).to_be_visible()
    for lesson in lessons:
        page.goto(f"{live_url}/learn/{topic.slug}/{lesson.slug}")
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
        expect(page.get_by_text("Đang ngoại tuyến")).to_be_visible()
        mark = page.get_by_role("button", name="Tôi đã học xong bài này")
        expect(mark).to_be_disabled()  # the reading time counts on the phone too
        expect(mark).to_be_enabled(timeout=10000)
        mark.click()
        expect(page.locator("[data-offline-note]")).to_contain_text("Đã lưu trên máy lúc")
    assert db.session.scalar(db.select(db.func.count()).select_from(OfflineMark)) == 0

    page.goto(f"{live_url}/offline/marks")  # stored with the topic: what waits on the phone
    expect(page.locator("[data-queued=waiting]")).to_have_count(len(lessons))
    page.goto(f"{live_url}/units/")  # never stored: the one offline page, listing what is
    expect(page.get_by_role("heading", level=1)).to_have_text("Không có mạng")
    expect(page.get_by_role("link", name=lessons[-1].title)).to_be_visible()

    _online(phone)
    page.goto(f"{live_url}/learn/")
    expect(page.locator("[data-sync-result]")).to_contain_text(f"Đã gửi {len(lessons)} bài đánh dấu")
    marks = db.session.scalars(db.select(OfflineMark)).all()
    assert {mark.outcome for mark in marks} == {"accepted"} and len(marks) == len(lessons)
    studied = db.session.scalars(db.select(LessonProgress).where(LessonProgress.member_id == member.id)).all()
    assert len(studied) == len(lessons) and all(row.studied_at for row in studied)
    for row in studied:  # the reading-time rule, on the times the phone sent
        assert row.studied_at - row.opened_at >= timedelta(seconds=READ_SECONDS)
    page.goto(f"{live_url}/offline/marks")
    expect(page.get_by_test_id("offline-marks").get_by_text("Đã ghi nhận")).to_have_count(len(lessons))
    page.goto(f"{live_url}/learn/")
    expect(page.get_by_role("region", name=topic.title).get_by_test_id("progress-text")).to_have_text("6/6 bài · 100%")


def test_a_forged_early_mark_is_refused_and_the_member_sees_why(phone):
    page, live_url, topic = phone.page, phone.url, phone.topic
    _take_topic(phone)
    lesson = learning_topics.published_lessons(topic)[0]
    _offline(phone)
    page.goto(f"{live_url}/learn/{topic.slug}/{lesson.slug}")
    mark = page.get_by_role("button", name="Tôi đã học xong bài này")
    expect(mark).to_be_enabled(timeout=10000)
    # The phone's clock is set back a day, as someone trying to have "read" before the download.
    page.evaluate("""() => { const shift = 24 * 3600 * 1000, real = Date.now;
                              Date.now = () => real() - shift; }""")
    page.evaluate("""([topic, lesson]) => new Promise(done => {
        const open = indexedDB.open("hoctap-offline", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("marks", { keyPath: "key" });
        open.onsuccess = () => {
          const tx = open.result.transaction("marks", "readwrite");
          const now = Date.now();
          tx.objectStore("marks").put({ key: "forged-000001", user: document.body.dataset.user, topic: topic,
            lesson: lesson, title: "Bài giả", opened: now - 3600 * 1000, marked: now, status: "waiting" });
          tx.oncomplete = done;
        };
      })""", [topic.slug, lesson.slug])
    _online(phone)  # the page hears the network return and sends what waits
    expect(page.locator("[data-sync-result]")).to_contain_text("1 bị từ chối")
    forged = db.session.scalars(db.select(OfflineMark)).one()
    assert forged.outcome == "refused" and "trước lúc tải chuyên đề về máy" in forged.reason
    assert db.session.scalars(db.select(LessonProgress).where(LessonProgress.studied_at.is_not(None))).first() is None
    page.goto(f"{live_url}/offline/marks")
    table = page.get_by_test_id("offline-marks")
    expect(table).to_contain_text("Bị từ chối")
    expect(table).to_contain_text("đồng hồ của điện thoại đang sai")


def test_removing_the_download_frees_its_space(phone):
    page, topic = phone.page, phone.topic
    card = _take_topic(phone)
    assert page.evaluate(f"caches.has('hoctap-topic-{topic.slug}')")
    card.get_by_role("button", name="Xoá bản tải về").click()
    expect(card.get_by_role("status")).to_have_text("Đã xoá bản tải về khỏi máy.")
    assert not page.evaluate(f"caches.has('hoctap-topic-{topic.slug}')")


def test_an_interrupted_quiz_keeps_its_answers_and_says_the_seconds_left_by_the_server(phone):
    page, live_url, topic, member = phone.page, phone.url, phone.topic, phone.member
    study_everything(member, topic)
    db.session.commit()
    page.goto(f"{live_url}/learn/{topic.slug}/quiz")
    page.get_by_role("button", name=re.compile("Bắt đầu làm bài")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+"))
    attempt = db.session.scalars(db.select(Attempt)).one()
    entry = attempt.paper[0]

    _offline(phone)
    expect(page.get_by_text("Mất mạng: các câu trả lời vẫn giữ trên trang")).to_be_visible()
    for choice_id in entry["correct"]:
        page.locator("#" + quizzes.choice_key(attempt, choice_id)).check()
    page.get_by_text("Chưa lưu được (mất mạng?)").wait_for()
    _online(phone)
    back = page.get_by_text("Đã có mạng trở lại: còn")
    expect(back).to_contain_text("theo đồng hồ của máy chủ")
    seconds = int(re.search(r"còn (\d+) giây", back.inner_text()).group(1))
    assert 0 < seconds <= 600
    db.session.refresh(attempt)
    assert abs(quizzes.remaining_seconds(attempt) - seconds) <= 5  # the server's clock, not the phone's
    page.get_by_text("Đã lưu ✓").wait_for(timeout=15000)  # the answer chosen offline was kept and saved
    assert quizzes.public_answers(attempt)[quizzes.question_key(attempt, entry["id"])]


def test_a_stored_topic_is_refreshed_when_a_lesson_changes(phone):
    page, live_url, topic = phone.page, phone.url, phone.topic
    card = _take_topic(phone)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing overflows the phone
    lesson = learning_topics.published_lessons(topic)[-1]
    lesson.title = "Tổ chức thực hiện và chế độ báo cáo (bản sửa)"
    db.session.commit()
    page.reload()  # online: the topic's list has a new version, so the stored copy is taken again
    stored_copy = """([name, url]) => caches.open(name).then(cache => cache.match(url))
                                 .then(response => response ? response.text() : "")"""
    where = [f"hoctap-topic-{topic.slug}", f"/learn/{topic.slug}/{lesson.slug}"]
    for _ in range(100):
        if "(bản sửa)" in page.evaluate(stored_copy, where):
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError("the changed lesson was not stored again")
    expect(card.get_by_role("status")).to_contain_text("Đã tải về máy lúc")
    _offline(phone)
    page.goto(f"{live_url}/learn/{topic.slug}/{lesson.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tổ chức thực hiện và chế độ báo cáo (bản sửa)")
    page.goto(f"{live_url}/offline/marks")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
