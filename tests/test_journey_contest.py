"""In Chromium, on a 360-px phone: a guest registers for a contest, takes the open round,
sees the result without the answers; once the round closes, the leaderboard and the answers."""
import re
from datetime import timedelta

from contests import boards, services
from contests.models import Contest
from core.clock import utcnow
from core.extensions import db
from learning import editing
from learning import topics as learning_topics
from quizzes import services as quizzes
from quizzes.models import Attempt
from tests.factories import make_unit


def _contest_with_an_open_round() -> Contest:
    """Open to the public, one round of three questions open for six more days."""
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    bank = editing.clone_topic(learning_topics.get_topic("ket-luan-01-kl-tw"), "ngan-hang", "Ngân hàng thi", 2022)
    contest = Contest(slug="thi-132-nam", title="Cuộc thi tìm hiểu 132 năm Ngày sinh Chủ tịch Hồ Chí Minh",
                      organiser_unit=province, audience_unit=province, bank=bank, published=True,
                      open_to_public=True)
    db.session.add(contest)
    now = utcnow()
    services.add_round(contest, 1, now - timedelta(hours=1), now + timedelta(days=6), question_count=3)
    db.session.commit()
    boards.forget_cache()
    return contest


def _register_as_a_guest(page) -> None:
    """The registration form, filled in and sent as a guest would, on the page it is open in."""
    page.get_by_label("Họ và tên").fill("Trần Thị Hoa")
    page.get_by_label("Năm sinh").fill("1995")
    page.get_by_label("Số điện thoại di động (dùng để đăng nhập)").fill("0987654321")
    page.get_by_label("Hoặc nơi làm việc").fill("Công ty May Lai Châu")
    page.get_by_label("Mật khẩu", exact=True).fill("hoa-du-thi-2022")
    page.get_by_label("Nhập lại mật khẩu").fill("hoa-du-thi-2022")
    page.get_by_role("button", name="Đăng ký dự thi").click()
    page.get_by_text("Đăng ký thành công").wait_for()


def test_a_guest_registers_takes_a_round_and_later_sees_the_board_and_answers(synced, app, live_url, page, tmp_path):
    contest = _contest_with_an_open_round()

    page.goto(live_url + "/")
    page.get_by_role("link", name=contest.title).click()
    page.get_by_role("link", name="VÀO THI").click()
    _register_as_a_guest(page)

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
    boards.forget_cache()
    page.reload()
    assert page.get_by_text("(đáp án đúng)").count() == 3
    page.get_by_role("link", name="Về trang cuộc thi").click()
    page.get_by_role("link", name="Bảng xếp hạng tuần 1").click()
    row = page.get_by_role("row", name=re.compile("Trần T. H."))
    assert "2" in row.inner_text()
    # Neither the guest's phone nor their own words for their workplace reach a public page.
    assert page.get_by_text("0987654321").count() == 0 and page.get_by_text("Công ty May Lai Châu").count() == 0
    page.screenshot(path=str(tmp_path / "leaderboard.png"), full_page=True)


def test_a_round_pages_through_its_questions_without_a_request_and_without_javascript_too(
        synced, app, live_url, page, browser):
    _contest_with_an_open_round()

    page.goto(live_url + "/contests/thi-132-nam/register")
    _register_as_a_guest(page)
    page.get_by_role("button", name="VÀO THI").click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    attempt = db.session.scalars(db.select(Attempt)).one()
    paper = attempt.paper

    loads: list[str] = []
    page.on("request", lambda request: loads.append(request.url) if request.resource_type == "document" else None)
    for n, entry in enumerate(paper, start=1):
        choice = page.locator("#" + quizzes.choice_key(attempt, entry["correct"][0]))
        assert choice.is_visible() and page.locator("fieldset[data-question]:visible").count() == 1
        choice.check()
        page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()
        if n < len(paper):
            page.get_by_role("button", name="Câu sau →").click()
            page.wait_for_url(re.compile(rf"q={n + 1}"))
    assert page.get_by_role("button", name="Câu sau →").is_hidden()
    page.get_by_role("button", name="← Câu trước").click()
    assert page.locator("#" + quizzes.choice_key(attempt, paper[1]["correct"][0])).is_checked()
    page.get_by_role("link", name="Câu 1", exact=True).click()  # the numbers above page too
    assert page.locator("#" + quizzes.choice_key(attempt, paper[0]["correct"][0])).is_visible()
    assert loads == []  # no page was loaded while paging
    db.session.expire_all()
    assert quizzes.saved_answers(attempt) == {e["id"]: e["correct"][:1] for e in paper}
    page.reload()
    assert page.locator("#" + quizzes.choice_key(attempt, paper[0]["correct"][0])).is_visible()

    # Without JavaScript: ?q= and the form page through, saving the question shown.
    plain = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740},
                                storage_state=page.context.storage_state())
    no_js = plain.new_page()
    no_js.goto(live_url + f"/attempts/{attempt.id}?q=2")
    assert no_js.locator("fieldset[data-question]:visible").count() == 1
    wrong = next(c["id"] for c in paper[1]["choices"] if c["id"] not in paper[1]["correct"])
    no_js.locator("#" + quizzes.choice_key(attempt, wrong)).check()
    no_js.get_by_role("button", name="Câu sau →").click()
    no_js.wait_for_url(re.compile(r"q=3"))
    assert no_js.locator("#" + quizzes.choice_key(attempt, paper[2]["correct"][0])).is_visible()
    plain.close()
    db.session.expire_all()
    assert quizzes.saved_answers(attempt) == {**{e["id"]: e["correct"][:1] for e in paper}, paper[1]["id"]: [wrong]}
