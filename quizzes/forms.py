from datetime import UTC, datetime

from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.clock import LOCAL_TZ, to_local
from core.forms import Form
from quizzes.models import GRADE_BEST, GRADE_LAST, REVIEW_ANSWERS, REVIEW_EACH_TRY, REVIEW_SCORE

MOMENT_FORMAT = "%d/%m/%Y %H:%M"


def parse_local_moment(text: str) -> datetime | None:
    """"19/05/2022 08:00" in Vietnam time -> naive UTC; empty -> None; ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    local = datetime.strptime(text, MOMENT_FORMAT).replace(tzinfo=LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def format_local_moment(moment: datetime | None) -> str:
    return to_local(moment).strftime(MOMENT_FORMAT) if moment else ""


def moment_validator(form, field):
    try:
        parse_local_moment(field.data)
    except ValueError:
        raise ValidationError("Hãy nhập theo dạng ngày/tháng/năm giờ:phút, ví dụ 19/05/2022 08:00.") from None


class QuizSettingsForm(Form):
    title = StringField("Tên bài kiểm tra", validators=[DataRequired("Hãy nhập tên."), Length(max=300)])
    question_count = IntegerField("Số câu rút ngẫu nhiên từ ngân hàng",
                                  validators=[InputRequired("Hãy nhập số câu."), NumberRange(1, 200)])
    balance_lessons = BooleanField("Chia đều câu hỏi cho các bài học")
    time_limit_minutes = IntegerField("Thời gian làm bài (phút)",
                                      validators=[InputRequired("Hãy nhập thời gian."), NumberRange(1, 360)])
    pass_percent = IntegerField("Điểm đạt (% số câu đúng)",
                                validators=[InputRequired("Hãy nhập điểm đạt."), NumberRange(0, 100)])
    max_attempts = IntegerField("Số lần làm tối đa (để trống: không giới hạn)",
                                validators=[Optional(), NumberRange(1, 100)])
    grading = SelectField("Điểm được tính", choices=[SelectChoice(GRADE_BEST, "Lần cao nhất"),
                                                     SelectChoice(GRADE_LAST, "Lần làm sau cùng")])
    opens_at = StringField("Mở lúc (dd/mm/yyyy hh:mm, giờ Việt Nam; để trống: mở ngay)", validators=[moment_validator])
    closes_at = StringField("Đóng lúc (dd/mm/yyyy hh:mm; để trống: không đóng)", validators=[moment_validator])
    review_after_submit = SelectField("Sau khi nộp, người làm được xem", choices=[
        SelectChoice(REVIEW_ANSWERS, "Câu đúng, câu sai; đáp án đúng và lời giải khi đã đạt hoặc đã hết lượt "
                                     "(khuyên dùng)"),
        SelectChoice(REVIEW_EACH_TRY, "Đáp án đúng và lời giải ngay sau mỗi lượt (lượt sau có thể chép lại)"),
        SelectChoice(REVIEW_SCORE, "Chỉ điểm; đáp án công bố khi bài kiểm tra đóng")])
    one_per_page = BooleanField("Mỗi trang một câu (bỏ chọn: tất cả câu trên một trang)")
    min_duration_seconds = IntegerField("Đánh dấu các lượt làm nhanh hơn (giây)",
                                        validators=[Optional(), NumberRange(0, 36000)])
    published = BooleanField("Mở cho đoàn viên")
    submit = SubmitField("Lưu cài đặt")

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and not self.opens_at.errors:
            try:
                if parse_local_moment(field.data) <= parse_local_moment(self.opens_at.data):
                    raise ValidationError("Thời điểm đóng phải sau thời điểm mở.")
            except ValueError:
                pass  # reported by moment_validator
