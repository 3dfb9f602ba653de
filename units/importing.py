"""Member and unit imports: every row is checked before anything is written.

Member files are read twice: the first pass validates and keeps only the identifiers
seen (to catch repeats), the second works out the writes batch by batch into a
temporary file, which is then written in batches inside the caller's transaction.
Memory therefore depends on the batch size, not on the file.
"""
import pickle
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import insert, or_, update

from accounts.models import User
from core import audit, database, signals
from core.clock import local_today, parse_vn_date
from core.extensions import db
from core.logs import logged_import
from core.permissions import may_manage_account, scope_paths
from core.tabular import ImportReport, Row, read_table
from core.text import clean_name, fold, identifier, normalise_phone
from units import errors as unit_errors
from units import kinds as unit_kinds
from units import members as unit_members
from units import tree as unit_tree
from units.models import MEMBER_ACTIVE, Member, MemberMove, Unit

BATCH = 1000

MEMBER_COLUMNS = {
    "full_name": ("Họ và tên", "Họ tên"),
    "unit_code": ("Mã đơn vị",),
    "card_number": ("Số thẻ đoàn viên", "Số thẻ"),
    "phone": ("Số điện thoại", "Điện thoại", "SĐT"),
    "birth_year": ("Năm sinh",),
    "birth_date": ("Ngày sinh",),
    "gender": ("Giới tính",),
    "email": ("Email", "Thư điện tử"),
    "position": ("Chức vụ",),
}
UNIT_COLUMNS = {
    "code": ("Mã đơn vị",),
    "name": ("Tên đơn vị",),
    "kind": ("Loại", "Loại đơn vị"),
    "parent_code": ("Mã đơn vị cấp trên",),
}
ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"
# All an importer learns of a member outside their scope.
OUTSIDE = "thuộc một đoàn viên ngoài phạm vi quản lý"
BEYOND = ("tài khoản của người này có quyền vượt ngoài phạm vi bạn quản lý: chỉ quản trị hệ thống mới được "
          "đổi số điện thoại, số thẻ, họ tên của người này.")
# The downloadable templates: headers, and example rows shown on a sheet of their own.
MEMBER_TEMPLATE = (["Họ và tên", "Mã đơn vị", "Số thẻ đoàn viên", "Số điện thoại", "Ngày sinh", "Năm sinh",
                    "Giới tính", "Email", "Chức vụ"],
                   [["Nguyễn Văn An", "CDCS-MAU", "LC000123", "0912345678", "15/03/1988", "", "Nam", "", "Giáo viên"],
                    ["Lò Thị Xuân", "CDCS-MAU", "", "0387654321", "", "1995", "Nữ", "", "Nhân viên"]])
UNIT_TEMPLATE = (["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên"],
                 [["LDLD-MOI", "Liên đoàn Lao động huyện Mới", "Liên đoàn Lao động huyện", "LDLD-TINH"],
                  ["CDCS-MOI-01", "Công đoàn cơ sở Trường Tiểu học Mới", "Công đoàn cơ sở", "LDLD-MOI"]])


def _example_key(name: str, card: str, phone: str) -> tuple:
    return fold(clean_name(name)), identifier(card), normalise_phone(phone)


# Older templates had the examples on the list itself, and officers copy them along: never import them.
_MEMBER_EXAMPLES = {_example_key(row[0], row[2], row[3]) for row in MEMBER_TEMPLATE[1]}


def _is_template_example(row: Row) -> bool:
    v = row.values
    return _example_key(v.get("full_name", ""), v.get("card_number", ""), v.get("phone", "")) in _MEMBER_EXAMPLES


@dataclass
class ImportResult(ImportReport):
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    examples_skipped: list[int] = field(default_factory=list)  # rows equal to the template's examples


class _UnitCache:
    """Unit lookups by code for one import, with the importer's scope applied."""

    def __init__(self, actor):
        self.paths = scope_paths(actor)
        self._by_code: dict[str, Unit | None] = {}

    def get(self, code: str) -> Unit | None:
        code = identifier(code)
        if code not in self._by_code:
            self._by_code[code] = unit_tree.get_unit(code)
        return self._by_code[code]

    def allowed(self, unit: Unit) -> bool:
        return self.paths is None or any(unit.path.startswith(p) for p in self.paths)


@dataclass
class _Parsed:
    row: Row
    data: unit_members.MemberData
    unit: Unit | None
    issues: ImportReport  # this row's own errors, reported with the checks against other rows


def _parse_member_row(row: Row, titles: dict[str, str], units: _UnitCache, fixed_unit: Unit | None,
                      today: date) -> _Parsed:
    result = ImportReport()
    v = row.values
    title = titles.get
    name = clean_name(v.get("full_name", ""))
    if not name:
        result.error(row.number, title("full_name"), "Thiếu họ và tên.")
    elif len(name) > 200:
        result.error(row.number, title("full_name"), "Họ và tên dài quá 200 ký tự.")
    unit = fixed_unit
    code = v.get("unit_code", "")
    if code:
        unit = units.get(code)
        if unit is None or not units.allowed(unit):
            # Outside the officer's scope reads the same as unknown: no hint it exists.
            result.error(row.number, title("unit_code"),
                         f"Mã đơn vị “{code}” không có hoặc không thuộc phạm vi bạn quản lý.")
            unit = None
        elif not unit.is_active:
            result.error(row.number, title("unit_code"), f"Đơn vị “{code}” đã sáp nhập hoặc giải thể.")
            unit = None
    elif fixed_unit is None:
        result.error(row.number, title("unit_code") or "Mã đơn vị", "Thiếu mã đơn vị.")
    data = unit_members.MemberData(full_name=name)
    if v.get("card_number"):
        card = identifier(v["card_number"])
        if unit_members.CARD_PATTERN.match(card):
            data.card_number = card
        else:
            result.error(row.number, title("card_number"), f"Số thẻ “{v['card_number']}” không hợp lệ.")
    if v.get("phone"):
        data.phone = normalise_phone(v["phone"])
        if data.phone is None:
            result.error(row.number, title("phone"),
                         f"“{v['phone']}” không phải số di động Việt Nam (10 số, bắt đầu bằng 03, 05, 07, 08, 09).")
    if v.get("birth_date"):
        try:
            data.birth_date = parse_vn_date(v["birth_date"])
            if not 1900 <= data.birth_date.year <= today.year - 14:
                raise ValueError
        except ValueError:
            data.birth_date = None
            result.error(row.number, title("birth_date"),
                         f"Ngày sinh “{v['birth_date']}” không hợp lệ (ghi theo dd/mm/yyyy).")
    if v.get("birth_year"):
        text = v["birth_year"]
        if text.isdecimal() and 1900 <= int(text) <= today.year - 14:
            data.birth_year = int(text)
        else:
            result.error(row.number, title("birth_year"), f"Năm sinh “{text}” không hợp lệ.")
    if v.get("gender"):
        data.gender = unit_members.normalise_gender(v["gender"])
        if data.gender is None:
            result.error(row.number, title("gender"), f"Giới tính “{v['gender']}” phải là Nam hoặc Nữ.")
    if v.get("email"):
        if unit_members.EMAIL_PATTERN.match(v["email"]) and len(v["email"]) <= 200:
            data.email = v["email"].lower()
        else:
            result.error(row.number, title("email"), f"Email “{v['email']}” không hợp lệ.")
    if v.get("position"):
        data.position = v["position"][:200]
    return _Parsed(row, data, unit, result)


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _existing(parsed: list[_Parsed]) -> tuple[dict, dict, dict]:
    """Existing members for a batch, by card, by phone, and by (unit, name, birth year)."""
    cards = [p.data.card_number for p in parsed if p.data.card_number]
    phones = [p.data.phone for p in parsed if p.data.phone]
    names = [(p.unit.id, fold(p.data.full_name)) for p in parsed
             if p.unit and not p.data.card_number and not p.data.phone]
    conditions = []
    if cards:
        conditions.append(Member.card_number.in_(cards))
    if phones:
        conditions.append(Member.phone.in_(phones))
    if names:
        conditions.append(Member.name_folded.in_({n for _, n in names}) & Member.unit_id.in_({u for u, _ in names}))
    by_card, by_phone, by_name = {}, {}, {}
    if conditions:
        columns = (Member.id, Member.unit_id, Member.full_name, Member.name_folded, Member.card_number,
                   Member.phone, Member.birth_year, Member.birth_date, Member.gender, Member.email,
                   Member.position, Member.status, Member.user_id)
        for found in db.session.execute(db.select(*columns).where(or_(*conditions))).mappings():
            found = dict(found)
            if found["card_number"]:
                by_card[found["card_number"]] = found
            if found["phone"]:
                by_phone[found["phone"]] = found
            by_name.setdefault((found["unit_id"], found["name_folded"], found["birth_year"]), []).append(found)
    return by_card, by_phone, by_name


def _match(p: _Parsed, by_card, by_phone, by_name) -> dict | None:
    if p.data.card_number:
        return by_card.get(p.data.card_number) or (by_phone.get(p.data.phone) if p.data.phone else None)
    if p.data.phone:
        return by_phone.get(p.data.phone)
    year = p.data.birth_year or (p.data.birth_date.year if p.data.birth_date else None)
    candidates = by_name.get((p.unit.id, fold(p.data.full_name), year), []) if p.unit else []
    return candidates[0] if len(candidates) == 1 else None


def _changes(existing: dict, p: _Parsed) -> dict:
    """Columns whose value the row changes; an empty cell never erases what is stored."""
    wanted = {key: value for key, value in p.data.as_columns().items() if value not in (None, "")}
    wanted["unit_id"] = p.unit.id
    return {key: value for key, value in wanted.items() if existing.get(key) != value}


def _next_staged(staged):
    try:
        return pickle.load(staged)  # our own temporary file, written just before
    except EOFError:
        return None


@logged_import("members")
def import_members(path: Path, filename: str, actor, *, unit: Unit | None = None, dry_run=False,
                   keep_outcomes=False, progress: Callable[[int], None] | None = None,
                   now=None) -> ImportResult:
    """Validate the whole file, then (unless ``dry_run`` or any error) write it.

    Raises ``core.tabular.TableError`` when the file itself is unreadable.
    """
    today = local_today(now)
    result = ImportResult()
    required = ("full_name",) if unit is not None else ("full_name", "unit_code")
    units = _UnitCache(actor)
    if unit is not None and not units.allowed(unit):
        raise unit_errors.UnitError("Đơn vị không thuộc phạm vi bạn quản lý.")

    def parsed_batches(tick: bool) -> Iterator[list[_Parsed]]:
        titles, rows = read_table(path, filename, MEMBER_COLUMNS, required)
        for batch in _batches(rows, BATCH):
            parsed = []
            for row in batch:
                if _is_template_example(row):
                    if tick:
                        result.examples_skipped.append(row.number)
                else:
                    parsed.append(_parse_member_row(row, titles, units, unit, today))
            yield parsed
            if tick and progress:
                progress(len(batch))

    # Pass 1: validate every row; remember identifiers to catch repeats within the file.
    seen_card: dict[str, int] = {}
    seen_phone: dict[str, int] = {}
    seen_anonymous: dict[tuple, int] = {}
    titles = {key: names[0] for key, names in MEMBER_COLUMNS.items()}
    for batch in parsed_batches(tick=True):
        by_card, by_phone, by_name = _existing(batch)
        for p in batch:
            result.rows += 1
            n = p.row.number
            for issue in p.issues.errors:
                result.error(issue.row, issue.column, issue.message)
            for value, seen, key, label in ((p.data.card_number, seen_card, "card_number", "Số thẻ"),
                                            (p.data.phone, seen_phone, "phone", "Số điện thoại")):
                if value and value in seen:
                    result.error(n, titles[key], f"{label} “{value}” trùng với dòng {seen[value]}.")
                elif value:
                    seen[value] = n
            if p.unit and not p.data.card_number and not p.data.phone:
                key = (p.unit.id, fold(p.data.full_name), p.data.birth_year)
                if key in seen_anonymous:
                    result.error(n, titles["full_name"],
                                 f"Trùng họ tên và năm sinh với dòng {seen_anonymous[key]}; "
                                 "cần số thẻ hoặc số điện thoại để phân biệt.")
                seen_anonymous[key] = n
            found = _match(p, by_card, by_phone, by_name)
            phone_owner = by_phone.get(p.data.phone) if p.data.phone else None
            # The phone is someone else's: another member than the card names, or one with another card.
            if phone_owner is not None and (phone_owner is not found or (
                    p.data.card_number and found["card_number"] not in (None, p.data.card_number))):
                # Named only to an importer who may see them: elsewhere nothing beyond that they exist.
                owner = (f"đã thuộc về đoàn viên khác ({phone_owner['full_name']})"
                         if units.allowed(db.session.get(Unit, phone_owner["unit_id"])) else OUTSIDE)
                result.error(n, titles["phone"], f"Số điện thoại {p.data.phone} {owner}.")
                found = None
            if found is not None and p.unit is not None:
                current = db.session.get(Unit, found["unit_id"])
                if not units.allowed(current):
                    key = "card_number" if p.data.card_number else "phone"
                    label = (f"Số thẻ {p.data.card_number}" if p.data.card_number
                             else f"Số điện thoại {p.data.phone}")
                    result.error(n, titles[key], f"{label} {OUTSIDE}.")
                elif (units.paths is not None and found["user_id"]
                      and set(_changes(found, p)) & set(unit_members.ACCOUNT_FIELDS)
                      and not may_manage_account(actor, db.session.get(User, found["user_id"]))):
                    result.error(n, titles["full_name"], f"{p.data.full_name}: {BEYOND}")
    if not result.ok or dry_run:
        return result

    # Pass 2: work out every write while only reading, into a temporary file, then make them one
    # after another. The caller's transaction makes it all or nothing; on SQLite, whose single write
    # lock is taken at the first write and held to the commit, the lock then covers the writing
    # alone, not a second read of the file (bench/import_during_contest.py).
    # psycopg prepares repeated statements; a generic plan made while the table was
    # small keeps scanning it whole as this transaction grows it (530 → 3,500 rows/s).
    database.set_local(db.session.connection(), ("SET LOCAL plan_cache_mode = force_custom_plan",))
    with tempfile.TemporaryFile() as staged:
        for batch in parsed_batches(tick=False):
            by_card, by_phone, by_name = _existing(batch)
            inserts, updates, moves = [], [], []
            for p in batch:
                found = _match(p, by_card, by_phone, by_name)
                if found is None:
                    inserts.append({"unit_id": p.unit.id, "status": MEMBER_ACTIVE, **p.data.as_columns()})
                    outcome = ADDED
                else:
                    changes = _changes(found, p)
                    if "unit_id" in changes:
                        moves.append({"member_id": found["id"], "from_unit_id": found["unit_id"],
                                      "to_unit_id": p.unit.id, "moved_on": today, "reason": "move",
                                      "note": f"Nhập từ tệp {filename}", "actor_id": actor.id})
                    if changes:
                        updates.append({"id": found["id"], **changes})
                    outcome = UPDATED if changes else UNCHANGED
                setattr(result, outcome, getattr(result, outcome) + 1)
                if keep_outcomes:
                    result.outcomes.append((p.row.number, outcome, p.data.full_name))
            pickle.dump((len(batch), inserts, updates, moves), staged)
        staged.seek(0)
        while (step := _next_staged(staged)) is not None:
            size, inserts, updates, moves = step
            if inserts:
                db.session.execute(insert(Member), inserts)
            if updates:
                db.session.execute(update(Member), updates)
            if moves:
                db.session.execute(insert(MemberMove), moves)
                signals.members_moved.send([move["member_id"] for move in moves])
            if progress:
                progress(size)
    audit.record(actor, "members_imported", "unit", unit.code if unit else "*",
                 f"Nhập đoàn viên từ {filename}: thêm {result.added}, cập nhật {result.updated}, "
                 f"không đổi {result.unchanged}",
                 {"file": filename, "added": result.added, "updated": result.updated,
                  "unchanged": result.unchanged, "rows": result.rows}, now=now)
    db.session.flush()
    return result


@logged_import("units")
def import_units(path: Path, filename: str, actor, *, dry_run=False, now=None) -> ImportResult:
    """Create or update units; a parent may appear later in the same file."""
    result = ImportResult()
    titles, rows = read_table(path, filename, UNIT_COLUMNS, ("code", "name", "kind"))
    title = {key: titles.get(key, names[0]) for key, names in UNIT_COLUMNS.items()}
    kinds = unit_kinds.all_kinds()
    entries: dict[str, tuple[int, str, object, str]] = {}
    for row in rows:
        result.rows += 1
        v = row.values
        code = identifier(v.get("code", ""))
        name = clean_name(v.get("name", ""))
        parent_code = identifier(v.get("parent_code", ""))
        if not code:
            result.error(row.number, title["code"], "Thiếu mã đơn vị.")
        elif not unit_tree.CODE_PATTERN.match(code):
            result.error(row.number, title["code"],
                         f"Mã “{code}” chỉ được gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới "
                         "(tối đa 40 ký tự).")
        elif code in entries:
            result.error(row.number, title["code"], f"Mã “{code}” trùng với dòng {entries[code][0]}.")
        if not name:
            result.error(row.number, title["name"], "Thiếu tên đơn vị.")
        kind = unit_kinds.find_kind(v.get("kind", ""), kinds)
        if kind is None:
            result.error(row.number, title["kind"], f"Loại đơn vị “{v.get('kind', '')}” không có trong danh mục.")
        if code and code not in entries:
            entries[code] = (row.number, name, kind, parent_code)
    # Parents: in the database or in the file; no cycles.
    existing = {code: unit_tree.get_unit(code) for code in set(entries) | {e[3] for e in entries.values() if e[3]}}
    for code, (number, _name, _kind, parent_code) in entries.items():
        if parent_code and parent_code not in entries and existing.get(parent_code) is None:
            result.error(number, title["parent_code"], f"Không có đơn vị cấp trên mã “{parent_code}”.")
        if parent_code == code:
            result.error(number, title["parent_code"], "Đơn vị không thể là cấp trên của chính nó.")
        seen, cursor = {code}, parent_code
        while cursor in entries:
            cursor = entries[cursor][3]
            if cursor in seen:
                result.error(number, title["parent_code"], "Quan hệ cấp trên tạo thành vòng lặp.")
                break
            seen.add(cursor)
    if not result.ok or dry_run:
        return result

    done: dict[str, Unit] = {}

    def ensure(code: str) -> Unit:
        if code in done:
            return done[code]
        _number, name, kind, parent_code = entries[code]
        parent = (ensure(parent_code) if parent_code in entries else existing.get(parent_code)) if parent_code else None
        unit = existing.get(code)
        if unit is None:
            unit = unit_tree.create_unit(code, name, kind, parent, actor=actor)
            result.added += 1
        else:
            before = (unit.name, unit.kind_id, unit.parent_id)
            unit_tree.rename_unit(unit, name, actor=actor)
            unit_tree.change_kind(unit, kind, actor=actor)
            if parent is not None and unit.parent_id != parent.id:
                unit_tree.move_unit(unit, parent, actor=actor)
            changed = before != (unit.name, unit.kind_id, unit.parent_id)
            result.updated += changed
            result.unchanged += not changed
        done[code] = unit
        return unit

    for code in entries:
        ensure(code)
    audit.record(actor, "units_imported", "unit", "*",
                 f"Nhập đơn vị từ {filename}: thêm {result.added}, cập nhật {result.updated}",
                 {"file": filename, "added": result.added, "updated": result.updated}, now=now)
    db.session.flush()
    return result
