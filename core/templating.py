"""Jinja filters shared by every feature, and the menu's context."""
from flask_login import current_user

from core import clock, signals
from core.permissions import role_label


def register(app) -> None:
    app.add_template_filter(clock.format_date, "date_vn")
    app.add_template_filter(clock.format_datetime, "datetime_vn")
    app.add_template_filter(lambda n: f"{n:,}".replace(",", "."), "number_vn")
    app.add_template_filter(percent_vn, "percent_vn")
    app.add_template_filter(role_label, "role_label")
    app.context_processor(_navigation)


def _navigation() -> dict:
    """What the menu of every page needs from features to the right (core.signals.navigation)."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    return signals.merged(signals.navigation, current_user._get_current_object())


def percent_vn(value, digits: int = 1) -> str:
    """87.5 -> "87,5%": a decimal comma, as Vietnamese readers write it; "—" when unknown."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",") + "%"
