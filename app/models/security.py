"""Secrets that prove control of a mailbox, and the browser sessions they open.

Only hashes are stored: a database leak gives neither working links, codes nor sessions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, Index, String, event
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


class AuditEntry(Base):
    """Who did or saw what, when, on which case or person. Append-only: never updated or deleted.

    Holds identifiers, never the personal data itself (a case reference, a person id, field names).
    Case and person are plain columns, not foreign keys: the trail outlives erased rows.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_occurred_at", "occurred_at"),
        Index("ix_audit_entries_actor_id_occurred_at", "actor_id", "occurred_at"),
        Index("ix_audit_entries_request_id", "request_id"),
        Index("ix_audit_entries_action", "action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None]  # staff id; None for the system or the person themself
    actor: Mapped[str] = mapped_column(String(60))  # "staff:<id>", "system", "subject"
    action: Mapped[str] = mapped_column(String(60))  # e.g. "case.view", "case.extend"
    request_id: Mapped[int | None]
    reference: Mapped[str | None] = mapped_column(String(20))
    person_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# The database itself refuses to change or remove audit rows, whatever code runs against it.
AUDIT_APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
]
AUDIT_APPEND_ONLY_POSTGRESQL = [
    "CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$",
    "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
]
for _statement in AUDIT_APPEND_ONLY_SQLITE:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in AUDIT_APPEND_ONLY_POSTGRESQL:
    event.listen(
        AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )


class Suppression(Base):
    """A keyed hash (HMAC) of an address that must not be imported or contacted again.

    Kept after an erasure or an objection instead of the address itself (design.md §3).
    """

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(20))  # "erasure" or "objection"
    created_at: Mapped[datetime]


class SubjectKey(Base):
    """A per-address key that encrypts personal values the append-only audit trail must hold.

    Erasing the person deletes the key, which leaves the audit values unreadable (crypto-shredding):
    the trail stays intact and proves what changed, yet no longer holds the erased data.
    """

    __tablename__ = "subject_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key: Mapped[str] = mapped_column(String(64))  # Fernet key, URL-safe base64
    created_at: Mapped[datetime]
