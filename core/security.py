"""Response headers that every page carries, and where a redirect may lead."""
from urllib.parse import urlsplit

from flask import request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
])


def same_site_path(target: str) -> str | None:
    r"""``target`` if it is a path on this site, else None.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so
    "/\t/host" or "/\host" lead to //host: any control character, space or backslash
    refuses the target, and what remains must parse with no scheme and no host."""
    if any(ch.isspace() or ch == "\\" or ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def register(app) -> None:
    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Behind nginx, ProxyFix (PROXY_COUNT) makes a request that came over HTTPS secure here.
        if request.is_secure and app.config["ENVIRONMENT"] != "development":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
