"""Jinja filters shared by every feature."""
from core import clock
from core.permissions import role_label


def register(app) -> None:
    app.add_template_filter(clock.format_date, "date_vn")
    app.add_template_filter(clock.format_datetime, "datetime_vn")
    app.add_template_filter(lambda n: f"{n:,}".replace(",", "."), "number_vn")
    app.add_template_filter(percent_vn, "percent_vn")
    app.add_template_filter(role_label, "role_label")


def percent_vn(value, digits: int = 1) -> str:
    """87.5 -> "87,5%": a decimal comma, as Vietnamese readers write it; "—" when unknown."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",") + "%"
