"""Member pages: my learning, a topic, a lesson (and its print view), search."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from core import signals
from core.clock import local_today, utcnow
from core.errors import refusal_json
from core.extensions import db, limiter
from core.permissions import EDITOR, has_role, is_admin
from core.views import save
from learning import search as learning_search
from learning import studying
from learning import topics as learning_topics
from units import members as unit_members

bp = Blueprint("learning", __name__)
# A flash category that base.html leaves out: the lesson page shows it beside "Tôi đã học xong bài này".
MARK_REFUSED = "mark"
# Sent by the topic download (static/js/offline.js): the page is stored on the phone, not read now.
OFFLINE_COPY = "X-Offline-Copy"


def _member():
    return unit_members.member_for_user(current_user)


def _can_edit() -> bool:
    return has_role(current_user, EDITOR) or is_admin(current_user)


def _topic_or_404(slug: str):
    # Editors may look at unpublished topics the way members will see them; another province's is not there.
    return learning_topics.topic_for(slug, current_user, _member()) or abort(404)


def _lesson_or_404(topic_slug: str, lesson_slug: str):
    topic = _topic_or_404(topic_slug)
    lesson = learning_topics.get_lesson(topic, lesson_slug, include_unpublished=_can_edit()) or abort(404)
    return topic, lesson


def _panels(member, topics: list) -> dict[int, dict]:
    """What other features show beside each topic (its quiz, its certificate): core.signals.topic_panels.
    Working it out may close an attempt whose time is up, so the views that call this commit."""
    panels: dict[int, dict] = {topic.id: {} for topic in topics}
    for answer in signals.answers(signals.topic_panels, current_user, member=member, topics=topics, now=utcnow()):
        for topic_id, values in answer.items():
            panels[topic_id].update(values)
    return panels


@bp.get("/learn/")
@login_required
def my_learning():
    member = _member()
    topics = learning_topics.assigned_topics(member) if member else []
    panels = _panels(member, topics)
    db.session.commit()
    return render_template("learning/my_learning.html", member=member, today=local_today(), panels=panels,
                           progress=[studying.topic_progress(member, topic) for topic in topics])


@bp.get("/learn/<topic_slug>/")
@login_required
def topic(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    member = _member()
    panel = _panels(member, [topic])[topic.id]
    db.session.commit()
    return render_template("learning/topic.html", topic=topic, member=member, today=local_today(), panel=panel,
                           progress=studying.topic_progress(member, topic))


@bp.get("/learn/<topic_slug>/<lesson_slug>")
@login_required
def lesson(topic_slug: str, lesson_slug: str):
    topic, lesson = _lesson_or_404(topic_slug, lesson_slug)
    member = _member()
    progress = None
    if member is not None and lesson.published:
        if request.headers.get(OFFLINE_COPY):
            progress = studying.lesson_progress(member, lesson)  # a copy for the phone: the lesson is not opened
        else:
            progress = studying.open_lesson(member, lesson)
            db.session.commit()
    return render_lesson(topic, lesson, member, progress)


def render_lesson(topic, lesson, member, progress) -> str:
    previous, following = studying.neighbours(lesson) if lesson.published else (None, None)
    required = studying.required_read_seconds(lesson)
    if progress is None:
        seconds_left = required
    else:
        seconds_left = studying.seconds_until_markable(progress, lesson) if not progress.studied_at else 0
    return render_template("learning/lesson.html", topic=topic, lesson=lesson, member=member,
                           progress=progress, previous=previous, following=following,
                           reading_minutes=studying.reading_minutes(lesson),
                           required_seconds=required, required_wait=studying.wait_text(required),
                           seconds_left=seconds_left, wait=studying.wait_text(seconds_left))


@bp.get("/learn/<topic_slug>/<lesson_slug>/print")
@login_required
def lesson_print(topic_slug: str, lesson_slug: str):
    topic, lesson = _lesson_or_404(topic_slug, lesson_slug)
    return render_template("learning/lesson_print.html", topic=topic, lesson=lesson,
                           reading_minutes=studying.reading_minutes(lesson))


@bp.post("/learn/<topic_slug>/<lesson_slug>/place")
@login_required
@limiter.limit("120/minute")
def save_place(topic_slug: str, lesson_slug: str):
    """Where the member stopped reading: a small request sent as they scroll."""
    _, lesson = _lesson_or_404(topic_slug, lesson_slug)
    member = _member() or abort(404)
    try:
        percent = int(request.form.get("percent", ""))
        studying.save_place(member, lesson, request.form.get("anchor", ""), percent)
    except (ValueError, studying.LearningError):
        return refusal_json("Vị trí đọc không hợp lệ.")
    db.session.commit()
    return jsonify(saved=True)


@bp.post("/learn/<topic_slug>/<lesson_slug>/studied")
@login_required
def mark_studied(topic_slug: str, lesson_slug: str):
    topic, lesson = _lesson_or_404(topic_slug, lesson_slug)
    member = _member()
    if member is None:
        flash("Tài khoản này không gắn với đoàn viên nào nên không ghi nhận tiến độ học.", "warning")
        return redirect(url_for(".lesson", topic_slug=topic.slug, lesson_slug=lesson.slug))
    # A refusal is shown next to the button, where the member is looking.
    if not save(lambda: studying.mark_studied(member, lesson), refused=MARK_REFUSED):
        return redirect(url_for(".lesson", topic_slug=topic.slug, lesson_slug=lesson.slug, _anchor="mark"))
    progress = studying.topic_progress(member, topic)
    message = Markup("Đã ghi nhận: bạn đã học xong bài “{}” ({}/{} bài của chuyên đề).").format(
        lesson.title, progress.studied, progress.total)
    if progress.next_lesson is not None:
        flash(message, "success")
        return redirect(url_for(".lesson", topic_slug=topic.slug, lesson_slug=progress.next_lesson.slug))
    if signals.first_answer(signals.final_quiz, topic) is not None:
        message += Markup(' <a class="alert-link" href="{}">Làm bài kiểm tra ngay</a>').format(
            url_for("quizzes.landing", topic_slug=topic.slug))
    flash(message, "success")
    return redirect(url_for(".topic", topic_slug=topic.slug))


@bp.get("/search")
@login_required
@limiter.limit("60/minute")
def search():
    query = request.args.get("q", "").strip()[:200]
    hits = learning_search.search(query, limit=30, include_unpublished=_can_edit(),
                           scope=learning_topics.topic_scope(current_user, _member())) if query else []
    return render_template("learning/search.html", query=query, hits=hits)
