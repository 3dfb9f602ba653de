"""In Chromium, on a 360-px phone: doanvien opens the 2022 topic, reads a lesson, marks it
studied (too early first), and sees the progress bar move."""
from datetime import timedelta

from playwright.sync_api import expect

from certificates import services as certificates
from core.clock import utcnow
from core.extensions import db
from learning import studying
from learning import topics as learning_topics
from learning.models import LessonProgress
from quizzes.models import Quiz
from tests.factories import log_in_browser, make_member, make_unit, make_user


def test_member_reads_a_lesson_marks_it_and_the_progress_moves(synced, app, live_url, page, tmp_path):
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    school = make_unit("CDCS-TD-THCS", make_unit("LDLD-TD", province, kind="district"),
                       name="Công đoàn cơ sở Trường THCS thị trấn Tam Đường")
    member = make_member(school, "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    topic = learning_topics.get_topic("chuyen-de-2022")
    first = learning_topics.published_lessons(topic)[0]
    first.min_read_seconds = 3  # the editor's per-lesson minimum, short enough to wait for here
    db.session.commit()

    page.set_viewport_size({"width": 390, "height": 844})
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
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows the phone
    page.screenshot(path=str(tmp_path / "lesson-top.png"))

    mark = page.get_by_role("button", name="Tôi đã học xong bài này")
    expect(mark).to_be_disabled()  # too early: the button says how long is left
    expect(mark).to_contain_text("còn")
    page.mouse.wheel(0, 3000)  # read on; the page remembers the place
    expect(mark).to_be_enabled(timeout=15000)
    expect(mark).not_to_contain_text("còn")
    mark.click()
    page.get_by_text(f"bạn đã học xong bài “{first.title}” (1/6 bài").wait_for()

    page.locator("main").get_by_role("link", name="Việc học của tôi").click()  # the breadcrumb: the menu is folded
    assert card.get_by_test_id("progress-text").inner_text() == "1/6 bài · 17%"
    assert progress.get_attribute("value") == "17"
    page.screenshot(path=str(tmp_path / "my-learning.png"), full_page=True)
    row = db.session.scalars(db.select(LessonProgress).filter_by(lesson_id=first.id)).one()
    db.session.refresh(row)
    assert row.studied_at is not None and row.resume_percent > 0


def test_without_javascript_a_refusal_shows_next_to_the_button(synced, app, live_url, browser):
    """A phone with scripts off: pressed too early, the page comes back at the button with the reason."""
    school = make_unit("CDCS-TD-THCS", make_unit("LDLD-LC", kind="province"))
    member = make_member(school, "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, school)
    db.session.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    try:
        log_in_browser(page, live_url, "doanvien")
        lesson = learning_topics.published_lessons(topic)[0]
        page.goto(f"{live_url}/learn/{topic.slug}/{lesson.slug}")
        page.get_by_role("button", name="Tôi đã học xong bài này").click()
        refusal = page.locator("#mark").get_by_role("alert")
        expect(refusal).to_contain_text("Bạn mở bài này chưa lâu")
        expect(refusal).to_be_in_viewport()
        expect(page.get_by_role("button", name="Tôi đã học xong bài này")).to_be_in_viewport()
    finally:
        context.close()


def test_after_the_last_lesson_the_quiz_and_then_the_certificate_are_one_tap_away(synced, app, live_url, page):
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    school = make_unit("CDCS-TD-THCS", province)
    member = make_member(school, "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    admin = make_user("quantri", "admin")
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, province)
    *studied, last = learning_topics.published_lessons(topic)
    for lesson in studied:
        studying.open_lesson(member, lesson, now=utcnow() - timedelta(hours=1))
        studying.mark_studied(member, lesson)
    last.min_read_seconds = 0
    db.session.add(Quiz(topic=topic, title="Bài kiểm tra cuối chuyên đề năm 2022", question_count=2,
                        time_limit_seconds=600, pass_percent=50, min_duration_seconds=0))
    db.session.commit()

    page.set_viewport_size({"width": 390, "height": 844})
    log_in_browser(page, live_url, "doanvien")
    page.goto(f"{live_url}/learn/{topic.slug}/{last.slug}")
    page.get_by_role("button", name="Tôi đã học xong bài này").click()
    expect(page.get_by_role("status")).to_contain_text("6/6 bài")
    page.get_by_role("status").get_by_role("link", name="Làm bài kiểm tra ngay").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bài kiểm tra cuối chuyên đề năm 2022")

    certificates.save_issuer(province, actor=None, body_lines="Liên đoàn Lao động tỉnh Lai Châu", place="Lai Châu",
                             signer_title="PHÓ CHỦ TỊCH", signer_name="Đồng Thị Nghĩa", serial_suffix="GCN-LĐLĐ")
    certificate = certificates.issue_offline(member, topic, admin, "Học tập trung ngày 15/3/2022 tại trường")
    db.session.commit()
    page.goto(f"{live_url}/learn/")
    link = page.get_by_role("link", name="Tải giấy chứng nhận (PDF)")
    expect(link).to_have_attribute("href", f"/certificates/{certificate.code}.pdf")
