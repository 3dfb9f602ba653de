"""The "Khóa truy cập API" page: an officer's personal tokens for the JSON API."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from accounts import tokens
from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from core.extensions import db
from core.permissions import ADMIN, OFFICER, roles_required

bp = Blueprint("api_tokens", __name__, url_prefix="/accounts/api-tokens")
staff_required = roles_required(ADMIN, OFFICER)


def _page(form: ApiTokenForm, created: tuple[ApiToken, str] | None = None):
    response = render_template("accounts/api_tokens.html", form=form, created=created,
                               tokens=tokens.tokens_of(current_user))
    # The new token is on this page once: never cached, never in a flash message (the session cookie).
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/")
@staff_required
def index():
    return _page(ApiTokenForm())


@bp.post("/")
@staff_required
def create():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _page(form)
    created = tokens.create_token(current_user, form.name.data, current_user)
    db.session.commit()
    return _page(ApiTokenForm(formdata=None), created)


@bp.post("/<int:token_id>/revoke")
@staff_required
def revoke(token_id: int):
    row = db.get_or_404(ApiToken, token_id)
    if row.user_id != current_user.id:
        abort(404)
    tokens.revoke_token(row, current_user)
    db.session.commit()
    flash(f"Đã thu hồi khóa “{row.name}”: hệ thống dùng khóa này sẽ không lấy được số liệu nữa.", "success")
    return redirect(url_for(".index"))
