"""`flask seed-demo`: each feature registers its demo seeder in app.py, run in order."""
from collections.abc import Callable

import click
from flask.cli import with_appcontext

from core.extensions import db

seeders: list[Callable[[], list[str]]] = []


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Nạp dữ liệu mẫu. Chạy lại nhiều lần không tạo trùng."""
    for seeder in seeders:
        for line in seeder():
            click.echo(line)
        db.session.commit()
    click.echo("Dữ liệu mẫu đã sẵn sàng.")
