"""The Art. 30 register seeded from the policy, with the corrections of legal.md §7."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from email_validator import validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from app.db import Base, engine, get_session
from app.models import (
    ControllerInfo,
    LegalBasis,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    RetentionTrigger,
)
from app.services.register_seed import PURPOSES, is_register_seeded, seed_register

REGISTER = (ControllerInfo, Purpose, Recipient, RetentionRule)
EEA = {"SE", "IE", "DE", "DK", "FI", "NO", "NL", "FR", "IS", "LI"}


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every register row, for comparing before and after."""
    return {
        model.__tablename__: [
            tuple(getattr(row, column.key) for column in model.__table__.columns)
            for row in session.scalars(select(model).order_by(model.id))
        ]
        for model in REGISTER
    }


def seeded_texts(session: Session) -> list[str]:
    texts: list[str] = []
    for rows in snapshot(session).values():
        for row in rows:
            for value in row:
                if isinstance(value, str):
                    texts.append(value)
                elif isinstance(value, list):
                    texts.extend(item for item in value if isinstance(item, str))
    return texts


def purposes(session: Session) -> list[Purpose]:
    return list(session.scalars(select(Purpose).order_by(Purpose.position)))


def rules(session: Session) -> dict[str, RetentionRule]:
    return {rule.category: rule for rule in session.scalars(select(RetentionRule))}


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 else 1)
        total += number // 10 + number % 10
    return total % 10 == 0


@pytest.fixture
def empty_session(tmp_path: Path) -> Iterator[Session]:
    """A session on a fresh database with every table and no rows, not even the register."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "DATABASE_URL": "sqlite://",
            "MAIL_DIR": str(tmp_path / "mail"),
        }
    )
    with app.app_context():
        Base.metadata.create_all(engine())
        yield get_session()
    app.extensions["db.engine"].dispose()


class TestSeeding:
    def test_seeds_an_empty_register_and_says_so(self, empty_session: Session) -> None:
        session = empty_session
        assert not is_register_seeded(session)

        assert seed_register(session) is True

        assert is_register_seeded(session)
        assert session.scalar(select(func.count()).select_from(ControllerInfo)) == 1
        assert all(session.scalar(select(func.count()).select_from(m)) for m in REGISTER)

    def test_seeding_flushes_but_leaves_the_commit_to_the_caller(
        self, empty_session: Session
    ) -> None:
        seed_register(empty_session)

        assert empty_session.in_transaction()
        assert not empty_session.new  # flushed
        empty_session.rollback()
        assert not is_register_seeded(empty_session)

    def test_seeding_twice_changes_nothing_the_second_time(self, empty_session: Session) -> None:
        session = empty_session
        assert seed_register(session) is True
        before = snapshot(session)

        assert seed_register(session) is False

        assert snapshot(session) == before

    def test_an_edited_register_is_left_as_the_privacy_officer_left_it(
        self, empty_session: Session
    ) -> None:
        session = empty_session
        seed_register(session)
        controller = session.scalars(select(ControllerInfo)).one()
        controller.street = "Storgatan 1"
        session.delete(session.scalars(select(Purpose).where(Purpose.code == "it_security")).one())
        session.flush()
        before = snapshot(session)

        assert seed_register(session) is False

        assert snapshot(session) == before

    def test_module_constants_are_not_shared_with_the_rows(self, empty_session: Session) -> None:
        session = empty_session
        seed_register(session)
        purpose = session.scalars(select(Purpose).where(Purpose.code == "lead_generation")).one()
        purpose.categories.append("edited")

        assert "edited" not in PURPOSES[0]["categories"]


class TestController:
    def test_controller_identity_and_contact_details_are_complete(self, session: Session) -> None:
        seed_register(session)
        controller = session.scalars(select(ControllerInfo)).one()

        assert controller.name == "LHe Handelsbolag"
        assert controller.country == "Sverige"
        assert re.fullmatch(r"\d{3} \d{2}", controller.postal_code)
        assert controller.street
        assert controller.city
        assert controller.phone
        assert controller.website
        assert (
            controller.address == f"{controller.street}, {controller.postal_code} {controller.city}"
        )

    def test_org_number_is_a_handelsbolag_number_with_a_valid_check_digit(
        self, session: Session
    ) -> None:
        seed_register(session)
        org_number = session.scalars(select(ControllerInfo)).one().org_number

        assert re.fullmatch(r"969\d{3}-\d{4}", org_number)
        assert luhn_valid(org_number.replace("-", ""))

    def test_contact_addresses_are_valid_and_on_the_company_domain(self, session: Session) -> None:
        seed_register(session)
        controller = session.scalars(select(ControllerInfo)).one()

        for address in (controller.email, controller.dpo_email):
            assert address is not None
            assert validate_email(address, check_deliverability=False).normalized == address
            assert address.endswith("@lhe-handelsbolag.se")


class TestPurposes:
    def test_every_purpose_names_a_legal_basis_and_known_categories(self, session: Session) -> None:
        seed_register(session)
        categories = set(rules(session))

        for purpose in purposes(session):
            assert purpose.legal_basis in set(LegalBasis)
            assert purpose.categories, purpose.code
            assert set(purpose.categories) <= categories, purpose.code

    def test_every_retention_rule_belongs_to_some_purpose(self, session: Session) -> None:
        seed_register(session)
        used = {category for purpose in purposes(session) for category in purpose.categories}

        assert set(rules(session)) == used

    def test_legitimate_interest_purposes_state_the_interest_in_both_languages(
        self, session: Session
    ) -> None:
        seed_register(session)
        legitimate = [
            p for p in purposes(session) if p.legal_basis is LegalBasis.LEGITIMATE_INTEREST
        ]

        assert {p.code for p in legitimate} >= {"lead_generation", "it_security"}
        for purpose in legitimate:
            assert (purpose.interest_sv or "").strip(), purpose.code
            assert (purpose.interest_en or "").strip(), purpose.code

    def test_other_purposes_claim_no_legitimate_interest(self, session: Session) -> None:
        seed_register(session)

        for purpose in purposes(session):
            if purpose.legal_basis is not LegalBasis.LEGITIMATE_INTEREST:
                assert purpose.interest_sv is None
                assert purpose.interest_en is None

    def test_direct_marketing_is_based_on_consent(self, session: Session) -> None:
        seed_register(session)
        marketing = session.scalars(select(Purpose).where(Purpose.code == "direct_marketing")).one()

        assert marketing.legal_basis is LegalBasis.CONSENT
        assert "consents" in marketing.categories

    def test_policy_purposes_and_their_legal_bases_are_all_present(self, session: Session) -> None:
        seed_register(session)
        bases = {p.code: p.legal_basis for p in purposes(session)}

        assert bases == {
            "lead_generation": LegalBasis.LEGITIMATE_INTEREST,
            "scheduling": LegalBasis.LEGITIMATE_INTEREST,
            "customer_contract": LegalBasis.CONTRACT,
            "service_improvement": LegalBasis.LEGITIMATE_INTEREST,
            "direct_marketing": LegalBasis.CONSENT,
            "accounting": LegalBasis.LEGAL_OBLIGATION,
            "it_security": LegalBasis.LEGITIMATE_INTEREST,
            "data_subject_requests": LegalBasis.LEGAL_OBLIGATION,
        }

    def test_the_request_log_is_a_processing_activity_of_its_own(self, session: Session) -> None:
        seed_register(session)
        requests = session.scalars(
            select(Purpose).where(Purpose.code == "data_subject_requests")
        ).one()

        assert "requests" in requests.categories
        assert "5.2" in requests.description_sv
        assert "5(2)" in requests.description_en

    def test_purposes_have_distinct_positions_in_policy_order(self, session: Session) -> None:
        seed_register(session)
        positions = [p.position for p in purposes(session)]

        assert positions == sorted(set(positions))
        assert purposes(session)[0].code == "lead_generation"


class TestRetentionRules:
    def test_every_category_has_a_concrete_period_and_trigger(self, session: Session) -> None:
        seed_register(session)

        for rule in rules(session).values():
            assert rule.months > 0, rule.category
            assert rule.trigger in set(RetentionTrigger)
            assert str(rule.months) in rule.description_sv or "år" in rule.description_sv

    def test_accounting_records_follow_bokforingslagen(self, session: Session) -> None:
        seed_register(session)
        accounting = rules(session)["accounting"]

        assert accounting.legal_reference == "Bokföringslagen (1999:1078) 7 kap. 2 §"
        assert accounting.trigger is RetentionTrigger.FISCAL_YEAR_END
        assert accounting.months == 84  # to the end of the 7th year after a calendar fiscal year
        assert "sjunde året" in accounting.description_sv

    def test_technical_logs_are_kept_briefly_and_leads_after_the_assignment(
        self, session: Session
    ) -> None:
        seed_register(session)
        by_category = rules(session)

        assert by_category["technical"].months <= 6
        assert by_category["lead_contact"].trigger is RetentionTrigger.ASSIGNMENT_END
        assert by_category["lead_contact"].months == 12
        assert by_category["requests"].trigger is RetentionTrigger.CASE_CLOSED
        assert by_category["requests"].months == 60

    def test_only_statutory_periods_cite_a_law(self, session: Session) -> None:
        seed_register(session)

        cited = {c for c, rule in rules(session).items() if rule.legal_reference}

        assert cited == {"accounting"}


class TestRecipients:
    def test_named_processors_are_seeded_with_their_countries(self, session: Session) -> None:
        seed_register(session)
        processors = {
            r.name: r
            for r in session.scalars(select(Recipient).where(Recipient.kind == "processor"))
        }

        assert processors["HubSpot, Inc."].country == "US"
        assert processors["HubSpot, Inc."].contact_email == "privacy@hubspot.com"
        assert processors["Microsoft Ireland Operations Ltd"].country == "IE"

    def test_transfers_outside_the_eea_name_their_safeguard(self, session: Session) -> None:
        seed_register(session)

        for recipient in session.scalars(select(Recipient)):
            if recipient.country in EEA:
                assert recipient.safeguard_sv is None
                assert recipient.safeguard_en is None
            else:
                assert recipient.safeguard_sv
                assert "Data Privacy Framework" in recipient.safeguard_sv
                assert recipient.safeguard_en
                assert "Data Privacy Framework" in recipient.safeguard_en

    def test_authorities_appear_at_category_level(self, session: Session) -> None:
        seed_register(session)
        authority = session.scalars(
            select(Recipient).where(Recipient.kind == RecipientKind.AUTHORITY)
        ).one()

        assert authority.name == "Myndigheter vid lagkrav"
        assert authority.service_en.startswith("Authorities when required by law")
        assert authority.country == "SE"

    def test_customer_systems_come_with_customers_not_with_the_register(
        self, session: Session
    ) -> None:
        seed_register(session)

        kinds = set(session.scalars(select(Recipient.kind)))

        assert RecipientKind.CUSTOMER_SYSTEM not in kinds


class TestTexts:
    def test_no_placeholder_or_repealed_law_survives_from_the_policy(
        self, session: Session
    ) -> None:
        seed_register(session)
        texts = seeded_texts(session)

        assert texts
        for value in texts:
            assert "[X]" not in value
            assert "[" not in value, value  # no template brackets of any kind
            assert not re.search(r"\bPUL\b", value), value
            assert "personuppgiftslagen" not in value.lower(), value
            assert "Datainspektionen" not in value, value

    def test_every_swedish_text_has_an_english_one(self, session: Session) -> None:
        seed_register(session)

        for model in REGISTER:
            pairs = [c.key[:-3] for c in model.__table__.columns if c.key.endswith("_sv")]
            for row in session.scalars(select(model)):
                for stem in pairs:
                    swedish, english = getattr(row, f"{stem}_sv"), getattr(row, f"{stem}_en")
                    assert (swedish is None) == (english is None), (model.__name__, stem)
                    if swedish is not None:
                        assert swedish.strip(), (model.__name__, stem)
                        assert english.strip(), (model.__name__, stem)
                        assert swedish != english or stem == "service", (model.__name__, stem)

    def test_swedish_texts_are_written_in_swedish(self, session: Session) -> None:
        seed_register(session)

        descriptions = [p.description_sv for p in purposes(session)]
        descriptions += [r.description_sv for r in rules(session).values()]

        assert any(ch in "åäö" for text in descriptions for ch in text)
        for text in descriptions:
            words = set(text.lower().replace(",", " ").replace(".", " ").split())
            assert words & {"och", "att", "vi", "som", "för", "är", "av"}, text
            assert not words & {"the", "and", "we"}, text
