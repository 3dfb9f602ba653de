"""Demo provinces: Lai Châu's union tree on four levels with 300+ members, Lào Cai's smaller
one beside it (each studies its own federation's topics), and the demo accounts."""
import random

from accounts import services as accounts
from accounts.models import User
from core.extensions import db
from core.permissions import ADMIN, EDITOR, OFFICER, ORGANISER
from core.text import fold
from units import kinds as unit_kinds
from units import members as unit_members
from units import tree as unit_tree
from units.models import Member

DEMO_PASSWORD = "hoctap2022"
PROVINCE = "LDLD-LC"
GRASSROOTS_OF_COSO = "CDCS-TD-THCS"
LAO_CAI = "LDLD-LAOCAI"
GRASSROOTS_OF_COSO_LAO_CAI = "CDCS-LCA-THPT1"

# (code, name, kind, parent, members)
UNITS = [
    (PROVINCE, "Liên đoàn Lao động tỉnh Lai Châu", "province", None, 0),
    ("LDLD-TD", "Liên đoàn Lao động huyện Tam Đường", "district", PROVINCE, 0),
    ("LDLD-PT", "Liên đoàn Lao động huyện Phong Thổ", "district", PROVINCE, 0),
    ("LDLD-MT", "Liên đoàn Lao động huyện Mường Tè", "district", PROVINCE, 0),
    ("LDLD-TP", "Liên đoàn Lao động thành phố Lai Châu", "district", PROVINCE, 0),
    ("CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", "sector", PROVINCE, 0),
    ("CDN-YT", "Công đoàn ngành Y tế tỉnh Lai Châu", "sector", PROVINCE, 0),
    ("CDVC", "Công đoàn Viên chức tỉnh Lai Châu", "civil_servants", PROVINCE, 0),
    (GRASSROOTS_OF_COSO, "Công đoàn cơ sở Trường THCS thị trấn Tam Đường", "grassroots", "LDLD-TD", 34),
    ("CDCS-TD-TTYT", "Công đoàn cơ sở Trung tâm Y tế huyện Tam Đường", "grassroots", "LDLD-TD", 22),
    ("CD-XA-BANGIANG", "Công đoàn xã Bản Giang", "commune", "LDLD-TD", 12),
    ("CDCS-TD-UBND", "Công đoàn cơ sở Cơ quan Ủy ban nhân dân huyện Tam Đường", "grassroots", "LDLD-TD", 18),
    ("CDCS-PT-SILO", "Công đoàn cơ sở Trường PTDTBT THCS xã Sì Lở Lầu", "grassroots", "LDLD-PT", 16),
    ("CDCS-PT-KIEMLAM", "Công đoàn cơ sở Hạt Kiểm lâm huyện Phong Thổ", "grassroots", "LDLD-PT", 11),
    ("CDCS-MT-PAVESU",
     "Công đoàn cơ sở Trường Phổ thông Dân tộc Bán trú Tiểu học và Trung học cơ sở xã Pa Vệ Sủ huyện Mường Tè",
     "grassroots", "LDLD-MT", 19),
    ("CDCS-MT-TTYT", "Công đoàn cơ sở Trung tâm Y tế huyện Mường Tè", "grassroots", "LDLD-MT", 17),
    ("CDCS-TP-CHE", "Công đoàn cơ sở Công ty Cổ phần Chè Than Uyên", "grassroots", "LDLD-TP", 24),
    ("CDCS-TP-DIEN", "Công đoàn cơ sở Điện lực Lai Châu", "grassroots", "LDLD-TP", 20),
    ("CDCS-GD-LQD", "Công đoàn cơ sở Trường THPT chuyên Lê Quý Đôn", "grassroots", "CDN-GD", 26),
    ("CDCS-GD-CDCD", "Công đoàn cơ sở Trường Cao đẳng Cộng đồng Lai Châu", "grassroots", "CDN-GD", 21),
    ("CDCS-YT-BVDK", "Công đoàn cơ sở Bệnh viện Đa khoa tỉnh Lai Châu", "grassroots", "CDN-YT", 8),
    ("CDBP-BVDK-NOI", "Công đoàn bộ phận Khoa Nội", "department", "CDCS-YT-BVDK", 6),
    ("TCD-BVDK-NOI-1", "Tổ công đoàn Nội tổng hợp", "group", "CDBP-BVDK-NOI", 9),
    ("CDBP-BVDK-NGOAI", "Công đoàn bộ phận Khoa Ngoại", "department", "CDCS-YT-BVDK", 12),
    ("CDCS-VC-STC", "Công đoàn cơ sở Sở Tài chính", "grassroots", "CDVC", 15),
    ("CDCS-VC-SGD", "Công đoàn cơ sở Sở Giáo dục và Đào tạo", "grassroots", "CDVC", 18),
]

# The second province: its own tree, cards LCA…, phones 0914…, so it never collides with Lai Châu's.
LAO_CAI_UNITS = [
    (LAO_CAI, "Liên đoàn Lao động tỉnh Lào Cai", "province", None, 0),
    ("LDLD-LCA-TP", "Liên đoàn Lao động thành phố Lào Cai", "district", LAO_CAI, 0),
    ("LDLD-LCA-SAPA", "Liên đoàn Lao động thị xã Sa Pa", "district", LAO_CAI, 0),
    ("CDN-GD-LCA", "Công đoàn ngành Giáo dục tỉnh Lào Cai", "sector", LAO_CAI, 0),
    (GRASSROOTS_OF_COSO_LAO_CAI, "Công đoàn cơ sở Trường THPT số 1 thành phố Lào Cai", "grassroots",
     "LDLD-LCA-TP", 11),
    ("CDCS-LCA-DIEN", "Công đoàn cơ sở Công ty Điện lực Lào Cai", "grassroots", "LDLD-LCA-TP", 10),
    ("CDCS-SAPA-TTYT", "Công đoàn cơ sở Trung tâm Y tế thị xã Sa Pa", "grassroots", "LDLD-LCA-SAPA", 10),
    ("CDCS-GD-LCA-CD", "Công đoàn cơ sở Trường Cao đẳng Lào Cai", "grassroots", "CDN-GD-LCA", 9),
]

# Family names, middle names and given names by people, so the list reads like a real
# roll in Lai Châu (and, near enough, Lào Cai): Kinh, Thái, Mông, Dao, Hà Nhì, Giáy.
PEOPLES = [
    (40, ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Phan"],
     ["Văn", "Đức", "Minh", "Quang", "Xuân"], ["Thị", "Thu", "Thanh", "Ngọc", "Minh"],
     ["An", "Bình", "Dũng", "Hải", "Hùng", "Long", "Nam", "Quân", "Sơn", "Tuấn", "Thắng", "Việt"],
     ["Chi", "Hà", "Hạnh", "Hương", "Lan", "Linh", "Ngọc", "Phương", "Thảo", "Trang", "Vân", "Yến"]),
    (20, ["Lò", "Lường", "Tòng", "Quàng", "Điêu", "Cầm", "Lò"], ["Văn"], ["Thị"],
     ["Khăm", "Ún", "Panh", "Xiêng", "Ỉn", "Pọm", "Thoong"], ["Xuân", "Ánh", "Ỏn", "Pánh", "Ngọc", "Lả"]),
    (18, ["Giàng", "Vàng", "Sùng", "Thào", "Lý", "Hờ", "Mùa"], ["A", "Seo", "Văn"], ["Thị", "Mí"],
     ["Páo", "Chứ", "Dế", "Lử", "Sểnh", "Dình", "Của"], ["Mỷ", "Dợ", "Pà", "Xúa", "Chía", "Súa"]),
    (10, ["Tẩn", "Chảo", "Phàn", "Lý", "Đặng"], ["Văn", "Láo", "Kim"], ["Thị", "Mẩy"],
     ["Chòi", "Quẩy", "Chản", "Sành", "Phin"], ["Mẩy", "Tả", "Xiêm", "Nái", "Lở"]),
    (6, ["Chu", "Pờ", "Lỳ", "Lò"], ["Gạ", "Hừ", "Văn"], ["Thị", "Xé"], ["Phì", "Xá", "Gò", "Chà"], ["Xé", "Mé", "Pà"]),
    (6, ["Lò", "Hoàng", "Vàng", "Lù"], ["Văn", "Seo"], ["Thị"], ["Sinh", "Chiến", "Tình"], ["Dung", "Phấn", "Ngoan"]),
]
POSITIONS = ["Giáo viên", "Nhân viên", "Bác sĩ", "Điều dưỡng", "Kế toán", "Chuyên viên", "Công nhân",
             "Kỹ thuật viên", "Lái xe", "Phó trưởng phòng", "Tổ trưởng chuyên môn"]
LONG_NAME = "Công Tằng Tôn Nữ Thị Bích Ngọc Phương Thảo Nguyên"

ACCOUNTS = [
    ("admin", "Quản trị hệ thống", ADMIN, None),
    ("tinh", "Đồng Thị Nghĩa", OFFICER, PROVINCE),
    ("coso", "Hoàng Văn Thắng", OFFICER, GRASSROOTS_OF_COSO),
    ("bientap", "Ban Tuyên giáo – Nữ công", EDITOR, None),
    ("bantochuc", "Ban Tổ chức cuộc thi", ORGANISER, PROVINCE),
    ("laocai", "Nguyễn Thị Thu Hà", OFFICER, LAO_CAI),
    ("coso-laocai", "Phạm Văn Hưng", OFFICER, GRASSROOTS_OF_COSO_LAO_CAI),
]
# username, name, union, card, phone, birth year, gender, position: a member account in each province.
MEMBER_ACCOUNTS = [
    ("doanvien", "Lò Thị Xuân", GRASSROOTS_OF_COSO, "LC099001", "0912099001", 1994, "Nữ", "Giáo viên"),
    ("doanvien-laocai", "Hoàng Thị Mai", GRASSROOTS_OF_COSO_LAO_CAI, "LCA099001", "0914099001", 1990, "Nữ",
     "Giáo viên"),
]


def _name(rng: random.Random) -> tuple[str, str]:
    weights = [p[0] for p in PEOPLES]
    _, families, male_middles, female_middles, males, females = rng.choices(PEOPLES, weights)[0]
    if rng.random() < 0.5:
        return f"{rng.choice(families)} {rng.choice(male_middles)} {rng.choice(males)}", "Nam"
    return f"{rng.choice(families)} {rng.choice(female_middles)} {rng.choice(females)}", "Nữ"


def _ensure_user(username: str, full_name: str) -> User:
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        user = accounts.create_user(username, full_name, DEMO_PASSWORD)
    return user


def _seed_tree(rows, kinds, rng: random.Random, card_prefix: str, phone_base: int,
               long_name_at: int | None = None) -> list[str]:
    """Create the units of ``rows`` that do not exist yet, each with its members."""
    report = []
    serial = 0
    for code, name, kind, parent_code, member_count in rows:
        unit = unit_tree.get_unit(code)
        if unit is None:
            parent = unit_tree.get_unit(parent_code) if parent_code else None
            unit = unit_tree.create_unit(code, name, kinds[kind], parent)
            for _ in range(member_count):
                serial += 1
                full_name, gender = _name(rng)
                if serial == long_name_at:
                    full_name, gender = LONG_NAME, "Nữ"
                db.session.add(Member(
                    unit=unit, full_name=full_name, name_folded=fold(full_name),
                    card_number=f"{card_prefix}{100000 + serial}", phone=f"09{phone_base + serial * 7:08d}",
                    birth_year=rng.randint(1965, 2002), gender=gender, position=rng.choice(POSITIONS)))
            report.append(f"Thêm đơn vị {code} với {member_count} đoàn viên.")
    return report


def seed() -> list[str]:
    unit_kinds.ensure_default_kinds()
    kinds = {k.code: k for k in unit_kinds.all_kinds()}
    report = _seed_tree(UNITS, kinds, random.Random(2022), "LC", 12000000, long_name_at=7)
    report += _seed_tree(LAO_CAI_UNITS, kinds, random.Random(2021), "LCA", 14000000)
    db.session.flush()
    for username, full_name, role, unit_code in ACCOUNTS:
        user = _ensure_user(username, full_name)
        unit = unit_tree.get_unit(unit_code) if unit_code else None
        if not any(r.name == role and r.unit_id == (unit.id if unit else None) for r in user.roles):
            accounts.grant_role(user, role, unit, actor=None)
            report.append(f"Tài khoản {username}: {role}.")
    for username, full_name, unit_code, card, phone, birth_year, gender, position in MEMBER_ACCOUNTS:
        member_user = _ensure_user(username, full_name)
        if unit_members.member_for_user(member_user) is None:
            union = unit_tree.get_unit(unit_code)
            member = unit_members.create_member(union, unit_members.MemberData(
                full_name=full_name, card_number=card, phone=phone, birth_year=birth_year, gender=gender,
                position=position))
            member.user = member_user
            report.append(f"Tài khoản {username}: đoàn viên của {union.name}.")
    db.session.flush()
    return report
