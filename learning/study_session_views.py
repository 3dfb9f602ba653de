"""Officers' pages for offline study sessions: the list of a unit's subtree, record, edit, delete, import."""
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from core.clock import format_date, local_today, parse_vn_date
from core.extensions import db
from core.forms import flash_errors
from core.params import requested_page
from core.permissions import ADMIN, OFFICER, can_manage_unit, ensure_unit_in_scope, roles_required
from core.tabular import XLSX_MIMETYPE, WorkbookWriter
from core.uploads import import_upload
from core.views import save
from learning import study_sessions
from learning import topics as learning_topics
from learning.models import SESSION_FORMS, StudySession, Topic
from learning.study_session_forms import SessionForm, SessionImportForm
from units import tree as unit_tree

bp = Blueprint("study_sessions", __name__, url_prefix="/sessions")
staff_required = roles_required(ADMIN, OFFICER)
PER_PAGE = 50


def _session_or_404(session_id: int) -> StudySession:
    session = db.get_or_404(StudySession, session_id)
    ensure_unit_in_scope(current_user, session.unit)
    return session


def _prepare(form: SessionForm, topics: list[Topic]) -> None:
    form.topic.choices = [(t.id, f"{t.kind_name} {t.year}: {t.title[:90]}") for t in topics]


def _save(form: SessionForm, topics: list[Topic], action) -> bool:
    """When the form was sent: check it, resolve its members, run ``action(data)`` and commit.

    Every message lands on its field: the form's own, the members not found, the rules broken.
    """
    if not form.is_submitted():
        return False
    valid = form.validate()
    unit = unit_tree.get_unit(form.unit_code.data or "")
    if unit is not None and not can_manage_unit(current_user, unit):
        unit = None  # reads as unknown, and nothing about its members is looked up
    members = []
    if unit is not None:
        members, errors = study_sessions.resolve_members(form.members.data, unit)
        form.members.errors.extend(errors)
        valid = valid and not errors
    if not valid:
        return False
    data = study_sessions.SessionData(
        unit=unit, topic=next((t for t in topics if t.id == form.topic.data), None), held_on=form.held_on.data,
        form=form.form.data, attendances=form.attendances.data, notes=(form.notes.data or "").strip(),
        members=members)
    saved = save(lambda: action(data), refused=None)
    if not saved:
        fields = {"unit": form.unit_code, "topic": form.topic, "held_on": form.held_on, "form": form.form,
                  "attendances": form.attendances, "members": form.members, "notes": form.notes}
        for key, message in saved.refusal.problems.items():
            fields[key].errors.append(message)
    return bool(saved)


def _form_page(form: SessionForm, unit, session: StudySession | None = None):
    return render_template("learning/study_sessions/form.html", form=form, unit=unit, session=session,
                           units=unit_tree.units_for_choice(current_user)[:500])


@bp.get("/")
@staff_required
def index():
    held = [role.unit for role in current_user.roles if role.name == OFFICER and role.unit]
    if not held:
        held = [node.unit for node in unit_tree.tree(current_user)]
    if not held:
        flash("Chưa có đơn vị nào.", "info")
        return redirect(url_for("core.home"))
    return redirect(url_for(".unit_sessions", code=held[0].code))


def _filter_date(name: str):
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_vn_date(text)
    except ValueError:
        flash(f"Ngày “{text}” không hợp lệ (ghi theo dd/mm/yyyy); bộ lọc ngày này được bỏ qua.", "warning")
        return None


@bp.get("/<code>")
@staff_required
def unit_sessions(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    topics = study_sessions.session_topics(learning_topics.topics_of_tree(unit))
    topic = next((t for t in topics if t.id == request.args.get("topic", type=int)), None)
    form = request.args.get("form") if request.args.get("form") in SESSION_FORMS else None
    date_from, date_to = _filter_date("from"), _filter_date("to")
    query = study_sessions.sessions_query(unit, topic=topic, form=form, date_from=date_from, date_to=date_to)
    count, attendances = study_sessions.totals(query)
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    filters = {"topic": topic.id if topic else None, "form": form,
               "from": request.args.get("from") if date_from else None,
               "to": request.args.get("to") if date_to else None}
    return render_template("learning/study_sessions/list.html", unit=unit, page=page, topics=topics, topic=topic,
                           form_key=form, date_from=date_from, date_to=date_to, count=count,
                           attendances=attendances, filters=filters, session_forms=SESSION_FORMS)


@bp.route("/<code>/new", methods=["GET", "POST"])
@staff_required
def new(code: str):
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    topics = study_sessions.session_topics(learning_topics.topics_of_tree(unit))
    form = SessionForm(unit_code=unit.code, held_on=local_today())
    _prepare(form, topics)
    created = []
    if _save(form, topics, lambda data: created.append(study_sessions.record_session(data, current_user))):
        flash(f"Đã ghi buổi học tập ngày {format_date(form.held_on.data)} ({form.attendances.data} lượt).", "success")
        return redirect(url_for(".unit_sessions", code=created[0].unit.code))
    return _form_page(form, unit)


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(session_id: int):
    session = _session_or_404(session_id)
    topics = study_sessions.session_topics(learning_topics.topics_of_tree(session.unit))
    if session.topic not in topics:
        topics.append(session.topic)  # an unpublished topic stays editable on its old sessions
    form = SessionForm(obj=session, unit_code=session.unit.code, topic=session.topic_id,
                       members="\n".join(filter(None, (study_sessions.member_identifier(row.member)
                                                       for row in session.attendees))))
    _prepare(form, topics)
    if _save(form, topics, lambda data: study_sessions.update_session(session, data, current_user)):
        flash("Đã lưu buổi học tập.", "success")
        return redirect(url_for(".unit_sessions", code=session.unit.code))
    return _form_page(form, session.unit, session)


@bp.post("/<int:session_id>/delete")
@staff_required
def delete(session_id: int):
    session = _session_or_404(session_id)
    code = session.unit.code
    study_sessions.delete_session(session, current_user)
    db.session.commit()
    flash("Đã xóa buổi học tập.", "success")
    return redirect(url_for(".unit_sessions", code=code))


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_sessions():
    form = SessionImportForm()
    result = None
    if form.validate_on_submit():
        result = import_upload(form.file.data, lambda path, name: study_sessions.import_sessions(
            path, name, current_user, dry_run=form.dry_run.data), dry_run=form.dry_run.data)
    elif request.method == "POST":
        flash_errors(form)
    return render_template("learning/study_sessions/import.html", form=form, result=result,
                           topics=study_sessions.session_topics(learning_topics.topic_scope(current_user, None)),
                           forms=SESSION_FORMS)


@bp.get("/import-template.xlsx")
@staff_required
def import_template():
    workbook = WorkbookWriter()
    sheet = workbook.sheet("Buổi học tập", default_width=24, columns=len(study_sessions.TEMPLATE_HEADERS))
    sheet.append(study_sessions.TEMPLATE_HEADERS)
    topics = study_sessions.session_topics(learning_topics.topic_scope(current_user, None))
    example_topic = topics[0].slug if topics else "chuyen-de-2022"
    sheet.append(["CDCS-MAU", "15/03/2022", example_topic, "Trực tiếp", 34, "Hội nghị học tập tại hội trường"])
    sheet.append(["CDCS-MAU", "20/04/2022", example_topic, "Lồng ghép sinh hoạt định kỳ", 28, ""])
    guide = workbook.sheet("Danh mục", widths={1: 34, 2: 80})
    guide.append(["Hình thức (ghi một trong các tên)"])
    for name in SESSION_FORMS.values():
        guide.append([name])
    guide.append()
    guide.append(["Chủ đề: mã (slug)", "Tên chuyên đề"])
    for topic in topics:
        guide.append([topic.slug, topic.title])
    return send_file(workbook.to_buffer(), download_name="mau-nhap-buoi-hoc-tap.xlsx", as_attachment=True,
                     mimetype=XLSX_MIMETYPE)
