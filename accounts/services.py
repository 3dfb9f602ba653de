"""Accounts: passwords, authentication, roles. Plain functions; callers commit."""
import functools
import logging
import secrets
import unicodedata
from pathlib import Path

from flask import current_app, has_request_context, request
from sqlalchemy import ColumnElement, Exists

from accounts import passwords, tokens
from accounts.models import Role, User
from core import audit, signals
from core.clock import utcnow
from core.errors import Refusal
from core.extensions import db, split_user_id
from core.logs import event, identifier_hash
from core.permissions import OFFICER, ROLE_NAMES, may_manage_account
from core.text import normalise_phone

MIN_PASSWORD_LENGTH = 8
_COMMON = frozenset(
    (Path(__file__).parent / "data" / "common_passwords.txt").read_text("utf-8").split())
# Letters and digits that cannot be misread when a password is printed on paper.
_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"
logger = logging.getLogger(__name__)



class AccountError(Refusal):
    """A rule about accounts was broken."""


class BeyondScope(AccountError):
    """The actor may not take this account over; the audit record of the attempt is kept."""
    keeps_changes = True

    def __init__(self):
        super().__init__("Tài khoản này có quyền vượt ngoài phạm vi bạn quản lý: chỉ quản trị hệ thống mới được "
                         "cấp lại mật khẩu, khóa tài khoản này hoặc đổi số điện thoại, số thẻ, họ tên của người này.")


def password_problem(password: str, username: str = "") -> str | None:
    """Why the password is too weak, as the sentence to show; None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự."
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) <= 2:
        return "Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn mật khẩu khác."
    if username and lowered == username.lower():
        return "Mật khẩu không được trùng với tên đăng nhập."
    return None


def hash_password(password: str) -> str:
    return passwords.make(password, current_app.config["PASSWORD_HASH_METHOD"])


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


def _refused(reason: str, identifier: str, user: User | None) -> None:
    event(logger, "login_refused", level=logging.WARNING, reason=reason,
          account=user.id if user is not None else None,
          identifier=None if user is not None else identifier_hash(identifier),
          ip=request.remote_addr if has_request_context() else None)


def authenticate(identifier: str, password: str, *, now=None) -> User | None:
    user = find_user(identifier)
    if user is None or not user.is_enabled:
        # Spend the same time as a real check so that timing does not reveal accounts.
        passwords.matches(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        _refused("unknown" if user is None else "disabled", identifier, user)
        return None
    if not passwords.matches(user.password_hash, password):
        _refused("wrong_password", identifier, user)
        return None
    if passwords.outdated(user.password_hash, current_app.config["PASSWORD_HASH_METHOD"]):
        # The password is at hand only now: a scrypt hash of before, or older settings, is made again.
        # Not a password change: the person's sessions stay.
        user.password_hash = hash_password(password)
    user.last_login_at = now or utcnow()
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash made as real ones are, so that checking it takes as long as checking theirs."""
    return passwords.make("not-a-real-password", method)


def create_user(username: str, full_name: str, password: str, *, must_change_password=False) -> User:
    if db.session.execute(db.select(User.id).where(
            db.func.lower(User.username) == username.lower())).first():
        raise AccountError("Tên đăng nhập này đã có người dùng.")
    user = User(username=username, full_name=full_name, password_hash=hash_password(password),
                must_change_password=must_change_password)
    db.session.add(user)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str, *, now=None) -> None:
    if not passwords.matches(user.password_hash, current):
        raise AccountError("Mật khẩu hiện tại không đúng.")
    if passwords.matches(user.password_hash, new):
        raise AccountError("Mật khẩu mới phải khác mật khẩu cũ.")
    set_password(user, new, now=now)


def set_password(user: User, new: str, *, now=None) -> None:
    problem = password_problem(new, user.username)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now or utcnow()
    _end_access(user, user, now)


def _end_access(user: User, actor, now) -> None:
    """Every session and API token of the account ends, on every device (a new password, a stop)."""
    user.end_sessions()
    tokens.revoke_all(user, actor, now=now)


def _ensure_may_manage(user: User, actor: User, refusal: str, summary: str, now) -> None:
    """Refuse, and log the refusal, when ``actor`` may not take ``user`` over (see may_manage_account).

    The refusal keeps changes: the caller commits, so that the audit log keeps the attempt."""
    if not may_manage_account(actor, user):
        audit.record(actor, refusal, "user", user.id, f"{summary} {user.username}: chỉ quản trị hệ thống được làm",
                     {"roles": sorted(user.role_names)}, now=now)
        raise BeyondScope()


def issue_one_time_password(user: User, actor: User, *, now=None) -> str:
    """Give ``user`` a fresh password that must be changed at the next login; ``actor`` must
    be allowed to take the account over (core.permissions.may_manage_account)."""
    _ensure_may_manage(user, actor, "account_reset_refused", "Từ chối cấp lại mật khẩu cho", now)
    password = generate_initial_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_changed_at = now or utcnow()
    _end_access(user, actor, now)
    audit.record(actor, "password_reset", "user", user.id,
                 f"Cấp mật khẩu dùng một lần cho {user.username}", now=now)
    return password


def ensure_may_change_login(user: User, actor, *, now=None) -> None:
    """Refuse (and log) ``actor`` changing the phone, card number or name of ``user``'s member: the
    first two log in to the account as surely as its password (core.permissions.may_manage_account)."""
    _ensure_may_manage(user, actor, "account_login_change_refused", "Từ chối đổi số điện thoại, số thẻ hoặc tên của",
                       now)


def set_enabled(user: User, enabled: bool, actor: User, *, now=None) -> None:
    """Allow or stop ``user`` logging in, if ``actor`` may (core.permissions.may_manage_account).
    Stopping ends every session and API token: opening the account again later does not bring back
    a cookie or token issued before (a member who left and came back logs in afresh)."""
    if user.is_enabled == enabled:
        return
    _ensure_may_manage(user, actor, "account_disable_refused", "Từ chối khóa hoặc mở tài khoản", now)
    user.is_enabled = enabled
    if not enabled:
        _end_access(user, actor, now)


def grant_role(user: User, name: str, unit, actor: User, *, now=None) -> Role:
    if name not in ROLE_NAMES:
        raise AccountError("Vai trò không hợp lệ.")
    if name == OFFICER and unit is None:
        raise AccountError("Cán bộ công đoàn phải gắn với một đơn vị.")
    unit_id = unit.id if unit is not None else None
    if any(r.name == name and r.unit_id == unit_id for r in user.roles):
        raise AccountError("Tài khoản đã có vai trò này.")
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


# -- requests that do not load the signed-in user ---------------------------------------

def session_identity() -> tuple[int, str] | None:
    """The user id and session token the signed session cookie names (Flask-Login's `_user_id`,
    `User.get_id()`), unchecked: `session_still_valid` checks them inside the caller's statement."""
    from flask import session
    found = split_user_id(str(session.get("_user_id", "")))
    return found if found is not None and found[1] else None


def session_still_valid(user_id: int | ColumnElement[int], token: str | ColumnElement[str]) -> Exists:
    """SQL that holds when the account `session_identity` named may still act as `load_user` and the
    password hook would let it: enabled, the same session token, no new password owed."""
    return db.select(User.id).where(User.id == user_id, User.session_token == token, User.is_enabled,
                                    User.must_change_password.is_(False)).exists()
