"""Accounts on the terminal: the first administrator of a new instance, API tokens for officers."""
import sys

import click
from flask.cli import with_appcontext

from accounts import services, tokens
from accounts.models import User
from core.extensions import db
from core.permissions import ADMIN, is_staff


@click.group("users", help="Tài khoản.")
def users_cli():
    pass


def _check_password(password: str, username: str) -> str:
    problem = services.password_problem(password, username)
    if problem:
        raise click.BadParameter(problem)
    return password


@users_cli.command("create-admin")
@click.argument("username")
@click.option("--full-name", default="Quản trị viên", show_default=True, help="Họ và tên hiện trên trang.")
@click.option("--generate", is_flag=True,
              help="Tạo mật khẩu ngẫu nhiên, in ra một lần; phải đổi ở lần đăng nhập đầu.")
@with_appcontext
def create_admin_command(username: str, full_name: str, generate: bool):
    """Tạo tài khoản quản trị USERNAME. Mật khẩu được hỏi hai lần (không hiện khi gõ),
    không bao giờ nhận từ dòng lệnh."""
    username = username.strip()
    if not 3 <= len(username) <= 64:
        click.echo("Tên đăng nhập phải dài từ 3 đến 64 ký tự.", err=True)
        sys.exit(1)
    if generate:
        password = services.generate_initial_password()
    else:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu",
                                value_proc=lambda value: _check_password(value, username))
    try:
        user = services.create_user(username, full_name.strip() or username, password, must_change_password=generate)
    except services.AccountError:
        click.echo(f"Đã có tài khoản “{username}”: chọn tên khác, hoặc cấp quyền quản trị cho nó trên trang "
                   "Tài khoản.", err=True)
        sys.exit(1)
    services.grant_role(user, ADMIN, None, actor=None)
    db.session.commit()
    click.echo(f"Đã tạo tài khoản quản trị {user.username}.")
    if generate:
        click.echo("Mật khẩu chỉ hiện một lần, đổi ngay ở lần đăng nhập đầu:")
        click.echo(password)


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
