"""Benchmark: contest leaderboards, counters and collective results at 100,000 participants.

    .venv/bin/python bench/leaderboard.py [--participants 100000] [--database-url URL] [--repeat 5] [--nice -10]

The database (default postgresql+psycopg://root@127.0.0.1/bench) is emptied and built again
as bench/contest_opening.py builds it (demo union tree, content, the contest's bank, two
divisions), with two rounds: week 1 closed yesterday, its real figure set, week 2 open.
Then, in bulk with INSERT ... SELECT over generate_series (PostgreSQL only, seconds):

- --participants accounts and participants (60 % in a grassroots unit of the demo tree, the
  others with only a workplace; 0.1 % excluded by the jury);
- week 1: one finished attempt each, and a second one for 30 % of them (rounds allow two):
  scores skewed high (about one in five has 20/20, as in a real contest, so the tie-breaks
  decide most places), durations 60–1,200 s with microseconds, submitted over the week,
  20 % without a prediction; the contest entry of each attempt with its prediction;
- week 2: half of the participants with one finished attempt, 2 % with one in progress.

Attempts carry an empty paper ([]): nothing timed here reads papers, and 130,000 real ones
(~19.5 KB each) would only make the build slow (PostgreSQL keeps them out of line, TOAST,
so the rows the boards read are the same size either way).

Then it times, in-process, median of --repeat calls: `round_board` (week 1 and week 2),
`overall_board`, `counters` and `collective`, each cold (the 15-s cache emptied first) and
cached; and through the Flask test client, the landing page (anonymous and as a participant)
and `/leaderboard` (overall and ?round=1), cold and cached, with their SQL statement counts.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # the app's packages first (bench/certificates.py is a script)

from attempts import DEFAULT_URL, make_app, postgres_backends  # noqa: E402
from contest_opening import SLUG, USER_AGENT, build_contest, mint_cookies, raise_priority  # noqa: E402

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Lò", "Lường", "Tòng", "Quàng",
          "Giàng", "Vàng", "Sùng", "Thào", "Tẩn", "Chảo"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Seo", "A", "Thu", "Ngọc"]
GIVEN = ["An", "Bình", "Dũng", "Hải", "Hùng", "Lan", "Linh", "Hương", "Páo", "Chứ", "Mỷ", "Xuân", "Khăm", "Ún"]


def sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def fill(app, info: dict, participants: int) -> dict:
    """The participants and their attempts and entries, in bulk; returns counts."""
    from sqlalchemy import text

    from core.extensions import db

    week1, week2 = info["rounds"]
    grassroots = info["grassroots"]
    name = (f"({sql_array(FAMILY)})[1 + g % {len(FAMILY)}] || ' ' || ({sql_array(MIDDLE)})[1 + (g / 7) % {len(MIDDLE)}]"
            f" || ' ' || ({sql_array(GIVEN)})[1 + (g / 3) % {len(GIVEN)}]")
    statements = [
        "SELECT setseed(0.2022)",
        f"""INSERT INTO users (username, full_name, password_hash, must_change_password, is_enabled, created_at)
            SELECT '09' || lpad(g::text, 8, '0'), {name}, :hash, false, true, now() - interval '10 days'
            FROM generate_series(1, :n) AS g""",
        f"""INSERT INTO contest_participants (contest_id, user_id, full_name, birth_year, phone, unit_id, workplace,
                                              division_id, excluded_at, excluded_reason, created_at)
            SELECT :contest, u.id, u.full_name, 1965 + u.id % 40, u.username,
                   CASE WHEN u.id % 5 < 3
                        THEN (ARRAY[{', '.join(map(str, grassroots))}])[1 + u.id % {len(grassroots)}] END,
                   CASE WHEN u.id % 5 < 3 THEN '' ELSE 'Công ty May Lai Châu' END,
                   CASE WHEN u.id % 5 < 3 THEN :division_a ELSE :division_b END,
                   CASE WHEN u.id % 1000 = 7 THEN now() - interval '1 day' END,
                   CASE WHEN u.id % 1000 = 7 THEN 'Một người hai tài khoản' ELSE '' END, u.created_at
            FROM users u WHERE u.username LIKE '09%' AND length(u.username) = 10""",
        # Week 1: one attempt each, a second for 30 %.
        """INSERT INTO attempts (quiz_id, user_id, number, status, started_at, deadline, finished_at, paper, score,
                                 max_score, percent, passed, flagged_short)
           SELECT :quiz1, p.user_id, n, 'submitted', s, s + interval '20 minutes',
                  s + make_interval(secs => 60 + random() * 1140), '[]', sc, 20, sc * 5, true, false
           FROM contest_participants p
           CROSS JOIN LATERAL (SELECT n, :open1 + random() * (:close1 - :open1 - interval '30 minutes') AS s,
                                      greatest(0, 20 - floor(power(random(), 2) * 21))::int AS sc
                               FROM generate_series(1, CASE WHEN p.id % 10 < 3 THEN 2 ELSE 1 END) AS n) x""",
        # Week 2 (open): half have finished one attempt, 2 % are in the middle of one.
        """INSERT INTO attempts (quiz_id, user_id, number, status, started_at, deadline, finished_at, paper, score,
                                 max_score, percent, passed, flagged_short)
           SELECT :quiz2, p.user_id, 1, CASE WHEN p.id % 50 = 1 THEN 'in_progress' ELSE 'submitted' END, s,
                  s + interval '20 minutes',
                  CASE WHEN p.id % 50 = 1 THEN NULL ELSE s + make_interval(secs => 60 + random() * 1140) END,
                  '[]', CASE WHEN p.id % 50 = 1 THEN NULL ELSE sc END, 20,
                  CASE WHEN p.id % 50 = 1 THEN NULL ELSE sc * 5 END, p.id % 50 <> 1, false
           FROM contest_participants p
           CROSS JOIN LATERAL (SELECT :open2 + random() * (now() - :open2 - interval '30 minutes') AS s,
                                      greatest(0, 20 - floor(power(random(), 2) * 21))::int AS sc) x
           WHERE p.id % 2 = 1""",
        """INSERT INTO contest_entries (attempt_id, round_id, participant_id, prediction, device)
           SELECT a.id, CASE WHEN a.quiz_id = :quiz1 THEN :round1 ELSE :round2 END, p.id,
                  CASE WHEN random() < 0.2 THEN NULL ELSE 1000 + floor(random() * 200000)::int END,
                  substr(md5(p.id::text), 1, 32)
           FROM attempts a JOIN contest_participants p ON p.user_id = a.user_id AND p.contest_id = :contest
           WHERE a.quiz_id IN (:quiz1, :quiz2)""",
        "UPDATE contest_rounds SET actual_figure = 104321 WHERE id = :round1",
    ]
    params = {"n": participants, "hash": info["password_hash"], "contest": info["contest_id"],
              "division_a": info["divisions"][0], "division_b": info["divisions"][1],
              "quiz1": week1["quiz_id"], "quiz2": week2["quiz_id"], "round1": week1["id"], "round2": week2["id"],
              "open1": week1["opens_at"], "close1": week1["closes_at"], "open2": week2["opens_at"]}
    with app.app_context():
        with db.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
        # The bulk load went round the engine: the standings are filled as the migration fills them.
        from contests import boards
        from contests.models import Contest
        started = time.perf_counter()
        boards.refresh_standings(db.session, db.session.get(Contest, info["contest_id"]))
        db.session.commit()
        info["standings_fill_s"] = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        counts = {}
        with db.engine.connect() as connection:
            for label, query in [
                    ("participants", "SELECT count(*) FROM contest_participants"),
                    ("attempts week 1", f"SELECT count(*) FROM attempts WHERE quiz_id = {week1['quiz_id']}"),
                    ("attempts week 2", f"SELECT count(*) FROM attempts WHERE quiz_id = {week2['quiz_id']}"),
                    ("entries", "SELECT count(*) FROM contest_entries"),
                    ("standings lines", "SELECT count(*) FROM contest_standings"),
                    ("20/20 in week 1",
                     f"SELECT count(*) FROM attempts WHERE quiz_id = {week1['quiz_id']} AND score = 20")]:
                counts[label] = connection.execute(text(query)).scalar()
        db.engine.dispose()
    return counts


class Statements:
    def __init__(self, engine):
        from sqlalchemy import event
        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, *args, **kwargs):
        self.count += 1

    def close(self):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self.seen)


NICE = {"value": 0, "database": "bench"}


def timed(call, repeat: int, before=None) -> tuple[float, int]:
    """Median ms over repeat calls, and the statements of the last."""
    from core.extensions import db
    if NICE["value"]:
        db.session.execute(db.text("SELECT 1"))  # the backend exists: raise it with this process
        raise_priority([os.getpid()] + postgres_backends(NICE["database"]), NICE["value"])
    counter = Statements(db.engine)
    times = []
    try:
        for _ in range(repeat):
            if before:
                before()
            db.session.expire_all()
            counter.count = 0
            started = time.perf_counter()
            call()
            times.append(1000 * (time.perf_counter() - started))
    finally:
        counter.close()
    return statistics.median(times), counter.count


def jury_rows_before(contest_round) -> int:
    """jury_rows as it was before the standings: every finished attempt ranked in Python."""
    from contests import boards, ranking
    from contests.models import Participant
    from core.extensions import db
    from quizzes.models import Attempt
    ordered = ranking.rank_round(boards.round_results(contest_round), contest_round.actual_figure,
                                 contest_round.contest.tie_break)
    people = {p.id: p for p in db.session.scalars(
        db.select(Participant).where(Participant.id.in_([r.participant_id for r in ordered])))}
    short = set(db.session.scalars(db.select(Attempt.id).where(
        Attempt.id.in_([r.attempt_id for r in ordered]), Attempt.flagged_short)))
    return sum(1 for r in ordered if people[r.participant_id] and r.attempt_id not in short)


class Rows(list):
    """The table's rows, each printed as it is measured (a long run that fails keeps what it had)."""

    def append(self, row):
        label, cold, cold_statements, warm, warm_statements = row
        print(f"| {label} | {cold:.1f} | {cold_statements} | {warm:.2f} | {warm_statements} |", flush=True)
        super().append(row)


def measure(app, info: dict, repeat: int) -> list[tuple]:
    from contests import boards, collective_results, jury, prizes
    from contests.models import Contest, Round
    from core.extensions import db

    rows = Rows()
    print(f"\n| what | cold ms (median of {repeat}) | statements | cached ms | statements |")
    print("|---|---|---|---|---|")
    with app.app_context():
        contest = db.session.get(Contest, info["contest_id"])
        week1, week2 = (db.session.get(Round, r["id"]) for r in info["rounds"])
        tie = contest.tie_break
        floor_sql = {number: db.text(
            "SELECT participant_id, attempt_id, score, prediction, prediction_error, duration_seconds, finished_at, "
            "rounds FROM contest_standings WHERE contest_id = :contest AND round_number = :number "
            "AND participant_id NOT IN (SELECT id FROM contest_participants WHERE contest_id = :contest "
            "AND excluded_at IS NOT NULL) ORDER BY score DESC, prediction_error, duration_seconds, finished_at, "
            "attempt_id, participant_id LIMIT 100").bindparams(contest=contest.id, number=number)
            for number in (0, 1, 2)}
        checks = [("round_board(week 1, closed)", lambda: boards.round_board(week1)),
                  ("round_board(week 2, open)", lambda: boards.round_board(week2)),
                  ("overall_board", lambda: boards.overall_board(contest)),
                  ("ranking week 1, every attempt sorted (before; frozen boards)",
                   lambda: boards.ranked_round(week1, tie, limit=100)),
                  ("ranking week 1, from the standings (after)", lambda: boards.standing_round(week1, limit=100)),
                  ("ranking week 1, hand-written SQL on the standings (floor)",
                   lambda: db.session.execute(floor_sql[1]).all()),
                  ("ranking week 2, every attempt sorted (before)",
                   lambda: boards.ranked_round(week2, tie, limit=100)),
                  ("ranking week 2, from the standings (after)", lambda: boards.standing_round(week2, limit=100)),
                  ("ranking week 2, hand-written SQL (floor)", lambda: db.session.execute(floor_sql[2]).all()),
                  ("ranking overall, every attempt sorted (before)",
                   lambda: boards.ranked_overall(contest, tie, limit=100)),
                  ("ranking overall, from the standings (after)",
                   lambda: boards.standing_overall(contest, limit=100)),
                  ("ranking overall, hand-written SQL (floor)", lambda: db.session.execute(floor_sql[0]).all()),
                  ("counters", lambda: boards.counters(contest)),
                  ("collective", lambda: collective_results.collective(contest))]
        for label, call in checks:
            cold, cold_statements = timed(call, repeat, boards.forget_cache)
            warm, warm_statements = timed(call, repeat)
            rows.append((label, cold, cold_statements, warm, warm_statements))
        for contest_round in (week1, week2):
            assert boards.standing_round(contest_round) == boards.ranked_round(contest_round, tie), "round differs"
        assert boards.standing_overall(contest) == boards.ranked_overall(contest, tie), "overall differs"
        print("  standings and the full ranking agree on every line of both rounds and overall")
        jury_checks = [("jury ranking week 1, in Python (before)", lambda: jury_rows_before(week1)),
                ("the real figure of week 1 set again (the round and overall recounted)",
                 lambda: jury.set_actual_figure(week1, 104321, None)),
                ("jury ranking week 1, streamed from the standings (after)",
                 lambda: sum(1 for _ in jury.jury_rows(week1))),
                ("jury workbook week 1 (after)", lambda: sum(map(len, jury.jury_workbook(week1)))),
                ("prizes planned for week 1, 11 a division (from the standings)",
                 lambda: prizes.plan(contest, week1, {d.id: prizes.DEFAULT_COUNTS for d in contest.divisions}))]
        for label, call in jury_checks:
            try:
                cpu = time.process_time()
                cold, cold_statements = timed(call, 1, boards.forget_cache)
                label += f" (CPU of this process {time.process_time() - cpu:.1f} s)"
            except Exception as error:  # noqa: BLE001 -- the old jury code cannot run at this size
                db.session.rollback()
                print(f"  {label}: fails: {str(error).splitlines()[0][:160]}")
                continue
            rows.append((label, cold, cold_statements, float("nan"), 0))
        db.session.commit()
        lines = boards.round_board(week1)
        print(f"  week 1 board: {len(lines)} lines; first {lines[0]}; last {lines[-1]}")
        db.session.remove()

    user_id = info["participant_user_id"]
    cookie = mint_cookies(app, [user_id])[0]
    from flask import g

    @app.before_request
    def _forget_cached_user():
        # The test clients share this app context, and with it `g`, where Flask-Login keeps the user.
        g.pop("_login_user", None)
    with app.app_context():
        anonymous = app.test_client()
        member = app.test_client()
        for client in (anonymous, member):
            client.environ_base.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT})
        member.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie, domain="localhost")

        def get(client, path, expect_text):
            def call():
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                assert expect_text in response.get_data(as_text=True), (path, expect_text)
            return call
        pages = [("GET landing, anonymous", get(anonymous, f"/contests/{SLUG}", "Chưa có tài khoản")),
                 ("GET landing, a participant", get(member, f"/contests/{SLUG}", "Bạn dự thi với tên")),
                 ("GET /leaderboard (overall)", get(anonymous, f"/contests/{SLUG}/leaderboard", "Bảng xếp hạng chung")),
                 ("GET /leaderboard?round=1", get(anonymous, f"/contests/{SLUG}/leaderboard?round=1", "tuần 1"))]
        from contests import boards
        for label, call in pages:
            cold, cold_statements = timed(call, repeat, boards.forget_cache)
            warm, warm_statements = timed(call, repeat)
            rows.append((label, cold, cold_statements, warm, warm_statements))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--nice", type=int, default=0,
                        help="run this process and the database's backends at this priority (e.g. -10, root only)")
    args = parser.parse_args()
    NICE.update(value=args.nice, database=args.database_url.rsplit("/", 1)[1])
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("the bulk load is PostgreSQL SQL (generate_series): give a PostgreSQL --database-url")
    app = make_app(args.database_url, "leaderboard-bench-" + "k" * 40)
    started = time.perf_counter()
    info = build_contest(app, 0, closed_round=True)
    counts = fill(app, info, args.participants)
    from sqlalchemy import text

    from core.extensions import db
    with app.app_context():
        info["participant_user_id"] = db.session.execute(text(
            "SELECT p.user_id FROM contest_participants p WHERE p.excluded_at IS NULL ORDER BY p.id LIMIT 1")).scalar()
        db.session.remove()
    print(f"built in {time.perf_counter() - started:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    print(f"standings filled from every attempt (what the revision does) in {info['standings_fill_s']:.1f} s")
    measure(app, info, args.repeat)


if __name__ == "__main__":
    main()
