"""Crafted parameters never crash a page: every GET route of the permission table, as each person
allowed to use it, with hostile values in each query parameter the view reads; and every route that
takes a POST, as the most powerful person allowed, with hostile values in each form field it reads.

Keys a view would only pass on (to url_for, in links) are tried too. Which parameters a view
reads is found by watching it: request.args (request.form) is replaced by a dict that
notes every key looked up (get, [], in, getlist: db.paginate's page and per_page included), and a
key first read only once another is set (the custom period's dates) joins the walk when it is.
A form is first sent with one unknown field: WTForms reads its fields only from a form that has any.
"""
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import request
from werkzeug.datastructures import ImmutableMultiDict

from accounts import tokens
from core.extensions import db
from tests.test_permissions import ORDER, TABLE, _client_as, samples  # noqa: F401 (samples is a fixture)

# Keys a view may pass on to url_for with **request.args without reading them: the route's own
# argument names and url_for's special ones.
FORWARDED = ["code", "slug", "topic_slug", "endpoint", "_anchor", "_method", "_scheme", "_external"]
HOSTILE = [
    "99999999999999999999", "-99999999999999999999", "-1", "0", "2147483648",
    "0001-01-01", "9999-12-31", "01/01/0001", "31/12/9999", "2022-02-30",
    "١٢٣", "１２", "²", "\x00", "%00", "x" * 3000, "X",
]


class _NotingArgs(ImmutableMultiDict):
    noted: set

    def __getitem__(self, key):
        self.noted.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        self.noted.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self.noted.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        self.noted.add(key)
        return super().__contains__(key)


@pytest.fixture
def noted(app):
    keys: set[str] = set()

    @app.before_request
    def _note_args():
        watched = _NotingArgs(request.form if request.method == "POST" else request.args)
        watched.noted = keys
        if request.method == "POST":
            request.form = watched
        else:
            request.args = watched
    return keys


def _routes():
    """(endpoint, role) pairs grouped by blueprint: one test per blueprint keeps the set-up cost down."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for endpoint, (method, _url, allowed) in sorted(TABLE.items()):
        if method == "GET":
            groups.setdefault(endpoint.split(".")[0], []).extend((endpoint, role) for role in sorted(allowed))
    groups["api"] = [("api.completion", "token")]  # the JSON API takes a bearer token, not a session
    return groups


ROUTES = _routes()


def _crash(client, path, query, headers, method: str = "GET") -> str | None:
    """What went wrong, if the request ended in a 5xx or an exception (the test app propagates them)."""
    try:
        response = client.open(path, method=method, headers=headers,
                               **({"data": query} if method == "POST" else {"query_string": query}))
        response.get_data()  # a streamed body runs to its end inside the check
        response.close()
        return f"{response.status_code}" if response.status_code >= 500 else None
    except Exception as error:  # noqa: BLE001 (any exception is the finding)
        return type(error).__name__
    finally:
        db.session.rollback()


def _walk(app, samples, noted, endpoint, role) -> list[str]:  # noqa: F811
    _method, template, _allowed = TABLE[endpoint]
    url = urlsplit(template.format(s=samples))
    base = dict(parse_qsl(url.query))
    headers = {}
    if role == "token":
        from accounts.models import User
        officer = db.session.scalars(db.select(User).filter_by(username="officer_a")).one()
        headers = {"Authorization": f"Bearer {tokens.create_token(officer, 'Thử', officer)[1]}"}
        db.session.commit()
    client = _client_as(app, "anonymous" if role == "token" else role)
    noted.clear()
    crashes = [f"no parameters: {crash}"] if (crash := _crash(client, url.path, base, headers)) else []
    read_plainly = set(noted)
    for key in FORWARDED:
        if crash := _crash(client, url.path, {**base, key: "X"}, headers):
            crashes.append(f"{key}='X': {crash}")
    noted.intersection_update(read_plainly)  # passing a key on is not reading it
    walked = set()
    while pending := sorted(noted - walked):
        for key in pending:
            walked.add(key)
            for value in HOSTILE:
                if crash := _crash(client, url.path, {**base, key: value}, headers):
                    crashes.append(f"{key}={value[:24]!r}: {crash}")
    for value in HOSTILE if walked else ():  # every parameter at once: from 0001-01-01 to 0001-01-01
        if crash := _crash(client, url.path, {**base, **dict.fromkeys(walked, value)}, headers):
            crashes.append(f"all={value[:24]!r}: {crash}")
    return [f"GET {url.path} as {role} {sorted(walked)}: {crash}" for crash in crashes]


@pytest.mark.slow
@pytest.mark.parametrize("blueprint", sorted(ROUTES))
def test_hostile_query_parameters_never_crash_a_page(blueprint, app, samples, noted):  # noqa: F811
    crashes = [crash for endpoint, role in ROUTES[blueprint] for crash in _walk(app, samples, noted, endpoint, role)]
    assert not crashes, "\n".join(crashes)


def test_the_reported_addresses_get_an_ordinary_page(world, login):
    """The addresses of the issue: each gets a page with a Vietnamese message, or a sensible redirect."""
    officer = login("officer_a")
    response = officer.get("/reports/?code=X&_method=X&topic=x")
    assert response.status_code == 302 and response.headers["Location"].startswith("/reports/DA?topic=x")
    assert officer.get("/units/GA/members?page=99999999999999999999").status_code == 200
    audit = login("admin").get("/admin/audit/?from=01/01/0001&to=31/12/9999&page=99999999999999999999")
    text = audit.get_data(as_text=True)
    assert audit.status_code == 200 and "Từ ngày không hợp lệ" in text and "Đến ngày không hợp lệ" in text


def _post_routes() -> list[tuple[str, str]]:
    """(endpoint, role): each route that takes a POST, as the last of ORDER allowed (anonymous aside)."""
    from app import create_app
    url_map = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).url_map
    posted = {rule.endpoint for rule in url_map.iter_rules() if "POST" in (rule.methods or ())}
    routes = []
    for endpoint in sorted(posted & set(TABLE)):
        roles = [role for role in ORDER if role in TABLE[endpoint][2] and role != "anonymous"]
        if roles:
            routes.append((endpoint, roles[-1]))
    return routes


@pytest.mark.slow
@pytest.mark.parametrize("endpoint,role", _post_routes())
def test_hostile_form_fields_never_crash_a_post(endpoint, role, app, samples, noted):  # noqa: F811
    path = TABLE[endpoint][1].format(s=samples)  # its query string too (a prize plan's round)
    client = _client_as(app, role)
    crashes = [f"empty: {crash}"] if (crash := _crash(client, path, {}, {}, "POST")) else []
    noted.clear()
    if crash := _crash(client, path, {"_probe": "1"}, {}, "POST"):
        crashes.append(f"one unknown field: {crash}")
    fields = sorted(noted - {"_probe", "csrf_token"})
    for field in fields:
        for value in HOSTILE:
            if crash := _crash(client, path, {field: value}, {}, "POST"):
                crashes.append(f"{field}={value[:24]!r}: {crash}")
    for value in HOSTILE if fields else ():
        if crash := _crash(client, path, dict.fromkeys(fields, value), {}, "POST"):
            crashes.append(f"all={value[:24]!r}: {crash}")
    assert not crashes, f"POST {path} as {role} {fields}:\n" + "\n".join(crashes)
