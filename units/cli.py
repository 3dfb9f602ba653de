import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from accounts.models import Role, User
from core.extensions import db
from core.permissions import ADMIN
from core.tabular import TableError, check_workbook
from units import importing
from units import kinds as unit_kinds
from units import tree as unit_tree


def _system_actor() -> User | None:
    """Terminal imports are recorded as the first administrator, if any."""
    return db.session.execute(
        db.select(User).join(Role).where(Role.name == ADMIN).order_by(User.id).limit(1)).scalar_one_or_none()


class _AdminActor:
    """Stands in for an administrator on the terminal: full scope."""
    is_authenticated = True
    role_names = {"admin"}
    roles = ()

    def __init__(self, user: User | None):
        self.id = user.id if user else None


def _report(result: importing.ImportResult, dry_run: bool) -> None:
    if not result.ok:
        for issue in result.errors:
            click.echo(f"Dòng {issue.row}, cột “{issue.column}”: {issue.message}", err=True)
        if result.error_count > len(result.errors):
            click.echo(f"… và {result.error_count - len(result.errors)} lỗi khác.", err=True)
        click.echo(f"Có {result.error_count} lỗi trong {result.rows} dòng. Không ghi dòng nào.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"Tệp hợp lệ: {result.rows} dòng. Chế độ --dry-run: chưa ghi gì.")
    else:
        click.echo(f"Xong: {result.rows} dòng; thêm {result.added}, cập nhật {result.updated}, "
                   f"không đổi {result.unchanged}.")


def _count_rows(path: Path) -> int:
    if path.suffix.lower() == ".xlsx":
        check_workbook(path)
        from openpyxl import load_workbook
        workbook = load_workbook(path, read_only=True)
        try:
            return max(workbook.worksheets[0].max_row or 0, 0)
        finally:
            workbook.close()
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


units_cli = click.Group("units", help="Cây đơn vị.")
members_cli = click.Group("members", help="Đoàn viên.")


@units_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra, không ghi.")
@with_appcontext
def import_units_command(file: Path, dry_run: bool):
    """Nhập đơn vị từ FILE (.xlsx hoặc .csv)."""
    unit_kinds.ensure_default_kinds()
    try:
        result = importing.import_units(file, file.name, _AdminActor(_system_actor()), dry_run=dry_run)
    except TableError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    if result.ok and not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    _report(result, dry_run)


@members_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", "unit_code", help="Mã đơn vị cho mọi dòng (khi tệp không có cột Mã đơn vị).")
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra, không ghi.")
@with_appcontext
def import_members_command(file: Path, unit_code: str | None, dry_run: bool):
    """Nhập đoàn viên từ FILE (.xlsx hoặc .csv)."""
    unit = None
    if unit_code:
        unit = unit_tree.get_unit(unit_code)
        if unit is None:
            click.echo(f"Không có đơn vị mã “{unit_code}”.", err=True)
            sys.exit(1)
    try:
        rows = _count_rows(file)
        # Two passes over the file (check, then write): the bar covers both.
        with click.progressbar(length=rows * (1 if dry_run else 2), label="Kiểm tra và ghi",
                               file=sys.stderr) as bar:
            result = importing.import_members(file, file.name, _AdminActor(_system_actor()), unit=unit,
                                              dry_run=dry_run, progress=bar.update)
    except TableError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    if result.ok and not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    _report(result, dry_run)
