"""Fixtures: an app on a fresh database per test, clients, and a live server for Chromium.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Tables are created once per run and emptied after each test, which is what keeps the
PostgreSQL run fast. Under pytest-xdist each worker has a database of its own: its own
SQLite file, or a PostgreSQL database named after TEST_DATABASE_URL's with the worker's id.

Two starting points many tests share are built once per worker and restored from memory
for each test that asks for them: ``world`` (a small tree with one account per role) and
``synced`` (content/ as `flask content sync` leaves it). Building them took most of the suite's
time; restoring them is a few INSERTs. Passwords are hashed with Argon2id at its smallest settings here
(``PASSWORD_HASH_METHOD``); the application's own costs ~20 ms a hash.

Tests are marked by what they need, so a quick loop can leave them out (`make test-fast`):
``browser`` (Chromium) and ``database`` (the suite's database, which the PostgreSQL pass of
`make test` needs) are set here from the fixtures a test uses; ``subprocess`` (a server or
command in another process) and ``slow`` (a minute or more alone) are set by hand.
"""
import atexit
import gc
import os
import shutil
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import current_app, g
from flask_sqlalchemy import SQLAlchemy
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from app import create_app
from contests import boards
from core.clock import utcnow
from core.extensions import db
from learning import content
from learning import topics as learning_topics
from learning.models import Topic
from quizzes import services as quizzes
from tests import factories
from tests.chromium import CHROMIUM, LAUNCH_ARGS, live_server

BROWSER_FIXTURES = {"browser", "page"}
# The fixtures through which a test reaches the database the suite runs on (TEST_DATABASE_URL's or
# SQLite). A test with none of them runs the same on either, so the PostgreSQL pass leaves it out.
DATABASE_FIXTURES = {"database_url", "empty_database_url"}
CONTENT = Path(__file__).resolve().parent.parent / "content"
# 8 KiB, one pass: a hash made in a test is only ever checked in a test. The app's costs ~20 ms.
FAST_PASSWORD_HASH = "argon2id:8:1:1"


_compile_builder = Rule._compile_builder
_builders: dict = {}


def _shared_builder(rule: Rule, append_unknown: bool = True):
    # Every test makes a new app, and Werkzeug writes, compiles and execs two URL builders for each of
    # its ~150 routes: 45 ms of the app's 55. A builder is a function of the rule's text, trace and
    # defaults only (the rule comes in as an argument), so the apps of one run can share them.
    key = (rule.rule, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())), append_unknown)
    if key not in _builders:
        _builders[key] = _compile_builder(rule, append_unknown)
    return _builders[key]


Rule._compile_builder = _shared_builder  # type: ignore[method-assign]

_parse_rule = Rule._parse_rule
_parsed_rules: dict = {}


def _shared_parse(self: Rule, rule: str):
    # Parsing the ~150 rules again for each test's app was 6 ms of each test. The parts are frozen
    # dataclasses, and the app registers no converter of its own: Werkzeug's do not use their map.
    if rule not in _parsed_rules:
        trace_start, converters_before = len(self._trace), set(self._converters)
        parts = list(_parse_rule(self, rule))
        _parsed_rules[rule] = (parts, self._trace[trace_start:],
                               {name: converter for name, converter in self._converters.items()
                                if name not in converters_before})
        return parts
    parts, trace, converters = _parsed_rules[rule]
    self._trace.extend(trace)
    self._converters.update(converters)
    self.arguments.update(converters)
    return parts


Rule._parse_rule = _shared_parse  # type: ignore[method-assign]

_make_engine = SQLAlchemy._make_engine
_engines: dict = {}
_suite_databases: set[str] = set()  # database_url's: a test's own database (a backup's) is not shared


def _shared_engine(self, bind_key, options, app):
    # One engine per database and options for the whole run, not one per test's app: SQLAlchemy keeps
    # the SQL it compiled per engine (per dialect), and compiling it anew in every test was ~15 % of
    # the suite's CPU. Its pool stays open from test to test (new PostgreSQL backends start cold).
    if make_url(options["url"]).render_as_string(hide_password=False) not in _suite_databases:
        return _make_engine(self, bind_key, options, app)
    key = (bind_key, repr(sorted(options.items(), key=lambda item: item[0])))
    if key not in _engines:
        _engines[key] = _make_engine(self, bind_key, options, app)
        if _engines[key].dialect.name == "sqlite":
            event.listen(_engines[key], "connect", _sqlite_without_fsync)
    return _engines[key]


def _sqlite_without_fsync(dbapi_connection, _record):
    # A test database need not survive a power cut: each commit's fsync of the WAL (~1 ms, more on a
    # busy disk) was waiting, not work. The app's own pragmas (WAL, foreign keys) still apply.
    dbapi_connection.execute("PRAGMA synchronous=OFF")


SQLAlchemy._make_engine = _shared_engine  # type: ignore[method-assign]


class _TemplateCode(BytecodeCache):
    """Jinja's compiled templates, shared by the apps of a run (each app has its own Jinja
    environment, which would parse and compile every template it renders again)."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])  # checks the source's checksum

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = _TemplateCode()


def pytest_sessionstart(session):
    # The garbage collector took a third of the suite's CPU: each test's app, engine and pages are
    # hundreds of thousands of objects, and every 700 allocations started a collection. Imports are
    # frozen out of its sight, and it runs every 10,000 (about 50 MB more per worker).
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if BROWSER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.browser)
        if DATABASE_FIXTURES & fixtures:
            item.add_marker(pytest.mark.database)


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
        # Commits return before the WAL reaches the disk (for every connection, servers started by a
        # test too): a test database need not survive a crash, and the suite's thousands of commits
        # each waited for an fsync.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _schema(database_url):
    _suite_databases.add(make_url(database_url).render_as_string(hide_password=False))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:  # left over from an earlier Alembic test
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.engine.dispose()
    yield


_restored: set["Snapshot"] = set()  # the snapshots whose rows the tables hold now


def _skip_foreign_key_checks() -> None:
    """Until the transaction ends, PostgreSQL checks no foreign key (its triggers are off): for rows
    that go all together or come back all together. Only a superuser may; others keep the checks."""
    db.session.execute(text("SELECT set_config('session_replication_role', 'replica', true) "
                            "WHERE current_setting('is_superuser') = 'on'"))


def _empty_tables() -> None:
    """DELETE every row, children first. On PostgreSQL only from the tables that have rows, then
    the used sequences back to 1, as TRUNCATE … RESTART IDENTITY did: TRUNCATE gives each of the
    ~45 tables new files, synced at commit, which cost 0.3–2 s of waiting per test."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        written = set(db.session.scalars(text(" UNION ALL ".join(
            f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM {table.name})" for table in tables))))
        tables = [table for table in tables if table.name in written]
        db.session.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                                "FROM pg_sequences WHERE last_value IS NOT NULL"))
        _skip_foreign_key_checks()  # every row goes: a third of the DELETEs' time
    for table in tables:
        db.session.execute(table.delete())
    db.session.commit()
    _restored.clear()


@pytest.fixture
def app(database_url, _schema, tmp_path):
    app = create_app({
        "CERTIFICATE_CACHE": str(tmp_path / "certificates"),
        "LAMTHEO_PLAN_DIR": str(tmp_path / "plans"),
        "STORY_PHOTO_DIR": str(tmp_path / "story-photos"),
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
        "QUIZ_SAVE_EVERY_SECONDS": 1,  # journeys see answers saved within a second; one test sets it back
    })

    app.jinja_env.bytecode_cache = TEMPLATE_CODE

    @app.before_request
    def _forget_cached_user():
        # Flask 3.1's test client shares the test's app context, and with it ``g``;
        # Flask-Login caches the user there, so drop it or two clients act as one person.
        g.pop("_login_user", None)

    with app.app_context():
        yield app
        db.session.rollback()
        _empty_tables()
        quizzes.forget_paper_keys()  # the next test's attempt 1 is another paper
        db.session.remove()
        if db.engine not in _engines.values():
            db.engine.dispose()  # a test's own engine; the shared ones keep their connections for the next test


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def statements(app):
    """Every SQL statement sent from here on, its spaces folded: what a request asks of the database."""
    seen: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", on_execute)
    yield seen
    event.remove(db.engine, "before_cursor_execute", on_execute)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Snapshot:
    """The rows ``build`` writes, kept the first time it runs on an empty database, then put back by INSERT.

    ``restore`` inserts them only while those tables are empty (so the ids are free); otherwise
    it builds again. ``build`` returns a namespace of the ORM objects (kept as ids) and plain values
    a test wants. A snapshot whose ``build`` restores others first names them in ``parts``: once it
    is restored, restoring a part again returns the part's objects and inserts nothing.
    """

    def __init__(self, build, parts: tuple["Snapshot", ...] = ()):
        self.build = build
        self.parts = parts
        self.rows: dict | None = None
        self.handles: dict = {}
        self.taken_at = utcnow()

    @staticmethod
    def _counts() -> dict:
        return {table: db.session.scalar(db.select(db.func.count()).select_from(table))
                for table in db.metadata.sorted_tables}

    def _build(self) -> SimpleNamespace:
        before = self._counts() if self.rows is None else None
        built = self.build() or SimpleNamespace()
        db.session.commit()
        if before is not None:
            written = [table for table, count in self._counts().items() if count > before[table]]
            if not any(before.values()):  # on rows already there, what it wrote may point at them
                self.handles = {name: (type(obj), obj.id) if isinstance(obj, db.Model) else (None, obj)
                                for name, obj in vars(built).items()}
                self.rows = {table: [dict(row) for row in db.session.execute(  # by id: a tree's root first
                    table.select().order_by(*table.primary_key.columns)).mappings()] for table in written}
                self.taken_at = utcnow()
        return built

    def _objects(self) -> SimpleNamespace:
        by_model: dict = {}
        for model, id_ in self.handles.values():
            if model:
                by_model.setdefault(model, set()).add(id_)
        found = {(model, obj.id): obj for model, ids in by_model.items()  # one query a model, not one an object
                 for obj in db.session.scalars(db.select(model).where(model.id.in_(ids)))}
        return SimpleNamespace(**{name: found.get((model, id_)) if model else id_
                                  for name, (model, id_) in self.handles.items()})

    def _free(self) -> bool:
        """Whether its rows can go back as they were: kept, and every table they go to empty (one query)."""
        return self.rows is not None and not (self.rows and db.session.scalar(
            db.select(db.or_(*(db.exists().select_from(table) for table in self.rows)))))

    def restore(self) -> SimpleNamespace:
        if self in _restored:
            return self._objects()
        if not self._free():
            built = self._build()
            _restored.update((self, *self.parts))
            return built
        # Moments move forward with the clock, as if built now: "created today" stays true.
        late = utcnow() - self.taken_at
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:
            _skip_foreign_key_checks()  # rows that held together when kept: half the COPY's time
        for table, rows in self.rows.items():  # sorted_tables order: parents first
            moved = [{key: value + late if isinstance(value, datetime) else value for key, value in row.items()}
                     for row in rows]
            if postgresql:
                _copy_into(table, moved)
            else:
                db.session.execute(table.insert(), moved)
        serial = [table.name for table in self.rows if "id" in table.c]  # not the composite keys
        if postgresql and serial:  # the sequences did not see the ids go in
            db.session.execute(text("SELECT " + ", ".join(
                f"setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))" for name in serial)))
        db.session.commit()
        _restored.update((self, *self.parts))
        return self._objects()


def _copy_into(table, rows: list[dict]) -> None:
    """Rows into a PostgreSQL table by COPY, one stream: an INSERT a row cost about 0.1 ms each, half a
    second for the demo's 5,500. Each value goes through its column type as an INSERT's would (JSON)."""
    dialect = db.engine.dialect
    columns = list(rows[0])
    convert = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    quote = dialect.identifier_preparer.quote
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(
            f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([to_column(value) if to_column else value
                            for to_column, value in zip(convert, row.values(), strict=True)])


class FolderSnapshot(Snapshot):
    """A snapshot whose ``build`` also writes files under some of the app's folders (photos, plans):
    they are kept beside the rows and copied into the folders of each test that restores it."""

    def __init__(self, build, folders: tuple[str, ...], parts: tuple[Snapshot, ...] = ()):
        super().__init__(build, parts)
        self.folders = folders
        self.kept: Path | None = None

    def _build(self) -> SimpleNamespace:
        built = super()._build()
        if self.rows is not None and self.kept is None:
            self.kept = Path(tempfile.mkdtemp(prefix="hoctap-snapshot-"))
            atexit.register(shutil.rmtree, self.kept, True)
            for setting in self.folders:
                if os.path.isdir(current_app.config[setting]):
                    shutil.copytree(current_app.config[setting], self.kept / setting)
        return built

    def restore(self) -> SimpleNamespace:
        inserting = self not in _restored and self._free()
        restored = super().restore()
        if inserting and self.kept is not None:
            for setting in self.folders:
                if (self.kept / setting).is_dir():
                    shutil.copytree(self.kept / setting, current_app.config[setting], dirs_exist_ok=True)
        return restored


def _sync_content():
    content.sync(CONTENT)


def _seed_demo():
    seeding = current_app.test_cli_runner().invoke(args=["seed-demo", "--force"])  # a test database: no real data
    assert seeding.exit_code == 0, seeding.output


def _place_synced_topics():
    """What sync does besides writing rows: set each topic for its federation, if that unit exists."""
    for topic in db.session.scalars(db.select(Topic)):
        learning_topics.place_topic(topic)
    db.session.commit()


WORLD = Snapshot(factories.make_world)
SYNCED = Snapshot(_sync_content)
DEMO = FolderSnapshot(_seed_demo, ("STORY_PHOTO_DIR", "LAMTHEO_PLAN_DIR", "CERTIFICATE_CACHE"))


@pytest.fixture
def world(app):
    """A small tree with one account per role, used by view and permission tests."""
    return WORLD.restore()


def synced_content() -> Path:
    """content/ synced, as `flask content sync` leaves it, each topic set for its federation if that
    unit exists now: a test that makes its own units calls it (again) once they are there."""
    SYNCED.restore()
    _place_synced_topics()
    return CONTENT


@pytest.fixture
def synced(app):
    """content/ synced (``synced_content``); its topics are the same in every test."""
    return synced_content()


@pytest.fixture
def demo(app):
    """The demo instance, as `flask seed-demo` leaves it (its photos and plan files too)."""
    DEMO.restore()
    boards.forget_cache()


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
    server = live_server(app)
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
