"""The làm-theo demo: a realistic mix, a 2022 review with Giấy khen, and safe to run twice."""
from certificates import services as certificates
from core.extensions import db
from lamtheo import demo as lamtheo_demo
from lamtheo import plans
from lamtheo.models import Commendation, Commitment, Plan
from units import demo as units_demo
from units import tree as unit_tree


def test_demo_is_a_realistic_mix_and_safe_to_repeat(app):
    units_demo.seed()
    certificates.save_issuer(unit_tree.get_unit(units_demo.PROVINCE), actor=None, body_lines="LĐLĐ tỉnh Lai Châu",
                             place="Lai Châu", signer_title="TM. BAN THƯỜNG VỤ", signer_name="Đồng Thị Nghĩa",
                             serial_suffix="GK-LĐLĐ")
    db.session.commit()
    lamtheo_demo.seed()
    db.session.commit()
    counts = lambda model: db.session.scalar(db.select(db.func.count()).select_from(model))  # noqa: E731
    before = (counts(Plan), counts(Commitment), counts(Commendation))
    assert lamtheo_demo.seed() == ["Làm theo: đã có dữ liệu mẫu."]
    assert (counts(Plan), counts(Commitment), counts(Commendation)) == before
    year = lamtheo_demo.YEAR
    rows = db.session.execute(db.select(Commitment.member_id, Commitment.result).where(Commitment.year == year)).all()
    assert len({member for member, _ in rows}) >= 200  # a few hundred members
    results = [result for _, result in rows]
    assert results.count("dat") > results.count("chua_dat") > 0 and results.count(None) > 0
    statuses = {c.status for c in plans.children_plans(unit_tree.get_unit(units_demo.PROVINCE), year)}
    assert {plans.ON_TIME, plans.LATE} <= statuses  # and some missing further down the tree
    assert before[2] == 5 and all(c.certificate.kind == "commendation" for c in db.session.scalars(
        db.select(Commendation)))
