"""The lead list pushed to a customer's CRM leaves out restricted, objecting and suppressed people.

Checked on seeded demo data plus people who share a company and have nearly the same name, so a
filter by name or company instead of by address would show.
"""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Assignment,
    AuditEntry,
    Recipient,
    RecipientKind,
)
from app.services import recipient_export, suppression
from app.services.fulfilment import restriction
from app.services.recipient_export import FIELDS, UnknownRecipientError, export_leads
from tests.conftest import Clock
from tests.factories import (
    ANNA,
    CAMPAIGN,
    COUSIN,
    NAMESAKE,
    Crowd,
    exported,
    lead,
)


class TestWhatIsExported:
    def test_every_delivered_lead_of_the_recipient_with_its_campaign_and_contact_details(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        rows = export_leads(session, crowd.recipient.id, now=clock())
        expected = session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.recipient_id == crowd.recipient.id,
                Assignment.delivered_at.is_not(None),
            )
        )
        assert len(rows) == expected
        assert len(rows) > 4  # the demo leads as well as the four added
        assert all(tuple(row) == FIELDS for row in rows)
        annas = [row for row in rows if row["email"] == ANNA]
        assert annas == 2 * [
            {
                "campaign": CAMPAIGN,
                "name": "Anna Lindqvist",
                "email": ANNA,
                "phone": "+46 70 111 22 33",
                "job_title": "Inköpschef",
                "company": "Norrsken Bygg AB",
            }
        ]

    def test_another_recipients_leads_and_undelivered_ones_are_not_in_it(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        other = session.scalars(
            select(Recipient).where(
                Recipient.kind == RecipientKind.CUSTOMER_SYSTEM, Recipient.id != crowd.recipient.id
            )
        ).first()
        assert other is not None
        company = crowd.anna[0].company
        assert company is not None
        lead(session, "erik.other@example.se", "Erik Other", company, crowd.customer_id, other,
             clock())  # fmt: skip
        lead(session, "nils.later@example.se", "Nils Later", company, crowd.customer_id,
             crowd.recipient, clock(), delivered=False)  # fmt: skip
        session.commit()
        addresses = exported(session, crowd, clock())
        assert "erik.other@example.se" not in addresses
        assert "nils.later@example.se" not in addresses
        assert "erik.other@example.se" in [
            row["email"] for row in export_leads(session, other.id, now=clock())
        ]

    def test_an_unknown_recipient_is_an_error(self, session: Session, crowd: Crowd) -> None:
        with pytest.raises(UnknownRecipientError):
            export_leads(session, 999_999, now=crowd.anna[0].created_at)

    def test_each_export_is_in_the_audit_trail_without_personal_data(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        rows = export_leads(session, crowd.recipient.id, now=clock())
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export.leads")).one()
        assert entry.data == {"recipient_id": crowd.recipient.id, "rows": len(rows)}


class TestWhoIsLeftOut:
    def test_a_restricted_address_is_left_out_and_everyone_else_stays(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        before = exported(session, crowd, clock())
        restriction.restrict_records(session, ANNA, "accuracy", now=clock())
        session.commit()
        after = exported(session, crowd, clock())
        assert ANNA in before
        assert ANNA not in after
        assert NAMESAKE in after
        assert COUSIN in after
        assert sorted(after) == sorted(a for a in before if a != ANNA)

    def test_one_restricted_record_of_two_leaves_the_other_in(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        first = crowd.anna[0]
        first.restricted_at = clock()
        first.restriction_ground = "accuracy"
        session.commit()
        assert exported(session, crowd, clock()).count(ANNA) == 1

    def test_an_objection_to_direct_marketing_leaves_the_person_out(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        for person in crowd.anna:
            person.marketing_objection_at = clock()
        session.commit()
        assert ANNA not in exported(session, crowd, clock())
        assert NAMESAKE in exported(session, crowd, clock())

    def test_a_suppressed_address_imported_again_is_left_out(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        suppression.suppress(session, ANNA, reason="erasure", now=clock())
        session.commit()  # the records themselves carry no flag: as if imported again
        addresses = exported(session, crowd, clock())
        assert ANNA not in addresses
        assert NAMESAKE in addresses
        assert COUSIN in addresses


class TestCsv:
    def test_the_csv_has_a_header_and_one_line_per_row(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        rows = export_leads(session, crowd.recipient.id, now=clock())
        rows.append({**rows[0], "phone": None, "name": 'Karin "Kajsa" Ek, Jr'})
        stream = io.StringIO()
        recipient_export.write_csv(rows, stream)
        back = list(csv.DictReader(io.StringIO(stream.getvalue())))
        assert tuple(back[0]) == FIELDS
        assert len(back) == len(rows)
        assert back[-1]["name"] == 'Karin "Kajsa" Ek, Jr'
        assert back[-1]["phone"] == ""


class TestSuppressionCheck:
    def test_many_addresses_are_checked_in_chunks(self, app: Flask, session: Session,
                                                 clock: Clock) -> None:  # fmt: skip
        addresses = [f"person{i}@example.se" for i in range(1200)]
        for address in addresses[::300]:
            suppression.suppress(session, address, reason="objection", now=clock())
        assert restriction.suppressed_addresses(session, addresses) == set(addresses[::300])
