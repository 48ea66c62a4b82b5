"""The ``portal`` commands an operator relies on (design.md §1), run through Click's runner."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from app.core.workflow import RequestType
from app.db import get_session
from app.models import (
    ControllerInfo,
    EmailStatus,
    NoticeAction,
    OutboundEmail,
    Person,
    Recipient,
    RecipientKind,
)
from app.services import intake, notices
from app.services.demo import DEMO_ADDRESSES
from tests.conftest import Clock, make_app
from tests.smtp import Mailbox
from tests.webhook_server import WebhookReceiver
from tests.webhook_server import webhook_receiver as webhook_receiver  # fixture, used by name


def _file_app(tmp_path: Path) -> Flask:
    return make_app(
        tmp_path, create_tables=False, DATABASE_URL=f"sqlite:///{tmp_path / 'portal.db'}"
    )


class TestDatabaseCommands:
    def test_upgrade_migrates_and_seeds_the_register_once(self, tmp_path: Path) -> None:
        app = _file_app(tmp_path)
        runner = app.test_cli_runner()
        first = runner.invoke(args=["db", "upgrade"])
        assert first.exit_code == 0, first.output
        assert "Seeded the register" in first.output
        second = runner.invoke(args=["db", "upgrade"])
        assert second.exit_code == 0
        assert "Seeded" not in second.output
        with app.app_context():
            assert get_session().scalar(select(func.count(ControllerInfo.id))) == 1


class TestSeedDemo:
    def test_seeds_leads_and_prints_the_demo_addresses(self, tmp_path: Path) -> None:
        app = _file_app(tmp_path)
        runner = app.test_cli_runner()
        runner.invoke(args=["db", "upgrade"])
        result = runner.invoke(args=["seed-demo", "--leads", "40", "--seed", "7"])
        assert result.exit_code == 0, result.output
        for address in DEMO_ADDRESSES:
            assert address in result.output
        with app.app_context():
            people = get_session().scalar(select(func.count(Person.id)))
        assert people is not None
        assert people >= 40

    def test_if_empty_adds_nothing_the_second_time(self, tmp_path: Path) -> None:
        app = _file_app(tmp_path)
        runner = app.test_cli_runner()
        runner.invoke(args=["db", "upgrade"])
        runner.invoke(args=["seed-demo", "--leads", "20", "--if-empty"])
        with app.app_context():
            before = get_session().scalar(select(func.count(Person.id)))
        again = runner.invoke(args=["seed-demo", "--leads", "20", "--if-empty"])
        assert "already present" in again.output
        assert DEMO_ADDRESSES[0] in again.output
        with app.app_context():
            assert get_session().scalar(select(func.count(Person.id))) == before


class TestWorker:
    def test_worker_once_delivers_mail_queued_while_smtp_was_down(
        self, app: Flask, clock: Clock, mailbox: Mailbox
    ) -> None:
        mailbox.down = True
        app.test_client().post("/start", data={"email": "anna@example.com"})
        assert mailbox.messages == []
        mailbox.down = False
        clock.advance(minutes=5)
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "1 sent" in result.output
        assert len(mailbox.to("anna@example.com")) == 1
        get_session().expire_all()
        assert get_session().scalar(select(OutboundEmail.status)) is EmailStatus.SENT

    def test_worker_once_delivers_art_19_notices_to_the_recipients_endpoint(
        self, app: Flask, clock: Clock, mailbox: Mailbox, webhook_receiver: WebhookReceiver
    ) -> None:

        session = get_session()
        crm = Recipient(
            name="Norrsken Bygg AB (CRM)", kind=RecipientKind.CUSTOMER_SYSTEM, country="SE",
            service_sv="Kundens CRM", service_en="The customer's CRM",
            webhook_url=webhook_receiver.url, webhook_secret="s" * 64,
        )  # fmt: skip
        session.add(crm)
        filed = intake.file_request(
            session, email="anna@example.com", type=RequestType.RESTRICTION,
            details={"ground": "accuracy"}, original_text=None, language="sv", now=clock(),
        )  # fmt: skip
        notices.create_notices(
            session, filed, NoticeAction.RESTRICTION, recipients=[crm], details={}, now=clock()
        )
        session.commit()
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "1 notices to recipients sent" in result.output
        assert len(webhook_receiver.delivered) == 1
        again = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert "0 notices to recipients sent" in again.output
        assert len(webhook_receiver.delivered) == 1
