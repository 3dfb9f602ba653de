from datetime import date

import pytest

from core.extensions import db
from core.models import AuditEntry
from tests.factories import make_member, make_unit, make_user
from units import errors as unit_errors
from units import kinds as unit_kinds
from units import member_accounts
from units import members as unit_members
from units import tree as unit_tree
from units.models import MemberMove, UnitEvent


@pytest.fixture
def tree(app):
    province = make_unit("P", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    district = make_unit("D", province, kind="district", name="Liên đoàn Lao động huyện Tam Đường")
    other = make_unit("O", province, kind="district", name="Liên đoàn Lao động huyện Phong Thổ")
    school = make_unit("S", district, name="Công đoàn cơ sở Trường THCS Bình Lư")
    group = make_unit("T", school, kind="group", name="Tổ công đoàn Toán")
    return province, district, other, school, group


def test_paths_describe_the_tree(tree):
    province, district, _, school, group = tree
    assert group.path == f"/{province.id}/{district.id}/{school.id}/{group.id}/"
    assert group.depth == 3
    assert [u.code for u in unit_tree.ancestors(group)] == ["P", "D", "S"]


def test_default_kinds_have_codes_and_vietnamese_names(app):
    unit_kinds.ensure_default_kinds()
    names = {k.name for k in unit_kinds.all_kinds()}
    assert {"Liên đoàn Lao động tỉnh", "Công đoàn cơ sở", "Tổ công đoàn", "Công đoàn xã, phường",
            "Công đoàn các Khu công nghiệp"} <= names
    assert unit_kinds.find_kind("cong doan co so").code == "grassroots"
    assert unit_kinds.find_kind("GRASSROOTS").code == "grassroots"


def test_move_rewrites_the_whole_subtree_and_keeps_members(tree):
    province, district, other, school, group = tree
    member = make_member(group, "Vàng Seo Chứ")
    unit_tree.move_unit(school, other, on=date(2025, 7, 1))
    db.session.commit()
    assert school.path == f"/{province.id}/{other.id}/{school.id}/"
    assert group.path == f"/{province.id}/{other.id}/{school.id}/{group.id}/"
    assert group.depth == 3
    assert member.unit_id == group.id
    assert unit_tree.active_member_count(other, subtree=True) == 1
    assert unit_tree.active_member_count(district, subtree=True) == 0
    event = db.session.execute(db.select(UnitEvent).filter_by(unit_id=school.id, action="moved")).scalar_one()
    assert event.occurred_on == date(2025, 7, 1) and event.details["old_parent"] == "D"


def test_cannot_move_into_its_own_subtree(tree):
    _, district, _, school, _ = tree
    with pytest.raises(unit_errors.UnitError, match="Không thể chuyển đơn vị vào chính nó"):
        unit_tree.move_unit(district, school)


def test_merge_moves_members_and_children_and_keeps_history(tree):
    province, district, other, school, group = tree
    people = [make_member(district, f"Người {i}") for i in range(3)]
    moved = unit_tree.merge_unit(district, other, on=date(2025, 7, 1))
    db.session.commit()
    assert moved == 3
    assert district.status == "merged" and district.merged_into_id == other.id
    assert district.status_changed_on == date(2025, 7, 1)
    assert all(p.unit_id == other.id for p in people)
    assert school.parent_id == other.id and group.path.startswith(other.path)
    moves = db.session.execute(db.select(MemberMove).filter_by(reason="merge")).scalars().all()
    assert {(m.from_unit_id, m.to_unit_id) for m in moves} == {(district.id, other.id)}
    assert unit_tree.get_unit("D") is not None  # never deleted


def test_a_unit_with_members_is_never_dissolved(tree):
    _, _, _, school, group = tree
    make_member(group)
    with pytest.raises(unit_errors.UnitError, match="Đơn vị còn đoàn viên"):
        unit_tree.dissolve_unit(group)
    with pytest.raises(unit_errors.UnitError, match="Đơn vị còn đoàn viên"):
        unit_tree.dissolve_unit(school)  # it still has an active sub-unit


def test_tree_counts_roll_up(tree):
    province, district, other, school, group = tree
    make_member(school)
    make_member(group)
    make_member(other)
    left = make_member(other)
    admin = make_user("admin", "admin")
    unit_members.set_member_status(left, "left", actor=admin)
    (root,) = unit_tree.tree(admin)
    assert root.unit.code == "P" and root.total_members == 3
    by_code = {n.unit.code: n for n in root.children}
    assert by_code["D"].total_members == 2 and by_code["O"].total_members == 1


def test_officer_sees_only_their_subtree(tree):
    _, district, _, _, _ = tree
    officer = make_user("huyen", "officer", district)
    codes = {u.code for u in unit_tree.units_for_choice(officer)}
    assert codes == {"D", "S", "T"}


def test_search_without_diacritics(tree):
    admin = make_user("admin", "admin")
    assert [u.code for u in unit_tree.search_units(admin, "tam duong")] == ["D"]
    assert [u.code for u in unit_tree.search_units(admin, "BÌNH LƯ")] == ["S"]
    officer = make_user("phongtho", "officer", tree[2])
    assert unit_tree.search_units(officer, "tam duong") == []


def test_members_search_by_folded_name_card_or_phone(tree):
    school = tree[3]
    make_member(school, "Đặng Thị Hương", phone="0912345678", card_number="LC777")
    make_member(school, "Lý A Sểnh")
    def names(text):
        return [m.full_name for m in db.session.execute(unit_members.members_query(school, text=text)).scalars()]

    assert names("dang thi huong") == ["Đặng Thị Hương"]
    assert names("0912 345 678") == ["Đặng Thị Hương"]
    assert names("lc777") == ["Đặng Thị Hương"]
    assert names("senh") == ["Lý A Sểnh"]


def test_activation_issues_one_time_passwords_that_must_be_changed(tree, app):
    school = tree[3]
    member = make_member(school, "Sùng Thị Mỷ", phone="0987654321")
    officer = make_user("coso", "officer", school)
    issued = member_accounts.activate_members(school, officer)
    db.session.commit()
    assert [i.member.id for i in issued] == [member.id]
    assert member.user.must_change_password
    assert member_accounts.activate_members(school, officer) == []  # nobody left without an account
    from accounts import services as accounts
    assert accounts.authenticate("0987654321", issued[0].password) == member.user
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="members_activated")).scalar_one()
    assert entry.details == {"count": 1}
