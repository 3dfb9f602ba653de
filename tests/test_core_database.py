"""How a request's transaction ends when its view left it open (core.database): a transaction that
only read is committed, which keeps psycopg's prepared statements; anything else is rolled back."""
import pytest
from flask import Response, stream_template_string
from sqlalchemy import event, text, update

from accounts.models import User
from core.extensions import db
from tests.factories import make_user
from tests.served import served_alone


@pytest.fixture
def routes(app):
    """Views that leave their transaction open in each way, added before the app's first request."""
    def read():
        return str(db.session.scalar(db.select(db.func.count(User.id))))

    def write_core():
        db.session.execute(update(User).values(full_name="Đã Sửa Lén"))
        return "written"

    def write_in_a_with():
        # A write that does not begin with INSERT or UPDATE (both databases read this one).
        db.session.execute(text("WITH chosen AS (SELECT id FROM users) "
                                "UPDATE users SET full_name = 'Đã Sửa Lén' WHERE id IN (SELECT id FROM chosen)"))
        return "written"

    def change_pending():
        db.session.scalars(db.select(User)).first().full_name = "Đã Sửa Lén"
        return "changed"

    def read_then_fail():
        db.session.scalar(db.select(db.func.count(User.id)))
        raise RuntimeError("a bug after a read")

    def streamed():
        # The template runs after the view returned, and after the teardown that ended its transaction.
        users = list(db.session.scalars(db.select(User)))
        return Response(stream_template_string("{% for u in users %}{{ u.full_name }}{% endfor %}", users=users))

    def lose_connection():
        db.session.scalar(db.select(db.func.count(User.id)))
        db.session.connection().invalidate()  # as a restarted database server leaves it
        return "lost"

    for view in (read, write_core, write_in_a_with, change_pending, read_then_fail, streamed, lose_connection):
        app.add_url_rule(f"/test-end/{view.__name__}", view.__name__, view)
    make_user("nguoi-thu", full_name="Người Thử")
    db.session.commit()
    return app


@pytest.fixture
def ends(app):
    """How each transaction on the engine ended, in order."""
    seen: list[str] = []

    def on_commit(conn):
        seen.append("commit")

    def on_rollback(conn):
        seen.append("rollback")

    event.listen(db.engine, "commit", on_commit)
    event.listen(db.engine, "rollback", on_rollback)
    yield seen
    event.remove(db.engine, "commit", on_commit)
    event.remove(db.engine, "rollback", on_rollback)


def names() -> list[str]:
    db.session.rollback()  # read what the database holds now
    return list(db.session.scalars(db.select(User.full_name)))


def test_a_request_that_only_read_ends_in_a_commit(routes, ends):
    assert served_alone(routes.test_client(), "/test-end/read").get_data(as_text=True) == "1"
    assert ends == ["commit"]


@pytest.mark.parametrize("view", ["write_core", "write_in_a_with", "change_pending"])
def test_a_change_the_view_did_not_commit_is_rolled_back(routes, ends, view):
    if view == "write_in_a_with" and db.engine.dialect.name == "sqlite":
        pytest.skip("pysqlite begins a transaction only before INSERT, UPDATE, DELETE or REPLACE: "
                    "a WITH ... UPDATE is committed at once, however the transaction ends")
    assert served_alone(routes.test_client(), f"/test-end/{view}").status_code == 200
    assert ends == ["rollback"]
    assert names() == ["Người Thử"]


def test_a_request_that_failed_is_rolled_back(routes, ends):
    assert isinstance(served_alone(routes.test_client(), "/test-end/read_then_fail"), RuntimeError)
    assert ends == ["rollback"]


def test_a_streamed_page_reads_what_the_view_loaded_after_the_commit(routes, ends):
    assert served_alone(routes.test_client(), "/test-end/streamed").get_data(as_text=True) == "Người Thử"
    assert ends[0] == "commit"


def test_a_connection_lost_after_a_read_ends_quietly_and_the_next_request_reads(routes):
    assert served_alone(routes.test_client(), "/test-end/lose_connection").get_data(as_text=True) == "lost"
    assert served_alone(routes.test_client(), "/test-end/read").get_data(as_text=True) == "1"


def test_a_committed_write_then_a_read_ends_the_read_in_a_commit(routes, ends, app):
    # The flag is the transaction's: a transaction after a committed write starts clean.
    def write_then_read():
        db.session.execute(update(User).values(full_name="Người Thử Hai"))
        db.session.commit()
        return str(db.session.scalar(db.select(db.func.count(User.id))))

    app.add_url_rule("/test-end/write_then_read", "write_then_read", write_then_read)
    assert served_alone(app.test_client(), "/test-end/write_then_read").status_code == 200
    assert ends == ["commit", "commit"]
    assert names() == ["Người Thử Hai"]
