"""The menu of every page, kept MENU_SECONDS in the signed session (core.templating.menu)."""
import pytest

from accounts import services as accounts
from core import templating
from core.extensions import db
from core.permissions import EDITOR

EDITOR_LINK = 'href="/editor/"'


@pytest.fixture
def clock(monkeypatch):
    """The menu's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(templating.time, "time", lambda: now[0])
    return now


def test_a_second_page_reads_neither_roles_nor_member(world, login, statements):
    # On any worker of any server: what it needs travels in the session cookie.
    member = login("member")
    member.get("/accounts/password")
    db.session.expunge_all()  # as a new request's session starts, with nothing loaded
    statements.clear()
    page = member.get("/accounts/password").get_data(as_text=True)
    assert "Việc học của tôi" in page
    assert not [s for s in statements if "FROM roles" in s or "FROM members WHERE members.user_id" in s]


def test_each_person_has_their_own_menu(world, login):
    assert EDITOR_LINK in login("editor").get("/learn/").get_data(as_text=True)
    assert EDITOR_LINK not in login("member").get("/learn/").get_data(as_text=True)


def test_a_contest_rounds_journey_reads_the_roles_once(world, login, clock, statements):
    # The landing page makes the menu; the result, a round's 20 questions later, draws it from the session.
    member = login("member")
    member.get("/accounts/password")
    clock[0] += 4 * 60  # 20 questions at an unhurried pace
    db.session.expunge_all()
    statements.clear()
    member.get("/accounts/password")
    assert not [s for s in statements if "FROM roles" in s]


def test_a_role_given_shows_within_menu_seconds(world, login, clock):
    member = login("member")
    assert EDITOR_LINK not in member.get("/learn/").get_data(as_text=True)
    role = accounts.grant_role(world.member_user, EDITOR, None, actor=world.admin)
    db.session.commit()
    clock[0] += templating.MENU_SECONDS - 1
    assert EDITOR_LINK not in member.get("/learn/").get_data(as_text=True)
    clock[0] += 1
    assert EDITOR_LINK in member.get("/learn/").get_data(as_text=True)
    accounts.revoke_role(role, actor=world.admin)
    db.session.commit()
    clock[0] += templating.MENU_SECONDS
    assert EDITOR_LINK not in member.get("/learn/").get_data(as_text=True)


def test_a_new_session_makes_the_menu_again(world, login, client):
    member = login("member")
    member.get("/learn/")
    accounts.grant_role(world.member_user, EDITOR, None, actor=world.admin)
    db.session.commit()
    member.post("/accounts/logout")
    assert EDITOR_LINK in login("member").get("/learn/").get_data(as_text=True)


def test_a_menu_kept_for_one_account_is_not_anothers(world, login, app):
    editor = login("editor")
    editor.get("/learn/")
    cookie = editor.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    serializer = app.session_interface.get_signing_serializer(app)
    kept = serializer.loads(cookie)
    member = login("member")
    session = serializer.loads(member.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    session["menu"] = kept["menu"]  # the editor's menu, signed, in the member's session
    member.set_cookie(app.config["SESSION_COOKIE_NAME"], serializer.dumps(session))
    assert EDITOR_LINK not in member.get("/learn/").get_data(as_text=True)


def test_the_menu_never_lets_a_view_in(world, login, clock):
    editor = login("editor")
    assert editor.get("/editor/").status_code == 200
    role = next(r for r in world.editor.roles if r.name == EDITOR)
    db.session.delete(role)  # taken away by another server: this one's menu still shows the link
    db.session.commit()
    assert EDITOR_LINK in editor.get("/learn/").get_data(as_text=True)
    assert editor.get("/editor/").status_code == 403
