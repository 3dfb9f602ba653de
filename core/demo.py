"""`flask seed-demo`: app.py builds the command with each feature's demo seeder, in the layering's order.

The demo brings accounts that share a published password, so it never goes into a database
that holds real data, nor outside development unless forced.
"""
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from core.extensions import db

Seeder = Callable[[], list[str]]  # adds its feature's demo rows, returns lines to print
Refusal = Callable[[], str | None]  # why this database must not receive the demo, or None


def seed_demo_command(seeders: list[Seeder], refusals: list[Refusal]) -> click.Command:
    """The `seed-demo` command over these seeders (run in this order: each builds on those before)."""

    @click.command("seed-demo")
    @click.option("--force", is_flag=True, help="Nạp cả khi HOCTAP_ENV không phải development (máy thử nghiệm).")
    @with_appcontext
    def seed_demo(force: bool):
        """Nạp dữ liệu mẫu. Chạy lại nhiều lần không tạo trùng. Từ chối trên cơ sở dữ liệu đã có dữ liệu thật."""
        if current_app.config["ENVIRONMENT"] != "development" and not force:
            raise click.ClickException(
                "Không nạp dữ liệu mẫu: máy này chạy ở chế độ production (HOCTAP_ENV). Dữ liệu mẫu có tài khoản "
                "dùng chung một mật khẩu công khai; chỉ nạp trên máy thử nghiệm, với --force.")
        for refusal in refusals:
            reason = refusal()
            if reason:
                raise click.ClickException(f"Không nạp dữ liệu mẫu: {reason}")
        for seeder in seeders:
            for line in seeder():
                click.echo(line)
            db.session.commit()
        click.echo("Dữ liệu mẫu đã sẵn sàng.")

    return seed_demo
