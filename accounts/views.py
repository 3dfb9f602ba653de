import functools
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import Select, bindparam
from sqlalchemy.orm import lazyload
from wtforms import SelectChoice

from accounts import services
from accounts.forms import ChangePasswordForm, CreateUserForm, LoginForm, RoleForm
from accounts.models import Role, User
from core import signals
from core.extensions import db, limiter, login_manager, split_user_id
from core.forms import flash_errors
from core.params import requested_page
from core.permissions import ADMIN, ROLE_NAMES, roles_required
from core.security import same_site_path
from core.text import identifier, normalise_phone
from core.views import save

bp = Blueprint("accounts", __name__, url_prefix="/accounts")


# Roles are read only when something asks (menus, permission checks), not on every request:
# a contestant's answer saves never do.
@functools.cache  # built once: docs/DEVELOPING.md 5.13
def _user_by_id() -> Select:
    return db.select(User).where(User.id == bindparam("user_id")).options(lazyload(User.roles))


@login_manager.user_loader
def load_user(user_id: str):
    found = split_user_id(user_id)
    if found is None:
        return None
    user = db.session.scalars(_user_by_id(), {"user_id": found[0]}).one_or_none()
    # The id carries the user's session token: a cookie from before a logout or a new password fails.
    if user is None or not secrets.compare_digest(user.get_id().encode(), user_id.encode()):
        return None
    return user


def _failed_login(response) -> bool:
    # Only failed attempts (the form shown again) count towards the limit.
    return response.status_code == 200


def _login_account_key() -> str:
    """Wrong passwords count against the account they try, however its identifier is spelt."""
    typed = request.form.get("identifier", "")[:100]
    user = services.find_user(typed)
    return f"login:user:{user.id}" if user else "login:" + (normalise_phone(typed) or identifier(typed))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"], deduct_when=_failed_login)
@limiter.limit("5 per 15 minutes", methods=["POST"], key_func=_login_account_key,
               deduct_when=_failed_login)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.identifier.data, form.password.data)
        if user is not None:
            session.clear()  # a new session at login: no fixation
            login_user(user, remember=form.remember.data)
            db.session.commit()
            return redirect(same_site_path(request.args.get("next", "")) or url_for("core.home"))
        flash("Số điện thoại, số thẻ, tên đăng nhập hoặc mật khẩu chưa đúng.", "danger")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("core.home"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(current_user.username)
    if form.validate_on_submit() and save(
            lambda: services.change_password(current_user, form.current.data, form.new.data)):
        login_user(current_user._get_current_object())  # this session carries the new session token
        flash("Đã đổi mật khẩu.", "success")
        return redirect(url_for("core.home"))
    return render_template("accounts/password.html", form=form)


STAFF, NO_ROLE, EVERYONE = "can-bo", "khong-vai-tro", "tat-ca"
# The account list's tabs: ?vai_tro=… -> its name.
USER_FILTERS = {STAFF: "Cán bộ (có vai trò)", **ROLE_NAMES, NO_ROLE: "Đoàn viên, người dự thi", EVERYONE: "Tất cả"}


@bp.get("/users")
@roles_required(ADMIN)
def users():
    text = request.args.get("q", "").strip()
    # Staff first: members' and contestants' accounts number thousands and would bury them.
    shown = request.args.get("vai_tro", STAFF)
    shown = shown if shown in USER_FILTERS else STAFF
    query = db.select(User).order_by(User.username)
    has_role = db.select(Role.id).where(Role.user_id == User.id)
    if shown == STAFF:
        query = query.where(has_role.exists())
    elif shown == NO_ROLE:
        query = query.where(~has_role.exists())
    elif shown != EVERYONE:
        query = query.where(has_role.where(Role.name == shown).exists())
    if text:
        query = query.where(db.or_(User.username.contains(text, autoescape=True),
                                   User.full_name.contains(text, autoescape=True)))
    page = db.paginate(query, page=requested_page(), per_page=50)
    return render_template("accounts/users.html", page=page, q=text, form=CreateUserForm(), shown=shown,
                           filters=USER_FILTERS)


@bp.post("/users")
@roles_required(ADMIN)
def create_user():
    form = CreateUserForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".users"))
    password = services.generate_initial_password()
    saved = save(lambda: services.create_user((form.username.data or "").strip(), (form.full_name.data or "").strip(),
                                              password, must_change_password=True))
    if not saved:
        return redirect(url_for(".users"))
    response = render_template("accounts/issued.html", user=saved.value, password=password)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_detail(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    form.role.choices = [SelectChoice(key, name) for key, name in ROLE_NAMES.items()]
    if form.validate_on_submit():
        code = (form.unit_code.data or "").strip()
        unit = signals.first_answer(signals.unit_by_code, form.unit_code.data) if code else None
        if (form.unit_code.data or "").strip() and unit is None:
            flash("Không có đơn vị với mã này.", "danger")
        else:
            if save(lambda: services.grant_role(user, form.role.data, unit, current_user), "Đã cấp vai trò."):
                return redirect(url_for(".user_detail", user_id=user.id))
    return render_template("accounts/user_detail.html", user=user, form=form)


@bp.post("/users/<int:user_id>/roles/<int:role_id>/revoke")
@roles_required(ADMIN)
def revoke_role(user_id: int, role_id: int):
    role = db.get_or_404(Role, role_id)
    if role.user_id != user_id:
        abort(404)
    if role.user_id == current_user.id and role.name == ADMIN:
        flash("Không thể tự thu hồi quyền quản trị của chính mình.", "danger")
    else:
        services.revoke_role(role, current_user)
        db.session.commit()
        flash("Đã thu hồi vai trò.", "success")
    return redirect(url_for(".user_detail", user_id=user_id))


@bp.post("/users/<int:user_id>/reset")
@roles_required(ADMIN)
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    password = services.issue_one_time_password(user, current_user)
    db.session.commit()
    return render_template("accounts/issued.html", user=user, password=password), 200, {"Cache-Control": "no-store"}


ALLOWED_WHILE_PASSWORD_EXPIRED = {"accounts.change_password", "accounts.logout", "static", "core.healthz"}


def password_change_redirect():
    """To the password page, for a signed-in person who owes a new password; else None."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ALLOWED_WHILE_PASSWORD_EXPIRED):
        flash("Đây là lần đăng nhập đầu tiên hoặc mật khẩu vừa được cấp lại: hãy đặt mật khẩu mới.", "warning")
        return redirect(url_for("accounts.change_password"))
    return None


def checks_password_change(view):
    """Marks a view that skips the app-wide password hook so that a request it serves without
    loading the user stays cheap; the view calls password_change_redirect() when it loads one."""
    view.checks_password_change = True
    return view


def register_hooks(app) -> None:
    @app.before_request
    def force_password_change():
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "checks_password_change", False):
            return None  # the view asks password_change_redirect() itself, when it loads the user
        return password_change_redirect()
