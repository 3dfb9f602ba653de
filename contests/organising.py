"""Setting a contest up: the contest itself, its divisions and its rounds. Flush only: views commit."""
from dataclasses import dataclass
from datetime import datetime

from contests.boards import forget_cache, refresh_standings
from contests.models import (
    DIVISIONS_BY_KIND,
    DIVISIONS_FREE,
    DURATION_THEN_PREDICTION,
    PREDICTION_THEN_DURATION,
    Contest,
    Division,
    Entry,
    Participant,
    Round,
)
from contests.services import ContestError, add_round, may_organise_at, organiser_units
from core import audit
from core.clock import utcnow
from core.extensions import db
from core.text import clean_name
from learning import editing
from learning import topics as learning_topics
from learning.models import KIND_CONTEST, Topic
from quizzes import services as quizzes
from quizzes.models import REVIEW_ANSWERS, REVIEW_SCORE
from units import tree as unit_tree
from units.models import Unit, UnitKind


def organised_contests(user) -> list[Contest]:
    query = db.select(Contest).order_by(Contest.created_at.desc())
    roots = organiser_units(user)
    if roots is not None:
        if not roots:
            return []
        query = query.join(Unit, Contest.organiser_unit_id == Unit.id).where(
            db.or_(*[Unit.path.startswith(root.path, autoescape=True) for root in roots]))
    return list(db.session.scalars(query))


@dataclass
class ContestData:
    title: str
    anniversary: str
    description_md: str
    rules_md: str
    organiser_unit_code: str
    audience_unit_code: str
    open_to_public: bool
    division_mode: str
    tie_break: str
    published: bool


def _units(data: ContestData, actor) -> tuple[Unit, Unit]:
    organiser = unit_tree.get_unit(data.organiser_unit_code)
    if organiser is None or not organiser.is_active or not may_organise_at(actor, organiser):
        raise ContestError("Không có đơn vị tổ chức với mã này trong phạm vi của bạn.")
    audience = unit_tree.get_unit(data.audience_unit_code) if data.audience_unit_code.strip() else organiser
    if audience is None or not audience.is_active:
        raise ContestError("Không có đơn vị với mã này (đối tượng dự thi).")
    if not audience.path.startswith(organiser.path):
        raise ContestError("Đối tượng dự thi phải là đoàn viên của đơn vị tổ chức hoặc một đơn vị cấp dưới.")
    return organiser, audience


def _apply(contest: Contest, data: ContestData, organiser: Unit, audience: Unit) -> None:
    title = clean_name(data.title)
    if len(title) < 5:
        raise ContestError("Hãy nhập tên cuộc thi.")
    if data.division_mode not in (DIVISIONS_BY_KIND, DIVISIONS_FREE):
        raise ContestError("Cách chia bảng không hợp lệ.")
    if data.tie_break not in (PREDICTION_THEN_DURATION, DURATION_THEN_PREDICTION):
        raise ContestError("Thứ tự xét phụ không hợp lệ.")
    contest.title, contest.anniversary = title, clean_name(data.anniversary)
    contest.description_md, contest.rules_md = data.description_md.strip(), data.rules_md.strip()
    contest.organiser_unit, contest.audience_unit = organiser, audience
    contest.open_to_public, contest.division_mode = data.open_to_public, data.division_mode
    contest.tie_break, contest.published = data.tie_break, data.published


def create_contest(slug: str, data: ContestData, actor, *, bank_source: Topic | None = None) -> Contest:
    """A new contest with its own question bank: a copy of ``bank_source``'s, or empty for the editors to fill."""
    slug = editing.check_slug(slug)
    if db.session.scalar(db.select(Contest.id).where(Contest.slug == slug)) is not None:
        raise ContestError(f"Đã có cuộc thi mang mã “{slug}”.")
    organiser, audience = _units(data, actor)
    bank_slug, bank_title = f"ngan-hang-{slug}"[:80], f"Ngân hàng câu hỏi {clean_name(data.title)}"[:300]
    try:
        if bank_source is not None:
            bank = editing.clone_topic(bank_source, bank_slug, bank_title, actor=actor)
        else:
            bank = editing.create_topic(bank_slug, editing.TopicData(
                title=bank_title, kind=KIND_CONTEST, year=utcnow().year), actor=actor)
    except editing.EditError as error:
        raise ContestError(str(error)) from error
    bank.kind, bank.published = KIND_CONTEST, False  # never listed to members nor searched
    contest = Contest(slug=slug, bank=bank)
    _apply(contest, data, organiser, audience)
    db.session.add(contest)
    db.session.flush()
    audit.record(actor, "contest_created", "contest", contest.slug, f"Tạo cuộc thi {contest.title[:200]}")
    return contest


def update_contest(contest: Contest, data: ContestData, actor) -> None:
    organiser, audience = _units(data, actor)
    if audience.id != contest.audience_unit_id and _has_participants(contest):
        raise ContestError("Đã có người dự thi: không thể đổi đối tượng dự thi.")
    tie_break = contest.tie_break
    _apply(contest, data, organiser, audience)
    db.session.flush()
    if contest.tie_break != tie_break:  # each participant's best attempt may be another one
        refresh_standings(db.session, contest)
    audit.record(actor, "contest_updated", "contest", contest.slug, f"Sửa cuộc thi {contest.title[:200]}")
    forget_cache()


def _has_participants(contest: Contest) -> bool:
    return db.session.scalar(db.select(Participant.id).filter_by(contest_id=contest.id).limit(1)) is not None


def bank_size(contest: Contest) -> int:
    return quizzes.bank_size(contest.bank_topic_id, single_choice_only=True)


# -- divisions -----------------------------------------------------------------------------

def add_division(contest: Contest, name: str, unit_kind: UnitKind | None, actor) -> Division:
    name = clean_name(name)
    if len(name) < 2:
        raise ContestError("Hãy nhập tên bảng.")
    if any(d.name == name for d in contest.divisions):
        raise ContestError(f"Đã có bảng “{name}”.")
    if unit_kind is not None and any(d.unit_kind_id == unit_kind.id for d in contest.divisions):
        raise ContestError(f"Đã có bảng cho các đơn vị loại {unit_kind.name}.")
    division = Division(contest=contest, name=name, unit_kind_id=unit_kind.id if unit_kind else None,
                        position=max((d.position for d in contest.divisions), default=0) + 1)
    db.session.add(division)
    db.session.flush()
    audit.record(actor, "contest_division_added", "contest", contest.slug, f"Thêm {name}")
    return division


def remove_division(division: Division, actor) -> None:
    if db.session.scalar(db.select(Participant.id).filter_by(division_id=division.id).limit(1)) is not None:
        raise ContestError("Bảng đã có người dự thi: không thể xóa.")
    contest = division.contest
    contest.divisions.remove(division)
    db.session.delete(division)
    db.session.flush()
    audit.record(actor, "contest_division_removed", "contest", contest.slug, f"Xóa {division.name}")


# -- rounds --------------------------------------------------------------------------------

@dataclass
class RoundData:
    opens_at: datetime
    closes_at: datetime
    question_count: int = 20
    time_limit_minutes: int = 20
    max_attempts: int | None = 2
    prediction_question: str = "Theo bạn, có bao nhiêu người dự thi tuần này?"
    answers_after_close: bool = True
    min_duration_seconds: int = 60
    one_per_page: bool = True


def _check_bank(contest: Contest, question_count: int) -> None:
    available = bank_size(contest)
    if question_count > available:
        raise ContestError(f"Ngân hàng câu hỏi của cuộc thi mới có {available} câu một đáp án đang dùng, "
                           f"ít hơn số câu cần rút ({question_count}).")


def create_round(contest: Contest, data: RoundData, actor) -> Round:
    _check_bank(contest, data.question_count)
    number = max((r.number for r in contest.rounds), default=0) + 1
    contest_round = add_round(contest, number, data.opens_at, data.closes_at, question_count=data.question_count,
                              time_limit_seconds=data.time_limit_minutes * 60, max_attempts=data.max_attempts,
                              prediction_question=data.prediction_question.strip(),
                              answers_after_close=data.answers_after_close, one_per_page=data.one_per_page)
    contest_round.quiz.min_duration_seconds = data.min_duration_seconds
    audit.record(actor, "contest_round_added", "contest", contest.slug, f"Thêm tuần {number}")
    return contest_round


def has_entries(contest_round: Round) -> bool:
    return db.session.scalar(db.select(Entry.id).filter_by(round_id=contest_round.id).limit(1)) is not None


def update_round(contest_round: Round, data: RoundData, actor, *, now: datetime | None = None) -> None:
    """Once someone has started, only the closing time and the prediction question may change:
    everyone must have played by the same rules. A round that has closed stays closed: its
    review has shown the answers, which its tries left would then be played with."""
    quiz = contest_round.quiz
    if data.closes_at <= data.opens_at:
        raise ContestError("Thời điểm đóng vòng thi phải sau thời điểm mở.")
    started = has_entries(contest_round)
    if started and quiz.closes_at <= (now or utcnow()) < data.closes_at:
        raise ContestError("Tuần thi đã kết thúc và người dự thi đã xem được đáp án: không mở lại được. "
                           "Hãy thêm một tuần thi mới.")
    if started:
        same = (data.opens_at == quiz.opens_at and data.question_count == quiz.question_count
                and data.time_limit_minutes * 60 == quiz.time_limit_seconds and data.max_attempts == quiz.max_attempts
                and data.answers_after_close == (quiz.review_after_submit == REVIEW_SCORE)
                and data.min_duration_seconds == quiz.min_duration_seconds)
        if not same:
            raise ContestError("Tuần thi đã có người làm bài: chỉ được đổi thời điểm đóng và câu hỏi dự đoán.")
    else:
        _check_bank(contest_round.contest, data.question_count)
    quiz.opens_at, quiz.closes_at = data.opens_at, data.closes_at
    quiz.question_count, quiz.time_limit_seconds = data.question_count, data.time_limit_minutes * 60
    quiz.max_attempts, quiz.min_duration_seconds = data.max_attempts, data.min_duration_seconds
    quiz.review_after_submit = REVIEW_SCORE if data.answers_after_close else REVIEW_ANSWERS
    quiz.one_per_page = data.one_per_page  # only how the page shows the questions: may change any time
    problems = quizzes.check_settings(quiz)
    if problems:
        raise ContestError(" ".join(problems))
    contest_round.prediction_question = data.prediction_question.strip()
    db.session.flush()
    audit.record(actor, "contest_round_updated", "contest", contest_round.contest.slug,
                 f"Sửa tuần {contest_round.number}")
    forget_cache()


def round_data(contest_round: Round) -> RoundData:
    quiz = contest_round.quiz
    return RoundData(opens_at=quiz.opens_at, closes_at=quiz.closes_at, question_count=quiz.question_count,
                     time_limit_minutes=quiz.time_limit_seconds // 60, max_attempts=quiz.max_attempts,
                     prediction_question=contest_round.prediction_question,
                     answers_after_close=quiz.review_after_submit == REVIEW_SCORE,
                     min_duration_seconds=quiz.min_duration_seconds, one_per_page=quiz.one_per_page)


def bank_sources(user) -> list[Topic]:
    """Topics whose question bank a new contest may start from: those ``user`` may open. The copy
    can be played with its answers shown, so a draft or another province's topic is not one."""
    query = db.select(Topic).where(Topic.kind != KIND_CONTEST)
    scope = learning_topics.topic_scope(user, None)
    if scope is not None:
        query = query.where(Topic.published, scope)
    return list(db.session.scalars(query.order_by(Topic.year.desc(), Topic.title)))
