"""Issuing, finding, revoking and bundling certificates. Flush only: callers commit."""
import hashlib
import io
import re
import secrets
import warnings
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, cast

from PIL import Image
from sqlalchemy.exc import IntegrityError

from certificates.models import KIND_COMMENDATION, KIND_COMPLETION, KIND_PRIZE, TITLES, Certificate, Issuer
from certificates.printed import CertificateContent, CertificateTooLong, vietnamese_date_line
from core import audit
from core.clock import local_today, utcnow
from core.errors import Refusal
from core.extensions import db
from core.permissions import can_manage_unit, scope_paths
from core.text import fold, identifier
from learning.models import Topic
from quizzes.models import TopicCompletion
from units import members as unit_members
from units import tree as unit_tree
from units.models import Member, Unit

# Crockford's base 32: no I, L, O, U, so a code read aloud over the phone survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 random bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
MAX_SIGNATURE_PIXELS = 4000 * 4000  # a scanned signature and seal is a few hundred pixels each way


class CertificateError(Refusal):
    """A refusal about certificates."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a person typed ("k7qm 2xpa-9dhn…", O for 0) to the stored form."""
    return re.sub(r"[^0-9A-Z]", "", identifier(text)).translate(_READ_AS)


def grouped(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def get_by_code(text: str) -> Certificate | None:
    code = normalise_code(text)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalars(db.select(Certificate).where(Certificate.code == code)).one_or_none()


# -- issuers ---------------------------------------------------------------------------

def issuer_for(unit: Unit) -> Issuer | None:
    """The nearest unit at or above ``unit`` that issues certificates."""
    ids = unit_tree.path_ids(unit)
    return db.session.scalars(db.select(Issuer).join(Unit, Issuer.unit_id == Unit.id)
                              .where(Issuer.unit_id.in_(ids)).order_by(Unit.depth.desc())).first()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# -- issuing ---------------------------------------------------------------------------

def _holder_fields(member: Member) -> dict:
    unit = member.unit
    return {"member_id": member.id, "unit_id": unit.id, "holder_name": member.full_name,
            "birth_year": member.birth_year or (member.birth_date.year if member.birth_date else None),
            "unit_name": unit.name, "parent_unit_name": unit.parent.name if unit.parent else ""}


def _save(certificate: Certificate) -> Certificate:
    """Give it a code and the issuer's next serial number; retry if another issue took them."""
    for _ in range(5):
        certificate.code = new_code()
        certificate.serial_number = (db.session.scalar(
            db.select(db.func.max(Certificate.serial_number)).where(Certificate.issuer_id == certificate.issuer_id))
            or 0) + 1
        certificate.serial = f"{certificate.serial_number}/{certificate.issuer.serial_suffix}"
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
            return certificate
        except IntegrityError:
            existing = completion_certificate(certificate.member_id, certificate.topic_id) \
                if certificate.kind == KIND_COMPLETION else None
            if existing is not None:
                return existing
    raise CertificateError("Không cấp được số giấy chứng nhận, hãy thử lại.")


def completion_certificate(member_id: int | None, topic_id: int | None) -> Certificate | None:
    return db.session.scalars(db.select(Certificate).where(
        Certificate.kind == KIND_COMPLETION, Certificate.member_id == member_id,
        Certificate.topic_id == topic_id)).first()


def topic_panels(user, *, member: Member | None, topics: list[Topic], now: datetime) -> dict[int, dict]:
    """Answers ``core.signals.topic_panels``: the member's completion certificate of each topic, in one query."""
    if member is None:
        return {}
    return {certificate.topic_id: {"certificate": certificate} for certificate in db.session.scalars(
        db.select(Certificate).where(Certificate.kind == KIND_COMPLETION, Certificate.member_id == member.id,
                                     Certificate.topic_id.in_([topic.id for topic in topics])))}


def _completion(member: Member, topic: Topic, issuer: Issuer, issued_on: date, achievement: list[str], *,
                percent: float | None, reason: str = "", actor=None) -> Certificate:
    return _save(Certificate(
        kind=KIND_COMPLETION, issuer=issuer, topic_id=topic.id, achievement="\n".join(achievement),
        issued_on=issued_on, body_lines=issuer.body_lines, place=issuer.place, signer_title=issuer.signer_title,
        signer_name=issuer.signer_name, score_percent=percent, reason=reason,
        issued_by_id=getattr(actor, "id", None), **_holder_fields(member)))


def issue_for_completion(completion: TopicCompletion) -> Certificate | None:
    """Issue the certificate of a completed topic, once. None when no unit above issues any."""
    existing = completion_certificate(completion.member_id, completion.topic_id)
    if existing is not None:
        return existing
    member, topic = completion.member, completion.topic
    issuer = issuer_for(member.unit)
    if issuer is None:
        return None
    day = local_today(completion.completed_at)
    lines = [f"Đã hoàn thành học tập {topic.title}"]
    if completion.percent is not None:
        lines.append(f"Kết quả bài kiểm tra: {completion.percent:g}% số câu đúng, ngày {day:%d/%m/%Y}")
    return _completion(member, topic, issuer, day, lines, percent=completion.percent)


def issue_offline(member: Member, topic: Topic, actor, reason: str, *, now: datetime | None = None) -> Certificate:
    """An officer certifies a member who studied the topic offline: recorded as a completion too."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise CertificateError("Hãy ghi rõ lý do (ít nhất 10 ký tự), ví dụ buổi học tập trung nào, ngày nào.")
    if not can_manage_unit(actor, member.unit):
        raise CertificateError("Đoàn viên không thuộc đơn vị bạn quản lý.")
    if completion_certificate(member.id, topic.id) is not None:
        raise CertificateError("Đoàn viên này đã có giấy chứng nhận của chuyên đề.")
    issuer = issuer_for(member.unit)
    if issuer is None:
        raise CertificateError("Chưa có đơn vị cấp trên nào được cấu hình để cấp giấy chứng nhận.")
    completion = db.session.scalars(db.select(TopicCompletion).filter_by(member_id=member.id, topic_id=topic.id)
                                    ).first()
    if completion is None:
        db.session.add(TopicCompletion(member_id=member.id, topic_id=topic.id, completed_at=now))
    day = local_today(now)
    certificate = _completion(member, topic, issuer, day,
                              [f"Đã hoàn thành học tập {topic.title}", f"Học tập trực tiếp tại đơn vị, xác nhận ngày "
                                                                      f"{day:%d/%m/%Y}"],
                              percent=None, reason=reason, actor=actor)
    audit.record(actor, "certificate_issued_offline", "certificate", certificate.code,
                 f"Cấp giấy chứng nhận {certificate.serial} cho {member.full_name} ({topic.title[:80]}): {reason}",
                 {"member_id": member.id, "topic_id": topic.id, "reason": reason}, now=now)
    db.session.flush()
    return certificate


def issue_prize(issuer: Issuer, *, holder_name: str, birth_year: int | None, unit_name: str,
                parent_unit_name: str = "", prize_text: str, issued_on: date, member: Member | None = None,
                actor=None) -> Certificate:
    """A prize certificate ("Đạt giải Nhất tuần 2 Cuộc thi …"), signed by the organising committee."""
    certificate = _save(Certificate(
        kind=KIND_PRIZE, issuer=issuer, member_id=member.id if member else None,
        unit_id=member.unit_id if member else None, holder_name=holder_name, birth_year=birth_year,
        unit_name=unit_name, parent_unit_name=parent_unit_name, achievement=prize_text, issued_on=issued_on,
        body_lines=issuer.body_lines, place=issuer.place, signer_title=issuer.prize_signer_title,
        signer_name=issuer.prize_signer_name or issuer.signer_name, issued_by_id=getattr(actor, "id", None)))
    db.session.flush()
    return certificate


def issue_commendation(issuer: Issuer, *, holder_name: str, unit_name: str, parent_unit_name: str = "",
                       achievement: str, issued_on: date, member: Member | None = None, unit: Unit | None = None,
                       actor=None) -> Certificate:
    """A "Giấy khen" for a person (``member``) or a collective (``unit``), signed as the issuer signs."""
    certificate = _save(Certificate(
        kind=KIND_COMMENDATION, issuer=issuer, member_id=member.id if member else None,
        unit_id=member.unit_id if member else (unit.id if unit else None), holder_name=holder_name,
        birth_year=(member.birth_year or (member.birth_date.year if member.birth_date else None)) if member else None,
        unit_name=unit_name, parent_unit_name=parent_unit_name, achievement=achievement, issued_on=issued_on,
        body_lines=issuer.body_lines, place=issuer.place, signer_title=issuer.signer_title,
        signer_name=issuer.signer_name, issued_by_id=getattr(actor, "id", None)))
    db.session.flush()
    return certificate


def revoke(certificate: Certificate, actor, reason: str, *, now: datetime | None = None) -> None:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise CertificateError("Hãy ghi lý do thu hồi.")
    if certificate.revoked_at is not None:
        raise CertificateError("Giấy chứng nhận này đã bị thu hồi.")
    now = now or utcnow()
    certificate.revoked_at, certificate.revoked_reason = now, reason
    certificate.revoked_by_id = getattr(actor, "id", None)
    audit.record(actor, "certificate_revoked", "certificate", certificate.code,
                 f"Thu hồi giấy chứng nhận {certificate.serial} của {certificate.holder_name}: {reason}",
                 {"reason": reason}, now=now)
    db.session.flush()


def is_image(data: bytes) -> bool:
    """A PNG or JPEG that decodes, small enough to draw: a broken one would stop every certificate
    of the unit, a giant one (a few KB for 100 million pixels) would cost gigabytes on each."""
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is judged below
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_SIGNATURE_PIXELS:
                    return False
                image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


def save_issuer(unit: Unit, *, actor, body_lines: str, place: str, signer_title: str, signer_name: str,
                serial_suffix: str, prize_signer_title: str = "", prize_signer_name: str = "",
                signature: bytes | None = None, remove_signature: bool = False) -> Issuer:
    """Create or update how ``unit`` signs its certificates (already issued ones keep theirs)."""
    issuer = db.session.scalars(db.select(Issuer).where(Issuer.unit_id == unit.id)).first() or Issuer(unit=unit)
    issuer.body_lines = "\n".join(_lines(body_lines.upper()))
    issuer.place = place.strip()
    issuer.signer_title = "\n".join(_lines(signer_title))
    issuer.signer_name = signer_name.strip()
    issuer.serial_suffix = serial_suffix.strip()
    issuer.prize_signer_title = "\n".join(_lines(prize_signer_title or "")) or "TM. BAN TỔ CHỨC\nTRƯỞNG BAN"
    issuer.prize_signer_name = (prize_signer_name or "").strip()
    if signature is not None:
        issuer.signature_image = signature
        issuer.signature_mimetype = "image/png" if signature.startswith(b"\x89PNG") else "image/jpeg"
    elif remove_signature:
        issuer.signature_image = issuer.signature_mimetype = None
    db.session.add(issuer)
    audit.record(actor, "certificate_issuer_saved", "unit", unit.code,
                 f"Cấu hình cấp giấy chứng nhận của {unit.name}: {issuer.signer_name}")
    db.session.flush()
    return issuer


# -- reading ---------------------------------------------------------------------------

def of_member(member: Member) -> list[Certificate]:
    return list(db.session.scalars(db.select(Certificate).where(Certificate.member_id == member.id)
                                   .order_by(Certificate.issued_on.desc(), Certificate.id.desc())))


def can_read(user, certificate: Certificate) -> bool:
    """The holder, officers over the holder's unit (then), administrators."""
    member = unit_members.member_for_user(user) if user.is_authenticated else None
    if member is not None and certificate.member_id == member.id:
        return True
    return certificate.unit is not None and bool(scope_paths(user) is None or can_manage_unit(user, certificate.unit))


def in_scope(user, *, unit: Unit | None = None, topic: Topic | None = None, text: str = ""):
    """Certificates an officer may list: those of units in their subtree (or of ``unit``'s)."""
    query = db.select(Certificate).join(Unit, Certificate.unit_id == Unit.id)
    condition = unit_tree.in_scope(user)
    if condition is not None:
        query = query.where(condition)
    if unit is not None:
        query = query.where(unit_tree.in_subtree(unit))
    if topic is not None:
        query = query.where(Certificate.topic_id == topic.id)
    if text:
        query = query.where(db.or_(Certificate.holder_name.contains(text.strip(), autoescape=True),
                                   Certificate.code == normalise_code(text),
                                   Certificate.serial.startswith(text.strip(), autoescape=True)))
    return query.order_by(Certificate.issued_on.desc(), Certificate.id.desc())


# -- the paper -------------------------------------------------------------------------

def content(certificate: Certificate, base_url: str) -> CertificateContent:
    return CertificateContent(
        issuer_lines=_lines(certificate.body_lines), holder_name=certificate.holder_name,
        birth_year=certificate.birth_year, unit_name=certificate.unit_name,
        parent_unit_name=certificate.parent_unit_name or None, achievement_lines=_lines(certificate.achievement),
        place_date=vietnamese_date_line(certificate.place, certificate.issued_on),
        signer_lines=_lines(certificate.signer_title), signer_name=certificate.signer_name,
        serial=f"Số: {certificate.serial}", code=grouped(certificate.code),
        verify_url=f"{base_url.rstrip('/')}/verify/{certificate.code}",
        signature_image=certificate.issuer.signature_image, **({"title": TITLES[certificate.kind]}
                                                              if certificate.kind in TITLES else {}))


def render(certificate: Certificate, base_url: str, cache: Path | None = None) -> bytes:
    """The PDF. A certificate never changes once issued and rendering is deterministic, so
    with a cache folder each one is drawn once (~50 ms) and then read back."""
    from certificates.pdf import render_pdf  # fpdf2 and fontTools load on the first drawing (printed.py)

    if cache is None:
        return render_pdf(content(certificate, base_url))
    signature = certificate.issuer.signature_image or b""
    key = hashlib.sha256(f"{certificate.code}|{base_url}|".encode() + signature).hexdigest()[:24]
    path = cache / f"{key}.pdf"
    if path.exists():
        return path.read_bytes()
    data = render_pdf(content(certificate, base_url))
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    partial.write_bytes(data)
    partial.replace(path)  # atomic: two workers rendering the same one never leave half a file
    return data


def filename(certificate: Certificate) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(certificate.holder_name)).strip("-") or "giay-chung-nhan"
    return f"gcn-{certificate.serial_number:05d}-{slug}.pdf"


class _Sink:
    """A write-only file for zipfile whose bytes are handed on as they come. It has no
    tell() or seek(), so zipfile writes in streaming mode (sizes after each entry)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


NOT_PRINTED_NOTE = "GIAY-CHUA-IN-DUOC.txt"


def zip_stream(certificate_ids: list[int], base_url: str, cache: Path | None = None,
               progress: Callable[[int], None] | None = None, left_out: list[str] | None = None) -> Iterator[bytes]:
    """The certificates as one zip, produced piece by piece: memory stays at one PDF.

    A certificate too long to print is left out and named in a note at the end of the zip (and in
    ``left_out``): the response has begun, so raising would hand the officer a broken file."""
    sink = _Sink()
    skipped: list[str] = []
    # A file-like object enough for zipfile, though not an IO[bytes] (no tell(): see _Sink).
    with zipfile.ZipFile(cast(IO[bytes], sink), "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate_id in certificate_ids:
            certificate = db.session.get_one(Certificate, certificate_id)
            try:
                archive.writestr(filename(certificate), render(certificate, base_url, cache))
            except CertificateTooLong:
                skipped.append(f"- {certificate.serial} · {certificate.holder_name} · mã {grouped(certificate.code)}")
            db.session.expunge(certificate)
            if progress:
                progress(1)
            yield sink.take()
        if skipped:
            archive.writestr(NOT_PRINTED_NOTE, "\n".join([
                f"{len(skipped)} giấy chứng nhận không có trong tệp này vì nội dung quá dài, không in vừa một trang:",
                *skipped, "", CertificateTooLong().message, ""]).encode("utf-8"))
    if left_out is not None:
        left_out.extend(skipped)
    yield sink.take()
