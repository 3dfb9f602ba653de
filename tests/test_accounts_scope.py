"""An officer manages the accounts of their own members, never an account that reaches further."""
import pytest

from accounts import services as accounts
from accounts.models import User
from core.extensions import db
from core.models import AuditEntry
from core.permissions import ADMIN, EDITOR, OFFICER, ORGANISER
from tests.factories import PASSWORD, make_member, make_unit, make_user
from units.models import MEMBER_LEFT

ONLY_ADMIN = "chỉ quản trị hệ thống mới được cấp lại"


def _member_with_account(world, username: str, *roles):
    """A member of grassroots union A (officer_a's subtree) whose account holds ``roles``."""
    user = make_user(username)
    for name, unit in roles:
        accounts.grant_role(user, name, unit, actor=None)
    member = make_member(world.grassroots_a)
    member.user = user
    db.session.commit()
    return member, user


def _refusals(actor) -> list[str]:
    return list(db.session.scalars(db.select(AuditEntry.action).where(
        AuditEntry.actor_id == actor.id, AuditEntry.action.like("%refused"))))


@pytest.mark.parametrize("roles", [
    [(ADMIN, None)],
    [(EDITOR, None)],
    [(ORGANISER, "province")],
    [(ORGANISER, "grassroots_a")],
    [(OFFICER, "district_b")],
    [(OFFICER, "province")],
    [(OFFICER, "grassroots_a"), (ORGANISER, None)],
])
def test_an_officer_cannot_reset_or_disable_an_account_with_roles_beyond_their_scope(world, login, roles):
    member, user = _member_with_account(
        world, "nhieu_quyen", *[(name, getattr(world, unit) if unit else None) for name, unit in roles])
    officer = login("officer_a")

    response = officer.post(f"/units/members/{member.id}/reset-password", follow_redirects=True)
    assert ONLY_ADMIN in response.get_data(as_text=True)
    response = officer.post(f"/units/members/{member.id}/status", data={"status": MEMBER_LEFT},
                            follow_redirects=True)
    assert ONLY_ADMIN in response.get_data(as_text=True)

    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.is_enabled and not user.must_change_password
    assert db.session.get(type(member), member.id).status == "active"
    assert login("nhieu_quyen", PASSWORD)  # the owner still logs in with their own password
    assert _refusals(world.officer_a) == ["account_reset_refused", "account_disable_refused"]


def test_an_officer_resets_and_disables_plain_members_and_officers_below_them(world, login):
    below = make_unit("GA2", world.district_a)
    member, user = _member_with_account(world, "can_bo_co_so", (OFFICER, below), (OFFICER, world.grassroots_a))
    officer = login("officer_a")
    response = officer.post(f"/units/members/{member.id}/reset-password")
    assert response.status_code == 200 and "can_bo_co_so" in response.get_data(as_text=True)
    officer.post(f"/units/members/{world.member_a.id}/reset-password")
    officer.post(f"/units/members/{member.id}/status", data={"status": MEMBER_LEFT})
    db.session.expire_all()
    assert db.session.get(User, user.id).is_enabled is False
    assert db.session.get(User, world.member_user.id).must_change_password
    assert _refusals(world.officer_a) == []


def test_an_administrator_may_reset_any_account(world, login):
    member, user = _member_with_account(world, "quan_tri_2", (ADMIN, None))
    response = login("admin").post(f"/units/members/{member.id}/reset-password")
    assert response.status_code == 200 and "quan_tri_2" in response.get_data(as_text=True)
    admin_page = login("admin").post(f"/accounts/users/{user.id}/reset")
    assert admin_page.status_code == 200


def test_the_rule_holds_in_the_service_whoever_calls_it(world):
    member, user = _member_with_account(world, "bien_tap", (EDITOR, None))
    with pytest.raises(accounts.BeyondScope, match="chỉ quản trị hệ thống") as refused:
        accounts.issue_one_time_password(user, world.officer_a)
    assert refused.value.keeps_changes
    with pytest.raises(accounts.AccountError):
        accounts.set_enabled(user, False, world.province_officer)
    assert accounts.issue_one_time_password(user, world.admin)


@pytest.mark.parametrize("field,value", [("phone", "0912999888"), ("card_number", "LC9999"),
                                         ("full_name", "Quản Trị Giả")])
def test_an_officer_cannot_change_how_an_account_beyond_their_scope_logs_in(world, login, field, value):
    """A member's phone and card number log in to their account as surely as its password does."""
    member, user = _member_with_account(world, "quan_tri_co_so", (ADMIN, None))
    form = {"full_name": member.full_name, "phone": member.phone or "", "card_number": member.card_number or "",
            field: value}
    response = login("officer_a").post(f"/units/members/{member.id}", data=form, follow_redirects=True)
    assert ONLY_ADMIN in response.get_data(as_text=True)
    db.session.expire_all()
    assert getattr(db.session.get(type(member), member.id), field) == getattr(member, field)
    assert db.session.get(User, user.id).full_name == user.full_name
    assert _refusals(world.officer_a) == ["account_login_change_refused"]
    login("admin").post(f"/units/members/{member.id}", data=form)
    db.session.expire_all()
    assert getattr(db.session.get(type(member), member.id), field) == value


def test_an_import_cannot_change_how_an_account_beyond_their_scope_logs_in(world, tmp_path):
    from units import importing
    member, _ = _member_with_account(world, "quan_tri_co_so", (ADMIN, None))
    member.card_number = "LC7777"
    db.session.commit()
    path = tmp_path / "doan-vien.csv"
    path.write_text(f"Họ và tên,Mã đơn vị,Số thẻ đoàn viên,Số điện thoại\n{member.full_name},GA,LC7777,0912999888\n",
                    encoding="utf-8")
    result = importing.import_members(path, path.name, world.officer_a)
    assert not result.ok and ONLY_ADMIN.split(" mới")[0] in result.errors[0].message
    db.session.rollback()
    assert db.session.get(type(member), member.id).phone is None
    assert importing.import_members(path, path.name, world.admin).ok
