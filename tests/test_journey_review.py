"""Issue 16, the review of the screenshots: the places where a member of fifty or a busy officer
stopped, each kept fixed here at the viewport where it showed (or through the test client where no
browser is needed). Most walk the demo instance, as `make run` and `make screenshots` build it."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from contests import boards
from contests import demo as contests_demo
from contests import services as contests
from contests.models import Contest, Round
from core.clock import utcnow
from core.extensions import db
from learning import topics as learning_topics
from learning.models import Topic
from quizzes.models import IN_PROGRESS, Attempt, Quiz
from tests.conftest import synced_content
from tests.factories import log_in_browser, make_member, make_unit, make_user, study_everything
from tests.test_accessibility import add_a_member_who_studied
from units import demo as units_demo

PASSWORD = units_demo.DEMO_PASSWORD
LAPTOP, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}


@pytest.fixture
def demo_instance(demo):
    """The demo instance, as `make run` and `make screenshots` build it."""


def _demo_login(login, username):
    return login(username, PASSWORD)


# -- 1. the officer's home: the report first, each job with a line on what it does ------------

def test_the_officers_home_leads_with_the_report_and_names_each_job(world, live_url, page):
    page.set_viewport_size(LAPTOP)
    log_in_browser(page, live_url, "tinh")
    jobs = page.get_by_test_id("officer-jobs")
    main = jobs.get_by_role("link", name="Xem báo cáo kết quả học tập")
    expect(main).to_have_class(re.compile(r"\bbtn-primary\b"))
    assert main.bounding_box()["y"] + main.bounding_box()["height"] <= LAPTOP["height"]  # on the first screen
    # The other jobs read as jobs: a link, then one line of what it does; no wall of equal buttons.
    items = jobs.locator(".job-list li")
    expect(items).to_have_count(7)
    for n in range(7):
        assert items.nth(n).locator("a").inner_text() and items.nth(n).locator(".small").inner_text()
    expect(jobs.locator(".btn-outline-primary")).to_have_count(0)
    main.click()
    # No topic set for the province yet: the report says so, never "page not found".
    page.get_by_role("heading", name="Báo cáo kết quả học tập: Liên đoàn Lao động tỉnh Thử").wait_for()
    expect(page.get_by_role("main")).to_contain_text("Chưa có chuyên đề nào được giao")


# -- 2 and 3. the report: topics told apart and not cut; "chậm tiến độ" means something -----------

def _selected_label_fits(select) -> bool:
    return select.evaluate("""el => {
        const style = getComputedStyle(el), context = document.createElement('canvas').getContext('2d');
        context.font = style.font;
        const text = el.options[el.selectedIndex].text;
        return context.measureText(text).width + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight)
               <= el.clientWidth;
    }""")


def test_the_report_names_topics_whole_and_marks_only_the_units_behind(demo_instance, live_url, page):
    log_in_browser(page, live_url, "tinh", PASSWORD)
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        page.goto(f"{live_url}/reports/")
        topic = page.get_by_label("Chuyên đề")
        labels = topic.locator("option").all_inner_texts()
        assert "Chuyên đề năm 2022" in labels and "Chuyên đề toàn khóa nhiệm kỳ Đại hội XIII" in labels
        assert len(set(labels)) == len(labels)  # the two topics of 2022 told apart
        for value in topic.locator("option").evaluate_all("options => options.map(o => o.value)"):
            topic.select_option(value)
            assert _selected_label_fits(topic), f"{viewport['width']} px: the topic's name is cut"
    topic.select_option("chuyen-de-2022")
    page.get_by_role("button", name="Xem báo cáo").click()
    assert page.get_by_label("Kỳ báo cáo").input_value() == "2022-01-01_2022-03-31"  # the due date
    rows = page.locator("table tbody tr").filter(has=page.locator("th a"))
    behind = rows.filter(has=page.locator(".behind-badge"))
    assert 0 < behind.count() < rows.count(), "a mark on every unit (or on none) says nothing"
    on_track = [t for t in rows.locator("th a").all_inner_texts()
                if t not in behind.locator("th a").all_inner_texts()]
    assert "Công đoàn Viên chức tỉnh Lai Châu" in on_track
    expect(page.get_by_test_id("behind-rule")).to_contain_text("đã đến hạn hoàn thành 31/03/2022")
    expect(page.get_by_test_id("behind-rule")).to_be_visible()


def test_breadcrumbs_and_lessons_name_the_topic_by_its_title(demo_instance, login):
    member = _demo_login(login, "doanvien")
    lesson = member.get("/learn/chuyen-de-toan-khoa-xiii/").get_data(as_text=True)
    assert "Chuyên đề toàn khóa nhiệm kỳ Đại hội XIII</li>" in lesson
    editor = _demo_login(login, "bientap")
    for slug, name in (("chuyen-de-2022", "Chuyên đề năm 2022"),
                       ("ket-luan-01-kl-tw", "Kết luận số 01-KL/TW và Kế hoạch số 260/KH-LĐLĐ")):
        page = editor.get(f"/editor/topics/{slug}/questions").get_data(as_text=True)
        assert f">{name}</a>" in page and "Chuyên đề hằng năm 2022" not in page


def test_a_short_title_is_cut_at_a_word():
    long = Topic(title="Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về ý chí tự lực, tự cường")
    assert long.short_title == "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí…"
    assert Topic(title="Chuyên đề năm 2023: Nêu gương").short_title == "Chuyên đề năm 2023"
    assert Topic(title="Năm: một chủ đề ngắn").short_title == "Năm: một chủ đề ngắn"  # "Năm" alone says nothing


# -- 4, 7, 8, 12, 13. contests -----------------------------------------------------------------

def test_a_members_home_shows_only_the_contests_of_their_province(demo_instance, login, client):
    lai_chau = _demo_login(login, "doanvien").get("/").get_data(as_text=True)
    assert contests_demo.SLUG in lai_chau and "Liên đoàn Lao động tỉnh Lai Châu tổ chức" in lai_chau
    lao_cai = _demo_login(login, "doanvien-laocai").get("/").get_data(as_text=True)
    assert contests_demo.SLUG not in lao_cai  # VÀO THI would only refuse them
    public = client.get("/").get_data(as_text=True)
    assert contests_demo.SLUG in public and "Liên đoàn Lao động tỉnh Lai Châu tổ chức" in public


def test_the_counters_count_different_things_and_say_which(demo_instance, client):
    contest = contests.get_contest(contests_demo.SLUG)
    counters = boards.counters(contest)
    assert counters["attempts"] > counters["participants"] > 0  # second tries in the demo
    page = client.get(f"/contests/{contests_demo.SLUG}").get_data(as_text=True)
    assert "người đã đăng ký dự thi" in page and "lượt thi đã làm, mọi tuần" in page


def test_the_demo_rounds_show_one_question_per_screen(demo_instance):
    for contest_round in db.session.scalars(db.select(Round)):
        assert contest_round.quiz.one_per_page
    assert all(quiz.one_per_page for quiz in db.session.scalars(db.select(Quiz)))


def test_the_organiser_reads_the_state_and_the_rules_words(demo_instance, live_url, page):
    page.set_viewport_size(LAPTOP)
    log_in_browser(page, live_url, "bantochuc", PASSWORD)
    page.goto(f"{live_url}/contests/{contests_demo.SLUG}/organise")
    state = page.get_by_test_id("contest-state")
    expect(state).to_have_text(re.compile(r"^Tuần 2 đang mở · còn "))
    assert int(state.evaluate("el => getComputedStyle(el).fontWeight")) >= 600
    figure = page.get_by_label("Đáp án câu hỏi dự đoán").first
    hint = page.locator("#" + figure.get_attribute("aria-describedby"))
    expect(hint).to_contain_text("Theo bạn, có bao nhiêu người dự thi tuần này?")
    expect(hint).to_contain_text("số người trả lời đúng")
    expect(page.get_by_role("main")).not_to_contain_text("câu hỏi phụ")
    expect(page.get_by_role("main")).not_to_contain_text("Con số thực tế")


def test_a_contest_not_yet_open_says_so_in_strong_type(world, live_url, page):
    bank = Topic(slug="ngan-hang", title="Ngân hàng", kind="contest", year=2026)
    contest = Contest(slug="thi-sap-mo", title="Cuộc thi sắp mở", organiser_unit=world.province,
                      audience_unit=world.province, bank=bank, published=True)
    db.session.add(contest)
    db.session.flush()
    now = utcnow()
    round_quiz = Quiz(topic=bank, purpose="contest", title="Tuần 1", question_count=1, opens_at=now + timedelta(days=2),
                      closes_at=now + timedelta(days=9), pass_percent=0, published=True)
    db.session.add(Round(contest=contest, number=1, quiz=round_quiz))
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/")
    state = page.get_by_test_id("contest-state")
    expect(state).to_have_text(re.compile(r"^Tuần 1 mở lúc "))
    style = state.evaluate("el => [getComputedStyle(el).fontWeight, getComputedStyle(el).color]")
    assert int(style[0]) >= 600 and style[1] != "rgba(33, 37, 41, 0.75)" and style[1] != "rgb(108, 117, 125)"
    expect(page.get_by_test_id("contest-organiser")).to_have_text("Liên đoàn Lao động tỉnh Thử tổ chức")


# -- 5. the question bank: calm, reversible actions look reversible ---------------------------

def test_the_question_bank_keeps_red_for_nothing_reversible(synced, login):
    make_user("editor", "editor")
    page = login("editor").get("/editor/topics/chuyen-de-2022/questions").get_data(as_text=True)
    items = page.split('id="question-list"')[1]
    assert "btn-outline-danger" not in items and "<code>" not in items
    assert "Chuyển về nháp" in items and "Gỡ xuất bản" not in items and "Đang dùng" in items and "Câu q001" in items


# -- 6. accounts: staff first, by role, and a way to create one --------------------------------

def test_the_account_list_shows_staff_first_and_filters_by_role(world, login):
    make_user("0980000001", full_name="Người dự thi")
    admin = login("admin")
    staff = admin.get("/accounts/users").get_data(as_text=True)
    assert ">tinh</a>" in staff and ">editor</a>" in staff
    assert ">0980000001</a>" not in staff and ">member</a>" not in staff  # no role: under their own tab
    assert 'href="#tao-tai-khoan">Tạo tài khoản cán bộ</a>' in staff and 'id="tao-tai-khoan"' in staff
    officers = admin.get("/accounts/users?vai_tro=officer").get_data(as_text=True)
    assert ">officer_a</a>" in officers and ">editor</a>" not in officers and "Cán bộ công đoàn</a>" in officers
    others = admin.get("/accounts/users?vai_tro=khong-vai-tro").get_data(as_text=True)
    assert ">0980000001</a>" in others and ">member</a>" in others and ">tinh</a>" not in others
    everyone = admin.get("/accounts/users?vai_tro=tat-ca&q=0980").get_data(as_text=True)
    assert ">0980000001</a>" in everyone and ">tinh</a>" not in everyone
    odd = admin.get("/accounts/users?vai_tro=%27%3Cx%3E&page=abc")
    assert odd.status_code == 200 and ">tinh</a>" in odd.get_data(as_text=True)


# -- 9. the quiz on a phone: "Nộp bài" within reach, never by mistake ----------------------------

def test_submitting_is_within_reach_on_a_phone_and_still_confirmed(app, live_url, page):
    province = make_unit("LDLD-LC", kind="province")
    member = make_member(make_unit("CDCS", province), "Lò Thị Xuân", phone="0912099001")
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    synced_content()
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, province)
    study_everything(member, topic)
    db.session.add(Quiz(topic=topic, title="Kiểm tra", question_count=10, time_limit_seconds=900, pass_percent=70,
                        max_attempts=None, min_duration_seconds=0, one_per_page=False))
    db.session.commit()
    page.set_viewport_size(PHONE)
    log_in_browser(page, live_url, "doanvien")
    page.goto(live_url + f"/learn/{topic.slug}/quiz")
    page.get_by_role("button", name=re.compile("Bắt đầu làm bài")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+"))
    submit = page.get_by_role("button", name="Nộp bài", exact=True)
    assert submit.bounding_box()["y"] > PHONE["height"]  # ten questions on one page: far below
    jump = page.get_by_test_id("to-submit")
    page.mouse.wheel(0, 1500)
    expect(jump).to_be_in_viewport()  # the bar stays at the top while reading
    jump.click()
    expect(submit).to_be_in_viewport()
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    submit.click()
    assert dialogs and "chưa trả lời" in dialogs[0]
    assert re.search(r"/attempts/\d+$", page.url.split("?")[0].split("#")[0])  # nothing handed in
    assert db.session.scalars(db.select(Attempt)).one().status == IN_PROGRESS


# -- 10, 11. certificates and the member list ---------------------------------------------------

def test_the_certificates_page_says_what_the_check_page_is(demo, login):
    add_a_member_who_studied()
    page = _demo_login(login, "doanvien").get("/certificates/").get_data(as_text=True)
    assert "Tải PDF" in page and "Trang xác thực" not in page and "Kiểm tra giấy chứng nhận</a>" in page
    assert "cho thấy giấy này là thật và còn hiệu lực" in page


def test_the_member_list_names_the_unit_only_when_it_spans_several(world, login):
    officer = login("tinh")
    one_unit = officer.get("/units/GA/members").get_data(as_text=True)
    assert '<th scope="col" class="d-none d-md-table-cell">Đơn vị</th>' not in one_unit
    assert "Lò Thị Xuân" in one_unit
    several = officer.get("/units/P/members").get_data(as_text=True)
    assert '<th scope="col" class="d-none d-md-table-cell">Đơn vị</th>' in several
    assert "Công đoàn cơ sở Trạm Y tế xã Sì Lở Lầu" in several
