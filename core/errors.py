"""Refusals, the Vietnamese error pages, and a log line for what went wrong behind them.

A rule that refuses what a person asked raises a ``Refusal`` (or a package's subclass of it) carrying
the Vietnamese sentence to show them. A view shows it as a flash or as the form's error (usually
through ``core.views.save``); a JSON call answers ``refusal_json``. A refusal no view catches still
reaches the person: ``register`` turns it into a page (or JSON) with its sentence, not a 500.
"""
import logging

from flask import g, jsonify, render_template, request, session
from sqlalchemy.exc import DataError, DBAPIError, OperationalError

from core.extensions import db
from core.logs import event

logger = logging.getLogger(__name__)

DATABASE_DOWN = ("Máy chủ dữ liệu tạm thời không trả lời",
                 "Thao tác vừa rồi chưa được lưu; những gì đã lưu trước đó vẫn còn. Vui lòng thử lại sau ít giây.")


class Refusal(Exception):
    """A rule refused what was asked; ``message`` is the Vietnamese sentence for the person.

    ``status`` is the HTTP status when nothing catches it. ``keeps_changes``: what the session holds
    when it is raised must be committed all the same (an audit record of the refusal)."""
    status = 400
    keeps_changes = False

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def refusal_json(message: str, http_status: int = 400, **extra):
    """The one shape of a refused JSON save: ``{"saved": false, "message": …}`` plus what the page needs."""
    return jsonify(saved=False, message=message, **extra), http_status


MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Trình duyệt đã gửi dữ liệu không đúng. Hãy tải lại trang và thử lại."),
    403: ("Không có quyền truy cập", "Tài khoản của bạn không được phép xem trang này."),
    404: ("Không tìm thấy trang", "Trang bạn tìm không có hoặc bạn không có quyền xem."),
    405: ("Thao tác không được phép", "Trang này không nhận thao tác đó."),
    413: ("Tệp quá lớn", "Tệp tải lên vượt quá giới hạn cho phép."),
    429: ("Thao tác quá nhanh", "Bạn đã thử quá nhiều lần. Vui lòng đợi một lát rồi thử lại."),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra phía máy chủ. Vui lòng thử lại sau ít phút."),
}
REFUSED_TITLE = "Không thực hiện được"


def _user_id():
    """Whose request it was, without a query (the database may be what failed): the person this
    request loaded, else the id their signed session cookie names."""
    loaded = getattr(g.get("_login_user"), "id", None)
    if loaded is not None:
        return loaded
    claimed = str(session.get("_user_id", "")).partition(":")[0]
    return int(claimed) if claimed.isascii() and claimed.isdigit() else None


def register(app) -> None:
    def log_exception(exc_info) -> None:
        """Replaces Flask's: one line with the path and the person, then the traceback."""
        event(logger, "unexpected_error", level=logging.ERROR, exc_info=exc_info, method=request.method,
              path=request.path, user=_user_id())

    app.log_exception = log_exception

    def handler(error):
        code = getattr(error, "code", 500) or 500
        if code == 429:
            event(logger, "rate_limited", level=logging.WARNING, path=request.path, ip=request.remote_addr,
                  user=_user_id())
        title, message = MESSAGES.get(code, MESSAGES[500])
        if code == 400 and getattr(error, "description", "").startswith("The CSRF"):
            message = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và gửi lại."
        return render_template("errors/error.html", code=code, title=title, message=message), code

    for code in MESSAGES:
        app.register_error_handler(code, handler)

    @app.errorhandler(Refusal)
    def refused(refusal: Refusal):
        """A refusal no view caught (a certificate too long to print): its sentence, never a 500."""
        if refusal.keeps_changes:
            db.session.commit()
        else:
            db.session.rollback()
        if wants_json():
            return refusal_json(refusal.message, refusal.status)
        return render_template("errors/error.html", code=refusal.status, title=REFUSED_TITLE,
                               message=refusal.message), refusal.status

    @app.errorhandler(DataError)
    def refused_by_the_database(error):
        """Input the database will not store (a NUL byte in a search, a number out of range) that slipped
        past the forms: a 400 with a message, not a crash."""
        db.session.rollback()
        message = "Dữ liệu gửi lên có ký tự hoặc giá trị không hợp lệ. Hãy kiểm tra lại rồi gửi lại."
        if wants_json():
            return refusal_json(message, 400)
        return render_template("errors/error.html", code=400, title=MESSAGES[400][0], message=message), 400

    @app.errorhandler(DBAPIError)
    def database_unavailable(error):
        """A lost or refused database connection is a 503 the person can retry, not a crash; the pool
        drops the dead connection and pre-ping checks the next one."""
        if not (isinstance(error, OperationalError) or error.connection_invalidated):
            raise error
        event(logger, "database_unavailable", level=logging.ERROR, method=request.method, path=request.path,
              error=type(error.orig).__name__ if error.orig is not None else type(error).__name__,
              detail=str(error.orig or error).splitlines()[0][:200], user=_user_id())
        db.session.rollback()
        title, message = DATABASE_DOWN
        if wants_json():
            return refusal_json(message, 503)
        return render_template("errors/error.html", code=503, title=title, message=message), 503
