"""contests: contest_standings, each participant's standing kept current as attempts finish

A board reads the first hundred lines of an index instead of ranking every finished attempt
(bench/leaderboard.py). contests.boards.refresh_standings keeps the table current from then on;
this fills it once for the contests already run, with that same function.

Revision ID: b5e1c7a9d3f2
Revises: 64cd6620731a
Create Date: 2026-12-05 19:00:00

"""
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = 'b5e1c7a9d3f2'
down_revision = '64cd6620731a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contest_standings',
        sa.Column('contest_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('round_number', sa.SmallInteger(), nullable=False),
        sa.Column('participant_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('division_id', sa.Integer(), nullable=True),
        sa.Column('attempt_id', sa.Integer(), nullable=True),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('prediction', sa.Integer(), nullable=True),
        sa.Column('prediction_error', sa.BigInteger(), nullable=False),
        sa.Column('duration_seconds', sa.BigInteger(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=False),
        sa.Column('rounds', sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint('contest_id', 'round_number', 'participant_id', name=op.f('pk_contest_standings')),
    )
    with op.batch_alter_table('contest_standings', schema=None) as batch_op:
        batch_op.create_index('ix_contest_standings_prediction_first',
                              ['contest_id', 'round_number', sa.text('score DESC'), 'prediction_error',
                               'duration_seconds', 'finished_at', 'attempt_id', 'participant_id'], unique=False)
        batch_op.create_index('ix_contest_standings_duration_first',
                              ['contest_id', 'round_number', sa.text('score DESC'), 'duration_seconds',
                               'prediction_error', 'finished_at', 'attempt_id', 'participant_id'], unique=False)
    _fill(op.get_bind())


def _fill(connection) -> None:
    # The contests and rounds read as plain rows (the models may have grown columns since); the
    # statements themselves are those of contests.boards, the code that keeps the table current.
    from contests.boards import refresh_standings
    session = Session(bind=connection)
    contests = sa.table('contests', sa.column('id'), sa.column('tie_break'))
    rounds = sa.table('contest_rounds', sa.column('id'), sa.column('contest_id'), sa.column('number'),
                      sa.column('actual_figure'))
    for contest_id, tie_break in connection.execute(sa.select(contests.c.id, contests.c.tie_break)).all():
        its_rounds = [SimpleNamespace(id=row.id, contest_id=row.contest_id, number=row.number,
                                      actual_figure=row.actual_figure)
                      for row in connection.execute(sa.select(rounds).where(rounds.c.contest_id == contest_id))]
        refresh_standings(session, SimpleNamespace(id=contest_id, tie_break=tie_break, rounds=its_rounds))


def downgrade():
    with op.batch_alter_table('contest_standings', schema=None) as batch_op:
        batch_op.drop_index('ix_contest_standings_duration_first')
        batch_op.drop_index('ix_contest_standings_prediction_first')
    op.drop_table('contest_standings')
