"""Published versions of the public privacy policy, and the log of who was told about each.

A version freezes what the register said when it was published (``snapshot``), so the history
shows each version as it was, whatever the register says later. The notice log holds keyed hashes
of addresses, never the addresses themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class PolicyVersion(Base):
    """One published version of the privacy policy, in force from ``effective_from``."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # A Stockholm date: the version is in force from the start of that day.
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    summary_sv: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    # The register as published (controller, purposes, recipients, retention, authority).
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    # When the notice e-mails of this version were all queued; None until then.
    announced_at: Mapped[datetime | None]


class PolicyNotice(Base):
    """One address told about one version: the keyed hash only, so the log keeps no address."""

    __tablename__ = "policy_notices"
    __table_args__ = (UniqueConstraint("version_id", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id", ondelete="CASCADE"))
    address_hash: Mapped[str] = mapped_column(String(64))
    queued_at: Mapped[datetime]
