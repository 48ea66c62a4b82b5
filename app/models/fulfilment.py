"""What carrying out a request leaves behind: delivered packages and Art. 19 notices.

A ``Delivery`` is an access or portability package: built, previewed by a handler, released to the
person, downloaded (each download logged) and deleted when its link expires; its files' hashes stay
as proof of what was delivered (legal.md §6). A ``RecipientNotice`` tells one recipient about one
rectification, erasure or restriction (Art. 19). A notice of a case never stores the person's
address, which the case keeps, so erasing the records leaves none here. A notice without a case
(the privacy officer's erasure of records past their retention rule) keeps the address only until
the recipient has it (``RecipientNotice.address``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import stockholm_date
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


RETENTION_REFERENCE = "RETENTION"
"""The reference of a notice without a case, followed by the day it was made."""


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
    """One Art. 19 notice to one recipient.

    A notice of a case (``request_id``) names the person by the case's address, read when it is
    sent. A notice without a case comes from an erasure of records past their retention rule
    (``retention.erase_batch``): no case holds the address, so the notice keeps it in ``address``,
    the minimum Art. 19 needs (the recipient must be able to find the record it is told to
    erase), and only until the recipient has it: it is cleared (NULL) as soon as the notice is
    sent, confirmed or recorded as not notified. A notice with a case never fills it.
    """

    __tablename__ = "recipient_notices"
    __table_args__ = (
        UniqueConstraint("request_id", "recipient_id", "action", "round"),
        Index("ix_recipient_notices_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a retention erasure's notice, which has no case.
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"), index=True)
    # Only without a case, and only until sent, confirmed or not notified (class docstring).
    address: Mapped[str | None] = mapped_column(String(254))
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

    request: Mapped[SubjectRequest | None] = relationship()
    recipient: Mapped[Recipient] = relationship()

    @property
    def reference(self) -> str:
        """What the recipient quotes: the case's reference, or a retention erasure's marker."""
        if self.request is not None:
            return self.request.reference
        return f"{RETENTION_REFERENCE}-{stockholm_date(self.created_at).isoformat()}"

    @property
    def subject_email(self) -> str:
        """The person's address as the recipient gets it (empty once a notice without a case is
        sent, or once its case is reduced to its minimal log)."""
        if self.request is not None:
            return self.request.email
        return self.address or ""
