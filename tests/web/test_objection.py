"""Objection through the pages: restricted at filing; the handler proposes, the privacy officer
decides; the person reads the decision (and, if overridden, how to complain) on the status page."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.authority import IMY
from app.core.workflow import RequestStatus
from app.models import Person
from app.services import suppression
from tests.conftest import Clock
from tests.factories import ANNA, NAMESAKE, Crowd, exported
from tests.helpers import case, page_text
from tests.web.case_steps import (
    act,
    acted,
    decide,
    file_case,
    pending_approval,
)
from tests.web.case_steps import crowd as crowd  # fixtures, used by name
from tests.web.case_steps import hanna as hanna
from tests.web.case_steps import olof as olof
from tests.web.case_steps import person as person

REASONS = "I have left the company and do not want to be followed up about this any more."
GROUNDS = (
    "You are the named purchasing contact in a signed framework agreement with our customer; "
    "following up the agreed deliveries with you is necessary and expected in your role."
)


def object_to_follow_up(person: FlaskClient) -> str:
    return file_case(person, "objection", {"kind": "legitimate_interest", "grounds": REASONS})


def flags(session: Session) -> list[tuple[object, object, object]]:
    session.expire_all()
    rows = session.scalars(select(Person).where(Person.email == ANNA).order_by(Person.id))
    return [(p.restricted_at, p.restriction_ground, p.marketing_objection_at) for p in rows]


class TestFiling:
    def test_restricted_at_once_and_the_status_page_says_so(
        self, person: FlaskClient, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        reference = object_to_follow_up(person)
        assert flags(session) == 2 * [(clock(), "objection", None)]
        status = page_text(person.get(f"/cases/{reference}"))
        assert "Your data are restricted while we assess your objection" in status
        assert "While we assess your objection, we have restricted" in status
        addresses = exported(session, crowd, clock())
        assert ANNA not in addresses
        assert NAMESAKE in addresses

    def test_an_objection_to_direct_marketing_puts_the_address_on_the_suppression_list(
        self, person: FlaskClient, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        reference = file_case(person, "objection", {"kind": "direct_marketing"})
        assert case(session, reference).status is RequestStatus.COMPLETED
        assert suppression.is_suppressed(session, ANNA)
        assert ANNA not in exported(session, crowd, clock())


class TestDecision:
    def test_the_handler_proposes_and_the_officer_upholds(
        self, person: FlaskClient, hanna: FlaskClient, olof: FlaskClient, session: Session,
        clock: Clock,
    ) -> None:  # fmt: skip
        reference = object_to_follow_up(person)
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "Objection (Art. 21)" in page
        assert "Decide the objection" in page

        too_short = {"objection-outcome": "override", "objection-reasons": "Our interest."}
        answer = act(hanna, reference, "objection", **too_short)
        assert answer.status_code == 400
        assert "State the compelling legitimate grounds specifically" in page_text(answer)
        assert case(session, reference).approvals == []

        page = acted(hanna, reference, "objection",
                     **{"objection-outcome": "uphold", "objection-reasons": ""})  # fmt: skip
        assert "It takes effect when the privacy officer approves it." in page
        assert "Decision on an objection (Art. 21.1)" in page
        assert "Uphold the objection: stop the processing" in page
        approval = pending_approval(session, reference)
        assert decide(hanna, reference, approval, "approve").status_code == 403
        assert case(session, reference).status is RequestStatus.RECEIVED
        assert flags(session) == 2 * [(clock(), "objection", None)]

        assert decide(olof, reference, approval, "approve").status_code == 303
        assert case(session, reference).status is RequestStatus.COMPLETED
        assert flags(session) == 2 * [(clock(), "objection", clock())]
        assert suppression.is_suppressed(session, ANNA)
        status = page_text(person.get(f"/cases/{reference}"))
        assert "Your objection was upheld: the processing has stopped" in status
        assert "erased (Art. 17.1 c GDPR)" in status

    def test_the_officer_states_compelling_grounds_and_the_person_learns_how_to_complain(
        self, person: FlaskClient, olof: FlaskClient, session: Session, crowd: Crowd,
        clock: Clock,
    ) -> None:  # fmt: skip
        reference = object_to_follow_up(person)
        page = acted(olof, reference, "objection",
                     **{"objection-outcome": "override", "objection-reasons": GROUNDS})  # fmt: skip
        assert "The restriction is lifted" in page
        filed = case(session, reference)
        assert filed.status is RequestStatus.REFUSED
        assert filed.refusal_ground == "compelling_grounds"
        assert flags(session) == 2 * [(None, None, None)]
        assert exported(session, crowd, clock()).count(ANNA) == 2
        status = page_text(person.get(f"/cases/{reference}"))
        assert GROUNDS in status
        assert "Your objection was not upheld: compelling grounds" in status
        assert IMY.complaint_url_en in status
        assert "tingsrätt" in status
        assert "If you do not agree with our decision" in status


class TestWithdrawn:
    def test_a_withdrawn_objections_restriction_is_lifted_after_telling_the_person(
        self, person: FlaskClient, hanna: FlaskClient, session: Session, crowd: Crowd,
        clock: Clock,
    ) -> None:  # fmt: skip
        reference = object_to_follow_up(person)
        assert person.post(f"/cases/{reference}/withdraw").status_code == 303
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "The case closed without a decision on the objection" in page
        assert "Possible only after the person has been told" in page
        today = stockholm_date(clock()).isoformat()
        page = acted(
            hanna, reference, "restriction/announce-lift",
            **{"announce_lift-reason": "You withdrew your objection.",
               "announce_lift-lift_on": today},
        )  # fmt: skip
        assert "We will lift the restriction" in page_text(person.get(f"/cases/{reference}"))
        acted(hanna, reference, "restriction/lift")
        assert flags(session) == 2 * [(None, None, None)]
        assert exported(session, crowd, clock()).count(ANNA) == 2
