"""Làm theo pages: a member's commitments; a unit's plan, commitments to confirm, suggestions and reviews."""
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from core.clock import local_today, parse_vn_date
from core.extensions import db
from core.permissions import ADMIN, OFFICER, ensure_unit_in_scope, roles_required, scope_paths
from lamtheo import commitments, plans, review
from lamtheo.models import RESULT_NAMES, REVIEW_NAMES, Commitment, Plan, Review, Suggestion
from units import members as unit_members
from units import tree as unit_tree
from units.models import Member, Unit

bp = Blueprint("lamtheo", __name__, url_prefix="/lam-theo")
staff_required = roles_required(ADMIN, OFFICER)


def _year(default: int | None = None) -> int:
    """?year=, from 2021 to next year; anything else is this year."""
    this_year = local_today().year
    year = request.args.get("year", type=int)
    return year if year is not None and plans.TERM_START <= year <= this_year + 1 else (default or this_year)


def _own_member() -> Member:
    member = unit_members.member_for_user(current_user)
    if member is None:
        abort(403)
    return member


def _scope_units() -> list[Unit]:
    paths = scope_paths(current_user)
    query = db.select(Unit).order_by(Unit.depth, Unit.name_folded)
    query = query.where(Unit.parent_id.is_(None)) if paths is None else query.where(Unit.path.in_(paths))
    return list(db.session.scalars(query))


# -- the member ------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    year = local_today().year
    member = unit_members.member_for_user(current_user)
    return render_template(
        "lamtheo/index.html", year=year, member=member,
        commitments=commitments.of_member(member, year) if member else [],
        suggestions=commitments.suggestions_for(member.unit, year) if member else [],
        max_per_year=commitments.MAX_PER_YEAR, exemplary=bool(member and commitments.is_exemplary(member)),
        scope_units=_scope_units(), result_names=RESULT_NAMES)


@bp.post("/commitments")
@login_required
def add_commitment():
    member = _own_member()
    suggestion = None
    if (suggestion_id := request.form.get("suggestion", type=int)) is not None:
        suggestion = db.session.get(Suggestion, suggestion_id) if 0 < suggestion_id < 2**31 else None
        if suggestion is None:
            flash("Gợi ý không còn nữa, hãy chọn lại.", "danger")
            return redirect(url_for(".index"))
    try:
        commitments.add(member, local_today().year, request.form.get("text", ""), suggestion=suggestion)
    except commitments.CommitmentError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash("Đã đăng ký việc làm theo.", "success")
    return redirect(url_for(".index"))


def _own_commitment(commitment_id: int) -> tuple[Member, Commitment]:
    member = _own_member()
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or commitment.member_id != member.id:
        abort(404)
    return member, commitment


@bp.post("/commitments/<int:commitment_id>/delete")
@login_required
def delete_commitment(commitment_id: int):
    member, commitment = _own_commitment(commitment_id)
    try:
        commitments.remove(member, commitment)
    except commitments.CommitmentError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash("Đã xóa việc đăng ký.", "success")
    return redirect(url_for(".index"))


@bp.post("/commitments/<int:commitment_id>/assess")
@login_required
def assess(commitment_id: int):
    member, commitment = _own_commitment(commitment_id)
    try:
        commitments.self_assess(member, commitment, request.form.get("assessment", ""))
    except commitments.CommitmentError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash("Đã lưu tự đánh giá. Công đoàn cơ sở sẽ xem và xác nhận.", "success")
    return redirect(url_for(".index"))


# -- the unit's officers -----------------------------------------------------------------

@bp.get("/units/<code>")
@staff_required
def unit(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    year = _year()
    today = local_today()
    figured = review.figures(unit, year, today=today)
    return render_template(
        "lamtheo/unit.html", unit=unit, year=year, years=range(plans.TERM_START, today.year + 2),
        plan=plans.get_plan(unit, year), term_plan=plans.get_plan(unit, plans.TERM_START, True),
        due=plans.due_on(year), plan_status=plans.status(plans.get_plan(unit, year), year, False, today),
        status_names=plans.STATUS_NAMES, children=plans.children_plans(unit, year, today=today),
        figures=figured.total, suggestions=[s for s in commitments.suggestions_for(unit, year)],
        reviews=review.reviews_of(unit), review_names=REVIEW_NAMES, final_year=review.FINAL_YEAR)


@bp.route("/units/<code>/plan", methods=["GET", "POST"])
@staff_required
def plan(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    is_term = request.values.get("term") == "1"
    year = plans.TERM_START if is_term else _year()
    existing = plans.get_plan(unit, year, is_term)
    error = None
    if request.method == "POST":
        data = plans.PlanData(request.form.get("issues", ""), request.form.get("actions", ""),
                              request.form.get("responsible", ""))
        upload = request.files.get("file")
        try:
            deadline = request.form.get("deadline", "").strip()
            data.deadline = parse_vn_date(deadline) if deadline else None
        except ValueError:
            error = "Hạn hoàn thành không hợp lệ: ghi theo dd/mm/yyyy, ví dụ 31/12/2024."
        if error is None:
            content = upload.stream.read(plans.MAX_FILE_BYTES + 1) if upload and upload.filename else None
            try:
                saved, replaced = plans.save_plan(unit, year, is_term, data, current_user,
                                                  upload=(upload.filename, content) if content is not None else None)
            except plans.PlanError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                if replaced is not None:
                    replaced.unlink(missing_ok=True)
                flash(f"Đã lưu {plans.label(year, is_term).lower()}.", "success")
                return redirect(url_for(".unit", code=unit.code, year=year))
        existing = existing or Plan(issues=data.issues, actions=data.actions, responsible=data.responsible)
    return render_template("lamtheo/plan.html", unit=unit, year=year, is_term=is_term, plan=existing, error=error,
                           label=plans.label(year, is_term), due=plans.due_on(year, is_term),
                           max_mb=plans.MAX_FILE_BYTES // (1024 * 1024)), 400 if error else 200


@bp.get("/units/<code>/plan/file")
@staff_required
def plan_file(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    is_term = request.args.get("term") == "1"
    found = plans.get_plan(unit, plans.TERM_START if is_term else _year(), is_term)
    path = plans.file_path(found) if found else None
    if path is None or not path.exists():
        abort(404)
    kind = found.file_key.rsplit(".", 1)[-1]
    return send_file(io.BytesIO(path.read_bytes()), mimetype=plans.MIMETYPES[kind], as_attachment=True,
                     download_name=found.file_name, max_age=0)


@bp.route("/units/<code>/commitments", methods=["GET", "POST"])
@staff_required
def unit_commitments(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    year = _year()
    if request.method == "POST":
        decisions = {}
        for name, result in request.form.items():
            if name.startswith("result-") and result:
                commitment_id = name.removeprefix("result-")
                if not commitment_id.isascii() or not commitment_id.isdigit() or len(commitment_id) > 9:
                    abort(400)
                decisions[int(commitment_id)] = (result, request.form.get(f"comment-{commitment_id}", ""))
        try:
            count = commitments.confirm(unit, decisions, current_user)
        except commitments.CommitmentError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(f"Đã xác nhận {count} việc đăng ký.", "success")
        return redirect(url_for(".unit_commitments", code=unit.code, year=year))
    return render_template("lamtheo/commitments.html", unit=unit, year=year,
                           rows=commitments.of_unit(unit, year), result_names=RESULT_NAMES)


@bp.post("/units/<code>/suggestions")
@staff_required
def add_suggestion(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    year = _year()
    try:
        commitments.add_suggestion(unit, year, request.form.get("text", ""), current_user)
    except commitments.CommitmentError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash("Đã đăng gợi ý cho đoàn viên.", "success")
    return redirect(url_for(".unit", code=unit.code, year=year))


@bp.post("/units/<code>/reviews")
@staff_required
def open_review(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    year = request.form.get("year", type=int) or 0
    try:
        opened = review.open_review(unit, year, request.form.get("kind", ""), current_user)
    except review.ReviewError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".unit", code=unit.code))
    db.session.commit()
    return redirect(url_for(".review_page", review_id=opened.id))


def _review_in_scope(review_id: int) -> Review:
    found = db.session.get(Review, review_id)
    if found is None:
        abort(404)
    ensure_unit_in_scope(current_user, found.unit)
    return found


@bp.get("/reviews/<int:review_id>")
@staff_required
def review_page(review_id: int):
    found = _review_in_scope(review_id)
    figured = review.figures(found.unit, found.year)
    completion = review.completion_figures(found.unit, found.year)
    return render_template("lamtheo/review.html", review=found, figured=figured, completion=completion,
                           candidates=review.candidates(found), commendations=review.commendations(found),
                           review_names=REVIEW_NAMES)


@bp.post("/reviews/<int:review_id>/commend")
@staff_required
def commend(review_id: int):
    found = _review_in_scope(review_id)
    def ids(name):
        return [int(value) for value in request.form.getlist(name) if value.isascii() and value.isdigit()
                and len(value) < 10]
    members = list(db.session.scalars(db.select(Member).where(Member.id.in_(ids("member")))))
    unit_list = list(db.session.scalars(db.select(Unit).where(Unit.id.in_(ids("unit")))))
    if len(members) != len(set(ids("member"))) or len(unit_list) != len(set(ids("unit"))):
        flash("Có người hoặc đơn vị không còn nữa: không biểu dương ai.", "danger")
        return redirect(url_for(".review_page", review_id=found.id))
    try:
        made = review.commend(found, current_user, members=members, unit_list=unit_list,
                              reason=request.form.get("reason", ""))
    except review.ReviewError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(f"Đã biểu dương {len(made)} cá nhân, tập thể và cấp giấy khen.", "success")
    return redirect(url_for(".review_page", review_id=found.id))
