"""Screenshots of the product: each demo account's main pages on a phone (390×844) and an office
laptop (1366×768), from a demo instance built for the purpose.

    .venv/bin/python docs/screenshots.py [OUT] [--accounts doanvien,tinh] [--viewports 390,1366] [--port N]

OUT defaults to docs/screenshots/. In a temporary folder (never instance/): a SQLite database
built through the CLI (`db upgrade`, `content sync`, `seed-demo`) with a generated SECRET_KEY and
HOCTAP_ENV=development, then `doanvien`'s progress (staged below, so that the quiz and the
certificate have something to show), then `flask run` on a free port of 127.0.0.1. Each account
logs in through the login form in Chromium (launched as the browser tests launch it); each page
is saved as ACCOUNT-PAGE-WIDTH.png, quantised to 256 colours. The server is stopped at the end,
whatever happens. `public` is the visitor who is not logged in.
"""
import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import CHROMIUM, LAUNCH_ARGS  # noqa: E402  (docs/ is not a package)

PASSWORD = "hoctap2022"
PHONE, LAPTOP = 390, 1366
VIEWPORTS = {PHONE: {"width": 390, "height": 844}, LAPTOP: {"width": 1366, "height": 768}}
CONTEST = "/contests/132-nam-ngay-sinh-bac"
QUIZ_TOPIC = "chuyen-de-toan-khoa-xiii"  # doanvien has studied every lesson of it: the quiz can start


def _start_attempt(page, base: str) -> None:
    """The quiz of QUIZ_TOPIC: start an attempt (or go on with the one started) and answer the first question."""
    page.goto(f"{base}/learn/{QUIZ_TOPIC}/quiz")
    start = page.get_by_role("button", name="Bắt đầu làm bài")
    (start if start.count() else page.get_by_role("link", name="Làm tiếp")).click()
    page.wait_for_url("**/attempts/*")
    page.locator("input.form-check-input").first.check()
    page.wait_for_load_state("networkidle")


@dataclass
class Shot:
    name: str
    path: str | Callable  # a path, or a function(page, base) that gets there
    widths: tuple[int, ...] = (PHONE, LAPTOP)
    full_page: bool = False  # on the phone only: a laptop shot is always one screen
    scroll_to: str | None = None  # a selector brought into view first


HOME = Shot("home", "/")
SHOTS: dict[str, list[Shot]] = {
    "public": [HOME, Shot("contest", CONTEST, full_page=True), Shot("leaderboard", CONTEST + "/leaderboard")],
    "doanvien": [
        HOME,
        Shot("learning", "/learn/", full_page=True),
        Shot("lesson", "/learn/chuyen-de-2022/noi-dung-tai-lieu"),
        Shot("quiz", f"/learn/{QUIZ_TOPIC}/quiz", widths=(PHONE,)),
        Shot("attempt", _start_attempt),
        Shot("certificates", "/certificates/", widths=(PHONE,)),
    ],
    # A lesson not yet studied: the button at its end counts down.
    "doanvien-laocai": [Shot("home", "/", widths=(PHONE,)),
                        Shot("lesson-end", "/learn/ket-luan-01-kl-tw/muc-dich-va-trach-nhiem-neu-guong",
                             widths=(PHONE,), scroll_to="#mark")],
    "tinh": [HOME, Shot("report", "/reports/")],
    "tamduong": [Shot("home", "/", widths=(LAPTOP,))],
    "laocai": [Shot("home", "/", widths=(LAPTOP,))],
    "coso": [HOME, Shot("members", "/units/CDCS-TD-THCS/members", widths=(LAPTOP,)),
             Shot("import", "/units/members/import", widths=(LAPTOP,))],
    "bientap": [HOME, Shot("questions", "/editor/topics/chuyen-de-2022/questions", widths=(LAPTOP,))],
    "bantochuc": [HOME, Shot("organise", CONTEST + "/organise", widths=(LAPTOP,))],
    "admin": [HOME, Shot("accounts", "/accounts/users", widths=(LAPTOP,)),
              Shot("audit", "/admin/audit/", widths=(LAPTOP,))],
}


# -- the demo instance ------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(folder: Path, port: int) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in {"FLASK_DEBUG", "FLASK_APP"}}
    environment.update(SECRET_KEY=secrets.token_hex(32), HOCTAP_ENV="development",
                       DATABASE_URL=f"sqlite:///{folder / 'hoctap.db'}",
                       CERTIFICATE_CACHE=str(folder / "certificates"), STORY_PHOTO_DIR=str(folder / "story-photos"),
                       RATELIMIT_STORAGE_URI="memory://",
                       PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    return environment


def _run(environment: dict[str, str], *command: str) -> None:
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[:4])}… failed:\n{done.stdout}{done.stderr}")


STAGE_MEMBER = f"""
from datetime import timedelta
from accounts.models import User
from app import create_app
from core.clock import utcnow
from core.extensions import db
from learning import studying
from learning import topics as learning_topics
from quizzes import services as quizzes
from units.members import member_for_user

with create_app().app_context():
    user = db.session.scalars(db.select(User).where(User.username == "doanvien")).one()
    member, past = member_for_user(user), utcnow() - timedelta(days=3)
    for slug in ("chuyen-de-2022", "{QUIZ_TOPIC}"):
        for lesson in learning_topics.published_lessons(learning_topics.get_topic(slug)):
            studying.open_lesson(member, lesson, now=past)
            studying.mark_studied(member, lesson, now=past + timedelta(hours=1))
    # The 2022 topic passed with 8 of 10 at the first try: the topic is complete, its certificate issued.
    attempt = quizzes.start_attempt(quizzes.final_quiz(learning_topics.get_topic("chuyen-de-2022")), user, member,
                                    now=past + timedelta(hours=2))
    for entry in attempt.paper[:8]:
        quizzes.save_answer(attempt, entry["id"], entry["correct"], now=past + timedelta(hours=2, minutes=5))
    quizzes.submit(attempt, now=past + timedelta(hours=2, minutes=9))
    db.session.commit()
"""


def build_instance(environment: dict[str, str]) -> None:
    for command in (["db", "upgrade"], ["content", "sync"], ["seed-demo"]):
        _run(environment, str(ROOT / ".venv/bin/flask"), "--app", "app", *command)
    _run(environment, sys.executable, "-c", STAGE_MEMBER)


def _serve(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as output:  # the child keeps its own copy of the file
        server = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "app", "run", "--host", "127.0.0.1",
                                   "--port", str(port)], cwd=ROOT, env=environment, stdout=output,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    while server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server stopped (exit code {server.returncode}):\n{log.read_text()}")


# -- pictures ---------------------------------------------------------------------------

def _optimise(path: Path) -> None:
    """256 colours are plenty for a page of text and flat colours: a third of the bytes or less."""
    from PIL import Image
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def _log_in(page, base: str, account: str) -> None:
    page.goto(base + "/accounts/login")
    page.get_by_label("Tên đăng nhập, số điện thoại hoặc số thẻ đoàn viên").fill(account)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)


def take(browser, base: str, out: Path, accounts: list[str], widths: list[int]) -> list[Path]:
    saved = []
    for account in accounts:
        for width in widths:
            shots = [shot for shot in SHOTS[account] if width in shot.widths]
            if not shots:
                continue
            context = browser.new_context(viewport=VIEWPORTS[width], is_mobile=width == PHONE,
                                          has_touch=width == PHONE, locale="vi-VN",
                                          timezone_id="Asia/Ho_Chi_Minh")
            page = context.new_page()
            page.set_default_timeout(20000)
            if account != "public":
                _log_in(page, base, account)
            for shot in shots:
                if callable(shot.path):
                    shot.path(page, base)
                elif not (response := page.goto(base + shot.path)).ok:  # a page moved: say so, no picture of a 404
                    raise SystemExit(f"{account}: {shot.path} answered HTTP {response.status}")
                if shot.scroll_to:
                    page.locator(shot.scroll_to).scroll_into_view_if_needed()
                path = out / f"{account}-{shot.name}-{width}.png"
                page.screenshot(path=str(path), full_page=shot.full_page and width == PHONE, animations="disabled")
                _optimise(path)
                saved.append(path)
            context.close()
    return saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--accounts", default=",".join(SHOTS), help="comma-separated; default: every account")
    parser.add_argument("--viewports", default=f"{PHONE},{LAPTOP}", help="widths, comma-separated")
    parser.add_argument("--port", type=int, default=0, help="the demo server's port; default: a free one")
    args = parser.parse_args(argv)
    accounts = args.accounts.split(",")
    widths = [int(width) for width in args.viewports.split(",")]
    if unknown := [a for a in accounts if a not in SHOTS] + [w for w in widths if w not in VIEWPORTS]:
        parser.error(f"unknown: {', '.join(map(str, unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory(prefix="hoctap-screenshots-") as folder:
        port = args.port or _free_port()
        environment = _environment(Path(folder), port)
        print("Building the demo instance (db upgrade, content sync, seed-demo)…", flush=True)
        build_instance(environment)
        server = _serve(environment, port, Path(folder) / "server.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                saved = take(browser, f"http://127.0.0.1:{port}", args.out, accounts, widths)
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
    print(f"{len(saved)} screenshots in {args.out}")


if __name__ == "__main__":
    main()
