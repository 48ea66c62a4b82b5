"""Moving a case through the workflow: the only code that assigns a request's status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.stats import closing_figures
from app.core.workflow import RequestStatus, check_transition
from app.mail.outbox import queue_email
from app.models import RequestEvent, SubjectRequest

SUBJECT = "subject"
SYSTEM = "system"


def record_event(
    request: SubjectRequest,
    *,
    kind: str,
    actor: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    visible_to_subject: bool = True,
    from_status: RequestStatus | None = None,
    to_status: RequestStatus | None = None,
) -> RequestEvent:
    """Append an entry to the case's timeline (rows are never changed afterwards)."""
    event = RequestEvent(
        occurred_at=now,
        kind=kind,
        actor=actor,
        data=data or {},
        visible_to_subject=visible_to_subject,
        from_status=from_status,
        to_status=to_status,
    )
    request.events.append(event)
    request.updated_at = now
    return event


def transition(
    session: Session,
    request: SubjectRequest,
    target: RequestStatus,
    *,
    actor: str,
    now: datetime,
    kind: str = "status_changed",
    data: dict[str, Any] | None = None,
) -> RequestEvent:
    """Change the status if the workflow allows it, and log the change on the timeline.

    :raises InvalidTransitionError: when ``target`` may not follow the current status.
    """
    current = request.status
    check_transition(current, target)
    request.status = target
    request.closed_at = now if not target.is_open else None
    _set_closing_figures(request, target, now)
    event = record_event(
        request, kind=kind, actor=actor, now=now, data=data, from_status=current, to_status=target
    )
    session.flush()
    return event


def _set_closing_figures(request: SubjectRequest, target: RequestStatus, now: datetime) -> None:
    """What the dashboard reads off its indexes: the closing date, days taken, on time or not."""
    if target.is_open:
        request.closed_on = request.days_to_close = request.closed_on_time = None
        return
    request.closed_on = stockholm_date(now)
    request.days_to_close, request.closed_on_time = closing_figures(
        request.received_on,
        request.due_on,
        request.closed_on,
        withdrawn=target is RequestStatus.WITHDRAWN,
    )


def withdraw(session: Session, request: SubjectRequest, *, now: datetime) -> None:
    """The person takes back a pending request; they get a confirmation e-mail.

    :raises InvalidTransitionError: when the case is already closed.
    """
    transition(session, request, RequestStatus.WITHDRAWN, actor=SUBJECT, now=now, kind="withdrawn")
    queue_email(
        session,
        to=request.email,
        template="withdrawn",
        language=request.language,
        now=now,
        request_id=request.id,
        reference=request.reference,
    )
