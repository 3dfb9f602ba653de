"""The base form: Flask-WTF with WTForms' built-in messages in Vietnamese.

WTForms ships no Vietnamese catalogue, so the messages our forms can show are
translated here and handed to WTForms through its translations hook.
"""
import re

from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.widgets import TextInput

from core.clock import parse_vn_date

VIETNAMESE = {
    "This field is required.": "Trường này không được để trống.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Not a valid integer value.": "Hãy nhập một số nguyên.",
    "Not a valid decimal value.": "Hãy nhập một số.",
    "Not a valid float value.": "Hãy nhập một số.",
    "Not a valid date value.": "Ngày không hợp lệ.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "Invalid email address.": "Email không hợp lệ.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Invalid URL.": "Địa chỉ web không hợp lệ.",
    "Field must be equal to %(other_name)s.": "Giá trị phải trùng với %(other_name)s.",
    "Field must be between %(min)d and %(max)d characters long.": "Độ dài phải từ %(min)d đến %(max)d ký tự.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không được dài quá %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Phải có đúng %(max)d ký tự.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số không được lớn hơn %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải trong khoảng %(min)s đến %(max)s.",
    "Date must be at least %(min)s.": "Ngày phải từ %(min)s trở đi.",
    "Date must be at most %(max)s.": "Ngày không được sau %(max)s.",
    "Date must be between %(min)s and %(max)s.": "Ngày phải trong khoảng %(min)s đến %(max)s.",
    "Invalid CSRF Token.": "Phiên làm việc không hợp lệ, hãy tải lại trang.",
    "CSRF token missing.": "Phiên làm việc không hợp lệ, hãy tải lại trang.",
    "CSRF failed.": "Phiên làm việc không hợp lệ, hãy tải lại trang.",
    "CSRF token expired.": "Phiên làm việc đã hết hạn, hãy tải lại trang.",
}
# Plural forms: Vietnamese has one form, so the singular message id is the key.
_PLURALS = {
    "Field must be at least %(min)d characters long.": "Field must be at least %(min)d character long.",
    "Field cannot be longer than %(max)d characters.": "Field cannot be longer than %(max)d character.",
    "Field must be exactly %(max)d characters long.": "Field must be exactly %(max)d character long.",
}


class _Translations:
    def gettext(self, message: str) -> str:
        return VIETNAMESE.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return VIETNAMESE.get(singular, VIETNAMESE.get(_PLURALS.get(plural, plural), singular))


# C0 control characters but tab and newlines: never meant in a form, and PostgreSQL refuses NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _without_control_characters(value):
    return _CONTROL.sub("", value) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _Translations()

        def bind_field(self, form, unbound_field, options):
            filters = (_without_control_characters, *unbound_field.kwargs.get("filters", ()))
            return unbound_field.bind(form=form, filters=filters, **options)


def flash_errors(form) -> None:
    """Show every field error as a message, for forms that redirect instead of re-rendering."""
    for messages in form.errors.values():
        for message in messages:
            flash(message, "danger")


class VNDateField(Field):
    """A date typed as dd/mm/yyyy (also d/m/yyyy, with - or .), shown the same way."""
    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if self.data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = parse_vn_date(text)
        except ValueError:
            self.data = None
            raise ValueError("Ngày không hợp lệ: ghi theo dd/mm/yyyy, ví dụ 31/03/2024.") from None
