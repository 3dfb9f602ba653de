"""In Chromium, on a 360-px phone: a guest registers for a contest, takes the open round,
sees the result without the answers; once the round closes, the leaderboard and the answers."""
import re
from datetime import timedelta

from contests import services
from contests.models import Contest
from core.clock import utcnow
from core.extensions import db
from learning import editing
from learning import topics as learning_topics
from quizzes import services as quizzes
from quizzes.models import Attempt
from tests.factories import make_unit


def test_a_guest_registers_takes_a_round_and_later_sees_the_board_and_answers(synced, app, live_url, page, tmp_path):
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    bank = editing.clone_topic(learning_topics.get_topic("ket-luan-01-kl-tw"), "ngan-hang", "Ngân hàng thi", 2022)
    contest = Contest(slug="thi-132-nam", title="Cuộc thi tìm hiểu 132 năm Ngày sinh Chủ tịch Hồ Chí Minh",
                      organiser_unit=province, audience_unit=province, bank=bank, published=True)
    db.session.add(contest)
    now = utcnow()
    services.add_round(contest, 1, now - timedelta(hours=1), now + timedelta(days=6), question_count=3)
    db.session.commit()
    services.forget_cache()

    page.goto(live_url + "/")
    page.get_by_role("link", name=contest.title).click()
    page.get_by_role("link", name="VÀO THI").click()
    page.get_by_label("Họ và tên").fill("Trần Thị Hoa")
    page.get_by_label("Năm sinh").fill("1995")
    page.get_by_label("Số điện thoại di động (dùng để đăng nhập)").fill("0987654321")
    page.get_by_label("Hoặc nơi làm việc").fill("Công ty May Lai Châu")
    page.get_by_label("Mật khẩu", exact=True).fill("hoa-du-thi-2022")
    page.get_by_label("Nhập lại mật khẩu").fill("hoa-du-thi-2022")
    page.get_by_role("button", name="Đăng ký dự thi").click()
    page.get_by_text("Đăng ký thành công").wait_for()

    page.get_by_role("button", name="VÀO THI").click()
    page.wait_for_url(re.compile(r"/attempts/\d+"))
    attempt = db.session.scalars(db.select(Attempt)).one()
    for entry in attempt.paper[:2]:  # one question a screen
        page.locator("#" + quizzes.choice_key(attempt, entry["correct"][0])).check()
        page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()
        page.get_by_role("button", name="Câu sau →").click()
    page.get_by_label(re.compile("Câu hỏi dự đoán")).fill("1500")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_test_id("score").wait_for()
    assert page.get_by_test_id("score").inner_text() == "2/3 câu đúng"
    assert page.get_by_text("(đáp án đúng)").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    contest.rounds[0].quiz.closes_at = utcnow() - timedelta(seconds=1)  # the round ends
    db.session.commit()
    services.forget_cache()
    page.reload()
    assert page.get_by_text("(đáp án đúng)").count() == 3
    page.get_by_role("link", name="Về trang cuộc thi").click()
    page.get_by_role("link", name="Bảng xếp hạng tuần 1").click()
    row = page.get_by_role("row", name=re.compile("Trần T. H."))
    assert "2" in row.inner_text()
    # Neither the guest's phone nor their own words for their workplace reach a public page.
    assert page.get_by_text("0987654321").count() == 0 and page.get_by_text("Công ty May Lai Châu").count() == 0
    page.screenshot(path=str(tmp_path / "leaderboard.png"), full_page=True)
