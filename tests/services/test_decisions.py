"""Extensions and refusals: four eyes, once, in time, and a notice saying what the law requires."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.authority import IMY
from app.core.deadlines import extended_deadline, legal_deadline
from app.core.workflow import RequestStatus, RequestType
from app.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    OutboundEmail,
    StaffUser,
    SubjectRequest,
)
from app.services import casework, decisions, intake
from app.services.casework import CaseClosedError
from app.services.decisions import DecisionError
from tests.conftest import Clock

S = RequestStatus
REASONS = "Six systems and two customers' CRMs to search."


@pytest.fixture
def case(app: Flask, session: Session, clock: Clock) -> SubjectRequest:
    filed = intake.file_request(
        session,
        email="anna@example.com",
        type=RequestType.ERASURE,
        details={"scope": "all", "parts": [], "ground": "unsure"},
        original_text="Radera allt.",
        language="en",
        now=clock(),
    )
    session.commit()
    return filed


def today(clock: Clock) -> date:
    return stockholm_date(clock())


def updates(session: Session) -> list[OutboundEmail]:
    return list(
        session.scalars(select(OutboundEmail).where(OutboundEmail.template == "case_update"))
    )


def after_first_month(case: SubjectRequest, clock: Clock) -> date:
    clock.advance(days=(legal_deadline(case.received_on) - today(clock)).days + 1)
    return today(clock)


class TestExtension:
    def test_a_handlers_proposal_waits_for_the_officer(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        approval = decisions.propose_extension(
            session, case, REASONS, by=handler, now=clock(), today=today(clock)
        )
        assert approval.status is ApprovalStatus.PENDING
        assert decisions.pending(case, ApprovalKind.EXTENSION) is approval
        assert case.extended_due_on is None
        assert updates(session) == []
        assert case.events[-1].kind == "extension_proposed"
        assert not case.events[-1].visible_to_subject

    def test_the_officers_approval_extends_tells_the_person_and_gives_the_reasons(
        self, session: Session, case: SubjectRequest, handler: StaffUser, officer: StaffUser,
        clock: Clock,
    ) -> None:  # fmt: skip
        approval = decisions.propose_extension(
            session, case, REASONS, by=handler, now=clock(), today=today(clock)
        )
        clock.advance(days=3)
        decisions.decide(
            session, approval, approve=True, note="OK", by=officer, now=clock(),
            today=today(clock),
        )  # fmt: skip
        assert approval.status is ApprovalStatus.APPROVED
        assert approval.decided_by_id == officer.id
        assert approval.decision_note == "OK"
        assert case.extended_due_on == extended_deadline(case.received_on)
        assert case.due_on == case.extended_due_on
        assert case.extension_notified_at == clock()
        notice = case.messages[-1].body
        assert REASONS in notice
        assert "February 24, 2027" in notice  # three months from 24 November 2026
        [mail] = updates(session)
        assert REASONS not in mail.body_text

    def test_an_officers_own_proposal_takes_effect_at_once(
        self, session: Session, case: SubjectRequest, officer: StaffUser, clock: Clock
    ) -> None:
        approval = decisions.propose_extension(
            session, case, REASONS, by=officer, now=clock(), today=today(clock)
        )
        assert approval.status is ApprovalStatus.APPROVED
        assert approval.decided_by_id == officer.id
        assert case.is_extended

    def test_only_one_extension(
        self, session: Session, case: SubjectRequest, officer: StaffUser, clock: Clock
    ) -> None:
        decisions.propose_extension(
            session, case, REASONS, by=officer, now=clock(), today=today(clock)
        )
        with pytest.raises(DecisionError) as error:
            decisions.propose_extension(
                session, case, "Again", by=officer, now=clock(), today=today(clock)
            )
        assert error.value.reason == "already_extended"

    def test_one_proposal_at_a_time(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        decisions.propose_extension(
            session, case, REASONS, by=handler, now=clock(), today=today(clock)
        )
        with pytest.raises(DecisionError) as error:
            decisions.propose_extension(
                session, case, REASONS, by=handler, now=clock(), today=today(clock)
            )
        assert error.value.reason == "already_pending"

    def test_the_last_day_of_the_first_month_is_still_in_time(
        self, session: Session, case: SubjectRequest, officer: StaffUser, clock: Clock
    ) -> None:
        last = legal_deadline(case.received_on)
        decisions.propose_extension(session, case, REASONS, by=officer, now=clock(), today=last)
        assert case.is_extended

    def test_a_proposal_after_the_first_month_is_refused(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        late = after_first_month(case, clock)
        with pytest.raises(DecisionError) as error:
            decisions.propose_extension(session, case, REASONS, by=handler, now=clock(), today=late)
        assert error.value.reason == "extension_too_late"
        assert case.approvals == []

    def test_an_approval_after_the_first_month_is_refused(
        self, session: Session, case: SubjectRequest, handler: StaffUser, officer: StaffUser,
        clock: Clock,
    ) -> None:  # fmt: skip
        approval = decisions.propose_extension(
            session, case, REASONS, by=handler, now=clock(), today=today(clock)
        )
        late = after_first_month(case, clock)
        with pytest.raises(DecisionError) as error:
            decisions.decide(
                session, approval, approve=True, note=None, by=officer, now=clock(), today=late
            )
        assert error.value.reason == "extension_too_late"
        assert approval.status is ApprovalStatus.PENDING
        assert not case.is_extended

    def test_a_late_proposal_can_still_be_rejected(
        self, session: Session, case: SubjectRequest, handler: StaffUser, officer: StaffUser,
        clock: Clock,
    ) -> None:  # fmt: skip
        approval = decisions.propose_extension(
            session, case, REASONS, by=handler, now=clock(), today=today(clock)
        )
        late = after_first_month(case, clock)
        decisions.decide(
            session, approval, approve=False, note="Too late now.", by=officer, now=clock(),
            today=late,
        )  # fmt: skip
        assert approval.status is ApprovalStatus.REJECTED
        assert case.events[-1].kind == "extension_rejected"

    def test_a_handler_cannot_decide(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        approval = decisions.propose_extension(
            session, case, REASONS, by=handler, now=clock(), today=today(clock)
        )
        with pytest.raises(PermissionError):
            decisions.decide(
                session, approval, approve=True, note=None, by=handler, now=clock(),
                today=today(clock),
            )  # fmt: skip
        assert approval.status is ApprovalStatus.PENDING

    def test_a_decision_is_made_once(
        self, session: Session, case: SubjectRequest, handler: StaffUser, officer: StaffUser,
        clock: Clock,
    ) -> None:  # fmt: skip
        approval = decisions.propose_extension(
            session, case, REASONS, by=handler, now=clock(), today=today(clock)
        )
        decisions.decide(
            session, approval, approve=False, note="No", by=officer, now=clock(),
            today=today(clock),
        )  # fmt: skip
        with pytest.raises(DecisionError) as error:
            decisions.decide(
                session, approval, approve=True, note=None, by=officer, now=clock(),
                today=today(clock),
            )  # fmt: skip
        assert error.value.reason == "already_decided"

    def test_a_closed_case_is_not_extended(
        self, session: Session, case: SubjectRequest, officer: StaffUser, clock: Clock
    ) -> None:
        casework.complete(session, case, "Done.", by=officer, now=clock())
        with pytest.raises(CaseClosedError):
            decisions.propose_extension(
                session, case, REASONS, by=officer, now=clock(), today=today(clock)
            )


class TestRefusal:
    def propose(
        self, session: Session, case: SubjectRequest, by: StaffUser, clock: Clock,
        scope: str = "partial", ground: str = "legal_obligation", day: date | None = None,
    ) -> Approval:  # fmt: skip
        return decisions.propose_refusal(
            session, case, scope=scope, ground=ground,
            reasons="Invoices are accounting records, kept until 31 Dec 2031.",
            by=by, now=clock(), today=day or today(clock),
        )  # fmt: skip

    def test_a_partial_refusal_keeps_the_case_open_with_a_full_notice(
        self, session: Session, case: SubjectRequest, handler: StaffUser, officer: StaffUser,
        clock: Clock,
    ) -> None:  # fmt: skip
        approval = self.propose(session, case, handler, clock)
        assert case.refusal_scope is None
        decisions.decide(
            session, approval, approve=True, note=None, by=officer, now=clock(),
            today=today(clock),
        )  # fmt: skip
        assert case.status is S.RECEIVED  # partly refused: the rest goes on
        assert (case.refusal_scope, case.refusal_ground) == ("partial", "legal_obligation")
        assert case.refusal_notified_at == clock()
        notice = " ".join(case.messages[-1].body.split())
        for part in (
            "We will not carry out part of your request",
            "Invoices are accounting records, kept until 31 Dec 2031.",
            "A legal obligation requires us to keep the data (Art. 17.3 b GDPR)",
            IMY.complaint_url("en"),
            IMY.postal_address,
            "right to take the matter to court",
        ):
            assert part in notice, part
        assert case.events[-1].kind == "partly_refused"
        [mail] = updates(session)
        assert "Invoices" not in mail.body_text

    def test_a_whole_refusal_closes_the_case(
        self, session: Session, case: SubjectRequest, officer: StaffUser, clock: Clock
    ) -> None:
        self.propose(session, case, officer, clock, scope="whole", ground="excessive")
        assert case.status is S.REFUSED
        assert case.closed_at == clock()
        assert "We will not carry out your request" in case.messages[-1].body

    @pytest.mark.parametrize(("scope", "ground"), [("most", "excessive"), ("whole", "because")])
    def test_scope_and_ground_must_be_known(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock,
        scope: str, ground: str,
    ) -> None:  # fmt: skip
        with pytest.raises(DecisionError) as error:
            self.propose(session, case, handler, clock, scope=scope, ground=ground)
        assert error.value.reason == "invalid_refusal"

    def test_after_the_first_month_no_refusal(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        late = after_first_month(case, clock)
        with pytest.raises(DecisionError) as error:
            self.propose(session, case, handler, clock, day=late)
        assert error.value.reason == "refusal_too_late"

    def test_after_the_first_month_even_an_extended_case_is_not_refused(
        self, session: Session, case: SubjectRequest, officer: StaffUser, clock: Clock
    ) -> None:
        decisions.propose_extension(
            session, case, REASONS, by=officer, now=clock(), today=today(clock)
        )
        late = legal_deadline(case.received_on) + timedelta(days=1)
        with pytest.raises(DecisionError) as error:
            self.propose(session, case, officer, clock, day=late)
        assert error.value.reason == "refusal_too_late"

    def test_one_refusal_proposal_at_a_time(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        self.propose(session, case, handler, clock)
        with pytest.raises(DecisionError) as error:
            self.propose(session, case, handler, clock)
        assert error.value.reason == "already_pending"
