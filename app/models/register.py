"""The Art. 30 register: controller facts, purposes, recipients and retention rules.

Seeded from the company's policy with the corrections of legal.md §7, and edited by the privacy
officer; receipts, access packages and the public policy read from here, never from templates.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, enum_type


class LegalBasis(StrEnum):
    """Art. 6(1) legal bases used by the controller."""

    CONSENT = "6.1.a"
    CONTRACT = "6.1.b"
    LEGAL_OBLIGATION = "6.1.c"
    LEGITIMATE_INTEREST = "6.1.f"


class RecipientKind(StrEnum):
    PROCESSOR = "processor"
    CUSTOMER_SYSTEM = "customer_system"
    AUTHORITY = "authority"


class RetentionTrigger(StrEnum):
    """The event from which a retention period counts."""

    ASSIGNMENT_END = "assignment_end"
    LAST_CONTACT = "last_contact"
    CONTRACT_END = "contract_end"
    FISCAL_YEAR_END = "fiscal_year_end"
    COLLECTED = "collected"
    WITHDRAWAL = "withdrawal"
    CASE_CLOSED = "case_closed"


class ControllerInfo(Base):
    """The controller's identity and contact details (Art. 13(1)(a)); one row."""

    __tablename__ = "controller_info"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str] = mapped_column(String(20))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(60))
    email: Mapped[str] = mapped_column(String(254))
    dpo_email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(200))

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class Purpose(Base):
    """A purpose of processing with its legal basis and the data categories it uses."""

    __tablename__ = "purposes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_sv: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[LegalBasis] = mapped_column(enum_type(LegalBasis, length=8))
    # For Art. 6(1)(f): the legitimate interest pursued (Art. 13(1)(d), 14(2)(b)).
    interest_sv: Mapped[str | None] = mapped_column(Text)
    interest_en: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class Recipient(Base):
    """Someone who receives personal data: a processor, a customer's system, an authority."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RecipientKind] = mapped_column(enum_type(RecipientKind))
    service_sv: Mapped[str] = mapped_column(String(200))
    service_en: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    safeguard_sv: Mapped[str | None] = mapped_column(Text)  # Art. 46 / DPF, for third countries
    safeguard_en: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    # Shared with the recipient, who checks the HMAC signature of each notice with it.
    webhook_secret: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)


class RetentionRule(Base):
    """How long one category of data is kept, and from which event (Art. 13(2)(a), 15(1)(d))."""

    __tablename__ = "retention_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(40), unique=True)
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    months: Mapped[int]
    trigger: Mapped[RetentionTrigger] = mapped_column(enum_type(RetentionTrigger))
    description_sv: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    legal_reference: Mapped[str | None] = mapped_column(String(200))
