"""Pages of no feature: the home page (what other features put on it comes through core.signals) and /healthz;
``save``, the one way a view commits what a person asked."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import Blueprint, flash, jsonify, redirect, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core import signals
from core.clock import utcnow
from core.errors import Refusal
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


T = TypeVar("T")


@dataclass(frozen=True)
class Saved(Generic[T]):
    """What ``save`` did: ``value`` returned by the change, or the ``refusal`` raised. True when saved."""
    value: T | None = None
    refusal: Refusal | None = None

    def __bool__(self) -> bool:
        return self.refusal is None

    @property
    def message(self) -> str | None:
        """The refusal's sentence, for the page to show next to the form."""
        return self.refusal.message if self.refusal else None


def save(change: Callable[[], T], success: str | Callable[[T], str] | None = None, *,
         refused: str | None = "danger", keep_changes: bool = False) -> Saved[T]:
    """One request, one commit. Run ``change``; when it raises a ``Refusal``, roll back (or commit, for a
    refusal that ``keeps_changes``, or with ``keep_changes``: what the change did on the way, such as
    closing an expired attempt, stands) and flash its sentence with category ``refused`` (None: the caller
    shows it, as a form error); otherwise commit and flash ``success`` (a sentence, or one made from
    the change's value after the commit)."""
    try:
        value = change()
    except Refusal as refusal:
        if keep_changes or refusal.keeps_changes:
            db.session.commit()
        else:
            db.session.rollback()
        if refused:
            flash(refusal.message, refused)
        return Saved(refusal=refusal)
    db.session.commit()
    if success is not None:
        flash(success(value) if callable(success) else success, "success")
    return Saved(value=value)
