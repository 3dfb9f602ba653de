"""Six sessions of one member press "Đăng ký" at the same moment, against the live server (real threads,
connections and transactions): the member still has at most three commitments, and no error page."""
import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request

from core.extensions import db
from lamtheo.models import Commitment
from tests.factories import PASSWORD, make_member, make_unit, make_user

SESSIONS = 6


def _session(live_url):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path, data=None):
        body = urllib.parse.urlencode(data or {}).encode()
        try:
            with opener.open(live_url + path, data=body, timeout=60) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code
    return post


def test_racing_registrations_stay_within_three(app, live_url):
    school = make_unit("CDCS", make_unit("P", kind="province"))
    member = make_member(school, "Lò Thị Xuân")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    db.session.commit()
    app.config["SESSION_COOKIE_SECURE"] = False  # urllib's cookie jar keeps Secure cookies off plain HTTP
    sessions = [_session(live_url) for _ in range(SESSIONS)]
    for post in sessions:
        assert post("/accounts/login", {"identifier": "doanvien", "password": PASSWORD}) == 200
    barrier, codes = threading.Barrier(SESSIONS), []

    def register(post, n):
        barrier.wait()
        codes.append(post("/lam-theo/commitments", {"text": f"Việc số {n}"}))

    threads = [threading.Thread(target=register, args=(post, n)) for n, post in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * SESSIONS  # each lands on the page, with a message
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Commitment)) == 3
