"""Logging: one line per event with key=values, for imports, commands, the sweep, refused logins,
a lost database and unexpected errors; never a password, and a typed identifier only as a hash."""
import io
import logging
from datetime import timedelta

from flask import abort
from openpyxl import load_workbook

from app import create_app
from core import logs
from core.clock import utcnow
from core.extensions import db
from tests.factories import PASSWORD
from tests.test_core_faults import _members_file, cut_connection  # noqa: F401 (the fixture)
from tests.test_quizzes_views import quiz, start  # noqa: F401 (the fixture)


def _lines(caplog, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().split(" ", 1)[0] == name]


def test_a_line_is_the_event_then_key_values_that_split_again():
    line = logs.line("import", kind="members", file="Danh sách đợt 1.xlsx", note='nói "có"\nhai dòng', skipped=None)
    assert line == r'import kind=members file="Danh sách đợt 1.xlsx" note="nói \"có\"\nhai dòng"'
    assert "\n" not in line


def test_the_level_and_format_come_from_the_settings(app, tmp_path):
    root = logging.getLogger()
    try:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                    "LOG_LEVEL": "warning"})
        assert root.level == logging.WARNING
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                    "LOG_LEVEL": "nonsense"})
        assert root.level == logging.INFO
    finally:
        root.setLevel(logging.INFO)


def test_the_format_is_used_where_nothing_else_set_up_logging(app, monkeypatch, capsys):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    app.config["LOG_FORMAT"] = "hoctap|%(levelname)s|%(message)s"
    logs.configure(app)
    (handler,) = root.handlers
    logs.event(logging.getLogger("units"), "import", kind="members")
    handler.flush()
    assert "hoctap|INFO|import kind=members" in capsys.readouterr().err


def test_a_refused_login_says_why_and_from_where_but_never_the_password(world, client, caplog):
    caplog.set_level(logging.INFO)
    client.post("/accounts/login", data={"identifier": "officer_a", "password": "sai-mat-khau-123"})
    client.post("/accounts/login", data={"identifier": "0912 999 999", "password": PASSWORD})
    wrong, unknown = _lines(caplog, "login_refused")
    assert wrong.getMessage() == f"login_refused reason=wrong_password account={world.officer_a.id} ip=127.0.0.1"
    assert unknown.getMessage().startswith("login_refused reason=unknown identifier=")
    assert "0912" not in unknown.getMessage() and "999" not in unknown.getMessage()
    assert all("sai-mat-khau" not in r.getMessage() and PASSWORD not in r.getMessage() for r in caplog.records)
    world.officer_a.is_enabled = False
    db.session.commit()
    client.post("/accounts/login", data={"identifier": "officer_a", "password": PASSWORD})
    assert _lines(caplog, "login_refused")[-1].getMessage().startswith(
        f"login_refused reason=disabled account={world.officer_a.id} ")


def test_the_same_identifier_hashes_alike_and_another_differently(app):
    assert logs.identifier_hash("0912999999") == logs.identifier_hash(" 0912999999 ")
    assert logs.identifier_hash("0912999999") != logs.identifier_hash("0912999998")


def test_an_import_says_who_where_how_many_and_how_it_ended(world, login, caplog):
    caplog.set_level(logging.INFO)
    officer = login("officer_a")
    officer.post("/units/members/import", data={"file": (_members_file(3), "ds.xlsx")},
                 content_type="multipart/form-data")
    (line,) = _lines(caplog, "import")
    assert line.getMessage() == (f"import kind=members actor={world.officer_a.id} file=ds.xlsx dry_run=False "
                                 "outcome=imported rows=3 errors=0 added=3 updated=0")
    outside = _members_file(1)  # a row for GA, the officer's: turned into GB, another district's
    book = load_workbook(outside)
    book.active["B2"] = "GB"
    outside = io.BytesIO()
    book.save(outside)
    outside.seek(0)
    officer.post("/units/members/import", data={"file": (outside, "ngoai.xlsx")}, content_type="multipart/form-data")
    officer.post("/units/members/import", data={"file": (io.BytesIO(b"PK\x03\x04 hong"), "hong.xlsx")},
                 content_type="multipart/form-data")
    refused, unreadable = _lines(caplog, "import")[1:]
    assert refused.getMessage().endswith(
        "file=ngoai.xlsx dry_run=False outcome=refused rows=1 errors=1 added=0 updated=0")
    assert unreadable.getMessage().endswith("file=hong.xlsx dry_run=False outcome=unreadable error=TableError")
    assert unreadable.levelno == logging.WARNING


def test_commands_and_the_sweep_leave_a_line(quiz, login, runner, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    attempt = start(login("member"), quiz)
    attempt.deadline = utcnow() - timedelta(minutes=5)
    db.session.commit()
    runner.invoke(args=["quizzes", "close-expired"])
    assert [r.getMessage() for r in _lines(caplog, "attempts_closed")] == ["attempts_closed closed=1"]
    (command,) = _lines(caplog, "command")
    assert command.getMessage().startswith('command name="quizzes close-expired" outcome=ok seconds=')
    runner.invoke(args=["users", "create-admin", "ab"])  # too short: refused with exit code 1
    assert _lines(caplog, "command")[-1].getMessage().startswith('command name="users create-admin" outcome=refused')
    assert _lines(caplog, "command")[-1].levelno == logging.WARNING


def test_a_command_is_wrapped_once_however_many_apps_are_made(app, tmp_path):
    command = app.cli.commands["quizzes"].commands["close-expired"]
    wrapped = command.callback
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert command.callback is wrapped and wrapped._logged


def test_a_lost_database_is_logged_with_the_path(world, login, cut_connection, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    officer = login("officer_a")
    cut_connection(r"insert into members")
    page = officer.post("/units/members/import", data={"file": (_members_file(5), "ds.xlsx")},
                        content_type="multipart/form-data")
    assert page.status_code == 503
    (line,) = _lines(caplog, "database_unavailable")
    assert line.levelno == logging.ERROR
    assert "method=POST path=/units/members/import error=" in line.getMessage()
    assert f"user={world.officer_a.id}" in line.getMessage()


def test_an_unexpected_error_logs_its_traceback_with_the_path_and_the_person(world, login, app, caplog):
    caplog.set_level(logging.INFO)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_hong")
    def broken():
        raise ZeroDivisionError("chia cho 0")

    @app.get("/_cam")
    def forbidden():
        abort(403)

    officer = login("officer_a")
    assert officer.get("/_hong").status_code == 500
    assert officer.get("/_cam").status_code == 403
    (line,) = _lines(caplog, "unexpected_error")
    assert line.getMessage() == f"unexpected_error method=GET path=/_hong user={world.officer_a.id}"
    assert line.levelno == logging.ERROR and line.exc_info[0] is ZeroDivisionError


def test_a_rate_limited_request_is_logged(app, client, caplog):
    caplog.set_level(logging.INFO)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_nhanh")
    def too_fast():
        abort(429)

    assert client.get("/_nhanh").status_code == 429
    (line,) = _lines(caplog, "rate_limited")
    assert line.getMessage() == "rate_limited path=/_nhanh ip=127.0.0.1"
