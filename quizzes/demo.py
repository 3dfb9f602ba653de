"""Demo quizzes: a final quiz for every demo topic, open now."""
from core.extensions import db
from learning.models import Topic
from quizzes import services
from quizzes.models import Quiz


def seed() -> list[str]:
    added = 0
    for topic in db.session.scalars(db.select(Topic).where(Topic.from_content).order_by(Topic.id)):
        if services.final_quiz(topic, include_unpublished=True) is None:
            db.session.add(Quiz(topic=topic, title=f"Bài kiểm tra · {topic.short_title}",
                                question_count=10, balance_lessons=True, time_limit_seconds=15 * 60,
                                pass_percent=70, max_attempts=3, min_duration_seconds=60))
            added += 1
    db.session.flush()
    return [f"Bài kiểm tra: thêm {added}."]
