"""The outbox: mail is written with the change, sent after the commit, retried, never lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.cli import run_worker_once
from app.core.authority import IMY
from app.core.workflow import RequestType
from app.db import get_session
from app.mail import outbox
from app.mail.outbox import backoff, build_message, mailer
from app.models import EmailStatus, EmailToken, OutboundEmail, SubjectRequest
from app.services import intake
from tests.conftest import Clock
from tests.helpers import (
    add_person,
    build_app,
    case,
    code_of,
    count,
    file_request,
    html_of,
    link_path,
    page_text,
    reference_from,
    set_language,
    text_of,
    verify,
)
from tests.smtp import Mailbox

ANNA = "anna@example.com"


def rows(session: Session, template: str | None = None) -> list[OutboundEmail]:
    session.expire_all()
    query = select(OutboundEmail).order_by(OutboundEmail.id)
    if template:
        query = query.where(OutboundEmail.template == template)
    return list(session.scalars(query))


def receipts(mailbox: Mailbox) -> list[Any]:
    return [m for m in mailbox.messages if "DSR-" in str(m["Subject"])]


@pytest.fixture
def anna(client: FlaskClient, mailbox: Mailbox) -> FlaskClient:
    verify(client, mailbox, ANNA)
    return client


class TestSmtpDown:
    def test_request_is_filed_and_the_person_sees_the_normal_page(
        self, anna: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        mailbox.down = True

        answer = file_request(anna, "erasure")

        reference = reference_from(answer)
        receipt_page = anna.get(answer.headers["Location"])
        assert receipt_page.status_code == 200
        assert reference in page_text(receipt_page)
        assert case(session, reference).type is RequestType.ERASURE
        (row,) = rows(session, "receipt")
        assert row.status is EmailStatus.PENDING
        assert row.attempts == 1
        assert row.next_attempt_at > clock()
        assert row.last_error
        assert receipts(mailbox) == []

    def test_worker_delivers_it_exactly_once_with_the_same_message_id_when_smtp_is_back(
        self, app: Flask, anna: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        mailbox.down = True
        reference = reference_from(file_request(anna, "access"))
        (row,) = rows(session, "receipt")
        mailbox.down = False

        assert run_worker_once(app).sent == 0  # not due yet: the backoff is respected
        clock.advance(minutes=2)
        first = run_worker_once(app)
        clock.advance(hours=2)
        second = run_worker_once(app)

        assert (first.sent, second.sent) == (1, 0)
        (delivered,) = receipts(mailbox)
        assert reference in delivered["Subject"]
        assert delivered["Message-ID"] == row.message_id
        (row,) = rows(session, "receipt")
        assert row.status is EmailStatus.SENT
        assert row.sent_at == clock() - timedelta(hours=2)
        assert row.attempts == 2

    def test_link_asked_for_while_smtp_is_down_arrives_later_and_works(
        self, app: Flask, client: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        mailbox.down = True
        asked = client.post("/start", data={"email": ANNA})
        assert asked.status_code == 303
        assert client.get(asked.headers["Location"]).status_code == 200
        assert mailbox.messages == []
        assert count(session, EmailToken) == 1

        mailbox.down = False
        clock.advance(minutes=1)
        assert run_worker_once(app).sent == 1

        assert client.post(link_path(mailbox.last_to(ANNA))).status_code == 303

    def test_link_that_expired_while_smtp_was_down_is_not_sent_late(
        self, app: Flask, client: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        mailbox.down = True
        client.post("/start", data={"email": ANNA})
        mailbox.down = False
        clock.advance(minutes=16)

        report = run_worker_once(app)

        assert (report.sent, report.expired) == (0, 1)
        assert mailbox.messages == []
        (row,) = rows(session, "verify")
        assert row.status is EmailStatus.EXPIRED
        assert "/verify/" not in row.body_text

    def test_retries_back_off_and_keep_going(
        self, app: Flask, anna: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        mailbox.down = True
        file_request(anna, "access")
        waits = []
        for _ in range(4):
            (row,) = rows(session, "receipt")
            waits.append(row.next_attempt_at - clock())
            clock.current = row.next_attempt_at
            assert run_worker_once(app).retrying == 1
        (row,) = rows(session, "receipt")
        assert waits == [backoff(n) for n in (1, 2, 3, 4)]
        assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
        assert row.attempts == 5
        assert row.status is EmailStatus.PENDING

        mailbox.down = False
        clock.current = row.next_attempt_at
        assert run_worker_once(app).sent == 1
        assert len(receipts(mailbox)) == 1

    def test_backoff_is_capped_at_an_hour(self) -> None:
        assert backoff(30) == timedelta(hours=1)


class TestTransactions:
    def test_rolled_back_transaction_sends_nothing(
        self, app: Flask, session: Session, mailbox: Mailbox, clock: Clock
    ) -> None:
        intake.file_request(
            session,
            email=ANNA,
            type=RequestType.ACCESS,
            details={"scope": "all", "parts": [], "formats": ["pdf"]},
            original_text=None,
            language="sv",
            now=clock(),
        )
        assert len(rows(session)) == 1  # queued with the change...

        outbox.rollback(session)

        assert run_worker_once(app).sent == 0
        assert rows(session) == []  # ...and gone with it
        assert count(session, SubjectRequest) == 0
        assert mailbox.messages == []

    def test_view_that_fails_after_queueing_stores_and_sends_nothing(
        self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any], mailbox: Mailbox
    ) -> None:
        app = build_app(tmp_path, clock, smtp_config)

        def file_then_fail() -> str:
            intake.file_request(
                get_session(),
                email=ANNA,
                type=RequestType.ERASURE,
                details={},
                original_text=None,
                language="sv",
                now=clock(),
            )
            raise RuntimeError("something broke before the commit")

        app.add_url_rule("/file-then-fail", "file_then_fail", file_then_fail, methods=["POST"])

        assert app.test_client().post("/file-then-fail").status_code == 500

        assert run_worker_once(app).sent == 0
        assert mailbox.messages == []
        with app.app_context():
            assert count(get_session(), SubjectRequest) == 0
            assert count(get_session(), OutboundEmail) == 0

    def test_mail_is_sent_only_after_the_commit(
        self, app: Flask, session: Session, mailbox: Mailbox, clock: Clock
    ) -> None:
        intake.file_request(
            session,
            email=ANNA,
            type=RequestType.ACCESS,
            details={},
            original_text=None,
            language="sv",
            now=clock(),
        )
        assert mailbox.messages == []
        outbox.commit(session, clock())
        assert len(receipts(mailbox)) == 1
        assert [r.status for r in rows(session)] == [EmailStatus.SENT]


class TestCrashRecovery:
    @staticmethod
    def crash_while_sending(session: Session, clock: Clock, *, sent: bool) -> OutboundEmail:
        """A worker claimed the e-mail, maybe handed it to SMTP, and died before marking it."""
        intake.file_request(
            session,
            email=ANNA,
            type=RequestType.ACCESS,
            details={},
            original_text=None,
            language="sv",
            now=clock(),
        )
        session.commit()
        (row,) = rows(session, "receipt")
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == row.id)
            .values(status=EmailStatus.SENDING, claimed_until=clock() + outbox.CLAIM_FOR)
        )
        session.commit()
        if sent:
            mailer().send(build_message(row))
        return row

    def test_stale_sending_claim_is_resent_with_the_same_message_id(
        self, app: Flask, session: Session, mailbox: Mailbox, clock: Clock
    ) -> None:
        row = self.crash_while_sending(session, clock, sent=True)

        assert run_worker_once(app).sent == 0  # the claim is still fresh: maybe still sending
        clock.advance(minutes=6)
        assert run_worker_once(app).sent == 1
        clock.advance(minutes=6)
        assert run_worker_once(app).sent == 0

        delivered = receipts(mailbox)
        assert len(delivered) == 2  # at least once: the copy can be recognised...
        assert {m["Message-ID"] for m in delivered} == {row.message_id}  # ...by its Message-ID
        assert [r.status for r in rows(session)] == [EmailStatus.SENT]

    def test_claim_of_a_crashed_worker_that_sent_nothing_is_delivered_once(
        self, app: Flask, session: Session, mailbox: Mailbox, clock: Clock
    ) -> None:
        row = self.crash_while_sending(session, clock, sent=False)
        clock.advance(minutes=6)
        assert run_worker_once(app).sent == 1
        assert [m["Message-ID"] for m in receipts(mailbox)] == [row.message_id]

    def test_message_that_can_never_be_built_is_flagged_not_sent(
        self, app: Flask, session: Session, mailbox: Mailbox, clock: Clock
    ) -> None:
        session.add(
            OutboundEmail(
                message_id="<broken@portal.example.test>",
                template="receipt",
                language="sv",
                to_address="a@b.se\r\nBcc: x@y.se",
                subject="Hej",
                body_text="Hej\n",
                status=EmailStatus.PENDING,
                next_attempt_at=clock(),
                created_at=clock(),
            )
        )
        session.commit()

        report = run_worker_once(app)

        assert (report.sent, report.failed) == (0, 1)
        assert [r.status for r in rows(session)] == [EmailStatus.FAILED]
        assert mailbox.messages == []


class TestLanguagesAndParts:
    @pytest.mark.parametrize("language", ["sv", "en"])
    def test_receipt_is_in_the_language_of_the_case_with_text_and_html(
        self, client: FlaskClient, mailbox: Mailbox, language: str
    ) -> None:
        set_language(client, language)
        verify(client, mailbox, ANNA)
        reference = reference_from(file_request(client, "access"))

        (message,) = receipts(mailbox)

        assert message.get_content_type() == "multipart/alternative"
        assert message["Content-Language"] == language
        text, html = text_of(message), html_of(message)
        assert reference in text
        assert reference in html
        assert f'<html lang="{language}">' in html
        other = "en" if language == "sv" else "sv"
        for body in (text, html):
            assert IMY.complaint_url(language) in body
            assert IMY.complaint_url(other) not in body

    def test_swedish_is_the_default(self, anna: FlaskClient, mailbox: Mailbox) -> None:
        file_request(anna, "access")
        assert [m["Content-Language"] for m in mailbox.messages] == ["sv", "sv"]

    def test_later_mail_keeps_the_case_language_not_the_page_language(
        self, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        set_language(client, "en")
        verify(client, mailbox, ANNA)
        reference = reference_from(file_request(client, "access"))
        set_language(client, "sv")
        client.post(f"/cases/{reference}/withdraw")

        withdrawn = mailbox.last_to(ANNA)
        assert reference in withdrawn["Subject"]
        assert withdrawn["Content-Language"] == "en"
        assert '<html lang="en">' in html_of(withdrawn)


class TestVerificationMail:
    def test_carries_the_link_and_code_and_no_personal_data_beyond_the_address(
        self, client: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        add_person(session, ANNA, clock(), name="Karin Lindqvist", phone="070-111 22 33")

        client.post("/start", data={"email": ANNA})

        (message,) = mailbox.messages
        assert mailbox.envelopes[0].rcpt_tos == [ANNA]
        assert message["To"] == ANNA
        text, html = text_of(message), html_of(message)
        path, code = link_path(message), code_of(message)
        assert f"https://portal.example.test{path}" in text
        assert f'href="https://portal.example.test{path}"' in html
        assert code in text
        assert code in html
        everything = "\n".join([str(message["Subject"]), text, html])
        for personal in ("Karin", "Lindqvist", "070-111 22 33", "Norrsken", "Inköpschef"):
            assert personal not in everything
        assert ANNA not in str(message["Subject"])

    def test_is_in_the_language_of_the_page(self, client: FlaskClient, mailbox: Mailbox) -> None:
        set_language(client, "en")
        client.post("/start", data={"email": ANNA})
        message = mailbox.last_to(ANNA)
        assert message["Content-Language"] == "en"
        assert '<html lang="en">' in html_of(message)

    def test_body_is_removed_from_the_database_once_delivered(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        client.post("/start", data={"email": ANNA})
        code = code_of(mailbox.last_to(ANNA))
        (row,) = rows(session, "verify")
        assert row.status is EmailStatus.SENT
        assert code not in row.body_text
        assert row.body_html is None
        assert "/verify/" not in row.body_text

    def test_mail_headers_identify_an_automatic_message_from_the_portal(
        self, app: Flask, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        client.post("/start", data={"email": ANNA})
        message = mailbox.last_to(ANNA)
        assert message["From"] == app.config["MAIL_FROM"]
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"].endswith("@portal.example.test>")
        assert message["Date"]
