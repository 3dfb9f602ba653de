"""reports: headcounts, study sessions, report submissions, API tokens

Revision ID: b3c6b804f49c
Revises: 1797ff0af5b3
Create Date: 2026-11-23 13:37:00.025197

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3c6b804f49c'
down_revision = '1797ff0af5b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('headcounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=True),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['declared_by_id'], ['users.id'], name=op.f('fk_headcounts_declared_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_headcounts_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_headcounts')),
    sa.UniqueConstraint('unit_id', 'period_start', 'period_end', name='uq_headcounts_unit_period')
    )
    op.create_table('report_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('to_unit_id', sa.Integer(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('version', sa.SmallInteger(), nullable=False),
    sa.Column('results_text', sa.Text(), nullable=False),
    sa.Column('shortcomings_text', sa.Text(), nullable=False),
    sa.Column('proposals_text', sa.Text(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_report_submissions_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_unit_id'], ['units.id'], name=op.f('fk_report_submissions_to_unit_id_units')),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_report_submissions_topic_id_topics')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_submissions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_submissions')),
    sa.UniqueConstraint('unit_id', 'topic_id', 'period_from', 'period_to', 'version', name='uq_report_submissions_version')
    )
    with op.batch_alter_table('report_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_submissions_to_unit_id'), ['to_unit_id'], unique=False)

    op.create_table('study_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('form', sa.String(length=12), nullable=False),
    sa.Column('attendances', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_study_sessions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_study_sessions_topic_id_topics')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_study_sessions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_sessions'))
    )
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_sessions_topic_id'), ['topic_id'], unique=False)
        batch_op.create_index('ix_study_sessions_unit_held_on', ['unit_id', 'held_on'], unique=False)

    op.create_table('study_session_members',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_study_session_members_member_id_members')),
    sa.ForeignKeyConstraint(['session_id'], ['study_sessions.id'], name=op.f('fk_study_session_members_session_id_study_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'member_id', name=op.f('pk_study_session_members'))
    )
    with op.batch_alter_table('study_session_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_session_members_member_id'), ['member_id'], unique=False)


def downgrade():
    with op.batch_alter_table('study_session_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_session_members_member_id'))

    op.drop_table('study_session_members')
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_study_sessions_unit_held_on')
        batch_op.drop_index(batch_op.f('ix_study_sessions_topic_id'))

    op.drop_table('study_sessions')
    with op.batch_alter_table('report_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_submissions_to_unit_id'))

    op.drop_table('report_submissions')
    op.drop_table('headcounts')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
