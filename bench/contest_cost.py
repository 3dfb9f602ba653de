"""Benchmark: the server CPU one contestant costs, for two trees of the app side by side and the
bare-Flask floor, in one run (issue 18 item 2).

    .venv/bin/python bench/contest_cost.py [--before DIR [--before-saves batched] [--before-hash argon2id]
                                                        [--before-python PYTHON] [--before-serve OPTIONS]]
                                           [--contestants 300] [--warm-up 40] [--threads 8] [--database-url URL]
                                           [--port 5610] [--rounds 2] [--serve OPTIONS]

Each target is served in turn by gunicorn with the production command of the pool that serves a
contest's crowd (deploy/hoctap-crowd.service: `--workers 5`, sync workers; --serve and
--before-serve choose others), on the same PostgreSQL database, rebuilt before each run by
contest_opening.py's build_contest (the demo contest, one open round of 20 questions, one a screen):

after     this tree (bench/wsgi.py: production settings, rate limits off);
before    --before DIR, another checkout of the app (e.g. `git archive main | tar -x -C DIR`),
          served from DIR with its own bench/wsgi.py, on the data built here, and played as the
          quiz.js of before 06/12/2026 did: a save a click (20) and one /state (--before-saves
          batched: as today's quiz.js, for a tree that already sends answers together), by the
          gunicorn of --before-python's environment if given (an interpreter against another: the
          same DIR as this tree, another Python) and with --before-serve's workers if given;
floor     bench/baseline.py: a bare Flask endpoint doing one INSERT on the same stack, sent as
          many requests as the `after` run made.

--threads threads play --contestants contestants back to back with no think time (the CPU of a
contestant does not depend on the pauses): the mix and the requests of
bench/locustfile_contest.py (85 % arrive with the session cookie a registration left, 10 % log
in through the form, 5 % register; landing, start, the attempt page, the JSON saves quiz.js
makes (contest_opening.quiz_js_batches: the choices of 2–6 s of thought each, sent together every
15 s), submit with the prediction and the answers still waiting, the result), each request with
`Connection: close`. Measured on warm workers, as a contest's pool runs for hours: once gunicorn
answers, the bench waits until its workers have finished booting (their CPU stops rising), then
plays --warm-up contestants (the floor: ten times as many requests) that are not counted, so that
every worker has loaded its templates, compiled its statements and opened its connection. Then the
CPU of gunicorn (master and workers) and of the PostgreSQL backends of the database, from /proc,
over the whole run, divided by the contestants; and per request. --rounds repeats the three
targets in turn (before, after, floor, before, after, floor, ...) so that a change in the
machine's speed shows up as a spread, not a difference.
"""
import argparse
import http.client
import json
import os
import random
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

from werkzeug.security import generate_password_hash

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from attempts import children_of, make_app, port_is_free, postgres_backends, process_cpu  # noqa: E402
from contest_opening import (  # noqa: E402
    PASSWORD,
    REGISTER_PREFIX,
    SLUG,
    USER_AGENT,
    Gunicorn,
    answer_form,
    build_contest,
    csrf_of,
    mint_cookies,
    parse_paper,
    quiz_js_batches,
)

DATA_CSRF_RE = re.compile(r'data-csrf="([^"]+)"')


class Browser:
    """One contestant's browser: a cookie jar of one cookie (the session), Connection: close."""

    def __init__(self, port: int, cookie_name: str, cookie: str | None, seen: dict):
        self.port, self.cookie_name, self.cookie, self.seen = port, cookie_name, cookie, seen

    def call(self, kind: str, method: str, path: str, *, form: dict | None = None, headers: dict | None = None,
             expect: int = 200) -> tuple[str, http.client.HTTPMessage]:
        sent = {"User-Agent": USER_AGENT, "Connection": "close", **(headers or {})}
        if self.cookie:
            sent["Cookie"] = f"{self.cookie_name}={self.cookie}"
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith(self.cookie_name + "="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        self.seen[kind] += 1
        if response.status != expect:
            raise AssertionError(f"{kind}: {response.status} (expected {expect}) {path}: {text[:200]}")
        return text, response.headers  # names case-insensitive: some servers send "location"


def play(browser: Browser, kind: str, identity: str, rng: random.Random, per_click: bool) -> None:
    landing_path = f"/contests/{SLUG}"
    landing, _ = browser.call("landing", "GET", landing_path)
    if kind == "login":
        path = "/accounts/login?" + urllib.parse.urlencode({"next": landing_path})
        page, _ = browser.call("login page", "GET", path)
        browser.call("login", "POST", path, expect=302,
                     form={"identifier": identity, "password": PASSWORD, "csrf_token": csrf_of(page)})
        landing, _ = browser.call("landing", "GET", landing_path)
    elif kind == "register":
        page, _ = browser.call("register page", "GET", landing_path + "/register")
        password = f"du-thi-{identity}"
        browser.call("register", "POST", landing_path + "/register", expect=302, form={
            "full_name": f"Người Lao Động {identity}", "birth_year": "1990", "phone": identity, "unit_code": "",
            "workplace": "Công ty May Lai Châu", "citizen_id": "", "password": password, "confirm": password,
            "csrf_token": csrf_of(page)})
        landing, _ = browser.call("landing", "GET", landing_path)
    _, headers = browser.call("start", "POST", f"{landing_path}/rounds/1/start", expect=302,
                              form={"csrf_token": csrf_of(landing)})
    path = urllib.parse.urlsplit(headers["Location"]).path
    page, _ = browser.call("page", "GET", path)
    token = DATA_CSRF_RE.search(page).group(1)
    paper = parse_paper(page)
    if per_click:  # quiz.js before 06/12/2026: a save a click, /state every 60 s
        saves, carried = [[n] for n in range(len(paper))], []
    else:
        saves, carried = quiz_js_batches(rng, len(paper))
    for n, indices in enumerate(saves):
        saved, _ = browser.call("answer", "POST", path + "/answer", form=answer_form(paper, indices, rng),
                                headers={"Accept": "application/json", "X-CSRFToken": token})
        assert '"saved":true' in saved, saved
        if per_click and n == 9:  # an attempt lasts about 1 min 30 s
            browser.call("state", "GET", path + "/state", headers={"Accept": "application/json"})
    attempt_id = path.rstrip("/").rsplit("/", 1)[1]
    browser.call("submit", "POST", f"/contests/attempts/{attempt_id}/submit", expect=302,
                 form={"csrf_token": csrf_of(page), "prediction": str(rng.randint(500, 50000)),
                       **answer_form(paper, carried, rng)})
    result, _ = browser.call("result", "GET", path + "/result")
    assert "câu đúng" in result


def kinds(contestants: int) -> list[str]:
    """The locustfile's mix, spread evenly (the golden-ratio sequence)."""
    out = []
    for n in range(contestants):
        u = (n * 0.6180339887498949) % 1.0
        out.append("register" if u < 0.05 else "login" if u < 0.15 else "cookie")
    return out


def gunicorn_cpu(master: int) -> float:
    """CPU seconds so far of gunicorn, master and workers."""
    return sum(process_cpu(p) for p in [master] + children_of(master))


def server_cpu(master: int, database: str) -> tuple[float, float]:
    """CPU seconds so far of gunicorn (master and workers) and of the database's PostgreSQL backends."""
    return gunicorn_cpu(master), sum(process_cpu(p) for p in postgres_backends(database))


def cpu_figures(cpu0: tuple[float, float], cpu1: tuple[float, float], contestants: float, requests: int) -> dict:
    app_s, database_s = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    return {"cpu_s": app_s + database_s, "cpu_ms_per_contestant": 1000 * (app_s + database_s) / contestants,
            "cpu_ms_per_request": 1000 * (app_s + database_s) / requests,
            "gunicorn_ms_per_contestant": 1000 * app_s / contestants,
            "postgres_ms_per_contestant": 1000 * database_s / contestants}


def run_app(args, label: str, root: Path, secret_key: str, env: dict) -> dict:
    app = make_app(args.database_url, secret_key)
    mix = kinds(args.contestants)
    # The before tree's accounts have the hash it made: scrypt, as every tree before 06/12/2026 did
    # (--before-hash argon2id: a tree that already makes this tree's hashes).
    old_hash = label == "before" and args.before_hash == "scrypt"
    info = build_contest(app, args.contestants + args.contestants // 5 + 20 + args.warm_up,
                         password_hash=generate_password_hash(PASSWORD, "scrypt") if old_hash else None)
    people = info["people"]
    warm_people = people[len(people) - args.warm_up:]
    cookies = mint_cookies(app, [p["user_id"] for p in people[:args.contestants] + warm_people])
    logins = [p["login"] for p in people[args.contestants:len(people) - args.warm_up]]
    before = label == "before"
    server = gunicorn(args, root, "bench.wsgi:app", env,
                      python=args.before_python if before and args.before_python else Path(sys.executable),
                      serve=args.before_serve if before and args.before_serve else args.serve)
    seen: dict[str, int] = defaultdict(int)
    errors: list[str] = []
    lock = threading.Lock()
    counters = {"login": 0, "register": 0}

    def play_all(queue: list[tuple[int, str]], tally: dict[str, int]) -> None:
        def worker(seed: int) -> None:
            rng = random.Random(seed)
            while True:
                with lock:
                    if not queue:
                        return
                    n, kind = queue.pop(0)
                    serial = counters.get(kind, 0)
                    counters[kind] = serial + 1
                identity = (logins[serial] if kind == "login" else f"0{REGISTER_PREFIX}{seed:02d}{n:05d}"
                            if kind == "register" else "")
                browser = Browser(args.port, app.config["SESSION_COOKIE_NAME"],
                                  cookies[n] if kind == "cookie" else None, tally)
                try:
                    play(browser, kind, identity, rng, per_click=label == "before" and args.before_saves == "per-click")
                except Exception as error:  # noqa: BLE001 - counted and shown
                    errors.append(f"{type(error).__name__}: {error}"[:300])

        in_turn(worker, args.threads)

    try:
        server.wait_ready()
        if args.warm_up:  # the last people, with their cookies, not counted
            settle(server.process.pid)
            play_all([(args.contestants + n, "cookie") for n in range(args.warm_up)], defaultdict(int))
        cpu0, wall0 = server_cpu(server.process.pid, args.database_name), time.perf_counter()
        play_all(list(enumerate(mix)), seen)
        cpu1, wall1 = server_cpu(server.process.pid, args.database_name), time.perf_counter()
    finally:
        server.stop()
    requests = sum(seen.values())
    return {"target": label, "contestants": args.contestants, "requests": requests, "errors": len(errors),
            "first_errors": errors[:3], "seconds": wall1 - wall0,
            **cpu_figures(cpu0, cpu1, args.contestants, requests),
            "requests_per_contestant": requests / args.contestants,
            "by_kind": dict(seen)}


def in_turn(worker, threads: int) -> None:
    """Run ``worker(seed)`` on ``threads`` threads at once and wait for all."""
    running = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()


def settle(master: int, quiet: float = 0.05, timeout: float = 60) -> None:
    """Wait until gunicorn's workers have booted: its CPU rises by less than ``quiet`` s in half a second.
    The first worker answers while the others are still importing the app (about 0.8 s of CPU)."""
    deadline = time.monotonic() + timeout
    cpu = gunicorn_cpu(master)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = gunicorn_cpu(master)
        if now - cpu < quiet:
            return
        cpu = now
    raise RuntimeError("gunicorn's workers did not settle")


def gunicorn(args, root: Path, target: str, env: dict, python: Path = Path(sys.executable),
             serve: str | None = None) -> Gunicorn:
    """contest_opening's Gunicorn, started in `root` from ``python``'s environment with the worker
    options ``serve`` (default --serve's)."""
    server = Gunicorn.__new__(Gunicorn)
    server.log = (args.out / "gunicorn.log").open("ab")
    server.port = args.port
    server.process = subprocess.Popen(
        [str(python.parent / "gunicorn"), *(serve or args.serve).split(), "--bind",
         f"127.0.0.1:{args.port}", "--log-level", "warning", target],
        cwd=root, env=env, stdout=server.log, stderr=server.log, start_new_session=True)
    return server


def run_floor(args, requests: int, per_contestant: float, env: dict) -> dict:
    from baseline import reset_table
    reset_table(args.database_url)
    server = gunicorn(args, ROOT, "bench.baseline:app", env)
    process = server.process
    left = [requests]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            connection.request("POST", "/hit", body="note=contestant",
                               headers={"Content-Type": "application/x-www-form-urlencoded", "Connection": "close"})
            response = connection.getresponse()
            response.read()
            connection.close()
            assert response.status == 200

    try:
        wait_for_hit(args.port, process)
        if args.warm_up:
            settle(process.pid)
            left[0] = 10 * args.warm_up
            in_turn(lambda _: worker(), args.threads)
        left[0] = requests
        cpu0, wall0 = server_cpu(process.pid, args.database_name), time.perf_counter()
        in_turn(lambda _: worker(), args.threads)
        cpu1, wall1 = server_cpu(process.pid, args.database_name), time.perf_counter()
    finally:
        server.stop()
    return {"target": "floor", "requests": requests, "seconds": wall1 - wall0,
            **cpu_figures(cpu0, cpu1, requests / per_contestant, requests),
            "requests_per_contestant": per_contestant, "errors": 0}


def wait_for_hit(port: int, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the baseline's gunicorn exited")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", "/hit", body="note=ready",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the baseline did not answer in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout of the app, measured first")
    parser.add_argument("--before-saves", choices=["per-click", "batched"], default="per-click",
                        help="how the before tree's quiz.js sends answers")
    parser.add_argument("--before-hash", choices=["scrypt", "argon2id"], default="scrypt",
                        help="the password hash the before tree makes")
    parser.add_argument("--before-python", type=Path,
                        help="the interpreter of the environment that serves the before tree (default: this one)")
    parser.add_argument("--contestants", type=int, default=300)
    parser.add_argument("--warm-up", type=int, default=40,
                        help="contestants played on booted workers before the measure (0: measure from the first "
                             "answer, booting workers and all, as before 07/12/2026)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default="postgresql+psycopg://root@127.0.0.1/bench")
    parser.add_argument("--port", type=int, default=8431)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", default="--workers 5",
                        help="gunicorn's worker options (default: the contest pool, deploy/hoctap-crowd.service)")
    parser.add_argument("--before-serve",
                        help="gunicorn's worker options for the before tree (default: --serve's); with --before . "
                             "it measures one tree on two kinds of workers")
    args = parser.parse_args()
    args.database_name = urllib.parse.urlsplit(args.database_url).path.lstrip("/")
    if not port_is_free(args.port):
        raise SystemExit(f"port {args.port} is taken: choose another with --port")
    args.out = Path(os.environ.get("TMPDIR", "/tmp")) / f"hoctap-contest-cost-{os.getpid()}"
    args.out.mkdir()
    secret_key = secrets.token_hex(32)
    env = {k: v for k, v in os.environ.items() if k not in ("HOCTAP_ENV", "RATELIMIT_STORAGE_URI")}
    env.update({"SECRET_KEY": secret_key, "DATABASE_URL": args.database_url, "PYTHONUNBUFFERED": "1"})
    serving = f"{args.serve} (before: {args.before_serve})" if args.before_serve else args.serve
    print(f"{args.contestants} contestants a run after {args.warm_up} to warm up, {args.threads} threads, "
          f"gunicorn {serving}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; logs in {args.out}")
    results = []
    for n in range(args.rounds):
        targets = ([("before", args.before.resolve())] if args.before else []) + [("after", ROOT)]
        for label, root in targets:
            result = run_app(args, label, root, secret_key, env)
            result["round"], result["load"] = n + 1, os.getloadavg()[0]
            results.append(result)
            report(result)
        after = results[-1]
        floor = run_floor(args, after["requests"], after["requests_per_contestant"], env)
        floor["round"], floor["load"] = n + 1, os.getloadavg()[0]
        results.append(floor)
        report(floor)
    print("\n| round | target | requests a contestant | CPU ms a request | **CPU ms a contestant** "
          "(gunicorn + PostgreSQL) | errors | load |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['round']} | {r['target']} | {r['requests_per_contestant']:.1f} | {r['cpu_ms_per_request']:.2f} | "
              f"**{r['cpu_ms_per_contestant']:.0f}** ({r['gunicorn_ms_per_contestant']:.0f} + "
              f"{r['postgres_ms_per_contestant']:.0f}) | {r['errors']} | {r['load']:.1f} |")
    for r in results:
        if r["target"] == "after":
            floor = next(f for f in results if f["target"] == "floor" and f["round"] == r["round"])
            before = next((b for b in results if b["target"] == "before" and b["round"] == r["round"]), None)
            line = (f"round {r['round']}: after = {r['cpu_ms_per_contestant'] / floor['cpu_ms_per_contestant']:.1f}"
                    f" × the floor's {r['requests_per_contestant']:.1f} requests")
            if before:
                journey = floor["cpu_ms_per_request"] * before["requests_per_contestant"]
                line += (f", {r['cpu_ms_per_contestant'] / journey:.1f} × the floor's "
                         f"{before['requests_per_contestant']:.1f} requests of the before journey ({journey:.0f} ms); "
                         f"before = {before['cpu_ms_per_contestant'] / journey:.1f} × that")
            print(line)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if any(r["errors"] for r in results):
        raise SystemExit("some contestants failed")


def report(r: dict) -> None:
    print(f"  round {r['round']} {r['target']:<6}: {r['requests']} requests in {r['seconds']:.1f} s, server CPU "
          f"{r['cpu_s']:.1f} s: {r['cpu_ms_per_contestant']:.1f} ms a contestant "
          f"({r['requests_per_contestant']:.1f} requests, {r['cpu_ms_per_request']:.2f} ms each); "
          f"errors {r['errors']}; load {r['load']:.1f}")
    for error in r.get("first_errors", []):
        print(f"    ! {error}")


if __name__ == "__main__":
    main()
