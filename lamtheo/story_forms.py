from flask_wtf.file import MultipleFileField
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.forms import Form
from lamtheo.stories import MAX_PHOTO_BYTES, MAX_PHOTOS
from lamtheo.story_models import CONSENT_METHODS, KIND_LABELS, KIND_MODEL

_PHOTO_HELP = (f"Tối đa {MAX_PHOTOS} ảnh JPEG, PNG hoặc WebP, mỗi ảnh tới {MAX_PHOTO_BYTES // (1024 * 1024)} MB. "
               "Ảnh được thu nhỏ và bỏ mọi thông tin kèm theo (vị trí GPS, máy chụp) trước khi lưu.")
_BODY_HELP = ("Kể việc làm cụ thể, cách làm, kết quả (con số, thời gian). Viết được **đậm**, *nghiêng*, "
              "danh sách với dấu - đầu dòng. Không ghi số điện thoại.")


class _StoryText(Form):
    title = StringField("Tên mô hình hoặc gương điển hình",
                        validators=[DataRequired("Hãy ghi tên."), Length(max=200)])
    summary = TextAreaField("Tóm tắt (hiện khi chia sẻ lên mạng xã hội)", render_kw={"rows": 3},
                            validators=[DataRequired("Hãy ghi tóm tắt."), Length(max=400)])
    body = TextAreaField("Câu chuyện", description=_BODY_HELP, render_kw={"rows": 12},
                         validators=[DataRequired("Hãy kể câu chuyện."), Length(max=20000)])
    photos = MultipleFileField("Ảnh", description=_PHOTO_HELP)


class NominationForm(_StoryText):
    kind = RadioField("Đề cử", choices=[SelectChoice(key, label) for key, label in KIND_LABELS.items()],
                      default=KIND_MODEL, validators=[InputRequired("Hãy chọn loại đề cử.")])
    unit = SelectField("Đơn vị (tập thể được đề cử, hoặc nơi người được đề cử sinh hoạt)",
                       validators=[DataRequired("Hãy chọn đơn vị.")])
    member = StringField("Đoàn viên được đề cử (số thẻ hoặc số điện thoại; chỉ với gương cá nhân)",
                         validators=[Optional(), Length(max=40)])
    consent_method = SelectField("Người được đề cử đã đồng ý bằng cách nào (chỉ với gương cá nhân)",
                                 choices=[SelectChoice("", "— Chọn —"),
                                          *(SelectChoice(key, label) for key, label in CONSENT_METHODS.items())],
                                 validators=[Optional()])
    consent_note = StringField("Ghi chú về sự đồng ý (ngày, nơi lưu giấy đồng ý)",
                               validators=[Optional(), Length(max=300)])
    submit = SubmitField("Gửi đề cử")


class ResubmitForm(_StoryText):
    version = HiddenField()
    submit = SubmitField("Lưu và gửi lại")


class StepForm(Form):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    comment = TextAreaField("Ý kiến", validators=[Optional(), Length(max=2000)])
