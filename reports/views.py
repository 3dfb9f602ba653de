"""The completion report for officers: the page, its drill-down and member list, exports, print view.

URLs carry the topic's slug and ISO dates (``?topic=…&from=2022-01-01&to=2022-03-31``);
the form shows dd/mm/yyyy and redirects to that canonical address.
"""
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_template,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from certificates import services as certificates
from core.clock import local_today, parse_vn_date
from core.extensions import db
from core.permissions import ADMIN, OFFICER, can_manage_unit, roles_required, scope_paths
from core.tabular import XLSX_MIMETYPE
from learning.models import SESSION_FORMS
from reports import charts, exports, services
from units import tree as unit_tree
from units.models import UNIT_ACTIVE, Unit

bp = Blueprint("reports", __name__, url_prefix="/reports")
staff_required = roles_required(ADMIN, OFFICER)
MEMBERS_PER_PAGE = 100
CUSTOM = "custom"
REPORT_ARGS = ("topic", "from", "to", "only", "ky", "tu", "den", "page")
SHORT_FORM_NAMES = {"in_person": "Trực tiếp", "online": "Trực tuyến", "combined": "Kết hợp", "meeting": "Lồng ghép"}


@bp.context_processor
def formatting():
    return {"percent_vn": charts.percent_vn, "headcount_sources": exports.HEADCOUNT_SOURCES,
            "session_forms": {key: SHORT_FORM_NAMES.get(key, name) for key, name in SESSION_FORMS.items()}}


def _default_unit() -> Unit | None:
    """The officer's topmost unit; for an administrator, the first root of the tree."""
    if scope_paths(current_user) is None:
        return db.session.scalars(db.select(Unit).where(Unit.parent_id.is_(None), Unit.status == UNIT_ACTIVE)
                                  .order_by(Unit.name_folded)).first()
    held = [role.unit for role in current_user.roles if role.name == OFFICER and role.unit]
    return min(held, key=lambda unit: (unit.depth, unit.name_folded), default=None)


def _topic(unit: Unit):
    topics = services.report_topics(unit)
    slug = request.args.get("topic")
    if slug is None:
        if not topics:
            abort(404)
        return topics[0], topics
    topic = next((t for t in topics if t.slug == slug), None)
    if topic is None:
        abort(404)
    return topic, topics


def _period(topic) -> tuple[services.Period, list[services.Period]]:
    choices = services.presets(topic, local_today())
    try:
        start, end = date.fromisoformat(request.args["from"]), date.fromisoformat(request.args["to"])
    except (KeyError, ValueError):
        if "from" in request.args or "to" in request.args:
            flash("Khoảng thời gian trong địa chỉ không hợp lệ: đang hiển thị kỳ mặc định.", "warning")
        return choices[0], choices
    if start > end:
        flash("Ngày bắt đầu kỳ phải trước ngày kết thúc: đang hiển thị kỳ mặc định.", "warning")
        return choices[0], choices
    chosen = next((p for p in choices if (p.start, p.end) == (start, end)), None)
    return chosen or services.Period.custom(start, end), choices


def _link_args(topic, period, **extra) -> dict:
    return {"topic": topic.slug, "from": period.start.isoformat(), "to": period.end.isoformat(), **extra}


def _only_incomplete() -> bool:
    return request.args.get("only") == "incomplete"


def _chosen_period_redirect(unit: Unit, topic):
    """The filter form was sent (dd/mm/yyyy or a preset): go to the canonical ISO address."""
    choice = request.args.get("ky", "")
    try:
        if choice == CUSTOM:
            start, end = parse_vn_date(request.args.get("tu", "")), parse_vn_date(request.args.get("den", ""))
        else:
            first, last = choice.split("_")
            start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        flash("Ngày không hợp lệ: ghi theo dd/mm/yyyy, ví dụ 31/03/2022.", "danger")
        return redirect(url_for(".report", code=unit.code, topic=topic.slug))
    if start > end:
        flash("Ngày bắt đầu kỳ phải trước ngày kết thúc.", "danger")
        return redirect(url_for(".report", code=unit.code, topic=topic.slug))
    extra = {"only": "incomplete"} if _only_incomplete() else {}
    return redirect(url_for(".report", code=unit.code, topic=topic.slug,
                            **{"from": start.isoformat(), "to": end.isoformat()}, **extra))


def _lists_members(report: services.Report) -> bool:
    """A grassroots union, or any unit with no units below it, lists its members."""
    return report.unit.kind.is_grassroots or not report.rows


def _context(code: str) -> dict:
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    topic, topics = _topic(unit)
    period, choices = _period(topic)
    report = services.completion_report(unit, topic, period)
    return {"unit": unit, "topic": topic, "topics": topics, "period": period, "choices": choices,
            "report": report, "lists_members": _lists_members(report), "only_incomplete": _only_incomplete(),
            "args": _link_args(topic, period), "today": local_today(),
            "list_args": _link_args(topic, period, **({"only": "incomplete"} if _only_incomplete() else {})),
            "ancestors": [a for a in unit_tree.ancestors(unit) if can_manage_unit(current_user, a)]}


def _charts(context: dict) -> dict:
    report = context["report"]
    bars = charts.completion_bars([(child.name, figures.completion_rate, child.id in report.behind)
                                   for child, figures in report.rows]) if report.rows else None
    line = charts.completion_line(report.completions_by_day,
                                  report.period.start, report.period.end, report.total.headcount)
    return {"bars": bars, "line": line}


@bp.get("/")
@staff_required
def index():
    unit = _default_unit()
    if unit is None:
        abort(404)
    # Only the report's own parameters: "code" or "_method" passed on to url_for would break it.
    kept = {key: request.args[key] for key in REPORT_ARGS if key in request.args}
    return redirect(url_for(".report", code=unit.code, **kept))


@bp.get("/<code>")
@staff_required
def report(code: str):
    if "ky" in request.args:
        unit = unit_tree.unit_in_scope_or_404(current_user, code)
        return _chosen_period_redirect(unit, _topic(unit)[0])
    if "topic" not in request.args:  # a unit no topic is set for yet: say so, not "page not found"
        unit = unit_tree.unit_in_scope_or_404(current_user, code)
        if not services.report_topics(unit):
            return render_template("reports/no_topic.html", unit=unit)
    context = _context(code)
    context.update(_charts(context))
    if context["lists_members"]:
        statuses = services.member_statuses(context["unit"], context["topic"], context["period"])
        incomplete = [s for s in statuses if not s.completed]
        shown = incomplete if context["only_incomplete"] else statuses
        pages = max(1, -(-len(shown) // MEMBERS_PER_PAGE))
        page = min(max(request.args.get("page", 1, type=int), 1), pages)
        context.update(member_count=len(statuses), incomplete_count=len(incomplete), page=page, pages=pages,
                       first_number=(page - 1) * MEMBERS_PER_PAGE + 1,
                       members=shown[(page - 1) * MEMBERS_PER_PAGE:page * MEMBERS_PER_PAGE])
    return render_template("reports/report.html", **context)


@bp.get("/<code>/print")
@staff_required
def print_view(code: str):
    context = _context(code)
    context.update(_charts(context))
    if context["lists_members"]:
        context["members"] = services.iter_member_statuses(context["unit"], context["topic"], context["period"],
                                                           only_incomplete=context["only_incomplete"])
    return Response(stream_template("reports/print.html", **context))  # the member list streams too


def _filename(context: dict, extension: str, *, part: str = "", only_incomplete: bool = False) -> str:
    """bao-cao-<unit>-<topic>-<from>-<to><part>[-chua-hoan-thanh]<extension>: a filtered list says so."""
    period = context["period"]
    return (f"bao-cao-{context['unit'].code}-{context['topic'].slug}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
            f"{part}{exports.INCOMPLETE_SUFFIX if only_incomplete else ''}{extension}")


def _place(unit: Unit) -> str:
    """The place of the date line: where the union above signs its certificates ("Lai Châu")."""
    issuer = certificates.issuer_for(unit)
    return issuer.place if issuer and issuer.place else exports.UNKNOWN_PLACE


@bp.get("/<code>/export.xlsx")
@staff_required
def export_xlsx(code: str):
    context = _context(code)
    members = None
    if context["lists_members"]:
        members = services.iter_member_statuses(context["unit"], context["topic"], context["period"],
                                                only_incomplete=context["only_incomplete"])
    only_incomplete = context["lists_members"] and context["only_incomplete"]
    chunks = exports.workbook_chunks(lambda out: exports.write_workbook(
        context["report"], members, out, place=_place(context["unit"]), only_incomplete=only_incomplete))
    return _download(chunks, XLSX_MIMETYPE, _filename(context, ".xlsx", only_incomplete=only_incomplete))


INCOMPLETE_CSV = ('\r\n"LỖI: tệp dừng giữa chừng do sự cố máy chủ, danh sách trên CHƯA ĐẦY ĐỦ. '
                  'Hãy tải lại tệp sau ít phút."\r\n')


def _download(chunks, mimetype: str, filename: str) -> Response:
    """Stream a generated file. The generator runs after the view returned and after the teardown that
    ended the session's transaction: a list it reads past its first batch comes from a connection of
    its own (`core.database.long_read`; DEVELOPING 5.2).

    The first chunk (the whole workbook; a CSV's header and first row) is made before the response
    starts, so a failure there is an ordinary error page. Once bytes have gone out the status cannot
    change: a later failure is logged and a CSV ends with a line saying it is incomplete, so half a
    list never passes for the whole one.
    """
    first = next(chunks, "")

    def with_failure_line():
        yield first
        try:
            yield from chunks
        except Exception:  # noqa: BLE001 (whatever it was, the file must say it is incomplete)
            current_app.logger.exception("Dừng giữa chừng khi tạo tệp %s", filename)
            db.session.rollback()
            if mimetype != "text/csv":
                raise  # a binary file cannot carry a line: the server drops the connection
            yield INCOMPLETE_CSV
    return Response(stream_with_context(with_failure_line()), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/<code>/export.csv")
@staff_required
def export_csv(code: str):
    context = _context(code)
    return _download(exports.report_csv(context["report"]), "text/csv", _filename(context, ".csv"))


def _member_list_context(code: str) -> dict:
    """What the member list needs, without the report's figures."""
    unit = unit_tree.unit_in_scope_or_404(current_user, code)
    topic, _ = _topic(unit)
    period, _ = _period(topic)
    return {"unit": unit, "topic": topic, "period": period, "only_incomplete": _only_incomplete(),
            "members": services.iter_member_statuses(unit, topic, period, only_incomplete=_only_incomplete(),
                                                     own_connection=True)}


@bp.get("/<code>/members.csv")
@staff_required
def members_csv(code: str):
    context = _member_list_context(code)
    return _download(exports.members_csv(context["members"]), "text/csv",
                     _filename(context, ".csv", part="-doan-vien", only_incomplete=context["only_incomplete"]))


@bp.get("/<code>/members.xlsx")
@staff_required
def members_xlsx(code: str):
    context = _member_list_context(code)
    chunks = exports.workbook_chunks(lambda out: exports.write_member_workbook(
        context["unit"], context["topic"], context["period"], context["members"], out, place=_place(context["unit"]),
        only_incomplete=context["only_incomplete"]))
    return _download(chunks, XLSX_MIMETYPE,
                     _filename(context, ".xlsx", part="-doan-vien", only_incomplete=context["only_incomplete"]))
