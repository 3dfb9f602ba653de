"""Certificates and who issues them.

A certificate keeps, as printed, everything it says (names, unit, achievement, issuer
and signer), so re-downloading it years later gives the same paper even after the
member moved or the federation changed its vice-chair.
"""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from learning.models import Topic
from units.models import Member, Unit

KIND_COMPLETION, KIND_PRIZE, KIND_COMMENDATION = "completion", "prize", "commendation"
# The paper's title by kind; a completion or prize certificate is a "Giấy chứng nhận".
TITLES = {KIND_COMMENDATION: "GIẤY KHEN"}


class Issuer(db.Model):
    """A unit that issues certificates to the members below it, and how it signs them."""
    __tablename__ = "certificate_issuers"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    body_lines: Mapped[str] = mapped_column(Text)  # top-left heading, one line per line
    place: Mapped[str] = mapped_column(String(80))  # "Lai Châu" in "Lai Châu, ngày … tháng … năm …"
    signer_title: Mapped[str] = mapped_column(Text)  # "TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH"
    signer_name: Mapped[str] = mapped_column(String(120))
    serial_suffix: Mapped[str] = mapped_column(String(40), default="GCN-LĐLĐ")
    # Prize certificates are signed by the organising committee.
    prize_signer_title: Mapped[str] = mapped_column(Text, default="TM. BAN TỔ CHỨC\nTRƯỞNG BAN")
    prize_signer_name: Mapped[str] = mapped_column(String(120), default="")
    signature_image: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature_mimetype: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # random, never sequential
    kind: Mapped[str] = mapped_column(String(12), default=KIND_COMPLETION)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("certificate_issuers.id"))
    serial_number: Mapped[int]
    serial: Mapped[str] = mapped_column(String(80))  # "123/GCN-LĐLĐ" as printed
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)  # the holder's unit then
    # As printed.
    holder_name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    unit_name: Mapped[str] = mapped_column(String(300), default="")
    parent_unit_name: Mapped[str] = mapped_column(String(300), default="")
    achievement: Mapped[str] = mapped_column(Text)  # one line per printed line
    issued_on: Mapped[date]
    body_lines: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(80))
    signer_title: Mapped[str] = mapped_column(Text)
    signer_name: Mapped[str] = mapped_column(String(120))
    # How it came: a quiz passed, or an officer's decision for offline study (with a reason).
    score_percent: Mapped[float | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    issuer: Mapped[Issuer] = relationship()
    member: Mapped[Member | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    unit: Mapped[Unit | None] = relationship()

    __table_args__ = (
        UniqueConstraint("issuer_id", "serial_number"),
        # One completion certificate per member per topic.
        Index("uq_certificates_completion", "member_id", "topic_id", unique=True,
              sqlite_where=db.text("kind = 'completion'"), postgresql_where=db.text("kind = 'completion'")),
    )

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
