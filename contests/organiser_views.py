"""The organising committee's pages: setting up contests and rounds, the jury's results, prizes, flags."""
import io
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from wtforms import SelectChoice

from certificates import services as certificates
from contests import boards, flags, jury, organising, prizes, services
from contests.forms import ActionForm, ContestForm, DivisionForm, ReasonForm, RoundForm
from contests.models import PRIZE_RANKS, Division, Participant, Prize
from core.clock import utcnow
from core.extensions import db
from core.forms import flash_errors
from core.markup import slug_within
from core.tabular import XLSX_MIMETYPE
from core.text import normalise_phone
from core.views import save
from quizzes.forms import format_local_moment, parse_local_moment
from units.models import UnitKind

bp = Blueprint("contest_admin", __name__, url_prefix="/contests")


def _organised_or_403(slug: str):
    contest = services.get_contest(slug, include_unpublished=True) or abort(404)
    if not services.can_organise(current_user, contest):
        abort(403)
    return contest


def _organiser_or_403() -> None:
    if services.organiser_units(current_user) == []:
        abort(403)


@bp.get("/organise")
@login_required
def contests():
    _organiser_or_403()
    return render_template("contests/organise_list.html", contests=organising.organised_contests(current_user))


def _contest_data(form: ContestForm) -> organising.ContestData:
    return organising.ContestData(
        title=form.title.data, anniversary=form.anniversary.data or "", description_md=form.description_md.data or "",
        rules_md=form.rules_md.data or "", organiser_unit_code=form.organiser_unit_code.data,
        audience_unit_code=form.audience_unit_code.data or "", open_to_public=form.open_to_public.data,
        division_mode=form.division_mode.data, tie_break=form.tie_break.data, published=form.published.data)


@bp.route("/organise/new", methods=["GET", "POST"])
@login_required
def new_contest():
    _organiser_or_403()
    form = ContestForm()
    form.bank_source.choices = [SelectChoice(0, "Để trống, biên tập viên soạn câu hỏi sau")] + [
        SelectChoice(t.id, f"Sao chép câu hỏi của: {t.title[:120]} ({t.year})")
        for t in organising.bank_sources(current_user)]
    if request.method == "GET":
        roots = services.organiser_units(current_user)
        form.open_to_public.data, form.published.data = True, False
        if roots:
            form.organiser_unit_code.data = roots[0].code
    if form.validate_on_submit():
        source = db.session.get(organising.Topic, form.bank_source.data) if form.bank_source.data else None
        slug = form.slug.data or slug_within(form.title.data, 60)
        saved = save(lambda: organising.create_contest(slug, _contest_data(form), current_user, bank_source=source),
                     "Đã tạo cuộc thi. Tiếp theo: thêm các bảng và các tuần thi.")
        if saved:
            return redirect(url_for(".organise", slug=saved.value.slug))
    return render_template("contests/organise_contest.html", form=form, contest=None)


@bp.route("/<slug>/organise/edit", methods=["GET", "POST"])
@login_required
def edit_contest(slug: str):
    contest = _organised_or_403(slug)
    form = ContestForm(obj=contest)
    del form.slug, form.bank_source
    if request.method == "GET":
        form.organiser_unit_code.data, form.audience_unit_code.data = (contest.organiser_unit.code,
                                                                       contest.audience_unit.code)
    if form.validate_on_submit() and save(
            lambda: organising.update_contest(contest, _contest_data(form), current_user), "Đã lưu cuộc thi."):
        return redirect(url_for(".organise", slug=slug))
    return render_template("contests/organise_contest.html", form=form, contest=contest)


def _division_form() -> DivisionForm:
    form = DivisionForm()
    kinds = db.session.scalars(db.select(UnitKind).order_by(UnitKind.position, UnitKind.name))
    form.unit_kind.choices = [SelectChoice(0, "Mọi người dự thi khác (bảng chung)")] + [
        SelectChoice(kind.id, kind.name) for kind in kinds]
    return form


@bp.get("/<slug>/organise")
@login_required
def organise(slug: str):
    contest = _organised_or_403(slug)
    now = utcnow()
    excluded = db.session.scalars(db.select(Participant).where(Participant.contest_id == contest.id,
                                                               Participant.excluded_at.is_not(None))).all()
    awarded = db.session.execute(db.select(Prize.round_number, db.func.count(Prize.id))
                                 .where(Prize.contest_id == contest.id).group_by(Prize.round_number)).all()
    return render_template("contests/organise.html", contest=contest, counters=boards.counters(contest),
                           headline=services.headline(contest, now),
                           rounds=[(r, services.round_state(r, now)) for r in contest.rounds],
                           fast=flags.fast_attempts(contest), devices=flags.shared_devices(contest),
                           excluded=excluded, division_form=_division_form(), bank_size=organising.bank_size(contest),
                           awarded=dict(awarded), shared=services.shared_questions(contest),
                           figure_max=services.PREDICTION_MAX)


@bp.post("/<slug>/organise/divisions")
@login_required
def add_division(slug: str):
    contest = _organised_or_403(slug)
    form = _division_form()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".organise", slug=slug, _anchor="divisions"))
    save(lambda: organising.add_division(contest, form.name.data,
                                    db.session.get(UnitKind, form.unit_kind.data) if form.unit_kind.data else None,
                                    current_user), "Đã thêm bảng.")
    return redirect(url_for(".organise", slug=slug, _anchor="divisions"))


@bp.post("/<slug>/organise/divisions/<int:division_id>/delete")
@login_required
def remove_division(slug: str, division_id: int):
    contest = _organised_or_403(slug)
    division = db.session.get(Division, division_id)
    if division is None or division.contest_id != contest.id or not ActionForm().validate_on_submit():
        abort(404)
    save(lambda: organising.remove_division(division, current_user), "Đã xóa bảng.")
    return redirect(url_for(".organise", slug=slug, _anchor="divisions"))


def _round_data(form: RoundForm) -> organising.RoundData:
    return organising.RoundData(
        opens_at=parse_local_moment(form.opens_at.data), closes_at=parse_local_moment(form.closes_at.data),
        question_count=form.question_count.data, time_limit_minutes=form.time_limit_minutes.data,
        max_attempts=form.max_attempts.data, prediction_question=form.prediction_question.data,
        answers_after_close=form.answers_after_close.data, min_duration_seconds=form.min_duration_seconds.data,
        one_per_page=form.one_per_page.data)


def _fill_round_form(form: RoundForm, data: organising.RoundData) -> None:
    form.opens_at.data, form.closes_at.data = format_local_moment(data.opens_at), format_local_moment(data.closes_at)
    for name in ("question_count", "time_limit_minutes", "max_attempts", "prediction_question",
                 "answers_after_close", "min_duration_seconds", "one_per_page"):
        getattr(form, name).data = getattr(data, name)


@bp.route("/<slug>/organise/rounds/new", methods=["GET", "POST"])
@bp.route("/<slug>/organise/rounds/<int:number>", methods=["GET", "POST"])
@login_required
def edit_round(slug: str, number: int | None = None):
    contest = _organised_or_403(slug)
    contest_round = services.get_round(contest, number) or abort(404) if number else None
    form = RoundForm()
    if request.method == "GET":
        if contest_round is not None:
            _fill_round_form(form, organising.round_data(contest_round))
        else:
            last = contest.rounds[-1].quiz if contest.rounds else None
            opens = last.closes_at if last else None
            _fill_round_form(form, organising.RoundData(opens_at=opens, closes_at=None))
    if form.validate_on_submit():
        def save_round():
            if contest_round is None:
                return organising.create_round(contest, _round_data(form), current_user)
            organising.update_round(contest_round, _round_data(form), current_user)
            return contest_round

        if save(save_round, lambda saved_round: f"Đã lưu tuần {saved_round.number}."):
            return redirect(url_for(".organise", slug=slug))
        contest_round = services.get_round(contest, number) if number else None
    return render_template("contests/organise_round.html", contest=contest, contest_round=contest_round, form=form,
                           started=contest_round is not None and organising.has_entries(contest_round),
                           bank_size=organising.bank_size(contest), shared=services.shared_questions(contest))


@bp.post("/<slug>/organise/<action>")
@login_required
def organise_action(slug: str, action: str):
    contest = _organised_or_403(slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)

    def act() -> str:
        if action == "figure":
            contest_round = services.get_round(contest, request.form.get("round", type=int) or 0) or abort(404)
            typed = request.form.get("figure", "").strip()
            # Digits 0-9 only (int() would also take "1_000", "+5", "١٠"), and no more than a count within the
            # bound has: int() of thousands of digits raises.
            if not (typed.isascii() and typed.isdigit()) or len(typed) > len(str(services.PREDICTION_MAX)):
                raise services.ContestError(services.FIGURE_RULE)
            jury.set_actual_figure(contest_round, int(typed), current_user)
            return f"Đã lưu con số thực tế của tuần {contest_round.number}."
        if action == "freeze":
            jury.freeze(contest, current_user)
            return "Bảng xếp hạng công khai đã tạm dừng cập nhật."
        if action == "publish":
            jury.publish_results(contest, current_user)
            return "Đã công bố kết quả: bảng xếp hạng công khai hiện đầy đủ."
        if action == "exclude":
            phone = normalise_phone(request.form.get("phone", ""))
            participant = db.session.scalars(db.select(Participant).filter_by(contest_id=contest.id, phone=phone)
                                             ).first() if phone else None
            if participant is None:
                raise services.ContestError("Không có người dự thi với số điện thoại này.")
            jury.exclude(participant, current_user, request.form.get("reason", ""))
            return f"Đã loại {participant.full_name} khỏi cuộc thi."
        abort(404)

    save(act, lambda message: message)
    return redirect(url_for(".organise", slug=slug))


@bp.get("/<slug>/rounds/<int:number>/results.xlsx")
@login_required
def round_results(slug: str, number: int):
    contest = _organised_or_403(slug)
    contest_round = services.get_round(contest, number) or abort(404)
    chunks = jury.jury_workbook(contest_round)
    first = next(chunks)  # the ranking's query has run: a failure up to here is an ordinary error page

    def streamed():
        yield first
        yield from chunks
    return Response(stream_with_context(streamed()), mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="ket-qua-{contest.slug}-tuan-{number}.xlsx"',
        "Cache-Control": "no-store"})


# -- prizes --------------------------------------------------------------------------------

def _scope(contest) -> tuple[int, object]:
    """The round the prizes are for (?round=N), or the whole contest (round 0)."""
    number = request.values.get("round", type=int) or prizes.WHOLE_CONTEST
    contest_round = services.get_round(contest, number) or abort(404) if number else None
    return number, contest_round


def _counts(contest) -> dict[int | None, dict[str, int]]:
    """Prize counts per division from fields named count-<division id>-<rank>; defaults until submitted."""
    counts = {}
    for division in contest.divisions or [None]:
        key = division.id if division else None
        counts[key] = {}
        for rank, default in prizes.DEFAULT_COUNTS.items():
            raw = request.values.get(f"count-{key or 0}-{rank}")
            value = default if raw is None else (int(raw) if raw.strip().isdecimal() else 0)
            counts[key][rank] = min(value, 1000)
    return counts


@bp.route("/<slug>/organise/prizes", methods=["GET", "POST"])
@login_required
def prize_plan(slug: str):
    contest = _organised_or_403(slug)
    number, contest_round = _scope(contest)
    counts = _counts(contest)
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        save(lambda: prizes.award(contest, contest_round, counts, current_user),
             lambda awarded: f"Đã trao {len(awarded)} giải {prizes.scope_label(contest_round)} và cấp giấy chứng nhận.")
        return redirect(url_for(".prize_plan", slug=slug, round=number))
    awarded = prizes.awarded(contest, number)
    problem = None
    if not awarded:
        try:
            prizes.check_ready(contest, contest_round, utcnow())
        except services.ContestError as error:
            problem = error.message
    return render_template("contests/organise_prizes.html", contest=contest, contest_round=contest_round,
                           number=number, counts=counts, ranks=PRIZE_RANKS, awarded=awarded, problem=problem,
                           planned=[] if awarded or problem else prizes.plan(contest, contest_round, counts),
                           reason_form=ReasonForm())


@bp.post("/<slug>/organise/prizes/cancel")
@login_required
def cancel_prizes(slug: str):
    contest = _organised_or_403(slug)
    number, contest_round = _scope(contest)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".prize_plan", slug=slug, round=number))
    save(lambda: prizes.cancel(contest, contest_round, current_user, form.reason.data),
         lambda count: f"Đã hủy {count} giải; giấy chứng nhận của các giải này đã bị thu hồi.")
    return redirect(url_for(".prize_plan", slug=slug, round=number))


@bp.get("/<slug>/prizes/<int:prize_id>.pdf")
@login_required
def prize_certificate(slug: str, prize_id: int):
    """The winner's prize certificate: for the winner (a guest has no member record) and the organisers."""
    contest = services.get_contest(slug, include_unpublished=True) or abort(404)
    prize = db.session.get(Prize, prize_id)
    if prize is None or prize.contest_id != contest.id or prize.certificate is None:
        abort(404)
    if prize.participant.user_id != current_user.id and not services.can_organise(current_user, contest):
        abort(404)
    certificate = prize.certificate
    pdf = certificates.render(certificate, current_app.config["PUBLIC_BASE_URL"],
                              Path(current_app.config["CERTIFICATE_CACHE"]))
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=certificates.filename(certificate))
