"""Benchmark: rendering certificates, and a unit's 1,000 certificates as one zip.

    .venv/bin/python bench/certificates.py [--count 1000]

On a fresh SQLite database with the demo data, issues ``count`` completion certificates
to members of one grassroots union (long Vietnamese names included), then renders 200 of
them (each a different holder) with today's renderer (fonts cut down to Vietnamese) and
with the one before it (the whole font files,
no line counts kept from one document to the next),
interleaved in one run, checks that both give the same bytes, and prints the median and
p95 of each, wall clock and CPU. Then the time and peak memory to write the unit's zip
through the same streaming code the web download and `flask certificates export` use:
once drawing every PDF, once reading them from the cache.
"""
import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hoctap-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    os.environ["DATABASE_URL"] = url

    from app import create_app
    from certificates import services
    from certificates.models import Certificate
    from core.extensions import db
    from learning import topics as learning_topics
    from quizzes.models import TopicCompletion
    from units import tree as unit_tree
    from units.models import Member

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        seeding = app.test_cli_runner().invoke(args=["seed-demo", "--force"])
        assert seeding.exit_code == 0, seeding.output
        unit = unit_tree.get_unit("CDCS-MT-PAVESU")  # the longest unit name of the demo
        topic = learning_topics.get_topic("chuyen-de-2022")
        start = datetime(2022, 3, 1, 2, 0)
        for n in range(args.count):
            member = Member(unit_id=unit.id, full_name=f"Hoàng Thị Phương Thảo Nguyễn Ngọc Diễm {n:04d}",
                            name_folded=f"bench {n}", birth_year=1970 + n % 35)
            db.session.add(member)
            db.session.flush()
            completion = TopicCompletion(member_id=member.id, topic_id=topic.id, percent=90.0,
                                         completed_at=start + timedelta(minutes=n))
            db.session.add(completion)
            db.session.flush()
            services.issue_for_completion(completion)
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        ids = list(db.session.scalars(db.select(Certificate.id).where(Certificate.unit_id == unit.id)
                                      .order_by(Certificate.serial_number)))
        print(f"{len(ids)} certificates for {unit.name}")

        from certificates import pdf
        samples = [services.content(db.session.get(Certificate, id_), "https://hoctap.example.vn")
                   for id_ in ids[:200]]
        pdf.render_pdf(samples[0])  # the cut-down fonts are made once per process (not timed)
        timings = {"before: whole fonts": ([], []), "after: fonts cut to Vietnamese": ([], [])}
        for n, sample in enumerate(samples):
            runs = [("before: whole fonts", True), ("after: fonts cut to Vietnamese", False)]
            outputs = []
            for label, whole in (runs if n % 2 else runs[::-1]):
                if whole:
                    pdf._line_counts.clear()  # the renderer before kept line counts for one document only
                wall, cpu = time.perf_counter(), time.process_time()
                outputs.append(pdf.render_pdf(sample, whole_fonts=whole))
                timings[label][0].append((time.perf_counter() - wall) * 1000)
                timings[label][1].append((time.process_time() - cpu) * 1000)
            assert outputs[0] == outputs[1], f"different bytes for certificate {n}"
        for label, (wall, cpu) in timings.items():
            print(f"one certificate, {label}: median {statistics.median(wall):.1f} ms "
                  f"(CPU {statistics.median(cpu):.1f} ms), p95 {statistics.quantiles(wall, n=20)[-1]:.1f} ms "
                  f"(CPU {statistics.quantiles(cpu, n=20)[-1]:.1f} ms)")
        print(f"{len(samples)} certificates, the same bytes from both; {len(outputs[0]) / 1024:.1f} KB the last")

        cache = workdir / "cache"
        for label in ("first zip, every PDF drawn", "second zip, PDFs from the cache"):
            db.session.expunge_all()
            before = max_rss_mib()
            started = time.perf_counter()
            out = workdir / "unit.zip"
            with out.open("wb") as handle:
                for chunk in services.zip_stream(ids, "https://hoctap.example.vn", cache):
                    handle.write(chunk)
            elapsed = time.perf_counter() - started
            print(f"{label}: {len(ids)} in {elapsed:.1f} s ({elapsed / len(ids) * 1000:.0f} ms each), "
                  f"{out.stat().st_size / 1e6:.1f} MB; peak RSS {before:.0f} MiB before, "
                  f"{max_rss_mib():.0f} MiB after")


if __name__ == "__main__":
    main()
