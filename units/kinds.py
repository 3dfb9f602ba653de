"""Unit kinds (province federation, grassroots union …): the defaults, finding one, adding one."""
import re

from accounts.models import User
from core import audit
from core.extensions import db
from core.text import clean_name, fold
from units.errors import UnitError
from units.models import UnitKind

DEFAULT_KINDS = [
    ("province", "Liên đoàn Lao động tỉnh", False),
    ("district", "Liên đoàn Lao động huyện", False),
    ("sector", "Công đoàn ngành", False),
    ("civil_servants", "Công đoàn Viên chức", False),
    ("industrial_zone", "Công đoàn các Khu công nghiệp", False),
    ("commune", "Công đoàn xã, phường", False),
    ("grassroots", "Công đoàn cơ sở", True),
    ("department", "Công đoàn bộ phận", True),
    ("group", "Tổ công đoàn", True),
]


def ensure_default_kinds() -> None:
    existing = set(db.session.execute(db.select(UnitKind.code)).scalars())
    for position, (code, name, grassroots) in enumerate(DEFAULT_KINDS):
        if code not in existing:
            db.session.add(UnitKind(code=code, name=name, is_grassroots=grassroots, position=position))
    db.session.flush()


def all_kinds() -> list[UnitKind]:
    """Every kind; a new database gets the default kinds on first use."""
    kinds = list(db.session.execute(db.select(UnitKind).order_by(UnitKind.position, UnitKind.name)).scalars())
    if not kinds:
        ensure_default_kinds()
        return all_kinds()
    return kinds


def find_kind(text: str, kinds: list[UnitKind] | None = None) -> UnitKind | None:
    """Match a kind by its code or Vietnamese name, ignoring case and diacritics."""
    wanted = fold(text)
    for kind in kinds if kinds is not None else all_kinds():
        if wanted in (fold(kind.code), fold(kind.name)):
            return kind
    return None


def create_kind(code: str, name: str, *, is_grassroots: bool, actor: User) -> UnitKind:
    code = code.strip().lower()
    if not re.fullmatch(r"[a-z0-9_]{2,32}", code):
        raise UnitError("Mã loại chỉ gồm chữ thường không dấu, số và gạch dưới.")
    if find_kind(code) or find_kind(name):
        raise UnitError("Loại đơn vị này đã có.")
    kind = UnitKind(code=code, name=clean_name(name), is_grassroots=is_grassroots)
    db.session.add(kind)
    db.session.flush()
    audit.record(actor, "unit_kind_created", "unit_kind", kind.id, f"Thêm loại đơn vị {kind.name}")
    return kind

