"""What the controller holds about a verified address: found by e-mail, every table."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    AccountingRecord,
    Assignment,
    Communication,
    Consent,
    Meeting,
    Person,
    Purpose,
    TechnicalRecord,
)


@dataclass(frozen=True)
class Holdings:
    """Counts per kind of data, shown to a verified person before they choose a request."""

    records: int
    companies: int
    assignments: int
    communications: int
    meetings: int
    consents: int
    technical_records: int
    accounting_records: int

    @property
    def any(self) -> bool:
        return self.records > 0


def person_ids(session: Session, email: str) -> list[int]:
    return list(session.scalars(select(Person.id).where(Person.email == email)))


def holdings(session: Session, email: str) -> Holdings:
    ids = select(Person.id).where(Person.email == email).scalar_subquery()

    def count(column: object, *where: object) -> int:
        return session.scalar(select(func.count(column)).where(*where)) or 0  # type: ignore[arg-type]

    return Holdings(
        records=count(Person.id, Person.email == email),
        companies=count(
            func.distinct(Person.company_id), Person.email == email, Person.company_id.is_not(None)
        ),
        assignments=count(Assignment.id, Assignment.person_id.in_(ids)),
        communications=count(Communication.id, Communication.person_id.in_(ids)),
        meetings=count(Meeting.id, Meeting.person_id.in_(ids)),
        consents=count(Consent.id, Consent.person_id.in_(ids)),
        technical_records=count(TechnicalRecord.id, TechnicalRecord.person_id.in_(ids)),
        accounting_records=count(AccountingRecord.id, AccountingRecord.person_id.in_(ids)),
    )


def active_consents(session: Session, email: str) -> list[Consent]:
    """Consents of this address not yet withdrawn, with their purpose, oldest first."""
    return list(
        session.scalars(
            select(Consent)
            .join(Person, Consent.person_id == Person.id)
            .join(Purpose, Consent.purpose_id == Purpose.id)
            .where(Person.email == email, Consent.withdrawn_at.is_(None))
            .order_by(Consent.given_at, Consent.id)
        )
    )
