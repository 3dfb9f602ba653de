"""Checks on member_topics: the rows kept current on every write equal the rows rebuilt from scratch,
by reports.progress and by the migration that first filled the table."""
import importlib.util
from pathlib import Path

from sqlalchemy import text

from core.extensions import db
from reports import progress
from reports.models import MemberTopic

MIGRATION = Path(__file__).resolve().parent.parent / "migrations/versions/f1a8d3c6b2e7_reports_member_topics.py"


def rows() -> dict[tuple[int, int], tuple]:
    db.session.flush()
    return {(row.member_id, row.topic_id): tuple(getattr(row, name) for name in progress.COLUMNS)
            for row in db.session.scalars(db.select(MemberTopic).execution_options(populate_existing=True))}


def backfill_sql() -> str:
    spec = importlib.util.spec_from_file_location("member_topics_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BACKFILL


def assert_rebuild_the_same() -> None:
    kept = rows()
    progress.rebuild()
    assert rows() == kept, "kept current != rebuilt by reports.progress"
    db.session.execute(db.delete(MemberTopic))
    db.session.execute(text(backfill_sql()))
    assert rows() == kept, "kept current != filled by the migration"
