"""Settings read from the environment, then from the instance folder, with defaults safe for local use.

`make run` writes its choices to instance/settings.env and its key to instance/secret_key, so that
a `flask` command typed in another terminal uses the same database, environment and key as the
server; a production server may keep its settings there too. The process environment wins.
"""
import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-not-secret"
# Flask's instance_path for app.py. HOCTAP_INSTANCE_PATH (environment only: settings.env lives
# there) gives each app server of one checkout its own, as deploy/ and bench/topology.py do.
INSTANCE_DIR = Path(os.environ.get("HOCTAP_INSTANCE_PATH") or Path(__file__).resolve().parent / "instance")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _instance_settings() -> dict[str, str]:
    """NAME=value lines of instance/settings.env; blank lines and # comments skipped."""
    pairs = (line.split("=", 1) for line in _read(INSTANCE_DIR / "settings.env").splitlines()
             if "=" in line and not line.lstrip().startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


_INSTANCE_SETTINGS = _instance_settings()


def _setting(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, _INSTANCE_SETTINGS.get(name, default))


def _database_url() -> str | None:
    url = _setting("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql://")):
        # Heroku-style URLs name no driver; we ship psycopg 3.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Config:
    SECRET_KEY = _setting("SECRET_KEY") or _read(INSTANCE_DIR / "secret_key").strip() or DEFAULT_SECRET_KEY
    # None means: a SQLite file in the instance folder (create_app fills it in).
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # "development" serves plain HTTP on a laptop; anything else is production.
    ENVIRONMENT = _setting("HOCTAP_ENV", "production")
    SESSION_COOKIE_SECURE = ENVIRONMENT != "development"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # A CSRF token must outlive the longest timed quiz, so tie it to the session only.
    WTF_CSRF_TIME_LIMIT = None

    # Counters of the rate limits and login lock-outs. memory:// keeps them in each worker; with
    # several workers or app servers name one Redis for all (redis://host:6379/0), so that a
    # limit counts a person's requests whichever server answers them.
    # One line per event on standard error (core/logs.py): DEBUG, INFO, WARNING or ERROR.
    LOG_LEVEL = _setting("LOG_LEVEL", "INFO")
    LOG_FORMAT = _setting("LOG_FORMAT", "%(asctime)s %(levelname)s %(name)s %(message)s")

    # Argon2id, 19 MiB and two passes (OWASP's first choice; ~20 ms of CPU a hash, on purpose):
    # argon2id:<memory KiB>:<passes>:<lanes>, see accounts/passwords.py. Raising it makes each
    # stored hash again at its owner's next login. The test suite alone passes a tiny one.
    PASSWORD_HASH_METHOD = "argon2id:19456:2:1"

    RATELIMIT_STORAGE_URI = _setting("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = _setting("RATELIMIT_KEY_PREFIX", "hoctap")  # apart from anything else in that Redis
    # Redis out of reach: count in each worker's memory meanwhile rather than refuse every request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto; 0 without one.
    PROXY_COUNT = int(_setting("PROXY_COUNT", "0"))
    RATELIMIT_HEADERS_ENABLED = True

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

    MAX_CONTENT_LENGTH = int(_setting("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    MEMBERS_PER_PAGE = 50
    # A quiz page's script sends the answers chosen meanwhile together, at most this often (seconds),
    # and at once near the end, when the page is hidden or the network returns, and with the hand-in.
    QUIZ_SAVE_EVERY_SECONDS = int(_setting("QUIZ_SAVE_EVERY_SECONDS", "15"))
    # Where the public can check a certificate; printed on certificates.
    PUBLIC_BASE_URL = _setting("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # Rendered certificate PDFs, kept so each is drawn once; None: instance/certificates.
    CERTIFICATE_CACHE = _setting("CERTIFICATE_CACHE")
    # Units' signed plan files (làm theo); None: instance/lamtheo/plans. Back it up with the database.
    LAMTHEO_PLAN_DIR = _setting("LAMTHEO_PLAN_DIR")
    # Photos of "Gương sáng" stories (files: back them up with the database); None: instance/lamtheo/photos.
    STORY_PHOTO_DIR = _setting("STORY_PHOTO_DIR")
