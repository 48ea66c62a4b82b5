"""Art. 19 notices: tell every recipient of the person's data about a rectification, erasure or
restriction, and keep the proof (legal.md §6: recipient, date, method, confirmation or the reason
notifying was impossible or disproportionate).

A notice of a case never stores the person's address: the case keeps it, and erasing the records
leaves nothing here but the recipient, the action and its dates. A notice without a case, made by
the privacy officer's erasure of records past their retention rule (``create_without_case``),
keeps the address only until the recipient has it: it is cleared when the notice is sent,
confirmed or recorded as not notified (``RecipientNotice``). Such a notice has no case timeline,
only audit entries, and no completion guard; the officer decides it on the retention page.

Delivery (``deliver_due``, run by the worker) mirrors the mail outbox: each notice is claimed
before it is sent, so two workers never both send it; every attempt carries the notice's key as
``Idempotency-Key``, so a resend after a crash or a timeout is acted on once; a failed webhook is
retried with backoff and never lost. The recipient confirms through a signed link (or by
answering the webhook with ``{"status": "done"}``); staff record confirmations that came another
way, and the privacy officer records why a notice is impossible or disproportionate. The case
cannot be completed while a notice is undecided (``completion_guard``).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from app.clock import STOCKHOLM, stockholm_date
from app.core.permissions import Permission
from app.core.tokens import SignedTokens, TokenInvalidError
from app.mail import outbox
from app.mail.outbox import backoff, queue_email
from app.models import (
    Assignment,
    ControllerInfo,
    NoticeAction,
    NoticeMethod,
    NoticeStatus,
    Person,
    Recipient,
    RecipientKind,
    RecipientNotice,
    StaffUser,
    SubjectRequest,
)
from app.services import audit, webhooks
from app.services.casework import COMPLETION_GUARDS
from app.services.errors import RuleError
from app.services.processing import SYSTEM, record_event

log = logging.getLogger(__name__)


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


def create_without_case(
    session: Session,
    address: str,
    action: NoticeAction,
    *,
    recipients: list[Recipient],
    details: dict[str, Any] | None = None,
    now: datetime,
) -> list[RecipientNotice]:
    """One notice per recipient about ``address``, for an erasure that no case lies behind.

    The notice keeps the address until it is sent (model docstring); ``details`` holds none.
    """
    created = []
    for recipient in recipients:
        method = method_for(recipient)
        notice = RecipientNotice(
            request_id=None,
            address=address,
            recipient_id=recipient.id,
            action=action,
            round=1,
            method=method,
            status=NoticeStatus.PENDING,
            key=str(uuid.uuid4()),
            details=dict(details or {}),
            created_at=now,
            next_attempt_at=now if method is not NoticeMethod.NONE else None,
        )
        session.add(notice)
        created.append(notice)
    session.flush()
    return created


def undecided_without_case(session: Session) -> list[RecipientNotice]:
    """The notices without a case that are neither confirmed nor recorded as impossible."""
    return list(
        session.scalars(
            select(RecipientNotice)
            .where(
                RecipientNotice.request_id.is_(None),
                RecipientNotice.status.in_([NoticeStatus.PENDING, NoticeStatus.SENT]),
            )
            .order_by(RecipientNotice.id)
        )
    )


def notice_without_case(session: Session, notice_id: int) -> RecipientNotice:
    """:raises RuleError: when there is no such notice without a case."""
    notice = session.scalar(
        select(RecipientNotice).where(
            RecipientNotice.id == notice_id, RecipientNotice.request_id.is_(None)
        )
    )
    if notice is None:
        raise RuleError(_("That notice is not one of a retention erasure."))
    return notice


def _forget_address(notice: RecipientNotice) -> None:
    """The recipient has the address (or will never get it here): it is not kept any longer."""
    notice.address = None


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


# --- delivery ---------------------------------------------------------------------------------

CONFIRM_PURPOSE = "notice-confirm"
# A webhook answer that says the recipient has already acted: the notice is confirmed at once.
DONE_ANSWERS = frozenset({"done", "confirmed"})
# Longer than any one send takes (the webhook timeout): a live claim is never taken over, and a
# worker that died mid-send leaves one that runs out, so the notice is sent again, same key.
CLAIM_FOR = timedelta(minutes=5)
RECIPIENT = "recipient"


@dataclass
class NoticeReport:
    """What one round of ``deliver_due`` did (a confirmed notice counts as sent too)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    confirmed: int = 0


def _tokens() -> SignedTokens:
    return SignedTokens(current_app.config["SECRET_KEY"], CONFIRM_PURPOSE)


def confirm_token(notice: RecipientNotice) -> str:
    """A signed token naming the notice by its random key: no personal data inside."""
    return _tokens().dumps(k=notice.key)


def confirm_url(notice: RecipientNotice) -> str:
    """Where the recipient confirms; built from the configured base URL, never a Host header."""
    return f"{current_app.config['BASE_URL']}/notices/{confirm_token(notice)}"


def notice_for_token(session: Session, token: str) -> RecipientNotice | None:
    """The notice a confirm link names, or None for a changed, foreign or unknown token."""
    try:
        key = _tokens().loads(token).get("k")
    except TokenInvalidError:
        return None
    if not isinstance(key, str):
        return None
    return session.scalar(select(RecipientNotice).where(RecipientNotice.key == key))


def controller_info(session: Session) -> ControllerInfo | None:
    return session.scalar(select(ControllerInfo).limit(1))


def payload(session: Session, notice: RecipientNotice) -> dict[str, Any]:
    """The webhook body. The address comes from the case now, or from a notice without a case."""
    info = controller_info(session)
    return {
        "id": notice.key,
        "type": notice.action.value,
        "round": notice.round,
        "occurred_at": notice.created_at.isoformat(),
        "controller": {
            "name": info.name if info else None,
            "org_number": info.org_number if info else None,
        },
        "reference": notice.reference,
        "subject": {"email": notice.subject_email},
        "details": dict(notice.details or {}),
        "confirm_url": confirm_url(notice),
    }


def detail_lines(details: dict[str, Any]) -> list[str]:
    """``details`` as ``name: value`` lines for the e-mail (a rectification's new values)."""

    def plain(value: Any) -> str:
        if isinstance(value, dict):
            return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
        if isinstance(value, list | tuple):
            return ", ".join(plain(v) for v in value)
        return str(value)

    return [
        f"{str(name).replace('_', ' ')}: {plain(value)}"
        for name, value in (details or {}).items()
        if value not in (None, "", [], {})
    ]


def deliver_due(session: Session, now: datetime, *, limit: int = 100) -> NoticeReport:
    """Send the notices that are due, each claimed first so no two workers send it.

    Commits after each notice (like the mail outbox). A webhook is retried with backoff until it
    gets a 2xx; after ``NOTICE_MAX_ATTEMPTS`` it stays pending without a next attempt and with a
    clear ``last_error``, for staff to decide. An e-mail notice is queued in the outbox (which
    guarantees delivery) and counts as sent.
    """
    due = session.scalars(
        select(RecipientNotice.id)
        .where(
            RecipientNotice.status == NoticeStatus.PENDING,
            RecipientNotice.next_attempt_at <= now,
            or_(RecipientNotice.claimed_until.is_(None), RecipientNotice.claimed_until < now),
        )
        .order_by(RecipientNotice.next_attempt_at, RecipientNotice.id)
        .limit(limit)
    ).all()
    report = NoticeReport()
    for notice_id in due:
        if not _claim(session, notice_id, now):
            continue
        notice = session.get_one(RecipientNotice, notice_id, populate_existing=True)
        if notice.method is NoticeMethod.WEBHOOK:
            _send_webhook(session, notice, now, report)
        elif notice.method is NoticeMethod.EMAIL:
            _send_email(session, notice, now, report)
        else:  # no channel: nothing to send, staff notify by other means
            notice.next_attempt_at = None
            notice.claimed_until = None
            session.commit()
    return report


def _claim(session: Session, notice_id: int, now: datetime) -> bool:
    result = session.execute(
        update(RecipientNotice)
        .where(
            RecipientNotice.id == notice_id,
            RecipientNotice.status == NoticeStatus.PENDING,
            RecipientNotice.next_attempt_at <= now,
            or_(RecipientNotice.claimed_until.is_(None), RecipientNotice.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM_FOR)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _send_webhook(
    session: Session, notice: RecipientNotice, now: datetime, report: NoticeReport
) -> None:
    recipient = notice.recipient
    url, secret = recipient.webhook_url, recipient.webhook_secret
    if not (url and secret):
        _stop(session, notice, now, "The recipient has no webhook address and secret on record.")
        report.failed += 1
        session.commit()
        return
    body = webhooks.encode(payload(session, notice))
    timestamp = str(int(now.timestamp()))
    headers = webhooks.signed_headers(secret, timestamp, body, notice.key)
    notice_id = notice.id
    timeout = float(current_app.config["WEBHOOK_TIMEOUT"])
    session.commit()  # no transaction stays open while the recipient answers
    try:
        response = webhooks.post_json(url, body, headers, timeout=timeout)
    except webhooks.WebhookError as exc:
        notice = session.get_one(RecipientNotice, notice_id, populate_existing=True)
        _failed_attempt(session, notice, now, exc.message, report)
    else:
        notice = session.get_one(RecipientNotice, notice_id, populate_existing=True)
        _delivered(session, notice, now)
        report.sent += 1
        answer = response.json()
        status = answer.get("status") if isinstance(answer, dict) else None
        done = isinstance(status, str) and status.strip().lower() in DONE_ANSWERS
        if done and _confirm(
            session, notice, at=now, how="webhook response", actor=RECIPIENT, now=now
        ):
            report.confirmed += 1
    notice.claimed_until = None
    session.commit()


def _send_email(
    session: Session, notice: RecipientNotice, now: datetime, report: NoticeReport
) -> None:
    recipient = notice.recipient
    if not recipient.contact_email:
        _stop(session, notice, now, "The recipient has no contact e-mail address on record.")
        report.failed += 1
        session.commit()
        return
    info = controller_info(session)
    queue_email(
        session,
        to=recipient.contact_email,
        template="recipient_notice",
        language="sv",
        now=now,
        request_id=notice.request_id,
        action=notice.action.value,
        controller_name=info.name if info else "",
        controller_org_number=info.org_number if info else "",
        controller_email=(info.dpo_email or info.email) if info else "",
        recipient_name=recipient.name,
        reference=notice.reference,
        subject_email=notice.subject_email,
        details=detail_lines(notice.details),
        notice_key=notice.key,
        confirm_url=confirm_url(notice),
    )
    _delivered(session, notice, now)
    report.sent += 1
    notice.claimed_until = None
    outbox.commit(session, now)  # the e-mail leaves at once; the outbox retries it if need be


def _delivered(session: Session, notice: RecipientNotice, now: datetime) -> None:
    notice.attempts += 1
    notice.last_error = None
    notice.next_attempt_at = None
    if notice.sent_at is None:
        notice.sent_at = now
    if notice.status is NoticeStatus.PENDING:
        notice.status = NoticeStatus.SENT
    _forget_address(notice)
    _log(session, notice, "sent", actor=SYSTEM, now=now, method=notice.method.value)


def _failed_attempt(
    session: Session, notice: RecipientNotice, now: datetime, error: str, report: NoticeReport
) -> None:
    notice.attempts += 1
    if notice.status is not NoticeStatus.PENDING:  # decided while we were sending
        notice.last_error = error[:500]
        notice.next_attempt_at = None
        return
    maximum = int(current_app.config["NOTICE_MAX_ATTEMPTS"])
    if notice.attempts >= maximum:
        _stop(
            session,
            notice,
            now,
            f"Stopped after {notice.attempts} attempts (last: {error}). Notify the recipient by "
            "other means and record the confirmation, or record why notifying is not possible.",
        )
        report.failed += 1
        log.warning("notice %s not delivered; stopped after %s attempts", notice.id, maximum)
        return
    notice.last_error = error[:500]
    notice.next_attempt_at = now + backoff(notice.attempts)
    report.retrying += 1
    log.info("notice %s not delivered (attempt %s): %s", notice.id, notice.attempts, error)


def _stop(session: Session, notice: RecipientNotice, now: datetime, error: str) -> None:
    """No more automatic attempts: the notice stays pending for a staff decision."""
    notice.last_error = error[:500]
    notice.next_attempt_at = None
    notice.claimed_until = None
    _log(session, notice, "failed", actor=SYSTEM, now=now, attempts=notice.attempts)


def _log(
    session: Session,
    notice: RecipientNotice,
    what: str,
    *,
    actor: str,
    now: datetime,
    by: StaffUser | None = None,
    **extra: Any,
) -> None:
    """A staff-side timeline entry (for a notice of a case) and an audit entry: ids and names of
    firms, no address."""
    if notice.request is not None:
        data = {
            "notice_id": notice.id,
            "recipient": notice.recipient.name,
            "action": notice.action.value,
            **extra,
        }
        record_event(
            notice.request,
            kind=f"notice_{what}",
            actor=by.actor if by else actor,
            now=now,
            data=data,
            visible_to_subject=False,
        )
    audit.record(
        session,
        action=f"notice.{what}",
        now=now,
        staff=by,
        actor=actor,
        request=notice.request,
        data={"notice_id": notice.id, "recipient_id": notice.recipient_id, **extra},
    )


# --- confirmation and staff decisions ----------------------------------------------------------


def _confirm(
    session: Session,
    notice: RecipientNotice,
    *,
    at: datetime,
    how: str,
    actor: str,
    now: datetime,
    by: StaffUser | None = None,
) -> bool:
    if notice.status is NoticeStatus.CONFIRMED:
        return False
    notice.status = NoticeStatus.CONFIRMED
    notice.confirmed_at = at
    notice.confirmation = how
    notice.next_attempt_at = None
    _forget_address(notice)
    if by is not None:
        notice.decided_by_id = by.id
    _log(session, notice, "confirmed", actor=actor, now=now, by=by)
    session.flush()
    return True


def confirm_by_recipient(session: Session, notice: RecipientNotice, *, now: datetime) -> bool:
    """The recipient pressed the confirm link (or POSTed it); False if it was already confirmed.

    A confirmation is proof and is always taken: also for a notice still waiting for a retry, or
    one an officer recorded as not notified.
    """
    return _confirm(session, notice, at=now, how="confirmation link", actor=RECIPIENT, now=now)


def notice_of_case(session: Session, request: SubjectRequest, notice_id: int) -> RecipientNotice:
    """:raises RuleError: when the notice is not one of this case's."""
    notice = session.scalar(
        select(RecipientNotice).where(
            RecipientNotice.id == notice_id, RecipientNotice.request_id == request.id
        )
    )
    if notice is None:
        raise RuleError(_("That notice is not on this case."))
    return notice


def record_confirmation(
    session: Session,
    notice: RecipientNotice,
    *,
    confirmed_on: date,
    how: str,
    by: StaffUser,
    now: datetime,
) -> None:
    """Staff record a confirmation that came another way (an e-mail reply, a phone call).

    :raises RuleError: already confirmed, a date in the future or before the notice.
    """
    if notice.status is NoticeStatus.CONFIRMED:
        raise RuleError(_("The recipient's confirmation is already recorded."))
    day = stockholm_date(now)
    if confirmed_on > day:
        raise RuleError(_("The date of the confirmation cannot be in the future."))
    if confirmed_on < stockholm_date(notice.created_at):
        raise RuleError(_("The date of the confirmation cannot be before the notice was made."))
    at = now if confirmed_on == day else datetime.combine(confirmed_on, time(12), STOCKHOLM)
    _confirm(session, notice, at=at.astimezone(UTC), how=how, actor=by.actor, now=now, by=by)


def send_again(session: Session, notice: RecipientNotice, *, by: StaffUser, now: datetime) -> None:
    """Queue the notice for the worker's next round, with a fresh series of attempts.

    The channel is taken from the recipient as it is now (a webhook or address added since).
    :raises RuleError: when the notice is decided, the recipient has no channel on record, or the
        notice has no case and was sent already (its address is no longer kept).
    """
    if notice.status.is_decided:
        raise RuleError(_("This notice is already decided; it is not sent again."))
    if notice.request_id is None and not notice.address:
        raise RuleError(
            _(
                "This notice was sent already, and the person's address is not kept after that, "
                "so it cannot be sent again. Ask the recipient to confirm, and record it."
            )
        )
    method = method_for(notice.recipient)
    if method is NoticeMethod.NONE:
        raise RuleError(
            _(
                "The recipient has no webhook or e-mail address on record, so nothing can be "
                "sent. Notify them by other means and record their confirmation."
            )
        )
    earlier = notice.attempts
    notice.method = method
    notice.status = NoticeStatus.PENDING
    notice.attempts = 0
    notice.last_error = None
    notice.next_attempt_at = now
    _log(session, notice, "resend", actor=by.actor, now=now, by=by, earlier_attempts=earlier)
    session.flush()


def record_not_notified(
    session: Session, notice: RecipientNotice, *, reason: str, by: StaffUser, now: datetime
) -> None:
    """The privacy officer records why notifying this recipient is impossible or disproportionate.

    :raises RuleError: for anyone but the privacy officer, or a notice already decided.
    """
    if not by.can(Permission.APPROVE):
        raise RuleError(
            _("Only the privacy officer can record that notifying a recipient is not possible.")
        )
    if notice.status.is_decided:
        raise RuleError(_("This notice is already decided."))
    notice.status = NoticeStatus.NOT_NOTIFIED
    notice.not_notified_reason = reason
    notice.decided_by_id = by.id
    notice.next_attempt_at = None
    _forget_address(notice)
    _log(session, notice, "not_notified", actor=by.actor, now=now, by=by)
    session.flush()


def completion_guard(session: Session, request: SubjectRequest) -> str | None:
    """Art. 19: no completing while a notice is neither confirmed nor recorded as impossible."""
    count = undecided(session, request)
    if not count:
        return None
    return ngettext(
        "%(num)d notice to a recipient (Art. 19) is undecided: record the recipient's "
        "confirmation, or the privacy officer records why notifying is impossible or "
        "disproportionate.",
        "%(num)d notices to recipients (Art. 19) are undecided: record each recipient's "
        "confirmation, or the privacy officer records why notifying is impossible or "
        "disproportionate.",
        count,
    )


COMPLETION_GUARDS.append(completion_guard)
