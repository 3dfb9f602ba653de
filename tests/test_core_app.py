import re

import pytest

from app import create_app
from core.extensions import db


def test_healthz_runs_a_query(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    unreachable = create_app({"TESTING": True,
                              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    response = unreachable.test_client().get("/healthz")
    with unreachable.app_context():
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "error"}


def test_refuses_to_start_with_the_default_secret_key(monkeypatch):
    monkeypatch.setattr("config.Config.SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_error_pages_speak_vietnamese(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


HSTS = "Strict-Transport-Security"


@pytest.mark.parametrize("environment,headers,expected", [
    ("production", {"X-Forwarded-Proto": "https"}, True),   # nginx ended TLS and said so
    ("production", {}, False),                              # plain HTTP: the header would be ignored anyway
    ("production", {"X-Forwarded-Proto": "http"}, False),
    ("development", {"X-Forwarded-Proto": "https"}, False),  # a laptop must not pin HTTPS on localhost
])
def test_https_behind_the_proxy_pins_https(environment, headers, expected):
    behind_nginx = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROXY_COUNT": 1,
                               "ENVIRONMENT": environment})
    response = behind_nginx.test_client().get("/healthz", headers=headers)
    with behind_nginx.app_context():
        db.engine.dispose()
    assert (HSTS in response.headers) is expected
    if expected:
        assert "max-age=31536000" in response.headers[HSTS]


def test_base_layout_uses_only_our_own_static_files(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    # Addresses only: a random token in the page (CSRF) may spell "cdn".
    addresses = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert addresses and not [address for address in addresses if "cdn" in address.lower() or "//" in address]


def test_every_static_file_is_served(client):
    for path in ("/static/vendor/bootstrap/bootstrap.min.css", "/static/js/app.js", "/static/css/app.css"):
        response = client.get(path)
        assert response.status_code == 200
        response.close()
