"""The access and portability packages as data: every row of the person, nothing of anyone else.

The database is the demo data plus a person who shares a company, a name or almost an address
with others (anna.svensson@ vs anna.svenson@, the same name at another domain, a colleague whose
invoices carry her name as the reference). Each table of the package is compared, id by id, with
a direct query on the exact address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.core.workflow import RequestType
from app.exports.bundle import AccessBundle, PortabilityBundle
from app.models import (
    AccountingRecord,
    Assignment,
    Communication,
    Company,
    Consent,
    Meeting,
    Person,
    PersonKind,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    SubjectRequest,
    TechnicalRecord,
)
from app.portal.forms import DATA_PARTS
from app.services import demo, intake
from app.services.fulfilment.bundle import (
    PART_TABLES,
    collect_access_bundle,
    collect_portability_bundle,
)
from app.services.suppression import suppress
from tests.conftest import START

TARGET = "anna.svensson@norrskenbygg.se"
LOOKALIKES = (
    "anna.svenson@norrskenbygg.se",  # one letter off, same company
    "anna.svensson@norrskenbygg.com",  # same name, another domain
    "anna.svensson2@norrskenbygg.se",
    "erik.svensson@norrskenbygg.se",  # a colleague: same company, same surname
)
HOSTILE = "<b>&</b>"
NOW = START
REFERENCE = "DSR-2026-000042"


@dataclass
class World:
    target_records: list[int]
    lookalike_records: list[int]
    only_lookalike_recipient: str
    delivered_recipient: str
    undelivered_recipient: str
    hostile_communication: int


def _person(
    session: Session,
    email: str,
    name: str,
    company: Company,
    *,
    kind: PersonKind = PersonKind.LEAD,
    source: str = "LinkedIn",
) -> Person:
    person = Person(
        email=email,
        name=name,
        phone="+46 70 174 06 50",
        job_title="Inköpschef",
        company=company,
        kind=kind,
        source=source,
        created_at=NOW - timedelta(days=90),
        updated_at=NOW - timedelta(days=5),
    )
    session.add(person)
    session.flush()
    return person


def _history(
    session: Session,
    person: Person,
    customer: Company,
    recipient: Recipient,
    *,
    delivered: bool,
    marketing: Purpose,
    days: int,
) -> Assignment:
    """An assignment with messages both ways, a meeting, a consent and two web visits."""
    work = Assignment(
        person_id=person.id,
        customer_id=customer.id,
        recipient_id=recipient.id,
        campaign=f"Höst 2026 – {customer.name}",
        started_on=(NOW - timedelta(days=days)).date(),
        delivered_at=NOW - timedelta(days=days - 10) if delivered else None,
    )
    session.add(work)
    session.flush()
    for n, direction in enumerate(("outbound", "inbound", "outbound")):
        session.add(
            Communication(
                person_id=person.id,
                assignment_id=work.id,
                occurred_at=NOW - timedelta(days=days - n, hours=n),
                channel="email" if n != 2 else "phone",
                direction=direction,
                subject=f"Möte med {customer.name}?",
                body=f"Hej {person.name}! Meddelande {n}.",
            )
        )
    session.add(
        Meeting(
            person_id=person.id,
            assignment_id=work.id,
            starts_at=NOW - timedelta(days=days - 20),
            duration_minutes=45,
            status="held",
            location="Microsoft Teams",
            notes=f"Introduktionsmöte med {customer.name}.",
        )
    )
    session.add(
        Consent(
            person_id=person.id,
            purpose_id=marketing.id,
            given_at=NOW - timedelta(days=days - 3),
            evidence="Formulär på lhe-handelsbolag.se",
        )
    )
    for n in range(2):
        session.add(
            TechnicalRecord(
                person_id=person.id,
                occurred_at=NOW - timedelta(days=days - 30 - n),
                event="Besök på lhe-handelsbolag.se",
                ip_address=f"81.2.3.{n + 10}",
                user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/127.0",
            )
        )
    return work


def _recipient(session: Session, name: str, country: str) -> Recipient:
    recipient = Recipient(
        name=name,
        kind=RecipientKind.CUSTOMER_SYSTEM,
        service_sv="Kundens CRM-system, som tar emot bokade möten och leads",
        service_en="The customer's CRM system, which receives booked meetings and leads",
        country=country,
        safeguard_sv="Standardavtalsklausuler (art. 46.2 c)." if country == "US" else None,
        safeguard_en="Standard contractual clauses (Art. 46(2)(c))." if country == "US" else None,
    )
    session.add(recipient)
    session.flush()
    return recipient


def build_world(session: Session) -> World:
    """Demo data (200 leads) plus the target and the people who resemble her; committed."""
    demo.seed_demo(session, leads=200, now=NOW)
    session.flush()
    marketing = session.scalar(select(Purpose).where(Purpose.code == "direct_marketing"))
    assert marketing is not None
    employer = Company(name="Norrsken Bygg AB", org_number="556677-8899", city="Umeå")
    other_employer = Company(name="Norrsken Bygg (Norge) AS", city="Oslo")
    customers = [
        Company(name=name, city="Västerås", is_customer=True)
        for name in ("Kvarnbäcken Energi AB", "Ljungheden Data AB", "Ängsbacken Fiber AB")
    ]
    session.add_all([employer, other_employer, *customers])
    session.flush()
    delivered = _recipient(session, "Kvarnbäcken Energi – HubSpot", "US")
    undelivered = _recipient(session, "Ljungheden Data – Salesforce", "SE")
    lookalike_only = _recipient(session, "Ängsbacken Fiber – Salesforce", "SE")

    # The target: two records under the same address (a lead for two customers).
    first = _person(session, TARGET, "Anna Svensson", employer, source="LinkedIn")
    second = _person(session, TARGET, "Anna Svensson", employer, source="Köpt lista från Bisnode")
    _history(session, first, customers[0], delivered, delivered=True, marketing=marketing, days=80)
    work = _history(
        session, second, customers[1], undelivered, delivered=False, marketing=marketing, days=40
    )
    hostile = Communication(
        person_id=second.id,
        assignment_id=work.id,
        occurred_at=NOW - timedelta(days=1),
        channel="email",
        direction="inbound",
        subject="Svar <i>kursiv</i>",
        body=HOSTILE,
    )
    session.add(hostile)

    # The people who resemble her.
    lookalikes = [
        _person(session, LOOKALIKES[0], "Anna Svenson", employer),
        _person(session, LOOKALIKES[1], "Anna Svensson", other_employer),
        _person(session, LOOKALIKES[2], "Anna Svensson", employer),
        _person(
            session,
            LOOKALIKES[3],
            "Erik Svensson",
            employer,
            kind=PersonKind.CUSTOMER_CONTACT,
            source="Kundavtal med LHe Handelsbolag",
        ),
    ]
    for n, person in enumerate(lookalikes):
        _history(
            session,
            person,
            customers[2 if n == 0 else 0],
            lookalike_only if n == 0 else delivered,
            delivered=True,
            marketing=marketing,
            days=60 + n,
        )
    # Invoices that name "Anna Svensson" as the reference but belong to others' records.
    for person_id in (lookalikes[3].id, None):
        session.add(
            AccountingRecord(
                person_id=person_id,
                company_id=employer.id,
                document_number=f"F2026-9{person_id or 0:05d}",
                document_date=date(2026, 10, 1),
                description="Faktura mötesbokning september 2026",
                amount_sek=Decimal("24900.00"),
                reference_name="Anna Svensson",
            )
        )
    for email in (TARGET, LOOKALIKES[0]):
        intake.file_request(
            session,
            email=email,
            type=RequestType.ACCESS,
            details={"scope": "all", "parts": [], "formats": ["pdf"]},
            original_text=None,
            language="sv",
            now=NOW - timedelta(days=2),
        )
    suppress(session, LOOKALIKES[1], reason="objection", now=NOW - timedelta(days=3))
    session.commit()
    return World(
        target_records=[first.id, second.id],
        lookalike_records=[p.id for p in lookalikes],
        only_lookalike_recipient=lookalike_only.name,
        delivered_recipient=delivered.name,
        undelivered_recipient=undelivered.name,
        hostile_communication=hostile.id,
    )


def access(
    session: Session, language: str = "sv", parts: list[str] | None = None, email: str = TARGET
) -> AccessBundle:
    return collect_access_bundle(
        session, email, language=language, parts=parts, now=NOW, reference=REFERENCE
    )


def portability(session: Session, email: str, language: str = "en") -> PortabilityBundle:
    return collect_portability_bundle(
        session, email, language=language, now=NOW, reference=REFERENCE
    )


def ids(bundle: AccessBundle | PortabilityBundle, table: str) -> list[int]:
    return [row.id for row in bundle.table(table).rows]


@pytest.fixture
def world(app: Flask, session: Session) -> World:
    return build_world(session)


def _expected(session: Session, model: Any, email: str = TARGET) -> list[int]:
    query = (
        select(model.id)
        .join(Person, Person.id == model.person_id)
        .where(Person.email == email)
        .order_by(model.id)
    )
    return list(session.scalars(query))


class TestEveryRowAndNothingElse:
    @pytest.mark.parametrize(
        ("table", "model"),
        [
            ("assignments", Assignment),
            ("communications", Communication),
            ("meetings", Meeting),
            ("consents", Consent),
            ("technical_records", TechnicalRecord),
            ("accounting_records", AccountingRecord),
        ],
    )
    def test_each_table_holds_exactly_the_rows_of_the_address(
        self, session: Session, world: World, table: str, model: Any
    ) -> None:
        bundle = access(session)

        expected = _expected(session, model)
        assert sorted(ids(bundle, table)) == expected
        for lookalike in LOOKALIKES:
            assert not set(ids(bundle, table)) & set(_expected(session, model, lookalike))

    def test_every_record_of_the_address_and_no_similar_one(
        self, session: Session, world: World
    ) -> None:
        bundle = access(session)

        assert ids(bundle, "records") == world.target_records
        assert {row.email for row in bundle.table("records").rows} == {TARGET}
        direct = list(
            session.scalars(select(Person.id).where(Person.email == TARGET).order_by(Person.id))
        )
        assert ids(bundle, "records") == direct

    def test_companies_are_those_of_the_records(self, session: Session, world: World) -> None:
        bundle = access(session)
        expected = set(session.scalars(select(Person.company_id).where(Person.email == TARGET)))
        assert set(ids(bundle, "companies")) == expected
        assert [row.name for row in bundle.table("companies").rows] == ["Norrsken Bygg AB"]

    def test_requests_and_suppression_of_the_address_only(
        self, session: Session, world: World
    ) -> None:
        bundle = access(session)

        mine = list(
            session.scalars(select(SubjectRequest.id).where(SubjectRequest.email == TARGET))
        )
        assert ids(bundle, "requests") == mine
        assert len(mine) == 1
        assert bundle.table("suppression").rows == ()  # only the lookalike is suppressed

        suppress(session, TARGET, reason="erasure", now=NOW)
        again = access(session)
        assert [row.reason for row in again.table("suppression").rows] == ["erasure"]

    def test_invoices_naming_her_on_others_records_are_not_hers(
        self, session: Session, world: World
    ) -> None:
        bundle = access(session)
        assert bundle.table("accounting_records").rows == ()

    def test_rows_carry_their_links_and_customers(self, session: Session, world: World) -> None:
        bundle = access(session)
        communications = bundle.table("communications").rows
        assert {row.record_id for row in communications} == set(world.target_records)
        assert [row.occurred_at for row in communications] == sorted(
            row.occurred_at for row in communications
        )
        hostile = next(row for row in communications if row.id == world.hostile_communication)
        assert hostile.body == HOSTILE
        assert hostile.customer == "Ljungheden Data AB"
        delivered = {row.recipient: row.delivered_at for row in bundle.table("assignments").rows}
        assert delivered[world.delivered_recipient] is not None
        assert delivered[world.undelivered_recipient] is None

    def test_an_unknown_address_gets_a_package_that_says_nothing_is_held(
        self, session: Session, world: World
    ) -> None:
        bundle = access(session, "en", email="nobody.svensson@norrskenbygg.se")

        assert all(table.rows == () for table in bundle.tables)
        assert not bundle.information.processed
        assert "do not process any personal data" in bundle.information.confirmation
        assert bundle.information.purposes == ()
        assert bundle.information.recipients == ()
        assert bundle.information.complaint.url == IMY.complaint_url("en")

    def test_an_address_with_only_a_request_is_told_that_only_the_request_is_held(
        self, session: Session, world: World
    ) -> None:
        email = "karl.nilsson@example.com"
        intake.file_request(
            session,
            email=email,
            type=RequestType.ACCESS,
            details={"scope": "all", "parts": [], "formats": ["pdf"]},
            original_text=None,
            language="en",
            now=NOW,
        )
        bundle = access(session, "en", email=email)

        assert bundle.table("records").rows == ()
        assert len(bundle.table("requests").rows) == 1
        assert "We hold no records about" in bundle.information.confirmation
        assert [p.code for p in bundle.information.purposes] == ["data_subject_requests"]


class TestParts:
    def test_the_parts_match_the_access_form(self) -> None:
        assert list(PART_TABLES) == [code for code, _ in DATA_PARTS]

    def test_only_the_parts_asked_for_hold_rows_but_the_information_is_complete(
        self, session: Session, world: World
    ) -> None:
        whole = access(session)
        bundle = access(session, parts=["communication", "technical"])

        included = {table.key for table in bundle.tables if table.included}
        assert included == {"communications", "technical_records", "requests", "suppression"}
        assert ids(bundle, "communications") == ids(whole, "communications")
        assert ids(bundle, "technical_records") == ids(whole, "technical_records")
        for key in ("records", "companies", "assignments", "meetings", "consents"):
            assert bundle.table(key).rows == ()
            assert not bundle.table(key).included
        assert bundle.information == whole.information
        assert bundle.parts == ("communication", "technical")
        assert "records" not in bundle.summary()
        assert bundle.summary()["communications"] == len(whole.table("communications").rows)

    def test_an_unknown_part_is_refused(self, session: Session, world: World) -> None:
        with pytest.raises(ValueError, match="unknown parts"):
            access(session, parts=["contact", "passwords"])

    def test_an_unknown_language_is_refused(self, session: Session, world: World) -> None:
        with pytest.raises(ValueError, match="language"):
            access(session, "de")

    @pytest.mark.parametrize("parts", [None, []])
    def test_no_parts_means_everything(
        self, session: Session, world: World, parts: list[str] | None
    ) -> None:
        bundle = access(session, parts=parts)
        assert all(table.included for table in bundle.tables)
        assert bundle.parts == ()


class TestInformation:
    def test_recipients_by_name_are_the_processors_and_exactly_her_customers_systems(
        self, session: Session, world: World
    ) -> None:
        info = access(session, "en").information
        names = [r.name for r in info.recipients]

        processors = session.scalars(
            select(Recipient.name).where(Recipient.kind == RecipientKind.PROCESSOR)
        )
        for processor in processors:
            assert processor in names
        assert world.delivered_recipient in names
        assert world.undelivered_recipient in names
        assert world.only_lookalike_recipient not in names
        crm = next(r for r in info.recipients if r.name == world.delivered_recipient)
        assert [d.customer for d in crm.deliveries] == ["Kvarnbäcken Energi AB"]
        assert crm.deliveries[0].delivered_at is not None
        assert crm.third_country
        assert crm.safeguard == "Standard contractual clauses (Art. 46(2)(c))."
        assert [a.kind for a in info.authorities] == ["authority"]

    def test_transfers_name_each_third_country_recipient_and_its_safeguard(
        self, session: Session, world: World
    ) -> None:
        info = access(session, "sv").information
        transfers = {t.recipient: t for t in info.transfers}
        assert set(transfers) == {r.name for r in info.recipients if r.third_country}
        assert {"HubSpot, Inc.", world.delivered_recipient} <= set(transfers)
        assert "Microsoft Ireland Operations Ltd" not in transfers  # Ireland: inside the EEA
        assert transfers[world.delivered_recipient].safeguard == (
            "Standardavtalsklausuler (art. 46.2 c)."
        )
        assert transfers[world.delivered_recipient].country_name == "USA"

    def test_purposes_with_legal_basis_interest_categories_and_retention_from_the_register(
        self, session: Session, world: World
    ) -> None:
        info = access(session, "sv").information
        purposes = {p.code: p for p in info.purposes}

        assert {"lead_generation", "scheduling", "direct_marketing", "it_security"} <= set(purposes)
        assert "customer_contract" not in purposes  # she is not a customer contact
        register = session.scalar(select(Purpose).where(Purpose.code == "lead_generation"))
        assert register is not None
        lead = purposes["lead_generation"]
        assert lead.name == register.name_sv
        assert lead.legal_basis == "6.1.f"
        assert "art. 6.1 f" in lead.legal_basis_text  # Swedish citation style
        assert lead.legitimate_interest == register.interest_sv
        assert purposes["direct_marketing"].legitimate_interest is None

        categories = {c.code: c for c in info.categories}
        assert set(categories) == {
            "lead_contact",
            "communication",
            "meetings",
            "consents",
            "technical",
            "requests",
        }
        rule = session.scalar(select(RetentionRule).where(RetentionRule.category == "technical"))
        assert rule is not None
        technical = categories["technical"]
        assert (technical.name, technical.description) == (rule.name_sv, rule.description_sv)
        assert technical.retention_months == rule.months
        assert technical.tables == ("technical_records",)

    def test_sources_rights_complaint_and_automated_decisions(
        self, session: Session, world: World
    ) -> None:
        info = access(session, "en").information

        assert [(s.record_id, s.source) for s in info.sources] == [
            (world.target_records[0], "LinkedIn"),
            (world.target_records[1], "Köpt lista från Bisnode"),
        ]
        codes = [r.code for r in info.rights]
        for code in ("access", "rectification", "erasure", "restriction", "portability"):
            assert code in codes
        assert {"objection", "automated_decisions"} <= set(codes)
        assert "object" in info.objection
        assert info.complaint.authority == IMY.name("en")
        assert IMY.postal_address in info.complaint.text
        assert "solely on automated processing" in info.automated_decisions

    def test_the_summary_is_counts_only(self, session: Session, world: World) -> None:
        summary = access(session).summary()
        assert all(isinstance(value, int) for value in summary.values())
        assert summary["records"] == 2
        assert summary["communications"] == 7
        assert summary["recipients"] >= 4
        assert not any("@" in key for key in summary)


class TestPortability:
    def test_a_lead_gets_her_consents_and_an_explanation_for_the_rest(
        self, session: Session, world: World
    ) -> None:
        bundle = portability(session, TARGET)

        assert bundle.table("contact_details").rows == ()  # lead data: legitimate interest
        assert bundle.table("messages").rows == ()
        assert sorted(ids(bundle, "consents")) == _expected(session, Consent)
        excluded = {e.category: e for e in bundle.excluded}
        assert {"lead_contact", "communication", "meetings", "technical"} <= set(excluded)
        lead = excluded["lead_contact"]
        assert lead.legal_bases == ("6.1.f",)
        assert "Art. 20(1)" in lead.reason
        assert "Legitimate interest" in lead.reason
        assert excluded["communication"].entries == 7
        assert "consents" not in excluded

    def test_a_customer_contact_gets_contact_details_consents_and_the_messages_she_sent(
        self, session: Session, world: World
    ) -> None:
        karin = session.scalar(select(Person).where(Person.email == demo.KARIN))
        assert karin is not None
        for direction in ("inbound", "outbound"):
            session.add(
                Communication(
                    person_id=karin.id,
                    occurred_at=NOW - timedelta(days=3),
                    channel="email",
                    direction=direction,
                    subject="Faktura",
                    body=f"Meddelande {direction}",
                )
            )
        session.commit()

        bundle = portability(session, demo.KARIN, "sv")

        contact = bundle.table("contact_details").rows
        assert [(row.id, row.email, row.name) for row in contact] == [
            (karin.id, demo.KARIN, "Karin Åström")
        ]
        assert len(bundle.table("consents").rows) == 1
        assert [row.body for row in bundle.table("messages").rows] == ["Meddelande inbound"]
        excluded = {(e.category, tuple(e.tables)): e for e in bundle.excluded}
        accounting = excluded[("accounting", ("accounting_records",))]
        assert accounting.legal_bases == ("6.1.c",)
        assert "art. 20.1" in accounting.reason  # Swedish citation style
        ours = excluded[("customer", ("communications",))]
        assert ours.entries == 1  # our own message to her is not "provided" by her
        assert "art. 20.1" in ours.reason

    def test_nothing_of_the_lookalikes(self, session: Session, world: World) -> None:
        bundle = portability(session, TARGET)
        record_ids = {row.record_id for row in bundle.table("consents").rows}
        assert record_ids <= set(world.target_records)
        assert bundle.summary()["consents"] == 2


def test_times_are_aware_utc_and_dates_are_dates(session: Session, world: World) -> None:
    bundle = access(session)
    for row in bundle.table("communications").rows:
        assert row.occurred_at.tzinfo is not None
        assert row.occurred_at.utcoffset() == timedelta(0)
    for row in bundle.table("assignments").rows:
        assert isinstance(row.started_on, date)
    assert bundle.generated_at == NOW
