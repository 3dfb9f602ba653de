"""`flask reports …`: the reports' commands."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.extensions import db
from core.text import number_vn
from learning.models import Topic
from reports import progress

reports_cli = AppGroup("reports", help="Báo cáo.")


@reports_cli.command("rebuild-progress")
@click.option("--topic", "slug", default=None, help="Chỉ chuyên đề có mã (slug) này.")
def rebuild_progress_command(slug: str | None) -> None:
    """Tính lại tình trạng học của từng đoàn viên theo từng chuyên đề (sau khi nạp dữ liệu hàng loạt)."""
    topic = None
    if slug:
        topic = db.session.scalar(select(Topic).where(Topic.slug == slug))
        if topic is None:
            raise click.ClickException(f"Không có chuyên đề {slug}.")
    rows = progress.rebuild(topic)
    db.session.commit()
    click.echo(f"Đã tính lại {number_vn(rows)} dòng.")
