"""The lead list the controller pushes to a customer's CRM: one row per delivered assignment.

Restricted records may only be stored (Art. 18(2)), an objection to direct marketing is absolute
(Art. 21(3)) and a suppressed address must not be contacted again, so all of them are left out
(``restriction.processable_rows``). Each export is in the audit trail, with counts only.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Assignment, Company, Person, Recipient
from app.services import audit
from app.services.fulfilment.restriction import processable_rows

# The columns of the export, in order: what the customer's CRM receives about each lead.
FIELDS = ("campaign", "name", "email", "phone", "job_title", "company")


class UnknownRecipientError(LookupError):
    """No recipient has the id asked for."""


def export_leads(session: Session, recipient_id: int, *, now: datetime) -> list[dict[str, Any]]:
    """The leads delivered to this recipient up to ``now`` that may be processed, oldest first.

    :raises UnknownRecipientError: when there is no such recipient.
    """
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise UnknownRecipientError(recipient_id)
    query = (
        select(
            Assignment.campaign.label("campaign"),
            Person.name.label("name"),
            Person.email.label("email"),
            Person.phone.label("phone"),
            Person.job_title.label("job_title"),
            Company.name.label("company"),
        )
        .join(Person, Person.id == Assignment.person_id)
        .outerjoin(Company, Company.id == Person.company_id)
        .where(
            Assignment.recipient_id == recipient.id,
            Assignment.delivered_at.is_not(None),
            Assignment.delivered_at <= now,
        )
        .order_by(Assignment.delivered_at, Assignment.id)
    )
    rows = [dict(row._mapping) for row in processable_rows(session, query)]
    audit.record(
        session,
        action="export.leads",
        now=now,
        data={"recipient_id": recipient.id, "rows": len(rows)},
    )
    return rows


def write_csv(rows: list[dict[str, Any]], stream: TextIO) -> None:
    """The rows as CSV (UTF-8 text, a header line, empty cells for missing values)."""
    writer = csv.DictWriter(stream, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name) or "" for name in FIELDS})
