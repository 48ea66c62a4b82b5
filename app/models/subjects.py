"""The controller's records about people: what access answers show and erasure really erases.

Every row hangs off a ``Person`` whose normalised e-mail is the identifier the person verifies.
One address may have several ``Person`` rows (a lead for two customers, or also a customer contact).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_type

if TYPE_CHECKING:
    from app.models.register import Purpose, Recipient


class PersonKind(StrEnum):
    LEAD = "lead"
    CUSTOMER_CONTACT = "customer_contact"


class Company(Base):
    """A company: a lead's employer, or a customer of the controller (``is_customer``)."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(200))
    is_customer: Mapped[bool] = mapped_column(default=False)


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (Index("ix_people_email", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    job_title: Mapped[str | None] = mapped_column(String(120))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[PersonKind] = mapped_column(enum_type(PersonKind))
    # Art. 14(2)(f) / 15(1)(g): where the data came from, in words a person understands.
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Art. 18: while set, the rows may only be stored.
    restricted_at: Mapped[datetime | None]
    restriction_ground: Mapped[str | None] = mapped_column(String(40))
    # Art. 21(2)-(3): an objection to direct marketing is absolute and immediate.
    marketing_objection_at: Mapped[datetime | None]

    company: Mapped[Company | None] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    communications: Mapped[list[Communication]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    technical_records: Mapped[list[TechnicalRecord]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    accounting_records: Mapped[list[AccountingRecord]] = relationship(back_populates="person")


class Assignment(Base):
    """A customer engagement the lead was contacted for; its end starts the retention clock."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # The customer's own system (e.g. its HubSpot) that received the lead: an Art. 19 recipient.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    campaign: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date, index=True)
    delivered_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(back_populates="assignments")
    customer: Mapped[Company] = relationship()
    recipient: Mapped[Recipient | None] = relationship()


class Communication(Base):
    __tablename__ = "communications"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL"), index=True
    )
    occurred_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))  # email, phone, linkedin, sms
    direction: Mapped[str] = mapped_column(String(10))  # outbound, inbound
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="communications")


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=30)
    status: Mapped[str] = mapped_column(String(20))  # booked, held, cancelled, no_show
    location: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="meetings")


class Consent(Base):
    """A consent given for a purpose (Art. 6(1)(a)); withdrawing it must be as easy (Art. 7(3))."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    purpose_id: Mapped[int] = mapped_column(ForeignKey("purposes.id"), index=True)
    given_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    evidence: Mapped[str] = mapped_column(String(300))  # how and where it was given
    wants_policy_notices: Mapped[bool] = mapped_column(default=False)

    person: Mapped[Person] = relationship(back_populates="consents")
    purpose: Mapped[Purpose] = relationship()

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class TechnicalRecord(Base):
    """Technical data from the controller's website (IP address, browser), per the policy."""

    __tablename__ = "technical_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(80))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(400))

    person: Mapped[Person] = relationship(back_populates="technical_records")


class AccountingRecord(Base):
    """Räkenskapsinformation about a customer contact: kept under BFL 7 kap. 2 § even on erasure."""

    __tablename__ = "accounting_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    document_number: Mapped[str] = mapped_column(String(40))
    document_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(300))
    amount_sek: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The invoice's "our reference" as printed on it: part of the räkenskapsinformation, so it
    # stays with the record when the person's other data are erased.
    reference_name: Mapped[str | None] = mapped_column(String(200))

    person: Mapped[Person | None] = relationship(back_populates="accounting_records")
