"""Accounts: passwords, authentication, roles. Plain functions; callers commit."""
import secrets
import unicodedata
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from core import audit, signals
from core.clock import utcnow
from core.extensions import db
from core.permissions import OFFICER, ROLE_NAMES, may_manage_account
from core.text import normalise_phone
from accounts.models import Role, User

MIN_PASSWORD_LENGTH = 8
_COMMON = frozenset(
    (Path(__file__).parent / "data" / "common_passwords.txt").read_text("utf-8").split())
# Letters and digits that cannot be misread when a password is printed on paper.
_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"



class AccountError(Exception):
    """A rule about accounts was broken; ``code`` lets the view pick the message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def password_problem(password: str, username: str = "") -> str | None:
    """Return why the password is too weak ("too_short", "too_common", "is_username"), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) <= 2:
        return "too_common"
    if username and lowered == username.lower():
        return "is_username"
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def generate_initial_password() -> str:
    return "".join(secrets.choice(_READABLE) for _ in range(10))


def _by_username(username: str) -> User | None:
    return db.session.execute(
        db.select(User).where(db.func.lower(User.username) == username.lower())).scalar_one_or_none()


def find_user(identifier: str) -> User | None:
    """The account a person means, however they spelt it: a username, or a phone number in any
    spelling that registration accepts (a contestant's username is their phone's canonical
    form), or what answers ``core.signals.login_user`` (a member's phone or card)."""
    identifier = unicodedata.normalize("NFKC", identifier).strip()
    if not identifier:
        return None
    phone = normalise_phone(identifier)
    user = _by_username(identifier) or (_by_username(phone) if phone else None)
    return user or signals.first_answer(signals.login_user, identifier)


def authenticate(identifier: str, password: str, *, now=None) -> User | None:
    user = find_user(identifier)
    if user is None or not user.is_enabled:
        # Spend the same time as a real check so that timing does not reveal accounts.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = now or utcnow()
    return user


_DUMMY_HASH = generate_password_hash("not-a-real-password")


def create_user(username: str, full_name: str, password: str, *, must_change_password=False) -> User:
    if db.session.execute(db.select(User.id).where(
            db.func.lower(User.username) == username.lower())).first():
        raise AccountError("username_taken")
    user = User(username=username, full_name=full_name, password_hash=hash_password(password),
                must_change_password=must_change_password)
    db.session.add(user)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str, *, now=None) -> None:
    if not check_password_hash(user.password_hash, current):
        raise AccountError("wrong_password")
    if check_password_hash(user.password_hash, new):
        raise AccountError("same_password")
    set_password(user, new, now=now)


def set_password(user: User, new: str, *, now=None) -> None:
    problem = password_problem(new, user.username)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now or utcnow()
    user.end_sessions()


def _ensure_may_manage(user: User, actor: User, refusal: str, summary: str, now) -> None:
    """Refuse, and log the refusal, when ``actor`` may not take ``user`` over (see may_manage_account).

    The caller commits even on refusal, so that the audit log keeps the attempt."""
    if not may_manage_account(actor, user):
        audit.record(actor, refusal, "user", user.id, f"{summary} {user.username}: chỉ quản trị hệ thống được làm",
                     {"roles": sorted(user.role_names)}, now=now)
        raise AccountError("admin_only")


def issue_one_time_password(user: User, actor: User, *, now=None) -> str:
    """Give ``user`` a fresh password that must be changed at the next login; ``actor`` must
    be allowed to take the account over (core.permissions.may_manage_account)."""
    _ensure_may_manage(user, actor, "account_reset_refused", "Từ chối cấp lại mật khẩu cho", now)
    password = generate_initial_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_changed_at = now or utcnow()
    user.end_sessions()
    audit.record(actor, "password_reset", "user", user.id,
                 f"Cấp mật khẩu dùng một lần cho {user.username}", now=now)
    return password


def ensure_may_change_login(user: User, actor, *, now=None) -> None:
    """Refuse (and log) ``actor`` changing the phone, card number or name of ``user``'s member: the
    first two log in to the account as surely as its password (core.permissions.may_manage_account)."""
    _ensure_may_manage(user, actor, "account_login_change_refused", "Từ chối đổi số điện thoại, số thẻ hoặc tên của",
                       now)


def set_enabled(user: User, enabled: bool, actor: User, *, now=None) -> None:
    """Allow or stop ``user`` logging in, if ``actor`` may (core.permissions.may_manage_account)."""
    if user.is_enabled == enabled:
        return
    _ensure_may_manage(user, actor, "account_disable_refused", "Từ chối khóa hoặc mở tài khoản", now)
    user.is_enabled = enabled


def grant_role(user: User, name: str, unit, actor: User, *, now=None) -> Role:
    if name not in ROLE_NAMES:
        raise AccountError("unknown_role")
    if name == OFFICER and unit is None:
        raise AccountError("officer_needs_unit")
    unit_id = unit.id if unit is not None else None
    if any(r.name == name and r.unit_id == unit_id for r in user.roles):
        raise AccountError("role_exists")
    role = Role(name=name, unit=unit)
    user.roles.append(role)
    db.session.flush()
    audit.record(actor, "role_granted", "user", user.id,
                 f"Cấp vai trò {ROLE_NAMES[name]} cho {user.username}"
                 + (f" tại {unit.code}" if unit is not None else ""),
                 {"role": name, "unit": getattr(unit, "code", None)}, now=now)
    return role


def revoke_role(role: Role, actor: User, *, now=None) -> None:
    user = role.user
    audit.record(actor, "role_revoked", "user", user.id,
                 f"Thu hồi vai trò {ROLE_NAMES[role.name]} của {user.username}"
                 + (f" tại {role.unit.code}" if role.unit is not None else ""),
                 {"role": role.name, "unit": getattr(role.unit, "code", None)}, now=now)
    user.roles.remove(role)
    db.session.flush()
