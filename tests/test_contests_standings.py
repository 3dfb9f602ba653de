"""contest_standings is kept current as attempts finish: after any sequence of what changes a
ranking (attempts submitted or expired by the sweep, several tries, the real figure set, the
tie-break order changed, people excluded), the boards read from it equal the reference rule of
contests/ranking.py over every finished attempt, per round, per division and overall."""
import random
import threading
import time
from datetime import timedelta

import pytest

from accounts.models import User
from contests import boards, jury, organising, ranking, services
from contests.models import (
    DIVISIONS_FREE,
    DURATION_THEN_PREDICTION,
    PREDICTION_THEN_DURATION,
    Contest,
    Division,
    Participant,
    Standing,
)
from core.clock import utcnow
from core.extensions import db
from learning import editing
from learning import topics as learning_topics
from quizzes import services as quizzes
from quizzes.models import Attempt


@pytest.fixture
def contest(synced, world):
    bank = editing.clone_topic(learning_topics.get_topic("ket-luan-01-kl-tw"), "ngan-hang", "Ngân hàng thi", 2022)
    contest = Contest(slug="thi-bang-diem", title="Cuộc thi bảng điểm", organiser_unit=world.province,
                      audience_unit=world.province, bank=bank, published=True, division_mode=DIVISIONS_FREE)
    db.session.add(contest)
    divisions = [Division(contest=contest, name=name, position=n) for n, name in enumerate(["Bảng A", "Bảng B"])]
    db.session.add_all(divisions)
    opens = utcnow() - timedelta(days=30)
    for number in (1, 2):
        services.add_round(contest, number, opens, opens + timedelta(days=60), question_count=4, max_attempts=3)
    for n in range(24):
        user = User(username=f"thi{n:03d}", full_name=f"Người Thi {n}", password_hash="-")  # never logs in
        db.session.add(user)
        db.session.flush()
        db.session.add(Participant(contest=contest, user_id=user.id, full_name=f"Trần Văn Thi {n}",
                                   phone=f"0913{n:06d}", division=divisions[n % 2]))
    db.session.commit()
    boards.forget_cache()
    return contest


def _contest_data(contest: Contest, tie_break: str) -> organising.ContestData:
    return organising.ContestData(title=contest.title, anniversary=contest.anniversary,
                             description_md=contest.description_md, rules_md=contest.rules_md,
                             organiser_unit_code=contest.organiser_unit.code,
                             audience_unit_code=contest.audience_unit.code, open_to_public=contest.open_to_public,
                             division_mode=contest.division_mode, tie_break=tie_break, published=contest.published)


def _assert_standings_follow_the_rule(contest: Contest) -> None:
    tie_break = contest.tie_break
    people = {p.id: p for p in db.session.scalars(db.select(Participant).filter_by(contest_id=contest.id))}
    for contest_round in contest.rounds:
        expected = ranking.rank_round(boards.round_results(contest_round), contest_round.actual_figure, tie_break)
        assert boards.standing_round(contest_round) == expected
        assert boards.standing_round(contest_round, limit=5) == expected[:5]
        for division in contest.divisions:
            assert boards.standing_round(contest_round, division=division) == [
                r for r in expected if people[r.participant_id].division_id == division.id]
    expected = ranking.rank_overall([(boards.round_results(r), r.actual_figure) for r in contest.rounds], tie_break)
    assert boards.standing_overall(contest) == expected
    for division in contest.divisions:
        assert boards.standing_overall(contest, division=division) == [
            s for s in expected if people[s.participant_id].division_id == division.id]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_standings_equal_the_rule_after_any_sequence_of_events(contest, world, seed):
    rng = random.Random(seed)
    people = list(db.session.scalars(db.select(Participant).filter_by(contest_id=contest.id)))
    now = contest.rounds[0].quiz.opens_at + timedelta(hours=1)
    played = 0
    for step in range(90):
        now += timedelta(seconds=rng.randint(1, 400), microseconds=rng.randint(0, 999_999))
        event = rng.choices(["play", "sweep", "figure", "tie_break", "exclude"], weights=[40, 3, 2, 2, 1])[0]
        if event == "play":
            person, contest_round = rng.choice(people), rng.choice(contest.rounds)
            try:
                attempt = services.start(contest_round, person, now=now)
            except services.ContestError:  # no try left, or excluded
                continue
            for entry in attempt.paper:
                if rng.random() < 0.8:
                    right = rng.random() < 0.7
                    pick = entry["correct"] if right else [c["id"] for c in entry["choices"]
                                                           if c["id"] not in entry["correct"]][:1]
                    quizzes.save_answer(attempt, entry["id"], pick, now=now)
            if rng.random() < 0.85:  # the others are left open, for the sweep
                took = timedelta(seconds=rng.choice([59, 60, 61, 300, 1500]), microseconds=rng.randint(0, 999_999))
                services.submit(attempt, rng.choice([None, 90, 100, 110, 10**9]), now=now + took)
                played += 1
        elif event == "sweep":
            quizzes.close_expired(now=now)
        elif event == "figure":
            jury.set_actual_figure(rng.choice(contest.rounds), rng.choice([95, 100, 120]), world.organiser)
        elif event == "tie_break":
            other = (PREDICTION_THEN_DURATION if contest.tie_break == DURATION_THEN_PREDICTION
                     else DURATION_THEN_PREDICTION)
            organising.update_contest(contest, _contest_data(contest, other), world.organiser)
        else:
            jury.exclude(rng.choice(people), world.organiser, "Dùng nhiều tài khoản", now=now)
        if rng.random() < 0.5:
            db.session.commit()
        if step % 15 == 14:
            _assert_standings_follow_the_rule(contest)
    quizzes.close_expired(now=now + timedelta(days=1))
    db.session.commit()
    assert played > 30
    _assert_standings_follow_the_rule(contest)


def test_the_boards_read_the_standings_and_leave_the_excluded_out(contest, world):
    first, second = db.session.scalars(db.select(Participant).filter_by(contest_id=contest.id).limit(2))
    now = contest.rounds[0].quiz.opens_at + timedelta(hours=1)
    for person, right in ((first, 3), (second, 2)):
        attempt = services.start(contest.rounds[0], person, now=now)
        for entry in attempt.paper[:right]:
            quizzes.save_answer(attempt, entry["id"], entry["correct"], now=now)
        services.submit(attempt, 100, now=now + timedelta(minutes=5))
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(Standing)) == 4  # a round and overall each
    assert [(line.place, line.name, line.score) for line in boards.round_board(contest.rounds[0])] == [
        (1, "Trần V. T. 0.", 3), (2, "Trần V. T. 1.", 2)]
    jury.exclude(first, world.organiser, "Dùng nhiều tài khoản")
    db.session.commit()
    assert [line.participant_id for line in boards.round_board(contest.rounds[0])] == [second.id]
    assert [line.participant_id for line in boards.overall_board(contest)] == [second.id]
    assert [row.full_name for row in jury.jury_rows(contest.rounds[0])] == [second.full_name]


def test_changing_the_tie_break_order_can_change_which_attempt_counts(contest, world):
    """Equal scores: one attempt with the exact prediction but slow, one quick but far off."""
    person = db.session.scalars(db.select(Participant).filter_by(contest_id=contest.id)).first()
    contest_round = contest.rounds[0]
    now = contest_round.quiz.opens_at + timedelta(hours=1)
    ids = []
    for prediction, took in ((100, timedelta(minutes=15)), (5000, timedelta(minutes=2))):
        attempt = services.start(contest_round, person, now=now)
        services.submit(attempt, prediction, now=now + took)
        ids.append(attempt.id)
        now += timedelta(hours=1)
    jury.set_actual_figure(contest_round, 100, world.organiser)
    db.session.commit()
    assert [r.attempt_id for r in boards.standing_round(contest_round)] == [ids[0]]
    organising.update_contest(contest, _contest_data(contest, DURATION_THEN_PREDICTION), world.organiser)
    db.session.commit()
    assert [r.attempt_id for r in boards.standing_round(contest_round)] == [ids[1]]
    assert boards.standing_overall(contest)[0].duration_seconds == 120


def test_two_rounds_finishing_at_once_both_count_overall(app, contest):
    """One person's round-1 attempt closed while their round-2 attempt is handed in, in two
    transactions at once: the whole-contest line must add both (the second waits for the first)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    person = db.session.scalars(db.select(Participant).filter_by(contest_id=contest.id)).first()
    now = contest.rounds[0].quiz.opens_at + timedelta(hours=1)
    ids = []
    for contest_round in contest.rounds:
        attempt = services.start(contest_round, person, now=now)
        for entry in attempt.paper:
            quizzes.save_answer(attempt, entry["id"], entry["correct"], now=now)
        ids.append(attempt.id)
    db.session.commit()
    first_wrote, problems = threading.Event(), []

    def hand_in(attempt_id: int, hold: float) -> None:
        try:
            with app.app_context():
                attempt = db.session.get(Attempt, attempt_id)
                services.submit(attempt, 100, now=now + timedelta(minutes=3))
                first_wrote.set()
                time.sleep(hold)  # the other transaction runs meanwhile
                db.session.commit()
        except Exception as error:  # noqa: BLE001 -- reported below
            problems.append(error)
            first_wrote.set()

    first = threading.Thread(target=hand_in, args=(ids[0], 1.0))
    first.start()
    first_wrote.wait(30)
    second = threading.Thread(target=hand_in, args=(ids[1], 0))
    second.start()
    first.join(60)
    second.join(60)
    assert problems == []
    db.session.expire_all()
    overall = boards.standing_overall(contest)
    assert [(s.score, s.rounds) for s in overall] == [(8, 2)]
