"""Reminders to staff: a daily digest of one's cases due soon, and alerts about overdue cases.

- ``due_soon``: each active handler or officer gets, at most once a day, one e-mail listing their
  assigned open cases due today or within the next 3 days (Stockholm dates).
- ``overdue``: every active officer gets one e-mail listing open cases past their deadline.

Each case is reminded once per staff member, kind and deadline: a ``ReminderLog`` row is written
in the same transaction as the queued e-mail, so a rolled-back round sends nothing and a repeated
round sends nothing twice. A case whose deadline moves (an extension) can be reminded again.
The e-mails name the case by reference, type and deadline only: never the person's name or
address (design.md §4). Services flush; the worker commits each reminder on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, exists, insert, select
from sqlalchemy.orm import Session

from app.clock import STOCKHOLM, stockholm_date
from app.core.permissions import ROLE_PERMISSIONS, Permission
from app.core.workflow import CLOSED_STATUSES, RequestStatus, RequestType
from app.mail.outbox import queue_email
from app.models import OutboundEmail, ReminderLog, StaffUser, SubjectRequest

DUE_SOON = "due_soon"
OVERDUE = "overdue"
DUE_SOON_DAYS = 3
STAFF_LANGUAGE = "sv"  # staff e-mails are in Swedish; staff accounts hold no language (yet)
MAX_LISTED = 50
"""Cases named in one e-mail; the rest are counted, and logged as told (the queue lists them)."""

OPEN_STATUSES = tuple(status for status in RequestStatus if status not in CLOSED_STATUSES)


def _roles_with(permission: Permission) -> list[str]:
    return [role.value for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


@dataclass(frozen=True)
class CaseItem:
    """What a reminder says about a case: no personal data of the person."""

    request_id: int
    reference: str
    type: RequestType
    status: RequestStatus
    due_on: date
    assignee: str | None = None  # the staff member's name, in officers' alerts


@dataclass
class Reminder:
    kind: str
    staff_id: int
    email: str
    cases: list[CaseItem] = field(default_factory=list)


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM).astimezone(UTC)


def _not_reminded(kind: str, staff_id: object) -> object:
    return ~exists().where(
        and_(
            ReminderLog.kind == kind,
            ReminderLog.staff_id == staff_id,
            ReminderLog.request_id == SubjectRequest.id,
            ReminderLog.due_on == SubjectRequest.due_on,
        )
    )


def due_soon(session: Session, today: date) -> list[Reminder]:
    """Digests to send: per active case worker, their open cases due within 3 days not yet told.

    A staff member who already had a digest today gets the rest tomorrow, if still due.
    """
    had_digest_today = (
        select(ReminderLog.staff_id)
        .where(ReminderLog.kind == DUE_SOON, ReminderLog.sent_at >= _start_of_day(today))
        .distinct()
    )
    rows = session.execute(
        select(
            SubjectRequest.id,
            SubjectRequest.reference,
            SubjectRequest.type,
            SubjectRequest.status,
            SubjectRequest.due_on,
            StaffUser.id,
            StaffUser.email,
        )
        .join(StaffUser, StaffUser.id == SubjectRequest.assignee_id)
        .where(
            SubjectRequest.status.in_(OPEN_STATUSES),
            SubjectRequest.due_on >= today,
            SubjectRequest.due_on <= today + timedelta(days=DUE_SOON_DAYS),
            StaffUser.active.is_(True),
            StaffUser.role.in_(_roles_with(Permission.WORK_CASES)),
            StaffUser.id.not_in(had_digest_today),
            _not_reminded(DUE_SOON, SubjectRequest.assignee_id),
        )
        .order_by(StaffUser.id, SubjectRequest.due_on, SubjectRequest.id)
    )
    reminders: dict[int, Reminder] = {}
    for request_id, reference, type_, status, due_on, staff_id, email in rows:
        reminder = reminders.setdefault(staff_id, Reminder(DUE_SOON, staff_id, email))
        reminder.cases.append(CaseItem(request_id, reference, type_, status, due_on))
    return list(reminders.values())


def overdue(session: Session, today: date) -> list[Reminder]:
    """Alerts to send: per active officer, the open cases past their deadline not yet told."""
    officers = session.execute(
        select(StaffUser.id, StaffUser.email)
        .where(
            StaffUser.active.is_(True),
            StaffUser.role.in_(_roles_with(Permission.APPROVE)),
        )
        .order_by(StaffUser.id)
    ).all()
    if not officers:
        return []
    names = dict(session.execute(select(StaffUser.id, StaffUser.name)).tuples().all())
    reminders = []
    for officer_id, email in officers:
        rows = session.execute(
            select(
                SubjectRequest.id,
                SubjectRequest.reference,
                SubjectRequest.type,
                SubjectRequest.status,
                SubjectRequest.due_on,
                SubjectRequest.assignee_id,
            )
            .where(
                SubjectRequest.status.in_(OPEN_STATUSES),
                SubjectRequest.due_on < today,
                _not_reminded(OVERDUE, officer_id),
            )
            .order_by(SubjectRequest.due_on, SubjectRequest.id)
        )
        cases = [
            CaseItem(*row[:5], assignee=names.get(row.assignee_id) if row.assignee_id else None)
            for row in rows
        ]
        if cases:
            reminders.append(Reminder(OVERDUE, officer_id, email, cases))
    return reminders


def pending(session: Session, now: datetime) -> list[Reminder]:
    """Every reminder the worker should send now."""
    today = stockholm_date(now)
    return due_soon(session, today) + overdue(session, today)


def queue(session: Session, reminder: Reminder, *, now: datetime) -> OutboundEmail:
    """Queue the e-mail and log every case in it as told, in the caller's transaction.

    :raises sqlalchemy.exc.IntegrityError: when another worker logged one of them first.
    """
    today = stockholm_date(now)
    template = "staff_digest" if reminder.kind == DUE_SOON else "staff_overdue"
    email = queue_email(
        session,
        to=reminder.email,
        template=template,
        language=STAFF_LANGUAGE,
        now=now,
        cases=reminder.cases[:MAX_LISTED],
        total=len(reminder.cases),
        more=max(len(reminder.cases) - MAX_LISTED, 0),
        today=today,
        days=DUE_SOON_DAYS,
    )
    session.execute(
        insert(ReminderLog),
        [
            {
                "kind": reminder.kind,
                "staff_id": reminder.staff_id,
                "request_id": item.request_id,
                "due_on": item.due_on,
                "sent_at": now,
            }
            for item in reminder.cases
        ],
    )
    return email
