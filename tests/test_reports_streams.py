"""A streamed export that fails: before its first byte, an ordinary Vietnamese error page; after it
(the database lost at row 50,000), a CSV that says in its last line that it is incomplete, and a
log entry. Never a 500 page glued to half a file, nor half a list that looks whole."""
import csv
import io
import logging

import pytest
from sqlalchemy.exc import OperationalError

from core.clock import utcnow
from core.extensions import db
from reports import services
from tests.served import served_alone
from tests.test_reports_views import Q1, results, topic  # noqa: F401 (fixtures)
from units.models import Member

LOST = OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))


def _failing_after(count: int):
    real = services.iter_member_statuses

    def statuses(*args, **kwargs):
        for number, status in enumerate(real(*args, **kwargs)):
            if number == count:
                break
            yield status
        raise LOST
    return statuses


def test_a_failure_mid_stream_ends_the_csv_with_a_line_saying_so(world, topic, results, login,  # noqa: F811
                                                                  monkeypatch, caplog):
    monkeypatch.setattr(services, "iter_member_statuses", _failing_after(1))
    response = login("officer_a").get("/reports/GA/members.csv?" + Q1)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = [row for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig"))) if row]
    assert rows[0][0] == "STT" and len(rows) == 3
    assert rows[-1][0].startswith("LỖI: tệp dừng giữa chừng") and "CHƯA ĐẦY ĐỦ" in rows[-1][0]
    assert any(record.levelno == logging.ERROR and "doan-vien.csv" in record.getMessage()
               for record in caplog.records)


def test_a_failure_before_the_first_row_is_an_error_page(world, topic, results, login, monkeypatch):  # noqa: F811
    monkeypatch.setattr(services, "iter_member_statuses", _failing_after(0))
    response = login("officer_a").get("/reports/GA/members.csv?" + Q1)
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "Máy chủ dữ liệu tạm thời không trả lời" in response.get_data(as_text=True)


@pytest.mark.parametrize("only", ["", "&only=incomplete"])
def test_a_whole_csv_has_no_failure_line(world, topic, results, login, only):  # noqa: F811
    text = login("officer_a").get("/reports/GA/members.csv?" + Q1 + only).data.decode("utf-8-sig")
    assert "LỖI" not in text and text.startswith("STT,")


def test_a_members_csv_longer_than_one_batch_streams_whole_when_served_alone(world, topic, results,  # noqa: F811
                                                                            login):
    """As a server runs it (an app context of its own, unlike the tests' client, whose teardown ends
    the session's transaction before the stream runs): 1,200 members, more than the 500 rows a batch
    of iter_member_statuses reads."""
    now = utcnow()
    db.session.execute(db.insert(Member), [
        {"unit_id": world.grassroots_a.id, "full_name": f"Người Thử {n}", "name_folded": f"nguoi thu {n}",
         "status": "active", "created_at": now, "updated_at": now} for n in range(1200)])
    db.session.commit()
    text = served_alone(login("officer_a"), "/reports/GA/members.csv?" + Q1).get_data().decode("utf-8-sig")
    assert "LỖI" not in text and text.count("\n") > 1200
