"""What carrying out a request leaves behind: delivered packages and Art. 19 notices.

A ``Delivery`` is an access or portability package: built, previewed by a handler, released to the
person, downloaded (each download logged) and deleted when its link expires; its files' hashes stay
as proof of what was delivered (legal.md §6). A ``RecipientNotice`` tells one recipient about one
rectification, erasure or restriction (Art. 19); it never stores the person's address, which the
case keeps, so erasing the records leaves none here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_type
from app.models.register import Recipient
from app.models.requests import SubjectRequest


class DeliveryKind(StrEnum):
    ACCESS = "access"  # Art. 15: the data and the information of Art. 15(1)-(2)
    PORTABILITY = "portability"  # Art. 20: the data the person provided, machine-readable


class DeliveryStatus(StrEnum):
    PREVIEW = "preview"  # built; a handler checks it before the person may download it
    RELEASED = "released"  # the person may download it until ``expires_at``
    SUPERSEDED = "superseded"  # a newer build replaced it before release
    EXPIRED = "expired"  # the link ran out and the files were deleted


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_expires_at", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DeliveryKind] = mapped_column(enum_type(DeliveryKind))
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus))
    language: Mapped[str] = mapped_column(String(2))
    built_at: Mapped[datetime]
    built_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    released_at: Mapped[datetime | None]
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    expires_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]  # when the files' contents were removed
    # Counts per section (no personal data), for the case page and the register.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    request: Mapped[SubjectRequest] = relationship()
    files: Mapped[list[DeliveryFile]] = relationship(
        back_populates="delivery", order_by="DeliveryFile.id", cascade="all, delete-orphan"
    )


class DeliveryFile(Base):
    """One rendering of a package (PDF, JSON, CSV archive); the content goes when it expires."""

    __tablename__ = "delivery_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    format: Mapped[str] = mapped_column(String(10))  # pdf, json, csv
    filename: Mapped[str] = mapped_column(String(120))
    media_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: listing a case's deliveries never reads the files themselves.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    delivery: Mapped[Delivery] = relationship(back_populates="files")


class DeliveryDownload(Base):
    """One download by the person (legal.md §6: delivery of the copy, with its time)."""

    __tablename__ = "delivery_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("delivery_files.id", ondelete="CASCADE"))
    downloaded_at: Mapped[datetime]


class NoticeAction(StrEnum):
    """What a recipient is told to do (Art. 19 covers Arts. 16, 17(1) and 18)."""

    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    RESTRICTION_LIFTED = "restriction_lifted"


class NoticeMethod(StrEnum):
    WEBHOOK = "webhook"  # a signed JSON POST to the recipient's endpoint, retried by the worker
    EMAIL = "email"  # an e-mail to the recipient's privacy contact
    NONE = "none"  # no channel on record: staff notify by other means or record why not


class NoticeStatus(StrEnum):
    PENDING = "pending"  # waiting to be sent (or retried)
    SENT = "sent"  # delivered; the recipient has not yet confirmed
    CONFIRMED = "confirmed"  # the recipient confirmed it acted
    NOT_NOTIFIED = (
        "not_notified"  # an officer recorded why notifying is impossible/disproportionate
    )

    @property
    def is_decided(self) -> bool:
        return self in (NoticeStatus.CONFIRMED, NoticeStatus.NOT_NOTIFIED)


class RecipientNotice(Base):
    __tablename__ = "recipient_notices"
    __table_args__ = (
        UniqueConstraint("request_id", "recipient_id", "action", "round"),
        Index("ix_recipient_notices_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"), index=True)
    action: Mapped[NoticeAction] = mapped_column(enum_type(NoticeAction))
    # A second round of the same action on the same case (a restriction lifted, then set again).
    round: Mapped[int] = mapped_column(default=1)
    method: Mapped[NoticeMethod] = mapped_column(enum_type(NoticeMethod))
    status: Mapped[NoticeStatus] = mapped_column(enum_type(NoticeStatus))
    # Sent with every attempt (``Idempotency-Key``): the recipient acts once however often we retry.
    key: Mapped[str] = mapped_column(String(36), unique=True)
    # What changed (field names, new values of a rectification); never the address itself.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    confirmation: Mapped[str | None] = mapped_column(Text)  # how or what the recipient confirmed
    not_notified_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    request: Mapped[SubjectRequest] = relationship()
    recipient: Mapped[Recipient] = relationship()
