"""Sessions end when their owner says so, and a login never sends anyone off the site."""
import pytest

from accounts import services
from core.extensions import db
from tests.factories import PASSWORD

SIGNED_IN_ONLY = "/accounts/password"  # any page that needs a login


def _cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _replay(app, cookies: dict[str, str]):
    """A fresh browser carrying cookies captured earlier."""
    client = app.test_client()
    for key, value in cookies.items():
        client.set_cookie(key, value)
    return client.get(SIGNED_IN_ONLY)


@pytest.mark.parametrize("remember", [False, True])
def test_a_cookie_captured_before_logout_no_longer_works_after_it(world, app, remember):
    client = app.test_client()
    client.post("/accounts/login", data={"identifier": "member", "password": PASSWORD,
                                         "remember": "y" if remember else ""})
    captured = _cookies(client)
    assert ("remember_token" in captured) == remember
    assert _replay(app, captured).status_code == 200  # the capture is a working one
    client.post("/accounts/logout")
    assert _replay(app, captured).status_code == 302
    if remember:  # the remember-me cookie alone does not bring the session back either
        assert _replay(app, {"remember_token": captured["remember_token"]}).status_code == 302


def test_a_cookie_captured_before_a_password_change_or_reset_no_longer_works(world, app, login):
    owner = login("member")
    captured = _cookies(owner)
    owner.post("/accounts/password", data={"current": PASSWORD, "new": "Moi-Hon-2023", "confirm": "Moi-Hon-2023"})
    assert owner.get(SIGNED_IN_ONLY).status_code == 200  # the one who changed it stays in
    assert _replay(app, captured).status_code == 302

    again = _cookies(login("member", "Moi-Hon-2023"))
    services.issue_one_time_password(world.member_user, world.admin)
    db.session.commit()
    assert _replay(app, again).status_code == 302


def test_the_remember_me_cookie_is_same_site(world, app):
    client = app.test_client()
    response = client.post("/accounts/login", data={"identifier": "member", "password": PASSWORD, "remember": "y"})
    remember = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "SameSite=Lax" in remember and "HttpOnly" in remember


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example",
                                    "/%5Cevil.example", "/\\evil.example", "//evil.example", "/%2F/evil.example",
                                    "https://evil.example/", "javascript:alert(1)", "/%20/evil.example",
                                    "%2F%2Fevil.example", "/%00/evil.example", "evil.example"])
def test_login_never_redirects_off_site(world, client, target):
    response = client.post(f"/accounts/login?next={target}", data={"identifier": "member", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_login_returns_to_a_page_of_this_site(world, client):
    response = client.post("/accounts/login?next=/units/GA/members%3Fq%3Dl%C3%B2",
                           data={"identifier": "member", "password": PASSWORD})
    assert response.headers["Location"] == "/units/GA/members?q=l%C3%B2"
