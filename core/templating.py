"""Jinja filters shared by every feature."""
from core import clock


def register(app) -> None:
    app.add_template_filter(clock.format_date, "date_vn")
    app.add_template_filter(clock.format_datetime, "datetime_vn")
    app.add_template_filter(lambda n: f"{n:,}".replace(",", "."), "number_vn")
