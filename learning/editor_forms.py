"""The editor's forms: topics, cloning, assignment, lessons, questions, the question-bank import.
Fields are checked here; the rules (unique slugs, choices) in learning.editing."""
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from core.forms import Form, VNDateField
from learning.editing import LETTERS, MAX_YEAR, MIN_YEAR, SLUG_PATTERN, SLUG_RULE
from learning.models import KIND_NAMES, QUESTION_TYPES

SLUG_INPUT = {"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"}


def _slug_validators(required: bool) -> list:
    return [DataRequired("Hãy nhập mã (slug).") if required else Optional(), Length(max=80),
            Regexp(SLUG_PATTERN, message=f"Mã {SLUG_RULE}.")]


def _year_field(label: str = "Năm") -> IntegerField:
    return IntegerField(label, validators=[InputRequired("Hãy nhập năm."), NumberRange(
        MIN_YEAR, MAX_YEAR, f"Năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR}.")], render_kw={"inputmode": "numeric"})


class TopicForm(Form):
    title = StringField("Tên chuyên đề", validators=[DataRequired("Hãy nhập tên chuyên đề."), Length(max=300)])
    kind = SelectField("Loại chuyên đề", choices=[SelectChoice(code, name) for code, name in KIND_NAMES.items()])
    year = _year_field()
    opens_on = VNDateField("Ngày bắt đầu học", validators=[Optional()])
    due_on = VNDateField("Hạn hoàn thành", validators=[Optional()])
    guiding_document = StringField("Văn bản hướng dẫn", validators=[Length(max=500)])
    summary = TextAreaField("Giới thiệu ngắn", validators=[Length(max=3000)], render_kw={"rows": 4})
    submit = SubmitField("Lưu chuyên đề")

    def validate_due_on(self, field):
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError("Hạn hoàn thành không được trước ngày bắt đầu.")


class NewTopicForm(TopicForm):
    slug = StringField("Mã chuyên đề (slug, dùng trong địa chỉ trang)", validators=_slug_validators(True),
                       render_kw=SLUG_INPUT)
    submit = SubmitField("Tạo chuyên đề")


class CloneForm(Form):
    title = StringField("Tên chuyên đề mới", validators=[DataRequired("Hãy nhập tên chuyên đề."), Length(max=300)])
    slug = StringField("Mã chuyên đề mới (slug)", validators=_slug_validators(True), render_kw=SLUG_INPUT)
    year = _year_field("Năm của chuyên đề mới")
    submit = SubmitField("Nhân bản chuyên đề")


class AssignForm(Form):
    unit_code = StringField("Mã đơn vị", validators=[DataRequired("Hãy nhập mã đơn vị."), Length(max=40)],
                            render_kw={"list": "unit-codes", "autocapitalize": "characters", "autocomplete": "off"})
    submit = SubmitField("Giao chuyên đề")


class ActionForm(Form):
    """A button that changes something (publish, move, remove): only the CSRF token."""


class LessonForm(Form):
    title = StringField("Tên bài học", validators=[DataRequired("Hãy nhập tên bài học."), Length(max=300)])
    summary = TextAreaField("Tóm tắt", validators=[Length(max=1000)], render_kw={"rows": 2})
    body_md = TextAreaField("Nội dung (Markdown)", validators=[DataRequired("Bài học chưa có nội dung."),
                                                               Length(max=200_000)],
                            render_kw={"rows": 18, "spellcheck": "true"})
    min_read_seconds = IntegerField("Thời gian đọc tối thiểu (giây)", validators=[
        Optional(), NumberRange(0, 36000, "Thời gian đọc tối thiểu phải từ 0 đến 36.000 giây.")],
        render_kw={"inputmode": "numeric"})
    preview = SubmitField("Xem trước")
    submit = SubmitField("Lưu bài học")


class NewLessonForm(LessonForm):
    slug = StringField("Mã bài học (slug)", validators=_slug_validators(True), render_kw=SLUG_INPUT)


class QuestionForm(Form):
    type = SelectField("Loại câu hỏi", choices=[SelectChoice(code, name) for code, name in QUESTION_TYPES.items()])
    lesson = SelectField("Bài học liên quan", coerce=int)  # choices set by the view; 0 is "none"
    text = TextAreaField("Câu hỏi", validators=[DataRequired("Hãy nhập nội dung câu hỏi."), Length(max=4000)],
                         render_kw={"rows": 3})
    choice_a = StringField("Đáp án A", validators=[Length(max=4000)])
    correct_a = BooleanField("Đúng")
    choice_b = StringField("Đáp án B", validators=[Length(max=4000)])
    correct_b = BooleanField("Đúng")
    choice_c = StringField("Đáp án C", validators=[Length(max=4000)])
    correct_c = BooleanField("Đúng")
    choice_d = StringField("Đáp án D", validators=[Length(max=4000)])
    correct_d = BooleanField("Đúng")
    choice_e = StringField("Đáp án E", validators=[Length(max=4000)])
    correct_e = BooleanField("Đúng")
    choice_f = StringField("Đáp án F", validators=[Length(max=4000)])
    correct_f = BooleanField("Đúng")
    explanation = TextAreaField("Giải thích (hiện sau khi nộp bài)", validators=[Length(max=4000)],
                                render_kw={"rows": 3})
    submit = SubmitField("Lưu câu hỏi")
    publish = SubmitField("Lưu và xuất bản")  # offered on a new question and on a draft

    def choice_fields(self) -> list[tuple[str, Field, Field]]:
        return [(letter, self[f"choice_{letter.lower()}"], self[f"correct_{letter.lower()}"]) for letter in LETTERS]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        rows = self.choice_fields()
        last = max((i for i, (_, text, _) in enumerate(rows) if (text.data or "").strip()), default=-1)
        for i, (letter, text, correct) in enumerate(rows):
            if (text.data or "").strip():
                continue
            if correct.data:
                text.errors.append(f"Đáp án {letter} đang trống nhưng được đánh dấu đúng.")
                ok = False
            elif i < last:
                text.errors.append(f"Đáp án {letter} trống: hãy điền các đáp án liền nhau từ A.")
                ok = False
        return ok

    def choice_list(self) -> list[tuple[str, bool]]:
        return [(text.data.strip(), bool(correct.data)) for _, text, correct in self.choice_fields()
                if (text.data or "").strip()]

    def load_choices(self, question) -> None:
        for (_, text, correct), choice in zip(self.choice_fields(), question.choices, strict=False):
            text.data, correct.data = choice.text, choice.is_correct


class NewQuestionForm(QuestionForm):
    slug = StringField("Mã câu hỏi (để trống để tự đặt q1, q2, …)", validators=_slug_validators(False),
                       render_kw=SLUG_INPUT)


class QuestionImportForm(Form):
    file = FileField("Tệp câu hỏi (.xlsx)", validators=[
        FileRequired("Hãy chọn tệp."), FileAllowed(["xlsx", "csv"], "Chỉ nhận tệp .xlsx (hoặc .csv UTF-8).")])
    publish = BooleanField("Xuất bản ngay các câu hỏi được nhập", default=True)
    dry_run = BooleanField("Chỉ kiểm tra, chưa ghi")
    submit = SubmitField("Nhập câu hỏi")
