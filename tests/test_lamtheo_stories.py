"""Services of exemplary models and people: the way up the tree, scopes, consent, photo safety, counts."""
import io
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import update

from core.extensions import db
from core.models import AuditEntry
from core.permissions import OFFICER
from lamtheo import stories
from lamtheo.story_models import (
    APPROVED,
    KIND_MODEL,
    KIND_PERSON,
    PENDING,
    RETURNED,
    WITHDRAWN,
    Story,
    StoryPhoto,
    StoryStep,
)
from tests.factories import make_member, make_user
from units.models import Unit

NOW = datetime(2022, 3, 10, 3, 0)
TEXT = dict(title="Tủ sách Bác Hồ", summary="Mỗi lớp một ngăn sách về Bác.",
            body="Công đoàn vận động mỗi đoàn viên góp **hai cuốn sách**.")


def jpeg(width=800, height=600, exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 40, 40))
    if exif is not None:
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (22.0, 24.0, 5.0), 3: "E", 4: (103.0, 27.0, 30.0)})  # Lai Châu
    return exif


@pytest.fixture
def coso(world):
    return make_user("coso_a", OFFICER, world.grassroots_a)


def nominate(actor, unit, **overrides):
    fields = dict(kind=KIND_MODEL, unit=unit, now=NOW, **TEXT)
    fields.update(overrides)
    return stories.nominate(actor, **fields)


def test_a_grassroots_nomination_goes_up_through_the_district_and_the_province_approves(world, coso):
    story = nominate(coso, world.grassroots_a)
    db.session.commit()
    assert (story.status, story.origin_unit, story.at_unit, story.year) == (PENDING, world.grassroots_a,
                                                                           world.district_a, 2022)
    assert stories.public_story(story.id) is None

    stories.endorse(story, world.officer_a, story.version, "Đồng ý.", now=NOW)
    db.session.commit()
    assert (story.status, story.at_unit) == (PENDING, world.province)
    assert stories.public_story(story.id) is None

    stories.endorse(story, world.province_officer, story.version, now=NOW)
    db.session.commit()
    assert story.status == APPROVED and story.approved_at == NOW
    assert stories.public_story(story.id) is story
    assert [(s.action, s.unit.code) for s in story.steps] == [("nominated", "GA"), ("endorsed", "DA"),
                                                              ("approved", "P")]
    actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.target_type == "story")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["story_nominated", "story_endorsed", "story_approved"]


def test_each_level_acts_only_when_the_story_waits_for_it(world, coso):
    story = nominate(coso, world.grassroots_a)
    for outsider in (coso, world.officer_b, world.member_user):  # the nominating level itself, the neighbour, a member
        with pytest.raises(stories.StoryError):
            stories.endorse(story, outsider, story.version)
        with pytest.raises(stories.StoryError):
            stories.return_story(story, outsider, story.version, "Hãy bổ sung số liệu.")
    assert (story.status, story.at_unit, story.version) == (PENDING, world.district_a, 1)
    with pytest.raises(stories.StoryError, match="ngoài phạm vi"):
        nominate(world.officer_b, world.grassroots_a)
    with pytest.raises(stories.StoryError, match="ngoài phạm vi"):
        nominate(coso, world.grassroots_b)
    world.grassroots_b.status = "dissolved"
    with pytest.raises(stories.StoryError, match="giải thể"):
        nominate(world.officer_b, world.grassroots_b)


def test_a_nomination_starts_at_the_highest_level_its_officer_holds(world):
    story = nominate(world.officer_a, world.grassroots_a)
    assert (story.origin_unit, story.at_unit) == (world.district_a, world.province)
    top = nominate(world.province_officer, world.grassroots_b)
    assert (top.origin_unit, top.at_unit) == (world.province, world.province)  # still approved by a step of its own
    stories.endorse(top, world.province_officer, top.version)
    assert top.status == APPROVED


def test_a_returned_story_goes_back_to_the_nominating_level_with_the_comment_and_comes_up_again(world, coso):
    photo = jpeg()
    story = nominate(coso, world.grassroots_a, photos=[photo, photo])
    with pytest.raises(stories.StoryError, match="ghi rõ"):
        stories.return_story(story, world.officer_a, story.version, "  ")
    stories.return_story(story, world.officer_a, story.version, "Hãy bổ sung số liệu cụ thể.", now=NOW)
    assert (story.status, story.at_unit, story.last_comment) == (RETURNED, world.grassroots_a,
                                                                 "Hãy bổ sung số liệu cụ thể.")
    with pytest.raises(stories.StoryError):
        stories.endorse(story, world.officer_a, story.version)  # nothing waits at the district now
    with pytest.raises(stories.StoryError, match="cấp đã đề cử"):
        stories.resubmit(story, world.officer_b, story.version, **TEXT)

    first = story.photos[0]
    stories.resubmit(story, coso, story.version, title="Tủ sách Bác Hồ: 640 cuốn", summary=TEXT["summary"],
                     body=TEXT["body"] + "\n\nSau một năm có 640 cuốn.", photos=[jpeg(300, 200)],
                     remove_photo_ids=[first.id], now=NOW)
    db.session.commit()
    assert (story.status, story.at_unit, story.title) == (PENDING, world.district_a, "Tủ sách Bác Hồ: 640 cuốn")
    assert [p.width for p in story.photos] == [800, 300]
    assert not (stories.photo_dir() / first.filename).exists()
    assert [s.action for s in story.steps] == ["nominated", "returned", "resubmitted"]


def test_of_two_officers_acting_on_the_same_page_the_second_is_refused(world, coso):
    story = nominate(coso, world.grassroots_a)
    db.session.commit()
    seen = story.version  # both the district officer and the province officer opened the page now
    stories.return_story(story, world.officer_a, seen, "Hãy bổ sung ảnh.")
    db.session.commit()
    with pytest.raises(stories.StoryError, match="vừa được người khác xử lý"):
        stories.endorse(story, world.province_officer, seen)
    db.session.rollback()
    assert story.status == RETURNED
    assert [s.action for s in story.steps] == ["nominated", "returned"]


def test_the_guarded_step_refuses_when_another_request_moved_the_story_after_it_was_read(world, coso):
    story = nominate(coso, world.grassroots_a)
    db.session.commit()
    # Another officer's request returns it between this request's read and its write: the row moves
    # in the database, the object this request holds still says "pending at the district, version 1".
    with db.engine.begin() as other_request:
        other_request.execute(update(Story).where(Story.id == story.id)
                              .values(status=RETURNED, at_unit_id=world.grassroots_a.id, version=2))
    assert (story.status, story.version) == (PENDING, 1)
    with pytest.raises(stories.StoryError, match="vừa được người khác"):
        stories.endorse(story, world.officer_a, 1)
    db.session.rollback()
    assert (story.status, story.version, story.at_unit) == (RETURNED, 2, world.grassroots_a)
    assert db.session.scalars(db.select(StoryStep.action).where(StoryStep.story_id == story.id)).all() == ["nominated"]


def test_a_person_is_nominated_only_with_their_consent_recorded(world, coso):
    with pytest.raises(stories.StoryError, match="đồng ý"):
        nominate(coso, world.grassroots_a, kind=KIND_PERSON, member=world.member_a)
    with pytest.raises(stories.StoryError, match="Không tìm thấy"):  # a member of another union
        nominate(coso, world.grassroots_a, kind=KIND_PERSON, member=world.member_b, consent_method="written")
    left = make_member(world.grassroots_a, "Đã Nghỉ Việc")
    left.status = "left"
    with pytest.raises(stories.StoryError, match="Không tìm thấy"):
        nominate(coso, world.grassroots_a, kind=KIND_PERSON, member=left, consent_method="written")
    with pytest.raises(stories.StoryError, match="số điện thoại"):
        nominate(coso, world.grassroots_a, kind=KIND_PERSON, member=world.member_a, consent_method="in_person",
                 consent_note="Đồng ý qua số 0912000001")
    story = nominate(coso, world.grassroots_a, kind=KIND_PERSON, member=world.member_a, consent_method="written",
                     consent_note="Giấy đồng ý ngày 01/03/2022, lưu tại văn phòng.")
    assert (story.consent_method, story.consent_recorded_by, story.consent_recorded_at) == ("written", coso, NOW)
    assert story.subject_name == "Lò Thị Xuân"
    model = nominate(coso, world.grassroots_a, member=world.member_a, consent_method="written")
    assert (model.member, model.consent_method, model.consent_recorded_at) == (None, None, None)


@pytest.mark.parametrize("text", ["Liên hệ 0912 000 001", "Liên hệ ０９１２０００００１", "gọi +84 912.000.001",
                                  "ĐT: 0213-3876-543", "số ٠٩١٢٠٠٠٠٠١"])
def test_a_story_with_a_phone_number_is_refused_however_it_is_written(world, coso, text):
    for field in ("title", "summary", "body"):
        with pytest.raises(stories.StoryError, match="số điện thoại"):
            nominate(coso, world.grassroots_a, **{**TEXT, field: text})
    assert db.session.scalars(db.select(Story)).all() == []


def test_numbers_that_are_not_phones_pass():
    assert not stories.contains_phone_number("Năm 2022 góp 10.000.000 đồng, 640 cuốn sách, 95 % học sinh, 01/03/2022")


def test_a_photo_is_re_encoded_without_its_gps_position_and_turned_upright(app):
    original = jpeg(2400, 1200, exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test file carries a position
    prepared = stories.prepare_photo(original)
    image = Image.open(io.BytesIO(prepared.data))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {} and not image.getexif().get_ifd(0x8825)
    assert "exif" not in image.info and b"Exif" not in prepared.data and b"Camera maker" not in prepared.data
    assert (prepared.width, prepared.height) == (800, 1600)  # rotated upright, then cut to 1600 px


def test_a_small_file_that_decodes_huge_is_refused_before_it_is_decoded(app):
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")  # 144 million pixels in a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(stories.StoryError, match="quá lớn"):
        stories.prepare_photo(bomb.getvalue())


@pytest.mark.parametrize("data, message", [
    (b"GIF89a" + b"\0" * 100, "không phải ảnh"),
    (b"%PDF-1.4 not an image", "không phải ảnh"),
    (jpeg()[:200], "không phải ảnh"),  # cut short
    (b"\xff\xd8\xff" + b"\0" * (stories.MAX_PHOTO_BYTES + 1), "lớn hơn"),
])
def test_what_is_not_a_usable_photo_is_refused(app, data, message):
    with pytest.raises(stories.StoryError, match=message):
        stories.prepare_photo(data)


def test_a_gif_is_refused_even_when_it_decodes(app):
    gif = io.BytesIO()
    Image.new("P", (10, 10)).save(gif, "GIF")
    with pytest.raises(stories.StoryError, match="JPEG, PNG hoặc WebP"):
        stories.prepare_photo(gif.getvalue())


def test_a_refused_photo_leaves_nothing_behind(world, coso):
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")
    with pytest.raises(stories.StoryError, match="Ảnh thứ 2"):
        nominate(coso, world.grassroots_a, photos=[jpeg(), bomb.getvalue()])
    with pytest.raises(stories.StoryError, match="tối đa 4 ảnh"):
        nominate(coso, world.grassroots_a, photos=[jpeg()] * 5)
    db.session.rollback()
    assert db.session.scalars(db.select(Story)).all() == [] and db.session.scalars(db.select(StoryPhoto)).all() == []
    assert not stories.photo_dir().exists() or list(stories.photo_dir().iterdir()) == []


def test_withdrawing_takes_an_approved_story_off_the_public_page(world):
    story = nominate(world.province_officer, world.grassroots_a)
    stories.endorse(story, world.province_officer, story.version)
    with pytest.raises(stories.StoryError):
        stories.withdraw(story, world.officer_b, story.version, "Người được nêu rút lại sự đồng ý.")
    stories.withdraw(story, world.officer_a, story.version, "Người được nêu rút lại sự đồng ý.")
    assert story.status == WITHDRAWN
    assert stories.public_story(story.id) is None and stories.latest_public() == []


def test_the_review_rows_get_the_stories_of_the_units_they_cover(world, coso):
    from types import SimpleNamespace
    approved = nominate(world.province_officer, world.grassroots_a)
    stories.endorse(approved, world.province_officer, approved.version)
    nominate(coso, world.grassroots_a)
    nominate(world.officer_b, world.district_b)
    nominate(world.officer_b, world.grassroots_b, now=datetime(2023, 2, 1))
    row_a, row_b, own = (SimpleNamespace(models_nominated=None, models_approved=None) for _ in range(3))
    row_of = {world.province.id: own, world.district_a.id: row_a, world.grassroots_a.id: row_a,
              world.district_b.id: row_b, world.grassroots_b.id: row_b}
    stories.add_review_figures(world.province, 2022, row_of)
    assert [(r.models_nominated, r.models_approved) for r in (own, row_a, row_b)] == [(0, 0), (2, 1), (1, 0)]
    district_rows = {world.grassroots_a.id: SimpleNamespace(models_nominated=None, models_approved=None)}
    stories.add_review_figures(world.district_a, 2022, district_rows)
    assert vars(district_rows[world.grassroots_a.id]) == {"models_nominated": 2, "models_approved": 1}


def test_officers_see_the_stories_of_their_scope_those_waiting_for_them_first(world, coso):
    waiting_at_district = nominate(coso, world.grassroots_a)
    at_province = nominate(world.officer_a, world.grassroots_a)
    other = nominate(world.officer_b, world.grassroots_b)
    assert stories.stories_in_scope(world.officer_a)[0] == waiting_at_district
    assert set(stories.stories_in_scope(world.officer_a)) == {waiting_at_district, at_province}
    assert stories.stories_in_scope(world.officer_b) == [other]
    assert stories.stories_in_scope(world.member_user) == []
    assert set(stories.stories_in_scope(world.admin)) == {waiting_at_district, at_province, other}
    assert {s for s in stories.stories_in_scope(world.province_officer)
            if stories.can_act(world.province_officer, s)} == {waiting_at_district, at_province, other}


def test_the_public_list_pages_approved_stories_newest_first(world):
    made = []
    for n in range(12):
        story = nominate(world.province_officer, world.grassroots_a, title=f"Bài {n}")
        stories.endorse(story, world.province_officer, story.version, now=datetime(2022, 4, 1 + n))
        made.append(story)
    nominate(world.officer_a, world.grassroots_a, title="Chưa duyệt")
    first, second = stories.public_stories(1), stories.public_stories(2)
    assert first.total == 12 and [s.title for s in first.items][:2] == ["Bài 11", "Bài 10"]
    assert [s.title for s in second.items] == ["Bài 1", "Bài 0"]


def test_the_demo_has_a_dozen_nominations_at_every_stage_with_clean_photos(app):
    from accounts import services as accounts
    from lamtheo import story_demo
    from units import demo as units_demo
    from units import tree as unit_tree
    units_demo.seed()
    district_officer = accounts.create_user("tamduong", "Lò Văn Khăm", units_demo.DEMO_PASSWORD)
    accounts.grant_role(district_officer, OFFICER, unit_tree.get_unit("LDLD-TD"), actor=None)
    assert len(story_demo.seed()) == 12
    db.session.commit()
    rows = db.session.scalars(db.select(Story)).all()
    where = sorted((s.status, s.at_unit.code) for s in rows if s.status != APPROVED)
    assert where == [("pending", "LDLD-LC"), ("pending", "LDLD-LC"), ("pending", "LDLD-TD"), ("pending", "LDLD-TD"),
                     ("returned", "CDCS-TD-THCS")]
    assert sum(s.status == APPROVED for s in rows) == 7
    assert all(s.consent_method == "written" for s in rows if s.kind == KIND_PERSON)
    returned = next(s for s in rows if s.status == RETURNED)
    assert "bổ sung" in returned.last_comment
    province = unit_tree.get_unit("LDLD-LC")
    from types import SimpleNamespace
    row = SimpleNamespace(models_nominated=None, models_approved=None)
    subtree = db.session.scalars(db.select(Unit.id).where(Unit.path.startswith(province.path)))
    stories.add_review_figures(province, 2022, dict.fromkeys(subtree, row))
    assert (row.models_nominated, row.models_approved) == (7, 7)
    photos = db.session.scalars(db.select(StoryPhoto)).all()
    assert len(photos) == 9
    for photo in photos:
        with Image.open(stories.photo_path(photo)) as image:
            assert not image.getexif() and image.size == (photo.width, photo.height)
    assert story_demo.seed() == ["Gương sáng mẫu: đã có."]
