"""A closed round's review never hands over the answers of questions that a round still open
(or to come) can draw; the organiser is told when rounds share questions; the demo's don't."""
from datetime import timedelta

import pytest

from accounts import services as accounts
from contests import demo as contests_demo
from contests import registration, services
from contests.models import Contest, Division
from core.clock import utcnow
from core.extensions import db
from core.permissions import EDITOR
from learning import editing
from learning import topics as learning_topics
from learning.models import SINGLE, Question, Topic
from quizzes import services as quizzes
from tests.conftest import synced_content
from units import demo as units_demo


@pytest.fixture
def contest(synced, world):
    """Week 1 closed yesterday; week 2 is open. Both draw from the contest's one bank."""
    bank = editing.clone_topic(learning_topics.get_topic("chuyen-de-2022"), "ngan-hang", "Ngân hàng thi", 2022)
    contest = Contest(slug="thi", title="Cuộc thi 132 năm Ngày sinh Bác", organiser_unit=world.province,
                      audience_unit=world.province, bank=bank, published=True)
    db.session.add_all([contest, Division(contest=contest, name="Bảng A", position=1)])
    now = utcnow()
    services.add_round(contest, 1, now - timedelta(days=8), now - timedelta(days=1), question_count=5)
    services.add_round(contest, 2, now - timedelta(days=1), now + timedelta(days=6), question_count=5)
    db.session.commit()
    return contest


def _played_week_1(contest, world):
    """The member's attempt at week 1, made while it was open, every answer right."""
    participant = registration.join_as_member(contest, world.member_user, world.member_a)
    started = contest.rounds[0].quiz.opens_at + timedelta(hours=1)
    attempt = services.start(contest.rounds[0], participant, now=started)
    for entry in attempt.paper:
        quizzes.save_answer(attempt, entry["id"], entry["correct"], now=started)
    services.submit(attempt, 10, now=started + timedelta(minutes=5))
    db.session.commit()
    return attempt


def test_a_closed_round_keeps_back_the_answers_an_open_round_can_still_draw(contest, world, login):
    attempt = _played_week_1(contest, world)
    page = login("member").get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "5/5 câu đúng" in page and "Xem lại bài làm" in page
    assert "(đáp án đúng)" not in page and ">Đúng</span>" not in page
    assert "sẽ công bố khi các vòng ấy kết thúc" in page
    # once week 2 has closed too, nothing is left to protect
    contest.rounds[1].quiz.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = login("member").get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert page.count("(đáp án đúng)") == 5


@pytest.mark.parametrize("last_right", [True, False])
def test_the_score_and_the_other_questions_marks_never_tell_a_withheld_answer(contest, world, login, last_right):
    """Week 2 can still draw one question of week 1's paper. Marking the other four right, beside a score of
    5/5 (or 4/5), would say whether the fifth was answered right: then nothing is marked until week 2 closes."""
    participant = registration.join_as_member(contest, world.member_user, world.member_a)
    started = contest.rounds[0].quiz.opens_at + timedelta(hours=1)
    attempt = services.start(contest.rounds[0], participant, now=started)
    *told, kept = attempt.paper
    for entry in told:
        quizzes.save_answer(attempt, entry["id"], entry["correct"], now=started)
    wrong = next(c["id"] for c in kept["choices"] if c["id"] not in kept["correct"])
    quizzes.save_answer(attempt, kept["id"], kept["correct"] if last_right else [wrong], now=started)
    services.submit(attempt, 10, now=started + timedelta(minutes=5))
    for question in db.session.scalars(db.select(Question).where(Question.id.in_([e["id"] for e in told]))):
        question.published = False  # withdrawn from the bank: week 2 no longer draws them
    db.session.commit()
    assert services.withheld_questions(attempt, utcnow()) & {e["id"] for e in attempt.paper} == {kept["id"]}

    page = login("member").get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert f"{5 if last_right else 4}/5 câu đúng" in page and "Xem lại bài làm" in page
    assert "(đáp án đúng)" not in page and ">Đúng</span>" not in page and ">Sai</span>" not in page
    assert "sẽ công bố khi các vòng ấy kết thúc" in page


def test_a_round_with_its_own_part_of_the_bank_publishes_its_answers_when_it_closes(contest, world, login):
    own = editing.clone_topic(learning_topics.get_topic("chuyen-de-toan-khoa-xiii"), "ngan-hang-2", "Phần 2", 2022)
    contest.rounds[1].quiz.topic = own
    db.session.commit()
    attempt = _played_week_1(contest, world)
    page = login("member").get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert page.count("(đáp án đúng)") == 5


def _answer_key_urls(contest) -> list[str]:
    bank = contest.bank
    question = db.session.scalars(db.select(Question).where(Question.topic_id == bank.id)).first()
    quiz_id = contest.rounds[1].quiz.id
    return [f"/editor/topics/{bank.slug}/questions", f"/editor/topics/{bank.slug}/questions.xlsx",
            f"/editor/topics/{bank.slug}/questions/{question.slug}", f"/editor/topics/{bank.slug}/clone",
            f"/editor/quizzes/{quiz_id}/statistics", f"/editor/quizzes/{quiz_id}/statistics.xlsx"]


def test_a_contestant_never_opens_the_contests_answer_key_while_a_round_can_still_be_played(contest, world, login):
    """An editor who takes part in the contest is a contestant first: its bank, its export and its rounds'
    statistics (each right answer) are not found for them until every round has closed."""
    accounts.grant_role(world.member_user, EDITOR, None, actor=world.admin)
    registration.join_as_member(contest, world.member_user, world.member_a)
    db.session.commit()
    urls = _answer_key_urls(contest)
    contestant, editor = login("member"), login("editor")
    for url in urls:
        assert contestant.get(url).status_code == 404, url
        assert editor.get(url).status_code == 200, url  # the editors who write it, taking no part
    assert contestant.get("/editor/").status_code == 200  # the rest of the editor's work goes on
    for person in ("officer_a", "organiser"):  # nor do officers, this contest's organisers included
        assert all(login(person).get(url).status_code == 403 for url in urls), person
    contest.rounds[1].quiz.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert all(contestant.get(url).status_code == 200 for url in urls)


def test_the_organiser_sees_how_many_questions_the_rounds_share(contest, login, world):
    shared = quizzes.bank_size(contest.bank_topic_id, single_choice_only=True)
    assert services.shared_questions(contest) == [(contest.rounds[0], contest.rounds[1], shared)]
    admin = login("admin")
    for url in ("/contests/thi/organise", "/contests/thi/organise/rounds/2"):
        page = admin.get(url).get_data(as_text=True)
        assert f"Tuần 1 và tuần 2 dùng chung {shared} câu hỏi." in page, url


def test_the_demo_weeks_draw_from_lai_chau_topics_and_share_no_question(app):
    units_demo.seed()
    synced_content()
    contests_demo.seed()
    db.session.commit()
    contest = services.get_contest(contests_demo.SLUG)
    assert services.shared_questions(contest) == []
    lai_chau = {"chuyen-de-toan-khoa-xiii", "chuyen-de-2022"}
    allowed = set(db.session.scalars(db.select(Question.text).where(
        Question.topic.has(Topic.slug.in_(lai_chau)), Question.type == SINGLE)))
    for contest_round in contest.rounds:
        drawable = quizzes.drawable_question_ids(contest_round.quiz)
        texts = set(db.session.scalars(db.select(Question.text).where(Question.id.in_(drawable))))
        assert texts and texts <= allowed
        assert contest_round.quiz.question_count == min(20, len(drawable))


def test_a_closed_round_whose_review_is_out_cannot_be_opened_again(contest, world, login):
    """Its review showed the answers once it closed: reopened, its tries left would be played with them."""
    from contests import organising
    attempt = _played_week_1(contest, world)
    week_1 = contest.rounds[0]
    data = organising.round_data(week_1)
    data.closes_at = utcnow() + timedelta(days=3)
    with pytest.raises(services.ContestError, match="không mở lại"):
        organising.update_round(week_1, data, world.admin)
    db.session.rollback()
    assert services.round_state(week_1, utcnow()) == services.CLOSED
    assert attempt.number == 1 and week_1.quiz.max_attempts == 2  # a try was left to play with the answers
    # a round not yet closed may still be given more time
    week_2 = contest.rounds[1]
    services.start(week_2, registration.participant_for(contest, world.member_user))
    db.session.commit()
    data = organising.round_data(week_2)
    data.closes_at = week_2.quiz.closes_at + timedelta(days=1)
    organising.update_round(week_2, data, world.admin)
    assert week_2.quiz.closes_at == data.closes_at
