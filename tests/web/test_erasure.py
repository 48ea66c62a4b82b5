"""Erasure through the pages: the person asks, the handler proposes the plan, only the officer can
approve it, approving carries it out and leaves no trace, and the person reads the confirmation.

On seeded demo data (with look-alike colleagues of the person), through the Flask test client,
real SQLite and a real SMTP server.
"""

from __future__ import annotations

import re
from datetime import date

from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.models import (
    AccountingRecord,
    ApprovalStatus,
    Communication,
    Person,
    StaffUser,
    SubjectSession,
    Suppression,
)
from app.services import suppression
from app.services.demo import ANNA, KARIN
from tests.conftest import Clock
from tests.helpers import page_text, squash, text_of, verify
from tests.services.test_erasure import (
    ANNA_NAME,
    ANNA_PHONE,
    KARIN_NAME,
    LOOKALIKES,
    disallowed,
    rows_of,
    traces,
    untouched_rows,
)
from tests.services.test_erasure import seeded as seeded  # fixture, used by name
from tests.smtp import Mailbox
from tests.web.case_steps import (
    acted,
    decide,
    file_case,
    flash_error,
    pending_approval,
    refused_with,
    staff,
    subject,
)

REASONS = "Lead data no longer needed for the assignment (Art. 17.1 a)."


def anna_asks_for_erasure(app: Flask, mailbox: Mailbox) -> tuple[FlaskClient, str]:
    """Anna of the demo data confirms her address and asks for all her data to be erased."""
    anna = subject(app, mailbox, ANNA)
    return anna, file_case(anna, "erasure", {"scope": "all", "ground": "not_needed"})


def plan_row(page: str, label: str) -> str:
    """The plan table's row of a category, as text."""
    found = re.search(rf"<th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", page, re.S)
    assert found, label
    return squash(re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def propose(hanna: FlaskClient, reference: str) -> str:
    return acted(hanna, reference, "erasure-plan", **{"erasure_plan-reasons": REASONS})


class TestErasureOfALead:
    def test_proposed_approved_carried_out_without_a_trace_and_confirmed(
        self, app: Flask, seeded: None, handler: StaffUser, officer: StaffUser,
        session: Session, mailbox: Mailbox, clock: Clock,
    ) -> None:  # fmt: skip
        anna, reference = anna_asks_for_erasure(app, mailbox)
        hanna, olof = staff(app, handler), staff(app, officer)
        held = rows_of(session, ANNA)
        others = untouched_rows(session, held)

        # Before the proposal: today's plan, row counts per category, nothing kept.
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "Erasure plan" in page
        row = plan_row(page, "Communication history (e-mails, calls, messages)")
        assert row == f"{len(held['communications'])} 0 – –"
        assert "Propose the plan to the privacy officer" in page

        page = squash(propose(hanna, reference))
        assert "carried out when the privacy officer approves it" in page
        assert REASONS in page
        assert "Waiting for the privacy officer" in page
        assert rows_of(session, ANNA) == held

        # A handler cannot approve: the decision URL is the officer's.
        approval = pending_approval(session, reference)
        assert decide(hanna, reference, approval, "approve").status_code == 403
        assert rows_of(session, ANNA) == held

        clock.advance(minutes=5)
        answer = decide(olof, reference, approval, "approve")
        assert answer.status_code == 303
        page = squash(page_text(olof.get(f"/staff/cases/{reference}")))
        assert "The erasure is carried out" in page
        assert "Carried out: approved by Olof Ombud" in page
        assert plan_row(page_text(olof.get(f"/staff/cases/{reference}")), "Booked meetings") == (
            f"{len(held['meetings'])} 0 – –"
        )

        # No trace of her outside the case log; the others are as they were.
        hits = traces(session, [ANNA, ANNA_NAME, ANNA_PHONE])
        assert disallowed(session, ANNA, hits) == []
        assert {h.table for h in hits} <= {"subject_requests", "outbound_emails", "messages"}
        assert untouched_rows(session, held) == others
        for email, name in LOOKALIKES:
            assert session.scalars(select(Person.name).where(Person.email == email)).one() == name
        hashes = session.scalars(select(Suppression.email_hash)).all()
        assert hashes == [suppression.address_hash(ANNA)]
        assert session.scalars(select(SubjectSession)).all() == []

        # Her browser's session went with the erasure: she confirms her address again and
        # reads the confirmation; the e-mail only said a message waits.
        assert anna.get(f"/cases/{reference}").status_code == 302
        told = mailbox.last_to(ANNA)
        assert "Communication history" not in text_of(told)
        verify(anna, mailbox, ANNA)
        status = squash(page_text(anna.get(f"/cases/{reference}")))
        assert "We have carried out your request" in status
        assert (
            f"Communication history (e-mails, calls, messages): {len(held['communications'])}"
            in (status)
        )
        assert "Your data were erased" in status
        assert "What we have kept" not in status

    def test_a_stale_plan_is_refused_and_changes_nothing(
        self, app: Flask, seeded: None, handler: StaffUser, officer: StaffUser,
        session: Session, mailbox: Mailbox, clock: Clock,
    ) -> None:  # fmt: skip
        _, reference = anna_asks_for_erasure(app, mailbox)
        hanna, olof = staff(app, handler), staff(app, officer)
        propose(hanna, reference)
        approval = pending_approval(session, reference)

        person_id = next(iter(rows_of(session, ANNA)["people"]))
        session.add(
            Communication(person_id=person_id, occurred_at=clock(), channel="email",
                          direction="inbound", subject="Fråga", body="Hej igen!")
        )  # fmt: skip
        session.commit()
        held = rows_of(session, ANNA)
        page = squash(page_text(olof.get(f"/staff/cases/{reference}")))
        assert "changed since the plan was made" in page  # the panel warns before approving

        answer = decide(olof, reference, approval, "approve")
        assert answer.status_code == 303
        page = squash(page_text(olof.get(answer.headers["Location"])))
        assert "changed since the plan was made" in flash_error(page)
        assert rows_of(session, ANNA) == held
        assert pending_approval(session, reference).status is ApprovalStatus.PENDING
        assert session.scalars(select(Suppression)).all() == []

    def test_the_case_cannot_be_completed_before_the_plan_is_carried_out(
        self, app: Flask, seeded: None, handler: StaffUser, session: Session, mailbox: Mailbox
    ) -> None:
        _, reference = anna_asks_for_erasure(app, mailbox)
        hanna = staff(app, handler)
        acted(hanna, reference, "start")
        page = refused_with(hanna, reference, "complete", **{"complete-body": "Klart."})
        assert "The erasure has not been carried out" in page
        propose(hanna, reference)
        page = refused_with(hanna, reference, "complete", **{"complete-body": "Klart."})
        assert "waits for the privacy officer" in page

    def test_a_plan_needs_the_assessment(
        self, app: Flask, seeded: None, handler: StaffUser, mailbox: Mailbox, session: Session
    ) -> None:
        _, reference = anna_asks_for_erasure(app, mailbox)
        hanna = staff(app, handler)
        answer = hanna.post(
            f"/staff/cases/{reference}/erasure-plan", data={"erasure_plan-reasons": " "}
        )
        assert answer.status_code == 400
        assert "Give the assessment" in page_text(answer)
        assert rows_of(session, ANNA)["people"]


class TestErasureOfACustomerContact:
    def test_invoices_are_kept_with_the_ground_and_the_date_and_the_person_is_told(
        self, app: Flask, seeded: None, handler: StaffUser, officer: StaffUser,
        session: Session, mailbox: Mailbox,
    ) -> None:  # fmt: skip
        karin = subject(app, mailbox, KARIN)
        reference = file_case(karin, "erasure", {"scope": "all", "ground": "not_needed"})
        hanna, olof = staff(app, handler), staff(app, officer)
        invoices = {
            r.id: r.document_date
            for r in session.scalars(
                select(AccountingRecord)
                .join(Person, Person.id == AccountingRecord.person_id)
                .where(Person.email == KARIN)
            )
        }
        years = sorted({d.year for d in invoices.values()})

        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        label = "Accounting records (invoices naming the person as reference)"
        for year in years:
            count = sum(1 for d in invoices.values() if d.year == year)
            until = format_date(date(year + 7, 12, 31), "long", locale="en")
            assert re.search(
                rf"{re.escape(label)}</th>\s*<td>0</td>\s*<td>{count}</td>\s*<td>Bokföringslagen "
                rf"\(1999:1078\) 7 kap\. 2 §: [^<]*</td>\s*<td><time datetime=\"{year + 7}-12-31\">"
                rf"{until}</time>",
                page,
            ), (year, count)
        propose(hanna, reference)
        assert (
            decide(olof, reference, pending_approval(session, reference), "approve").status_code
            == 303
        )

        session.expire_all()
        kept = session.scalars(select(AccountingRecord).where(AccountingRecord.id.in_(invoices)))
        assert [(r.person_id, r.reference_name) for r in kept] == [(None, KARIN_NAME)] * len(
            invoices
        )
        assert session.scalars(select(Person).where(Person.email == KARIN)).all() == []

        verify(karin, mailbox, KARIN)
        status = squash(page_text(karin.get(f"/cases/{reference}")))
        assert "What we have kept, why and until when" in status
        assert "Bokföringslagen (1999:1078) 7 kap. 2 §" in status
        for year in years:
            until = format_date(date(year + 7, 12, 31), "long", locale="en")
            assert f"Kept until {until}" in status
        assert IMY.postal_address in status
        assert IMY.complaint_url("en") in status
        assert "take the matter to court" in status
