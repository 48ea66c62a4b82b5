"""Withdrawal of consent (Art. 7(3)): takes effect at once, as easily as consent was given."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.models import Consent
from app.services.subjects import active_consents


def withdraw_consents(
    session: Session, *, email: str, consent_ids: list[int], now: datetime
) -> list[Consent]:
    """Withdraw the chosen active consents of this address; ids of anyone else are ignored."""
    chosen = set(consent_ids)
    withdrawn = [c for c in active_consents(session, email) if c.id in chosen]
    for consent in withdrawn:
        consent.withdrawn_at = now
    session.flush()
    return withdrawn
