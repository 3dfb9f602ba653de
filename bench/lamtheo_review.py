"""Benchmark: the làm-theo figures of a review (lamtheo.review.figures) for a province of 1,000,000
members and 2,000,000 commitments on PostgreSQL, beside one hand-written SQL statement (the floor).

    .venv/bin/python bench/lamtheo_review.py [--database-url URL] [--members 1000000] [--repeat 7] [--keep]

Creates the database bench_lta (dropped at the end unless --keep), builds the schema with
`db.create_all()`, then generates every row in SQL with generate_series: a province, 30 districts,
9,969 grassroots unions; members spread over them; 0-3 commitments each (2.0 on average) for the
year, about 80 % confirmed and 85 % of those đạt, officers' marked "nêu gương" (one member in 50); plans for
four units in five, a third of them late. VACUUM ANALYZE, then the review's figures of the province
--repeat times in one process (median, max; the first call apart) and the floor the same way,
their totals asserted equal. Prints one line per measure.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEAR = 2024
DISTRICTS, GRASSROOTS = 30, 9_969

LOAD = [
    # Units: province 1, districts 2..31, grassroots 32.. under district 2 + (id % 30).
    """INSERT INTO units (id, code, name, name_folded, kind_id, parent_id, path, depth, status, created_at)
       SELECT 1, 'P', 'Liên đoàn Lao động tỉnh Thử', 'lien doan lao dong tinh thu',
              (SELECT id FROM unit_kinds WHERE code = 'province'), NULL, '/1/', 0, 'active', now()""",
    """INSERT INTO units (id, code, name, name_folded, kind_id, parent_id, path, depth, status, created_at)
       SELECT d, 'D' || d, 'Liên đoàn Lao động huyện ' || d, 'lien doan lao dong huyen ' || d,
              (SELECT id FROM unit_kinds WHERE code = 'district'), 1, '/1/' || d || '/', 1, 'active', now()
       FROM generate_series(2, :districts + 1) AS d""",
    """INSERT INTO units (id, code, name, name_folded, kind_id, parent_id, path, depth, status, created_at)
       SELECT g, 'G' || g, 'Công đoàn cơ sở ' || g, 'cong doan co so ' || g,
              (SELECT id FROM unit_kinds WHERE code = 'grassroots'), 2 + g % :districts,
              '/1/' || (2 + g % :districts) || '/' || g || '/', 2, 'active', now()
       FROM generate_series(:districts + 2, :districts + 1 + :grassroots) AS g""",
    # Members: uneven unions (a few large enterprises, many small schools) through a skewed pick.
    """INSERT INTO members (id, unit_id, full_name, name_folded, status, created_at, updated_at)
       SELECT m, :districts + 2 + (floor(:grassroots * power(((m::bigint * 7919) % 1000003) / 1000003.0, 2)))::int,
              'Đoàn viên ' || m, 'doan vien ' || m, 'active', now(), now()
       FROM generate_series(1, :members) AS m""",
    # 0-3 commitments per member, 2.0 on average; ~80 % confirmed, of them ~85 % đạt.
    """INSERT INTO lamtheo_commitments (member_id, unit_id, year, position, text, exemplary, self_assessment,
                                       result, result_comment, created_at)
       SELECT m.id, m.unit_id, :year, k, 'Việc ' || k, m.id % 50 = 0, '',
              CASE WHEN (m.id + k) % 10 >= 8 THEN NULL WHEN (m.id * 31 + k) % 20 < 3 THEN 'chua_dat' ELSE 'dat' END,
              '', now()
       FROM members m
       CROSS JOIN LATERAL generate_series(1, (ARRAY[0, 1, 2, 3, 3, 2, 2, 3, 2, 2])[m.id % 10 + 1]) AS k""",
    # Plans: four units in five; one in three of them after the due day.
    """INSERT INTO lamtheo_plans (unit_id, year, is_term, issues, actions, responsible, filed_at, updated_at)
       SELECT id, :year, false, 'Giờ giấc', 'Chấm công', '',
              CASE WHEN id % 3 = 0 THEN timestamp '2024-04-20' ELSE timestamp '2024-03-01' END, now()
       FROM units WHERE id % 5 <> 0""",
]

FLOOR = """
WITH per_unit AS (
    SELECT c.unit_id, count(*) AS n, count(*) FILTER (WHERE c.position = 1) AS committed,
           count(*) FILTER (WHERE c.position = 1 AND c.exemplary) AS officers,
           count(c.result) AS confirmed, count(*) FILTER (WHERE c.result = 'dat') AS passed
    FROM lamtheo_commitments c WHERE c.year = :year GROUP BY c.unit_id),
per_child AS (
    SELECT split_part(u.path, '/', 3) AS child, sum(n) AS commitments, sum(committed) AS committed,
           sum(officers) AS officers, sum(confirmed) AS confirmed, sum(passed) AS passed
    FROM per_unit p JOIN units u ON u.id = p.unit_id WHERE u.path LIKE '/1/%' GROUP BY 1),
plans AS (
    SELECT split_part(u.path, '/', 3) AS child, count(*) AS filed,
           count(*) FILTER (WHERE (p.filed_at AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                                  <= date '2024-03-31') AS on_time
    FROM lamtheo_plans p JOIN units u ON u.id = p.unit_id
    WHERE u.path LIKE '/1/%' AND p.year = :year AND NOT p.is_term GROUP BY 1)
SELECT coalesce(c.child, p.child), c.commitments, c.committed, c.officers, c.confirmed, c.passed, p.filed, p.on_time
FROM per_child c FULL JOIN plans p ON p.child = c.child
"""


def timed(function, repeat: int) -> tuple[float, list[float], object]:
    first_start = time.perf_counter()
    result = function()
    first = time.perf_counter() - first_start
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return first, runs, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://root@127.0.0.1/bench_lta")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database (rerun with --skip-load)")
    parser.add_argument("--skip-load", action="store_true", help="time a database kept by an earlier --keep")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of both")
    args = parser.parse_args()

    import psycopg
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    url = make_url(args.database_url)
    admin_dsn = f"host={url.host} user={url.username} dbname=postgres"
    if not args.skip_load:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{url.database}"')
            connection.execute(f'CREATE DATABASE "{url.database}"')
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    from app import create_app
    from core.extensions import db
    from lamtheo import review
    from lamtheo.models import Review
    from units import kinds as unit_kinds
    from units import tree as unit_tree

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "TESTING": True})
    try:
        with app.app_context():
            start = time.perf_counter()
            if not args.skip_load:
                db.create_all()
                unit_kinds.ensure_default_kinds()
                db.session.commit()
                params = {"districts": DISTRICTS, "grassroots": GRASSROOTS, "members": args.members, "year": YEAR}
                for statement in LOAD:
                    db.session.execute(text(statement), params)
                db.session.execute(text("SELECT setval('units_id_seq', (SELECT max(id) FROM units))"))
                db.session.commit()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE"))
            counts = db.session.execute(text(
                "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM lamtheo_commitments), "
                "(SELECT count(*) FROM units)")).one()
            print(f"load: {time.perf_counter() - start:.1f} s; {counts[0]:,} members, {counts[1]:,} commitments, "
                  f"{counts[2]:,} units")

            province = unit_tree.get_unit("P")

            def app_figures():
                result = review.figures(province, YEAR)
                db.session.rollback()  # SET LOCAL of _tune_for_reporting ends with the transaction
                return result

            def floor():
                db.session.execute(text("SET LOCAL jit = off"))  # as the app sets it
                rows = db.session.execute(text(FLOOR), {"year": YEAR}).all()
                db.session.rollback()
                return rows

            first, runs, figured = timed(app_figures, args.repeat)
            print(f"app   review.figures(province): first {first * 1000:.0f} ms, median "
                  f"{statistics.median(runs) * 1000:.0f} ms, max {max(runs) * 1000:.0f} ms ({args.repeat} runs)")
            # Everything the review page computes (lamtheo.views.review_page), the figures included.
            def page():
                opened = Review(unit=province, year=YEAR, kind=review.REVIEW_MIDTERM, title="Sơ kết")
                db.session.add(opened)
                db.session.flush()
                result = (review.figures(province, YEAR), review.completion_figures(province, YEAR),
                          review.candidates(opened), review.commendations(opened))
                db.session.rollback()
                return result

            first, runs, _ = timed(page, args.repeat)
            print(f"page  figures + completion + candidates: first {first * 1000:.0f} ms, median "
                  f"{statistics.median(runs) * 1000:.0f} ms, max {max(runs) * 1000:.0f} ms ({args.repeat} runs)")
            first, runs, rows = timed(floor, args.repeat)
            print(f"floor one SQL statement:        first {first * 1000:.0f} ms, median "
                  f"{statistics.median(runs) * 1000:.0f} ms, max {max(runs) * 1000:.0f} ms ({args.repeat} runs)")
            total = figured.total
            floor_total = [sum(int(row[i] or 0) for row in rows) for i in range(1, 8)]
            assert floor_total == [total.commitments, total.committed, total.exemplary, total.confirmed, total.passed,
                                   total.plans_filed, total.plans_on_time], (floor_total, total)
            if args.explain:
                from sqlalchemy import event
                statements = []
                listener = lambda _c, _cur, statement, parameters, _ctx, _many: statements.append(  # noqa: E731
                    (statement, parameters))
                event.listen(db.engine, "before_cursor_execute", listener)
                app_figures()
                event.remove(db.engine, "before_cursor_execute", listener)
                heaviest = next(s for s in statements if "lamtheo_commitments" in s[0])
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("SET jit = off")
                    floor_sql = FLOOR.replace("%", "%%").replace(":year", "%(year)s")
                    for label, (sql, parameters) in (("app", heaviest), ("floor", (floor_sql, {"year": YEAR}))):
                        print(f"-- {label}")
                        for (line,) in connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, parameters):
                            print(line)
            print(f"equal totals: {total.commitments:,} commitments, {total.committed:,} members, "
                  f"{total.passed:,} đạt ({total.passed_share} %), {total.plans_filed:,} plans "
                  f"({total.plans_on_time:,} on time)")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            with psycopg.connect(admin_dsn, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{url.database}"')


if __name__ == "__main__":
    main()
