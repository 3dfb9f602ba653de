"""lamtheo: exemplary models and people (stories)

Revision ID: a6c2fc4c6288
Revises: b5e1c7a9d3f2
Create Date: 2026-12-05 18:34:55.589560

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a6c2fc4c6288'
down_revision = 'b5e1c7a9d3f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lamtheo_stories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=400), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('consent_method', sa.String(length=12), nullable=True),
    sa.Column('consent_note', sa.String(length=300), nullable=True),
    sa.Column('consent_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('consent_recorded_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('origin_unit_id', sa.Integer(), nullable=False),
    sa.Column('at_unit_id', sa.Integer(), nullable=False),
    sa.Column('last_comment', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=True),
    sa.Column('nominated_at', sa.DateTime(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['at_unit_id'], ['units.id'], name=op.f('fk_lamtheo_stories_at_unit_id_units')),
    sa.ForeignKeyConstraint(['consent_recorded_by_id'], ['users.id'], name=op.f('fk_lamtheo_stories_consent_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lamtheo_stories_member_id_members')),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['users.id'], name=op.f('fk_lamtheo_stories_nominated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['origin_unit_id'], ['units.id'], name=op.f('fk_lamtheo_stories_origin_unit_id_units')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_lamtheo_stories_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamtheo_stories'))
    )
    with op.batch_alter_table('lamtheo_stories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamtheo_stories_at_unit_id'), ['at_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamtheo_stories_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_lamtheo_stories_status_approved_at', ['status', 'approved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamtheo_stories_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_lamtheo_stories_year_unit_id', ['year', 'unit_id'], unique=False)

    op.create_table('lamtheo_story_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('filename', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['lamtheo_stories.id'], name=op.f('fk_lamtheo_story_photos_story_id_lamtheo_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamtheo_story_photos')),
    sa.UniqueConstraint('filename', name=op.f('uq_lamtheo_story_photos_filename'))
    )
    with op.batch_alter_table('lamtheo_story_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamtheo_story_photos_story_id'), ['story_id'], unique=False)

    op.create_table('lamtheo_story_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_lamtheo_story_steps_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['story_id'], ['lamtheo_stories.id'], name=op.f('fk_lamtheo_story_steps_story_id_lamtheo_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_lamtheo_story_steps_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamtheo_story_steps'))
    )
    with op.batch_alter_table('lamtheo_story_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamtheo_story_steps_story_id'), ['story_id'], unique=False)



def downgrade():
    with op.batch_alter_table('lamtheo_story_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamtheo_story_steps_story_id'))

    op.drop_table('lamtheo_story_steps')
    with op.batch_alter_table('lamtheo_story_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamtheo_story_photos_story_id'))

    op.drop_table('lamtheo_story_photos')
    with op.batch_alter_table('lamtheo_stories', schema=None) as batch_op:
        batch_op.drop_index('ix_lamtheo_stories_year_unit_id')
        batch_op.drop_index(batch_op.f('ix_lamtheo_stories_unit_id'))
        batch_op.drop_index('ix_lamtheo_stories_status_approved_at')
        batch_op.drop_index(batch_op.f('ix_lamtheo_stories_member_id'))
        batch_op.drop_index(batch_op.f('ix_lamtheo_stories_at_unit_id'))

    op.drop_table('lamtheo_stories')
