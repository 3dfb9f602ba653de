"""accounts: a per-user session token, so that logging out or a new password voids old cookies

Every session and remember-me cookie carries "user id:session token"; logout, a password
change and a password reset draw a new token. Existing accounts start without one (NULL,
as bench/ and other raw inserts leave it) and get one at their next logout or new password;
cookies issued before this revision, which carried a password stamp instead, stop working
once, so everyone logs in again after the upgrade.

Revision ID: 8d3f6a2b9c17
Revises: 5e0b7c41d2a9
Create Date: 2026-12-05 16:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8d3f6a2b9c17'
down_revision = '5e0b7c41d2a9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('session_token')
