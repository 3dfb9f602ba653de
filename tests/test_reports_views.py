"""The report pages: scoping, drill-down, the member list and its filter, exports, print view."""
import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from core.extensions import db
from learning.models import Lesson, StudySession, Topic
from quizzes.models import TopicCompletion
from tests.factories import make_member, make_unit
from units.models import Headcount

Q1 = "topic=chuyen-de-thu&from=2022-01-01&to=2022-03-31"
Q1_HTML = Q1.replace("&", "&amp;")  # as it appears in an href


@pytest.fixture
def topic(world):
    topic = Topic(slug="chuyen-de-thu", title="Chuyên đề thử", kind="annual", year=2022, opens_on=date(2022, 1, 1),
                  due_on=date(2022, 3, 31), published=True)
    db.session.add_all([topic, Lesson(topic=topic, slug="bai-1", title="Bài 1", position=1)])
    db.session.commit()
    return topic


@pytest.fixture
def results(world, topic):
    """In GA: Lò Thị Xuân completed on 10/02/2022, a member named like a formula has not; one more in GB."""
    formula = make_member(world.grassroots_a, "=HYPERLINK(\"http://x\")")
    db.session.add_all([
        TopicCompletion(member_id=world.member_a.id, topic_id=topic.id, completed_at=datetime(2022, 2, 10, 3)),
        StudySession(unit_id=world.grassroots_a.id, topic_id=topic.id, held_on=date(2022, 3, 1), form="in_person",
                     attendances=12),
        Headcount(unit_id=world.grassroots_a.id, period_start=date(2022, 1, 1), period_end=date(2022, 6, 30),
                  headcount=4),
    ])
    db.session.commit()
    return formula


UNIT_URLS = ["/reports/{code}", "/reports/{code}/print", "/reports/{code}/export.xlsx", "/reports/{code}/export.csv",
             "/reports/{code}/members.csv", "/reports/{code}/members.xlsx"]


def member_list(workbook) -> list[dict]:
    """The member sheet's rows below its header row, as header -> value, up to the first empty row."""
    rows = list(workbook["Danh sách đoàn viên"].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == "STT")
    listed = []
    for row in rows[start + 1:]:
        if row[0] is None:
            break
        listed.append(dict(zip(rows[start], row, strict=True)))
    return listed


@pytest.mark.parametrize("url", UNIT_URLS)
def test_an_officer_sees_nothing_of_another_district(world, topic, login, url):
    officer_a = login("officer_a")
    assert officer_a.get(url.format(code="DA") + "?" + Q1).status_code == 200
    assert officer_a.get(url.format(code="GA") + "?" + Q1).status_code == 200
    for code in ("DB", "GB", "P", "NOWHERE"):
        assert officer_a.get(url.format(code=code) + "?" + Q1).status_code == 404


@pytest.mark.parametrize("url", UNIT_URLS)
def test_members_are_refused_and_strangers_sent_to_log_in(world, topic, login, client, url):
    assert login("member").get(url.format(code="GA")).status_code == 403
    response = client.get(url.format(code="GA"))
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]


def test_the_report_opens_at_the_officers_own_unit(world, topic, login):
    assert login("officer_b").get("/reports/").headers["Location"].startswith("/reports/DB")
    assert login("admin").get("/reports/").headers["Location"].startswith("/reports/P")
    assert login("tinh").get("/reports/").headers["Location"].startswith("/reports/P")


def test_unit_names_go_down_a_level(world, topic, results, login):
    page = login("tinh").get("/reports/P?" + Q1).get_data(as_text=True)
    assert f'href="/reports/DA?{Q1_HTML}"' in page and f'href="/reports/DB?{Q1_HTML}"' in page
    assert "TỔNG CỘNG" in page and "Danh sách đoàn viên" not in page
    page = login("tinh").get("/reports/DA?" + Q1).get_data(as_text=True)
    assert f'href="/reports/GA?{Q1_HTML}"' in page
    assert f'href="/reports/P?{Q1_HTML}"' in page  # the breadcrumb goes back up
    assert "Phong Thổ" not in page


def test_headcount_and_delay_are_marked(world, topic, results, login):
    page = login("tinh").get("/reports/DA?" + Q1).get_data(as_text=True)
    assert "Khai báo" in page and "Chậm tiến độ" in page and "25,0%" in page  # 1 of a declared 4
    page = login("tinh").get("/reports/DB?" + Q1).get_data(as_text=True)
    assert "Đếm trên hệ thống" in page


def test_the_grassroots_member_list_and_its_filter(world, topic, results, login):
    officer = login("officer_a")
    page = officer.get("/reports/GA?" + Q1).get_data(as_text=True)
    assert "Lò Thị Xuân" in page and "Hoàn thành" in page and "Chưa bắt đầu" in page
    assert "Tất cả (2)" in page and "Chưa hoàn thành (1)" in page
    page = officer.get("/reports/GA?" + Q1 + "&only=incomplete").get_data(as_text=True)
    assert "Lò Thị Xuân" not in page and "HYPERLINK" in page


def test_the_form_sends_dates_as_shown_and_gets_iso_urls(world, topic, login):
    officer = login("officer_a")
    response = officer.get("/reports/DA?topic=chuyen-de-thu&ky=custom&tu=1/2/2022&den=15.03.2022")
    assert response.headers["Location"] == "/reports/DA?topic=chuyen-de-thu&from=2022-02-01&to=2022-03-15"
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Từ 01/02/2022 đến 15/03/2022" in page and 'value="01/02/2022"' in page
    response = officer.get("/reports/DA?topic=chuyen-de-thu&ky=2022-01-01_2022-06-30")
    assert response.headers["Location"] == "/reports/DA?topic=chuyen-de-thu&from=2022-01-01&to=2022-06-30"
    response = officer.get("/reports/DA?topic=chuyen-de-thu&ky=custom&tu=31/02/2022&den=15/03/2022",
                           follow_redirects=True)
    assert "Ngày không hợp lệ" in response.get_data(as_text=True)
    response = officer.get("/reports/DA?topic=chuyen-de-thu&ky=custom&tu=15/03/2022&den=1/03/2022",
                           follow_redirects=True)
    assert "Ngày bắt đầu kỳ phải trước ngày kết thúc" in response.get_data(as_text=True)
    assert officer.get("/reports/DA?topic=khong-co").status_code == 404
    page = officer.get("/reports/DA?topic=chuyen-de-thu&from=2022-13-01&to=x").get_data(as_text=True)
    assert "kỳ mặc định" in page and "Đến hạn hoàn thành 31/03/2022" in page


def test_the_xlsx_is_a_report_appendix(world, topic, results, login):
    response = login("officer_a").get("/reports/GA/export.xlsx?" + Q1)
    filename = "bao-cao-GA-chuyen-de-thu-20220101-20220331.xlsx"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["Báo cáo"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "PHỤ LỤC: KẾT QUẢ HỌC TẬP, QUÁN TRIỆT CHUYÊN ĐỀ"
    assert rows[1][0] == f"Đơn vị: {world.grassroots_a.name}"
    assert "01/01/2022 – 31/03/2022" in rows[3][0]
    header = next(row for row in rows if row[0] == "Đơn vị")
    total = next(row for row in sheet.iter_rows() if row[0].value == "TỔNG CỘNG")
    values = dict(zip(header, (cell.value for cell in total), strict=True))
    assert values["Số đoàn viên (mẫu số)"] == 4 and values["Hoàn thành"] == 1
    assert values["Nguồn số đoàn viên"] == "Khai báo" and values["Buổi học tập trực tiếp"] == 1
    assert values["Trong đó: Trực tiếp"] == 1 and values["Lượt người dự"] == 12
    rate = total[header.index("Tỷ lệ hoàn thành (%)")]
    assert rate.value == 0.25 and rate.number_format == "0.0%"
    assert isinstance(values["Đoàn viên đang sinh hoạt"], int)
    assert sheet.column_dimensions["A"].width == 48
    assert any(str(row[0]).startswith("• Số liệu tính đến hết ngày cuối kỳ") for row in rows)
    members = member_list(workbook)
    xuan = next(row for row in members if row["Họ và tên"] == "Lò Thị Xuân")
    assert xuan["Tình trạng"] == "Hoàn thành" and xuan["Ngày hoàn thành"] == datetime(2022, 2, 10)
    assert xuan["Số điện thoại"] == world.member_a.phone and xuan["Số thẻ đoàn viên"] == "LC0001"
    assert "'=HYPERLINK(\"http://x\")" in [row["Họ và tên"] for row in members]  # neutralised, never a formula


def test_the_xlsx_of_a_district_has_no_member_sheet(world, topic, results, login):
    workbook = load_workbook(io.BytesIO(login("tinh").get("/reports/P/export.xlsx?" + Q1).data))
    assert workbook.sheetnames == ["Báo cáo"]
    labels = [row[0] for row in workbook["Báo cáo"].iter_rows(values_only=True)]
    assert world.district_a.name in labels and "TỔNG CỘNG" in labels


def test_the_csv_files(world, topic, results, login):
    officer = login("officer_a")
    response = officer.get("/reports/DA/export.csv?" + Q1)
    assert response.mimetype == "text/csv" and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Đơn vị", "Mã đơn vị", "Số đoàn viên (mẫu số)"]
    assert [row[0] for row in rows[1:]] == [world.grassroots_a.name, "TỔNG CỘNG"]
    header = rows[0]
    assert rows[-1][header.index("Tỷ lệ hoàn thành (%)")] == "25.0"
    assert rows[-1][header.index("Chậm tiến độ")] == "Chậm tiến độ"
    response = officer.get("/reports/GA/members.csv?" + Q1)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    xuan = dict(zip(rows[0], next(row for row in rows if row[1] == "Lò Thị Xuân"), strict=True))
    assert xuan["Số điện thoại"] == "0912000001" and xuan["Ngày hoàn thành"] == "10/02/2022"
    response = officer.get("/reports/GA/members.csv?" + Q1 + "&only=incomplete")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == "'=HYPERLINK(\"http://x\")" and rows[1][5] == "Chưa bắt đầu"


def test_a_unit_named_like_a_formula_is_neutralised(world, topic, login):
    make_unit("XX", world.district_a, name="+Công đoàn cơ sở lạ")
    rows = list(csv.reader(io.StringIO(login("officer_a").get("/reports/DA/export.csv?" + Q1)
                                       .data.decode("utf-8-sig"))))
    assert "'+Công đoàn cơ sở lạ" in [row[0] for row in rows]
    workbook = load_workbook(io.BytesIO(login("officer_a").get("/reports/DA/export.xlsx?" + Q1).data))
    assert "'+Công đoàn cơ sở lạ" in [row[0] for row in workbook["Báo cáo"].iter_rows(values_only=True)]


def test_the_print_view(world, topic, results, login):
    page = login("officer_a").get("/reports/GA/print?" + Q1).get_data(as_text=True)
    assert "PHỤ LỤC: KẾT QUẢ HỌC TẬP, QUÁN TRIỆT CHUYÊN ĐỀ" in page and "<svg" in page
    assert "Lò Thị Xuân" in page and "css/reports.css" in page and "style=" not in page


def test_the_page_has_its_charts_and_no_inline_style(world, topic, results, login):
    page = login("tinh").get("/reports/P?" + Q1).get_data(as_text=True)
    assert page.count("<svg") == 2 and "style=" not in page


def _sheet_text(sheet) -> list[str]:
    return [str(value) for row in sheet.iter_rows(values_only=True) for value in row if value is not None]


@pytest.mark.parametrize("url", ["/reports/GA/export.xlsx", "/reports/GA/members.xlsx"])
def test_every_sheet_prints_on_a4_landscape_and_is_signed(world, topic, results, login, url):
    from certificates import services as certificates
    certificates.save_issuer(world.province, actor=None, body_lines="Liên đoàn Lao động tỉnh Thử", place="Lai Châu",
                             signer_title="TM. BAN THƯỜNG VỤ", signer_name="Nguyễn Văn A", serial_suffix="GCN")
    db.session.commit()
    workbook = load_workbook(io.BytesIO(login("officer_a").get(url + "?" + Q1).data))
    assert "Danh sách đoàn viên" in workbook.sheetnames
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and setup.paperSize == int(sheet.PAPERSIZE_A4)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        header_row = next(row[0].row for row in sheet.iter_rows() if row[0].value in ("Đơn vị", "STT"))
        assert sheet.print_title_rows == f"${header_row}:${header_row}"  # the table's header on every page
        if sheet.title == "Danh sách đoàn viên":
            assert sheet.freeze_panes == f"A{header_row + 1}"
        text = _sheet_text(sheet)
        assert "Lai Châu, ngày …… tháng …… năm ……" in text
        assert "NGƯỜI LẬP BIỂU" in text and "TM. BAN THƯỜNG VỤ" in text
        assert text.index("Lai Châu, ngày …… tháng …… năm ……") > text.index("Đơn vị" if sheet.title == "Báo cáo"
                                                                               else "STT")


def test_without_a_certificate_issuer_the_place_is_left_to_write_by_hand(world, topic, results, login):
    workbook = load_workbook(io.BytesIO(login("officer_a").get("/reports/GA/members.xlsx?" + Q1).data))
    assert "……………, ngày …… tháng …… năm ……" in _sheet_text(workbook.active)


def test_a_filtered_member_list_says_so_in_its_title_and_file_name(world, topic, results, login):
    officer = login("officer_a")
    for url, name in (("/reports/GA/members.xlsx", "bao-cao-GA-chuyen-de-thu-20220101-20220331-doan-vien"),
                      ("/reports/GA/export.xlsx", "bao-cao-GA-chuyen-de-thu-20220101-20220331")):
        everyone = officer.get(url + "?" + Q1)
        assert everyone.headers["Content-Disposition"] == f'attachment; filename="{name}.xlsx"'
        title = load_workbook(io.BytesIO(everyone.data))["Danh sách đoàn viên"]["A1"].value
        assert title == "DANH SÁCH ĐOÀN VIÊN VÀ KẾT QUẢ HỌC TẬP CHUYÊN ĐỀ"
        filtered = officer.get(url + "?" + Q1 + "&only=incomplete")
        assert filtered.headers["Content-Disposition"] == f'attachment; filename="{name}-chua-hoan-thanh.xlsx"'
        workbook = load_workbook(io.BytesIO(filtered.data))
        assert workbook["Danh sách đoàn viên"]["A1"].value == "DANH SÁCH ĐOÀN VIÊN CHƯA HOÀN THÀNH CHUYÊN ĐỀ"
        assert [row["Họ và tên"] for row in member_list(workbook)] == ["'=HYPERLINK(\"http://x\")"]
    response = officer.get("/reports/GA/members.csv?" + Q1 + "&only=incomplete")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="bao-cao-GA-chuyen-de-thu-20220101-20220331-doan-vien-chua-hoan-thanh.csv"')


def test_no_cell_of_any_sheet_is_a_formula(world, topic, results, login):
    make_member(world.grassroots_a, "@SUM(1+1)", card_number="LC-9")
    make_unit("XX", world.district_a, name="+Công đoàn cơ sở lạ")
    officer = login("officer_a")
    for url in ("/reports/DA/export.xlsx", "/reports/GA/export.xlsx", "/reports/GA/members.xlsx"):
        workbook = load_workbook(io.BytesIO(officer.get(url + "?" + Q1).data))
        cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
        assert cells and all(cell.data_type != "f" for cell in cells)
        assert not [cell.value for cell in cells
                    if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@"))]


def test_the_page_lists_phones_for_the_officer_and_links_the_xlsx(world, topic, results, login):
    page = login("officer_a").get("/reports/GA?" + Q1 + "&only=incomplete").get_data(as_text=True)
    assert f'href="/reports/GA/members.xlsx?{Q1_HTML}&amp;only=incomplete"' in page
    page = login("officer_a").get("/reports/GA?" + Q1).get_data(as_text=True)
    assert "LC0001 · 0912000001" in page


@pytest.mark.parametrize("period", ["from=0001-01-01&to=9999-12-31", "from=0001-01-01&to=2022-03-31",
                                    "from=2022-01-01&to=9999-12-31"])
@pytest.mark.parametrize("url", UNIT_URLS)
def test_the_farthest_days_a_person_can_type_are_a_period_too(world, topic, results, login, period, url):
    response = login("admin").get(url.format(code="GA") + f"?topic=chuyen-de-thu&{period}")
    assert response.status_code == 200
    body = response.get_data()  # read to its end before the next request
    if url.endswith("members.csv"):  # the same member list as the period that holds every completion
        expected = login("admin").get(url.format(code="GA") + "?" + Q1).get_data(as_text=True)
        assert body.decode().splitlines()[1:] == expected.splitlines()[1:]
