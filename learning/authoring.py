"""What every writer of content does, the sync (learning.content) and the editor (learning.editing)
alike: a lesson's body and what is derived from it, the search text of lessons and questions, a
question's choices."""
from core import markup
from core.text import fold, fold_aligned
from learning.models import MULTIPLE, SINGLE, TRUE_FALSE, Choice, Lesson, Question


def set_lesson_body(lesson: Lesson, source: str) -> None:
    """Store the Markdown and everything derived from it: safe HTML, contents, search text."""
    rendered = markup.render(source)
    lesson.body_md = source
    lesson.body_html = rendered.html
    lesson.toc_html = rendered.toc_html
    lesson.word_count = rendered.word_count
    index_lesson(lesson, rendered.plain_text)


def index_lesson(lesson: Lesson, plain: str | None = None) -> None:
    plain = markup.plain_text(lesson.body_html) if plain is None else plain
    lesson.search_text = fold_aligned(f"{lesson.title}\n{lesson.summary}\n{plain}")


def index_question(question: Question) -> None:
    # Only the question itself: matching on choices or explanations would hint at answers.
    question.search_text = fold_aligned(question.text)


def check_choices(kind: str, choices: list[tuple[str, bool]]) -> str | None:
    """Why a set of (text, correct) choices cannot make a question of this kind, or None."""
    correct = sum(1 for _, is_correct in choices if is_correct)
    texts = [fold(text) for text, _ in choices]
    if len(choices) < 2:
        return "cần ít nhất hai đáp án."
    if len(choices) > 6:
        return "có nhiều nhất sáu đáp án (A–F)."
    if len(set(texts)) != len(texts):
        return "có hai đáp án giống nhau."
    if correct == 0:
        return "chưa có đáp án đúng."
    if kind in (SINGLE, TRUE_FALSE) and correct != 1:
        return "loại một đáp án đúng thì chỉ được đánh dấu đúng một đáp án."
    if kind == TRUE_FALSE and len(choices) != 2:
        return "câu Đúng/Sai có đúng hai đáp án."
    if kind == MULTIPLE and correct < 2:
        return "loại nhiều đáp án đúng cần ít nhất hai đáp án đúng."
    return None


def set_choices(question: Question, choices: list[tuple[str, bool]]) -> bool:
    """Make the question's choices these, in order, reusing rows; True when anything changed."""
    changed = False
    current = list(question.choices)
    for position, (text, is_correct) in enumerate(choices, start=1):
        if position <= len(current):
            row = current[position - 1]
            if (row.text, row.is_correct, row.position) != (text, is_correct, position):
                row.text, row.is_correct, row.position = text, is_correct, position
                changed = True
        else:
            question.choices.append(Choice(position=position, text=text, is_correct=is_correct))
            changed = True
    for row in current[len(choices):]:
        question.choices.remove(row)
        changed = True
    return changed
