"""Retention: the portal's own data purged on time, and the controller's records past their rule
flagged for the privacy officer, who erases them in bulk (design.md §1, legal.md §6).

**The portal's own data** (``purge``: every round of ``portal worker``, and ``portal purge``):

- *Verification tokens* go once expired and more than an hour old: the hourly limit of links per
  address (``verification.send_token``) counts the tokens of the last hour, so deleting them
  sooner would lift the limit. Only hashes are stored, but the row names the address.
- *Subject sessions* go once past their expiry; an ended or idle one is refused already, and its
  row names the address.
- *Access and portability packages*: the files' contents go when the link expires
  (``packages.expire_packages``), sooner than legal.md §6 option 1 asks. The package rows (file
  names, sizes, hashes) and the download rows stay with the case: §6 lists the delivery of the
  copy with its download times in the case log, and they hold no personal data of their own.
- *E-mails not tied to a case* (sign-in links, policy notices, staff reminders) go 30 days after
  they were settled (sent, failed or expired): long enough to answer "did my link arrive?", and
  the policy notice log keeps its own proof (keyed hashes). E-mails of a case are its outgoing
  communications (§6) and stay with the case.
- *Closed cases* past the register's ``requests`` rule (from the closing, 60 months as seeded)
  are reduced to an **anonymous minimal log**, not deleted. For those months the case keeps what
  §6 lists; after them nothing that identifies the person may stay (Art. 5(1)(e)), but the
  register of requests for IMY and the dashboard go on counting the years behind them. So the
  case keeps its reference, type, channel, language, status, dates and deadlines, extension with
  its reason and notice date, refusal scope and legal ground, closing figures, assignee and
  timeline (kinds, times, statuses, staff actors, and ids, codes and counts); its packages with
  their hashes and download times; its Art. 19 notices (recipient, action, method, dates,
  confirmation), a rectification's new values reduced to the field names; its approvals without
  their free-text reasons and notes. It loses the address (an empty string, not a keyed hash:
  a hash would still single the person out, and the suppression list keeps its own for those who
  were erased or objected), the original wording and the form's details, the refusal's free-text
  reasons, internal notes, and the texts of messages and e-mails, which are replaced by their
  SHA-256 (§6: "content hash") so a text the person shows can still be matched. The timeline
  gets a ``log_reduced`` entry. When the address then has neither records nor other cases, the
  key of its sealed audit values is shredded. The audit trail is never touched: it is
  append-only and holds identifiers, not personal data.
- *Suppression entries* past the register's ``suppression`` rule (from their making, 120 months)
  go, unless the address's records still carry an objection, which the entry serves.

Cheap when nothing is due: tokens, sessions and packages are ranges of an index, done every
round. Mail, cases and suppressions become due by the calendar date only (a rule's end is a day),
so the worker checks them once per Stockholm day (``daily``); ``portal purge`` checks all.

**The controller's records** are never deleted automatically: ``overview`` and ``due_items``
flag what is past its rule, and the privacy officer erases it in bulk (``plan_batch``,
``erase_batch``) with the erasure machinery of Art. 17 (``erasure.plan_rows`` and
``erasure.delete_records``): the same rows go in the same order, accounting records stay while
the Accounting Act requires it (unlinked, as in an erasure), one transaction per batch of at
most ``BATCH_SIZE`` people or rows. A period's last day is the anniversary of its start
(``kept_until``); the data are due from the day after. Per category of the register:

- ``lead_contact`` (from the assignment's end): a lead record whose assignments have all ended,
  counted from the last end; a lead without any assignment counts from when it was recorded.
  The whole record goes, with everything under it.
- ``customer`` (from the contract's end): a contact person at a customer. The data model has no
  contract row; the customer's contract is its assignments (``Assignment.customer_id``), so it
  ended when the last of them ended and none runs. A customer without any assignment has no
  contract end on record: held, for the officer to judge. The whole record goes.
- ``communication`` and ``meetings`` (from the assignment's end): a lead's rows whose assignment
  ended; rows tied to no assignment count from when they happened. A customer contact's dealings
  are part of ``customer``.
- ``consents`` (from the withdrawal), ``technical`` (from the collection): the rows.
- ``accounting`` (from the end of the fiscal year, the calendar year): the rows, never before the
  Accounting Act allows (BFL 7 kap. 2 §), however the rule is set.

Held back and shown with the reason, never erased: records of an address that is restricted
(Art. 18: stored only, for example for the person's legal claims; a restriction that only marks
an upheld objection does not hold), that has an open case (the case must answer on what is held),
and for whole records also one with a consent still in force (another purpose, its own legal
basis).

Art. 19 notices are sent for the erasure of whole records (``lead_contact``, ``customer``), as for
an erasure under Art. 17: before the rows go, every recipient of each erased address's data is
found (``notices.recipients_for``: the customers' systems its assignments went to, and every
processor), and one notice per address and recipient is made (``notices.create_without_case``),
delivered by the worker with the same signed webhook or e-mail, retries and confirmation link.
No case lies behind it, so the notice keeps the address until the recipient has it and its
reference is ``RETENTION-<day>``; the officer follows the undecided ones on the retention page.
The erasure of single rows (communications, meetings and the rest) sends none: the confirmation
step and the audit entry list the recipients whose systems received those rows, for the officer
to inform by other means. No suppression entry is made unless the person objected to direct
marketing: then the objection must keep being honoured once the record is gone (Art. 21(3)); for
anyone else a keyed hash kept for ten years would be a new trace of a person who asked for
nothing, and a later import is lawful with fresh Art. 14 information.

Every purge and every erasure is logged with counts only (``audit.record`` with
``retention.purge`` / ``retention.erase`` and a log line), never with what was erased.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.clock import STOCKHOLM, stockholm_date
from app.core.deadlines import add_months
from app.core.retention import accounting_kept_until, fiscal_year_end
from app.core.workflow import CLOSED_STATUSES, RequestStatus
from app.models import (
    AccountingRecord,
    Approval,
    Assignment,
    CaseNote,
    Communication,
    Consent,
    EmailStatus,
    EmailToken,
    Meeting,
    Message,
    NoticeAction,
    OutboundEmail,
    Person,
    PersonKind,
    Recipient,
    RecipientNotice,
    RequestEvent,
    RetentionRule,
    StaffUser,
    SubjectRequest,
    SubjectSession,
    Suppression,
    TechnicalRecord,
)
from app.services import audit, notices, subject_keys, suppression
from app.services.errors import RuleError
from app.services.fulfilment import erasure, packages
from app.services.fulfilment.erasure import KeptGroup
from app.services.fulfilment.restriction import OBJECTION_GROUND
from app.services.processing import SYSTEM

log = logging.getLogger(__name__)

# --- the portal's own data --------------------------------------------------------------------

TOKENS = "email_tokens"
SESSIONS = "subject_sessions"
PACKAGES = "packages"
EMAILS = "emails"
CASES = "cases"
SUPPRESSIONS = "suppressions"
PURGE_KINDS = (TOKENS, SESSIONS, PACKAGES, EMAILS, CASES, SUPPRESSIONS)

RATE_WINDOW = timedelta(hours=1)  # what verification.send_token counts
MAIL_KEEP = timedelta(days=30)
SETTLED = (EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.EXPIRED)
REQUESTS_RULE = "requests"
SUPPRESSION_RULE = "suppression"
REDUCED = "log_reduced"  # the timeline entry of a case reduced to its minimal log
HASHED = "sha256:"  # what a message or e-mail text is replaced by, followed by its hash
_CHUNK = 500


@dataclass
class PurgeReport:
    """How many of each kind one purge removed (a case: reduced to its minimal log)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PURGE_KINDS, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def done(self) -> dict[str, int]:
        """The kinds with something removed, for the audit entry and the log."""
        return {kind: count for kind, count in self.counts.items() if count}


def purge(
    session: Session, now: datetime, *, daily: bool = True, actor: str = SYSTEM
) -> PurgeReport:
    """Remove the portal's own data that is due (module docstring); flushes, never commits.

    ``daily=False`` does only the steps that can fall due at any moment (tokens, sessions,
    packages): the worker passes it on every round but the first of a Stockholm day.
    """
    report = PurgeReport()
    counts = report.counts
    counts[TOKENS] = _rowcount(
        session.execute(
            delete(EmailToken).where(
                EmailToken.expires_at <= now, EmailToken.created_at <= now - RATE_WINDOW
            ),
            execution_options={"synchronize_session": False},
        )
    )
    counts[SESSIONS] = _rowcount(
        session.execute(
            delete(SubjectSession).where(SubjectSession.expires_at <= now),
            execution_options={"synchronize_session": False},
        )
    )
    counts[PACKAGES] = packages.expire_packages(session, now)
    if daily:
        counts[EMAILS] = _purge_emails(session, now)
        counts[CASES] = reduce_closed_cases(session, now)
        counts[SUPPRESSIONS] = _purge_suppressions(session, now)
    if report.total:
        audit.record(session, action="retention.purge", now=now, actor=actor, data=report.done())
        log.info(
            "retention purge: %s",
            ", ".join(f"{count} {kind}" for kind, count in report.done().items()),
        )
    session.flush()
    return report


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _purge_emails(session: Session, now: datetime) -> int:
    cutoff = now - MAIL_KEEP
    return _rowcount(
        session.execute(
            delete(OutboundEmail).where(
                OutboundEmail.status.in_(SETTLED),
                OutboundEmail.next_attempt_at <= cutoff,
                OutboundEmail.request_id.is_(None),
                or_(OutboundEmail.sent_at.is_(None), OutboundEmail.sent_at <= cutoff),
            ),
            execution_options={"synchronize_session": False},
        )
    )


def rule(session: Session, category: str) -> RetentionRule | None:
    return session.scalar(select(RetentionRule).where(RetentionRule.category == category))


def kept_until(start: date, months: int) -> date:
    """The last day data whose period started on ``start`` are kept (the anniversary)."""
    return add_months(start, months)


def cutoff(today: date, months: int) -> date:
    """The first start date that is not yet due ``today``: earlier starts are past their rule.

    The inverse of ``kept_until`` (a start is due when ``kept_until(start) < today``), found
    exactly although month ends clamp (31 August + 6 months = 28 February).
    """
    day = add_months(today, -months)
    while kept_until(day, months) >= today:
        day -= timedelta(days=1)
    while kept_until(day, months) < today:
        day += timedelta(days=1)
    return day


def _midnight(day: date) -> datetime:
    """The start of a Stockholm day, in UTC (timestamps are stored in UTC)."""
    return datetime.combine(day, time(0), STOCKHOLM).astimezone(UTC)


def _chunks(ids: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def content_hash(text: str) -> str:
    return HASHED + hashlib.sha256(text.encode("utf-8")).hexdigest()


def reduce_closed_cases(session: Session, now: datetime) -> int:
    """Reduce the closed cases past the ``requests`` rule to their minimal log; returns how many.

    A reduced case has an empty address, so it is never picked again.
    """
    found = rule(session, REQUESTS_RULE)
    if found is None:
        return 0
    before = cutoff(stockholm_date(now), found.months)
    ids = list(
        session.scalars(
            select(SubjectRequest.id)
            .where(
                SubjectRequest.closed_on < before,
                SubjectRequest.status.in_(CLOSED_STATUSES),
                SubjectRequest.email != "",
            )
            .order_by(SubjectRequest.id)
        )
    )
    for chunk in _chunks(ids):
        _reduce(session, chunk, now)
    session.expire_all()
    return len(ids)


def _reduce(session: Session, ids: Sequence[int], now: datetime) -> None:
    query = select(SubjectRequest.id, SubjectRequest.email).where(SubjectRequest.id.in_(ids))
    emails: dict[int, str] = dict(list(session.execute(query).tuples()))
    messages = list(
        session.execute(
            select(Message.id, Message.body).where(Message.request_id.in_(ids))
        ).tuples()
    )
    for message_id, body in messages:
        if not body.startswith(HASHED):
            session.execute(
                update(Message).where(Message.id == message_id).values(body=content_hash(body)),
                execution_options={"synchronize_session": False},
            )
    mails = list(session.execute(
        select(
            OutboundEmail.id, OutboundEmail.request_id, OutboundEmail.to_address,
            OutboundEmail.body_text,
        ).where(OutboundEmail.request_id.in_(ids), OutboundEmail.status.in_(SETTLED))
    ).tuples())  # fmt: skip
    for mail_id, request_id, to_address, body in mails:
        values: dict[str, Any] = {"body_html": None}
        if not body.startswith(HASHED):
            values["body_text"] = content_hash(body)
        if to_address.strip().lower() == emails.get(request_id):
            values["to_address"] = ""  # recipients' and staff addresses stay: not the person's
        session.execute(
            update(OutboundEmail).where(OutboundEmail.id == mail_id).values(**values),
            execution_options={"synchronize_session": False},
        )
    session.execute(
        delete(CaseNote).where(CaseNote.request_id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    for approval in list(session.scalars(select(Approval).where(Approval.request_id.in_(ids)))):
        payload = dict(approval.payload or {})
        payload.pop("reasons", None)
        approval.payload = payload
        approval.decision_note = None
    rectifications = select(RecipientNotice).where(
        RecipientNotice.request_id.in_(ids), RecipientNotice.action == NoticeAction.RECTIFICATION
    )
    for notice in list(session.scalars(rectifications)):
        fields = (notice.details or {}).get("fields")
        if isinstance(fields, dict) and any(v is not None for v in fields.values()):
            notice.details = {**notice.details, "fields": dict.fromkeys(fields)}
    session.execute(
        update(SubjectRequest)
        .where(SubjectRequest.id.in_(ids))
        .values(
            email="", details={}, original_text=None, refusal_reasons=None, submission_key=None,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )  # fmt: skip
    for request_id in ids:
        session.add(
            RequestEvent(
                request_id=request_id, occurred_at=now, kind=REDUCED, actor=SYSTEM, data={},
                visible_to_subject=False,
            )
        )  # fmt: skip
    session.flush()
    for email in set(emails.values()):
        _shred_if_gone(session, email)


def _shred_if_gone(session: Session, email: str) -> int:
    """Shred the address's key once neither records nor cases of it are left."""
    if not email:
        return 0
    if session.scalar(select(Person.id).where(Person.email == email).limit(1)) is not None:
        return 0
    case_left = select(SubjectRequest.id).where(SubjectRequest.email == email).limit(1)
    if session.scalar(case_left) is not None:
        return 0
    return subject_keys.shred(session, email)


def _purge_suppressions(session: Session, now: datetime) -> int:
    found = rule(session, SUPPRESSION_RULE)
    if found is None:
        return 0
    before = _midnight(cutoff(stockholm_date(now), found.months))
    candidates = list(
        session.execute(
            select(Suppression.id, Suppression.email_hash).where(Suppression.created_at < before)
        ).tuples()
    )
    if not candidates:
        return 0
    objecting = {
        suppression.address_hash(email)
        for email in session.scalars(
            select(Person.email)
            .where(
                or_(
                    Person.marketing_objection_at.is_not(None),
                    Person.restriction_ground == OBJECTION_GROUND,
                )
            )
            .distinct()
        )
    }
    ids = [row_id for row_id, digest in candidates if digest not in objecting]
    for chunk in _chunks(ids):
        session.execute(
            delete(Suppression).where(Suppression.id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
    return len(ids)


# --- the controller's records past their rule --------------------------------------------------

LEAD_CONTACT = "lead_contact"
CUSTOMER = "customer"
COMMUNICATION = "communication"
MEETINGS = "meetings"
CONSENTS = "consents"
TECHNICAL = "technical"
ACCOUNTING = "accounting"
PERSON_CATEGORIES = (LEAD_CONTACT, CUSTOMER)
CATEGORIES = (LEAD_CONTACT, CUSTOMER, COMMUNICATION, MEETINGS, CONSENTS, TECHNICAL, ACCOUNTING)
"""The register's categories whose data the officer erases here, in the order listed."""

TABLES: dict[str, str] = {
    LEAD_CONTACT: erasure.PEOPLE,
    CUSTOMER: erasure.PEOPLE,
    COMMUNICATION: "communications",
    MEETINGS: "meetings",
    CONSENTS: "consents",
    TECHNICAL: "technical_records",
    ACCOUNTING: erasure.ACCOUNTING,
}
"""The table of the erasure machinery (``erasure.CATEGORIES``) each category's items are in."""

# Why an item past its rule is held back.
RESTRICTED = "restricted"
OPEN_CASE = "open_case"
ACTIVE_CONSENT = "active_consent"
NO_CONTRACT_END = "no_contract_end"
HOLD_REASONS = (RESTRICTED, OPEN_CASE, ACTIVE_CONSENT, NO_CONTRACT_END)

BATCH_SIZE = 200
"""The most people or rows one erasure (one transaction) takes."""


@dataclass(frozen=True)
class DueItem:
    """A record or row past its rule: erased by the officer unless ``held`` says why not."""

    id: int  # the person's id (a whole record) or the row's id
    person_id: int | None
    email: str | None
    name: str | None
    started: date | None  # the day the period started (None: no contract end on record)
    kept_until: date | None
    held: str | None = None

    @property
    def is_due(self) -> bool:
        return self.held is None


@dataclass(frozen=True)
class CategoryStatus:
    category: str
    rule: RetentionRule
    due: int
    held: int


def _open_statuses() -> list[RequestStatus]:
    return [s for s in RequestStatus if s.is_open]


def _held_addresses(session: Session, emails: Iterable[str]) -> dict[str, str]:
    """Address -> why its data are held: restricted, or an open case."""
    held: dict[str, str] = {}
    addresses = sorted({e for e in emails if e})
    for chunk in _chunks(addresses):
        for email in session.scalars(
            select(SubjectRequest.email)
            .where(SubjectRequest.email.in_(chunk), SubjectRequest.status.in_(_open_statuses()))
            .distinct()
        ):
            held[email] = OPEN_CASE
        for email in session.scalars(
            select(Person.email)
            .where(
                Person.email.in_(chunk),
                Person.restricted_at.is_not(None),
                or_(
                    Person.restriction_ground.is_(None),
                    Person.restriction_ground != OBJECTION_GROUND,
                ),
            )
            .distinct()
        ):
            held[email] = RESTRICTED
    return held


def _with_active_consent(session: Session, person_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(person_ids)):
        found.update(
            session.scalars(
                select(Consent.person_id).where(
                    Consent.person_id.in_(chunk), Consent.withdrawn_at.is_(None)
                )
            )
        )
    return found


def _assignment_ends(key: Any, today: date) -> Any:
    """Per person or customer: the last end of its assignments and how many still run."""
    running = case((or_(Assignment.ended_on.is_(None), Assignment.ended_on > today), 1), else_=0)
    return (
        select(
            key.label("key"),
            func.max(Assignment.ended_on).label("last_end"),
            func.sum(running).label("running"),
        )
        .group_by(key)
        .subquery()
    )


def _lead_rows(session: Session, today: date, before: date) -> list[tuple[Any, ...]]:
    ends = _assignment_ends(Assignment.person_id, today)
    query = (
        select(Person.id, Person.email, Person.name, ends.c.last_end, Person.created_at)
        .outerjoin(ends, ends.c.key == Person.id)
        .where(
            Person.kind == PersonKind.LEAD,
            or_(
                and_(ends.c.key.is_not(None), ends.c.running == 0, ends.c.last_end < before),
                and_(ends.c.key.is_(None), Person.created_at < _midnight(before)),
            ),
        )
    )
    rows = []
    for person_id, email, name, last_end, created_at in session.execute(query).tuples():
        started = last_end if last_end is not None else stockholm_date(created_at)
        rows.append((person_id, person_id, email, name, started))
    return rows


def _customer_rows(session: Session, today: date, before: date) -> list[tuple[Any, ...]]:
    ends = _assignment_ends(Assignment.customer_id, today)
    query = (
        select(Person.id, Person.email, Person.name, ends.c.last_end)
        .outerjoin(ends, ends.c.key == Person.company_id)
        .where(
            Person.kind == PersonKind.CUSTOMER_CONTACT,
            or_(
                ends.c.key.is_(None),
                and_(ends.c.running == 0, ends.c.last_end < before),
            ),
        )
    )
    return [
        (person_id, person_id, email, name, last_end)
        for person_id, email, name, last_end in session.execute(query).tuples()
    ]


def _lead_activity_rows(
    session: Session, model: Any, moment: Any, before: date
) -> list[tuple[Any, ...]]:
    """A lead's communications or meetings: from the assignment's end, else from when."""
    query = (
        select(model.id, Person.id, Person.email, Person.name, Assignment.ended_on, moment)
        .join(Person, Person.id == model.person_id)
        .outerjoin(Assignment, Assignment.id == model.assignment_id)
        .where(
            Person.kind == PersonKind.LEAD,
            or_(
                and_(model.assignment_id.is_not(None), Assignment.ended_on < before),
                and_(model.assignment_id.is_(None), moment < _midnight(before)),
            ),
        )
    )
    return [
        (row_id, person_id, email, name, ended_on or stockholm_date(at))
        for row_id, person_id, email, name, ended_on, at in session.execute(query).tuples()
    ]


def _moment_rows(session: Session, model: Any, moment: Any, before: date) -> list[tuple[Any, ...]]:
    query = (
        select(model.id, Person.id, Person.email, Person.name, moment)
        .join(Person, Person.id == model.person_id)
        .where(moment < _midnight(before))
    )
    return [
        (row_id, person_id, email, name, stockholm_date(at))
        for row_id, person_id, email, name, at in session.execute(query).tuples()
    ]


def _accounting_rows(session: Session, today: date, before: date) -> list[tuple[Any, ...]]:
    # Due by the rule (its start is the end of the fiscal year) and by the Accounting Act both.
    rule_before = date(before.year, 1, 1)
    law_before = date(today.year - 7, 1, 1)  # accounting_kept_until(d) < today
    query = (
        select(
            AccountingRecord.id, Person.id, Person.email,
            func.coalesce(Person.name, AccountingRecord.reference_name),
            AccountingRecord.document_date,
        )
        .outerjoin(Person, Person.id == AccountingRecord.person_id)
        .where(AccountingRecord.document_date < min(rule_before, law_before))
    )  # fmt: skip
    return [
        (row_id, person_id, email, name, fiscal_year_end(day))
        for row_id, person_id, email, name, day in session.execute(query).tuples()
        if accounting_kept_until(day) < today
    ]


def due_items(session: Session, category: str, today: date) -> list[DueItem]:
    """Everything of ``category`` past its rule ``today``, held ones included, oldest first.

    :raises KeyError: for a category that is not one of ``CATEGORIES``.
    """
    if category not in CATEGORIES:
        raise KeyError(category)
    found = rule(session, category)
    if found is None:
        return []
    months = found.months
    before = cutoff(today, months)
    if category == LEAD_CONTACT:
        rows = _lead_rows(session, today, before)
    elif category == CUSTOMER:
        rows = _customer_rows(session, today, before)
    elif category == COMMUNICATION:
        rows = _lead_activity_rows(session, Communication, Communication.occurred_at, before)
    elif category == MEETINGS:
        rows = _lead_activity_rows(session, Meeting, Meeting.starts_at, before)
    elif category == CONSENTS:
        rows = _moment_rows(session, Consent, Consent.withdrawn_at, before)
    elif category == TECHNICAL:
        rows = _moment_rows(session, TechnicalRecord, TechnicalRecord.occurred_at, before)
    else:
        rows = _accounting_rows(session, today, before)

    held_addresses = _held_addresses(session, (row[2] for row in rows))
    consenting: set[int] = set()
    if category in PERSON_CATEGORIES:
        consenting = _with_active_consent(session, [row[0] for row in rows])
    items = []
    for item_id, person_id, email, name, started in rows:
        held = held_addresses.get(email) if email else None
        if held is None and item_id in consenting and category in PERSON_CATEGORIES:
            held = ACTIVE_CONSENT
        if held is None and started is None:
            held = NO_CONTRACT_END
        until = None
        if started is not None:
            until = kept_until(started, months)
            if category == ACCOUNTING:
                until = max(until, accounting_kept_until(started))
        items.append(DueItem(item_id, person_id, email, name, started, until, held))
    items.sort(key=lambda i: (i.kept_until is None, i.kept_until or today, i.id))
    return items


def overview(session: Session, today: date) -> list[CategoryStatus]:
    """Per category of the register (those with a rule): how many items are due and held."""
    statuses = []
    for category in CATEGORIES:
        found = rule(session, category)
        if found is None:
            continue
        items = due_items(session, category, today)
        due = sum(1 for i in items if i.is_due)
        statuses.append(CategoryStatus(category, found, due, len(items) - due))
    return statuses


@dataclass(frozen=True)
class Recipients:
    """A recipient that received data of the people or rows of a batch (Art. 19)."""

    id: int
    name: str
    count: int


@dataclass(frozen=True)
class Batch:
    """What one bulk erasure takes: the next due items of a category, row by row."""

    category: str
    items: tuple[DueItem, ...]
    due_total: int  # due items in the category, this batch included
    erase: dict[str, tuple[int, ...]]
    kept: tuple[KeptGroup, ...]
    recipients: tuple[Recipients, ...]
    objecting: tuple[str, ...]  # addresses that objected: suppressed when erased

    @property
    def counts(self) -> dict[str, int]:
        return {c: len(self.erase.get(c, ())) for c in erasure.CATEGORIES}

    @property
    def notifies(self) -> bool:
        """Whether erasing it sends Art. 19 notices (whole records only: module docstring)."""
        return self.category in PERSON_CATEGORIES

    @property
    def erased_total(self) -> int:
        return sum(self.counts.values())

    @property
    def kept_counts(self) -> dict[str, int]:
        kept: dict[str, int] = {}
        for group in self.kept:
            kept[group.category] = kept.get(group.category, 0) + len(group.ids)
        return kept

    @property
    def remaining(self) -> int:
        return self.due_total - len(self.items)

    @property
    def fingerprint(self) -> str:
        """Changes with any row the batch would erase or keep: the confirmation must match."""
        parts = [self.category, repr(sorted(i.id for i in self.items))]
        parts += [f"{c}:{sorted(self.erase.get(c, ()))}" for c in erasure.CATEGORIES]
        parts += [f"{g.category}:{g.ground}:{sorted(g.ids)}" for g in self.kept]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def plan_batch(session: Session, category: str, today: date, *, size: int = BATCH_SIZE) -> Batch:
    """The next batch of ``category`` to erase ``today``: due items only, oldest first."""
    due = [i for i in due_items(session, category, today) if i.is_due]
    items = tuple(due[:size])
    ids = [i.id for i in items]
    table = TABLES[category]
    kept: tuple[KeptGroup, ...] = ()
    if category in PERSON_CATEGORIES:
        erase, all_kept = erasure.plan_rows(session, ids, erasure.CATEGORIES, today)
        kept = tuple(g for g in all_kept if g.by_law)
    else:
        erase: dict[str, tuple[int, ...]] = dict.fromkeys(erasure.CATEGORIES, ())
        erase[table] = tuple(sorted(ids))
    objecting: tuple[str, ...] = ()
    if category in PERSON_CATEGORIES and ids:
        objecting = tuple(
            sorted(
                {
                    email
                    for chunk in _chunks(sorted(ids))
                    for email in session.scalars(
                        select(Person.email).where(
                            Person.id.in_(chunk), Person.marketing_objection_at.is_not(None)
                        )
                    )
                }
            )
        )
    return Batch(
        category=category,
        items=items,
        due_total=len(due),
        erase=erase,
        kept=kept,
        recipients=_recipients(session, category, ids),
        objecting=objecting,
    )


def _recipients(session: Session, category: str, ids: Sequence[int]) -> tuple[Recipients, ...]:
    """Who received data of the batch: the customers' systems its assignments were delivered to."""
    if not ids or category not in (*PERSON_CATEGORIES, COMMUNICATION, MEETINGS):
        return ()
    counts: dict[int, set[int]] = {}
    for chunk in _chunks(sorted(ids)):
        if category in PERSON_CATEGORIES:
            query = select(Assignment.recipient_id, Assignment.person_id).where(
                Assignment.person_id.in_(chunk), Assignment.recipient_id.is_not(None)
            )
        else:
            model = Communication if category == COMMUNICATION else Meeting
            query = (
                select(Assignment.recipient_id, model.id)
                .join(Assignment, Assignment.id == model.assignment_id)
                .where(model.id.in_(chunk), Assignment.recipient_id.is_not(None))
            )
        for recipient_id, item_id in session.execute(query).tuples():
            counts.setdefault(recipient_id, set()).add(item_id)
    if not counts:
        return ()
    by_id = select(Recipient.id, Recipient.name).where(Recipient.id.in_(list(counts)))
    names: dict[int, str] = dict(list(session.execute(by_id).tuples()))
    return tuple(
        Recipients(recipient_id, names.get(recipient_id, str(recipient_id)), len(items))
        for recipient_id, items in sorted(counts.items(), key=lambda kv: (names.get(kv[0], ""),))
    )


def erase_batch(
    session: Session,
    category: str,
    fingerprint: str,
    *,
    by: StaffUser,
    now: datetime,
    size: int = BATCH_SIZE,
) -> Batch:
    """Erase the batch the officer confirmed, in the current transaction; flushes only.

    :raises RuleError: nothing is due, or the batch is no longer the one confirmed (a row came or
        went, a hold began): nothing changes.
    """
    batch = plan_batch(session, category, stockholm_date(now), size=size)
    if not batch.items:
        raise RuleError(_("Nothing in this category is due for erasure now."))
    if batch.fingerprint != fingerprint:
        raise RuleError(
            _(
                "The data due for erasure have changed since the counts were shown (a record "
                "was added, changed or held back). Check the new counts and confirm again. "
                "Nothing was erased."
            )
        )
    emails = {i.email for i in batch.items if i.email}
    told: dict[str, list[Recipient]] = {}
    if category in PERSON_CATEGORIES:  # before the rows that name the recipients go
        told = {email: notices.recipients_for(session, email) for email in sorted(emails)}
    erasure.delete_records(session, batch.erase, batch.kept)
    made = sum(
        len(
            notices.create_without_case(
                session, email, NoticeAction.ERASURE, recipients=recipients,
                details={"retention_category": category}, now=now,
            )
        )
        for email, recipients in told.items()
    )  # fmt: skip
    for email in batch.objecting:
        suppression.suppress(session, email, reason="objection", now=now)
    keys = sum(_shred_if_gone(session, email) for email in sorted(emails))
    data: dict[str, Any] = {
        "category": category,
        "erased": {c: n for c, n in batch.counts.items() if n},
        "kept": batch.kept_counts,
        "suppressed": len(batch.objecting),
        "keys": keys,
        "recipients": {str(r.id): r.count for r in batch.recipients},
        "notices": made,
    }
    audit.record(session, action="retention.erase", now=now, staff=by, data=data)
    log.info(
        "retention erase: %s, %s rows erased, %s kept by law, %s suppressed",
        category, batch.erased_total, sum(batch.kept_counts.values()), len(batch.objecting),
    )  # fmt: skip
    session.flush()
    return batch
