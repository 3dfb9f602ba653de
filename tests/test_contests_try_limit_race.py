"""Ten sessions of one guest press "Bắt đầu thi" then "Nộp bài" at the same moment, against the
live server (real threads, connections and transactions): a 2-try round still gets at most 2
attempts, each with its contest entry, and nobody sees an error page."""
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

from contests import registration, services
from contests.models import Contest, Division, Entry
from core.clock import utcnow
from core.extensions import db
from learning import editing
from learning import topics as learning_topics
from quizzes.models import Attempt
from tests.factories import make_unit

SESSIONS = 10
PHONE, PASSWORD = "0987654321", "hoa-du-thi-2022"


def _contest():
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    bank = editing.clone_topic(learning_topics.get_topic("chuyen-de-2022"), "ngan-hang", "Ngân hàng thi", 2022)
    contest = Contest(slug="thi", title="Cuộc thi 132 năm Ngày sinh Bác", organiser_unit=province,
                      audience_unit=province, bank=bank, published=True)
    db.session.add_all([contest, Division(contest=contest, name="Bảng A", position=1)])
    now = utcnow()
    services.add_round(contest, 1, now - timedelta(hours=1), now + timedelta(days=6), question_count=5,
                       max_attempts=2)
    registration.register_guest(contest, registration.Registration(
        full_name="Trần Thị Hoa", birth_year=1995, phone=PHONE, password=PASSWORD, workplace="Công ty May Lai Châu"))
    db.session.commit()


def _session(live_url):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path, data=None):
        body = urllib.parse.urlencode(data or {}).encode()
        try:
            with opener.open(live_url + path, data=body, timeout=60) as reply:
                return reply.status, reply.geturl(), reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()
    return post


def test_ten_sessions_racing_start_and_submit_stay_within_two_tries(app, synced, live_url):
    _contest()
    app.config["SESSION_COOKIE_SECURE"] = False  # urllib's cookie jar keeps Secure cookies off plain HTTP
    sessions = [_session(live_url) for _ in range(SESSIONS)]
    for post in sessions:
        assert post("/accounts/login", {"identifier": PHONE, "password": PASSWORD})[0] == 200
    barrier = threading.Barrier(SESSIONS)
    outcomes: list = []

    def play(post):
        barrier.wait(timeout=30)
        status, url, page = post("/contests/thi/rounds/1/start")
        outcomes.append(status)
        # The open attempt, or its result when another session handed it in meanwhile.
        attempt = re.search(r"/attempts/(\d+)(/result)?$", url)
        if attempt:
            outcomes.append(post(f"/contests/attempts/{attempt.group(1)}/submit")[0])
        else:  # refused, on the contest page
            flashed = re.findall(r'<div class="alert[^>]*>\s*(.*?)\s*<', page, re.S)
            outcomes.append("used up" if "Bạn đã dùng hết 2 lượt làm bài." in flashed else (url, tuple(flashed)))

    threads = [threading.Thread(target=play, args=(post,)) for post in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes and set(outcomes) <= {200, "used up"}, outcomes
    db.session.expire_all()
    attempts = db.session.scalars(db.select(Attempt)).all()
    assert 1 <= len(attempts) <= 2 and sorted(a.number for a in attempts) == list(range(1, len(attempts) + 1))
    assert db.session.scalar(db.select(db.func.count(Entry.id))) == len(attempts)
