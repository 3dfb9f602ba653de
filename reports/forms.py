"""The period report's narrative, written before it is sent up."""
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from core.forms import Form
from reports.submissions import MAX_TEXT, Narrative


class SubmissionForm(Form):
    results = TextAreaField("Kết quả đạt được", render_kw={"rows": 6}, validators=[
        DataRequired("Hãy viết kết quả đạt được."), Length(max=MAX_TEXT)])
    shortcomings = TextAreaField("Tồn tại, hạn chế", render_kw={"rows": 4}, validators=[Length(max=MAX_TEXT)])
    proposals = TextAreaField("Đề xuất, kiến nghị", render_kw={"rows": 4}, validators=[Length(max=MAX_TEXT)])
    preview = SubmitField("Xem trước")
    edit = SubmitField("Sửa lại")
    send = SubmitField("Gửi báo cáo lên cấp trên")

    def narrative(self) -> Narrative:
        return Narrative(self.results.data or "", self.shortcomings.data or "", self.proposals.data or "")
