"""Objection (Art. 21): direct marketing stops at once; on legitimate interest the records are
restricted at filing and the privacy officer decides: stop, or compelling grounds stated."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.core.workflow import RequestStatus, RequestType
from app.models import (
    ApprovalKind,
    ApprovalStatus,
    NoticeAction,
    Person,
    StaffUser,
    SubjectRequest,
    Suppression,
)
from app.services import casework, decisions, suppression
from app.services.decisions import DecisionError
from app.services.errors import RuleError
from app.services.fulfilment import objection
from tests.conftest import Clock
from tests.factories import (
    ANNA,
    COUSIN,
    NAMESAKE,
    Crowd,
    exported,
    file_case,
    notices_of,
    today,
)

GROUNDS = (
    "Anna Lindqvist is the named purchasing contact in a signed framework agreement with our "
    "customer; following up the agreed deliveries with her is necessary and expected by her role."
)
REASONS = "Jag har slutat på företaget och vill inte bli kontaktad om det här längre."


pytestmark = pytest.mark.usefixtures("english_page")


def file_objection(
    session: Session, clock: Clock, kind: str = "legitimate_interest", language: str = "en"
) -> SubjectRequest:
    details = (
        {"kind": kind, "grounds": REASONS} if kind == "legitimate_interest" else {"kind": kind}
    )
    return file_case(session, clock, RequestType.OBJECTION, details, email=ANNA, language=language)


def records(session: Session, email: str = ANNA) -> list[Person]:
    session.expire_all()
    return list(session.scalars(select(Person).where(Person.email == email).order_by(Person.id)))


def decide(
    session: Session, case: SubjectRequest, outcome: str, reasons: str, by: StaffUser,
    clock: Clock,
) -> None:  # fmt: skip
    objection.propose_decision(
        session, case, outcome=outcome, reasons=reasons, by=by, now=clock(), today=today(clock)
    )
    session.commit()


class TestDirectMarketing:
    def test_it_stops_at_once_and_adds_a_suppression_entry(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        assert not suppression.is_suppressed(session, ANNA)
        case = file_objection(session, clock, "direct_marketing")
        assert case.status is RequestStatus.COMPLETED
        assert [p.marketing_objection_at for p in records(session)] == [clock(), clock()]
        entry = session.scalars(select(Suppression)).one()
        assert entry.reason == "objection"
        assert ANNA not in entry.email_hash  # a keyed hash, not the address
        assert suppression.is_suppressed(session, ANNA)
        assert not suppression.is_suppressed(session, NAMESAKE)
        addresses = exported(session, crowd, clock())
        assert ANNA not in addresses
        assert NAMESAKE in addresses


class TestAtFiling:
    def test_an_objection_on_legitimate_interest_restricts_the_records_at_once(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        before = exported(session, crowd, clock())
        case = file_objection(session, clock)
        assert case.status is RequestStatus.RECEIVED
        assert [(p.restricted_at, p.restriction_ground) for p in records(session)] == 2 * [
            (clock(), "objection")
        ]
        assert [(p.restricted_at, p.restriction_ground) for p in records(session, NAMESAKE)] == [
            (None, None)
        ]
        after = exported(session, crowd, clock())
        assert before.count(ANNA) == 2
        assert ANNA not in after
        assert NAMESAKE in after
        assert COUSIN in after
        assert not suppression.is_suppressed(session, ANNA)

    def test_the_status_page_says_so_and_the_recipients_are_told(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        case = file_objection(session, clock)
        event = next(e for e in case.events if e.kind == "objection_restricted")
        assert event.visible_to_subject
        message = case.messages[-1].body
        assert "While we assess your objection, we have restricted" in message
        assert "Art. 18.1 d GDPR" in message
        sent = notices_of(session, case, NoticeAction.RESTRICTION)
        assert crowd.recipient.id in {n.recipient_id for n in sent}
        assert all(n.details == {"ground": "objection"} for n in sent)

    def test_a_record_restricted_on_another_ground_keeps_it(
        self, session: Session, crowd: Crowd, clock: Clock
    ) -> None:
        first = crowd.anna[0]
        first.restricted_at = clock()
        first.restriction_ground = "accuracy"
        session.commit()
        clock.advance(hours=1)
        file_objection(session, clock)
        grounds = [p.restriction_ground for p in records(session)]
        assert grounds == ["accuracy", "objection"]

    def test_the_case_closes_only_by_its_decision(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = file_objection(session, clock)
        with pytest.raises(RuleError, match="closed by its decision"):
            casework.complete(session, case, "Done.", by=handler, now=clock())


class TestDecision:
    def test_a_handlers_proposal_waits_and_the_handler_cannot_decide(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = file_objection(session, clock)
        decide(session, case, objection.UPHOLD, "", handler, clock)
        approval = decisions.pending(case, ApprovalKind.OBJECTION)
        assert approval is not None
        with pytest.raises(PermissionError):
            decisions.decide(session, approval, approve=True, note=None, by=handler,
                             now=clock(), today=today(clock))  # fmt: skip
        assert approval.status is ApprovalStatus.PENDING
        assert case.status is RequestStatus.RECEIVED
        assert all(p.marketing_objection_at is None for p in records(session))
        with pytest.raises(DecisionError):  # one proposal at a time
            decide(session, case, objection.OVERRIDE, GROUNDS, handler, clock)

    def test_overriding_needs_specific_grounds(
        self, session: Session, crowd: Crowd, clock: Clock, officer: StaffUser
    ) -> None:
        case = file_objection(session, clock)
        with pytest.raises(RuleError, match="specifically"):
            decide(session, case, objection.OVERRIDE, "Legitimate interest.", officer, clock)
        with pytest.raises(RuleError):
            decide(session, case, "maybe", GROUNDS, officer, clock)
        assert case.approvals == []

    def test_upheld_the_processing_stops_and_the_address_is_suppressed(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser,
        officer: StaffUser,
    ) -> None:  # fmt: skip
        case = file_objection(session, clock)
        decide(session, case, objection.UPHOLD, "", handler, clock)
        approval = decisions.pending(case, ApprovalKind.OBJECTION)
        assert approval is not None
        clock.advance(days=2)
        decisions.decide(session, approval, approve=True, note=None, by=officer, now=clock(),
                         today=today(clock))  # fmt: skip
        session.commit()
        assert case.status is RequestStatus.COMPLETED
        assert [
            (p.marketing_objection_at, p.restriction_ground, p.restricted_at is not None)
            for p in records(session)
        ] == 2 * [(clock(), "objection", True)]
        assert suppression.is_suppressed(session, ANNA)
        assert not suppression.is_suppressed(session, NAMESAKE)
        assert ANNA not in exported(session, crowd, clock())
        message = case.messages[-1].body
        assert "uphold it" in message
        assert "stopped processing" in message
        assert "erased (Art. 17.1 c GDPR)" in message
        assert notices_of(session, case, NoticeAction.RESTRICTION_LIFTED) == []

    def test_upheld_in_swedish(
        self, session: Session, crowd: Crowd, clock: Clock, officer: StaffUser
    ) -> None:
        case = file_objection(session, clock, language="sv")
        decide(session, case, objection.UPHOLD, "", officer, clock)
        message = case.messages[-1].body
        assert "godtar den" in message
        assert "Vi har slutat behandla dina personuppgifter" in message
        assert "raderade (art. 17.1 c GDPR)" in message

    def test_overridden_the_person_gets_the_grounds_the_remedies_and_the_lifting(
        self, session: Session, crowd: Crowd, clock: Clock, officer: StaffUser
    ) -> None:
        case = file_objection(session, clock)
        assert ANNA not in exported(session, crowd, clock())
        decide(session, case, objection.OVERRIDE, GROUNDS, officer, clock)
        assert case.status is RequestStatus.REFUSED
        assert (case.refusal_scope, case.refusal_ground) == ("whole", "compelling_grounds")
        assert case.refusal_reasons == GROUNDS
        message = case.messages[-1].body
        assert GROUNDS in message
        assert "compelling legitimate grounds" in message
        assert IMY.postal_address in message
        assert IMY.complaint_url_en in message
        assert "Art. 79 GDPR" in message
        assert "tingsrätt" in message
        assert "the restriction is lifted" in message
        assert "(Art. 18.3 GDPR)" in message
        assert [(p.restricted_at, p.restriction_ground) for p in records(session)] == 2 * [
            (None, None)
        ]
        assert exported(session, crowd, clock()).count(ANNA) == 2
        lifted = notices_of(session, case, NoticeAction.RESTRICTION_LIFTED)
        assert crowd.recipient.id in {n.recipient_id for n in lifted}
        assert not suppression.is_suppressed(session, ANNA)
        assert [e.kind for e in case.events][-1] == "objection_overridden"

    def test_overridden_in_swedish(
        self, session: Session, crowd: Crowd, clock: Clock, officer: StaffUser
    ) -> None:
        case = file_objection(session, clock, language="sv")
        decide(session, case, objection.OVERRIDE, GROUNDS, officer, clock)
        message = case.messages[-1].body
        assert "tvingande berättigade skäl" in message
        assert GROUNDS in message
        assert "Integritetsskyddsmyndigheten (IMY)" in message
        assert IMY.complaint_url_sv in message
        assert "allmän domstol (tingsrätt)" in message
        assert "Med detta beslut hävs begränsningen" in message

    def test_a_restriction_on_another_ground_stays_when_the_objection_is_overridden(
        self, session: Session, crowd: Crowd, clock: Clock, officer: StaffUser
    ) -> None:
        first = crowd.anna[0]
        first.restricted_at = clock()
        first.restriction_ground = "accuracy"
        session.commit()
        case = file_objection(session, clock)
        decide(session, case, objection.OVERRIDE, GROUNDS, officer, clock)
        assert [p.restriction_ground for p in records(session)] == ["accuracy", None]
        assert exported(session, crowd, clock()).count(ANNA) == 1
