"""Shared builders for the tests: cases filed straight through the intake service, recipients and
their Art. 19 notices, and a crowd of look-alike people on seeded demo data.

Everything is made through the real services on the test's database; nothing is mocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.workflow import RequestType
from app.models import (
    Assignment,
    Company,
    NoticeAction,
    Person,
    PersonKind,
    Recipient,
    RecipientKind,
    RecipientNotice,
    SubjectRequest,
)
from app.services import intake, notices
from app.services.demo import seed_demo
from app.services.recipient_export import export_leads

if TYPE_CHECKING:
    from tests.conftest import Clock

# --- cases ------------------------------------------------------------------------------------


def file_case(
    session: Session, clock: Clock, type: RequestType, details: dict[str, Any], *, email: str,
    language: str = "en",
) -> SubjectRequest:  # fmt: skip
    """A verified request filed through intake at the clock's time, committed."""
    case = intake.file_request(
        session, email=email, type=type, details=details, original_text=None,
        language=language, now=clock(),
    )  # fmt: skip
    session.commit()
    return case


def today(clock: Clock) -> date:
    """The clock's date in Stockholm, the date the law counts in."""
    return stockholm_date(clock())


def rectifiable(session: Session, person_id: int) -> tuple[Any, ...]:
    """The values of a record that rectification may change, as stored now, and its timestamp."""
    session.expire_all()
    person = session.get(Person, person_id)
    assert person is not None
    return (person.name, person.phone, person.job_title, person.company_id, person.updated_at)


# --- recipients and Art. 19 notices -------------------------------------------------------------

NEW_PHONE = "070-999 88 77"


def add_recipient(session: Session, name: str, **channel: str) -> Recipient:
    """A customer system that received leads; ``channel`` is its webhook or contact address."""
    found = Recipient(
        name=name,
        kind=RecipientKind.CUSTOMER_SYSTEM,
        service_sv="Kundens CRM-system",
        service_en="The customer's CRM system",
        country="SE",
        **channel,
    )
    session.add(found)
    session.flush()
    return found


def rectification_notices(
    session: Session, case: SubjectRequest, recipients: list[Recipient], clock: Clock
) -> list[RecipientNotice]:
    """Notices of a corrected phone number to ``recipients``, as rectification makes them."""
    made = notices.create_notices(
        session, case, NoticeAction.RECTIFICATION, recipients=recipients,
        details={"phone": NEW_PHONE}, now=clock(),
    )  # fmt: skip
    session.commit()
    return made


def notices_of(
    session: Session, case: SubjectRequest, action: NoticeAction
) -> list[RecipientNotice]:
    """The case's notices of one kind."""
    return list(
        session.scalars(
            select(RecipientNotice).where(
                RecipientNotice.request_id == case.id, RecipientNotice.action == action
            )
        )
    )


def fresh_notice(session: Session, notice: RecipientNotice) -> RecipientNotice:
    """The notice as stored now."""
    session.expire_all()
    return session.get_one(RecipientNotice, notice.id)


# --- a crowd of look-alikes on demo data ------------------------------------------------------

ANNA = "anna.lindqvist@norrskenbygg.se"
NAMESAKE = "anna.lindqvist@norrsken-bygg.se"  # same name, same company name, other address
COUSIN = "anna.lindkvist@norrskenbygg.se"  # one letter apart, same company
CAMPAIGN = "Vårkampanj energieffektivisering"


@dataclass
class Crowd:
    """Seeded demo data plus Anna (two records) and two people easily confused with her."""

    recipient: Recipient
    customer_id: int
    anna: list[Person]
    others: list[Person]


def busiest_recipient(session: Session) -> tuple[Recipient, int]:
    """The customer system that received the most leads, and the customer it belongs to."""
    recipient_id, customer_id = session.execute(
        select(Assignment.recipient_id, Assignment.customer_id)
        .where(Assignment.delivered_at.is_not(None))
        .group_by(Assignment.recipient_id, Assignment.customer_id)
        .order_by(func.count(Assignment.id).desc(), Assignment.recipient_id)
        .limit(1)
    ).one()
    return session.get_one(Recipient, recipient_id), customer_id


def lead(
    session: Session,
    email: str,
    name: str,
    company: Company,
    customer_id: int,
    recipient: Recipient,
    now: datetime,
    *,
    delivered: bool = True,
) -> Person:
    person = Person(
        email=email,
        name=name,
        phone="+46 70 111 22 33",
        job_title="Inköpschef",
        company=company,
        kind=PersonKind.LEAD,
        source="LinkedIn",
        created_at=now - timedelta(days=30),
        updated_at=now - timedelta(days=30),
    )
    person.assignments.append(
        Assignment(
            customer_id=customer_id,
            recipient_id=recipient.id,
            campaign=CAMPAIGN,
            started_on=date(2026, 10, 1),
            delivered_at=now - timedelta(days=10) if delivered else None,
        )
    )
    session.add(person)
    return person


def build_crowd(session: Session, now: datetime, *, leads: int = 150) -> Crowd:
    seed_demo(session, leads=leads, now=now)
    recipient, customer_id = busiest_recipient(session)
    company = Company(name="Norrsken Bygg AB", org_number="556677-8899", city="Umeå")
    anna = [
        lead(session, ANNA, "Anna Lindqvist", company, customer_id, recipient, now),
        lead(session, ANNA, "Anna Lindqvist", company, customer_id, recipient, now),
    ]
    others = [
        lead(session, NAMESAKE, "Anna Lindqvist", company, customer_id, recipient, now),
        lead(session, COUSIN, "Anna Lindkvist", company, customer_id, recipient, now),
    ]
    session.commit()
    return Crowd(recipient=recipient, customer_id=customer_id, anna=anna, others=others)


def exported(session: Session, crowd: Crowd, now: datetime) -> list[str]:
    """The addresses in the recipient's export, one per row."""
    session.expire_all()
    return [row["email"] for row in export_leads(session, crowd.recipient.id, now=now)]
