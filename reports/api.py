"""The JSON API for the federation's other systems: a unit's completion figures, token-authenticated.

A token acts as the officer who owns it: the same scope, so a unit outside it is 404,
and nothing at all once the owner is no longer an officer or administrator. Errors
are JSON with a Vietnamese ``error``.
"""
import hashlib
import re
from datetime import date

from flask import Blueprint, current_app, request
from flask_limiter.util import get_remote_address

from accounts import tokens
from core.extensions import csrf, db, limiter
from core.permissions import can_manage_unit, is_staff
from reports import services
from units import tree as unit_tree

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies, no forms: a bearer token is not sent by a browser on its own
RATE_LIMIT = "60 per minute"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _rate_key() -> str:
    # Per token (its hash, never the token itself); requests without one share their address's budget.
    token = _bearer()
    return "api:" + hashlib.sha256(token.encode()).hexdigest() if token else "api-ip:" + get_remote_address()


def _json(data: dict, status: int = 200, headers: dict | None = None):
    body = current_app.json.dumps(data, ensure_ascii=False)
    return current_app.response_class(body + "\n", status=status, mimetype="application/json", headers=headers)


def _error(status: int, message: str, headers: dict | None = None):
    return _json({"error": message}, status, headers)


@bp.errorhandler(429)
def too_many(_error_):
    return _error(429, "Gọi quá nhiều lần: mỗi khóa được 60 lần mỗi phút. Hãy đợi một lát rồi gọi lại.")


def _unauthorized(presented: bool):
    challenge = 'Bearer realm="hoctap"' + (', error="invalid_token"' if presented else "")
    message = ("Khóa truy cập không hợp lệ hoặc đã bị thu hồi." if presented
               else "Thiếu khóa truy cập: gửi tiêu đề “Authorization: Bearer <khóa>”.")
    return _error(401, message, {"WWW-Authenticate": challenge})


def _date_arg(name: str) -> date | str:
    """The ISO date in ``name``, or the message saying what is wrong with it."""
    text = request.args.get(name, "").strip()
    if not text:
        return f"Thiếu tham số {name} (ngày dạng YYYY-MM-DD)."
    try:
        if not ISO_DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        return f"Ngày {name}=“{text}” không hợp lệ: ghi theo YYYY-MM-DD, ví dụ 2022-03-31."


@bp.get("/units/<code>/completion")
@limiter.limit(RATE_LIMIT, key_func=_rate_key)
def completion(code: str):
    token = _bearer()
    row = tokens.use_token(token)
    if row is None:
        return _unauthorized(token is not None)
    db.session.commit()  # last_used_at, whatever the answer below
    owner = row.user
    if not is_staff(owner):
        return _error(403, "Chủ khóa không còn là cán bộ công đoàn hay quản trị: khóa không lấy được số liệu.")
    unit = unit_tree.get_unit(code)
    if unit is None or not can_manage_unit(owner, unit):
        return _error(404, f"Không có đơn vị mã “{code}” trong phạm vi của khóa này.")
    slug = request.args.get("topic", "").strip()
    if not slug:
        return _error(400, "Thiếu tham số topic (mã chuyên đề, ví dụ chuyen-de-2022).")
    topic = next((t for t in services.report_topics(unit) if t.slug == slug), None)
    if topic is None:
        return _error(400, f"Không có chuyên đề mã “{slug}”.")
    start, end = _date_arg("from"), _date_arg("to")
    for value in (start, end):
        if isinstance(value, str):
            return _error(400, value)
    if start > end:
        return _error(400, "Ngày from phải trước hoặc bằng ngày to.")
    return _json(services.report_as_dict(services.completion_report(unit, topic, services.Period.custom(start, end))))
