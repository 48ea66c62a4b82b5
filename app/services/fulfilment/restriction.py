"""Restriction of processing (Art. 18): flag the records, leave them out of everything but storage.

A restriction marks every record of the verified address with its ground (Art. 18(1)(a)-(d)).
While a record is restricted it may only be stored: lists, exports to recipients and reporting
leave it out (``processable``). The person is told that the restriction is in place, and told
again *before* it is lifted (Art. 18(3)); lifting is a second step on or after the date the
person was given. Recipients of the data are told both times (Art. 19).

The restriction belongs to the records, not to the case: it outlives the case, so the lifting
steps work on a closed case too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from flask import render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from app.core.workflow import RequestType
from app.models import Message, NoticeAction, Person, StaffUser, SubjectRequest, Suppression
from app.services import audit, casework, notices
from app.services.errors import RuleError
from app.services.processing import record_event
from app.services.subjects import person_ids
from app.services.suppression import address_hash

# Art. 18(1): (a) accuracy contested, (b) unlawful but no erasure wanted, (c) needed by the
# person for legal claims, (d) objection under Art. 21(1) pending.
GROUNDS: dict[str, str] = {
    "accuracy": "18.1 a",
    "unlawful": "18.1 b",
    "legal_claims": "18.1 c",
    "objection": "18.1 d",
}
OBJECTION_GROUND = "objection"

# Timeline entries (RequestEvent.kind) this module writes.
RESTRICTED = "restricted"  # a restriction case put the restriction in place
OBJECTION_RESTRICTED = "objection_restricted"  # an Art. 21(1) objection did, at filing
LIFT_ANNOUNCED = "restriction_lift_announced"  # the person was told it will be lifted (18(3))
LIFTED = "restriction_lifted"

_SUPPRESSION_CHUNK = 500


# --- what may be processed ----------------------------------------------------------------------


def processable() -> ColumnElement[bool]:
    """SQL condition on ``Person``: the record may be used for more than storage.

    Not restricted (Art. 18(2)) and no objection to direct marketing (Art. 21(3)). The
    suppression list is a keyed hash that SQL cannot compute, so a query that lists people
    also passes its rows through ``unsuppressed`` (``processable_rows`` does both); counts for
    reporting may use this condition alone, since a suppressed address keeps no other rows than
    restricted or objecting ones unless it was imported again.
    """
    return and_(Person.restricted_at.is_(None), Person.marketing_objection_at.is_(None))


def restricted() -> ColumnElement[bool]:
    """SQL condition on ``Person``: the record is restricted (stored only)."""
    return Person.restricted_at.is_not(None)


def suppressed_addresses(session: Session, emails: Iterable[str]) -> set[str]:
    """Which of these addresses are on the suppression list (hashes compared in chunks)."""
    by_hash = {address_hash(email): email for email in set(emails)}
    found: set[str] = set()
    hashes = list(by_hash)
    for start in range(0, len(hashes), _SUPPRESSION_CHUNK):
        chunk = hashes[start : start + _SUPPRESSION_CHUNK]
        rows = session.scalars(
            select(Suppression.email_hash).where(Suppression.email_hash.in_(chunk))
        )
        found.update(by_hash[digest] for digest in rows)
    return found


T = TypeVar("T")


def unsuppressed(
    session: Session, rows: Sequence[T], email: Callable[[T], str] = lambda row: row.email
) -> list[T]:
    """The rows whose address is not on the suppression list, in their order."""
    blocked = suppressed_addresses(session, (email(row) for row in rows))
    return [row for row in rows if email(row) not in blocked]


def processable_rows(session: Session, query: Select[Any]) -> list[Any]:
    """Run a query over ``Person`` (selecting a column named ``email``) for people who may be
    processed beyond storage: not restricted, not objecting, address not suppressed."""
    rows = session.execute(query.where(processable())).all()
    return unsuppressed(session, rows)


# --- the state of a case's restriction --------------------------------------------------------


@dataclass(frozen=True)
class RestrictionState:
    """What a case did to the restriction, read from its timeline (newest round only)."""

    applied_at: datetime | None  # when this case put the restriction in place
    ground: str | None
    announced_at: datetime | None  # when the person was told it will be lifted
    lift_on: date | None  # the date the person was given
    lifted_at: datetime | None

    @property
    def in_force(self) -> bool:
        return self.applied_at is not None and self.lifted_at is None


def state(request: SubjectRequest) -> RestrictionState:
    applied = announced = lifted = None
    for event in request.events:
        if event.kind in (RESTRICTED, OBJECTION_RESTRICTED):
            applied, announced, lifted = event, None, None
        elif event.kind == LIFT_ANNOUNCED and applied is not None and lifted is None:
            announced = event
        elif event.kind == LIFTED and applied is not None:
            lifted = event
    lift_on = announced.data.get("lift_on") if announced is not None else None
    return RestrictionState(
        applied_at=applied.occurred_at if applied else None,
        ground=applied.data.get("ground") if applied else None,
        announced_at=announced.occurred_at if announced else None,
        lift_on=date.fromisoformat(lift_on) if lift_on else None,
        lifted_at=lifted.occurred_at if lifted else None,
    )


def restricted_records(session: Session, email: str) -> list[Person]:
    return list(
        session.scalars(
            select(Person).where(Person.email == email, restricted()).order_by(Person.id)
        )
    )


def pending_objection(session: Session, email: str) -> SubjectRequest | None:
    """An open Art. 21(1) objection of the address: its restriction waits for the decision."""
    cases = session.scalars(
        select(SubjectRequest)
        .where(SubjectRequest.email == email, SubjectRequest.type == RequestType.OBJECTION)
        .order_by(SubjectRequest.id)
    )
    return next(
        (c for c in cases if c.is_open and (c.details or {}).get("kind") == "legitimate_interest"),
        None,
    )


# --- the records --------------------------------------------------------------------------------


def restrict_records(
    session: Session, email: str, ground: str, *, now: datetime, keep_existing: bool = False
) -> int:
    """Flag every record of the address as restricted on ``ground``; return how many.

    With ``keep_existing`` a record already restricted keeps its earlier ground and time.
    """
    people = list(session.scalars(select(Person).where(Person.email == email)))
    for person in people:
        if keep_existing and person.restricted_at is not None:
            continue
        person.restricted_at = now
        person.restriction_ground = ground
        person.updated_at = now
    session.flush()
    return len(people)


def clear_records(
    session: Session, email: str, *, now: datetime, which: Callable[[Person], bool]
) -> int:
    """Lift the restriction of the address's restricted records ``which`` picks; return how many."""
    cleared = 0
    for person in restricted_records(session, email):
        if which(person):
            person.restricted_at = None
            person.restriction_ground = None
            person.updated_at = now
            cleared += 1
    session.flush()
    return cleared


def stopped_by_objection(person: Person) -> bool:
    """Restricted because an objection was upheld: processing stopped, the record stays stored
    only (until erased) whatever restriction case is lifted later."""
    return (
        person.restriction_ground == OBJECTION_GROUND and person.marketing_objection_at is not None
    )


def notice_text(template: str, request: SubjectRequest, **context: Any) -> str:
    """A notice in the case's language, kept as a message on the person's status page."""
    with force_locale(request.language):
        text = render_template(template, case=request, language=request.language, **context)
    return text.strip()


def _post(request: SubjectRequest, body: str, by: StaffUser | None, now: datetime) -> None:
    request.messages.append(
        Message(from_subject=False, staff_id=by.id if by else None, body=body, created_at=now)
    )


# --- a restriction case -------------------------------------------------------------------------


def apply_restriction(
    session: Session, request: SubjectRequest, *, ground: str, by: StaffUser, now: datetime
) -> int:
    """Restrict every record of the case's address, tell the person and the recipients.

    :raises RuleError: on a closed case, another type, an unknown ground, a restriction already
        in force from this case, or an address without records.
    """
    if request.type is not RequestType.RESTRICTION:
        raise RuleError(_("Only a request for restriction is carried out this way."))
    if not request.is_open:
        raise casework.CaseClosedError
    if ground not in GROUNDS:
        raise RuleError(_("Choose the ground for the restriction."))
    if state(request).in_force:
        raise RuleError(_("The restriction is already in place."))
    if not person_ids(session, request.email):
        raise RuleError(
            _(
                "No records are held under this address, so there is nothing to restrict. "
                "Complete the case and tell the person so."
            )
        )
    recipients = notices.recipients_for(session, request.email)
    count = restrict_records(session, request.email, ground, now=now)
    record_event(request, kind=RESTRICTED, actor=by.actor, now=now,
                 data={"ground": ground, "records": count})  # fmt: skip
    audit.record(session, action="case.restrict", now=now, staff=by, request=request,
                 data={"ground": ground, "records": count})  # fmt: skip
    _post(request, notice_text("notices/restricted.txt", request, ground=ground,
                               article=GROUNDS[ground]), by, now)  # fmt: skip
    casework.notify_subject(session, request, "message", now)
    notices.create_notices(
        session, request, NoticeAction.RESTRICTION, recipients=recipients,
        details={"ground": ground}, actor=by.actor, now=now,
    )  # fmt: skip
    return count


def announce_lift(
    session: Session,
    request: SubjectRequest,
    *,
    reason: str,
    lift_on: date,
    by: StaffUser,
    now: datetime,
    today: date,
) -> None:
    """Tell the person, before anything changes, that the restriction will be lifted (18(3)).

    Works on a closed case as well: the restriction outlives the case.

    :raises RuleError: when this case's restriction is not in force, the date is in the past or
        the reason is empty.
    """
    current = state(request)
    if not current.in_force or not restricted_records(session, request.email):
        raise RuleError(_("No restriction from this case is in force, so none can be lifted."))
    if not reason.strip():
        raise RuleError(_("Give the reason why the restriction will be lifted."))
    if lift_on < today:
        raise RuleError(_("The date the restriction is lifted cannot be before today."))
    record_event(request, kind=LIFT_ANNOUNCED, actor=by.actor, now=now,
                 data={"lift_on": lift_on.isoformat()})  # fmt: skip
    audit.record(session, action="case.announce_lift", now=now, staff=by, request=request,
                 data={"lift_on": lift_on.isoformat()})  # fmt: skip
    _post(request, notice_text("notices/restriction_lift.txt", request, reason=reason.strip(),
                               lift_on=lift_on), by, now)  # fmt: skip
    casework.notify_subject(session, request, "message", now)
    session.flush()


def lift_restriction(
    session: Session, request: SubjectRequest, *, by: StaffUser, now: datetime, today: date
) -> int:
    """Lift the restriction the person was told about, on or after the date they were given.

    Clears the restriction of the address's records (except where an upheld objection stopped
    the processing) and tells the recipients. Returns how many records were freed.

    :raises RuleError: without the prior notice, before its date, or while an objection of the
        address waits for its decision; nothing changes then.
    """
    current = state(request)
    if not current.in_force:
        raise RuleError(_("No restriction from this case is in force, so none can be lifted."))
    if current.announced_at is None or current.lift_on is None:
        raise RuleError(
            _(
                "The person must be told before the restriction is lifted (Art. 18.3 GDPR). "
                "Tell them first, with the reason and the date."
            )
        )
    if today < current.lift_on:
        raise RuleError(
            _(
                "The person was told the restriction is lifted on %(date)s. It cannot be lifted "
                "before that date.",
                date=format_date(current.lift_on, "long"),
            )
        )
    objection = pending_objection(session, request.email)
    if objection is not None:
        raise RuleError(
            _(
                "The person's objection %(reference)s is still being decided; the records stay "
                "restricted until it is (Art. 18.1 d GDPR).",
                reference=objection.reference,
            )
        )
    recipients = notices.recipients_for(session, request.email)
    count = clear_records(
        session, request.email, now=now, which=lambda person: not stopped_by_objection(person)
    )
    record_event(request, kind=LIFTED, actor=by.actor, now=now, data={"records": count})
    audit.record(session, action="case.lift_restriction", now=now, staff=by, request=request,
                 data={"records": count})  # fmt: skip
    if count:  # records erased meanwhile: nothing left to tell the recipients about
        notices.create_notices(
            session, request, NoticeAction.RESTRICTION_LIFTED, recipients=recipients,
            details={"ground": current.ground}, actor=by.actor, now=now,
        )  # fmt: skip
    return count


# --- completion ---------------------------------------------------------------------------------


def _completion_guard(session: Session, request: SubjectRequest) -> str | None:
    if request.type is not RequestType.RESTRICTION or request.refusal_notified_at is not None:
        return None
    if state(request).applied_at is not None or not person_ids(session, request.email):
        return None
    return _(
        "The restriction is not yet in place: apply it to the records first, or refuse the "
        "request with reasons."
    )


casework.COMPLETION_GUARDS.append(_completion_guard)
