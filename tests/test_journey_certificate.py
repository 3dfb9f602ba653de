"""In Chromium, on a 360-px phone: a member passes the final quiz, downloads the certificate,
and the QR code on it leads to the public page that confirms it."""
import io
import re

import zxingcpp
from PIL import Image
from pypdf import PdfReader

from certificates import services as certificates
from core.extensions import db
from learning import topics as learning_topics
from quizzes import services as quizzes
from quizzes.models import Attempt, Quiz
from tests.factories import log_in_browser, make_member, make_unit, make_user, study_everything


def test_from_a_passed_quiz_to_the_download_to_the_verification_page(synced, app, live_url, page, browser, tmp_path):
    app.config["PUBLIC_BASE_URL"] = live_url
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    school = make_unit("CDCS", province, name="Công đoàn cơ sở Trường THCS thị trấn Tam Đường")
    member = make_member(school, "Lò Thị Xuân", phone="0912099001", birth_year=1988)
    member.user = make_user("doanvien", full_name="Lò Thị Xuân")
    certificates.save_issuer(province, actor=None, body_lines="Liên đoàn Lao động tỉnh Lai Châu", place="Lai Châu",
                             signer_title="TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH", signer_name="Đồng Thị Nghĩa",
                             serial_suffix="GCN-LĐLĐ")
    topic = learning_topics.get_topic("chuyen-de-2022")
    study_everything(member, topic)
    db.session.add(Quiz(topic=topic, title="Kiểm tra", question_count=2, time_limit_seconds=600, pass_percent=50,
                        max_attempts=None, min_duration_seconds=0, one_per_page=False))
    db.session.commit()

    log_in_browser(page, live_url, "0912099001")
    page.goto(live_url + f"/learn/{topic.slug}/quiz")
    page.get_by_role("button", name=re.compile("Bắt đầu làm bài")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+"))
    attempt = db.session.scalars(db.select(Attempt)).one()
    for entry in attempt.paper:
        for choice_id in entry["correct"]:
            page.locator("#" + quizzes.choice_key(attempt, choice_id)).check()
    page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_text("Chúc mừng! Bạn đã hoàn thành chuyên đề").wait_for()

    page.get_by_role("link", name="Xem và tải giấy chứng nhận").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải PDF").click()
    pdf = download.value.path().read_bytes()
    assert download.value.suggested_filename.endswith("lo-thi-xuan.pdf")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Lò Thị Xuân" in text and "Số: 1/GCN-LĐLĐ" in text

    qr = next(image for image in PdfReader(io.BytesIO(pdf)).pages[0].images)
    verify_url = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.data)))[0].text
    assert verify_url.startswith(live_url + "/verify/")

    stranger = browser.new_context(viewport={"width": 360, "height": 740}).new_page()  # anyone, not logged in
    stranger.goto(verify_url)
    stranger.get_by_text("Giấy chứng nhận hợp lệ").wait_for()
    assert stranger.get_by_text("Lò Thị Xuân, sinh năm 1988").is_visible()
    assert stranger.evaluate("document.documentElement.scrollWidth") <= 360
    stranger.screenshot(path=str(tmp_path / "verify.png"), full_page=True)
    stranger.context.close()
