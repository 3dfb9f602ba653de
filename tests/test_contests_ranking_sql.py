"""The leaderboards rank in SQL (contests.boards.ranked_round / ranked_overall): on generated
data full of ties, they give exactly what the reference rule of contests/ranking.py gives."""
import random
from datetime import datetime, timedelta

import pytest

from accounts.models import User
from contests import boards, jury, ranking
from contests.models import DURATION_THEN_PREDICTION, PREDICTION_THEN_DURATION, Contest, Entry, Participant, Round
from core.extensions import db
from learning.models import Topic
from quizzes.models import Attempt, Quiz
from tests.factories import make_unit

T0 = datetime(2022, 5, 16, 1, 0)


@pytest.fixture
def generated(app):
    """Two rounds, 80 participants, up to two finished attempts each per round, with ties on every
    key: few scores, few predictions, durations that differ by fractions of a second, shared
    submission times; a few excluded people and attempts still in progress."""
    rng = random.Random(20220519)
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    bank = Topic(slug="ngan-hang", title="Ngân hàng", kind="contest", year=2022, published=False)
    contest = Contest(slug="thi", title="Cuộc thi", organiser_unit=province, audience_unit=province, bank=bank,
                      published=True)
    rounds = []
    for number in (1, 2):
        quiz = Quiz(topic=bank, purpose="contest", title=f"Tuần {number}", question_count=20, max_attempts=2)
        rounds.append(Round(contest=contest, number=number, quiz=quiz))
    db.session.add_all([contest, *rounds])
    db.session.flush()
    finished_times = [T0 + timedelta(hours=h, microseconds=rng.choice([0, 250_000])) for h in range(6)]
    for n in range(80):
        user = User(username=f"thi{n:03d}", full_name=f"Người Thi {n}", password_hash="-")  # never logs in
        db.session.add(user)
        db.session.flush()
        person = Participant(contest=contest, user_id=user.id, full_name=f"Người Thi {n}", phone=f"0912{n:06d}",
                             excluded_at=T0 if n % 19 == 7 else None)
        db.session.add(person)
        db.session.flush()
        for contest_round in rounds:
            for number in range(1, rng.choice([0, 1, 1, 2]) + 1):
                finished_at = rng.choice(finished_times)
                # Durations of 299.x, 300.x and 301 s: whole seconds tie, fractions must not decide.
                started_at = finished_at - timedelta(seconds=rng.choice([299, 300, 301]),
                                                     microseconds=rng.choice([0, 1, 499_999, 999_999]))
                in_progress = rng.random() < 0.05
                attempt = Attempt(quiz=contest_round.quiz, user_id=user.id, number=number,
                                  status="in_progress" if in_progress else rng.choice(["submitted", "expired"]),
                                  started_at=started_at, deadline=started_at + timedelta(minutes=20),
                                  finished_at=None if in_progress else finished_at, paper=[],
                                  score=None if in_progress else rng.choice([None, 17, 18, 18, 19, 20, 20]),
                                  max_score=20)
                db.session.add(attempt)
                db.session.flush()
                db.session.add(Entry(attempt_id=attempt.id, round_id=contest_round.id, participant_id=person.id,
                                     prediction=rng.choice([None, 900, 1000, 1100, 1500, 1_000_000_000])))
    db.session.commit()
    boards.refresh_standings(db.session, contest)  # the attempts above did not go through the engine
    db.session.commit()
    return contest


@pytest.mark.parametrize("tie_break", [PREDICTION_THEN_DURATION, DURATION_THEN_PREDICTION])
@pytest.mark.parametrize("actual", [None, 1000, 1200])
def test_a_round_ranks_in_sql_as_the_rule_says(generated, tie_break, actual):
    for contest_round in generated.rounds:
        contest_round.actual_figure = actual
        expected = ranking.rank_round(boards.round_results(contest_round), actual, tie_break)
        assert len(expected) > 40
        assert boards.ranked_round(contest_round, tie_break) == expected
        assert boards.ranked_round(contest_round, tie_break, limit=10) == expected[:10]
        frozen = T0 + timedelta(hours=3)
        assert boards.ranked_round(contest_round, tie_break, frozen=frozen) == ranking.rank_round(
            [r for r in boards.round_results(contest_round) if r.finished_at <= frozen], actual, tie_break)


@pytest.mark.parametrize("tie_break", [PREDICTION_THEN_DURATION, DURATION_THEN_PREDICTION])
@pytest.mark.parametrize("actuals", [(None, None), (1000, None), (1000, 1500)])
def test_the_overall_board_ranks_in_sql_as_the_rule_says(generated, tie_break, actuals):
    for contest_round, actual in zip(generated.rounds, actuals, strict=True):
        contest_round.actual_figure = actual
    expected = ranking.rank_overall([(boards.round_results(r), r.actual_figure) for r in generated.rounds],
                                    tie_break)
    assert len(expected) > 40
    assert boards.ranked_overall(generated, tie_break) == expected
    assert boards.ranked_overall(generated, tie_break, limit=7) == expected[:7]
    frozen = T0 + timedelta(hours=2)
    assert boards.ranked_overall(generated, tie_break, frozen=frozen) == ranking.rank_overall(
        [([x for x in boards.round_results(r) if x.finished_at <= frozen], r.actual_figure)
         for r in generated.rounds], tie_break)


def test_the_boards_show_the_sql_order(generated):
    boards.forget_cache()
    contest_round = generated.rounds[0]
    jury.set_actual_figure(contest_round, 1000, None)
    expected = ranking.rank_round(boards.round_results(contest_round), 1000, generated.tie_break)
    lines = boards.round_board(contest_round, limit=20)
    assert [(line.place, line.score, line.duration_seconds) for line in lines] == [
        (place, r.score, r.duration_seconds) for place, r in enumerate(expected[:20], start=1)]
    names = {p.id: ranking.mask_name(p.full_name) for p in db.session.scalars(db.select(Participant))}
    assert [line.name for line in lines] == [names[r.participant_id] for r in expected[:20]]
