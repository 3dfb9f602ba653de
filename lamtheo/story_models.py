"""Exemplary models and people ("mô hình hay, gương điển hình"): nominations going up the tree."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.clock import utcnow
from core.extensions import db
from units.models import Member, Unit

KIND_MODEL, KIND_PERSON = "model", "person"
KIND_LABELS = {KIND_MODEL: "Mô hình hay, cách làm hiệu quả", KIND_PERSON: "Gương điển hình"}
PENDING, RETURNED, APPROVED, WITHDRAWN = "pending", "returned", "approved", "withdrawn"
STATUS_LABELS = {PENDING: "Đang chờ xét", RETURNED: "Trả lại để bổ sung", APPROVED: "Đã duyệt, đang đăng",
                 WITHDRAWN: "Đã gỡ khỏi trang công khai"}
STEP_LABELS = {"nominated": "Đề cử", "endorsed": "Đồng ý, chuyển lên", "returned": "Trả lại",
               "resubmitted": "Bổ sung, gửi lại", "approved": "Duyệt đăng", "withdrawn": "Gỡ khỏi trang công khai"}
# How the person agreed to be told about: what the officer recording consent may choose.
CONSENT_METHODS = {
    "written": "Giấy đồng ý có chữ ký",
    "in_person": "Đồng ý trực tiếp với cán bộ công đoàn",
    "message": "Tin nhắn hoặc thư điện tử",
}


class Story(db.Model):
    """A nominated model (a unit) or person (a member of it), with the level it waits at.

    ``unit`` is the collective, or the person's union; ``origin_unit`` the level that nominated it
    (where a return sends it back); ``at_unit`` the level whose officers act next. ``version``
    guards each step: two officers acting at once, the second is refused."""
    __tablename__ = "lamtheo_stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    consent_method: Mapped[str | None] = mapped_column(String(12))
    consent_note: Mapped[str | None] = mapped_column(String(300))
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_recorded_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    origin_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    at_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    last_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    nominated_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    member: Mapped[Member | None] = relationship()
    origin_unit: Mapped[Unit] = relationship(foreign_keys=[origin_unit_id])
    at_unit: Mapped[Unit] = relationship(foreign_keys=[at_unit_id])
    consent_recorded_by: Mapped[User | None] = relationship(foreign_keys=[consent_recorded_by_id])
    nominated_by: Mapped[User | None] = relationship(foreign_keys=[nominated_by_id])
    photos: Mapped[list["StoryPhoto"]] = relationship(back_populates="story", order_by="StoryPhoto.position",
                                                      cascade="all, delete-orphan")
    steps: Mapped[list["StoryStep"]] = relationship(back_populates="story", order_by="StoryStep.id",
                                                    cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_lamtheo_stories_status_approved_at", "status", "approved_at"),
        Index("ix_lamtheo_stories_year_unit_id", "year", "unit_id"),
    )

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def subject_name(self) -> str:
        return self.member.full_name if self.member is not None else self.unit.name


class StoryPhoto(db.Model):
    """A photo re-encoded by us (no metadata), stored as a file under the instance folder."""
    __tablename__ = "lamtheo_story_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("lamtheo_stories.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    filename: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    caption: Mapped[str] = mapped_column(String(200), default="")

    story: Mapped[Story] = relationship(back_populates="photos")


class StoryStep(db.Model):
    """One step of a nomination's way up: who did what at which level, with the comment."""
    __tablename__ = "lamtheo_story_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("lamtheo_stories.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    story: Mapped[Story] = relationship(back_populates="steps")
    unit: Mapped[Unit] = relationship()
    actor: Mapped[User | None] = relationship()

    @property
    def action_label(self) -> str:
        return STEP_LABELS.get(self.action, self.action)
