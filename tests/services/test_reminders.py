"""Reminders to staff through the worker: a daily digest of one's cases due soon, and an alert to
every officer about overdue cases; each reminder once, checked at the real SMTP server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cli import run_worker_once
from app.clock import stockholm_date
from app.core.deadlines import legal_deadline
from app.core.permissions import StaffRole
from app.core.workflow import RequestStatus, RequestType
from app.models import OutboundEmail, ReminderLog, StaffUser, SubjectRequest
from app.services import intake, processing, reminders
from tests.conftest import Clock
from tests.helpers import REFERENCE, add_person, html_of, text_of
from tests.smtp import Mailbox
from tests.staff import make_staff

TODAY = date(2026, 11, 24)  # the clock's start: Tuesday 24 November 2026, 10:00 in Stockholm
PERSON = "karin.lindqvist@norrskenbygg.se"
PERSON_NAME = "Karin Lindqvist"


def received_for(due: date) -> date:
    """A receipt date whose legal deadline is ``due`` (a working day)."""
    for back in range(27, 40):
        day = due - timedelta(days=back)
        if legal_deadline(day) == due:
            return day
    raise AssertionError(f"no receipt date gives the deadline {due}")


def new_case(
    session: Session,
    clock: Clock,
    due: date,
    assignee: StaffUser | None = None,
    *,
    email: str = PERSON,
    type: RequestType = RequestType.ACCESS,
) -> SubjectRequest:
    """A case with the legal deadline ``due``, filed now with a back-dated receipt; committed."""
    received = datetime.combine(received_for(due), datetime.min.time(), tzinfo=UTC)
    case = intake.file_request(
        session,
        email=email,
        type=type,
        details={},
        original_text=f"Jag heter {PERSON_NAME} och vill veta vad ni har om mig.",
        language="sv",
        now=clock(),
        received_at=received.replace(hour=10),
    )
    assert case.due_on == due
    case.assignee_id = assignee.id if assignee else None
    session.commit()
    return case


def to(mailbox: Mailbox, staff: StaffUser) -> list[EmailMessage]:
    return mailbox.to(staff.email)


def references(message: EmailMessage) -> set[str]:
    return set(REFERENCE.findall(text_of(message)))


def kinds_logged(session: Session) -> set[tuple[str, int, int, date]]:
    session.expire_all()
    return {
        (r.kind, r.staff_id, r.request_id, r.due_on) for r in session.scalars(select(ReminderLog))
    }


@pytest.fixture
def person(app: Flask, session: Session, clock: Clock) -> None:
    add_person(session, PERSON, clock(), name=PERSON_NAME)


@pytest.fixture
def second_handler(app: Flask, session: Session, clock: Clock) -> StaffUser:
    user = make_staff(
        session, StaffRole.HANDLER, email="hugo@lhe-handelsbolag.se", name="Hugo Handläggare",
        now=clock(),
    )  # fmt: skip
    session.commit()
    return user


class TestDigest:
    def test_lists_the_assigned_open_cases_due_within_three_days(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
        second_handler: StaffUser,
        person: None,
    ) -> None:
        today = new_case(session, clock, TODAY, handler)
        in_two = new_case(session, clock, date(2026, 11, 26), handler)
        in_three = new_case(session, clock, date(2026, 11, 27), handler)
        in_six = new_case(session, clock, date(2026, 11, 30), handler)  # Monday: not yet
        closed = new_case(session, clock, date(2026, 11, 25), handler)
        processing.transition(
            session, closed, RequestStatus.WITHDRAWN, actor=processing.SUBJECT, now=clock()
        )
        session.commit()
        unassigned = new_case(session, clock, date(2026, 11, 25))
        others = new_case(session, clock, date(2026, 11, 25), second_handler)

        report = run_worker_once(app)

        assert report.reminders == 2  # one digest for each handler
        (digest,) = to(mailbox, handler)
        assert references(digest) == {today.reference, in_two.reference, in_three.reference}
        assert in_six.reference not in text_of(digest)
        assert closed.reference not in text_of(digest)
        assert unassigned.reference not in text_of(digest)
        assert references(to(mailbox, second_handler)[0]) == {others.reference}
        assert f"https://portal.example.test/staff/cases/{today.reference}" in text_of(digest)
        assert f'href="https://portal.example.test/staff/cases/{in_two.reference}"' in html_of(
            digest
        )
        assert digest["Content-Language"] == "sv"

    def test_names_no_person(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
        person: None,
    ) -> None:
        new_case(session, clock, date(2026, 11, 25), handler)
        run_worker_once(app)
        (digest,) = to(mailbox, handler)
        for text in (text_of(digest), html_of(digest), digest["Subject"]):
            assert PERSON not in text.lower()
            assert "karin" not in text.lower()
            assert "lindqvist" not in text.lower()

    def test_goes_out_once_and_the_next_day_only_for_cases_not_yet_reminded(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
    ) -> None:
        first = new_case(session, clock, date(2026, 11, 25), handler)
        second = new_case(session, clock, date(2026, 11, 27), handler)
        later = new_case(session, clock, date(2026, 11, 30), handler)  # enters the window Friday
        run_worker_once(app)
        assert references(to(mailbox, handler)[-1]) == {first.reference, second.reference}

        clock.advance(hours=2)
        assert run_worker_once(app).reminders == 0
        assert len(to(mailbox, handler)) == 1

        clock.advance(days=1)  # Wednesday: nothing new within three days
        assert run_worker_once(app).reminders == 0
        clock.advance(days=2)  # Friday 27th: the Monday case is now within three days
        run_worker_once(app)
        assert len(to(mailbox, handler)) == 2
        assert references(to(mailbox, handler)[-1]) == {later.reference}
        assert kinds_logged(session) == {
            (reminders.DUE_SOON, handler.id, first.id, first.due_on),
            (reminders.DUE_SOON, handler.id, second.id, second.due_on),
            (reminders.DUE_SOON, handler.id, later.id, later.due_on),
        }

    def test_at_most_one_digest_a_day_the_rest_comes_tomorrow(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
    ) -> None:
        new_case(session, clock, date(2026, 11, 26), handler)
        run_worker_once(app)
        assigned_later = new_case(session, clock, date(2026, 11, 27), handler)
        clock.advance(hours=3)
        assert run_worker_once(app).reminders == 0
        assert len(to(mailbox, handler)) == 1
        clock.advance(days=1)
        run_worker_once(app)
        assert references(to(mailbox, handler)[-1]) == {assigned_later.reference}

    def test_a_case_reminded_again_for_its_new_deadline_after_an_extension(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
    ) -> None:
        case = new_case(session, clock, date(2026, 11, 26), handler)
        run_worker_once(app)
        assert len(to(mailbox, handler)) == 1
        case.extended_due_on = case.due_on = date(2027, 1, 26)
        session.commit()
        clock.advance(days=60)  # 23 January 2027: the new deadline is three days away
        run_worker_once(app)
        assert len(to(mailbox, handler)) == 2
        assert references(to(mailbox, handler)[-1]) == {case.reference}

    def test_uses_the_date_in_stockholm(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
    ) -> None:
        case = new_case(session, clock, date(2026, 11, 30), handler)  # Monday
        clock.current = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 00:30 on Friday 27th
        assert stockholm_date(clock()) == date(2026, 11, 27)
        run_worker_once(app)
        assert references(to(mailbox, handler)[-1]) == {case.reference}

    def test_inactive_staff_and_admins_get_nothing(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
        admin: StaffUser,
    ) -> None:
        new_case(session, clock, date(2026, 11, 25), handler)
        new_case(session, clock, date(2026, 11, 25), admin)  # should never happen; still nothing
        handler.active = False
        session.commit()
        assert run_worker_once(app).reminders == 0
        assert to(mailbox, handler) == []
        assert to(mailbox, admin) == []

    def test_a_long_list_is_cut_and_counted_but_every_case_logged(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(reminders, "MAX_LISTED", 2)
        cases = [new_case(session, clock, date(2026, 11, 25), handler) for _ in range(3)]
        run_worker_once(app)
        (digest,) = to(mailbox, handler)
        assert references(digest) == {cases[0].reference, cases[1].reference}
        assert "https://portal.example.test/staff/" in text_of(digest)
        assert len(kinds_logged(session)) == 3
        clock.advance(days=1)
        assert run_worker_once(app).reminders == 0


class TestOverdue:
    def test_every_active_officer_is_told_once(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
        officer: StaffUser,
        admin: StaffUser,
        person: None,
    ) -> None:
        other_officer = make_staff(
            session, StaffRole.OFFICER, email="oskar@lhe-handelsbolag.se", now=clock()
        )
        gone_officer = make_staff(
            session, StaffRole.OFFICER, email="gone@lhe-handelsbolag.se", now=clock()
        )
        gone_officer.active = False
        session.commit()
        late = new_case(session, clock, date(2026, 11, 23), handler)
        later = new_case(session, clock, date(2026, 11, 2))
        due_today = new_case(session, clock, TODAY, handler)  # not overdue
        done = new_case(session, clock, date(2026, 11, 20))
        processing.transition(
            session, done, RequestStatus.COMPLETED, actor=handler.actor, now=clock()
        )
        session.commit()

        run_worker_once(app)

        for member in (officer, other_officer):
            (alert,) = to(mailbox, member)
            assert references(alert) == {late.reference, later.reference}
            assert handler.name in text_of(alert)  # who has the case
            assert f"/staff/cases/{later.reference}" in html_of(alert)
            for text in (text_of(alert), html_of(alert), alert["Subject"]):
                assert PERSON not in text.lower()
                assert "lindqvist" not in text.lower()
        assert to(mailbox, gone_officer) == []
        assert to(mailbox, admin) == []
        (digest,) = to(mailbox, handler)  # the handler's digest: only the case due today
        assert references(digest) == {due_today.reference}

        clock.advance(hours=1)
        assert run_worker_once(app).reminders == 0
        assert len(to(mailbox, officer)) == 1

    def test_next_day_only_the_newly_overdue_case(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        officer: StaffUser,
    ) -> None:
        old = new_case(session, clock, date(2026, 11, 20))
        due_today = new_case(session, clock, TODAY)
        run_worker_once(app)
        assert references(to(mailbox, officer)[-1]) == {old.reference}
        clock.advance(days=1)
        run_worker_once(app)
        assert len(to(mailbox, officer)) == 2
        assert references(to(mailbox, officer)[-1]) == {due_today.reference}

    def test_a_back_dated_letter_is_reported_at_the_next_round(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        officer: StaffUser,
    ) -> None:
        run_worker_once(app)
        assert to(mailbox, officer) == []
        letter = new_case(session, clock, date(2026, 11, 16))  # received 40 days ago
        clock.advance(minutes=1)
        run_worker_once(app)
        assert references(to(mailbox, officer)[-1]) == {letter.reference}


class TestOnce:
    def test_a_reminder_another_worker_sent_first_is_not_sent_again(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        case = new_case(session, clock, date(2026, 11, 25), handler)
        stale = reminders.pending(session, clock())  # planned by this worker ...
        session.add(  # ... while another worker sent it
            ReminderLog(
                kind=reminders.DUE_SOON, staff_id=handler.id, request_id=case.id,
                due_on=case.due_on, sent_at=clock(),
            )
        )  # fmt: skip
        session.commit()
        monkeypatch.setattr(reminders, "pending", lambda _session, _now: stale)

        report = run_worker_once(app)

        assert report.reminders == 0
        assert to(mailbox, handler) == []
        session.expire_all()
        templates = set(session.scalars(select(OutboundEmail.template)))
        assert "staff_digest" not in templates  # the rolled-back e-mail was never stored

    def test_the_cli_prints_the_reminders(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
        officer: StaffUser,
    ) -> None:
        new_case(session, clock, date(2026, 11, 20), handler)
        new_case(session, clock, date(2026, 11, 25), handler)
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "2 reminders" in result.output
        assert len(to(mailbox, handler)) == 1
        assert len(to(mailbox, officer)) == 1
