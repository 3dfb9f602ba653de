"""Settings read from the environment, with defaults that are safe for local use."""
import os

DEFAULT_SECRET_KEY = "dev-only-not-secret"


def _database_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql://")):
        # Heroku-style URLs name no driver; we ship psycopg 3.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    # None means: a SQLite file in the instance folder (create_app fills it in).
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # "development" serves plain HTTP on a laptop; anything else is production.
    ENVIRONMENT = os.environ.get("HOCTAP_ENV", "production")
    SESSION_COOKIE_SECURE = ENVIRONMENT != "development"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # A CSRF token must outlive the longest timed quiz, so tie it to the session only.
    WTF_CSRF_TIME_LIMIT = None

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto; 0 without one.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    RATELIMIT_HEADERS_ENABLED = True

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    MEMBERS_PER_PAGE = 50
    # Where the public can check a certificate; printed on certificates.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # Rendered certificate PDFs, kept so each is drawn once; None: instance/certificates.
    CERTIFICATE_CACHE = os.environ.get("CERTIFICATE_CACHE")
