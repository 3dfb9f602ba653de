"""Units' plans for "học tập và làm theo Bác": for a year, or for the 2021–2025 term.

A plan is due by the end of the first quarter of its year, except the 2021 plan (and the
term's), due by the end of the third quarter of 2021. A plan first saved after its due day is
late; a unit without one after it is behind, marked as the completion report marks it.
The plan is typed text, an attached PDF or Word file the unit signed, or both. The file is
recognised by its first bytes (never its name), bounded in size, stored under instance/ by
a random key, and served only to officers over the unit. Plain functions; the caller commits.
"""
import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app

from core import audit
from core.clock import local_today, utcnow
from core.errors import Refusal
from core.extensions import db
from core.text import number_vn
from lamtheo.models import Plan
from units import tree as unit_tree
from units.models import Unit

TERM_START, TERM_END = 2021, 2025
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TEXT = 20_000
MAX_ZIP_MEMBERS = 2_000  # a .docx has a few dozen parts
PDF, DOCX, DOC = "pdf", "docx", "doc"
MIMETYPES = {PDF: "application/pdf", DOC: "application/msword",
             DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
ON_TIME, LATE, PENDING, MISSING = "on_time", "late", "pending", "missing"
STATUS_NAMES = {ON_TIME: "Đã nộp đúng hạn", LATE: "Nộp muộn", PENDING: "Chưa nộp (chưa đến hạn)",
                MISSING: "Chưa nộp, đã quá hạn"}


class PlanError(Refusal):
    """The Vietnamese sentence saying what is wrong."""


@dataclass
class PlanData:
    issues: str = ""
    actions: str = ""
    responsible: str = ""
    deadline: date | None = None


def due_on(year: int, is_term: bool = False) -> date:
    return date(2021, 9, 30) if is_term or year == 2021 else date(year, 3, 31)


def label(year: int, is_term: bool) -> str:
    return f"Kế hoạch giai đoạn {TERM_START}–{TERM_END}" if is_term else f"Kế hoạch năm {year}"


def check_year(year: int, is_term: bool) -> None:
    if is_term and year != TERM_START:
        raise PlanError(f"Kế hoạch giai đoạn ghi cho năm {TERM_START}.")
    if not TERM_START <= year <= 2100:
        raise PlanError(f"Năm kế hoạch phải từ {TERM_START} trở đi.")


def get_plan(unit: Unit, year: int, is_term: bool = False) -> Plan | None:
    return db.session.scalars(db.select(Plan).filter_by(unit_id=unit.id, year=year, is_term=is_term)).first()


def file_kind(head: bytes, data: bytes) -> str | None:
    """PDF, Word 2007+ (a zip holding word/document.xml) or Word 97 (an OLE file), by content."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return DOC
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if len(names) <= MAX_ZIP_MEMBERS and "word/document.xml" in names:
            return DOCX
    return None


def storage_dir() -> Path:
    configured = current_app.config.get("LAMTHEO_PLAN_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "lamtheo" / "plans"


def file_path(plan: Plan) -> Path | None:
    return storage_dir() / plan.file_key if plan.file_key else None


def _clean(text: str, name: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise PlanError(f"{name} quá dài (tối đa {number_vn(MAX_TEXT)} ký tự).")
    return text


def save_plan(unit: Unit, year: int, is_term: bool, data: PlanData, actor, *, upload: tuple[str, bytes] | None = None,
              now: datetime | None = None) -> tuple[Plan, Path | None]:
    """Record or update the plan. Returns it and the file it no longer uses (the caller deletes it after
    committing). Nothing is written, file or row, unless everything is right."""
    now = now or utcnow()
    check_year(year, is_term)
    if not unit.is_active:
        raise PlanError("Đơn vị đã sáp nhập hoặc giải thể, không ghi kế hoạch được nữa.")
    issues, actions = _clean(data.issues, "Vấn đề chọn"), _clean(data.actions, "Việc làm")
    responsible = _clean(data.responsible, "Người phụ trách")
    kind = None
    if upload is not None:
        filename, content = upload
        if len(content) > MAX_FILE_BYTES:
            raise PlanError("Tệp quá lớn: tối đa 10 MB.")
        kind = file_kind(content[:8], content)
        if kind is None:
            raise PlanError("Tệp đính kèm phải là PDF hoặc Word (.docx, .doc).")
    plan = get_plan(unit, year, is_term)
    if not (issues and actions) and upload is None and not (plan and plan.file_key):
        raise PlanError("Hãy ghi vấn đề chọn và việc làm, hoặc đính kèm tệp kế hoạch đã ký.")
    created = plan is None
    if created:
        plan = Plan(unit_id=unit.id, year=year, is_term=is_term, filed_at=now, filed_by_id=getattr(actor, "id", None))
        db.session.add(plan)
    plan.issues, plan.actions, plan.responsible, plan.deadline = issues, actions, responsible, data.deadline
    plan.updated_at = now
    replaced = None
    if upload is not None:
        replaced = file_path(plan)
        key = f"{secrets.token_hex(16)}.{kind}"
        folder = storage_dir()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(upload[1])
        stem = Path(upload[0] or "").stem.strip()[:150] or "ke-hoach"
        plan.file_key, plan.file_name, plan.file_size = key, f"{stem}.{kind}", len(upload[1])
    audit.record(actor, "lamtheo_plan_saved", "unit", unit.code,
                 f"{'Ghi' if created else 'Sửa'} {label(year, is_term).lower()} của {unit.name}",
                 {"year": year, "is_term": is_term, "file": plan.file_name}, now=now)
    db.session.flush()
    return plan, replaced


def status(plan: Plan | None, year: int, is_term: bool, today: date) -> str:
    due = due_on(year, is_term)
    if plan is None:
        return MISSING if today > due else PENDING
    return LATE if local_today(plan.filed_at) > due else ON_TIME


def is_behind(state: str) -> bool:
    return state in (LATE, MISSING)


@dataclass
class ChildPlan:
    unit: Unit
    plan: Plan | None
    status: str

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    @property
    def behind(self) -> bool:
        return is_behind(self.status)


def children_plans(unit: Unit, year: int, is_term: bool = False, *, today: date | None = None) -> list[ChildPlan]:
    """The active child units and whether each filed its plan by the due day."""
    today = today or local_today()
    children = unit_tree.children(unit)
    plans = {plan.unit_id: plan for plan in db.session.scalars(
        db.select(Plan).where(Plan.unit_id.in_([child.id for child in children]), Plan.year == year,
                              Plan.is_term == is_term))}
    return [ChildPlan(child, plans.get(child.id), status(plans.get(child.id), year, is_term, today))
            for child in children]
