"""Contest pages: the public landing page, registration, joining, taking a round, leaderboards."""
import secrets

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from contests import boards, collective_results, prizes, registration, services
from contests.forms import RegistrationForm
from contests.models import Round
from core.clock import utcnow
from core.errors import refusal_json
from core.extensions import limiter, person_or_address
from core.markup import render_inline
from core.permissions import ADMIN, ORGANISER
from core.templating import menu
from core.views import save
from learning import studying
from quizzes import services as quizzes
from quizzes.models import Attempt
from units import members as unit_members
from units import tree as unit_tree

bp = Blueprint("contests", __name__, url_prefix="/contests")
DEVICE_COOKIE = "hoctap_device"


def _contest_or_404(slug: str, *, with_rounds=False):
    return services.get_contest(slug, with_rounds=with_rounds) or abort(404)


def attempt_extras(attempt: Attempt) -> dict | None:
    """What a contest adds to the engine's attempt and result pages (registered in app.py)."""
    if attempt.quiz.purpose != "contest":
        return None
    entry = services.entry_for(attempt)
    if entry is None:
        return None
    contest, quiz = entry.round.contest, attempt.quiz
    extras = {"submit_url": url_for("contests.submit", attempt_id=attempt.id),
              "prediction_url": url_for("contests.save_prediction", attempt_id=attempt.id),
              "prediction_question": entry.round.prediction_question, "prediction": entry.prediction,
              "prediction_max": services.PREDICTION_MAX,
              "back_url": url_for("contests.landing", slug=contest.slug), "back_label": "Về trang cuộc thi"}
    if attempt.is_open:
        return extras
    # The result page speaks of a contest's tries, not of a test passed or failed.
    tries = quizzes.attempts_of(quiz, attempt.user)
    finished = [a for a in tries if not a.is_open]
    extras["contest_result"] = {
        "try_text": f"Lượt {attempt.number}" + (f"/{quiz.max_attempts}" if quiz.max_attempts else ""),
        "duration": studying.wait_text(attempt.duration_seconds),
        "best": max(a.score or 0 for a in finished) if finished else None,
        "retry_number": len(tries) + 1
        if services.round_state(entry.round, utcnow()) == services.OPEN and not any(a.is_open for a in tries)
        and (not quiz.max_attempts or len(tries) < quiz.max_attempts) else None,
        "retry_url": url_for("contests.start", slug=contest.slug, number=entry.round.number)}
    return extras


@bp.get("/")
@login_required
def mine():
    return render_template("contests/mine.html", cards=services.contest_cards(user=current_user))


def contestant_home(user) -> str | None:
    """Where "/" takes a person who is only a contestant: their contests, not an empty "Việc học của tôi"."""
    return url_for("contests.mine") if services.only_a_contestant(user) else None


@bp.get("/<slug>")
def landing(slug: str):
    contest = _contest_or_404(slug, with_rounds=True)
    now = utcnow()
    participant = registration.participant_for(contest, current_user)
    rounds = [(r, services.round_state(r, now)) for r in contest.rounds]
    attempts = services.attempts_by_round(contest, current_user) if participant is not None else {}
    # Prizes are awarded only for rounds that have closed (prizes.check_ready), and a round with entries
    # stays closed: while none has, there is nothing to read.
    won = prizes.prizes_of(participant) \
        if participant is not None and any(state == services.CLOSED for _, state in rounds) else []
    headline = services.headline(contest, now)
    return render_template("contests/landing.html", contest=contest, rounds=rounds, participant=participant, won=won,
                           attempts=attempts, counters=boards.counters(contest), headline=headline,
                           entry_step=_entry_step(contest, headline, participant, attempts),
                           can_organise=_can_organise(contest),
                           description=render_inline(contest.description_md), rules=render_inline(contest.rules_md))


def _can_organise(contest) -> bool:
    # The roles the menu keeps in the session first: most visitors hold none, and then nothing is read.
    return (current_user.is_authenticated and bool(menu(current_user)["role_names"] & {ADMIN, ORGANISER})
            and services.can_organise(current_user, contest))


def _entry_step(contest, headline: services.Headline, participant, attempts: dict) -> tuple[str, str] | None:
    """What the big "VÀO THI" does while a round is open: (kind, address); None when there is no open round."""
    if headline.state != services.OPEN:
        return None
    if not current_user.is_authenticated:
        if contest.open_to_public:
            return "register", url_for(".register", slug=contest.slug)
        return "login", url_for("accounts.login", next=request.path)
    if participant is None:
        return "join", url_for(".join", slug=contest.slug)
    mine = attempts[headline.round.id]
    open_attempt = next((a for a in mine if a.is_open), None)
    if open_attempt is not None:
        return "continue", url_for("quizzes.attempt", attempt_id=open_attempt.id)
    if headline.round.quiz.max_attempts and len(mine) >= headline.round.quiz.max_attempts:
        return "used_up", ""
    return "start", url_for(".start", slug=contest.slug, number=headline.round.number)


@bp.route("/<slug>/register", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])  # an office behind one address registers together
def register(slug: str):
    contest = _contest_or_404(slug)
    if current_user.is_authenticated:
        return redirect(url_for(".landing", slug=slug))
    form = RegistrationForm()
    if form.validate_on_submit():
        saved = save(lambda: registration.register_guest(contest, registration.Registration(
            full_name=form.full_name.data, birth_year=form.birth_year.data, phone=form.phone.data,
            password=form.password.data, unit_code=form.unit_code.data or "",
            workplace=form.workplace.data or "", citizen_id=form.citizen_id.data or "")))
        if saved:
            user, _ = saved.value
            session.clear()  # a new session at login: no fixation
            login_user(user)
            flash("Đăng ký thành công. Bạn đăng nhập lần sau bằng số điện thoại và mật khẩu vừa đặt.", "success")
            return redirect(url_for(".landing", slug=slug))
    return render_template("contests/register.html", contest=contest, form=form)


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    contest = _contest_or_404(slug)
    member = unit_members.member_for_user(current_user)
    if member is None:
        flash("Tài khoản này không gắn với đoàn viên nào.", "warning")
        return redirect(url_for(".landing", slug=slug))
    save(lambda: registration.join_as_member(contest, current_user, member), "Bạn đã tham gia cuộc thi.",
         refused="warning")
    return redirect(url_for(".landing", slug=slug))


@bp.post("/<slug>/rounds/<int:number>/start")
@login_required
@limiter.limit("20/minute", key_func=person_or_address)
def start(slug: str, number: int):
    contest = _contest_or_404(slug, with_rounds=True)
    contest_round = services.get_round(contest, number) or abort(404)
    participant = registration.participant_for(contest, current_user)
    if participant is None:
        flash("Hãy đăng ký hoặc tham gia cuộc thi trước.", "warning")
        return redirect(url_for(".landing", slug=slug))
    device = request.cookies.get(DEVICE_COOKIE) or secrets.token_urlsafe(16)
    # A refusal commits too: an expired attempt may just have been closed. The id is read before the
    # commit expires the attempt.
    saved = save(lambda: services.start(contest_round, participant, device=device).id, refused="warning",
                 keep_changes=True)
    if not saved:
        return redirect(url_for(".landing", slug=slug))
    response = redirect(url_for("quizzes.attempt", attempt_id=saved.value))
    if DEVICE_COOKIE not in request.cookies:
        # Outlives logging out, so two accounts taking rounds on one phone share it.
        response.set_cookie(DEVICE_COOKIE, device, max_age=400 * 24 * 3600, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _typed_prediction() -> int | None:
    """The number as typed ("1.250" or "1,250" too); None when left empty; ValueError otherwise."""
    raw = request.form.get("prediction", "").strip().replace(".", "").replace(",", "")
    if not raw:
        return None
    # Digits 0-9 only: int() alone would also take "1_000", "+5" and other scripts' digits ("١٠").
    if not (raw.isascii() and raw.isdigit()):
        raise ValueError(raw)
    return int(raw)


@bp.post("/attempts/<int:attempt_id>/prediction")
@login_required
@limiter.limit("120/minute", key_func=person_or_address)
def save_prediction(attempt_id: int):
    """The script saves the prediction as it is typed, as the answers are (JSON)."""
    attempt = quizzes.get_attempt_for(attempt_id, current_user) or abort(404)
    try:
        prediction = _typed_prediction()
    except ValueError:
        return refusal_json(services.PREDICTION_RULE)
    saved = save(lambda: services.save_prediction(attempt, prediction), refused=None)
    if not saved:
        # 409 when the attempt is over: the page then reloads to the result.
        return refusal_json(saved.message, 400 if attempt.is_open else 409)
    return jsonify(saved=True)


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    attempt = quizzes.get_attempt_for(attempt_id, current_user) or abort(404)
    back = url_for("quizzes.attempt", attempt_id=attempt.id, _anchor="submit")
    try:
        prediction = _typed_prediction()
    except ValueError:
        flash(services.PREDICTION_RULE, "warning")
        return redirect(back)
    # Refused, nothing the hand-in carried is kept: the page still holds those answers for the next try.
    if not save(lambda: services.submit(attempt, prediction, answers=quizzes.picks_from(request.form)),
                refused="warning"):
        return redirect(back)
    return redirect(url_for("quizzes.result", attempt_id=attempt_id))


@bp.get("/<slug>/leaderboard")
def leaderboard(slug: str):
    contest = _contest_or_404(slug)
    number = request.args.get("round", type=int)
    contest_round: Round | None = services.get_round(contest, number) if number else None
    participant = registration.participant_for(contest, current_user)
    # One board per division, as prizes are given: the viewer's own, else the first.
    wanted = request.args.get("bang", type=int)
    division = next((d for d in contest.divisions if d.id == wanted), None) \
        or (participant.division if participant and participant.division else None) \
        or (contest.divisions[0] if contest.divisions else None)
    lines = boards.round_board(contest_round, division=division) if contest_round \
        else boards.overall_board(contest, division=division)
    return render_template("contests/leaderboard.html", contest=contest, contest_round=contest_round, lines=lines,
                           division=division, own_id=participant.id if participant else None)


@bp.get("/<slug>/units")
def collective(slug: str):
    """Collective results: participation per unit, rolled up, against each unit's members."""
    contest = _contest_or_404(slug)
    figures = collective_results.collective(contest)
    code = request.args.get("unit", "").strip()
    chosen = unit_tree.get_unit(code) if code else contest.audience_unit
    if chosen is None or chosen.id not in figures:
        abort(404)
    children = sorted((f for f in figures.values() if f.unit.parent_id == chosen.id),
                      key=lambda f: (-f.participants, f.unit.name))
    return render_template("contests/collective.html", contest=contest, chosen=figures[chosen.id],
                           children=children, top=collective_results.top_units(contest, figures))
