"""The app as gunicorn serves it for bench/attempts.py: `create_app()` with rate limits off.

    gunicorn --workers 4 --bind 127.0.0.1:8411 bench.wsgi:app     (from the project root)

config.py reads no switch for Flask-Limiter from the environment, hence this wrapper.
Limits are off because every simulated member comes from 127.0.0.1 and does attempts
back to back: `start` allows 20 a minute and `answer` 300 a minute per address, which
the benchmark passes within seconds. Everything else is the production configuration
(SECRET_KEY and DATABASE_URL from the environment, Secure cookies, CSRF on).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402

app = create_app({"RATELIMIT_ENABLED": False})
