"""learning: topics downloaded to phones, marks queued offline

When a member took a topic onto the phone (the earliest an offline mark can claim) and every
mark sent from an offline queue with its outcome, one per (member, phone key).

Revision ID: eaedb7ce8878
Revises: a6c2fc4c6288
Create Date: 2026-12-05 18:36:07.777126

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'eaedb7ce8878'
down_revision = 'a6c2fc4c6288'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offline_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.Column('required_seconds', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_offline_marks_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_offline_marks_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_marks')),
    sa.UniqueConstraint('member_id', 'client_key', name=op.f('uq_offline_marks_member_id'))
    )
    with op.batch_alter_table('offline_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_marks_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index('ix_offline_marks_member_received', ['member_id', 'received_at'], unique=False)

    op.create_table('topic_downloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('downloaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_topic_downloads_member_id_members')),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_downloads_topic_id_topics')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic_downloads')),
    sa.UniqueConstraint('member_id', 'topic_id', name=op.f('uq_topic_downloads_member_id'))
    )
    with op.batch_alter_table('topic_downloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_downloads_topic_id'), ['topic_id'], unique=False)



def downgrade():
    with op.batch_alter_table('topic_downloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_downloads_topic_id'))

    op.drop_table('topic_downloads')
    with op.batch_alter_table('offline_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_offline_marks_member_received')
        batch_op.drop_index(batch_op.f('ix_offline_marks_lesson_id'))

    op.drop_table('offline_marks')
