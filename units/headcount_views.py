"""A unit's headcount page: its officer declares the number of members for a report period."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from core.clock import local_today
from core.extensions import db
from core.permissions import ADMIN, OFFICER, roles_required
from core.views import save
from units import headcounts
from units import tree as unit_tree
from units.forms import CUSTOM_PERIOD, HeadcountForm
from units.models import Headcount

bp = Blueprint("headcounts", __name__, url_prefix="/units")
staff_required = roles_required(ADMIN, OFFICER)


@bp.route("/<code>/headcounts", methods=["GET", "POST"])
@staff_required
def unit_headcounts(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    presets = headcounts.presets(local_today())
    form = HeadcountForm()
    form.period.choices = [(p.key, f"{p.label} ({p.dates})") for p in presets] + [
        (CUSTOM_PERIOD, "Kỳ tùy chọn (nhập ngày bên dưới)")]
    if form.validate_on_submit():
        preset = next((p for p in presets if p.key == form.period.data), None)
        start, end = (preset.start, preset.end) if preset else (form.start.data, form.end.data)
        if save(lambda: headcounts.declare(unit, start, end, form.headcount.data, current_user),
                f"Đã lưu: {form.headcount.data} đoàn viên cho {headcounts.period_label(start, end)}."):
            return redirect(url_for(".unit_headcounts", code=unit.code))
    return render_template("units/headcounts.html", unit=unit, form=form,
                           counted=unit_tree.active_member_count(unit),
                           declarations=headcounts.declarations(unit), history=headcounts.history(unit),
                           period_label=headcounts.period_label)


@bp.post("/<code>/headcounts/<int:headcount_id>/delete")
@staff_required
def delete(code: str, headcount_id: int):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    row = db.get_or_404(Headcount, headcount_id)
    if row.unit_id != unit.id:
        abort(404)
    label = headcounts.period_label(row.period_start, row.period_end)
    headcounts.remove(row, current_user)
    db.session.commit()
    flash(f"Đã xóa khai báo cho {label}; báo cáo kỳ này sẽ dùng số đoàn viên đếm trên hệ thống.", "success")
    return redirect(url_for(".unit_headcounts", code=unit.code))
