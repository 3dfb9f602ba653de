"""In Chromium, on a 360-px phone: the province officer of the demo drills down from the
province to a grassroots union's member list, filters it, and downloads the .xlsx."""
import re

from openpyxl import load_workbook

from certificates import demo as certificates_demo
from core.extensions import db
from learning import demo as learning_demo
from quizzes import demo as quizzes_demo
from reports import demo as reports_demo
from tests.factories import log_in_browser
from tests.test_reports_views import member_list
from units import demo as units_demo


def seed_demo_province() -> None:
    for seed in (units_demo.seed, learning_demo.seed, quizzes_demo.seed, certificates_demo.seed, reports_demo.seed):
        seed()
        db.session.commit()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_the_province_officer_drills_down_to_a_member_list_and_downloads_it(app, live_url, page, tmp_path):
    seed_demo_province()
    log_in_browser(page, live_url, "tinh", units_demo.DEMO_PASSWORD)
    page.get_by_role("link", name="Báo cáo kết quả học tập").click()
    page.get_by_role("heading", name="Báo cáo kết quả học tập: Liên đoàn Lao động tỉnh Lai Châu").wait_for()
    assert page.get_by_label("Kỳ báo cáo").input_value() == "2022-01-01_2022-03-31"
    assert page.locator("svg.chart-bars").is_visible() and page.locator("svg.chart-line").is_visible()
    assert fits_the_screen(page)
    page.screenshot(path=str(tmp_path / "province.png"), full_page=True)

    page.get_by_role("link", name="Liên đoàn Lao động huyện Tam Đường").click()
    page.get_by_role("heading", name="Báo cáo kết quả học tập: Liên đoàn Lao động huyện Tam Đường").wait_for()
    assert "from=2022-01-01&to=2022-03-31" in page.url
    page.get_by_role("link", name="Công đoàn cơ sở Trường THCS thị trấn Tam Đường").click()
    page.get_by_role("heading", name="Danh sách đoàn viên").wait_for()
    members = page.locator("#member-table tbody tr")
    everyone = members.count()
    assert everyone > 30 and page.get_by_text("Hoàn thành", exact=True).first.is_visible()
    assert fits_the_screen(page)
    page.screenshot(path=str(tmp_path / "grassroots.png"), full_page=True)

    page.get_by_role("link", name=re.compile(r"Chưa hoàn thành \(\d+\)")).click()
    page.wait_for_url(re.compile(r"only=incomplete"))
    left = members.count()
    assert 0 < left < everyone
    statuses = set(page.locator("#member-table tbody .badge").all_inner_texts())
    assert statuses and "Hoàn thành" not in statuses

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải Excel (.xlsx)").click()
    name = download.value.suggested_filename
    assert name == "bao-cao-CDCS-TD-THCS-chuyen-de-2022-20220101-20220331-chua-hoan-thanh.xlsx"
    download.value.save_as(tmp_path / name)
    workbook = load_workbook(tmp_path / name)
    rows = list(workbook["Báo cáo"].iter_rows(values_only=True))
    assert rows[1][0] == "Đơn vị: Công đoàn cơ sở Trường THCS thị trấn Tam Đường"
    total = next(row for row in rows if row[0] == "TỔNG CỘNG")
    completed = int(page.get_by_test_id("summary").locator("strong").first.inner_text())
    header = next(row for row in rows if row[0] == "Đơn vị")
    assert total[header.index("Hoàn thành")] == completed
    listed = member_list(workbook)
    assert len(listed) == left and all(row["Tình trạng"] != "Hoàn thành" for row in listed)
    assert workbook["Danh sách đoàn viên"]["A1"].value == "DANH SÁCH ĐOÀN VIÊN CHƯA HOÀN THÀNH CHUYÊN ĐỀ"

    # The list alone, as on the page, for the officer to print and sign.
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải danh sách (.xlsx)").click()
    name = download.value.suggested_filename
    assert name == "bao-cao-CDCS-TD-THCS-chuyen-de-2022-20220101-20220331-doan-vien-chua-hoan-thanh.xlsx"
    download.value.save_as(tmp_path / name)
    workbook = load_workbook(tmp_path / name)
    assert workbook.sheetnames == ["Danh sách đoàn viên"] and len(member_list(workbook)) == left
    text = [value for row in workbook.active.iter_rows(values_only=True) for value in row if value]
    assert "Lai Châu, ngày …… tháng …… năm ……" in text and "TM. BAN THƯỜNG VỤ" in text
