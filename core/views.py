"""Pages of no feature: the home page (what other features put on it comes through core.signals) and /healthz."""
from flask import Blueprint, jsonify, redirect, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core import signals
from core.clock import utcnow
from core.extensions import db

bp = Blueprint("core", __name__)



@bp.get("/")
def home():
    if current_user.is_authenticated:
        address = signals.first_answer(signals.home_redirect, current_user)
        if address:
            return redirect(address)
    return render_template("core/home.html", **signals.merged(signals.home_panels, current_user, now=utcnow()))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", db="error"), 503
    return jsonify(status="ok", db="ok")
