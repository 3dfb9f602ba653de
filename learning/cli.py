import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core.extensions import db
from learning import content


@click.group("content", help="Nội dung học tập (chủ đề, bài học, câu hỏi).")
def content_cli():
    pass


@content_cli.command("sync")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def sync_command(path: Path | None):
    """Nạp thư mục nội dung PATH (mặc định content/): thêm, cập nhật, gỡ; không xóa gì."""
    root = path or Path(current_app.root_path) / "content"
    try:
        report = content.sync(root)
    except content.ContentError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        click.echo(f"Có {len(error.problems)} lỗi. Không nạp gì.", err=True)
        sys.exit(1)
    db.session.commit()
    for line in report.lines:
        click.echo(line)
    click.echo(f"Chủ đề: {report.topics}.")
    click.echo(f"Bài học: {report.lessons}.")
    click.echo(f"Câu hỏi: {report.questions}.")
