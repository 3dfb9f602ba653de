"""The editors' content check: the rules that keep a question bank fair and faithful to its sources.

One module for `flask content check [PATH]` (files) and the editor's question-bank page
(the database). Each rule gives flags, one line each, named by topic and question or lesson:

- a single-choice question whose right answer is longer than every distractor by more
  than 30 % of the longest distractor (the eye picks it without reading);
- a single-choice question whose right answer is the only choice with a digit (a date,
  a number, a document number);
- two questions of different topics whose folded text is at least 85 % alike;
- a province or a document of another federation than the topic's, in a question (never
  allowed) or a lesson (allowed where its front matter says ``compares_with: <code>``);
- a question without explanation; a lesson that does not end with a "## Nguồn" section;
- per topic, the blind strategies "pick the longest choice" and "pick the choice with a
  date" right on more than 35 % of its single-choice questions (chance is 25 % with four);
- a document number that is not on the list of known documents (possibly invented), or a
  known one given with another date.
"""
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy.orm import selectinload

from core.extensions import db
from core.text import fold
from learning.models import KIND_CONTEST, SINGLE, Lesson, Question, Topic

LONG_ANSWER_MARGIN = 0.30
DUPLICATE_RATIO = 0.85
BLIND_LIMIT = 0.35

# Number -> date of issue: the documents in the two seeds and the national line of
# studying and following Hồ Chí Minh. Any other number is flagged as possibly invented.
KNOWN_DOCUMENTS = {
    "06-CT/TW": "07/11/2006", "03-CT/TW": "14/5/2011", "05-CT/TW": "15/5/2016", "01-KL/TW": "18/5/2021",
    "47-HD/BTGTU": "12/12/2021", "288/KH-LĐLĐ": "23/11/2021",
    "260/KH-LĐLĐ": "07/9/2021", "67/HD-LĐLĐ": "27/8/2021",
}


@dataclass(frozen=True)
class Federation:
    name: str
    places: tuple[str, ...]
    documents: tuple[str, ...]


# What names a province federation: a topic of one must not teach the other's.
FEDERATIONS = {
    "LDLD-LC": Federation("LĐLĐ tỉnh Lai Châu", ("Lai Châu",), ("47-HD/BTGTU", "288/KH-LĐLĐ")),
    "LDLD-LAOCAI": Federation("LĐLĐ tỉnh Lào Cai", ("Lào Cai",), ("260/KH-LĐLĐ", "67/HD-LĐLĐ")),
}

# 47-HD/BTGTU, 288/KH-LĐLĐ, 01-KL/TW: digits, then two or more groups of capitals.
_DOCUMENT = re.compile(r"(?<![\w/-])(\d{1,4})\s?[-/]\s?([A-ZĐ]{1,8}(?:\s?[-/]\s?[A-ZĐ]{1,10})+)")
_DATE_AFTER = re.compile(r"\s*,?\s*(?:ban hành\s+)?ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})")
_DATE = re.compile(r"(?<!\d)\d{1,2}/\d{1,2}(?:/\d{2,4})?(?!\d)|(?<!\d)(?:19|20)\d{2}(?!\d)")
_DIGIT = re.compile(r"\d")
_SOURCES = re.compile(r"^##\s+Nguồn\s*$", re.MULTILINE)
_H2 = re.compile(r"^##\s", re.MULTILINE)
_PUNCTUATION = re.compile(r"[^\w\s]")


@dataclass
class QuestionItem:
    slug: str
    type: str
    text: str
    explanation: str
    choices: list[tuple[str, bool]]


@dataclass
class LessonItem:
    slug: str
    title: str
    summary: str
    body: str
    compares_with: tuple[str, ...] = ()


@dataclass
class TopicItem:
    slug: str
    federation: str | None
    texts: list[str]  # title, guiding document, summary
    lessons: list[LessonItem] = field(default_factory=list)
    questions: list[QuestionItem] = field(default_factory=list)
    compare_across: bool = True  # contest banks are copies of topics on purpose: not near-duplicates


@dataclass(frozen=True)
class Flag:
    topic: str
    item: str  # a question or lesson slug, "topic.yml" for the topic's own fields, "" for the topic as a whole
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.topic}{'/' + self.item if self.item else ''}: {self.message}"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


def _document_key(number: str, letters: str) -> str:
    """47-HD/BTGTU and 47/HD-BTGTU, LĐLĐ and LĐLD, 01 and 1 are the same number."""
    groups = re.split(r"\s?[-/]\s?", letters.upper().replace("Đ", "D"))
    return f"{int(number)}/{'/'.join(groups)}"


def _key_of(document: str) -> str:
    match = _DOCUMENT.fullmatch(document)
    return _document_key(match.group(1), match.group(2))


_KNOWN = {_key_of(number): (number, date) for number, date in KNOWN_DOCUMENTS.items()}


def _same_day(written: tuple[str, str, str], known: str) -> bool:
    return tuple(int(part) for part in written) == tuple(int(part) for part in known.split("/"))


def documents_in(text: str) -> list[tuple[str, str, tuple[str, str, str] | None]]:
    """Each document number in the text: as written, its key, and the date written right after it."""
    found = []
    for match in _DOCUMENT.finditer(_nfc(text)):
        date = _DATE_AFTER.match(match.string, match.end())
        found.append((match.group(0), _document_key(match.group(1), match.group(2)),
                      date.groups() if date else None))
    return found


def _mentions(text: str, place: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(fold(place))}(?!\w)", fold(text)) is not None


def _foreign(text: str, federation: str | None, allowed: tuple[str, ...] = ()) -> list[tuple[Federation, list[str]]]:
    """Per other federation, its places and documents named in the text."""
    if federation not in FEDERATIONS:
        return []
    keys = {key for _, key, _ in documents_in(text)}
    found = []
    for code, other in FEDERATIONS.items():
        if code == federation or code in allowed:
            continue
        named = [f"“{place}”" for place in other.places if _mentions(text, place)]
        named += [f"văn bản {number}" for number in other.documents if _key_of(number) in keys]
        if named:
            found.append((other, named))
    return found


def _document_flags(topic: str, item: str, text: str) -> list[Flag]:
    flags, seen = [], set()
    for written, key, date in documents_in(text):
        if (key, date) in seen:
            continue
        seen.add((key, date))
        if key not in _KNOWN:
            flags.append(Flag(topic, item, "unknown_document",
                              f"số văn bản “{written}” không có trong danh sách văn bản đã biết: có thể là số bịa."))
        elif date and not _same_day(date, _KNOWN[key][1]):
            flags.append(Flag(topic, item, "document_date",
                              f"“{written}” ghi ngày {'/'.join(date)}, "
                              f"nhưng văn bản này ban hành ngày {_KNOWN[key][1]}."))
    return flags


def _foreign_flags(topic: TopicItem, item: str, text: str, allowed: tuple[str, ...] = ()) -> list[Flag]:
    own = FEDERATIONS[topic.federation].name if topic.federation in FEDERATIONS else ""
    return [Flag(topic.slug, item, "other_federation",
                 f"nhắc {', '.join(named)} của {other.name}, trong khi chủ đề thuộc {own}.")
            for other, named in _foreign(text, topic.federation, allowed)]


def _lengths(question: QuestionItem) -> tuple[int, int]:
    """The right answer's length and the longest distractor's."""
    right = max(len(_nfc(text)) for text, correct in question.choices if correct)
    wrong = max((len(_nfc(text)) for text, correct in question.choices if not correct), default=0)
    return right, wrong


def _question_flags(topic: TopicItem, question: QuestionItem) -> list[Flag]:
    flags = []
    if question.type == SINGLE and any(not correct for _, correct in question.choices):
        right, wrong = _lengths(question)
        if right > wrong * (1 + LONG_ANSWER_MARGIN):
            flags.append(Flag(topic.slug, question.slug, "long_answer",
                              f"đáp án đúng dài hơn hẳn các đáp án sai ({right} ký tự, đáp án sai dài nhất "
                              f"{wrong}): người chưa học cũng đoán được."))
        with_digits = [correct for text, correct in question.choices if _DIGIT.search(text)]
        if with_digits == [True]:
            flags.append(Flag(topic.slug, question.slug, "only_number",
                              "chỉ đáp án đúng có ngày tháng hoặc con số: người chưa học cũng đoán được."))
    if not _nfc(question.explanation):
        flags.append(Flag(topic.slug, question.slug, "no_explanation", "thiếu lời giải thích."))
    text = "\n".join([question.text, *(text for text, _ in question.choices), question.explanation])
    flags += _foreign_flags(topic, question.slug, text)
    flags += _document_flags(topic.slug, question.slug, text)
    return flags


def _lesson_flags(topic: TopicItem, lesson: LessonItem) -> list[Flag]:
    flags = []
    body = _nfc(lesson.body)
    sources = list(_SOURCES.finditer(body))
    if not sources:
        flags.append(Flag(topic.slug, lesson.slug, "no_sources", "thiếu mục “## Nguồn” ở cuối bài."))
    elif _H2.search(body, sources[-1].end()):
        flags.append(Flag(topic.slug, lesson.slug, "no_sources", "mục “## Nguồn” phải là mục cuối của bài."))
    for code in lesson.compares_with:
        if code not in FEDERATIONS or code == topic.federation:
            flags.append(Flag(topic.slug, lesson.slug, "compares_with",
                              f"“compares_with: {code}” không phải một liên đoàn tỉnh khác với của chủ đề."))
    text = "\n".join([lesson.title, lesson.summary, body])
    flags += _foreign_flags(topic, lesson.slug, text, lesson.compares_with)
    flags += _document_flags(topic.slug, lesson.slug, text)
    return flags


def blind_scores(questions: list[QuestionItem]) -> tuple[float, float, int]:
    """The expected share of single-choice questions a blind strategy gets right:
    "pick the longest choice" and "pick a choice with a date" (a random one when none or
    several qualify), over how many questions."""
    singles = [q for q in questions if q.type == SINGLE and len(q.choices) > 1]
    longest = dated = 0.0
    for question in singles:
        lengths = [len(_nfc(text)) for text, _ in question.choices]
        top = [correct for (_, correct), length in zip(question.choices, lengths, strict=True)
               if length == max(lengths)]
        longest += sum(top) / len(top)
        with_date = [correct for text, correct in question.choices if _DATE.search(text)]
        pool = with_date or [correct for _, correct in question.choices]
        dated += sum(pool) / len(pool)
    count = len(singles)
    return (longest / count, dated / count, count) if count else (0.0, 0.0, 0)


def _percent(share: float) -> str:
    return f"{share * 100:.1f}".replace(".", ",").removesuffix(",0") + " %"


def _topic_flags(topic: TopicItem) -> list[Flag]:
    flags = []
    text = "\n".join(topic.texts)
    flags += _foreign_flags(topic, "topic.yml", text)
    flags += _document_flags(topic.slug, "topic.yml", text)
    longest, dated, count = blind_scores(topic.questions)
    for rule, name, score in (("blind_longest", "chọn đáp án dài nhất", longest),
                              ("blind_date", "chọn đáp án có ngày tháng", dated)):
        if score > BLIND_LIMIT:
            flags.append(Flag(topic.slug, "", rule,
                              f"đoán mò bằng cách “{name}” đúng {_percent(score)} trong {count} câu một đáp án "
                              f"(quá {_percent(BLIND_LIMIT)})."))
    return flags


def _comparable(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


def _duplicate_flags(topics: list[TopicItem], only: str | None = None) -> list[Flag]:
    entries = tuple((topic.slug, question.slug, _comparable(question.text))
                    for topic in topics if topic.compare_across for question in topic.questions)
    flags = []
    for a, b, percent in _near_duplicate_pairs(entries, only):
        (topic_a, slug_a, _), (topic_b, slug_b, _) = entries[a], entries[b]
        flags.append(Flag(topic_a, slug_a, "near_duplicate",
                          f"gần trùng với câu {topic_b}/{slug_b} (giống {percent} %)."))
        flags.append(Flag(topic_b, slug_b, "near_duplicate",
                          f"gần trùng với câu {topic_a}/{slug_a} (giống {percent} %)."))
    return [flag for flag in flags if only is None or flag.topic == only]


# Comparing every pair of questions is most of the check (140 questions: 0.4 s), and the bank page
# runs it at each view; the texts seldom change, so the pairs found are kept per text set.
@functools.lru_cache(maxsize=16)
def _near_duplicate_pairs(entries: tuple[tuple[str, str, str], ...],
                          only: str | None) -> tuple[tuple[int, int, int], ...]:
    """(index a, index b, percent alike) of the near-duplicate pairs of questions of different topics;
    with ``only``, just the pairs with one side in that topic, each compared the way round the whole
    check compares it (difflib's ratio can differ by a hair when the texts swap)."""
    mine = [index for index, entry in enumerate(entries) if entry[0] == only]
    pairs = []
    for b, (topic_b, _, text_b) in enumerate(entries):
        earlier = range(b) if only is None or topic_b == only else [a for a in mine if a < b]
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(text_b)  # difflib indexes the second text: once for all it is compared with
        for a in earlier:
            topic_a, _, text_a = entries[a]
            lengths = len(text_a) + len(text_b)
            if topic_a == topic_b or not lengths or 2 * min(len(text_a), len(text_b)) / lengths < DUPLICATE_RATIO:
                continue
            matcher.set_seq1(text_a)
            if matcher.quick_ratio() < DUPLICATE_RATIO or (ratio := matcher.ratio()) < DUPLICATE_RATIO:
                continue
            pairs.append((a, b, int(ratio * 100)))
    return tuple(pairs)


def check(topics: list[TopicItem], only: str | None = None) -> list[Flag]:
    """Every flag over these topics, by topic, then the topic's own, lessons and questions in order.

    ``only``: the flags of that one topic (the editor's bank page), its questions still compared with
    every other topic's, without checking the others' own items and pairs."""
    flags = []
    for topic in topics:
        if only is not None and topic.slug != only:
            continue
        flags += _topic_flags(topic)
        for lesson in topic.lessons:
            flags += _lesson_flags(topic, lesson)
        for question in topic.questions:
            flags += _question_flags(topic, question)
    duplicates = _duplicate_flags(topics, only)
    order = {(t.slug, item.slug): n for t in topics for n, item in enumerate([*t.lessons, *t.questions])}
    topic_order = {t.slug: n for n, t in enumerate(topics)}
    return sorted(flags + duplicates, key=lambda f: (topic_order[f.topic], order.get((f.topic, f.item), -1)))


def from_sources(sources) -> list[TopicItem]:
    """Topics as read from content/ files (learning.content.read)."""
    return [TopicItem(
        source.slug, (source.meta.get("federation") or "").strip() or None,
        [str(source.meta.get(key) or "") for key in ("title", "guiding_document", "summary")],
        [LessonItem(lesson.slug, lesson.title, lesson.summary, lesson.body, lesson.compares_with)
         for lesson in source.lessons],
        [QuestionItem(question.slug, question.type, question.text, question.explanation, question.choices)
         for question in source.questions],
    ) for source in sources]


def from_database() -> list[TopicItem]:
    """Topics as the database holds them (what the editor sees), without rows whose file was removed."""
    topics = db.session.scalars(db.select(Topic).where(Topic.content_removed_at.is_(None))
                                .order_by(Topic.year.desc(), Topic.slug)).all()
    lessons = db.session.scalars(db.select(Lesson).where(Lesson.content_removed_at.is_(None))
                                 .order_by(Lesson.position, Lesson.id)).all()
    questions = db.session.scalars(db.select(Question).where(Question.content_removed_at.is_(None))
                                   .options(selectinload(Question.choices)).order_by(Question.position, Question.id))
    items = {topic.id: TopicItem(topic.slug, topic.federation_code,
                                 [topic.title, topic.guiding_document, topic.summary],
                                 compare_across=topic.kind != KIND_CONTEST) for topic in topics}
    for lesson in lessons:
        if lesson.topic_id in items:
            items[lesson.topic_id].lessons.append(LessonItem(lesson.slug, lesson.title, lesson.summary, lesson.body_md,
                                                             tuple((lesson.compares_with or "").split())))
    for question in questions:
        if question.topic_id in items:
            items[question.topic_id].questions.append(QuestionItem(
                question.slug, question.type, question.text, question.explanation,
                [(choice.text, choice.is_correct) for choice in question.choices]))
    return list(items.values())
