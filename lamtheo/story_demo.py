"""Demo exemplary models and people in Lai Châu: twelve nominations through the real steps, most
approved in spring 2022 (before the 19/5 review), two waiting at Tam Đường district for `tamduong`,
two waiting at the province for `tinh`, one returned to `coso` with a comment. Photos are drawn here."""
import io
import random
from datetime import datetime, timedelta

from PIL import Image, ImageDraw

from accounts.models import User
from core.clock import utcnow
from core.extensions import db
from lamtheo import stories
from lamtheo.story_models import KIND_MODEL, KIND_PERSON, Story
from units import demo as units_demo
from units import tree as unit_tree
from units.models import MEMBER_ACTIVE, Member

# nominated by, kind, unit, title, summary, story, what then happens ("approve", "district", "province", "return")
NOMINATIONS = [
    ("coso", KIND_MODEL, "CDCS-TD-THCS", "Tủ sách Bác Hồ với học trò vùng cao",
     "Mỗi lớp một ngăn sách về Bác, mỗi tuần một giờ đọc và kể chuyện Bác Hồ.",
     "Từ tháng 9/2021, công đoàn trường vận động mỗi đoàn viên góp **hai cuốn sách**, lập tủ sách Bác Hồ ở "
     "thư viện và một ngăn nhỏ ở từng lớp.\n\n- Thứ Sáu hằng tuần, 15 phút đầu giờ là giờ kể chuyện Bác;\n"
     "- học sinh nội trú mượn sách mang về phòng;\n- cuối học kỳ thi kể chuyện theo khối.\n\n"
     "Sau một năm, tủ sách có 640 cuốn, 95 % học sinh đã mượn ít nhất một lần.", "approve"),
    ("coso", KIND_PERSON, "CDCS-TD-THCS", "Mười năm nấu cơm trưa cho học sinh bán trú",
     "Một giáo viên tự nguyện nấu bữa trưa miễn phí cho học sinh ở xa, giữ các em ở lại trường học buổi chiều.",
     "Nhà các em cách trường hơn 10 km đường núi. Đồng chí cùng tổ chuyên môn đứng ra vận động phụ huynh góp "
     "gạo, rau, tự tay nấu bữa trưa cho hơn 40 em mỗi ngày.\n\nNhờ vậy tỉ lệ học sinh bỏ buổi chiều giảm từ "
     "30 % xuống dưới 5 %.", "approve"),
    ("coso", KIND_MODEL, "CDCS-TD-THCS", "Giờ học thêm miễn phí buổi tối cho học sinh nội trú",
     "Giáo viên thay phiên kèm học sinh nội trú học bài buổi tối, không thu tiền.",
     "Mỗi tối từ thứ Hai đến thứ Năm, hai giáo viên trực kèm học sinh nội trú ôn bài. Lịch trực do công đoàn "
     "xếp, ai bận được đổi ca.", "district"),
    ("coso", KIND_MODEL, "CDCS-TD-THCS", "Ngày thứ Bảy tình nguyện sửa đường vào bản",
     "Đoàn viên cùng phụ huynh sửa đoạn đường đất vào bản Nà Bỏ mỗi mùa mưa.",
     "Ba năm nay, cứ đầu mùa mưa, công đoàn trường tổ chức một ngày thứ Bảy tình nguyện sửa đường.", "return"),
    ("coso", KIND_MODEL, "CDCS-TD-THCS", "Góc học tập cho con đoàn viên",
     "Phòng họp nhỏ thành góc học tập cho con đoàn viên chờ bố mẹ hết giờ làm.",
     "Công đoàn xin nhà trường dùng phòng họp nhỏ buổi chiều, đặt bàn ghế và sách cho con đoàn viên.",
     "district"),
    ("tamduong", KIND_MODEL, "CDCS-TD-TTYT", "Khám bệnh lưu động cho người cao tuổi",
     "Mỗi tháng một buổi khám và phát thuốc miễn phí tại nhà văn hóa các bản xa.",
     "Đoàn viên Trung tâm Y tế chia thành bốn tổ, mỗi tháng một tổ lên bản khám bệnh, đo huyết áp, phát thuốc "
     "cho người cao tuổi. Năm 2021 khám cho 1.260 lượt người.", "approve"),
    ("tamduong", KIND_PERSON, "CD-XA-BANGIANG", "Người giữ lửa sinh hoạt công đoàn xã",
     "Chủ tịch công đoàn xã duy trì sinh hoạt đều đặn và học tập chuyên đề cho cán bộ xã.",
     "Đồng chí tổ chức học chuyên đề theo từng thôn, ghi chép đầy đủ, giúp cán bộ lớn tuổi dùng điện thoại "
     "để học trực tuyến.", "province"),
    ("tinh", KIND_MODEL, "CDCS-PT-SILO", "Bếp ăn bán trú do giáo viên và phụ huynh cùng làm",
     "Bếp ăn bán trú sạch, đủ chất nhờ vườn rau của trường và ngày công của phụ huynh.",
     "Trường lập vườn rau 600 m², phụ huynh góp ngày công, giáo viên lập thực đơn theo tuần.", "approve"),
    ("tinh", KIND_PERSON, "CDCS-MT-TTYT", "Nữ hộ sinh của những bản xa nhất",
     "Một nữ hộ sinh nhiều năm đi bộ vào các bản xa đỡ đẻ và tuyên truyền sinh con tại trạm y tế.",
     "Đồng chí thuộc đường vào từng bản, vận động phụ nữ khám thai và sinh con tại trạm; số ca sinh tại nhà "
     "của xã giảm rõ rệt.", "approve"),
    ("tinh", KIND_MODEL, "CDCS-TP-CHE", "Tiết kiệm điện, nước trong sản xuất chè",
     "Công nhân đề xuất cải tiến máy sao chè, tiết kiệm 12 % điện mỗi vụ.",
     "Từ phong trào thi đua do công đoàn phát động, tổ cơ điện cải tiến buồng đốt máy sao chè.", "approve"),
    ("tinh", KIND_PERSON, "CDCS-GD-LQD", "Thầy giáo dạy tin học miễn phí cho đoàn viên",
     "Một giáo viên dạy tin học buổi tối cho đoàn viên các cơ quan bạn, giúp học chuyên đề trực tuyến.",
     "Đồng chí mở lớp tin học buổi tối, mỗi khóa tám buổi, đã có hơn 200 đoàn viên tham gia.", "approve"),
    ("tinh", KIND_MODEL, "CDCS-YT-BVDK", "Mỗi khoa một việc tốt mỗi tháng",
     "Các khoa của bệnh viện đăng ký và làm một việc tốt mỗi tháng cho người bệnh.",
     "Khoa Nội nấu cháo miễn phí, khoa Ngoại lập tủ quần áo cho người bệnh nghèo.", "province"),
]


def _photo(seed: int) -> bytes:
    """A landscape drawn here: sky, sun, hills, a house in the colours of the union."""
    rng = random.Random(seed)
    image = Image.new("RGB", (800, 600))
    draw = ImageDraw.Draw(image)
    for y in range(600):
        draw.line([(0, y), (800, y)], fill=(90 + y // 8, 150 + y // 10, 230 - y // 12))
    draw.ellipse([560 + rng.randint(-60, 60), 60, 660 + rng.randint(-60, 60), 160], fill=(255, 214, 90))
    for n in range(3):
        top = 300 + n * 60 + rng.randint(-30, 30)
        draw.polygon([(-100, 600), (rng.randint(100, 700), top), (900, 600)], fill=(40 + n * 30, 120 + n * 25, 60))
    left = rng.randint(150, 450)
    draw.rectangle([left, 400, left + 180, 520], fill=(230, 230, 220))
    draw.polygon([(left - 20, 400), (left + 90, 330), (left + 200, 400)], fill=(180, 30, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _member(unit) -> Member | None:
    return db.session.scalars(db.select(Member).where(Member.unit_id == unit.id, Member.status == MEMBER_ACTIVE,
                                                      Member.user_id.is_(None)).order_by(Member.id)).first()


def seed() -> list[str]:
    if db.session.scalars(db.select(Story.id)).first() is not None:
        return ["Gương sáng mẫu: đã có."]
    people = {u.username: u for u in db.session.scalars(
        db.select(User).where(User.username.in_(["coso", "tamduong", "tinh"])))}
    if len(people) < 3 or unit_tree.get_unit(units_demo.PROVINCE) is None:
        return []
    spring, recent = datetime(2022, 3, 1, 2, 0), utcnow() - timedelta(days=12)
    report = []
    for number, (nominator, kind, code, title, summary, body, fate) in enumerate(NOMINATIONS):
        unit = unit_tree.get_unit(code)
        member = _member(unit) if kind == KIND_PERSON else None
        if member is not None:
            title = f"{title}: đồng chí {member.full_name}"
        when = spring + timedelta(days=4 * number) if fate == "approve" else recent + timedelta(days=number // 2)
        story = stories.nominate(people[nominator], kind=kind, unit=unit, member=member, title=title,
                                 summary=summary, body=body, photos=[_photo(number)] if number % 4 != 3 else [],
                                 consent_method="written" if member else None,
                                 consent_note="Giấy đồng ý lưu tại văn phòng công đoàn cơ sở." if member else "",
                                 now=when)
        if fate == "approve":
            step = when
            while story.status != "approved":
                step += timedelta(days=3)
                actor = people["tamduong"] if story.at_unit.code == "LDLD-TD" else people["tinh"]
                stories.endorse(story, actor, story.version, "Đồng ý, đề nghị cấp trên xét." if story.at_unit.parent
                                else "Duyệt đăng.", now=step)
        elif fate == "return":
            stories.return_story(story, people["tamduong"], story.version,
                                 "Hãy bổ sung kết quả cụ thể (bao nhiêu mét đường, bao nhiêu người tham gia) "
                                 "và ảnh buổi làm.", now=when + timedelta(days=2))
        report.append(f"Gương sáng mẫu: {title} ({story.status_label.lower()}).")
    return report
