"""Sessions end when their owner says so, and a login never sends anyone off the site."""
import pytest

from accounts import services, tokens
from accounts.models import User
from core.extensions import db, split_user_id
from core.models import AuditEntry
from core.permissions import ADMIN, OFFICER
from tests.factories import PASSWORD, make_member, make_user

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


def _api(app, token: str) -> int:
    response = app.test_client().get("/api/v1/units/GA/completion", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


def _officer_member(world, username: str):
    """A member of union A whose account is an officer of that union: officer_a may reset it."""
    user = make_user(username, OFFICER, world.grassroots_a)
    member = make_member(world.grassroots_a, "Vàng Thị Mai")
    member.user = user
    db.session.commit()
    return member, user


def _new_password_by(how: str, world, login, member, user) -> None:
    if how == "owner":
        login(user.username).post("/accounts/password", data={"current": PASSWORD, "new": "Moi-Hon-2023",
                                                                 "confirm": "Moi-Hon-2023"})
    elif how == "officer":
        assert login("officer_a").post(f"/units/members/{member.id}/reset-password").status_code == 200
    else:
        assert login("admin").post(f"/accounts/users/{user.id}/reset").status_code == 200


@pytest.mark.parametrize("how", ["owner", "officer", "admin"])
def test_a_new_password_ends_every_api_token_and_every_other_session(world, app, login, how):
    """Whoever held the old password may have made tokens with it: they end with it, as cookies do."""
    member, user = _officer_member(world, "can_bo_ga")
    _, token = tokens.create_token(user, "Phần mềm báo cáo", user)
    _, other = tokens.create_token(user, "Bảng tin", user)
    db.session.commit()
    elsewhere = _cookies(login("can_bo_ga"))
    assert _api(app, token) != 401 and _api(app, other) != 401

    _new_password_by(how, world, login, member, user)

    assert _api(app, token) == 401 and _api(app, other) == 401
    assert _replay(app, elsewhere).status_code == 302
    db.session.expire_all()
    assert all(row.revoked_at is not None for row in tokens.tokens_of(db.session.get(User, user.id)))
    assert db.session.scalars(db.select(AuditEntry.action).where(
        AuditEntry.target_id == str(user.id), AuditEntry.action == "api_token_revoked")).all() == [
        "api_token_revoked"] * 2


def test_a_refused_reset_leaves_the_accounts_tokens_and_sessions_alone(world, app, login):
    """An officer may not reset an account that reaches beyond their scope: nothing of it ends either."""
    user = make_user("quan_tri_co_so", ADMIN)
    member = make_member(world.grassroots_a, "Lù Văn Sáng")
    member.user = user
    db.session.commit()
    _, token = tokens.create_token(user, "Phần mềm báo cáo", user)
    db.session.commit()
    elsewhere = _cookies(login("quan_tri_co_so"))
    page = login("officer_a").post(f"/units/members/{member.id}/reset-password", follow_redirects=True)
    assert "chỉ quản trị hệ thống mới được cấp lại" in page.get_data(as_text=True)
    assert _api(app, token) != 401
    assert _replay(app, elsewhere).status_code == 200


def test_logging_out_keeps_the_api_tokens_given_to_other_programs(world, app, login):
    """A token is a credential handed to another system on purpose; leaving the browser does not end it."""
    _, token = tokens.create_token(world.officer_a, "Phần mềm báo cáo", world.officer_a)
    db.session.commit()
    login("officer_a").post("/accounts/logout")
    assert _api(app, token) != 401


@pytest.mark.parametrize("kept,read", [("12:tok-en", (12, "tok-en")), ("12:", (12, "")), ("12", (12, "")),
                                       ("١٢:tok", None), ("12a:tok", None), (":tok", None), ("", None)])
def test_the_id_a_session_names_is_read_back_in_ascii_digits_only(kept, read):
    # Signed cookies cannot be forged, but a Unicode digit ("١٢") must never pass for an account id.
    assert split_user_id(kept) == read
