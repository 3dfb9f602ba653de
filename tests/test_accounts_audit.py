"""The audit log page: administrators only, filtered by kind of action, person, text and Vietnam days."""
from datetime import datetime

from core import audit
from core.extensions import db


def _entries(world):
    audit.record(world.admin, "role_granted", "user", "tinh", "Cấp quyền cán bộ cho tinh",
                 now=datetime(2026, 3, 31, 16, 30))  # 23:30 on 31/03 in Vietnam
    audit.record(world.officer_a, "members_imported", "unit", "GA", "Nhập 120 đoàn viên vào GA",
                 now=datetime(2026, 3, 31, 17, 30))  # 00:30 on 01/04 in Vietnam
    audit.record(world.organiser, "contest_participant_excluded", "contest_participant", "7",
                 "Loại Trần Văn Nam: dùng hai tài khoản", now=datetime(2026, 4, 2, 2, 0))
    db.session.commit()


def test_administrators_read_and_filter_the_log(world, login):
    _entries(world)
    admin = login("admin")
    page = admin.get("/admin/audit/").get_data(as_text=True)
    assert page.index("Loại Trần Văn Nam") < page.index("Nhập 120 đoàn viên") < page.index("Cấp quyền cán bộ")
    assert "Loại người dự thi" in page and "officer_a" in page and "00:30 01/04/2026" in page

    imports = admin.get("/admin/audit/?group=imports").get_data(as_text=True)
    assert "Nhập 120 đoàn viên" in imports and "Cấp quyền" not in imports.split("<tbody>")[1]
    by_actor = admin.get("/admin/audit/?actor=organiser").get_data(as_text=True)
    assert "Loại Trần Văn Nam" in by_actor and "Nhập 120" not in by_actor
    # Days are Vietnam days: 31/03 holds the 23:30 entry, not the one at 00:30 the next morning.
    march = admin.get("/admin/audit/?from=31/03/2026&to=31/03/2026").get_data(as_text=True)
    assert "Cấp quyền cán bộ" in march and "Nhập 120" not in march
    assert "Loại Trần" in admin.get("/admin/audit/?q=hai tài khoản").get_data(as_text=True)
    bad = admin.get("/admin/audit/?from=32/13/2026").get_data(as_text=True)
    assert "Từ ngày không hợp lệ" in bad


def test_nobody_else_reads_the_log(world, login, client):
    _entries(world)
    for who in ("tinh", "officer_a", "editor", "organiser", "member"):
        assert login(who).get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/").status_code == 302
