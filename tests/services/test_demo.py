"""The demo seeder: deterministic, realistic Swedish data that fits the models and the register."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from email_validator import validate_email
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.deadlines import extended_deadline, legal_deadline
from app.core.grounds import REFUSAL_GROUNDS
from app.core.workflow import Channel, RequestStatus, RequestType
from app.db import get_session
from app.models import (
    AccountingRecord,
    Assignment,
    Communication,
    Company,
    Consent,
    EmailStatus,
    Meeting,
    OutboundEmail,
    Person,
    PersonKind,
    Purpose,
    Recipient,
    RecipientKind,
    SubjectRequest,
    TechnicalRecord,
)
from app.services.demo import (
    DEMO_ADDRESSES,
    DemoSummary,
    ascii_slug,
    case_count,
    is_empty,
    seed_demo,
)
from app.services.register_seed import is_register_seeded
from app.services.reporting import dashboard, default_period
from tests.conftest import START, make_app

NOW = START
SMALL = 300


def fresh_app(tmp_path: Path) -> Flask:
    """An app on a database of its own: every table, no rows."""
    return make_app(tmp_path)


@pytest.fixture
def empty_session(tmp_path: Path) -> Iterator[Session]:
    """A session on a fresh database with every table and no rows, not even the register."""
    app = fresh_app(tmp_path)
    with app.app_context():
        yield get_session()
    app.extensions["db.engine"].dispose()


def people_of_a_fresh_run(
    tmp_path: Path, *, seed: int, leads: int = SMALL
) -> tuple[DemoSummary, list[tuple[str, str, str | None]]]:
    """Seed a database of its own and return the summary and every (email, name, title)."""
    app = fresh_app(tmp_path)
    try:
        with app.app_context():
            session = get_session()
            summary = seed_demo(session, leads=leads, seed=seed, now=NOW)
            rows = session.execute(
                select(Person.email, Person.name, Person.job_title).order_by(Person.id)
            ).all()
            return summary, [tuple(row) for row in rows]
    finally:
        app.extensions["db.engine"].dispose()


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def seeded(session: Session) -> DemoSummary:
    return seed_demo(session, leads=SMALL, seed=7, now=NOW)


class TestDeterminism:
    def test_the_same_seed_gives_the_same_people(self, tmp_path: Path) -> None:
        first_summary, first = people_of_a_fresh_run(tmp_path, seed=2026)
        second_summary, second = people_of_a_fresh_run(tmp_path, seed=2026)

        assert first == second
        assert first_summary == second_summary

    def test_a_different_seed_gives_different_people(self, tmp_path: Path) -> None:
        _, first = people_of_a_fresh_run(tmp_path, seed=1)
        _, second = people_of_a_fresh_run(tmp_path, seed=2)

        fixed = set(DEMO_ADDRESSES)
        first_random = [row for row in first if row[0] not in fixed]
        second_random = [row for row in second if row[0] not in fixed]
        assert first_random != second_random
        assert len({row[0] for row in first_random} & {row[0] for row in second_random}) < SMALL / 2

    def test_the_fixed_demo_people_are_the_same_for_every_seed(self, tmp_path: Path) -> None:
        summary_one, first = people_of_a_fresh_run(tmp_path, seed=1, leads=10)
        summary_two, second = people_of_a_fresh_run(tmp_path, seed=2, leads=10)

        assert summary_one.demo_addresses == summary_two.demo_addresses == list(DEMO_ADDRESSES)
        fixed = set(DEMO_ADDRESSES)
        assert [r for r in first if r[0] in fixed] == [r for r in second if r[0] in fixed]

    def test_the_seeder_never_reads_the_clock(self, tmp_path: Path) -> None:
        later = NOW + timedelta(days=400)
        app = fresh_app(tmp_path)
        with app.app_context():
            session = get_session()
            seed_demo(session, leads=50, seed=3, now=later)
            newest = session.scalar(select(func.max(Communication.occurred_at)))
        app.extensions["db.engine"].dispose()

        assert newest is not None
        assert later - timedelta(days=60) < newest <= later


class TestCounts:
    def test_creates_exactly_the_requested_number_of_leads(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        random_leads = session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.kind == PersonKind.LEAD, Person.email.not_in(DEMO_ADDRESSES))
        )

        assert seeded.leads == SMALL
        assert random_leads == SMALL

    def test_the_summary_matches_the_rows_in_the_database(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        customer_systems = session.scalar(
            select(func.count())
            .select_from(Recipient)
            .where(Recipient.kind == RecipientKind.CUSTOMER_SYSTEM)
        )

        assert count(session, Person) == seeded.people
        assert count(session, Company) == seeded.customers + seeded.lead_companies
        assert customer_systems == seeded.recipients == seeded.customers
        assert count(session, Assignment) == seeded.assignments
        assert count(session, Communication) == seeded.communications
        assert count(session, Meeting) == seeded.meetings
        assert count(session, Consent) == seeded.consents
        assert count(session, TechnicalRecord) == seeded.technical_records
        assert count(session, AccountingRecord) == seeded.accounting_records

    def test_there_are_about_twenty_customers_each_with_invoices(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        customers = session.scalars(select(Company.id).where(Company.is_customer)).all()
        invoiced = set(session.scalars(select(AccountingRecord.company_id)))

        assert seeded.customers == len(customers) == 20
        assert invoiced == set(customers)

    def test_leads_have_a_varied_history(self, session: Session, seeded: DemoSummary) -> None:
        assert SMALL <= seeded.assignments <= 2 * SMALL + 10
        assert seeded.communications > SMALL
        assert 0 < seeded.meetings < seeded.communications
        assert 0 < seeded.consents < SMALL
        assert seeded.technical_records > 0
        channels = set(session.scalars(select(Communication.channel).distinct()))
        assert channels == {"email", "phone", "linkedin"}
        assert set(session.scalars(select(Communication.direction).distinct())) == {
            "inbound",
            "outbound",
        }

    def test_zero_leads_still_gives_the_customers_and_the_fixed_people(
        self, session: Session
    ) -> None:
        summary = seed_demo(session, leads=0, now=NOW)

        assert summary.leads == 0
        assert summary.customers == 20
        emails = set(session.scalars(select(Person.email)))
        assert set(DEMO_ADDRESSES) <= emails


class TestPeople:
    def test_every_email_validates_and_is_lowercase(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        for email in session.scalars(select(Person.email)):
            assert email == email.lower()
            assert email.isascii()
            assert validate_email(email, check_deliverability=False).normalized == email
            assert email.endswith(".se")

    def test_addresses_are_firstname_dot_lastname_at_the_company_domain(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        rows = session.execute(
            select(Person.email, Person.name, Company.website).join(
                Company, Person.company_id == Company.id
            )
        ).all()

        for email, name, website in rows:
            first, last = name.split(" ", 1)
            local, domain = email.split("@")
            assert local.startswith(f"{ascii_slug(first, keep='-')}.{ascii_slug(last, keep='-')}")
            assert website == f"https://www.{domain}"

    def test_random_people_never_share_an_address(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        emails = list(
            session.scalars(select(Person.email).where(Person.email.not_in(DEMO_ADDRESSES)))
        )

        assert len(emails) == len(set(emails))

    def test_names_are_swedish_with_their_letters(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        names = " ".join(session.scalars(select(Person.name)))

        assert any(letter in names for letter in "åäöÅÄÖ")
        assert all(
            phone.startswith("+46 7")
            for phone in session.scalars(select(Person.phone).where(Person.phone.is_not(None)))
        )

    def test_every_person_says_where_the_data_came_from(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        sources = set(session.scalars(select(Person.source)))

        assert {"LinkedIn", "Företagets webbplats", "Köpt lista från Bisnode"} <= sources
        assert any(source.startswith("Lista från kunden ") for source in sources)
        assert "" not in sources

    def test_customer_contacts_work_for_customers(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        contacts = session.scalars(
            select(Person).where(Person.kind == PersonKind.CUSTOMER_CONTACT)
        ).all()

        assert contacts
        assert all(contact.company is not None for contact in contacts)
        assert all(contact.company.is_customer for contact in contacts)  # type: ignore[union-attr]

    def test_ascii_slug_transliterates_swedish_letters(self) -> None:
        assert ascii_slug("Åsa Öberg-Wallén", keep="-") == "asaoberg-wallen"
        assert ascii_slug("Kovačević") == "kovacevic"
        assert ascii_slug("Märta") == "marta"


class TestAssignments:
    def test_every_assignment_goes_to_a_customer_and_its_own_system(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        assignments = session.scalars(select(Assignment)).all()

        assert assignments
        for assignment in assignments:
            assert assignment.customer.is_customer
            assert assignment.recipient is not None
            assert assignment.recipient.kind is RecipientKind.CUSTOMER_SYSTEM
            assert assignment.recipient.name.startswith(
                assignment.customer.name.removesuffix(" AB")
            )

    def test_assignment_dates_are_in_order_and_some_have_ended(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        assignments = session.scalars(select(Assignment)).all()

        assert any(a.ended_on is None for a in assignments)
        assert any(a.ended_on is not None for a in assignments)
        for assignment in assignments:
            assert assignment.started_on <= NOW.date()
            if assignment.ended_on is not None:
                assert assignment.started_on <= assignment.ended_on <= NOW.date()

    def test_customer_systems_have_contacts_and_transfer_safeguards(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        systems = session.scalars(
            select(Recipient).where(Recipient.kind == RecipientKind.CUSTOMER_SYSTEM)
        ).all()

        assert {s.country for s in systems} <= {"SE", "US"}
        assert any(s.webhook_url for s in systems)
        for system in systems:
            assert system.contact_email
            validate_email(system.contact_email, check_deliverability=False)
            assert (system.country == "US") == (system.safeguard_sv is not None)
            assert (system.country == "US") == (system.safeguard_en is not None)
            if system.webhook_url:
                assert system.webhook_url.startswith("https://crm.")

    def test_communications_and_meetings_belong_to_the_persons_assignments(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        for model in (Communication, Meeting):
            mismatched = session.scalar(
                select(func.count())
                .select_from(model)
                .join(Assignment, model.assignment_id == Assignment.id)
                .where(Assignment.person_id != model.person_id)
            )
            assert mismatched == 0


class TestTimes:
    @pytest.mark.parametrize(
        "column",
        [
            Person.created_at,
            Person.updated_at,
            Assignment.delivered_at,
            Communication.occurred_at,
            Meeting.starts_at,
            Consent.given_at,
            Consent.withdrawn_at,
            TechnicalRecord.occurred_at,
        ],
        ids=lambda column: str(column),
    )
    def test_times_lie_within_the_two_years_before_now(
        self, session: Session, seeded: DemoSummary, column: object
    ) -> None:
        earliest, latest = session.execute(select(func.min(column), func.max(column))).one()

        assert earliest is not None
        assert NOW - timedelta(days=731) <= earliest <= latest <= NOW

    def test_consents_are_withdrawn_after_they_were_given(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        consents = session.scalars(select(Consent)).all()
        marketing = session.scalars(select(Purpose).where(Purpose.code == "direct_marketing")).one()

        assert any(c.withdrawn_at is not None for c in consents)
        assert any(c.withdrawn_at is None for c in consents)
        for consent in consents:
            assert consent.purpose_id == marketing.id
            assert consent.evidence
            if consent.withdrawn_at is not None:
                assert consent.withdrawn_at > consent.given_at


class TestFixedDemoPeople:
    def test_the_fixed_demo_addresses_exist_and_validate(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        emails = set(session.scalars(select(Person.email)))

        assert seeded.demo_addresses == list(DEMO_ADDRESSES)
        for address in seeded.demo_addresses:
            assert address in emails
            assert validate_email(address, check_deliverability=False).normalized == address

    def test_anna_is_a_lead_with_a_meeting_and_history(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        anna = session.scalars(
            select(Person).where(Person.email == "anna.lindqvist@norrskenlogistik.se")
        ).one()

        assert anna.kind is PersonKind.LEAD
        assert anna.name == "Anna Lindqvist"
        assert len(anna.communications) >= 3
        assert len(anna.meetings) == 1
        assert anna.technical_records

    def test_a_customer_contact_has_invoices_and_an_active_marketing_consent(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        contact = session.scalars(
            select(Person).where(
                Person.email.in_(DEMO_ADDRESSES), Person.kind == PersonKind.CUSTOMER_CONTACT
            )
        ).one()

        assert contact.accounting_records
        assert contact.company is not None
        assert contact.company.is_customer
        assert any(c.is_active and c.purpose.code == "direct_marketing" for c in contact.consents)

    def test_one_person_has_data_at_two_customers(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        customers_per_address = {
            address: set(
                session.scalars(
                    select(Assignment.customer_id)
                    .join(Person, Assignment.person_id == Person.id)
                    .where(Person.email == address)
                )
            )
            for address in DEMO_ADDRESSES
        }

        assert any(len(customers) == 2 for customers in customers_per_address.values())

    def test_seeding_again_adds_a_batch_but_not_the_fixed_people_twice(
        self, session: Session, seeded: DemoSummary
    ) -> None:
        before = count(session, Person)

        again = seed_demo(session, leads=20, seed=8, now=NOW)

        assert again.demo_people == 0
        assert count(session, Person) == before + again.people
        assert (
            session.scalar(
                select(func.count())
                .select_from(Person)
                .where(Person.email == "anna.lindqvist@norrskenlogistik.se")
            )
            == 1
        )


class TestInputs:
    def test_is_empty_until_people_exist(self, empty_session: Session) -> None:
        assert is_empty(empty_session)

        seed_demo(empty_session, leads=5, now=NOW)

        assert not is_empty(empty_session)

    def test_seeds_the_register_first_when_it_is_missing(self, empty_session: Session) -> None:
        assert not is_register_seeded(empty_session)

        summary = seed_demo(empty_session, leads=5, now=NOW)

        assert is_register_seeded(empty_session)
        assert summary.consents == count(empty_session, Consent)

    def test_a_naive_now_is_refused(self, session: Session) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            seed_demo(session, leads=1, now=datetime(2026, 1, 1))

    def test_a_negative_number_of_leads_is_refused(self, session: Session) -> None:
        with pytest.raises(ValueError, match="negative"):
            seed_demo(session, leads=-1, now=NOW)


class TestScale:
    def test_seeding_two_thousand_leads_works(self, empty_session: Session) -> None:
        summary = seed_demo(empty_session, leads=2_000, now=NOW)

        assert summary.leads == 2_000
        assert count(empty_session, Person) == summary.people
        assert summary.lead_companies >= 2_000 // 15
        assert summary.communications > 2_000


def cases_of_a_fresh_run(tmp_path: Path, *, seed: int) -> list[tuple[object, ...]]:
    app = fresh_app(tmp_path)
    try:
        with app.app_context():
            session = get_session()
            seed_demo(session, leads=SMALL, seed=seed, now=NOW, cases=True)
            rows = session.execute(
                select(
                    SubjectRequest.reference, SubjectRequest.type, SubjectRequest.status,
                    SubjectRequest.channel, SubjectRequest.email, SubjectRequest.received_on,
                    SubjectRequest.due_on, SubjectRequest.closed_on,
                ).order_by(SubjectRequest.id)
            ).all()  # fmt: skip
            return [tuple(row) for row in rows]
    finally:
        app.extensions["db.engine"].dispose()


@pytest.fixture
def with_cases(session: Session) -> DemoSummary:
    return seed_demo(session, leads=SMALL, seed=7, now=NOW, cases=True)


class TestCases:
    def test_a_history_of_cases_over_the_last_fourteen_months_in_every_status(
        self, session: Session, with_cases: DemoSummary
    ) -> None:
        cases = session.scalars(select(SubjectRequest)).all()

        assert with_cases.requests == len(cases) == case_count(SMALL)
        assert {case.status for case in cases} == set(RequestStatus)
        assert {case.type for case in cases} == set(RequestType)
        assert Channel.PORTAL in {case.channel for case in cases}
        months = {(case.received_on.year, case.received_on.month) for case in cases}
        assert len(months) >= 10
        today = NOW.date()
        assert all(today - timedelta(days=430) <= case.received_on <= today for case in cases)
        assert all(case.events for case in cases)

    def test_deadlines_and_closing_figures_are_what_the_rules_give(
        self, session: Session, with_cases: DemoSummary
    ) -> None:
        cases = session.scalars(select(SubjectRequest)).all()

        for case in cases:
            assert case.received_on == stockholm_date(case.received_at)
            assert case.legal_due_on == legal_deadline(case.received_on)
            if case.extended_due_on is not None:
                assert case.extended_due_on == extended_deadline(case.received_on)
                assert case.due_on == case.extended_due_on
                assert case.extension_reason
            else:
                assert case.due_on == case.legal_due_on
            if case.is_open:
                assert case.closed_on is None
                continue
            assert case.closed_at is not None
            assert case.closed_at <= NOW
            assert case.closed_on == stockholm_date(case.closed_at)
            assert case.days_to_close == (case.closed_on - case.received_on).days
            withdrawn = case.status is RequestStatus.WITHDRAWN
            assert case.closed_on_time == (None if withdrawn else case.closed_on <= case.due_on)
            if case.status is RequestStatus.REFUSED:
                assert case.refusal_ground in REFUSAL_GROUNDS
                assert case.refusal_notified_at is not None

    def test_some_are_extended_refused_late_due_soon_and_overdue(
        self, session: Session, with_cases: DemoSummary
    ) -> None:
        cases = session.scalars(select(SubjectRequest)).all()
        today = NOW.date()
        open_cases = [case for case in cases if case.is_open]

        assert any(case.extended_due_on for case in cases)
        assert any(case.closed_on_time is False for case in cases)
        assert 1 <= sum(case.due_on < today for case in open_cases) <= 2
        assert any(today <= case.due_on <= today + timedelta(days=7) for case in open_cases)
        assert sum(case.closed_on_time is True for case in cases) > len(cases) / 2

    def test_cases_are_for_seeded_people_but_not_the_fixed_demo_people(
        self, session: Session, with_cases: DemoSummary
    ) -> None:
        emails = set(session.scalars(select(SubjectRequest.email)))
        people = set(session.scalars(select(Person.email)))

        assert not emails & set(DEMO_ADDRESSES)
        held = [case for case in session.scalars(select(SubjectRequest)) if case.email in people]
        assert len(held) > with_cases.requests * 3 / 4
        not_held = session.scalars(
            select(SubjectRequest).where(SubjectRequest.email.not_in(people))
        ).all()
        assert all(
            case.type is RequestType.ERASURE and case.status is RequestStatus.COMPLETED
            for case in not_held
        )

    def test_no_email_waits_to_be_sent_for_a_demo_case(
        self, session: Session, with_cases: DemoSummary
    ) -> None:
        statuses = set(session.scalars(select(OutboundEmail.status)))

        assert count(session, OutboundEmail) > with_cases.requests
        assert statuses == {EmailStatus.SENT}

    def test_the_same_seed_gives_the_same_cases(self, tmp_path: Path) -> None:
        first = cases_of_a_fresh_run(tmp_path, seed=11)
        second = cases_of_a_fresh_run(tmp_path, seed=11)
        other = cases_of_a_fresh_run(tmp_path, seed=12)

        assert first == second
        assert first != other

    def test_the_dashboard_has_figures(self, session: Session, with_cases: DemoSummary) -> None:
        today = NOW.date()
        board = dashboard(session, default_period(today), today)

        assert board.open.total > 0
        assert board.overdue.total > 0
        assert board.received_total > 0
        assert board.answered > 0
        assert board.on_time_rate is not None
        assert 0.7 < board.on_time_rate < 1
        assert board.extensions > 0
        assert board.refusals > 0

    def test_the_number_of_cases_grows_with_the_leads_but_is_capped(self) -> None:
        assert case_count(0) == case_count(300) == 40
        assert case_count(4_000) == 200
        assert case_count(100_000) == 300

    def test_without_cases_nothing_is_filed(self, session: Session, seeded: DemoSummary) -> None:
        assert seeded.requests == 0
        assert count(session, SubjectRequest) == 0
