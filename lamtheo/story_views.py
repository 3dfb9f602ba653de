"""Officers' pages for nominations (/lam-theo/guong-sang/…) and the public page "Gương sáng làm theo
Bác" (/guong-sang) with its Atom feed."""
import xml.etree.ElementTree as ET

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from core.extensions import db
from core.markup import render
from core.params import requested_page
from core.permissions import ADMIN, OFFICER, can_manage_unit, roles_required
from lamtheo import stories
from lamtheo.story_forms import NominationForm, ResubmitForm, StepForm
from lamtheo.story_models import CONSENT_METHODS, KIND_PERSON, StoryPhoto
from units import members as unit_members
from units import tree as unit_tree

bp = Blueprint("stories", __name__)
ATOM = "http://www.w3.org/2005/Atom"


def _uploads(field) -> list[bytes]:
    """The uploaded files' bytes, each read one byte past the limit so an oversized one is refused."""
    return [upload.read(stories.MAX_PHOTO_BYTES + 1) for upload in (field.data or [])
            if getattr(upload, "filename", None)]


def _story_or_404(story_id: int):
    story = stories.get_story(story_id)
    if story is None or not stories.can_view(current_user, story):
        abort(404)
    return story


# -- officers -------------------------------------------------------------------------------

@bp.get("/lam-theo/guong-sang/")
@roles_required(OFFICER, ADMIN)
def index():
    rows = stories.stories_in_scope(current_user)
    waiting = [s for s in rows if stories.can_act(current_user, s)]
    others = [s for s in rows if s not in waiting]
    return render_template("lamtheo/stories/index.html", waiting=waiting, others=others)


@bp.route("/lam-theo/guong-sang/moi", methods=["GET", "POST"])
@roles_required(OFFICER, ADMIN)
def new():
    form = NominationForm()
    form.unit.choices = [SelectChoice(u.code, u.name) for u in unit_tree.units_for_choice(current_user)]
    error = None
    if form.validate_on_submit():
        member = None
        if form.kind.data == KIND_PERSON:
            member = unit_members.member_by_identifier(form.member.data or "")
            if member is None or not can_manage_unit(current_user, member.unit):
                member = None  # a member outside the scope is as unknown as one who does not exist
        unit = unit_tree.get_unit(form.unit.data) if member is None else member.unit
        try:
            if form.kind.data == KIND_PERSON and member is None:
                raise stories.StoryError("Không tìm thấy đoàn viên với số thẻ hoặc số điện thoại này trong phạm vi "
                                         "bạn phụ trách.")
            story = stories.nominate(current_user, kind=form.kind.data, unit=unit, member=member,
                                     title=form.title.data, summary=form.summary.data, body=form.body.data,
                                     consent_method=form.consent_method.data or None,
                                     consent_note=form.consent_note.data or "", photos=_uploads(form.photos))
        except stories.StoryError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            story_id, at_unit = story.id, story.at_unit.name
            db.session.commit()
            flash(f"Đã gửi đề cử; hồ sơ chờ {at_unit} xét.", "success")
            return redirect(url_for(".detail", story_id=story_id))
    return render_template("lamtheo/stories/new.html", form=form, error=error)


@bp.get("/lam-theo/guong-sang/<int:story_id>")
@roles_required(OFFICER, ADMIN)
def detail(story_id: int):
    story = _story_or_404(story_id)
    return render_template("lamtheo/stories/detail.html", story=story, body=Markup(render(story.body).html),
                           form=StepForm(version=story.version), can_act=stories.can_act(current_user, story),
                           can_resubmit=stories.can_resubmit(current_user, story),
                           can_withdraw=stories.can_withdraw(current_user, story), is_top=stories.is_top,
                           consent_methods=CONSENT_METHODS)


def _step(story_id: int, action) -> Response:
    story = _story_or_404(story_id)
    form = StepForm()
    if not form.validate_on_submit():
        flash("Trang đã cũ hoặc thiếu thông tin; hãy tải lại trang rồi thao tác lại.", "warning")
        return redirect(url_for(".detail", story_id=story_id))
    try:
        message = action(story, form.version.data, form.comment.data or "")
    except stories.StoryError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(".detail", story_id=story_id))


@bp.post("/lam-theo/guong-sang/<int:story_id>/dong-y")
@roles_required(OFFICER, ADMIN)
def endorse(story_id: int):
    def act(story, version, comment):
        top = stories.is_top(story.at_unit)
        stories.endorse(story, current_user, version, comment)
        return "Đã duyệt: bài đã lên trang Gương sáng." if top else f"Đã chuyển lên {story.at_unit.name}."
    return _step(story_id, act)


@bp.post("/lam-theo/guong-sang/<int:story_id>/tra-lai")
@roles_required(OFFICER, ADMIN)
def return_story(story_id: int):
    def act(story, version, comment):
        stories.return_story(story, current_user, version, comment)
        return f"Đã trả lại {story.origin_unit.name} kèm ý kiến."
    return _step(story_id, act)


@bp.post("/lam-theo/guong-sang/<int:story_id>/go-bai")
@roles_required(OFFICER, ADMIN)
def withdraw(story_id: int):
    def act(story, version, comment):
        stories.withdraw(story, current_user, version, comment)
        return "Đã gỡ bài khỏi trang công khai."
    return _step(story_id, act)


@bp.route("/lam-theo/guong-sang/<int:story_id>/sua", methods=["GET", "POST"])
@roles_required(OFFICER, ADMIN)
def resubmit(story_id: int):
    story = _story_or_404(story_id)
    if not stories.can_resubmit(current_user, story):
        flash("Chỉ sửa được hồ sơ bị trả lại, ở cấp đã đề cử.", "warning")
        return redirect(url_for(".detail", story_id=story_id))
    form = ResubmitForm(data={"title": story.title, "summary": story.summary, "body": story.body,
                              "version": story.version} if request.method == "GET" else None)
    error = None
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
            remove = [int(v) for v in request.form.getlist("remove_photo") if v.isdecimal() and len(v) < 10]
            stories.resubmit(story, current_user, version, title=form.title.data, summary=form.summary.data,
                             body=form.body.data, photos=_uploads(form.photos), remove_photo_ids=remove)
        except ValueError:
            db.session.rollback()
            error = "Trang đã cũ; hãy tải lại trang rồi sửa lại."
        except stories.StoryError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            at_unit = story.at_unit.name
            db.session.commit()
            flash(f"Đã gửi lại; hồ sơ chờ {at_unit} xét.", "success")
            return redirect(url_for(".detail", story_id=story_id))
    return render_template("lamtheo/stories/resubmit.html", story=story, form=form, error=error)


@bp.get("/lam-theo/guong-sang/anh/<int:photo_id>")
@roles_required(OFFICER, ADMIN)
def officer_photo(photo_id: int):
    photo = db.get_or_404(StoryPhoto, photo_id)
    if not stories.can_view(current_user, photo.story):
        abort(404)
    return _send_photo(photo, private=True)


def _send_photo(photo: StoryPhoto, *, private: bool):
    path = stories.photo_path(photo)
    if not path.is_file():
        abort(404)
    # A withdrawn story's photos leave caches soon.
    response = send_file(path, mimetype="image/jpeg", max_age=0 if private else 600)
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# -- the public ------------------------------------------------------------------------------

def _absolute(endpoint: str, **values) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


@bp.get("/guong-sang")
def public_index():
    page = stories.public_stories(requested_page())
    return render_template("lamtheo/stories/public_index.html", page=page,
                           feed_url=_absolute(".feed"))


@bp.get("/guong-sang/<int:story_id>")
def public_story(story_id: int):
    story = stories.public_story(story_id)
    if story is None:
        abort(404)
    image = _absolute(".public_photo", photo_id=story.photos[0].id) if story.photos else None
    return render_template("lamtheo/stories/public_story.html", story=story, body=Markup(render(story.body).html),
                           page_url=_absolute(".public_story", story_id=story.id), og_image=image)


@bp.get("/guong-sang/anh/<int:photo_id>.jpg")
def public_photo(photo_id: int):
    photo = db.get_or_404(StoryPhoto, photo_id)
    if stories.public_story(photo.story_id) is None:
        abort(404)
    return _send_photo(photo, private=False)


def _atom_time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # stored as naive UTC


@bp.get("/guong-sang/feed.xml")
def feed():
    """Atom 1.0 (RFC 4287): the latest approved stories, for the federation's portal to embed."""
    rows = stories.latest_public()
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "vi"})
    ET.SubElement(root, "title").text = "Gương sáng làm theo Bác"
    ET.SubElement(root, "subtitle").text = "Mô hình hay, cách làm hiệu quả, gương điển hình trong công đoàn"
    ET.SubElement(root, "id").text = _absolute(".public_index")
    ET.SubElement(root, "link", {"rel": "alternate", "type": "text/html", "href": _absolute(".public_index")})
    ET.SubElement(root, "link", {"rel": "self", "type": "application/atom+xml", "href": _absolute(".feed")})
    updated = max((s.approved_at for s in rows), default=None)
    ET.SubElement(root, "updated").text = _atom_time(updated) if updated else "2021-01-01T00:00:00Z"
    ET.SubElement(ET.SubElement(root, "author"), "name").text = "Công đoàn Việt Nam"
    for story in rows:
        url = _absolute(".public_story", story_id=story.id)
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "id").text = url
        ET.SubElement(entry, "title").text = story.title
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": url})
        ET.SubElement(entry, "published").text = _atom_time(story.approved_at)
        ET.SubElement(entry, "updated").text = _atom_time(story.approved_at)
        ET.SubElement(ET.SubElement(entry, "author"), "name").text = story.unit.name
        ET.SubElement(entry, "category", {"term": story.kind, "label": story.kind_label})
        ET.SubElement(entry, "summary").text = story.summary
        html = render(story.body).html
        if story.photos:
            image = _absolute(".public_photo", photo_id=story.photos[0].id)
            ET.SubElement(entry, "link", {"rel": "enclosure", "type": "image/jpeg", "href": image,
                                          "length": str(story.photos[0].size)})
            html = f'<p><img src="{image}" alt=""></p>' + html
        ET.SubElement(entry, "content", {"type": "html"}).text = html
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Access-Control-Allow-Origin"] = "*"  # public content a portal's page may fetch
    response.headers["Cache-Control"] = "public, max-age=600"
    return response
