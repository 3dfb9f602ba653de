"""Nominating exemplary models and people, passing them up the tree, and publishing them.

A nomination starts at the level of the officer who makes it (the highest unit above the subject
that the officer oversees) and waits at the level above; each level endorses it (it moves up) or
returns it with a comment to the nominating level; the top of the tree approves it, and only then
does it appear on the public page. Every step is a guarded UPDATE on the story's version, so of two
officers acting on the same page at once, the second is refused. Flush only: callers commit.
"""
import io
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import case, func, or_, true, update
from sqlalchemy.orm import aliased, selectinload

from core import audit
from core.clock import to_local, utcnow
from core.extensions import db
from core.permissions import can_manage_unit, scope_paths
from lamtheo.story_models import (
    APPROVED,
    CONSENT_METHODS,
    KIND_MODEL,
    KIND_PERSON,
    PENDING,
    RETURNED,
    WITHDRAWN,
    Story,
    StoryPhoto,
    StoryStep,
)
from units import tree as unit_tree
from units.models import MEMBER_ACTIVE, Member, Unit

MAX_PHOTOS = 4
MAX_PHOTO_BYTES = 8 * 1024 * 1024  # a phone photo is 2-6 MB
MAX_PHOTO_PIXELS = 50_000_000  # a 50-megapixel phone; a bomb of a few KB claims billions
PHOTO_LONG_SIDE = 1600  # wide enough for a portal's article, small enough for a phone on 3G
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
PUBLIC_PAGE_SIZE = 10
FEED_SIZE = 20
# A phone number however written: 0 or +84, then 8 to 10 digits with optional separators.
_PHONE_LIKE = re.compile(r"(?<!\d)(?:\+\s?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")


class StoryError(Exception):
    """A refusal, in Vietnamese."""


@dataclass(frozen=True)
class PreparedPhoto:
    data: bytes
    width: int
    height: int


# -- photos ------------------------------------------------------------------------------

def photo_dir() -> Path:
    folder = current_app.config.get("STORY_PHOTO_DIR")
    return Path(folder) if folder else Path(current_app.instance_path) / "lamtheo" / "photos"


def photo_path(photo: StoryPhoto) -> Path:
    return photo_dir() / photo.filename


def prepare_photo(data: bytes) -> PreparedPhoto:
    """Decode a photo and re-encode it as a JPEG at most PHOTO_LONG_SIDE wide, with nothing of the
    original file kept: no EXIF (GPS position, camera, owner), no XMP, no comments.

    Refused: more than MAX_PHOTO_BYTES, not a JPEG, PNG or WebP that decodes, or more than
    MAX_PHOTO_PIXELS (judged from the header, before anything is decoded)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise StoryError(f"Ảnh lớn hơn {MAX_PHOTO_BYTES // (1024 * 1024)} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is judged below
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in PHOTO_FORMATS:
                    raise StoryError("Chỉ nhận ảnh JPEG, PNG hoặc WebP.")
                if image.width * image.height > MAX_PHOTO_PIXELS:
                    raise StoryError("Ảnh quá lớn (hơn 50 triệu điểm ảnh); hãy chụp hoặc lưu ở cỡ nhỏ hơn.")
                image.load()
                upright = ImageOps.exif_transpose(image)  # keep the photo the right way up without its EXIF
                rgb = upright.convert("RGB")
    except StoryError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise StoryError("Tệp không phải ảnh dùng được (ảnh hỏng hoặc không đúng định dạng).") from None
    rgb.thumbnail((PHOTO_LONG_SIDE, PHOTO_LONG_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return PreparedPhoto(out.getvalue(), rgb.width, rgb.height)


def _add_photos(story: Story, photos: list[PreparedPhoto], captions: list[str]) -> None:
    folder = photo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    start = max((p.position for p in story.photos), default=0)
    for offset, (photo, caption) in enumerate(zip(photos, captions, strict=True), start=1):
        filename = f"{secrets.token_hex(16)}.jpg"
        (folder / filename).write_bytes(photo.data)
        story.photos.append(StoryPhoto(position=start + offset, filename=filename, width=photo.width,
                                       height=photo.height, size=len(photo.data), caption=caption.strip()[:200]))


# -- rules ------------------------------------------------------------------------------

def contains_phone_number(text: str) -> bool:
    digits = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch
                     for ch in unicodedata.normalize("NFKC", text or ""))
    return bool(_PHONE_LIKE.search(digits))


def _check_text(title: str, summary: str, body: str) -> tuple[str, str, str]:
    title, summary, body = (title or "").strip(), (summary or "").strip(), (body or "").strip()
    if not title or not summary or not body:
        raise StoryError("Hãy ghi đủ tên, tóm tắt và câu chuyện.")
    if len(title) > 200 or len(summary) > 400 or len(body) > 20000:
        raise StoryError("Tên tối đa 200 ký tự, tóm tắt 400 ký tự, câu chuyện 20.000 ký tự.")
    if any(contains_phone_number(text) for text in (title, summary, body)):
        raise StoryError("Bài có số điện thoại: trang công khai không đăng số điện thoại của ai, hãy bỏ đi.")
    return title, summary, body


def nominating_level(user, unit: Unit) -> Unit | None:
    """The highest unit from the top of the tree down to ``unit`` that ``user`` oversees: the level
    the nomination comes from. None when ``unit`` is outside the user's scope."""
    for candidate in unit_tree.ancestors(unit) + [unit]:
        if can_manage_unit(user, candidate):
            return candidate
    return None


def _level_above(unit: Unit) -> Unit:
    return unit.parent if unit.parent is not None else unit


def is_top(unit: Unit) -> bool:
    return unit.parent_id is None


def can_view(user, story: Story) -> bool:
    return can_manage_unit(user, story.unit)


def can_act(user, story: Story) -> bool:
    return story.status == PENDING and can_manage_unit(user, story.at_unit)


def can_resubmit(user, story: Story) -> bool:
    return story.status == RETURNED and can_manage_unit(user, story.origin_unit)


def can_withdraw(user, story: Story) -> bool:
    return story.status == APPROVED and can_manage_unit(user, story.unit)


def _step(story: Story, action: str, unit: Unit, actor, comment: str, now: datetime) -> None:
    db.session.add(StoryStep(story_id=story.id, action=action, unit_id=unit.id, actor_id=getattr(actor, "id", None),
                             comment=comment, at=now))
    audit.record(actor, f"story_{action}", "story", story.id, f"{story.title} ({unit.name})",
                 {"unit": unit.code, "comment": comment} if comment else {"unit": unit.code}, now=now)


_MOVED_ON = "Hồ sơ này vừa được người khác xử lý; hãy xem lại trạng thái mới rồi thao tác lại."


def _ensure_current(story: Story, expected_version: int) -> None:
    """The page the officer acted on showed this version: if the story moved since, say so first."""
    if story.version != expected_version:
        raise StoryError(_MOVED_ON)


def _guarded(story: Story, expected_version: int, from_status: str, **values) -> None:
    """Move the story on only if nobody moved it since ``expected_version`` was read."""
    result = db.session.execute(
        update(Story).where(Story.id == story.id, Story.version == expected_version, Story.status == from_status)
        .values(version=Story.version + 1, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(story)
        raise StoryError(_MOVED_ON)
    db.session.refresh(story)


# -- steps -------------------------------------------------------------------------------

def nominate(actor, *, kind: str, unit: Unit, title: str, summary: str, body: str, member: Member | None = None,
             consent_method: str | None = None, consent_note: str = "", photos: list[bytes] = (),
             captions: list[str] | None = None, now: datetime | None = None) -> Story:
    """Nominate a collective (``unit``) or a person (``member``, of ``unit``), with their consent."""
    now = now or utcnow()
    level = nominating_level(actor, unit)
    if level is None:
        raise StoryError("Đơn vị này nằm ngoài phạm vi bạn phụ trách.")
    if not unit.is_active:
        raise StoryError("Đơn vị này đã sáp nhập hoặc giải thể.")
    if kind not in (KIND_MODEL, KIND_PERSON):
        raise StoryError("Hãy chọn mô hình (tập thể) hoặc gương điển hình (cá nhân).")
    consent_note = (consent_note or "").strip()
    if kind == KIND_PERSON:
        if member is None or member.unit_id != unit.id or member.status != MEMBER_ACTIVE:
            raise StoryError("Không tìm thấy đoàn viên này trong đơn vị đã chọn.")
        if consent_method not in CONSENT_METHODS:
            raise StoryError("Chỉ đề cử gương cá nhân khi đã có sự đồng ý của người đó: hãy ghi cách người đó đồng ý.")
        if len(consent_note) > 300 or contains_phone_number(consent_note):
            raise StoryError("Ghi chú về sự đồng ý tối đa 300 ký tự, không ghi số điện thoại.")
    else:
        member, consent_method, consent_note = None, None, ""
    title, summary, body = _check_text(title, summary, body)
    prepared = _prepared(photos, 0)
    story = Story(kind=kind, year=to_local(now).year, title=title, summary=summary, body=body, unit=unit,
                  member=member, status=PENDING, origin_unit=level, at_unit=_level_above(level),
                  nominated_by_id=actor.id if actor else None, nominated_at=now, updated_at=now)
    if kind == KIND_PERSON:
        story.consent_method, story.consent_note = consent_method, consent_note
        story.consent_recorded_by_id, story.consent_recorded_at = getattr(actor, "id", None), now
    db.session.add(story)
    db.session.flush()
    _add_photos(story, prepared, list(captions or [""] * len(prepared)))
    _step(story, "nominated", level, actor, "", now)
    db.session.flush()
    return story


def _prepared(photos, already: int) -> list[PreparedPhoto]:
    photos = [data for data in photos if data]
    if already + len(photos) > MAX_PHOTOS:
        raise StoryError(f"Mỗi bài có tối đa {MAX_PHOTOS} ảnh.")
    prepared = []
    for number, data in enumerate(photos, start=1):
        try:
            prepared.append(prepare_photo(data))
        except StoryError as exc:
            raise StoryError(f"Ảnh thứ {number}: {exc}") from None
    return prepared


def endorse(story: Story, actor, expected_version: int, comment: str = "", *, now: datetime | None = None) -> None:
    """The waiting level agrees: the story moves to the level above, or at the top is approved."""
    now = now or utcnow()
    _ensure_current(story, expected_version)
    if not can_act(actor, story):
        raise StoryError("Hồ sơ này không chờ cấp của bạn xử lý.")
    level = story.at_unit
    comment = (comment or "").strip()[:2000]
    if is_top(level):
        _guarded(story, expected_version, PENDING, status=APPROVED, approved_at=now, updated_at=now)
        _step(story, "approved", level, actor, comment, now)
    else:
        _guarded(story, expected_version, PENDING, at_unit_id=level.parent_id, updated_at=now)
        _step(story, "endorsed", level, actor, comment, now)
    db.session.flush()


def return_story(story: Story, actor, expected_version: int, comment: str, *, now: datetime | None = None) -> None:
    """The waiting level sends it back to the nominating level, saying what to change."""
    now = now or utcnow()
    _ensure_current(story, expected_version)
    if not can_act(actor, story):
        raise StoryError("Hồ sơ này không chờ cấp của bạn xử lý.")
    comment = (comment or "").strip()
    if len(comment) < 5 or len(comment) > 2000:
        raise StoryError("Hãy ghi rõ cần bổ sung gì (từ 5 đến 2.000 ký tự).")
    level = story.at_unit
    _guarded(story, expected_version, PENDING, status=RETURNED, at_unit_id=story.origin_unit_id,
             last_comment=comment, updated_at=now)
    _step(story, "returned", level, actor, comment, now)
    db.session.flush()


def resubmit(story: Story, actor, expected_version: int, *, title: str, summary: str, body: str,
             photos: list[bytes] = (), captions: list[str] | None = None, remove_photo_ids: list[int] = (),
             now: datetime | None = None) -> None:
    """The nominating level corrects a returned story and sends it up again."""
    now = now or utcnow()
    _ensure_current(story, expected_version)
    if not can_resubmit(actor, story):
        raise StoryError("Chỉ cấp đã đề cử mới sửa và gửi lại hồ sơ bị trả lại.")
    title, summary, body = _check_text(title, summary, body)
    removed = [photo for photo in story.photos if photo.id in set(remove_photo_ids)]
    prepared = _prepared(photos, len(story.photos) - len(removed))
    _guarded(story, expected_version, RETURNED, status=PENDING, at_unit_id=_level_above(story.origin_unit).id,
             title=title, summary=summary, body=body, updated_at=now)
    for photo in removed:
        story.photos.remove(photo)
    _add_photos(story, prepared, list(captions or [""] * len(prepared)))
    _step(story, "resubmitted", story.origin_unit, actor, "", now)
    db.session.flush()
    for photo in removed:
        photo_dir().joinpath(photo.filename).unlink(missing_ok=True)


def withdraw(story: Story, actor, expected_version: int, reason: str, *, now: datetime | None = None) -> None:
    """Take an approved story off the public page (the person withdrew consent, a fact was wrong)."""
    now = now or utcnow()
    _ensure_current(story, expected_version)
    if not can_withdraw(actor, story):
        raise StoryError("Chỉ gỡ được bài đang đăng của đơn vị trong phạm vi bạn phụ trách.")
    reason = (reason or "").strip()
    if len(reason) < 5 or len(reason) > 2000:
        raise StoryError("Hãy ghi lý do gỡ bài (từ 5 đến 2.000 ký tự).")
    _guarded(story, expected_version, APPROVED, status=WITHDRAWN, last_comment=reason, updated_at=now)
    _step(story, "withdrawn", story.unit, actor, reason, now)
    db.session.flush()


# -- reading -----------------------------------------------------------------------------

def get_story(story_id: int) -> Story | None:
    return db.session.get(Story, story_id)


def stories_in_scope(user) -> list[Story]:
    """Stories about units the user oversees (at most 500), those waiting for one of the user's
    levels first, then the most recently moved."""
    subject, waiting = aliased(Unit), aliased(Unit)
    query = (_with_card_fields(db.select(Story)).join(subject, Story.unit_id == subject.id)
             .join(waiting, Story.at_unit_id == waiting.id))
    in_scope = _scope_on(user, subject)
    if in_scope is not None:
        query = query.where(in_scope)
    mine = _scope_on(user, waiting)
    waiting_first = case(((Story.status == PENDING) & (true() if mine is None else mine), 0), else_=1)
    return list(db.session.scalars(query.order_by(waiting_first, Story.updated_at.desc(), Story.id.desc())
                                   .limit(500)))


def _scope_on(user, unit_alias):
    """What unit_tree.in_scope(user) says, on an alias of the units table; None: everything."""
    paths = scope_paths(user)
    if paths is None:
        return None
    if not paths:
        return unit_alias.id.is_(None)
    return or_(*(unit_alias.path.startswith(path, autoescape=True) for path in paths))


def _with_card_fields(query):
    """What a list of stories shows, loaded with it rather than one query per story."""
    return query.options(selectinload(Story.photos), selectinload(Story.unit), selectinload(Story.member))


def public_stories(page: int):
    return db.paginate(_with_card_fields(db.select(Story)).where(Story.status == APPROVED)
                       .order_by(Story.approved_at.desc(), Story.id.desc()),
                       page=page, per_page=PUBLIC_PAGE_SIZE, error_out=False)


def latest_public(limit: int = FEED_SIZE) -> list[Story]:
    return list(db.session.scalars(_with_card_fields(db.select(Story)).where(Story.status == APPROVED)
                                   .order_by(Story.approved_at.desc(), Story.id.desc()).limit(limit)))


def public_story(story_id: int) -> Story | None:
    story = db.session.get(Story, story_id)
    return story if story is not None and story.status == APPROVED else None


def add_review_figures(root: Unit, year: int, row_of: dict) -> None:
    """The stories' figures for the 19/5 review (``lamtheo.review.figures``):
    ``row_of`` maps every unit of ``root``'s subtree to the row (one per child unit, several units
    sharing one) it counts in. Each story nominated in ``year`` about such a unit adds 1 to that
    row's ``models_nominated``, and to ``models_approved`` when it is on the public page now; every
    row gets 0 rather than None. Stories of both kinds count: collectives and people."""
    rows = {id(row): row for row in row_of.values()}.values()
    for row in rows:
        row.models_nominated = row.models_nominated or 0
        row.models_approved = row.models_approved or 0
    counted = db.session.execute(
        db.select(Story.unit_id, func.count(Story.id), func.coalesce(func.sum(case((Story.status == APPROVED, 1),
                                                                                    else_=0)), 0))
        .join(Unit, Unit.id == Story.unit_id)
        .where(unit_tree.in_subtree(root), Story.year == year).group_by(Story.unit_id))
    for unit_id, nominated, approved in counted:
        row = row_of.get(unit_id)
        if row is not None:
            row.models_nominated += int(nominated)
            row.models_approved += int(approved)
