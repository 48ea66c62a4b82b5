"""Rectification through the pages: the person proposes, the handler sees the diff, edits and
applies it, the person reads what was corrected, the officer reads the old and new values in the
audit trail (until an erasure of the address makes them unreadable).

On seeded demo data, through the Flask test client, real SQLite and a real SMTP server.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import NoticeAction, Person, RecipientNotice, StaffUser
from app.services import notices
from app.services.demo import ANNA, seed_demo
from tests.conftest import Clock
from tests.factories import rectifiable
from tests.helpers import page_text, squash, text_of
from tests.smtp import Mailbox
from tests.web.case_steps import (
    act,
    acted,
    decide,
    file_case,
    pending_approval,
    refused_with,
    staff,
    subject,
)
from tests.web.case_steps import hanna as hanna  # fixtures, used by name
from tests.web.case_steps import olof as olof

OLD_NAME = "Anna Lindqvist"
NEW_NAME = "Anna Lindkvist"
OLD_PHONE = "+46 70 174 06 05"
PROPOSED = {
    "name": NEW_NAME,
    "phone": "070-555 12 34",
    "job_title": "",
    "company": "",
    "other": "I also get your newsletter with the wrong title.",
}


@pytest.fixture
def seeded(app: Flask, session: Session, clock: Clock) -> Person:
    seed_demo(session, leads=150, now=clock())
    session.commit()
    return session.scalars(select(Person).where(Person.email == ANNA)).one()


@pytest.fixture
def anna(app: Flask, mailbox: Mailbox, seeded: Person) -> FlaskClient:
    return subject(app, mailbox, ANNA)


@pytest.fixture
def reference(anna: FlaskClient) -> str:
    return file_case(anna, "rectification", PROPOSED)


class TestRectification:
    def test_the_handler_sees_the_diff_edits_and_applies_it_and_everyone_is_told(
        self, app: Flask, anna: FlaskClient, hanna: FlaskClient, olof: FlaskClient,
        seeded: Person, reference: str, session: Session, mailbox: Mailbox, clock: Clock,
    ) -> None:  # fmt: skip
        page = squash(page_text(hanna.get(f"/staff/cases/{reference}")))
        assert "Correct the records" in page
        assert f"<td>{OLD_NAME}</td> <td>{NEW_NAME}</td>" in page
        assert f"<td>{OLD_PHONE}</td> <td>070-555 12 34</td>" in page
        assert PROPOSED["other"] in page  # shown; applied by hand
        assert "cannot be applied automatically" in page

        recipients = {r.id for r in notices.recipients_for(session, ANNA)}
        mails = len(mailbox.to(ANNA))
        clock.advance(minutes=10)
        page = acted(
            hanna, reference, "rectify",
            **{"rectify-person_id": str(seeded.id), "rectify-name": NEW_NAME,
               "rectify-change_name": "y", "rectify-phone": "070-555 12 35",
               "rectify-change_phone": "y"},
        )  # fmt: skip
        assert "2 values were corrected" in page
        name, phone, *_rest, updated_at = rectifiable(session, seeded.id)
        assert (name, phone, updated_at) == (NEW_NAME, "070-555 12 35", clock())

        # The person: an e-mail that says a message waits, the message says what changed.
        told = mailbox.to(ANNA)[mails:]
        assert len(told) == 1
        assert NEW_NAME not in text_of(told[0])
        status = squash(page_text(anna.get(f"/cases/{reference}")))
        assert f"Name: “{OLD_NAME}” → “{NEW_NAME}”" in status
        assert f"Phone number: “{OLD_PHONE}” → “070-555 12 35”" in status
        assert "Your data were corrected" in status

        # Art. 19: a notice to every recipient of her data.
        sent = session.scalars(
            select(RecipientNotice).where(RecipientNotice.action == NoticeAction.RECTIFICATION)
        ).all()
        assert {n.recipient_id for n in sent} == recipients
        assert sent[0].details == {"fields": {"name": NEW_NAME, "phone": "070-555 12 35"}}

        # The officer's audit trail shows the old and new values.
        trail = squash(page_text(olof.get(f"/staff/audit?reference={reference}")))
        assert (
            "Corrected a person&#39;s records" in trail or "Corrected a person's records" in trail
        )
        assert f"name: “{OLD_NAME}” → “{NEW_NAME}”" in trail
        assert f"phone: “{OLD_PHONE}” → “070-555 12 35”" in trail

        # An erasure of the same address later: the values in the trail become unreadable.
        erasure = file_case(anna, "erasure", {"scope": "all", "ground": "not_needed"})
        acted(hanna, erasure, "erasure-plan", **{"erasure_plan-reasons": "No longer needed."})
        answer = decide(olof, erasure, pending_approval(session, erasure), "approve")
        assert answer.status_code == 303
        trail = squash(page_text(olof.get(f"/staff/audit?reference={reference}")))
        assert "name: (erased) → (erased)" in trail
        assert OLD_NAME not in trail
        assert NEW_NAME not in trail

    def test_unticked_values_stay_unchanged(
        self, hanna: FlaskClient, seeded: Person, reference: str, session: Session
    ) -> None:
        acted(
            hanna, reference, "rectify",
            **{"rectify-person_id": str(seeded.id), "rectify-name": NEW_NAME,
               "rectify-phone": "070-555 12 34", "rectify-change_phone": "y"},
        )  # fmt: skip
        name, phone, *_rest = rectifiable(session, seeded.id)
        assert (name, phone) == (OLD_NAME, "070-555 12 34")

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"rectify-name": "", "rectify-change_name": "y"}, "The name cannot be empty."),
            (
                {"rectify-phone": "ring mig", "rectify-change_phone": "y"},
                "Enter a phone number with digits",
            ),
            ({"rectify-name": "A" * 201, "rectify-change_name": "y"}, "at most 200 characters"),
        ],
        ids=["empty-name", "bad-phone", "too-long"],
    )
    def test_an_invalid_value_is_explained_and_changes_nothing(
        self, hanna: FlaskClient, seeded: Person, reference: str, session: Session,
        fields: dict[str, str], message: str,
    ) -> None:  # fmt: skip
        before = rectifiable(session, seeded.id)
        answer = act(hanna, reference, "rectify", **{"rectify-person_id": str(seeded.id), **fields})
        assert answer.status_code == 400
        page = squash(page_text(answer))
        assert message in page
        assert 'class="error-summary"' in page
        assert rectifiable(session, seeded.id) == before
        assert session.scalars(select(RecipientNotice)).all() == []

    def test_nothing_ticked_is_refused_with_a_message(
        self, hanna: FlaskClient, seeded: Person, reference: str, session: Session
    ) -> None:
        before = rectifiable(session, seeded.id)
        page = refused_with(hanna, reference, "rectify", **{"rectify-person_id": str(seeded.id)})
        assert "Tick at least one value to correct." in page
        assert rectifiable(session, seeded.id) == before

    def test_a_record_of_another_address_cannot_be_changed(
        self, hanna: FlaskClient, seeded: Person, reference: str, session: Session
    ) -> None:
        other = session.scalars(select(Person).where(Person.email != ANNA)).first()
        assert other is not None
        before = rectifiable(session, other.id)
        page = refused_with(
            hanna, reference, "rectify",
            **{"rectify-person_id": str(other.id), "rectify-name": "X", "rectify-change_name": "y"},
        )  # fmt: skip
        assert "not held under this case" in page
        assert rectifiable(session, other.id) == before

    def test_the_case_cannot_be_completed_before_the_corrections_are_applied(
        self, hanna: FlaskClient, reference: str
    ) -> None:
        acted(hanna, reference, "start")
        page = refused_with(hanna, reference, "complete", **{"complete-body": "Klart."})
        assert "have not been applied" in page
        assert "The data are correct" in page


def test_an_officer_works_a_rectification_too(
    app: Flask, anna: FlaskClient, officer: StaffUser, seeded: Person, reference: str,
    session: Session,
) -> None:  # fmt: skip
    olof = staff(app, officer)
    acted(
        olof, reference, "rectify",
        **{"rectify-person_id": str(seeded.id), "rectify-name": NEW_NAME,
           "rectify-change_name": "y"},
    )  # fmt: skip
    assert rectifiable(session, seeded.id)[0] == NEW_NAME
