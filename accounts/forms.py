from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from accounts.services import password_problem
from core.forms import Form as FlaskForm


class LoginForm(FlaskForm):
    identifier = StringField("Tên đăng nhập, số điện thoại hoặc số thẻ đoàn viên",
                             validators=[DataRequired("Hãy nhập tên đăng nhập."), Length(max=100)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Hãy nhập mật khẩu."), Length(max=200)])
    remember = BooleanField("Ghi nhớ đăng nhập trên máy này")
    submit = SubmitField("Đăng nhập")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Mật khẩu hiện tại", validators=[DataRequired("Hãy nhập mật khẩu hiện tại.")])
    new = PasswordField("Mật khẩu mới", validators=[DataRequired("Hãy nhập mật khẩu mới."), Length(max=200)])
    confirm = PasswordField("Nhập lại mật khẩu mới",
                            validators=[EqualTo("new", "Hai lần nhập mật khẩu mới không khớp.")])
    submit = SubmitField("Đổi mật khẩu")

    def __init__(self, username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username

    def validate_new(self, field):
        problem = password_problem(field.data or "", self.username)
        if problem:
            raise ValidationError(problem)


class CreateUserForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Hãy nhập tên đăng nhập."), Length(3, 64)])
    full_name = StringField("Họ và tên", validators=[DataRequired("Hãy nhập họ và tên."), Length(max=200)])
    submit = SubmitField("Tạo tài khoản")

    def validate_username(self, field):
        if not field.data.replace(".", "").replace("_", "").replace("-", "").isalnum() or not field.data.isascii():
            raise ValidationError("Tên đăng nhập chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới.")


class RoleForm(FlaskForm):
    role = SelectField("Vai trò", validators=[DataRequired()])
    unit_code = StringField("Mã đơn vị (bắt buộc với cán bộ công đoàn)", validators=[Length(max=40)])
    submit = SubmitField("Cấp vai trò")


class ApiTokenForm(FlaskForm):
    name = StringField("Tên khóa (để nhớ hệ thống nào dùng nó)",
                       validators=[DataRequired("Hãy đặt tên cho khóa."), Length(max=120)])
    submit = SubmitField("Tạo khóa mới")
