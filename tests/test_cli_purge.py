"""``portal purge`` and the worker's purge, on data of known ages (the clock: 24 November 2026).

``--dry-run`` counts and changes nothing; a purge removes what is due and says how many of each
kind; a second finds nothing; the worker purges on its own, the calendar steps once a day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.workflow import RequestStatus, RequestType
from app.db import get_session
from app.models import AuditEntry, EmailStatus, EmailToken, OutboundEmail, SubjectRequest
from app.services import intake
from app.services.processing import transition
from tests.conftest import Clock
from tests.services.test_retention import at

OLD = "gammal@exempel.se"


pytestmark = pytest.mark.usefixtures("english_page")


def old_mail(session: Session, clock: Clock, name: str) -> int:
    """A sign-in e-mail sent 40 days ago: not tied to a case, due after 30 days."""
    moment = clock() - timedelta(days=40)
    row = OutboundEmail(
        message_id=f"<{name}@test>", template="verify", language="sv", to_address=OLD,
        subject="Din länk", body_text="[removed]", status=EmailStatus.SENT,
        next_attempt_at=moment, created_at=moment, sent_at=moment,
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row.id


@pytest.fixture
def due(app: Flask, session: Session, clock: Clock) -> dict[str, int]:
    """One of each: an expired token, a case closed five years and a day ago, an old e-mail."""
    now = clock()
    token = EmailToken(
        token_hash="a" * 64, code_hash="b" * 64, email=OLD, created_at=now - timedelta(hours=3),
        expires_at=now - timedelta(hours=2),
    )  # fmt: skip
    session.add(token)
    case = intake.file_request(
        session, email=OLD, type=RequestType.ACCESS, details={"scope": "all"},
        original_text="Visa allt ni har om mig", language="sv", now=at(date(2021, 10, 1)),
    )  # fmt: skip
    transition(session, case, RequestStatus.REFUSED, actor="staff:1", now=at(date(2021, 11, 23)))
    for row in session.scalars(select(OutboundEmail)):
        row.status, row.sent_at = EmailStatus.SENT, row.created_at
    session.commit()
    return {"token": token.id, "case": case.id, "mail": old_mail(session, clock, "first")}


def state(session: Session, due: dict[str, int]) -> tuple[object, ...]:
    session.expire_all()
    return (
        session.get(EmailToken, due["token"]) is not None,
        session.get_one(SubjectRequest, due["case"]).email,
        session.get(OutboundEmail, due["mail"]) is not None,
        session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action.like("retention.%"))
        ),
    )


class TestPurgeCommand:
    def test_a_dry_run_counts_what_is_due_and_changes_nothing(
        self, app: Flask, session: Session, due: dict[str, int]
    ) -> None:
        before = state(session, due)
        assert before == (True, OLD, True, 0)
        result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "Due now (nothing was changed):" in result.output
        assert "1  expired verification tokens" in result.output
        assert "1  closed cases reduced to the minimal log" in result.output
        assert "1  e-mails not tied to a case" in result.output
        assert state(get_session(), due) == before

    def test_a_purge_removes_it_says_how_many_and_a_second_finds_nothing(
        self, app: Flask, session: Session, due: dict[str, int]
    ) -> None:
        result = app.test_cli_runner().invoke(args=["purge"])
        assert result.exit_code == 0, result.output
        assert "Purged:" in result.output
        assert "1  closed cases reduced to the minimal log" in result.output
        assert state(get_session(), due) == (False, "", False, 1)
        entry = (
            get_session()
            .scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
            .one()
        )
        assert entry.actor == "cli"
        assert entry.data == {"email_tokens": 1, "emails": 1, "cases": 1}
        again = app.test_cli_runner().invoke(args=["purge"])
        assert again.exit_code == 0, again.output
        assert [line.split()[0] for line in again.output.splitlines()[1:]] == ["0"] * 6
        assert state(get_session(), due) == (False, "", False, 1)


class TestWorker:
    def test_the_worker_purges_and_checks_the_calendar_once_a_day(
        self, app: Flask, session: Session, clock: Clock, due: dict[str, int]
    ) -> None:
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "3 purged" in result.output
        assert state(get_session(), due) == (False, "", False, 1)
        # Later the same day a mail becomes 30 days settled: it waits for the day's first round.
        later = old_mail(get_session(), clock, "second")
        clock.advance(hours=1)
        app.test_cli_runner().invoke(args=["worker", "--once"])
        assert get_session().get(OutboundEmail, later) is not None
        clock.advance(days=1)
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert "1 purged" in result.output
        get_session().expire_all()
        assert get_session().get(OutboundEmail, later) is None
