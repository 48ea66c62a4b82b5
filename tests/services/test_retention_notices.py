"""Art. 19 notices of the officer's bulk erasure of records past their retention rule: made before
the rows go, delivered by the worker like a case's notices, and the address gone once sent."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import NoticeAction, NoticeStatus, Recipient, RecipientKind, RecipientNotice
from app.services import notices
from app.services.errors import RuleError
from tests.conftest import Clock
from tests.factories import fresh_notice
from tests.services.test_retention import World, build_world, email_of, erase
from tests.services.test_retention import officer_user as officer_user  # fixture, used by name
from tests.smtp import Mailbox
from tests.webhook_server import WebhookReceiver
from tests.webhook_server import webhook_receiver as webhook_receiver  # fixture, used by name

SECRET = "9d2b7c1e5f3a4b6c8d0e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c"
CONTACT = "privacy@processor.example"


@pytest.fixture
def world(app: Flask, session: Session, clock: Clock, webhook_receiver: WebhookReceiver) -> World:
    """The retention world; the lead's CRM has a webhook, the seeded processors no channel but one
    processor, which has an e-mail contact."""
    found = build_world(session, clock())
    session.execute(
        update(Recipient)
        .where(Recipient.kind == RecipientKind.PROCESSOR)
        .values(webhook_url=None, webhook_secret=None, contact_email=None)
    )
    first = session.scalars(
        select(Recipient).where(Recipient.kind == RecipientKind.PROCESSOR).order_by(Recipient.id)
    ).first()
    assert first is not None
    first.contact_email = CONTACT
    crm = session.get_one(Recipient, found.crm)
    crm.webhook_url = webhook_receiver.url
    crm.webhook_secret = SECRET
    session.commit()
    return found


def retention_notices(session: Session) -> list[RecipientNotice]:
    return list(
        session.scalars(
            select(RecipientNotice)
            .where(RecipientNotice.request_id.is_(None))
            .order_by(RecipientNotice.id)
        )
    )


class TestBulkErasureNotices:
    def test_erasing_leads_makes_one_notice_per_address_and_recipient(
        self, session: Session, clock: Clock, world: World, officer_user: object
    ) -> None:
        erase(session, "lead_contact", officer_user, clock)

        made = retention_notices(session)
        to_crm = {n.address for n in made if n.recipient_id == world.crm}
        assert to_crm == {email_of("old"), email_of("objector")}
        assert {n.action for n in made} == {NoticeAction.ERASURE}
        assert {n.status for n in made} == {NoticeStatus.PENDING}
        assert all(n.address for n in made)
        assert all(n.details == {"retention_category": "lead_contact"} for n in made)
        assert len(notices.undecided_without_case(session)) == len(made)

    def test_the_crm_gets_a_signed_webhook_with_the_address_which_is_then_gone(
        self, session: Session, clock: Clock, world: World, officer_user: object,
        webhook_receiver: WebhookReceiver, mailbox: Mailbox,
    ) -> None:  # fmt: skip
        erase(session, "lead_contact", officer_user, clock)
        to_crm = [n for n in retention_notices(session) if n.recipient_id == world.crm]

        notices.deliver_due(session, clock())

        got = sorted(webhook_receiver.received, key=lambda r: r.json["subject"]["email"])
        assert [r.json["subject"]["email"] for r in got] == sorted(
            [email_of("objector"), email_of("old")]
        )
        for received in got:
            assert received.signed_by(SECRET)
            assert received.json["type"] == "erasure"
            assert received.json["reference"] == "RETENTION-2026-11-24"
            assert received.json["details"] == {"retention_category": "lead_contact"}
            assert received.json["confirm_url"].startswith("https://portal.example.test/notices/")
        assert {r.headers["Idempotency-Key"] for r in got} == {n.key for n in to_crm}
        for notice in to_crm:
            notice = fresh_notice(session, notice)
            assert notice.status is NoticeStatus.SENT
            assert notice.address is None
        stored = session.scalars(
            select(RecipientNotice.address).where(RecipientNotice.address.in_(
                [email_of("old"), email_of("objector")]
            ), RecipientNotice.status != NoticeStatus.PENDING)
        ).all()  # fmt: skip
        assert stored == []

    def test_an_email_recipient_gets_the_mail_and_the_address_is_then_gone(
        self, session: Session, clock: Clock, world: World, officer_user: object,
        mailbox: Mailbox,
    ) -> None:  # fmt: skip
        erase(session, "lead_contact", officer_user, clock)
        by_mail = [n for n in retention_notices(session) if n.method.value == "email"]
        assert len(by_mail) == 4  # one per erased address

        notices.deliver_due(session, clock())

        texts = [m.get_body(("plain",)).get_content() for m in mailbox.to(CONTACT)]
        assert len(texts) == 4
        assert all("RETENTION-2026-11-24" in t for t in texts)
        assert any(email_of("old") in t for t in texts)
        for notice in by_mail:
            assert fresh_notice(session, notice).address is None

    def test_a_notice_without_a_channel_keeps_the_address_until_the_officer_decides(
        self, session: Session, clock: Clock, world: World, officer_user: object,
        webhook_receiver: WebhookReceiver, mailbox: Mailbox,
    ) -> None:  # fmt: skip
        erase(session, "lead_contact", officer_user, clock)
        notices.deliver_due(session, clock())
        waiting = [n for n in retention_notices(session) if n.method.value == "none"]
        assert waiting
        assert all(n.address for n in waiting)

        notice = waiting[0]
        notices.record_not_notified(
            session, notice, reason="The processor deletes everything monthly.",
            by=officer_user, now=clock(),
        )  # fmt: skip
        session.commit()
        notice = fresh_notice(session, notice)
        assert notice.status is NoticeStatus.NOT_NOTIFIED
        assert notice.address is None
        assert notice.id not in {n.id for n in notices.undecided_without_case(session)}

    @pytest.mark.usefixtures("english_page")
    def test_a_sent_notice_without_a_case_is_not_sent_again(
        self, session: Session, clock: Clock, world: World, officer_user: object,
        webhook_receiver: WebhookReceiver, mailbox: Mailbox,
    ) -> None:  # fmt: skip
        erase(session, "lead_contact", officer_user, clock)
        notices.deliver_due(session, clock())
        sent = next(n for n in retention_notices(session) if n.status is NoticeStatus.SENT)
        with pytest.raises(RuleError, match="address is not kept"):
            notices.send_again(session, sent, by=officer_user, now=clock())
