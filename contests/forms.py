from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from accounts.services import MIN_PASSWORD_LENGTH
from contests.models import DIVISIONS_BY_KIND, DIVISIONS_FREE, DURATION_THEN_PREDICTION, PREDICTION_THEN_DURATION
from core.forms import Form
from learning.editing import SLUG_PATTERN, SLUG_RULE
from learning.editor_forms import SLUG_INPUT
from quizzes.forms import moment_validator, parse_local_moment


class RegistrationForm(Form):
    # autocomplete and inputmode: a phone fills in the name and number, and shows the digit keypad.
    full_name = StringField("Họ và tên", validators=[DataRequired("Hãy nhập họ và tên."), Length(max=200)],
                            render_kw={"autocomplete": "name"})
    birth_year = IntegerField("Năm sinh", validators=[Optional(), NumberRange(1930, 2020)],
                              render_kw={"inputmode": "numeric", "autocomplete": "bday-year"})
    phone = StringField("Số điện thoại di động (dùng để đăng nhập)",
                        validators=[DataRequired("Hãy nhập số điện thoại."), Length(max=20)],
                        description="10 số, bắt đầu bằng 0, ví dụ 0987 654 321. Không hiện trên bảng xếp hạng.",
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    unit_code = StringField("Mã đơn vị công đoàn (nếu biết)", validators=[Length(max=40)],
                            description="Điền mã đơn vị hoặc nơi làm việc: một trong hai là đủ.",
                            render_kw={"autocomplete": "off"})
    workplace = StringField("Hoặc nơi làm việc", validators=[Length(max=300)],
                            render_kw={"autocomplete": "organization"})
    citizen_id = StringField("Số CCCD (không bắt buộc; chỉ lưu 4 số cuối)", validators=[Length(max=20)],
                             render_kw={"inputmode": "numeric", "autocomplete": "off"})
    password = PasswordField("Mật khẩu", validators=[DataRequired("Hãy đặt mật khẩu."), Length(max=200)],
                             description=f"Ít nhất {MIN_PASSWORD_LENGTH} ký tự, khác số điện thoại, không phải mật "
                                         "khẩu phổ biến như 12345678.",
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Nhập lại mật khẩu", validators=[DataRequired("Hãy nhập lại mật khẩu."),
                                                             EqualTo("password", "Hai mật khẩu không khớp.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Đăng ký dự thi")


class ActionForm(Form):
    """An organiser's button: only the CSRF token is checked; the fields are read by the view."""


class ContestForm(Form):
    title = StringField("Tên cuộc thi", validators=[DataRequired("Hãy nhập tên cuộc thi."), Length(max=300)])
    slug = StringField("Mã cuộc thi (dùng trong địa chỉ trang, ví dụ thi-19-5-2027)",
                       validators=[Optional(), Length(max=60), Regexp(SLUG_PATTERN, message=f"Mã {SLUG_RULE}.")],
                       render_kw=SLUG_INPUT)
    anniversary = StringField("Nhân dịp kỷ niệm", validators=[Length(max=300)])
    description_md = TextAreaField("Giới thiệu (Markdown)", validators=[Length(max=20000)], render_kw={"rows": 5})
    rules_md = TextAreaField("Thể lệ (Markdown)", validators=[Length(max=50000)], render_kw={"rows": 10})
    organiser_unit_code = StringField("Mã đơn vị tổ chức", validators=[DataRequired("Hãy nhập mã đơn vị tổ chức."),
                                                                       Length(max=40)])
    audience_unit_code = StringField("Mã đơn vị có đoàn viên dự thi (để trống: đơn vị tổ chức)",
                                     validators=[Length(max=40)])
    open_to_public = BooleanField("Cho người lao động ngoài danh sách đoàn viên đăng ký bằng số điện thoại")
    division_mode = SelectField("Chia bảng", choices=[
        SelectChoice(DIVISIONS_BY_KIND, "Theo loại đơn vị của người dự thi"),
        SelectChoice(DIVISIONS_FREE, "Một bảng chung (hoặc bảng đầu tiên)")])
    tie_break = SelectField("Khi bằng điểm, xét tiếp", choices=[
        SelectChoice(PREDICTION_THEN_DURATION, "Dự đoán gần đúng nhất, rồi thời gian làm bài ngắn nhất"),
        SelectChoice(DURATION_THEN_PREDICTION, "Thời gian làm bài ngắn nhất, rồi dự đoán gần đúng nhất")])
    bank_source = SelectField("Ngân hàng câu hỏi", coerce=int, choices=[])
    published = BooleanField("Hiện trang cuộc thi cho mọi người")
    submit = SubmitField("Lưu cuộc thi")


class DivisionForm(Form):
    name = StringField("Tên bảng", validators=[DataRequired("Hãy nhập tên bảng."), Length(max=200)])
    unit_kind = SelectField("Dành cho người dự thi thuộc", coerce=int, choices=[])
    submit = SubmitField("Thêm bảng")


class RoundForm(Form):
    opens_at = StringField("Mở lúc (dd/mm/yyyy hh:mm, giờ Việt Nam)",
                           validators=[DataRequired("Hãy nhập thời điểm mở."), moment_validator])
    closes_at = StringField("Đóng lúc (dd/mm/yyyy hh:mm)",
                            validators=[DataRequired("Hãy nhập thời điểm đóng."), moment_validator])
    question_count = IntegerField("Số câu hỏi (rút ngẫu nhiên, một đáp án đúng)",
                                  validators=[InputRequired("Hãy nhập số câu."), NumberRange(1, 200)])
    time_limit_minutes = IntegerField("Thời gian làm bài (phút)",
                                      validators=[InputRequired("Hãy nhập thời gian."), NumberRange(1, 360)])
    max_attempts = IntegerField("Số lượt thi mỗi người (tính lượt cao nhất; để trống: không giới hạn)",
                                validators=[Optional(), NumberRange(1, 100)])
    prediction_question = StringField("Câu hỏi dự đoán (người dự thi trả lời bằng một con số)",
                                      validators=[DataRequired("Hãy nhập câu hỏi dự đoán."), Length(max=500)])
    answers_after_close = BooleanField("Chỉ công bố đáp án đúng sau khi tuần thi kết thúc")
    one_per_page = BooleanField("Mỗi màn hình một câu (dễ đọc trên điện thoại; bỏ chọn: mọi câu trên một trang)")
    min_duration_seconds = IntegerField("Đánh dấu các lượt nộp nhanh hơn (giây)",
                                        validators=[InputRequired("Hãy nhập số giây."), NumberRange(0, 36000)])
    submit = SubmitField("Lưu tuần thi")

    def validate_closes_at(self, field):
        if (not self.opens_at.errors and not field.errors
                and parse_local_moment(field.data) <= parse_local_moment(self.opens_at.data)):
            raise ValidationError("Thời điểm đóng phải sau thời điểm mở.")


class ReasonForm(Form):
    reason = StringField("Lý do (ghi vào nhật ký)", validators=[DataRequired("Hãy ghi lý do."), Length(5, 500)])
