"""Demo contest: "132 năm Ngày sinh Chủ tịch Hồ Chí Minh", with last week's round closed
(played by demo workers, for the leaderboard and prizes) and this week's round open whenever
the demo runs."""
import random
from datetime import timedelta

from accounts.models import User
from accounts.services import hash_password
from contests import boards, registration, services
from contests.models import Contest, Division, Participant, Round
from core.clock import utcnow
from core.extensions import db
from learning import editing
from learning import topics as learning_topics
from learning.models import KIND_CONTEST, Topic
from quizzes import services as quizzes
from units import demo as units_demo
from units import kinds as unit_kinds
from units import tree as unit_tree
from units.models import Unit, UnitKind

SLUG = "132-nam-ngay-sinh-bac"
BANK = "ngan-hang-cuoc-thi-132-nam"
# The contest is run by the Lai Châu federation: its questions come from the province's own topics,
# one topic per week, so the weeks share no question and last week's answers can be published.
# (bank slug, source topic) for week 1, then week 2; week 2's is the contest's bank, for new rounds too.
WEEK_BANKS = [(BANK + "-tuan-1", "chuyen-de-toan-khoa-xiii"), (BANK, "chuyen-de-2022")]
QUESTIONS_PER_ROUND = 20
DESCRIPTION = """Cuộc thi trực tuyến tìm hiểu về Chủ tịch Hồ Chí Minh và việc học tập, làm theo tư tưởng,
đạo đức, phong cách của Người, nhân kỷ niệm **132 năm Ngày sinh Chủ tịch Hồ Chí Minh (19/5/1890 – 19/5/2022)**.
Dành cho đoàn viên, công nhân, viên chức, lao động trong tỉnh; người lao động chưa là đoàn viên đăng ký
bằng số điện thoại."""
RULES = """- Mỗi tuần một vòng thi: 20 câu hỏi trắc nghiệm (một đáp án đúng) và một câu hỏi dự đoán số người dự thi.
- Thời gian làm bài 20 phút cho mỗi lượt; mỗi tuần được thi 2 lượt, tính lượt có kết quả cao nhất.
- Mỗi người chỉ dùng một tài khoản (một số điện thoại).
- Giải cá nhân theo từng bảng; giải tập thể cho các đơn vị có nhiều người dự thi nhất.
- Đáp án đúng được công bố sau khi tuần thi kết thúc."""


def seed() -> list[str]:
    now = utcnow()
    contest = services.get_contest(SLUG, include_unpublished=True)
    if contest is None:
        province = unit_tree.get_unit(units_demo.PROVINCE)
        week_1, week_2 = [_bank(slug, source, week) for week, (slug, source) in enumerate(WEEK_BANKS, start=1)]
        contest = Contest(slug=SLUG, title="Cuộc thi trực tuyến tìm hiểu 132 năm Ngày sinh Chủ tịch Hồ Chí Minh",
                          anniversary="19/5/1890 – 19/5/2022", description_md=DESCRIPTION, rules_md=RULES,
                          organiser_unit=province, audience_unit=province, bank=week_2, published=True)
        db.session.add(contest)
        grassroots = unit_kinds.find_kind("Công đoàn cơ sở")
        db.session.add_all([Division(contest=contest, name="Bảng A: đoàn viên công đoàn cơ sở", position=1,
                                     unit_kind_id=grassroots.id if grassroots else None),
                            Division(contest=contest, name="Bảng B: người lao động khác", position=2)])
        db.session.flush()
        last_week = services.add_round(contest, 1, now - timedelta(days=8), now - timedelta(days=1), bank=week_1,
                                       question_count=_round_size(week_1))
        services.add_round(contest, 2, now - timedelta(days=1), now + timedelta(days=6), bank=week_2,
                           question_count=_round_size(week_2))
        db.session.flush()
        played = _play(contest, last_week, province)
        return [f"Cuộc thi mẫu: thêm, tuần 1 có {played} người dự thi, tuần 2 đang mở."]
    # Keep the last round open around today, however long ago the demo was loaded.
    last = contest.rounds[-1]
    if last.quiz.closes_at <= now + timedelta(hours=1):
        last.quiz.opens_at, last.quiz.closes_at = now - timedelta(days=1), now + timedelta(days=6)
    return [f"Cuộc thi mẫu: tuần {last.number} mở đến {last.quiz.closes_at:%d/%m/%Y}."]


def _bank(slug: str, source: str, week: int) -> Topic:
    bank = learning_topics.get_topic(slug, include_unpublished=True) or editing.clone_topic(
        learning_topics.get_topic(source, include_unpublished=True), slug,
        f"Ngân hàng câu hỏi Cuộc thi 132 năm Ngày sinh Chủ tịch Hồ Chí Minh · tuần {week}", 2022)
    bank.kind, bank.published = KIND_CONTEST, False  # never listed or searched by members
    return bank


def _round_size(bank: Topic) -> int:
    """20 questions a week, or as many single-choice questions as the topic holds if fewer."""
    db.session.flush()
    return min(QUESTIONS_PER_ROUND, quizzes.bank_size(bank.id, single_choice_only=True))


FAMILY = ["Nguyễn", "Trần", "Lò", "Vàng", "Giàng", "Lê", "Phạm", "Hoàng", "Tẩn", "Đỗ"]
MIDDLE = ["Văn", "Thị", "A", "Thị Thu", "Minh", "Thị Hồng", "Đức", "Thị Mai"]
GIVEN = ["Hùng", "Lan", "Páo", "Xuân", "Dũng", "Hoa", "Sinh", "Thảo", "Chiến", "Hằng", "Tuấn", "Nga"]


def _play(contest: Contest, contest_round: Round, province: Unit, count: int = 36) -> int:
    """Workers of the province's grassroots unions take last week's round, answering from 40 to 95 % right."""
    rng = random.Random(132)
    grassroots = list(db.session.scalars(db.select(Unit).join(UnitKind).where(
        unit_tree.in_subtree(province), UnitKind.is_grassroots).order_by(Unit.code)))
    password_hash = hash_password("hoctap2022")  # one hash for all: seeding stays quick
    opens = contest_round.quiz.opens_at
    for n in range(count):
        name = f"{FAMILY[n % len(FAMILY)]} {MIDDLE[n % len(MIDDLE)]} {GIVEN[n % len(GIVEN)]}"
        phone = f"0980{n:06d}"
        unit = grassroots[n % len(grassroots)] if n % 6 else None  # one in six is not a member: a workplace only
        user = User(username=phone, full_name=name, password_hash=password_hash)
        db.session.add(user)
        participant = Participant(contest=contest, user=user, full_name=name, birth_year=1970 + n % 30, phone=phone,
                                  unit_id=unit.id if unit else None,
                                  workplace="" if unit else "Công ty Thủy điện Nậm Na",
                                  division=registration.division_for(contest, unit))
        db.session.add(participant)
        db.session.flush()
        skill = rng.uniform(0.4, 0.95)
        # One in three uses the second try the rules allow, a day later: attempts outnumber people.
        for attempt_number in range(2 if n % 3 == 0 else 1):
            started = opens + timedelta(hours=2 + 3 * n, days=attempt_number)
            attempt = services.start(contest_round, participant, now=started)
            for entry in attempt.paper:
                if rng.random() < skill:
                    quizzes.save_answer(attempt, entry["id"], entry["correct"], now=started)
            services.submit(attempt, rng.randint(20, 60), now=started + timedelta(seconds=rng.randint(240, 1150)))
    contest_round.actual_figure = count
    boards.refresh_standings(db.session, contest_round.contest, rounds=[contest_round])  # the predictions' errors
    return count
