from collections.abc import Callable

from flask import Blueprint, jsonify, redirect, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.extensions import db

bp = Blueprint("core", __name__)

# Features to the right send some people elsewhere from "/" (contests: a contestant to their
# contests); app.py registers them. Each returns an address or None.
home_redirects: list[Callable[[object], str | None]] = []


@bp.get("/")
def home():
    if current_user.is_authenticated:
        for hook in home_redirects:
            address = hook(current_user)
            if address:
                return redirect(address)
    return render_template("core/home.html")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", db="error"), 503
    return jsonify(status="ok", db="ok")
