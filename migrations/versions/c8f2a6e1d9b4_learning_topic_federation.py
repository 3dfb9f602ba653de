"""learning: a topic's federation, and the federations a lesson compares with on purpose

Each topic is set only for the tree of the province federation whose documents it teaches
(content/<topic>/topic.yml `federation:`); the code is kept on the topic so that the
topic is set as soon as that unit exists, in whatever order an install is made.

Revision ID: c8f2a6e1d9b4
Revises: 8d3f6a2b9c17
Create Date: 2026-12-08 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8f2a6e1d9b4'
down_revision = '8d3f6a2b9c17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('topics') as batch_op:
        batch_op.add_column(sa.Column('federation_code', sa.String(length=32), nullable=True))
    with op.batch_alter_table('lessons') as batch_op:
        batch_op.add_column(sa.Column('compares_with', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('lessons') as batch_op:
        batch_op.drop_column('compares_with')
    with op.batch_alter_table('topics') as batch_op:
        batch_op.drop_column('federation_code')
