"""In Chromium, on a 360-px phone: doanvien opens the 2022 topic, reads a lesson, marks it
studied (too early first), and sees the progress bar move."""
from pathlib import Path

from core.extensions import db
from learning import content, services
from learning.models import LessonProgress
from tests.factories import make_member, make_unit, make_user, log_in_browser

CONTENT = Path(__file__).resolve().parent.parent / "content"


def test_member_reads_a_lesson_marks_it_and_the_progress_moves(app, live_url, page, tmp_path):
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    school = make_unit("CDCS-TD-THCS", make_unit("LDLD-TD", province, kind="district"),
                       name="Công đoàn cơ sở Trường THCS thị trấn Tam Đường")
    member = make_member(school, "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    content.sync(CONTENT)  # sets both Lai Châu topics for the province, LDLD-LC
    topic = services.get_topic("chuyen-de-2022")
    first = services.published_lessons(topic)[0]
    first.min_read_seconds = 3  # the editor's per-lesson minimum, short enough to wait for here
    db.session.commit()

    log_in_browser(page, live_url, "0912099001")
    page.get_by_role("link", name="Mở danh mục").or_(page.get_by_role("button", name="Mở danh mục")).click()
    page.get_by_role("link", name="Việc học của tôi").click()

    card = page.get_by_role("region", name=topic.title)
    progress = card.get_by_role("progressbar")
    assert progress.get_attribute("value") == "0"
    assert card.get_by_test_id("progress-text").inner_text() == "0/6 bài · 0%"
    page.get_by_role("link", name=f"Bắt đầu học: {first.title}").click()
    page.get_by_role("heading", level=1, name=first.title).wait_for()
    assert page.get_by_role("navigation", name="Mục lục bài học").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing overflows the phone
    page.screenshot(path=str(tmp_path / "lesson-top.png"))

    page.get_by_role("button", name="Tôi đã học xong bài này").click()  # at once: refused
    page.get_by_text("Bạn mở bài này chưa lâu").wait_for()
    page.mouse.wheel(0, 3000)  # read on; the page remembers the place
    page.wait_for_timeout(3200)
    page.get_by_role("button", name="Tôi đã học xong bài này").click()
    page.get_by_text(f"bạn đã học xong bài “{first.title}” (1/6 bài").wait_for()

    page.locator("main").get_by_role("link", name="Việc học của tôi").click()  # the breadcrumb: the menu is folded
    assert card.get_by_test_id("progress-text").inner_text() == "1/6 bài · 17%"
    assert progress.get_attribute("value") == "17"
    page.screenshot(path=str(tmp_path / "my-learning.png"), full_page=True)
    row = db.session.scalars(db.select(LessonProgress).filter_by(lesson_id=first.id)).one()
    db.session.refresh(row)
    assert row.studied_at is not None and row.resume_percent > 0
