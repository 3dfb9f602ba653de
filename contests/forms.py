from wtforms import IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from core.forms import Form


class RegistrationForm(Form):
    full_name = StringField("Họ và tên", validators=[DataRequired("Hãy nhập họ và tên."), Length(max=200)])
    birth_year = IntegerField("Năm sinh", validators=[Optional(), NumberRange(1930, 2020)])
    phone = StringField("Số điện thoại di động (dùng để đăng nhập)",
                        validators=[DataRequired("Hãy nhập số điện thoại."), Length(max=20)])
    unit_code = StringField("Mã đơn vị công đoàn (nếu biết)", validators=[Length(max=40)])
    workplace = StringField("Hoặc nơi làm việc", validators=[Length(max=300)])
    citizen_id = StringField("Số CCCD (không bắt buộc; chỉ lưu 4 số cuối)", validators=[Length(max=20)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Hãy đặt mật khẩu."), Length(max=200)])
    confirm = PasswordField("Nhập lại mật khẩu", validators=[EqualTo("password", "Hai mật khẩu không khớp.")])
    submit = SubmitField("Đăng ký dự thi")


class ActionForm(Form):
    """An organiser's button: only the CSRF token is checked; the fields are read by the view."""
