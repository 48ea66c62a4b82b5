"""Objection (Art. 21). Against direct marketing it is absolute and immediate (Art. 21(3)).

Against processing based on legitimate interest (Art. 21(1)) the records are restricted at
filing (Art. 18(1)(d)) while the privacy officer decides: either the objection is upheld and the
processing stops, or the controller states compelling legitimate grounds that override the
person's interests. The decision is a proposal a handler makes and the officer approves
(``ApprovalKind.OBJECTION``); either way the person gets the decision with its reasons.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.workflow import RequestStatus, RequestType
from app.models import (
    Approval,
    ApprovalKind,
    Consent,
    Message,
    NoticeAction,
    Person,
    Purpose,
    StaffUser,
    SubjectRequest,
)
from app.services import audit, casework, decisions, notices, suppression
from app.services.errors import RuleError
from app.services.fulfilment.restriction import (
    LIFTED,
    OBJECTION_GROUND,
    OBJECTION_RESTRICTED,
    clear_records,
    notice_text,
    restrict_records,
    state,
    stopped_by_objection,
)
from app.services.processing import SYSTEM, record_event, transition
from app.services.subjects import person_ids

DIRECT_MARKETING = "direct_marketing"
LEGITIMATE_INTEREST = "legitimate_interest"

# What the handler proposes on an Art. 21(1) objection.
UPHOLD = "uphold"  # the processing stops
OVERRIDE = "override"  # compelling legitimate grounds override the person's interests
OUTCOMES = (UPHOLD, OVERRIDE)
# The grounds of an override go to the person and the burden of proof is ours: a word or two is
# not a statement of compelling grounds.
GROUNDS_MIN_LENGTH = 40
REFUSAL_GROUND = "compelling_grounds"  # app.core.grounds: Art. 21(1)


def stop_direct_marketing(session: Session, *, email: str, now: datetime) -> int:
    """Mark every record of the address as objecting and end its marketing consents.

    Returns how many records were marked; outreach lists leave out marked records.
    """
    people = list(session.scalars(select(Person).where(Person.email == email)))
    for person in people:
        if person.marketing_objection_at is None:
            person.marketing_objection_at = now
    consents = session.scalars(
        select(Consent)
        .join(Purpose, Consent.purpose_id == Purpose.id)
        .where(
            Consent.person_id.in_([p.id for p in people]),
            Consent.withdrawn_at.is_(None),
            Purpose.code == DIRECT_MARKETING,
        )
    )
    for consent in consents:
        consent.withdrawn_at = now
    session.flush()
    return len(people)


def is_legitimate_interest(request: SubjectRequest) -> bool:
    return (
        request.type is RequestType.OBJECTION
        and (request.details or {}).get("kind") == LEGITIMATE_INTEREST
    )


def restrict_pending_decision(session: Session, request: SubjectRequest, *, now: datetime) -> int:
    """At filing of an Art. 21(1) objection: restrict the records (Art. 18(1)(d)) until decided.

    A record already restricted on another ground keeps it. The person's status page says so,
    and the recipients are told (Art. 19). Returns how many records are restricted.
    """
    if not person_ids(session, request.email):
        return 0
    recipients = notices.recipients_for(session, request.email)
    count = restrict_records(session, request.email, OBJECTION_GROUND, now=now, keep_existing=True)
    record_event(request, kind=OBJECTION_RESTRICTED, actor=SYSTEM, now=now,
                 data={"ground": OBJECTION_GROUND, "records": count})  # fmt: skip
    audit.record(session, action="records.restrict", now=now, request=request,
                 data={"ground": OBJECTION_GROUND, "records": count})  # fmt: skip
    body = notice_text("notices/restricted.txt", request, ground=OBJECTION_GROUND, article="18.1 d")
    request.messages.append(Message(from_subject=False, body=body, created_at=now))
    notices.create_notices(
        session, request, NoticeAction.RESTRICTION, recipients=recipients,
        details={"ground": OBJECTION_GROUND}, now=now,
    )  # fmt: skip
    return count


# --- the decision on an Art. 21(1) objection ----------------------------------------------------


def _check(request: SubjectRequest, outcome: str, reasons: str) -> None:
    if not is_legitimate_interest(request):
        raise RuleError(
            _("Only an objection to processing based on legitimate interest is decided this way.")
        )
    if not request.is_open:
        raise casework.CaseClosedError
    if outcome not in OUTCOMES:
        raise RuleError(_("Choose whether the objection is upheld or overridden."))
    if outcome == OVERRIDE and len(reasons.strip()) < GROUNDS_MIN_LENGTH:
        raise RuleError(
            _(
                "State the compelling legitimate grounds specifically (at least %(num)d "
                "characters): they are sent to the person, and we must show that they override "
                "the person's interests.",
                num=GROUNDS_MIN_LENGTH,
            )
        )


def propose_decision(
    session: Session,
    request: SubjectRequest,
    *,
    outcome: str,
    reasons: str,
    by: StaffUser,
    now: datetime,
    today: date,
) -> Approval:
    """Propose upholding the objection or overriding it; an officer's own proposal takes effect.

    :raises RuleError, CaseClosedError, DecisionError:
    """
    _check(request, outcome, reasons)
    if decisions.pending(request, ApprovalKind.OBJECTION):
        raise decisions.DecisionError("already_pending")
    payload = {"outcome": outcome, "reasons": reasons.strip()}
    return decisions.propose(session, request, ApprovalKind.OBJECTION, payload, by, now, today)


def decided_outcome(request: SubjectRequest) -> str | None:
    """The outcome that took effect on the case, if any."""
    for event in request.events:
        if event.kind == "objection_upheld":
            return UPHOLD
        if event.kind == "objection_overridden":
            return OVERRIDE
    return None


def _apply(
    session: Session, request: SubjectRequest, approval: Approval, by: StaffUser, now: datetime
) -> None:
    if approval.payload["outcome"] == UPHOLD:
        _uphold(session, request, approval, by, now)
    else:
        _override(session, request, approval, by, now)


def _uphold(
    session: Session, request: SubjectRequest, approval: Approval, by: StaffUser, now: datetime
) -> None:
    """The processing stops: no outreach, stored only, never re-imported or contacted again."""
    people = list(session.scalars(select(Person).where(Person.email == request.email)))
    for person in people:
        if person.marketing_objection_at is None:
            person.marketing_objection_at = now
        if person.restricted_at is None:
            person.restricted_at = now
        person.restriction_ground = OBJECTION_GROUND
        person.updated_at = now
    suppression.suppress(session, request.email, reason="objection", now=now)
    audit.record(session, action="records.stop_processing", now=now, staff=by, request=request,
                 data={"records": len(people)})  # fmt: skip
    body = notice_text(
        "notices/objection_upheld.txt", request, reasons=approval.payload.get("reasons") or ""
    )
    request.messages.append(Message(from_subject=False, staff_id=by.id, body=body, created_at=now))
    transition(session, request, RequestStatus.COMPLETED, actor=by.actor, now=now,
               kind="objection_upheld", data={"records": len(people)})  # fmt: skip
    casework.notify_subject(session, request, "completed", now)


def _override(
    session: Session, request: SubjectRequest, approval: Approval, by: StaffUser, now: datetime
) -> None:
    """Compelling grounds: the person is told them with the remedies, and since the decision
    ends the objection's restriction the same notice tells them it is lifted (Art. 18(3))."""
    grounds = approval.payload["reasons"]
    request.refusal_scope = "whole"
    request.refusal_ground = REFUSAL_GROUND
    request.refusal_reasons = grounds
    request.refusal_notified_at = now
    was_restricted = state(request).in_force
    body = notice_text(
        "notices/objection_rejected.txt", request, grounds=grounds, article="21.1",
        lifted=was_restricted,
    )  # fmt: skip
    request.messages.append(Message(from_subject=False, staff_id=by.id, body=body, created_at=now))
    if was_restricted:
        recipients = notices.recipients_for(session, request.email)
        count = clear_records(
            session, request.email, now=now,
            which=lambda p: p.restriction_ground == OBJECTION_GROUND
            and not stopped_by_objection(p),
        )  # fmt: skip
        record_event(request, kind=LIFTED, actor=by.actor, now=now, data={"records": count})
        audit.record(session, action="case.lift_restriction", now=now, staff=by,
                     request=request, data={"records": count})  # fmt: skip
        if count:
            notices.create_notices(
                session, request, NoticeAction.RESTRICTION_LIFTED, recipients=recipients,
                details={"ground": OBJECTION_GROUND}, actor=by.actor, now=now,
            )  # fmt: skip
    transition(session, request, RequestStatus.REFUSED, actor=by.actor, now=now,
               kind="objection_overridden")  # fmt: skip
    casework.notify_subject(session, request, "refused", now)


decisions.register(
    ApprovalKind.OBJECTION,
    decisions.Handler(
        check=lambda request, a, _today: _check(
            request, a.payload.get("outcome", ""), a.payload.get("reasons", "")
        ),
        apply=_apply,
    ),
)


def _completion_guard(session: Session, request: SubjectRequest) -> str | None:
    if not is_legitimate_interest(request) or request.refusal_notified_at is not None:
        return None
    return _(
        "An objection to processing based on legitimate interest is closed by its decision: "
        "propose upholding it or stating compelling legitimate grounds."
    )


casework.COMPLETION_GUARDS.append(_completion_guard)
