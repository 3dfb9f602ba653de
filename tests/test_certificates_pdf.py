"""The certificate PDF: what it prints, where, and that its QR code reads back."""
import datetime
import unicodedata
from dataclasses import dataclass, replace
from io import BytesIO

import pytest
import zxingcpp
from fpdf import FPDF
from PIL import Image, ImageDraw
from pypdf import PdfReader

from certificates.pdf import FONT_DIR, FONT_FAMILY, FONT_FILES, close_fonts, render_pdf
from certificates.printed import CertificateContent, CertificateTooLong, vietnamese_date_line

MM = 72 / 25.4  # points per millimetre
PAGE_W, PAGE_H = 841.89, 595.28  # A4 landscape, in points
PAGE_MARGIN = 10 * MM  # nothing may be printed closer than this to the page edge

TOPIC_2022 = (
    "Chuyên đề năm 2022: Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về "
    "thực hiện trách nhiệm nêu gương; đẩy mạnh đổi mới sáng tạo; khơi dậy ý chí tự lực, tự "
    "cường, khát vọng xây dựng cuộc sống ấm no, hạnh phúc, đưa Lai Châu phát triển nhanh và "
    "bền vững"
)

COMPLETION = CertificateContent(
    issuer_lines=["LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU"],
    holder_name="Lò Thị Xuân",
    birth_year=1988,
    unit_name="Công đoàn cơ sở Trường THCS thị trấn Tam Đường",
    parent_unit_name="Liên đoàn Lao động huyện Tam Đường",
    achievement_lines=[
        "Đã hoàn thành học tập Chuyên đề năm 2022: Học tập và làm theo tư tưởng, đạo đức, "
        "phong cách Hồ Chí Minh",
        "Kết quả bài kiểm tra: 9/10 câu đúng (90%), ngày 15/03/2022",
    ],
    place_date="Lai Châu, ngày 15 tháng 3 năm 2022",
    signer_lines=["TM. BAN THƯỜNG VỤ", "PHÓ CHỦ TỊCH"],
    signer_name="Đồng Thị Nghĩa",
    serial="Số: 123/GCN-LĐLĐ",
    code="K7QM-2XPA-9DHN-4TRC-W6",
    verify_url="https://hoctap.example.vn/verify/K7QM2XPA9DHN4TRCW6",
)

LONG = replace(
    COMPLETION,
    issuer_lines=["LĐLĐ TỈNH LAI CHÂU", "BAN TỔ CHỨC CUỘC THI"],
    holder_name="Hoàng Thị Phương Thảo Nguyễn Ngọc Diễm Kiều Trinh",
    unit_name="Công đoàn cơ sở Trường Phổ thông Dân tộc Bán trú Tiểu học và Trung học cơ sở "
    "xã Pa Vệ Sủ huyện Mường Tè",
    parent_unit_name="Liên đoàn Lao động huyện Mường Tè",
    achievement_lines=[
        f"Đã hoàn thành học tập {TOPIC_2022}",
        "Kết quả bài kiểm tra: 9/10 câu đúng (90%), ngày 15/03/2022",
    ],
)


def signature_png() -> bytes:
    image = Image.new("RGBA", (300, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 20, 280, 190), outline=(200, 0, 0, 255), width=6)
    draw.line((10, 150, 200, 60), fill=(0, 0, 120, 255), width=5)
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


PRIZE = replace(
    COMPLETION,
    issuer_lines=["LĐLĐ TỈNH LAI CHÂU", "BAN TỔ CHỨC CUỘC THI"],
    birth_year=None,
    parent_unit_name=None,
    achievement_lines=["Đạt giải Nhất tuần 2 Cuộc thi trắc nghiệm trực tuyến tìm hiểu 65 năm "
                       "Ngày Bác Hồ về thăm Lào Cai"],
    signer_lines=["TM. BAN TỔ CHỨC", "TRƯỞNG BAN"],
    serial="Số: 45/GCN-BTC",
    signature_image=signature_png(),
)


@dataclass
class Box:
    """A rectangle on the page in points, origin bottom left (as in PDF)."""
    what: str
    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, other: "Box") -> bool:
        return (self.left < other.right and other.left < self.right
                and self.bottom < other.top and other.bottom < self.top)


class Page:
    """What one PDF page shows, read back with pypdf."""

    def __init__(self, data: bytes):
        self.reader = PdfReader(BytesIO(data))
        self.page = self.reader.pages[0]
        self.runs: list[tuple[str, float, float, str, float]] = []  # text, x, y, font, size
        self.image_boxes: list[Box] = []

        def on_text(text, cm, tm, font_dict, font_size):
            if text.strip():
                # fpdf2 writes text with an identity CTM; the text matrix holds the position.
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                self.runs.append((text.strip(), x, y, str(font_dict["/BaseFont"]), font_size))

        def on_operator(operator, args, cm, tm):
            if operator == b"Do":  # an image, drawn in the unit square scaled by the CTM
                left, bottom = cm[4], cm[5]
                self.image_boxes.append(Box(str(args[0]), left, bottom, left + cm[0], bottom + cm[3]))

        self.text = self.page.extract_text(visitor_text=on_text, visitor_operand_before=on_operator)

    def shows(self, expected: str) -> bool:
        """Whether the text is on the page; wrapped lines may split it anywhere."""
        return squeeze(expected) in squeeze(self.text)

    def text_boxes(self, measure: FPDF) -> list[Box]:
        boxes = []
        for text, x, y, font, size in self.runs:
            measure.set_font(FONT_FAMILY, font_style(font), size)
            width = measure.get_string_width(text)
            # Cap height above the baseline, descenders below: the ink of one line.
            boxes.append(Box(text, x, y - 0.22 * size, x + width, y + 0.72 * size))
        return boxes


def squeeze(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


def font_style(base_font: str) -> str:
    return ("B" if "Bold" in base_font else "") + ("I" if "Italic" in base_font else "")


@pytest.fixture(scope="module")
def measure():
    """An fpdf2 document with the certificate's fonts, to measure text widths in points."""
    pdf = FPDF(unit="pt")
    for style, filename in FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, FONT_DIR / filename)
    yield pdf
    close_fonts(pdf)


@pytest.fixture(scope="module")
def pages() -> dict[str, Page]:
    """Each sample rendered once: rendering is the slow part of these tests."""
    return {
        "completion": Page(render_pdf(COMPLETION)),
        "long": Page(render_pdf(LONG)),
        "long signed": Page(render_pdf(replace(LONG, signature_image=signature_png()))),
        "prize": Page(render_pdf(PRIZE)),
    }


def test_one_a4_landscape_page_with_everything_printed(pages):
    page = pages["completion"]
    assert len(page.reader.pages) == 1
    assert float(page.page.mediabox.width) == pytest.approx(PAGE_W, abs=1)
    assert float(page.page.mediabox.height) == pytest.approx(PAGE_H, abs=1)
    for expected in [
        "LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU",
        "Số: 123/GCN-LĐLĐ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY CHỨNG NHẬN",
        "Chứng nhận:",
        "Lò Thị Xuân",
        "Năm sinh: 1988",
        "Đơn vị: Công đoàn cơ sở Trường THCS thị trấn Tam Đường",
        "Liên đoàn Lao động huyện Tam Đường",
        "Kết quả bài kiểm tra: 9/10 câu đúng (90%), ngày 15/03/2022",
        "Lai Châu, ngày 15 tháng 3 năm 2022",
        "TM. BAN THƯỜNG VỤ",
        "PHÓ CHỦ TỊCH",
        "Đồng Thị Nghĩa",
        "Mã xác thực: K7QM-2XPA-9DHN-4TRC-W6",
        "Kiểm tra giấy chứng nhận tại: https://hoctap.example.vn/verify/K7QM2XPA9DHN4TRCW6",
    ]:
        assert page.shows(expected), expected


def test_says_it_is_checked_online_and_is_not_a_digital_signature(pages):
    assert pages["completion"].shows("Giấy chứng nhận được kiểm tra trực tuyến; "
                                     "đây không phải chữ ký số.")


def test_a_prize_certificate_leaves_out_what_it_does_not_have(pages):
    page = pages["prize"]
    assert page.shows("Đạt giải Nhất tuần 2 Cuộc thi trắc nghiệm trực tuyến")
    assert page.shows("TM. BAN TỔ CHỨC") and page.shows("TRƯỞNG BAN")
    assert not page.shows("Năm sinh")
    assert not page.shows("Liên đoàn Lao động huyện Tam Đường")


def decode_qr_codes(page: Page) -> list[str]:
    texts = []
    for image in page.page.images:
        texts.extend(result.text for result in zxingcpp.read_barcodes(image.image.convert("L")))
    return texts


def test_the_qr_code_reads_back_as_the_verify_url(pages):
    assert len(pages["completion"].page.images) == 1
    assert decode_qr_codes(pages["completion"]) == [COMPLETION.verify_url]


def test_the_signature_image_is_placed_above_the_signer_name(pages, measure):
    page = pages["prize"]
    assert len(page.page.images) == 2
    assert decode_qr_codes(page) == [PRIZE.verify_url]
    signature = max(page.image_boxes, key=lambda box: box.left)
    assert signature.right - signature.left <= 45 * MM + 0.1
    assert signature.top - signature.bottom <= 25 * MM + 0.1
    name = next(box for box in page.text_boxes(measure) if box.what == "Đồng Thị Nghĩa")
    assert name.top <= signature.bottom
    # Aspect ratio kept: the 300x200 test image is 3:2.
    width, height = signature.right - signature.left, signature.top - signature.bottom
    assert width / height == pytest.approx(1.5, rel=0.01)


def test_long_name_unit_and_topic_are_printed_whole(pages):
    page = pages["long"]
    assert len(page.reader.pages) == 1
    for expected in [
        LONG.holder_name,
        f"Đơn vị: {LONG.unit_name}",
        "Liên đoàn Lao động huyện Mường Tè",
        f"Đã hoàn thành học tập {TOPIC_2022}",
        "Kết quả bài kiểm tra: 9/10 câu đúng (90%), ngày 15/03/2022",
        "Lai Châu, ngày 15 tháng 3 năm 2022",
        "TM. BAN THƯỜNG VỤ",
        "Đồng Thị Nghĩa",
        "LĐLĐ TỈNH LAI CHÂU",
        "BAN TỔ CHỨC CUỘC THI",
        "Số: 123/GCN-LĐLĐ",
        "K7QM-2XPA-9DHN-4TRC-W6",
    ]:
        assert page.shows(expected), expected
    name_runs = [run for run in page.runs if squeeze(run[0]) in squeeze(LONG.holder_name)]
    assert 1 < len(name_runs) <= 2  # wrapped, on two lines at most


@pytest.mark.parametrize("sample", ["completion", "long", "long signed", "prize"])
def test_everything_stays_inside_the_border_and_nothing_overlaps(pages, measure, sample):
    page = pages[sample]
    boxes = page.text_boxes(measure) + page.image_boxes
    for box in boxes:
        assert box.left >= PAGE_MARGIN and box.right <= PAGE_W - PAGE_MARGIN, box
        assert box.bottom >= PAGE_MARGIN and box.top <= PAGE_H - PAGE_MARGIN, box
    for i, box in enumerate(boxes):
        for other in boxes[i + 1:]:
            assert not box.overlaps(other), (box, other)


def test_a_name_too_long_for_two_lines_is_printed_smaller():
    very_long = "Hoàng Thị Phương Thảo Nguyễn Ngọc Diễm Kiều Trinh Lê Thị Bích Ngọc Thu Hương Xuân"
    page = Page(render_pdf(replace(LONG, holder_name=very_long)))
    assert page.shows(very_long)
    name_runs = [run for run in page.runs if squeeze(run[0]) in squeeze(very_long)]
    assert {run[4] for run in name_runs} < set(range(18, 26))  # one size, smaller than 26 pt
    assert len(name_runs) <= 2


def test_text_typed_with_combining_accents_prints_as_whole_letters():
    decomposed = unicodedata.normalize("NFD", "Lò Thị Xuân")
    page = Page(render_pdf(replace(COMPLETION, holder_name=decomposed)))
    assert "Lò Thị Xuân" in [run[0] for run in page.runs]


def test_text_that_cannot_fit_on_one_page_is_refused():
    with pytest.raises(CertificateTooLong):
        render_pdf(replace(COMPLETION, achievement_lines=[TOPIC_2022] * 40))


def test_metadata_and_same_content_gives_same_bytes():
    data = render_pdf(COMPLETION)
    assert render_pdf(COMPLETION) == data
    metadata = PdfReader(BytesIO(data)).metadata
    assert metadata.title == "Giấy chứng nhận K7QM-2XPA-9DHN-4TRC-W6"
    assert metadata.author == "LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU"
    assert metadata.creation_date.date() == datetime.date(2022, 3, 15)


def test_fonts_are_embedded_as_subsets_so_the_file_stays_small():
    assert len(render_pdf(LONG)) < 80_000


@pytest.mark.parametrize("day, expected", [
    (datetime.date(2022, 3, 15), "Lai Châu, ngày 15 tháng 3 năm 2022"),
    (datetime.date(2023, 1, 5), "Lai Châu, ngày 5 tháng 1 năm 2023"),
    (datetime.date(2024, 12, 31), "Lai Châu, ngày 31 tháng 12 năm 2024"),
])
def test_vietnamese_date_line(day, expected):
    assert vietnamese_date_line("Lai Châu", day) == expected


EVERY_VIETNAMESE_LETTER = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ")


@pytest.mark.parametrize("sample", [
    COMPLETION,
    LONG,
    PRIZE,
    replace(COMPLETION, holder_name=EVERY_VIETNAMESE_LETTER.upper(), unit_name=EVERY_VIETNAMESE_LETTER,
            signer_name=f"“Đồng” – {EVERY_VIETNAMESE_LETTER[:40]} № 5 … ₫"),
], ids=["completion", "long", "prize", "every letter"])
def test_fonts_cut_to_vietnamese_give_the_very_bytes_of_the_whole_fonts(sample):
    assert render_pdf(sample) == render_pdf(sample, whole_fonts=True)


def drawing(data: bytes) -> dict:
    """What a PDF shows, whatever the bytes: the page's drawing operators, each font's PDF objects but
    its program, and from the program each glyph's outline and advance."""
    from fontTools.ttLib import TTFont
    page = PdfReader(BytesIO(data)).pages[0]
    shown: dict = {"page": page.get_contents().get_data()}
    for name, ref in sorted(page["/Resources"]["/Font"].items()):
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        program = TTFont(BytesIO(descriptor["/FontFile2"].get_data()))
        glyf = program["glyf"]
        shown[name] = (font["/ToUnicode"].get_object().get_data(), descendant["/W"],
                       descendant["/CIDToGIDMap"].get_object().get_data(),
                       {key: value for key, value in descriptor.items() if key != "/FontFile2"},
                       program.getGlyphOrder(), program["hmtx"].metrics,
                       {glyph: (list(coordinates), end_points, [flag & 1 for flag in flags])
                        for glyph in program.getGlyphOrder()
                        for coordinates, end_points, flags in [glyf[glyph].getCoordinates(glyf)]})
    return shown


@pytest.mark.parametrize("sample", [COMPLETION, LONG, PRIZE, replace(LONG, signature_image=signature_png())],
                         ids=["completion", "long", "prize", "signed"])
def test_the_renderer_draws_what_it_drew_when_it_recomputed_the_fonts_bounds(sample):
    """Since 12/2026 the embedded fonts keep their stored bounding boxes: a third faster, the same drawing."""
    before = render_pdf(sample, bounds_recomputed=True)
    after = render_pdf(sample)
    assert after != before  # the fonts' stored figures differ, nothing drawn does
    assert drawing(after) == drawing(before)
    assert render_pdf(sample) == after


def test_the_bytes_do_not_depend_on_what_the_process_drew_before():
    """Line counts are kept from one certificate to the next; the PDF must not show it."""
    from certificates import pdf
    pdf._line_counts.clear()
    cold = render_pdf(LONG)
    render_pdf(replace(LONG, holder_name="Lò Văn Minh"))  # the same unit and topic: counts kept
    render_pdf(PRIZE)
    assert render_pdf(LONG) == cold
    pdf._line_counts.clear()
    assert render_pdf(replace(LONG, holder_name="Lò Văn Minh")) == render_pdf(replace(LONG, holder_name="Lò Văn Minh"))


def test_a_name_outside_vietnamese_is_drawn_with_the_whole_fonts():
    name = "Жанна Lò Thị Xuân"  # Cyrillic: in DejaVu Serif, not among the cut-down fonts' letters
    data = render_pdf(replace(COMPLETION, holder_name=name))
    assert Page(data).shows(name)
    assert data == render_pdf(replace(COMPLETION, holder_name=name), whole_fonts=True)


@pytest.mark.subprocess
def test_two_processes_draw_the_same_bytes(tmp_path):
    """Two app servers render a certificate each without sharing a cache: the files must match."""
    import subprocess
    import sys
    from pathlib import Path
    script = ("import sys; from tests.test_certificates_pdf import PRIZE, LONG; "
              "from certificates.pdf import render_pdf; "
              "sys.stdout.buffer.write(render_pdf(PRIZE) + render_pdf(LONG))")
    root = Path(__file__).resolve().parent.parent
    outputs = [subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout
               for seed in ("1", "2")]
    assert outputs[0] == outputs[1] == render_pdf(PRIZE) + render_pdf(LONG)


@pytest.mark.subprocess
def test_the_app_and_its_commands_load_the_pdf_libraries_only_to_draw():
    """fpdf2 and fontTools are 0.4 s of every `flask` command's start; only a drawing needs them."""
    import subprocess
    import sys
    from pathlib import Path
    script = ("import sys; from app import create_app; create_app({'TESTING': True}); "
              "print(sorted(name for name in ('fpdf', 'fontTools') if name in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent,
                            capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
