"""The database connection dies in the middle of a request: the person gets a Vietnamese 503,
nothing is half-written, and the very next request works on a fresh connection."""
import http.cookiejar
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, event, text

from core.extensions import db
from quizzes.models import Answer, Attempt
from tests.factories import PASSWORD
from tests.ports import free_port
from tests.test_quizzes_views import quiz, save, start  # noqa: F401  (quiz is a fixture)
from units.models import Member

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cut_connection(app):
    """``cut(pattern)``: the next statement matching the pattern finds its connection dead."""
    armed: list[re.Pattern] = []
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    killer = create_engine(url) if url.startswith("postgresql") else None

    def before(conn, cursor, statement, parameters, context, executemany):
        if armed and armed[0].search(statement):
            armed.pop()
            if killer is None:
                cursor.connection.close()  # SQLite: "Cannot operate on a closed database"
            else:  # PostgreSQL: the server ends this backend, as a restart or a network cut would
                pid = cursor.connection.info.backend_pid
                with killer.connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(db.engine, "before_cursor_execute", before)
    yield lambda pattern: armed.append(re.compile(pattern, re.IGNORECASE))
    event.remove(db.engine, "before_cursor_execute", before)
    if killer is not None:
        killer.dispose()


def test_an_answer_save_that_loses_the_database(quiz, login, cut_connection):  # noqa: F811
    member = login("member")
    attempt = start(member, quiz)
    first, second = attempt.paper[0], attempt.paper[1]
    assert save(member, attempt, first, [first["choices"][0]["id"]]).status_code == 200

    cut_connection(r"\banswers\b")
    failed = save(member, attempt, second, [second["choices"][0]["id"]])
    assert failed.status_code == 503 and failed.json["saved"] is False
    assert "chưa được lưu" in failed.json["message"]
    db.session.expire_all()
    saved = {a.question_id for a in db.session.scalars(db.select(Answer).filter_by(attempt_id=attempt.id))}
    assert saved == {first["id"]}  # the earlier answer is intact, the failed one absent

    again = save(member, attempt, second, [second["choices"][0]["id"]])
    assert again.status_code == 200 and again.json["saved"] is True
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Answer.id)).filter_by(attempt_id=attempt.id)) == 2


def _members_file(rows: int) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["Họ và tên", "Mã đơn vị", "Số điện thoại"])
    for n in range(rows):
        sheet.append([f"Người Thứ {n}", "GA", f"0977{n:06d}"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_an_import_that_loses_the_database_writes_nothing(world, login, cut_connection):
    officer = login("officer_a")
    before = db.session.scalar(db.select(db.func.count(Member.id)))
    cut_connection(r"insert into members")  # the first batch of 1,000: rows are being written
    page = officer.post("/units/members/import", data={"file": (_members_file(1500), "ds.xlsx")},
                        content_type="multipart/form-data")
    assert page.status_code == 503 and "Máy chủ dữ liệu tạm thời không trả lời" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Member.id))) == before

    retry = officer.post("/units/members/import", data={"file": (_members_file(1500), "ds.xlsx")},
                         content_type="multipart/form-data")
    assert retry.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Member.id))) == before + 1500


def _workers(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


@pytest.mark.subprocess
def test_a_killed_gunicorn_worker_loses_no_saved_answer(quiz, app, tmp_path):  # noqa: F811
    """State lives in the database, never in a worker: kill -9 the worker between two answers."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "HOCTAP_ENV": "development",
                   "SECRET_KEY": "faults-" + "x" * 40, "CERTIFICATE_CACHE": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                               "app:create_app()"], cwd=ROOT, env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(path, data=None, headers=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        with browser.open(urllib.request.Request(base + path, data=body, headers=headers or {}), timeout=10) as reply:
            return reply.geturl(), reply.read().decode()

    try:
        for _ in range(100):  # wait for the worker to answer
            try:
                call("/healthz")
                break
            except OSError:
                time.sleep(0.1)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', call("/accounts/login")[1]).group(1)
        call("/accounts/login", {"identifier": "member", "password": PASSWORD, "csrf_token": token})
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', call(f"/learn/{quiz.topic.slug}/quiz")[1]).group(1)
        url, page = call(f"/learn/{quiz.topic.slug}/quiz/start", {"csrf_token": token})
        attempt_id = int(re.search(r"/attempts/(\d+)", url).group(1))
        token = re.search(r'data-csrf="([^"]+)"', page).group(1)
        attempt = db.session.get(Attempt, attempt_id)
        first, second = attempt.paper[0], attempt.paper[1]
        # The page names questions and choices by the attempt's own keys: the first choice shown of each.
        keys = re.findall(r'data-question="(\w+)".*?value="\1".*?value="(\w+)"',
                          call(f"/attempts/{attempt_id}?view=all")[1], re.S)

        def answer(position):
            question, choice = keys[position]
            return json.loads(call(f"/attempts/{attempt_id}/answer",
                                   {"question_id": question, f"choice-{question}": choice},
                                   {"Accept": "application/json", "X-CSRFToken": token})[1])

        assert answer(0)["saved"] is True
        (worker,) = _workers(server.pid)
        os.kill(worker, signal.SIGKILL)
        for _ in range(100):  # the master forks a new worker
            if _workers(server.pid) not in ([], [worker]):
                break
            time.sleep(0.1)
        assert answer(1)["saved"] is True
        state = json.loads(call(f"/attempts/{attempt_id}/state", headers={"Accept": "application/json"})[1])
        assert state["status"] == "in_progress"
        db.session.expire_all()
        saved = {a.question_id for a in db.session.scalars(db.select(Answer).filter_by(attempt_id=attempt_id))}
        assert saved == {first["id"], second["id"]}
    finally:
        server.terminate()
        server.wait(timeout=10)
