"""Question banks as spreadsheets: the template, the all-or-nothing import, the export.

One layout for all three, so an exported bank imports again unchanged:

    Câu hỏi | Loại | Đáp án A … Đáp án F | Đáp án đúng | Giải thích | Bài học

"Loại" is "Một đáp án", "Nhiều đáp án", "Đúng/Sai" (or single, multiple, true_false);
"Đáp án đúng" is letters ("A" or "A, C"); "Bài học" is the lesson's slug, its exact
title or its number in the topic, or empty.
"""
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.styles import Alignment
from sqlalchemy.orm import selectinload

from core import audit
from core.extensions import db
from core.logs import logged_import
from core.tabular import FORMULA_START, ImportIssue, ImportReport, Row, TableError, WorkbookWriter, read_table
from core.text import clean_name, fold, number_vn
from learning import editing
from learning.models import MULTIPLE, SINGLE, TRUE_FALSE, Lesson, Question, Topic

LETTERS = editing.LETTERS
CHOICE_KEYS = tuple(f"choice_{letter.lower()}" for letter in LETTERS)
COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("Câu hỏi",),
    "type": ("Loại", "Loại câu hỏi"),
    **{key: (f"Đáp án {letter}",) for key, letter in zip(CHOICE_KEYS, LETTERS, strict=True)},
    "correct": ("Đáp án đúng",),
    "explanation": ("Giải thích",),
    "lesson": ("Bài học",),
}
HEADERS = [titles[0] for titles in COLUMNS.values()]
REQUIRED = ("text", "type", "choice_a", "choice_b", "correct")
TYPE_LABELS = {SINGLE: "Một đáp án", MULTIPLE: "Nhiều đáp án", TRUE_FALSE: "Đúng/Sai"}
_TYPE_WORDS = {
    "motdapan": SINGLE, "motdapandung": SINGLE, "single": SINGLE,
    "nhieudapan": MULTIPLE, "nhieudapandung": MULTIPLE, "multiple": MULTIPLE,
    "dungsai": TRUE_FALSE, "truefalse": TRUE_FALSE,
}
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_SEPARATORS = re.compile(r"[\s,;/+&.]+|\bva\b")
MAX_ROWS = 5000
MAX_TEXT = 4000


@dataclass
class ImportResult(ImportReport):
    added: int = 0
    warnings: list[ImportIssue] = field(default_factory=list)


@dataclass
class _Parsed:
    row: int
    data: editing.QuestionData


# -- reading ---------------------------------------------------------------------------

def parse_type(text: str) -> str | None:
    """"Một đáp án", "nhieu dap an", "Đúng/Sai", "true_false"… to a type code, or None."""
    return _TYPE_WORDS.get(_NOT_WORD.sub("", fold(text)))


def parse_letters(text: str) -> list[str] | None:
    """"A", "a, c", "A;C", "AC", "A và C" to ["A", "C"]; None when something else is there."""
    letters: list[str] = []
    for token in _LETTER_SEPARATORS.split(fold(text)):
        if not token:
            continue
        if not all(ch in LETTERS.lower() for ch in token):
            return None
        letters.extend(ch.upper() for ch in token)
    return list(dict.fromkeys(letters))


def _unquote(text: str) -> str:
    """Undo the export's protection: a leading ' before = + - @ is not part of the text."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


class _LessonFinder:
    def __init__(self, topic: Topic):
        self.lessons = editing.ordered_lessons(topic)
        self.by_slug = {lesson.slug: lesson for lesson in self.lessons}
        self.by_title: dict[str, list[Lesson]] = {}
        for lesson in self.lessons:
            self.by_title.setdefault(clean_name(lesson.title), []).append(lesson)

    def find(self, text: str) -> tuple[Lesson | None, str | None]:
        """The lesson a cell names, or why it names none."""
        if text in self.by_slug:
            return self.by_slug[text], None
        titled = self.by_title.get(clean_name(text), [])
        if len(titled) == 1:
            return titled[0], None
        if len(titled) > 1:
            return None, f"Có {len(titled)} bài cùng tên “{text}”: hãy ghi mã (slug) của bài."
        if text.isdecimal() and 1 <= int(text) <= len(self.lessons):
            return self.lessons[int(text) - 1], None
        return None, (f"Chuyên đề không có bài học “{text}”. Ghi mã (slug), tên đúng của bài, "
                      f"hoặc số thứ tự bài (1–{len(self.lessons)}).")


def _parse_row(row: Row, title: dict[str, str], lessons: _LessonFinder, result: ImportResult) -> _Parsed:
    v = {key: _unquote(value) for key, value in row.values.items()}
    n = row.number
    text = v.get("text", "")
    if not text:
        result.error(n, title["text"], "Thiếu nội dung câu hỏi.")
    elif len(text) > MAX_TEXT:
        result.error(n, title["text"], f"Câu hỏi dài quá {number_vn(MAX_TEXT)} ký tự.")
    kind = parse_type(v.get("type", ""))
    if not v.get("type"):
        result.error(n, title["type"], "Thiếu loại câu hỏi (Một đáp án, Nhiều đáp án hoặc Đúng/Sai).")
    elif kind is None:
        result.error(n, title["type"], f"Loại “{v['type']}” không hợp lệ: ghi Một đáp án, Nhiều đáp án "
                                       "hoặc Đúng/Sai.")
    # Choices: filled from A onwards, with no gap, so the letters keep their meaning.
    filled = [v.get(key, "") for key in CHOICE_KEYS]
    last = max((i for i, value in enumerate(filled) if value), default=-1)
    for i in range(last):
        if not filled[i]:
            result.error(n, title[CHOICE_KEYS[i]], f"Đáp án {LETTERS[i]} trống trong khi có đáp án "
                                                   f"{LETTERS[last]}: hãy điền liền từ A.")
    for i, value in enumerate(filled):
        if len(value) > MAX_TEXT:
            result.error(n, title[CHOICE_KEYS[i]], f"Đáp án {LETTERS[i]} quá dài.")
    letters = parse_letters(v.get("correct", ""))
    correct_ok = False
    if not v.get("correct"):
        result.error(n, title["correct"], "Chưa có đáp án đúng: ghi chữ cái, ví dụ “A” hoặc “A, C”.")
    elif letters is None:
        result.error(n, title["correct"], f"“{v['correct']}” không hợp lệ: ghi chữ cái A–F, ví dụ “A” hoặc “A, C”.")
    else:
        empty = [letter for letter in letters if not filled[LETTERS.index(letter)]]
        if empty:
            result.error(n, title["correct"], f"Đáp án {', '.join(empty)} được đánh dấu đúng nhưng ô "
                                              f"“Đáp án {empty[0]}” đang trống.")
        else:
            correct_ok = True
    choices = [(value, LETTERS[i] in (letters or [])) for i, value in enumerate(filled) if value]
    if kind is not None and correct_ok:
        problem = editing.choice_problem(kind, choices)
        if problem:
            folded = [fold(value) for value, _ in choices]
            too_few = len(choices) < 2
            repeated = len(set(folded)) != len(folded)
            wrong_count = kind == TRUE_FALSE and len(choices) != 2
            if too_few:
                column = title[CHOICE_KEYS[len(choices)]]
            elif repeated:
                column = title[CHOICE_KEYS[next(i for i, f in enumerate(folded) if f in folded[:i])]]
            elif wrong_count:
                column = title[CHOICE_KEYS[2]]
            else:
                column = title["correct"]
            result.error(n, column, problem)
    lesson = None
    if v.get("lesson"):
        lesson, problem = lessons.find(v["lesson"])
        if problem:
            result.error(n, title["lesson"], problem)
    return _Parsed(n, editing.QuestionData(type=kind or SINGLE, text=text, explanation=v.get("explanation", ""),
                                           lesson=lesson, choices=choices))


@logged_import("questions")
def import_questions(topic: Topic, path: Path, filename: str, actor, *, publish: bool = True,
                     dry_run: bool = False, now=None) -> ImportResult:
    """Check every row; when all are good (and not ``dry_run``) add them to the topic's bank.

    Nothing is written when any row has an error. Raises ``core.tabular.TableError`` when
    the file itself cannot be read or lacks a required column.
    """
    found, rows = read_table(path, filename, COLUMNS, REQUIRED, max_rows=MAX_ROWS)
    title = {key: found.get(key, titles[0]) for key, titles in COLUMNS.items()}
    lessons = _LessonFinder(topic)
    result = ImportResult()
    parsed: list[_Parsed] = []
    seen: dict[str, int] = {}
    existing = {fold(text): slug for slug, text in db.session.execute(
        db.select(Question.slug, Question.text).where(Question.topic_id == topic.id))}
    for row in rows:
        result.rows += 1
        item = _parse_row(row, title, lessons, result)
        key = fold(item.data.text)
        if key and key in seen:
            result.error(row.number, title["text"], f"Câu hỏi trùng với dòng {seen[key]}.")
        elif key:
            seen[key] = row.number
            if key in existing:
                result.warnings.append(ImportIssue(row.number, title["text"],
                                                   f"Ngân hàng đã có câu hỏi này ({existing[key]}); vẫn thêm."))
        parsed.append(item)
    if result.rows == 0:
        raise TableError("Tệp không có câu hỏi nào dưới dòng tiêu đề.")
    if not result.ok or dry_run:
        return result
    slugs = editing.new_question_slugs(topic, len(parsed))
    position = editing.next_question_position(topic)
    for offset, (item, slug) in enumerate(zip(parsed, slugs, strict=True)):
        question = editing.create_question(topic, item.data, slug=slug, published=publish,
                                           position=position + offset)
        result.added += 1
        result.outcomes.append((item.row, question.slug, question.text))
    audit.record(actor, "questions_imported", "topic", topic.slug,
                 f"Nhập {result.added} câu hỏi vào chuyên đề {topic.title} từ {filename}",
                 {"file": filename, "added": result.added, "published": publish}, now=now)
    db.session.flush()
    return result


# -- writing ---------------------------------------------------------------------------

def _workbook(rows, *, guide: bool) -> io.BytesIO:
    workbook = WorkbookWriter()
    widths = {1: 60, 2: 16, 9: 14, 10: 40, 11: 24}
    sheet = workbook.sheet("Câu hỏi", widths=widths, default_width=24, columns=len(HEADERS), freeze="A2")
    sheet.header(HEADERS)
    top = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([sheet.cell(value if value != "" else None, alignment=top) for value in row])
    if guide:
        notes = workbook.sheet("Hướng dẫn", widths={1: 110})
        for line in (
            "Mỗi dòng của trang “Câu hỏi” là một câu hỏi. Không đổi tên các cột.",
            "Loại: Một đáp án, Nhiều đáp án hoặc Đúng/Sai.",
            "Đáp án A … F: điền liền từ A; cần ít nhất 2 đáp án. Câu Đúng/Sai có đúng 2 đáp án.",
            "Đáp án đúng: chữ cái của đáp án đúng, ví dụ A; nhiều đáp án đúng thì ghi A, C.",
            "Giải thích: hiện cho người làm bài sau khi nộp (có thể để trống).",
            "Bài học: mã (slug), tên đúng của bài học, hoặc số thứ tự bài trong chuyên đề (có thể để trống).",
            "Mọi dòng được kiểm tra trước; có lỗi ở bất kỳ dòng nào thì không câu nào được thêm.",
        ):
            notes.append([line])
    return workbook.to_buffer()


TEMPLATE_EXAMPLES = [
    ["Chuyên đề học tập năm 2022 được triển khai học tập, quán triệt trong thời gian nào?", "Một đáp án",
     "Quý I năm 2022", "Quý III năm 2022", "Cả năm 2022", "", "", "", "A",
     "Các cấp công đoàn hoàn thành việc học tập chuyên đề trong Quý I.", "1"],
    ["Những hình thức nào được dùng để tổ chức học tập chuyên đề?", "Nhiều đáp án",
     "Hội nghị học tập trực tiếp", "Sinh hoạt chuyên đề", "Chỉ tự đọc, không cần báo cáo", "", "", "", "A, B",
     "", "1"],
    ["Kết quả học tập chuyên đề được tổng hợp trong báo cáo 6 tháng và năm.", "Đúng/Sai",
     "Đúng", "Sai", "", "", "", "", "A", "", ""],
]


def template_workbook() -> io.BytesIO:
    return _workbook(TEMPLATE_EXAMPLES, guide=True)


def export_rows(topic: Topic) -> list[list]:
    questions = db.session.scalars(db.select(Question).where(Question.topic_id == topic.id)
                                   .options(selectinload(Question.choices), selectinload(Question.lesson))
                                   .order_by(Question.position, Question.id))
    rows = []
    for question in questions:
        choices = [choice.text for choice in question.choices][:len(LETTERS)]
        correct = [LETTERS[i] for i, choice in enumerate(question.choices[:len(LETTERS)]) if choice.is_correct]
        rows.append([question.text, TYPE_LABELS.get(question.type, question.type),
                     *choices, *[""] * (len(LETTERS) - len(choices)), ", ".join(correct),
                     question.explanation, question.lesson.slug if question.lesson else ""])
    return rows


def export_workbook(topic: Topic) -> io.BytesIO:
    """The whole bank (drafts included) in the import layout."""
    return _workbook(export_rows(topic), guide=False)
