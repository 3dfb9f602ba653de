"""The editor's pages: topics, lessons with a preview as members see them, the question bank.

Every page here is for editors and administrators: the guard below runs before each one.
"""
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms import SelectChoice

from core import markup
from core.extensions import db
from core.forms import flash_errors
from core.params import requested_page
from core.permissions import ADMIN, EDITOR, roles_required
from core.tabular import XLSX_MIMETYPE
from core.text import clean_name
from core.uploads import import_upload
from core.views import save
from learning import content_check, editing, question_io, studying
from learning import topics as learning_topics
from learning.editor_forms import (
    ActionForm,
    AssignForm,
    CloneForm,
    LessonForm,
    NewLessonForm,
    NewQuestionForm,
    NewTopicForm,
    QuestionForm,
    QuestionImportForm,
    TopicForm,
)
from learning.models import Topic
from units import tree as unit_tree

bp = Blueprint("editor", __name__, url_prefix="/editor")
NO_LESSON = "-"
QUESTIONS_PER_PAGE = 50


@bp.before_request
@roles_required(EDITOR, ADMIN)
def require_editor():
    """Anonymous visitors go to the login page; everyone else but editors and admins gets 403."""


def _topic_or_404(slug: str) -> Topic:
    topic = learning_topics.get_topic(slug, include_unpublished=True)
    if topic is None or learning_topics.hides_answer_key(topic, current_user):
        abort(404)
    return topic


def _lesson_or_404(topic: Topic, slug: str):
    return learning_topics.get_lesson(topic, slug, include_unpublished=True) or abort(404)


def _question_or_404(topic: Topic, slug: str):
    return editing.get_question(topic, slug) or abort(404)


def _checked_action() -> bool:
    """A state-changing button: its form (the CSRF token) must be valid."""
    form = ActionForm()
    if form.validate_on_submit():
        return True
    flash_errors(form)
    return False


# -- topics ----------------------------------------------------------------------------

@bp.get("/")
def topics():
    return render_template("learning/editor/topics.html", rows=editing.topic_overview())


def _topic_data(form) -> editing.TopicData:
    return editing.TopicData(title=form.title.data, kind=form.kind.data, year=form.year.data,
                             opens_on=form.opens_on.data, due_on=form.due_on.data,
                             guiding_document=form.guiding_document.data or "", summary=form.summary.data or "")


@bp.route("/new-topic", methods=["GET", "POST"])
def new_topic():
    form = NewTopicForm()
    error = None
    if form.validate_on_submit():
        saved = save(lambda: editing.create_topic(form.slug.data, _topic_data(form), actor=current_user),
                     lambda topic: f"Đã tạo chuyên đề “{topic.title}” (chưa xuất bản). Hãy thêm bài học.",
                     refused=None)
        if saved:
            return redirect(url_for(".topic", topic_slug=saved.value.slug))
        error = saved.message
    return render_template("learning/editor/topic_form.html", form=form, topic=None, error=error)


@bp.get("/topics/<topic_slug>/")
def topic(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    return render_template("learning/editor/topic.html", topic=topic, lessons=editing.ordered_lessons(topic),
                           assignments=editing.topic_assignments(topic), assign_form=AssignForm(),
                           units=editing.assignable_units(),
                           question_count=editing.question_count(topic))


@bp.route("/topics/<topic_slug>/edit", methods=["GET", "POST"])
def edit_topic(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    form = TopicForm(obj=topic)
    error = None
    if form.validate_on_submit():
        saved = save(lambda: editing.update_topic(topic, _topic_data(form), actor=current_user), "Đã lưu chuyên đề.",
                     refused=None)
        if saved:
            return redirect(url_for(".topic", topic_slug=topic.slug))
        error = saved.message
    return render_template("learning/editor/topic_form.html", form=form, topic=topic, error=error)


@bp.post("/topics/<topic_slug>/<any(publish, unpublish):action>")
def publish_topic(topic_slug: str, action: str):
    topic = _topic_or_404(topic_slug)
    if _checked_action():
        save(lambda: editing.set_topic_published(topic, action == "publish", actor=current_user),
             lambda _: "Đã xuất bản chuyên đề." if topic.published
             else "Đã gỡ xuất bản chuyên đề: đoàn viên không còn thấy.")
    return redirect(url_for(".topic", topic_slug=topic.slug))


@bp.post("/topics/<topic_slug>/assign")
def assign(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    form = AssignForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".topic", topic_slug=topic.slug, _anchor="assignments"))
    unit = unit_tree.get_unit(form.unit_code.data)
    if unit is None:
        flash(f"Không có đơn vị mã “{clean_name(form.unit_code.data)}”.", "danger")
        return redirect(url_for(".topic", topic_slug=topic.slug, _anchor="assignments"))
    save(lambda: editing.assign_unit(topic, unit, actor=current_user),
         f"Đã giao chuyên đề cho {unit.name} và các đơn vị trực thuộc.")
    return redirect(url_for(".topic", topic_slug=topic.slug, _anchor="assignments"))


@bp.post("/topics/<topic_slug>/unassign/<int:unit_id>")
def unassign(topic_slug: str, unit_id: int):
    topic = _topic_or_404(topic_slug)
    if _checked_action() and editing.unassign_unit(topic, unit_id, actor=current_user):
        db.session.commit()
        flash("Đã thôi giao chuyên đề cho đơn vị.", "success")
    return redirect(url_for(".topic", topic_slug=topic.slug, _anchor="assignments"))


def _next_year_text(text: str, year: int) -> str:
    return text.replace(str(year), str(year + 1)) if str(year) in text else text


@bp.route("/topics/<topic_slug>/clone", methods=["GET", "POST"])
def clone(topic_slug: str):
    source = _topic_or_404(topic_slug)
    form = CloneForm()
    error = None
    if request.method == "GET":
        slug = _next_year_text(source.slug, source.year)
        form.slug.data = slug if slug != source.slug else f"{source.slug}-ban-sao"[:80]
        form.title.data = _next_year_text(source.title, source.year)
        form.year.data = source.year + 1
    elif form.validate_on_submit():
        saved = save(lambda: editing.clone_topic(source, form.slug.data, form.title.data, form.year.data,
                                                 actor=current_user),
                     lambda topic: f"Đã nhân bản thành chuyên đề “{topic.title}” (chưa xuất bản, chưa giao cho đơn vị "
                                   "nào).", refused=None)
        if saved:
            return redirect(url_for(".topic", topic_slug=saved.value.slug))
        error = saved.message
    return render_template("learning/editor/clone.html", source=source, form=form, error=error)


# -- lessons ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LessonPreview:
    """The unsaved lesson, shaped as the member's lesson partial expects; never stored."""
    title: str
    summary: str
    body_html: str
    toc_html: str
    word_count: int


def _preview(form) -> LessonPreview:
    rendered = markup.render(form.body_md.data or "")
    return LessonPreview(title=clean_name(form.title.data), summary=(form.summary.data or "").strip(),
                         body_html=rendered.html, toc_html=rendered.toc_html, word_count=rendered.word_count)


def _lesson_data(form) -> editing.LessonData:
    return editing.LessonData(title=form.title.data, summary=form.summary.data or "",
                              body_md=form.body_md.data or "", min_read_seconds=form.min_read_seconds.data)


def _lesson_page(topic, form, lesson=None, error=None, preview=None):
    return render_template("learning/editor/lesson_form.html", topic=topic, form=form, lesson=lesson, error=error,
                           preview=preview,
                           reading_minutes=studying.reading_minutes(preview) if preview else None)


@bp.route("/topics/<topic_slug>/new-lesson", methods=["GET", "POST"])
def new_lesson(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    form = NewLessonForm()
    if request.method == "POST" and form.preview.data:
        form.validate()
        return _lesson_page(topic, form, preview=_preview(form))
    error = None
    if form.validate_on_submit():
        saved = save(lambda: editing.create_lesson(topic, form.slug.data, _lesson_data(form), actor=current_user),
                     lambda lesson: f"Đã thêm bài “{lesson.title}” (bản nháp: đoàn viên chưa thấy cho đến khi "
                                    "xuất bản).", refused=None)
        if saved:
            return redirect(url_for(".edit_lesson", topic_slug=topic.slug, lesson_slug=saved.value.slug))
        error = saved.message
    return _lesson_page(topic, form, error=error)


@bp.route("/topics/<topic_slug>/lessons/<lesson_slug>", methods=["GET", "POST"])
def edit_lesson(topic_slug: str, lesson_slug: str):
    topic = _topic_or_404(topic_slug)
    lesson = _lesson_or_404(topic, lesson_slug)
    form = LessonForm(obj=lesson)
    if request.method == "POST" and form.preview.data:
        form.validate()
        return _lesson_page(topic, form, lesson, preview=_preview(form))
    error = None
    if form.validate_on_submit():
        saved = save(lambda: editing.update_lesson(lesson, _lesson_data(form), actor=current_user), "Đã lưu bài học.",
                     refused=None)
        if saved:
            return redirect(url_for(".edit_lesson", topic_slug=topic.slug, lesson_slug=lesson.slug))
        error = saved.message
    return _lesson_page(topic, form, lesson, error=error)


@bp.post("/topics/<topic_slug>/lessons/<lesson_slug>/move/<any(up, down):direction>")
def move_lesson(topic_slug: str, lesson_slug: str, direction: str):
    topic = _topic_or_404(topic_slug)
    lesson = _lesson_or_404(topic, lesson_slug)
    if _checked_action() and editing.move_lesson(lesson, -1 if direction == "up" else 1):
        db.session.commit()
    return redirect(url_for(".topic", topic_slug=topic.slug, _anchor=f"lesson-{lesson.slug}"))


@bp.post("/topics/<topic_slug>/lessons/<lesson_slug>/<any(publish, unpublish):action>")
def publish_lesson(topic_slug: str, lesson_slug: str, action: str):
    topic = _topic_or_404(topic_slug)
    lesson = _lesson_or_404(topic, lesson_slug)
    if _checked_action():
        editing.set_lesson_published(lesson, action == "publish", actor=current_user)
        db.session.commit()
        flash(f"Đã xuất bản bài “{lesson.title}”." if lesson.published
              else f"Đã gỡ xuất bản bài “{lesson.title}”: đoàn viên không còn thấy.", "success")
    return redirect(url_for(".topic", topic_slug=topic.slug, _anchor=f"lesson-{lesson.slug}"))


# -- the question bank -----------------------------------------------------------------

def _lesson_filter(topic: Topic):
    """The ?lesson= filter: a lesson's slug, "-" for questions with no lesson, or nothing."""
    wanted = request.args.get("lesson", "")
    if wanted == NO_LESSON:
        return NO_LESSON, None
    if wanted:
        return wanted, learning_topics.get_lesson(topic, wanted, include_unpublished=True) or abort(404)
    return "", None


@bp.get("/topics/<topic_slug>/questions")
def questions(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    wanted, lesson = _lesson_filter(topic)
    page = db.paginate(editing.questions_query(topic, lesson=lesson, without_lesson=wanted == NO_LESSON),
                       page=requested_page(), per_page=QUESTIONS_PER_PAGE, error_out=False)
    flags = content_check.check(content_check.from_database(), only=topic.slug)
    by_question: dict[str, list[content_check.Flag]] = {}
    for flag in flags:
        by_question.setdefault(flag.item, []).append(flag)
    return render_template("learning/editor/questions.html", topic=topic, page=page, wanted=wanted,
                           lessons=editing.ordered_lessons(topic), no_lesson=NO_LESSON, letters=editing.LETTERS,
                           flags=flags, flags_by_item=by_question)


def _question_form(form_class, topic: Topic, **data):
    form = form_class(**data)
    form.lesson.choices = _lesson_choices(topic)
    return form


def _lesson_choices(topic: Topic):
    return [SelectChoice(0, "— Không gắn với bài học nào —")] + [
        SelectChoice(lesson.id, f"{number}. {lesson.title}")
        for number, lesson in enumerate(editing.ordered_lessons(topic), start=1)]


def _question_data(topic: Topic, form) -> editing.QuestionData:
    lesson = next((lesson for lesson in topic.lessons if lesson.id == form.lesson.data), None)
    return editing.QuestionData(type=form.type.data, text=form.text.data, explanation=form.explanation.data or "",
                                lesson=lesson, choices=form.choice_list())


def _show_question(topic: Topic, question):
    """Back to the bank, on the page that lists ``question``, scrolled to it; the lesson filter kept if it lists it."""
    wanted, lesson = _lesson_filter(topic)
    if (lesson is not None and question.lesson_id != lesson.id) or (wanted == NO_LESSON and question.lesson_id):
        wanted, lesson = "", None
    page = editing.question_page(topic, question, QUESTIONS_PER_PAGE, lesson=lesson, without_lesson=wanted == NO_LESSON)
    return redirect(url_for(".questions", topic_slug=topic.slug, lesson=wanted or None,
                            page=page if page > 1 else None, _anchor=f"q-{question.slug}"))


@bp.route("/topics/<topic_slug>/new-question", methods=["GET", "POST"])
def new_question(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    _, lesson = _lesson_filter(topic)
    form = _question_form(NewQuestionForm, topic, lesson=lesson.id if lesson else 0)
    error = None
    if form.validate_on_submit():
        def create():
            question = editing.create_question(topic, _question_data(topic, form), slug=form.slug.data or None,
                                               actor=current_user)
            if form.publish.data:
                editing.set_question_published(question, True, actor=current_user)
            return question

        saved = save(create, lambda question: f"Đã thêm và xuất bản câu hỏi {question.slug}." if question.published
                     else f"Đã thêm câu hỏi {question.slug} (bản nháp: chưa dùng để ra đề cho đến khi xuất bản).",
                     refused=None)
        if saved:
            return _show_question(topic, saved.value)
        error = saved.message
    return render_template("learning/editor/question_form.html", topic=topic, form=form, question=None,
                           error=error)


@bp.route("/topics/<topic_slug>/questions/<question_slug>", methods=["GET", "POST"])
def edit_question(topic_slug: str, question_slug: str):
    topic = _topic_or_404(topic_slug)
    question = _question_or_404(topic, question_slug)
    form = _question_form(QuestionForm, topic, type=question.type, lesson=question.lesson_id or 0,
                          text=question.text, explanation=question.explanation)
    if request.method == "GET":
        form.load_choices(question)
    error = None
    if form.validate_on_submit():
        published_before = question.published

        def update():
            editing.update_question(question, _question_data(topic, form), actor=current_user)
            if form.publish.data:
                editing.set_question_published(question, True, actor=current_user)

        saved = save(update, lambda _: f"Đã lưu và xuất bản câu hỏi {question.slug}."
                     if question.published and not published_before else f"Đã lưu câu hỏi {question.slug}.",
                     refused=None)
        if saved:
            return _show_question(topic, question)
        error = saved.message
    return render_template("learning/editor/question_form.html", topic=topic, form=form, question=question,
                           error=error)


@bp.post("/topics/<topic_slug>/questions/<question_slug>/<any(publish, unpublish):action>")
def publish_question(topic_slug: str, question_slug: str, action: str):
    topic = _topic_or_404(topic_slug)
    question = _question_or_404(topic, question_slug)
    if _checked_action():
        save(lambda: editing.set_question_published(question, action == "publish", actor=current_user),
             lambda _: f"Đã {'xuất bản' if question.published else 'gỡ xuất bản'} câu hỏi {question.slug}.")
    return _show_question(topic, question)


@bp.route("/topics/<topic_slug>/import-questions", methods=["GET", "POST"])
def import_questions(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    form = QuestionImportForm()
    result = None
    if form.validate_on_submit():
        result = import_upload(form.file.data, lambda path, name: question_io.import_questions(
            topic, path, name, current_user, publish=form.publish.data, dry_run=form.dry_run.data),
            dry_run=form.dry_run.data)
    elif request.method == "POST":
        flash_errors(form)
    return render_template("learning/editor/import.html", topic=topic, form=form, result=result)


def _xlsx(buffer, name: str):
    return send_file(buffer, download_name=name, as_attachment=True, mimetype=XLSX_MIMETYPE,
                     max_age=0)


@bp.get("/topics/<topic_slug>/questions.xlsx")
def export_questions(topic_slug: str):
    topic = _topic_or_404(topic_slug)
    return _xlsx(question_io.export_workbook(topic), f"cau-hoi-{topic.slug}.xlsx")


@bp.get("/question-template.xlsx")
def question_template():
    return _xlsx(question_io.template_workbook(), "mau-nhap-cau-hoi.xlsx")

