from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from core.forms import Form


class OfflineIssueForm(Form):
    member = StringField("Đoàn viên (số thẻ hoặc số điện thoại)",
                         validators=[DataRequired("Hãy nhập số thẻ hoặc số điện thoại."), Length(max=40)])
    topic = SelectField("Chuyên đề", coerce=int)
    reason = TextAreaField("Lý do (buổi học trực tiếp, ngày, người xác nhận)",
                           validators=[DataRequired("Hãy ghi lý do."), Length(min=10, max=1000)])
    submit = SubmitField("Cấp giấy chứng nhận")


class RevokeForm(Form):
    reason = StringField("Lý do thu hồi", validators=[DataRequired("Hãy ghi lý do thu hồi."), Length(min=5, max=500)])
    submit = SubmitField("Thu hồi")


class VerifyForm(Form):
    class Meta:
        csrf = False  # a public GET form

    code = StringField("Mã xác thực in trên giấy chứng nhận",
                       validators=[DataRequired("Hãy nhập mã xác thực."), Length(max=40)])


class IssuerForm(Form):
    unit_code = StringField("Mã đơn vị cấp giấy", validators=[DataRequired("Hãy nhập mã đơn vị."), Length(max=40)])
    body_lines = TextAreaField("Tên cơ quan cấp (góc trên bên trái, mỗi dòng một dòng in)",
                               validators=[DataRequired("Hãy nhập tên cơ quan."), Length(max=300)])
    place = StringField("Địa danh (Lai Châu, ngày … tháng … năm …)",
                        validators=[DataRequired("Hãy nhập địa danh."), Length(max=80)])
    signer_title = TextAreaField("Chức danh người ký (mỗi dòng một dòng in)",
                                 validators=[DataRequired("Hãy nhập chức danh."), Length(max=200)])
    signer_name = StringField("Họ tên người ký", validators=[DataRequired("Hãy nhập họ tên."), Length(max=120)])
    serial_suffix = StringField("Ký hiệu sau số (Số: 123/…)", validators=[DataRequired("Hãy nhập ký hiệu."),
                                                                        Length(max=40)])
    prize_signer_title = TextAreaField("Chức danh ký giấy khen cuộc thi", validators=[Length(max=200)])
    prize_signer_name = StringField("Họ tên người ký giấy khen cuộc thi", validators=[Length(max=120)])
    signature = FileField("Ảnh chữ ký và con dấu (PNG hoặc JPEG, tối đa 1 MB)",
                          validators=[FileAllowed(["png", "jpg", "jpeg"], "Chỉ nhận ảnh PNG hoặc JPEG.")])
    remove_signature = BooleanField("Bỏ ảnh chữ ký hiện có")
    submit = SubmitField("Lưu")
