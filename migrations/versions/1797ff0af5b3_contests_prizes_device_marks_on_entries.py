"""contests: prizes, device marks on entries; audit targets as long as a slug

Revision ID: 1797ff0af5b3
Revises: 792621871830
Create Date: 2026-11-23 13:35:06.124366

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1797ff0af5b3'
down_revision = '792621871830'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contest_prizes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.SmallInteger(), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.String(length=12), nullable=False),
    sa.Column('place', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('awarded_at', sa.DateTime(), nullable=False),
    sa.Column('awarded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['awarded_by_id'], ['users.id'], name=op.f('fk_contest_prizes_awarded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_contest_prizes_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_contest_prizes_contest_id_contests')),
    sa.ForeignKeyConstraint(['division_id'], ['contest_divisions.id'], name=op.f('fk_contest_prizes_division_id_contest_divisions')),
    sa.ForeignKeyConstraint(['participant_id'], ['contest_participants.id'], name=op.f('fk_contest_prizes_participant_id_contest_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contest_prizes')),
    sa.UniqueConstraint('contest_id', 'round_number', 'participant_id', name='uq_contest_prizes_participant')
    )
    with op.batch_alter_table('contest_prizes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contest_prizes_participant_id'), ['participant_id'], unique=False)

    with op.batch_alter_table('contest_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_contest_entries_device'), ['device'], unique=False)

    # A topic slug may be 80 characters, and a contest bank's slug is the contest's with a prefix.
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('target_id', existing_type=sa.String(length=64), type_=sa.String(length=120),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('target_id', existing_type=sa.String(length=120), type_=sa.String(length=64),
                              existing_nullable=False)

    with op.batch_alter_table('contest_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contest_entries_device'))
        batch_op.drop_column('device')

    with op.batch_alter_table('contest_prizes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contest_prizes_participant_id'))

    op.drop_table('contest_prizes')
