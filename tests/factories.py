"""Plain factory functions for tests: each takes what matters and defaults the rest."""
import functools
import itertools
from types import SimpleNamespace

from accounts import services as accounts
from accounts.models import User
from core.extensions import db
from core.permissions import ADMIN, EDITOR, OFFICER, ORGANISER
from units import kinds as unit_kinds
from units import members as unit_members
from units import tree as unit_tree
from units.models import Member

PASSWORD = "mat-khau-thu-nghiem"
_serial = itertools.count(1)


def make_unit(code: str, parent=None, kind: str = "grassroots", name: str | None = None):
    unit_kinds.ensure_default_kinds()
    unit = unit_tree.create_unit(code, name or f"Đơn vị {code}", unit_kinds.find_kind(kind), parent)
    db.session.commit()
    return unit


def make_member(unit, full_name: str | None = None, **fields) -> Member:
    n = next(_serial)
    data = unit_members.MemberData(full_name=full_name or f"Nguyễn Văn Thử {n}", **fields)
    member = unit_members.create_member(unit, data)
    db.session.commit()
    return member


@functools.cache
def _password_hash(password: str) -> str:
    """One hash (one salt) per password, so that a world built again equals its snapshot row for row."""
    return accounts.hash_password(password)


def make_user(username: str, role: str | None = None, unit=None, *, password: str = PASSWORD,
              full_name: str | None = None):
    user = User(username=username, full_name=full_name or username.title(), password_hash=_password_hash(password))
    db.session.add(user)
    db.session.flush()
    if role:
        accounts.grant_role(user, role, unit, actor=None)
    db.session.commit()
    return user


def make_world() -> SimpleNamespace:
    """Province → two districts → a grassroots union in each; one account per role."""
    province = make_unit("P", kind="province", name="Liên đoàn Lao động tỉnh Thử")
    district_a = make_unit("DA", province, kind="district", name="Liên đoàn Lao động huyện Tam Đường")
    district_b = make_unit("DB", province, kind="district", name="Liên đoàn Lao động huyện Phong Thổ")
    grassroots_a = make_unit("GA", district_a, name="Công đoàn cơ sở Trường Tiểu học Bình Lư")
    grassroots_b = make_unit("GB", district_b, name="Công đoàn cơ sở Trạm Y tế xã Sì Lở Lầu")
    member_a = make_member(grassroots_a, "Lò Thị Xuân", phone="0912000001", card_number="LC0001")
    member_b = make_member(grassroots_b, "Giàng A Páo", phone="0912000002", card_number="LC0002")
    member_user = make_user("member", full_name="Lò Thị Xuân")
    member_a.user = member_user
    db.session.commit()
    return SimpleNamespace(
        province=province, district_a=district_a, district_b=district_b,
        grassroots_a=grassroots_a, grassroots_b=grassroots_b, member_a=member_a, member_b=member_b,
        admin=make_user("admin", ADMIN),
        province_officer=make_user("tinh", OFFICER, province),
        officer_a=make_user("officer_a", OFFICER, district_a),
        officer_b=make_user("officer_b", OFFICER, district_b),
        editor=make_user("editor", EDITOR),
        organiser=make_user("organiser", ORGANISER, province),
        member_user=member_user,
    )


def log_in_browser(page, live_url: str, identifier: str, password: str = PASSWORD) -> None:
    """Log in through the real form, as a person would, in a Playwright page."""
    page.goto(live_url + "/accounts/login")
    page.get_by_label("Tên đăng nhập, số điện thoại hoặc số thẻ đoàn viên").fill(identifier)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def study_everything(member, topic) -> None:
    """Mark every lesson of the topic studied, opened an hour ago."""
    from datetime import timedelta

    from core.clock import utcnow
    from learning import studying
    from learning import topics as learning_topics
    for lesson in learning_topics.published_lessons(topic):
        studying.open_lesson(member, lesson, now=utcnow() - timedelta(hours=1))
        studying.mark_studied(member, lesson)
