import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core.extensions import db
from learning import content, content_check


@click.group("content", help="Nội dung học tập (chủ đề, bài học, câu hỏi).")
def content_cli():
    pass


def _default_root() -> Path:
    return Path(current_app.root_path) / "content"


@content_cli.command("sync")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def sync_command(path: Path | None):
    """Nạp thư mục nội dung PATH (mặc định content/): thêm, cập nhật, gỡ; không xóa gì."""
    try:
        report = content.sync(path or _default_root())
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


@content_cli.command("check")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def check_command(path: Path | None):
    """Kiểm tra nội dung PATH (mặc định content/): đáp án lộ, câu trùng, tỉnh khác, số văn bản lạ, thiếu nguồn."""
    try:
        topics = content_check.from_sources(content.read(path or _default_root()))
    except content.ContentError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        click.echo(f"Có {len(error.problems)} lỗi: sửa tệp rồi kiểm tra lại.", err=True)
        sys.exit(1)
    flags = content_check.check(topics)
    for flag in flags:
        click.echo(str(flag))
    lessons = sum(len(topic.lessons) for topic in topics)
    questions = sum(len(topic.questions) for topic in topics)
    counted = f"{len(topics)} chủ đề, {lessons} bài học, {questions} câu hỏi"
    if flags:
        click.echo(f"Có {len(flags)} điểm cần xem lại ({counted}).")
        sys.exit(1)
    click.echo(f"Không có gì cần sửa ({counted}).")
