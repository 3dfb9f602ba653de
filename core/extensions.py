"""Extension objects, created unbound so that no module needs to import the app."""
import sqlite3

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Stable constraint names keep Alembic revisions reproducible on every backend.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)


def insert_or_merge(model):
    """An INSERT that can say ON CONFLICT, for the database in use (PostgreSQL or SQLite)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def split_user_id(text: str) -> tuple[int, str] | None:
    """An id Flask-Login keeps for a user (`User.get_id()`: "account id:session token") read back, or
    None when it is not one. Unchecked: the token is compared with the account's by whoever uses it."""
    ident, _, token = text.partition(":")
    return (int(ident), token) if ident.isascii() and ident.isdigit() else None


def person_or_address() -> str:
    """Limits on what a logged-in person does count per person: a whole office shares one address.
    The person is the one the signed session names, so counting does not load the user."""
    from flask import session
    if (found := split_user_id(str(session.get("_user_id", "")))) is not None:
        return f"user:{found[0]}"
    from flask_login import current_user
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


# How long a SQLite write waits for another's lock before failing. SQLite has one writer at a time:
# an answer save during a member import waits for the import's writing (10 s for 100,000 rows on a
# busy 2-core machine, bench/import_during_contest.py), where pysqlite's default 5 s made it fail.
# Longer would leave a person staring at a spinner; README "SQLite or PostgreSQL" gives the sizes.
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless every connection asks for them.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Write-ahead log: readers never wait for a writer, nor a writer for readers, so pages and
        # answer saves go on while an import writes (the default journal locks readers out).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
