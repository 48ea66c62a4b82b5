"""Filing a request: reference, receipt time, legal deadline, immediate effects and the receipt.

Consent withdrawal and objection to direct marketing take effect on the records at once
(Art. 7(3), 21(3)) and are logged as completed; every other type waits for a handler.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.deadlines import legal_deadline
from app.core.workflow import Channel, RequestStatus, RequestType
from app.mail.outbox import queue_email
from app.models import ReferenceCounter, SubjectRequest
from app.services import processing, suppression
from app.services.fulfilment.consent import withdraw_consents
from app.services.fulfilment.objection import (
    is_legitimate_interest,
    restrict_pending_decision,
    stop_direct_marketing,
)

OBJECTION_DIRECT_MARKETING = "direct_marketing"
OBJECTION_LEGITIMATE_INTEREST = "legitimate_interest"


def next_reference(session: Session, year: int) -> str:
    """``DSR-<year>-<nnnnnn>``: one counter row per year, incremented in the same transaction."""
    stmt = (
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    )
    number = session.scalar(stmt)
    if number is None:
        session.execute(insert(ReferenceCounter).values(year=year, last_number=1))
        number = 1
    return f"DSR-{year}-{number:06d}"


def find_submission(session: Session, submission_key: str) -> SubjectRequest | None:
    return session.scalar(
        select(SubjectRequest).where(SubjectRequest.submission_key == submission_key)
    )


def file_request(
    session: Session,
    *,
    email: str,
    type: RequestType,
    details: dict[str, Any],
    original_text: str | None,
    language: str,
    now: datetime,
    channel: Channel = Channel.PORTAL,
    received_at: datetime | None = None,
    verified_at: datetime | None = None,
    submission_key: str | None = None,
    actor: str = processing.SUBJECT,
) -> SubjectRequest:
    """Register a request and queue its receipt e-mail; a repeated submission key files nothing.

    ``received_at`` is when the request reached the controller (earlier for letters and calls);
    the deadline counts from its date in Stockholm (legal.md §2.1).
    """
    if submission_key:
        existing = find_submission(session, submission_key)
        if existing is not None:
            return existing
    received_at = received_at or now
    received_on = stockholm_date(received_at)
    due = legal_deadline(received_on)
    request = SubjectRequest(
        reference=next_reference(session, received_on.year),
        type=type,
        status=RequestStatus.RECEIVED,
        channel=channel,
        language=language,
        email=email,
        details=details,
        original_text=original_text or None,
        received_at=received_at,
        received_on=received_on,
        verified_at=verified_at,
        legal_due_on=due,
        due_on=due,
        submission_key=submission_key,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    processing.record_event(
        request,
        kind="filed",
        actor=actor,
        now=now,
        data={"channel": channel.value},
        to_status=RequestStatus.RECEIVED,
    )
    session.flush()
    _apply_immediate_effects(session, request, now)
    queue_email(
        session,
        to=email,
        template="receipt",
        language=language,
        now=now,
        request_id=request.id,
        reference=request.reference,
        request_type=request.type,
        status=request.status,
        due_on=request.due_on,
        details=request.details,
    )
    return request


def _apply_immediate_effects(session: Session, request: SubjectRequest, now: datetime) -> None:
    if request.type is RequestType.CONSENT_WITHDRAWAL:
        withdrawn = withdraw_consents(
            session,
            email=request.email,
            consent_ids=[int(i) for i in request.details.get("consent_ids", [])],
            now=now,
        )
        processing.transition(
            session,
            request,
            RequestStatus.COMPLETED,
            actor=processing.SYSTEM,
            now=now,
            kind="consent_withdrawn",
            data={"consents": [c.id for c in withdrawn]},
        )
    elif (
        request.type is RequestType.OBJECTION
        and request.details.get("kind") == OBJECTION_DIRECT_MARKETING
    ):
        marked = stop_direct_marketing(session, email=request.email, now=now)
        # Never re-imported or contacted again: the keyed hash outlives the records.
        suppression.suppress(session, request.email, reason="objection", now=now)
        processing.transition(
            session,
            request,
            RequestStatus.COMPLETED,
            actor=processing.SYSTEM,
            now=now,
            kind="marketing_stopped",
            data={"records": marked},
        )
    elif is_legitimate_interest(request):
        # Art. 18(1)(d): stored only while the privacy officer decides on the objection.
        restrict_pending_decision(session, request, now=now)
