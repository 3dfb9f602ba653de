"""Demo làm theo: plans of 2022 and this year (some late, some missing), commitments of a few hundred
Lai Châu members for 2022 (most confirmed) and this year (waiting), suggestions, and the province's
2022 review with commendations and their "Giấy khen". doanvien has none this year: theirs to try."""
import random
from datetime import date, datetime, timedelta

from accounts.models import User
from core.clock import local_today
from core.extensions import db
from lamtheo import plans, review
from lamtheo.models import RESULT_FAILED, RESULT_PASSED, Commitment, Plan, Review, Suggestion
from units import demo as units_demo
from units import tree as unit_tree
from units.models import MEMBER_ACTIVE, Member, Unit

YEAR = 2022
SUGGESTIONS = ["Đi làm đúng giờ, không sử dụng điện thoại việc riêng trong giờ làm việc",
               "Tiết kiệm điện, nước, văn phòng phẩm tại cơ quan",
               "Giúp đỡ một học sinh hoặc gia đình khó khăn trong bản",
               "Giải quyết hồ sơ của người dân đúng hẹn, không để quá hạn"]
OWN = ["Mỗi tuần đọc và chia sẻ một mẩu chuyện về Bác với tổ công đoàn",
       "Không để hồ sơ trễ hạn trong năm", "Tham gia trồng và chăm sóc 10 cây xanh tại trường",
       "Đến bản vận động 5 gia đình cho con đi học đều"]
ISSUES = ("Tác phong, lề lối làm việc; ý thức chấp hành giờ giấc còn chưa nghiêm",
          "Trồng cây xanh, giữ gìn vệ sinh cơ quan; thực hành tiết kiệm, chống lãng phí",
          "Nghiên cứu đổi mới phương pháp, nâng cao chất lượng giảng dạy, khám chữa bệnh")


def seed() -> list[str]:
    province = unit_tree.get_unit(units_demo.PROVINCE)
    if db.session.scalar(db.select(Review.id).where(Review.unit_id == province.id, Review.year == YEAR)):
        return ["Làm theo: đã có dữ liệu mẫu."]
    rng = random.Random(519)
    this_year = local_today().year
    tree = list(db.session.scalars(db.select(Unit).where(unit_tree.in_subtree(province), Unit.id != province.id)
                                   .order_by(Unit.path)))
    filed = 0
    for year in sorted({YEAR, this_year}):
        due = plans.due_on(year)
        for n, unit in enumerate(tree):
            if n % 7 == 3:
                continue  # no plan: behind once the due day has passed
            late = n % 5 == 1
            filed_on = due + timedelta(days=20 + n) if late else due - timedelta(days=30 + n)
            db.session.add(Plan(unit_id=unit.id, year=year, issues=rng.choice(ISSUES),
                                actions="Xây dựng và thực hiện chuẩn mực đạo đức nghề nghiệp; mỗi tổ công đoàn một "
                                        "việc "
                                        "làm cụ thể; sơ kết 6 tháng, biểu dương người làm tốt.",
                                responsible="Ban chấp hành công đoàn", deadline=date(year, 12, 31),
                                filed_at=datetime.combine(min(filed_on, local_today()), datetime.min.time())))
            filed += 1
    for year in sorted({YEAR, this_year}):
        db.session.add_all(Suggestion(unit_id=province.id, year=year, text=text) for text in SUGGESTIONS)
    db.session.flush()
    suggestions = {s.text: s for s in db.session.scalars(db.select(Suggestion).where(Suggestion.year == YEAR))}
    members = list(db.session.scalars(
        db.select(Member).join(Unit, Unit.id == Member.unit_id)
        .where(unit_tree.in_subtree(province), Member.status == MEMBER_ACTIVE, Member.user_id.is_(None))
        .order_by(Member.id)))
    made = 0
    for n, member in enumerate(members):
        if n % 6 == 5:
            continue  # did not register in 2022
        for k in range(1 + n % 3):
            text = rng.choice(SUGGESTIONS + OWN)
            row = Commitment(member_id=member.id, unit_id=member.unit_id, year=YEAR, position=k + 1, text=text,
                             suggestion_id=suggestions[text].id if text in suggestions else None,
                             exemplary=n % 25 == 0, created_at=datetime(YEAR, 2, 15) + timedelta(days=n % 40))
            if n % 10 < 8:  # self-assessed at year end, then confirmed: most đạt
                row.self_assessment = "Đã thực hiện thường xuyên trong năm, được tổ công đoàn ghi nhận."
                row.self_assessed_at = datetime(YEAR, 11, 20) + timedelta(days=n % 10)
                row.result = RESULT_FAILED if (n + k) % 9 == 0 else RESULT_PASSED
                row.result_comment = "" if row.result == RESULT_PASSED else "Chưa duy trì đều trong năm."
                row.confirmed_at = datetime(YEAR, 12, 10)
            elif n % 10 == 8:
                row.self_assessment = "Đã làm được phần lớn; còn chưa đều những tháng cao điểm."
                row.self_assessed_at = datetime(YEAR, 12, 5)
            db.session.add(row)
            made += 1
        if this_year != YEAR and n % 2 == 0:
            db.session.add(Commitment(member_id=member.id, unit_id=member.unit_id, year=this_year, position=1,
                                      text=rng.choice(SUGGESTIONS + OWN), created_at=datetime(this_year, 3, 1)))
            made += 1
    db.session.flush()
    opened = review.open_review(province, YEAR, "so_ket", None, now=datetime(2023, 5, 10, 2))
    best = review.candidates(opened, limit=4)
    admin = db.session.scalars(db.select(User).where(User.username == "admin")).one()
    review.commend(opened, admin, members=[member for member, _ in best],
                   unit_list=[unit_tree.get_unit(units_demo.GRASSROOTS_OF_COSO)],
                   reason="Tiêu biểu trong thực hiện việc đăng ký làm theo Bác năm 2022", now=datetime(2023, 5, 19, 2))
    return [f"Làm theo: {filed} kế hoạch, {made} việc đăng ký, sơ kết năm {YEAR} với {len(best) + 1} biểu dương."]
