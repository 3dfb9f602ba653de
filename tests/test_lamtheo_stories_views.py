"""Pages of exemplary models and people through the test client: nominating with photos, the steps,
and what the public page, its photos and its Atom feed show (and never show)."""
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from PIL import Image

from core.extensions import db
from core.permissions import OFFICER
from lamtheo import stories
from lamtheo.story_models import APPROVED, KIND_MODEL, KIND_PERSON, PENDING, Story, StoryPhoto
from tests.factories import make_user

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://congdoan.example.vn"


def jpeg(width=640, height=480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def coso(world):
    return make_user("coso_a", OFFICER, world.grassroots_a)


def approved_story(world, **fields) -> Story:
    values = dict(kind=KIND_MODEL, unit=world.grassroots_a, title="Tủ sách Bác Hồ", summary="Mỗi lớp một ngăn sách.",
                  body="Công đoàn vận động góp **sách**.", photos=[jpeg()], now=datetime(2022, 3, 1))
    values.update(fields)
    story = stories.nominate(world.province_officer, **values)
    stories.endorse(story, world.province_officer, story.version, now=datetime(2022, 3, 5))
    db.session.commit()
    return story


def pending_story(world, coso, **fields) -> Story:
    values = dict(kind=KIND_MODEL, unit=world.grassroots_a, title="Bài chưa duyệt", summary="Tóm tắt bí mật.",
                  body="Chưa được duyệt.", photos=[jpeg()])
    values.update(fields)
    story = stories.nominate(coso, **values)
    db.session.commit()
    return story


def test_an_officer_nominates_a_person_with_a_photo_and_consent(world, coso, login):
    client = login("coso_a")
    page = client.get("/lam-theo/guong-sang/moi").get_data(as_text=True)
    # Only units in scope to choose (the option values: a random token in the page may hold "GB").
    assert "Đơn vị Thử" not in page and 'value="GA"' in page and 'value="GB"' not in page
    response = client.post("/lam-theo/guong-sang/moi", data={
        "kind": KIND_PERSON, "unit": "GA", "member": "0912 000 001", "consent_method": "written",
        "consent_note": "Giấy đồng ý lưu tại văn phòng", "title": "Cô giáo nấu cơm trưa",
        "summary": "Mười năm nấu cơm cho học sinh.", "body": "Mỗi ngày **40 suất**.",
        "photos": [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg(300, 300)), "b.png")],
    }, content_type="multipart/form-data")
    story = db.session.scalars(db.select(Story)).one()
    assert response.headers["Location"].endswith(f"/lam-theo/guong-sang/{story.id}")
    assert (story.member, story.status, story.at_unit, len(story.photos)) == (world.member_a, PENDING,
                                                                              world.district_a, 2)
    detail = client.get(f"/lam-theo/guong-sang/{story.id}").get_data(as_text=True)
    assert "Đã gửi đề cử; hồ sơ chờ Liên đoàn Lao động huyện Tam Đường xét." in detail
    assert "Giấy đồng ý có chữ ký: Giấy đồng ý lưu tại văn phòng" in detail and "ghi nhận bởi Coso_A" in detail
    assert "<strong>40 suất</strong>" in detail
    with client.get(f"/lam-theo/guong-sang/anh/{story.photos[0].id}") as photo:
        assert photo.mimetype == "image/jpeg" and "no-store" in photo.headers["Cache-Control"]


def test_a_member_outside_the_scope_is_as_unknown_as_one_who_does_not_exist(world, coso, login):
    for identifier in ("0912000002", "0999999999"):  # member_b is in the other district
        page = login("coso_a").post("/lam-theo/guong-sang/moi", data={
            "kind": KIND_PERSON, "unit": "GA", "member": identifier, "consent_method": "written", "title": "T",
            "summary": "S", "body": "B"}, content_type="multipart/form-data").get_data(as_text=True)
        assert "Không tìm thấy đoàn viên với số thẻ hoặc số điện thoại này trong phạm vi bạn phụ trách." in page
    assert db.session.scalars(db.select(Story)).all() == []


def test_a_unit_code_outside_the_scope_is_refused(world, coso, login):
    response = login("coso_a").post("/lam-theo/guong-sang/moi", data={
        "kind": KIND_MODEL, "unit": "GB", "title": "T", "summary": "S", "body": "B"},
        content_type="multipart/form-data")
    assert response.status_code == 200 and "Lựa chọn không hợp lệ" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Story)).all() == []


def test_a_bad_photo_is_refused_with_a_message_and_nothing_is_saved(world, coso, login):
    response = login("coso_a").post("/lam-theo/guong-sang/moi", data={
        "kind": KIND_MODEL, "unit": "GA", "title": "T", "summary": "S", "body": "B",
        "photos": [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(b"<svg onload=alert(1)>"), "b.jpg")],
    }, content_type="multipart/form-data")
    assert "Ảnh thứ 2: Tệp không phải ảnh dùng được" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Story)).all() == []
    assert not stories.photo_dir().exists() or list(stories.photo_dir().iterdir()) == []


def test_the_district_endorses_and_the_province_approves_through_the_pages(world, coso, login):
    story = pending_story(world, coso)
    district = login("officer_a")
    assert "Chờ bạn xét (1)" in district.get("/lam-theo/guong-sang/").get_data(as_text=True)
    response = district.post(f"/lam-theo/guong-sang/{story.id}/dong-y", data={"version": 1, "comment": "Tốt"})
    assert response.headers["Location"].endswith(f"/lam-theo/guong-sang/{story.id}")
    province = login("tinh")
    page = province.get(f"/lam-theo/guong-sang/{story.id}").get_data(as_text=True)
    assert "Duyệt đăng" in page and re.search(r'name="version"[^>]*type="hidden" value="2"', page)
    province.post(f"/lam-theo/guong-sang/{story.id}/dong-y", data={"version": 2})
    assert "Đã duyệt: bài đã lên trang Gương sáng." in province.get(f"/lam-theo/guong-sang/{story.id}").get_data(
        as_text=True)
    assert db.session.get(Story, story.id).status == APPROVED


def test_a_stale_page_is_told_someone_else_acted(world, coso, login):
    story = pending_story(world, coso)
    login("officer_a").post(f"/lam-theo/guong-sang/{story.id}/tra-lai", data={"version": 1,
                                                                             "comment": "Bổ sung số liệu."})
    province = login("tinh")
    province.post(f"/lam-theo/guong-sang/{story.id}/dong-y", data={"version": 1})
    page = province.get(f"/lam-theo/guong-sang/{story.id}").get_data(as_text=True)
    assert "vừa được người khác xử lý" in page and "Bổ sung số liệu." in page
    assert db.session.get(Story, story.id).status == "returned"


@pytest.mark.parametrize("version", ["abc", "-1", "99999999999999999999", ""])
def test_a_forged_version_is_a_message_not_an_error(world, coso, login, version):
    story = pending_story(world, coso)
    response = login("officer_a").post(f"/lam-theo/guong-sang/{story.id}/dong-y", data={"version": version})
    assert response.status_code == 302
    assert db.session.get(Story, story.id).version == 1


def test_the_nominating_level_corrects_a_returned_story(world, coso, login):
    story = pending_story(world, coso)
    stories.return_story(story, world.officer_a, 1, "Hãy bổ sung ảnh và kết quả.")
    db.session.commit()
    client = login("coso_a")
    page = client.get(f"/lam-theo/guong-sang/{story.id}/sua").get_data(as_text=True)
    assert "Hãy bổ sung ảnh và kết quả." in page
    photo_id = story.photos[0].id
    client.post(f"/lam-theo/guong-sang/{story.id}/sua", data={
        "version": "2", "title": "Bài đã sửa", "summary": "Tóm tắt", "body": "Kết quả: 640 cuốn.",
        "remove_photo": [str(photo_id)], "photos": [(io.BytesIO(jpeg(200, 100)), "c.jpg")]},
        content_type="multipart/form-data")
    db.session.expire_all()
    story = db.session.get(Story, story.id)
    assert (story.status, story.title, [p.width for p in story.photos]) == (PENDING, "Bài đã sửa", [200])
    assert db.session.get(StoryPhoto, photo_id) is None


def test_the_public_page_shows_approved_stories_only_and_no_phone_numbers(world, coso, client):
    person = approved_story(world, kind=KIND_PERSON, member=world.member_a, consent_method="in_person",
                            title="Cô giáo nấu cơm trưa")
    pending_story(world, coso)
    page = client.get("/guong-sang").get_data(as_text=True)
    assert "Cô giáo nấu cơm trưa" in page and "Lò Thị Xuân" in page
    assert "Bài chưa duyệt" not in page and "Tóm tắt bí mật" not in page
    assert "0912000001" not in page and "LC0001" not in page
    story_page = client.get(f"/guong-sang/{person.id}").get_data(as_text=True)
    assert "0912000001" not in story_page and "LC0001" not in story_page and "Coso_A" not in story_page
    assert "Giấy đồng ý" not in story_page and "đồng ý" not in story_page.split("<main")[1]


def test_unapproved_stories_and_their_photos_are_not_found_by_the_public(world, coso, client):
    story = pending_story(world, coso)
    assert client.get(f"/guong-sang/{story.id}").status_code == 404
    assert client.get(f"/guong-sang/anh/{story.photos[0].id}.jpg").status_code == 404
    assert client.get("/guong-sang/anh/999999.jpg").status_code == 404
    approved = approved_story(world)
    stories.withdraw(approved, world.officer_a, approved.version, "Rút lại sự đồng ý.")
    db.session.commit()
    assert client.get(f"/guong-sang/{approved.id}").status_code == 404
    assert client.get(f"/guong-sang/anh/{approved.photos[0].id}.jpg").status_code == 404


def test_a_story_page_carries_open_graph_tags_with_absolute_urls(app, world, client):
    app.config["PUBLIC_BASE_URL"] = BASE + "/"
    story = approved_story(world, title='Tủ sách "Bác Hồ" <mới>')
    page = client.get(f"/guong-sang/{story.id}").get_data(as_text=True)
    tags = dict(re.findall(r'<meta property="(og:[a-z:]+)" content="([^"]*)">', page))
    assert tags["og:title"] == "Tủ sách &#34;Bác Hồ&#34; &lt;mới&gt;"
    assert tags["og:description"] == "Mỗi lớp một ngăn sách."
    assert tags["og:url"] == f"{BASE}/guong-sang/{story.id}"
    assert tags["og:image"] == f"{BASE}/guong-sang/anh/{story.photos[0].id}.jpg"
    with client.get(f"/guong-sang/anh/{story.photos[0].id}.jpg") as photo:
        assert photo.mimetype == "image/jpeg" and Image.open(io.BytesIO(photo.data)).size == (640, 480)


def test_the_feed_is_atom_with_the_approved_stories_only(app, world, coso, client):
    app.config["PUBLIC_BASE_URL"] = BASE
    first = approved_story(world, title="Tủ sách Bác Hồ & <em>bạn đọc</em>")
    second = approved_story(world, title="Bếp ăn bán trú", photos=[], now=datetime(2022, 4, 1))
    pending_story(world, coso)
    response = client.get("/guong-sang/feed.xml")
    assert response.mimetype == "application/atom+xml" and response.headers["Access-Control-Allow-Origin"] == "*"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/guong-sang/feed.xml"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [s.title for s in stories.latest_public()]
    assert {e.find(f"{ATOM}title").text for e in entries} == {first.title, second.title}
    for entry in entries:
        for required in ("id", "title", "updated", "summary", "content", "author"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.find(f"{ATOM}updated").text)
        assert entry.find(f"{ATOM}id").text.startswith(BASE + "/guong-sang/")
    content = next(e for e in entries if e.find(f"{ATOM}title").text == first.title).find(f"{ATOM}content")
    assert content.get("type") == "html" and "<strong>sách</strong>" in content.text
    assert f'src="{BASE}/guong-sang/anh/{first.photos[0].id}.jpg"' in content.text
    assert "Bài chưa duyệt" not in response.get_data(as_text=True)


def test_an_empty_feed_is_still_valid_atom(client, app):
    feed = ET.fromstring(client.get("/guong-sang/feed.xml").data)
    assert feed.find(f"{ATOM}updated").text and feed.findall(f"{ATOM}entry") == []


def test_the_public_list_is_paginated_and_a_crafted_page_is_an_ordinary_page(world, client):
    for n in range(11):
        approved_story(world, title=f"Bài số {n}", photos=[])
    assert "Bài số 0" not in client.get("/guong-sang").get_data(as_text=True)
    assert "Bài số 0" in client.get("/guong-sang?page=2").get_data(as_text=True)
    for crafted in ("99999999999999999999", "-3", "x"):
        assert client.get(f"/guong-sang?page={crafted}").status_code == 200
