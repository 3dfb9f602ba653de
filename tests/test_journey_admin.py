"""In Chromium on a 1366-px laptop, the administrator: roles named in Vietnamese, and the audit log's
date filters wide enough for dd/mm/yyyy."""
from playwright.sync_api import expect

from core.extensions import db
from tests.factories import log_in_browser


def test_the_account_list_names_roles_in_vietnamese(world, live_url, page):
    world.province.name = "Liên đoàn Lao động tỉnh Lai Châu"
    db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in_browser(page, live_url, "admin")
    page.goto(f"{live_url}/accounts/users")
    roles = page.get_by_role("table").locator("tbody td:nth-child(3)")
    expect(roles.filter(has_text="Quản trị viên")).to_have_count(1)
    expect(roles.filter(has_text="Ban tổ chức cuộc thi · LĐLĐ tỉnh Lai Châu")).to_have_count(1)
    expect(roles.filter(has_text="Cán bộ công đoàn · LĐLĐ huyện Tam Đường")).to_have_count(1)
    for english in ("admin", "officer", "organiser", "editor"):
        expect(roles.filter(has_text=english)).to_have_count(0)
    page.get_by_role("link", name="organiser", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("Ban tổ chức cuộc thi · LĐLĐ tỉnh Lai Châu")


def test_the_audit_log_date_filters_show_a_whole_date(world, live_url, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in_browser(page, live_url, "admin")
    page.goto(f"{live_url}/admin/audit/")
    for label in ("Từ ngày", "Đến ngày"):
        field = page.get_by_label(label)
        field.fill("28/12/2026")
        assert field.evaluate("el => el.scrollWidth <= el.clientWidth"), f"{label}: the date is cut off"
