"""Studying without network: the installable app (manifest, service worker, offline page), a
topic taken onto the phone, and the marks queued there (learning.offline holds the rule)."""
import hashlib
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from core.clock import format_datetime, utcnow
from core.extensions import db, limiter
from learning import offline, studying
from learning import topics as learning_topics
from learning import views as learning_views
from learning.models import OFFLINE_OUTCOMES, OFFLINE_REFUSED

bp = Blueprint("offline", __name__)

# What every stored page needs besides itself (templates/base.html and learning/lesson.html).
ASSETS = ["vendor/bootstrap/bootstrap.min.css", "css/app.css", "js/app.js", "js/offline.js", "js/lesson.js"]
THEME_COLOUR = "#0b4f8a"  # .bg-union in static/css/app.css
MAX_MARKS = 50
_STATIC_IMAGE = re.compile(r'<img[^>]+src="(/static/[^"?#]+)"')


@bp.get("/sw.js")
def service_worker():
    # Served from the root so that its scope is the whole site; never kept stale by a cache.
    response = send_from_directory(Path(current_app.static_folder) / "js", "sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def web_manifest():
    def icon(size):
        return {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
                "type": "image/png", "purpose": "any maskable"}
    response = jsonify(name="Học tập chuyên đề Công đoàn", short_name="Học tập", lang="vi", dir="ltr",
                       description="Học các chuyên đề của tổ chức Công đoàn, cả khi không có mạng.",
                       start_url=url_for("learning.my_learning"), scope="/", display="standalone",
                       theme_color=THEME_COLOUR, background_color="#ffffff", icons=[icon(192), icon(512)])
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/offline")
def fallback():
    """The page the service worker shows for any page not stored: the same for everyone, it is
    kept on the phone, so it carries nothing of the person (static/js/offline.js lists what is stored)."""
    return render_template("learning/offline/fallback.html")


def _topic_or_404(slug: str):
    return learning_topics.topic_for(slug, current_user, learning_views._member()) or abort(404)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def topic_manifest_data(topic) -> dict:
    """Every URL a topic needs offline with its size as stored on the phone (uncompressed)."""
    member = learning_views._member()
    lessons = learning_topics.published_lessons(topic)
    static = Path(current_app.static_folder)
    assets = list(ASSETS)
    for lesson in lessons:
        assets += [src.removeprefix("/static/") for src in _STATIC_IMAGE.findall(lesson.body_html)]
    assets = [name for name in dict.fromkeys(assets) if (static / name).is_file()]
    pages = [{"url": url_for("learning.topic", topic_slug=topic.slug), "title": topic.title,
              "bytes": _size(learning_views.topic(topic.slug))}]
    for lesson in lessons:
        progress = studying.lesson_progress(member, lesson) if member else None
        pages.append({"url": url_for("learning.lesson", topic_slug=topic.slug, lesson_slug=lesson.slug),
                      "title": lesson.title,
                      "bytes": _size(learning_views.render_lesson(topic, lesson, member, progress))})
    files = [{"url": url_for("static", filename=name), "bytes": (static / name).stat().st_size} for name in assets]
    fingerprint = hashlib.sha256(repr([(topic.updated_at, [(lesson.slug, lesson.updated_at) for lesson in lessons],
                                        [(f["url"], f["bytes"]) for f in files])]).encode()).hexdigest()[:16]
    since = offline.downloaded_at(member, topic) if member else None
    return {"topic": topic.slug, "title": topic.title, "version": fingerprint,
            "pages": pages, "assets": files, "bytes": sum(item["bytes"] for item in pages + files),
            "downloaded_at": format_datetime(since) if since else None}


@bp.get("/offline/topics/<topic_slug>.json")
@login_required
def topic_manifest(topic_slug: str):
    return jsonify(topic_manifest_data(_topic_or_404(topic_slug)))


@bp.post("/offline/topics/<topic_slug>")
@login_required
@limiter.limit("30/minute")
def download(topic_slug: str):
    """The member starts taking the topic onto the phone: the server notes when (learning.offline)."""
    topic = _topic_or_404(topic_slug)
    member = learning_views._member()
    if member is None:
        return jsonify(recorded=False)
    row = offline.record_download(member, topic)
    since = row.downloaded_at
    db.session.commit()
    return jsonify(recorded=True, downloaded_at=format_datetime(since))


@bp.get("/offline/marks")
@login_required
def marks():
    member = learning_views._member()
    return render_template("learning/offline/marks.html", member=member,
                           marks=offline.recent_marks(member) if member else [])


@bp.get("/offline/marks.json")
@login_required
def marks_state():
    """Who is logged in and a CSRF token for sending queued marks: read just before sending, so
    a token stored on the phone is never needed, and only a page of this site can read it."""
    response = jsonify(user=str(current_user.id), csrf_token=generate_csrf(),
                       member=learning_views._member() is not None)
    response.headers["Cache-Control"] = "no-store"
    return response


def _result(key, outcome, reason, received=None) -> dict:
    return {"key": key, "outcome": outcome, "reason": reason,
            "outcome_name": OFFLINE_OUTCOMES.get(outcome, outcome),
            "received_at": format_datetime(received) if received else None}


@bp.post("/offline/marks")
@login_required
@limiter.limit("30/minute")
def send_marks():
    """Marks queued offline, judged one by one; the answer says each one's outcome."""
    member = learning_views._member() or abort(404)
    payload = request.get_json(silent=True)
    queued = payload.get("marks") if isinstance(payload, dict) else None
    if not isinstance(queued, list) or not queued or len(queued) > MAX_MARKS:
        return jsonify(message=f"Gửi từ 1 đến {MAX_MARKS} bài đánh dấu mỗi lần."), 400
    offline.lock_member(member)
    results, now = [], utcnow()
    for item in queued:
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not offline.CLIENT_KEY.fullmatch(key):
            results.append(_result(None, OFFLINE_REFUSED, "Dữ liệu không hợp lệ."))
            continue
        opened, marked = offline.parse_client_time(item.get("opened")), offline.parse_client_time(item.get("marked"))
        topic_slug, lesson_slug = item.get("topic"), item.get("lesson")
        if opened is None or marked is None or not isinstance(topic_slug, str) or not isinstance(lesson_slug, str):
            results.append(_result(key, OFFLINE_REFUSED, "Dữ liệu không hợp lệ."))
            continue
        topic = learning_topics.topic_for(topic_slug[:80], current_user, member)
        lesson = learning_topics.get_lesson(topic, lesson_slug[:80]) if topic else None
        if lesson is None:
            results.append(_result(key, OFFLINE_REFUSED, "Không tìm thấy bài học này (có thể bài đã được gỡ)."))
            continue
        mark = offline.apply_mark(member, lesson, key, opened, marked, now=now)
        results.append(_result(key, mark.outcome, mark.reason, mark.received_at))
    db.session.commit()
    return jsonify(results=results)
