"""Several app servers, one database: the deploy/ topology brought up on loopback and checked.

    .venv/bin/python bench/topology.py [--users 600] [--servers 2] [--workers 1] [--threads 4]
                                       [--crowd-workers 3]
                                       [--database-url postgresql+psycopg://root@127.0.0.1/bench_sct]
                                       [--redis redis://127.0.0.1:6379/3] [--nginx-port 5140]
                                       [--app-port 8140] [--keep-database] [--nice -10]
    deploy/try_topology.sh [same options]

What it does, with everything on 127.0.0.1 and nothing left running at the end:

1. The database (created if missing) is emptied and built as bench/contest_opening.py builds
   it (a published contest, one open round of 20 questions, pre-registered participants), plus
   an issuer and one completion certificate.
2. Each app server gets its own instance folder, as if on its own machine: settings.env
   (DATABASE_URL, RATELIMIT_STORAGE_URI naming the shared Redis, PUBLIC_BASE_URL,
   PROXY_COUNT=1) and the deployment's one secret_key. Each server runs the app's two pools, as
   deploy/hoctap.service and deploy/hoctap-crowd.service do: threaded workers on --app-port + n,
   sync workers for the contest's crowd on --app-port + 10 + n. gunicorn starts with only
   HOCTAP_INSTANCE_PATH in its environment, so every setting comes from that folder.
   Rate limits stay on (production settings).
3. nginx (Debian's /usr/sbin/nginx, run with its own prefix, pid file, logs and temp paths)
   listens on --nginx-port with deploy/nginx-hoctap.conf itself (bench/loopback_nginx.py: the
   servers on loopback, without TLS, and trusting X-Forwarded-For from loopback, so that each
   simulated contestant counts as an address of its own).
4. The cross-server checks of bench/crossserver.py, straight to the servers' contest pools: a contestant
   alternating between A and B, a lock-out counted across A and B, a certificate identical
   from A and B (each its own cache), a logout on B ending the session on A, one device seen
   on both flagged, and the leaderboard showing a result on both within the stated window.
5. The contest wave through nginx: locust with bench/locustfile_contest.py, --users
   contestants arriving over 60 s; pass = no failed request and every kind's p95 under 1 s;
   the nginx log says how many requests each pool of each server answered.
6. The sweep on every server at once (`flask --app app quizzes close-expired` with each
   server's instance folder, as the systemd timer runs it): attempts left open past their
   deadline are closed once, their finish recorded at the deadline.

Exit status 0 when every check passed.
"""
import argparse
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import crossserver  # noqa: E402  (bench/ is not a package)
import loopback_nginx  # noqa: E402
from attempts import children_of, make_app, port_is_free, postgres_backends  # noqa: E402
from contest_opening import (  # noqa: E402
    KINDS,
    PASSWORD,
    SLUG,
    build_contest,
    percentile,
    raise_priority,
    write_locust_data,
)

NGINX = loopback_nginx.NGINX
CACHE_SECONDS = 15  # contests.boards.CACHE_SECONDS, the stated stale window of boards and counters


class Topology:
    """The processes started, so that every one is stopped whatever happens."""

    def __init__(self, work: Path):
        self.work = work
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.logs = []
        self.nginx_conf: Path | None = None

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = (self.work / f"{name}.log").open("wb")
        self.logs.append(log)
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        self.processes.append((name, process))
        return process

    def stop(self) -> None:
        if self.nginx_conf is not None:
            subprocess.run([NGINX, "-p", str(self.work / "nginx"), "-c", str(self.nginx_conf), "-s", "quit"],
                           capture_output=True, check=False)
        for _name, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _name, process in self.processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # a session this script started
                process.wait()
        pid_file = self.work / "nginx" / "nginx.pid"
        for _ in range(100):  # nginx -s quit returns at once; its master leaves when the workers are done
            if not pid_file.exists():
                break
            time.sleep(0.1)
        for log in self.logs:
            log.close()


def wait_for(url: str, process: subprocess.Popen | None, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{url}: the process exited, see {log}:\n{log.read_text()[-1500:]}")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {timeout:.0f} s")


def ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def all_on_one_page(app, quiz_id: int) -> None:
    """The round shows every question on one page, the flow bench/locustfile_contest.py plays
    (contest rounds are built one question a screen since that file was written)."""
    from core.extensions import db
    from quizzes.models import Quiz
    with app.app_context():
        db.session.get(Quiz, quiz_id).one_per_page = False
        db.session.commit()
        db.session.remove()


def add_certificate(app, info: dict) -> tuple[str, str]:
    """An issuer for the province and one completion certificate: (holder's login, code)."""
    from certificates import services as certificates
    from certificates.models import Issuer
    from contests.models import Participant
    from core.clock import utcnow
    from core.extensions import db
    from learning import topics as learning_topics
    from quizzes.models import TopicCompletion
    from units.models import Member, Unit

    logins = {p["user_id"]: p["login"] for p in info["people"]}
    with app.app_context():
        province = db.session.scalars(db.select(Unit).where(Unit.parent_id.is_(None))).first()
        db.session.add(Issuer(unit_id=province.id, body_lines="LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU", place="Lai Châu",
                              signer_title="TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH", signer_name="Đồng Thị Nghĩa"))
        holder = db.session.scalars(db.select(Participant).where(Participant.member_id.is_not(None))
                                    .order_by(Participant.id.desc())).first()
        member = db.session.get(Member, holder.member_id)
        completion = TopicCompletion(member_id=member.id, topic_id=learning_topics.get_topic("chuyen-de-2022").id,
                                     percent=90.0, completed_at=utcnow())
        db.session.add(completion)
        db.session.flush()
        code = certificates.issue_for_completion(completion).code
        db.session.commit()
        login = logins[holder.user_id]
        db.session.remove()
        db.engine.dispose()
    return login, code


def run_checks(app, urls: list[str], round_number: int, divisions: list[int], spare,
               cert: tuple[str, str]) -> list[tuple[str, bool, str]]:
    from contests import flags
    from contests.models import Contest
    from core.extensions import db

    a, b = urls[0], urls[1]
    results = []

    def check(name, function):
        started = time.perf_counter()
        try:
            said = function() or ""
            results.append((name, True, f"{said} ({time.perf_counter() - started:.1f} s)".strip()))
        except crossserver.CheckFailed as failure:
            results.append((name, False, str(failure)))
        print(f"  {'ok  ' if results[-1][1] else 'FAIL'} {name}: {results[-1][2]}")

    def alternating():
        who = next(spare)
        for server in (a, b):  # the boards are now cached on both servers
            for division in divisions:
                crossserver.Browser().page(server, f"/contests/{SLUG}/leaderboard?round={round_number}&bang={division}")
        attempt_id = crossserver.alternating_contestant(a, b, SLUG, round_number, who, PASSWORD)
        finished = time.monotonic()
        with app.app_context():
            from quizzes.models import Attempt
            attempt = db.session.get(Attempt, attempt_id)
            crossserver.expect(attempt.status == "submitted" and len(attempt.answers) == 20,
                               f"attempt {attempt_id}: {attempt.status}, {len(attempt.answers)} answers")
            from contests.models import Participant
            from contests.ranking import mask_name
            name, division = db.session.execute(db.select(Participant.full_name, Participant.division_id)
                                                .filter_by(user_id=attempt.user_id)).first()
            name = mask_name(name)  # as the public board prints it
            db.session.remove()
        shown = {}
        while len(shown) < 2 and time.monotonic() - finished < CACHE_SECONDS + 5:
            for label, server in (("A", a), ("B", b)):
                if label not in shown and name in crossserver.Browser().page(
                        server, f"/contests/{SLUG}/leaderboard?round={round_number}&bang={division}"):
                    shown[label] = time.monotonic() - finished
            time.sleep(0.5)
        crossserver.expect(len(shown) == 2, f"{name} not on the board of {set('AB') - set(shown)} after "
                                            f"{CACHE_SECONDS + 5} s")
        return (f"attempt {attempt_id}: login form from B sent to A, start on B, 20 answers A/B in turn, "
                f"submit on B, result on A; on the boards after {shown['A']:.1f} s (A), {shown['B']:.1f} s (B), "
                f"stated window {CACHE_SECONDS} s")

    def lockout():
        crossserver.lockout_across(a, b, next(spare), PASSWORD)
        return "5 wrong passwords (A, B, A, B, A) from 5 addresses, then the right one: 429 on A and on B"

    def certificate():
        data = crossserver.same_certificate(a, b, cert[0], PASSWORD, cert[1])
        return f"{len(data)} bytes, identical from A and B"

    def logout():
        crossserver.logout_everywhere(a, b, next(spare), PASSWORD)
        return "session from A works on B; after logout on B the old cookie is refused on A"

    def device():
        shared = secrets.token_urlsafe(16)
        crossserver.start_on(a, SLUG, round_number, next(spare), PASSWORD, device=shared)
        crossserver.start_on(b, SLUG, round_number, next(spare), PASSWORD, device=shared)
        with app.app_context():
            contest = db.session.scalars(db.select(Contest).filter_by(slug=SLUG)).one()
            sizes = [len(d.participants) for d in flags.shared_devices(contest)]
            db.session.remove()
        crossserver.expect(sizes == [2], f"shared devices: {sizes}")
        return "two accounts, one device cookie, started on A and on B: flagged as one device"

    check("one contestant, requests alternating between servers", alternating)
    check("login lock-out counted across servers", lockout)
    check("certificate drawn by each server", certificate)
    check("logout on one server ends the session on the other", logout)
    check("device flag across servers", device)
    return results


def run_wave(args, app, info: dict, topology: Topology, work: Path, base: str) -> tuple[bool, dict]:
    write_args = argparse.Namespace(sustain=0, login_share=args.login_share, register_share=args.register_share)
    data_file, events_file = work / "contest.json", work / "events.json"
    write_locust_data(app, info, write_args, args.users, data_file)
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(BENCH / "locustfile_contest.py"),
               "--headless", "-u", str(args.users), "-r", f"{args.users / 60:.3f}", "--run-time", "15m",
               "--host", base, "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "0"]
    env = {**os.environ, "CONTEST_BENCH_DATA": str(data_file), "CONTEST_BENCH_OUT": str(events_file),
           "CONTEST_BENCH_LOOP": "0", "CONTEST_BENCH_THINK": "2,6", "CONTEST_BENCH_FORWARDED_FOR": "1"}
    with (work / "locust.log").open("wb") as log:
        locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        try:
            while locust.poll() is None:
                if args.nice:
                    leaders = [process.pid for _, process in topology.processes] + [locust.pid]
                    nginx_pid = int((work / "nginx" / "nginx.pid").read_text())
                    leaders.append(nginx_pid)
                    ours = leaders + [child for pid in leaders for child in children_of(pid)]
                    raise_priority(ours + postgres_backends(args.database_name), args.nice, tuple(leaders))
                time.sleep(5)
        finally:
            if locust.poll() is None:
                os.killpg(locust.pid, signal.SIGKILL)
                locust.wait()
    if not events_file.exists():
        raise SystemExit(f"locust wrote nothing, see {work / 'locust.log'}")
    seen = json.loads(events_file.read_text())
    by_kind: dict[str, list] = {}
    for name, _start, ms, ok in seen["requests"]:
        by_kind.setdefault(name, []).append((ms, ok))
    kinds = {}
    for kind in KINDS:
        if kind in by_kind:
            times = sorted(ms for ms, _ in by_kind[kind])
            kinds[kind] = {"n": len(times), "failed": sum(1 for _, ok in by_kind[kind] if not ok),
                           "p50": percentile(times, 0.5), "p95": percentile(times, 0.95)}
    failed = sum(k["failed"] for k in kinds.values())
    passed = failed == 0 and all(k["p95"] < 1000 for k in kinds.values()) and len(seen["completed"]) == args.users
    return passed, {"kinds": kinds, "failed": failed, "completed": len(seen["completed"]),
                    "failures": seen["failures"][:5]}


def upstream_shares(work: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in (work / "nginx" / "logs" / "access.log").read_text().splitlines():
        parts = line.split()
        if len(parts) > 1:
            counts[parts[1]] = counts.get(parts[1], 0) + 1
    return counts


def sweep_on_every_server(app, urls: list[str], round_number: int, spare, instances: list[Path],
                          work: Path) -> tuple[bool, str]:
    """Attempts left open past their deadline, then the sweep on all servers at the same moment."""
    from core.clock import utcnow
    from core.extensions import db
    from quizzes.models import Attempt

    opened = [crossserver.start_on(url, SLUG, round_number, next(spare), PASSWORD) for url in urls * 2]
    deadline = utcnow().replace(microsecond=0) - timedelta(minutes=1)
    with app.app_context():
        for attempt_id in opened:
            attempt = db.session.get(Attempt, attempt_id)
            attempt.started_at, attempt.deadline = deadline - timedelta(minutes=20), deadline
        db.session.commit()
        db.session.remove()
    flask = str(Path(sys.executable).parent / "flask")
    sweeps = [subprocess.Popen([flask, "--app", "app", "quizzes", "close-expired"], cwd=ROOT, text=True,
                               env=server_env(instance, work), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
              for instance in instances]
    said = [sweep.communicate(timeout=120)[0].strip() for sweep in sweeps]
    with app.app_context():
        rows = [db.session.get(Attempt, attempt_id) for attempt_id in opened]
        closed = [a for a in rows if a.status == "expired" and a.finished_at.replace(microsecond=0) == deadline]
        db.session.remove()
    # Each server's own words ("Đã đóng 4 lượt làm bài hết giờ."), not its log lines (a date first).
    counted = sum(int(found.group(1)) for line in said for found in re.finditer(r"Đã đóng (\d+) lượt", line))
    ok = all(s.returncode == 0 for s in sweeps) and len(closed) == len(opened) == counted
    return ok, f"{len(closed)} of {len(opened)} expired attempts closed at their deadline; servers said: {said}"


def server_env(instance: Path, work: Path) -> dict:
    """Nothing but where the instance folder is: the settings come from it."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LANG": "C.UTF-8",
            "HOCTAP_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=600, help="contestants in the one-minute wave (0: no wave)")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1,
                        help="threaded workers of each server's first pool (deploy/hoctap.service)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--crowd-workers", type=int, default=3,
                        help="sync workers of each server's contest pool (deploy/hoctap-crowd.service)")
    parser.add_argument("--database-url", default="postgresql+psycopg://root@127.0.0.1/bench_sct")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--nginx-port", type=int, default=5140)
    parser.add_argument("--app-port", type=int, default=8140,
                        help="first app server's port; the next ones follow, and the contest pools from this + 10")
    parser.add_argument("--login-share", type=float, default=0.10)
    parser.add_argument("--register-share", type=float, default=0.05)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--nice", type=int, default=0,
                        help="during the wave, run the servers, nginx, locust and the database's backends at this "
                             "priority (e.g. -10, root only), as bench/contest_opening.py does on a shared machine")
    args = parser.parse_args()
    args.database_name = urllib.parse.urlsplit(args.database_url).path.lstrip("/")
    if args.servers < 2:
        raise SystemExit("--servers: at least 2")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # finally: below runs on kill too
    app_ports = [args.app_port + n for n in range(args.servers)]
    crowd_ports = [args.app_port + 10 + n for n in range(args.servers)]
    all_ports = [args.nginx_port, *app_ports, *crowd_ports]
    if len(set(all_ports)) < len(all_ports):
        raise SystemExit("--servers: more than 10 would give two pools one port; move --app-port")
    for port in all_ports:
        if not port_is_free(port):
            raise SystemExit(f"port {port} is taken")
    if not os.path.exists(NGINX):
        raise SystemExit(f"{NGINX} is missing: apt-get install nginx")

    work = Path(tempfile.mkdtemp(prefix="hoctap-topology-"))
    secret_key = secrets.token_hex(32)
    prefix = f"topology-{secrets.token_hex(4)}"
    print(f"{args.servers} app servers (each {args.workers} workers × {args.threads} threads, and "
          f"{args.crowd_workers} sync workers for the contest's crowd) behind nginx on "
          f"127.0.0.1:{args.nginx_port}; {args.database_url}; {args.redis}; files in {work}")
    topology = Topology(work)
    results: list[tuple[str, bool, str]] = []
    try:
        ensure_database(args.database_url)
        app = make_app(args.database_url, secret_key)
        participants = max(2000, int(args.users * 1.1) + 200)
        started = time.perf_counter()
        info = build_contest(app, participants)
        all_on_one_page(app, info["quiz_id"])
        cert = add_certificate(app, info)
        print(f"  data: {participants} participants, a certificate, in {time.perf_counter() - started:.1f} s")
        # People the wave does not play: its cookies are minted for the first ones, its logins are the last.
        logins = math.ceil(args.users * args.login_share) + 10
        spare = iter([p["login"] for p in info["people"][-logins - 100:-logins - 30]])

        instances, urls, crowd_urls, starting = [], [], [], []
        for n, (port, crowd_port) in enumerate(zip(app_ports, crowd_ports, strict=True)):
            name = f"server-{'abcdefgh'[n]}"
            instance = work / name / "instance"
            instance.mkdir(parents=True)
            (instance / "secret_key").write_text(secret_key)  # one key for the whole deployment
            (instance / "settings.env").write_text(
                f"DATABASE_URL={args.database_url}\nRATELIMIT_STORAGE_URI={args.redis}\n"
                f"RATELIMIT_KEY_PREFIX={prefix}\nPUBLIC_BASE_URL=https://hoctap.example.vn\nPROXY_COUNT=1\n")
            os.chmod(instance / "secret_key", 0o600)
            gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "--log-level", "warning"]
            # The two pools of deploy/hoctap.service and deploy/hoctap-crowd.service, one instance folder.
            pools = ((name, port, ["--workers", str(args.workers), "--threads", str(args.threads)]),
                     (f"{name}-crowd", crowd_port, ["--workers", str(args.crowd_workers)]))
            for pool, pool_port, workers in pools:
                process = topology.start(pool, [*gunicorn, *workers, "--bind", f"127.0.0.1:{pool_port}",
                                                "app:create_app()"], server_env(instance, work))
                starting.append((pool, process, f"http://127.0.0.1:{pool_port}"))
            instances.append(instance)
            urls.append(f"http://127.0.0.1:{port}")
            crowd_urls.append(f"http://127.0.0.1:{crowd_port}")
        for pool, process, url in starting:
            wait_for(url, process, work / f"{pool}.log")
        topology.nginx_conf = loopback_nginx.write_config(
            work / "nginx", args.nginx_port, {"hoctap": app_ports, "hoctap_crowd": crowd_ports},
            driver_forwards_for=True)
        nginx = subprocess.run([NGINX, "-p", str(work / "nginx"), "-c", str(topology.nginx_conf)],
                               capture_output=True, text=True, check=False)
        if nginx.returncode:
            raise SystemExit(f"nginx did not start: {nginx.stderr}")
        base = f"http://127.0.0.1:{args.nginx_port}"
        wait_for(base, None, work / "nginx" / "logs" / "error.log")
        print(f"  up: {', '.join(urls)} (threaded pools), {', '.join(crowd_urls)} (contest pools) behind {base}")

        print("\nCross-server checks (straight to the servers' contest pools):")
        results += run_checks(app, crowd_urls, info["round"], info["divisions"], spare, cert)

        if args.users:
            print(f"\nThe wave: {args.users} contestants over 60 s through nginx")
            before = upstream_shares(work)
            started = time.perf_counter()
            passed, wave = run_wave(args, app, info, topology, work, base)
            after = upstream_shares(work)
            shares = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            print(f"  {wave['completed']} of {args.users} finished in {time.perf_counter() - started:.0f} s, "
                  f"{wave['failed']} failed requests; answered by {shares}")
            for kind, k in wave["kinds"].items():
                print(f"    {kind:14} n={k['n']:6}  failed={k['failed']:3}  "
                      f"p50={k['p50']:6.0f} ms  p95={k['p95']:6.0f} ms")
            for failure in wave["failures"]:
                print(f"    failure: {failure}")
            every_server = all(shares.get(f"127.0.0.1:{p}", 0) > 0 for p in crowd_ports)
            worst = max(k["p95"] for k in wave["kinds"].values())
            said = (f"{wave['failed']} failed, worst p95 {worst:.0f} ms, every server's contest pool answered: "
                    f"{every_server}")
            results.append((f"wave of {args.users} through nginx", passed and every_server, said))
            print(f"  {'ok  ' if results[-1][1] else 'FAIL'} {results[-1][0]}: {results[-1][2]}")

        print("\nThe sweep on every server at once:")
        ok, said = sweep_on_every_server(app, crowd_urls, info["round"], spare, instances, work)
        results.append(("sweep (quizzes close-expired) on every server", ok, said))
        print(f"  {'ok  ' if ok else 'FAIL'} {said}")
    finally:
        topology.stop()
        try:
            import redis
            connection = redis.Redis.from_url(args.redis)
            for key in connection.scan_iter(f"*/{prefix}/*"):  # LIMITS:LIMITER/<prefix>/...
                connection.delete(key)
            connection.close()
        except Exception as error:  # noqa: BLE001 - cleaning up; say so and go on
            print(f"  (could not empty the Redis keys */{prefix}/*: {error})")
        if not args.keep_database:
            drop_database(args.database_url)
    left = [port for port in all_ports if not port_is_free(port)]
    results.append(("nothing left running", not left and all(p.poll() is not None for _, p in topology.processes),
                    f"ports still open: {left}" if left else "every process stopped, ports free"))
    print(f"\n{'ok  ' if results[-1][1] else 'FAIL'} {results[-1][0]}: {results[-1][2]}")
    failed = [name for name, ok, _ in results if not ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} checks passed" + (f"; failed: {failed}" if failed else ""))
    shutil.rmtree(work / "nginx" / "temp", ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
