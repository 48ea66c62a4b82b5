"""Moving a case through the workflow: allowed steps, the timeline, closing and withdrawal."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.workflow import InvalidTransitionError, RequestStatus, RequestType
from app.models import OutboundEmail, SubjectRequest
from app.services import intake, processing
from tests.conftest import Clock

S = RequestStatus


@pytest.fixture
def request_(app: Flask, session: Session, clock: Clock) -> SubjectRequest:
    filed = intake.file_request(
        session,
        email="anna@example.com",
        type=RequestType.ERASURE,
        details={"scope": "all", "parts": [], "ground": "unsure"},
        original_text=None,
        language="en",
        now=clock(),
    )
    session.commit()
    return filed


def mails(session: Session, template: str) -> list[OutboundEmail]:
    return list(session.scalars(select(OutboundEmail).where(OutboundEmail.template == template)))


class TestTransitions:
    def test_a_case_goes_through_its_steps_and_every_step_is_on_the_timeline(
        self, session: Session, request_: SubjectRequest, clock: Clock
    ) -> None:
        path = [S.IN_PROGRESS, S.AWAITING_SUBJECT, S.IN_PROGRESS, S.COMPLETED]
        for target in path:
            clock.advance(hours=1)
            processing.transition(session, request_, target, actor="staff:7", now=clock())
            assert request_.status is target
            assert request_.updated_at == clock()
            assert (request_.closed_at is not None) is (not target.is_open)

        steps = [(e.from_status, e.to_status, e.actor) for e in request_.events[1:]]
        assert steps == [
            (S.RECEIVED, S.IN_PROGRESS, "staff:7"),
            (S.IN_PROGRESS, S.AWAITING_SUBJECT, "staff:7"),
            (S.AWAITING_SUBJECT, S.IN_PROGRESS, "staff:7"),
            (S.IN_PROGRESS, S.COMPLETED, "staff:7"),
        ]
        assert request_.closed_at == clock()

    @pytest.mark.parametrize("closed", [S.COMPLETED, S.REFUSED, S.WITHDRAWN])
    @pytest.mark.parametrize("target", list(S))
    def test_a_closed_case_never_moves_again(
        self,
        session: Session,
        request_: SubjectRequest,
        clock: Clock,
        closed: RequestStatus,
        target: RequestStatus,
    ) -> None:
        processing.transition(session, request_, closed, actor="staff:1", now=clock())
        events = len(request_.events)
        with pytest.raises(InvalidTransitionError):
            processing.transition(session, request_, target, actor="staff:1", now=clock())
        assert request_.status is closed
        assert len(request_.events) == events

    def test_a_received_case_cannot_wait_for_the_subject_before_work_starts(
        self, session: Session, request_: SubjectRequest, clock: Clock
    ) -> None:
        with pytest.raises(InvalidTransitionError):
            processing.transition(session, request_, S.AWAITING_SUBJECT, actor="x", now=clock())
        assert request_.status is S.RECEIVED

    def test_events_are_stored_in_order(
        self, session: Session, request_: SubjectRequest, clock: Clock
    ) -> None:
        processing.record_event(request_, kind="note", actor="staff:2", now=clock(), data={"a": 1})
        processing.transition(session, request_, S.IN_PROGRESS, actor="staff:2", now=clock())
        session.commit()
        session.expire_all()
        stored = session.get_one(SubjectRequest, request_.id)
        assert [e.kind for e in stored.events] == ["filed", "note", "status_changed"]
        assert stored.events[1].data == {"a": 1}
        assert stored.events[1].to_status is None


class TestWithdrawal:
    def test_withdrawal_closes_the_case_and_queues_a_confirmation_in_its_language(
        self, session: Session, request_: SubjectRequest, clock: Clock
    ) -> None:
        clock.advance(days=2)
        processing.withdraw(session, request_, now=clock())

        assert request_.status is S.WITHDRAWN
        assert request_.closed_at == clock()
        last = request_.events[-1]
        assert (last.kind, last.actor, last.from_status, last.to_status) == (
            "withdrawn",
            processing.SUBJECT,
            S.RECEIVED,
            S.WITHDRAWN,
        )
        (mail,) = mails(session, "withdrawn")
        assert mail.request_id == request_.id
        assert mail.language == "en"
        assert mail.to_address == "anna@example.com"
        assert request_.reference in mail.subject

    def test_a_case_in_progress_can_be_withdrawn(
        self, session: Session, request_: SubjectRequest, clock: Clock
    ) -> None:
        processing.transition(session, request_, S.IN_PROGRESS, actor="staff:1", now=clock())
        processing.withdraw(session, request_, now=clock())
        assert request_.status is S.WITHDRAWN

    def test_a_closed_case_cannot_be_withdrawn_and_nothing_is_sent(
        self, session: Session, request_: SubjectRequest, clock: Clock
    ) -> None:
        processing.transition(session, request_, S.COMPLETED, actor="staff:1", now=clock())
        with pytest.raises(InvalidTransitionError):
            processing.withdraw(session, request_, now=clock())
        assert request_.status is S.COMPLETED
        assert mails(session, "withdrawn") == []
