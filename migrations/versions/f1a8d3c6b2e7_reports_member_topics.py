"""reports: member_topics, where each member stands on each topic, filled from the existing rows

The completion report reads one row per member from it instead of every lesson, attempt,
completion and certificate row (bench/reports_province.py). reports/progress.py keeps it
current from then on; this fills it once from what is already there, with the same rules:
first activity, the moment every published lesson was studied, the first finished attempt
and its score, the first pass, the completion and the completion certificate.

Revision ID: f1a8d3c6b2e7
Revises: c4e1a7d2f9b0
Create Date: 2026-12-05 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f1a8d3c6b2e7'
down_revision = 'c4e1a7d2f9b0'
branch_labels = None
depends_on = None

# Typed: PostgreSQL takes two untyped NULLs in a UNION for text.
NULLS = {"started_at": "CAST(NULL AS TIMESTAMP)", "studied_all_at": "CAST(NULL AS TIMESTAMP)",
         "first_finished_at": "CAST(NULL AS TIMESTAMP)", "first_percent": "CAST(NULL AS DOUBLE PRECISION)",
         "passed_at": "CAST(NULL AS TIMESTAMP)", "completed_at": "CAST(NULL AS TIMESTAMP)",
         "certified_on": "CAST(NULL AS DATE)", "certificate_revoked_at": "CAST(NULL AS TIMESTAMP)"}


def _columns(**values) -> str:
    return ", ".join(f"{values.get(name, null)} AS {name}" for name, null in NULLS.items())


FINAL = "JOIN quizzes q ON q.id = a.quiz_id WHERE q.purpose = 'final' AND q.topic_id IS NOT NULL " \
        "AND a.member_id IS NOT NULL"
FINISHED = FINAL + " AND a.status IN ('submitted', 'expired')"
BACKFILL = f"""
INSERT INTO member_topics (member_id, topic_id, {", ".join(NULLS)})
SELECT member_id, topic_id, min(started_at), max(studied_all_at), max(first_finished_at), max(first_percent),
       min(passed_at), max(completed_at), max(certified_on), max(certificate_revoked_at)
FROM (
    SELECT lp.member_id, l.topic_id, {_columns(started_at="lp.opened_at")}
    FROM lesson_progress lp JOIN lessons l ON l.id = lp.lesson_id
    UNION ALL
    SELECT lp.member_id, l.topic_id, {_columns(started_at="lp.studied_at")}
    FROM lesson_progress lp JOIN lessons l ON l.id = lp.lesson_id WHERE lp.studied_at IS NOT NULL
    UNION ALL
    SELECT lp.member_id, l.topic_id, {_columns(studied_all_at="max(lp.studied_at)")}
    FROM lesson_progress lp JOIN lessons l ON l.id = lp.lesson_id
    WHERE l.published AND lp.studied_at IS NOT NULL
    GROUP BY lp.member_id, l.topic_id
    HAVING count(*) = (SELECT count(*) FROM lessons p WHERE p.topic_id = l.topic_id AND p.published)
    UNION ALL
    SELECT a.member_id, q.topic_id, {_columns(started_at="a.started_at")} FROM attempts a {FINAL}
    UNION ALL
    SELECT member_id, topic_id, {_columns(first_finished_at="finished_at", first_percent="percent")}
    FROM (SELECT a.member_id, q.topic_id, a.finished_at, a.percent,
                 row_number() OVER (PARTITION BY a.member_id, q.topic_id ORDER BY a.finished_at, a.id) AS rank
          FROM attempts a {FINISHED}) f
    WHERE rank = 1
    UNION ALL
    SELECT a.member_id, q.topic_id, {_columns(passed_at="min(a.finished_at)")}
    FROM attempts a {FINISHED} AND a.passed GROUP BY a.member_id, q.topic_id
    UNION ALL
    SELECT member_id, topic_id, {_columns(started_at="completed_at", completed_at="completed_at")}
    FROM topic_completions
    UNION ALL
    SELECT member_id, topic_id, {_columns(certified_on="issued_on", certificate_revoked_at="revoked_at")}
    FROM certificates WHERE kind = 'completion' AND member_id IS NOT NULL AND topic_id IS NOT NULL
) sources
GROUP BY member_id, topic_id
"""


def upgrade():
    op.create_table('member_topics',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('studied_all_at', sa.DateTime(), nullable=True),
    sa.Column('first_finished_at', sa.DateTime(), nullable=True),
    sa.Column('first_percent', sa.Double(), nullable=True),
    sa.Column('passed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('certified_on', sa.Date(), nullable=True),
    sa.Column('certificate_revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_topics_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_member_topics_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'topic_id', name=op.f('pk_member_topics'))
    )
    op.create_index('ix_member_topics_topic_id', 'member_topics', ['topic_id'], unique=False)
    op.execute(BACKFILL)


def downgrade():
    op.drop_index('ix_member_topics_topic_id', table_name='member_topics')
    op.drop_table('member_topics')
