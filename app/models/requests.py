"""Data-subject requests ("cases") and their append-only timeline.

The case row keeps what legal.md §6 lists: reference, channel, receipt, deadlines, the original
wording and the decisions; the status changes only through ``processing.transition()``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.workflow import Channel, RequestStatus, RequestType
from app.db import Base, enum_type


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
    # One-time key of the form that filed it: a double submit files one case (L2).
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )

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
