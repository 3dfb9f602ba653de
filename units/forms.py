from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import Form as FlaskForm
from core.forms import VNDateField
from core.text import identifier, normalise_phone
from units import members as unit_members
from units.headcounts import MAX_HEADCOUNT

NAME_REQUIRED = DataRequired("Hãy nhập tên.")
CODE_FIELD = dict(validators=[DataRequired("Hãy nhập mã đơn vị."), Length(max=40)])


class UnitForm(FlaskForm):
    code = StringField("Mã đơn vị", **CODE_FIELD)
    name = StringField("Tên đơn vị", validators=[NAME_REQUIRED, Length(max=300)])
    kind = SelectField("Loại đơn vị", coerce=int)
    parent_code = StringField("Mã đơn vị cấp trên (để trống nếu là cấp cao nhất)", validators=[Length(max=40)])
    submit = SubmitField("Thêm đơn vị")


class RenameForm(FlaskForm):
    name = StringField("Tên mới", validators=[NAME_REQUIRED, Length(max=300)])
    kind = SelectField("Loại đơn vị", coerce=int)
    on = DateField("Ngày hiệu lực", format="%Y-%m-%d", validators=[Optional()])
    submit = SubmitField("Lưu tên và loại")


class MoveForm(FlaskForm):
    target_code = StringField("Mã đơn vị cấp trên mới", **CODE_FIELD)
    on = DateField("Ngày hiệu lực", format="%Y-%m-%d", validators=[Optional()])
    submit = SubmitField("Chuyển đơn vị")


class MergeForm(FlaskForm):
    target_code = StringField("Sáp nhập vào đơn vị (mã)", **CODE_FIELD)
    on = DateField("Ngày hiệu lực", format="%Y-%m-%d", validators=[Optional()])
    submit = SubmitField("Sáp nhập")


class DissolveForm(FlaskForm):
    on = DateField("Ngày giải thể", format="%Y-%m-%d", validators=[Optional()])
    submit = SubmitField("Giải thể")


class KindForm(FlaskForm):
    code = StringField("Mã loại (chữ thường không dấu)", validators=[DataRequired("Hãy nhập mã."), Length(2, 32)])
    name = StringField("Tên loại", validators=[NAME_REQUIRED, Length(max=120)])
    is_grassroots = BooleanField("Đoàn viên sinh hoạt trực tiếp ở loại đơn vị này")
    submit = SubmitField("Thêm loại")


class MemberForm(FlaskForm):
    full_name = StringField("Họ và tên", validators=[DataRequired("Hãy nhập họ và tên."), Length(max=200)])
    card_number = StringField("Số thẻ đoàn viên", validators=[Length(max=32)])
    phone = StringField("Số điện thoại di động", validators=[Length(max=20)])
    birth_year = IntegerField("Năm sinh", validators=[Optional(), NumberRange(1900, 2100, "Năm sinh không hợp lệ.")])
    gender = SelectField("Giới tính", validate_choice=False, choices=[SelectChoice("", "—"), SelectChoice("Nam", "Nam"),
                                                   SelectChoice("Nữ", "Nữ"), SelectChoice("Khác", "Khác")])
    email = StringField("Email", validators=[Optional(), Email("Email không hợp lệ."), Length(max=200)])
    position = StringField("Chức vụ", validators=[Length(max=200)])
    submit = SubmitField("Lưu")

    def validate_phone(self, field):
        if (field.data or "").strip() and normalise_phone(field.data) is None:
            raise ValidationError("Không phải số di động Việt Nam (10 số, bắt đầu bằng 03, 05, 07, 08, 09).")

    def validate_card_number(self, field):
        card = identifier(field.data)
        if card and not unit_members.CARD_PATTERN.match(card):
            raise ValidationError("Số thẻ chỉ gồm chữ không dấu, số và gạch ngang (3–32 ký tự).")

    def member_data(self) -> unit_members.MemberData:
        return unit_members.MemberData(
            full_name=self.full_name.data, card_number=identifier(self.card_number.data) or None,
            phone=normalise_phone(self.phone.data) if (self.phone.data or "").strip() else None,
            birth_year=self.birth_year.data, gender=unit_members.normalise_gender(self.gender.data or ""),
            email=(self.email.data or "").lower() or None, position=(self.position.data or "").strip() or None)


class MemberMoveForm(FlaskForm):
    unit_code = StringField("Chuyển sang đơn vị (mã)", **CODE_FIELD)
    submit = SubmitField("Chuyển sinh hoạt")


class MemberStatusForm(FlaskForm):
    status = SelectField("Trạng thái", choices=[
        SelectChoice("active", "Đang sinh hoạt"), SelectChoice("moved", "Đã chuyển ra ngoài hệ thống"),
        SelectChoice("left", "Đã thôi sinh hoạt")])
    submit = SubmitField("Cập nhật trạng thái")


SPREADSHEET = FileAllowed(["xlsx", "csv"], "Chỉ nhận tệp .xlsx hoặc .csv.")


class MemberImportForm(FlaskForm):
    file = FileField("Tệp danh sách (.xlsx hoặc .csv)", validators=[FileRequired("Hãy chọn tệp."), SPREADSHEET])
    unit_code = SelectField("Đơn vị của danh sách")  # the units in the officer's scope, set by the view
    dry_run = BooleanField("Chỉ kiểm tra, chưa ghi")
    submit = SubmitField("Nhập danh sách")


class UnitImportForm(FlaskForm):
    file = FileField("Tệp danh sách đơn vị (.xlsx hoặc .csv)", validators=[FileRequired("Hãy chọn tệp."), SPREADSHEET])
    dry_run = BooleanField("Chỉ kiểm tra, chưa ghi")
    submit = SubmitField("Nhập đơn vị")


class ActivateForm(FlaskForm):
    submit = SubmitField("Cấp tài khoản cho đoàn viên chưa có")


CUSTOM_PERIOD = "custom"


class HeadcountForm(FlaskForm):
    period = SelectField("Kỳ báo cáo")
    start = VNDateField("Từ ngày (kỳ tùy chọn)", validators=[Optional()])
    end = VNDateField("Đến ngày (kỳ tùy chọn)", validators=[Optional()])
    headcount = IntegerField("Số đoàn viên khai báo", validators=[
        InputRequired("Hãy nhập số đoàn viên."),
        NumberRange(0, MAX_HEADCOUNT, "Số đoàn viên phải từ 0 trở lên.")], render_kw={"inputmode": "numeric"})
    submit = SubmitField("Lưu khai báo")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.period.data == CUSTOM_PERIOD:
            for date_field in (self.start, self.end):
                if date_field.data is None and not date_field.errors:
                    date_field.errors.append("Kỳ tùy chọn cần cả ngày bắt đầu và ngày kết thúc (dd/mm/yyyy).")
                    ok = False
            if self.start.data and self.end.data and self.start.data > self.end.data:
                self.end.errors.append("Ngày kết thúc không được trước ngày bắt đầu.")
                ok = False
        return ok
