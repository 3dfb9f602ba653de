"""The organising committee: setting a contest up through its pages, prizes with certificates, flags."""
from datetime import timedelta

import pytest

from certificates import services as certificates
from certificates.models import Certificate
from contests import jury, prizes, registration, services
from contests.models import Contest, Participant, Prize
from core.clock import utcnow
from core.extensions import db
from core.models import AuditEntry
from learning import topics as learning_topics
from learning.models import KIND_CONTEST
from quizzes import services as quizzes
from quizzes.forms import format_local_moment
from tests.factories import PASSWORD, make_member, make_user

CONTEST_FORM = {"title": "Cuộc thi tìm hiểu 97 năm Ngày thành lập Công đoàn Việt Nam", "slug": "",
                "anniversary": "28/7/1929 – 28/7/2026", "description_md": "Giới thiệu", "rules_md": "- Thi 10 câu.",
                "organiser_unit_code": "P", "audience_unit_code": "", "open_to_public": "y",
                "division_mode": "unit_kind", "tie_break": "prediction", "published": "y"}


def _round_form(opens, closes, **changes):
    return {"opens_at": format_local_moment(opens), "closes_at": format_local_moment(closes), "question_count": "5",
            "time_limit_minutes": "20", "max_attempts": "2", "answers_after_close": "y",
            "prediction_question": "Có bao nhiêu người dự thi tuần này?", "min_duration_seconds": "60", **changes}


@pytest.fixture
def bank_source(synced, world):
    topic = learning_topics.get_topic("ket-luan-01-kl-tw")
    learning_topics.assign_topic(topic, world.province)  # the test province's own: its organisers may copy it
    db.session.commit()
    return topic


def _create(organiser, source, **changes) -> Contest:
    response = organiser.post("/contests/organise/new", data={**CONTEST_FORM, "bank_source": source.id, **changes})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(db.select(Contest)).one()


def test_an_organiser_sets_up_a_contest_with_divisions_and_rounds(world, login, bank_source):
    organiser = login("organiser")
    assert "Tạo cuộc thi" in organiser.get("/contests/organise").get_data(as_text=True)
    contest = _create(organiser, bank_source)
    assert contest.slug == "cuoc-thi-tim-hieu-97-nam-ngay-thanh-lap-cong-doan-viet-nam"
    assert contest.bank.kind == KIND_CONTEST and not contest.bank.published  # never shown to members
    assert services.get_contest(contest.slug) is contest

    grassroots_kind = world.grassroots_a.kind
    organiser.post(f"/contests/{contest.slug}/organise/divisions",
                   data={"name": "Bảng A", "unit_kind": grassroots_kind.id})
    organiser.post(f"/contests/{contest.slug}/organise/divisions", data={"name": "Bảng B", "unit_kind": 0})
    db.session.expire_all()
    assert [(d.name, d.unit_kind_id) for d in contest.divisions] == [("Bảng A", grassroots_kind.id), ("Bảng B", None)]

    now = utcnow()
    too_many = organiser.post(f"/contests/{contest.slug}/organise/rounds/new",
                              data=_round_form(now, now + timedelta(days=6), question_count="500"))
    assert "Số phải trong khoảng 1 đến 200." in too_many.get_data(as_text=True)
    backwards = organiser.post(f"/contests/{contest.slug}/organise/rounds/new",
                               data=_round_form(now + timedelta(days=6), now))
    assert "Thời điểm đóng phải sau thời điểm mở." in backwards.get_data(as_text=True)
    response = organiser.post(f"/contests/{contest.slug}/organise/rounds/new",
                              data=_round_form(now - timedelta(hours=1), now + timedelta(days=6)))
    assert response.status_code == 302
    db.session.expire_all()
    (first,) = contest.rounds
    assert (first.number, first.quiz.question_count, first.quiz.max_attempts) == (1, 5, 2)
    assert first.quiz.single_choice_only and first.quiz.review_after_submit == "score"
    page = organiser.get(f"/contests/{contest.slug}/organise").get_data(as_text=True)
    assert "Bảng A" in page and "Đang mở" in page
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(AuditEntry.action.like("contest_%"))) >= 4


def test_a_bank_too_small_and_a_started_round_are_refused(world, login, bank_source):
    organiser = login("organiser")
    contest = _create(organiser, bank_source, bank_source=0)  # an empty bank
    now = utcnow()
    page = organiser.post(f"/contests/{contest.slug}/organise/rounds/new",
                          data=_round_form(now, now + timedelta(days=1))).get_data(as_text=True)
    assert "mới có 0 câu" in page and not contest.rounds

    other = _create_second(organiser, bank_source)
    organiser.post(f"/contests/{other.slug}/organise/rounds/new",
                   data=_round_form(now - timedelta(hours=1), now + timedelta(days=1)))
    db.session.expire_all()
    participant = registration.join_as_member(other, world.member_user, world.member_a)
    services.start(other.rounds[0], participant)
    db.session.commit()
    refused = organiser.post(f"/contests/{other.slug}/organise/rounds/1",
                             data=_round_form(now - timedelta(hours=1), now + timedelta(days=1), question_count="6"))
    assert "chỉ được đổi thời điểm đóng và câu hỏi dự đoán" in refused.get_data(as_text=True)
    extended = organiser.post(f"/contests/{other.slug}/organise/rounds/1",
                              data=_round_form(now - timedelta(hours=1), now + timedelta(days=3)))
    assert extended.status_code == 302
    db.session.expire_all()
    assert other.rounds[0].quiz.question_count == 5
    assert other.rounds[0].quiz.closes_at > now + timedelta(days=2)


def _create_second(organiser, bank_source) -> Contest:
    organiser.post("/contests/organise/new",
                   data={**CONTEST_FORM, "slug": "thi-thu-hai", "bank_source": bank_source.id})
    return services.get_contest("thi-thu-hai")


def test_only_organisers_within_their_unit_set_contests_up(world, login, bank_source):
    for who in ("officer_a", "editor", "member"):
        assert login(who).get("/contests/organise/new").status_code == 403
    district_organiser = make_user("bantochuc_huyen", "organiser", world.district_a)
    db.session.commit()
    client = login("bantochuc_huyen")
    page = client.post("/contests/organise/new", data={**CONTEST_FORM, "bank_source": bank_source.id}).get_data(
        as_text=True)
    assert "Không có đơn vị tổ chức với mã này trong phạm vi của bạn." in page
    assert db.session.scalar(db.select(db.func.count(Contest.id))) == 0
    contest = _create(login("organiser"), bank_source)
    assert client.get(f"/contests/{contest.slug}/organise").status_code == 403
    assert district_organiser.id and client.get("/contests/organise").status_code == 200


def test_a_division_with_people_cannot_be_removed(world, login, bank_source):
    organiser = login("organiser")
    contest = _create(organiser, bank_source, division_mode="free")
    organiser.post(f"/contests/{contest.slug}/organise/divisions", data={"name": "Bảng chung", "unit_kind": 0})
    db.session.expire_all()
    registration.join_as_member(contest, world.member_user, world.member_a)
    db.session.commit()
    division = contest.divisions[0]
    page = organiser.post(f"/contests/{contest.slug}/organise/divisions/{division.id}/delete",
                          follow_redirects=True).get_data(as_text=True)
    assert "Bảng đã có người dự thi" in page and db.session.get(type(division), division.id) is not None


# -- prizes --------------------------------------------------------------------------------

@pytest.fixture
def played(world, login, bank_source):
    """A contest whose only round has closed: six people in division A, two guests in division B."""
    organiser = login("organiser")
    contest = _create(organiser, bank_source)
    organiser.post(f"/contests/{contest.slug}/organise/divisions", data={"name": "Bảng A",
                                                                          "unit_kind": world.grassroots_a.kind_id})
    organiser.post(f"/contests/{contest.slug}/organise/divisions", data={"name": "Bảng B", "unit_kind": 0})
    opens = utcnow() - timedelta(days=2)
    organiser.post(f"/contests/{contest.slug}/organise/rounds/new",
                   data=_round_form(opens, utcnow() - timedelta(days=1)))
    db.session.expire_all()
    contest_round = contest.rounds[0]
    people = []
    for n in range(6):
        member = make_member(world.grassroots_a, f"Người Dự Thi {n}", phone=f"09130000{n:02d}")
        member.user = make_user(f"dt{n}", full_name=member.full_name)
        people.append(registration.join_as_member(contest, member.user, member))
    for n in range(2):
        user, guest = registration.register_guest(contest, registration.Registration(
            full_name=f"Khách Mời {n}", birth_year=1990, phone=f"09870000{n:02d}", password="mat-khau-du-thi-1",
            workplace="Công ty Thủy điện"))
        people.append(guest)
    for n, person in enumerate(people):  # person n answers 5 - n % 5 questions right, in 2 + n minutes
        start = opens + timedelta(hours=1)
        attempt = services.start(contest_round, person, now=start)
        for entry in attempt.paper[:5 - n % 5]:
            quizzes.save_answer(attempt, entry["id"], entry["correct"], now=start)
        services.submit(attempt, 100 + n, now=start + timedelta(minutes=2 + n))
    certificates.save_issuer(world.province, actor=world.admin, body_lines="Liên đoàn Lao động tỉnh Thử",
                             place="Lai Châu", signer_title="TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH",
                             signer_name="Đồng Thị Nghĩa", serial_suffix="GCN-LĐLĐ")
    db.session.commit()
    return contest, organiser, people


def test_prizes_wait_for_the_close_and_the_real_figure(played):
    contest, organiser, _ = played
    page = organiser.get(f"/contests/{contest.slug}/organise/prizes?round=1").get_data(as_text=True)
    assert "Hãy nhập đáp án câu hỏi dự đoán của tuần 1" in page
    assert organiser.post(f"/contests/{contest.slug}/organise/prizes", data={"round": "1"}).status_code == 302
    assert db.session.scalar(db.select(db.func.count(Prize.id))) == 0


def test_prize_counts_in_other_digit_scripts_are_read_or_refused_without_a_crash(played):
    contest, organiser, _people = played
    organiser.post(f"/contests/{contest.slug}/organise/figure", data={"round": "1", "figure": "103"})
    a, b = (division.id for division in contest.divisions[:2])
    # "²" passes str.isdigit() but not int(); "٢" (Arabic-Indic) is a decimal digit int() reads.
    counts = {"round": "1", f"count-{a}-first": "²", f"count-{a}-second": "٢", f"count-{a}-third": "0",
              f"count-{a}-consolation": "0", **{f"count-{b}-{rank}": "0" for rank in prizes.DEFAULT_COUNTS}}
    preview = organiser.get(f"/contests/{contest.slug}/organise/prizes", query_string=counts)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Danh sách dự kiến (2 giải)" in page and "Giải Nhất" not in page.split("Danh sách dự kiến")[1]


def test_prizes_per_division_and_their_certificates_in_one_step(played, world, login, client):
    contest, organiser, people = played
    organiser.post(f"/contests/{contest.slug}/organise/figure", data={"round": "1", "figure": "103"})
    a, b = (division.id for division in contest.divisions[:2])
    counts = {"round": "1", f"count-{a}-first": "1", f"count-{a}-second": "1", f"count-{a}-third": "2",
              f"count-{a}-consolation": "0", f"count-{b}-first": "1", f"count-{b}-second": "0",
              f"count-{b}-third": "0", f"count-{b}-consolation": "0"}
    preview = organiser.get(f"/contests/{contest.slug}/organise/prizes", query_string=counts).get_data(as_text=True)
    assert "Danh sách dự kiến (5 giải)" in preview and "Khách Mời 0" in preview
    assert db.session.scalar(db.select(db.func.count(Prize.id))) == 0  # a preview saves nothing

    organiser.post(f"/contests/{contest.slug}/organise/prizes", data=counts)
    awarded = prizes.awarded(contest, 1)
    # Division A: 5 right for people 0 and 5 (prediction 100 and 105 against 103: person 5 is closer
    # by 2 against 3), then 4 right (person 1), then 3 right (person 2).
    assert [(p.participant.full_name, p.rank, p.place) for p in awarded if p.division.name == "Bảng A"] == [
        ("Người Dự Thi 5", "first", 1), ("Người Dự Thi 0", "second", 2), ("Người Dự Thi 1", "third", 3),
        ("Người Dự Thi 2", "third", 4)]
    guest_prize = next(p for p in awarded if p.division.name == "Bảng B")
    assert guest_prize.participant.full_name == "Khách Mời 0" and guest_prize.rank == "first"
    certificate = guest_prize.certificate
    assert certificate.kind == "prize" and certificate.holder_name == "Khách Mời 0"
    assert certificate.achievement.startswith("Đạt Giải Nhất – Bảng B\nTuần 1 – ")
    assert certificate.unit_name == "Công ty Thủy điện"

    again = organiser.post(f"/contests/{contest.slug}/organise/prizes", data=counts, follow_redirects=True)
    assert "đã được trao" in again.get_data(as_text=True) and len(prizes.awarded(contest, 1)) == 5

    guest = client  # the winning guest logs in with their phone
    guest.post("/accounts/login", data={"identifier": "0987000000", "password": "mat-khau-du-thi-1"})
    pdf = guest.get(f"/contests/{contest.slug}/prizes/{guest_prize.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "Chúc mừng! Bạn đạt Giải Nhất – Bảng B" in guest.get(f"/contests/{contest.slug}").get_data(as_text=True)
    assert login("dt1").get(f"/contests/{contest.slug}/prizes/{guest_prize.id}.pdf").status_code == 404
    assert "Giấy chứng nhận hợp lệ" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)

    page = organiser.post(f"/contests/{contest.slug}/organise/prizes/cancel", data={"round": "1", "reason": "Chấm lại"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Đã hủy 5 giải" in page and not prizes.awarded(contest, 1)
    assert db.session.get(Certificate, certificate.id).revoked_at is not None
    assert "đã bị thu hồi" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)


def test_excluded_people_get_no_prize_and_the_whole_contest_is_ranked_too(played, world):
    contest, _, people = played
    jury.set_actual_figure(contest.rounds[0], 103, world.organiser)
    jury.exclude(people[5], world.organiser, "Dùng hai tài khoản")
    planned = prizes.plan(contest, None, {contest.divisions[0].id: {"first": 1}, contest.divisions[1].id: {}})
    assert [(line.participant.full_name, line.rank_label) for line in planned] == [("Người Dự Thi 0", "Giải Nhất")]
    awarded = prizes.award(contest, None, {contest.divisions[0].id: {"first": 1}}, world.organiser)
    assert awarded[0].round_number == prizes.WHOLE_CONTEST and "Tuần" not in awarded[0].certificate.achievement


def test_no_issuer_means_no_prizes(played, world):
    contest, _, _ = played
    jury.set_actual_figure(contest.rounds[0], 103, world.organiser)
    for issuer in db.session.scalars(db.select(certificates.Issuer)):
        db.session.delete(issuer)
    with pytest.raises(services.ContestError, match="chưa có mẫu giấy chứng nhận"):
        prizes.award(contest, contest.rounds[0], {contest.divisions[0].id: {"first": 1}}, world.organiser)


def test_several_accounts_on_one_device_are_flagged(played, world, login, app):
    contest, organiser, people = played
    now = utcnow()
    organiser.post(f"/contests/{contest.slug}/organise/rounds/new",
                   data=_round_form(now - timedelta(hours=1), now + timedelta(days=1)))
    phone = app.test_client()
    for identifier in ("dt0", "dt1"):
        phone.post("/accounts/login", data={"identifier": identifier, "password": PASSWORD})
        response = phone.post(f"/contests/{contest.slug}/rounds/2/start")
        assert response.status_code == 302 and "/attempts/" in response.headers["Location"]
        phone.post("/accounts/logout")
    login("dt2").post(f"/contests/{contest.slug}/rounds/2/start")  # another phone
    page = organiser.get(f"/contests/{contest.slug}/organise").get_data(as_text=True)
    assert "2 tài khoản, 2 lượt" in page and "Người Dự Thi 0" in page and "Người Dự Thi 1" in page
    section = page[page.index("Nhiều tài khoản thi trên một thiết bị"):]
    assert "Người Dự Thi 2" not in section[:section.index("</ul>")]
    assert db.session.scalar(db.select(db.func.count(Participant.id))) == 8


@pytest.mark.parametrize("hidden", ["unpublished", "other_federation"])
def test_a_contest_bank_is_copied_only_from_a_topic_the_organiser_may_open(world, login, bank_source, hidden):
    """A copy would be played with its answers shown: a draft bank, or another province's, read that way."""
    from learning import editing
    topic = editing.clone_topic(bank_source, "ban-nhap", "Chuyên đề đang soạn", 2027)
    if hidden == "unpublished":
        topic.published = False
    else:
        topic.federation_code = "LDLD-KHAC"  # set for another province's tree, not this one
    db.session.commit()
    organiser = login("organiser")
    assert "Chuyên đề đang soạn" not in organiser.get("/contests/organise/new").get_data(as_text=True)
    organiser.post("/contests/organise/new", data={**CONTEST_FORM, "bank_source": topic.id})
    assert db.session.scalar(db.select(db.func.count(Contest.id))) == 0
    assert "Chuyên đề đang soạn" in login("admin").get("/contests/organise/new").get_data(as_text=True)
