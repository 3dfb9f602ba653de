"""quizzes: one attempt per (quiz, person, number), so racing starts cannot pass the try limit

Attempts numbered twice by the race this closes (1, 2, 2, 2) are renumbered first, in the
order they started: the person's attempts stay, each with its own number.

Revision ID: e8b4d1f07a92
Revises: c8f2a6e1d9b4
Create Date: 2026-12-02 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e8b4d1f07a92'
down_revision = 'c8f2a6e1d9b4'
branch_labels = None
depends_on = None


def _renumber_duplicates(connection) -> None:
    attempts = sa.table('attempts', sa.column('id'), sa.column('quiz_id'), sa.column('user_id'),
                        sa.column('number'), sa.column('started_at'))
    twice = (sa.select(attempts.c.quiz_id, attempts.c.user_id)
             .group_by(attempts.c.quiz_id, attempts.c.user_id, attempts.c.number)
             .having(sa.func.count() > 1).distinct())
    for quiz_id, user_id in connection.execute(twice).all():
        rows = connection.execute(sa.select(attempts.c.id).where(attempts.c.quiz_id == quiz_id,
                                                                 attempts.c.user_id == user_id)
                                  .order_by(attempts.c.number, attempts.c.started_at, attempts.c.id)).scalars()
        for number, attempt_id in enumerate(list(rows), start=1):
            connection.execute(attempts.update().where(attempts.c.id == attempt_id).values(number=number))


def upgrade():
    _renumber_duplicates(op.get_bind())
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_attempts_quiz_user_number', ['quiz_id', 'user_id', 'number'])


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_attempts_quiz_user_number', type_='unique')
