"""Members' commitments ("đăng ký làm theo"): one to three a year, then assessed at year end.

The member writes each commitment, or picks one of the suggestions published for the year by
their unit or a unit above it. Officers (a member whose account holds an officer role) commit
"nêu gương": their commitments are marked and listed first. At year end the member writes a
self-assessment; an officer over the member's unit confirms each commitment "đạt" or "chưa
đạt" with a comment, many at once, all or nothing. Nobody else reads them: the member, and
officers whose scope holds the member's current unit. Plain functions; the caller commits.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from core import audit
from core.clock import local_today, utcnow
from core.errors import Refusal
from core.extensions import db
from core.permissions import OFFICER, can_manage_unit
from core.text import number_vn
from lamtheo.models import RESULT_NAMES, RESULT_PASSED, Commitment, Suggestion
from units import tree as unit_tree
from units.models import MEMBER_ACTIVE, Member, Unit

MAX_PER_YEAR = 3
MAX_TEXT = 500
MAX_ASSESSMENT = 2_000
MAX_SUGGESTIONS = 30  # per unit and year: a short list to pick from


class CommitmentError(Refusal):
    """The Vietnamese sentence saying what is wrong."""


def is_exemplary(member: Member) -> bool:
    """Officers set the example: the member's account holds an officer role."""
    return bool(member.user and any(role.name == OFFICER for role in member.user.roles))


def of_member(member: Member, year: int) -> list[Commitment]:
    return list(db.session.scalars(db.select(Commitment).filter_by(member_id=member.id, year=year)
                                   .order_by(Commitment.id)))


def suggestions_for(unit: Unit, year: int) -> list[Suggestion]:
    """Suggestions published for the year by the unit or any unit above it, the nearest last."""
    return list(db.session.scalars(db.select(Suggestion).join(Unit, Unit.id == Suggestion.unit_id)
                                   .where(Suggestion.unit_id.in_(unit_tree.path_ids(unit)), Suggestion.year == year)
                                   .order_by(Unit.depth, Suggestion.id)))


def _text(text: str, limit: int, empty: str) -> str:
    text = " ".join((text or "").split()) if limit == MAX_TEXT else (text or "").strip()
    if not text:
        raise CommitmentError(empty)
    if len(text) > limit:
        raise CommitmentError(f"Nội dung quá dài (tối đa {number_vn(limit)} ký tự).")
    return text


def add_suggestion(unit: Unit, year: int, text: str, actor, *, now: datetime | None = None) -> Suggestion:
    text = _text(text, MAX_TEXT, "Hãy ghi nội dung gợi ý.")
    count = db.session.scalar(db.select(db.func.count()).select_from(Suggestion)
                              .where(Suggestion.unit_id == unit.id, Suggestion.year == year))
    if count >= MAX_SUGGESTIONS:
        raise CommitmentError(f"Mỗi đơn vị gợi ý tối đa {MAX_SUGGESTIONS} việc cho một năm.")
    suggestion = Suggestion(unit_id=unit.id, year=year, text=text, created_by_id=getattr(actor, "id", None))
    db.session.add(suggestion)
    audit.record(actor, "lamtheo_suggestion_added", "unit", unit.code, f"Gợi ý việc làm theo năm {year}: {text[:120]}",
                 {"year": year}, now=now)
    db.session.flush()
    return suggestion


def add(member: Member, year: int, text: str = "", *, suggestion: Suggestion | None = None,
        now: datetime | None = None) -> Commitment:
    """The member registers one more commitment for ``year``, the current year."""
    now = now or utcnow()
    if year != local_today(now).year:
        raise CommitmentError(f"Chỉ đăng ký được cho năm nay ({local_today(now).year}).")
    if member.status != MEMBER_ACTIVE:
        raise CommitmentError("Chỉ đoàn viên đang sinh hoạt mới đăng ký được.")
    if suggestion is not None:
        if suggestion.year != year or suggestion.unit_id not in unit_tree.path_ids(member.unit):
            raise CommitmentError("Gợi ý này không dành cho đơn vị của bạn trong năm nay.")
        text = text or suggestion.text
    text = _text(text, MAX_TEXT, "Hãy ghi việc bạn đăng ký làm theo, hoặc chọn một gợi ý.")
    # Two requests at once may pick the same free position: the unique key refuses the second,
    # which looks again (and finds the next one, or none left).
    for _ in range(MAX_PER_YEAR + 1):
        taken = {c.position for c in of_member(member, year)}
        free = [n for n in range(1, MAX_PER_YEAR + 1) if n not in taken]
        if not free:
            raise CommitmentError(f"Mỗi năm đăng ký tối đa {MAX_PER_YEAR} việc.")
        commitment = Commitment(member_id=member.id, unit_id=member.unit_id, year=year, position=free[0],
                                text=text, suggestion_id=suggestion.id if suggestion else None,
                                exemplary=is_exemplary(member), created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(commitment)
            return commitment
        except IntegrityError:
            db.session.expire_all()
    raise CommitmentError("Có nhiều lượt đăng ký cùng lúc, hãy thử lại.")


def own(member: Member, commitment_id: int) -> Commitment:
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or commitment.member_id != member.id:
        raise LookupError(commitment_id)
    return commitment


def remove(member: Member, commitment: Commitment) -> None:
    if commitment.member_id != member.id:
        raise LookupError(commitment.id)
    if commitment.result is not None or commitment.self_assessed_at is not None:
        raise CommitmentError("Việc đã tự đánh giá hoặc đã được xác nhận thì không xóa được.")
    db.session.delete(commitment)
    db.session.flush()
    for position, rest in enumerate(of_member(member, commitment.year), start=1):  # keep 1..n dense
        if rest.position != position:
            rest.position = position
            db.session.flush()


def self_assess(member: Member, commitment: Commitment, text: str, *, now: datetime | None = None) -> None:
    if commitment.member_id != member.id:
        raise LookupError(commitment.id)
    if commitment.result is not None:
        raise CommitmentError("Việc này đã được công đoàn xác nhận, không sửa tự đánh giá được nữa.")
    commitment.self_assessment = _text(text, MAX_ASSESSMENT, "Hãy ghi bạn đã làm được những gì.")
    commitment.self_assessed_at = now or utcnow()
    db.session.flush()


# -- the officers' side ----------------------------------------------------------------

@dataclass
class MemberCommitments:
    member: Member
    commitments: list[Commitment] = field(default_factory=list)

    @property
    def exemplary(self) -> bool:
        return any(c.exemplary for c in self.commitments)


def of_unit(unit: Unit, year: int, *, subtree: bool = False) -> list[MemberCommitments]:
    """Members now in the unit (or its subtree) with their commitments for the year: officers first
    ("nêu gương"), then by name. Members without a commitment are not listed."""
    where = unit_tree.in_subtree(unit) if subtree else Member.unit_id == unit.id
    rows = db.session.execute(
        db.select(Commitment, Member).join(Member, Member.id == Commitment.member_id)
        .join(Unit, Unit.id == Member.unit_id).where(where, Commitment.year == year)
        .order_by(Commitment.exemplary.desc(), Member.name_folded, Member.id, Commitment.id))
    grouped: dict[int, MemberCommitments] = {}
    for commitment, member in rows:
        grouped.setdefault(member.id, MemberCommitments(member)).commitments.append(commitment)
    return sorted(grouped.values(), key=lambda m: not m.exemplary)  # stable: names stay in order


def confirm(unit: Unit, decisions: dict[int, tuple[str, str]], actor, *, now: datetime | None = None) -> int:
    """Confirm commitments of members now in ``unit``'s subtree: ``decisions`` maps a commitment id to
    (result, comment). All or nothing: one id outside the unit or the actor's scope refuses every one."""
    now = now or utcnow()
    if not decisions:
        raise CommitmentError("Chưa chọn Đạt hay Chưa đạt cho việc nào.")
    for result, comment in decisions.values():
        if result not in RESULT_NAMES:
            raise CommitmentError("Kết quả chỉ là Đạt hoặc Chưa đạt.")
        if len(comment or "") > MAX_ASSESSMENT:
            raise CommitmentError(f"Nhận xét quá dài (tối đa {number_vn(MAX_ASSESSMENT)} ký tự).")
    rows = db.session.execute(db.select(Commitment, Unit).join(Member, Member.id == Commitment.member_id)
                              .join(Unit, Unit.id == Member.unit_id)
                              .where(Commitment.id.in_(list(decisions)))).all()
    if len(rows) != len(decisions) or not all(
            member_unit.path.startswith(unit.path) and can_manage_unit(actor, member_unit) for _, member_unit in rows):
        raise CommitmentError("Có việc không thuộc đoàn viên của đơn vị này: không xác nhận việc nào.")
    passed = 0
    for commitment, _ in rows:
        result, comment = decisions[commitment.id]
        commitment.result, commitment.result_comment = result, (comment or "").strip()
        commitment.confirmed_by_id, commitment.confirmed_at = getattr(actor, "id", None), now
        passed += result == RESULT_PASSED
    audit.record(actor, "lamtheo_commitments_confirmed", "unit", unit.code,
                 f"Xác nhận {len(rows)} việc đăng ký làm theo ({passed} đạt) tại {unit.name}",
                 {"ids": sorted(decisions), "passed": passed}, now=now)
    db.session.flush()
    return len(rows)
