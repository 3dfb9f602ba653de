"""Studying offline: the rule for marks queued on a phone (forged clocks, replays, too many too
fast), and the pages behind it (download manifest, sending marks, scope, CSRF)."""
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.clock import utcnow
from core.extensions import db
from learning import offline, studying
from learning import topics as learning_topics
from learning.models import Lesson, LessonProgress, OfflineMark, TopicDownload
from reports.models import MemberTopic
from tests.conftest import synced_content
from tests.factories import make_member, make_unit, make_user
from tests.member_topics import assert_rebuild_the_same
from units.models import Member


@pytest.fixture
def topic(synced):
    return learning_topics.get_topic("chuyen-de-2022")


@pytest.fixture
def member(topic):
    school = make_unit("S", make_unit("LDLD-LC", kind="province"))
    learning_topics.assign_topic(topic, school)
    member = make_member(school, "Lò Thị Xuân", phone="0912099001")
    db.session.commit()
    return member


def _progress(member, lesson):
    return db.session.scalars(db.select(LessonProgress).filter_by(member_id=member.id, lesson_id=lesson.id)).first()


def test_a_mark_read_long_enough_after_the_download_is_accepted(topic, member):
    start = utcnow() - timedelta(hours=2)
    offline.record_download(member, topic, now=start)
    lesson = learning_topics.published_lessons(topic)[0]
    required = studying.required_read_seconds(lesson)
    opened = start + timedelta(minutes=5)
    marked = opened + timedelta(seconds=required)
    mark = offline.apply_mark(member, lesson, "key-00000001", opened, marked, now=start + timedelta(hours=1))
    assert (mark.outcome, mark.reason) == ("accepted", "")
    assert _progress(member, lesson).studied_at == marked  # studied when the phone marked it
    assert _progress(member, lesson).opened_at == opened
    db.session.flush()
    assert db.session.scalars(db.select(MemberTopic).filter_by(member_id=member.id)).one().started_at == opened
    assert_rebuild_the_same()


def test_too_short_a_reading_is_refused_as_online(topic, member):
    start = utcnow() - timedelta(hours=2)
    offline.record_download(member, topic, now=start)
    lesson = learning_topics.published_lessons(topic)[0]
    required = studying.required_read_seconds(lesson)
    opened = start + timedelta(minutes=5)
    mark = offline.apply_mark(member, lesson, "key-00000001", opened, opened + timedelta(seconds=required - 1),
                              now=start + timedelta(hours=1))
    assert mark.outcome == "refused"
    assert f"cần mở bài ít nhất {studying.wait_text(required)}" in mark.reason
    assert _progress(member, lesson) is None


def test_without_a_download_no_offline_mark_counts(topic, member):
    lesson = learning_topics.published_lessons(topic)[0]
    now = utcnow()
    mark = offline.apply_mark(member, lesson, "key-00000001", now - timedelta(days=3), now - timedelta(days=2), now=now)
    assert mark.outcome == "refused" and "chưa được tải về máy" in mark.reason
    assert _progress(member, lesson) is None


def test_a_clock_set_back_before_the_download_is_refused(topic, member):
    """The phone claims it opened the lesson a day before the server gave it the topic."""
    now = utcnow()
    offline.record_download(member, topic, now=now - timedelta(minutes=30))
    lesson = learning_topics.published_lessons(topic)[0]
    mark = offline.apply_mark(member, lesson, "key-00000001", now - timedelta(days=1), now - timedelta(minutes=1),
                              now=now)
    assert mark.outcome == "refused" and "trước lúc tải chuyên đề về máy" in mark.reason
    assert _progress(member, lesson) is None


def test_a_clock_set_forward_is_refused(topic, member):
    """Marked "tomorrow": the reading time would come from hours the server has not lived yet."""
    now = utcnow()
    offline.record_download(member, topic, now=now - timedelta(minutes=1))
    lesson = learning_topics.published_lessons(topic)[0]
    mark = offline.apply_mark(member, lesson, "key-00000001", now, now + timedelta(hours=5), now=now)
    assert mark.outcome == "refused" and "sau giờ hiện tại của máy chủ" in mark.reason
    assert _progress(member, lesson) is None


def test_a_small_clock_error_is_tolerated_but_never_counted_as_reading(topic, member):
    now = utcnow()
    since = now - timedelta(minutes=10)
    offline.record_download(member, topic, now=since)
    lesson = learning_topics.published_lessons(topic)[0]
    required = studying.required_read_seconds(lesson)
    # A phone one minute slow: it says it opened the lesson before the download; the minute is not counted.
    early = offline.apply_mark(member, lesson, "key-00000001", since - timedelta(minutes=1),
                               since + timedelta(seconds=required - 30), now=now)
    assert early.outcome == "refused" and "cần mở bài ít nhất" in early.reason
    fair = offline.apply_mark(member, lesson, "key-00000002", since - timedelta(minutes=1),
                              since + timedelta(seconds=required), now=now)
    assert fair.outcome == "accepted" and fair.opened_at == since


def test_more_marks_than_the_reading_times_allow_are_refused(topic, member):
    """Six lessons 'read' side by side in overlapping windows: only as many as fit one after another."""
    now = utcnow()
    lessons = learning_topics.published_lessons(topic)
    needed = [studying.required_read_seconds(lesson) for lesson in lessons]
    since = now - timedelta(seconds=needed[0] + needed[1] + 10)  # time for the first two, not a third
    offline.record_download(member, topic, now=since)
    outcomes = [offline.apply_mark(member, lesson, f"key-{i:08d}", since, now, now=now).outcome
                for i, lesson in enumerate(lessons)]
    assert outcomes[:2] == ["accepted", "accepted"]
    assert set(outcomes[2:]) == {"refused"}
    refused = db.session.scalars(db.select(OfflineMark).filter_by(client_key="key-00000002")).one()
    assert "Quá nhiều bài được đánh dấu trong thời gian quá ngắn" in refused.reason
    studied = db.session.scalar(db.select(db.func.count()).select_from(LessonProgress)
                                .where(LessonProgress.studied_at.is_not(None)))
    assert studied == 2


def test_the_same_mark_sent_twice_counts_once(topic, member):
    now = utcnow()
    offline.record_download(member, topic, now=now - timedelta(hours=1))
    lesson = learning_topics.published_lessons(topic)[0]
    opened, marked = now - timedelta(minutes=50), now - timedelta(minutes=10)
    first = offline.apply_mark(member, lesson, "key-00000001", opened, marked, now=now)
    again = offline.apply_mark(member, lesson, "key-00000001", opened, marked, now=now + timedelta(minutes=5))
    assert again.id == first.id and again.received_at == now
    assert db.session.scalar(db.select(db.func.count()).select_from(OfflineMark)) == 1
    # A replay with another key is a new mark of a lesson already studied: it changes nothing.
    replay = offline.apply_mark(member, lesson, "key-00000002", opened, marked, now=now)
    assert replay.outcome == "already"
    assert _progress(member, lesson).studied_at == marked


def test_a_second_download_does_not_move_the_first(topic, member):
    first = utcnow() - timedelta(days=2)
    offline.record_download(member, topic, now=first)
    offline.record_download(member, topic, now=utcnow())
    assert offline.downloaded_at(member, topic) == first
    assert db.session.scalar(db.select(db.func.count()).select_from(TopicDownload)) == 1


@pytest.mark.parametrize("value", [True, 1.5, "1700000000000", None, -10**20, 10**20, 0, 4102444800000])
def test_phone_times_that_are_not_times_are_refused(value):
    assert offline.parse_client_time(value) is None


def test_a_phone_time_in_milliseconds():
    assert offline.parse_client_time(1764900000000).isoformat() == "2025-12-05T02:00:00"


# -- the pages ------------------------------------------------------------------------------

@pytest.fixture
def provinces(topic):
    """A member in Lai Châu (whose topic chuyen-de-2022 is) and one in Lào Cai."""
    lai_chau = make_unit("S", make_unit("LDLD-LC", kind="province"))
    lao_cai = make_unit("LCA-S", make_unit("LDLD-LAOCAI", kind="province"))
    synced_content()  # again: each federation's topics in its tree
    xuan = make_member(lai_chau, "Lò Thị Xuân", phone="0912099001")
    xuan.user = make_user("xuan", full_name="Lò Thị Xuân")
    pao = make_member(lao_cai, "Giàng A Páo", phone="0912099002")
    pao.user = make_user("pao", full_name="Giàng A Páo")
    db.session.commit()
    return xuan, pao


def _ms(moment) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds() * 1000)


def _mark(topic, lesson, key, opened, marked):
    return {"key": key, "topic": topic.slug, "lesson": lesson.slug, "opened": _ms(opened), "marked": _ms(marked)}


def test_the_manifest_lists_the_topic_with_its_true_size_and_records_nothing(topic, provinces, login):
    client = login("xuan")
    manifest = client.get(f"/offline/topics/{topic.slug}.json").get_json()
    lessons = learning_topics.published_lessons(topic)
    assert [page["url"] for page in manifest["pages"]] == (
        [f"/learn/{topic.slug}/"] + [f"/learn/{topic.slug}/{lesson.slug}" for lesson in lessons])
    assert "/static/js/offline.js" in [asset["url"] for asset in manifest["assets"]]
    assert manifest["downloaded_at"] is None
    fetched = 0
    for item in manifest["pages"] + manifest["assets"]:
        response = client.get(item["url"], headers={"X-Offline-Copy": "1"})
        assert response.status_code == 200
        assert abs(len(response.get_data()) - item["bytes"]) <= 64, item["url"]  # only the CSRF token differs
        fetched += len(response.get_data())
        response.close()  # a static file is a stream: close it
    assert abs(manifest["bytes"] - fetched) <= 64 * len(manifest["pages"])
    # Reading the manifest and storing the pages neither records a download nor opens a lesson.
    assert db.session.scalar(db.select(db.func.count()).select_from(TopicDownload)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(LessonProgress)) == 0


def test_every_shipped_topic_fits_well_under_one_megabyte(topic, world, login):
    client = login("admin")  # sees every topic, published or not
    for slug in ("chuyen-de-2022", "chuyen-de-toan-khoa-xiii", "ket-luan-01-kl-tw"):
        manifest = client.get(f"/offline/topics/{slug}.json").get_json()
        assert len(manifest["pages"]) > 1
        assert manifest["bytes"] < 600 * 1024, (slug, manifest["bytes"])


def test_a_lao_cai_member_cannot_take_a_lai_chau_topic(topic, provinces, login):
    client = login("pao")
    assert client.get(f"/offline/topics/{topic.slug}.json").status_code == 404
    assert client.post(f"/offline/topics/{topic.slug}").status_code == 404
    lesson = learning_topics.published_lessons(topic)[0]
    now = utcnow()
    answer = client.post("/offline/marks", json={"marks": [_mark(topic, lesson, "key-00000001",
                                                                 now - timedelta(hours=1), now)]}).get_json()
    assert answer["results"][0]["outcome"] == "refused"
    assert "Không tìm thấy bài học" in answer["results"][0]["reason"]
    assert db.session.scalar(db.select(db.func.count()).select_from(TopicDownload)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(OfflineMark)) == 0


def test_download_then_marks_sent_are_judged_for_the_sender_only(topic, provinces, login):
    xuan, _ = provinces
    other = make_member(xuan.unit, "Vàng Thị Mai", phone="0912099003")
    other.user = make_user("mai", full_name="Vàng Thị Mai")
    db.session.commit()
    client = login("xuan")
    assert client.post(f"/offline/topics/{topic.slug}").get_json()["recorded"] is True
    row = db.session.scalars(db.select(TopicDownload)).one()
    row.downloaded_at -= timedelta(hours=1)  # downloaded an hour ago
    db.session.commit()
    lesson = learning_topics.published_lessons(topic)[0]
    now = utcnow()
    mark = _mark(topic, lesson, "key-00000001", now - timedelta(minutes=40), now - timedelta(minutes=20))
    mark["member_id"] = other.id  # asking for someone else changes nothing: the mark is the sender's
    answer = client.post("/offline/marks", json={"marks": [mark, mark]}).get_json()
    assert [r["outcome"] for r in answer["results"]] == ["accepted", "accepted"]  # the same mark, judged once
    assert db.session.scalar(db.select(db.func.count()).select_from(OfflineMark)) == 1
    assert _progress(xuan, lesson).studied_at is not None
    assert _progress(other, lesson) is None
    # Mai sends Xuân's mark (same key): hers is judged on its own, and she downloaded nothing.
    refused = login("mai").post("/offline/marks", json={"marks": [mark]}).get_json()["results"][0]
    assert refused["outcome"] == "refused" and "chưa được tải về máy" in refused["reason"]
    assert _progress(other, lesson) is None
    page = client.get("/offline/marks").get_data(as_text=True)
    assert lesson.title in page and "Đã ghi nhận" in page


def test_sending_marks_needs_the_csrf_token_read_from_the_site(app, topic, provinces, login):
    client = login("xuan")
    app.config["WTF_CSRF_ENABLED"] = True
    lesson = learning_topics.published_lessons(topic)[0]
    now = utcnow()
    body = {"marks": [_mark(topic, lesson, "key-00000001", now - timedelta(hours=1), now)]}
    assert client.post("/offline/marks", json=body).status_code == 400
    state = client.get("/offline/marks.json")
    assert state.headers["Cache-Control"] == "no-store"
    token = state.get_json()["csrf_token"]
    answer = client.post("/offline/marks", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["results"][0]["key"] == "key-00000001"


@pytest.mark.parametrize("body", [None, "text", {"marks": []}, {"marks": "x"}, {"marks": [{}] * 51}])
def test_a_body_that_is_not_a_list_of_marks_is_a_clear_400(topic, provinces, login, body):
    client = login("xuan")
    response = (client.post("/offline/marks", data="not json", content_type="application/json") if body is None
                else client.post("/offline/marks", json=body))
    assert response.status_code == 400
    assert "bài đánh dấu" in response.get_json()["message"]


def test_marks_that_are_not_marks_are_refused_one_by_one(topic, provinces, login):
    client = login("xuan")
    lesson = learning_topics.published_lessons(topic)[0]
    now = utcnow()
    good = _mark(topic, lesson, "key-00000001", now - timedelta(hours=1), now)
    marks = ["x", {"key": "short"}, dict(good, key="k" * 65), dict(good, opened="yesterday"),
             dict(good, marked=True), dict(good, lesson=["a"]), dict(good, topic="khong-co"),
             dict(good, key="٣٣٣٣٣٣٣٣٣"), dict(good, key="key-00000009\n")]
    results = client.post("/offline/marks", json={"marks": marks}).get_json()["results"]
    assert [r["outcome"] for r in results] == ["refused"] * len(marks)
    assert db.session.scalar(db.select(db.func.count()).select_from(OfflineMark)) == 0


def test_only_a_member_sends_marks(topic, provinces, world, login):
    assert login("editor").post("/offline/marks", json={"marks": [{}]}).status_code == 404
    assert login("editor").get("/offline/marks.json").get_json()["member"] is False


def test_a_lesson_copy_for_the_phone_does_not_open_the_lesson(topic, provinces, login):
    xuan, _ = provinces
    lesson = learning_topics.published_lessons(topic)[0]
    client = login("xuan")
    page = client.get(f"/learn/{topic.slug}/{lesson.slug}", headers={"X-Offline-Copy": "1"}).get_data(as_text=True)
    assert _progress(xuan, lesson) is None
    assert "Tôi đã học xong bài này" in page and "data-offline-mark" in page
    client.get(f"/learn/{topic.slug}/{lesson.slug}")
    assert _progress(xuan, lesson) is not None


def test_the_app_can_be_installed(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.get_json()
    assert data["name"] == "Học tập chuyên đề Công đoàn" and data["lang"] == "vi" and data["display"] == "standalone"
    for icon in data["icons"]:
        image = client.get(icon["url"] if "url" in icon else icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        from io import BytesIO

        from PIL import Image
        assert Image.open(BytesIO(image.get_data())).size == tuple(int(n) for n in icon["sizes"].split("x"))
        image.close()
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype in ("text/javascript", "application/javascript")
    assert worker.headers["Cache-Control"] == "no-cache"
    assert "importScripts(\"/static/js/offline.js\")" in worker.get_data(as_text=True)
    worker.close()


def test_the_offline_page_is_the_same_for_everyone(topic, provinces, login, client):
    anonymous = client.get("/offline").get_data(as_text=True)
    mine = login("xuan").get("/offline").get_data(as_text=True)
    assert "Không có mạng" in mine and "Lò Thị Xuân" not in mine
    assert anonymous == mine


def test_the_icons_are_drawn_from_the_committed_source():
    import importlib.util
    source = Path(__file__).resolve().parent.parent / "tools" / "draw_icons.py"
    spec = importlib.util.spec_from_file_location("draw_icons", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from PIL import Image, ImageChops
    for size in module.SIZES:
        stored = Image.open(module.OUT / f"icon-{size}.png").convert("RGB")
        assert ImageChops.difference(stored, module.draw(size).convert("RGB")).getbbox() is None


# -- two requests at once, for real: threads, sessions and connections of their own ---------

def _together(app, actions):
    """Run each action in its own thread and session, all starting at once; their results."""
    barrier, results, errors = threading.Barrier(len(actions)), [None] * len(actions), []

    def worker(slot):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[slot] = actions[slot]()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def _send(member_id, lesson_id, key, opened, marked, now):
    def action():
        member, lesson = db.session.get(Member, member_id), db.session.get(Lesson, lesson_id)
        offline.lock_member(member)
        return offline.apply_mark(member, lesson, key, opened, marked, now=now).outcome
    return action


def test_two_batches_at_once_cannot_both_spend_the_same_reading_time(app, topic, member):
    now = utcnow()
    first, second = learning_topics.published_lessons(topic)[:2]
    since = now - timedelta(seconds=studying.required_read_seconds(first) + 5)  # time for one lesson only
    assert studying.required_read_seconds(second) > 5
    offline.record_download(member, topic, now=since)
    db.session.commit()
    outcomes = _together(app, [_send(member.id, first.id, "key-00000001", since, now, now),
                               _send(member.id, first.id, "key-00000001", since, now, now),
                               _send(member.id, second.id, "key-00000002", since, now, now)])
    assert outcomes[0] == outcomes[1]  # the same mark sent twice at once: one judgement
    marks = db.session.scalars(db.select(OfflineMark)).all()
    assert len(marks) == 2 and sorted(mark.outcome for mark in marks) == ["accepted", "refused"]
    studied = db.session.scalar(db.select(db.func.count()).select_from(LessonProgress)
                                .where(LessonProgress.studied_at.is_not(None)))
    assert studied == 1
