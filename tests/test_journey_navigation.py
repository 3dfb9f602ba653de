"""In Chromium on a 1366-px office laptop (and 1280 px): each role's menu lies open, its main entries
in view and the rest under "Khác"; every role's home page has a card for each of its jobs."""
import re

import pytest
from playwright.sync_api import expect

from core.extensions import db
from tests.factories import log_in_browser

MAIN_ENTRIES = {
    "tinh": ["Việc học của tôi", "Đơn vị", "Nhập đoàn viên", "Báo cáo"],
    "editor": ["Việc học của tôi", "Biên tập"],
    "organiser": ["Việc học của tôi", "Cuộc thi"],
    "admin": ["Đơn vị", "Nhập đoàn viên", "Báo cáo", "Biên tập", "Tài khoản", "Nhật ký"],
}


@pytest.mark.layout
@pytest.mark.parametrize("width, height", [(1366, 768), (1280, 720)])
def test_main_entries_stay_in_view_on_an_office_laptop(world, live_url, page, width, height):
    for user in (world.admin, world.province_officer, world.editor, world.organiser):
        user.full_name = "Nguyễn Thị Phương Thảo Nguyên"  # a long name beside the menu, as real ones are
    db.session.commit()
    page.set_viewport_size({"width": width, "height": height})
    for username, entries in MAIN_ENTRIES.items():
        page.context.clear_cookies()
        log_in_browser(page, live_url, username)
        menu = page.get_by_role("navigation", name="Điều hướng chính")
        expect(menu.get_by_role("button", name="Mở danh mục")).to_be_hidden()
        for entry in entries:
            expect(menu.get_by_role("link", name=entry, exact=True)).to_be_visible()
        expect(menu.get_by_role("searchbox")).to_be_visible()
        expect(menu.get_by_role("button", name="Đăng xuất")).to_be_visible()
        header = page.locator("header").bounding_box()
        assert header["height"] < 70, f"{username}: the menu wraps onto a second line"
        assert page.evaluate("document.documentElement.scrollWidth") <= width

    menu.get_by_text("Khác", exact=True).click()  # the administrator's other jobs
    menu.get_by_role("link", name="Đơn vị cấp giấy chứng nhận").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("giấy chứng nhận")


@pytest.mark.layout
def test_on_a_phone_the_menu_folds_and_opens_with_its_other_entries(world, live_url, page):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_browser(page, live_url, "tinh")
    menu = page.get_by_role("navigation", name="Điều hướng chính")
    expect(menu.get_by_role("link", name="Báo cáo", exact=True)).to_be_hidden()
    menu.get_by_role("button", name="Mở danh mục").click()
    menu.get_by_text("Khác", exact=True).click()
    menu.get_by_role("link", name="Buổi học tập trực tiếp").click()
    expect(page).to_have_url(re.compile(r"/sessions/P$"))  # the officer's own unit
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


HOME_CARDS = {
    "tinh": [("Đơn vị và đoàn viên", "/units/")],
    "editor": [("Biên tập", "/editor/")],
    "organiser": [("Cuộc thi", "/contests/organise/new")],
    "admin": [("Biên tập", "/editor/"), ("Cuộc thi", "/contests/organise/new"), ("Quản trị", "/admin/audit/")],
}


@pytest.mark.parametrize("username", HOME_CARDS)
def test_every_role_has_a_home_card_for_each_of_its_jobs(world, login, username):
    page = login(username).get("/").get_data(as_text=True)
    for title, link in HOME_CARDS[username]:
        card = page[page.index(f'<h2 class="h5 card-title">{title}</h2>'):]
        card = card[:card.index("</div></div></div>")]
        assert f'href="{link}' in card, (username, title)
