"""The audit log for administrators: who changed what and when, filtered and paged."""
from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, render_template, request

from accounts.models import User
from core.audit import ACTION_GROUPS, action_label
from core.clock import LOCAL_TZ, parse_vn_date
from core.extensions import db
from core.models import AuditEntry
from core.params import requested_page
from core.permissions import ADMIN, roles_required

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PER_PAGE = 50
FILTERS = ("group", "actor", "q", "from", "to")  # what the pager passes on; never url_for's own "_method"


def _utc_midnight(day) -> datetime:
    """Local midnight of ``day`` as naive UTC: the log stores UTC, people think in Vietnam days."""
    return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


@bp.get("/")
@roles_required(ADMIN)
def index():
    query = db.select(AuditEntry).outerjoin(User, AuditEntry.actor_id == User.id)
    problems = []
    group = request.args.get("group", "")
    if group in ACTION_GROUPS:
        query = query.where(AuditEntry.action.in_(ACTION_GROUPS[group][1]))
    actor = request.args.get("actor", "").strip()[:80]
    if actor:
        query = query.where(db.or_(User.username.contains(actor, autoescape=True),
                                   User.full_name.contains(actor, autoescape=True)))
    text = request.args.get("q", "").strip()[:200]
    if text:
        query = query.where(db.or_(AuditEntry.summary.contains(text, autoescape=True),
                                   AuditEntry.target_id == text))
    for name, label in (("from", "Từ ngày"), ("to", "Đến ngày")):
        raw = request.args.get(name, "").strip()
        if not raw:
            continue
        try:
            day = parse_vn_date(raw)
        except ValueError:
            problems.append(f"{label} không hợp lệ: ghi theo dd/mm/yyyy.")
            continue
        query = query.where(AuditEntry.at >= _utc_midnight(day)) if name == "from" else \
            query.where(AuditEntry.at < _utc_midnight(day + timedelta(days=1)))
    page = db.paginate(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), page=requested_page(),
                       per_page=PER_PAGE, error_out=False)
    actors = {user.id: user for user in db.session.scalars(
        db.select(User).where(User.id.in_({entry.actor_id for entry in page.items})))}
    filters = {k: request.args[k] for k in FILTERS if k in request.args}
    return render_template("accounts/audit.html", page=page, actors=actors, groups=ACTION_GROUPS, problems=problems,
                           action_label=action_label, filters=filters)
