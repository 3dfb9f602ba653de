"""Period reports sent up the tree: the officer's narrative and the figures, frozen at submission.

The figures are the completion report's API shape, computed once when the report is
sent and stored with it: later changes to the data never alter a submitted report.
Sending again for the same topic and period makes the next version; older versions
stay readable. The report goes to the unit's parent at the time of sending, which
keeps it even if the unit is later moved or merged. Plain functions; the caller commits.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func

from core import audit
from core.clock import utcnow
from core.errors import Refusal
from core.extensions import db
from core.permissions import can_manage_unit
from core.text import number_vn
from learning.models import Topic
from reports import services
from reports.models import ReportSubmission
from units import tree as unit_tree
from units.models import Unit

MAX_TEXT = 20_000


class SubmissionError(Refusal):
    """The report cannot be sent as it is."""


@dataclass
class Narrative:
    results: str
    shortcomings: str = ""
    proposals: str = ""


def period_for(topic: Topic, start: date, end: date, today: date) -> services.Period:
    """The preset with these dates (for its name), else a custom period."""
    return next((p for p in services.presets(topic, today) if (p.start, p.end) == (start, end)),
                services.Period.custom(start, end))


def check_sendable(unit: Unit) -> None:
    """A unit sends its report while it is active and has a unit above it."""
    if not unit.is_active:
        raise SubmissionError("Đơn vị đã sáp nhập hoặc giải thể, không gửi báo cáo được nữa.")
    if unit.parent_id is None:
        raise SubmissionError("Đơn vị cấp cao nhất không có đơn vị cấp trên trên hệ thống để gửi báo cáo.")


def _check(unit: Unit, period: services.Period, narrative: Narrative) -> None:
    check_sendable(unit)
    if period.start > period.end:
        raise SubmissionError("Ngày bắt đầu kỳ phải trước ngày kết thúc.")
    if not narrative.results.strip():
        raise SubmissionError("Hãy viết kết quả đạt được.")
    if max(len(narrative.results), len(narrative.shortcomings), len(narrative.proposals)) > MAX_TEXT:
        raise SubmissionError(f"Mỗi phần không được dài quá {number_vn(MAX_TEXT)} ký tự.")


def preview_figures(unit: Unit, topic: Topic, period: services.Period) -> dict:
    """The figures as they would be frozen if the report were sent now."""
    return services.report_as_dict(services.completion_report(unit, topic, period))


def submit(unit: Unit, topic: Topic, period: services.Period, narrative: Narrative, actor, *,
           now=None) -> ReportSubmission:
    _check(unit, period, narrative)
    latest = db.session.scalar(db.select(func.max(ReportSubmission.version)).filter_by(
        unit_id=unit.id, topic_id=topic.id, period_from=period.start, period_to=period.end)) or 0
    row = ReportSubmission(
        unit_id=unit.id, to_unit_id=unit.parent_id, topic_id=topic.id, period_from=period.start,
        period_to=period.end, version=latest + 1, results_text=narrative.results.strip(),
        shortcomings_text=narrative.shortcomings.strip(), proposals_text=narrative.proposals.strip(),
        figures=preview_figures(unit, topic, period), submitted_by_id=getattr(actor, "id", None),
        submitted_at=now or utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "report_submitted", "report_submission", row.id,
                 f"{unit.name} gửi báo cáo {period.label.lower()} ({period.dates}), chuyên đề {topic.slug}, "
                 f"lần {row.version}",
                 {"unit": unit.code, "to_unit": unit.parent.code, "topic": topic.slug,
                  "from": period.start.isoformat(), "to": period.end.isoformat(), "version": row.version}, now=now)
    return row


def can_read(user, row: ReportSubmission) -> bool:
    """The sending unit's officers and those of the unit it went to (and above either) may read it."""
    return can_manage_unit(user, row.unit) or (row.to_unit is not None and can_manage_unit(user, row.to_unit))


def versions(unit_id: int, topic_id: int, start: date, end: date) -> list[ReportSubmission]:
    """Every version sent for this unit, topic and period, latest first."""
    return list(db.session.scalars(db.select(ReportSubmission).filter_by(
        unit_id=unit_id, topic_id=topic_id, period_from=start, period_to=end)
        .order_by(ReportSubmission.version.desc())))


def sent(unit: Unit, topic: Topic) -> list[ReportSubmission]:
    """The latest version of each period this unit has sent for the topic, latest period first."""
    rows = db.session.scalars(db.select(ReportSubmission).filter_by(unit_id=unit.id, topic_id=topic.id)
                              .order_by(ReportSubmission.period_to.desc(), ReportSubmission.period_from.desc(),
                                        ReportSubmission.version.desc()))
    latest: dict[tuple, ReportSubmission] = {}
    for row in rows:
        latest.setdefault((row.period_from, row.period_to), row)
    return list(latest.values())


@dataclass
class ChildStatus:
    unit: Unit
    latest: ReportSubmission | None  # None: not sent for this period


def received(parent: Unit, topic: Topic, period: services.Period) -> list[ChildStatus]:
    """For each active unit under ``parent``, and each unit that sent it a report for this period
    but has since moved or merged, its latest version for the topic and period, or None."""
    rows = db.session.scalars(db.select(ReportSubmission).filter_by(
        to_unit_id=parent.id, topic_id=topic.id, period_from=period.start, period_to=period.end)
        .order_by(ReportSubmission.version.desc()))
    latest: dict[int, ReportSubmission] = {}
    for row in rows:
        latest.setdefault(row.unit_id, row)
    statuses = [ChildStatus(child, latest.pop(child.id, None)) for child in unit_tree.children(parent)]
    statuses += [ChildStatus(row.unit, row) for row in latest.values()]
    return sorted(statuses, key=lambda s: (s.unit.kind.position, s.unit.name_folded))


def received_periods(parent: Unit, topic: Topic) -> list[tuple[date, date, int]]:
    """The periods for which units sent ``parent`` a report on the topic, with how many units sent one."""
    return list(db.session.execute(
        db.select(ReportSubmission.period_from, ReportSubmission.period_to,
                  func.count(func.distinct(ReportSubmission.unit_id)))
        .where(ReportSubmission.to_unit_id == parent.id, ReportSubmission.topic_id == topic.id)
        .group_by(ReportSubmission.period_from, ReportSubmission.period_to)
        .order_by(ReportSubmission.period_to.desc(), ReportSubmission.period_from.desc())))
