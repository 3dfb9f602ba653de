"""Benchmark: a member import of N rows while a contestant's answers are being saved.

    .venv/bin/python bench/import_during_contest.py [--rows 300000] [--database-url URL]

Builds a fresh database (SQLite in a temporary directory unless --database-url is given; that
database is emptied first), the demo union tree, the 2022 topic and one open quiz attempt. One
thread imports an .xlsx of N members and commits, as the web import does; another saves an
answer and commits every 0.2 s until the import is done, as the quiz page's autosave does.
Prints how long the import held the database's write lock (from its first write to its
commit), the slowest answer save and how many saves failed.
"""
import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.import_members import write_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hoctap-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    os.environ["DATABASE_URL"] = url

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from accounts.models import User
    from app import create_app
    from core.clock import utcnow
    from core.extensions import db
    from learning import content, studying
    from learning import topics as learning_topics
    from quizzes import services as quizzes
    from quizzes.models import Attempt, Quiz
    from units import demo as units_demo
    from units import importing
    from units import members as unit_members
    from units import tree as unit_tree
    from units.cli import _AdminActor, _system_actor
    from units.models import Unit, UnitKind

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        units_demo.seed()
        content.sync(Path(__file__).resolve().parent.parent / "content")
        topic = learning_topics.get_topic("chuyen-de-2022")
        quiz = Quiz(topic=topic, title="Kiểm tra", question_count=5, time_limit_seconds=36000, pass_percent=0,
                    max_attempts=None, min_duration_seconds=0)
        db.session.add(quiz)
        codes = [u.code for u in db.session.scalars(db.select(Unit).join(UnitKind).where(UnitKind.is_grassroots))]
        member = unit_members.create_member(unit_tree.get_unit(codes[0]),
                                            unit_members.MemberData(full_name="Lò Thị Xuân"))
        member.user = User(username="thisinh", full_name="Lò Thị Xuân", password_hash="-")
        for lesson in learning_topics.published_lessons(topic):
            studying.open_lesson(member, lesson, now=utcnow() - timedelta(hours=1))
            studying.mark_studied(member, lesson)
        attempt_id = quizzes.start_attempt(quiz, member.user, member).id
        db.session.commit()
        path = workdir / "members.xlsx"
        write_file(path, args.rows, codes)
        print(f"file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB")

    first_write: list[float] = []

    @event.listens_for(Engine, "before_cursor_execute")
    def _note_first_write(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread().name == "import" and not first_write and statement.lstrip()[:6] in (
                "INSERT", "UPDATE", "DELETE"):
            first_write.append(time.perf_counter())

    done = threading.Event()
    timings: dict[str, float] = {}

    def run_import():
        with app.app_context():
            started = time.perf_counter()
            result = importing.import_members(path, path.name, _AdminActor(_system_actor()))
            assert result.ok, result.errors[:3]
            db.session.commit()
            timings.update(total=time.perf_counter() - started,
                           locked=time.perf_counter() - (first_write[0] if first_write else started))
            done.set()

    saves, failures = [], []

    def save_answers():
        with app.app_context():
            while not done.is_set():  # the page's autosave: one answer, one request, one commit
                started = time.perf_counter()
                try:
                    attempt = db.session.get(Attempt, attempt_id)
                    entry = attempt.paper[len(saves) % len(attempt.paper)]
                    quizzes.save_answer(attempt, entry["id"], [entry["choices"][0]["id"]])
                    db.session.commit()
                    saves.append(time.perf_counter() - started)
                except Exception as error:  # noqa: BLE001 - counted and printed
                    db.session.rollback()
                    failures.append(f"{type(error).__name__}: {str(error)[:80]}")
                db.session.remove()
                time.sleep(0.2)

    importer = threading.Thread(target=run_import, name="import")
    saver = threading.Thread(target=save_answers, name="answers")
    importer.start()
    saver.start()
    importer.join()
    saver.join()
    print(f"import: {timings['total']:.1f} s, of which {timings['locked']:.1f} s from its first write to its commit")
    print(f"answer saves: {len(saves)} saved, slowest {max(saves, default=0):.2f} s; {len(failures)} failed")
    for failure in sorted(set(failures)):
        print("  ", failure)


if __name__ == "__main__":
    main()
