"""Offline study sessions: rules, scoping, the pages and the all-or-nothing import."""
import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from core.clock import local_today
from core.extensions import db
from core.models import AuditEntry
from learning import study_sessions
from learning.models import StudySession, StudySessionMember, Topic
from tests.factories import make_member

HEADERS = ["Mã đơn vị", "Ngày", "Chủ đề", "Hình thức", "Số lượt tham dự", "Ghi chú"]


@pytest.fixture
def topic(world):
    topic = Topic(slug="chuyen-de-2022", title="Chuyên đề năm 2022: học tập và làm theo tư tưởng Hồ Chí Minh",
                  kind="annual", year=2022, published=True)
    db.session.add(topic)
    db.session.commit()
    return topic


def session_count() -> int:
    return db.session.scalar(db.select(db.func.count(StudySession.id)))


def form_data(**changes) -> dict:
    data = {"unit_code": "GA", "held_on": "15/03/2022", "topic": "", "form": "in_person", "attendances": "12",
            "members": "", "notes": "Hội nghị tại hội trường"}
    data.update(changes)
    return data


def xlsx(rows, headers=HEADERS) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


# -- the service ---------------------------------------------------------------------------

def test_record_update_and_delete_are_audited(world, topic):
    data = study_sessions.SessionData(unit=world.grassroots_a, topic=topic, held_on=date(2022, 3, 15), form="meeting",
                                attendances=3, members=[world.member_a])
    session = study_sessions.record_session(data, world.officer_a)
    db.session.commit()
    assert [row.member_id for row in session.attendees] == [world.member_a.id]

    other = make_member(world.grassroots_a, "Vàng Thị Dợ", phone="0912000003")
    data.members, data.attendances = [other], 5
    study_sessions.update_session(session, data, world.officer_a)
    db.session.commit()
    assert session.attendances == 5 and [row.member_id for row in session.attendees] == [other.id]

    study_sessions.delete_session(session, world.officer_a)
    db.session.commit()
    assert session_count() == 0 and db.session.scalar(db.select(db.func.count()).select_from(StudySessionMember)) == 0
    actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["study_session_recorded", "study_session_updated", "study_session_deleted"]


def test_rules_are_named_in_vietnamese(world, topic):
    today = date(2022, 3, 20)
    data = study_sessions.SessionData(unit=world.grassroots_b, topic=topic, held_on=date(2022, 3, 21), form="in_person",
                                attendances=0, members=[])
    found = study_sessions.problems(data, world.officer_a, today=today)
    assert found["unit"] == "Không có đơn vị này hoặc đơn vị không thuộc phạm vi bạn quản lý."
    assert found["held_on"] == "Ngày 21/03/2022 chưa tới: chỉ ghi buổi học đã diễn ra."
    assert found["attendances"] == "Số lượt tham dự phải từ 1 trở lên."

    data = study_sessions.SessionData(unit=world.grassroots_a, topic=topic, held_on=today, form="in_person",
                                attendances=1, members=[world.member_a, make_member(world.grassroots_a)])
    assert study_sessions.problems(data, world.officer_a, today=today) == {
        "attendances": "Số lượt tham dự (1) ít hơn số đoàn viên có tên trong danh sách (2)."}
    with pytest.raises(study_sessions.SessionError):
        study_sessions.record_session(data, world.officer_a, today=today)


def test_members_are_resolved_by_card_or_phone_within_the_unit(world, topic):
    members, errors = study_sessions.resolve_members("LC0001\n0912 000 001; 0999999999\nLC0002", world.grassroots_a)
    assert members == [world.member_a]  # named twice, counted once
    assert errors == ["Không tìm thấy đoàn viên có số thẻ hoặc số điện thoại “0999999999”.",
                      f"“LC0002” không phải đoàn viên của {world.grassroots_a.name} hoặc đơn vị trực thuộc."]
    # A district's session may list members of its grassroots unions.
    assert study_sessions.resolve_members("LC0001", world.district_a) == ([world.member_a], [])


# -- pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("username,status", [("officer_a", 200), ("officer_b", 404), ("tinh", 200), ("admin", 200),
                                             ("member", 403), ("editor", 403)])
def test_session_pages_by_role(world, topic, login, username, status):
    session = study_sessions.record_session(study_sessions.SessionData(
        unit=world.grassroots_a, topic=topic, held_on=date(2022, 3, 15), form="online", attendances=4), world.admin)
    db.session.commit()
    client = login(username)
    assert client.get("/sessions/GA").status_code == status
    assert client.get("/sessions/DA").status_code == status
    assert client.get("/sessions/GA/new").status_code == status
    assert client.get(f"/sessions/{session.id}/edit").status_code == status
    deleted = client.post(f"/sessions/{session.id}/delete")
    assert deleted.status_code == (302 if status == 200 else status)


def test_anonymous_goes_to_login(world, client):
    assert client.get("/sessions/GA").headers["Location"].startswith("/accounts/login")


def test_officer_records_a_session_with_its_members_and_sees_it_listed(world, topic, login):
    client = login("officer_a")
    assert client.get("/sessions/").headers["Location"] == "/sessions/DA"
    response = client.post("/sessions/DA/new", data=form_data(topic=topic.id, members="LC0001", attendances="30"))
    assert response.headers["Location"] == "/sessions/GA"
    session = db.session.scalars(db.select(StudySession)).one()
    assert (session.unit_id, session.held_on, session.form, session.attendances) == (
        world.grassroots_a.id, date(2022, 3, 15), "in_person", 30)
    assert [row.member_id for row in session.attendees] == [world.member_a.id]
    html = client.get("/sessions/DA").get_data(as_text=True)
    assert "15/03/2022" in html and world.grassroots_a.name in html and "Trực tiếp" in html
    assert "<strong>1</strong> buổi, <strong>30</strong> lượt tham dự" in html
    assert "<strong>0</strong> buổi" in client.get("/sessions/DA?form=online").get_data(as_text=True)
    assert "<strong>1</strong> buổi" in client.get("/sessions/DA?from=01/03/2022&to=31/03/2022").get_data(as_text=True)
    assert "<strong>0</strong> buổi" in client.get("/sessions/DA?from=16/03/2022").get_data(as_text=True)


@pytest.mark.parametrize("changes,message", [
    ({"attendances": "0"}, "Số lượt tham dự phải từ 1 trở lên."),
    ({"attendances": "1", "members": "LC0001\n0912000009"},
     "Không tìm thấy đoàn viên có số thẻ hoặc số điện thoại “0912000009”."),
    ({"held_on": "31/02/2022"}, "Ngày không hợp lệ: ghi theo dd/mm/yyyy, ví dụ 31/03/2024."),
    ({"held_on": ""}, "Hãy nhập ngày tổ chức."),
    ({"unit_code": "GB"}, "Không có đơn vị này hoặc đơn vị không thuộc phạm vi bạn quản lý."),
    ({"unit_code": "GB", "members": "LC0002"}, "Không có đơn vị này hoặc đơn vị không thuộc phạm vi bạn quản lý."),
    ({"members": "LC0002"}, "“LC0002” không phải đoàn viên của"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_saved(world, topic, login, changes, message):
    response = login("officer_a").post("/sessions/GA/new", data=form_data(topic=topic.id, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html and "Chưa lưu" in html
    assert session_count() == 0
    assert "Sì Lở Lầu" not in html  # nothing of the other district leaks


def test_future_dates_and_short_attendances_are_refused(world, topic, login):
    client = login("officer_a")
    tomorrow = (local_today() + timedelta(days=1)).strftime("%d/%m/%Y")
    html = client.post("/sessions/GA/new", data=form_data(topic=topic.id, held_on=tomorrow)).get_data(as_text=True)
    assert f"Ngày {tomorrow} chưa tới" in html
    second = make_member(world.grassroots_a, "Vàng Thị Dợ", phone="0912000003")
    html = client.post("/sessions/GA/new", data=form_data(topic=topic.id, attendances="1",
                                                          members=f"LC0001, {second.phone}")).get_data(as_text=True)
    assert "Số lượt tham dự (1) ít hơn số đoàn viên có tên trong danh sách (2)." in html
    assert session_count() == 0


def test_edit_and_delete_through_the_pages(world, topic, login):
    session = study_sessions.record_session(study_sessions.SessionData(
        unit=world.grassroots_a, topic=topic, held_on=date(2022, 3, 15), form="online", attendances=4,
        members=[world.member_a]), world.officer_a)
    db.session.commit()
    client = login("officer_a")
    page = client.get(f"/sessions/{session.id}/edit").get_data(as_text=True)
    assert "15/03/2022" in page and "LC0001" in page
    response = client.post(f"/sessions/{session.id}/edit", data=form_data(topic=topic.id, attendances="9",
                                                                         form="combined", members=""))
    assert response.headers["Location"] == "/sessions/GA"
    db.session.refresh(session)
    assert (session.attendances, session.form, session.attendees) == (9, "combined", [])
    assert client.post(f"/sessions/{session.id}/delete").headers["Location"] == "/sessions/GA"
    assert session_count() == 0
    assert db.session.scalar(db.select(AuditEntry).filter_by(action="study_session_deleted")).actor_id == \
        world.officer_a.id


# -- import ----------------------------------------------------------------------------------

def test_import_adds_sessions_and_a_second_import_counts_nothing_twice(world, topic, login):
    client = login("officer_a")
    rows = [["GA", "15/03/2022", "chuyen-de-2022", "Trực tiếp", 34, "Hội trường"],
            ["ga", "20/04/2022", "Chuyên đề năm 2022: học tập và làm theo tư tưởng Hồ Chí Minh",
             "lồng ghép sinh hoạt định kỳ", "28", None],
            ["DA", date(2022, 5, 2), "CHUYEN-DE-2022", "truc tuyen", 120, None]]
    response = client.post("/sessions/import", data={"file": (xlsx(rows), "buoi-hoc.xlsx")})
    html = response.get_data(as_text=True)
    assert "Đã nhập xong 3 dòng: thêm 3, cập nhật 0, không đổi 0." in html
    stored = db.session.scalars(db.select(StudySession).order_by(StudySession.held_on)).all()
    assert [(s.unit.code, s.form, s.attendances) for s in stored] == [
        ("GA", "in_person", 34), ("GA", "meeting", 28), ("DA", "online", 120)]

    rows[0][4] = 36
    html = client.post("/sessions/import", data={"file": (xlsx(rows), "buoi-hoc.xlsx")}).get_data(as_text=True)
    assert "thêm 0, cập nhật 1, không đổi 2" in html
    assert session_count() == 3 and stored[0].attendances == 36


def test_one_bad_row_saves_nothing_and_every_error_has_row_and_column(world, topic, login):
    client = login("officer_a")
    future = (local_today() + timedelta(days=3)).strftime("%d/%m/%Y")
    rows = [["GA", "15/03/2022", "chuyen-de-2022", "Trực tiếp", 34, ""],
            ["GB", "15/03/2022", "chuyen-de-2022", "Trực tiếp", 10, ""],
            ["GA", "32/03/2022", "khong-co", "Hội thảo", "nhiều", ""],
            ["GA", future, "chuyen-de-2022", "Trực tuyến", 0, ""],
            ["GA", "15/03/2022", "chuyen-de-2022", "trực tiếp", 5, ""],
            ["GA", "16/03/2022", "chuyen-de-2022", "Trực tiếp", "²", ""]]  # str.isdigit() but not int()
    html = client.post("/sessions/import", data={"file": (xlsx(rows), "sai.xlsx")}).get_data(as_text=True)
    assert session_count() == 0
    assert "Chưa ghi dòng nào." in html
    expected = [
        ("3", "Mã đơn vị", "Mã đơn vị “GB” không có hoặc không thuộc phạm vi bạn quản lý."),
        ("4", "Ngày", "Ngày “32/03/2022” không hợp lệ (ghi theo dd/mm/yyyy)."),
        ("4", "Số lượt tham dự", "Số lượt tham dự “nhiều” không phải số nguyên."),
        ("4", "Chủ đề", "Không có chuyên đề “khong-co” (ghi mã hoặc tên chuyên đề)."),
        ("4", "Hình thức", "Hình thức “Hội thảo” không có; ghi một trong:"),
        ("5", "Ngày", f"Ngày {future} chưa tới"),
        ("5", "Số lượt tham dự", "Số lượt tham dự phải từ 1 trở lên."),
        ("6", "Ngày", "Trùng đơn vị, ngày, chuyên đề và hình thức với dòng 2"),
        ("7", "Số lượt tham dự", "Số lượt tham dự “²” không phải số nguyên."),
    ]
    for row, column, message in expected:
        assert f"<tr><td>{row}</td><td>{column}</td><td>{message}" in html, (row, column, message)
    assert "Tệp có 9 lỗi trong 6 dòng." in html
    assert "Sì Lở Lầu" not in html


def test_import_refuses_a_file_without_the_columns(world, topic, login):
    html = login("officer_a").post("/sessions/import", data={
        "file": (xlsx([["GA", "x"]], headers=["Mã đơn vị", "Tên"]), "thieu.xlsx")}).get_data(as_text=True)
    assert "Thiếu cột bắt buộc: “Ngày”, “Chủ đề”, “Hình thức”, “Số lượt tham dự”" in html
    assert session_count() == 0


def test_dry_run_and_csv(world, topic, login):
    csv = "Mã đơn vị;Ngày;Chủ đề;Hình thức;Số lượt tham dự;Ghi chú\r\nGA;1/3/2022;chuyen-de-2022;Kết hợp;7;=1+1\r\n"
    client = login("officer_a")
    html = client.post("/sessions/import", data={"file": (io.BytesIO(csv.encode("utf-8-sig")), "b.csv"),
                                                 "dry_run": "y"}).get_data(as_text=True)
    assert "Tệp hợp lệ: 1 dòng" in html and session_count() == 0
    client.post("/sessions/import", data={"file": (io.BytesIO(csv.encode("utf-8-sig")), "b.csv")})
    assert db.session.execute(db.select(StudySession.form, StudySession.notes)).all() == [
        ("combined", "=1+1")]  # a formula is kept as text, never evaluated


def test_template_lists_forms_and_topics_safely(world, topic, login):
    topic.title = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    response = login("officer_a").get("/sessions/import-template.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in workbook["Buổi học tập"][1]] == HEADERS
    guide = [row for row in workbook["Danh mục"].iter_rows(values_only=True)]
    assert ("Trực tiếp", None) in [tuple(r[:2]) for r in guide]
    assert ("chuyen-de-2022", "'=HYPERLINK(\"http://x\")") in [tuple(r[:2]) for r in guide]


def test_every_mistake_is_shown_at_once(world, topic, login):
    html = login("officer_a").post("/sessions/GA/new", data=form_data(
        topic=topic.id, attendances="0", members="0999999999")).get_data(as_text=True)
    assert "Số lượt tham dự phải từ 1 trở lên." in html
    assert "Không tìm thấy đoàn viên có số thẻ hoặc số điện thoại “0999999999”." in html
    assert session_count() == 0


def test_a_session_of_a_topic_since_unpublished_stays_editable(world, topic, login):
    session = study_sessions.record_session(study_sessions.SessionData(
        unit=world.grassroots_a, topic=topic, held_on=date(2022, 3, 15), form="online", attendances=4), world.admin)
    topic.published = False
    db.session.commit()
    response = login("officer_a").post(f"/sessions/{session.id}/edit", data=form_data(topic=topic.id, attendances="6"))
    assert response.headers["Location"] == "/sessions/GA"
    db.session.refresh(session)
    assert session.attendances == 6
