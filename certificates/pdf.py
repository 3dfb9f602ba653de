"""Render a completion or prize certificate as a one-page A4 landscape PDF.

Pure layout: no Flask, no database. The caller gathers what is printed into a
`CertificateContent` and gets the PDF bytes back from `render_pdf`.

The page is cut into fixed regions (millimetres, origin top left):

    +------------------------------------------------------------------+
    |  issuer lines / serial                   national motto / slogan  |
    |                         GIẤY CHỨNG NHẬN                           |
    |          body: holder, birth year, unit, achievement lines        |
    |  QR  verification text                       place, date, signer  |
    +------------------------------------------------------------------+

The two bottom blocks are anchored to the bottom margin. The body is measured with
fpdf2's own line breaker before it is drawn, and its font steps down until it fits
between the title and the higher of the two bottom blocks: long names, units and
topic titles wrap, and never run off the page or under the signature.
"""
from __future__ import annotations

import atexit
import datetime
import math
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import cast

import segno
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, WrapMode, XPos, YPos
from fpdf.fonts import TTFFont

from certificates.printed import CertificateContent, CertificateTooLong

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_FAMILY = "DejaVuSerif"
FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}

NATIONAL_MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_SLOGAN = "Độc lập - Tự do - Hạnh phúc"
VERIFY_LABEL = "Kiểm tra giấy chứng nhận tại:"
DISCLAIMER = "Giấy chứng nhận được kiểm tra trực tuyến; đây không phải chữ ký số."

# Page geometry, in mm. A4 landscape.
PAGE_W, PAGE_H = 297.0, 210.0
OUTER_RULE = 7.0  # inset of the thick outer rule of the border
INNER_RULE = 9.0  # inset of the thin inner rule
MARGIN = 16.0  # every text block and image stays at least this far from the page edge
_BOTTOM = PAGE_H - MARGIN
_COLUMN_W = 120.0  # each top block: issuer on the left, national motto on the right
_BODY_W = 235.0
_SIGN_W = 106.0
_SIGN_X = PAGE_W - MARGIN - _SIGN_W
_SIGN_IMAGE_W, _SIGN_IMAGE_H = 45.0, 25.0
_QR_X = MARGIN + 1
_QR_SIZE = 28.0
_QR_TEXT_X = _QR_X + _QR_SIZE + 4.0
_QR_TEXT_W = _SIGN_X - 8.0 - _QR_TEXT_X
_GAP = 3.0  # between the body and the bottom blocks

_RED = (140, 20, 20)
_NAVY = (20, 40, 100)
_INK = (25, 25, 25)

_NAME_SIZES = (26, 24, 22, 20, 18)  # the name steps down while it needs more than 2 lines
_BODY_SIZES = (14, 13, 12, 11, 10, 9, 8, 7)  # the body steps down until it fits
_LEADING = 1.3  # line height as a multiple of the font size
_MM_PER_PT = 25.4 / 72


def render_pdf(content: CertificateContent, *, whole_fonts: bool = False, bounds_recomputed: bool = False) -> bytes:
    """The certificate as a one-page PDF. Same content, same bytes, in any process.

    Text within `VIETNAMESE_REPERTOIRE` is drawn from fonts cut down to it, which fpdf2 reads
    six times faster and subsets faster; the PDF is byte for byte the one the whole fonts give
    (`whole_fonts=True`, used for other text and to compare). `bounds_recomputed=True` draws it
    as before December 2026, for the benchmark's comparison: the same page and glyphs, the
    embedded fonts' bounding boxes recomputed from their outlines at a third of the time.
    """
    font_dir = FONT_DIR if whole_fonts or not _within_repertoire(content) else _reduced_font_dir()
    return _Renderer(content, font_dir, bounds_recomputed).render()


# Lines a text takes, kept across documents: (style, size, width, text, wrap mode) -> count.
_line_counts: dict[tuple, int] = {}
_LINE_COUNTS_KEPT = 4096  # emptied when full
_SOFT_HYPHEN = "\u00ad"  # a line broken at one prints a hyphen instead: measured every time

# A body paragraph: what kind of text it is (decides the font), the text, and the
# space left after it in mm.
_Paragraph = tuple[str, str, float]


class _Renderer:
    def __init__(self, content: CertificateContent, font_dir: Path, bounds_recomputed: bool = False) -> None:
        self.content = content
        self.pdf = _new_document(content, font_dir, bounds_recomputed)
        self._line_counts: dict[tuple, int] = {}

    def render(self) -> bytes:
        try:
            self.pdf.add_page()
            self.draw_border()
            top = max(self.draw_issuer(), self.draw_national_motto())
            title_bottom = self.draw_title(top + 5)
            bottom = min(self.draw_signature_block(), self.draw_qr_block()) - _GAP
            self.draw_body(title_bottom + 2, bottom)
            return bytes(self.pdf.output())
        finally:
            close_fonts(self.pdf)

    # -- text helpers -----------------------------------------------------------------

    def font(self, style: str, size: float, color: tuple[int, int, int] = _INK) -> float:
        """Select a font; return the line height that goes with it, in mm."""
        self.pdf.set_font(FONT_FAMILY, style, size)
        self.pdf.set_text_color(*color)
        return size * _MM_PER_PT * _LEADING

    def text(self, x: float, y: float, w: float, h: float, text: str, *,
             align: Align = Align.C, wrapmode: WrapMode = WrapMode.WORD) -> float:
        """Write text wrapped in a column of width w from (x, y); return the y below it."""
        self.pdf.set_xy(x, y)
        self.pdf.multi_cell(w, h, _clean(text), align=align, wrapmode=wrapmode,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return self.pdf.get_y()

    def line_count(self, w: float, text: str, *, wrapmode: WrapMode = WrapMode.WORD) -> int:
        """Lines the text takes in the current font, found by fpdf2's own line breaker.

        Line breaking is the slow part of the layout and the body is measured at several
        sizes, so each answer is kept, for the next certificates too: those of one unit and
        topic share most of their text. Both sets of fonts have the same metrics.
        """
        pdf = self.pdf
        text = _clean(text)
        key = (pdf.font_style, pdf.font_size_pt, w, text, wrapmode)
        if key in self._line_counts:
            return self._line_counts[key]
        count = _line_counts.get(key) if _SOFT_HYPHEN not in text else None
        if count is None:
            lines = cast(list[str], pdf.multi_cell(w, text=text, wrapmode=wrapmode, dry_run=True,
                                                   output=MethodReturnValue.LINES))
            count = max(1, len(lines))
            if len(_line_counts) >= _LINE_COUNTS_KEPT:
                _line_counts.clear()
            _line_counts[key] = count
        else:
            # Measuring numbers the document's glyphs in the order it meets them, and those
            # numbers are in the PDF: number them as measuring would, so that the bytes do not
            # depend on what this process drew before.
            font = pdf.current_font
            assert isinstance(font, TTFFont)  # the certificate draws only with its own TrueType fonts
            pick = font.subset.pick
            for char in text:
                pick(ord(char))
        self._line_counts[key] = count
        return count

    def rule(self, x_centre: float, y: float, width: float) -> None:
        self.pdf.set_draw_color(*_INK)
        self.pdf.set_line_width(0.3)
        self.pdf.line(x_centre - width / 2, y, x_centre + width / 2, y)

    # -- blocks -----------------------------------------------------------------------

    def draw_border(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*_RED)
        pdf.set_line_width(1.2)
        pdf.rect(OUTER_RULE, OUTER_RULE, PAGE_W - 2 * OUTER_RULE, PAGE_H - 2 * OUTER_RULE)
        pdf.set_line_width(0.4)
        pdf.rect(INNER_RULE, INNER_RULE, PAGE_W - 2 * INNER_RULE, PAGE_H - 2 * INNER_RULE)

    def draw_issuer(self) -> float:
        """Top left: issuer lines, a short rule, the serial. Returns the y below."""
        x, y = MARGIN, MARGIN + 1
        h = self.font("B", 11)
        widest = 0.0
        for line in self.content.issuer_lines:
            widest = max(widest, self.pdf.get_string_width(_clean(line)))
            y = self.text(x, y, _COLUMN_W, h, line)
        self.rule(x + _COLUMN_W / 2, y + 1.8, min(widest, _COLUMN_W) / 3)
        return self.text(x, y + 3.4, _COLUMN_W, self.font("", 11), self.content.serial)

    def draw_national_motto(self) -> float:
        """Top right: the national motto and slogan, the slogan underlined."""
        x, y = PAGE_W - MARGIN - _COLUMN_W, MARGIN + 1
        y = self.text(x, y, _COLUMN_W, self.font("B", 11), NATIONAL_MOTTO)
        h = self.font("B", 12)
        width = self.pdf.get_string_width(NATIONAL_SLOGAN)
        y = self.text(x, y, _COLUMN_W, h, NATIONAL_SLOGAN)
        self.rule(x + _COLUMN_W / 2, y + 0.6, width)
        return y + 1

    def draw_title(self, y: float) -> float:
        h = self.font("B", 28, _RED) * 0.9
        return self.text(MARGIN, y, PAGE_W - 2 * MARGIN, h, self.content.title)

    def draw_signature_block(self) -> float:
        """Bottom right: place and date, signer, signature image, name. Returns its top."""
        content = self.content
        date_h = self.font("I", 12) * 0.9
        height = self.line_count(_SIGN_W, content.place_date) * date_h
        sign_h = self.font("B", 12) * 0.9
        height += sum(self.line_count(_SIGN_W, line) * sign_h for line in content.signer_lines)
        name_h = self.font("B", 13) * 0.9
        height += _SIGN_IMAGE_H + 2 + self.line_count(_SIGN_W, content.signer_name) * name_h

        top = _BOTTOM - height
        self.font("I", 12)
        y = self.text(_SIGN_X, top, _SIGN_W, date_h, content.place_date)
        self.font("B", 12)
        for line in content.signer_lines:
            y = self.text(_SIGN_X, y, _SIGN_W, sign_h, line)
        if content.signature_image:
            # The room is kept even without an image, for a hand signature and seal.
            self.pdf.image(BytesIO(content.signature_image),
                           x=_SIGN_X + (_SIGN_W - _SIGN_IMAGE_W) / 2, y=y + 1,
                           w=_SIGN_IMAGE_W, h=_SIGN_IMAGE_H, keep_aspect_ratio=True)
        self.font("B", 13)
        self.text(_SIGN_X, y + _SIGN_IMAGE_H + 2, _SIGN_W, name_h, content.signer_name)
        return top

    def draw_qr_block(self) -> float:
        """Bottom left: the QR code and, beside it, how to check. Returns its top."""
        content = self.content
        parts = [
            ("B", 9.5, f"Mã xác thực: {content.code}", WrapMode.WORD),
            ("", 8.5, VERIFY_LABEL, WrapMode.WORD),
            ("", 8.5, content.verify_url, WrapMode.CHAR),  # a URL has no spaces to break at
            ("I", 8, DISCLAIMER, WrapMode.WORD),
        ]
        text_height = 0.0
        for style, size, text, wrapmode in parts:
            h = self.font(style, size)  # first: line_count measures in the current font
            text_height += self.line_count(_QR_TEXT_W, text, wrapmode=wrapmode) * h
        qr_top = _BOTTOM - _QR_SIZE
        # The text sits level with the middle of the code, and grows upwards if long.
        y = min(qr_top + (_QR_SIZE - text_height) / 2, _BOTTOM - text_height)
        self.pdf.image(_qr_png(content.verify_url), x=_QR_X, y=qr_top, w=_QR_SIZE, h=_QR_SIZE,
                       alt_text=content.verify_url)
        top = min(qr_top, y)
        for style, size, text, wrapmode in parts:
            h = self.font(style, size)
            y = self.text(_QR_TEXT_X, y, _QR_TEXT_W, h, text, align=Align.L, wrapmode=wrapmode)
        return top

    # -- body -------------------------------------------------------------------------

    def paragraphs(self) -> list[_Paragraph]:
        content = self.content
        paragraphs = [("label", "Chứng nhận:", 1.0), ("name", content.holder_name, 2.0)]
        if content.birth_year is not None:
            paragraphs.append(("plain", f"Năm sinh: {content.birth_year}", 0.0))
        paragraphs.append(("plain", f"Đơn vị: {content.unit_name}", 0.0))
        if content.parent_unit_name:
            paragraphs.append(("plain", content.parent_unit_name, 0.0))
        kind, text, _ = paragraphs[-1]
        paragraphs[-1] = (kind, text, 2.5)
        paragraphs.extend(("achievement", text, 0.5) for text in content.achievement_lines)
        return paragraphs

    def body_font(self, kind: str, name_size: float, body_size: float) -> float:
        if kind == "name":
            return self.font("B", name_size, _NAVY)
        style = {"label": "I", "achievement": "B"}.get(kind, "")
        return self.font(style, body_size)

    def body_height(self, paragraphs: list[_Paragraph], name_size: float, body_size: float,
                    *, estimate: bool = False) -> float:
        """The height of the body; with estimate, a quick lower bound of it.

        The estimate counts the lines as if words could break anywhere; real lines
        break between words, so they are never fewer.
        """
        total = 0.0
        for kind, text, after in paragraphs:
            h = self.body_font(kind, name_size, body_size)
            if estimate:
                lines = max(1, math.ceil(self.pdf.get_string_width(_clean(text)) / _BODY_W))
            else:
                lines = self.line_count(_BODY_W, text)
            total += lines * h + after
        return total

    def name_size(self) -> float:
        """The largest size at which the holder's name takes at most two lines."""
        for size in _NAME_SIZES:
            self.font("B", size)
            if self.line_count(_BODY_W, self.content.holder_name) <= 2:
                return size
        return _NAME_SIZES[-1]

    def choose_sizes(self, paragraphs: list[_Paragraph],
                     available: float) -> tuple[float, float, float]:
        """(name size, body size, body height): the largest body that fits the room."""
        for name_size in dict.fromkeys((self.name_size(), _NAME_SIZES[-1])):
            for body_size in _BODY_SIZES:
                # Breaking lines is slow: skip the sizes that cannot fit even by estimate.
                if self.body_height(paragraphs, name_size, body_size, estimate=True) > available:
                    continue
                height = self.body_height(paragraphs, name_size, body_size)
                if height <= available:
                    return name_size, body_size, height
        raise CertificateTooLong()

    def draw_body(self, top: float, bottom: float) -> None:
        paragraphs = self.paragraphs()
        name_size, body_size, height = self.choose_sizes(paragraphs, bottom - top)
        # Spare room goes mostly below the body, so that it stays close to the title.
        y = top + (bottom - top - height) * 0.35
        x = (PAGE_W - _BODY_W) / 2
        for kind, text, after in paragraphs:
            h = self.body_font(kind, name_size, body_size)
            y = self.text(x, y, _BODY_W, h, text) + after


def close_fonts(pdf: FPDF) -> None:
    """Close the font files fpdf2 left open.

    fpdf2 has fontTools read each font lazily from its file and never closes it, so
    every document would hold three file handles until garbage collection (and raise a
    ResourceWarning then).
    """
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()


def _new_document(content: CertificateContent, font_dir: Path, bounds_recomputed: bool) -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)  # one page, always: the layout decides where text goes
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.c_margin = 0  # columns are measured exactly; no hidden padding inside cells
    # fpdf2 (2.8) takes fonts only as file paths and parses them per document, and it
    # subsets them in place when writing, so a parsed font cannot be shared between
    # documents. Subsetting keeps the PDF small (about 45 KB with three faces).
    for style, filename in FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, font_dir / filename)
    if not bounds_recomputed:
        # fontTools would decode and re-encode every glyph of each subset only to recompute bounding
        # boxes and maximum counts the font already holds: a third of a certificate's time. The
        # embedded fonts keep the stored figures (the whole fonts' own); outlines and widths are the same.
        for font in pdf.fonts.values():
            cast(TTFFont, font).ttfont.recalcBBoxes = False
    pdf.set_title(_clean(f"Giấy chứng nhận {content.code}"))
    if content.issuer_lines:
        pdf.set_author(_clean(content.issuer_lines[0]))
    pdf.set_subject(_clean(f"{content.title} - {content.holder_name}"))
    pdf.set_creator("hoctap")
    pdf.set_lang("vi")
    # fpdf2 stamps the current time by default, so two renders of one certificate
    # would differ. Take the date printed on the certificate instead (midnight,
    # Vietnam time), or a fixed date when none can be read: same content, same bytes.
    pdf.set_creation_date(_creation_date(content.place_date))
    return pdf


_PRINTED_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_VIETNAM = datetime.timezone(datetime.timedelta(hours=7))
_FIXED_DATE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def _creation_date(place_date: str) -> datetime.datetime:
    match = _PRINTED_DATE.search(_clean(place_date))
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return datetime.datetime(year, month, day, tzinfo=_VIETNAM)
        except ValueError:
            pass
    return _FIXED_DATE


# Every letter of Vietnamese in both cases, ASCII, Latin-1, the combining tone marks and the
# usual punctuation: about 330 of DejaVu Serif's 3,400 glyphs. Any other character in a
# certificate's text (a name in another script, say) sends it to the whole fonts.
VIETNAMESE_REPERTOIRE = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x100), 0x102, 0x103, 0x110, 0x111, 0x128, 0x129, 0x168,
     0x169, 0x1A0, 0x1A1, 0x1AF, 0x1B0, 0x300, 0x301, 0x303, 0x309, 0x323, *range(0x1EA0, 0x1EFA),
     *range(0x2010, 0x2028), *range(0x2030, 0x203B), 0x20AB, 0x2116])


def _within_repertoire(content: CertificateContent) -> bool:
    texts = [*content.issuer_lines, content.holder_name, content.unit_name,
             content.parent_unit_name or "", *content.achievement_lines, content.place_date,
             *content.signer_lines, content.signer_name, content.serial, content.code,
             content.verify_url, content.title]
    return all(ord(char) in VIETNAMESE_REPERTOIRE for text in texts for char in _clean(text))


_reduced_fonts: tuple[int, Path] | None = None  # (the process that made them, their folder)
_reduced_fonts_lock = threading.Lock()


def _reduced_font_dir() -> Path:
    """A folder of the three faces cut down to the repertoire, made once per process (~0.2 s).

    The cut uses fpdf2's own subsetting options, so subsetting the cut font again for a
    document gives the very font subsetting the whole one would; the head table keeps the
    whole font's bounding box, which fpdf2 prints in the PDF's font descriptor.
    """
    global _reduced_fonts
    with _reduced_fonts_lock:
        if _reduced_fonts is not None and _reduced_fonts[0] == os.getpid():
            return _reduced_fonts[1]
        folder = Path(tempfile.mkdtemp(prefix="hoctap-fonts-"))
        for filename in FONT_FILES.values():
            with ttLib.TTFont(FONT_DIR / filename, recalcTimestamp=False, recalcBBoxes=False) as font:
                subsetter = ftsubset.Subsetter(_fpdf_subset_options())
                subsetter.populate(unicodes=VIETNAMESE_REPERTOIRE)
                subsetter.subset(font)
                font.save(folder / filename)
        _reduced_fonts = (os.getpid(), folder)
        atexit.register(_remove_reduced_fonts, os.getpid(), folder)
        return folder


def _remove_reduced_fonts(owner: int, folder: Path) -> None:
    if os.getpid() == owner:  # a forked worker exiting must not take its parent's folder
        shutil.rmtree(folder, ignore_errors=True)


def _fpdf_subset_options() -> ftsubset.Options:
    """The options fpdf2 2.8 subsets an embedded font with (fpdf/output.py, `_add_fonts`)."""
    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True)
    options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT",
                            "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR"]
    return options


def _clean(text: str) -> str:
    """One line of NFC text: a name typed with combining accents prints as whole letters."""
    return unicodedata.normalize("NFC", " ".join(str(text).split()))


@lru_cache(maxsize=1024)
def _qr_png_bytes(url: str) -> bytes:
    # make_qr, not make: a short text could come out as a Micro QR, which phone
    # cameras rarely read. Error correction is exactly M, as specified, not boosted.
    qr = segno.make_qr(url, error="m", boost_error=False)
    out = BytesIO()
    qr.save(out, kind="png", scale=4, border=4)
    return out.getvalue()


def _qr_png(url: str) -> BytesIO:
    return BytesIO(_qr_png_bytes(url))
