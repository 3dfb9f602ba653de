"""API tokens (page and terminal) and the JSON API: 401, 403, 404, 400, 429 and figures equal to the report's."""
import json
from datetime import date

import pytest

from accounts import services as accounts
from accounts import tokens
from accounts.models import ApiToken
from app import create_app
from core.extensions import db
from core.models import AuditEntry
from learning import study_sessions
from learning.models import Topic
from reports import services

URL = "/api/v1/units/{code}/completion?topic=chuyen-de-2022&from=2022-01-01&to=2022-03-31"


@pytest.fixture
def topic(world):
    topic = Topic(slug="chuyen-de-2022", title="Chuyên đề năm 2022", kind="annual", year=2022, published=True,
                  opens_on=date(2022, 1, 1), due_on=date(2022, 3, 31))
    db.session.add(topic)
    db.session.commit()
    study_sessions.record_session(study_sessions.SessionData(
        unit=world.grassroots_a, topic=topic, held_on=date(2022, 2, 10), form="meeting", attendances=17), world.admin)
    db.session.commit()
    return topic


def make_token(user) -> str:
    _, token = tokens.create_token(user, "Phần mềm báo cáo", user)
    db.session.commit()
    return token


def call(client, token: str | None, code: str = "DA", url: str = URL):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url.format(code=code), headers=headers)


def test_figures_equal_the_report_page(world, topic, client):
    token = make_token(world.officer_a)
    response = call(client, token)
    assert response.status_code == 200 and response.mimetype == "application/json"
    expected = services.report_as_dict(services.completion_report(
        world.district_a, topic, services.Period.custom(date(2022, 1, 1), date(2022, 3, 31))))
    assert response.get_json() == json.loads(json.dumps(expected))
    body = response.get_json()
    assert body["unit"] == {"code": "DA", "name": "Liên đoàn Lao động huyện Tam Đường", "kind": "district"}
    assert body["period"] == {"from": "2022-01-01", "to": "2022-03-31"}
    assert body["totals"]["attendances"] == 17 and body["totals"]["members"] == 1
    assert {"headcount", "members", "started", "studied_all", "passed", "completed", "completion_rate",
            "certificates", "sessions", "attendances"} <= set(body["totals"])
    assert [child["code"] for child in body["children"]] == ["GA"]
    assert "Tam Đường" in response.get_data(as_text=True)  # Vietnamese as it is, not \\u escapes


def test_last_used_is_recorded(world, topic, client):
    token = make_token(world.officer_a)
    call(client, token)
    row = db.session.scalars(db.select(ApiToken)).one()
    db.session.refresh(row)
    assert row.last_used_at is not None


@pytest.mark.parametrize("header,challenge", [
    (None, 'Bearer realm="hoctap"'),
    ("Bearer khong-phai-khoa", 'Bearer realm="hoctap", error="invalid_token"'),
    ("Basic YWRtaW46YWRtaW4=", 'Bearer realm="hoctap"'),
])
def test_401_without_a_valid_token(world, topic, client, header, challenge):
    response = client.get(URL.format(code="DA"), headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == challenge
    assert response.get_json()["error"].startswith(("Thiếu khóa truy cập", "Khóa truy cập không hợp lệ"))


def test_revoked_and_disabled_tokens_get_401(world, topic, client):
    token = make_token(world.officer_a)
    row = db.session.scalars(db.select(ApiToken)).one()
    tokens.revoke_token(row, world.officer_a)
    db.session.commit()
    assert call(client, token).status_code == 401
    other = make_token(world.officer_b)
    world.officer_b.is_enabled = False
    db.session.commit()
    assert call(client, other, "DB").status_code == 401


def test_an_account_stopped_and_opened_again_gets_no_old_token_or_session_back(world, topic, client, login):
    token = make_token(world.officer_a)
    browser = login("officer_a")
    assert call(client, token).status_code == 200 and browser.get("/units/DA").status_code == 200
    accounts.set_enabled(world.officer_a, False, world.admin)
    db.session.commit()
    accounts.set_enabled(world.officer_a, True, world.admin)
    db.session.commit()
    assert call(client, token).status_code == 401
    assert browser.get("/units/DA").status_code == 302  # to the login page
    assert login("officer_a").get("/units/DA").status_code == 200  # a new login works


def test_a_token_of_someone_no_longer_an_officer_gets_nothing(world, topic, client):
    token = make_token(world.officer_a)
    accounts.revoke_role(world.officer_a.roles[0], world.admin)
    db.session.commit()
    response = call(client, token)
    assert response.status_code == 403 and "không còn là cán bộ" in response.get_json()["error"]
    assert "totals" not in response.get_json()


@pytest.mark.parametrize("owner,code,status", [("officer_a", "DA", 200), ("officer_a", "GA", 200),
                                               ("officer_a", "DB", 404), ("officer_a", "GB", 404),
                                               ("officer_a", "P", 404), ("officer_a", "KHONG-CO", 404),
                                               ("province_officer", "DB", 200), ("admin", "GB", 200)])
def test_scope_is_the_owners(world, topic, client, owner, code, status):
    response = call(client, make_token(getattr(world, owner)), code)
    assert response.status_code == status
    if status == 404:
        assert response.get_json() == {"error": f"Không có đơn vị mã “{code}” trong phạm vi của khóa này."}


@pytest.mark.parametrize("query,message", [
    ("from=2022-01-01&to=2022-03-31", "Thiếu tham số topic (mã chuyên đề, ví dụ chuyen-de-2022)."),
    ("topic=khong-co&from=2022-01-01&to=2022-03-31", "Không có chuyên đề mã “khong-co”."),
    ("topic=chuyen-de-2022&to=2022-03-31", "Thiếu tham số from (ngày dạng YYYY-MM-DD)."),
    ("topic=chuyen-de-2022&from=2022-01-01&to=31/03/2022",
     "Ngày to=“31/03/2022” không hợp lệ: ghi theo YYYY-MM-DD, ví dụ 2022-03-31."),
    ("topic=chuyen-de-2022&from=2022-02-30&to=2022-03-31",
     "Ngày from=“2022-02-30” không hợp lệ: ghi theo YYYY-MM-DD, ví dụ 2022-03-31."),
    ("topic=chuyen-de-2022&from=2022-04-01&to=2022-03-31", "Ngày from phải trước hoặc bằng ngày to."),
])
def test_400_in_vietnamese(world, topic, client, query, message):
    response = call(client, make_token(world.officer_a), url="/api/v1/units/{code}/completion?" + query)
    assert response.status_code == 400 and response.get_json() == {"error": message}


def test_rate_limited_per_token(world, topic, app):
    limited = create_app({"TESTING": True, "RATELIMIT_ENABLED": True,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    token, other = make_token(world.officer_a), make_token(world.officer_b)
    client = limited.test_client()
    for _ in range(60):
        assert call(client, token, "KHONG-CO").status_code == 404
    response = call(client, token, "KHONG-CO")
    assert response.status_code == 429 and "60 lần mỗi phút" in response.get_json()["error"]
    assert call(client, other, "KHONG-CO").status_code == 404  # another token has its own budget
    with limited.app_context():
        db.engine.dispose()


# -- tokens in the UI ------------------------------------------------------------------------

def test_token_is_shown_once_and_stored_hashed(world, topic, login, client):
    page_client = login("officer_a")
    response = page_client.post("/accounts/api-tokens/", data={"name": "Phần mềm báo cáo huyện"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    token = html.split('id="token-value" value="')[1].split('"')[0]
    row = db.session.scalars(db.select(ApiToken)).one()
    assert row.token_hash == tokens.token_hash(token) and token not in (row.token_hash, row.prefix)
    assert row.prefix == token[:8] and row.user_id == world.officer_a.id
    assert token not in page_client.get("/accounts/api-tokens/").get_data(as_text=True)
    assert call(client, token).status_code == 200

    response = page_client.post(f"/accounts/api-tokens/{row.id}/revoke")
    assert response.headers["Location"] == "/accounts/api-tokens/"
    assert "Đã thu hồi" in page_client.get("/accounts/api-tokens/").get_data(as_text=True)
    assert call(client, token).status_code == 401
    actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.action.like("api_token%"))).all()
    assert actions == ["api_token_created", "api_token_revoked"]


def test_token_page_rules(world, login):
    row, _ = tokens.create_token(world.officer_b, "Của huyện khác", world.officer_b)
    db.session.commit()
    client = login("officer_a")
    assert client.post(f"/accounts/api-tokens/{row.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, row.id).revoked_at is None
    html = client.post("/accounts/api-tokens/", data={"name": "  "}).get_data(as_text=True)
    assert "Hãy đặt tên cho khóa." in html and db.session.scalar(db.select(db.func.count(ApiToken.id))) == 1
    assert login("member").get("/accounts/api-tokens/").status_code == 403
    assert client.get("/accounts/api-tokens/").status_code == 200


# -- tokens from the terminal ----------------------------------------------------------------

def test_cli_prints_the_token_last_and_it_works(world, topic, runner, client):
    result = runner.invoke(args=["api-token", "create", "officer_a", "--name", "Cổng thống kê"])
    assert result.exit_code == 0, result.output
    token = result.output.split()[-1]
    assert call(client, token).status_code == 200
    assert db.session.scalars(db.select(ApiToken.name)).all() == ["Cổng thống kê"]


@pytest.mark.parametrize("username,message", [("khong-co", "Không có tài khoản “khong-co”."),
                                              ("member", "không phải cán bộ công đoàn hay quản trị")])
def test_cli_refuses(world, runner, username, message):
    result = runner.invoke(args=["api-token", "create", username])
    assert result.exit_code == 1 and message in result.output
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


@pytest.mark.parametrize("period", ["from=0001-01-01&to=9999-12-31", "from=0001-01-01&to=2022-03-31",
                                    "from=2022-01-01&to=9999-12-31"])
def test_the_farthest_days_are_a_period_too(world, topic, client, period):
    token = make_token(world.officer_a)
    response = call(client, token, url=URL.replace("from=2022-01-01&to=2022-03-31", period))
    assert response.status_code == 200
    assert json.loads(response.data)["totals"]["attendances"] == 17
