"""In Chromium: a member commits and self-assesses on a phone; the grassroots officer confirms in bulk;
the province opens the review, commends, and the Giấy khen is verifiable in public."""
import re

from certificates import services as certificates
from core.clock import local_today
from core.extensions import db
from lamtheo import commitments
from lamtheo.models import Commitment
from tests.factories import log_in_browser, make_member, make_unit, make_user

YEAR = local_today().year


def _tree():
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    district = make_unit("LDLD-TD", province, kind="district", name="Liên đoàn Lao động huyện Tam Đường")
    school = make_unit("CDCS-TD", district, name="Công đoàn cơ sở Trường THCS thị trấn Tam Đường")
    return province, district, school


def test_member_commits_from_a_suggestion_then_self_assesses(live_url, page):
    province, _, school = _tree()
    member = make_member(school, "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    commitments.add_suggestion(province, YEAR, "Tiết kiệm điện, nước tại cơ quan", None)
    db.session.commit()

    log_in_browser(page, live_url, "0912099001")
    page.get_by_role("button", name="Mở danh mục").click()
    page.get_by_role("link", name="Làm theo Bác", exact=True).click()
    page.get_by_label(re.compile("Tiết kiệm điện, nước tại cơ quan")).check()
    page.get_by_role("button", name="Đăng ký").click()
    page.get_by_text("Đã đăng ký việc làm theo.").wait_for()
    page.get_by_label(re.compile("^Việc tôi đăng ký làm theo")).fill("Mỗi tuần kể một mẩu chuyện về Bác cho học sinh")
    page.get_by_role("button", name="Đăng ký").click()
    page.get_by_text("Mỗi tuần kể một mẩu chuyện về Bác cho học sinh").wait_for()
    page.get_by_label("Tự đánh giá cuối năm: bạn đã làm được những gì?").first.fill("Cả năm tắt điện khi ra khỏi lớp")
    page.get_by_role("button", name="Lưu tự đánh giá").first.click()
    page.get_by_text("Đã lưu tự đánh giá").first.wait_for()
    rows = db.session.scalars(db.select(Commitment).order_by(Commitment.id)).all()
    assert [r.text for r in rows] == ["Tiết kiệm điện, nước tại cơ quan",
                                      "Mỗi tuần kể một mẩu chuyện về Bác cho học sinh"]
    assert rows[0].self_assessment == "Cả năm tắt điện khi ra khỏi lớp"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_grassroots_officer_confirms_a_unit_in_bulk(live_url, page):
    _, _, school = _tree()
    make_user("coso", "officer", school, full_name="Hoàng Văn Thắng")
    people = [make_member(school, name) for name in ("Lò Thị Xuân", "Giàng A Páo", "Tòng Văn Sơn")]
    made = [commitments.add(person, YEAR, f"Việc của {person.full_name}") for person in people]
    for person, commitment in zip(people[:2], made[:2], strict=True):
        commitments.self_assess(person, commitment, "Đã làm đều")
    db.session.commit()

    page.set_viewport_size({"width": 1366, "height": 800})
    log_in_browser(page, live_url, "coso")
    page.goto(live_url + "/lam-theo/")
    page.get_by_role("link", name=school.name).click()
    page.get_by_role("link", name="Xem và xác nhận việc đăng ký").click()
    # The button below works through app.js (deferred): a click before the page has loaded does nothing.
    page.wait_for_url(re.compile(r"/commitments\?year=\d+$"), wait_until="load")
    page.get_by_role("button", name="Chọn Đạt cho mọi việc đã tự đánh giá").click()
    page.get_by_label("Chưa đạt: Tòng Văn Sơn, việc 2").check()
    page.get_by_role("button", name="Lưu xác nhận").click()
    page.get_by_text("Đã xác nhận 3 việc đăng ký.").wait_for()
    db.session.expire_all()
    assert [db.session.get(Commitment, c.id).result for c in made] == ["dat", "dat", "chua_dat"]


def test_province_opens_the_review_commends_and_the_giay_khen_is_verifiable(app, live_url, page, browser):
    app.config["PUBLIC_BASE_URL"] = live_url
    province, district, school = _tree()
    make_user("tinh", "officer", province, full_name="Đồng Thị Nghĩa")
    certificates.save_issuer(province, actor=None, body_lines="Liên đoàn Lao động tỉnh Lai Châu", place="Lai Châu",
                             signer_title="TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH", signer_name="Đồng Thị Nghĩa",
                             serial_suffix="GK-LĐLĐ")
    member = make_member(school, "Lò Thị Xuân")
    made = commitments.add(member, YEAR, "Đi làm đúng giờ")
    db.session.flush()
    commitments.confirm(school, {made.id: ("dat", "")}, make_user("coso", "officer", school))
    db.session.commit()

    page.set_viewport_size({"width": 1366, "height": 800})
    log_in_browser(page, live_url, "tinh")
    page.goto(live_url + f"/lam-theo/units/{province.code}")
    page.get_by_label("Năm").last.select_option(str(YEAR))
    page.get_by_role("button", name="Mở sơ kết, tổng kết").click()
    page.wait_for_url(re.compile(r"/lam-theo/reviews/\d+"))
    figures = page.locator("#review-figures")
    assert "Liên đoàn Lao động huyện Tam Đường" in figures.inner_text()
    page.get_by_label(re.compile("Lò Thị Xuân")).check()
    page.get_by_label("Liên đoàn Lao động huyện Tam Đường").check()
    page.get_by_label("Thành tích được biểu dương (in trên giấy khen)").fill("Tiêu biểu trong làm theo Bác")
    page.get_by_role("button", name="Biểu dương và cấp giấy khen").click()
    page.get_by_text("Đã biểu dương 2 cá nhân, tập thể").wait_for()
    page.locator("#commendations a").first.click()
    page.get_by_text("Giấy chứng nhận hợp lệ").wait_for()
    assert "Lò Thị Xuân" in page.content() and "Tiêu biểu trong làm theo Bác" in page.content()
