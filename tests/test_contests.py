"""Contests through services and the test client: windows, registration, attempts, boards."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from contests import boards, collective_results, registration, services
from contests.models import Contest, Division, Entry, Participant
from core.clock import utcnow
from core.extensions import db
from core.models import AuditEntry
from learning import editing
from learning import topics as learning_topics
from quizzes import services as quizzes
from quizzes.models import Attempt

GUEST = {"full_name": "Trần Thị Hoa", "birth_year": "1995", "phone": "0987 654 321", "unit_code": "",
         "workplace": "Công ty May Lai Châu", "citizen_id": "012345678901", "password": "hoa-du-thi-2022",
         "confirm": "hoa-du-thi-2022"}


@pytest.fixture
def contest(synced, world):
    bank = editing.clone_topic(learning_topics.get_topic("ket-luan-01-kl-tw"), "ngan-hang", "Ngân hàng thi", 2022)
    contest = Contest(slug="thi-132-nam", title="Cuộc thi 132 năm Ngày sinh Bác", organiser_unit=world.province,
                      audience_unit=world.province, bank=bank, published=True, rules_md="- Thi 20 câu.")
    db.session.add(contest)
    db.session.add(Division(contest=contest, name="Bảng A", position=1))
    now = utcnow()
    services.add_round(contest, 1, now - timedelta(days=8), now - timedelta(days=1))
    services.add_round(contest, 2, now - timedelta(hours=1), now + timedelta(days=6), question_count=5)
    db.session.commit()
    boards.forget_cache()
    return contest


def test_the_landing_page_is_public_with_rules_rounds_and_counters(contest, client):
    page = client.get("/contests/thi-132-nam").get_data(as_text=True)
    assert contest.title in page and "Thi 20 câu." in page and "VÀO THI" in page
    assert "Đang mở" in page and "Đã kết thúc" in page and 'data-testid="participants">0<' in page
    assert "câu hỏi dự đoán gần đáp án hơn" in page  # the ranking rule is printed
    assert contest.title in client.get("/").get_data(as_text=True)


def test_a_guest_registers_once_per_phone(contest, client, app):
    response = client.post("/contests/thi-132-nam/register", data=GUEST)
    assert response.status_code == 302
    participant = db.session.scalars(db.select(Participant)).one()
    assert participant.phone == "0987654321" and participant.citizen_id_last4 == "8901"
    assert "012345678901" not in (participant.citizen_id_hash or "")
    again = app.test_client().post("/contests/thi-132-nam/register", data=GUEST, follow_redirects=True)
    assert registration.PHONE_TAKEN in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Participant.id))) == 1


@pytest.mark.parametrize("change,message", [
    ({"phone": "12345"}, "Số điện thoại di động không hợp lệ"),
    ({"phone": "0912000001"}, "hãy đăng nhập bằng số điện thoại này"),
    ({"full_name": "Hoa"}, "Hãy nhập đầy đủ họ và tên."),
    ({"workplace": ""}, "Hãy chọn đơn vị hoặc ghi nơi làm việc."),
    ({"citizen_id": "123"}, "12 (hoặc 9) chữ số"),
    ({"password": "12345678", "confirm": "12345678"}, "quá phổ biến"),
])
def test_bad_registrations_are_refused(contest, client, change, message):
    page = client.post("/contests/thi-132-nam/register", data={**GUEST, **change}).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(db.select(db.func.count(Participant.id))) == 0


def _alerts(response) -> list[str]:
    return re.findall(r'<div class="alert alert-\w+" role="\w+">(.*?)</div>', response.get_data(as_text=True))


def test_registration_answers_alike_for_a_members_phone_and_any_other_taken_phone(contest, app, world):
    """Whether a phone is in the member list is the union's to know: the form says the same for a
    member's phone (with or without an account), an account's and a phone already registered."""
    from tests.factories import make_user
    make_user("0912345678")  # a contestant's account: their phone is its username
    assert app.test_client().post("/contests/thi-132-nam/register", data=GUEST).status_code == 302
    answers = {}
    for phone in ("0912000001", "0912000002", "+84 912 345 678", GUEST["phone"]):
        response = app.test_client().post("/contests/thi-132-nam/register", data={**GUEST, "phone": phone})
        assert response.status_code == 200
        answers[phone] = _alerts(response)
    assert list(answers.values()) == [[registration.PHONE_TAKEN]] * 4, answers
    assert db.session.scalar(db.select(db.func.count(Participant.id))) == 1


def test_members_join_with_their_own_account(contest, login):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    participant = db.session.scalars(db.select(Participant)).one()
    assert participant.member_id is not None and participant.full_name == "Lò Thị Xuân"


def test_a_contestants_first_landing_page_reads_no_member_row_and_no_unit_apart(contest, login, world, statements):
    """The page every contestant opens when a round opens: the menu asks only whether a member record
    and a contest entry exist, and the organising unit comes with the contest."""
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    organiser = world.province.name
    db.session.expire_all()  # as a new request's session starts, with nothing loaded
    statements.clear()
    page = member.get("/contests/thi-132-nam").get_data(as_text=True)  # the menu is made here
    assert f"Đơn vị tổ chức: {organiser}" in page and "Việc học của tôi" in page
    assert not [s for s in statements if s.startswith("SELECT members.id")], statements
    assert not [s for s in statements if s.startswith("SELECT units.id")], statements


def test_prizes_are_read_only_once_a_round_has_closed(contest, login, statements):
    """Prizes are awarded for closed rounds only: while every round is open (a contest's busiest
    minutes) a contestant's landing page does not ask for them."""
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    first = contest.rounds[0].quiz
    closed_at, first.closes_at = first.closes_at, utcnow() + timedelta(days=6)
    db.session.commit()
    statements.clear()
    assert "VÀO THI" in member.get("/contests/thi-132-nam").get_data(as_text=True)
    assert not [s for s in statements if "FROM contest_prizes" in s], statements
    first.closes_at = closed_at
    db.session.commit()
    statements.clear()
    member.get("/contests/thi-132-nam")
    assert [s for s in statements if "FROM contest_prizes" in s]


def test_a_start_is_no_savepoint_and_a_racing_one_still_finds_it(contest, login, statements):
    """Starts of one person wait for one another (quizzes.services._hold_starts), so the attempt is
    written without a savepoint to fall back on; the second start gets the same attempt."""
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    statements.clear()
    first = member.post("/contests/thi-132-nam/rounds/2/start")
    assert not [s for s in statements if "SAVEPOINT" in s.upper()], statements
    assert member.post("/contests/thi-132-nam/rounds/2/start").headers["Location"] == first.headers["Location"]
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 1


def test_rounds_keep_their_windows_and_attempt_limits(contest, login):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    closed = member.post("/contests/thi-132-nam/rounds/1/start", follow_redirects=True)
    assert "Tuần thi này đã kết thúc." in closed.get_data(as_text=True)
    for _ in range(2):
        response = member.post("/contests/thi-132-nam/rounds/2/start")
        attempt_id = int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))
        page = member.get(f"/attempts/{attempt_id}").get_data(as_text=True)
        assert "Câu hỏi dự đoán: Theo bạn, có bao nhiêu người dự thi tuần này?" in page
        assert f'action="/contests/attempts/{attempt_id}/submit"' in page
        member.post(f"/contests/attempts/{attempt_id}/submit", data={"prediction": "1.250"})
    entries = db.session.scalars(db.select(Entry)).all()
    assert [e.prediction for e in entries] == [1250, 1250]
    third = member.post("/contests/thi-132-nam/rounds/2/start", follow_redirects=True)
    assert "Bạn đã dùng hết 2 lượt làm bài." in third.get_data(as_text=True)


def test_a_round_hand_in_saves_the_answers_it_carries_with_the_prediction(contest, login):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    response = member.post("/contests/thi-132-nam/rounds/2/start")
    attempt = db.session.get(Attempt, int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1)))
    right = attempt.paper[:2]  # chosen just before "Nộp bài", not yet sent by the page's script
    data = {"prediction": "1.500", "question_id": [quizzes.question_key(attempt, e["id"]) for e in right]}
    for entry in right:
        data[f"choice-{quizzes.question_key(attempt, entry['id'])}"] = quizzes.choice_key(attempt, entry["correct"][0])
    member.post(f"/contests/attempts/{attempt.id}/submit", data=data)
    db.session.refresh(attempt)
    assert attempt.status == "submitted" and attempt.score == 2
    assert db.session.scalars(db.select(Entry)).one().prediction == 1500

    second = member.post("/contests/thi-132-nam/rounds/2/start")
    other = db.session.get(Attempt, int(re.search(r"/attempts/(\d+)", second.headers["Location"]).group(1)))
    forged = {"prediction": "10", "question_id": "not-a-key"}
    refused = member.post(f"/contests/attempts/{other.id}/submit", data=forged, follow_redirects=True)
    assert "không thuộc bài làm" in refused.get_data(as_text=True)
    db.session.refresh(other)
    assert other.is_open


@pytest.mark.parametrize("typed,message", [
    ("mười", "Số dự đoán phải là một số nguyên từ 0 đến 1.000.000.000."),
    ("-5", "Số dự đoán phải là một số nguyên từ 0 đến 1.000.000.000."),
    ("99999999999999999999", "Số dự đoán phải là một số nguyên từ 0 đến 1.000.000.000."),
    ("1_000", "Số dự đoán phải là một số nguyên từ 0 đến 1.000.000.000."),
    ("١٠٠٠", "Số dự đoán phải là một số nguyên từ 0 đến 1.000.000.000."),
    ("+5", "Số dự đoán phải là một số nguyên từ 0 đến 1.000.000.000."),
    ("9" * 5000, "Số dự đoán phải là một số nguyên từ 0 đến 1.000.000.000."),
])
def test_a_hand_in_with_a_prediction_that_is_no_count_is_refused_and_keeps_nothing(contest, login, typed, message):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    response = member.post("/contests/thi-132-nam/rounds/2/start")
    attempt = db.session.get(Attempt, int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1)))
    first = attempt.paper[0]
    key = quizzes.question_key(attempt, first["id"])
    refused = member.post(f"/contests/attempts/{attempt.id}/submit", data={
        "prediction": typed, "question_id": key, f"choice-{key}": quizzes.choice_key(attempt, first["correct"][0])})
    assert refused.headers["Location"] == f"/attempts/{attempt.id}#submit"
    page = member.get(refused.headers["Location"]).get_data(as_text=True)
    assert message in page and 'max="1000000000"' in page  # the browser checks the same bound first
    db.session.refresh(attempt)
    assert attempt.is_open and attempt.answers == []  # the carried answer waits in the page for the next try
    assert db.session.scalars(db.select(Entry)).one().prediction is None


def test_a_late_round_hand_in_keeps_neither_its_answers_nor_its_prediction(contest, login):
    """Past the deadline and its grace (the sweep runs every 2 minutes), the hand-in's answers are not
    counted: its prediction, the tie-break, must not be either (the round's turnout may be public by then)."""
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    response = member.post("/contests/thi-132-nam/rounds/2/start")
    attempt = db.session.get(Attempt, int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1)))
    assert member.post(f"/contests/attempts/{attempt.id}/prediction", data={"prediction": "100"}).status_code == 200
    attempt.deadline = utcnow() - timedelta(seconds=quizzes.GRACE_SECONDS + 30)
    db.session.commit()
    entry = attempt.paper[0]
    key = quizzes.question_key(attempt, entry["id"])
    carried = {"question_id": key, f"choice-{key}": quizzes.choice_key(attempt, entry["correct"][0])}
    member.post(f"/contests/attempts/{attempt.id}/submit", data={"prediction": "1.500", **carried})
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.status == "expired" and attempt.score == 0
    assert db.session.scalars(db.select(Entry)).one().prediction == 100


def test_before_opening_nothing_starts(contest, login):
    contest.rounds[1].quiz.opens_at = utcnow() + timedelta(days=1)
    db.session.commit()
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    page = member.post("/contests/thi-132-nam/rounds/2/start", follow_redirects=True).get_data(as_text=True)
    assert "Tuần thi này chưa mở." in page


def test_rounds_draw_single_choice_questions_only(contest, world):
    participant = registration.join_as_member(contest, world.member_user, world.member_a)
    attempt = services.start(contest.rounds[1], participant)
    assert {entry["type"] for entry in attempt.paper} == {"single"}


def test_answers_are_shown_only_after_the_round_closes(contest, login):
    member = login("member")
    member.post("/contests/thi-132-nam/join")
    response = member.post("/contests/thi-132-nam/rounds/2/start")
    attempt_id = int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))
    member.post(f"/contests/attempts/{attempt_id}/submit", data={"prediction": "10"})
    page = member.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "(đáp án đúng)" not in page and "Về trang cuộc thi" in page
    contest.rounds[1].quiz.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "(đáp án đúng)" in member.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)


def test_the_public_leaderboard_masks_names_and_hides_phones(contest, world, client):
    participant = registration.join_as_member(contest, world.member_user, world.member_a)
    attempt = services.start(contest.rounds[1], participant)
    for entry in attempt.paper[:3]:
        quizzes.save_answer(attempt, entry["id"], entry["correct"])
    services.submit(attempt, 7)
    db.session.commit()
    page = client.get("/contests/thi-132-nam/leaderboard?round=2").get_data(as_text=True)
    assert "Lò T. X." in page and "Lò Thị Xuân" not in page and "0912000001" not in page
    assert '<td class="text-end fw-semibold">3<' in page
    overall = client.get("/contests/thi-132-nam/leaderboard").get_data(as_text=True)
    assert "Lò T. X." in overall


def test_a_guests_own_words_never_reach_the_public_board(contest, world, client):
    """A workplace is free text the guest typed: on a public page it could carry anything (an
    advert, someone's phone); the board shows a unit from our tree, or nothing."""
    guest = registration.register_guest(contest, registration.Registration(
        full_name="Trần Thị Hoa", birth_year=1995, phone="0987654321", password="hoa-du-thi-2022",
        workplace="Gọi 0987654321 mua hàng"))[1]
    member = registration.join_as_member(contest, world.member_user, world.member_a)
    for participant in (guest, member):
        services.submit(services.start(contest.rounds[1], participant), 5)
    db.session.commit()
    for url in ("/contests/thi-132-nam/leaderboard?round=2", "/contests/thi-132-nam/leaderboard"):
        page = client.get(url).get_data(as_text=True)
        assert "Trần T. H." in page and "mua hàng" not in page and "0987654321" not in page
        assert world.member_a.unit.name in page
    assert [line.unit for line in boards.round_board(contest.rounds[1]) if line.name == "Trần T. H."] == [""]


def test_a_frozen_board_stops_at_the_freeze(contest, world, client):
    participant = registration.join_as_member(contest, world.member_user, world.member_a)
    contest.leaderboard_frozen_at = utcnow() - timedelta(minutes=5)
    attempt = services.start(contest.rounds[1], participant)
    services.submit(attempt, 7)
    db.session.commit()
    page = client.get("/contests/thi-132-nam/leaderboard?round=2").get_data(as_text=True)
    assert "tạm dừng cập nhật" in page and "Lò T. X." not in page


def test_unpublished_and_unknown_contests_are_404(contest, client):
    contest.published = False
    db.session.commit()
    assert client.get("/contests/thi-132-nam").status_code == 404
    assert client.get("/contests/khong-co").status_code == 404
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 0


@pytest.mark.parametrize("typed", ["1_000", "١٠", "+5", "-5", "3000000000", "99999999999999999999", "9" * 5000])
def test_a_figure_that_is_no_count_is_refused_with_the_rule_and_keeps_nothing(contest, login, typed):
    """The round's figure is what every prediction is measured against: the same digits, the same bound."""
    organiser = login("organiser")
    response = organiser.post("/contests/thi-132-nam/organise/figure", data={"round": "2", "figure": typed},
                              follow_redirects=True)
    assert response.status_code == 200
    assert "Con số thực tế phải là một số nguyên từ 0 đến 1.000.000.000." in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.get_round(contest, 2).actual_figure is None


def test_organisers_set_the_figure_freeze_publish_and_exclude(contest, world, login, client):
    organiser = login("organiser")
    organise_page = organiser.get("/contests/thi-132-nam/organise")
    assert organise_page.status_code == 200
    # The browser stops a figure past the bound before the server's sentence has to.
    figure_input = f'name="figure" type="number" min="0" max="{services.PREDICTION_MAX}"'
    assert figure_input in organise_page.get_data(as_text=True)
    for who in ("member", "tinh", "editor"):
        assert login(who).get("/contests/thi-132-nam/organise").status_code == 403
    assert client.get("/contests/thi-132-nam/organise").status_code == 302

    participant = registration.join_as_member(contest, world.member_user, world.member_a)
    attempt = services.start(contest.rounds[1], participant)
    services.submit(attempt, 40)
    db.session.commit()
    page = organiser.post("/contests/thi-132-nam/organise/figure", data={"round": "2", "figure": "42"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Đã lưu con số thực tế của tuần 2." in page and contest.rounds[1].actual_figure == 42
    assert "phải là một số nguyên" in organiser.post("/contests/thi-132-nam/organise/figure",
                                                     data={"round": "2", "figure": "nhiều"},
                                                     follow_redirects=True).get_data(as_text=True)

    workbook = load_workbook(io.BytesIO(organiser.get("/contests/thi-132-nam/rounds/2/results.xlsx").data))
    rows = list(workbook.active.values)
    assert rows[1][0] == "Hạng" and rows[2][1] == "Lò Thị Xuân" and rows[2][8] == 2  # |40 - 42|
    assert login("member").get("/contests/thi-132-nam/rounds/2/results.xlsx").status_code == 403

    organiser.post("/contests/thi-132-nam/organise/freeze")
    assert contest.leaderboard_frozen_at is not None
    organiser.post("/contests/thi-132-nam/organise/publish")
    assert contest.results_published_at is not None
    assert "Lò T. X." in client.get("/contests/thi-132-nam/leaderboard?round=2").get_data(as_text=True)

    page = organiser.post("/contests/thi-132-nam/organise/exclude",
                          data={"phone": "0912000001", "reason": "Dùng nhiều tài khoản"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Đã loại Lò Thị Xuân" in page
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="contest_participant_excluded")).one()
    assert entry.actor_id == world.organiser.id and "Dùng nhiều tài khoản" in entry.summary
    assert "Lò T. X." not in client.get("/contests/thi-132-nam/leaderboard?round=2").get_data(as_text=True)
    refused = login("member").post("/contests/thi-132-nam/rounds/2/start", follow_redirects=True)
    assert "Bạn đã bị loại khỏi cuộc thi: Dùng nhiều tài khoản" in refused.get_data(as_text=True)


def test_jury_cells_are_neutralised(contest, world, login):
    participant = registration.register_guest(contest, registration.Registration(
        full_name="=Trần Thị Hoa", birth_year=1995, phone="0987654321", password="hoa-du-thi-2022",
        workplace="@Công ty"))[1]
    services.submit(services.start(contest.rounds[1], participant), 5)
    db.session.commit()
    rows = list(load_workbook(io.BytesIO(login("organiser").get(
        "/contests/thi-132-nam/rounds/2/results.xlsx").data)).active.values)
    assert rows[2][1] == "'=Trần Thị Hoa" and rows[2][4] == "'@Công ty"


def test_collective_results_roll_up_the_tree(contest, world, client):
    grassroots = world.grassroots_a.kind
    db.session.add(Division(contest=contest, name="Bảng công đoàn cơ sở", position=2, unit_kind_id=grassroots.id))
    participant = registration.join_as_member(contest, world.member_user, world.member_a)
    services.submit(services.start(contest.rounds[1], participant), 5)
    registration.register_guest(contest, registration.Registration(
        full_name="Trần Thị Hoa", birth_year=1995, phone="0987654321", password="hoa-du-thi-2022", unit_code="GB"))
    db.session.commit()
    boards.forget_cache()
    figures = collective_results.collective(contest)
    province, district_a, school_b = (figures[u.id] for u in (world.province, world.district_a, world.grassroots_b))
    assert (province.participants, province.attempts, province.members, province.rate) == (2, 1, 2, 100.0)
    assert (district_a.participants, district_a.attempts, district_a.members) == (1, 1, 1)
    assert (school_b.participants, school_b.attempts) == (1, 0)
    page = client.get("/contests/thi-132-nam/units").get_data(as_text=True)
    assert world.district_a.name in page and "tỷ lệ tham gia 100,0%" in page
    assert "Bảng công đoàn cơ sở: đơn vị có nhiều người dự thi nhất" in page
    assert world.grassroots_a.name in client.get("/contests/thi-132-nam/units?unit=DA").get_data(as_text=True)
    assert client.get("/contests/thi-132-nam/units?unit=NOPE").status_code == 404
