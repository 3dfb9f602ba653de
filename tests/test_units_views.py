import io

import pytest
from openpyxl import Workbook, load_workbook

from core.extensions import db
from tests.factories import make_user
from units.models import Member, MemberMove, Unit

ROLES = ["anonymous", "member", "officer_a", "officer_b", "province_officer", "editor", "organiser", "admin"]
USERNAMES = {"member": "member", "officer_a": "officer_a", "officer_b": "officer_b",
             "province_officer": "tinh", "editor": "editor", "organiser": "organiser", "admin": "admin"}


@pytest.fixture
def as_role(world, login, client):
    def _as(role):
        return client if role == "anonymous" else login(USERNAMES[role])
    return _as


# What each role gets on pages about grassroots union A (in district A).
EXPECTED_A = {"anonymous": 302, "member": 403, "officer_a": 200, "officer_b": 404, "province_officer": 200,
              "editor": 403, "organiser": 403, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/units/GA", "/units/GA/members", "/units/GA/members/new",
                                  "/units/members/{member_a}"])
def test_unit_and_member_pages_by_role(world, as_role, role, path):
    response = as_role(role).get(path.format(member_a=world.member_a.id))
    assert response.status_code == EXPECTED_A[role]
    if role == "anonymous":
        assert response.headers["Location"].startswith("/accounts/login")


@pytest.mark.parametrize("role,status", [("anonymous", 302), ("member", 403), ("officer_a", 200),
                                         ("editor", 403), ("admin", 200)])
def test_tree_page_by_role(as_role, role, status):
    assert as_role(role).get("/units/").status_code == status


@pytest.mark.parametrize("role,status", [("officer_a", 403), ("province_officer", 403), ("admin", 200)])
def test_unit_import_and_admin_pages_are_for_administrators(as_role, role, status):
    client = as_role(role)
    assert client.get("/units/import").status_code == status
    assert client.get("/units/kinds").status_code == status
    assert client.get("/accounts/users").status_code == status


def test_tree_shows_only_the_officers_subtree_with_counts(as_role):
    html = as_role("officer_a").get("/units/").get_data(as_text=True)
    assert "Tam Đường" in html and "Bình Lư" in html
    assert "Phong Thổ" not in html and "Sì Lở Lầu" not in html
    assert "1 đoàn viên" in html


def test_unit_search_without_diacritics(as_role):
    html = as_role("admin").get("/units/?q=tam+duong").get_data(as_text=True)
    assert "Kết quả tìm" in html and "Liên đoàn Lao động huyện Tam Đường" in html


def test_member_search_and_pagination(world, as_role):
    from tests.factories import make_member
    for i in range(60):
        make_member(world.grassroots_a, f"Hoàng Văn Số {i:02d}")
    client = as_role("officer_a")
    first = client.get("/units/GA/members").get_data(as_text=True)
    assert "61 đoàn viên" in first and 'aria-label="Phân trang"' in first
    found = client.get("/units/GA/members?q=lo+thi+xuan").get_data(as_text=True)
    assert "1 đoàn viên" in found and "Lò Thị Xuân" in found


def test_officer_adds_and_edits_a_member(world, as_role):
    client = as_role("officer_a")
    response = client.post("/units/GA/members/new", data={
        "full_name": "Vàng Thị Dợ", "phone": "0387 111 222", "birth_year": "1999", "gender": "Nữ",
        "card_number": "", "email": "", "position": "Giáo viên"})
    assert response.headers["Location"] == "/units/GA/members"
    member = db.session.execute(db.select(Member).filter_by(phone="0387111222")).scalar_one()
    response = client.post(f"/units/members/{member.id}", data={
        "full_name": "Vàng Thị Dợ", "phone": "0912000002", "birth_year": "1999", "gender": "Nữ",
        "card_number": "", "email": "", "position": ""})
    assert "Số điện thoại đã thuộc về một đoàn viên khác" in response.get_data(as_text=True)
    response = client.post("/units/GA/members/new", data={"full_name": "Ai Đó", "phone": "12345"})
    assert "Không phải số di động Việt Nam" in response.get_data(as_text=True)


def test_officer_cannot_move_a_member_out_of_their_subtree(world, as_role):
    client = as_role("officer_a")
    client.post(f"/units/members/{world.member_a.id}/move", data={"unit_code": "GB"})
    db.session.expire_all()
    assert world.member_a.unit.code == "GA"
    client.post(f"/units/members/{world.member_a.id}/move", data={"unit_code": "DA"})
    db.session.expire_all()
    assert world.member_a.unit.code == "DA"
    assert db.session.execute(db.select(MemberMove)).scalar_one().to_unit_id == world.district_a.id


def test_officer_of_another_subtree_cannot_post_to_a_sibling(world, as_role):
    client = as_role("officer_b")
    assert client.post(f"/units/members/{world.member_a.id}/status", data={"status": "left"}).status_code == 404
    assert client.post("/units/GA/activate").status_code == 404
    db.session.expire_all()
    assert world.member_a.status == "active"


def test_admin_moves_merges_and_renames_units(world, as_role):
    client = as_role("admin")
    client.post("/units/GA/rename", data={"name": "Công đoàn cơ sở Trường TH Bình Lư mới",
                                          "kind": world.grassroots_a.kind_id})
    client.post("/units/GA/move", data={"target_code": "DB"})
    client.post("/units/DA/merge", data={"target_code": "DB"})
    db.session.expire_all()
    grassroots = db.session.execute(db.select(Unit).filter_by(code="GA")).scalar_one()
    assert grassroots.name.endswith("mới") and grassroots.parent.code == "DB"
    assert db.session.execute(db.select(Unit).filter_by(code="DA")).scalar_one().status == "merged"
    html = client.get("/units/DA").get_data(as_text=True)
    assert "Đã sáp nhập" in html


def test_activation_page_shows_passwords_once(world, as_role):
    from tests.factories import make_member
    make_member(world.grassroots_a, "Sùng A Lử", phone="0978000111")
    response = as_role("officer_a").post("/units/GA/activate")
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Sùng A Lử" in html and "0978000111" in html and "In danh sách" in html


def test_activation_gives_another_name_when_the_usual_one_is_taken(world, as_role):
    from tests.factories import make_member
    member = make_member(world.grassroots_a, "Sùng A Lử", phone="0978000111")
    make_user(f"dv{member.id}")  # made by hand, or left by a member since deleted
    response = as_role("officer_a").post("/units/GA/activate")
    assert response.status_code == 200
    db.session.expire_all()
    account = db.session.get(Member, member.id).user
    assert account is not None and account.username != f"dv{member.id}"
    assert "0978000111" in response.get_data(as_text=True)


def _xlsx(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Họ và tên", "Mã đơn vị", "Số điện thoại"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def test_web_import_shows_row_results_and_errors(world, as_role):
    client = as_role("officer_a")
    response = client.post("/units/members/import", data={
        "file": (_xlsx([["Lò Văn Pọm", "GA", "0912333444"]]), "ds.xlsx"), "unit_code": ""},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert "Đã nhập xong 1 dòng: thêm 1" in html and "Lò Văn Pọm" in html
    response = client.post("/units/members/import", data={
        "file": (_xlsx([["Người Mới", "GA", ""], ["Người Khác", "GB", "0912"]]), "ds.xlsx")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert "Chưa ghi dòng nào" in html
    assert "Mã đơn vị “GB” không có hoặc không thuộc phạm vi bạn quản lý" in html
    assert db.session.execute(db.select(Member).filter_by(full_name="Người Mới")).first() is None


def test_web_import_refuses_a_file_that_is_not_a_spreadsheet(world, as_role):
    response = as_role("officer_a").post("/units/members/import", data={
        "file": (io.BytesIO(b"MZ\x90\x00 not excel"), "virus.exe")}, content_type="multipart/form-data")
    assert "Chỉ nhận tệp .xlsx hoặc .csv." in response.get_data(as_text=True)
    response = as_role("officer_a").post("/units/members/import", data={
        "file": (io.BytesIO(b"PK\x03\x04 broken"), "ds.xlsx")}, content_type="multipart/form-data")
    assert "Không đọc được tệp .xlsx" in response.get_data(as_text=True)


def test_templates_download_as_workbooks(as_role):
    response = as_role("officer_a").get("/units/import/members-template.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    listing, sample = workbook.worksheets
    # The sheet an import reads holds the headers only; the examples are on a sheet of their own.
    assert listing.title == "Danh sách" and listing.max_row == 1
    assert [c.value for c in listing[1]][:4] == ["Họ và tên", "Mã đơn vị", "Số thẻ đoàn viên", "Số điện thoại"]
    assert "không đọc trang này" in sample["A1"].value and sample["A3"].value == "Nguyễn Văn An"
    assert as_role("officer_a").get("/units/import/other-template.xlsx").status_code == 404


def test_the_import_unit_is_chosen_among_the_officers_units(world, as_role):
    page = as_role("officer_a").get("/units/members/import").get_data(as_text=True)
    assert 'class="form-select" id="unit_code" name="unit_code"' in page
    assert '<option selected value="">— Theo cột “Mã đơn vị” trong tệp —</option>' in page
    assert f'<option value="GA">{world.grassroots_a.name} (GA)</option>' in page
    assert "(GB)" not in page and "(P)" not in page
    # Another district's unit, sent by hand, is refused and nothing is written.
    response = as_role("officer_a").post("/units/members/import", data={
        "file": (_xlsx([["Lò Văn Pọm", "", "0912333444"]]), "ds.xlsx"), "unit_code": "GB"},
        content_type="multipart/form-data")
    assert "Lựa chọn không hợp lệ." in response.get_data(as_text=True)
    assert db.session.execute(db.select(Member).filter_by(full_name="Lò Văn Pọm")).first() is None


def test_a_grassroots_officer_finds_the_union_already_chosen(world, login):
    make_user("coso", "officer", world.grassroots_a)
    page = login("coso").get("/units/members/import").get_data(as_text=True)
    assert f'<option selected value="GA">{world.grassroots_a.name} (GA)</option>' in page
    assert "Theo cột" not in page
