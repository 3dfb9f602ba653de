"""Question statistics for editors, in the manner of Moodle's quiz statistics report.

Over the finished attempts at one quiz (submitted or expired; by default only each
person's first one), each question that appeared on a paper gets:

- the number of attempts that had it;
- its facility index: the share of those attempts that scored it;
- its discrimination index: the Pearson correlation, in %, between the score on the
  question and the score on the rest of the attempt (Moodle's definition), undefined
  when there are fewer than two attempts or either score never varies;
- how often each choice was picked, with the right ones marked;
- flags for questions that are too easy, too hard, or discriminate badly.

Everything is read from the papers and the saved answers, marked exactly as the engine
marks them (right set of choices, saved by deadline + grace), so later edits to the bank
never change a figure. Two queries load the attempts and their answers; the rest is
Python, so thousands of attempts cost no more round trips than ten.
"""
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accounts.models import User
from core.clock import to_local
from core.extensions import db
from core.tabular import WorkbookWriter
from learning.models import QUESTION_TYPES, Question
from quizzes.models import EXPIRED, SUBMITTED, Answer, Attempt, Quiz
from quizzes.services import GRACE_SECONDS
from units.models import Member, Unit

FINISHED = (SUBMITTED, EXPIRED)

# Flags, in percent.
TOO_EASY_ABOVE = 90.0          # facility above this: "Quá dễ"
TOO_HARD_BELOW = 20.0          # facility below this: "Quá khó"
WEAK_DISCRIMINATION_BELOW = 20.0  # discrimination from 0 up to (not including) this: "Phân loại yếu"
# discrimination below 0: "Phân loại ngược"

TOO_EASY, TOO_HARD, NEGATIVE, WEAK = "too_easy", "too_hard", "negative_discrimination", "weak_discrimination"
FLAG_LABELS = {
    TOO_EASY: "Quá dễ",
    TOO_HARD: "Quá khó",
    NEGATIVE: "Phân loại ngược",
    WEAK: "Phân loại yếu",
}
STATUS_LABELS = {SUBMITTED: "Đã nộp", EXPIRED: "Hết giờ, tự nộp"}
LETTERS = "ABCDEFGHIJ"


@dataclass
class ChoiceStats:
    id: int
    letter: str
    text: str
    correct: bool
    count: int = 0
    percent: float = 0.0   # of the attempts that had the question


@dataclass
class QuestionStats:
    id: int
    type: str
    text: str
    slug: str | None              # the bank's question, when it still exists
    attempts: int = 0
    right: int = 0
    unanswered: int = 0
    facility: float | None = None          # %
    discrimination: float | None = None    # %, None when undefined
    choices: list[ChoiceStats] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def type_name(self) -> str:
        return QUESTION_TYPES.get(self.type, self.type)

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS[flag] for flag in self.flags]

    @property
    def correct_letters(self) -> str:
        return ", ".join(choice.letter for choice in self.choices if choice.correct)


@dataclass
class AttemptRow:
    id: int
    user_id: int
    full_name: str
    unit_name: str | None
    number: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    score: int
    max_score: int
    percent: float
    passed: bool
    flagged_short: bool

    @property
    def duration_seconds(self) -> int | None:
        if self.finished_at is None:
            return None
        return int((self.finished_at - self.started_at).total_seconds())

    @property
    def status_name(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class QuizStatistics:
    quiz: Quiz
    all_attempts: bool
    questions: list[QuestionStats]
    attempts: list[AttemptRow]

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    @property
    def people(self) -> int:
        return len({row.user_id for row in self.attempts})

    @property
    def mean_percent(self) -> float | None:
        if not self.attempts:
            return None
        return math.fsum(row.percent for row in self.attempts) / len(self.attempts)

    @property
    def passed_count(self) -> int:
        return sum(1 for row in self.attempts if row.passed)

    @property
    def short_count(self) -> int:
        return sum(1 for row in self.attempts if row.flagged_short)


# -- computing -----------------------------------------------------------------------

def pearson(xs: list[float], ys: list[float]) -> float | None:
    """The correlation coefficient of two equally long series; None when it is undefined."""
    n = len(xs)
    if n < 2 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    mean_x, mean_y = math.fsum(xs) / n, math.fsum(ys) / n
    dx = [x - mean_x for x in xs]
    dy = [y - mean_y for y in ys]
    covariance = math.fsum(a * b for a, b in zip(dx, dy, strict=True))
    spread = math.sqrt(math.fsum(a * a for a in dx) * math.fsum(b * b for b in dy))
    if spread == 0:
        return None
    return max(-1.0, min(1.0, covariance / spread))


def flags_for(facility: float | None, discrimination: float | None) -> list[str]:
    flags = []
    if facility is not None:
        if facility > TOO_EASY_ABOVE:
            flags.append(TOO_EASY)
        elif facility < TOO_HARD_BELOW:
            flags.append(TOO_HARD)
    if discrimination is not None:
        if discrimination < 0:
            flags.append(NEGATIVE)
        elif discrimination < WEAK_DISCRIMINATION_BELOW:
            flags.append(WEAK)
    return flags


def _finished_attempts(quiz_id: int, all_attempts: bool):
    """The select of the attempts counted: finished ones, only each person's first unless asked."""
    query = db.select(Attempt).where(Attempt.quiz_id == quiz_id, Attempt.status.in_(FINISHED))
    if not all_attempts:
        firsts = (db.select(Attempt.user_id, db.func.min(Attempt.number).label("number"))
                  .where(Attempt.quiz_id == quiz_id, Attempt.status.in_(FINISHED))
                  .group_by(Attempt.user_id).subquery())
        query = query.join(firsts, (firsts.c.user_id == Attempt.user_id) & (firsts.c.number == Attempt.number))
    return query


def quiz_statistics(quiz: Quiz, *, all_attempts: bool = False) -> QuizStatistics:
    """The question statistics and the list of attempts of ``quiz``."""
    counted = _finished_attempts(quiz.id, all_attempts)
    attempt_rows = db.session.execute(
        counted.with_only_columns(
            Attempt.id, Attempt.user_id, Attempt.number, Attempt.status, Attempt.started_at, Attempt.deadline,
            Attempt.finished_at, Attempt.paper, Attempt.score, Attempt.max_score, Attempt.percent, Attempt.passed,
            Attempt.flagged_short,
            User.full_name, Unit.name.label("unit_name"))
        .join(User, User.id == Attempt.user_id)
        .outerjoin(Member, Member.id == Attempt.member_id)
        .outerjoin(Unit, Unit.id == Member.unit_id)
        .order_by(Attempt.started_at, Attempt.id)).all()
    answers: dict[int, dict[int, tuple[list[int], datetime]]] = defaultdict(dict)
    for attempt_id, question_id, choice_ids, saved_at in db.session.execute(
            db.select(Answer.attempt_id, Answer.question_id, Answer.choice_ids, Answer.saved_at)
            .where(Answer.attempt_id.in_(counted.with_only_columns(Attempt.id)))):
        answers[attempt_id][question_id] = (choice_ids or [], saved_at)

    # Mark every question of every paper as the engine does, remembering what was picked.
    scores: dict[int, list[int]] = defaultdict(list)      # question id -> 0 or 1, per attempt that had it
    rests: dict[int, list[float]] = defaultdict(list)     # question id -> the rest of that attempt's score
    picks: dict[int, list[set[int]]] = defaultdict(list)  # question id -> the set picked, per attempt
    entries: dict[int, dict] = {}                         # question id -> its latest paper entry
    choice_texts: dict[int, dict[int, str]] = defaultdict(dict)
    correct_sets: dict[int, set[int]] = defaultdict(set)
    rows: list[AttemptRow] = []
    for row in attempt_rows:
        cutoff = row.deadline + timedelta(seconds=GRACE_SECONDS)
        saved = answers.get(row.id, {})
        marks = {}
        for entry in row.paper:
            picked, saved_at = saved.get(entry["id"], ([], cutoff))
            picked = set(picked) if saved_at <= cutoff else set()
            marks[entry["id"]] = int(bool(picked) and picked == set(entry["correct"]))
            picks[entry["id"]].append(picked)
            entries[entry["id"]] = entry
            for choice in entry["choices"]:
                choice_texts[entry["id"]][choice["id"]] = choice["text"]
            correct_sets[entry["id"]].update(entry["correct"])
        total = sum(marks.values())
        # The rest of the attempt, as a fraction of what it could score, so papers of
        # different lengths compare; with equal lengths this is Moodle's figure exactly.
        rest_max = len(marks) - 1
        for question_id, mark in marks.items():
            scores[question_id].append(mark)
            rests[question_id].append((total - mark) / rest_max if rest_max else 0.0)
        rows.append(AttemptRow(  # the result as the engine recorded it
            id=row.id, user_id=row.user_id, full_name=row.full_name, unit_name=row.unit_name, number=row.number,
            status=row.status, started_at=row.started_at, finished_at=row.finished_at,
            score=row.score if row.score is not None else total, max_score=row.max_score,
            percent=row.percent if row.percent is not None else 0.0, passed=bool(row.passed),
            flagged_short=bool(row.flagged_short)))

    slugs = {}  # for a link to the bank's question, when it is still in the quiz's topic
    if entries:
        slugs = dict(db.session.execute(db.select(Question.id, Question.slug).where(
            Question.topic_id == quiz.topic_id, Question.id.in_(list(entries)))).all())
    questions = [_question_stats(question_id, entries[question_id], scores[question_id], rests[question_id],
                                 picks[question_id], choice_texts[question_id], correct_sets[question_id],
                                 slugs.get(question_id))
                 for question_id in sorted(entries)]
    return QuizStatistics(quiz=quiz, all_attempts=all_attempts, questions=questions, attempts=rows)


def _question_stats(question_id: int, entry: dict, scores: list[int], rests: list[float],
                    picked_sets: list[set[int]], texts: dict[int, str], correct: set[int],
                    slug: str | None) -> QuestionStats:
    stats = QuestionStats(id=question_id, type=entry["type"], text=entry["text"], slug=slug)
    stats.attempts = len(scores)
    stats.right = sum(scores)
    stats.unanswered = sum(1 for picked in picked_sets if not picked)
    if stats.attempts:
        stats.facility = 100 * stats.right / stats.attempts
    r = pearson(scores, rests)
    stats.discrimination = None if r is None else 100 * r
    counts: dict[int, int] = defaultdict(int)
    for picked in picked_sets:
        for choice_id in picked:
            counts[choice_id] += 1
    for index, choice_id in enumerate(sorted(texts)):
        count = counts.get(choice_id, 0)
        stats.choices.append(ChoiceStats(
            id=choice_id, letter=LETTERS[index] if index < len(LETTERS) else str(index + 1), text=texts[choice_id],
            correct=choice_id in correct, count=count,
            percent=100 * count / stats.attempts if stats.attempts else 0.0))
    stats.flags = flags_for(stats.facility, stats.discrimination)
    return stats


# -- the spreadsheet -----------------------------------------------------------------

def duration_text(seconds: int | None) -> str:
    """m:ss, minutes not wrapped into hours (a 75-minute attempt reads 75:00)."""
    if seconds is None:
        return ""
    seconds = max(0, seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _one_decimal(value: float | None):
    return "—" if value is None else round(value, 1)


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else to_local(moment).replace(tzinfo=None)


QUESTION_HEADERS = ["Mã câu", "Câu hỏi", "Loại", "Số lượt có câu", "Số lượt đúng", "Độ dễ (%)",
                    "Độ phân loại (%)", "Cảnh báo", "Đáp án đúng", "Không trả lời"]
ATTEMPT_HEADERS = ["Họ và tên", "Đơn vị", "Lần", "Trạng thái", "Bắt đầu", "Kết thúc", "Thời gian (phút:giây)",
                   "Điểm", "Điểm tối đa", "Tỉ lệ (%)", "Kết quả", "Quá nhanh"]


def question_rows(stats: QuizStatistics) -> tuple[list[str], list[list]]:
    """Headers and rows of the "Câu hỏi" sheet: one row per question, three columns per choice."""
    width = max((len(q.choices) for q in stats.questions), default=0)
    headers = list(QUESTION_HEADERS)
    for index in range(width):
        letter = LETTERS[index] if index < len(LETTERS) else str(index + 1)
        headers += [f"Phương án {letter}", f"Số lượt chọn {letter}", f"% chọn {letter}"]
    rows = []
    for q in stats.questions:
        row = [q.id, q.text, q.type_name, q.attempts, q.right, _one_decimal(q.facility),
               _one_decimal(q.discrimination), ", ".join(q.flag_labels), q.correct_letters, q.unanswered]
        for choice in q.choices:
            row += [choice.text, choice.count, round(choice.percent, 1)]
        rows.append(row + [None] * (len(headers) - len(row)))
    return headers, rows


def attempt_rows(stats: QuizStatistics) -> tuple[list[str], list[list]]:
    rows = [[a.full_name, a.unit_name or "", a.number, a.status_name, _local(a.started_at), _local(a.finished_at),
             duration_text(a.duration_seconds), a.score, a.max_score, a.percent,
             "Đạt" if a.passed else "Chưa đạt", "Quá nhanh" if a.flagged_short else ""]
            for a in stats.attempts]
    return list(ATTEMPT_HEADERS), rows


def statistics_workbook(stats: QuizStatistics) -> io.BytesIO:
    """Two sheets, "Câu hỏi" and "Lượt làm bài", written row by row."""
    workbook = WorkbookWriter()
    for title, (headers, rows), widths in (
            ("Câu hỏi", question_rows(stats), {1: 10, 2: 70, 3: 18, 8: 28}),
            ("Lượt làm bài", attempt_rows(stats), {1: 28, 2: 40, 4: 16, 5: 17, 6: 17})):
        sheet = workbook.sheet(title, widths=widths, default_width=14, columns=len(headers), freeze="A2")
        sheet.header(headers)
        for row in rows:
            sheet.append(row)
    return workbook.to_buffer()
