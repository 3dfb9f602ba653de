"""Demo learning: the topics in content/, each set for the tree of the federation it names."""
from pathlib import Path

from flask import current_app

from learning import content


def seed() -> list[str]:
    report = content.sync(Path(current_app.root_path) / "content")
    return [f"Nội dung học tập: chủ đề {report.topics}; bài học {report.lessons}; câu hỏi {report.questions}.",
            *report.lines]
