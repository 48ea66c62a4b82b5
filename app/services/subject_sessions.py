"""Verified browser sessions of data subjects, stored server-side so logout and expiry are real.

The cookie carries a random secret; the database keeps its hash, the address, and the times.
A session proves control of a mailbox only, so it is short (security.md D13, B4).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.tokens import sha256_hex
from app.models import SubjectSession


def open_session(session: Session, *, email: str, now: datetime, lifetime: timedelta) -> str:
    """Start a verified session for ``email``; returns the secret for the cookie."""
    secret = secrets.token_urlsafe(32)
    session.add(
        SubjectSession(
            secret_hash=sha256_hex(secret),
            email=email,
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
        )
    )
    session.flush()
    return secret


def find_session(
    session: Session, secret: str, *, now: datetime, idle: timedelta
) -> SubjectSession | None:
    """The live session for a cookie secret, touched; None when ended, expired or idle too long."""
    row = session.scalar(
        select(SubjectSession).where(SubjectSession.secret_hash == sha256_hex(secret))
    )
    if row is None or row.ended_at is not None:
        return None
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        row.ended_at = now
        session.flush()
        return None
    # Touch at most once a minute: reading a page should not write on every request.
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
        session.flush()
    return row


def end_session(session: Session, secret: str, now: datetime) -> None:
    row = session.scalar(
        select(SubjectSession).where(SubjectSession.secret_hash == sha256_hex(secret))
    )
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.flush()
