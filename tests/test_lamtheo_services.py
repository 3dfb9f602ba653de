"""Làm theo rules: plans and their due days, commitments and their confirmation, the review's figures."""
import io
import zipfile
from datetime import date, datetime

import pytest

from certificates import services as certificates
from core.extensions import db
from core.models import AuditEntry
from lamtheo import commitments, plans, review
from lamtheo.models import Commendation, Commitment, Plan
from tests.factories import make_member, make_unit, make_user

NOW = datetime(2024, 4, 10, 3, 0)  # 10/04/2024, local morning
PDF = b"%PDF-1.4\n% ke hoach da ky\n"


def docx_bytes(extra: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


# -- plans -----------------------------------------------------------------------------

def test_due_days_are_q3_in_2021_and_q1_later():
    assert plans.due_on(2021) == date(2021, 9, 30)
    assert plans.due_on(2021, is_term=True) == date(2021, 9, 30)
    assert plans.due_on(2024) == date(2024, 3, 31)


def test_parent_sees_children_on_time_late_and_missing(world):
    early = datetime(2024, 3, 1, 3)
    plans.save_plan(world.district_a, 2024, False, plans.PlanData("Giờ giấc", "Chấm công"), world.officer_a,
                    now=early)
    plans.save_plan(world.district_b, 2024, False, plans.PlanData("Tiết kiệm", "Tắt điện"), world.officer_b,
                    now=NOW)
    rows = {c.unit.code: c for c in plans.children_plans(world.province, 2024, today=date(2024, 4, 10))}
    assert rows["DA"].status == plans.ON_TIME and not rows["DA"].behind
    assert rows["DB"].status == plans.LATE and rows["DB"].behind
    assert {c.status for c in plans.children_plans(world.district_a, 2024, today=date(2024, 3, 1))} == {plans.PENDING}
    assert {c.status for c in plans.children_plans(world.district_a, 2024, today=date(2024, 4, 1))} == {plans.MISSING}


def test_a_late_edit_keeps_the_day_it_was_filed(world):
    plans.save_plan(world.grassroots_a, 2024, False, plans.PlanData("A", "B"), world.officer_a,
                    now=datetime(2024, 2, 1))
    plans.save_plan(world.grassroots_a, 2024, False, plans.PlanData("A2", "B2"), world.officer_a, now=NOW)
    plan = plans.get_plan(world.grassroots_a, 2024)
    assert plans.status(plan, 2024, False, date(2024, 5, 1)) == plans.ON_TIME and plan.issues == "A2"


@pytest.mark.parametrize("name, content", [("ke-hoach.pdf", PDF), ("ke-hoach.docx", docx_bytes()),
                                           ("ke-hoach.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)],
                         ids=["pdf", "docx", "doc"])
def test_pdf_and_word_files_are_stored_under_a_random_key(world, app, name, content):
    plan, _ = plans.save_plan(world.grassroots_a, 2024, False, plans.PlanData(), world.officer_a,
                              upload=(name, content), now=NOW)
    path = plans.file_path(plan)
    assert path.read_bytes() == content and path.parent == plans.storage_dir()
    assert name.rsplit(".", 1)[0] not in path.name and plan.file_name == name


def zip_without_word() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content", [
    ("ke-hoach.pdf", b"<html><script>alert(1)</script>"),       # a name is not a type
    ("ke-hoach.docx", docx_bytes()[:40]),                        # a broken zip
    ("ke-hoach.docx", b"PK\x03\x04" + b"x" * 50),
    ("ke-hoach.docx", zip_without_word()),                       # a zip that is not a Word file
    ("ke-hoach.pdf", b"%PDF-" + b"0" * plans.MAX_FILE_BYTES),    # too big
], ids=["html-named-pdf", "broken-zip", "zip-header-only", "zip-not-word", "too-big"])
def test_other_files_are_refused_and_nothing_is_written(world, app, name, content):
    with pytest.raises(plans.PlanError):
        plans.save_plan(world.grassroots_a, 2024, False, plans.PlanData("A", "B"), world.officer_a,
                        upload=(name, content), now=NOW)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Plan)) == 0
    assert not plans.storage_dir().exists() or not any(plans.storage_dir().iterdir())


def test_a_plan_needs_text_or_a_file(world):
    with pytest.raises(plans.PlanError, match="vấn đề"):
        plans.save_plan(world.grassroots_a, 2024, False, plans.PlanData("  ", ""), world.officer_a, now=NOW)
    with pytest.raises(plans.PlanError, match="giai đoạn"):
        plans.save_plan(world.grassroots_a, 2024, True, plans.PlanData("A", "B"), world.officer_a, now=NOW)


# -- commitments ---------------------------------------------------------------------------

def test_one_to_three_commitments_for_this_year_only(world):
    member = world.member_a
    for n in range(commitments.MAX_PER_YEAR):
        commitments.add(member, 2024, f"Việc {n + 1}", now=NOW)
    with pytest.raises(commitments.CommitmentError, match="tối đa 3"):
        commitments.add(member, 2024, "Việc 4", now=NOW)
    with pytest.raises(commitments.CommitmentError, match="năm nay"):
        commitments.add(world.member_b, 2023, "Năm trước", now=NOW)
    with pytest.raises(commitments.CommitmentError):
        commitments.add(world.member_b, 2024, "  \n ", now=NOW)


def test_a_suggestion_from_another_province_cannot_be_picked(world):
    other = make_unit("Q", kind="province", name="Liên đoàn Lao động tỉnh Khác")
    foreign = commitments.add_suggestion(other, 2024, "Gợi ý tỉnh khác", make_user("q_officer"), now=NOW)
    ours = commitments.add_suggestion(world.province, 2024, "Tiết kiệm điện nước", world.province_officer, now=NOW)
    with pytest.raises(commitments.CommitmentError, match="không dành cho"):
        commitments.add(world.member_a, 2024, suggestion=foreign, now=NOW)
    picked = commitments.add(world.member_a, 2024, suggestion=ours, now=NOW)
    assert picked.text == "Tiết kiệm điện nước" and picked.suggestion_id == ours.id
    assert commitments.suggestions_for(world.grassroots_a, 2024) == [ours]


def test_officers_commit_first_as_examples(world):
    officer_member = make_member(world.grassroots_a, "Trần Văn Chủ Tịch")
    officer_member.user = make_user("chu_tich", "officer", world.grassroots_a)
    commitments.add(world.member_a, 2024, "Đi làm đúng giờ", now=NOW)
    commitments.add(officer_member, 2024, "Gương mẫu đi đầu", now=NOW)
    rows = commitments.of_unit(world.grassroots_a, 2024)
    assert [r.member.full_name for r in rows] == ["Trần Văn Chủ Tịch", "Lò Thị Xuân"] and rows[0].exemplary


def test_confirm_in_bulk_is_all_or_nothing_and_scoped(world):
    own = commitments.add(world.member_a, 2024, "Việc A", now=NOW)
    other = commitments.add(world.member_b, 2024, "Việc B", now=NOW)
    db.session.commit()
    with pytest.raises(commitments.CommitmentError, match="không xác nhận việc nào"):
        commitments.confirm(world.grassroots_a, {own.id: ("dat", ""), other.id: ("dat", "")}, world.officer_a)
    db.session.rollback()
    assert db.session.get(Commitment, own.id).result is None
    with pytest.raises(commitments.CommitmentError, match="không xác nhận việc nào"):  # right unit, wrong officer
        commitments.confirm(world.grassroots_a, {own.id: ("dat", "")}, world.officer_b)
    with pytest.raises(commitments.CommitmentError, match="Đạt hoặc Chưa đạt"):
        commitments.confirm(world.grassroots_a, {own.id: ("xuat_sac", "")}, world.officer_a)
    assert commitments.confirm(world.grassroots_a, {own.id: ("dat", "Tốt")}, world.officer_a, now=NOW) == 1
    assert own.result == "dat" and own.result_comment == "Tốt" and own.confirmed_by_id == world.officer_a.id
    assert db.session.scalar(db.select(AuditEntry.action).order_by(AuditEntry.id.desc())) \
        == "lamtheo_commitments_confirmed"


def test_self_assessment_closes_once_confirmed_and_only_the_member_writes_it(world):
    own = commitments.add(world.member_a, 2024, "Việc A", now=NOW)
    with pytest.raises(LookupError):
        commitments.self_assess(world.member_b, own, "Không phải của tôi")
    commitments.self_assess(world.member_a, own, "Đã làm đều", now=NOW)
    with pytest.raises(commitments.CommitmentError):
        commitments.remove(world.member_a, own)
    commitments.confirm(world.grassroots_a, {own.id: ("chua_dat", "")}, world.officer_a, now=NOW)
    with pytest.raises(commitments.CommitmentError, match="đã được công đoàn xác nhận"):
        commitments.self_assess(world.member_a, own, "Sửa lại")


# -- the review ----------------------------------------------------------------------------

def _commit(member, texts, results, now=NOW):
    made = [commitments.add(member, now.year, text, now=now) for text in texts]
    decisions = {c.id: (r, "") for c, r in zip(made, results, strict=False) if r}
    if decisions:
        commitments.confirm(member.unit, decisions, make_user(f"o{member.id}", "officer", member.unit), now=now)
    return made


def test_review_figures_roll_up_per_child(world):
    plans.save_plan(world.grassroots_a, 2024, False, plans.PlanData("A", "B"), world.officer_a,
                    now=datetime(2024, 2, 1))
    plans.save_plan(world.district_b, 2024, False, plans.PlanData("A", "B"), world.officer_b, now=NOW)
    _commit(world.member_a, ["1", "2"], ["dat", "chua_dat"])
    _commit(world.member_b, ["1"], ["dat"])
    _commit(make_member(world.grassroots_b), ["1", "2", "3"], [None, None, None])
    figured = review.figures(world.province, 2024, today=date(2024, 5, 1))
    rows = {unit.code: f for unit, f in figured.rows}
    a, b = rows["DA"], rows["DB"]
    assert (a.units, a.plans_filed, a.plans_on_time, a.committed, a.commitments, a.passed) == (2, 1, 1, 1, 2, 1)
    assert (b.units, b.plans_filed, b.plans_on_time, b.committed, b.commitments, b.passed) == (2, 1, 0, 2, 4, 1)
    assert a.passed_share == 50.0 and b.passed_share == 25.0
    assert figured.total.committed == 3 and figured.total.commitments == 6 and figured.total.confirmed == 3
    assert figured.behind == {world.district_a.id, world.district_b.id}  # DA has no plan of its own, DB's came late
    assert (a.models_nominated, a.models_approved) == (0, 0)  # no story nominated: counted, not unknown


def test_review_figures_leave_other_subtrees_out(world):
    _commit(world.member_b, ["1"], ["dat"])
    figured = review.figures(world.district_a, 2024)
    assert figured.total.commitments == 0


def test_commendations_issue_verifiable_giay_khen(world):
    certificates.save_issuer(world.province, actor=world.admin, body_lines="LIÊN ĐOÀN LAO ĐỘNG TỈNH THỬ",
                             place="Lai Châu", signer_title="TM. BAN THƯỜNG VỤ", signer_name="Đồng Thị Nghĩa",
                             serial_suffix="GK-LĐLĐ")
    _commit(world.member_a, ["1", "2"], ["dat", "dat"])
    _commit(world.member_b, ["1", "2"], ["dat", "chua_dat"])
    opened = review.open_review(world.province, 2024, "so_ket", world.province_officer, now=NOW)
    assert [m.full_name for m, _ in review.candidates(opened)] == ["Lò Thị Xuân"]
    with pytest.raises(review.ReviewError, match="đã được mở"):
        review.open_review(world.province, 2024, "so_ket", world.province_officer, now=NOW)
    with pytest.raises(review.ReviewError, match="2025"):
        review.open_review(world.province, 2024, "tong_ket", world.province_officer, now=NOW)
    made = review.commend(opened, world.province_officer, members=[world.member_a], unit_list=[world.grassroots_b],
                          reason="Tiêu biểu trong làm theo Bác", now=NOW)
    person, collective = (c.certificate for c in made)
    assert person.kind == "commendation" and person.holder_name == "Lò Thị Xuân"
    assert collective.holder_name == world.grassroots_b.name and collective.unit_id == world.grassroots_b.id
    assert certificates.get_by_code(person.code) is person
    assert certificates.content(person, "http://x").title == "GIẤY KHEN"
    assert review.candidates(opened) == []
    with pytest.raises(review.ReviewError, match="đã được biểu dương"):
        review.commend(opened, world.province_officer, members=[world.member_a], reason="Lần hai cho cùng người")


def _registered(member, *results, exemplary=False, unit=None):
    for position, result in enumerate(results, 1):
        db.session.add(Commitment(member_id=member.id, unit_id=(unit or member.unit).id, year=2024, position=position,
                                  text=f"Việc {position}", exemplary=exemplary, result=result))
    db.session.commit()


def test_candidates_are_officers_first_then_by_name_every_commitment_dat_not_yet_commended(world, monkeypatch):
    here = world.grassroots_a
    officer_v = make_member(here, "Vũ Văn Yên")
    _registered(officer_v, "dat", exemplary=True)
    officer_b = make_member(here, "Bùi Thị Hoa")
    _registered(officer_b, "dat", "dat", exemplary=True)
    an, an_too = make_member(here, "Lê Văn An"), make_member(here, "Lê Văn  An")  # the same folded name: by id
    _registered(an, "dat", "dat", "dat")
    _registered(an_too, "dat")
    dao = make_member(here, "Đào Thị Bình")  # "đ" folds to "d": before "le"
    _registered(dao, "dat")
    moved = make_member(world.grassroots_b, "Mai Văn Chuyển")  # counted where the commitments were registered
    _registered(moved, "dat", unit=here)
    _registered(make_member(here, "Âu Văn Đức"), "dat", None, exemplary=True)  # an officer not yet confirmed
    _registered(make_member(here, "Cao Văn Cường"), "dat", "chua_dat")
    _registered(make_member(here, "Cao Văn Dũng"), None)
    make_member(here, "Hồ Văn Không")  # nothing registered
    elsewhere = make_member(world.grassroots_b, "Lã Văn Ngoài")  # another district
    _registered(elsewhere, "dat")
    commended = make_member(here, "Hà Văn Khang")
    _registered(commended, "dat")
    district = review.open_review(world.district_a, 2024, "so_ket", world.officer_a, now=NOW)
    db.session.add(Commendation(review_id=district.id, member_id=commended.id, reason="Đã biểu dương"))
    db.session.flush()
    expected = [(officer_b, 2), (officer_v, 1), (dao, 1), (an, 3), (an_too, 1), (moved, 1)]
    assert review.candidates(district) == expected
    assert review.candidates(district, limit=3) == expected[:3]
    assert review.candidates(district, limit=1) == expected[:1]
    # The province's review walks the members in name order, then reads the rest from the "đạt" side.
    province = review.open_review(world.province, 2024, "so_ket", world.province_officer, now=NOW)
    expected = [(officer_b, 2), (officer_v, 1), (dao, 1), (commended, 1), (elsewhere, 1), (an, 3), (an_too, 1),
                (moved, 1)]
    assert review.candidates(province) == expected
    assert review.candidates(province, limit=4) == expected[:4]
    monkeypatch.setattr(review, "WALK", 3)
    assert review.candidates(province, limit=4) == expected[:4]


def test_a_district_cannot_commend_outside_its_subtree(world):
    certificates.save_issuer(world.province, actor=world.admin, body_lines="LĐLĐ", place="Lai Châu",
                             signer_title="TM", signer_name="A", serial_suffix="GK")
    opened = review.open_review(world.district_a, 2024, "so_ket", world.officer_a, now=NOW)
    with pytest.raises(review.ReviewError, match="phạm vi"):
        review.commend(opened, world.officer_a, members=[world.member_b], reason="Không thuộc huyện này")
    with pytest.raises(review.ReviewError, match="phạm vi"):
        review.commend(opened, world.officer_a, unit_list=[world.grassroots_b], reason="Không thuộc huyện này")


def test_positions_stay_dense_so_each_member_counts_once(world):
    made = [commitments.add(world.member_a, 2024, f"Việc {n}", now=NOW) for n in (1, 2, 3)]
    commitments.remove(world.member_a, made[0])
    assert [c.position for c in commitments.of_member(world.member_a, 2024)] == [1, 2]
    assert commitments.add(world.member_a, 2024, "Việc 4", now=NOW).position == 3
    figured = review.figures(world.province, 2024)
    assert (figured.total.committed, figured.total.commitments) == (1, 3)


def test_a_province_review_leaves_another_province_out(world):
    other = make_unit("Q", kind="province", name="Liên đoàn Lao động tỉnh Khác")
    _commit(make_member(other), ["1", "2"], ["dat", "dat"])  # the province holds most units: read whole
    _commit(world.member_a, ["1"], ["dat"])
    assert review.figures(world.province, 2024).total.commitments == 1
    assert review.figures(other, 2024).total.commitments == 2
