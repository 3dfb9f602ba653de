"""Personal API tokens: shown once when created, stored only as their SHA-256, scoped like their owner.

Plain functions; the caller commits.
"""
import hashlib
import secrets

from accounts.models import ApiToken, User
from core import audit
from core.clock import utcnow
from core.errors import Refusal
from core.extensions import db
from core.text import clean_name

PREFIX_LENGTH = 8
MAX_NAME = 120


class TokenError(Refusal):
    """The token's name breaks a rule."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, actor, *, now=None) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row, and the token itself, which is never stored and never shown again."""
    name = clean_name(name)
    if not name:
        raise TokenError("Tên khóa không được để trống.")
    if len(name) > MAX_NAME:
        raise TokenError(f"Tên khóa không được dài quá {MAX_NAME} ký tự.")
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token), prefix=token[:PREFIX_LENGTH],
                   created_at=now or utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "api_token_created", "user", user.id,
                 f"Tạo khóa truy cập API “{name}” ({row.prefix}…) cho {user.username}",
                 {"token_id": row.id, "prefix": row.prefix}, now=now)
    return row, token


def revoke_token(row: ApiToken, actor, *, now=None) -> None:
    if row.revoked_at is not None:
        return
    row.revoked_at = now or utcnow()
    audit.record(actor, "api_token_revoked", "user", row.user_id,
                 f"Thu hồi khóa truy cập API “{row.name}” ({row.prefix}…)", {"token_id": row.id}, now=now)
    db.session.flush()


def revoke_all(user: User, actor, *, now=None) -> None:
    """End every live token of ``user``: called with a new password, since whoever held the old one
    could have made tokens with it."""
    for row in db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id,
                                                            ApiToken.revoked_at.is_(None))).all():
        revoke_token(row, actor, now=now)


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                                             ApiToken.id.desc())))


def use_token(token: str | None, *, now=None) -> ApiToken | None:
    """The live token presented (not revoked, its owner's account enabled), marked as used; else None."""
    if not token:
        return None
    row = db.session.scalars(db.select(ApiToken).where(ApiToken.token_hash == token_hash(token),
                                                       ApiToken.revoked_at.is_(None))).one_or_none()
    if row is None or not row.user.is_enabled:
        return None
    row.last_used_at = now or utcnow()
    db.session.flush()
    return row
