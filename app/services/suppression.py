"""The suppression list: keyed hashes of addresses that must not be re-imported or contacted.

An HMAC, not a plain hash: without the key nobody can test a guessed address against the list.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Suppression


def _key() -> bytes:
    configured = current_app.config.get("SUPPRESSION_KEY")
    if configured:
        return str(configured).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"suppression-list", hashlib.sha256).digest()


def address_hash(email: str) -> str:
    """The keyed hash of a normalised address (lower case, as the portal stores it)."""
    return hmac.new(_key(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def suppress(session: Session, email: str, *, reason: str, now: datetime) -> Suppression:
    """Add the address to the list (once; a second call returns the existing entry)."""
    digest = address_hash(email)
    entry = session.scalar(select(Suppression).where(Suppression.email_hash == digest))
    if entry is None:
        entry = Suppression(email_hash=digest, reason=reason, created_at=now)
        session.add(entry)
        session.flush()
    return entry


def is_suppressed(session: Session, email: str) -> bool:
    query = select(Suppression.id).where(Suppression.email_hash == address_hash(email))
    return session.scalar(query) is not None
