"""Render a completion or prize certificate as a one-page A4 landscape PDF.

Pure layout: no Flask, no database. The caller gathers what is printed into a
`CertificateContent` and gets the PDF bytes back from `render_pdf`.

The page is laid out in fixed regions (all in millimetres):

    +--------------------------------------------------------------+
    | issuer / serial                   national motto             |
    |                    GIẤY CHỨNG NHẬN                           |
    |                 body: name, unit, achievement                |  <- shrinks to fit
    | QR + verification text                  place, date, signer  |  <- anchored to the bottom
    +--------------------------------------------------------------+

The body is measured before it is drawn and its font steps down until it fits
between the title and the bottom blocks, so long names, units or topic titles wrap
instead of running off the page or under the signature.
"""
from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, WrapMode, XPos, YPos

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
_FAMILY = "DejaVuSerif"
_FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}

# Page geometry (mm). A4 landscape.
PAGE_W, PAGE_H = 297.0, 210.0
_OUTER_RULE = 7.0  # inset of the thick outer rule
_INNER_RULE = 9.0  # inset of the thin inner rule
_MARGIN = 16.0  # every block stays at least this far from the page edge
_BOTTOM = PAGE_H - _MARGIN
_COLUMN_W = 120.0  # width of each top block (left: issuer, right: national motto)
_BODY_W = 235.0
_SIGN_W = 106.0
_SIGN_X = PAGE_W - _MARGIN - _SIGN_W
_SIGN_IMAGE_W, _SIGN_IMAGE_H = 45.0, 25.0
_QR_SIZE = 28.0
_QR_TEXT_GAP = 4.0
_QR_TEXT_W = _SIGN_X - _MARGIN - _QR_SIZE - _QR_TEXT_GAP - 8.0

_RED = (140, 20, 20)
_NAVY = (20, 40, 100)
_INK = (25, 25, 25)

_NAME_SIZES = (26, 24, 22, 20, 18)  # the holder's name steps down while it needs > 2 lines
_BODY_SIZES = (14, 13, 12, 11, 10, 9, 8, 7)  # the body steps down until it fits
_LINE = 1.3  # line height as a multiple of the font size

_PT = 25.4 / 72  # millimetres per point

NATIONAL_MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_SLOGAN = "Độc lập - Tự do - Hạnh phúc"
DISCLAIMER = "Giấy chứng nhận được kiểm tra trực tuyến; đây không phải chữ ký số."


class CertificateTooLong(ValueError):
    """The text cannot fit on one page even at the smallest font size."""


@dataclass(frozen=True)
class CertificateContent:
    issuer_lines: list[str]
    holder_name: str
    birth_year: int | None
    unit_name: str
    parent_unit_name: str | None
    achievement_lines: list[str]
    place_date: str
    signer_lines: list[str]
    signer_name: str
    serial: str
    code: str
    verify_url: str
    title: str = "GIẤY CHỨNG NHẬN"
    signature_image: bytes | None = None


def vietnamese_date_line(place: str, day: datetime.date) -> str:
    """"Lai Châu, ngày 15 tháng 3 năm 2022": day and month without leading zeros."""
    return f"{place}, ngày {day.day} tháng {day.month} năm {day.year}"


def render_pdf(content: CertificateContent) -> bytes:
    pdf = _new_document(content)
    pdf.add_page()
    _draw_border(pdf)
    top = max(_draw_issuer(pdf, content), _draw_national_motto(pdf))
    title_bottom = _draw_title(pdf, content.title, top + 5)
    sign_top = _draw_signature_block(pdf, content)
    qr_top = _draw_qr_block(pdf, content)
    _draw_body(pdf, content, title_bottom + 2, min(sign_top, qr_top) - 3)
    return bytes(pdf.output())


# -- document ---------------------------------------------------------------------


def _new_document(content: CertificateContent) -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)  # one page, always: the layout decides where text goes
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.c_margin = 0
    for style, filename in _FONT_FILES.items():
        pdf.add_font(_FAMILY, style, FONT_DIR / filename)
    pdf.set_title(_clean(f"Giấy chứng nhận {content.code}"))
    if content.issuer_lines:
        pdf.set_author(_clean(content.issuer_lines[0]))
    pdf.set_subject(_clean(f"{content.title} - {content.holder_name}"))
    pdf.set_creator("hoctap")
    pdf.set_lang("vi")
    # fpdf2 stamps the current time by default, which makes two renders of the same
    # certificate differ. Use the date printed on the certificate instead (midnight,
    # Vietnam time), or a fixed date when it cannot be read: same content, same bytes.
    pdf.set_creation_date(_creation_date(content.place_date))
    return pdf


_DATE_IN_LINE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_VN_TIME = datetime.timezone(datetime.timedelta(hours=7), "ICT")
_FIXED_DATE = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def _creation_date(place_date: str) -> datetime.datetime:
    match = _DATE_IN_LINE.search(_clean(place_date))
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return datetime.datetime(year, month, day, tzinfo=_VN_TIME)
        except ValueError:
            pass
    return _FIXED_DATE


def _clean(text: str) -> str:
    """NFC, so that a name typed with combining accents prints as whole letters."""
    return unicodedata.normalize("NFC", " ".join(str(text).split()))


def _font(pdf: FPDF, style: str, size: float, color=_INK) -> float:
    """Select a font and return the matching line height in mm."""
    pdf.set_font(_FAMILY, style, size)
    pdf.set_text_color(*color)
    return size * _PT * _LINE


def _text(pdf: FPDF, x: float, y: float, w: float, h: float, text: str, *, align=Align.C,
          wrapmode=WrapMode.WORD) -> float:
    """Write wrapped text in a box of width w from (x, y); return the y below it."""
    pdf.set_xy(x, y)
    pdf.multi_cell(w, h, _clean(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                   wrapmode=wrapmode)
    return pdf.get_y()


def _height(pdf: FPDF, w: float, h: float, text: str, *, wrapmode=WrapMode.WORD) -> float:
    return _line_count(pdf, w, text, wrapmode=wrapmode) * h


def _line_count(pdf: FPDF, w: float, text: str, *, wrapmode=WrapMode.WORD) -> int:
    """Lines the text takes in the current font, by fpdf2's own line breaker.

    Breaking a line is the slow part of the layout, and the body is measured at
    several sizes, so each answer is kept on the document for the rest of the render.
    """
    memo = pdf.__dict__.setdefault("_hoctap_line_counts", {})
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, w, text, wrapmode)
    if key not in memo:
        lines = pdf.multi_cell(w, text=_clean(text), dry_run=True,
                               output=MethodReturnValue.LINES, wrapmode=wrapmode)
        memo[key] = max(1, len(lines))
    return memo[key]


def _rule(pdf: FPDF, x_centre: float, y: float, width: float, line_width: float = 0.3) -> None:
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(line_width)
    pdf.line(x_centre - width / 2, y, x_centre + width / 2, y)


# -- blocks -----------------------------------------------------------------------


def _draw_border(pdf: FPDF) -> None:
    pdf.set_draw_color(*_RED)
    pdf.set_line_width(1.2)
    pdf.rect(_OUTER_RULE, _OUTER_RULE, PAGE_W - 2 * _OUTER_RULE, PAGE_H - 2 * _OUTER_RULE)
    pdf.set_line_width(0.4)
    pdf.rect(_INNER_RULE, _INNER_RULE, PAGE_W - 2 * _INNER_RULE, PAGE_H - 2 * _INNER_RULE)


def _draw_issuer(pdf: FPDF, content: CertificateContent) -> float:
    x, y = _MARGIN, _MARGIN + 1
    h = _font(pdf, "B", 11)
    widest = 0.0
    for line in content.issuer_lines:
        widest = max(widest, pdf.get_string_width(_clean(line)))
        y = _text(pdf, x, y, _COLUMN_W, h, line)
    centre = x + _COLUMN_W / 2
    _rule(pdf, centre, y + 1.2, min(widest, _COLUMN_W) / 3)
    h = _font(pdf, "", 11)
    return _text(pdf, x, y + 2.6, _COLUMN_W, h, content.serial)


def _draw_national_motto(pdf: FPDF) -> float:
    x, y = PAGE_W - _MARGIN - _COLUMN_W, _MARGIN + 1
    y = _text(pdf, x, y, _COLUMN_W, _font(pdf, "B", 11), NATIONAL_MOTTO)
    h = _font(pdf, "B", 12)
    width = pdf.get_string_width(NATIONAL_SLOGAN)
    y = _text(pdf, x, y, _COLUMN_W, h, NATIONAL_SLOGAN)
    _rule(pdf, x + _COLUMN_W / 2, y + 0.6, width)
    return y + 1


def _draw_title(pdf: FPDF, title: str, y: float) -> float:
    h = _font(pdf, "B", 28, _RED) * 0.9
    return _text(pdf, _MARGIN, y, PAGE_W - 2 * _MARGIN, h, title)


def _draw_signature_block(pdf: FPDF, content: CertificateContent) -> float:
    """Anchored to the bottom right; returns its top."""
    date_h = _font(pdf, "I", 12) * 0.9
    height = _height(pdf, _SIGN_W, date_h, content.place_date)
    sign_h = _font(pdf, "B", 12) * 0.9
    height += sum(_height(pdf, _SIGN_W, sign_h, line) for line in content.signer_lines)
    name_h = _font(pdf, "B", 13) * 0.9
    height += _SIGN_IMAGE_H + 2 + _height(pdf, _SIGN_W, name_h, content.signer_name)

    top = _BOTTOM - height
    _font(pdf, "I", 12)
    y = _text(pdf, _SIGN_X, top, _SIGN_W, date_h, content.place_date)
    _font(pdf, "B", 12)
    for line in content.signer_lines:
        y = _text(pdf, _SIGN_X, y, _SIGN_W, sign_h, line)
    if content.signature_image:
        pdf.image(BytesIO(content.signature_image),
                  x=_SIGN_X + (_SIGN_W - _SIGN_IMAGE_W) / 2, y=y + 1,
                  w=_SIGN_IMAGE_W, h=_SIGN_IMAGE_H, keep_aspect_ratio=True)
    _font(pdf, "B", 13)
    _text(pdf, _SIGN_X, y + _SIGN_IMAGE_H + 2, _SIGN_W, name_h, content.signer_name)
    return top


def _draw_qr_block(pdf: FPDF, content: CertificateContent) -> float:
    """The QR code bottom left, the verification text beside it; returns its top."""
    text_x = _MARGIN + 1 + _QR_SIZE + _QR_TEXT_GAP
    parts = [
        ("B", 9.5, f"Mã xác thực: {content.code}", WrapMode.WORD),
        ("", 8.5, "Kiểm tra giấy chứng nhận tại:", WrapMode.WORD),
        ("", 8.5, content.verify_url, WrapMode.CHAR),
        ("I", 8, DISCLAIMER, WrapMode.WORD),
    ]
    measured = []
    for style, size, text, wrapmode in parts:
        h = _font(pdf, style, size)
        measured.append((style, size, text, wrapmode, h, _height(pdf, _QR_TEXT_W, h, text,
                                                                  wrapmode=wrapmode)))
    text_height = sum(m[5] for m in measured)
    qr_top = _BOTTOM - _QR_SIZE
    y = _BOTTOM - max(text_height, _QR_SIZE) + (max(text_height, _QR_SIZE) - text_height) / 2
    top = min(qr_top, y)
    pdf.image(_qr_png(content.verify_url), x=_MARGIN + 1, y=qr_top, w=_QR_SIZE, h=_QR_SIZE,
              alt_text=content.verify_url)
    for style, size, text, wrapmode, h, _ in measured:
        _font(pdf, style, size)
        y = _text(pdf, text_x, y, _QR_TEXT_W, h, text, align=Align.L, wrapmode=wrapmode)
    return top


@lru_cache(maxsize=256)
def _qr_png_bytes(url: str) -> bytes:
    # make_qr, not make: a short text could otherwise come out as a Micro QR, which
    # most phone cameras do not read. Error correction exactly "M", as specified.
    qr = segno.make_qr(url, error="m", boost_error=False)
    out = BytesIO()
    qr.save(out, kind="png", scale=4, border=4)
    return out.getvalue()


def _qr_png(url: str) -> BytesIO:
    return BytesIO(_qr_png_bytes(url))


# -- body -------------------------------------------------------------------------


def _body_lines(content: CertificateContent) -> list[tuple[str, str, float]]:
    """(kind, text, space after in mm) for each paragraph of the body."""
    lines = [("label", "Chứng nhận:", 1.0), ("name", content.holder_name, 2.0)]
    if content.birth_year is not None:
        lines.append(("plain", f"Năm sinh: {content.birth_year}", 0.0))
    lines.append(("plain", f"Đơn vị: {content.unit_name}", 0.0))
    if content.parent_unit_name:
        lines.append(("plain", content.parent_unit_name, 0.0))
    lines[-1] = (*lines[-1][:2], 2.5)
    for text in content.achievement_lines:
        lines.append(("achievement", text, 0.5))
    return lines


def _body_style(kind: str, name_size: float, body_size: float) -> tuple[str, float, tuple]:
    if kind == "label":
        return "I", body_size, _INK
    if kind == "name":
        return "B", name_size, _NAVY
    if kind == "achievement":
        return "B", body_size, _INK
    return "", body_size, _INK


def _measure_body(pdf: FPDF, lines, name_size: float, body_size: float) -> float:
    total = 0.0
    for kind, text, after in lines:
        style, size, _ = _body_style(kind, name_size, body_size)
        total += _height(pdf, _BODY_W, _font(pdf, style, size), text) + after
    return total


def _name_size(pdf: FPDF, name: str) -> float:
    """The largest name size at which the name takes at most two lines."""
    for size in _NAME_SIZES:
        _font(pdf, "B", size)
        if _line_count(pdf, _BODY_W, name) <= 2:
            return size
    return _NAME_SIZES[-1]


def _choose_sizes(pdf: FPDF, content: CertificateContent, lines, available: float):
    preferred = _name_size(pdf, content.holder_name)
    for name_size in dict.fromkeys((preferred, _NAME_SIZES[-1])):
        for body_size in _BODY_SIZES:
            height = _measure_body(pdf, lines, name_size, body_size)
            if height <= available:
                return name_size, body_size, height
    raise CertificateTooLong(
        f"certificate text needs more room than the page has ({available:.0f} mm)"
    )


def _draw_body(pdf: FPDF, content: CertificateContent, top: float, bottom: float) -> None:
    lines = _body_lines(content)
    name_size, body_size, height = _choose_sizes(pdf, content, lines, bottom - top)
    # Spare room goes mostly below the body, so it stays close to the title.
    y = top + (bottom - top - height) * 0.35
    x = (PAGE_W - _BODY_W) / 2
    for kind, text, after in lines:
        style, size, color = _body_style(kind, name_size, body_size)
        h = _font(pdf, style, size, color)
        y = _text(pdf, x, y, _BODY_W, h, text) + after
