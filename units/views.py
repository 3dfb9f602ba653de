from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from openpyxl.styles import Font
from wtforms import SelectChoice

from core.extensions import db
from core.forms import flash_errors
from core.params import requested_page
from core.permissions import ADMIN, OFFICER, ensure_unit_in_scope, is_admin, roles_required
from core.tabular import XLSX_MIMETYPE, WorkbookWriter
from core.uploads import import_upload
from core.views import save
from units import errors as unit_errors
from units import importing, member_accounts
from units import kinds as unit_kinds
from units import members as unit_members
from units import tree as unit_tree
from units.forms import (
    ActivateForm,
    DissolveForm,
    KindForm,
    MemberForm,
    MemberImportForm,
    MemberMoveForm,
    MemberStatusForm,
    MergeForm,
    MoveForm,
    RenameForm,
    UnitForm,
    UnitImportForm,
)
from units.models import MEMBER_ACTIVE, Member

bp = Blueprint("units", __name__, url_prefix="/units")
staff_required = roles_required(ADMIN, OFFICER)

TEMPLATES = {"members": (importing.MEMBER_TEMPLATE, "mau-nhap-doan-vien.xlsx"),
             "units": (importing.UNIT_TEMPLATE, "mau-nhap-don-vi.xlsx")}
EXAMPLES_NOTE = ("Trang này chỉ là ví dụ cách ghi, hệ thống không đọc trang này. "
                 "Hãy ghi danh sách ở trang “Danh sách”, từ dòng 2, giữ nguyên dòng tiêu đề.")


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice(k.id, k.name) for k in unit_kinds.all_kinds()]


def _member_or_404(member_id: int) -> Member:
    member = db.get_or_404(Member, member_id)
    ensure_unit_in_scope(current_user, member.unit)
    return member


def _scoped_unit_from_code(code: str):
    unit = unit_tree.get_unit(code or "")
    if unit is None or not (is_admin(current_user) or _in_scope(unit)):
        raise unit_errors.UnitError("Không có đơn vị với mã này hoặc đơn vị ngoài phạm vi bạn quản lý.")
    return unit


def _in_scope(unit) -> bool:
    from core.permissions import can_manage_unit
    return can_manage_unit(current_user, unit)


@bp.get("/")
@staff_required
def index():
    text = request.args.get("q", "").strip()
    results = unit_tree.search_units(current_user, text) if text else None
    form = UnitForm()
    form.kind.choices = _kind_choices()
    return render_template("units/index.html", forest=unit_tree.tree(current_user), q=text,
                           results=results, form=form)


@bp.post("/")
@roles_required(ADMIN)
def create():
    form = UnitForm()
    form.kind.choices = _kind_choices()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".index"))
    kind = next(k for k in unit_kinds.all_kinds() if k.id == form.kind.data)

    def create_unit():
        parent = _scoped_unit_from_code(form.parent_code.data) if (form.parent_code.data or "").strip() else None
        return unit_tree.create_unit(form.code.data, form.name.data, kind, parent, actor=current_user)

    saved = save(create_unit, lambda unit: f"Đã thêm đơn vị {unit.name}.")
    return redirect(url_for(".detail", code=saved.value.code) if saved else url_for(".index"))


@bp.get("/<code>")
@staff_required
def detail(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    rename = RenameForm(name=unit.name, kind=unit.kind_id)
    rename.kind.choices = _kind_choices()
    return render_template(
        "units/detail.html", unit=unit, ancestors=unit_tree.ancestors(unit),
        children=unit_tree.children(unit, include_inactive=True), events=unit_tree.unit_events(unit),
        own_members=unit_tree.active_member_count(unit),
        total_members=unit_tree.active_member_count(unit, subtree=True),
        rename=rename, move=MoveForm(), merge=MergeForm(), dissolve=DissolveForm(),
        activate=ActivateForm())


def _admin_unit_action(code: str, form_class, action):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    form = form_class()
    if form_class is RenameForm:
        form.kind.choices = _kind_choices()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".detail", code=unit.code))
    save(lambda: action(unit, form), lambda message: message)
    return redirect(url_for(".detail", code=unit.code))


@bp.post("/<code>/rename")
@roles_required(ADMIN)
def rename(code: str):
    def action(unit, form):
        unit_tree.rename_unit(unit, form.name.data, actor=current_user, on=form.on.data)
        unit_tree.change_kind(unit, next(k for k in unit_kinds.all_kinds() if k.id == form.kind.data),
                             actor=current_user, on=form.on.data)
        return "Đã lưu tên và loại đơn vị."
    return _admin_unit_action(code, RenameForm, action)


@bp.post("/<code>/move")
@roles_required(ADMIN)
def move(code: str):
    def action(unit, form):
        unit_tree.move_unit(unit, _scoped_unit_from_code(form.target_code.data), actor=current_user,
                           on=form.on.data)
        return "Đã chuyển đơn vị; đoàn viên và lịch sử được giữ nguyên."
    return _admin_unit_action(code, MoveForm, action)


@bp.post("/<code>/merge")
@roles_required(ADMIN)
def merge(code: str):
    def action(unit, form):
        target = _scoped_unit_from_code(form.target_code.data)
        moved = unit_tree.merge_unit(unit, target, actor=current_user, on=form.on.data)
        return f"Đã sáp nhập vào {target.name}; chuyển {moved} đoàn viên."
    return _admin_unit_action(code, MergeForm, action)


@bp.post("/<code>/dissolve")
@roles_required(ADMIN)
def dissolve(code: str):
    def action(unit, form):
        unit_tree.dissolve_unit(unit, actor=current_user, on=form.on.data)
        return "Đã ghi nhận giải thể đơn vị."
    return _admin_unit_action(code, DissolveForm, action)


@bp.route("/kinds", methods=["GET", "POST"])
@roles_required(ADMIN)
def kinds():
    form = KindForm()
    if form.validate_on_submit() and save(
            lambda: unit_kinds.create_kind(form.code.data, form.name.data, is_grassroots=form.is_grassroots.data,
                                         actor=current_user), "Đã thêm loại đơn vị."):
        return redirect(url_for(".kinds"))
    return render_template("units/kinds.html", kinds=unit_kinds.all_kinds(), form=form)


# -- members -------------------------------------------------------------------------

@bp.get("/<code>/members")
@staff_required
def members(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    text = request.args.get("q", "").strip()
    status = request.args.get("status", MEMBER_ACTIVE)
    if status not in unit_members.MEMBER_STATUS_NAMES and status != "all":
        status = MEMBER_ACTIVE
    query = unit_members.members_query(unit, text=text, status=None if status == "all" else status)
    page = db.paginate(query, page=requested_page(), per_page=50, error_out=False)
    return render_template("units/members.html", unit=unit, page=page, q=text, status=status,
                           status_names=unit_members.MEMBER_STATUS_NAMES)


@bp.route("/<code>/members/new", methods=["GET", "POST"])
@staff_required
def new_member(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    form = MemberForm()
    if form.validate_on_submit() and save(lambda: unit_members.create_member(unit, form.member_data(),
                                                                             actor=current_user),
                                          lambda member: f"Đã thêm đoàn viên {member.full_name}."):
        return redirect(url_for(".members", code=unit.code))
    return render_template("units/member_form.html", unit=unit, form=form, member=None)


@bp.route("/members/<int:member_id>", methods=["GET", "POST"])
@staff_required
def edit_member(member_id: int):
    member = _member_or_404(member_id)
    form = MemberForm(obj=member)
    if form.validate_on_submit() and save(
            lambda: unit_members.update_member(member, form.member_data(), actor=current_user),
            "Đã lưu thông tin đoàn viên."):
        return redirect(url_for(".edit_member", member_id=member.id))
    return render_template("units/member_form.html", unit=member.unit, form=form, member=member,
                           move_form=MemberMoveForm(), status_form=MemberStatusForm(status=member.status),
                           moves=unit_members.member_moves(member), status_names=unit_members.MEMBER_STATUS_NAMES)


@bp.post("/members/<int:member_id>/move")
@staff_required
def move_member(member_id: int):
    member = _member_or_404(member_id)
    form = MemberMoveForm()
    if form.validate_on_submit():
        def move():
            target = _scoped_unit_from_code(form.unit_code.data)
            unit_members.move_member(member, target, actor=current_user)
            return target

        save(move, lambda target: f"Đã chuyển {member.full_name} sang {target.name}.")
    return redirect(url_for(".edit_member", member_id=member.id))


@bp.post("/members/<int:member_id>/status")
@staff_required
def member_status(member_id: int):
    member = _member_or_404(member_id)
    form = MemberStatusForm()
    if form.validate_on_submit():
        save(lambda: unit_members.set_member_status(member, form.status.data, actor=current_user),
             "Đã cập nhật trạng thái.")
    return redirect(url_for(".edit_member", member_id=member.id))


@bp.post("/members/<int:member_id>/reset-password")
@staff_required
def reset_member_password(member_id: int):
    member = _member_or_404(member_id)
    saved = save(lambda: member_accounts.reset_member_password(member, current_user))
    if not saved:
        return redirect(url_for(".edit_member", member_id=member.id))
    return (render_template("units/passwords.html", unit=member.unit, issued=[saved.value]), 200,
            {"Cache-Control": "no-store"})


@bp.post("/<code>/activate")
@staff_required
def activate(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    issued = member_accounts.activate_members(unit, current_user)
    db.session.commit()
    if not issued:
        flash("Mọi đoàn viên đang sinh hoạt đã có tài khoản.", "info")
        return redirect(url_for(".detail", code=unit.code))
    # Shown once and never stored in clear: the page is not cached.
    return (render_template("units/passwords.html", unit=unit, issued=issued), 200,
            {"Cache-Control": "no-store"})


# -- imports ---------------------------------------------------------------------------

FROM_FILE = SelectChoice("", "— Theo cột “Mã đơn vị” trong tệp —")


def _member_import_form() -> MemberImportForm:
    """The unit is chosen among those the officer manages; with a single one, it is already chosen."""
    units = unit_tree.units_for_choice(current_user)
    form = MemberImportForm(unit_code=units[0].code if len(units) == 1 else "")
    form.unit_code.choices = ([] if len(units) == 1 else [FROM_FILE]) + [
        SelectChoice(unit.code, f"{unit.name} ({unit.code})") for unit in units]
    return form


@bp.route("/members/import", methods=["GET", "POST"])
@staff_required
def import_members():
    form = _member_import_form()
    result = None
    if form.validate_on_submit():
        unit = None
        if form.unit_code.data:
            try:
                unit = _scoped_unit_from_code(form.unit_code.data)
            except unit_errors.UnitError as error:
                flash(error.message, "danger")
                return render_template("units/import_members.html", form=form, result=None)
        result = import_upload(form.file.data, lambda path, name: importing.import_members(
            path, name, current_user, unit=unit, dry_run=form.dry_run.data, keep_outcomes=True),
            dry_run=form.dry_run.data)
    elif request.method == "POST":
        flash_errors(form)
    return render_template("units/import_members.html", form=form, result=result)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(ADMIN)
def import_units():
    form = UnitImportForm()
    result = None
    if form.validate_on_submit():
        result = import_upload(form.file.data, lambda path, name: importing.import_units(
            path, name, current_user, dry_run=form.dry_run.data), dry_run=form.dry_run.data)
    elif request.method == "POST":
        flash_errors(form)
    return render_template("units/import_units.html", form=form, result=result, kinds=unit_kinds.all_kinds())


@bp.get("/import/<kind>-template.xlsx")
@staff_required
def import_template(kind: str):
    """An empty list to fill (the only sheet an import reads), and the examples on a second sheet."""
    if kind not in TEMPLATES:
        abort(404)
    (headers, examples), filename = TEMPLATES[kind]
    workbook = WorkbookWriter()
    listing = workbook.sheet("Danh sách", default_width=22, columns=len(headers), freeze="A2")
    listing.header(headers)
    sample = workbook.sheet("Ví dụ (không nhập)", default_width=22, columns=len(headers))
    sample.append([sample.cell(EXAMPLES_NOTE, font=Font(bold=True, color="C00000"))])
    sample.header(headers)
    for example in examples:
        sample.append(example)
    return send_file(workbook.to_buffer(), download_name=filename, as_attachment=True, mimetype=XLSX_MIMETYPE)
