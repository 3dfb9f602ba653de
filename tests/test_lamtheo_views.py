"""Làm theo pages through the client: what each person may do and see, and the reports' làm-theo columns."""
from datetime import date

from accounts import tokens
from certificates import services as certificates
from core.clock import local_today
from core.extensions import db
from lamtheo import commitments
from lamtheo.models import Commitment, Plan
from learning.models import Topic

YEAR = local_today().year
PDF = b"%PDF-1.4\n% signed plan\n"


def test_member_registers_self_assesses_and_nobody_else_sees_it(world, login):
    member = login("member")
    response = member.post("/lam-theo/commitments", data={"text": "Không đi làm muộn"}, follow_redirects=True)
    assert "Đã đăng ký việc làm theo" in response.get_data(as_text=True)
    commitment = db.session.scalars(db.select(Commitment)).one()
    member.post(f"/lam-theo/commitments/{commitment.id}/assess", data={"assessment": "Cả năm không muộn buổi nào"})
    db.session.refresh(commitment)
    assert commitment.self_assessment == "Cả năm không muộn buổi nào"
    # The officer of the other district finds nothing; the officer over the member sees it.
    assert login("officer_b").get("/lam-theo/units/GA/commitments").status_code == 404
    page = login("officer_a").get("/lam-theo/units/GA/commitments").get_data(as_text=True)
    assert "Không đi làm muộn" in page and "Cả năm không muộn buổi nào" in page


def test_a_member_cannot_touch_another_members_commitment(world, login):
    other = commitments.add(world.member_b, YEAR, "Việc của người khác")
    db.session.commit()
    member = login("member")
    assert member.post(f"/lam-theo/commitments/{other.id}/assess", data={"assessment": "x"}).status_code == 404
    assert member.post(f"/lam-theo/commitments/{other.id}/delete").status_code == 404
    assert db.session.get(Commitment, other.id).self_assessment == ""


def test_officer_confirms_in_bulk_and_a_foreign_id_spoils_nothing(world, login):
    mine = commitments.add(world.member_a, YEAR, "Việc A")
    theirs = commitments.add(world.member_b, YEAR, "Việc B")
    db.session.commit()
    officer = login("officer_a")
    response = officer.post("/lam-theo/units/GA/commitments",
                            data={f"result-{mine.id}": "dat", f"result-{theirs.id}": "dat"}, follow_redirects=True)
    assert "không xác nhận việc nào" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Commitment, mine.id).result is None
    assert officer.post("/lam-theo/units/GA/commitments", data={"result-１２": "dat"}).status_code == 400
    officer.post("/lam-theo/units/GA/commitments", data={f"result-{mine.id}": "dat", f"comment-{mine.id}": "Tốt"})
    db.session.expire_all()
    assert db.session.get(Commitment, mine.id).result == "dat"


def test_plan_file_is_checked_stored_and_served_as_an_attachment_in_scope(world, login):
    officer = login("officer_a")
    refused = officer.post("/lam-theo/units/GA/plan", content_type="multipart/form-data",
                           data={"file": (__import__("io").BytesIO(b"MZ\x90\x00 not a plan"), "ke-hoach.pdf")})
    assert refused.status_code == 400 and "PDF hoặc Word" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Plan)) == 0
    saved = officer.post("/lam-theo/units/GA/plan", content_type="multipart/form-data",
                         data={"issues": "Giờ giấc", "actions": "Chấm công", "deadline": "31/12/2099",
                               "file": (__import__("io").BytesIO(PDF), "Kế hoạch <b>số 1</b>.pdf")})
    assert saved.status_code == 302
    download = officer.get(f"/lam-theo/units/GA/plan/file?year={YEAR}")
    assert download.data == PDF and download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "application/pdf"
    assert login("officer_b").get(f"/lam-theo/units/GA/plan/file?year={YEAR}").status_code == 404
    assert login("member").get(f"/lam-theo/units/GA/plan/file?year={YEAR}").status_code == 403
    bad_date = officer.post("/lam-theo/units/GA/plan", data={"issues": "A", "actions": "B", "deadline": "31/02/2024"})
    assert bad_date.status_code == 400 and "dd/mm/yyyy" in bad_date.get_data(as_text=True)


def test_parent_page_marks_children_behind(world, login):
    page = login("tinh").get(f"/lam-theo/units/P?year={YEAR - 1}").get_data(as_text=True)
    assert page.count("Chậm tiến độ") >= 2 and "Chưa nộp, đã quá hạn" in page


def test_review_commendation_is_verifiable(world, login, client):
    certificates.save_issuer(world.province, actor=world.admin, body_lines="LIÊN ĐOÀN LAO ĐỘNG TỈNH THỬ",
                             place="Lai Châu", signer_title="TM. BAN THƯỜNG VỤ", signer_name="Đồng Thị Nghĩa",
                             serial_suffix="GK-LĐLĐ")
    db.session.commit()
    province = login("tinh")
    opened = province.post("/lam-theo/units/P/reviews", data={"year": YEAR, "kind": "so_ket"})
    assert opened.status_code == 302
    review_url = opened.headers["Location"]
    assert login("officer_a").get(review_url).status_code == 404  # a district cannot read the province's review
    page = province.post(review_url + "/commend", data={"unit": [world.district_b.id],
                                                        "reason": "Làm theo Bác tiêu biểu"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Đã biểu dương 1" in page
    certificate = db.session.scalars(db.select(certificates.Certificate)).one()
    verify = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert world.district_b.name in verify and "Làm theo Bác tiêu biểu" in verify


def _report_world(world):
    topic = Topic(slug="chuyen-de-2022", title="Chuyên đề năm 2022", kind="annual", year=2022, published=True,
                  opens_on=date(2022, 1, 1), due_on=date(2022, 3, 31))
    db.session.add(topic)
    db.session.add_all([Commitment(member_id=world.member_a.id, unit_id=world.grassroots_a.id, year=2022,
                                   position=1, text="Việc 1", result="dat"),
                        Commitment(member_id=world.member_a.id, unit_id=world.grassroots_a.id, year=2022,
                                   position=2, text="Việc 2", result="chua_dat")])
    db.session.commit()


def test_completion_report_exports_and_api_carry_the_lam_theo_columns(world, login, client):
    _report_world(world)
    officer = login("tinh")
    query = "topic=chuyen-de-2022&from=2022-01-01&to=2022-12-31"
    page = officer.get(f"/reports/P?{query}").get_data(as_text=True)
    assert "Làm theo Bác năm 2022" in page and "Tỷ lệ đạt" in page
    csv = officer.get(f"/reports/P/export.csv?{query}").get_data(as_text=True)
    header, *lines = csv.splitlines()
    assert "Làm theo Bác năm 2022: Đoàn viên đăng ký" in header
    district_a = next(line for line in lines if line.startswith(world.district_a.name))
    assert district_a.split(",")[-3:] == ["2", "1", "50.0"]  # commitments, passed, share
    _, token = tokens.create_token(world.officer_a, "Phần mềm", world.officer_a)
    db.session.commit()
    body = client.get("/api/v1/units/DA/completion?topic=chuyen-de-2022&from=2022-01-01&to=2022-12-31",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["totals"]["lam_theo"]["members_committed"] == 1
    assert body["children"][0]["totals"]["lam_theo"]["passed_share"] == 50.0
    workbook = officer.get(f"/reports/P/export.xlsx?{query}")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"


def test_the_period_report_sent_up_carries_the_lam_theo_figures(world, login):
    from reports import services as reports
    from reports import submissions
    _report_world(world)
    topic = db.session.scalars(db.select(Topic)).one()
    sent = submissions.submit(world.district_a, topic, reports.Period.custom(date(2022, 1, 1), date(2022, 12, 31)),
                              submissions.Narrative("Đã học tập và đăng ký làm theo."), world.officer_a)
    db.session.commit()
    assert sent.figures["totals"]["lam_theo"]["commitments"] == 2
    page = login("tinh").get(f"/reports/submitted/{sent.id}").get_data(as_text=True)
    assert "Làm theo Bác (năm 2022)" in page and "50,0%" in page


def test_the_home_page_leads_members_and_officers_to_lam_theo(world, login):
    """Làm theo is a job of every member and of every officer: the home page has a way to it."""
    member_home = login("member").get("/").get_data(as_text=True)
    assert 'data-testid="lamtheo-card"' in member_home and 'href="/lam-theo/"' in member_home
    officer_home = login("officer_a").get("/").get_data(as_text=True)
    jobs = officer_home[officer_home.index('data-testid="officer-jobs"'):]
    jobs = jobs[:jobs.index("</ul>")]
    assert 'href="/lam-theo/"' in jobs and 'href="/lam-theo/guong-sang/"' in jobs


def test_the_officers_job_card_comes_first_and_members_home_is_unchanged(world, login):
    officer_home = login("officer_a").get("/").get_data(as_text=True)
    cards = ['data-testid="officer-jobs"', ">Việc học của tôi</h2>", 'data-testid="lamtheo-card"']
    assert [officer_home.index(card) for card in cards] == sorted(officer_home.index(card) for card in cards)
    member_home = login("member").get("/").get_data(as_text=True)
    assert 'data-testid="officer-jobs"' not in member_home
    assert member_home.index(">Việc học của tôi</h2>") < member_home.index('data-testid="lamtheo-card"')
