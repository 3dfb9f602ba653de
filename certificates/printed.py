"""What a certificate prints, apart from how it is drawn (`certificates.pdf`).

Kept apart so that what only issues, lists or checks certificates, every `flask` command among
them, does not import fpdf2 and fontTools (0.4 s of the app's 0.9 s import).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from core.errors import Refusal


class CertificateTooLong(Refusal, ValueError):
    """The text cannot fit on one page even at the smallest font size: the data, not the request, is at fault."""
    status = 422

    def __init__(self):
        super().__init__("Nội dung giấy chứng nhận này quá dài, không in vừa một trang ngay cả với cỡ chữ nhỏ nhất. "
                         "Hãy báo quản trị hệ thống để rút gọn tên đơn vị, chức danh người ký hoặc nội dung.")


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
    """The place and date line, e.g. Lai Châu, ngày 15 tháng 3 năm 2022.

    Day and month are written without leading zeros.
    """
    return f"{place}, ngày {day.day} tháng {day.month} năm {day.year}"
