"""Two app servers, one database, one Redis: nothing a person does depends on which server answers.

Each server is gunicorn with its own instance folder (settings.env, secret_key, certificate
cache), as if on its own machine; the checks are those of bench/topology.py, without nginx and
without the wave (bench/crossserver.py).
"""
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from certificates import services as certificates
from certificates.models import Issuer
from contests import flags, registration
from contests import services as contests
from contests.models import Contest, Division
from core.clock import utcnow
from core.extensions import db
from learning import content, editing
from learning import topics as learning_topics
from quizzes.models import Attempt, TopicCompletion
from tests.factories import PASSWORD, make_member, make_user
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import crossserver  # noqa: E402  (bench/ is not a package)

REDIS = "redis://127.0.0.1:6379/3"
pytestmark = [pytest.mark.subprocess, pytest.mark.slow]


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def contest(world):
    content.sync(ROOT / "content")
    bank = editing.clone_topic(learning_topics.get_topic("ket-luan-01-kl-tw"), "ngan-hang", "Ngân hàng thi", 2022)
    contest = Contest(slug="thi-hai-may", title="Cuộc thi trên hai máy chủ", organiser_unit=world.province,
                      audience_unit=world.province, bank=bank, published=True)
    db.session.add(contest)
    db.session.add(Division(contest=contest, name="Bảng A", position=1))
    now = utcnow()
    contests.add_round(contest, 1, now - timedelta(hours=1), now + timedelta(days=6), question_count=6)
    db.session.commit()
    return contest


@pytest.fixture
def people(contest, world):
    """Four members with accounts who joined the contest; the first holds a certificate."""
    found = []
    for n in range(4):
        member = make_member(world.grassroots_a, f"Người Thi Số {n}", phone=f"091300000{n}")
        member.user = make_user(f"thisinh{n}", full_name=member.full_name)
        registration.join_as_member(contest, member.user, member)
        found.append(member)
    db.session.add(Issuer(unit_id=world.province.id, body_lines="LIÊN ĐOÀN LAO ĐỘNG TỈNH THỬ", place="Lai Châu",
                          signer_title="TM. BAN THƯỜNG VỤ\nCHỦ TỊCH", signer_name="Nguyễn Văn An"))
    completion = TopicCompletion(member_id=found[0].id, topic_id=learning_topics.get_topic("chuyen-de-2022").id,
                                 percent=90.0, completed_at=utcnow())
    db.session.add(completion)
    db.session.flush()
    certificates.issue_for_completion(completion)
    db.session.commit()
    return found


@pytest.fixture
def two_servers(app, tmp_path):
    """Servers A and B: gunicorn, each reading only its own instance folder."""
    if not _redis_answers():
        pytest.skip("Redis does not answer on 127.0.0.1:6379 (the limits are shared through it)")
    secret_key = secrets.token_hex(32)
    prefix = f"test-servers-{secrets.token_hex(4)}"
    servers, urls, logs = [], [], []
    try:
        for name in ("a", "b"):
            instance = tmp_path / f"server-{name}" / "instance"
            instance.mkdir(parents=True)
            (instance / "secret_key").write_text(secret_key)
            (instance / "settings.env").write_text(
                f"DATABASE_URL={app.config['SQLALCHEMY_DATABASE_URI']}\nRATELIMIT_STORAGE_URI={REDIS}\n"
                f"RATELIMIT_KEY_PREFIX={prefix}\nPUBLIC_BASE_URL=https://hoctap.example.vn\nPROXY_COUNT=1\n")
            port = free_port()
            logs.append((tmp_path / f"server-{name}.log").open("wb"))
            environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "HOCTAP_INSTANCE_PATH": str(instance)}
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "2", "--bind", f"127.0.0.1:{port}",
                 "app:create_app()"], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                stderr=logs[-1]))
            urls.append(f"http://127.0.0.1:{port}")
        for url, server in zip(urls, servers, strict=True):
            for _ in range(200):
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=5).close()
                    break
                except OSError:
                    assert server.poll() is None, (tmp_path / "server-a.log").read_text()[-2000:]
                    time.sleep(0.1)
        yield urls, tmp_path
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        for log in logs:
            log.close()
        import redis
        connection = redis.Redis.from_url(REDIS)
        for key in connection.scan_iter(f"*/{prefix}/*"):  # LIMITS:LIMITER/<prefix>/...
            connection.delete(key)
        connection.close()


def test_one_contestant_answered_by_two_servers_in_turn(two_servers, contest, people):
    (a, b), _ = two_servers
    attempt_id = crossserver.alternating_contestant(a, b, contest.slug, 1, "thisinh1", PASSWORD)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and len(attempt.answers) == 6
    assert contests.entry_for(attempt).prediction == 1234


def test_a_lockout_is_counted_across_both_servers(two_servers, people):
    (a, b), _ = two_servers
    crossserver.lockout_across(a, b, "thisinh2", PASSWORD)


def test_both_servers_draw_the_same_certificate_each_into_its_own_cache(two_servers, people):
    (a, b), folder = two_servers
    code = certificates.of_member(people[0])[0].code
    crossserver.same_certificate(a, b, "thisinh0", PASSWORD, code)
    for name in ("a", "b"):
        assert len(list((folder / f"server-{name}" / "instance" / "certificates").glob("*.pdf"))) == 1


def test_a_logout_on_one_server_ends_the_session_on_the_other(two_servers, people):
    (a, b), _ = two_servers
    crossserver.logout_everywhere(a, b, "thisinh3", PASSWORD)


def test_one_device_on_both_servers_is_flagged_and_the_sweep_runs_on_both(two_servers, contest, people, app):
    (a, b), folder = two_servers
    device = secrets.token_urlsafe(16)
    first = crossserver.start_on(a, contest.slug, 1, "thisinh1", PASSWORD, device=device)
    second = crossserver.start_on(b, contest.slug, 1, "thisinh2", PASSWORD, device=device)
    db.session.expire_all()
    assert [len(device.participants) for device in flags.shared_devices(contest)] == [2]

    deadline = utcnow() - timedelta(minutes=1)
    for attempt_id in (first, second):
        attempt = db.session.get(Attempt, attempt_id)
        attempt.started_at, attempt.deadline = deadline - timedelta(minutes=20), deadline
    db.session.commit()
    sweeps = [subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "app", "quizzes", "close-expired"],
                               cwd=ROOT, env={"PATH": os.environ["PATH"], "HOME": str(folder),
                                              "HOCTAP_INSTANCE_PATH": str(folder / f"server-{name}" / "instance")},
                               stdout=subprocess.PIPE, text=True) for name in ("a", "b")]
    said = [sweep.communicate(timeout=60)[0] for sweep in sweeps]
    assert all(sweep.returncode == 0 for sweep in sweeps), said
    if db.engine.dialect.name == "postgresql":  # SQLite has no row locks: its sweeps take turns
        assert sum(int(re.search(r"\d+", line).group()) for line in said) == 2, said
    db.session.expire_all()
    for attempt_id in (first, second):
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "expired"
        assert attempt.finished_at.replace(microsecond=0) == deadline.replace(microsecond=0)


def test_with_redis_out_of_reach_logins_still_work_and_are_still_limited(world, tmp_path):
    """Each worker counts in its own memory while the shared counters cannot be reached."""
    from app import create_app
    server = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db.engine.url.render_as_string(False),
                         "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                         "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens there
                         "CERTIFICATE_CACHE": str(tmp_path)})
    client = server.test_client()
    assert client.post("/accounts/login", data={"identifier": "member", "password": PASSWORD}).status_code == 302
    other = server.test_client()
    statuses = [other.post("/accounts/login", data={"identifier": "tinh", "password": "sai-mat-khau"}).status_code
                for _ in range(6)]
    assert statuses == [200] * 5 + [429]
