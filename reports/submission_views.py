"""Sending the period report up: write, preview, send; the unit above sees who has sent and reads each.

URLs carry the topic's slug and ISO dates like the report page (``?topic=…&from=…&to=…``).
"""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from core.clock import local_today, parse_vn_date
from core.extensions import db
from core.permissions import ADMIN, OFFICER, can_manage_unit, roles_required, scope_paths
from core.views import save
from learning.models import SESSION_FORMS
from reports import charts, services, submissions
from reports.forms import SubmissionForm
from reports.models import ReportSubmission
from units import tree as unit_tree
from units.models import UNIT_ACTIVE, Unit

bp = Blueprint("report_submissions", __name__, url_prefix="/reports")
staff_required = roles_required(ADMIN, OFFICER)
CUSTOM = "custom"


@bp.context_processor
def formatting():
    return {"percent_vn": charts.percent_vn, "session_forms": SESSION_FORMS}


def _topic_and_period(unit: Unit):
    """The topic and period in the address; the first topic and its first preset when absent."""
    topics = services.report_topics(unit)
    slug = request.args.get("topic")
    topic = next((t for t in topics if t.slug == slug), None) if slug else (topics[0] if topics else None)
    if topic is None:
        abort(404)
    today = local_today()
    try:
        start, end = date.fromisoformat(request.args["from"]), date.fromisoformat(request.args["to"])
    except (KeyError, ValueError):
        return topic, topics, services.presets(topic, today)[0]
    if start > end:
        abort(404)
    return topic, topics, submissions.period_for(topic, start, end, today)


def _args(topic, period) -> dict:
    return {"topic": topic.slug, "from": period.start.isoformat(), "to": period.end.isoformat()}


@bp.get("/submissions")
@staff_required
def index():
    """The officer's topmost unit; an administrator starts at the root."""
    if scope_paths(current_user) is None:
        unit = db.session.scalars(db.select(Unit).where(Unit.parent_id.is_(None), Unit.status == UNIT_ACTIVE)
                                  .order_by(Unit.name_folded)).first()
    else:
        held = [role.unit for role in current_user.roles if role.name == OFFICER and role.unit]
        unit = min(held, key=lambda u: (u.depth, u.name_folded), default=None)
    if unit is None:
        abort(404)
    return redirect(url_for(".unit_submissions", code=unit.code))


def _chosen_period_redirect(unit: Unit):
    """The chooser was sent (a preset or dd/mm/yyyy dates): go to the canonical ISO address."""
    slug = request.args.get("topic", "")
    choice = request.args.get("ky", "")
    try:
        if choice == CUSTOM:
            start, end = parse_vn_date(request.args.get("tu", "")), parse_vn_date(request.args.get("den", ""))
        else:
            first, last = choice.split("_")
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        if start > end:
            raise ValueError
    except ValueError:
        flash("Kỳ báo cáo không hợp lệ: ghi ngày theo dd/mm/yyyy, ngày bắt đầu trước ngày kết thúc.", "danger")
        return redirect(url_for(".unit_submissions", code=unit.code, topic=slug or None))
    return redirect(url_for(".unit_submissions", code=unit.code, topic=slug,
                            **{"from": start.isoformat(), "to": end.isoformat()}))


@bp.get("/<code>/submissions")
@staff_required
def unit_submissions(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    if "ky" in request.args:
        return _chosen_period_redirect(unit)
    topic, topics, period = _topic_and_period(unit)
    own = submissions.versions(unit.id, topic.id, period.start, period.end)
    children = submissions.received(unit, topic, period)
    return render_template(
        "reports/submissions.html", unit=unit, topic=topic, topics=topics, period=period,
        choices=services.presets(topic, local_today()), args=_args(topic, period),
        parent=unit.parent if unit.parent and unit.is_active else None, latest=own[0] if own else None,
        sent=submissions.sent(unit, topic), children=children,
        submitted_count=sum(1 for c in children if c.latest is not None),
        other_periods=[(submissions.period_for(topic, start, end, local_today()), count) for start, end, count
                       in submissions.received_periods(unit, topic) if (start, end) != (period.start, period.end)])


@bp.route("/<code>/submit", methods=["GET", "POST"])
@staff_required
def compose(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    topic, _, period = _topic_and_period(unit)
    back = url_for(".unit_submissions", code=unit.code, **_args(topic, period))
    try:
        submissions.check_sendable(unit)
    except submissions.SubmissionError as error:
        flash(error.message, "warning")
        return redirect(back)
    form = SubmissionForm()
    if form.validate_on_submit() and not form.edit.data:
        if form.send.data:
            try:
                saved = save(lambda: submissions.submit(unit, topic, period, form.narrative(), current_user),
                             lambda row: f"Đã gửi báo cáo lên {row.to_unit.name} (lần {row.version}). "
                                         "Số liệu đã được chốt.")
            except IntegrityError:  # the same version sent twice at once
                db.session.rollback()
                flash("Báo cáo vừa được gửi từ một phiên khác. Hãy xem lại danh sách rồi gửi lại nếu cần.", "danger")
                return redirect(back)
            if saved:
                return redirect(url_for(".view", submission_id=saved.value.id))
        else:
            return render_template("reports/submission_preview.html", unit=unit, topic=topic, period=period,
                                   form=form, figures=submissions.preview_figures(unit, topic, period),
                                   version=len(submissions.versions(unit.id, topic.id, period.start, period.end)) + 1,
                                   args=_args(topic, period))
    previous = submissions.versions(unit.id, topic.id, period.start, period.end)
    if request.method == "GET" and previous:
        # A new version starts from the last one's text.
        form.results.data, form.shortcomings.data, form.proposals.data = (
            previous[0].results_text, previous[0].shortcomings_text, previous[0].proposals_text)
    return render_template("reports/submission_form.html", unit=unit, topic=topic, period=period, form=form,
                           previous=previous, back=back, args=_args(topic, period))


@bp.get("/submitted/<int:submission_id>")
@staff_required
def view(submission_id: int):
    row = db.get_or_404(ReportSubmission, submission_id)
    if not submissions.can_read(current_user, row):
        abort(404)
    others = submissions.versions(row.unit_id, row.topic_id, row.period_from, row.period_to)
    period = submissions.period_for(row.topic, row.period_from, row.period_to, local_today())
    return render_template("reports/submission.html", row=row, period=period, versions=others, figures=row.figures,
                           can_send=can_manage_unit(current_user, row.unit),
                           receiving=row.to_unit is not None and can_manage_unit(current_user, row.to_unit),
                           args=_args(row.topic, period))
