"""lamtheo: a partial index of the commitments confirmed "đạt"

The review's candidates, when few members pass (a year not yet confirmed) or the subtree is small,
are read from the members with a commitment "đạt" without reading the year's commitments
(2,000,000 in a province).

Revision ID: b7e4c2a91d05
Revises: eaedb7ce8878
Create Date: 2026-12-05 21:55:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e4c2a91d05'
down_revision = 'eaedb7ce8878'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lamtheo_commitments', schema=None) as batch_op:
        batch_op.create_index('ix_lamtheo_commitments_passed', ['year', 'unit_id', 'member_id', 'exemplary'],
                              unique=False, sqlite_where=sa.text("result = 'dat'"),
                              postgresql_where=sa.text("result = 'dat'"))


def downgrade():
    with op.batch_alter_table('lamtheo_commitments', schema=None) as batch_op:
        batch_op.drop_index('ix_lamtheo_commitments_passed', sqlite_where=sa.text("result = 'dat'"),
                            postgresql_where=sa.text("result = 'dat'"))
