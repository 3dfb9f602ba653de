"""Taking a quiz: the landing page, the attempt (one page per question or all on one),
saving answers (JSON for the script, a plain form without it), submitting, the result."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from accounts import services as accounts
from accounts.views import checks_password_change, password_change_redirect
from core import signals
from core.clock import utcnow
from core.errors import refusal_json
from core.extensions import db, limiter, person_or_address
from core.permissions import ADMIN, EDITOR, roles_required
from core.views import save
from learning import topics as learning_topics
from quizzes import services
from quizzes.forms import QuizSettingsForm, format_local_moment, parse_local_moment
from quizzes.models import PURPOSE_FINAL, Attempt, Quiz
from units import members as unit_members

bp = Blueprint("quizzes", __name__)

def _extras(attempt: Attempt) -> dict:
    # What a feature built on the engine (contests) adds: another submit address, a link back.
    return signals.merged(signals.attempt_extras, attempt)


def _member():
    return unit_members.member_for_user(current_user)


def _attempt_or_404(attempt_id: int) -> Attempt:
    return services.get_attempt_for(attempt_id, current_user) or abort(404)


def _quiz_of_topic_or_404(topic_slug: str):
    topic = learning_topics.topic_for(topic_slug, current_user, _member()) or abort(404)
    return topic, services.final_quiz(topic) or abort(404)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


@bp.get("/learn/<topic_slug>/quiz")
@login_required
def landing(topic_slug: str):
    topic, quiz = _quiz_of_topic_or_404(topic_slug)
    member = _member()
    status = services.quiz_status(member, topic, current_user)
    db.session.commit()  # an attempt whose time ran out has just been closed
    remaining = services.remaining_seconds(status.open_attempt) if status.open_attempt else 0
    return render_template("quizzes/landing.html", topic=topic, quiz=quiz, status=status, remaining=remaining)


@bp.post("/learn/<topic_slug>/quiz/start")
@login_required
@limiter.limit("20/minute", key_func=person_or_address)
def start(topic_slug: str):
    topic, quiz = _quiz_of_topic_or_404(topic_slug)
    # A refusal commits too: an expired attempt may just have been closed. The id is read before the
    # commit expires the attempt.
    saved = save(lambda: services.start_attempt(quiz, current_user, _member()).id, refused="warning",
                 keep_changes=True)
    if not saved:
        return redirect(url_for(".landing", topic_slug=topic.slug))
    return redirect(url_for(".attempt", attempt_id=saved.value))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    if services.expire_if_due(attempt):
        db.session.commit()  # only then is there anything to keep (a commit expires what was loaded)
    if not attempt.is_open:
        if attempt.status == "expired":
            flash("Đã hết giờ: bài làm đã được nộp tự động với các câu bạn đã lưu.", "info")
        return redirect(url_for(".result", attempt_id=attempt.id))
    answers = services.public_answers(attempt)
    questions = services.public_paper(attempt)
    one_per_page = attempt.quiz.one_per_page and request.args.get("view") != "all" \
        or request.args.get("view") == "one"
    index = min(max(request.args.get("q", 1, type=int), 1), len(questions)) - 1
    unanswered = sum(1 for q in questions if not answers.get(q.key))
    return render_template("quizzes/attempt.html", attempt=attempt, quiz=attempt.quiz, questions=questions,
                           index=index, one_per_page=one_per_page, answers=answers,
                           submit_question=submit_question(unanswered),
                           remaining=services.remaining_seconds(attempt), extras=_extras(attempt))


@bp.get("/attempts/<int:attempt_id>/state")
@login_required
def state(attempt_id: int):
    """Seconds left by the server's clock, and which questions have a saved answer."""
    attempt = _attempt_or_404(attempt_id)
    if services.expire_if_due(attempt):
        db.session.commit()
    return jsonify(status=attempt.status, remaining=services.remaining_seconds(attempt),
                   answered=sorted(q for q, picked in services.public_answers(attempt).items() if picked))


@bp.post("/attempts/<int:attempt_id>/answer")
@checks_password_change
@limiter.limit("300/minute", key_func=person_or_address)
def answer(attempt_id: int):
    """Save the questions the script sends together, or every question of the page (the plain form)."""
    remaining = _quick_save(attempt_id) if _wants_json() else None
    if remaining is not None:
        db.session.commit()
        return jsonify(saved=True, remaining=remaining)
    db.session.rollback()  # anything the quick way wrote before it gave up
    return _answer(attempt_id)


def _quick_save(attempt_id: int) -> int | None:
    # The script's save without loading the user: the session's account is checked in the statement.
    identity = accounts.session_identity()
    return None if identity is None else services.quick_save(attempt_id, *identity, services.picks_from(request.form))


@login_required
def _answer(attempt_id: int):
    if (to_password := password_change_redirect()) is not None:
        return to_password
    attempt = _attempt_or_404(attempt_id)
    now = utcnow()

    def save_page() -> int:
        picks = services.picks_from(request.form)
        if not picks:
            raise services.QuizError("Thiếu câu hỏi.")
        services.save_public_answers(attempt, picks, now=now)
        return services.remaining_seconds(attempt, now=now)  # before the commit expires the attempt

    saved = save(save_page, refused=None)
    if not saved:
        return _refuse(attempt, saved.message, 409 if isinstance(saved.refusal, services.TooLate) else 400)
    if _wants_json():
        return jsonify(saved=True, remaining=saved.value)
    go = request.form.get("go", type=int)
    if request.form.get("finish"):
        return redirect(url_for(".attempt", attempt_id=attempt.id, q=go or 1, _anchor="submit"))
    return redirect(url_for(".attempt", attempt_id=attempt.id, q=go or 1,
                            view=None if attempt.quiz.one_per_page else "all"))


def submit_question(unanswered: int) -> str:
    """The confirmation before handing in (static/js/quiz.js asks in the same words as answers change)."""
    left = f"Bạn còn {unanswered} câu chưa trả lời. " if unanswered else "Bạn đã trả lời tất cả các câu. "
    return left + "Nộp bài? Sau khi nộp bạn không sửa được nữa."


def _refuse(attempt: Attempt, message: str, status: int):
    if _wants_json():
        return refusal_json(message, status, status=attempt.status, remaining=services.remaining_seconds(attempt))
    flash(message, "warning")
    if attempt.is_open:
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    return redirect(url_for(".result", attempt_id=attempt.id))


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    if attempt.is_open:
        answers = services.picks_from(request.form)  # those the page's script had not sent yet
        if not save(lambda: services.submit(attempt, answers=answers), refused="warning"):
            return redirect(url_for(".attempt", attempt_id=attempt.id))
    return redirect(url_for(".result", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    if services.expire_if_due(attempt):
        db.session.commit()
    if attempt.is_open:
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    quiz = attempt.quiz
    level = services.review_level(attempt)
    review = services.review(attempt, level)
    extras = _extras(attempt)
    # The topic's breadcrumb and where to go next with it (done, try again) after its final quiz; a
    # contest round links back to its contest instead.
    topic = None if extras.get("back_url") else quiz.topic
    status = services.quiz_status(_member(), topic, current_user) if topic and quiz.purpose == PURPOSE_FINAL \
        else None
    return render_template("quizzes/result.html", attempt=attempt, quiz=quiz, topic=topic, level=level,
                           review=review, status=status, extras=extras)


# -- the editor sets the final quiz of a topic ---------------------------------------

@bp.route("/editor/topics/<topic_slug>/quiz", methods=["GET", "POST"])
@roles_required(EDITOR, ADMIN)
def settings(topic_slug: str):
    topic = learning_topics.get_topic(topic_slug, include_unpublished=True) or abort(404)
    quiz = services.final_quiz(topic, include_unpublished=True)
    form = QuizSettingsForm(obj=quiz) if quiz else QuizSettingsForm(
        title=f"Bài kiểm tra · {topic.short_title}", question_count=10,
        time_limit_minutes=15, pass_percent=70, max_attempts=3, one_per_page=True, min_duration_seconds=60,
        published=True)
    if request.method == "GET" and quiz:
        form.time_limit_minutes.data = quiz.time_limit_seconds // 60
        form.opens_at.data = format_local_moment(quiz.opens_at)
        form.closes_at.data = format_local_moment(quiz.closes_at)
    if form.validate_on_submit():
        target = quiz or Quiz(topic=topic)
        target.title = form.title.data.strip()
        target.question_count = form.question_count.data
        target.balance_lessons = form.balance_lessons.data
        target.time_limit_seconds = form.time_limit_minutes.data * 60
        target.pass_percent = form.pass_percent.data or 0
        target.max_attempts = form.max_attempts.data
        target.grading = form.grading.data
        target.opens_at = parse_local_moment(form.opens_at.data)
        target.closes_at = parse_local_moment(form.closes_at.data)
        target.review_after_submit = form.review_after_submit.data
        target.one_per_page = form.one_per_page.data
        target.min_duration_seconds = form.min_duration_seconds.data or 0
        target.published = form.published.data
        problems = services.check_settings(target)
        if problems:
            db.session.rollback()
            for problem in problems:
                flash(problem, "danger")
        else:
            db.session.add(target)
            db.session.commit()
            flash("Đã lưu cài đặt bài kiểm tra. Các lượt đang làm giữ nguyên đề và hạn giờ đã phát.", "success")
            return redirect(url_for(".settings", topic_slug=topic.slug))
    return render_template("quizzes/settings.html", topic=topic, quiz=quiz, form=form,
                           bank=services.bank_size(topic.id))
