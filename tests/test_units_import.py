import pytest
from openpyxl import Workbook

from core.extensions import db
from core.models import AuditEntry
from tests.factories import make_member, make_unit, make_user
from units import importing
from units.models import Member, MemberMove, Unit

HEADERS = ["Họ và tên", "Mã đơn vị", "Số thẻ đoàn viên", "Số điện thoại", "Ngày sinh", "Giới tính"]


def write_xlsx(path, rows, headers=HEADERS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def setting(app):
    province = make_unit("P", kind="province")
    district = make_unit("D", province, kind="district")
    school = make_unit("S", district)
    other = make_unit("O", province)
    return province, district, school, other


def member_count() -> int:
    return db.session.execute(db.select(db.func.count(Member.id))).scalar_one()


def test_import_adds_members_and_is_idempotent(setting, tmp_path):
    admin = make_user("admin", "admin")
    path = write_xlsx(tmp_path / "ds.xlsx", [
        ["Lò Thị Xuân", "S", "LC1", "0912000001", "15/03/1988", "Nữ"],
        ["Giàng A Páo", "S", None, "+84 912 000 002", None, "nam"],
        ["Tẩn Láo Chòi", "s", "LC3", None, None, None],
    ])
    result = importing.import_members(path, "ds.xlsx", admin, keep_outcomes=True)
    db.session.commit()
    assert result.ok and (result.added, result.updated, result.unchanged) == (3, 0, 0)
    pao = db.session.execute(db.select(Member).filter_by(phone="0912000002")).scalar_one()
    assert pao.gender == "Nam" and pao.unit.code == "S"
    xuan = db.session.execute(db.select(Member).filter_by(card_number="LC1")).scalar_one()
    assert xuan.birth_year == 1988 and xuan.birth_date.isoformat() == "1988-03-15"

    again = importing.import_members(path, "ds.xlsx", admin)
    db.session.commit()
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert member_count() == 3
    entries = db.session.execute(db.select(AuditEntry).filter_by(action="members_imported")
               .order_by(AuditEntry.id)).scalars().all()
    assert len(entries) == 2 and entries[0].details["added"] == 3


def test_changed_rows_update_the_member_matched_by_card_then_phone(setting, tmp_path):
    _, _, school, other = setting
    admin = make_user("admin", "admin")
    by_card = make_member(school, "Lò Thị Xuân", card_number="LC1", phone="0912000001")
    by_phone = make_member(school, "Giàng A Páo", phone="0912000002")
    path = write_xlsx(tmp_path / "ds.xlsx", [
        ["Lò Thị Xuân Hương", "S", "LC1", None, None, None],
        ["Giàng A Páo", "O", "LC2", "0912000002", None, None],
    ])
    result = importing.import_members(path, "ds.xlsx", admin)
    db.session.commit()
    assert (result.added, result.updated) == (0, 2)
    assert by_card.full_name == "Lò Thị Xuân Hương" and by_card.phone == "0912000001"  # empty cell keeps
    assert by_phone.card_number == "LC2" and by_phone.unit_id == other.id
    move = db.session.execute(db.select(MemberMove)).scalar_one()
    assert (move.member_id, move.from_unit_id, move.to_unit_id) == (by_phone.id, school.id, other.id)


def test_every_bad_row_is_reported_and_nothing_is_written(setting, tmp_path):
    _, _, school, _ = setting
    make_member(school, "Đã Có", card_number="LC9", phone="0912000009")
    admin = make_user("admin", "admin")
    path = write_xlsx(tmp_path / "bad.xlsx", [
        ["Người Đúng", "S", "LC100", "0912000100", None, None],
        [None, "S", None, None, None, None],
        ["Sai Mã", "KHONGCO", None, None, None, None],
        ["Sai Số", "S", None, "0123", None, None],
        ["Trùng Thẻ", "S", "LC100", None, None, None],
        ["Ngày Sai", "S", None, None, "31/02/1990", None],
        ["Số Của Người Khác", "S", "LC101", "0912000009", None, None],
        ["Giới Lạ", "S", None, None, None, "x", None],
        ["Năm Mũ", "S", None, None, None, None, "²"],  # str.isdigit() but not int()
    ], headers=[*HEADERS, "Năm sinh"])
    result = importing.import_members(path, "bad.xlsx", admin)
    db.session.rollback()
    assert not result.ok
    by_row = {(e.row, e.column) for e in result.errors}
    assert by_row == {(3, "Họ và tên"), (4, "Mã đơn vị"), (5, "Số điện thoại"), (6, "Số thẻ đoàn viên"),
                      (7, "Ngày sinh"), (8, "Số điện thoại"), (9, "Giới tính"), (10, "Năm sinh")}
    assert member_count() == 1
    assert "dòng 2" in next(e.message for e in result.errors if e.row == 6)


def test_errors_are_listed_in_row_order(setting, tmp_path):
    """Checks against other rows (repeats, a phone already taken) come in their row, not after the rest."""
    _, _, school, _ = setting
    make_member(school, "Đã Có", card_number="LC9", phone="0912000009")
    admin = make_user("admin", "admin")
    path = write_xlsx(tmp_path / "bad.xlsx", [
        ["Người Một", "S", "LC100", None, None, None],
        ["Người Hai", "S", "LC100", None, None, None],
        ["Người Ba", "S", "LC101", "0912000009", "31/02/1990", None],
        [None, "S", None, None, None, None],
    ])
    result = importing.import_members(path, "bad.xlsx", admin)
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "Số thẻ đoàn viên"), (4, "Ngày sinh"), (4, "Số điện thoại"), (5, "Họ và tên")]


def test_the_template_examples_are_skipped_never_imported(setting, tmp_path):
    """An officer who filled the list below the examples (older templates, or copied from the example sheet)."""
    admin = make_user("admin", "admin")
    headers, examples = importing.MEMBER_TEMPLATE
    path = write_xlsx(tmp_path / "ds.xlsx", [*examples, ["Lò Văn Ún", "", "", "0912000111", "", "1990", "Nam", "",
                                                         ""]], headers=headers)
    result = importing.import_members(path, "ds.xlsx", admin, unit=setting[2], keep_outcomes=True)
    db.session.commit()
    assert result.ok and result.examples_skipped == [2, 3]
    assert (result.rows, result.added) == (1, 1)
    assert db.session.scalars(db.select(Member.full_name)).all() == ["Lò Văn Ún"]
    # Only the exact example is skipped: the same name with another phone is a real member.
    path = write_xlsx(tmp_path / "ds2.xlsx", [["Nguyễn Văn An", "", "", "0912000222"]], headers=headers)
    result = importing.import_members(path, "ds2.xlsx", admin, unit=setting[2])
    assert result.ok and result.examples_skipped == [] and result.added == 1


def test_an_officer_cannot_import_into_a_unit_outside_their_subtree(setting, tmp_path):
    _, district, school, other = setting
    officer = make_user("huyen", "officer", district)
    path = write_xlsx(tmp_path / "ds.xlsx", [["Người Ngoài", "O", None, None, None, None],
                                              ["Người Trong", "S", None, None, None, None]])
    result = importing.import_members(path, "ds.xlsx", officer)
    assert [(e.row, e.column) for e in result.errors] == [(2, "Mã đơn vị")]
    assert "phạm vi" in result.errors[0].message
    assert member_count() == 0


def test_a_member_of_another_subtree_cannot_be_taken_over(setting, tmp_path):
    _, district, _, other = setting
    make_member(other, "Người Huyện Khác", card_number="LC55")
    officer = make_user("huyen", "officer", district)
    path = write_xlsx(tmp_path / "ds.xlsx", [["Người Huyện Khác", "S", "LC55", None, None, None]])
    result = importing.import_members(path, "ds.xlsx", officer)
    assert not result.ok and "ngoài phạm vi" in result.errors[0].message


OUT_OF_SCOPE = "thuộc một đoàn viên ngoài phạm vi quản lý"


@pytest.mark.parametrize("row", [["Người Lạ", "S", "LC9999", "0912000055"],   # a new card, their phone
                                 ["Người Lạ", "S", None, "+84 912 000 055"],  # their phone alone
                                 ["Người Lạ", "S", "lc 55", None]])            # their card
def test_an_import_names_no_member_outside_the_importers_scope(setting, tmp_path, row):
    _, district, _, other = setting
    make_member(other, "Người Huyện Khác", card_number="LC55", phone="0912000055")
    officer = make_user("huyen", "officer", district)
    path = write_xlsx(tmp_path / "ds.xlsx", [row + [None, None]])
    result = importing.import_members(path, "ds.xlsx", officer, dry_run=True)
    messages = " ".join(e.message for e in result.errors)
    assert "Người Huyện Khác" not in messages and OUT_OF_SCOPE in messages


def test_an_import_names_the_owner_of_a_phone_inside_the_scope(setting, tmp_path):
    _, district, school, _ = setting
    make_member(school, "Người Trong Huyện", card_number="LC56", phone="0912000056")
    officer = make_user("huyen", "officer", district)
    path = write_xlsx(tmp_path / "ds.xlsx", [["Người Khác", "S", "LC57", "0912000056", None, None]])
    result = importing.import_members(path, "ds.xlsx", officer, dry_run=True)
    assert [e.message for e in result.errors] == [
        "Số điện thoại 0912000056 đã thuộc về đoàn viên khác (Người Trong Huyện)."]


def test_fixed_unit_and_dry_run(setting, tmp_path):
    _, _, school, _ = setting
    admin = make_user("admin", "admin")
    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên;Số điện thoại;Năm sinh\nLò Văn Ún;0912000111;1990\n", encoding="utf-8-sig")
    result = importing.import_members(path, "ds.csv", admin, unit=school, dry_run=True)
    assert result.ok and result.rows == 1 and member_count() == 0
    result = importing.import_members(path, "ds.csv", admin, unit=school)
    db.session.commit()
    assert result.added == 1 and member_count() == 1


def test_people_without_card_or_phone_are_matched_by_name_and_year(setting, tmp_path):
    admin = make_user("admin", "admin")
    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên,Mã đơn vị,Năm sinh\nLò Văn Ún,S,1990\nLò Văn Ún,S,1991\n", encoding="utf-8")
    importing.import_members(path, "ds.csv", admin)
    db.session.commit()
    again = importing.import_members(path, "ds.csv", admin)
    assert (again.added, again.unchanged) == (0, 2)
    twins = tmp_path / "twins.csv"
    twins.write_text("Họ và tên,Mã đơn vị,Năm sinh\nLò Văn Ún,S,1990\nLò Văn Ún,S,1990\n", encoding="utf-8")
    result = importing.import_members(twins, "twins.csv", admin)
    assert [e.row for e in result.errors] == [3]


def test_unit_import_accepts_parents_later_in_the_file(app, tmp_path):
    admin = make_user("admin", "admin")
    make_unit("ROOT", kind="province")
    path = write_xlsx(tmp_path / "dv.xlsx", [
        ["CS-1", "Công đoàn cơ sở Trường Mầm non Tam Đường", "Công đoàn cơ sở", "H-1"],
        ["H-1", "Liên đoàn Lao động huyện Tam Đường", "lien doan lao dong huyen", "ROOT"],
    ], headers=["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên"])
    result = importing.import_units(path, "dv.xlsx", admin)
    db.session.commit()
    assert result.ok and result.added == 2
    school = db.session.execute(db.select(Unit).filter_by(code="CS-1")).scalar_one()
    assert school.parent.code == "H-1" and school.depth == 2
    again = importing.import_units(path, "dv.xlsx", admin)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_unit_import_refuses_unknown_kinds_parents_and_cycles(app, tmp_path):
    admin = make_user("admin", "admin")
    path = write_xlsx(tmp_path / "dv.xlsx", [
        ["A", "Đơn vị A", "Công đoàn cơ sở", "B"],
        ["B", "Đơn vị B", "Công đoàn cơ sở", "A"],
        ["C", "Đơn vị C", "Hội nông dân", ""],
        ["D", "Đơn vị D", "Công đoàn cơ sở", "KHONGCO"],
        ["E F", "", "Công đoàn cơ sở", ""],
    ], headers=["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên"])
    result = importing.import_units(path, "dv.xlsx", admin)
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "Mã đơn vị cấp trên"), (3, "Mã đơn vị cấp trên"), (4, "Loại"), (5, "Mã đơn vị cấp trên"),
        (6, "Tên đơn vị")}
    assert db.session.execute(db.select(db.func.count(Unit.id))).scalar_one() == 0


def test_cli_import_with_progress_and_exit_codes(setting, runner, tmp_path):
    make_user("admin", "admin")
    good = write_xlsx(tmp_path / "ds.xlsx", [["Lò Thị Xuân", "S", "LC1", None, None, None]])
    result = runner.invoke(args=["members", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "thêm 1" in result.output
    bad = write_xlsx(tmp_path / "bad.xlsx", [["", "S", None, None, None, None]])
    result = runner.invoke(args=["members", "import", str(bad)])
    assert result.exit_code == 1
    assert "Dòng 2, cột “Họ và tên”" in result.output
    assert member_count() == 1
