"""Benchmark: a contest round opens and N contestants arrive within one minute, against
gunicorn + PostgreSQL on this machine, driven by locust (bench/locustfile_contest.py).

    .venv/bin/python bench/contest_opening.py --users 1000 1250 1500 [--register-share 0.05]
                                              [--login-share 0.10] [--sustain MINUTES] [--nice -10]
                                              [--statements] [--profile N] [--json out.json]
    .venv/bin/python bench/contest_opening.py --only-statements [--replay 20] [--show-sql] [--profile N]

For each N: the database (default postgresql+psycopg://root@127.0.0.1/bench) is emptied and
built again (create_all, the demo union tree, content/ synced, the demo contest's bank cloned
from `ket-luan-01-kl-tw`, a published contest with one open round of 20 single-choice
questions, 20 minutes, 2 attempts, and --participants pre-registered participants: half union
members who joined with their own account, half guests who registered with their phone);
gunicorn serves bench/wsgi.py as the pool that serves a contest's crowd in production
(deploy/hoctap-crowd.service: `--workers 5`, sync workers; `--workers 4 --threads 4` before 07/12/2026);
then `locust --headless -u N -r N/60` plays N contestants arriving evenly over 60 s (see the
locustfile for what each does). The run ends when every contestant has finished.

Before each wave, contest_cost.py's floor (bench/baseline.py, one INSERT, 2,000 requests through
gunicorn's sync workers, whatever the wave's) gives the CPU one bare request costs on the machine
at that moment: this machine's speed drifts by a fifth within an hour, and a wave's result with it.

A run passes when no request failed and every kind of request has p95 under 1 s. Printed:
per kind of request, count, failures, p50/p95/p99/max (computed here from every request, not
locust's rounded buckets; locust's own CSV is kept too), complete attempts and the busiest
minute of them, the CPU of gunicorn, of the PostgreSQL backends, of locust and of the rest of
the machine, and a timeline per 10 s (requests/s, p95, cores used by the run and by others,
iowait). Before each run the script waits (--max-wait seconds at most) until other processes
use under --quiet-below cores; with --nice -10 (root) gunicorn's and locust's sessions and the
bench database's backends run at a higher priority than other work on the machine.

--sustain M: instead of one wave, each of the N users plays contestant after contestant for M
minutes after the 60 s ramp; the figure is complete attempts per minute over the last M - 1
minutes (the first is the ramp's contestants finishing).

--statements / --only-statements: replay contestants in-process (Flask test client, CSRF on,
same database; --replay of them, plus one login and one registration) and print the SQL
statements, in-process milliseconds and CPU milliseconds of each kind of request; --profile N
also runs cProfile over N more contestants and prints the functions that take the most time.
"""
import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))  # the app's packages first (bench/certificates.py is a script)

from attempts import (  # noqa: E402  (bench/ is not a package)
    DEFAULT_URL,
    children_of,
    machine_busy,
    make_app,
    port_is_free,
    postgres_backends,
    process_cpu,
)

SLUG = "132-nam-ngay-sinh-bac"
BANK_SOURCE = "ket-luan-01-kl-tw"
PASSWORD = "bench-mat-khau-2022"
USER_AGENT = "Mozilla/5.0 (Linux; Android 12; hoctap-bench) Mobile"
QUESTIONS = 20
REGISTER_PREFIX = "98"   # new registrations: 098xxxxxxx; pre-registered guests 097..., members 096...
KINDS = ["landing", "login page", "login", "register page", "register", "start", "page", "answer", "state",
         "submit", "result", "error"]


# -- data ----------------------------------------------------------------------------

def build_contest(app, participants: int, *, seed: int = 2022, closed_round: bool = False,
                  one_per_page: bool = True, password_hash: str | None = None) -> dict:
    """Empty the database and build the contest with its pre-registered participants (with
    closed_round, a round that closed yesterday comes before the open one), whose accounts have
    ``password_hash``, by default one the app makes now."""
    from sqlalchemy import insert, text

    from accounts import services as accounts
    from accounts.models import User
    from contests import demo as contests_demo
    from contests import services as contests
    from contests.models import Contest, Division, Participant
    from core.clock import utcnow
    from core.extensions import db
    from core.text import fold
    from learning import content, editing
    from learning import topics as learning_topics
    from learning.models import KIND_CONTEST
    from units import demo as units_demo
    from units import kinds as unit_kinds
    from units import tree as unit_tree
    from units.models import Member, Unit

    rng = random.Random(seed)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        units_demo.seed()
        content.sync(ROOT / "content")
        bank = editing.clone_topic(learning_topics.get_topic(BANK_SOURCE, include_unpublished=True), contests_demo.BANK,
                                   "Ngân hàng câu hỏi Cuộc thi 132 năm Ngày sinh Chủ tịch Hồ Chí Minh", 2022)
        bank.kind, bank.published = KIND_CONTEST, False
        province = unit_tree.get_unit(units_demo.PROVINCE)
        contest = Contest(slug=SLUG, title="Cuộc thi trực tuyến tìm hiểu 132 năm Ngày sinh Chủ tịch Hồ Chí Minh",
                          anniversary="19/5/1890 – 19/5/2022", description_md=contests_demo.DESCRIPTION,
                          rules_md=contests_demo.RULES, organiser_unit=province, audience_unit=province, bank=bank,
                          published=True, open_to_public=True)
        db.session.add(contest)
        grassroots_kind = unit_kinds.find_kind("Công đoàn cơ sở")
        division_a = Division(contest=contest, name="Bảng A: đoàn viên công đoàn cơ sở", position=1,
                              unit_kind_id=grassroots_kind.id if grassroots_kind else None)
        division_b = Division(contest=contest, name="Bảng B: người lao động khác", position=2)
        db.session.add_all([division_a, division_b])
        db.session.flush()
        now = utcnow()
        rounds = []
        if closed_round:
            rounds.append(contests.add_round(contest, 1, now - timedelta(days=8), now - timedelta(days=1)))
        # One question a screen, the default: the page holds all twenty and quiz.js pages through them,
        # so a contestant loads it once, as with every question on one page.
        contest_round = contests.add_round(contest, len(rounds) + 1, now - timedelta(minutes=5),
                                           now + timedelta(days=6), one_per_page=one_per_page)
        rounds.append(contest_round)
        db.session.commit()
        grassroots = list(db.session.scalars(db.select(Unit).where(Unit.kind_id == division_a.unit_kind_id)))
        password_hash = password_hash or accounts.hash_password(PASSWORD)  # one for all: a hash is slow on purpose
        people = []
        for n in range(participants):
            name, gender = units_demo._name(rng)
            member = n % 2 == 0
            people.append({"n": n, "name": name, "gender": gender, "member": member,
                           "login": f"dv{n:06d}" if member else f"097{n:07d}",
                           "phone": f"096{n:07d}" if member else f"097{n:07d}",
                           "unit": rng.choice(grassroots) if member or rng.random() < 0.5 else None,
                           "birth_year": rng.randint(1965, 2004)})
        created = now - timedelta(days=3)
        for chunk in range(0, len(people), 5000):
            batch = people[chunk:chunk + 5000]
            user_ids = list(db.session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True),
                [{"username": p["login"], "full_name": p["name"], "password_hash": password_hash,
                  "created_at": created} for p in batch]))
            for person, user_id in zip(batch, user_ids, strict=True):
                person["user_id"] = user_id
            members = [p for p in batch if p["member"]]
            member_ids = list(db.session.scalars(
                insert(Member).returning(Member.id, sort_by_parameter_order=True),
                [{"unit_id": p["unit"].id, "full_name": p["name"], "name_folded": fold(p["name"]),
                  "card_number": f"BC{p['n']:07d}", "phone": p["phone"], "birth_year": p["birth_year"],
                  "gender": p["gender"], "position": rng.choice(units_demo.POSITIONS), "user_id": p["user_id"]}
                 for p in members]))
            for person, member_id in zip(members, member_ids, strict=True):
                person["member_id"] = member_id
            db.session.execute(insert(Participant), [
                {"contest_id": contest.id, "user_id": p["user_id"], "member_id": p.get("member_id"),
                 "full_name": p["name"], "birth_year": p["birth_year"], "phone": p["phone"],
                 "unit_id": p["unit"].id if p["unit"] else None,
                 "workplace": "" if p["unit"] else "Công ty May Lai Châu",
                 "division_id": (division_a if p["unit"] else division_b).id, "created_at": created}
                for p in batch])
        db.session.commit()
        info = {"contest_id": contest.id, "round": contest_round.number, "quiz_id": contest_round.quiz_id,
                "rounds": [{"id": r.id, "number": r.number, "quiz_id": r.quiz_id, "opens_at": r.quiz.opens_at,
                            "closes_at": r.quiz.closes_at} for r in rounds],
                "divisions": [division_a.id, division_b.id], "password_hash": password_hash,
                "grassroots": [u.id for u in grassroots],
                "unit_codes": [u.code for u in grassroots],
                "people": [{"user_id": p["user_id"], "login": p["login"]} for p in people]}
        db.session.remove()
        db.engine.dispose()
    return info


def mint_cookies(app, user_ids: list[int]) -> list[str]:
    """Session cookies as a registration or login through the form leaves them (same key, same
    fields, the CSRF token the form put there), for the User-Agent the locustfile sends."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from accounts.models import User
    from core.extensions import db

    serializer = app.session_interface.get_signing_serializer(app)
    cookies = []
    with app.app_context():
        users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(user_ids)))}
        db.session.expunge_all()
        for user_id in user_ids:
            with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                          headers={"User-Agent": USER_AGENT}):
                login_user(users[user_id])
                generate_csrf()
                cookies.append(serializer.dumps(dict(session)))
        db.engine.dispose()
    return cookies


def write_locust_data(app, info: dict, args, users: int, path: Path) -> None:
    people = info["people"]
    wanted = users * (1 + (args.sustain or 0))  # contestants a run may need, at most
    logins_needed = math.ceil(wanted * args.login_share) + 10
    cookie_people = people[:max(1, len(people) - logins_needed)]
    login_people = people[len(cookie_people):]
    cookie_count = min(len(cookie_people), math.ceil(wanted * (1 - args.register_share - args.login_share)) + 10)
    if cookie_count < wanted * (1 - args.register_share - args.login_share):
        print("  note: fewer pre-registered participants than contestants: raise --participants", file=sys.stderr)
    started = time.perf_counter()
    cookies = mint_cookies(app, [p["user_id"] for p in cookie_people[:cookie_count]])
    print(f"  {len(cookies)} session cookies minted in {time.perf_counter() - started:.1f} s")
    path.write_text(json.dumps({
        "slug": SLUG, "round": info["round"], "questions": QUESTIONS, "password": PASSWORD,
        "user_agent": USER_AGENT, "cookie_name": app.config["SESSION_COOKIE_NAME"], "cookies": cookies,
        "logins": [p["login"] for p in login_people], "register_share": args.register_share,
        "login_share": args.login_share, "register_prefix": REGISTER_PREFIX, "register_from": 1,
        "unit_codes": info["unit_codes"]}))


# -- statements and profile, in-process ------------------------------------------------

def replay(app, info: dict, contestants: int, show_sql: bool, profile: int) -> None:
    """Play contestants with the Flask test client on the bench database (CSRF on, as in
    production) and count the SQL statements and in-process time of each kind of request."""
    from sqlalchemy import event

    from core.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    totals = defaultdict(lambda: {"requests": 0, "statements": 0, "ms": 0.0, "cpu": 0.0})
    listing: dict[str, list[str]] = {}
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits on PostgreSQL

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", on_execute)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    people = info["people"]
    cookies = mint_cookies(app, [p["user_id"] for p in people[:contestants + profile]])
    rng = random.Random(1)

    def play(n: int, kind: str, profiled: bool) -> None:
        client = app.test_client()
        client.environ_base.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT})
        if kind == "cookie":
            client.set_cookie(cookie_name, cookies[n], domain="localhost")

        def call(name, method, url, expect=200, **kwargs):
            seen.clear()
            if profiled:
                profiler.enable()
            started, cpu = time.perf_counter(), time.process_time()
            response = client.open(url, method=method, **kwargs)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if profiled:
                profiler.disable()
            assert response.status_code == expect, (name, response.status_code, response.get_data(as_text=True)[:300])
            row = totals[name]
            row["requests"] += 1
            row["statements"] += len(seen)
            row["ms"] += 1000 * elapsed
            row["cpu"] += 1000 * cpu
            listing.setdefault(name, list(seen))
            return response

        landing = call("landing", "GET", f"/contests/{SLUG}").get_data(as_text=True)
        if kind == "login":
            login = "/accounts/login?next=" + urllib.parse.quote(f"/contests/{SLUG}")
            page = call("login page", "GET", login).get_data(as_text=True)
            call("login", "POST", login, 302, data={"identifier": people[-1 - n]["login"], "password": PASSWORD,
                                                   "csrf_token": csrf_of(page)})
            landing = call("landing", "GET", f"/contests/{SLUG}").get_data(as_text=True)
        elif kind == "register":
            page = call("register page", "GET", f"/contests/{SLUG}/register").get_data(as_text=True)
            password = f"du-thi-{n}-x"
            call("register", "POST", f"/contests/{SLUG}/register", 302, data={
                "full_name": f"Người Lao Động {n}", "birth_year": "1990", "phone": f"0{REGISTER_PREFIX}9{n:06d}",
                "unit_code": "", "workplace": "Công ty May Lai Châu", "citizen_id": "", "password": password,
                "confirm": password, "csrf_token": csrf_of(page)})
            landing = call("landing", "GET", f"/contests/{SLUG}").get_data(as_text=True)
        response = call("start", "POST", f"/contests/{SLUG}/rounds/{info['round']}/start", 302,
                        data={"csrf_token": csrf_of(landing)})
        path = urllib.parse.urlsplit(response.headers["Location"]).path
        page = call("page", "GET", path).get_data(as_text=True)
        token = re.search(r'data-csrf="([^"]+)"', page).group(1)
        paper = parse_paper(page)
        saves, carried = quiz_js_batches(rng, len(paper))
        for indices in saves:
            response = call("answer", "POST", f"{path}/answer",
                            headers={"Accept": "application/json", "X-CSRFToken": token},
                            data=answer_form(paper, indices, rng))
            assert b'"saved":true' in response.data
        attempt_id = path.rstrip("/").rsplit("/", 1)[1]
        call("submit", "POST", f"/contests/attempts/{attempt_id}/submit", 302,
             data={"csrf_token": csrf_of(page), "prediction": "12345", **answer_form(paper, carried, rng)})
        call("result", "GET", f"{path}/result")

    try:
        for n in range(contestants):
            play(n, "cookie", False)
        play(contestants, "login", False)
        play(contestants + 1, "register", False)
        if profile:
            totals.clear()
            for n in range(profile):
                play(contestants + n, "cookie", True)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print(f"SQL per request, in-process (Flask test client, CSRF on, same database; "
          f"{f'mean over {profile} profiled contestants' if profile else 'mean'}):")
    print(f"  {'kind':<14} {'statements':>10} {'ms in-process':>14} {'of it CPU ms':>13} {'requests':>9}")
    for name in KINDS:
        if name in totals:
            r = totals[name]
            print(f"  {name:<14} {r['statements'] / r['requests']:>10.1f} {r['ms'] / r['requests']:>14.2f} "
                  f"{r['cpu'] / r['requests']:>13.2f} {r['requests']:>9}")
    if show_sql:
        for name in KINDS:
            if name in listing:
                print(f"\n-- {name}: {len(listing[name])} statements")
                for statement in listing[name]:
                    print("   " + (statement if len(statement) < 240 else statement[:237] + "..."))
    if profile:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(35)
        stats.sort_stats("cumulative").print_stats(60)
        print(out.getvalue())


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
QUESTION_RE = re.compile(r'data-question="(\w+)"')
CHOICE_RE = re.compile(r'type="(radio|checkbox)"\s+name="choice-(\w+)" id="\w+" value="(\w+)"')


def csrf_of(page: str) -> str:
    found = CSRF_RE.search(page)
    assert found, "no csrf_token in the page"
    return found.group(1) or found.group(2)


SAVE_EVERY = 15.0  # config.QUIZ_SAVE_EVERY_SECONDS, which quiz.js reads from the page


def quiz_js_batches(rng: random.Random, questions: int, think=(2, 6), prediction=(3, 8),
                    every: float = SAVE_EVERY) -> tuple[list[list[int]], list[int]]:
    """Which answers static/js/quiz.js sends together, for a contestant thinking `think` seconds a
    question and `prediction` seconds on the prediction: the first choice not yet sent starts a timer
    of `every` seconds, whose save takes every choice made by then; what is still waiting at the
    hand-in goes with it (the carried answers). The question indices of each save, and the carried."""
    clock, due, waiting, saves = 0.0, None, [], []
    for index in range(questions):
        clock += rng.uniform(*think)
        if due is not None and clock >= due:
            saves.append(waiting)
            waiting, due = [], None
        waiting.append(index)
        if due is None:
            due = clock + every
    if due is not None and clock + rng.uniform(*prediction) >= due:
        saves.append(waiting)
        waiting = []
    return saves, waiting


def answer_form(paper: list[tuple[str, list[str]]], indices: list[int], rng: random.Random) -> dict:
    """The fields quiz.js sends for these questions (a save, or carried by the hand-in), one choice each."""
    form: dict = {"question_id": [paper[i][0] for i in indices]}
    for i in indices:
        form[f"choice-{paper[i][0]}"] = rng.choice(paper[i][1])
    return form


def parse_paper(page: str) -> list[tuple[str, list[str]]]:
    choices = defaultdict(list)
    for _kind, question_id, choice_id in CHOICE_RE.findall(page):
        choices[question_id].append(choice_id)
    paper = [(q, choices[q]) for q in QUESTION_RE.findall(page)]
    assert len(paper) == QUESTIONS and all(c for _, c in paper), len(paper)
    return paper


# -- processes -------------------------------------------------------------------------

class Gunicorn:
    """gunicorn with the given workers (default: the contest pool), on bench/wsgi.py (rate limits off)."""

    def __init__(self, port: int, workers: int, threads: int, env: dict, log: Path):
        self.log = log.open("ab")
        command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
                   "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.wsgi:app"]
        self.command = " ".join(command[1:])
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=self.log,
                                        start_new_session=True)
        self.port = port

    def wait_ready(self, timeout: float = 60) -> None:
        import http.client
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}, see {self.log.name}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
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


def others_busy(seconds: float = 3) -> float:
    busy0, total0 = machine_busy()
    time.sleep(seconds)
    busy1, total1 = machine_busy()
    return (busy1 - busy0) / (total1 - total0) * os.cpu_count()


def wait_for_quiet(limit: float, max_wait: float) -> tuple[float, float]:
    started = time.monotonic()
    while True:
        cores = others_busy()
        waited = time.monotonic() - started
        if cores <= limit or waited >= max_wait:
            return cores, waited
        print(f"  (machine busy: {cores:.2f} cores used by others, waiting)", file=sys.stderr)
        time.sleep(7)


def raise_priority(pids: list[int], nice: int, sessions: tuple[int, ...] = ()) -> None:
    """Give the benchmark's own processes (gunicorn, locust, the bench database's backends) a
    higher priority than other people's test suites on the same cores. With autogroup
    scheduling (Linux's default for sessions) a process's nice value only counts within its
    session, so the sessions gunicorn and locust lead get the same nice value as a group."""
    for pid in pids:
        try:
            if os.getpriority(os.PRIO_PROCESS, pid) != nice:
                os.setpriority(os.PRIO_PROCESS, pid, nice)
        except OSError:
            pass
    for leader in sessions:
        with contextlib.suppress(OSError):
            Path(f"/proc/{leader}/autogroup").write_text(str(nice))


def iowait_seconds() -> float:
    return int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[5]) / os.sysconf("SC_CLK_TCK")


def snapshot(gunicorn: int, locust: int, database: str) -> dict:
    busy, total = machine_busy()
    return {"iowait": iowait_seconds(), "gunicorn": sum(process_cpu(p) for p in [gunicorn] + children_of(gunicorn)),
            "postgres": sum(process_cpu(p) for p in postgres_backends(database)),
            "locust": process_cpu(locust), "busy": busy, "total": total, "at": time.time()}


# -- one run ---------------------------------------------------------------------------

def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


FLOOR_REQUESTS = 2000
# Always the crowd pool's workers, whatever the wave's: threaded workers add their own cost to a
# bare request, and a floor measured through them put waves on two kinds of workers on two scales.
FLOOR_WORKERS = "--workers 5"


def floor_ms_per_request(args, env: dict, out_dir: Path) -> float:
    """The server CPU one bare request costs now: contest_cost.py's floor (bench/baseline.py, one
    INSERT) through gunicorn's sync workers. This machine's speed drifts by a fifth within an hour
    and a wave's result with it; printed beside each wave, it tells the two apart."""
    import contest_cost  # here, not at the top: contest_cost imports this module

    # Without warm-up, as every wave's floor so far, so that the waves of all dates stay on one scale.
    floor = contest_cost.run_floor(SimpleNamespace(
        database_url=args.database_url, database_name=args.database_name, port=args.port, threads=8,
        serve=FLOOR_WORKERS, out=out_dir, warm_up=0), FLOOR_REQUESTS, 1.0, env)
    return floor["cpu_ms_per_request"]


def run(args, users: int, env: dict, secret_key: str, log: Path, out_dir: Path) -> dict:
    if not port_is_free(args.port):
        raise SystemExit(f"port {args.port} is taken: choose another with --port")
    app = make_app(args.database_url, secret_key)
    participants = args.participants or max(2000, int(users * (1 + (args.sustain or 0)) * 1.1) + 100)
    started = time.perf_counter()
    info = build_contest(app, participants)
    print(f"  data: {participants} pre-registered participants, built in {time.perf_counter() - started:.1f} s")
    data_file = out_dir / f"contest-{users}.json"
    write_locust_data(app, info, args, users, data_file)
    if args.statements or args.profile:
        replay(make_app(args.database_url, secret_key), info, args.replay, args.show_sql, args.profile)
        info = build_contest(app, participants)  # the replay used some participants: start again
        write_locust_data(app, info, args, users, data_file)
    floor_ms = floor_ms_per_request(args, env, out_dir)
    print(f"  the machine now: a bare request costs {floor_ms:.2f} ms of server CPU (bench/baseline.py, "
          f"{FLOOR_REQUESTS:,} requests through gunicorn {FLOOR_WORKERS})")
    server = Gunicorn(args.port, args.workers, args.threads, env, log)
    events_file = out_dir / f"events-{users}.json"
    try:
        server.wait_ready()
        quiet, waited = wait_for_quiet(args.quiet_below, args.max_wait)
        rate = users / 60
        duration = f"{60 + (args.sustain or 0) * 60}s" if args.sustain else "15m"
        command = [str(Path(sys.executable).parent / "locust"), "-f", str(BENCH / "locustfile_contest.py"),
                   "--headless", "-u", str(users), "-r", f"{rate:.3f}", "--run-time", duration,
                   "--host", f"http://127.0.0.1:{args.port}", "--csv", str(out_dir / f"locust-{users}"),
                   "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "0"]
        locust_env = {**os.environ, "CONTEST_BENCH_DATA": str(data_file), "CONTEST_BENCH_OUT": str(events_file),
                      "CONTEST_BENCH_LOOP": "1" if args.sustain else "0",
                      "CONTEST_BENCH_THINK": f"{args.think[0]},{args.think[1]}"}
        print(f"  {' '.join(command[1:])}")
        locust_log = (out_dir / f"locust-{users}.log").open("wb")
        locust = subprocess.Popen(command, cwd=ROOT, env=locust_env, stdout=locust_log, stderr=locust_log,
                                  start_new_session=True)
        def ours():
            return ([server.process.pid, locust.pid] + children_of(server.process.pid)
                    + postgres_backends(args.database_name))
        if args.nice:
            raise_priority(ours(), args.nice, (server.process.pid, locust.pid))
        samples = [snapshot(server.process.pid, locust.pid, args.database_name)]
        while locust.poll() is None:
            time.sleep(5)
            if args.nice:
                raise_priority(ours(), args.nice)  # new database connections come and go
            samples.append(snapshot(server.process.pid, locust.pid, args.database_name))
        locust_log.close()
    finally:
        server.stop()
    if locust.returncode not in (0, 1):  # 1: some requests failed
        raise RuntimeError(f"locust exited with {locust.returncode}, see {locust_log.name}")
    seen = json.loads(events_file.read_text())
    return {**summarise(args, users, seen, samples, quiet, waited, server.command), "floor_ms_per_request": floor_ms}


def summarise(args, users, seen, samples, quiet, waited, command) -> dict:
    by_kind = defaultdict(list)
    failed = defaultdict(int)
    for name, _start, ms, ok in seen["requests"]:
        by_kind[name].append(ms)
        failed[name] += not ok
    kinds = {}
    for name in KINDS:
        values = sorted(by_kind.get(name, []))
        if values:
            kinds[name] = {"count": len(values), "failed": failed[name], "p50_ms": percentile(values, 0.5),
                           "p95_ms": percentile(values, 0.95), "p99_ms": percentile(values, 0.99),
                           "max_ms": values[-1]}
    t0 = min(start for _, start, _, _ in seen["requests"])
    completed = sorted(t - t0 for t in seen["completed"])
    starts = sorted(a[2] - t0 for a in seen["arrivals"] if a[2] is not None)
    # CPU over the whole run and over the 60 s when this run used the most (from the 5-s samples).
    first, last = samples[0], samples[-1]
    span = last["at"] - first["at"]

    def share(a, b):
        seconds = b["at"] - a["at"]
        parts = {k: (b[k] - a[k]) / seconds for k in ("gunicorn", "postgres", "locust")}
        parts["machine"] = (b["busy"] - a["busy"]) / (b["total"] - a["total"]) * os.cpu_count()
        parts["others"] = parts["machine"] - parts["gunicorn"] - parts["postgres"] - parts["locust"]
        return parts
    whole = share(first, last)
    window = max(1, round(60 / 5))
    peak = max((share(samples[i], samples[i + window]) for i in range(len(samples) - window)),
               key=lambda p: p["gunicorn"] + p["postgres"] + p["locust"], default=whole)
    if args.sustain:
        from_s, to_s = 60 + 60, 60 + args.sustain * 60
        rate = sum(1 for t in completed if from_s <= t < to_s) / ((to_s - from_s) / 60)
    else:
        rate = max((sum(1 for t in completed if s <= t < s + 60) for s in completed), default=0)
    total = sum(k["count"] for k in kinds.values())
    passed = all(k["failed"] == 0 and k["p95_ms"] < 1000 for k in kinds.values()) and total > 0
    result = {"users": users, "sustain_minutes": args.sustain, "kinds": kinds, "completed": len(completed),
              "contestants": seen["state"]["contestants"],
              "mix": {k: seen["state"][k] for k in ("cookie", "login", "register")},
              "first_start_s": starts[0] if starts else None, "last_start_s": starts[-1] if starts else None,
              "last_completed_s": completed[-1] if completed else None, "attempts_per_min": rate,
              "requests": total, "requests_per_s_peak": None, "cpu_whole": whole, "cpu_peak_minute": peak,
              "seconds": span, "busy_before": quiet, "waited_s": waited, "passed": passed,
              "failures": seen["failures"][:5], "gunicorn": command, "nice": args.nice}
    per_second = defaultdict(int)
    for _, start, _ms, _ in seen["requests"]:
        per_second[int(start - t0)] += 1
    seconds = sorted(per_second)
    result["requests_per_s_peak"] = max((sum(per_second.get(s + i, 0) for i in range(60)) / 60 for s in seconds),
                                        default=0)
    result["timeline"] = timeline(seen, samples, t0)
    report(result)
    return result


def timeline(seen, samples, t0, step: int = 10) -> list[dict]:
    """Per `step` seconds: requests started, their p95, and what the machine did meanwhile (our
    processes, everyone else, iowait): a stall caused by other work shows up here."""
    buckets = defaultdict(list)
    for _, start, ms, _ in seen["requests"]:
        buckets[int((start - t0) // step)].append(ms)
    rows = []
    for k in sorted(buckets):
        values = sorted(buckets[k])
        a = next((x for x in samples if x["at"] >= t0 + k * step), None)
        b = next((x for x in samples if x["at"] >= t0 + (k + 1) * step), samples[-1])
        cpu = {}
        if a is not None and b["at"] > a["at"]:
            seconds = b["at"] - a["at"]
            ours = sum(b[key] - a[key] for key in ("gunicorn", "postgres", "locust")) / seconds
            machine = (b["busy"] - a["busy"]) / (b["total"] - a["total"]) * os.cpu_count()
            cpu = {"ours": ours, "others": machine - ours, "iowait": (b["iowait"] - a["iowait"]) / seconds}
        rows.append({"from_s": k * step, "requests": len(values), "p95_ms": percentile(values, 0.95), **cpu})
    return rows


def report(r: dict) -> None:
    mode = f"sustained {r['sustain_minutes']} min" if r["sustain_minutes"] else "one wave"
    print(f"  {r['users']} contestants ({mode}; {r['mix']['cookie']} with a session, {r['mix']['login']} log in, "
          f"{r['mix']['register']} register): {'PASS' if r['passed'] else 'FAIL'}")
    print(f"    starts from {r['first_start_s'] or 0:.0f} s to {r['last_start_s'] or 0:.0f} s; "
          f"{r['completed']} attempts complete, the last at {r['last_completed_s'] or 0:.0f} s; "
          f"{'attempts/min over the steady minutes' if r['sustain_minutes'] else 'busiest minute'}: "
          f"{r['attempts_per_min']:.0f}; requests/s over the busiest minute: {r['requests_per_s_peak']:.0f}")
    for name, k in r["kinds"].items():
        print(f"    {name:<14} n={k['count']:<7} p50 {k['p50_ms']:7.1f}  p95 {k['p95_ms']:7.1f}  "
              f"p99 {k['p99_ms']:7.1f}  max {k['max_ms']:7.1f} ms  failed {k['failed']}")
    for label, cpu in (("whole run", r["cpu_whole"]), ("busiest minute", r["cpu_peak_minute"])):
        print(f"    CPU, {label} (cores): gunicorn {cpu['gunicorn']:.2f}, postgres {cpu['postgres']:.2f}, "
              f"locust {cpu['locust']:.2f}, others {cpu['others']:.2f}; machine {cpu['machine']:.2f} of "
              f"{os.cpu_count()}")
    print(f"    others used {r['busy_before']:.2f} cores just before the run (waited {r['waited_s']:.0f} s)"
          + (f"; gunicorn, locust and the bench backends ran at nice {r['nice']}" if r["nice"] else ""))
    print("    timeline (s: requests/s, p95 ms; cores used by this run / by others; iowait):")
    print("     " + "; ".join(f"{t['from_s']}: {t['requests'] / 10:.0f}/s {t['p95_ms']:.0f} ms"
                               + (f" {t['ours']:.1f}/{t['others']:.1f} io {t['iowait']:.1f}" if "ours" in t else "")
                               for t in r["timeline"]))
    for failure in r["failures"]:
        print(f"    ! {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--register-share", type=float, default=0.05)
    parser.add_argument("--login-share", type=float, default=0.10)
    parser.add_argument("--think", type=float, nargs=2, default=[2, 6], metavar=("MIN", "MAX"),
                        help="seconds of thought before each answer")
    parser.add_argument("--sustain", type=int, default=0, metavar="MINUTES")
    parser.add_argument("--participants", type=int, default=0, help="pre-registered (default: enough)")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="1: sync workers")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--port", type=int, default=8421)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="CONTESTANTS")
    parser.add_argument("--only-statements", action="store_true", help="replay in-process, no load")
    parser.add_argument("--replay", type=int, default=3, metavar="CONTESTANTS",
                        help="contestants the in-process replay plays (plus one login, one registration)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--quiet-below", type=float, default=0.3)
    parser.add_argument("--nice", type=int, default=0,
                        help="run gunicorn, locust and the bench database's backends at this priority (e.g. -10, "
                             "root only) so that other processes on the machine yield to them")
    parser.add_argument("--max-wait", type=float, default=900)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.database_name = urllib.parse.urlsplit(args.database_url).path.lstrip("/")
    secret_key = secrets.token_hex(32)
    env = {k: v for k, v in os.environ.items() if k not in ("HOCTAP_ENV", "RATELIMIT_STORAGE_URI")}
    env.update({"SECRET_KEY": secret_key, "DATABASE_URL": args.database_url, "PYTHONUNBUFFERED": "1"})
    out_dir = Path(tempfile.mkdtemp(prefix="hoctap-contest-bench-"))
    log = out_dir / "gunicorn.log"
    if args.only_statements:
        app = make_app(args.database_url, secret_key)
        info = build_contest(app, 2000)
        replay(make_app(args.database_url, secret_key), info, args.replay, args.show_sql, args.profile)
        return
    print(f"gunicorn --workers {args.workers} --threads {args.threads}, database {args.database_url}, "
          f"{os.cpu_count()} cores; output in {out_dir}")
    results = []
    for users in args.users:
        print(f"\n{users} contestants over 60 s:")
        results.append(run(args, users, env, secret_key, log, out_dir))
    print("\n| contestants | mode | result | attempts/min | floor ms/request | "
          + " | ".join(f"{k} p95" for k in KINDS) + " |")
    for r in results:
        cells = [f"{r['kinds'][k]['p95_ms']:.0f}" if k in r["kinds"] else "-" for k in KINDS]
        print(f"| {r['users']} | {'sustain' if r['sustain_minutes'] else 'wave'} | "
              f"{'pass' if r['passed'] else 'FAIL'} | {r['attempts_per_min']:.0f} | "
              f"{r['floor_ms_per_request']:.2f} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
