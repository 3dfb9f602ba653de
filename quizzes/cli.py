import logging

import click
from flask.cli import with_appcontext

from core.extensions import db
from core.logs import event
from quizzes import services

logger = logging.getLogger(__name__)


@click.group("quizzes", help="Bài kiểm tra và lượt làm bài.")
def quizzes_cli():
    pass


@quizzes_cli.command("close-expired")
@with_appcontext
def close_expired_command():
    """Đóng và chấm các lượt làm bài đã hết giờ (giờ nộp ghi là hạn chót). Chạy lúc nào cũng an toàn."""
    closed = services.close_expired()
    db.session.commit()
    event(logger, "attempts_closed", closed=closed)
    click.echo(f"Đã đóng {closed} lượt làm bài hết giờ.")
