"""The people the browser tests sign in as: demo people from ``seed_demo``, or our own fallback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Company, Consent, Person, PersonKind, Purpose

CONSENT_PURPOSE = "direct_marketing"  # the register's purpose with consent as its legal basis


@dataclass(frozen=True)
class People:
    lead: str  # holds data, no active consent needed: the journeys
    with_consent: str  # has at least one active consent: consent withdrawal
    unknown: str = "ny.person@example.com"  # holds nothing


def _active_consent_addresses(session: Session, candidates: list[str]) -> list[str]:
    rows = session.scalars(
        select(Person.email)
        .join(Consent, Consent.person_id == Person.id)
        .where(Person.email.in_(candidates), Consent.withdrawn_at.is_(None))
        .distinct()
    )
    found = set(rows)
    return [address for address in candidates if address in found]


def _fallback_people(session: Session, now: datetime) -> People:
    """Two people of our own, for when the demo data are not available."""
    company = Company(name="Testbolaget Norr AB", city="Umeå")
    purpose = session.scalar(select(Purpose).where(Purpose.code == CONSENT_PURPOSE))
    assert purpose is not None, "the register must be seeded first"
    lead = Person(
        email="lena.lead@testbolaget.example",
        name="Lena Lead",
        kind=PersonKind.LEAD,
        company=company,
        source="Testbolagets webbplats",
        created_at=now - timedelta(days=60),
        updated_at=now - timedelta(days=60),
    )
    subscriber = Person(
        email="sam.samtycke@testbolaget.example",
        name="Sam Samtycke",
        kind=PersonKind.LEAD,
        company=company,
        source="Nyhetsbrevsanmälan på webbplatsen",
        created_at=now - timedelta(days=30),
        updated_at=now - timedelta(days=30),
    )
    subscriber.consents.append(
        Consent(purpose=purpose, given_at=now - timedelta(days=30), evidence="Formulär på webben")
    )
    session.add_all([lead, subscriber])
    session.flush()
    return People(lead=lead.email, with_consent=subscriber.email)


def seed_people(session: Session, now: datetime) -> People:
    """Seed 50 demo leads (with the fixed demo people) and pick who the tests sign in as."""
    try:
        from app.services.demo import seed_demo
    except ImportError:  # the demo module is optional for these tests
        return _fallback_people(session, now)
    addresses = list(seed_demo(session, leads=50, seed=1, now=now).demo_addresses)
    with_consent = _active_consent_addresses(session, addresses)
    if not with_consent:
        return _fallback_people(session, now)
    others = [a for a in addresses if a != with_consent[0]]
    return People(lead=others[0] if others else with_consent[-1], with_consent=with_consent[0])
