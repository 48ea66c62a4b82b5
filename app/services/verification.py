"""Proving control of a mailbox with a single-use e-mailed link or typed code (legal.md §3).

The answer to "send me a link" never depends on whether the address is known; only hashes of the
link and code are stored; a link is used by a POST, so mail scanners that open links do not use it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.tokens import (
    SignedTokens,
    TokenInvalidError,
    format_code,
    keyed_hash,
    new_code,
    new_nonce,
    normalise_code,
    sha256_hex,
)
from app.mail.outbox import queue_email
from app.models import EmailToken

PURPOSE = "verify-email"


class VerificationError(Exception):
    """Base of the reasons a link or code does not verify; each has its own page text."""


class TokenExpiredError(VerificationError):
    pass


class TokenUsedError(VerificationError):
    """Already used, or replaced by a newer link, or locked after too many wrong codes."""


class WrongCodeError(VerificationError):
    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"{attempts_left} attempts left")
        self.attempts_left = attempts_left


class TooManyAttemptsError(VerificationError):
    pass


@dataclass(frozen=True)
class VerificationPolicy:
    secret_key: str
    ttl: timedelta
    max_code_attempts: int
    tokens_per_hour: int

    @property
    def tokens(self) -> SignedTokens:
        return SignedTokens(self.secret_key, PURPOSE)


def send_token(
    session: Session, policy: VerificationPolicy, *, email: str, language: str, now: datetime
) -> int | None:
    """Mail a fresh link and code to ``email``; returns the token id, or None when rate-limited.

    A new token replaces the address's earlier unused ones. Past the hourly limit per address
    nothing is sent (mail flooding), but the caller answers exactly as if it had been.
    """
    recent = session.scalar(
        select(func.count(EmailToken.id)).where(
            EmailToken.email == email, EmailToken.created_at > now - timedelta(hours=1)
        )
    )
    if (recent or 0) >= policy.tokens_per_hour:
        return None
    session.execute(
        update(EmailToken)
        .where(
            EmailToken.email == email, EmailToken.used_at.is_(None), EmailToken.revoked_at.is_(None)
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    nonce, code = new_nonce(), new_code()
    token_hash = sha256_hex(nonce)
    row = EmailToken(
        token_hash=token_hash,
        code_hash=keyed_hash(policy.secret_key, f"{token_hash}:{code}"),
        email=email,
        created_at=now,
        expires_at=now + policy.ttl,
    )
    session.add(row)
    session.flush()
    link_token = policy.tokens.dumps(n=nonce)
    queue_email(
        session,
        to=email,
        template="verify",
        language=language,
        now=now,
        expires_at=row.expires_at,
        link_path=f"/verify/{link_token}",
        code=format_code(code),
        minutes=int(policy.ttl.total_seconds() // 60),
    )
    return row.id


def check_link(
    session: Session, policy: VerificationPolicy, link_token: str, now: datetime
) -> None:
    """Tell whether a link is still usable, without using it (the GET of the landing page).

    :raises TokenInvalidError, TokenUsedError, TokenExpiredError:
    """
    _usable(_row_for_link(session, policy, link_token), now)


def confirm_link(
    session: Session, policy: VerificationPolicy, link_token: str, now: datetime
) -> str:
    """Use a link; returns the verified address.

    :raises TokenInvalidError, TokenUsedError, TokenExpiredError:
    """
    row = _row_for_link(session, policy, link_token)
    _usable(row, now)
    return _use(session, row, now)


def confirm_code(
    session: Session, policy: VerificationPolicy, token_id: int | None, typed: str, now: datetime
) -> str:
    """Use the typed code of the token this browser asked for; returns the verified address.

    Wrong codes count; after ``max_code_attempts`` the token is revoked.

    :raises TokenUsedError, TokenExpiredError, WrongCodeError, TooManyAttemptsError:
    """
    row = session.get(EmailToken, token_id) if token_id is not None else None
    if row is None:
        raise TokenUsedError
    _usable(row, now)
    expected = keyed_hash(policy.secret_key, f"{row.token_hash}:{normalise_code(typed)}")
    if not hmac.compare_digest(expected, row.code_hash):
        row.failed_attempts += 1
        if row.failed_attempts >= policy.max_code_attempts:
            row.revoked_at = now
            session.flush()
            raise TooManyAttemptsError
        session.flush()
        raise WrongCodeError(policy.max_code_attempts - row.failed_attempts)
    return _use(session, row, now)


def _row_for_link(session: Session, policy: VerificationPolicy, link_token: str) -> EmailToken:
    payload = policy.tokens.loads(link_token)
    nonce = payload.get("n")
    if not isinstance(nonce, str):
        raise TokenInvalidError
    row = session.scalar(select(EmailToken).where(EmailToken.token_hash == sha256_hex(nonce)))
    if row is None:
        # Signed by us but gone: purged after use or expiry.
        raise TokenExpiredError
    return row


def _usable(row: EmailToken, now: datetime) -> None:
    if row.used_at is not None or row.revoked_at is not None:
        raise TokenUsedError
    if row.expires_at <= now:
        raise TokenExpiredError


def _use(session: Session, row: EmailToken, now: datetime) -> str:
    """Mark used in one conditional UPDATE, so two simultaneous POSTs cannot both succeed (D5)."""
    result = session.execute(
        update(EmailToken)
        .where(
            EmailToken.id == row.id,
            EmailToken.used_at.is_(None),
            EmailToken.revoked_at.is_(None),
            EmailToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise TokenUsedError
    return row.email
