"""Art. 19 notices: tell every recipient of the person's data about a rectification, erasure or
restriction, and keep the proof (legal.md §6: recipient, date, method, confirmation or the reason
notifying was impossible or disproportionate).

A notice never stores the person's address: the case keeps it, and erasing the records leaves
nothing here but the recipient, the action and its dates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Assignment,
    NoticeAction,
    NoticeMethod,
    NoticeStatus,
    Person,
    Recipient,
    RecipientKind,
    RecipientNotice,
    SubjectRequest,
)
from app.services.processing import SYSTEM, record_event


def recipients_for(session: Session, email: str) -> list[Recipient]:
    """Every active recipient that received this address's data; call it before erasing.

    The customers' systems its assignments were delivered to, and every active processor (they
    hold all the controller's records). Authorities are not recipients here (Art. 4(9)).
    """
    customer_systems = (
        select(Assignment.recipient_id)
        .join(Person, Person.id == Assignment.person_id)
        .where(Person.email == email, Assignment.recipient_id.is_not(None))
    )
    query = (
        select(Recipient)
        .where(
            Recipient.active.is_(True),
            (Recipient.kind == RecipientKind.PROCESSOR) | Recipient.id.in_(customer_systems),
        )
        .order_by(Recipient.kind, Recipient.name, Recipient.id)
    )
    return list(session.scalars(query))


def method_for(recipient: Recipient) -> NoticeMethod:
    if recipient.webhook_url and recipient.webhook_secret:
        return NoticeMethod.WEBHOOK
    if recipient.contact_email:
        return NoticeMethod.EMAIL
    return NoticeMethod.NONE


def create_notices(
    session: Session,
    request: SubjectRequest,
    action: NoticeAction,
    *,
    recipients: list[Recipient],
    details: dict[str, Any] | None = None,
    actor: str = SYSTEM,
    now: datetime,
) -> list[RecipientNotice]:
    """One notice per recipient, queued for the worker; ``details`` holds no address.

    A second call for the same action on the same case starts a new round (e.g. a restriction set
    again after it was lifted).
    """
    created = []
    for recipient in recipients:
        previous = session.scalar(
            select(func.max(RecipientNotice.round)).where(
                RecipientNotice.request_id == request.id,
                RecipientNotice.recipient_id == recipient.id,
                RecipientNotice.action == action,
            )
        )
        method = method_for(recipient)
        notice = RecipientNotice(
            request_id=request.id,
            recipient_id=recipient.id,
            action=action,
            round=(previous or 0) + 1,
            method=method,
            status=NoticeStatus.PENDING,
            key=str(uuid.uuid4()),
            details=dict(details or {}),
            created_at=now,
            next_attempt_at=now if method is not NoticeMethod.NONE else None,
        )
        session.add(notice)
        created.append(notice)
    if created:
        record_event(
            request,
            kind="recipients_notified",
            actor=actor,
            now=now,
            data={"action": action.value, "recipients": len(created)},
        )
    session.flush()
    return created


def notices_of(session: Session, request: SubjectRequest) -> list[RecipientNotice]:
    return list(
        session.scalars(
            select(RecipientNotice)
            .where(RecipientNotice.request_id == request.id)
            .order_by(RecipientNotice.id)
        )
    )


def undecided(session: Session, request: SubjectRequest) -> int:
    """How many notices of the case are neither confirmed nor recorded as impossible."""
    return (
        session.scalar(
            select(func.count(RecipientNotice.id)).where(
                RecipientNotice.request_id == request.id,
                RecipientNotice.status.in_([NoticeStatus.PENDING, NoticeStatus.SENT]),
            )
        )
        or 0
    )
