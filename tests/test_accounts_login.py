import pytest

from accounts import services
from app import create_app
from core.extensions import db
from core.models import AuditEntry
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize("identifier", ["member", "MEMBER", "0912000001", "+84912000001", "lc0001"])
def test_members_log_in_by_username_phone_or_card(world, client, identifier):
    response = client.post("/accounts/login", data={"identifier": identifier, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_wrong_password_is_refused_in_vietnamese(world, client):
    response = client.post("/accounts/login", data={"identifier": "member", "password": "sai-mat-khau"})
    assert response.status_code == 200
    assert "Số điện thoại, số thẻ, tên đăng nhập hoặc mật khẩu chưa đúng." in response.get_data(as_text=True)


def test_login_does_not_redirect_off_site(world, client):
    response = client.post("/accounts/login?next=//evil.example/x",
                           data={"identifier": "member", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/accounts/logout")
    response = client.post("/accounts/login?next=/units/",
                           data={"identifier": "member", "password": PASSWORD})
    assert response.headers["Location"] == "/units/"


def test_first_login_forces_a_new_password(world, login, app):
    officer = world.officer_a
    password = services.issue_one_time_password(world.member_user, officer)
    db.session.commit()
    client = login("member", password)
    response = client.get("/units/")
    assert response.headers["Location"] == "/accounts/password"
    response = client.post("/accounts/password", data={"current": password, "new": "12345678",
                                                        "confirm": "12345678"})
    assert "quá phổ biến" in response.get_data(as_text=True)
    response = client.post("/accounts/password", data={"current": password, "new": "Ban-Giang-2022",
                                                        "confirm": "Ban-Giang-2022"})
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert db.session.execute(db.select(AuditEntry).filter_by(action="password_reset")).scalar_one()


def test_changing_the_password_ends_other_sessions(world, login):
    first = login("member")
    second = login("member")
    second.post("/accounts/password", data={"current": PASSWORD, "new": "Moi-Hon-2023", "confirm": "Moi-Hon-2023"})
    assert first.get("/accounts/password").status_code == 302  # old session no longer valid


def test_password_rules():
    assert services.password_problem("short") == "Mật khẩu phải có ít nhất 8 ký tự."
    assert "quá phổ biến" in services.password_problem("matkhau123")
    assert "quá phổ biến" in services.password_problem("aaaaaaaaaa")
    assert services.password_problem("nguyenvana", "nguyenvana") == "Mật khẩu không được trùng với tên đăng nhập."
    assert services.password_problem("Trang-Ban-Giang") is None


def test_disabled_account_cannot_log_in(world, client):
    world.member_user.is_enabled = False
    db.session.commit()
    response = client.post("/accounts/login", data={"identifier": "member", "password": PASSWORD})
    assert response.status_code == 200


def test_roles_are_granted_and_revoked_with_an_audit_trail(world, login):
    admin = login("admin")
    user = make_user("canbo")
    admin.post(f"/accounts/users/{user.id}", data={"role": "officer", "unit_code": "GA"})
    db.session.refresh(user)
    assert [(r.name, r.unit.code) for r in user.roles] == [("officer", "GA")]
    response = admin.post(f"/accounts/users/{user.id}", data={"role": "officer", "unit_code": ""})
    assert "phải gắn với một đơn vị" in response.get_data(as_text=True)
    admin.post(f"/accounts/users/{user.id}/roles/{user.roles[0].id}/revoke")
    db.session.refresh(user)
    assert user.roles == []
    actions = db.session.execute(db.select(AuditEntry.action).where(AuditEntry.target_id == str(user.id))).scalars()
    assert list(actions) == ["role_granted", "role_revoked"]


def test_csrf_is_required_on_forms(world, app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/accounts/login", data={"identifier": "member", "password": PASSWORD})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert client.get("/units/").status_code == 302
    page = client.get("/accounts/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_login_is_rate_limited_per_account(world, app):
    limited = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    client = limited.test_client()
    for _ in range(5):
        client.post("/accounts/login", data={"identifier": "member", "password": "sai"},
                    environ_base={"REMOTE_ADDR": "10.0.0.1"})
    other_address = client.post("/accounts/login", data={"identifier": "member", "password": PASSWORD},
                                environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other_address.status_code == 429
    assert "Thao tác quá nhanh" in other_address.get_data(as_text=True)
    another_account = client.post("/accounts/login", data={"identifier": "admin", "password": PASSWORD},
                                  environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert another_account.status_code == 302
    with limited.app_context():
        db.engine.dispose()


def test_behind_a_proxy_each_client_has_its_own_login_budget(world, app):
    """With PROXY_COUNT=1 the address is nginx's X-Forwarded-For, not 127.0.0.1 for everyone."""
    limited = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "PROXY_COUNT": 1,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    client = limited.test_client()
    for n in range(20):  # one client mistyping twenty different accounts' passwords
        client.post("/accounts/login", data={"identifier": f"khong-co-{n}", "password": "sai"},
                    headers={"X-Forwarded-For": "203.0.113.7"})
    blocked = client.post("/accounts/login", data={"identifier": "admin", "password": PASSWORD},
                          headers={"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status_code == 429
    neighbour = client.post("/accounts/login", data={"identifier": "admin", "password": PASSWORD},
                            headers={"X-Forwarded-For": "198.51.100.20"})
    assert neighbour.status_code == 302
    with limited.app_context():
        db.engine.dispose()


def test_limits_on_what_people_do_count_per_person_not_per_office(world, app):
    from flask_login import login_user

    from core.extensions import person_or_address
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        assert person_or_address() == "10.1.1.1"
        login_user(world.member_user)
        assert person_or_address() == f"user:{world.member_user.id}"


def test_control_characters_never_reach_the_database(world, client, login):
    """PostgreSQL refuses NUL bytes: forms strip control characters, and anything else is a 400, not a crash."""
    page = client.post("/accounts/login", data={"identifier": "ad\x00min", "password": PASSWORD})
    assert page.status_code == 302  # "admin" once the NUL is gone
    member = login("member")
    assert member.get("/search?q=b%00c").status_code in (200, 400)
