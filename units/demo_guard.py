"""Whether a database is the demo's own, so that `flask seed-demo` never mixes into real data.

A database is the demo's while one of the demo accounts still has the demo password: no real
instance has an account with that published password. Any other database holding a user or a
unit holds real data (its first administrator, its imported tree).
"""
from accounts import passwords
from accounts.models import User
from core.extensions import db
from units.demo import ACCOUNTS, DEMO_PASSWORD
from units.models import Unit


def _is_demo_database() -> bool:
    usernames = [username for username, *_ in ACCOUNTS]
    demo_accounts = db.session.scalars(db.select(User).where(User.username.in_(usernames)))
    return any(passwords.matches(user.password_hash, DEMO_PASSWORD) for user in demo_accounts)


def real_data_reason() -> str | None:
    has_user = db.session.scalar(db.select(User.id).limit(1)) is not None
    has_unit = db.session.scalar(db.select(Unit.id).limit(1)) is not None
    if (has_user or has_unit) and not _is_demo_database():
        return ("cơ sở dữ liệu này đã có tài khoản hoặc đơn vị thật (không do dữ liệu mẫu tạo ra). "
                "Hãy dùng một cơ sở dữ liệu trống cho bản thử nghiệm (DATABASE_URL).")
    return None
