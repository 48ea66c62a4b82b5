"""Objection (Art. 21). Against direct marketing it is absolute and immediate (Art. 21(3))."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Consent, Person, Purpose

DIRECT_MARKETING = "direct_marketing"


def stop_direct_marketing(session: Session, *, email: str, now: datetime) -> int:
    """Mark every record of the address as objecting and end its marketing consents.

    Returns how many records were marked; outreach lists leave out marked records.
    """
    people = list(session.scalars(select(Person).where(Person.email == email)))
    for person in people:
        if person.marketing_objection_at is None:
            person.marketing_objection_at = now
    consents = session.scalars(
        select(Consent)
        .join(Purpose, Consent.purpose_id == Purpose.id)
        .where(
            Consent.person_id.in_([p.id for p in people]),
            Consent.withdrawn_at.is_(None),
            Purpose.code == DIRECT_MARKETING,
        )
    )
    for consent in consents:
        consent.withdrawn_at = now
    session.flush()
    return len(people)
