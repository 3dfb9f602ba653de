"""One place that answers "may this user act on this unit?".

Units carry a materialised path ("/1/7/42/"); an officer role held over a unit covers
every unit whose path starts with that unit's path. Outside their scope an officer
gets 404, never 403, so they cannot even learn that a sibling unit exists.
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from core.extensions import login_manager

ADMIN = "admin"
OFFICER = "officer"
EDITOR = "editor"
ORGANISER = "organiser"
# The one place roles are named for people: forms, lists, the audit log.
ROLE_NAMES = {
    ADMIN: "Quản trị viên",
    OFFICER: "Cán bộ công đoàn",
    EDITOR: "Biên tập nội dung",
    ORGANISER: "Ban tổ chức cuộc thi",
}
# How unions write their names short: "LĐLĐ tỉnh Lai Châu", "CĐCS Trường THCS …".
_SHORT_UNIT_WORDS = (("Liên đoàn Lao động", "LĐLĐ"), ("Công đoàn cơ sở", "CĐCS"))


def short_unit_name(name: str) -> str:
    for words, short in _SHORT_UNIT_WORDS:
        name = name.replace(words, short)
    return name


def role_label(role) -> str:
    """"Ban tổ chức cuộc thi · LĐLĐ tỉnh Lai Châu": the role in Vietnamese, then the unit it holds over."""
    name = ROLE_NAMES.get(role.name, role.name)
    return f"{name} · {short_unit_name(role.unit.name)}" if role.unit is not None else name


def has_role(user, role: str) -> bool:
    return bool(user and user.is_authenticated and role in user.role_names)


def is_admin(user) -> bool:
    return has_role(user, ADMIN)


def scope_paths(user) -> list[str] | None:
    """Paths of the subtrees the user oversees; None means everything (admin)."""
    if is_admin(user):
        return None
    if not (user and user.is_authenticated):
        return []
    return [role.unit.path for role in user.roles if role.name == OFFICER and role.unit]


def can_manage_unit(user, unit) -> bool:
    paths = scope_paths(user)
    if paths is None:
        return True
    return any(unit.path.startswith(path) for path in paths)


def may_manage_account(actor, account) -> bool:
    """May ``actor`` reset the password of, or disable, ``account``?

    An administrator may manage any account. Anyone else only an account whose every role is an
    officer role over a unit in one of the actor's own subtrees (their own unit included): taking
    it over gives them nothing they do not already hold. Any other role (admin, editor,
    organiser, global or over a unit, even one inside the subtree) reaches beyond the officer's
    powers, so only an administrator manages that account. An account without roles qualifies:
    whether its member lies in the actor's scope is for the caller to check.
    """
    paths = scope_paths(actor)
    if paths is None:
        return True
    return all(role.name == OFFICER and role.unit is not None and can_manage_unit(actor, role.unit)
               for role in account.roles)


def ensure_unit_in_scope(user, unit) -> None:
    if unit is None or not can_manage_unit(user, unit):
        abort(404)


def is_staff(user) -> bool:
    return is_admin(user) or bool(scope_paths(user))


def roles_required(*roles: str):
    """Allow a view to users holding any of ``roles``; anonymous users go to login."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(has_role(current_user, role) for role in roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
