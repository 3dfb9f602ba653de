"""Locust scenario: contestants arriving when a contest round opens.

Driven by bench/contest_opening.py, which builds the database, mints the session cookies,
starts gunicorn and runs

    locust -f bench/locustfile_contest.py --headless -u N -r N/60 --host http://127.0.0.1:PORT --csv PREFIX

with CONTEST_BENCH_DATA naming the JSON file it wrote (contest, cookies, logins) and
CONTEST_BENCH_OUT the file this scenario writes at the end (every request with its start
and duration, every completed attempt). Each locust user is one contestant with a fresh
browser (an empty cookie jar), of one of three kinds, in the shares the data file gives:

- already logged in: the session cookie a registration or login days before left in the
  browser (minted by the driver with the app's SECRET_KEY, as attempts.py does);
- logs in: opens the landing page, follows "đăng nhập", types phone or username and the
  password (an Argon2id check on the server), comes back to the landing page;
- registers: opens the landing page, "Đăng ký dự thi", fills the form (a new phone), is
  logged in by the registration and comes back to the landing page.

Then, as a phone's browser does on the real pages: POST start with the CSRF token of the
landing page's form (302 to the attempt), GET the attempt page (all 20 questions on one page,
contest rounds are built so), for each question a think time, and the JSON saves quiz.js makes
(`question_id` and `choice-<id>` for each question chosen since the last save, `X-CSRFToken`,
`Accept: application/json`) every CONTEST_BENCH_SAVE_EVERY seconds (15) while choices wait
(its /state resync every 60 s is skipped while saves come), then the prediction and POST submit
(302) with the answers still waiting, and GET the result page.
Static files are not requested: nginx serves them and a phone has them cached.

Think times (uniform): 2–5 s on the landing page before "Bắt đầu thi", 2–6 s per question
(CONTEST_BENCH_THINK="2,6"), 3–8 s for the prediction, 5–10 s typing a login, 15–30 s filling
the registration form. Every request says `Connection: close`, as nginx in front of gunicorn
does (proxy_http_version 1.0), so no keep-alive socket is reused after gunicorn dropped it.

With CONTEST_BENCH_FORWARDED_FOR=1 each contestant sends X-Forwarded-For with an address of
its own (10.x.y.z), which bench/topology.py's nginx takes as the client's: the rate limits
stay on there, and they count per address and per person as in production.

With CONTEST_BENCH_LOOP=1 a user plays contestant after contestant (each with a fresh
browser and identity) until the run time ends: the sustained mode. Otherwise each user
plays one contestant and the run ends when all N have finished.
"""
import json
import os
import random
import re
import time
import urllib.parse
from http.cookiejar import Cookie, DefaultCookiePolicy
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task

DATA = json.loads(Path(os.environ["CONTEST_BENCH_DATA"]).read_text())
OUT = os.environ.get("CONTEST_BENCH_OUT")
LOOP = os.environ.get("CONTEST_BENCH_LOOP") == "1"
FORWARDED_FOR = os.environ.get("CONTEST_BENCH_FORWARDED_FOR") == "1"
THINK_QUESTION = tuple(float(x) for x in os.environ.get("CONTEST_BENCH_THINK", "2,6").split(","))
THINK_LANDING, THINK_PREDICTION, THINK_LOGIN, THINK_REGISTER = (2, 5), (3, 8), (5, 10), (15, 30)
SAVE_EVERY = float(os.environ.get("CONTEST_BENCH_SAVE_EVERY", "15"))  # config.QUIZ_SAVE_EVERY_SECONDS
USER_AGENT = DATA["user_agent"]  # the one the cookies were minted for (Flask-Login's session id)
SLUG = DATA["slug"]
LANDING = f"/contests/{SLUG}"
START = f"/contests/{SLUG}/rounds/{DATA['round']}/start"

QUESTION_RE = re.compile(r'data-question="(\w+)"')
CHOICE_RE = re.compile(r'type="(radio|checkbox)"\s+name="choice-(\w+)" id="\w+" value="(\w+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
DATA_CSRF_RE = re.compile(r'data-csrf="([^"]+)"')

# What this process saw, written to OUT when locust quits.
requests_seen: list[tuple] = []       # (name, start epoch s, ms, ok)
completed: list[float] = []           # epoch s of each result page after a submit
arrivals: list[tuple] = []            # (kind, epoch s the contestant opened the landing page, start epoch s or None)
failures: list[str] = []
state = {"contestants": 0, "done": 0, "cookie": 0, "login": 0, "register": 0}


@events.request.add_listener
def on_request(request_type, name, response_time, response_length, exception=None, start_time=None, **_):
    requests_seen.append((name, start_time, response_time, exception is None))


@events.quitting.add_listener
def on_quitting(environment, **_):
    if OUT:
        Path(OUT).write_text(json.dumps({"requests": requests_seen, "completed": completed, "arrivals": arrivals,
                                         "failures": failures[:50], "state": state}))


class Failed(Exception):
    pass


def flow_failure(message: str) -> Failed:
    """A page without what the next step needs: recorded as a failed request named "error"."""
    failures.append(message)
    error = Failed(message)
    events.request.fire(request_type="FLOW", name="error", response_time=0, response_length=0, exception=error,
                        context={}, start_time=time.time())
    return error


def csrf_of(page: str) -> str:
    found = CSRF_RE.search(page)
    if not found:
        raise flow_failure("no csrf_token in the page")
    return found.group(1) or found.group(2)


def parse_paper(page: str) -> list[tuple[str, list[str]]]:
    choices: dict[str, list[str]] = {}
    for _kind, question_id, choice_id in CHOICE_RE.findall(page):
        choices.setdefault(question_id, []).append(choice_id)
    paper = [(q, choices.get(q, [])) for q in QUESTION_RE.findall(page)]
    if len(paper) != DATA["questions"] or not all(c for _, c in paper):
        raise flow_failure(f"the attempt page shows {len(paper)} questions")
    return paper


def next_kind() -> str:
    """Contestant n's kind: the shares spread evenly over the arrivals (the golden-ratio sequence,
    a fixed pattern with no clumps, not chance)."""
    n = state["contestants"]
    state["contestants"] += 1
    u = (n * 0.6180339887498949) % 1.0
    if u < DATA["register_share"]:
        return "register"
    if u < DATA["register_share"] + DATA["login_share"]:
        return "login"
    return "cookie"


class SecureOverPlainHttp(DefaultCookiePolicy):
    """The app's cookies are Secure (production settings) and this is plain HTTP on loopback,
    where nginx would have ended TLS: send them all the same, as the browser does over HTTPS."""

    def return_ok_secure(self, cookie, request):
        return True


class Contestant(FastHttpUser):
    wait_time = constant(0)
    connection_timeout = 60.0
    network_timeout = 120.0
    default_headers = {"User-Agent": USER_AGENT, "Connection": "close"}

    def think(self, bounds) -> None:
        gevent.sleep(self.rng.uniform(*bounds))

    def call(self, name: str, method: str, path: str, *, form: dict | None = None, headers: dict | None = None,
             expect: int = 200, location: str | None = None, contains: bytes | None = None):
        sent = dict(headers or {})
        if FORWARDED_FOR:
            sent["X-Forwarded-For"] = self.address
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)  # question_id repeats in a save
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(method, path, name=name, data=body, headers=sent, allow_redirects=False,
                                 catch_response=True) as response:
            problem = None
            if response.status_code != expect:
                problem = f"{name}: {response.status_code} (expected {expect}) {path}"
            elif location is not None and location not in (response.headers.get("Location") or ""):
                problem = f"{name}: redirected to {response.headers.get('Location')!r}, expected {location!r}"
            elif contains is not None and contains not in (response.content or b""):
                problem = f"{name}: {contains!r} not in the answer: {(response.content or b'')[:200]!r}"
            if problem:
                response.failure(problem)
                failures.append(problem)
                raise Failed(problem)
            response.success()
            return response

    def answer_form(self, paper, indices: list[int]) -> dict:
        """The fields quiz.js sends for these questions, one choice each (contest_opening.answer_form)."""
        form: dict = {"question_id": [paper[i][0] for i in indices]}
        for i in indices:
            form[f"choice-{paper[i][0]}"] = self.rng.choice(paper[i][1])
        return form

    def fresh_browser(self, cookie: str | None) -> None:
        self.client.cookiejar.clear()
        if cookie:
            self.client.cookiejar.set_cookie(Cookie(
                0, DATA["cookie_name"], cookie, None, False, "127.0.0.1", False, False, "/", True, True, None,
                True, None, None, {"HttpOnly": None}))

    def on_start(self) -> None:
        self.rng = random.Random()
        self.client.cookiejar.set_policy(SecureOverPlainHttp())

    @task
    def contestant(self) -> None:
        while True:
            try:
                self.play()
            except Failed:
                pass
            except Exception as error:  # noqa: BLE001 - counted as a failure, not a crash of the run
                flow_failure(f"{type(error).__name__}: {error}")
            state["done"] += 1
            if not LOOP:
                break
        if state["done"] >= self.environment.parsed_options.num_users:
            gevent.spawn_later(0.5, self.environment.runner.quit)
        # Stay, idle: a user that stopped during the ramp would be replaced by a new one.
        while True:
            gevent.sleep(3600)

    def play(self) -> None:
        kind = next_kind()
        serial = state[kind]  # taken now: the requests below let other users run
        state[kind] += 1
        arrived = time.time()
        arrival = [kind, arrived, None]
        n = state["contestants"]
        self.address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        arrivals.append(arrival)
        if kind == "cookie":
            self.fresh_browser(DATA["cookies"][serial % len(DATA["cookies"])])
        else:
            self.fresh_browser(None)
        landing = self.call("landing", "GET", LANDING).text
        if kind == "login":
            identifier = DATA["logins"][serial % len(DATA["logins"])]
            self.think(THINK_LANDING)
            login_path = "/accounts/login?" + urllib.parse.urlencode({"next": LANDING})
            page = self.call("login page", "GET", login_path).text
            self.think(THINK_LOGIN)
            self.call("login", "POST", login_path, expect=302, location=LANDING,
                      form={"identifier": identifier, "password": DATA["password"], "csrf_token": csrf_of(page)})
            landing = self.call("landing", "GET", LANDING).text
        elif kind == "register":
            serial += DATA["register_from"]
            self.think(THINK_LANDING)
            page = self.call("register page", "GET", LANDING + "/register").text
            self.think(THINK_REGISTER)
            unit = self.rng.choice(DATA["unit_codes"]) if self.rng.random() < 0.5 else ""
            password = f"du-thi-{serial}"
            self.call("register", "POST", LANDING + "/register", expect=302, location=LANDING, form={
                "full_name": f"Người Lao Động {serial}", "birth_year": str(self.rng.randint(1965, 2004)),
                "phone": f"0{DATA['register_prefix']}{serial:07d}", "unit_code": unit,
                "workplace": "" if unit else "Công ty May Lai Châu", "citizen_id": "", "password": password,
                "confirm": password, "csrf_token": csrf_of(page)})
            landing = self.call("landing", "GET", LANDING).text
        self.think(THINK_LANDING)
        response = self.call("start", "POST", START, form={"csrf_token": csrf_of(landing)}, expect=302,
                             location="/attempts/")
        arrival[2] = time.time()
        path = urllib.parse.urlsplit(response.headers["Location"]).path
        page = self.call("page", "GET", path).text
        paper = parse_paper(page)
        token = DATA_CSRF_RE.search(page).group(1)
        headers = {"Accept": "application/json", "X-CSRFToken": token}
        waiting: list[int] = []  # chosen, not sent yet
        due = None  # quiz.js: the first choice waiting starts a SAVE_EVERY timer; its save takes them all

        def think_then_save_when_due(bounds) -> None:
            nonlocal waiting, due
            done = time.monotonic() + self.rng.uniform(*bounds)
            if due is not None and due <= done:
                gevent.sleep(max(0.0, due - time.monotonic()))
                self.call("answer", "POST", path + "/answer", headers=headers, contains=b'"saved":true',
                          form=self.answer_form(paper, waiting))
                waiting, due = [], None
            gevent.sleep(max(0.0, done - time.monotonic()))

        for index in range(len(paper)):
            think_then_save_when_due(THINK_QUESTION)
            waiting.append(index)
            due = due or time.monotonic() + SAVE_EVERY
        think_then_save_when_due(THINK_PREDICTION)
        attempt_id = path.rstrip("/").rsplit("/", 1)[1]
        self.call("submit", "POST", f"/contests/attempts/{attempt_id}/submit", expect=302, location="/result",
                  form={"csrf_token": csrf_of(page), "prediction": str(self.rng.randint(500, 50000)),
                        **self.answer_form(paper, waiting)})  # the hand-in carries those still waiting
        self.call("result", "GET", path + "/result", contains="câu đúng".encode())
        completed.append(time.time())
