"""Checks that hold only if the app keeps no state of its own in a process: one person's
requests answered by two app servers in turn. Used by bench/topology.py (nginx, two servers,
a wave) and by tests/test_deploy_servers.py (two servers, no nginx).

Each check takes the two servers' base URLs and talks to them with `Browser`, which keeps
its cookies itself (they are Secure in production and these servers speak plain HTTP on
loopback, where nginx would have ended TLS) and follows no redirect.
"""
import http.client
import json
import re
import urllib.parse
from http.cookies import SimpleCookie

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
DATA_CSRF_RE = re.compile(r'data-csrf="([^"]+)"')
QUESTION_RE = re.compile(r'data-question="(\w+)"')
CHOICE_RE = re.compile(r'type="(?:radio|checkbox)"\s+name="choice-(\w+)" id="\w+" value="(\w+)"')
USER_AGENT = "Mozilla/5.0 (Linux; Android 12; hoctap-topology) Mobile"


class CheckFailed(AssertionError):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


class Browser:
    def __init__(self, address: str = "127.0.0.1"):
        self.cookies: dict[str, str] = {}
        self.address = address  # sent as X-Forwarded-For: the servers trust one proxy

    def call(self, base: str, method: str, path: str, form: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict, bytes]:
        parts = urllib.parse.urlsplit(base)
        sent = {"User-Agent": USER_AGENT, "Connection": "close", "X-Forwarded-For": self.address, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, dict(response.headers), data
        finally:
            connection.close()

    def page(self, base: str, path: str) -> str:
        status, _, data = self.call(base, "GET", path)
        expect(status == 200, f"GET {path} on {base}: {status}")
        return data.decode()

    def log_in(self, form_from: str, post_to: str, identifier: str, password: str) -> int:
        """The login form read from one server and sent to another; returns the POST's status."""
        token = csrf_of(self.page(form_from, "/accounts/login"))
        status, _, _ = self.call(post_to, "POST", "/accounts/login",
                                 {"identifier": identifier, "password": password, "csrf_token": token})
        return status


def csrf_of(page: str) -> str:
    found = CSRF_RE.search(page)
    expect(found is not None, "no csrf_token in the page")
    return found.group(1) or found.group(2)


def alternating_contestant(a: str, b: str, slug: str, round_number: int, identifier: str,
                           password: str) -> int:
    """Login form from B sent to A, start on B, page on A, answers alternating, state on B,
    submit on B, result on A. Returns the attempt id."""
    browser = Browser()
    expect(browser.log_in(b, a, identifier, password) == 302, "login (form from B, sent to A) refused")
    landing = browser.page(a, f"/contests/{slug}")
    status, headers, _ = browser.call(b, "POST", f"/contests/{slug}/rounds/{round_number}/start",
                                      {"csrf_token": csrf_of(landing)})
    location = headers.get("Location", "")
    expect(status == 302 and "/attempts/" in location, f"start on B: {status} {location}")
    path = urllib.parse.urlsplit(location).path
    attempt_id = int(path.rstrip("/").rsplit("/", 1)[1])
    page = browser.page(a, path + "?view=all")  # every question on one page, whatever the round's setting
    choices: dict[str, list[str]] = {}
    for question, choice in CHOICE_RE.findall(page):
        choices.setdefault(question, []).append(choice)
    questions = QUESTION_RE.findall(page)
    expect(len(questions) > 0, "no question on the attempt page")
    token = DATA_CSRF_RE.search(page).group(1)
    for n, question in enumerate(questions):
        status, _, data = browser.call((a, b)[n % 2], "POST", f"{path}/answer",
                                       {"question_id": question, f"choice-{question}": choices[question][0]},
                                       {"Accept": "application/json", "X-CSRFToken": token})
        expect(status == 200 and json.loads(data).get("saved") is True,
               f"answer {n + 1} on {'AB'[n % 2]}: {status} {data[:200]!r}")
    status, _, data = browser.call(b, "GET", f"{path}/state", headers={"Accept": "application/json"})
    expect(status == 200 and json.loads(data)["status"] == "in_progress", f"state on B: {status} {data[:200]!r}")
    status, headers, _ = browser.call(b, "POST", f"/contests/attempts/{attempt_id}/submit",
                                      {"csrf_token": csrf_of(page), "prediction": "1234"})
    expect(status == 302 and "/result" in headers.get("Location", ""), f"submit on B: {status}")
    expect("câu đúng" in browser.page(a, f"{path}/result"), "the result page on A shows no score")
    return attempt_id


def lockout_across(a: str, b: str, identifier: str, password: str, wrong_tries: int = 5) -> None:
    """Wrong passwords for one account, alternately on A and B, from different addresses: once
    the account's limit is used up on the two servers together, the right password is refused on
    both (HTTP 429). Counted per server, neither would have reached the limit."""
    for n in range(wrong_tries):
        browser = Browser(address=f"10.99.0.{n + 1}")
        status = browser.log_in((a, b)[n % 2], (a, b)[n % 2], identifier, "not-the-password")
        expect(status == 200, f"wrong password {n + 1} on {'AB'[n % 2]}: {status}, expected the form again")
    for name, server in (("A", a), ("B", b)):
        browser = Browser(address="10.99.1.1")
        status = browser.log_in(server, server, identifier, password)
        expect(status == 429, f"right password after {wrong_tries} wrong ones, on {name}: {status}, expected 429")


def same_certificate(a: str, b: str, identifier: str, password: str, code: str) -> bytes:
    """The certificate drawn by A and by B, each into its own cache: the same bytes."""
    browser = Browser()
    expect(browser.log_in(a, b, identifier, password) == 302, "login for the certificate refused")
    pdfs = []
    for server in (a, b):
        status, _, data = browser.call(server, "GET", f"/certificates/{code}.pdf")
        expect(status == 200 and data.startswith(b"%PDF"), f"certificate on {server}: {status}")
        pdfs.append(data)
    expect(pdfs[0] == pdfs[1], f"A and B drew different PDFs ({len(pdfs[0])} and {len(pdfs[1])} bytes)")
    return pdfs[0]


def logout_everywhere(a: str, b: str, identifier: str, password: str) -> None:
    """Logged in on A, the session works on B; logged out on B, the same cookie fails on A."""
    browser = Browser()
    expect(browser.log_in(a, a, identifier, password) == 302, "login refused")
    kept = dict(browser.cookies)
    expect(browser.call(b, "GET", "/accounts/password")[0] == 200, "the session from A does not work on B")
    page = browser.page(b, "/")
    status, _, _ = browser.call(b, "POST", "/accounts/logout", {"csrf_token": csrf_of(page)})
    expect(status in (302, 303), f"logout on B: {status}")
    browser.cookies = kept  # a captured copy of the cookie from before the logout
    status, headers, _ = browser.call(a, "GET", "/accounts/password")
    expect(status == 302 and "/accounts/login" in headers.get("Location", ""),
           f"the cookie from before the logout still works on A: {status}")


def start_on(server: str, slug: str, round_number: int, identifier: str, password: str,
             device: str | None = None) -> int:
    """Log in and start the round on one server (optionally with a given device cookie)."""
    browser = Browser()
    if device:
        browser.cookies["hoctap_device"] = device
    status = browser.log_in(server, server, identifier, password)
    expect(status == 302, f"login of {identifier} on {server}: {status}")
    landing = browser.page(server, f"/contests/{slug}")
    status, headers, _ = browser.call(server, "POST", f"/contests/{slug}/rounds/{round_number}/start",
                                      {"csrf_token": csrf_of(landing)})
    expect(status == 302 and "/attempts/" in headers.get("Location", ""), f"start for {identifier}: {status}")
    return int(urllib.parse.urlsplit(headers["Location"]).path.rstrip("/").rsplit("/", 1)[1])
