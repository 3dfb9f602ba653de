"""Jinja filters shared by every feature, and the menu's context."""
import time

from flask import session
from flask_login import current_user

from core import clock, signals
from core.permissions import ADMIN, EDITOR, OFFICER, ORGANISER, role_label
from core.text import number_vn

# The menu is drawn on every page. It is kept in the person's signed session cookie, so that any
# worker of any server draws it without a query, and made again after this long: a role granted or
# taken away shows in the menu within it. The views check roles themselves. Five minutes outlast a
# contest round (landing, page, result), so a contestant's journey reads the roles once.
MENU_SECONDS = 300


def register(app) -> None:
    app.add_template_filter(clock.format_date, "date_vn")
    app.add_template_filter(clock.format_datetime, "datetime_vn")
    app.add_template_filter(number_vn, "number_vn")
    app.add_template_filter(percent_vn, "percent_vn")
    app.add_template_filter(role_label, "role_label")
    app.context_processor(_navigation)


def _navigation() -> dict:
    if not getattr(current_user, "is_authenticated", False):
        return {}
    return menu(current_user._get_current_object())


def menu(user) -> dict:
    """What the menu of a signed-in person's pages needs: their roles (``role_names`` and one flag
    per role) and what features to the right add (core.signals.navigation, plain values), kept
    MENU_SECONDS in the session. Kept for this account and session token only: after a logout or a
    new password it is made again."""
    kept = session.get("menu")
    if not (isinstance(kept, list) and len(kept) == 4 and kept[0] == user.get_id() and kept[1] > time.time()):
        kept = [user.get_id(), time.time() + MENU_SECONDS, sorted(user.role_names),
                signals.merged(signals.navigation, user)]
        session["menu"] = kept
    roles = frozenset(kept[2])
    return {"role_names": roles, "is_admin": ADMIN in roles, "is_officer": OFFICER in roles,
            "is_editor": EDITOR in roles, "is_organiser": ORGANISER in roles, **kept[3]}


def percent_vn(value, digits: int = 1) -> str:
    """87.5 -> "87,5%": a decimal comma, as Vietnamese readers write it; "—" when unknown."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",") + "%"
