"""Contests as the public meets them on a phone: what state a contest is in, registering,
a round one question per screen, the result, the boards, where a contestant lands."""
import re
from datetime import datetime, timedelta

from flask import g
from sqlalchemy import event

from contests import boards, jury, registration, services
from contests.models import Entry
from core.clock import utcnow
from core.extensions import db
from core.markup import slug_within
from quizzes.models import Attempt
from tests.factories import log_in_browser
from tests.test_contests import GUEST, contest  # noqa: F401 (the fixture)
from tests.test_contests_organising import _create, bank_source  # noqa: F401 (the fixture)

PHONE = {"width": 390, "height": 844}


def test_time_left_reads_in_days_hours_and_minutes():
    assert services.time_left_text(3 * 86400 + 4 * 3600 + 59) == "3 ngày 4 giờ"
    assert services.time_left_text(2 * 86400) == "2 ngày"
    assert services.time_left_text(5 * 3600 + 12 * 60) == "5 giờ 12 phút"
    assert services.time_left_text(20) == "1 phút"


def test_the_headline_says_which_week_is_open_and_for_how_long(contest):
    first, second = contest.rounds[0].quiz, contest.rounds[1].quiz
    # Every window fixed: the fixture's are relative to the clock, which would move week 1 onto `now`.
    first.opens_at, first.closes_at = datetime(2026, 11, 24, 1, 0), datetime(2026, 12, 1, 1, 0)
    second.opens_at, second.closes_at = datetime(2026, 12, 1, 1, 0), datetime(2026, 12, 8, 14, 30)
    now = datetime(2026, 12, 5, 10, 0)  # UTC
    assert services.headline(contest, now).text == "Tuần 2 đang mở · còn 3 ngày 4 giờ"
    services.add_round(contest, 3, datetime(2026, 12, 11, 14, 30), datetime(2026, 12, 18, 14, 30))
    after_second = datetime(2026, 12, 9, 0, 0)
    assert services.headline(contest, after_second).text == "Tuần 3 mở lúc 21:30 11/12/2026"  # Vietnam time
    assert services.headline(contest, datetime(2026, 12, 19)).text == "Đã kết thúc"


def test_the_home_card_leads_with_the_state_and_vao_thi(contest, client):
    contest.anniversary = "19/5/1890 – 19/5/2022"
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'data-testid="contest-state">Tuần 2 đang mở · còn (5 ngày 23 giờ|6 ngày)<', page)
    assert ">VÀO THI</a>" in page and "19/5/1890" not in page


def test_the_big_button_takes_a_visitor_in_step_by_step(contest, client, login, app):
    landing = client.get("/contests/thi-132-nam").get_data(as_text=True)
    assert 'href="/contests/thi-132-nam/register">VÀO THI<' in landing
    member = login("member")
    page = member.get("/contests/thi-132-nam").get_data(as_text=True)
    assert 'action="/contests/thi-132-nam/join"' in page and ">VÀO THI</button>" in page
    member.post("/contests/thi-132-nam/join")
    page = member.get("/contests/thi-132-nam").get_data(as_text=True)
    assert 'action="/contests/thi-132-nam/rounds/2/start"' in page
    started = member.post("/contests/thi-132-nam/rounds/2/start")
    page = member.get("/contests/thi-132-nam").get_data(as_text=True)
    assert f'href="{started.headers["Location"]}">THI TIẾP<' in page


def test_a_phone_visitor_goes_from_home_to_registration_by_vao_thi(contest, live_url, page):
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/")
    page.get_by_role("link", name="VÀO THI").click()
    # The home page has its own VÀO THI: measure the landing's, once it has loaded with its styles.
    page.wait_for_url(re.compile(r"/contests/thi-132-nam(#.*)?$"), wait_until="load")
    assert page.get_by_test_id("contest-state").inner_text().startswith("Tuần 2 đang mở · còn ")
    button = page.get_by_role("link", name="VÀO THI")
    assert button.bounding_box()["width"] > 300  # a thumb finds it
    button.click()
    page.get_by_role("heading", name="Đăng ký dự thi").wait_for()


def _start(member) -> int:
    response = member.post("/contests/thi-132-nam/rounds/2/start")
    return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))


def test_a_round_shows_one_question_per_screen_unless_the_organiser_chose_all(contest, login):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    attempt_id = _start(member)
    page = member.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # The page holds the five (quiz.js pages through them); only the first is shown and sent.
    assert page.count("data-question=") == 5 and len(re.findall(r"data-question=\S+\s+hidden disabled", page)) == 4
    assert 'data-paged="0"' in page and "Câu sau →" in page
    contest.rounds[1].quiz.one_per_page = False
    db.session.commit()
    assert member.get(f"/attempts/{attempt_id}").get_data(as_text=True).count("data-question=") == 5


def test_the_organiser_chooses_all_questions_on_one_page(contest, login):
    organiser = login("organiser")
    form = organiser.get("/contests/thi-132-nam/organise/rounds/new").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*id="one_per_page"', form)
    data = {"opens_at": "01/01/2030 08:00", "closes_at": "08/01/2030 08:00", "question_count": "5",
            "time_limit_minutes": "20", "max_attempts": "2", "prediction_question": "Bao nhiêu người?",
            "answers_after_close": "y", "min_duration_seconds": "60"}  # one_per_page left unticked
    assert organiser.post("/contests/thi-132-nam/organise/rounds/new", data=data).status_code == 302
    assert services.get_round(contest, 3).quiz.one_per_page is False


def test_the_prediction_is_saved_as_typed_and_restored(contest, login):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    attempt_id = _start(member)
    url = f"/contests/attempts/{attempt_id}/prediction"
    assert member.post(url, data={"prediction": "1.500"}).get_json() == {"saved": True}
    assert 'value="1500"' in member.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    bad = member.post(url, data={"prediction": "nhiều"})
    assert bad.get_json() == {"saved": False, "message": "Số dự đoán phải là một số nguyên từ 0 đến 1.000.000.000."}
    assert bad.status_code == 400
    assert member.post(url, data={"prediction": "-3"}).status_code == 400
    member.post(f"/contests/attempts/{attempt_id}/submit", data={"prediction": ""})  # the saved one stays
    entry = db.session.scalars(db.select(Entry)).one()
    assert entry.prediction == 1500
    late = member.post(url, data={"prediction": "7"})
    assert late.status_code == 409
    db.session.refresh(entry)
    assert entry.prediction == 1500
    assert login("tinh").post(url, data={"prediction": "9"}).status_code == 404  # not their attempt


def test_save_and_submit_are_told_apart_and_submit_counts_the_unanswered(contest, login):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    attempt_id = _start(member)
    page = member.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert ">Lưu câu trả lời</button>" in page and ">Lưu</button>" not in page
    assert 'data-confirm="Bạn còn 5 câu chưa trả lời. Nộp bài?' in page
    # No answer key nor correctness hint reaches the page: only the attempt's own keys.
    attempt = db.session.get(Attempt, attempt_id)
    assert "correct" not in page and not any(f'value="{c["id"]}"' in page for e in attempt.paper for c in e["choices"])


def test_a_rounds_pages_read_the_quiz_with_the_attempt_and_no_topic(contest, login):
    # A crowd makes these pages at a round's opening: each statement saved is saved thousands of times.
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    member.get("/contests/thi-132-nam")  # the menu is made once, then kept in the session
    attempt_id = _start(member)
    seen: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    def as_a_new_request():  # the test client shares this session and the user Flask-Login keeps
        db.session.expunge_all()
        g.pop("_login_user", None)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        for path in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/state"):
            as_a_new_request()
            member.get(path)
        as_a_new_request()
        member.post(f"/contests/attempts/{attempt_id}/submit", data={"prediction": "1500"})
        as_a_new_request()
        member.get(f"/attempts/{attempt_id}/result")
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert not [s for s in seen if s.startswith("SELECT quizzes.")]  # joined to the attempt's row
    assert not [s for s in seen if "FROM topics" in s or "FROM roles" in s]
    assert not [s for s in seen if s.startswith("SELECT members.")]


def test_the_result_speaks_of_a_contest_try(contest, login):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    attempt_id = _start(member)
    member.post(f"/contests/attempts/{attempt_id}/submit", data={"prediction": "1500"})
    page = member.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Đạt" not in page and "điểm đạt" not in page and "bài kiểm tra" not in page
    assert "Lượt 1/2" in page and "1.500" in page and "Thời gian làm bài" in page and "Điểm cao nhất đến nay" in page
    assert ">Thi lượt 2</button>" in page
    second = _start(member)
    member.post(f"/contests/attempts/{second}/submit", data={"prediction": ""})
    page = member.get(f"/attempts/{second}/result").get_data(as_text=True)
    assert "Lượt 2/2" in page and "Không dự đoán" in page and "Thi lượt" not in page


def test_on_a_phone_a_round_is_one_question_a_screen_and_the_prediction_survives_a_reload(
        contest, live_url, page, tmp_path):
    page.set_viewport_size(PHONE)
    log_in_browser(page, live_url, "member")
    page.goto(live_url + "/contests/thi-132-nam")
    page.get_by_role("button", name="VÀO THI").click()  # joins
    page.get_by_role("button", name="VÀO THI").click()  # starts week 2
    page.wait_for_url(re.compile(r"/attempts/\d+"))
    assert page.locator("fieldset[data-question]:visible").count() == 1
    page.locator("fieldset[data-question]:visible input[type=radio]").first.check()
    page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()
    page.get_by_label(re.compile("Câu hỏi dự đoán")).fill("1500")
    page.locator("#prediction-status", has_text="Đã lưu ✓").wait_for()
    page.screenshot(path=str(tmp_path / "round.png"), full_page=True)
    page.reload()
    assert page.get_by_label(re.compile("Câu hỏi dự đoán")).input_value() == "1500"
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_test_id("score").wait_for()
    assert asked[0].startswith("Bạn còn 4 câu chưa trả lời.")
    result = page.locator("main").inner_text()
    assert "Lượt 1/2" in result and "1.500" in result and "Đạt" not in result
    page.get_by_role("button", name="Thi lượt 2").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)


def test_registration_helps_a_phone_fill_it_in(contest, client):
    page = client.get("/contests/thi-132-nam/register").get_data(as_text=True)
    phone = re.search(r'<input[^>]*id="phone"[^>]*>', page).group(0)
    assert 'inputmode="tel"' in phone and 'autocomplete="tel"' in phone and "required" in phone
    assert 'autocomplete="name"' in re.search(r'<input[^>]*id="full_name"[^>]*>', page).group(0)
    password = re.search(r'<input[^>]*id="password"[^>]*>', page).group(0)
    assert 'autocomplete="new-password"' in password and 'aria-describedby="password-help"' in password
    assert re.search(r'id="password-help">Ít nhất 8 ký tự', page)
    starred = re.findall(r'for="(\w+)">[^<]*</label>\s*<span[^>]*data-required-mark>\*', page)
    assert starred == ["full_name", "phone", "password", "confirm"]


def test_on_a_phone_the_password_rule_is_beside_the_field_before_submitting(contest, live_url, page):
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/contests/thi-132-nam/register")
    field = page.get_by_label("Mật khẩu", exact=True)
    rule = page.get_by_text(re.compile("^Ít nhất 8 ký tự"))
    assert rule.is_visible()
    field_box, rule_box = field.bounding_box(), rule.bounding_box()
    assert 0 <= rule_box["y"] - (field_box["y"] + field_box["height"]) < 40  # right under the field
    assert page.get_by_label("Số điện thoại di động (dùng để đăng nhập)").get_attribute("inputmode") == "tel"


def _guest(contest, name: str, phone: str):
    return registration.register_guest(contest, registration.Registration(
        full_name=name, birth_year=1990, phone=phone, password="du-thi-2022-ok", workplace="Chợ Gọi 0987000000"))[1]


def test_boards_per_division_with_ties_twins_and_the_viewers_own_line(contest, world, login, client):
    from contests.models import Division
    from units import kinds as unit_kinds
    members_division = Division(contest=contest, name="Bảng B – công đoàn cơ sở", position=2,
                                unit_kind=unit_kinds.find_kind("grassroots"))
    db.session.add(members_division)
    db.session.flush()
    first, second = _guest(contest, "Trần Thị Hoa", "0987000001"), _guest(contest, "Trần Thanh Hà", "0987000002")
    member = registration.join_as_member(contest, world.member_user, world.member_a)
    started = utcnow()  # the same 30 s for all: a second ticking between a start and its hand-in reordered the twins
    for participant in (first, second, member):
        services.submit(services.start(contest.rounds[1], participant, now=started), 100,
                        now=started + timedelta(seconds=30))
    jury.set_actual_figure(contest.rounds[1], 130, world.organiser)
    db.session.commit()
    boards.forget_cache()

    board = boards.round_board(contest.rounds[1], division=first.division)
    assert [(line.name, line.twin) for line in board] == [("Trần T. H.", ""), ("Trần T. H.", "(2)")]
    assert all(line.tie_break.startswith("dự đoán lệch 30, thời gian 0:") for line in board)  # tied at 0
    assert [line.participant_id for line in boards.round_board(contest.rounds[1], division=members_division)] \
        == [member.id]

    guest = login("0987000002", "du-thi-2022-ok")
    page = guest.get("/contests/thi-132-nam/leaderboard?round=2").get_data(as_text=True)  # their own division
    own = re.search(r'<tr class="table-warning[^>]*data-testid="own-line">(.*?)</tr>', page, re.S).group(1)
    assert "Trần T. H." in own and "(2)" in own and "Bạn" in own
    assert "Lò T. X." not in page and "Bảng B – công đoàn cơ sở" in page
    table = page[page.index("<table"):page.index("</table>")]  # the menu names the viewer, as on every page
    assert "0987000002" not in table and "Chợ Gọi" not in table and "Trần Thanh Hà" not in table
    other = client.get(f"/contests/thi-132-nam/leaderboard?bang={members_division.id}").get_data(as_text=True)
    assert "Lò T. X." in other and "Trần T. H." not in other and "own-line" not in other
    public = client.get("/contests/thi-132-nam/leaderboard?round=2").get_data(as_text=True)
    assert "Trần T. H." in public and not any(s in public for s in ("0987000002", "Chợ Gọi", "Trần Thanh Hà"))


def test_a_contestant_without_a_member_record_lands_on_their_contests(contest, app, login):
    client = app.test_client()
    client.post("/contests/thi-132-nam/register", data=GUEST)
    client.post("/accounts/logout")
    after_login = client.post("/accounts/login", data={"identifier": "0987654321", "password": GUEST["password"]},
                              follow_redirects=True)
    page = after_login.get_data(as_text=True)
    assert after_login.request.path == "/contests/" and "Cuộc thi của tôi" in page
    assert contest.title in page and "Tuần 2 đang mở" in page and "Việc học của tôi" not in page
    assert client.get("/").headers["Location"] == "/contests/"
    # A member, or anyone with a role, keeps their own home page.
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    assert member.get("/").status_code == 200
    assert login("organiser").get("/").status_code == 200


def test_on_a_phone_a_contestant_logs_in_to_their_contests(contest, live_url, page):
    registration.register_guest(contest, registration.Registration(
        full_name="Trần Thị Hoa", birth_year=1995, phone="0987654321", password="hoa-du-thi-2022",
        workplace="Công ty May Lai Châu"))
    db.session.commit()
    page.set_viewport_size(PHONE)
    log_in_browser(page, live_url, "0987654321", "hoa-du-thi-2022")
    page.get_by_role("heading", name="Cuộc thi của tôi").wait_for()
    page.get_by_role("link", name="VÀO THI").click()
    page.get_by_role("button", name="VÀO THI").click()
    page.wait_for_url(re.compile(r"/attempts/\d+"))


def test_a_new_contests_address_is_cut_at_a_word_boundary(world, login, bank_source):
    title = "Cuộc thi trực tuyến tìm hiểu 132 năm Ngày sinh Chủ tịch Hồ Chí Minh năm 2022"
    created = _create(login("organiser"), bank_source, title=title)
    assert created.slug == "cuoc-thi-truc-tuyen-tim-hieu-132-nam-ngay-sinh-chu-tich-ho"  # not "...-ho-c"
    assert slug_within("a" * 70, 60) == "a" * 60  # one word longer than the limit is still cut
