"""Contest pages: the public landing page, registration, joining, taking a round, leaderboards."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required, login_user

from contests import services
from contests.forms import ActionForm, RegistrationForm
from contests.models import Entry, Participant, Round
from core.clock import utcnow
from core.extensions import db, limiter
from core.markup import render_inline
from quizzes import services as quizzes
from quizzes.models import Attempt
from units import services as units_services

bp = Blueprint("contests", __name__, url_prefix="/contests")


def _contest_or_404(slug: str):
    return services.get_contest(slug) or abort(404)


def attempt_extras(attempt: Attempt) -> dict | None:
    """What a contest adds to the engine's attempt and result pages (registered in app.py)."""
    if attempt.quiz.purpose != "contest":
        return None
    entry = services.entry_for(attempt)
    if entry is None:
        return None
    contest = entry.round.contest
    return {"submit_url": url_for("contests.submit", attempt_id=attempt.id),
            "prediction_question": entry.round.prediction_question, "prediction": entry.prediction,
            "back_url": url_for("contests.landing", slug=contest.slug), "back_label": "Về trang cuộc thi"}


@bp.get("/<slug>")
def landing(slug: str):
    contest = _contest_or_404(slug)
    now = utcnow()
    participant = services.participant_for(contest, current_user)
    member = units_services.member_for_user(current_user) if current_user.is_authenticated else None
    rounds = [(r, services.round_state(r, now)) for r in contest.rounds]
    attempts = {}
    if participant is not None:
        for contest_round, _ in rounds:
            attempts[contest_round.id] = quizzes.attempts_of(contest_round.quiz, current_user)
    return render_template("contests/landing.html", contest=contest, rounds=rounds, participant=participant,
                           member=member, attempts=attempts, counters=services.counters(contest),
                           can_organise=current_user.is_authenticated and services.can_organise(current_user, contest),
                           description=render_inline(contest.description_md), rules=render_inline(contest.rules_md))


@bp.route("/<slug>/register", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])  # an office behind one address registers together
def register(slug: str):
    contest = _contest_or_404(slug)
    if current_user.is_authenticated:
        return redirect(url_for(".landing", slug=slug))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user, _ = services.register_guest(contest, services.Registration(
                full_name=form.full_name.data, birth_year=form.birth_year.data, phone=form.phone.data,
                password=form.password.data, unit_code=form.unit_code.data or "",
                workplace=form.workplace.data or "", citizen_id=form.citizen_id.data or ""))
        except services.ContestError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            login_user(user)
            flash("Đăng ký thành công. Bạn đăng nhập lần sau bằng số điện thoại và mật khẩu vừa đặt.", "success")
            return redirect(url_for(".landing", slug=slug))
    return render_template("contests/register.html", contest=contest, form=form)


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    contest = _contest_or_404(slug)
    member = units_services.member_for_user(current_user)
    if member is None:
        flash("Tài khoản này không gắn với đoàn viên nào.", "warning")
        return redirect(url_for(".landing", slug=slug))
    try:
        services.join_as_member(contest, current_user, member)
    except services.ContestError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for(".landing", slug=slug))
    db.session.commit()
    flash("Bạn đã tham gia cuộc thi.", "success")
    return redirect(url_for(".landing", slug=slug))


@bp.post("/<slug>/rounds/<int:number>/start")
@login_required
@limiter.limit("20/minute")
def start(slug: str, number: int):
    contest = _contest_or_404(slug)
    contest_round = services.get_round(contest, number) or abort(404)
    participant = services.participant_for(contest, current_user)
    if participant is None:
        flash("Hãy đăng ký hoặc tham gia cuộc thi trước.", "warning")
        return redirect(url_for(".landing", slug=slug))
    try:
        attempt = services.start(contest_round, participant)
    except services.ContestError as error:
        db.session.commit()  # an expired attempt may just have been closed
        flash(str(error), "warning")
        return redirect(url_for(".landing", slug=slug))
    db.session.commit()
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    attempt = quizzes.get_attempt_for(attempt_id, current_user) or abort(404)
    raw = request.form.get("prediction", "").strip().replace(".", "").replace(",", "")
    try:
        services.submit(attempt, int(raw) if raw else None)
    except (ValueError, services.ContestError):
        db.session.rollback()
        flash("Số dự đoán phải là một số nguyên không âm.", "warning")
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id, _anchor="submit"))
    db.session.commit()
    return redirect(url_for("quizzes.result", attempt_id=attempt.id))


@bp.get("/<slug>/leaderboard")
def leaderboard(slug: str):
    contest = _contest_or_404(slug)
    number = request.args.get("round", type=int)
    contest_round: Round | None = services.get_round(contest, number) if number else None
    lines = services.round_board(contest_round) if contest_round else services.overall_board(contest)
    return render_template("contests/leaderboard.html", contest=contest, contest_round=contest_round, lines=lines)


# -- organisers --------------------------------------------------------------------------

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


@bp.get("/<slug>/units")
def collective(slug: str):
    """Collective results: participation per unit, rolled up, against each unit's members."""
    contest = _contest_or_404(slug)
    figures = services.collective(contest)
    code = request.args.get("unit", "").strip()
    chosen = units_services.get_unit(code) if code else contest.audience_unit
    if chosen is None or chosen.id not in figures:
        abort(404)
    children = sorted((f for f in figures.values() if f.unit.parent_id == chosen.id),
                      key=lambda f: (-f.participants, f.unit.name))
    return render_template("contests/collective.html", contest=contest, chosen=figures[chosen.id],
                           children=children, top=services.top_units(contest, figures))
