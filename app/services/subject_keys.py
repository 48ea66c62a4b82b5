"""Crypto-shredding for personal values the append-only audit trail must hold.

Rectification puts the old and new values in the audit trail (Art. 5(2): show what changed), but
the trail can never be edited, and an erasure must leave no readable trace. So such values are
sealed with a key per address; erasing the person deletes the key and the values become noise.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import SubjectKey
from app.services.suppression import address_hash

SHREDDED = None  # what ``unseal`` returns once the key is gone


def _key_for(session: Session, email: str, now: datetime) -> SubjectKey:
    digest = address_hash(email)
    row = session.scalar(select(SubjectKey).where(SubjectKey.email_hash == digest))
    if row is None:
        row = SubjectKey(email_hash=digest, key=Fernet.generate_key().decode(), created_at=now)
        session.add(row)
        session.flush()
    return row


def seal(session: Session, email: str, value: str | None, *, now: datetime) -> dict[str, str]:
    """Encrypt ``value`` under the address's key: ``{"key": <id>, "value": <token>}``."""
    row = _key_for(session, email, now)
    token = Fernet(row.key.encode()).encrypt((value or "").encode()).decode()
    return {"key": str(row.id), "value": token}


def unseal(session: Session, sealed: dict[str, str] | None) -> str | None:
    """The plain value, or ``None`` when the person was erased (or the data are not sealed)."""
    if not sealed or "key" not in sealed:
        return None
    row = session.get(SubjectKey, int(sealed["key"]))
    if row is None:
        return SHREDDED
    try:
        return Fernet(row.key.encode()).decrypt(sealed["value"].encode()).decode()
    except InvalidToken:
        return None


def shred(session: Session, email: str) -> int:
    """Delete the address's key; every value sealed with it is unreadable from now on."""
    result = session.execute(delete(SubjectKey).where(SubjectKey.email_hash == address_hash(email)))
    return result.rowcount or 0
