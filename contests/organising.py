"""The organising committee's pages: setting up contests and rounds, the jury's results, prizes, flags."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from contests import services
from contests.forms import ActionForm
from contests.models import Entry, Participant
from core.clock import utcnow
from core.extensions import db
from quizzes.models import Attempt
from units import services as units_services

bp = Blueprint("contest_admin", __name__, url_prefix="/contests")


def _organised_or_403(slug: str):
    contest = services.get_contest(slug, include_unpublished=True) or abort(404)
    if not services.can_organise(current_user, contest):
        abort(403)
    return contest


@bp.get("/<slug>/organise")
@login_required
def organise(slug: str):
    contest = _organised_or_403(slug)
    now = utcnow()
    flagged = db.session.execute(
        db.select(Participant, db.func.count(Attempt.id)).join(Entry, Entry.participant_id == Participant.id)
        .join(Attempt, Entry.attempt_id == Attempt.id)
        .where(Participant.contest_id == contest.id, Attempt.flagged_short)
        .group_by(Participant.id).order_by(db.func.count(Attempt.id).desc()).limit(200)).all()
    excluded = db.session.scalars(db.select(Participant).where(Participant.contest_id == contest.id,
                                                               Participant.excluded_at.is_not(None))).all()
    return render_template("contests/organise.html", contest=contest, counters=services.counters(contest),
                           rounds=[(r, services.round_state(r, now)) for r in contest.rounds],
                           flagged=flagged, excluded=excluded)


@bp.post("/<slug>/organise/<action>")
@login_required
def organise_action(slug: str, action: str):
    contest = _organised_or_403(slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if action == "figure":
            contest_round = services.get_round(contest, request.form.get("round", type=int) or 0) or abort(404)
            services.set_actual_figure(contest_round, int(request.form.get("figure", "")), current_user)
            message = f"Đã lưu con số thực tế của tuần {contest_round.number}."
        elif action == "freeze":
            services.freeze(contest, current_user)
            message = "Bảng xếp hạng công khai đã tạm dừng cập nhật."
        elif action == "publish":
            services.publish_results(contest, current_user)
            message = "Đã công bố kết quả: bảng xếp hạng công khai hiện đầy đủ."
        elif action == "exclude":
            phone = units_services.normalise_phone(request.form.get("phone", ""))
            participant = db.session.scalars(db.select(Participant).filter_by(contest_id=contest.id, phone=phone)
                                             ).first() if phone else None
            if participant is None:
                raise services.ContestError("Không có người dự thi với số điện thoại này.")
            services.exclude(participant, current_user, request.form.get("reason", ""))
            message = f"Đã loại {participant.full_name} khỏi cuộc thi."
        else:
            abort(404)
    except ValueError:
        db.session.rollback()
        flash("Con số thực tế phải là một số nguyên.", "danger")
        return redirect(url_for(".organise", slug=slug))
    except services.ContestError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".organise", slug=slug))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".organise", slug=slug))


@bp.get("/<slug>/rounds/<int:number>/results.xlsx")
@login_required
def round_results(slug: str, number: int):
    contest = _organised_or_403(slug)
    contest_round = services.get_round(contest, number) or abort(404)
    return send_file(services.jury_workbook(contest_round), as_attachment=True,
                     download_name=f"ket-qua-{contest.slug}-tuan-{number}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
