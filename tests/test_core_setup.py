"""A federation sets up its own instance: README's production path, through the CLI and the first login.

The schema comes from the fixture (tests/test_core_migrations.py checks `db upgrade`); every
later step runs as the IT officer types it.
"""
import re

import pytest

from accounts.models import User
from core import demo
from core.extensions import db
from tests.factories import make_unit, make_user
from units import demo as units_demo
from units import demo_guard
from units.models import Member, Unit

PASSWORD = "Lai-Chau-2026!"
UNITS_CSV = ("Mã đơn vị,Tên đơn vị,Loại,Mã đơn vị cấp trên\n"
             "LDLD-DB,Liên đoàn Lao động tỉnh Điện Biên,province,\n"
             "LDLD-MN,Liên đoàn Lao động huyện Mường Nhé,district,LDLD-DB\n"
             "CDCS-MN-THPT,Công đoàn cơ sở Trường THPT Mường Nhé,grassroots,LDLD-MN\n")
MEMBERS_CSV = ("Họ và tên,Mã đơn vị,Số thẻ đoàn viên,Số điện thoại,Năm sinh,Giới tính\n"
               "Lò Văn Pọm,CDCS-MN-THPT,DB000001,0915000001,1980,Nam\n"
               "Giàng Thị Súa,CDCS-MN-THPT,DB000002,0915000002,1992,Nữ\n")


def _one_time_password(page: str) -> str:
    return re.search(r'Mật khẩu</th><td class="pw">([a-z0-9]{10})</td>', page).group(1)


def test_the_readme_production_path_ends_with_the_officer_at_work(app, runner, tmp_path):
    assert "Bài học: thêm" in runner.invoke(args=["content", "sync"]).output

    created = runner.invoke(args=["users", "create-admin", "quantri", "--full-name", "Nguyễn Văn An"],
                            input=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.exit_code == 0, created.output
    assert PASSWORD not in created.output  # asked with hidden input, never echoed

    (tmp_path / "don-vi.csv").write_text(UNITS_CSV, encoding="utf-8")
    (tmp_path / "doan-vien.csv").write_text(MEMBERS_CSV, encoding="utf-8")
    for group, name in (("units", "don-vi.csv"), ("members", "doan-vien.csv")):
        result = runner.invoke(args=[group, "import", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(db.func.count(Unit.id))) == 3
    assert db.session.scalar(db.select(db.func.count(Member.id))) == 2

    admin = app.test_client()
    response = admin.post("/accounts/login", data={"identifier": "quantri", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    issued = admin.post("/accounts/users", data={"username": "mn.canbo", "full_name": "Vàng A Dế"})
    one_time = _one_time_password(issued.get_data(as_text=True))
    officer_id = db.session.scalar(db.select(User.id).where(User.username == "mn.canbo"))
    admin.post(f"/accounts/users/{officer_id}", data={"role": "officer", "unit_code": "LDLD-MN"})

    officer = app.test_client()
    officer.post("/accounts/login", data={"identifier": "mn.canbo", "password": one_time})
    officer.post("/accounts/password", data={"current": one_time, "new": "Muong-Nhe-2026", "confirm": "Muong-Nhe-2026"})
    members = officer.get("/units/CDCS-MN-THPT/members").get_data(as_text=True)
    assert "Lò Văn Pọm" in members and "Giàng Thị Súa" in members
    assert officer.get("/units/LDLD-DB/members").status_code == 404  # above the officer's unit

    # No demo data, and none can come in by mistake.
    assert db.session.scalar(db.select(User.id).where(User.username.in_(["admin", "doanvien"]))) is None
    refused = runner.invoke(args=["seed-demo", "--force"])
    assert refused.exit_code == 1 and "tài khoản hoặc đơn vị thật" in refused.output
    assert db.session.scalar(db.select(User.id).where(User.username == "admin")) is None


def test_a_generated_password_is_shown_once_and_must_be_changed(app, runner):
    result = runner.invoke(args=["users", "create-admin", "quantri", "--generate"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    client = app.test_client()
    client.post("/accounts/login", data={"identifier": "quantri", "password": password})
    assert client.get("/accounts/users").headers["Location"].endswith("/accounts/password")


def test_create_admin_refuses_a_weak_password_and_never_takes_one_on_the_command_line(app, runner):
    weak = runner.invoke(args=["users", "create-admin", "quantri"], input="12345678\n")
    assert weak.exit_code != 0 and "quá phổ biến" in weak.output
    on_the_line = runner.invoke(args=["users", "create-admin", "quantri", "--password", PASSWORD])
    assert on_the_line.exit_code != 0
    assert db.session.scalar(db.select(User.id)) is None


def test_create_admin_keeps_an_existing_account(app, runner):
    make_user("quantri")
    result = runner.invoke(args=["users", "create-admin", "quantri"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1 and "Đã có tài khoản" in result.output


@pytest.fixture
def seeded(app):
    """seed-demo with a stand-in for the demo's seeders: what is tested is the guard."""
    calls = []
    app.cli.add_command(demo.seed_demo_command(seeders=[lambda: calls.append("seeded") or []],
                                               refusals=[demo_guard.real_data_reason]))
    return calls


def test_seed_demo_refuses_outside_development_unless_forced(app, runner, seeded):
    app.config["ENVIRONMENT"] = "production"
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code == 1 and "production" in refused.output and not seeded
    assert runner.invoke(args=["seed-demo", "--force"]).exit_code == 0 and seeded == ["seeded"]


@pytest.mark.parametrize("real", ["first administrator", "imported unit", "demo admin with its own password"])
def test_seed_demo_refuses_on_real_data_even_when_forced(app, runner, seeded, real):
    app.config["ENVIRONMENT"] = "development"
    if real == "first administrator":
        make_user("quantri", "admin", password=PASSWORD)
    elif real == "imported unit":
        make_unit("LDLD-DB", kind="province")
    else:
        make_user("admin", "admin", password=PASSWORD)
    db.session.commit()
    refused = runner.invoke(args=["seed-demo", "--force"])
    assert refused.exit_code == 1 and "thật" in refused.output and not seeded


def test_seed_demo_runs_again_on_the_demo_database(app, runner, seeded):
    app.config["ENVIRONMENT"] = "development"
    make_user("admin", "admin", password=units_demo.DEMO_PASSWORD)
    make_user("0980000001")  # a contestant who registered while trying the demo
    make_unit(units_demo.PROVINCE, kind="province")
    db.session.commit()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0 and seeded == ["seeded"]
