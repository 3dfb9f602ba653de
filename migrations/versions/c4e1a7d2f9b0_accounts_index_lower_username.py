"""accounts: an index on lower(username), which every login and registration looks up

Revision ID: c4e1a7d2f9b0
Revises: b3c6b804f49c
Create Date: 2026-11-23 15:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4e1a7d2f9b0'
down_revision = 'b3c6b804f49c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_users_username_lower', 'users', [sa.text('lower(username)')], unique=False)


def downgrade():
    op.drop_index('ix_users_username_lower', table_name='users')
