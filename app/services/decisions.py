"""Extensions (Art. 12(3)) and refusals (Art. 12(4)): proposed by a handler, decided by an officer.

Both are possible only within the first month (legal.md §2.3); the check is repeated when the
officer decides, so an approval after the deadline cannot slip through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app.core.deadlines import can_extend, can_refuse, extended_deadline
from app.core.grounds import REFUSAL_GROUNDS, REFUSAL_SCOPES
from app.core.permissions import Permission
from app.core.workflow import RequestStatus
from app.models import Approval, ApprovalKind, ApprovalStatus, Message, StaffUser, SubjectRequest
from app.services import audit
from app.services.casework import CaseClosedError, notify_subject
from app.services.processing import record_event, transition


class DecisionError(Exception):
    """A decision the rules do not allow now; ``reason`` names which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def pending(request: SubjectRequest, kind: ApprovalKind) -> Approval | None:
    return next(
        (a for a in request.approvals if a.kind is kind and a.status is ApprovalStatus.PENDING),
        None,
    )


def _check_extension(request: SubjectRequest, today: date) -> None:
    if not request.is_open:
        raise CaseClosedError
    if request.is_extended:
        raise DecisionError("already_extended")
    if not can_extend(request.received_on, today, already_extended=False):
        raise DecisionError("extension_too_late")


def _check_refusal(request: SubjectRequest, today: date, scope: str, ground: str) -> None:
    if not request.is_open:
        raise CaseClosedError
    if scope not in REFUSAL_SCOPES or ground not in REFUSAL_GROUNDS:
        raise DecisionError("invalid_refusal")
    if not can_refuse(request.received_on, today):
        raise DecisionError("refusal_too_late")


def propose_extension(
    session: Session,
    request: SubjectRequest,
    reasons: str,
    *,
    by: StaffUser,
    now: datetime,
    today: date,
) -> Approval:
    """Propose the one extension; an officer's own proposal takes effect at once.

    :raises DecisionError, CaseClosedError:
    """
    _check_extension(request, today)
    if pending(request, ApprovalKind.EXTENSION):
        raise DecisionError("already_pending")
    return propose(session, request, ApprovalKind.EXTENSION, {"reasons": reasons}, by, now, today)


def propose_refusal(
    session: Session,
    request: SubjectRequest,
    *,
    scope: str,
    ground: str,
    reasons: str,
    by: StaffUser,
    now: datetime,
    today: date,
) -> Approval:
    """Propose refusing the request wholly or partly, with its ground and specific reasons.

    :raises DecisionError, CaseClosedError:
    """
    _check_refusal(request, today, scope, ground)
    if pending(request, ApprovalKind.REFUSAL):
        raise DecisionError("already_pending")
    payload = {"scope": scope, "ground": ground, "reasons": reasons}
    return propose(session, request, ApprovalKind.REFUSAL, payload, by, now, today)


def propose(
    session: Session,
    request: SubjectRequest,
    kind: ApprovalKind,
    payload: dict[str, Any],
    by: StaffUser,
    now: datetime,
    today: date,
) -> Approval:
    approval = Approval(
        kind=kind, status=ApprovalStatus.PENDING, payload=payload, proposed_by_id=by.id,
        proposed_at=now,
    )  # fmt: skip
    request.approvals.append(approval)
    record_event(
        request, kind=f"{kind.value}_proposed", actor=by.actor, now=now, visible_to_subject=False
    )
    audit.record(session, action=f"case.propose_{kind.value}", now=now, staff=by, request=request)
    session.flush()
    if by.can(Permission.APPROVE):
        decide(session, approval, approve=True, note=None, by=by, now=now, today=today)
    return approval


def decide(
    session: Session,
    approval: Approval,
    *,
    approve: bool,
    note: str | None,
    by: StaffUser,
    now: datetime,
    today: date,
) -> None:
    """The officer approves (the decision takes effect and the person is told) or rejects.

    :raises PermissionError: for anyone without the approve permission.
    :raises DecisionError, CaseClosedError: when the decision is no longer allowed.
    """
    if not by.can(Permission.APPROVE):
        raise PermissionError("only an officer decides")
    if approval.status is not ApprovalStatus.PENDING:
        raise DecisionError("already_decided")
    request = approval.request
    handler = HANDLERS[approval.kind]
    if approve:
        handler.check(request, approval, today)
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    approval.decided_by_id = by.id
    approval.decided_at = now
    approval.decision_note = note
    audit.record(
        session, action=f"case.{'approve' if approve else 'reject'}_{approval.kind.value}",
        now=now, staff=by, request=request,
    )  # fmt: skip
    if not approve:
        record_event(
            request, kind=f"{approval.kind.value}_rejected", actor=by.actor, now=now,
            visible_to_subject=False,
        )  # fmt: skip
    else:
        handler.apply(session, request, approval, by, now)
    session.flush()


@dataclass(frozen=True)
class Handler:
    """What approving one kind of proposal checks again, and what it then does."""

    check: Callable[[SubjectRequest, Approval, date], None]
    apply: Callable[[Session, SubjectRequest, Approval, StaffUser, datetime], None]


HANDLERS: dict[ApprovalKind, Handler] = {}


def register(kind: ApprovalKind, handler: Handler) -> None:
    """Fulfilment modules (erasure plans, objection decisions) plug their approvals in here."""
    HANDLERS[kind] = handler


def _extend(
    session: Session, request: SubjectRequest, approval: Approval, by: StaffUser, now: datetime
) -> None:
    reasons = approval.payload["reasons"]
    request.extended_due_on = extended_deadline(request.received_on)
    request.due_on = request.extended_due_on
    request.extension_reason = reasons
    request.extension_notified_at = now
    body = _notice("notices/extension.txt", request, reasons=reasons)
    request.messages.append(Message(from_subject=False, staff_id=by.id, body=body, created_at=now))
    record_event(
        request, kind="extended", actor=by.actor, now=now,
        data={"due_on": request.due_on.isoformat()},
    )  # fmt: skip
    notify_subject(session, request, "extended", now)


def _refuse(
    session: Session, request: SubjectRequest, approval: Approval, by: StaffUser, now: datetime
) -> None:
    p = approval.payload
    request.refusal_scope = p["scope"]
    request.refusal_ground = p["ground"]
    request.refusal_reasons = p["reasons"]
    request.refusal_notified_at = now
    body = _notice(
        "notices/refusal.txt", request, scope=p["scope"], ground=p["ground"],
        article=REFUSAL_GROUNDS[p["ground"]], reasons=p["reasons"],
    )  # fmt: skip
    request.messages.append(Message(from_subject=False, staff_id=by.id, body=body, created_at=now))
    if p["scope"] == "whole":
        transition(session, request, RequestStatus.REFUSED, actor=by.actor, now=now, kind="refused")
    else:
        record_event(request, kind="partly_refused", actor=by.actor, now=now)
    notify_subject(session, request, "refused", now)


def _notice(template: str, request: SubjectRequest, **context: Any) -> str:
    """The notice text in the case's language, kept as a message on the status page."""
    with force_locale(request.language):
        text = render_template(template, case=request, language=request.language, **context)
    return text.strip()


register(
    ApprovalKind.EXTENSION,
    Handler(check=lambda request, _a, today: _check_extension(request, today), apply=_extend),
)
register(
    ApprovalKind.REFUSAL,
    Handler(
        check=lambda request, a, today: _check_refusal(
            request, today, a.payload["scope"], a.payload["ground"]
        ),
        apply=_refuse,
    ),
)
