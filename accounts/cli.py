"""`flask api-token create USERNAME`: an administrator makes a token for an officer on the terminal."""
import sys

import click
from flask.cli import with_appcontext

from accounts import tokens
from accounts.models import User
from core.extensions import db
from core.permissions import is_staff


@click.group("api-token", help="Khóa truy cập JSON API.")
def api_token_cli():
    pass


@api_token_cli.command("create")
@click.argument("username")
@click.option("--name", default="Tạo từ dòng lệnh", show_default=True, help="Tên khóa, để nhớ hệ thống nào dùng nó.")
@with_appcontext
def create_command(username: str, name: str):
    """Tạo khóa cho tài khoản USERNAME; khóa là từ cuối cùng được in ra và chỉ hiện một lần."""
    user = db.session.scalars(db.select(User).where(db.func.lower(User.username) == username.strip().lower())).first()
    if user is None:
        click.echo(f"Không có tài khoản “{username}”.", err=True)
        sys.exit(1)
    if not user.is_enabled or not is_staff(user):
        click.echo(f"Tài khoản {user.username} không phải cán bộ công đoàn hay quản trị đang hoạt động: "
                   "khóa sẽ không lấy được số liệu nào.", err=True)
        sys.exit(1)
    try:
        row, token = tokens.create_token(user, name, None)
    except tokens.TokenError:
        click.echo("Tên khóa không được để trống hay dài quá 120 ký tự.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Đã tạo khóa “{row.name}” cho {user.username}. Khóa chỉ hiện một lần, hãy lưu lại ngay:")
    click.echo(token)
