"""Checks on member_topics: the rows kept current on every write equal the rows rebuilt from scratch,
by reports.progress and by the migrations that filled the table, then its units and days of completion."""
import importlib.util
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, text

from core.extensions import db
from reports import progress
from reports.models import MemberTopic
from units.models import Unit

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations/versions"


def rows() -> dict[tuple[int, int], tuple]:
    db.session.flush()
    return {(row.member_id, row.topic_id): (row.unit_id, row.completed_on,
                                            *(getattr(row, name) for name in progress.COLUMNS))
            for row in db.session.scalars(db.select(MemberTopic).execution_options(populate_existing=True))}


def migration(filename: str):
    spec = importlib.util.spec_from_file_location(filename.removesuffix(".py"), MIGRATIONS / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_migrations_fill_the_same(kept: dict[tuple[int, int], tuple]) -> None:
    # The first migration filled a table without units: run its SQL into a scratch copy of that shape.
    table = MemberTopic.__table__
    scratch = Table("member_topics_backfill", MetaData(),
                    *[Column(column.name, column.type) for column in table.columns
                      if column.name not in ("unit_id", "completed_on")],
                    prefixes=["TEMPORARY"])
    connection = db.session.connection()
    scratch.create(connection)
    backfill = migration("f1a8d3c6b2e7_reports_member_topics.py").BACKFILL
    connection.execute(text(backfill.replace("INSERT INTO member_topics ", f"INSERT INTO {scratch.name} ")))
    filled = {(row.member_id, row.topic_id): tuple(getattr(row, name) for name in progress.COLUMNS)
              for row in connection.execute(db.select(scratch))}
    scratch.drop(connection)
    assert filled == {key: values[2:] for key, values in kept.items()}, "kept current != filled by the migration"
    # The second gave each row its member's unit and day of completion: wrong them all, let it put them right.
    connection.execute(db.update(MemberTopic).values(unit_id=db.select(db.func.min(Unit.id)).scalar_subquery(),
                                                     completed_on=None))
    fill = migration("a7c2e9d4b813_reports_member_topics_unit.py").fill_sql(connection.dialect.name)
    connection.execute(text(fill))
    assert rows() == kept, "kept current != units and days filled by the migration"


def assert_rebuild_the_same() -> None:
    kept = rows()
    progress.rebuild()
    assert rows() == kept, "kept current != rebuilt by reports.progress"
    assert_migrations_fill_the_same(kept)
