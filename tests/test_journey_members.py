"""In Chromium: an officer imports members, finds them, and a bad file is refused (on a phone); a district
officer fills the downloaded template for one of the district's unions (on a 1366-px laptop)."""
from openpyxl import Workbook, load_workbook

from core.extensions import db
from tests.factories import log_in_browser, make_member, make_unit, make_user
from units.models import Member

GIVEN = ["An", "Bình", "Chứ", "Dợ", "Hạnh", "Khăm", "Lử", "Mỷ", "Páo", "Xuân"]


def _workbook(path, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Họ và tên", "Số điện thoại", "Năm sinh", "Giới tính"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return str(path)


def test_officer_imports_members_finds_them_and_sees_row_errors(app, live_url, page, tmp_path):
    district = make_unit("LDLD-TD", make_unit("LDLD-LC", kind="province"), kind="district")
    school = make_unit("CDCS-TD-THCS", district, name="Công đoàn cơ sở Trường THCS thị trấn Tam Đường")
    make_user("coso", "officer", school)
    make_member(school, "Hoàng Văn Thắng", phone="0912999000")
    good = _workbook(tmp_path / "ds.xlsx", [
        [f"Vàng Thị {GIVEN[i % 10]} {i:02d}", f"09120{i:05d}", 1980 + i % 20, "Nữ"] for i in range(50)])
    bad = _workbook(tmp_path / "sai.xlsx", [
        ["Sùng A Páo", "0912 345", 1990, "Nam"], ["", "0912000111", 1990, "Nam"],
        ["Lò Văn Ún", "0912000111", 1850, "Nam"]])

    log_in_browser(page, live_url, "coso")
    page.get_by_role("heading", name="Xin chào").wait_for()

    page.goto(live_url + "/units/members/import")
    page.get_by_label("Tệp danh sách (.xlsx hoặc .csv)").set_input_files(good)
    assert page.get_by_label("Đơn vị của danh sách").input_value() == "CDCS-TD-THCS"  # the officer's only union
    page.get_by_role("button", name="Nhập danh sách").click()
    page.get_by_text("Đã nhập xong 50 dòng: thêm 50").wait_for()

    page.goto(live_url + "/units/CDCS-TD-THCS/members")
    page.get_by_label("Tìm đoàn viên").fill("vang thi chu 02")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("link", name="Vàng Thị Chứ 02").wait_for()
    assert page.get_by_text("1 đoàn viên khớp").is_visible()
    page.screenshot(path=str(tmp_path / "members.png"), full_page=True)

    page.goto(live_url + "/units/members/import")
    page.get_by_label("Tệp danh sách (.xlsx hoặc .csv)").set_input_files(bad)
    page.get_by_role("button", name="Nhập danh sách").click()
    page.get_by_text("Chưa ghi dòng nào").wait_for()
    errors = [row.split("\t") for row in page.locator("#import-errors tbody tr").all_inner_texts()]
    assert [(row[0], row[1]) for row in errors] == [
        ("2", "Số điện thoại"), ("3", "Họ và tên"), ("4", "Năm sinh"), ("4", "Số điện thoại")]
    assert "không phải số di động Việt Nam" in errors[0][2]
    assert errors[1][2] == "Thiếu họ và tên."
    assert "trùng với dòng 3" in errors[3][2]
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "errors.png"), full_page=True)

    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(Member.id))).scalar_one() == 51


def test_a_district_officer_fills_the_template_for_one_union(app, live_url, page, tmp_path):
    page.set_viewport_size({"width": 1366, "height": 768})
    province = make_unit("LDLD-LC", kind="province")
    district = make_unit("LDLD-TD", province, kind="district", name="Liên đoàn Lao động huyện Tam Đường")
    make_unit("CDCS-TD-THCS", district, name="Công đoàn cơ sở Trường THCS thị trấn Tam Đường")
    school = make_unit("CDCS-TD-MN", district, name="Công đoàn cơ sở Trường Mầm non Bình Lư")
    make_unit("CDCS-PT", make_unit("LDLD-PT", province, kind="district"), name="Công đoàn cơ sở Phong Thổ")
    make_user("tamduong", "officer", district)
    log_in_browser(page, live_url, "tamduong")
    page.goto(live_url + "/units/members/import")

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải tệp mẫu (.xlsx)").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    workbook = load_workbook(template)
    listing, examples = workbook.worksheets
    # The officer fills the list, and copies the example rows too, as people do.
    for row in [*list(examples.iter_rows(min_row=3, values_only=True)),
                ["Vàng Thị Mỷ", None, None, "0912 000 301", None, 1990, "Nữ"],
                ["Lò Văn Ún", None, None, "0912000302", None, 1985, "Nam"]]:
        listing.append(list(row))
    workbook.save(template)

    unit = page.get_by_label("Đơn vị của danh sách")
    options = unit.locator("option").all_inner_texts()
    assert "Công đoàn cơ sở Trường Mầm non Bình Lư (CDCS-TD-MN)" in options
    assert not any("CDCS-PT" in option for option in options)  # another district's union is not offered
    unit.select_option(label="Công đoàn cơ sở Trường Mầm non Bình Lư (CDCS-TD-MN)")
    page.get_by_label("Tệp danh sách (.xlsx hoặc .csv)").set_input_files(str(template))
    page.get_by_role("button", name="Nhập danh sách").click()
    page.get_by_text("Đã nhập xong 2 dòng: thêm 2").wait_for()
    assert page.get_by_text("Bỏ qua 2 dòng ví dụ của tệp mẫu (dòng 2, 3)").is_visible()
    page.screenshot(path=str(tmp_path / "import-1366.png"), full_page=True)

    db.session.expire_all()
    names = db.session.scalars(db.select(Member.full_name).where(Member.unit_id == school.id)
                               .order_by(Member.full_name)).all()
    assert names == ["Lò Văn Ún", "Vàng Thị Mỷ"]
