"""Baseline for bench/attempts.py: the smallest Flask endpoint that writes one row, on the
app's own stack (Flask, Flask-SQLAlchemy, SQLAlchemy 2, psycopg 3, PostgreSQL, gunicorn).

    DATABASE_URL=postgresql+psycopg://root@127.0.0.1/bench \
        gunicorn --workers 4 --bind 127.0.0.1:8412 bench.baseline:app   (from the project root)

`POST /hit` reads one form field, INSERTs one row and commits: one transaction, one
statement, a JSON answer, as small as a request that touches the database can be. The
engine options are config.py's (pool_pre_ping), so what differs from the app's requests
is only the app's own work.
"""
import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Hit(db.Model):
    __tablename__ = "bench_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(40))


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or os.environ["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}  # as config.py
    db.init_app(app)

    @app.post("/hit")
    def hit():
        row = Hit(at=datetime.now(UTC).replace(tzinfo=None), note=request.form.get("note", "")[:40])
        db.session.add(row)
        db.session.flush()  # INSERT ... RETURNING id
        row_id = row.id
        db.session.commit()
        return jsonify(saved=True, id=row_id)

    return app


def reset_table(database_url: str) -> None:
    """Drop and create bench_hits, so every run starts on an empty table."""
    app = create_app(database_url)
    with app.app_context():
        Hit.__table__.drop(db.engine, checkfirst=True)
        Hit.__table__.create(db.engine)
        db.engine.dispose()


if os.environ.get("DATABASE_URL"):
    app = create_app()
