"""Certificates: a member's own, officers' lists and zips, offline issuing, revocation,
issuer settings, and the public verification page."""
import io
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from wtforms import SelectChoice

from certificates import services
from certificates.forms import IssuerForm, OfflineIssueForm, RevokeForm, VerifyForm
from certificates.models import Certificate, Issuer
from core.extensions import db, limiter
from core.forms import flash_errors
from core.params import requested_id, requested_page
from core.permissions import ADMIN, OFFICER, can_manage_unit, ensure_unit_in_scope, roles_required
from core.views import save
from learning import topics as learning_topics
from learning.models import Topic
from units import members as unit_members
from units import tree as unit_tree
from units.models import Unit

bp = Blueprint("certificates", __name__)
staff_required = roles_required(ADMIN, OFFICER)
MAX_SIGNATURE_BYTES = 1024 * 1024
PER_PAGE = 50


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def _cache() -> Path:
    return Path(current_app.config["CERTIFICATE_CACHE"])


def _topic_choices() -> list[SelectChoice]:
    """The published topics the officer's tree studies: another province's are not offered."""
    query = db.select(Topic).where(Topic.published)
    scope = learning_topics.topic_scope(current_user, None)
    topics = db.session.scalars((query if scope is None else query.where(scope)).order_by(Topic.year.desc(), Topic.id))
    return [SelectChoice(t.id, f"{t.kind_name} {t.year}: {t.title[:90]}") for t in topics]


@bp.get("/certificates/")
@login_required
def mine():
    member = unit_members.member_for_user(current_user)
    return render_template("certificates/mine.html", member=member,
                           certificates=services.of_member(member) if member else [])


@bp.get("/certificates/<code>.pdf")
@login_required
def download(code: str):
    certificate = services.get_by_code(code)
    if certificate is None or not services.can_read(current_user, certificate):
        abort(404)
    return send_file(io.BytesIO(services.render(certificate, _base_url(), _cache())), mimetype="application/pdf",
                     as_attachment=request.args.get("inline") is None,
                     download_name=services.filename(certificate))


def _filters():
    unit = None
    code = request.args.get("unit", "").strip()
    if code:
        unit = unit_tree.get_unit(code)
        ensure_unit_in_scope(current_user, unit)
    elif "unit" not in request.args:
        # An officer of a single unit starts on that unit, ready to download its zip.
        held = [role.unit for role in current_user.roles if role.name == OFFICER and role.unit]
        unit = held[0] if len(held) == 1 else None
    topic = db.session.get(Topic, requested_id("topic") or 0)
    return unit, topic


@bp.get("/certificates/manage")
@staff_required
def manage():
    unit, topic = _filters()
    text = request.args.get("q", "").strip()[:80]
    page = db.paginate(services.in_scope(current_user, unit=unit, topic=topic, text=text),
                       page=requested_page(), per_page=PER_PAGE, error_out=False)
    form = OfflineIssueForm()
    form.topic.choices = _topic_choices()
    return render_template("certificates/manage.html", page=page, unit=unit, topic=topic, q=text,
                           topics=form.topic.choices, form=form, revoke_form=RevokeForm())


@bp.get("/certificates/manage/export.zip")
@staff_required
def export_zip():
    unit, topic = _filters()
    if unit is None:
        flash("Hãy chọn một đơn vị để tải giấy chứng nhận.", "warning")
        return redirect(url_for(".manage"))
    ids = list(db.session.scalars(services.in_scope(current_user, unit=unit, topic=topic)
                                  .with_only_columns(Certificate.id)))
    if not ids:
        flash("Đơn vị này chưa có giấy chứng nhận nào.", "info")
        return redirect(url_for(".manage", unit=unit.code, topic=topic.id if topic else None))
    name = f"giay-chung-nhan-{unit.code}.zip"
    return Response(stream_with_context(services.zip_stream(ids, _base_url(), _cache())), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/certificates/issue")
@staff_required
def issue_offline():
    form = OfflineIssueForm()
    form.topic.choices = _topic_choices()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".manage"))
    member = unit_members.member_by_identifier(form.member.data)
    if member is None or not can_manage_unit(current_user, member.unit):
        flash("Không tìm thấy đoàn viên với số thẻ hoặc số điện thoại này trong đơn vị bạn quản lý.", "danger")
        return redirect(url_for(".manage"))
    saved = save(lambda: services.issue_offline(member, db.session.get(Topic, form.topic.data), current_user,
                                                form.reason.data),
                 lambda certificate: f"Đã cấp giấy chứng nhận số {certificate.serial} cho {member.full_name}.")
    return redirect(url_for(".manage", q=saved.value.serial) if saved else url_for(".manage"))


@bp.post("/certificates/<code>/revoke")
@roles_required(ADMIN)
def revoke(code: str):
    certificate = services.get_by_code(code) or abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Hãy ghi lý do thu hồi (ít nhất 5 ký tự).", "danger")
        return redirect(url_for(".manage", q=certificate.serial))
    save(lambda: services.revoke(certificate, current_user, form.reason.data),
         f"Đã thu hồi giấy chứng nhận số {certificate.serial}.")
    return redirect(url_for(".manage", q=certificate.serial))


# -- issuers (administrators) --------------------------------------------------------

@bp.route("/certificates/issuers", methods=["GET", "POST"])
@roles_required(ADMIN)
def issuers():
    form = IssuerForm()
    if form.validate_on_submit():
        unit = unit_tree.get_unit(form.unit_code.data)
        upload = form.signature.data
        image = upload.read(MAX_SIGNATURE_BYTES + 1) if upload else None
        if unit is None:
            form.unit_code.errors.append("Không có đơn vị với mã này.")
        elif image is not None and len(image) > MAX_SIGNATURE_BYTES:
            form.signature.errors.append("Ảnh lớn hơn 1 MB.")
        elif image is not None and not services.is_image(image):
            form.signature.errors.append(
                "Tệp không phải ảnh PNG hoặc JPEG dùng được (ảnh hỏng, hoặc lớn quá 4000 × 4000 điểm ảnh).")
        else:
            services.save_issuer(unit, actor=current_user, body_lines=form.body_lines.data, place=form.place.data,
                                 signer_title=form.signer_title.data, signer_name=form.signer_name.data,
                                 serial_suffix=form.serial_suffix.data,
                                 prize_signer_title=form.prize_signer_title.data,
                                 prize_signer_name=form.prize_signer_name.data, signature=image,
                                 remove_signature=form.remove_signature.data)
            db.session.commit()
            flash(f"Đã lưu cách cấp giấy chứng nhận của {unit.name}.", "success")
            return redirect(url_for(".issuers"))
    elif request.method == "GET" and request.args.get("unit"):
        issuer = db.session.scalars(db.select(Issuer).join(Unit, Issuer.unit_id == Unit.id)
                                    .where(Unit.code == request.args["unit"])).first()
        if issuer:
            form = IssuerForm(obj=issuer, unit_code=issuer.unit.code)
    rows = db.session.scalars(db.select(Issuer).order_by(Issuer.id)).all()
    return render_template("certificates/issuers.html", form=form, issuers=rows)


@bp.get("/certificates/issuers/<int:issuer_id>/signature")
@roles_required(ADMIN)
def signature(issuer_id: int):
    issuer = db.get_or_404(Issuer, issuer_id)
    if not issuer.signature_image:
        abort(404)
    return send_file(io.BytesIO(issuer.signature_image), mimetype=issuer.signature_mimetype or "image/png")


# -- public verification ---------------------------------------------------------------

@bp.get("/verify")
@limiter.limit("30/minute")
def verify_form():
    form = VerifyForm(request.args)
    if request.args and form.validate():
        return redirect(url_for(".verify", code=services.normalise_code(form.code.data)))
    return render_template("certificates/verify_form.html", form=form)


@bp.get("/verify/<code>")
@limiter.limit("30/minute")
def verify(code: str):
    certificate = services.get_by_code(code)
    if certificate is None:
        return render_template("certificates/verify_unknown.html", code=code[:40]), 404
    return render_template("certificates/verify.html", certificate=certificate,
                           code=services.grouped(certificate.code))
