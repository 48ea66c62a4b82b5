"""Secrets that prove control of a mailbox, and the browser sessions they open.

Only hashes are stored: a database leak gives neither working links, codes nor sessions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class EmailToken(Base):
    """A single-use link and typed code mailed to an address, valid for a short time."""

    __tablename__ = "email_tokens"
    __table_args__ = (Index("ix_email_tokens_email_created_at", "email", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    # Set when a newer token replaces it or the code was guessed wrong too often.
    revoked_at: Mapped[datetime | None]


class SubjectSession(Base):
    """A verified browser session of a data subject, scoped to one mailbox, ended server-side."""

    __tablename__ = "subject_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
