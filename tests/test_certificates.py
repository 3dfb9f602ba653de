"""Certificates: issued on completion, once; offline issuing; verification; scoping; zips."""
import io
import re
import zipfile
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader

from app import create_app
from certificates import pdf, services
from certificates.models import Certificate
from core import signals
from core.clock import utcnow
from core.extensions import db
from core.models import AuditEntry
from learning import topics as learning_topics
from quizzes.models import TopicCompletion
from tests.factories import make_member


@pytest.fixture
def setting(synced, world):
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, world.province)  # its federation, LDLD-LC, is not in this small world
    services.save_issuer(world.province, actor=world.admin, body_lines="Liên đoàn Lao động tỉnh Thử",
                         place="Lai Châu", signer_title="TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH",
                         signer_name="Đồng Thị Nghĩa", serial_suffix="GCN-LĐLĐ")
    db.session.commit()
    return topic


def complete(member, topic, when=datetime(2022, 3, 15, 3, 0), percent=90.0):
    record = TopicCompletion(member=member, topic=topic, percent=percent, completed_at=when)
    db.session.add(record)
    db.session.flush()
    signals.topic_completed.send(record)
    db.session.commit()
    return services.completion_certificate(member.id, topic.id)


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_a_completion_issues_one_certificate_with_a_random_code_and_the_next_serial(setting, world):
    first = complete(world.member_a, setting)
    assert first is not None and first.serial == "1/GCN-LĐLĐ"
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{16}", first.code)
    again = services.issue_for_completion(db.session.scalars(db.select(TopicCompletion)).one())
    assert again.id == first.id  # downloading again gives the same certificate
    second = complete(world.member_b, setting)
    assert second.serial == "2/GCN-LĐLĐ" and second.code != first.code
    assert (first.holder_name, first.unit_name, first.parent_unit_name) == \
        ("Lò Thị Xuân", world.grassroots_a.name, world.district_a.name)
    assert first.issued_on.isoformat() == "2022-03-15"
    assert "Kết quả bài kiểm tra: 90% số câu đúng, ngày 15/03/2022" in first.achievement


def test_codes_read_aloud_are_forgiving(setting, world):
    certificate = complete(world.member_a, setting)
    spoken = services.grouped(certificate.code).lower().replace("0", "o").replace("1", "l")
    assert services.get_by_code(spoken) == certificate
    assert services.get_by_code("ABC") is None


def test_the_pdf_says_what_the_database_says(setting, world, app):
    certificate = complete(world.member_a, setting)
    text = pdf_text(services.render(certificate, "https://hoctap.example.vn"))
    for expected in ("GIẤY CHỨNG NHẬN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Lò Thị Xuân",
                     "Lai Châu, ngày 15 tháng 3 năm 2022", "TM. BAN THƯỜNG VỤ", "Đồng Thị Nghĩa",
                     "Số: 1/GCN-LĐLĐ", services.grouped(certificate.code), "LIÊN ĐOÀN LAO ĐỘNG TỈNH THỬ"):
        assert expected in text, expected


def test_an_officer_issues_for_offline_study_with_a_reason(setting, world):
    with pytest.raises(services.CertificateError, match="lý do"):
        services.issue_offline(world.member_a, setting, world.officer_a, "ngắn")
    with pytest.raises(services.CertificateError, match="không thuộc đơn vị"):
        services.issue_offline(world.member_a, setting, world.officer_b, "Học tập trung ngày 10/3/2022 tại trường")
    certificate = services.issue_offline(world.member_a, setting, world.officer_a,
                                         "Học tập trung ngày 10/3/2022 tại trường")
    db.session.commit()
    assert certificate.reason.startswith("Học tập trung") and certificate.issued_by_id == world.officer_a.id
    assert db.session.scalars(db.select(TopicCompletion)).one().member_id == world.member_a.id
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="certificate_issued_offline")).one()
    assert entry.actor_id == world.officer_a.id and "Học tập trung" in entry.summary
    with pytest.raises(services.CertificateError, match="đã có giấy"):
        services.issue_offline(world.member_a, setting, world.officer_a, "Học tập trung ngày 10/3/2022 tại trường")


def test_prize_certificates_use_the_committee_signer(setting, world):
    issuer = services.issuer_for(world.province)
    prize = services.issue_prize(issuer, holder_name="Giàng A Páo", birth_year=1990, unit_name="Trạm Y tế",
                                 prize_text="Đạt giải Nhất tuần 2 Cuộc thi tìm hiểu 132 năm Ngày sinh Bác",
                                 issued_on=datetime(2022, 5, 19).date())
    assert prize.signer_title == "TM. BAN TỔ CHỨC\nTRƯỞNG BAN" and prize.kind == "prize"
    assert "Đạt giải Nhất tuần 2" in pdf_text(services.render(prize, "http://x"))


def test_verification_pages(setting, world, client, login):
    certificate = complete(world.member_a, setting)
    db.session.commit()
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Giấy chứng nhận hợp lệ" in page and "Lò Thị Xuân" in page and certificate.serial in page
    assert "Đã hoàn thành học tập" in page
    form = client.get(f"/verify?code={services.grouped(certificate.code).lower()}")
    assert form.status_code == 302 and form.headers["Location"].endswith(f"/verify/{certificate.code}")
    unknown = client.get("/verify/ABCD-EFGH-JKMN-PQRS")
    assert unknown.status_code == 404 and "Không có giấy chứng nhận nào mang mã" in unknown.get_data(as_text=True)

    admin = login("admin")
    response = admin.post(f"/certificates/{certificate.code}/revoke", data={"reason": "Cấp nhầm người"},
                          follow_redirects=True)
    assert "Đã thu hồi" in response.get_data(as_text=True)
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "đã bị thu hồi" in page and "Cấp nhầm người" in page
    assert login("tinh").post(f"/certificates/{certificate.code}/revoke", data={"reason": "x" * 10}).status_code == 403


def test_verification_is_rate_limited_per_address(setting, app):
    limited = create_app({"TESTING": True, "RATELIMIT_ENABLED": True,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    client = limited.test_client()
    codes = [client.get(f"/verify/ZZZZ-ZZZZ-ZZZZ-ZZ{n:02d}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code
             for n in range(31)]
    assert codes[:30] == [404] * 30 and codes[-1] == 429
    other = client.get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ", environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert other.status_code == 404
    with limited.app_context():
        db.engine.dispose()


def test_downloads_are_for_the_holder_officers_above_and_admins(setting, world, login, client):
    certificate = complete(world.member_a, setting)
    url = f"/certificates/{certificate.code}.pdf"
    for who in ("member", "officer_a", "tinh", "admin"):
        response = login(who).get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), who
    for who in ("officer_b", "editor", "organiser"):
        assert login(who).get(url).status_code == 404, who
    assert client.get(url).status_code == 302


def test_a_certificate_too_long_to_print_is_refused_with_its_sentence_not_a_crash(setting, world, login):
    certificate = complete(world.member_a, setting)
    certificate.achievement = "\n".join([certificate.achievement] * 40)
    db.session.commit()
    url = f"/certificates/{certificate.code}.pdf"
    response = login("member").get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "quá dài, không in vừa một trang" in page
    refused = login("member").get(url, headers={"Accept": "application/json"})
    assert refused.status_code == 422 and refused.json["saved"] is False
    assert "quá dài" in refused.json["message"]


def test_officers_list_and_zip_only_their_subtree(setting, world, login):
    complete(world.member_a, setting)
    complete(world.member_b, setting)
    officer_a = login("officer_a")
    page = officer_a.get("/certificates/manage").get_data(as_text=True)
    assert "Lò Thị Xuân" in page and "Giàng A Páo" not in page
    assert officer_a.get("/certificates/manage?unit=GB").status_code == 404
    assert officer_a.get("/certificates/manage/export.zip?unit=GB").status_code == 404
    response = officer_a.get("/certificates/manage/export.zip?unit=DA")
    assert response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    assert len(archive.namelist()) == 1 and archive.namelist()[0].endswith("lo-thi-xuan.pdf")
    province = login("tinh").get("/certificates/manage/export.zip?unit=P")
    assert len(zipfile.ZipFile(io.BytesIO(province.data)).namelist()) == 2
    assert login("member").get("/certificates/manage").status_code == 403


def test_the_offline_form_is_scoped(setting, world, login):
    form = {"member": "0912000002", "topic": str(setting.id), "reason": "Học tập trung ngày 10/3/2022"}
    page = login("officer_a").post("/certificates/issue", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Không tìm thấy đoàn viên" in page
    assert db.session.scalar(db.select(db.func.count(Certificate.id))) == 0
    page = login("officer_b").post("/certificates/issue", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Đã cấp giấy chứng nhận số 1/GCN-LĐLĐ cho Giàng A Páo" in page


def test_members_see_their_certificates(setting, world, login):
    assert "chưa có giấy chứng nhận" in login("member").get("/certificates/").get_data(as_text=True)
    certificate = complete(world.member_a, setting)
    page = login("member").get("/certificates/").get_data(as_text=True)
    assert f"/certificates/{certificate.code}.pdf" in page


def test_the_export_command_writes_a_zip(setting, world, runner, tmp_path):
    complete(world.member_a, setting)
    complete(make_member(world.grassroots_a, "Vàng Thị Mỷ"), setting, when=utcnow() - timedelta(days=1))
    out = tmp_path / "da.zip"
    result = runner.invoke(args=["certificates", "export", "--unit", "DA", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Đã ghi 2 giấy chứng nhận" in result.output
    assert len(zipfile.ZipFile(out).namelist()) == 2
    assert runner.invoke(args=["certificates", "export", "--unit", "NOPE", "--out", str(out)]).exit_code == 1


def _one_too_long(setting, world):
    """Union A's two certificates, the second too long to print."""
    complete(world.member_a, setting)
    long = complete(make_member(world.grassroots_a, "Vàng Thị Mỷ"), setting, when=utcnow() - timedelta(days=1))
    long.achievement = "\n".join([long.achievement] * 40)
    db.session.commit()
    return long


def test_a_zip_with_a_certificate_too_long_to_print_is_whole_and_says_which(setting, world, login):
    """The zip used to break half-way (a 200 already sent); now the one that cannot print is named in a note."""
    long = _one_too_long(setting, world)
    response = login("officer_a").get("/certificates/manage/export.zip?unit=DA")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    assert len(pdfs) == 1 and "vang-thi-my" not in pdfs[0]
    note = archive.read(services.NOT_PRINTED_NOTE).decode("utf-8")
    assert "Vàng Thị Mỷ" in note and long.serial in note and "quá dài" in note


def test_the_export_command_says_which_certificates_it_left_out(setting, world, runner, tmp_path):
    _one_too_long(setting, world)
    out = tmp_path / "da.zip"
    result = runner.invoke(args=["certificates", "export", "--unit", "DA", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Đã ghi 1 giấy chứng nhận" in result.output and "1 giấy quá dài" in result.output
    assert len(zipfile.ZipFile(out).namelist()) == 2  # the PDF and the note


def test_issuer_settings_with_a_signature_image(setting, world, login):
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), "red").save(buffer, "PNG")
    admin = login("admin")
    response = admin.post("/certificates/issuers", data={
        "unit_code": "P", "body_lines": "Liên đoàn Lao động tỉnh Thử", "place": "Lai Châu",
        "signer_title": "TM. BAN THƯỜNG VỤ\nCHỦ TỊCH", "signer_name": "Nguyễn Văn Ký", "serial_suffix": "GCN-LĐLĐ",
        "signature": (io.BytesIO(buffer.getvalue()), "chu-ky.png")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "Đã lưu cách cấp giấy chứng nhận" in response.get_data(as_text=True)
    certificate = complete(world.member_a, setting)
    assert certificate.signer_name == "Nguyễn Văn Ký"
    assert len(PdfReader(io.BytesIO(services.render(certificate, "http://x"))).pages[0].images) == 2
    bad = admin.post("/certificates/issuers", data={
        "unit_code": "P", "body_lines": "X", "place": "Y", "signer_title": "Z", "signer_name": "W",
        "serial_suffix": "GCN", "signature": (io.BytesIO(b"not an image"), "a.png")},
        content_type="multipart/form-data")
    assert "Tệp không phải ảnh PNG hoặc JPEG dùng được" in bad.get_data(as_text=True)
    assert login("tinh").get("/certificates/issuers").status_code == 403


def test_a_rendered_certificate_is_kept_and_read_back(setting, world, tmp_path, monkeypatch):
    certificate = complete(world.member_a, setting)
    first = services.render(certificate, "http://x", tmp_path)
    assert len(list(tmp_path.glob("*.pdf"))) == 1

    def no_drawing(_content):
        raise AssertionError("drawn again")

    monkeypatch.setattr(pdf, "render_pdf", no_drawing)
    assert services.render(certificate, "http://x", tmp_path) == first
    with pytest.raises(AssertionError):  # another address in the QR code is another paper
        services.render(certificate, "https://elsewhere.example", tmp_path)


@pytest.mark.parametrize("image", ["broken", "huge"])
def test_a_signature_that_is_no_usable_image_is_refused(setting, world, login, image):
    """Kept, it would break (or take gigabytes to draw) every certificate of the unit."""
    from PIL import Image
    if image == "broken":
        data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200  # the right first bytes, then nothing of a picture
    else:
        buffer = io.BytesIO()
        Image.new("1", (12000, 12000)).save(buffer, "PNG")  # 30 KB on the wire, 144 million pixels
        data = buffer.getvalue()
    response = login("admin").post("/certificates/issuers", data={
        "unit_code": "P", "body_lines": "Liên đoàn Lao động tỉnh Thử", "place": "Lai Châu", "signer_title": "CHỦ TỊCH",
        "signer_name": "Nguyễn Văn Ký", "serial_suffix": "GCN", "signature": (io.BytesIO(data), "chu-ky.png")},
        content_type="multipart/form-data")
    assert "Tệp không phải ảnh PNG hoặc JPEG" in response.get_data(as_text=True)
    certificate = complete(world.member_a, setting)
    assert len(PdfReader(io.BytesIO(services.render(certificate, "http://x"))).pages) == 1
