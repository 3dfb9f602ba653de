"""`flask --app app backup OUT`: a consistent copy of a SQLite database while the app runs.

SQLite's online backup API copies page by page under the database's own locks, so the copy is
consistent even with writers running; copying the file with `cp` is not. PostgreSQL has
pg_dump for that (see the README), so the command refuses and says so.
"""
import os
import sqlite3
from pathlib import Path
from typing import cast

import click
from flask.cli import with_appcontext

from core.extensions import db

PAGES_PER_STEP = 1024  # a writer waits at most one step (4 MiB with 4 KiB pages)


def backup_sqlite(out: Path) -> int:
    """Write the backup next to ``out`` and rename it into place: a failed run leaves no half file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    source = db.engine.raw_connection()
    try:
        target = sqlite3.connect(partial)
        try:
            cast(sqlite3.Connection, source.driver_connection).backup(target, pages=PAGES_PER_STEP)
            pages = target.execute("PRAGMA page_count").fetchone()[0]
        finally:
            target.close()
    finally:
        source.close()
    os.replace(partial, out)
    return pages


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(out: Path) -> None:
    """Copy the SQLite database to OUT (consistent while the app runs)."""
    if db.engine.dialect.name != "sqlite":
        raise click.ClickException(
            "Cơ sở dữ liệu là PostgreSQL: hãy sao lưu bằng pg_dump (xem mục Sao lưu trong README).")
    pages = backup_sqlite(out)
    size = out.stat().st_size
    click.echo(f"Đã sao lưu {pages} trang ({size / 1024 / 1024:.1f} MB) vào {out}.")
