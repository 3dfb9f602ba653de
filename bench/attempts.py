"""Benchmark: complete quiz attempts per minute against gunicorn + PostgreSQL, next to a
minimal Flask endpoint doing one INSERT on the same stack (bench/baseline.py).

    .venv/bin/python bench/attempts.py [--concurrency 10 50] [--duration 60] [--warmup 10]
                                       [--workers 4] [--database-url URL] [--targets app baseline]

For each concurrency level K, and for each target:

app       The database (default postgresql+psycopg://root@127.0.0.1/bench) is emptied and
          rebuilt: the demo union tree, content/ synced, a quiz of 20 questions drawn from
          the 48 of `chuyen-de-2022` (20 minutes, unlimited attempts, all questions on one
          page), and --members members who have studied every lesson. gunicorn serves
          bench/wsgi.py (the app, rate limits off). K threads each play a member: start
          (POST, 302), the attempt page (GET), 20 answer saves (POST, JSON, one per
          question, a random choice), submit (POST, 302), then the next attempt. A member
          makes --attempts-per-member attempts (3, the quiz default) and the thread moves
          on to a fresh member, so no one piles up hundreds of attempts.
baseline  bench_hits is recreated; gunicorn serves bench/baseline.py; K threads each POST
          /hit in a loop.

Requests that end in the first --warmup seconds are not counted; the figures cover the
next --duration seconds: complete attempts (submit answered in the window) per minute,
requests per second, p50/p95 latency per kind of request as the client saw it (connect,
send, whole body read; gunicorn's sync workers close the connection after each answer,
as they do in production), and the CPU used by gunicorn, by the PostgreSQL backends of
the bench database and by this driver. The driver uses the standard library only
(threads and http.client), so nothing beyond requirements.txt is needed.

Logging in checks an Argon2id hash (~20 ms of CPU): K members log in for real through the
form before the warm-up (timed, shown as `login`, not part of an attempt); the rest get a
session cookie made here with the app's own SECRET_KEY, exactly what a login would have
set, so no password hashing competes with the attempts being measured.

Before the load, one attempt is replayed in-process with the Flask test client on the same
database and the SQL statements of each kind of request are counted (--show-sql lists them).
"""
import argparse
import http.client
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://root@127.0.0.1/bench"
TOPIC = "chuyen-de-2022"
QUESTIONS = 20
PASSWORD = "bench-mat-khau-2022"
USER_AGENT = "hoctap-bench/1"
KINDS = ["start", "page", "answer", "submit"]
REQUESTS_PER_ATTEMPT = 1 + 1 + QUESTIONS + 1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FIRST_FAILURE: dict[str, str] = {}
BACKEND_TITLE = re.compile(r"postgres: (?:\S+: )?(\S+) (\S+) \d")


# -- data ----------------------------------------------------------------------------

def make_app(database_url: str, secret_key: str, **extra):
    from app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key,
                       "RATELIMIT_ENABLED": False, **extra})


def distinct_unique_names(metadata) -> list[str]:
    """The naming convention calls a unique constraint after its table and first column, so
    two on (contest_id, user_id) and (contest_id, phone) get one name, which PostgreSQL
    refuses ("relation ... already exists"). Name such a pair after all its columns, in
    this process's metadata only, so the bench can build its schema; returns the names."""
    from sqlalchemy import UniqueConstraint
    from sqlalchemy.sql.elements import conv

    renamed = []
    for table in metadata.sorted_tables:
        uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint) and len(c.columns)]
        names = [str(c.name) for c in uniques]
        for constraint, name in zip(uniques, names, strict=True):
            if names.count(name) > 1:
                constraint.name = conv(f"uq_{table.name}_" + "_".join(col.name for col in constraint.columns))
                renamed.append(str(constraint.name))
    return renamed


def build_data(app, members: int) -> list[int]:
    """Empty the database and load what an attempt needs; return the members' user ids."""
    from sqlalchemy import text

    from accounts import services as accounts
    from accounts.models import User
    from core.clock import utcnow
    from core.extensions import db
    from core.text import fold
    from learning import content
    from learning import topics as learning_topics
    from learning.models import LessonProgress
    from quizzes.models import Quiz
    from units import demo as units_demo
    from units import tree as unit_tree
    from units.models import Member

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        renamed = distinct_unique_names(db.metadata)
        if renamed:
            print(f"  note: renamed clashing unique constraints for PostgreSQL: {', '.join(renamed)}")
        db.create_all()
        units_demo.seed()
        content.sync(ROOT / "content")
        topic = learning_topics.get_topic(TOPIC)
        learning_topics.assign_topic(topic, unit_tree.get_unit(units_demo.PROVINCE))
        quiz = Quiz(topic=topic, title="Bài kiểm tra chuyên đề năm 2022", question_count=QUESTIONS,
                    time_limit_seconds=20 * 60, pass_percent=70, one_per_page=False, min_duration_seconds=60)
        db.session.add(quiz)
        db.session.flush()
        # Unlimited attempts. Not in the constructor: SQLAlchemy stores the column default (3)
        # for a None given to a new row; an UPDATE to NULL keeps it.
        quiz.max_attempts = None
        lessons = learning_topics.published_lessons(topic)
        unit = unit_tree.get_unit(units_demo.GRASSROOTS_OF_COSO)
        password_hash = accounts.hash_password(PASSWORD)  # one hash for all: a hash is slow on purpose
        now = utcnow()
        users = []
        for n in range(members):
            name = f"Đoàn Viên Thử {n:05d}"
            user = User(username=f"bench{n:05d}", full_name=name, password_hash=password_hash)
            member = Member(unit=unit, full_name=name, name_folded=fold(name), card_number=f"BN{n:06d}",
                            gender="Nữ" if n % 2 else "Nam", position="Công nhân", user=user)
            db.session.add_all([user, member])
            db.session.add_all([LessonProgress(member=member, lesson=lesson, opened_at=now - timedelta(hours=3),
                                               last_seen_at=now - timedelta(hours=2),
                                               studied_at=now - timedelta(hours=2)) for lesson in lessons])
            users.append(user)
        db.session.commit()
        assert db.session.scalar(db.select(Quiz.max_attempts)) is None
        ids = [user.id for user in users]
        db.session.remove()
        db.engine.dispose()
    return ids


@dataclass
class Identity:
    username: str
    cookies: dict = field(default_factory=dict)
    csrf: str = ""


def mint_sessions(app, user_ids: list[int]) -> list[Identity]:
    """Session cookies as a login through the form would set them (same key, same fields)."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from accounts.models import User
    from core.extensions import db

    serializer = app.session_interface.get_signing_serializer(app)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    identities = []
    with app.app_context():
        users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(user_ids)))}
        db.session.expunge_all()
    for user_id in user_ids:
        user = users[user_id]
        # A request context of its own each time: Flask-WTF keeps the token in `g`.
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                      headers={"User-Agent": USER_AGENT}):
            login_user(user)
            token = generate_csrf()
            identities.append(Identity(user.username, {cookie_name: serializer.dumps(dict(session))}, token))
    with app.app_context():
        db.engine.dispose()
    return identities


# -- statements per request, in-process ------------------------------------------------

def count_statements(app, username: str, show_sql: bool, attempts: int = 3) -> dict:
    """Replay attempts with the test client; return statements and in-process ms per kind."""
    from sqlalchemy import event

    from core.extensions import db

    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    commits = [0]

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    def on_commit(conn):
        commits[0] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT})
    totals = defaultdict(lambda: {"requests": 0, "statements": 0, "commits": 0, "ms": 0.0})
    listing: dict[str, list[str]] = {}

    def call(kind, method, url, **kwargs):
        seen.clear()
        commits[0] = 0
        started = time.perf_counter()
        response = client.open(url, method=method, **kwargs)
        elapsed = time.perf_counter() - started
        row = totals[kind]
        row["requests"] += 1
        row["statements"] += len(seen)
        row["commits"] += commits[0]
        row["ms"] += 1000 * elapsed
        listing.setdefault(kind, list(seen))
        return response

    try:
        response = call("login", "POST", "/accounts/login", data={"identifier": username, "password": PASSWORD})
        assert response.status_code == 302, "login failed in the statement count"
        for _ in range(attempts):
            response = call("start", "POST", f"/learn/{TOPIC}/quiz/start")
            assert response.status_code == 302 and "/attempts/" in response.headers["Location"], response.status_code
            path = urllib.parse.urlsplit(response.headers["Location"]).path
            page = call("page", "GET", path).get_data(as_text=True)
            for question_id, choice_ids in parse_paper(page):
                response = call("answer", "POST", f"{path}/answer", headers={"Accept": "application/json"},
                                data={"question_id": question_id, f"choice-{question_id}": random.choice(choice_ids)})
                assert response.status_code == 200, response.get_data(as_text=True)
            response = call("submit", "POST", f"{path}/submit")
            assert response.status_code == 302
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    result = {}
    for kind, row in totals.items():
        n = row["requests"]
        result[kind] = {"statements": row["statements"] / n, "commits": row["commits"] / n, "ms": row["ms"] / n}
    print("SQL per request, in-process (Flask test client, same database, mean of "
          f"{attempts} attempts after a real login):")
    print(f"  {'kind':<7} {'statements':>10} {'commits':>8} {'ms in-process':>14}")
    for kind in ["login"] + KINDS:
        r = result[kind]
        print(f"  {kind:<7} {r['statements']:>10.1f} {r['commits']:>8.1f} {r['ms']:>14.1f}")
    if show_sql:
        for kind in ["login"] + KINDS:
            print(f"\n-- {kind}: {len(listing[kind])} statements")
            for statement in listing[kind]:
                print("   " + (statement if len(statement) < 240 else statement[:237] + "..."))
    return result


# -- HTTP ----------------------------------------------------------------------------

QUESTION_RE = re.compile(r'data-question="(\w+)"')
CHOICE_RE = re.compile(r'type="(radio|checkbox)"\s+name="choice-(\w+)" id="\w+" value="(\w+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def parse_paper(page: str) -> list[tuple[str, list[str]]]:
    choices = defaultdict(list)
    for _kind, question_id, choice_id in CHOICE_RE.findall(page):
        choices[question_id].append(choice_id)
    paper = [(q, choices[q]) for q in QUESTION_RE.findall(page)]
    if len(paper) != QUESTIONS or not all(c for _, c in paper):
        raise ValueError(f"the attempt page shows {len(paper)} questions, expected {QUESTIONS}")
    return paper


def csrf_of(page: str) -> str:
    found = CSRF_RE.search(page)
    if not found:
        raise ValueError("no csrf_token in the page")
    return found.group(1) or found.group(2)


class Client:
    """One browser: cookies by hand (the app's are Secure, and this is plain HTTP on
    loopback), a new TCP connection whenever gunicorn closes the last one."""

    def __init__(self, port: int, identity: Identity | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.identity = identity or Identity("")

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.identity.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.identity.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=sent)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        ended = time.perf_counter()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attributes.lower().replace(" ", "") or not value:
                self.identity.cookies.pop(name, None)
            else:
                self.identity.cookies[name] = value
        return response.status, response.headers, payload, started, ended

    def close(self):
        self.connection.close()


class Recorder:
    """Per-thread lists of (kind, ended, seconds, ok); merged after the run."""

    def __init__(self):
        self.rows: list[tuple[str, float, float, bool]] = []
        self.attempts: list[float] = []  # when each submit was answered

    def add(self, kind, started, ended, ok, status=None, detail=""):
        self.rows.append((kind, ended, ended - started, ok))
        if not ok and kind not in FIRST_FAILURE:
            FIRST_FAILURE[kind] = f"{status} {detail[:300]}"
            print(f"  ! first failed {kind}: {status} {detail[:300]}", file=sys.stderr)


def real_login(port: int, identity: Identity, recorder: Recorder) -> None:
    client = Client(port, identity)
    status, _, page, _, _ = client.request("GET", "/accounts/login")
    assert status == 200, status
    form = {"identifier": identity.username, "password": PASSWORD, "csrf_token": csrf_of(page.decode())}
    status, headers, _, started, ended = client.request("POST", "/accounts/login", form)
    recorder.add("login", started, ended, status == 302)
    assert status == 302, f"login of {identity.username} answered {status}"
    status, _, page, _, _ = client.request("GET", f"/learn/{TOPIC}/quiz")
    assert status == 200, status
    identity.csrf = csrf_of(page.decode())  # the login began a new session: a new token
    client.close()


class MemberPool:
    def __init__(self, identities: list[Identity]):
        self.identities = list(identities)
        self.lock = threading.Lock()
        self.next = 0
        self.wrapped = False

    def take(self) -> Identity:
        with self.lock:
            if self.next == len(self.identities):
                self.next, self.wrapped = 0, True
            identity = self.identities[self.next]
            self.next += 1
            return identity


def attempt_loop(port: int, pool: MemberPool, first: Identity, per_member: int, until: float,
                 recorder: Recorder, rng: random.Random) -> None:
    identity, left = first, per_member
    client = Client(port, identity)
    while time.perf_counter() < until:
        if left == 0:
            client.close()
            identity, left = pool.take(), per_member
            client = Client(port, identity)
        left -= 1
        try:
            status, headers, _, started, ended = client.request(
                "POST", f"/learn/{TOPIC}/quiz/start", {"csrf_token": identity.csrf})
            location = headers.get("Location", "")
            ok = status == 302 and "/attempts/" in location
            recorder.add("start", started, ended, ok, status, location)
            if not ok or time.perf_counter() >= until:
                continue
            path = urllib.parse.urlsplit(location).path
            status, _, page, started, ended = client.request("GET", path)
            recorder.add("page", started, ended, status == 200)
            if status != 200:
                continue
            paper = parse_paper(page.decode())
            headers = {"Accept": "application/json", "X-CSRFToken": identity.csrf}
            for question_id, choice_ids in paper:
                if time.perf_counter() >= until:
                    break
                status, _, body, started, ended = client.request(
                    "POST", f"{path}/answer", {"question_id": question_id,
                                               f"choice-{question_id}": rng.choice(choice_ids)}, headers)
                recorder.add("answer", started, ended, status == 200 and b'"saved":true' in body, status,
                             body.decode(errors="replace"))
            else:
                status, headers, _, started, ended = client.request(
                    "POST", f"{path}/submit", {"csrf_token": identity.csrf})
                ok = status == 302 and headers.get("Location", "").endswith("/result")
                recorder.add("submit", started, ended, ok)
                if ok:
                    recorder.attempts.append(ended)
        except (OSError, http.client.HTTPException, ValueError) as error:
            recorder.add("error", time.perf_counter(), time.perf_counter(), False)
            print(f"  ! {identity.username}: {error!r}", file=sys.stderr)
    client.close()


def hit_loop(port: int, until: float, recorder: Recorder, rng: random.Random) -> None:
    client = Client(port)
    while time.perf_counter() < until:
        try:
            status, _, body, started, ended = client.request("POST", "/hit", {"note": f"q{rng.randrange(10**6)}"})
            recorder.add("insert", started, ended, status == 200 and b'"saved":true' in body)
        except (OSError, http.client.HTTPException) as error:
            recorder.add("error", time.perf_counter(), time.perf_counter(), False)
            print(f"  ! {error!r}", file=sys.stderr)
    client.close()


# -- processes and CPU ---------------------------------------------------------------

def process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL backends serving the bench database (their title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            # "postgres: 15/main: root bench 127.0.0.1(43210) idle" (the cluster name is optional)
            title_match = BACKEND_TITLE.match(title)
            if title_match and title_match.group(2) == database:
                found.append(int(entry.name))
    return found


def machine_busy() -> tuple[float, float]:
    """(busy seconds, total seconds) over all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def cpu_snapshot(master: int, database: str) -> dict:
    workers = [master] + children_of(master)
    times = os.times()
    busy, total = machine_busy()
    return {"gunicorn": sum(process_cpu(p) for p in workers),
            "postgres": sum(process_cpu(p) for p in postgres_backends(database)),
            "driver": times.user + times.system, "busy": busy, "total": total}


def wait_for_quiet(limit: float, max_wait: float) -> tuple[float, float]:
    """Wait until the machine is (nearly) idle, so that other people's work on the same two
    cores does not go into the figures; return (cores busy when we began, seconds waited)."""
    started = time.monotonic()
    while True:
        busy0, total0 = machine_busy()
        time.sleep(3)
        busy1, total1 = machine_busy()
        cores = (busy1 - busy0) / (total1 - total0) * os.cpu_count()
        waited = time.monotonic() - started
        if cores <= limit or waited >= max_wait:
            return cores, waited
        print(f"  (machine busy: {cores:.2f} cores used by others, waiting)", file=sys.stderr)
        time.sleep(7)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is fine
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Gunicorn:
    def __init__(self, module: str, port: int, workers: int, env: dict, log: Path):
        self.port = port
        self.log = log.open("ab")
        command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers),
                   "--bind", f"127.0.0.1:{port}", "--log-level", "warning", module]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=self.log,
                                        start_new_session=True)

    def wait_ready(self, path: str, method: str = "GET", timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}, see {self.log.name}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request(method, path)
                status = connection.getresponse().status
                connection.close()
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # our own session, started above
                self.process.wait()
        self.log.close()


# -- one run -------------------------------------------------------------------------

def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def run(target: str, args, concurrency: int, env: dict, secret_key: str, log: Path) -> dict:
    port = args.port if target == "app" else args.port + 1
    if not port_is_free(port):
        raise SystemExit(f"port {port} is taken: choose another with --port")
    logins = Recorder()
    if target == "app":
        app = make_app(args.database_url, secret_key)
        members = max(args.members, concurrency * 2)
        started = time.perf_counter()
        user_ids = build_data(app, members)
        identities = mint_sessions(app, user_ids[concurrency:])
        firsts = [Identity(f"bench{n:05d}") for n in range(concurrency)]
        print(f"  data: {members} members, quiz of {QUESTIONS} from the bank of {TOPIC}, "
              f"built in {time.perf_counter() - started:.1f} s")
        if args.show_statements:
            count_statements(make_app(args.database_url, secret_key), identities.pop().username, args.show_sql)
        server = Gunicorn("bench.wsgi:app", port, args.workers, env, log)
        ready_path = "/healthz"
    else:
        from bench_baseline import reset_table
        reset_table(args.database_url)
        server = Gunicorn("bench.baseline:app", port, args.workers, env, log)
        ready_path = "/hit"
    try:
        server.wait_ready(ready_path, "GET")
        recorders = [Recorder() for _ in range(concurrency)]
        if target == "app":
            # K real logins at once, through the form, before the clock starts.
            threads = [threading.Thread(target=real_login, args=(port, firsts[n], logins), daemon=True)
                       for n in range(concurrency)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            pool = MemberPool(identities)
        quiet, waited = wait_for_quiet(args.quiet_below, args.max_wait)
        t0 = time.perf_counter() + args.warmup
        t1 = t0 + args.duration
        threads = []
        for n in range(concurrency):
            rng = random.Random(n)
            if target == "app":
                work = (port, pool, firsts[n], args.attempts_per_member, t1, recorders[n], rng)
                threads.append(threading.Thread(target=attempt_loop, args=work, daemon=True))
            else:
                threads.append(threading.Thread(target=hit_loop, args=(port, t1, recorders[n], rng), daemon=True))
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, t0 - time.perf_counter()))
        before = cpu_snapshot(server.process.pid, args.database_name)
        time.sleep(max(0.0, t1 - time.perf_counter()))
        after = cpu_snapshot(server.process.pid, args.database_name)
        for thread in threads:
            thread.join()
    finally:
        server.stop()

    by_kind = defaultdict(list)
    failed = defaultdict(int)
    completed = 0
    for recorder in recorders:
        for kind, ended, seconds, ok in recorder.rows:
            if t0 <= ended <= t1:
                by_kind[kind].append(seconds)
                failed[kind] += not ok
        completed += sum(1 for ended in recorder.attempts if t0 <= ended <= t1)
    for kind, _ended, seconds, ok in logins.rows:
        by_kind[kind].append(seconds)
        failed[kind] += not ok
    window = t1 - t0
    cpu = {k: after[k] - before[k] for k in ("gunicorn", "postgres", "driver", "busy", "total")}
    kinds = {}
    for kind, values in by_kind.items():
        values.sort()
        kinds[kind] = {"count": len(values), "failed": failed[kind], "p50_ms": 1000 * percentile(values, 0.5),
                       "p95_ms": 1000 * percentile(values, 0.95), "mean_ms": 1000 * sum(values) / len(values)}
    measured = sum(v["count"] for k, v in kinds.items() if k != "login")
    result = {"target": target, "concurrency": concurrency, "workers": args.workers, "seconds": window,
              "requests_per_s": measured / window, "kinds": kinds,
              "cpu_share": {k: cpu[k] / window for k in ("gunicorn", "postgres", "driver")},
              "machine_busy": cpu["busy"] / cpu["total"] * os.cpu_count() if cpu["total"] else 0.0,
              "busy_before": quiet, "waited_s": waited}
    if target == "app":
        result["attempts"] = completed
        result["attempts_per_min"] = completed * 60 / window
        result["members_wrapped"] = pool.wrapped
    else:
        result["inserts_per_min"] = kinds.get("insert", {}).get("count", 0) * 60 / window
    report(result)
    return result


def report(result: dict) -> None:
    head = (f"  {result['target']} at {result['concurrency']} concurrent, {result['workers']} workers, "
            f"{result['seconds']:.0f} s: {result['requests_per_s']:.0f} requests/s")
    if result["target"] == "app":
        head += f", {result['attempts']} attempts = {result['attempts_per_min']:.0f} attempts/min"
    else:
        head += f" = {result['inserts_per_min']:,.0f} inserts/min"
    print(head)
    for kind, row in result["kinds"].items():
        print(f"    {kind:<7} n={row['count']:<7} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
              f"mean {row['mean_ms']:7.1f} ms  failed {row['failed']}")
    share = result["cpu_share"]
    print(f"    CPU (cores busy): gunicorn {share['gunicorn']:.2f}, postgres (bench backends) {share['postgres']:.2f}, "
          f"driver {share['driver']:.2f}; whole machine {result['machine_busy']:.2f} of {os.cpu_count()} "
          f"(others: {result['machine_busy'] - sum(share.values()):.2f}; {result['busy_before']:.2f} just before "
          f"the run, after waiting {result['waited_s']:.0f} s)")
    if result.get("members_wrapped"):
        print("    note: the member pool ran out and was reused: raise --members")


def mark(result: dict) -> str:
    return f" (others used {result['others']:.2f} cores)" if result.get("tainted") else ""


def summary(results: list[dict]) -> None:
    print("\n| target | concurrent | attempts/min | requests/s | " +
          " | ".join(f"{k} p50 / p95 ms" for k in KINDS) + " |")
    print("|---|---|---|---|" + "---|" * len(KINDS))
    for r in results:
        if r["target"] == "app":
            cells = [f"{r['kinds'][k]['p50_ms']:.1f} / {r['kinds'][k]['p95_ms']:.1f}" if k in r["kinds"] else "-"
                     for k in KINDS]
            print(f"| app{mark(r)} | {r['concurrency']} | {r['attempts_per_min']:.0f} | {r['requests_per_s']:.0f} | "
                  + " | ".join(cells) + " |")
        else:
            row = r["kinds"].get("insert", {})
            print(f"| baseline (one INSERT){mark(r)} | {r['concurrency']} | {r['inserts_per_min']:,.0f} inserts/min | "
                  f"{r['requests_per_s']:.0f} | {row.get('p50_ms', 0):.1f} / {row.get('p95_ms', 0):.1f} |"
                  + " |" * (len(KINDS) - 1))
    for concurrency in sorted({r["concurrency"] for r in results}):
        app = next((r for r in results if r["target"] == "app" and r["concurrency"] == concurrency), None)
        base = next((r for r in results if r["target"] == "baseline" and r["concurrency"] == concurrency), None)
        if app and base and app["attempts_per_min"]:
            ratio = base["inserts_per_min"] / app["attempts_per_min"]
            print(f"at {concurrency} concurrent: one attempt ({REQUESTS_PER_ATTEMPT} requests) costs "
                  f"{ratio:.0f} baseline requests; one app request costs "
                  f"{base['requests_per_s'] / app['requests_per_s']:.1f} baseline requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--targets", nargs="+", choices=["app", "baseline"], default=["app", "baseline"])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--attempts-per-member", type=int, default=3)
    parser.add_argument("--port", type=int, default=8411, help="the app's; the baseline's is the next one")
    parser.add_argument("--no-statements", dest="show_statements", action="store_false",
                        help="skip counting SQL statements per request in-process")
    parser.add_argument("--show-sql", action="store_true", help="list the statements of each kind of request")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--quiet-below", type=float, default=0.2,
                        help="before each run, wait until other processes use fewer cores than this")
    parser.add_argument("--max-wait", type=float, default=600, help="seconds to wait for that at most")
    parser.add_argument("--max-others", type=float, default=0.15,
                        help="a run during which other processes used more cores than this is done again")
    parser.add_argument("--retries", type=int, default=3, help="how many times to do such a run again")
    args = parser.parse_args()
    # A plain `kill` ends the driver through its finally blocks, which stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.database_name = urllib.parse.urlsplit(args.database_url).path.lstrip("/")

    # bench/ is not a package; let the driver import the baseline module by file.
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_baseline", Path(__file__).with_name("baseline.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["bench_baseline"] = module

    secret_key = secrets.token_hex(32)
    env = {k: v for k, v in os.environ.items() if k not in ("HOCTAP_ENV", "RATELIMIT_STORAGE_URI")}
    env.update({"SECRET_KEY": secret_key, "DATABASE_URL": args.database_url, "PYTHONUNBUFFERED": "1"})
    log = Path(tempfile.gettempdir()) / "hoctap-bench-gunicorn.log"
    print(f"gunicorn --workers {args.workers}, database {args.database_url}, {os.cpu_count()} cores; "
          f"warm-up {args.warmup:.0f} s, measured {args.duration:.0f} s; gunicorn log: {log}")
    results = []
    for concurrency in args.concurrency:
        for target in args.targets:
            for attempt in range(1 + args.retries):
                print(f"\n{target}, {concurrency} concurrent:")
                result = run(target, args, concurrency, env, secret_key, log)
                args.show_statements = False  # once is enough
                others = result["machine_busy"] - sum(result["cpu_share"].values())
                result["others"] = others
                result["tainted"] = others > args.max_others
                if not result["tainted"]:
                    break
                print(f"  other processes used {others:.2f} cores during the run: "
                      + ("running it again" if attempt < args.retries else "keeping it, marked"))
            results.append(result)
    summary(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
