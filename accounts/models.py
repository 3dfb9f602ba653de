import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # Part of every session and remember-me cookie; a new one (logout, new password) voids them all.
    session_token: Mapped[str | None] = mapped_column(String(32), default=new_session_token)

    roles: Mapped[list["Role"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    # Logins and registrations find a user by lower(username): without this, a scan of every account.
    __table_args__ = (Index("ix_users_username_lower", func.lower(username)),)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def role_names(self) -> set[str]:
        return {role.name for role in self.roles}

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token or ''}"

    def end_sessions(self) -> None:
        """Void every session and remember-me cookie issued so far, on every device."""
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Role(db.Model):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("user_id", "name", "unit_id", name="uq_roles_user_name_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped["Unit"] = relationship(lazy="joined")  # noqa: F821 - defined in units


class ApiToken(db.Model):
    """A personal token for the JSON API: shown once, stored as a SHA-256 hash, scoped like its owner."""
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell tokens apart in lists
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
