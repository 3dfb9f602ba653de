"""Demo contest: "132 năm Ngày sinh Chủ tịch Hồ Chí Minh", with last week's round closed
(for the leaderboard) and this week's round open whenever the demo runs."""
from datetime import timedelta

from contests import services
from contests.models import Contest, Division
from core.clock import utcnow
from core.extensions import db
from learning import editing
from learning import services as learning
from learning.models import KIND_CONTEST
from units import demo as units_demo
from units import services as units_services

SLUG = "132-nam-ngay-sinh-bac"
BANK = "ngan-hang-cuoc-thi-132-nam"
DESCRIPTION = """Cuộc thi trực tuyến tìm hiểu về Chủ tịch Hồ Chí Minh và việc học tập, làm theo tư tưởng,
đạo đức, phong cách của Người, nhân kỷ niệm **132 năm Ngày sinh Chủ tịch Hồ Chí Minh (19/5/1890 – 19/5/2022)**.
Dành cho đoàn viên, công nhân, viên chức, lao động trong tỉnh; người lao động chưa là đoàn viên đăng ký bằng số điện thoại."""
RULES = """- Mỗi tuần một vòng thi: 20 câu hỏi trắc nghiệm (một đáp án đúng) và một câu hỏi phụ dự đoán số người dự thi.
- Thời gian làm bài 20 phút cho mỗi lượt; mỗi tuần được thi 2 lượt, tính lượt có kết quả cao nhất.
- Mỗi người chỉ dùng một tài khoản (một số điện thoại).
- Giải cá nhân theo từng bảng; giải tập thể cho các đơn vị có nhiều người dự thi nhất.
- Đáp án đúng được công bố sau khi tuần thi kết thúc."""


def seed() -> list[str]:
    now = utcnow()
    contest = services.get_contest(SLUG, include_unpublished=True)
    if contest is None:
        province = units_services.get_unit(units_demo.PROVINCE)
        bank = learning.get_topic(BANK, include_unpublished=True) or editing.clone_topic(
            learning.get_topic("ket-luan-01-kl-tw", include_unpublished=True), BANK,
            "Ngân hàng câu hỏi Cuộc thi 132 năm Ngày sinh Chủ tịch Hồ Chí Minh", 2022)
        bank.kind, bank.published = KIND_CONTEST, False  # never listed or searched by members
        contest = Contest(slug=SLUG, title="Cuộc thi trực tuyến tìm hiểu 132 năm Ngày sinh Chủ tịch Hồ Chí Minh",
                          anniversary="19/5/1890 – 19/5/2022", description_md=DESCRIPTION, rules_md=RULES,
                          organiser_unit=province, audience_unit=province, bank=bank, published=True)
        db.session.add(contest)
        grassroots = units_services.find_kind("Công đoàn cơ sở")
        db.session.add_all([Division(contest=contest, name="Bảng A: đoàn viên công đoàn cơ sở", position=1,
                                     unit_kind_id=grassroots.id if grassroots else None),
                            Division(contest=contest, name="Bảng B: người lao động khác", position=2)])
        db.session.flush()
        services.add_round(contest, 1, now - timedelta(days=8), now - timedelta(days=1))
        services.add_round(contest, 2, now - timedelta(days=1), now + timedelta(days=6))
        db.session.flush()
        return ["Cuộc thi mẫu: thêm, tuần 2 đang mở."]
    # Keep the last round open around today, however long ago the demo was loaded.
    last = contest.rounds[-1]
    if last.quiz.closes_at <= now + timedelta(hours=1):
        last.quiz.opens_at, last.quiz.closes_at = now - timedelta(days=1), now + timedelta(days=6)
    return [f"Cuộc thi mẫu: tuần {last.number} mở đến {last.quiz.closes_at:%d/%m/%Y}."]
