"""Demo report sending: Tam Đường district sends the 2022 topic's report for the period up to
the 31/03 deadline to the province, so `tinh` sees one district that has sent and the rest not."""
from datetime import datetime

from accounts import services as accounts
from accounts.models import User
from core.clock import local_today
from core.extensions import db
from core.permissions import OFFICER
from learning import topics as learning_topics
from reports import services, submissions
from reports.models import ReportSubmission
from units import demo as units_demo
from units import tree as unit_tree

DISTRICT = "LDLD-TD"
OFFICER_ACCOUNT = ("tamduong", "Lò Văn Khăm")
NARRATIVE = submissions.Narrative(
    results=("Ngay từ đầu tháng 01/2022, Ban Thường vụ Liên đoàn Lao động huyện ban hành kế hoạch học tập Chuyên đề "
             "năm 2022 và giao chỉ tiêu cho từng công đoàn cơ sở.\n"
             "Ngày 10/02/2022 huyện tổ chức hội nghị quán triệt cho cán bộ công đoàn chủ chốt; các công đoàn cơ sở "
             "tổ chức học trực tiếp hoặc lồng ghép vào sinh hoạt định kỳ, kết hợp học và làm bài kiểm tra trên hệ "
             "thống. Phần lớn đoàn viên hoàn thành trước hạn 31/03/2022."),
    shortcomings=("Một số đoàn viên ở xã vùng cao sóng điện thoại yếu nên học trực tuyến chậm; vài công đoàn cơ sở "
                  "chưa ghi danh sách người dự các buổi học tập trực tiếp."),
    proposals=("Đề nghị Liên đoàn Lao động tỉnh tiếp tục duy trì hệ thống học tập trực tuyến và cấp thêm tài liệu in "
               "cho đoàn viên chưa có điện thoại thông minh."))


def seed() -> list[str]:
    district = unit_tree.get_unit(DISTRICT)
    topic = learning_topics.get_topic("chuyen-de-2022")
    if district is None or topic is None:
        return []
    username, full_name = OFFICER_ACCOUNT
    officer = db.session.scalars(db.select(User).where(User.username == username)).one_or_none()
    if officer is None:
        officer = accounts.create_user(username, full_name, units_demo.DEMO_PASSWORD)
        accounts.grant_role(officer, OFFICER, district, actor=None)
    if db.session.scalars(db.select(ReportSubmission.id).where(ReportSubmission.unit_id == district.id)).first():
        return [f"Báo cáo gửi lên mẫu: {DISTRICT} đã có."]
    period = services.presets(topic, local_today())[0]
    row = submissions.submit(district, topic, period, NARRATIVE, officer, now=datetime(2022, 4, 5, 2, 30))
    return [f"Báo cáo gửi lên mẫu: {district.name} gửi {row.to_unit.name} ({period.dates})."]
