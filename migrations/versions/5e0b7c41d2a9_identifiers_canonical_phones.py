"""identifiers: phones stored before every digit script was folded to ASCII, made canonical

Until now a phone was checked with \\d, which also accepts full-width and Arabic-Indic
digits, and stored as typed: "098１234567" sat beside "0981234567". Such phones can be in
members.phone, contest_participants.phone and users.username (a contestant's login); the
last four digits of a citizen id in contest_participants.citizen_id_last4 likewise. Cards
and unit codes were always checked against ASCII-only patterns and need nothing.
A citizen id's keyed hash cannot be redone: the digits it was made from are not kept.

Only rows holding a non-ASCII character are read. A row whose canonical value another row
already holds (the very duplicate this fixes) is left as it is and named in a warning, for
an administrator to merge by hand: the migration deletes nothing.

Revision ID: 5e0b7c41d2a9
Revises: a7c2e9d4b813
Create Date: 2026-12-05 16:00:00

"""
import warnings

import sqlalchemy as sa
from alembic import op

from core.text import citizen_id_digits, normalise_phone

# revision identifiers, used by Alembic.
revision = '5e0b7c41d2a9'
down_revision = 'a7c2e9d4b813'
branch_labels = None
depends_on = None

# (table, column, canonical form, the columns a duplicate would share, besides the value)
COLUMNS = [
    ("members", "phone", normalise_phone, ()),
    ("users", "username", normalise_phone, ()),
    ("contest_participants", "phone", normalise_phone, ("contest_id",)),
    ("contest_participants", "citizen_id_last4", citizen_id_digits, None),
]


def _non_ascii(dialect: str, column: str) -> str:
    return f"{column} GLOB '*[^ -~]*'" if dialect == "sqlite" else f"{column} ~ '[^ -~]'"


def upgrade():
    connection = op.get_bind()
    dialect = connection.dialect.name
    for table, column, canonical, unique_with in COLUMNS:
        scope = ", ".join(("id", column) + (unique_with or ()))
        rows = connection.execute(sa.text(
            f"SELECT {scope} FROM {table} WHERE {_non_ascii(dialect, column)}")).mappings().all()
        for row in rows:
            value = canonical(row[column])
            if not value or value == row[column]:
                continue
            if unique_with is not None:
                same = " AND ".join([f"{column} = :value"] + [f"{name} = :{name}" for name in unique_with])
                taken = connection.execute(sa.text(f"SELECT id FROM {table} WHERE {same}"),
                                           {"value": value, **{name: row[name] for name in unique_with}}).first()
                if taken is not None:
                    warnings.warn(f"{table}.{column} of id {row['id']} is {value} in another spelling, "
                                  f"already held by id {taken[0]}: left as it is", stacklevel=2)
                    continue
            connection.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                               {"value": value, "id": row["id"]})


def downgrade():
    pass  # the old spellings were the defect; nothing to restore
