"""Casework services: assign, start, ask, resume, messages both ways, notes, completion."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.workflow import InvalidTransitionError, RequestStatus, RequestType
from app.models import AuditEntry, OutboundEmail, StaffUser, SubjectRequest
from app.services import casework, intake
from app.services.casework import CaseClosedError
from tests.conftest import Clock

S = RequestStatus


@pytest.fixture
def case(app: Flask, session: Session, clock: Clock) -> SubjectRequest:
    filed = intake.file_request(
        session,
        email="anna@example.com",
        # A type whose completion needs nothing else when no records are held (an access case
        # would first need its package released: tests/services/test_packages.py).
        type=RequestType.RESTRICTION,
        details={"ground": "accuracy"},
        original_text=None,
        language="en",
        now=clock(),
    )
    session.commit()
    return filed


def mails(session: Session) -> list[OutboundEmail]:
    rows = session.scalars(
        select(OutboundEmail).where(OutboundEmail.template == "case_update")
    ).all()
    return list(rows)


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


class TestAssign:
    def test_assign_and_unassign_are_internal_events_and_audited(
        self, session: Session, case: SubjectRequest, handler: StaffUser, officer: StaffUser,
        clock: Clock,
    ) -> None:  # fmt: skip
        casework.assign(session, case, officer, by=handler, now=clock())
        assert case.assignee_id == officer.id
        casework.assign(session, case, None, by=handler, now=clock())
        assert case.assignee_id is None
        assigned = [e for e in case.events if e.kind == "assigned"]
        assert [e.data for e in assigned] == [{"assignee_id": officer.id}, {"assignee_id": None}]
        assert not any(e.visible_to_subject for e in assigned)
        assert actions(session) == ["case.assign", "case.assign"]
        assert mails(session) == []

    def test_a_closed_case_cannot_be_assigned(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.complete(session, case, "Done.", by=handler, now=clock())
        with pytest.raises(CaseClosedError):
            casework.assign(session, case, handler, by=handler, now=clock())


class TestStartAndResume:
    def test_start_puts_a_new_case_in_progress_and_assigns_the_starter(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.start_work(session, case, by=handler, now=clock())
        assert case.status is S.IN_PROGRESS
        assert case.assignee_id == handler.id
        assert case.events[-1].actor == handler.actor

    def test_start_keeps_an_existing_assignee(
        self, session: Session, case: SubjectRequest, handler: StaffUser, officer: StaffUser,
        clock: Clock,
    ) -> None:  # fmt: skip
        casework.assign(session, case, officer, by=officer, now=clock())
        casework.start_work(session, case, by=handler, now=clock())
        assert case.assignee_id == officer.id

    @pytest.mark.parametrize("status", [S.IN_PROGRESS, S.AWAITING_SUBJECT])
    def test_start_only_from_received(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock,
        status: RequestStatus,
    ) -> None:  # fmt: skip
        casework.start_work(session, case, by=handler, now=clock())
        if status is S.AWAITING_SUBJECT:
            casework.ask_clarification(session, case, "?", by=handler, now=clock())
        events = len(case.events)
        with pytest.raises(InvalidTransitionError):
            casework.start_work(session, case, by=handler, now=clock())
        assert case.status is status
        assert len(case.events) == events

    @pytest.mark.parametrize("status", [S.RECEIVED, S.IN_PROGRESS])
    def test_resume_only_while_waiting_for_the_person(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock,
        status: RequestStatus,
    ) -> None:  # fmt: skip
        if status is S.IN_PROGRESS:
            casework.start_work(session, case, by=handler, now=clock())
        with pytest.raises(InvalidTransitionError):
            casework.resume(session, case, by=handler, now=clock())
        assert case.status is status

    def test_resume_after_a_question(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.start_work(session, case, by=handler, now=clock())
        casework.ask_clarification(session, case, "Which company?", by=handler, now=clock())
        casework.resume(session, case, by=handler, now=clock())
        assert case.status is S.IN_PROGRESS
        assert case.events[-1].kind == "resumed"


class TestMessages:
    def test_a_question_waits_for_the_person_and_the_e_mail_holds_no_text(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.start_work(session, case, by=handler, now=clock())
        message = casework.ask_clarification(
            session, case, "Which company were you in contact with?", by=handler, now=clock()
        )
        assert case.status is S.AWAITING_SUBJECT
        assert message.from_subject is False
        assert message.staff_id == handler.id
        [mail] = mails(session)
        assert case.reference in mail.subject
        assert "Which company" not in mail.body_text
        assert "Which company" not in mail.body_html
        assert "case.ask" in actions(session)

    def test_a_question_needs_a_case_in_progress(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        with pytest.raises(InvalidTransitionError):
            casework.ask_clarification(session, case, "?", by=handler, now=clock())
        assert case.messages == []
        assert mails(session) == []

    def test_the_persons_answer_resumes_work_and_sends_nothing(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.start_work(session, case, by=handler, now=clock())
        casework.ask_clarification(session, case, "?", by=handler, now=clock())
        before = len(mails(session))
        clock.advance(hours=2)
        reply = casework.reply_from_subject(session, case, "Norrsken Bygg.", now=clock())
        assert reply.from_subject is True
        assert reply.staff_id is None
        assert case.status is S.IN_PROGRESS
        assert [(e.kind, e.actor) for e in case.events[-2:]] == [
            ("message_from_subject", "subject"), ("resumed", "system"),
        ]  # fmt: skip
        assert len(mails(session)) == before

    def test_the_person_cannot_write_on_a_closed_case(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.complete(session, case, "Done.", by=handler, now=clock())
        with pytest.raises(CaseClosedError):
            casework.reply_from_subject(session, case, "Hello?", now=clock())

    def test_a_message_is_kept_and_the_e_mail_only_says_one_waits(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.send_message(session, case, "Your copy is nearly ready.", by=handler, now=clock())
        assert [m.body for m in case.messages] == ["Your copy is nearly ready."]
        [mail] = mails(session)
        assert "nearly ready" not in mail.body_text
        assert case.events[-1].kind == "message_to_subject"
        assert case.events[-1].visible_to_subject

    def test_no_message_on_a_closed_case(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.complete(session, case, "Done.", by=handler, now=clock())
        with pytest.raises(CaseClosedError):
            casework.send_message(session, case, "More", by=handler, now=clock())


class TestNotesAndCompletion:
    def test_a_note_is_internal_and_sends_nothing(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        events = len(case.events)
        note = casework.add_note(session, case, "Checked the CRM.", by=handler, now=clock())
        assert note.id is not None
        assert case.notes == [note]
        assert case.messages == []
        assert len(case.events) == events
        assert mails(session) == []
        assert actions(session) == ["case.note"]

    def test_complete_closes_with_a_message_and_an_e_mail(
        self, session: Session, case: SubjectRequest, handler: StaffUser, clock: Clock
    ) -> None:
        casework.complete(session, case, "Here is what we did.", by=handler, now=clock())
        assert case.status is S.COMPLETED
        assert case.closed_at == clock()
        assert case.messages[-1].body == "Here is what we did."
        [mail] = mails(session)
        assert "completed" in mail.subject
        assert "Here is what we did." not in mail.body_text
        with pytest.raises(InvalidTransitionError):
            casework.complete(session, case, "Again", by=handler, now=clock())
