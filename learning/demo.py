"""Demo learning: the topics in content/, set for the whole demo province."""
from pathlib import Path

from flask import current_app

from learning import content, services
from learning.models import Topic
from core.extensions import db
from units import demo as units_demo
from units import services as units_services


def seed() -> list[str]:
    report = content.sync(Path(current_app.root_path) / "content")
    province = units_services.get_unit(units_demo.PROVINCE)
    for topic in db.session.scalars(db.select(Topic).where(Topic.from_content)):
        services.assign_topic(topic, province)
    return [f"Nội dung học tập: chủ đề {report.topics}; bài học {report.lessons}; câu hỏi {report.questions}."]
