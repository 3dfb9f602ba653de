"""The district officer and the province officer act on the same waiting nomination at the same
moment, against the live server (real threads, connections and transactions): one step wins, the
other is told someone else acted, and nobody sees an error page."""
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from core.extensions import db
from core.permissions import OFFICER
from lamtheo import stories
from lamtheo.story_models import KIND_MODEL, Story, StoryStep
from tests.factories import PASSWORD, make_user


def _session(live_url):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path, data=None):
        body = urllib.parse.urlencode(data or {}).encode()
        try:
            with opener.open(live_url + path, data=body, timeout=60) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
    return post


def test_two_officers_acting_at_once_move_the_story_once(app, world, live_url):
    app.config["SESSION_COOKIE_SECURE"] = False  # urllib's cookie jar keeps Secure cookies off plain HTTP
    coso = make_user("coso_a", OFFICER, world.grassroots_a)
    story = stories.nominate(coso, kind=KIND_MODEL, unit=world.grassroots_a, title="Tủ sách Bác Hồ",
                             summary="Tóm tắt", body="Câu chuyện")
    db.session.commit()
    story_id = story.id
    officers = {"officer_a": ("dong-y", "Đồng ý."), "tinh": ("tra-lai", "Hãy bổ sung số liệu.")}
    sessions = {name: _session(live_url) for name in officers}
    for name, post in sessions.items():
        assert post("/accounts/login", {"identifier": name, "password": PASSWORD})[0] == 200
    barrier = threading.Barrier(len(officers))
    outcomes = {}

    def act(name):
        action, comment = officers[name]
        barrier.wait(timeout=30)
        status, page = sessions[name](f"/lam-theo/guong-sang/{story_id}/{action}", {"version": 1, "comment": comment})
        outcomes[name] = (status, re.findall(r'<div class="alert alert-(\w+)"[^>]*>(.*?)</div>', page, re.S))

    threads = [threading.Thread(target=act, args=(name,)) for name in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert {status for status, _ in outcomes.values()} == {200}, outcomes
    flashes = sorted(kind for _, messages in outcomes.values() for kind, _ in messages if kind in ("success", "danger"))
    assert flashes == ["danger", "success"], outcomes
    refused = next(text for _, messages in outcomes.values() for kind, text in messages if kind == "danger")
    assert "vừa được người khác xử lý" in refused
    db.session.expire_all()
    moved = db.session.get(Story, story_id)
    assert moved.version == 2
    steps = db.session.scalars(db.select(StoryStep.action).where(StoryStep.story_id == story_id)
                               .order_by(StoryStep.id)).all()
    assert steps[0] == "nominated" and len(steps) == 2 and steps[1] in ("endorsed", "returned")
