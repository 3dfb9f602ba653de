"""The forms of offline study sessions: one session, the spreadsheet import. Fields are checked
here; the rules in learning.study_sessions."""
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from core.forms import Form, VNDateField
from learning.models import SESSION_FORMS
from learning.study_sessions import MAX_ATTENDANCES, MAX_NOTES


class SessionForm(Form):
    unit_code = StringField("Mã đơn vị tổ chức", validators=[DataRequired("Hãy nhập mã đơn vị."), Length(max=40)],
                            render_kw={"list": "unit-codes", "autocapitalize": "characters"})
    held_on = VNDateField("Ngày tổ chức", validators=[InputRequired("Hãy nhập ngày tổ chức.")])
    topic = SelectField("Chuyên đề", coerce=int)
    form = SelectField("Hình thức", choices=[SelectChoice(key, name) for key, name in SESSION_FORMS.items()])
    attendances = IntegerField("Số lượt tham dự", validators=[
        InputRequired("Hãy nhập số lượt tham dự."),
        NumberRange(1, MAX_ATTENDANCES, "Số lượt tham dự phải từ 1 trở lên.")], render_kw={"inputmode": "numeric"})
    members = TextAreaField("Đoàn viên tham dự (không bắt buộc): số thẻ hoặc số điện thoại, mỗi dòng một người",
                            validators=[Length(max=20000)], render_kw={"rows": 4})
    notes = TextAreaField("Ghi chú", validators=[Length(max=MAX_NOTES)], render_kw={"rows": 3})
    submit = SubmitField("Lưu buổi học tập")


class SessionImportForm(Form):
    file = FileField("Tệp danh sách buổi học tập (.xlsx hoặc .csv)", validators=[
        FileRequired("Hãy chọn tệp."), FileAllowed(["xlsx", "csv"], "Chỉ nhận tệp .xlsx hoặc .csv.")])
    dry_run = BooleanField("Chỉ kiểm tra, chưa ghi")
    submit = SubmitField("Nhập danh sách")
