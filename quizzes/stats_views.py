"""Question statistics of a quiz, for editors and administrators: the page and its .xlsx."""
from datetime import datetime

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user

from core.clock import to_local
from core.extensions import db
from core.permissions import ADMIN, EDITOR, roles_required
from core.tabular import XLSX_MIMETYPE
from learning import topics as learning_topics
from quizzes import statistics
from quizzes.models import Quiz

bp = Blueprint("quiz_stats", __name__)
ATTEMPTS_PER_PAGE = 100


def _all_attempts() -> bool:
    return request.args.get("all") == "1"


def _quiz_or_404(quiz_id: int) -> Quiz:
    """The quiz, unless its statistics (each question's right answer) are hidden from this person now."""
    quiz = db.get_or_404(Quiz, quiz_id)
    if learning_topics.hides_answer_key(quiz.topic, current_user):
        abort(404)
    return quiz


def _when(moment: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time."""
    return "" if moment is None else to_local(moment).strftime("%d/%m/%Y %H:%M")


@bp.get("/editor/quizzes/<int:quiz_id>/statistics")
@roles_required(EDITOR, ADMIN)
def report(quiz_id: int):
    quiz = _quiz_or_404(quiz_id)
    stats = statistics.quiz_statistics(quiz, all_attempts=_all_attempts())
    pages = max(1, -(-len(stats.attempts) // ATTEMPTS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = stats.attempts[(page - 1) * ATTEMPTS_PER_PAGE:page * ATTEMPTS_PER_PAGE]
    return render_template(
        "quizzes/statistics.html", quiz=quiz, topic=quiz.topic, stats=stats, shown=shown, page=page, pages=pages,
        when=_when, duration=statistics.duration_text, flag_labels=statistics.FLAG_LABELS,
        thresholds={"easy": statistics.TOO_EASY_ABOVE, "hard": statistics.TOO_HARD_BELOW,
                    "weak": statistics.WEAK_DISCRIMINATION_BELOW})


@bp.get("/editor/quizzes/<int:quiz_id>/statistics.xlsx")
@roles_required(EDITOR, ADMIN)
def export(quiz_id: int):
    quiz = _quiz_or_404(quiz_id)
    all_attempts = _all_attempts()
    buffer = statistics.statistics_workbook(statistics.quiz_statistics(quiz, all_attempts=all_attempts))
    name = f"thong-ke-bai-kiem-tra-{quiz.id}{'-moi-luot' if all_attempts else ''}.xlsx"
    return send_file(buffer, download_name=name, as_attachment=True, mimetype=XLSX_MIMETYPE, max_age=0)
