"""Benchmark: import N members from one .xlsx file, as an officer's upload would.

    .venv/bin/python bench/import_members.py [--rows 100000] [--database-url URL]

Builds a fresh database (SQLite in a temporary directory unless --database-url is
given; that database is emptied first), loads the demo union tree, writes an .xlsx of
N members spread over the grassroots units, then times `import_members` (both passes
and the commit). Peak memory is the process's maximum resident set, read before and
after the import, so the figure includes Python, Flask and SQLAlchemy themselves.
"""
import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vàng", "Lò", "Giàng", "Sùng", "Tòng", "Lù", "Hà"]
MIDDLE = ["Văn", "Thị", "Đức", "Seo", "A", "Thị Thu", "Minh", "Xuân"]
GIVEN = ["Hùng", "Lan", "Chư", "Mỷ", "Páo", "Dung", "Thắng", "Hoa", "Sính", "Mai", "Tuấn", "Xuân"]


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def write_file(path: Path, rows: int, unit_codes: list[str]) -> None:
    rng = random.Random(2022)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Đoàn viên")
    sheet.append(["Họ và tên", "Mã đơn vị", "Số thẻ đoàn viên", "Số điện thoại", "Năm sinh", "Giới tính"])
    for n in range(rows):
        sheet.append([f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                      unit_codes[n % len(unit_codes)], f"BM{n:07d}", f"09{n:08d}",
                      rng.randint(1962, 2004), rng.choice(["Nam", "Nữ"])])
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hoctap-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    os.environ["DATABASE_URL"] = url

    from app import create_app
    from core.extensions import db
    from units import demo as units_demo
    from units import importing
    from units.cli import _AdminActor, _system_actor
    from units.models import Member, Unit, UnitKind

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        units_demo.seed()
        db.session.commit()
        codes = [u.code for u in db.session.scalars(db.select(Unit).join(UnitKind).where(UnitKind.is_grassroots))]
        members_before = db.session.scalar(db.select(db.func.count(Member.id)))

        path = workdir / "members.xlsx"
        started = time.perf_counter()
        write_file(path, args.rows, codes)
        print(f"file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB, "
              f"written in {time.perf_counter() - started:.1f} s")

        db.session.expunge_all()
        rss_before = max_rss_mib()
        started = time.perf_counter()
        result = importing.import_members(path, path.name, _AdminActor(_system_actor()))
        db.session.commit()
        elapsed = time.perf_counter() - started
        rss_after = max_rss_mib()
        members_after = db.session.scalar(db.select(db.func.count(Member.id)))

        assert result.ok, result.errors[:5]
        assert members_after - members_before == args.rows, (members_before, members_after)
        print(f"database: {db.engine.dialect.name}")
        print(f"import: {result.added} added in {elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s)")
        print(f"peak RSS: {rss_before:.0f} MiB before the import, {rss_after:.0f} MiB after "
              f"(+{rss_after - rss_before:.0f} MiB)")


if __name__ == "__main__":
    main()
