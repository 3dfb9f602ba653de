"""How a request's transaction ends when the view did not end it.

psycopg forgets every statement it has prepared on a connection at each ROLLBACK (a rolled-back
transaction may have dropped what they name), and Flask-SQLAlchemy ends every request by rolling
back what is left open: after each page that only reads (a contest's landing, an attempt, a
result), PostgreSQL parsed and planned every statement again, never reaching psycopg's threshold
for preparing one (5 runs on a connection). A transaction that only read is the same committed as
rolled back, so it is committed; one that wrote anything, or holds a change not yet written, or met
an error, is rolled back as before.
"""
from collections.abc import Iterator, Sequence

from flask import Flask
from sqlalchemy import Connection, Executable, Row, event, text
from sqlalchemy.exc import SQLAlchemyError

from core.extensions import db

WROTE = "hoctap_wrote"  # in Connection.info while the connection's transaction has sent a statement that may write


def register(app: Flask) -> None:
    """Call after db.init_app(app): Flask runs app-context teardowns last-registered first, so this
    one runs before Flask-SQLAlchemy's, which removes the session."""
    with app.app_context():
        engine = db.engine
    if not event.contains(engine, "before_cursor_execute", _note_writes):
        event.listen(engine, "before_cursor_execute", _note_writes)
        event.listen(engine, "commit", _transaction_ended)
        event.listen(engine, "rollback", _transaction_ended)

    @app.teardown_appcontext
    def commit_what_only_read(error: BaseException | None) -> None:
        session = db.session()  # this context's session, not the registry
        if error is not None or not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        try:
            if not session.connection().info.get(WROTE):
                # Not expiring what the view loaded: a streamed response (stream_template,
                # stream_with_context) goes on reading it after this teardown, as it did after
                # Flask-SQLAlchemy's close.
                session.expire_on_commit = False
                session.commit()
        except SQLAlchemyError:  # a transaction an error left unusable: Flask-SQLAlchemy rolls it back
            return


def long_read(statement: Executable, *, batch: int, settings: Sequence[str] = (),
              own_connection: bool = False) -> Iterator[Row]:
    """The rows of a long read, ``batch`` at a time (a server-side cursor on PostgreSQL), after
    ``settings`` (PostgreSQL ``SET LOCAL`` statements) in the same transaction.

    In the session, seeing its changes; or, ``own_connection``, on a connection of the generator's
    own, for a streamed response: that reads the rows after the app context's teardown, which
    Flask 3.1 runs when the view returns, and in which Flask-SQLAlchemy ends the session's
    transaction and with it any cursor open on the session's connection. That connection goes back
    to the pool when the rows are all read or the stream is closed (a download cancelled)."""
    if not own_connection:
        yield from _read(db.session.connection(), statement, batch, settings)
        return
    with db.engine.connect() as connection, connection.begin():
        yield from _read(connection, statement, batch, settings)


def set_local(connection: Connection, settings: Sequence[str]) -> None:
    """Run PostgreSQL ``SET LOCAL`` statements for ``connection``'s transaction; elsewhere nothing
    (SQLite has no planner settings to give)."""
    if connection.dialect.name == "postgresql":
        for setting in settings:
            connection.execute(text(setting))


def _read(connection: Connection, statement: Executable, batch: int, settings: Sequence[str]) -> Iterator[Row]:
    set_local(connection, settings)
    # For this statement only: Connection.execution_options() would change the session's connection.
    yield from connection.execute(statement, execution_options={"yield_per": batch})


def _note_writes(conn, cursor, statement: str, parameters, context, executemany) -> None:
    # Anything but a plain SELECT counts: INSERT, UPDATE, DELETE, a WITH that may hide one, SAVEPOINT.
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[WROTE] = True


def _transaction_ended(conn) -> None:
    if not conn.invalidated:  # a lost connection has no info to read; its successor starts with none
        conn.info.pop(WROTE, None)
