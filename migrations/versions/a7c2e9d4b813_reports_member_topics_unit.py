"""reports: member_topics keeps each member's current unit and the day of completion

The completion report sums member_topics by unit instead of joining every member to find
their unit, and its chart counts completions by day (bench/reports_province.py).
reports/progress.py keeps both columns current from then on; this fills them once.

Revision ID: a7c2e9d4b813
Revises: f1a8d3c6b2e7
Create Date: 2026-12-05 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c2e9d4b813'
down_revision = 'f1a8d3c6b2e7'
branch_labels = None
depends_on = None


def fill_sql(dialect: str) -> str:
    # The day in Vietnam (UTC+7, no daylight saving time) of a stored UTC time.
    day = ("date(completed_at, '+25200 seconds')" if dialect == "sqlite"
           else "date(completed_at + interval '7 hours')")
    return ("UPDATE member_topics SET completed_on = "
            f"{day}, unit_id = (SELECT m.unit_id FROM members m WHERE m.id = member_topics.member_id)")


def upgrade():
    with op.batch_alter_table('member_topics') as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('completed_on', sa.Date(), nullable=True))
    op.execute(fill_sql(op.get_bind().dialect.name))
    with op.batch_alter_table('member_topics') as batch_op:
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_member_topics_unit_id_units'), 'units', ['unit_id'], ['id'])
        batch_op.drop_index('ix_member_topics_topic_id')
        batch_op.create_index('ix_member_topics_topic_id_unit_id', ['topic_id', 'unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('member_topics') as batch_op:
        batch_op.drop_index('ix_member_topics_topic_id_unit_id')
        batch_op.create_index('ix_member_topics_topic_id', ['topic_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_member_topics_unit_id_units'), type_='foreignkey')
        batch_op.drop_column('completed_on')
        batch_op.drop_column('unit_id')
