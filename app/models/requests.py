"""Data-subject requests ("cases") and their append-only timeline.

The case row keeps what legal.md §6 lists: reference, channel, receipt, deadlines, the original
wording and the decisions; the status changes only through ``processing.transition()``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.workflow import Channel, RequestStatus, RequestType
from app.db import Base, enum_type
from app.models.staff import StaffUser


class ReferenceCounter(Base):
    """Hands out the running number of ``DSR-<year>-<number>`` references, one row per year."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class SubjectRequest(Base):
    __tablename__ = "subject_requests"
    __table_args__ = (
        Index("ix_subject_requests_status_due_on", "status", "due_on"),
        Index("ix_subject_requests_type_due_on", "type", "due_on"),
        Index("ix_subject_requests_email", "email"),
        Index("ix_subject_requests_assignee_id_due_on", "assignee_id", "due_on"),
        Index("ix_subject_requests_due_on", "due_on"),
        # The queue reads a type or an assignee per status in deadline order (services/queue.py);
        # without these, "my open cases" or "open erasures" read every such case ever filed.
        Index("ix_subject_requests_type_status_due_on", "type", "status", "due_on"),
        Index("ix_subject_requests_assignee_id_status_due_on", "assignee_id", "status", "due_on"),
        # The dashboard and the register (services/reporting.py): each figure is one range of
        # one of these, in the period chosen, however many cases there are outside it.
        Index("ix_subject_requests_received_on", "received_on"),
        Index("ix_subject_requests_received_on_type", "received_on", "type"),
        Index("ix_subject_requests_closed_on_closed_on_time", "closed_on", "closed_on_time"),
        Index(
            "ix_subject_requests_closed_on_type_on_time_days",
            "closed_on",
            "type",
            "closed_on_time",
            "days_to_close",
        ),
        Index("ix_subject_requests_extension_notified_at", "extension_notified_at"),
        Index("ix_subject_requests_refusal_notified_at", "refusal_notified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[RequestType] = mapped_column(enum_type(RequestType))
    status: Mapped[RequestStatus] = mapped_column(enum_type(RequestStatus))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    language: Mapped[str] = mapped_column(String(2))  # the person's language, for every e-mail
    email: Mapped[str] = mapped_column(String(254))  # the verified address (normalised)
    # What the person asked for, as structured by the form, and their own words, kept unchanged.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    original_text: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    received_on: Mapped[date] = mapped_column(Date)  # Europe/Stockholm date the law counts from
    verified_at: Mapped[datetime | None]
    legal_due_on: Mapped[date] = mapped_column(Date)
    extended_due_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # the deadline in force: legal or extended
    closed_at: Mapped[datetime | None]
    # Written by processing.transition() when the case closes, so that the dashboard counts them
    # off an index instead of working them out row by row (core/stats.closing_figures).
    closed_on: Mapped[date | None] = mapped_column(Date)  # Europe/Stockholm date of closed_at
    days_to_close: Mapped[int | None]  # calendar days from received_on to closed_on
    closed_on_time: Mapped[bool | None]  # closed_on <= due_on in force; None if withdrawn
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # Art. 12(3): one extension, with reasons told to the person within the first month.
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_notified_at: Mapped[datetime | None]
    # Art. 12(4): a refusal (whole or partial) with its legal ground and reasons.
    refusal_scope: Mapped[str | None] = mapped_column(String(10))  # "whole" or "partial"
    refusal_ground: Mapped[str | None] = mapped_column(String(40))
    refusal_reasons: Mapped[str | None] = mapped_column(Text)
    refusal_notified_at: Mapped[datetime | None]
    # One-time key of the form that filed it: a double submit files one case (L2).
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )
    messages: Mapped[list[Message]] = relationship(
        back_populates="request", order_by="Message.id", cascade="all, delete-orphan"
    )
    notes: Mapped[list[CaseNote]] = relationship(
        order_by="CaseNote.id", cascade="all, delete-orphan"
    )
    approvals: Mapped[list[Approval]] = relationship(
        back_populates="request", order_by="Approval.id", cascade="all, delete-orphan"
    )
    assignee: Mapped[StaffUser | None] = relationship()

    @property
    def is_extended(self) -> bool:
        return self.extended_due_on is not None

    @property
    def is_open(self) -> bool:
        return self.status.is_open


class RequestEvent(Base):
    """One entry of a case's timeline; rows are only ever added."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[RequestStatus | None] = mapped_column(
        enum_type(RequestStatus, name="from_status")
    )
    to_status: Mapped[RequestStatus | None] = mapped_column(
        enum_type(RequestStatus, name="to_status")
    )
    actor: Mapped[str] = mapped_column(String(40))  # "subject", "system", "staff:<id>"
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    visible_to_subject: Mapped[bool] = mapped_column(default=True)

    request: Mapped[SubjectRequest] = relationship(back_populates="events")


class Message(Base):
    """A message between staff and the person, shown on the person's status page.

    E-mails only say that a message waits; the text itself is read after verifying.
    """

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    from_subject: Mapped[bool]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    request: Mapped[SubjectRequest] = relationship(back_populates="messages")
    staff: Mapped[StaffUser | None] = relationship()


class CaseNote(Base):
    """An internal note on a case; never shown to the person."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    staff: Mapped[StaffUser] = relationship()


class ApprovalKind(StrEnum):
    EXTENSION = "extension"
    REFUSAL = "refusal"
    ERASURE = "erasure"  # an erasure plan: what is erased and what is kept, and why
    OBJECTION = "objection"  # an Art. 21(1) decision: stop, or compelling grounds


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Approval(Base):
    """A decision a handler proposes and the privacy officer approves or rejects (four eyes)."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_status_request_id", "status", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ApprovalKind] = mapped_column(enum_type(ApprovalKind))
    status: Mapped[ApprovalStatus] = mapped_column(enum_type(ApprovalStatus))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    proposed_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)

    request: Mapped[SubjectRequest] = relationship(back_populates="approvals")
    proposed_by: Mapped[StaffUser] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[StaffUser | None] = relationship(foreign_keys=[decided_by_id])


class ReminderLog(Base):
    """One row per reminder sent, so each goes out once (``kind``: due_soon, overdue)."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("kind", "staff_id", "request_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    due_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime]
