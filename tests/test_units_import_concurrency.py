"""A member import and a contestant's answer saves at once, for real: separate threads, sessions
and database connections. No answer is lost to an import: on PostgreSQL a save does not wait for
the import at all; on SQLite (one writer at a time) it waits for the import's writing only, never
for its reading of the file, and then succeeds. The import stays all or nothing."""
import threading
from datetime import timedelta

import pytest

from core.clock import utcnow
from core.extensions import db
from learning import studying
from learning import topics as learning_topics
from quizzes import services as quizzes
from quizzes.models import Answer, Attempt, Quiz
from tests.factories import make_member, make_unit, make_user
from tests.test_units_import import write_xlsx
from units import importing
from units.models import Member


@pytest.fixture
def contest_running(synced, app, tmp_path):
    """An open attempt to save answers into, an administrator, and a file of 30 new members."""
    topic = learning_topics.get_topic("chuyen-de-2022")
    quiz = Quiz(topic=topic, title="Kiểm tra", question_count=5, time_limit_seconds=3600, pass_percent=0,
                max_attempts=None, min_duration_seconds=0)
    db.session.add(quiz)
    unit = make_unit("S")
    member = make_member(unit, "Lò Thị Xuân")
    member.user = make_user("xuan")
    for lesson in learning_topics.published_lessons(topic):
        studying.open_lesson(member, lesson, now=utcnow() - timedelta(hours=1))
        studying.mark_studied(member, lesson)
    attempt = quizzes.start_attempt(quiz, member.user, member)
    admin = make_user("admin", "admin")
    db.session.commit()
    path = write_xlsx(tmp_path / "ds.xlsx", [[f"Nguyễn Văn Thử {n}", "S", f"LC{n:04d}", None, None, "Nam"]
                                             for n in range(30)])
    return app, attempt.id, admin, path


def _save_in_another_thread(app, attempt_id: int, question_index: int) -> list:
    """Save one answer and commit in a thread of its own, as the autosave request does; return
    what went wrong (nothing when saved)."""
    errors = []

    def save():
        with app.app_context():
            try:
                attempt = db.session.get(Attempt, attempt_id)
                entry = attempt.paper[question_index]
                quizzes.save_answer(attempt, entry["id"], [entry["choices"][0]["id"]])
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()
    thread = threading.Thread(target=save)
    thread.start()
    thread.join(timeout=120)
    return errors if not thread.is_alive() else ["still waiting"]


def _answers(attempt_id: int) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Answer).where(Answer.attempt_id == attempt_id))


def test_saves_do_not_wait_while_the_import_reads_its_file_again(contest_running, monkeypatch):
    """Pass 2 reads the file in batches: no batch's writes may hold the database while the next is read."""
    app, attempt_id, admin, path = contest_running
    monkeypatch.setattr(importing, "BATCH", 10)
    real_existing, calls, failures = importing._existing, [], []

    def existing_then_save(parsed):
        calls.append(len(parsed))
        if len(calls) > 3:  # the second pass (the first made three calls)
            failures.extend(_save_in_another_thread(app, attempt_id, len(calls) - 4))
        return real_existing(parsed)
    monkeypatch.setattr(importing, "_existing", existing_then_save)
    result = importing.import_members(path, path.name, admin)
    db.session.commit()
    assert result.ok and result.added == 30 and len(calls) == 6
    assert failures == [] and _answers(attempt_id) == 3


def test_a_save_during_the_import_writing_waits_or_goes_through_and_is_kept(contest_running):
    app, attempt_id, admin, path = contest_running
    postgresql = db.engine.dialect.name == "postgresql"
    result = importing.import_members(path, path.name, admin)  # written, not committed: the lock is held
    assert result.ok
    outcome: list = []
    saver = threading.Thread(target=lambda: outcome.extend(_save_in_another_thread(app, attempt_id, 0)))
    saver.start()
    if postgresql:
        saver.join(timeout=120)  # not waiting for the import: it finishes with the import still open
        assert not saver.is_alive() and outcome == []
    else:
        saver.join(timeout=0.5)  # SQLite: it waits for our commit (a busy timeout well beyond our writing)
    db.session.commit()
    saver.join(timeout=120)
    assert outcome == [] and _answers(attempt_id) == 1
    assert db.session.scalar(db.select(db.func.count(Member.id))) == 31


def test_an_import_that_fails_while_writing_leaves_nothing(contest_running, monkeypatch):
    """The writes are made in batches, still in the caller's one transaction."""
    _app, _attempt_id, admin, path = contest_running
    monkeypatch.setattr(importing, "BATCH", 10)
    writes, real_execute = [], db.session.execute

    def execute(statement, *args, **kwargs):
        if getattr(statement, "is_insert", False) and statement.table.name == "members":
            writes.append(1)
            if len(writes) == 2:
                raise RuntimeError("disk full")
        return real_execute(statement, *args, **kwargs)
    monkeypatch.setattr(db.session, "execute", execute)
    with pytest.raises(RuntimeError):
        importing.import_members(path, path.name, admin)
    db.session.rollback()
    monkeypatch.undo()
    assert db.session.scalar(db.select(db.func.count(Member.id))) == 1
