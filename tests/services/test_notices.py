"""Art. 19 notices delivered for real: a local HTTP receiver and the SMTP test server.

Notices are made with ``notices.create_notices`` (the fulfilment services call it); the worker's
part is ``notices.deliver_due``, run here with the test clock moved instead of sleeping.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.workflow import RequestStatus, RequestType
from app.mail.outbox import backoff
from app.models import (
    AuditEntry,
    NoticeMethod,
    NoticeStatus,
    Recipient,
    RecipientNotice,
    StaffUser,
    SubjectRequest,
)
from app.services import casework, notices, webhooks
from app.services.errors import RuleError
from tests.conftest import Clock
from tests.factories import (
    NEW_PHONE,
    add_recipient,
    file_case,
    fresh_notice,
    rectification_notices,
)
from tests.helpers import html_of, text_of
from tests.smtp import Mailbox
from tests.webhook_server import WebhookReceiver
from tests.webhook_server import webhook_receiver as webhook_receiver  # fixture, used by name

ANNA = "anna@example.com"
SECRET = "4f1c0c8e9b2a4d7e8f6a5b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e"
CONTACT = "dataskydd@kund.example"
BASE_URL = "https://portal.example.test"


@pytest.fixture
def case(session: Session, clock: Clock) -> SubjectRequest:
    return file_case(
        session, clock, RequestType.RECTIFICATION, {"corrections": {"phone": NEW_PHONE}},
        email=ANNA, language="sv",
    )  # fmt: skip


@pytest.fixture
def hook(session: Session, webhook_receiver: WebhookReceiver) -> Recipient:
    return add_recipient(
        session, "Norrsken Bygg AB (CRM)", webhook_url=webhook_receiver.url, webhook_secret=SECRET
    )


def audit_actions(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("notice.%"))
            .order_by(AuditEntry.id)
        )
    )


class TestWebhook:
    def test_the_receiver_gets_a_signed_notice_with_the_idempotency_key(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)

        report = notices.deliver_due(session, clock())

        assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
        (got,) = webhook_receiver.received
        assert got.signed_by(SECRET)
        assert not got.signed_by("another secret")
        assert got.headers["Content-Type"] == "application/json"
        assert got.headers["Idempotency-Key"] == notice.key
        assert got.headers["X-Portal-Timestamp"] == str(int(clock().timestamp()))
        assert got.headers["X-Portal-Signature"].startswith("sha256=")
        body = got.json
        assert body["id"] == notice.key
        assert body["type"] == "rectification"
        assert body["round"] == 1
        assert body["occurred_at"] == clock().isoformat()
        assert body["controller"]["name"] == "LHe Handelsbolag"
        assert body["controller"]["org_number"]
        assert body["reference"] == case.reference
        assert body["subject"] == {"email": ANNA}
        assert body["details"] == {"phone": "070-999 88 77"}
        assert body["confirm_url"].startswith(f"{BASE_URL}/notices/")
        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.SENT
        assert notice.sent_at == clock()
        assert notice.attempts == 1
        assert notice.last_error is None
        assert notice.details == {"phone": "070-999 88 77"}  # the address is never stored here
        assert "notice.sent" in audit_actions(session)
        assert "notice_sent" in [e.kind for e in case.events]

    def test_a_tampered_body_fails_the_receivers_check(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        rectification_notices(session, case, [hook], clock)
        notices.deliver_due(session, clock())
        (got,) = webhook_receiver.received
        timestamp, signature = got.headers["X-Portal-Timestamp"], got.headers["X-Portal-Signature"]
        changed = got.body.replace(b"rectification", b"erasure")
        assert not webhooks.verify(SECRET, timestamp, changed, signature)
        assert not webhooks.verify(SECRET, str(int(timestamp) + 1), got.body, signature)

    def test_receiver_down_keeps_the_notice_and_retries_later_with_the_same_key(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)
        webhook_receiver.down = True

        report = notices.deliver_due(session, clock())

        assert (report.sent, report.retrying) == (0, 1)
        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.PENDING
        assert notice.attempts == 1
        assert notice.next_attempt_at == clock() + backoff(1)
        assert notice.last_error == "HTTP 500"

        # Not due yet: nothing is sent however often the worker runs.
        assert notices.deliver_due(session, clock()).retrying == 0
        assert len(webhook_receiver.received) == 1

        webhook_receiver.down = False
        clock.advance(minutes=1, seconds=1)
        report = notices.deliver_due(session, clock())

        assert report.sent == 1
        assert len(webhook_receiver.delivered) == 1
        keys = {r.headers["Idempotency-Key"] for r in webhook_receiver.received}
        assert keys == {notice.key}
        assert all(r.signed_by(SECRET) for r in webhook_receiver.received)
        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.SENT
        assert notice.attempts == 2
        assert notice.last_error is None
        assert notices.deliver_due(session, clock() + timedelta(days=1)).sent == 0
        assert len(webhook_receiver.delivered) == 1

    def test_a_dropped_connection_is_retried(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)
        webhook_receiver.drop = True

        assert notices.deliver_due(session, clock()).retrying == 1

        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.PENDING
        assert notice.last_error == "connection closed without an answer"
        assert notice.next_attempt_at > clock()

    def test_nobody_listening_is_retried(
        self, session: Session, case: SubjectRequest, clock: Clock
    ) -> None:
        from tests.smtp import free_port

        nobody = add_recipient(
            session, "Stängd AB", webhook_url=f"http://127.0.0.1:{free_port()}/hook",
            webhook_secret=SECRET,
        )  # fmt: skip
        (notice,) = rectification_notices(session, case, [nobody], clock)

        assert notices.deliver_due(session, clock()).retrying == 1
        assert fresh_notice(session, notice).last_error == "connection refused"

    def test_a_receiver_slower_than_the_timeout_is_retried(
        self, app: Flask, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        app.config["WEBHOOK_TIMEOUT"] = 0.2
        webhook_receiver.delay = 1.0
        (notice,) = rectification_notices(session, case, [hook], clock)

        assert notices.deliver_due(session, clock()).retrying == 1

        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.PENDING
        assert notice.last_error == "timed out"

    def test_done_in_the_answer_confirms_at_once(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)
        webhook_receiver.reply = {"status": "done"}

        report = notices.deliver_due(session, clock())

        assert (report.sent, report.confirmed) == (1, 1)
        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.CONFIRMED
        assert notice.confirmed_at == clock()
        assert notice.confirmation == "webhook response"
        assert notices.undecided(session, case) == 0
        assert audit_actions(session) == ["notice.sent", "notice.confirmed"]

    def test_another_answer_leaves_it_sent_for_a_later_confirmation(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)
        webhook_receiver.reply = {"status": "queued"}

        notices.deliver_due(session, clock())

        assert fresh_notice(session, notice).status is NoticeStatus.SENT
        assert notices.undecided(session, case) == 1

    def test_only_the_first_64_kib_of_an_answer_are_read(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)
        webhook_receiver.reply = {"padding": "x" * webhooks.MAX_RESPONSE_BYTES, "status": "done"}

        assert notices.deliver_due(session, clock()).sent == 1

        # Received, but the cut-off answer is not JSON: nothing is read as a confirmation.
        assert fresh_notice(session, notice).status is NoticeStatus.SENT

    def test_a_redirect_is_not_followed(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)
        webhook_receiver.redirect_to = webhook_receiver.url.replace("/gdpr-hook", "/elsewhere")

        assert notices.deliver_due(session, clock()).retrying == 1

        assert [r.path for r in webhook_receiver.received] == ["/gdpr-hook"]
        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.PENDING
        assert notice.last_error == "redirect refused (HTTP 302)"

    def test_only_http_urls_are_called(
        self, session: Session, case: SubjectRequest, clock: Clock
    ) -> None:
        odd = add_recipient(
            session, "Fil AB", webhook_url="file:///etc/passwd", webhook_secret=SECRET
        )
        (notice,) = rectification_notices(session, case, [odd], clock)

        notices.deliver_due(session, clock())

        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.PENDING
        assert notice.last_error == "the webhook address must be an http or https URL"

    def test_after_the_last_attempt_staff_must_decide(
        self, app: Flask, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        app.config["NOTICE_MAX_ATTEMPTS"] = 3
        (notice,) = rectification_notices(session, case, [hook], clock)
        webhook_receiver.down = True

        reports = []
        for _ in range(5):
            reports.append(notices.deliver_due(session, clock()))
            clock.advance(hours=1)

        assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
        assert len(webhook_receiver.received) == 3
        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.PENDING
        assert notice.next_attempt_at is None
        assert notice.attempts == 3
        assert notice.last_error is not None
        assert notice.last_error.startswith("Stopped after 3 attempts (last: HTTP 500).")
        assert "notice.failed" in audit_actions(session)

    def test_a_live_claim_is_left_alone_and_a_stale_one_is_sent_again(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)
        # Another worker claimed it and is sending right now.
        session.execute(update(RecipientNotice).values(claimed_until=clock() + notices.CLAIM_FOR))
        session.commit()

        assert notices.deliver_due(session, clock()).sent == 0
        assert webhook_receiver.received == []

        # That worker died mid-send: once its claim runs out, the notice goes, same key.
        clock.advance(minutes=6)
        assert notices.deliver_due(session, clock()).sent == 1
        (got,) = webhook_receiver.received
        assert got.headers["Idempotency-Key"] == notice.key

    def test_each_notice_is_sent_once_when_two_workers_run(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        made = rectification_notices(session, case, [hook, add_recipient(
            session, "Andra AB", webhook_url=webhook_receiver.url, webhook_secret=SECRET
        )], clock)  # fmt: skip

        first = notices.deliver_due(session, clock())
        second = notices.deliver_due(session, clock())

        assert (first.sent, second.sent) == (2, 0)
        assert sorted(r.headers["Idempotency-Key"] for r in webhook_receiver.received) == sorted(
            n.key for n in made
        )

    def test_a_recipient_without_a_channel_stays_pending_for_staff(
        self, session: Session, case: SubjectRequest, clock: Clock
    ) -> None:
        silent = add_recipient(session, "Tyst AB")
        (notice,) = rectification_notices(session, case, [silent], clock)

        report = notices.deliver_due(session, clock())

        assert (report.sent, report.retrying, report.failed) == (0, 0, 0)
        notice = fresh_notice(session, notice)
        assert notice.method is NoticeMethod.NONE
        assert notice.status is NoticeStatus.PENDING
        assert notices.undecided(session, case) == 1


class TestEmail:
    def test_the_contact_gets_an_email_with_what_to_do_and_the_confirm_link(
        self, session: Session, case: SubjectRequest, mailbox: Mailbox, clock: Clock
    ) -> None:
        contact = add_recipient(session, "Kund AB", contact_email=CONTACT)
        (notice,) = rectification_notices(session, case, [contact], clock)

        report = notices.deliver_due(session, clock())

        assert report.sent == 1
        message = mailbox.last_to(CONTACT)
        text = text_of(message)
        assert case.reference in str(message["Subject"])
        assert ANNA not in str(message["Subject"])
        assert ANNA in text  # the minimum the recipient needs to find the record
        assert "LHe Handelsbolag" in text
        assert "070-999 88 77" in text  # what to correct
        assert f"{BASE_URL}/notices/" in text
        assert f"{BASE_URL}/notices/" in html_of(message)
        assert notice.key in text
        notice = fresh_notice(session, notice)
        assert notice.method is NoticeMethod.EMAIL
        assert notice.status is NoticeStatus.SENT
        assert notice.sent_at == clock()
        assert notices.deliver_due(session, clock() + timedelta(hours=2)).sent == 0
        assert len(mailbox.to(CONTACT)) == 1


# The messages of a refused action are in the language of the page being drawn.
@pytest.mark.usefixtures("english_page")
class TestDecisions:
    def test_the_case_cannot_complete_while_a_notice_is_undecided(
        self, session: Session, case: SubjectRequest, hook: Recipient, handler: StaffUser,
        officer: StaffUser, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(
            session, case, [hook, add_recipient(session, "Tyst AB")], clock
        )[:1]

        with pytest.raises(RuleError) as refused:
            casework.complete(session, case, "Done.", by=handler, now=clock())
        assert "2 notices to recipients (Art. 19) are undecided" in refused.value.message
        session.rollback()

        with pytest.raises(RuleError):
            notices.record_not_notified(
                session, notice, reason="No contact.", by=handler, now=clock()
            )
        for each in notices.notices_of(session, case):
            notices.record_not_notified(
                session, each, reason="The firm has closed down.", by=officer, now=clock()
            )
        casework.complete(session, case, "Done.", by=handler, now=clock())
        assert case.status is RequestStatus.COMPLETED

    def test_a_recorded_confirmation_decides_the_notice(
        self, session: Session, case: SubjectRequest, hook: Recipient, handler: StaffUser,
        clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = rectification_notices(session, case, [hook], clock)
        yesterday = (clock() - timedelta(days=1)).date()

        with pytest.raises(RuleError):  # before the notice existed
            notices.record_confirmation(
                session, notice, confirmed_on=yesterday, how="E-mail reply", by=handler,
                now=clock(),
            )  # fmt: skip
        clock.advance(days=2)
        with pytest.raises(RuleError):  # in the future
            notices.record_confirmation(
                session, notice, confirmed_on=clock().date() + timedelta(days=1),
                how="E-mail reply", by=handler, now=clock(),
            )  # fmt: skip
        notices.record_confirmation(
            session, notice, confirmed_on=clock().date(), how="E-mail reply", by=handler,
            now=clock(),
        )  # fmt: skip

        assert notice.status is NoticeStatus.CONFIRMED
        assert notice.confirmation == "E-mail reply"
        assert notice.decided_by_id == handler.id
        assert notices.undecided(session, case) == 0
        with pytest.raises(RuleError):
            notices.record_confirmation(
                session, notice, confirmed_on=clock().date(), how="Again", by=handler,
                now=clock(),
            )  # fmt: skip

    def test_send_again_starts_a_fresh_series_with_the_same_key(
        self, app: Flask, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, handler: StaffUser, clock: Clock,
    ) -> None:  # fmt: skip
        app.config["NOTICE_MAX_ATTEMPTS"] = 1
        (notice,) = rectification_notices(session, case, [hook], clock)
        webhook_receiver.down = True
        notices.deliver_due(session, clock())
        assert fresh_notice(session, notice).next_attempt_at is None

        webhook_receiver.down = False
        notices.send_again(session, fresh_notice(session, notice), by=handler, now=clock())
        session.commit()
        assert notices.deliver_due(session, clock()).sent == 1

        assert [r.headers["Idempotency-Key"] for r in webhook_receiver.received] == [notice.key] * 2
        assert fresh_notice(session, notice).status is NoticeStatus.SENT
        assert audit_actions(session) == ["notice.failed", "notice.resend", "notice.sent"]


class TestDocumentedReceiver:
    def test_the_check_in_docs_webhooks_md_accepts_our_notice_and_nothing_else(
        self, session: Session, case: SubjectRequest, hook: Recipient,
        webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
        code = text.split("```python\n", 1)[1].split("```", 1)[0]
        namespace: dict[str, Any] = {}
        exec(code, namespace)  # noqa: S102  (our own docs: the snippet a recipient copies)
        check = namespace["notice_is_authentic"]
        rectification_notices(session, case, [hook], clock)
        notices.deliver_due(session, clock())
        (got,) = webhook_receiver.received
        sent_at = clock().timestamp()

        assert check(SECRET, got.headers, got.body, now=sent_at + 10)
        assert not check("wrong secret", got.headers, got.body, now=sent_at + 10)
        assert not check(SECRET, got.headers, got.body + b" ", now=sent_at + 10)
        assert not check(SECRET, got.headers, got.body, now=sent_at + 3600)  # a replay
