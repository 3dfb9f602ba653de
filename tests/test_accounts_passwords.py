"""Password hashes: Argon2id made, the scrypt and PBKDF2 hashes of before still checked and replaced at login."""
import pytest
from werkzeug.security import generate_password_hash

from accounts import passwords, services
from accounts.models import User
from core.extensions import db
from tests.factories import PASSWORD

BEFORE = {"scrypt": "scrypt:32768:8:1", "pbkdf2": "pbkdf2:sha256:600000",
          "older argon2id": "argon2id:8:2:1"}  # a second pass then; the suite's method has one


def _made_before(kind: str) -> str:
    method = BEFORE[kind]
    if method.startswith("argon2id"):
        return passwords.make(PASSWORD, method)
    return generate_password_hash(PASSWORD, method)


def _stored(username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(db.select(User.password_hash).where(User.username == username))


@pytest.mark.parametrize("kind", sorted(BEFORE))
def test_a_hash_of_before_logs_in_once_and_is_then_argon2id(world, app, kind):
    user = world.member_user
    user.password_hash = old = _made_before(kind)
    token, changed_at = user.session_token, user.password_changed_at
    db.session.commit()
    other_device = app.test_client()
    other_device.post("/accounts/login", data={"identifier": "member", "password": PASSWORD})

    client = app.test_client()
    response = client.post("/accounts/login", data={"identifier": "member", "password": PASSWORD})
    assert response.status_code == 302
    new = _stored("member")
    assert new != old and new.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.matches(new, PASSWORD) and not passwords.matches(new, "sai-mat-khau")
    # Made again, not changed: the person's other sessions stay, and nothing says the password changed.
    user = db.session.get(User, user.id)
    assert (user.session_token, user.password_changed_at) == (token, changed_at)
    assert other_device.get("/accounts/password").status_code == 200


@pytest.mark.parametrize("kind", sorted(BEFORE))
def test_a_wrong_password_leaves_a_hash_of_before_as_it_was(world, client, kind):
    world.member_user.password_hash = old = _made_before(kind)
    db.session.commit()
    response = client.post("/accounts/login", data={"identifier": "member", "password": "sai-mat-khau"})
    assert response.status_code == 200
    assert _stored("member") == old


def test_a_current_hash_is_not_made_again_at_login(world, client):
    before = _stored("member")
    client.post("/accounts/login", data={"identifier": "member", "password": PASSWORD})
    assert _stored("member") == before


@pytest.mark.parametrize("stored", ["", "-", "$argon2id$", "$argon2id$v=19$m=8,t=1,p=1$xx$yy", "scrypt:1:1:1$$",
                                    "plain-text-password", PASSWORD])
def test_a_damaged_or_foreign_hash_matches_nothing(stored):
    assert passwords.matches(stored, PASSWORD) is False
    assert passwords.matches(stored, "") is False


def test_a_method_that_is_not_argon2id_is_refused():
    with pytest.raises(ValueError, match="argon2id"):
        passwords.make(PASSWORD, "scrypt:32768:8:1")


def test_a_new_password_is_stored_as_argon2id(world, login):
    client = login("member")
    client.post("/accounts/password", data={"current": PASSWORD, "new": "Moi-Hon-2023", "confirm": "Moi-Hon-2023"})
    assert _stored("member").startswith("$argon2id$")
    assert services.authenticate("member", "Moi-Hon-2023") is not None
