"""What staff do on a case: assign, start, ask, resume, message, note, complete.

Every action appends to the case's timeline and to the audit trail; the person is told by e-mail
that something waits on the status page, never what it is (design.md §4).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from app.core.workflow import InvalidTransitionError, RequestStatus
from app.mail.outbox import queue_email
from app.models import CaseNote, Message, StaffUser, SubjectRequest
from app.services import audit
from app.services.errors import RuleError
from app.services.processing import SUBJECT, SYSTEM, record_event, transition

# Checks a case must pass before it is completed: each returns why not (a message) or None.
# Fulfilment modules add theirs (an erasure not yet carried out, an Art. 19 notice undecided).
CompletionGuard = Callable[[Session, SubjectRequest], str | None]
COMPLETION_GUARDS: list[CompletionGuard] = []


def completion_blockers(session: Session, request: SubjectRequest) -> list[str]:
    """Why the case cannot be completed yet; empty when it can."""
    return [reason for guard in COMPLETION_GUARDS if (reason := guard(session, request))]


class CaseClosedError(Exception):
    """The action needs an open case."""


def _require_open(request: SubjectRequest) -> None:
    if not request.is_open:
        raise CaseClosedError


def _require_status(
    request: SubjectRequest, expected: RequestStatus, target: RequestStatus
) -> None:
    """The workflow table allows ``target`` from several statuses; this action from one only."""
    if request.status is not expected:
        raise InvalidTransitionError(request.status, target)


def notify_subject(session: Session, request: SubjectRequest, kind: str, now: datetime) -> None:
    """E-mail the person that their case has news (``kind``: message, extended, refused, ...)."""
    queue_email(
        session,
        to=request.email,
        template="case_update",
        language=request.language,
        now=now,
        request_id=request.id,
        reference=request.reference,
        kind=kind,
        due_on=request.due_on,
    )


def assign(
    session: Session,
    request: SubjectRequest,
    assignee: StaffUser | None,
    *,
    by: StaffUser,
    now: datetime,
) -> None:
    _require_open(request)
    request.assignee_id = assignee.id if assignee else None
    record_event(
        request,
        kind="assigned",
        actor=by.actor,
        now=now,
        data={"assignee_id": request.assignee_id},
        visible_to_subject=False,
    )
    audit.record(
        session, action="case.assign", now=now, staff=by, request=request,
        data={"assignee_id": request.assignee_id},
    )  # fmt: skip


def start_work(session: Session, request: SubjectRequest, *, by: StaffUser, now: datetime) -> None:
    """:raises InvalidTransitionError: unless the case is newly received."""
    _require_status(request, RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)
    transition(session, request, RequestStatus.IN_PROGRESS, actor=by.actor, now=now)
    if request.assignee_id is None:
        request.assignee_id = by.id
    audit.record(session, action="case.start", now=now, staff=by, request=request)


def send_message(
    session: Session, request: SubjectRequest, body: str, *, by: StaffUser, now: datetime
) -> Message:
    """A message to the person, shown on their status page; the e-mail only says one waits."""
    _require_open(request)
    message = Message(from_subject=False, staff_id=by.id, body=body, created_at=now)
    request.messages.append(message)
    record_event(request, kind="message_to_subject", actor=by.actor, now=now)
    notify_subject(session, request, "message", now)
    audit.record(session, action="case.message", now=now, staff=by, request=request)
    return message


def ask_clarification(
    session: Session, request: SubjectRequest, body: str, *, by: StaffUser, now: datetime
) -> Message:
    """Ask the person a question; the case waits for their answer (the clock does not stop).

    :raises InvalidTransitionError: unless the case is in progress.
    """
    transition(
        session, request, RequestStatus.AWAITING_SUBJECT, actor=by.actor, now=now,
        kind="clarification_requested",
    )  # fmt: skip
    message = Message(from_subject=False, staff_id=by.id, body=body, created_at=now)
    request.messages.append(message)
    notify_subject(session, request, "question", now)
    audit.record(session, action="case.ask", now=now, staff=by, request=request)
    return message


def resume(session: Session, request: SubjectRequest, *, by: StaffUser, now: datetime) -> None:
    """:raises InvalidTransitionError: unless the case waits for the person."""
    _require_status(request, RequestStatus.AWAITING_SUBJECT, RequestStatus.IN_PROGRESS)
    transition(session, request, RequestStatus.IN_PROGRESS, actor=by.actor, now=now, kind="resumed")
    audit.record(session, action="case.resume", now=now, staff=by, request=request)


def reply_from_subject(
    session: Session, request: SubjectRequest, body: str, *, now: datetime
) -> Message:
    """The person writes on their status page; an awaited answer puts the case back in progress."""
    _require_open(request)
    message = Message(from_subject=True, body=body, created_at=now)
    request.messages.append(message)
    record_event(request, kind="message_from_subject", actor=SUBJECT, now=now)
    if request.status is RequestStatus.AWAITING_SUBJECT:
        transition(
            session, request, RequestStatus.IN_PROGRESS, actor=SYSTEM, now=now, kind="resumed"
        )
    session.flush()
    return message


def add_note(
    session: Session, request: SubjectRequest, body: str, *, by: StaffUser, now: datetime
) -> CaseNote:
    """An internal note: on the case page for staff, never on the person's status page."""
    note = CaseNote(staff_id=by.id, body=body, created_at=now)
    request.notes.append(note)
    audit.record(session, action="case.note", now=now, staff=by, request=request)
    session.flush()
    return note


def complete(
    session: Session, request: SubjectRequest, body: str, *, by: StaffUser, now: datetime
) -> None:
    """Close the case as done, with a message to the person saying what was done.

    :raises InvalidTransitionError: when the case is already closed.
    :raises RuleError: while something the request needs is not done (``COMPLETION_GUARDS``).
    """
    if request.is_open and (blockers := completion_blockers(session, request)):
        raise RuleError(" ".join(blockers))
    transition(session, request, RequestStatus.COMPLETED, actor=by.actor, now=now, kind="completed")
    request.messages.append(Message(from_subject=False, staff_id=by.id, body=body, created_at=now))
    notify_subject(session, request, "completed", now)
    audit.record(session, action="case.complete", now=now, staff=by, request=request)
