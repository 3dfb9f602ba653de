"""Contests as the public meets them on a phone: what state a contest is in, registering,
a round one question per screen, the result, the boards, where a contestant lands."""
import re
from datetime import datetime, timedelta

from contests import services
from core.clock import utcnow
from core.extensions import db
from tests.test_contests import GUEST, contest  # noqa: F401 (the fixture)

PHONE = {"width": 390, "height": 844}


def test_time_left_reads_in_days_hours_and_minutes():
    assert services.time_left_text(3 * 86400 + 4 * 3600 + 59) == "3 ngày 4 giờ"
    assert services.time_left_text(2 * 86400) == "2 ngày"
    assert services.time_left_text(5 * 3600 + 12 * 60) == "5 giờ 12 phút"
    assert services.time_left_text(20) == "1 phút"


def test_the_headline_says_which_week_is_open_and_for_how_long(contest):
    second = contest.rounds[1].quiz
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
    assert 'href="/contests/thi-132-nam/register">VÀO THI<' in client.get("/contests/thi-132-nam").get_data(as_text=True)
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
    assert page.get_by_test_id("contest-state").inner_text().startswith("Tuần 2 đang mở · còn ")
    button = page.get_by_role("link", name="VÀO THI")
    assert button.bounding_box()["width"] > 300  # a thumb finds it
    button.click()
    page.get_by_role("heading", name="Đăng ký dự thi").wait_for()
