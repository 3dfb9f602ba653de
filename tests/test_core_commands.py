"""The README's command line works as written in a new terminal after `make run` (issue 16, item 6).

Runs in a copy of the repository: `make run` in the background, then every command of the
README's *Command line* block in a fresh environment with no SECRET_KEY, no HOCTAP_ENV and no
DATABASE_URL, as a newcomer's second terminal has. Slow (a minute or two): `-m "not subprocess"`
leaves it out of a quick loop. Each command's help is read in this process instead, which saves the
seconds a flask process spends importing the app.
"""
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
FLASK = [".venv/bin/flask", "--app", "app"]


def _readme_commands() -> set[str]:
    """The command names (`units import`, `seed-demo`) of the README's *Command line* block."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Command line", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    names = set()
    for line in block.splitlines():
        if line.startswith(".venv/bin/flask --app app "):
            words = line.split("#")[0].split()[3:]
            names.add(" ".join(w for w in words[:2] if re.fullmatch(r"[a-z][a-z-]*", w)))
    return names


def _copy_of_the_repository(target: Path) -> Path:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source, copy = ROOT / name, target / name
        if source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)  # mtimes kept: make sees the shared .venv as up to date
    (target / ".venv").symlink_to((ROOT / ".venv").resolve())
    return target


def _newcomer_environment() -> dict[str, str]:
    unset = {"SECRET_KEY", "HOCTAP_ENV", "DATABASE_URL", "TEST_DATABASE_URL", "PUBLIC_BASE_URL", "FLASK_DEBUG",
             "FLASK_APP", "RATELIMIT_STORAGE_URI", "CERTIFICATE_CACHE", "STORY_PHOTO_DIR", "PORT", "HOST"}
    return {name: value for name, value in os.environ.items() if name not in unset}


def _wait_for(url: str, server: subprocess.Popen) -> None:
    while server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"make run stopped with exit code {server.returncode}")


@pytest.fixture(scope="module")
def after_make_run(tmp_path_factory):
    """A copy of the repository in which `make run` has set everything up and is serving."""
    repo = _copy_of_the_repository(tmp_path_factory.mktemp("repo"))
    port = free_port()
    log = (repo / "make-run.log").open("w")
    server = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=repo, env=_newcomer_environment(),
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        yield repo
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        log.close()


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(FLASK + list(args), cwd=repo, env=_newcomer_environment(), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)


@pytest.mark.subprocess
def test_every_readme_command_works_as_written_in_a_second_terminal(after_make_run, tmp_path):
    repo = after_make_run
    units_file = tmp_path / "don-vi.csv"
    units_file.write_text("Mã đơn vị,Tên đơn vị,Loại,Mã đơn vị cấp trên\n"
                          "CDCS-TD-MOI,Công đoàn cơ sở Trường Mầm non Bình Lư,grassroots,LDLD-TD\n", encoding="utf-8")
    members_file = tmp_path / "doan-vien.csv"
    members_file.write_text("Họ và tên,Số điện thoại\nTòng Văn Ún,0916000001\n", encoding="utf-8")
    runs = {
        "db upgrade": [],
        "seed-demo": [],  # needs make run's development environment and its database, already seeded
        "users create-admin": ["quantri", "--generate"],
        "backup": [str(tmp_path / "copy.db")],
        "units import": [str(units_file), "--dry-run"],
        "members import": [str(members_file), "--unit", "CDCS-TD-THCS", "--dry-run"],
        "content sync": [],
        "content check": [],
        "quizzes close-expired": [],
        "certificates export": ["--unit", "CDCS-TD-THCS", "--out", str(tmp_path / "gcn.zip")],
        "api-token create": ["tinh"],  # the demo officer: found only in make run's database
        "reports rebuild-progress": ["--topic", "chuyen-de-2022"],
    }
    assert _readme_commands() == set(runs), "a README command without a run here, or the reverse"

    assert _run(repo, "--help").returncode == 0
    for name, arguments in runs.items():
        done = _run(repo, *name.split(), *arguments)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (name, done.stdout, done.stderr)
    assert (tmp_path / "copy.db").stat().st_size > 0 and (tmp_path / "gcn.zip").stat().st_size > 0


@pytest.mark.parametrize("name", sorted(_readme_commands()))
def test_every_readme_command_explains_itself(runner, name):
    # In this process: the help is the same code in another terminal, and each command there costs
    # seconds of imports.
    helped = runner.invoke(args=[*name.split(), "--help"])
    assert helped.exit_code == 0 and "Usage:" in helped.output and helped.exception is None, (name, helped.output)


@pytest.mark.subprocess
def test_a_missing_key_is_one_line_not_a_traceback(tmp_path):
    repo = _copy_of_the_repository(tmp_path / "repo")  # never ran make run: no instance/secret_key
    refused = _run(repo, "members", "import", "--help")
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0 and "SECRET_KEY" in refused.stderr, refused.stderr
