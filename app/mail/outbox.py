"""The transactional outbox: queue with the change, deliver after the commit, retry with backoff.

A rolled-back action sends nothing; SMTP being down loses nothing; a crash between sending and
marking resends with the same Message-ID (security.md L1).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.mail.message import render_email
from app.mail.senders import MailDeliveryError, Mailer, mailer_for
from app.models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)

_QUEUED = "outbox.queued"
CLAIM_FOR = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
# E-mails that carry a secret (a sign-in link and code): once delivered, their bodies are removed,
# so the database keeps only the hashes of those secrets (security.md D3).
SECRET_TEMPLATES = frozenset({"verify"})
SCRUBBED = "[removed after delivery: the message carried a single-use link and code]"


def queue_email(
    session: Session,
    *,
    to: str,
    template: str,
    language: str,
    now: datetime,
    request_id: int | None = None,
    expires_at: datetime | None = None,
    **context: Any,
) -> OutboundEmail:
    """Render and store an e-mail in the current transaction; it leaves only after the commit."""
    rendered = render_email(template, language, **context)
    domain = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    row = OutboundEmail(
        # From the CSPRNG: unique even where a library has seeded the ``random`` module.
        message_id=f"<{secrets.token_hex(16)}@{domain}>",
        template=template,
        language=language,
        to_address=to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        request_id=request_id,
        status=EmailStatus.PENDING,
        next_attempt_at=now,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.info.setdefault(_QUEUED, []).append(row.id)
    return row


def commit(session: Session, now: datetime) -> None:
    """Commit the unit of work, then try to deliver the e-mails it queued at once."""
    session.commit()
    queued = session.info.pop(_QUEUED, [])
    if queued:
        deliver(session, mailer(), now, ids=queued)


def rollback(session: Session) -> None:
    session.rollback()
    session.info.pop(_QUEUED, None)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, capped at an hour: retries go on until SMTP takes the message."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver(
    session: Session,
    mailer: Mailer,
    now: datetime,
    *,
    ids: list[int] | None = None,
    limit: int = 100,
) -> DeliveryReport:
    """Send due e-mails (or the given ones), each claimed first so no two processes send it."""
    query = select(OutboundEmail.id).where(
        OutboundEmail.next_attempt_at <= now,
        or_(
            OutboundEmail.status == EmailStatus.PENDING,
            # A process that died while sending leaves a stale claim: send it again.
            (OutboundEmail.status == EmailStatus.SENDING) & (OutboundEmail.claimed_until < now),
        ),
    )
    if ids is not None:
        query = query.where(OutboundEmail.id.in_(ids))
    candidates = session.scalars(query.order_by(OutboundEmail.id).limit(limit)).all()
    report = DeliveryReport()
    for email_id in candidates:
        if not _claim(session, email_id, now):
            continue
        row = session.get_one(OutboundEmail, email_id, populate_existing=True)
        if row.expires_at is not None and row.expires_at <= now:
            row.status = EmailStatus.EXPIRED
            row.claimed_until = None
            if row.template in SECRET_TEMPLATES:
                row.body_text, row.body_html = SCRUBBED, None
            report.expired += 1
            session.commit()
            continue
        try:
            mailer.send(build_message(row))
        except MailDeliveryError as exc:
            row.attempts += 1
            row.status = EmailStatus.PENDING
            row.last_error = str(exc)[:500]
            row.next_attempt_at = now + backoff(row.attempts)
            report.retrying += 1
            log.warning("mail %s not delivered (attempt %s): %s", row.id, row.attempts, exc)
        except ValueError as exc:  # a message that can never be built or sent: keep it, flag it
            row.attempts += 1
            row.status = EmailStatus.FAILED
            row.last_error = str(exc)[:500]
            report.failed += 1
            log.error("mail %s cannot be sent: %s", row.id, type(exc).__name__)
        else:
            row.attempts += 1
            row.status = EmailStatus.SENT
            row.sent_at = now
            row.last_error = None
            if row.template in SECRET_TEMPLATES:
                row.body_text, row.body_html = SCRUBBED, None
            report.sent += 1
        row.claimed_until = None
        session.commit()
    return report


def _claim(session: Session, email_id: int, now: datetime) -> bool:
    result = session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            or_(
                OutboundEmail.status == EmailStatus.PENDING,
                (OutboundEmail.status == EmailStatus.SENDING) & (OutboundEmail.claimed_until < now),
            ),
        )
        .values(status=EmailStatus.SENDING, claimed_until=now + CLAIM_FOR)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def build_message(row: OutboundEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    # After the content: set_content() drops every Content-* header set before it.
    message["Content-Language"] = row.language
    return message


def mailer() -> Mailer:
    return current_app.extensions["mailer"]


def init_app(app: Flask) -> None:
    app.extensions["mailer"] = mailer_for(app)
