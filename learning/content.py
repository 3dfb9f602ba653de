"""`flask content sync`: load content/ (topics, lessons, question banks) into the database.

Everything is read and checked first; one error anywhere and nothing is written.
Rows are matched by slug and updated in place, so a member's progress (which points
at lesson ids) survives any edit. A file that disappears unpublishes its row.

    content/<topic-slug>/topic.yml              [federation: the unit code of the province federation]
    content/<topic-slug>/NN-<lesson-slug>.md    front matter: title, summary[, min_read_seconds, compares_with]
    content/<topic-slug>/questions.yml          a list of questions, each naming its lesson
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from core.clock import utcnow
from core.errors import Refusal
from core.extensions import db
from learning import authoring
from learning import topics as learning_topics
from learning.models import KIND_NAMES, QUESTION_TYPES, Lesson, Question, Topic

LESSON_FILE = re.compile(r"^(\d{1,3})-([a-z0-9][a-z0-9-]*)\.md$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
TOPIC_REQUIRED = ("title", "kind", "year", "opens_on", "due_on", "guiding_document", "summary")


class ContentError(Refusal):
    """The content folder cannot be loaded: ``problems`` are the lines to fix, with file and line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml parses ten times faster
    """Remembers on which line each mapping starts, to point at the faulty question."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


@dataclass
class _QuestionSource:
    slug: str
    line: int
    type: str
    text: str
    explanation: str
    lesson_slug: str
    choices: list[tuple[str, bool]]


@dataclass
class _LessonSource:
    slug: str
    position: int
    title: str
    summary: str
    body: str
    min_read_seconds: int | None
    compares_with: tuple[str, ...] = ()  # federations the lesson compares with on purpose


@dataclass
class _TopicSource:
    slug: str
    meta: dict
    lessons: list[_LessonSource] = field(default_factory=list)
    questions: list[_QuestionSource] = field(default_factory=list)


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    unpublished: int = 0

    def __str__(self) -> str:
        return (f"thêm {self.added}, sửa {self.changed}, giữ nguyên {self.unchanged}, "
                f"gỡ {self.unpublished}")


@dataclass
class SyncReport:
    topics: Counts = field(default_factory=Counts)
    lessons: Counts = field(default_factory=Counts)
    questions: Counts = field(default_factory=Counts)
    lines: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []

    def problem(self, path: Path, line: int | None, message: str) -> None:
        where = str(path.relative_to(self.root.parent) if path.is_relative_to(self.root.parent) else path)
        self.problems.append(f"{where}{f', dòng {line}' if line else ''}: {message}")

    def _yaml(self, path: Path, text: str, first_line: int = 1):
        try:
            return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            self.problem(path, mark.line + first_line if mark else None,
                         f"YAML không hợp lệ ({getattr(error, 'problem', None) or error}).")
            return None

    def _date(self, path, meta, key) -> date | None:
        value = meta.get(key)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return datetime.strptime(value.strip(), "%d/%m/%Y").date()
            except ValueError:
                pass
        self.problem(path, meta.get("__line__"), f"“{key}” phải là một ngày (2022-03-31 hoặc 31/03/2022).")
        return None

    def topic(self, folder: Path) -> _TopicSource | None:
        path = folder / "topic.yml"
        meta = self._yaml(path, path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            if meta is not None:
                self.problem(path, 1, "Tệp phải là các cặp khóa: giá trị.")
            return None
        if not SLUG.match(folder.name):
            self.problem(path, None, f"Tên thư mục “{folder.name}” chỉ được có chữ thường không dấu, số và “-”.")
        for key in TOPIC_REQUIRED:
            if meta.get(key) in (None, ""):
                self.problem(path, meta["__line__"], f"Thiếu “{key}”.")
        if meta.get("kind") and meta["kind"] not in KIND_NAMES:
            self.problem(path, meta["__line__"], f"“kind” phải là một trong: {', '.join(KIND_NAMES)}.")
        if meta.get("year") is not None and not isinstance(meta["year"], int):
            self.problem(path, meta["__line__"], "“year” phải là một số năm.")
        for key in ("opens_on", "due_on"):
            if meta.get(key) is not None:
                meta[key] = self._date(path, meta, key)
        if meta.get("opens_on") and meta.get("due_on") and meta["due_on"] < meta["opens_on"]:
            self.problem(path, meta["__line__"], "“due_on” không được trước “opens_on”.")
        federation = meta.get("federation")
        if federation is not None and (not isinstance(federation, str) or not federation.strip()):
            self.problem(path, meta["__line__"], "“federation” phải là mã đơn vị của liên đoàn tỉnh, ví dụ LDLD-LC.")
        topic = _TopicSource(folder.name, meta)
        for lesson_path in sorted(folder.glob("*.md")):
            lesson = self.lesson(lesson_path)
            if lesson:
                topic.lessons.append(lesson)
        slugs = [lesson.slug for lesson in topic.lessons]
        for slug in {s for s in slugs if slugs.count(s) > 1}:
            self.problem(folder, None, f"Hai bài học cùng slug “{slug}”.")
        if not list(folder.glob("*.md")):
            self.problem(folder, None, "Chủ đề chưa có bài học nào (tệp NN-slug.md).")
        questions_path = folder / "questions.yml"
        if questions_path.exists():
            # Slugs of every lesson file, readable or not: one broken lesson is one error, not forty.
            named = {m.group(2) for p in folder.glob("*.md") if (m := LESSON_FILE.match(p.name))}
            self.questions(questions_path, topic, named)
        return topic

    def lesson(self, path: Path) -> _LessonSource | None:
        match = LESSON_FILE.match(path.name)
        if not match:
            self.problem(path, None, "Tên tệp bài học phải có dạng NN-ten-bai.md (chữ thường không dấu).")
            return None
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if not lines or lines[0].strip() != "---":
            self.problem(path, 1, "Thiếu phần đầu (front matter) mở bằng “---”.")
            return None
        try:
            end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
        except StopIteration:
            self.problem(path, 1, "Phần đầu (front matter) không có dòng “---” đóng lại.")
            return None
        meta = self._yaml(path, "\n".join(lines[1:end]), first_line=2)
        if meta is None:
            return None
        if not isinstance(meta, dict):
            self.problem(path, 2, "Phần đầu phải là các cặp khóa: giá trị.")
            return None
        ok = True
        for key in ("title", "summary"):
            if not isinstance(meta.get(key), str) or not meta[key].strip():
                self.problem(path, 2, f"Phần đầu thiếu “{key}”.")
                ok = False
        min_read = meta.get("min_read_seconds")
        if min_read is not None and (not isinstance(min_read, int) or min_read < 0):
            self.problem(path, 2, "“min_read_seconds” phải là số giây (số nguyên không âm).")
            ok = False
        compares_with = meta.get("compares_with") or []
        compares_with = [compares_with] if isinstance(compares_with, str) else compares_with
        if not isinstance(compares_with, list) or not all(isinstance(code, str) for code in compares_with):
            self.problem(path, 2, "“compares_with” phải là mã một liên đoàn tỉnh hoặc danh sách các mã.")
            ok = False
        body = "\n".join(lines[end + 1:]).strip()
        if not body:
            self.problem(path, end + 2, "Bài học không có nội dung.")
            ok = False
        if not ok:
            return None
        return _LessonSource(match.group(2), int(match.group(1)), meta["title"].strip(), meta["summary"].strip(),
                             body, min_read, tuple(code.strip() for code in compares_with))

    def questions(self, path: Path, topic: _TopicSource, lesson_slugs: set[str]) -> None:
        items = self._yaml(path, path.read_text(encoding="utf-8"))
        if items is None:
            return
        if not isinstance(items, list):
            self.problem(path, 1, "Tệp câu hỏi phải là một danh sách (mỗi câu bắt đầu bằng “- ”).")
            return
        seen: dict[str, int] = {}
        for item in items:
            if not isinstance(item, dict):
                self.problem(path, None, "Mỗi câu hỏi phải là các cặp khóa: giá trị.")
                continue
            line = item["__line__"]
            missing = [key for key in ("slug", "type", "text", "lesson", "explanation", "choices")
                       if item.get(key) in (None, "", [])]
            if missing:
                self.problem(path, line, f"Câu hỏi thiếu {', '.join('“' + k + '”' for k in missing)}.")
                continue
            slug = str(item["slug"])
            if not SLUG.match(slug):
                self.problem(path, line, f"Slug “{slug}” chỉ được có chữ thường không dấu, số và “-”.")
            if slug in seen:
                self.problem(path, line, f"Slug “{slug}” đã dùng ở dòng {seen[slug]}.")
            seen[slug] = line
            if item["type"] not in QUESTION_TYPES:
                self.problem(path, line, f"“type” phải là một trong: {', '.join(QUESTION_TYPES)}.")
                continue
            if item["lesson"] not in lesson_slugs:
                self.problem(path, line, f"Câu hỏi “{slug}” chỉ tới bài học không có: “{item['lesson']}”.")
            choices = []
            for choice in item["choices"] if isinstance(item["choices"], list) else []:
                if not isinstance(choice, dict) or not str(choice.get("text") or "").strip():
                    self.problem(path, choice.get("__line__", line) if isinstance(choice, dict) else line,
                                 "Mỗi đáp án cần “text”.")
                    continue
                choices.append((str(choice["text"]).strip(), choice.get("correct") is True))
            problem = authoring.check_choices(item["type"], choices)
            if problem:
                self.problem(path, line, f"Câu hỏi “{slug}”: {problem}")
                continue
            topic.questions.append(_QuestionSource(slug, line, item["type"], str(item["text"]).strip(),
                                                   str(item["explanation"]).strip(), item["lesson"], choices))


def read(root: Path) -> list[_TopicSource]:
    """Read and check every topic under root; raise ContentError listing every problem."""
    if not root.is_dir():
        raise ContentError([f"{root}: không có thư mục nội dung."])
    reader = _Reader(root)
    topics = [topic for folder in sorted(root.iterdir())
              if (folder / "topic.yml").is_file() and (topic := reader.topic(folder))]
    if reader.problems:
        raise ContentError(reader.problems)
    return topics


def _assign(row, values: dict) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _restore(row, counts: Counts, changed: bool, added: bool) -> None:
    """A row whose file came back is published again; count what happened to it."""
    row.from_content = True
    if row.content_removed_at is not None:
        row.content_removed_at = None
        row.published = True
        changed = True
    if added:
        counts.added += 1
    elif changed:
        counts.changed += 1
    else:
        counts.unchanged += 1


def _unpublish_missing(rows, present: set[str], counts: Counts, now: datetime) -> None:
    for row in rows:
        if row.from_content and row.slug not in present and row.content_removed_at is None:
            row.content_removed_at = now
            row.published = False
            counts.unpublished += 1


def sync(root: Path, *, now: datetime | None = None) -> SyncReport:
    """Apply content/ to the database (flush only: the caller commits)."""
    now = now or utcnow()
    sources = read(root)
    report = SyncReport()
    existing_topics = {t.slug: t for t in db.session.scalars(db.select(Topic))}
    for source in sources:
        meta = source.meta
        topic = existing_topics.get(source.slug)
        added = topic is None
        if added:
            topic = Topic(slug=source.slug, published=True)
            db.session.add(topic)
        changed = _assign(topic, {
            "title": meta["title"].strip(), "kind": meta["kind"], "year": meta["year"],
            "opens_on": meta["opens_on"], "due_on": meta["due_on"],
            "guiding_document": meta["guiding_document"].strip(), "summary": meta["summary"].strip(),
            "federation_code": (meta.get("federation") or "").strip() or None})
        _restore(topic, report.topics, changed, added)
        db.session.flush()
        before = (report.lessons.added, report.lessons.changed, report.lessons.unpublished)
        lessons = _sync_lessons(topic, source, report.lessons, now)
        _sync_questions(topic, source, lessons, report.questions, now)
        after = (report.lessons.added, report.lessons.changed, report.lessons.unpublished)
        if added or changed or before != after:
            report.lines.append(f"{source.slug}: {'mới' if added else 'đã cập nhật'}")
        placed = learning_topics.place_topic(topic)
        if placed:
            report.lines.append(f"{source.slug}: {placed}")
    present = {s.slug for s in sources}
    for topic in existing_topics.values():
        if topic.from_content and topic.slug not in present and topic.content_removed_at is None:
            topic.content_removed_at = now
            topic.published = False
            report.topics.unpublished += 1
            report.lines.append(f"{topic.slug}: thư mục đã bị xóa, chủ đề được gỡ xuống")
    db.session.flush()
    return report


def _sync_lessons(topic: Topic, source: _TopicSource, counts: Counts, now: datetime) -> dict[str, Lesson]:
    rows = {lesson.slug: lesson for lesson in db.session.scalars(db.select(Lesson).filter_by(topic_id=topic.id))}
    for item in source.lessons:
        lesson = rows.get(item.slug)
        added = lesson is None
        if added:
            lesson = Lesson(topic=topic, slug=item.slug, published=True)
            db.session.add(lesson)
            rows[item.slug] = lesson
        changed = _assign(lesson, {"title": item.title, "summary": item.summary, "position": item.position,
                                   "min_read_seconds": item.min_read_seconds,
                                   "compares_with": " ".join(item.compares_with) or None})
        if lesson.body_md != item.body:
            authoring.set_lesson_body(lesson, item.body)
            changed = True
        _restore(lesson, counts, changed, added)
    _unpublish_missing(rows.values(), {item.slug for item in source.lessons}, counts, now)
    db.session.flush()
    return rows


def _sync_questions(topic: Topic, source: _TopicSource, lessons: dict[str, Lesson], counts: Counts,
                    now: datetime) -> None:
    rows = {q.slug: q for q in db.session.scalars(db.select(Question).filter_by(topic_id=topic.id))}
    for position, item in enumerate(source.questions, start=1):
        question = rows.get(item.slug)
        added = question is None
        if added:
            question = Question(topic=topic, slug=item.slug, published=True)
            db.session.add(question)
            rows[item.slug] = question
        changed = _assign(question, {"type": item.type, "text": item.text, "explanation": item.explanation,
                                     "lesson": lessons[item.lesson_slug], "position": position})
        changed = authoring.set_choices(question, item.choices) or changed
        if changed or added:
            authoring.index_question(question)
        _restore(question, counts, changed, added)
    _unpublish_missing(rows.values(), {item.slug for item in source.questions}, counts, now)
