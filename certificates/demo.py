"""Demo certificates: each demo province issues its own; a dozen members of the demo school have
completed the 2022 topic (doanvien has not, so the whole journey is left to try)."""
from datetime import datetime, timedelta

from certificates import services
from certificates.models import Issuer
from core.extensions import db
from learning import topics as learning_topics
from quizzes.models import TopicCompletion
from units import demo as units_demo
from units import tree as unit_tree
from units.models import Member

COMPLETED_BY = 12
ISSUERS = [(units_demo.PROVINCE, "Liên đoàn Lao động tỉnh Lai Châu", "Lai Châu", "Đồng Thị Nghĩa"),
           (units_demo.LAO_CAI, "Liên đoàn Lao động tỉnh Lào Cai", "Lào Cai", "Nguyễn Thị Thu Hà")]


def seed() -> list[str]:
    for code, name, place, signer in ISSUERS:
        province = unit_tree.get_unit(code)
        if db.session.scalars(db.select(Issuer).where(Issuer.unit_id == province.id)).first() is None:
            services.save_issuer(province, actor=None, body_lines=name, place=place,
                                 signer_title="TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH", signer_name=signer,
                                 serial_suffix="GCN-LĐLĐ")
    topic = learning_topics.get_topic("chuyen-de-2022")
    school = unit_tree.get_unit(units_demo.GRASSROOTS_OF_COSO)
    members = db.session.scalars(db.select(Member).where(Member.unit_id == school.id, Member.user_id.is_(None))
                                 .order_by(Member.id).limit(COMPLETED_BY)).all()
    issued = 0
    for n, member in enumerate(members):
        if services.completion_certificate(member.id, topic.id) is None:
            completion = TopicCompletion(member=member, topic=topic, percent=80.0 + n % 3 * 10,
                                         completed_at=datetime(2022, 3, 1, 2, 0) + timedelta(days=n))
            db.session.add(completion)
            db.session.flush()
            services.issue_for_completion(completion)
            issued += 1
    return [f"Giấy chứng nhận: cấu hình đơn vị cấp {', '.join(code for code, *_ in ISSUERS)}; cấp thêm {issued}."]
