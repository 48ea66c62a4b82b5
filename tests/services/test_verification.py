"""The verification service on its own: tokens, codes, expiry, single use, limits, concurrency."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.tokens import SignedTokens, TokenInvalidError
from app.db import Base, engine, new_session
from app.models import EmailToken, OutboundEmail
from app.services import verification
from app.services.verification import (
    TokenExpiredError,
    TokenUsedError,
    TooManyAttemptsError,
    VerificationPolicy,
    WrongCodeError,
)
from tests.conftest import Clock, make_app
from tests.helpers import CODE, LINK, b64_segments

ANNA = "anna@example.com"
SECRET = "test-secret-key-not-for-production"


@pytest.fixture
def policy() -> VerificationPolicy:
    return VerificationPolicy(
        secret_key=SECRET, ttl=timedelta(minutes=15), max_code_attempts=5, tokens_per_hour=5
    )


def send(session: Session, policy: VerificationPolicy, clock: Clock, email: str = ANNA) -> Any:
    """Send a token; returns (token id, link token, code) read from the queued e-mail."""
    token_id = verification.send_token(session, policy, email=email, language="sv", now=clock())
    if token_id is None:
        return None, None, None
    mail = session.scalars(select(OutboundEmail).order_by(OutboundEmail.id.desc())).first()
    assert mail is not None
    link = LINK.search(mail.body_text)
    code = CODE.search(mail.body_text)
    assert link
    assert code
    return token_id, link.group(1).removeprefix("/verify/"), code.group(1)


def stored(session: Session, token_id: int) -> EmailToken:
    session.expire_all()
    row = session.get(EmailToken, token_id)
    assert row is not None
    return row


class TestSending:
    def test_stores_a_hash_of_a_random_nonce_and_queues_the_mail(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        token_id, link, code = send(session, policy, clock)

        row = stored(session, token_id)
        nonce = json.loads(b64_segments(link)[0])["n"]
        assert row.token_hash == hashlib.sha256(nonce.encode()).hexdigest()
        assert code not in row.code_hash
        assert row.email == ANNA
        assert row.expires_at == clock() + timedelta(minutes=15)
        assert (row.used_at, row.revoked_at, row.failed_attempts) == (None, None, 0)
        mail = session.scalar(select(OutboundEmail))
        assert mail is not None
        assert (mail.to_address, mail.template) == (ANNA, "verify")

    def test_many_tokens_are_all_different(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        sent = [send(session, policy, clock, f"p{n}@example.com") for n in range(100)]
        assert len({link for _, link, _ in sent}) == 100
        hashes = session.scalars(select(EmailToken.token_hash)).all()
        assert len(set(hashes)) == 100

    def test_new_token_revokes_the_unused_older_ones(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        first_id, first_link, _ = send(session, policy, clock)
        clock.advance(minutes=1)
        second_id, second_link, _ = send(session, policy, clock)

        assert stored(session, first_id).revoked_at == clock()
        assert stored(session, second_id).revoked_at is None
        with pytest.raises(TokenUsedError):
            verification.confirm_link(session, policy, first_link, clock())
        assert verification.confirm_link(session, policy, second_link, clock()) == ANNA

    def test_other_addresses_are_not_affected(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        _, link, _ = send(session, policy, clock)
        send(session, policy, clock, "bertil@example.com")
        assert verification.confirm_link(session, policy, link, clock()) == ANNA

    def test_past_the_hourly_limit_nothing_is_sent_or_stored(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        for _ in range(5):
            assert send(session, policy, clock)[0] is not None
            clock.advance(minutes=5)

        assert send(session, policy, clock)[0] is None
        assert len(session.scalars(select(EmailToken)).all()) == 5
        assert len(session.scalars(select(OutboundEmail)).all()) == 5

        clock.advance(minutes=36)  # the first one is now more than an hour old
        assert send(session, policy, clock)[0] is not None


class TestLinks:
    def test_checking_a_link_changes_nothing(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        token_id, link, _ = send(session, policy, clock)
        for _ in range(3):
            verification.check_link(session, policy, link, clock())
        assert stored(session, token_id).used_at is None

    def test_link_works_once(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        token_id, link, _ = send(session, policy, clock)
        assert verification.confirm_link(session, policy, link, clock()) == ANNA
        assert stored(session, token_id).used_at == clock()
        with pytest.raises(TokenUsedError):
            verification.confirm_link(session, policy, link, clock())
        with pytest.raises(TokenUsedError):
            verification.check_link(session, policy, link, clock())

    def test_link_expires_after_its_lifetime(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        _, link, _ = send(session, policy, clock)
        clock.advance(minutes=15)
        with pytest.raises(TokenExpiredError):
            verification.check_link(session, policy, link, clock())
        with pytest.raises(TokenExpiredError):
            verification.confirm_link(session, policy, link, clock())

    def test_purged_token_reads_as_expired(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        _, link, _ = send(session, policy, clock)
        session.execute(delete(EmailToken))
        with pytest.raises(TokenExpiredError):
            verification.confirm_link(session, policy, link, clock())

    @pytest.mark.parametrize(
        "forge",
        [
            lambda nonce: SignedTokens(SECRET, "download").dumps(n=nonce),
            lambda nonce: SignedTokens("another-key", verification.PURPOSE).dumps(n=nonce),
            lambda nonce: SignedTokens(SECRET, verification.PURPOSE).dumps(x=nonce),
            lambda nonce: SignedTokens(SECRET, verification.PURPOSE).dumps(n=[nonce]),
            lambda nonce: nonce,
            lambda nonce: "",
        ],
        ids=["other-purpose", "other-key", "no-nonce", "nonce-not-text", "bare-nonce", "empty"],
    )
    def test_forged_links_are_invalid(
        self,
        app: Flask,
        session: Session,
        policy: VerificationPolicy,
        clock: Clock,
        forge: Any,
    ) -> None:
        token_id, link, _ = send(session, policy, clock)
        nonce = json.loads(b64_segments(link)[0])["n"]
        with pytest.raises(TokenInvalidError):
            verification.confirm_link(session, policy, forge(nonce), clock())
        assert stored(session, token_id).used_at is None

    def test_only_one_of_many_simultaneous_confirmations_succeeds(
        self, tmp_path: Any, policy: VerificationPolicy, clock: Clock, smtp_config: dict[str, Any]
    ) -> None:
        app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'race.db'}", **smtp_config)
        with app.app_context():
            Base.metadata.create_all(engine())
            session = new_session()
            _, link, _ = send(session, policy, clock)
            session.commit()
            session.close()

        threads_count = 8
        barrier = threading.Barrier(threads_count)
        outcomes: list[str] = []

        def confirm() -> None:
            with app.app_context():
                own = new_session()
                barrier.wait()
                try:
                    verification.confirm_link(own, policy, link, clock())
                    own.commit()
                    outcomes.append("verified")
                except TokenUsedError:
                    own.rollback()
                    outcomes.append("used")
                finally:
                    own.close()

        threads = [threading.Thread(target=confirm) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(outcomes) == ["used"] * (threads_count - 1) + ["verified"]
        engine_ = app.extensions["db.engine"]
        engine_.dispose()


class TestCodes:
    def test_right_code_verifies_once(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        token_id, link, code = send(session, policy, clock)
        assert verification.confirm_code(session, policy, token_id, code, clock()) == ANNA
        with pytest.raises(TokenUsedError):
            verification.confirm_code(session, policy, token_id, code, clock())
        with pytest.raises(TokenUsedError):
            verification.confirm_link(session, policy, link, clock())

    @pytest.mark.parametrize("typing", [str.lower, lambda c: c.replace("-", " "), str.strip])
    def test_code_is_forgiving_about_case_spaces_and_dashes(
        self,
        app: Flask,
        session: Session,
        policy: VerificationPolicy,
        clock: Clock,
        typing: Any,
    ) -> None:
        token_id, _, code = send(session, policy, clock)
        assert verification.confirm_code(session, policy, token_id, typing(code), clock()) == ANNA

    def test_five_wrong_codes_lock_the_token(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        token_id, link, code = send(session, policy, clock)
        wrong = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"

        left = []
        for _ in range(4):
            with pytest.raises(WrongCodeError) as caught:
                verification.confirm_code(session, policy, token_id, wrong, clock())
            left.append(caught.value.attempts_left)
        with pytest.raises(TooManyAttemptsError):
            verification.confirm_code(session, policy, token_id, wrong, clock())

        assert left == [4, 3, 2, 1]
        row = stored(session, token_id)
        assert row.failed_attempts == 5
        assert row.revoked_at == clock()
        with pytest.raises(TokenUsedError):
            verification.confirm_code(session, policy, token_id, code, clock())
        with pytest.raises(TokenUsedError):
            verification.confirm_link(session, policy, link, clock())

    def test_code_of_another_token_is_wrong(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        anna_id, _, _ = send(session, policy, clock)
        _, _, bertils_code = send(session, policy, clock, "bertil@example.com")
        with pytest.raises(WrongCodeError):
            verification.confirm_code(session, policy, anna_id, bertils_code, clock())

    def test_code_without_a_token_in_this_browser_is_refused(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        _, _, code = send(session, policy, clock)
        with pytest.raises(TokenUsedError):
            verification.confirm_code(session, policy, None, code, clock())
        with pytest.raises(TokenUsedError):
            verification.confirm_code(session, policy, 999_999, code, clock())

    def test_code_expires_with_its_link(
        self, app: Flask, session: Session, policy: VerificationPolicy, clock: Clock
    ) -> None:
        token_id, _, code = send(session, policy, clock)
        clock.advance(minutes=15, seconds=1)
        with pytest.raises(TokenExpiredError):
            verification.confirm_code(session, policy, token_id, code, clock())
