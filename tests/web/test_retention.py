"""The officer's retention pages: the categories with what is due and held, a category's list,
the confirmation with the batch's counts row by row, and the erasure it leads to.

On the records of tests/services/test_retention.py (``world``), through the Flask test client.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.workflow import RequestStatus, RequestType
from app.models import (
    AuditEntry,
    NoticeAction,
    NoticeStatus,
    Person,
    RecipientNotice,
    StaffUser,
    TechnicalRecord,
)
from app.services import intake, notices, retention
from app.services.processing import transition
from tests.conftest import Clock
from tests.factories import add_recipient, file_case, fresh_notice
from tests.helpers import page_text, set_language
from tests.services.test_retention import World, at, email_of, erase
from tests.services.test_retention import world as world  # fixture, used by name
from tests.staff import sign_in_as
from tests.web.case_steps import flash_error
from tests.web.test_dashboard import rows_of

FINGERPRINT = re.compile(r'name="fingerprint" type="hidden" value="([0-9a-f]{64})"')


def officer_browser(app: Flask, officer: StaffUser) -> FlaskClient:
    browser = sign_in_as(app, officer)
    set_language(browser, "en")
    return browser


def ids(session: Session, model: type) -> set[int]:
    session.expire_all()
    return set(session.scalars(select(model.id)))


class TestThePages:
    def test_the_overview_counts_due_and_held_per_category_of_the_register(
        self, app: Flask, officer: StaffUser, world: World
    ) -> None:
        html = page_text(officer_browser(app, officer).get("/staff/retention"))
        rows = {row[0]: row[1:4] for row in rows_of(html, "retention-categories")[1:]}
        assert rows == {
            "Lead contact details": ["12 months from: The end of the assignment the person was "
                                     "contacted for", "4", "3"],
            "Details of contact persons at customers": [
                "36 months from: The end of the contract", "1", "1"],
            "Communication history": [
                "12 months from: The end of the assignment the person was contacted for", "3",
                "0"],
            "Meeting bookings": [
                "12 months from: The end of the assignment the person was contacted for", "2",
                "0"],
            "Consents to direct marketing": [
                "24 months from: The withdrawal of the consent", "1", "0"],
            "Technical data from our website": [
                "6 months from: When the data were collected", "1", "1"],
            "Accounting records": [
                "84 months from: The end of the calendar year in which the financial year ended",
                "3", "0"],
        }  # fmt: skip
        assert 'href="/staff/retention"' in html  # the officer's navigation

    def test_a_category_lists_due_and_held_people_and_the_view_is_audited(
        self, app: Flask, session: Session, officer: StaffUser, world: World
    ) -> None:
        answer = officer_browser(app, officer).get("/staff/retention/lead_contact")
        assert answer.status_code == 200
        rows = rows_of(page_text(answer), "retention-items")[1:]
        assert [(row[0], row[1], row[5]) for row in rows] == [
            ("B_Lead Persson", email_of("b_lead"), "Due for erasure"),
            ("Restricted Persson", email_of("restricted"),
             "Held: the processing is restricted (Art. 18)"),
            ("Open Persson", email_of("open"), "Held: the address has an open case"),
            ("Consenting Persson", email_of("consenting"), "Held: a consent is in force"),
            ("Objector Persson", email_of("objector"), "Due for erasure"),
            ("Unassigned Persson", email_of("unassigned"), "Due for erasure"),
            ("Old Persson", email_of("old"), "Due for erasure"),
        ]  # fmt: skip
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.view")
        ).one()
        assert entry.data == {"category": "lead_contact", "page": 1, "items": 7}
        assert entry.actor_id == officer.id

    def test_an_unknown_category_is_not_found(self, app: Flask, officer: StaffUser) -> None:
        browser = officer_browser(app, officer)
        assert browser.get("/staff/retention/people").status_code == 404
        assert browser.post("/staff/retention/people/erase").status_code == 404

    def test_a_handler_may_not_see_or_erase(self, app: Flask, handler: StaffUser) -> None:
        browser = sign_in_as(app, handler)
        assert browser.get("/staff/retention").status_code == 403
        assert browser.get("/staff/retention/lead_contact").status_code == 403
        assert browser.post("/staff/retention/lead_contact/erase").status_code == 403
        assert 'href="/staff/retention"' not in page_text(browser.get("/staff/queue"))


class TestErasing:
    def test_the_confirmation_shows_the_counts_and_erasing_removes_exactly_the_due_people(
        self, app: Flask, session: Session, officer: StaffUser, world: World
    ) -> None:
        browser = officer_browser(app, officer)
        confirm = page_text(browser.get("/staff/retention/lead_contact/erase"))
        counts = {row[0]: row[1:] for row in rows_of(confirm, "retention-batch")[1:]}
        assert counts == {
            "Contact details and role": ["4", "0"],
            "Assignments (the customers the contact was made for)": ["3", "0"],
            "Communication history (e-mails, calls, messages)": ["1", "0"],
            "Booked meetings": ["1", "0"],
            "Consents": ["1", "0"],
            "Technical data (IP address, browser)": ["1", "0"],
        }
        assert "Kund A – HubSpot: 2" in confirm
        assert "1 address objected to direct marketing" in confirm
        people = ids(session, Person)
        answer = browser.post(
            "/staff/retention/lead_contact/erase",
            data={"fingerprint": FINGERPRINT.search(confirm).group(1)},
        )
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/staff/retention/lead_contact"
        page = page_text(browser.get(answer.headers["Location"]))
        assert "4 items past their retention period were erased." in page
        assert ids(session, Person) == people - world.due["lead_contact"]
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.erase")
        ).one()
        assert entry.data["erased"]["people"] == 4
        assert entry.actor_id == officer.id

    def test_a_stale_confirmation_erases_nothing_and_says_why(
        self, app: Flask, session: Session, officer: StaffUser, world: World
    ) -> None:
        browser = officer_browser(app, officer)
        confirm = page_text(browser.get("/staff/retention/technical/erase"))
        session.add(
            TechnicalRecord(person_id=world.people["running"], event="page_view",
                            occurred_at=app.extensions["clock"]().replace(year=2025))
        )  # fmt: skip
        session.commit()
        rows = ids(session, TechnicalRecord)
        answer = browser.post(
            "/staff/retention/technical/erase",
            data={"fingerprint": FINGERPRINT.search(confirm).group(1)},
        )
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/staff/retention/technical/erase"
        page = page_text(browser.get(answer.headers["Location"]))
        assert "have changed since the counts were shown" in flash_error(page)
        assert ids(session, TechnicalRecord) == rows
        assert (
            session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "retention.erase")
            )
            == 0
        )
        # The page now shows the new batch, which erases.
        fresh = FINGERPRINT.search(page).group(1)
        browser.post("/staff/retention/technical/erase", data={"fingerprint": fresh})
        assert len(rows - ids(session, TechnicalRecord)) == 2

    def test_an_empty_post_changes_nothing(
        self, app: Flask, session: Session, officer: StaffUser, world: World
    ) -> None:
        browser = officer_browser(app, officer)
        people = ids(session, Person)
        answer = browser.post("/staff/retention/customer/erase", data={})
        assert answer.status_code == 303
        assert ids(session, Person) == people
        assert "changed since" in flash_error(page_text(browser.get(answer.headers["Location"])))

    def test_with_nothing_due_the_confirmation_says_so(
        self, app: Flask, session: Session, officer: StaffUser, world: World
    ) -> None:
        browser = officer_browser(app, officer)
        for _ in range(2):
            retention_page = page_text(browser.get("/staff/retention/consents/erase"))
            match = FINGERPRINT.search(retention_page)
            if match:
                browser.post("/staff/retention/consents/erase", data={"fingerprint": match[1]})
        page = page_text(browser.get("/staff/retention/consents/erase"))
        assert "Nothing in this category is due for erasure now." in page
        assert "fingerprint" not in page
        assert (
            retention.plan_batch(session, "consents", app.extensions["clock"]().date()).items == ()
        )


class TestAReducedCase:
    def test_its_staff_page_opens_with_the_minimal_log_and_says_why(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        case = intake.file_request(
            session, email="gammal@exempel.se", type=RequestType.ACCESS,
            details={"scope": "all"}, original_text="Visa allt om mig, Gunilla",
            language="sv", now=at(date(2021, 3, 1)),
        )  # fmt: skip
        transition(session, case, RequestStatus.REFUSED, actor="system", now=at(date(2021, 3, 9)))
        session.commit()
        assert retention.purge(session, clock()).counts["cases"] == 1
        session.commit()
        answer = officer_browser(app, officer).get(f"/staff/cases/{case.reference}")
        assert answer.status_code == 200
        page = page_text(answer)
        assert case.reference in page
        assert "Retention period ended: reduced to the minimal case log" in page
        assert "gammal@exempel.se" not in page
        assert "Gunilla" not in page


class TestNoticesWithoutACase:
    """The Art. 19 notices of a bulk erasure are decided on the retention page."""

    def test_the_officer_sees_them_records_a_confirmation_and_why_one_is_not_notified(
        self, app: Flask, session: Session, clock: Clock, world: World, officer: StaffUser
    ) -> None:
        erase(session, "lead_contact", officer, clock)
        made = list(
            session.scalars(
                select(RecipientNotice)
                .where(RecipientNotice.request_id.is_(None))
                .order_by(RecipientNotice.id)
            )
        )
        assert made
        first, second = made[0], made[1]
        browser = officer_browser(app, officer)

        page = page_text(browser.get("/staff/retention"))
        assert 'id="notices-heading"' in page
        assert first.recipient.name in page

        blank = browser.post(
            "/staff/retention/notices/not-notified",
            data={"notice_not_notified-notice": str(second.id), "notice_not_notified-reason": ""},
        )
        assert blank.status_code == 400
        assert fresh_notice(session, second).status is NoticeStatus.PENDING

        confirmed = browser.post(
            "/staff/retention/notices/confirm",
            data={
                "notice_confirm-notice": str(first.id),
                "notice_confirm-confirmed_on": clock().date().isoformat(),
                "notice_confirm-how": "E-mail reply from the recipient",
            },
        )
        assert confirmed.status_code == 303
        first = fresh_notice(session, first)
        assert first.status is NoticeStatus.CONFIRMED
        assert first.address is None

        reason = "The recipient was wound up; there is nobody left to tell."
        decided = browser.post(
            "/staff/retention/notices/not-notified",
            data={
                "notice_not_notified-notice": str(second.id),
                "notice_not_notified-reason": reason,
            },
        )
        assert decided.status_code == 303
        second = fresh_notice(session, second)
        assert second.status is NoticeStatus.NOT_NOTIFIED
        assert second.not_notified_reason == reason
        assert second.address is None

    def test_a_case_notice_cannot_be_decided_from_the_retention_page(
        self, app: Flask, session: Session, clock: Clock, world: World, officer: StaffUser
    ) -> None:
        case = file_case(session, clock, RequestType.RESTRICTION, {"ground": "accuracy"},
                         email="case@example.com")  # fmt: skip
        (notice,) = notices.create_notices(
            session, case, NoticeAction.RESTRICTION,
            recipients=[add_recipient(session, "Tyst AB")], details={}, now=clock(),
        )  # fmt: skip
        session.commit()
        browser = officer_browser(app, officer)
        answer = browser.post(
            "/staff/retention/notices/not-notified",
            data={"notice_not_notified-notice": str(notice.id),
                  "notice_not_notified-reason": "Not from here."},
        )  # fmt: skip
        assert answer.status_code == 303
        assert flash_error(page_text(browser.get(answer.headers["Location"])))
        assert fresh_notice(session, notice).status is NoticeStatus.PENDING
