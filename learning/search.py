"""Search over lessons and questions: every word of the query, diacritics ignored, best first."""
import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import and_

from core import markup
from core.extensions import db
from core.text import fold, fold_aligned, like_escape
from learning.models import Lesson, Question, Topic


@dataclass
class SearchHit:
    kind: str  # "lesson" or "question"
    topic: Topic
    lesson: Lesson | None
    question: Question | None
    title: str
    snippet: Markup
    score: float


def _terms(query: str) -> list[str]:
    return [term for term in dict.fromkeys(fold(query).split()) if term][:8]


def _word_pattern(term: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")


def _score(folded: str, folded_title: str, terms: list[str], phrase: str) -> float:
    """Whole-word hits, much more for the phrase as typed and for words in the title."""
    hits = [len(_word_pattern(term).findall(folded)) for term in terms]
    if not all(hits):
        return 0
    score = sum(min(h, 10) for h in hits)
    if len(terms) > 1:
        score += 20 * len(_word_pattern(phrase).findall(folded))
    score += 5 * sum(1 for term in terms if _word_pattern(term).search(folded_title))
    return score


def _snippet(original: str, folded: str, terms: list[str], phrase: str, width: int = 200) -> Markup:
    """A window of the original text around the best match, with the terms in <mark>."""
    first = _word_pattern(phrase).search(folded) or _word_pattern(terms[0]).search(folded)
    start = max(0, (first.start() if first else 0) - width // 3)
    end = min(len(original), start + width)
    if start > 0:  # do not cut a word in half
        space = original.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    window, folded_window = original[start:end], folded[start:end]
    patterns = [_word_pattern(phrase)] + [_word_pattern(term) for term in terms]
    spans = sorted((match.span() for pattern in patterns for match in pattern.finditer(folded_window)),
                   key=lambda span: (span[0], -span[1]))  # the whole phrase wins over its words
    parts, cursor = [], 0
    for begin, finish in spans:
        if begin < cursor:
            continue
        parts.append(escape(window[cursor:begin]))
        parts.append(Markup("<mark>") + escape(window[begin:finish]) + Markup("</mark>"))
        cursor = finish
    parts.append(escape(window[cursor:]))
    text = Markup("").join(parts)
    return Markup(("… " if start > 0 else "") + text + (" …" if end < len(original) else ""))


def search(query: str, *, limit: int = 20, include_unpublished=False, scope=None) -> list[SearchHit]:
    """Lessons and questions matching every word of the query, diacritics ignored, best first,
    in the topics ``scope`` allows (see `learning.topics.topic_scope`; None: every topic)."""
    terms = _terms(query)
    if not terms:
        return []
    phrase = " ".join(terms)
    hits: list[SearchHit] = []

    def like_all(column):
        return and_(*(column.like(f"%{like_escape(term)}%", escape="\\") for term in terms))

    lesson_query = db.select(Lesson).join(Topic).where(like_all(Lesson.search_text))
    question_query = db.select(Question).join(Topic).where(like_all(Question.search_text))
    if not include_unpublished:
        lesson_query = lesson_query.where(Lesson.published, Topic.published)
        question_query = question_query.where(Question.published, Topic.published)
    if scope is not None:
        lesson_query, question_query = lesson_query.where(scope), question_query.where(scope)
    for lesson in db.session.scalars(lesson_query.limit(500)):
        original = unicodedata.normalize("NFC", f"{lesson.title}\n{lesson.summary}\n"
                                                f"{markup.plain_text(lesson.body_html)}")
        folded = fold_aligned(original)
        score = _score(folded, fold(lesson.title), terms, phrase)
        if score:
            body_start = len(lesson.title) + len(lesson.summary) + 2
            hits.append(SearchHit("lesson", lesson.topic, lesson, None, lesson.title,
                                  _snippet(original[body_start:], folded[body_start:], terms, phrase)
                                  if _word_pattern(terms[0]).search(folded[body_start:])
                                  else _snippet(original, folded, terms, phrase), score))
    for question in db.session.scalars(question_query.limit(500)):
        original = unicodedata.normalize("NFC", question.text)
        folded = fold_aligned(original)
        score = _score(folded, "", terms, phrase)
        if score:
            hits.append(SearchHit("question", question.topic, question.lesson, question,
                                  question.lesson.title if question.lesson else question.topic.title,
                                  _snippet(original, folded, terms, phrase), score * 0.8))
    hits.sort(key=lambda hit: (-hit.score, hit.kind, hit.title))
    return hits[:limit]
