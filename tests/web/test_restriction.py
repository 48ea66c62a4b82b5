"""Restriction through the pages: the person asks, a handler applies it, the person is told;
lifting needs the notice to the person first and waits for its date (Art. 18(3))."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.models import NoticeAction, Person, RecipientNotice, StaffUser
from tests.conftest import Clock
from tests.factories import ANNA, NAMESAKE, Crowd, exported
from tests.helpers import case, page_text, set_language
from tests.web.case_steps import acted, file_case, flash_error, refused_with, staff
from tests.web.case_steps import crowd as crowd  # fixtures, used by name
from tests.web.case_steps import hanna as hanna
from tests.web.case_steps import person as person  # fixture, used by name

REASON = "We have checked your phone number and job title with your employer: both are correct."


def flags(session: Session) -> list[tuple[object, object]]:
    session.expire_all()
    rows = session.scalars(select(Person).where(Person.email == ANNA).order_by(Person.id))
    return [(p.restricted_at, p.restriction_ground) for p in rows]


def restricted(person: FlaskClient, hanna: FlaskClient) -> str:
    reference = file_case(person, "restriction", {"ground": "accuracy"})
    acted(hanna, reference, "restrict", **{"restrict-ground": "accuracy"})
    return reference


class TestApplying:
    def test_the_page_offers_the_ground_the_person_gave(
        self, person: FlaskClient, hanna: FlaskClient
    ) -> None:
        reference = file_case(person, "restriction", {"ground": "legal_claims"})
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "Restriction (Art. 18)" in page
        assert '<option selected value="legal_claims">' in page
        assert "Not applied" in page

    def test_applied_the_records_are_flagged_the_person_is_told_and_the_export_drops_them(
        self, person: FlaskClient, hanna: FlaskClient, session: Session, crowd: Crowd,
        clock: Clock,
    ) -> None:  # fmt: skip
        assert flags(session) == 2 * [(None, None)]
        reference = file_case(person, "restriction", {"ground": "accuracy"})
        page = acted(hanna, reference, "restrict", **{"restrict-ground": "accuracy"})
        assert "The restriction is in place on 2 records." in page
        assert "2 restricted now" in page
        assert flags(session) == 2 * [(clock(), "accuracy")]
        addresses = exported(session, crowd, clock())
        assert ANNA not in addresses
        assert NAMESAKE in addresses
        status = page_text(person.get(f"/cases/{reference}"))
        assert "Your data are restricted: only stored, not used" in status
        assert "Before the restriction is lifted, we will tell you" in status
        filed = case(session, reference)
        assert {n.action for n in session.scalars(select(RecipientNotice))} == {
            NoticeAction.RESTRICTION
        }
        assert filed.events[-2].kind == "restricted"

    def test_a_missing_ground_is_a_form_error_and_changes_nothing(
        self, person: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(person, "restriction", {"ground": "accuracy"})
        answer = hanna.post(f"/staff/cases/{reference}/restrict", data={"restrict-ground": "x"})
        assert answer.status_code == 400
        assert "Choose the ground for the restriction." in page_text(answer)
        assert flags(session) == 2 * [(None, None)]

    def test_the_case_cannot_be_completed_before_the_restriction_is_applied(
        self, person: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(person, "restriction", {"ground": "accuracy"})
        page = refused_with(hanna, reference, "complete", **{"complete-body": "Done."})
        assert "The restriction is not yet in place" in flash_error(page)
        assert case(session, reference).is_open


class TestLifting:
    def test_lifting_without_telling_the_person_is_refused(
        self, person: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = restricted(person, hanna)
        page = refused_with(hanna, reference, "restriction/lift")
        assert "must be told before the restriction is lifted" in flash_error(page)
        assert all(at is not None for at, _ in flags(session))

    def test_told_first_then_lifted_on_the_date_given(
        self, app: Flask, person: FlaskClient, hanna: FlaskClient, handler: StaffUser,
        session: Session, crowd: Crowd, clock: Clock,
    ) -> None:  # fmt: skip
        reference = restricted(person, hanna)
        lift_on = stockholm_date(clock()) + timedelta(days=2)
        page = acted(
            hanna, reference, "restriction/announce-lift",
            **{"announce_lift-reason": REASON, "announce_lift-lift_on": lift_on.isoformat()},
        )  # fmt: skip
        assert "You can lift it from that day." in page
        assert "The person was told it is lifted on" in page
        status = page_text(person.get(f"/cases/{reference}"))
        assert REASON in status
        assert "We will lift the restriction" in status
        assert "We told you that the restriction will be lifted" in status

        page = refused_with(hanna, reference, "restriction/lift")
        assert "cannot be lifted before that date" in flash_error(page)

        clock.advance(days=2)
        hanna = staff(app, handler)  # signed in again: the staff session ended meanwhile
        page = acted(hanna, reference, "restriction/lift")
        assert "The restriction is lifted on 2 records." in page
        assert flags(session) == 2 * [(None, None)]
        assert exported(session, crowd, clock()).count(ANNA) == 2
        actions = {n.action for n in session.scalars(select(RecipientNotice))}
        assert NoticeAction.RESTRICTION_LIFTED in actions

    def test_a_date_before_today_or_no_reason_changes_nothing(
        self, person: FlaskClient, hanna: FlaskClient, session: Session, clock: Clock
    ) -> None:
        reference = restricted(person, hanna)
        yesterday = stockholm_date(clock()) - timedelta(days=1)
        page = refused_with(
            hanna, reference, "restriction/announce-lift",
            **{"announce_lift-reason": REASON, "announce_lift-lift_on": yesterday.isoformat()},
        )  # fmt: skip
        assert "cannot be before today" in flash_error(page)
        answer = hanna.post(
            f"/staff/cases/{reference}/restriction/announce-lift",
            data={"announce_lift-reason": "", "announce_lift-lift_on": "not a date"},
        )
        assert answer.status_code == 400
        text = page_text(answer)
        assert "Give the reason: it is sent to the person." in text
        assert "restriction_lift_announced" not in [e.kind for e in case(session, reference).events]


class TestSwedish:
    def test_the_panel_and_the_persons_page_work_in_swedish(
        self, person: FlaskClient, hanna: FlaskClient
    ) -> None:
        set_language(person, "sv")
        reference = file_case(person, "restriction", {"ground": "accuracy"})
        acted(hanna, reference, "restrict", **{"restrict-ground": "accuracy"})
        set_language(hanna, "sv")
        assert hanna.get(f"/staff/cases/{reference}").status_code == 200
        status = page_text(person.get(f"/cases/{reference}"))
        assert "Vi har begränsat behandlingen av dina personuppgifter" in status
