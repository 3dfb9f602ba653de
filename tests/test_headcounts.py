"""Headcounts: an officer declares the members of their unit for a period, beside the counted ones."""
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from core.clock import local_today
from core.extensions import db
from core.models import AuditEntry
from reports import services as reports
from units import headcounts
from units.errors import UnitError
from units.models import Headcount


def declared() -> list[tuple]:
    return db.session.execute(db.select(Headcount.unit_id, Headcount.period_start, Headcount.period_end,
                                        Headcount.headcount).order_by(Headcount.id)).all()


def test_declaring_again_replaces_the_number_and_the_log_keeps_both(world):
    unit = world.grassroots_a
    headcounts.declare(unit, date(2022, 1, 1), date(2022, 6, 30), 30, world.officer_a, now=datetime(2022, 2, 1, 3))
    row = headcounts.declare(unit, date(2022, 1, 1), date(2022, 6, 30), 34, world.officer_a,
                             now=datetime(2022, 2, 2, 3))
    headcounts.declare(unit, date(2022, 1, 1), date(2022, 12, 31), 35, world.officer_a)
    db.session.commit()
    assert declared() == [(unit.id, date(2022, 1, 1), date(2022, 6, 30), 34),
                          (unit.id, date(2022, 1, 1), date(2022, 12, 31), 35)]
    assert row.declared_by_id == world.officer_a.id and row.declared_at == datetime(2022, 2, 2, 3)
    summaries = [entry.summary for entry, actor in headcounts.history(unit)]
    assert summaries == ["Khai báo 35 đoàn viên cho Cả năm 2022", "Khai báo 34 đoàn viên cho 6 tháng đầu năm 2022 "
                         "(trước: 30)", "Khai báo 30 đoàn viên cho 6 tháng đầu năm 2022"]


@pytest.mark.parametrize("start,end,number,message", [
    (date(2022, 7, 1), date(2022, 6, 30), 10, "Ngày kết thúc không được trước ngày bắt đầu."),
    (date(2022, 1, 1), date(2022, 6, 30), -1, "Số đoàn viên không hợp lệ."),
])
def test_bad_declarations_are_refused(world, start, end, number, message):
    with pytest.raises(UnitError) as error:
        headcounts.declare(world.grassroots_a, start, end, number, world.officer_a)
    assert error.value.message == message


def test_presets_are_the_report_periods_of_this_year_and_the_last(app):
    labels = [(p.label, p.start, p.end) for p in headcounts.presets(date(2024, 5, 3))]
    assert labels[:3] == [("6 tháng đầu năm 2024", date(2024, 1, 1), date(2024, 6, 30)),
                          ("6 tháng cuối năm 2024", date(2024, 7, 1), date(2024, 12, 31)),
                          ("Cả năm 2024", date(2024, 1, 1), date(2024, 12, 31))]
    assert [p.label for p in headcounts.presets(date(2024, 5, 3))[3:]] == [
        "6 tháng đầu năm 2023", "6 tháng cuối năm 2023", "Cả năm 2023"]
    assert reports.presets(SimpleNamespace(due_on=None, year=2024), date(2024, 5, 3)) == \
        headcounts.presets(date(2024, 5, 3))[:3]  # one chooser: reports offer the same periods
    assert headcounts.period_label(date(2023, 1, 1), date(2023, 12, 31)) == "Cả năm 2023"
    assert headcounts.period_label(date(2023, 2, 1), date(2023, 3, 31)) == "01/02/2023 – 31/03/2023"


@pytest.mark.parametrize("username,status", [("officer_a", 200), ("tinh", 200), ("admin", 200), ("officer_b", 404),
                                             ("member", 403), ("editor", 403)])
def test_headcount_page_by_role(world, login, username, status):
    row = headcounts.declare(world.grassroots_a, date(2022, 1, 1), date(2022, 6, 30), 30, world.officer_a)
    db.session.commit()
    client = login(username)
    assert client.get("/units/GA/headcounts").status_code == status
    response = client.post("/units/GA/headcounts", data={"period": "custom", "start": "01/01/2022",
                                                         "end": "31/03/2022", "headcount": "5"})
    assert response.status_code == (302 if status == 200 else status)
    response = client.post(f"/units/GA/headcounts/{row.id}/delete")
    assert response.status_code == (302 if status == 200 else status)


def test_officer_declares_a_preset_period_beside_the_counted_members(world, login):
    client = login("officer_a")
    year = local_today().year
    page = client.get("/units/GA/headcounts").get_data(as_text=True)
    assert "Đang sinh hoạt trực tiếp tại đơn vị, đếm trên hệ thống hôm nay: 1 đoàn viên." in page
    assert f"6 tháng đầu năm {year} (01/01/{year} – 30/06/{year})" in page
    response = client.post("/units/GA/headcounts", data={"period": f"{year}-01-01_{year}-06-30", "headcount": "34"})
    assert response.headers["Location"] == "/units/GA/headcounts"
    assert declared() == [(world.grassroots_a.id, date(year, 1, 1), date(year, 6, 30), 34)]
    page = client.get("/units/GA/headcounts").get_data(as_text=True)
    assert f"Đã lưu: 34 đoàn viên cho 6 tháng đầu năm {year}." in page
    assert "<strong>34</strong>" in page and "Khai báo 34 đoàn viên" in page
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="headcount_declared")).one()
    assert (entry.actor_id, entry.target_id, entry.details["headcount"]) == (world.officer_a.id, "GA", 34)


@pytest.mark.parametrize("data,message", [
    ({"period": "custom", "start": "", "end": "31/03/2022", "headcount": "5"},
     "Kỳ tùy chọn cần cả ngày bắt đầu và ngày kết thúc (dd/mm/yyyy)."),
    ({"period": "custom", "start": "01/04/2022", "end": "31/03/2022", "headcount": "5"},
     "Ngày kết thúc không được trước ngày bắt đầu."),
    ({"period": "custom", "start": "1/13/2022", "end": "31/03/2022", "headcount": "5"},
     "Ngày không hợp lệ: ghi theo dd/mm/yyyy, ví dụ 31/03/2024."),
    ({"period": "custom", "start": "01/01/2022", "end": "31/03/2022", "headcount": "-3"},
     "Số đoàn viên phải từ 0 trở lên."),
    ({"period": "custom", "start": "01/01/2022", "end": "31/03/2022", "headcount": ""}, "Hãy nhập số đoàn viên."),
])
def test_bad_input_is_named_and_nothing_is_saved(world, login, data, message):
    response = login("officer_a").post("/units/GA/headcounts", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert declared() == []


def test_removing_a_declaration_is_logged(world, login):
    row = headcounts.declare(world.grassroots_a, date(2022, 1, 1), date(2022, 6, 30), 30, world.officer_a)
    db.session.commit()
    client = login("officer_a")
    assert client.post(f"/units/DA/headcounts/{row.id}/delete").status_code == 404  # not this unit's
    client.post(f"/units/GA/headcounts/{row.id}/delete")
    assert declared() == []
    page = client.get("/units/GA/headcounts").get_data(as_text=True)
    assert "Xóa khai báo 30 đoàn viên cho 6 tháng đầu năm 2022" in page
