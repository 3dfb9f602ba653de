"""`flask db upgrade` on an empty database builds exactly the schema the models describe."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from core.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new database of the kind the suite runs on."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"hoctap_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


# SQLite cannot reflect an index on an expression (users' lower(username)); Alembic skips it and says so.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_upgrade_on_an_empty_database_matches_the_models(empty_database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_phones_stored_in_other_digits_are_made_canonical(empty_database_url):
    """Rows written before identifiers were normalised: a phone in full-width or Arabic-Indic digits."""
    from flask_migrate import downgrade
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="a7c2e9d4b813")
        with db.engine.begin() as connection:
            run = connection.execute
            run(text("INSERT INTO unit_kinds (id, code, name, is_grassroots, position) VALUES (1, 'g', 'G', true, 1)"))
            run(text("INSERT INTO units (id, code, name, name_folded, kind_id, path, depth, status, created_at) "
                     "VALUES (1, 'GA', 'A', 'a', 1, '/1/', 0, 'active', CURRENT_TIMESTAMP)"))
            for name, phone in (("a", "0981234567"), ("b", "098１234567"), ("c", "٠٩٨١٢٣٤٥٦٨"), ("d", "0981234569")):
                run(text("INSERT INTO members (unit_id, full_name, name_folded, phone, status, created_at, updated_at) "
                         "VALUES (1, :name, :name, :phone, 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"name": name, "phone": phone})
            for username in ("admin", "０９７８１２３４５６", "ｍｅｍｂｅｒ"):
                run(text("INSERT INTO users (username, full_name, password_hash, must_change_password, is_enabled, "
                         "created_at) VALUES (:username, 'X', 'x', false, true, CURRENT_TIMESTAMP)"),
                    {"username": username})
        with pytest.warns(UserWarning, match="already held by id 1"):
            upgrade()
        with db.engine.connect() as connection:
            phones = dict(connection.execute(text("SELECT full_name, phone FROM members")).all())
            usernames = set(connection.execute(text("SELECT username FROM users")).scalars())
        # "b" is "a" in other digits: a duplicate for an administrator to merge, never deleted.
        assert phones == {"a": "0981234567", "b": "098１234567", "c": "0981234568", "d": "0981234569"}
        assert usernames == {"admin", "0978123456", "ｍｅｍｂｅｒ"}
        downgrade(revision="a7c2e9d4b813")
        db.engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_attempts_numbered_twice_by_the_old_race_are_renumbered(empty_database_url):
    """e8b4d1f07a92 adds a unique (quiz, user, number): the numbers 1, 2, 2, 2 the try-limit race left
    become 1, 2, 3, 4 in the order the attempts started, and nobody else's change."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="a7c2e9d4b813")
        now = "2022-05-19 08:00:00"
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, username, full_name, password_hash, must_change_password, is_enabled, "
                "created_at) VALUES (1, 'hoa', 'Trần Thị Hoa', 'x', false, true, :now), "
                "(2, 'xuan', 'Lò Thị Xuân', 'x', false, true, :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO topics (id, slug, title, kind, year, guiding_document, summary, published, from_content, "
                "created_at, updated_at) VALUES (1, 'ngan-hang', 'Ngân hàng', 'contest', 2022, '', '', false, false, "
                ":now, :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO quizzes (id, topic_id, purpose, title, question_count, balance_lessons, "
                "time_limit_seconds, pass_percent, grading, review_after_submit, one_per_page, min_duration_seconds, "
                "published, created_at) VALUES (1, 1, 'contest', 'Tuần 1', 20, false, 1200, 0, 'best', 'score', "
                "false, 60, true, :now)"), {"now": now})
            for attempt_id, user_id, number, minute in [(1, 1, 1, 1), (2, 1, 2, 5), (3, 1, 2, 3), (4, 1, 2, 4),
                                                        (5, 2, 1, 1), (6, 2, 2, 2)]:
                connection.execute(text(
                    "INSERT INTO attempts (id, quiz_id, user_id, number, status, started_at, deadline, paper, "
                    "max_score, flagged_short) VALUES (:id, 1, :user, :number, 'submitted', :started, :started, "
                    "'[]', 20, false)"),
                    {"id": attempt_id, "user": user_id, "number": number, "started": f"2022-05-19 08:0{minute}:00"})
        upgrade()
        with db.engine.connect() as connection:
            numbers = dict(connection.execute(text("SELECT id, number FROM attempts")).all())
        db.engine.dispose()
    assert numbers == {1: 1, 3: 2, 4: 3, 2: 4, 5: 1, 6: 2}
