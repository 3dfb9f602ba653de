"""Sending the period report up: frozen figures, versions, what the unit above sees, and scope."""
import re
from datetime import date

import pytest

from core.extensions import db
from core.models import AuditEntry
from core.permissions import OFFICER
from learning import study_sessions
from learning.models import StudySession, Topic
from reports import services, submissions
from reports.models import ReportSubmission
from tests.factories import make_member, make_user

PERIOD = services.Period(date(2022, 1, 1), date(2022, 3, 31), "Đến hạn hoàn thành 31/03/2022")
ARGS = "topic=chuyen-de-2022&from=2022-01-01&to=2022-03-31"
TEXT = {"results": "Đã tổ chức hội nghị quán triệt;\nmọi công đoàn cơ sở học trực tiếp.",
        "shortcomings": "Sóng điện thoại yếu ở xã vùng cao.", "proposals": "Cấp thêm tài liệu in."}


@pytest.fixture
def topic(world):
    topic = Topic(slug="chuyen-de-2022", title="Chuyên đề năm 2022", kind="annual", year=2022, published=True,
                  opens_on=date(2022, 1, 1), due_on=date(2022, 3, 31))
    db.session.add(topic)
    db.session.commit()
    return topic


def hold_session(world, topic, unit, attendances: int) -> StudySession:
    session = study_sessions.record_session(study_sessions.SessionData(
        unit=unit, topic=topic, held_on=date(2022, 2, 10), form="in_person", attendances=attendances), world.admin)
    db.session.commit()
    return session


def narrative() -> submissions.Narrative:
    return submissions.Narrative(TEXT["results"], TEXT["shortcomings"], TEXT["proposals"])


def rows() -> list[ReportSubmission]:
    return db.session.scalars(db.select(ReportSubmission).order_by(ReportSubmission.id)).all()


# -- the service ---------------------------------------------------------------------------

def test_figures_are_frozen_and_sending_again_makes_version_two(world, topic):
    hold_session(world, topic, world.grassroots_a, 20)
    first = submissions.submit(world.district_a, topic, PERIOD, narrative(), world.officer_a)
    db.session.commit()
    assert (first.version, first.to_unit_id, first.submitted_by_id) == (1, world.province.id, world.officer_a.id)
    assert first.figures == services.report_as_dict(services.completion_report(world.district_a, topic, PERIOD))
    assert first.figures["totals"]["attendances"] == 20 and first.figures["totals"]["members"] == 1
    frozen = dict(first.figures)

    # The data changes after sending: the sent report does not.
    hold_session(world, topic, world.grassroots_a, 15)
    make_member(world.grassroots_a, "Vàng Thị Dợ")
    db.session.expire_all()
    assert rows()[0].figures == frozen

    second = submissions.submit(world.district_a, topic, PERIOD, narrative(), world.officer_a)
    db.session.commit()
    assert second.version == 2
    assert second.figures["totals"]["attendances"] == 35 and second.figures["totals"]["members"] == 2
    assert rows()[0].figures == frozen
    assert [v.version for v in submissions.versions(world.district_a.id, topic.id, PERIOD.start, PERIOD.end)] == [2, 1]
    audit = db.session.scalars(db.select(AuditEntry).filter_by(action="report_submitted").order_by(AuditEntry.id)).all()
    assert [(a.actor_id, a.details["version"], a.details["to_unit"]) for a in audit] == [
        (world.officer_a.id, 1, "P"), (world.officer_a.id, 2, "P")]


def test_a_report_stays_with_the_unit_it_went_to_after_a_move(world, topic):
    row = submissions.submit(world.grassroots_a, topic, PERIOD, narrative(), world.officer_a)
    db.session.commit()
    from units import tree as unit_tree
    unit_tree.move_unit(world.grassroots_a, world.district_b)
    db.session.commit()
    statuses = submissions.received(world.district_a, topic, PERIOD)
    assert [(s.unit.code, s.latest.id) for s in statuses] == [("GA", row.id)]
    assert [(s.unit.code, s.latest) for s in submissions.received(world.district_b, topic, PERIOD)] == [
        ("GB", None), ("GA", None)]


@pytest.mark.parametrize("unit,text,message", [
    ("province", "Có nội dung", "Đơn vị cấp cao nhất không có đơn vị cấp trên trên hệ thống để gửi báo cáo."),
    ("district_a", "   ", "Hãy viết kết quả đạt được.")])
def test_refusals(world, topic, unit, text, message):
    with pytest.raises(submissions.SubmissionError) as error:
        submissions.submit(getattr(world, unit), topic, PERIOD, submissions.Narrative(text), world.admin)
    assert error.value.message == message and rows() == []


# -- pages -----------------------------------------------------------------------------------

def test_officer_writes_previews_and_sends(world, topic, login):
    hold_session(world, topic, world.grassroots_a, 20)
    client = login("officer_a")
    page = client.get(f"/reports/DA/submissions?{ARGS}").get_data(as_text=True)
    assert "Chưa gửi báo cáo kỳ này." in page and "Đến hạn hoàn thành 31/03/2022" in page
    assert "Công đoàn cơ sở Trường Tiểu học Bình Lư" in page  # its own child, not yet sent

    assert client.get(f"/reports/DA/submit?{ARGS}").status_code == 200
    preview = client.post(f"/reports/DA/submit?{ARGS}", data={**TEXT, "preview": "y"}).get_data(as_text=True)
    assert "Chưa gửi." in preview and "Sóng điện thoại yếu ở xã vùng cao." in preview
    assert "Gửi đến</dt><dd class=\"col-sm-9\">Liên đoàn Lao động tỉnh Thử" in preview
    assert re.search(r"<td class=\"text-end\">20</td>", preview)  # attendances in the figures
    assert rows() == []

    edited = client.post(f"/reports/DA/submit?{ARGS}", data={**TEXT, "edit": "y"}).get_data(as_text=True)
    assert "Cấp thêm tài liệu in." in edited and "Xem trước" in edited and rows() == []

    response = client.post(f"/reports/DA/submit?{ARGS}", data={**TEXT, "send": "y"})
    row = rows()[0]
    assert response.headers["Location"] == f"/reports/submitted/{row.id}"
    assert (row.results_text, row.version) == (TEXT["results"], 1)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã gửi báo cáo lên Liên đoàn Lao động tỉnh Thử (lần 1)." in page
    assert "Đã tổ chức hội nghị quán triệt;\nmọi công đoàn cơ sở học trực tiếp." in page

    # Writing again starts from the last text, and makes version 2.
    again = client.get(f"/reports/DA/submit?{ARGS}").get_data(as_text=True)
    assert "Gửi tiếp sẽ là <strong>lần 2</strong>" in again and "Sóng điện thoại yếu" in again
    client.post(f"/reports/DA/submit?{ARGS}", data={**TEXT, "results": "Bổ sung số liệu.", "send": "y"})
    assert [r.version for r in rows()] == [1, 2]


def test_results_are_required_and_nothing_is_sent_without_them(world, topic, login):
    client = login("officer_a")
    for action in ("preview", "send"):
        html = client.post(f"/reports/DA/submit?{ARGS}", data={**TEXT, "results": "", action: "y"}).get_data(
            as_text=True)
        assert "Hãy viết kết quả đạt được." in html
    assert rows() == []


def test_the_top_unit_has_no_one_to_send_to(world, topic, login):
    response = login("tinh").get(f"/reports/P/submit?{ARGS}")
    assert response.headers["Location"] == f"/reports/P/submissions?{ARGS}"
    assert rows() == []


def test_the_unit_above_sees_who_has_sent_and_reads_each_version(world, topic, login):
    first = submissions.submit(world.district_a, topic, PERIOD, narrative(), world.officer_a)
    second = submissions.submit(world.district_a, topic, PERIOD, submissions.Narrative("Bản bổ sung."),
                                world.officer_a)
    db.session.commit()
    client = login("tinh")
    page = client.get(f"/reports/P/submissions?{ARGS}").get_data(as_text=True)
    assert "<strong>1</strong> / 2 đơn vị đã gửi báo cáo kỳ này." in page
    table = page[page.index('id="children-status"'):]
    district_a = next(row for row in table.split("<tr>") if "Tam Đường" in row)
    assert "Đã gửi</span> lần 2" in district_a and "Officer_A" in district_a
    assert f"/reports/submitted/{second.id}" in district_a
    assert "Chưa gửi" in next(row for row in table.split("<tr>") if "Phong Thổ" in row)
    assert "Báo cáo của đơn vị gửi" not in page  # the province sends to no one

    old = client.get(f"/reports/submitted/{first.id}").get_data(as_text=True)
    assert "Đây là lần gửi 1, không phải bản mới nhất." in old and TEXT["results"].split(";")[0] in old
    assert f'href="/reports/submitted/{second.id}"' in old

    # Another period: nobody has sent; the page points to the period that has reports.
    other = client.get("/reports/P/submissions?topic=chuyen-de-2022&from=2022-01-01&to=2022-06-30").get_data(
        as_text=True)
    assert "<strong>0</strong> / 2 đơn vị" in other and "Đến hạn hoàn thành 31/03/2022</a> (1 đơn vị)" in other


def test_period_chooser_goes_to_the_canonical_address(world, topic, login):
    client = login("officer_a")
    response = client.get("/reports/DA/submissions?topic=chuyen-de-2022&ky=custom&tu=01/02/2022&den=28/02/2022")
    assert response.headers["Location"] == "/reports/DA/submissions?topic=chuyen-de-2022&from=2022-02-01&to=2022-02-28"
    response = client.get("/reports/DA/submissions?topic=chuyen-de-2022&ky=custom&tu=31/02/2022&den=28/02/2022")
    assert response.headers["Location"] == "/reports/DA/submissions?topic=chuyen-de-2022"
    assert client.get("/reports/submissions").headers["Location"] == "/reports/DA/submissions"


@pytest.mark.parametrize("username,status", [("officer_a", 200), ("tinh", 200), ("admin", 200), ("officer_b", 404),
                                             ("officer_ga", 404), ("member", 403), ("editor", 403)])
def test_who_reads_a_sent_report(world, topic, login, username, status):
    make_user("officer_ga", OFFICER, world.grassroots_a)  # below the sender: reads nothing of it
    row = submissions.submit(world.district_a, topic, PERIOD, narrative(), world.officer_a)
    db.session.commit()
    client = login(username)
    assert client.get(f"/reports/submitted/{row.id}").status_code == status


@pytest.mark.parametrize("username,status", [("officer_a", 200), ("officer_b", 404), ("member", 403)])
def test_sending_pages_by_role(world, topic, login, username, status):
    client = login(username)
    assert client.get(f"/reports/DA/submissions?{ARGS}").status_code == status
    assert client.get(f"/reports/DA/submit?{ARGS}").status_code == status
    response = client.post(f"/reports/DA/submit?{ARGS}", data={**TEXT, "send": "y"})
    assert response.status_code == (302 if status == 200 else status)
    assert len(rows()) == (1 if status == 200 else 0)
