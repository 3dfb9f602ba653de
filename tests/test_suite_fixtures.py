"""The suite's shared starting points: restoring them leaves what building them leaves."""
from datetime import datetime, timedelta

from sqlalchemy import text

from accounts import services as accounts
from accounts.services import hash_password
from app import create_app
from core.clock import utcnow
from core.extensions import db
from learning import content
from tests import factories
from tests.conftest import CONTENT, SYNCED, WORLD, Snapshot, _empty_tables, _place_synced_topics, _sync_content
from tests.conftest import FAST_PASSWORD_HASH as FAST

RANDOM = {"session_token"}  # drawn anew for each account built


def _rows() -> dict:
    """Every row of every table, moments apart (they are checked on their own)."""
    found = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(table.select().order_by(*table.primary_key.columns)).mappings().all()
        found[table.name] = [{k: v for k, v in row.items() if not isinstance(v, datetime) and k not in RANDOM}
                             for row in rows]
    return found


def _moments() -> list[datetime]:
    return [value for table in db.metadata.sorted_tables
            for row in db.session.execute(table.select()).mappings()
            for value in row.values() if isinstance(value, datetime)]


def test_a_snapshot_first_built_beside_other_rows_is_kept_only_once_built_alone(app):
    # Synced beside a province, content also sets the province's topics: rows that name the
    # province, which a later test's database does not have.
    _empty_tables()
    factories.make_unit("LDLD-LC", kind="province")
    snapshot = Snapshot(_sync_content)
    snapshot.restore()
    assert snapshot.rows is None and db.session.execute(text("SELECT count(*) FROM topic_assignments")).scalar()
    _empty_tables()
    snapshot.restore()
    assert snapshot.rows and "topic_assignments" not in {table.name for table in snapshot.rows}
    _empty_tables()
    snapshot.restore()
    assert db.session.execute(text("SELECT count(*) FROM topics")).scalar()


def test_the_world_and_the_synced_content_restore_as_they_are_built(app):
    for snapshot in (WORLD, SYNCED):  # each taken now, on an empty database, if no test before this one took it
        snapshot.restore()
        _empty_tables()
    assert WORLD.rows and SYNCED.rows
    factories.make_world()
    content.sync(CONTENT)
    db.session.commit()
    built = _rows()
    assert built["users"] and built["questions"]
    _empty_tables()

    world = WORLD.restore()
    SYNCED.restore()
    _place_synced_topics()
    assert _rows() == built
    assert world.officer_a.username == "officer_a" and world.grassroots_a.parent.parent == world.province
    assert all(abs(moment - utcnow()) < timedelta(minutes=1) for moment in _moments())


def test_restored_ids_leave_the_next_id_free(app):
    world = WORLD.restore()
    user = factories.make_user("moi")
    assert user.id == max(u.id for u in vars(world).values() if type(u).__name__ == "User") + 1
    assert db.session.scalar(text("SELECT count(*) FROM users")) == 8


def test_the_world_is_built_anew_where_its_tables_are_not_empty(app):
    factories.make_unit("X")  # takes unit id 1, which the snapshot's province holds
    world = WORLD.restore()
    assert world.province.code == "P" and world.province.id != 1


def test_the_suite_hashes_cheaply_and_the_application_with_owasps_argon2id(app, tmp_path):
    assert hash_password("mat-khau-dai").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    production = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "k" * 64})
    assert production.config["PASSWORD_HASH_METHOD"] == "argon2id:19456:2:1"
    with production.app_context():
        assert hash_password("mat-khau-dai").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_unknown_account_costs_a_check_made_as_the_real_ones(app, tmp_path):
    assert accounts.authenticate("khong-co-ai", "mat-khau-dai") is None
    assert accounts._dummy_hash.cache_info().currsize >= 1
    assert accounts._dummy_hash(FAST).startswith("$argon2id$v=19$m=8,t=1,p=1$")
    production = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "k" * 64})
    with production.app_context():
        assert accounts._dummy_hash(production.config["PASSWORD_HASH_METHOD"]).startswith("$argon2id$v=19$m=19456,")
