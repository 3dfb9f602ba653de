"""In Chromium: a grassroots officer nominates a model with a photo from their phone, the district
endorses it, the province approves it, and the public reads it on a 390-px phone, shares it (Open
Graph) and finds it in the Atom feed."""
import io
import re
import xml.etree.ElementTree as ET

from PIL import Image

from core.permissions import OFFICER
from tests.factories import log_in_browser, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
TITLE = "Tủ sách Bác Hồ với học trò vùng cao"


def _photo_with_position(path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (22.0, 24.0, 5.0), 3: "E", 4: (103.0, 27.0, 30.0)})
    Image.new("RGB", (3000, 2000), (180, 40, 50)).save(path, "JPEG", exif=exif)


def _officer(browser, live_url, username, width=1366):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in_browser(page, live_url, username)
    return context, page


def test_nominated_endorsed_approved_then_read_by_the_public_on_a_phone(app, world, live_url, page, browser,
                                                                          tmp_path):
    app.config["PUBLIC_BASE_URL"] = live_url
    make_user("coso_a", OFFICER, world.grassroots_a, full_name="Hoàng Văn Thắng")
    photo = tmp_path / "tu-sach.jpg"
    _photo_with_position(photo)

    # The grassroots officer, on the 360-px phone of the `page` fixture.
    log_in_browser(page, live_url, "coso_a")
    page.goto(live_url + "/lam-theo/guong-sang/")
    page.get_by_role("link", name="Đề cử mới").click()
    page.get_by_label("Mô hình hay, cách làm hiệu quả").check()
    page.get_by_label(re.compile("^Đơn vị")).select_option("GA")
    page.get_by_label("Tên mô hình hoặc gương điển hình").fill(TITLE)
    page.get_by_label(re.compile("^Tóm tắt")).fill("Mỗi lớp một ngăn sách về Bác, mỗi tuần một giờ kể chuyện Bác Hồ.")
    page.get_by_label("Câu chuyện").fill("Mỗi đoàn viên góp **hai cuốn sách**.\n\n- Thứ Sáu: giờ kể chuyện Bác;\n"
                                         "- Cuối kỳ: thi kể chuyện.")
    page.get_by_label("Ảnh", exact=True).set_input_files(str(photo))
    page.get_by_role("button", name="Gửi đề cử").click()
    page.get_by_text("Đã gửi đề cử; hồ sơ chờ Liên đoàn Lao động huyện Tam Đường xét.").wait_for()
    assert page.locator("#story-status").inner_text() == "Đang chờ xét"

    # The district officer endorses and passes it up.
    context, district = _officer(browser, live_url, "officer_a")
    district.goto(live_url + "/lam-theo/guong-sang/")
    district.get_by_role("heading", name="Chờ bạn xét (1)").wait_for()
    district.get_by_role("link", name=TITLE).click()
    district.get_by_role("textbox", name="Ý kiến").fill("Mô hình hay, đề nghị tỉnh biểu dương.")
    district.get_by_role("button", name="Đồng ý, chuyển lên cấp trên").click()
    district.get_by_text("Đã chuyển lên Liên đoàn Lao động tỉnh Thử.").wait_for()
    context.close()

    # The province approves: the story goes public.
    context, province = _officer(browser, live_url, "tinh")
    province.goto(live_url + "/lam-theo/guong-sang/")
    province.get_by_role("link", name=TITLE).click()
    province.get_by_text("Mô hình hay, đề nghị tỉnh biểu dương.").wait_for()  # the district's comment, in the history
    province.get_by_role("button", name="Duyệt đăng").click()
    province.get_by_text("Đã duyệt: bài đã lên trang Gương sáng.").wait_for()
    context.close()

    # The public, not logged in, on a 390-px phone.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    reader = context.new_page()
    reader.set_default_timeout(15000)
    reader.goto(live_url + "/guong-sang")
    reader.get_by_role("link", name=TITLE).click()
    reader.get_by_role("heading", name=TITLE, level=1).wait_for()
    assert reader.locator(".lesson-body strong").inner_text() == "hai cuốn sách"
    image = reader.locator("article img").first
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1600
    assert reader.evaluate("document.documentElement.scrollWidth") <= 390

    og_image = reader.locator('meta[property="og:image"]').get_attribute("content")
    assert og_image.startswith(live_url + "/guong-sang/anh/")
    assert reader.locator('meta[property="og:title"]').get_attribute("content") == TITLE
    shared = reader.request.get(og_image)
    assert shared.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(shared.body())).getexif().get_ifd(0x8825)  # no GPS position on the public image

    feed = reader.request.get(live_url + "/guong-sang/feed.xml")
    root = ET.fromstring(feed.body())
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}updated") is not None
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == TITLE
    assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == reader.url
    context.close()
