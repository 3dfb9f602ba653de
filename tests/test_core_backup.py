"""`flask backup OUT`: a SQLite copy that a fresh app opens with every row; PostgreSQL is pg_dump's job."""
from app import create_app
from core.extensions import db
from units.models import Member


def test_a_backup_restores_with_the_data(app, world, runner, tmp_path):
    out = tmp_path / "saoluu" / "hoctap.db"
    result = runner.invoke(args=["backup", str(out)])
    if db.engine.dialect.name != "sqlite":
        assert result.exit_code == 1 and "pg_dump" in result.output and not out.exists()
        return
    assert result.exit_code == 0, result.output
    assert "Đã sao lưu" in result.output and not list(out.parent.glob(".*partial"))
    restored = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{out}"})
    with restored.app_context():
        names = set(db.session.scalars(db.select(Member.full_name)))
        db.engine.dispose()
    assert {"Lò Thị Xuân", "Giàng A Páo"} <= names
