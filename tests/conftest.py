"""Fixtures: an app on a fresh database per test, clients, and a live server for Chromium.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Tables are created once per run and emptied after each test, which is what keeps the
PostgreSQL run fast. Under pytest-xdist each worker has a database of its own: its own
SQLite file, or a PostgreSQL database named after TEST_DATABASE_URL's with the worker's id.

Tests are marked by what they need, so a quick loop can leave them out (`make test-fast`):
``browser`` (Chromium) is set here from the fixtures a test uses; ``subprocess`` (a server
or command in another process) and ``slow`` (a minute or more alone) are set by hand.
"""
import os
import threading

import pytest
from flask import g
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app import create_app
from core.extensions import db
from tests import factories
from tests.chromium import CHROMIUM, LAUNCH_ARGS


BROWSER_FIXTURES = {"browser", "page"}


def pytest_collection_modifyitems(items):
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if worker_id == "master":
        return url
    name = f"{make_url(url).database}_{worker_id}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:  # left over from an earlier Alembic test
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.engine.dispose()
    yield


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url, _schema, tmp_path):
    app = create_app({
        "CERTIFICATE_CACHE": str(tmp_path / "certificates"),
        "LAMTHEO_PLAN_DIR": str(tmp_path / "plans"),
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    })

    @app.before_request
    def _forget_cached_user():
        # Flask 3.1's test client shares the test's app context, and with it ``g``;
        # Flask-Login caches the user there, so drop it or two clients act as one person.
        g.pop("_login_user", None)

    with app.app_context():
        yield app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()  # each test's app has its own pool; close it


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    """A small tree with one account per role, used by view and permission tests."""
    return factories.make_world()


@pytest.fixture
def login(app):
    """Return a logged-in client for ``username``: one fresh client per person."""
    def _login(username: str, password: str = factories.PASSWORD):
        client = app.test_client()
        response = client.post("/accounts/login", data={"identifier": username, "password": password})
        assert response.status_code == 302, f"login as {username} failed"
        return client
    return _login


# -- browser journeys -----------------------------------------------------------------

@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A phone-sized page: the journeys are walked as a member on a 360-px screen would."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
