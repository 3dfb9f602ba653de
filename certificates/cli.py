import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from certificates import services
from certificates.models import Certificate
from core.extensions import db
from learning import topics as learning_topics
from units import tree as unit_tree
from units.models import Unit


@click.group("certificates", help="Giấy chứng nhận.")
def certificates_cli():
    pass


@certificates_cli.command("export")
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị (gồm cả đơn vị trực thuộc).")
@click.option("--topic", "topic_slug", help="Chỉ một chuyên đề (slug).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Tệp .zip.")
@with_appcontext
def export_command(unit_code: str, topic_slug: str | None, out: Path):
    """Xuất giấy chứng nhận của một đơn vị thành một tệp .zip (mỗi giấy một PDF)."""
    unit = unit_tree.get_unit(unit_code)
    if unit is None:
        click.echo(f"Không có đơn vị mã “{unit_code}”.", err=True)
        sys.exit(1)
    query = db.select(Certificate.id).join(Unit, Certificate.unit_id == Unit.id).where(
        unit_tree.in_subtree(unit)).order_by(Certificate.serial_number)
    if topic_slug:
        topic = learning_topics.get_topic(topic_slug, include_unpublished=True)
        if topic is None:
            click.echo(f"Không có chuyên đề “{topic_slug}”.", err=True)
            sys.exit(1)
        query = query.where(Certificate.topic_id == topic.id)
    ids = list(db.session.scalars(query))
    base_url = current_app.config["PUBLIC_BASE_URL"]
    left_out: list[str] = []
    with out.open("wb") as handle, click.progressbar(length=len(ids), label="Tạo giấy chứng nhận",
                                                     file=sys.stderr) as bar:
        for chunk in services.zip_stream(ids, base_url, Path(current_app.config["CERTIFICATE_CACHE"]),
                                         progress=bar.update, left_out=left_out):
            handle.write(chunk)
    click.echo(f"Đã ghi {len(ids) - len(left_out)} giấy chứng nhận vào {out}.")
    if left_out:
        click.echo(f"Bỏ qua {len(left_out)} giấy quá dài, không in vừa một trang (xem {services.NOT_PRINTED_NOTE} "
                   "trong tệp .zip):\n" + "\n".join(left_out), err=True)
