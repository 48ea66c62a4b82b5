"""Editing the Art. 30 register: every value checked before anything changes, every change in the
audit trail with its old and new values, and nothing removed that other records point to.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Assignment,
    AuditEntry,
    Company,
    ControllerInfo,
    LegalBasis,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    RetentionTrigger,
    StaffUser,
)
from app.services import register_editor as editor
from app.services.errors import RuleError
from app.services.register_editor import InvalidRegisterData
from app.services.register_seed import CONTROLLER
from tests.conftest import Clock
from tests.helpers import add_person
from tests.services.test_register_seed import snapshot

PURPOSE = {
    "name_sv": "Kundundersökningar",
    "name_en": "Customer surveys",
    "description_sv": "Vi frågar kontaktpersoner hos kunder vad de tycker om tjänsten.",
    "description_en": "We ask contact persons at customers what they think of the service.",
    "legal_basis": "6.1.f",
    "interest_sv": "Att förbättra tjänsten utifrån kundernas synpunkter.",
    "interest_en": "To improve the service from the customers' views.",
    "categories": ["customer"],
}
RECIPIENT = {
    "name": "Mailjet SAS",
    "kind": "processor",
    "service_sv": "Utskick av nyhetsbrev",
    "service_en": "Sending newsletters",
    "country": "FR",
    "active": True,
}
RULE = {
    "name_sv": "Enkätsvar",
    "name_en": "Survey answers",
    "months": "18",
    "trigger": "collected",
    "description_sv": "Svar på kundenkäter. De raderas 18 månader efter att de lämnades.",
    "description_en": "Answers to customer surveys. Deleted 18 months after they were given.",
    "legal_reference": "",
}


# The editor runs inside the officer's request; its messages are in the page's language.
pytestmark = pytest.mark.usefixtures("english_page")


def entries(session: Session, prefix: str = "register.") -> list[AuditEntry]:
    session.expire_all()
    return [
        e
        for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        if e.action.startswith(prefix)
    ]


def rule(session: Session, category: str) -> RetentionRule:
    found = session.scalar(select(RetentionRule).where(RetentionRule.category == category))
    assert found is not None
    return found


def purpose(session: Session, code: str) -> Purpose:
    found = session.scalar(select(Purpose).where(Purpose.code == code))
    assert found is not None
    return found


def values_of(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: getattr(row, field) for field in fields}


def refused(session: Session, call: Any) -> dict[str, str]:
    """Run a change that must be refused; the register and the trail are left as they were."""
    before = snapshot(session)
    trail = len(entries(session, ""))
    with pytest.raises(InvalidRegisterData) as caught:
        call()
    session.rollback()
    assert snapshot(session) == before
    assert len(entries(session, "")) == trail
    return caught.value.errors


# --- the controller ---------------------------------------------------------------------------


class TestController:
    def test_a_change_is_saved_and_the_trail_has_old_and_new_values(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        values = {**CONTROLLER, "street": "Drottninggatan 10", "postal_code": "111 51"}
        changes = editor.update_controller(session, values, by=officer, now=clock())
        session.commit()
        info = session.scalars(select(ControllerInfo)).one()
        assert (info.street, info.postal_code) == ("Drottninggatan 10", "111 51")
        expected = {
            "street": {"old": "Sveavägen 44", "new": "Drottninggatan 10"},
            "postal_code": {"old": "111 34", "new": "111 51"},
        }
        assert changes == expected
        [entry] = entries(session)
        assert entry.action == "register.controller.updated"
        assert (entry.actor_id, entry.occurred_at) == (officer.id, clock())
        assert entry.data == {"changes": expected}

    def test_the_same_values_change_nothing_and_record_nothing(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        assert editor.update_controller(session, CONTROLLER, by=officer, now=clock()) == {}
        assert entries(session) == []

    def test_an_organisation_number_without_a_hyphen_is_stored_with_one(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        editor.update_controller(
            session, {**CONTROLLER, "org_number": "556036 0793"}, by=officer, now=clock()
        )
        assert session.scalars(select(ControllerInfo)).one().org_number == "556036-0793"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("org_number", "969781-2345"),  # the check digit is wrong
            ("org_number", "96978-12346"),
            ("org_number", ""),
            ("name", "   "),
            ("email", "info(at)lhe.se"),
            ("dpo_email", "not an address"),
            ("website", "http://www.lhe-handelsbolag.se"),  # not encrypted
            ("website", "www.lhe-handelsbolag.se"),
            ("phone", "ring oss"),
            ("city", "x" * 101),
            ("street", "Sveavägen 44\nBox 1"),
        ],
    )
    def test_a_wrong_value_is_refused_with_a_message_for_its_field(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser, field: str, value: str
    ) -> None:
        errors = refused(
            session,
            lambda: editor.update_controller(
                session, {**CONTROLLER, "city": "Uppsala", field: value}, by=officer, now=clock()
            ),
        )
        assert list(errors) == [field]
        assert errors[field]

    def test_the_luhn_check(self) -> None:
        assert editor.luhn_ok("9697812346")
        assert editor.luhn_ok("5560360793")
        assert not editor.luhn_ok("9697812347")


# --- purposes ---------------------------------------------------------------------------------


class TestPurposes:
    def test_a_new_purpose_gets_a_code_and_the_next_place_and_is_recorded(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        last = max(p.position for p in editor.purposes(session))
        added, _ = editor.save_purpose(session, None, PURPOSE, by=officer, now=clock())
        session.commit()
        assert (added.code, added.position) == ("customer_surveys", last + 1)
        assert added.legal_basis is LegalBasis.LEGITIMATE_INTEREST
        assert added.interest_en == PURPOSE["interest_en"]
        [entry] = entries(session)
        assert entry.action == "register.purpose.created"
        assert entry.data["code"] == "customer_surveys"
        assert entry.data["changes"]["legal_basis"] == {"old": None, "new": "6.1.f"}
        assert entry.data["changes"]["categories"] == {"old": None, "new": ["customer"]}
        again, _ = editor.save_purpose(session, None, PURPOSE, by=officer, now=clock())
        assert again.code == "customer_surveys_2"

    def test_legitimate_interest_needs_the_interest_in_both_languages(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        values = {**PURPOSE, "interest_sv": " ", "interest_en": None}
        errors = refused(
            session, lambda: editor.save_purpose(session, None, values, by=officer, now=clock())
        )
        assert set(errors) == {"interest_sv", "interest_en"}
        assert "6(1)(f)" in errors["interest_en"]

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"categories": []}, "categories"),
            ({"categories": ["customer", "no_such_category"]}, "categories"),
            ({"legal_basis": "6.1.e"}, "legal_basis"),
            ({"legal_basis": None}, "legal_basis"),
            ({"name_sv": ""}, "name_sv"),
            ({"description_en": "x" * 4001}, "description_en"),
        ],
    )
    def test_other_wrong_values_are_refused(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        officer: StaffUser,
        values: dict[str, Any],
        field: str,
    ) -> None:
        existing = purpose(session, "customer_contract")
        errors = refused(
            session,
            lambda: editor.save_purpose(
                session, existing, {**PURPOSE, **values}, by=officer, now=clock()
            ),
        )
        assert field in errors

    def test_another_basis_drops_the_interest_and_the_trail_shows_it(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        improving = purpose(session, "service_improvement")
        old_interest = improving.interest_sv
        values = {
            **values_of(improving, ("name_sv", "name_en", "description_sv", "description_en")),
            "legal_basis": "6.1.a",
            "interest_sv": "kept?",
            "interest_en": "kept?",
            "categories": ["meetings", "communication"],
        }
        _, changes = editor.save_purpose(session, improving, values, by=officer, now=clock())
        session.commit()
        assert improving.legal_basis is LegalBasis.CONSENT
        assert (improving.interest_sv, improving.interest_en) == (None, None)
        assert changes["legal_basis"] == {"old": "6.1.f", "new": "6.1.a"}
        assert changes["interest_sv"] == {"old": old_interest, "new": None}
        assert "categories" not in changes  # the same two, in the rules' order
        [entry] = entries(session)
        assert entry.action == "register.purpose.updated"
        assert entry.data["changes"] == changes

    def test_a_purpose_with_consents_cannot_be_removed(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        add_person(session, "karin@example.com", clock(), consents=("direct_marketing",))
        marketing = purpose(session, "direct_marketing")
        with pytest.raises(RuleError):
            editor.delete_purpose(session, marketing, by=officer, now=clock())
        session.rollback()
        assert purpose(session, "direct_marketing").id == marketing.id
        assert entries(session) == []

    def test_an_unused_purpose_is_removed_and_the_trail_keeps_what_it_said(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        improving = purpose(session, "service_improvement")
        name = improving.name_en
        editor.delete_purpose(session, improving, by=officer, now=clock())
        session.commit()
        assert session.scalar(select(Purpose).where(Purpose.code == "service_improvement")) is None
        [entry] = entries(session)
        assert entry.action == "register.purpose.deleted"
        assert entry.data["code"] == "service_improvement"
        assert entry.data["changes"]["name_en"] == {"old": name, "new": None}


# --- recipients -------------------------------------------------------------------------------


class TestRecipients:
    def test_a_recipient_in_the_eea_needs_no_safeguard(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        added, _, secret = editor.save_recipient(session, None, RECIPIENT, by=officer, now=clock())
        session.commit()
        assert (added.kind, added.country, added.active) == (RecipientKind.PROCESSOR, "FR", True)
        assert (added.safeguard_sv, added.webhook_url, added.webhook_secret, secret) == (
            None,
            None,
            None,
            None,
        )
        [entry] = entries(session)
        assert entry.action == "register.recipient.created"
        assert entry.data["changes"]["country"] == {"old": None, "new": "FR"}

    def test_a_country_outside_the_eea_needs_the_safeguard_in_both_languages(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        values = {**RECIPIENT, "country": "us"}
        errors = refused(
            session, lambda: editor.save_recipient(session, None, values, by=officer, now=clock())
        )
        assert set(errors) == {"safeguard_sv", "safeguard_en"}
        with_safeguard = {**values, "safeguard_sv": "DPF och SCC.", "safeguard_en": "DPF and SCC."}
        added, _, _ = editor.save_recipient(session, None, with_safeguard, by=officer, now=clock())
        assert added.country == "US"

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"country": "XX"}, "country"),
            ({"country": "EU"}, "country"),
            ({"country": ""}, "country"),
            ({"kind": "friend"}, "kind"),
            ({"contact_email": "privacy at mailjet"}, "contact_email"),
            ({"webhook_url": "http://hooks.example.com/gdpr"}, "webhook_url"),
            ({"webhook_url": "ftp://hooks.example.com/gdpr"}, "webhook_url"),
            ({"webhook_url": "https://user:pw@hooks.example.com/"}, "webhook_url"),
            ({"webhook_url": "https://"}, "webhook_url"),
            ({"service_en": ""}, "service_en"),
        ],
    )
    def test_other_wrong_values_are_refused(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        officer: StaffUser,
        values: dict[str, Any],
        field: str,
    ) -> None:
        errors = refused(
            session,
            lambda: editor.save_recipient(
                session, None, {**RECIPIENT, **values}, by=officer, now=clock()
            ),
        )
        assert field in errors

    def test_a_webhook_gets_a_secret_made_here_that_the_trail_never_holds(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        values = {**RECIPIENT, "webhook_url": "https://hooks.mailjet.example/gdpr"}
        added, changes, secret = editor.save_recipient(
            session, None, values, by=officer, now=clock()
        )
        session.commit()
        assert secret is not None
        assert len(secret) == 64
        assert set(secret) <= set("0123456789abcdef")
        assert added.webhook_secret == secret
        assert changes["webhook_secret"] == {"old": None, "new": editor.SECRET_NEW}

        rotated = editor.rotate_secret(session, added, by=officer, now=clock())
        session.commit()
        assert rotated != secret
        assert added.webhook_secret == rotated

        # Saving again keeps the secret; removing the webhook removes it.
        _, unchanged, none = editor.save_recipient(session, added, values, by=officer, now=clock())
        assert (unchanged, none, added.webhook_secret) == ({}, None, rotated)
        _, changes, _ = editor.save_recipient(
            session, added, {**values, "webhook_url": ""}, by=officer, now=clock()
        )
        session.commit()
        assert added.webhook_secret is None
        assert changes["webhook_secret"] == {"old": editor.SECRET_SET, "new": None}

        trail = entries(session)
        assert [e.action for e in trail] == [
            "register.recipient.created",
            "register.recipient.secret_rotated",
            "register.recipient.updated",
        ]
        dumped = json.dumps([e.data for e in trail])
        assert secret not in dumped
        assert rotated not in dumped

    def test_plain_http_is_allowed_only_to_this_machine(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        values = {**RECIPIENT, "webhook_url": "http://127.0.0.1:8025/hook"}
        added, _, secret = editor.save_recipient(session, None, values, by=officer, now=clock())
        assert added.webhook_url == "http://127.0.0.1:8025/hook"
        assert secret is not None

    def test_a_recipient_without_a_webhook_has_no_secret_to_rotate(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        added, _, _ = editor.save_recipient(session, None, RECIPIENT, by=officer, now=clock())
        with pytest.raises(RuleError):
            editor.rotate_secret(session, added, by=officer, now=clock())

    def test_a_recipient_our_records_refer_to_is_deactivated_not_deleted(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        crm, _, _ = editor.save_recipient(
            session,
            None,
            {**RECIPIENT, "name": "Norrsken – HubSpot", "kind": "customer_system"},
            by=officer,
            now=clock(),
        )
        person = add_person(session, "karin@example.com", clock())
        customer = Company(name="Norrsken Kund AB", is_customer=True)
        session.add(
            Assignment(
                person=person, customer=customer, recipient_id=crm.id, campaign="Vår 2026",
                started_on=clock().date(),
            )
        )  # fmt: skip
        session.commit()
        assert editor.delete_recipient(session, crm, by=officer, now=clock()) is False
        session.commit()
        assert session.get(Recipient, crm.id) is not None
        assert crm.active is False
        assert entries(session)[-1].action == "register.recipient.deactivated"
        assert entries(session)[-1].data["changes"] == {"active": {"old": True, "new": False}}

    def test_a_recipient_nothing_refers_to_is_deleted(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        added, _, _ = editor.save_recipient(session, None, RECIPIENT, by=officer, now=clock())
        assert editor.delete_recipient(session, added, by=officer, now=clock()) is True
        session.commit()
        assert session.scalar(select(Recipient).where(Recipient.name == "Mailjet SAS")) is None
        assert entries(session)[-1].action == "register.recipient.deleted"


# --- retention rules --------------------------------------------------------------------------


class TestRetentionRules:
    def test_a_changed_period_is_recorded_with_old_and_new_months(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        leads = rule(session, "lead_contact")
        values = {
            **values_of(
                leads,
                ("name_sv", "name_en", "description_sv", "description_en", "legal_reference"),
            ),
            "months": " 18 ",
            "trigger": "last_contact",
        }
        _, changes = editor.save_rule(session, leads, values, by=officer, now=clock())
        session.commit()
        assert (leads.months, leads.trigger) == (18, RetentionTrigger.LAST_CONTACT)
        assert changes == {
            "months": {"old": 12, "new": 18},
            "trigger": {"old": "assignment_end", "new": "last_contact"},
        }
        [entry] = entries(session)
        assert entry.action == "register.retention_rule.updated"
        assert entry.data == {"rule_id": leads.id, "category": "lead_contact", "changes": changes}

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"months": "0"}, "months"),
            ({"months": "1201"}, "months"),
            ({"months": "12.5"}, "months"),
            ({"months": "-3"}, "months"),
            ({"months": ""}, "months"),
            ({"trigger": "whenever"}, "trigger"),
            ({"description_sv": ""}, "description_sv"),
            ({"legal_reference": "x" * 201}, "legal_reference"),
        ],
    )
    def test_wrong_values_are_refused(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        officer: StaffUser,
        values: dict[str, Any],
        field: str,
    ) -> None:
        leads = rule(session, "lead_contact")
        errors = refused(
            session,
            lambda: editor.save_rule(session, leads, {**RULE, **values}, by=officer, now=clock()),
        )
        assert field in errors

    def test_a_new_rule_can_be_used_by_a_purpose_and_then_not_removed(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        added, _ = editor.save_rule(session, None, RULE, by=officer, now=clock())
        session.commit()
        assert (added.category, added.months, added.legal_reference) == (
            "survey_answers",
            18,
            None,
        )
        editor.save_purpose(
            session, None, {**PURPOSE, "categories": ["survey_answers"]}, by=officer, now=clock()
        )
        session.commit()
        with pytest.raises(RuleError, match="Customer surveys"):
            editor.delete_rule(session, added, by=officer, now=clock())
        session.rollback()
        assert rule(session, "survey_answers").id == added.id

    def test_an_unused_rule_is_removed(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        added, _ = editor.save_rule(session, None, RULE, by=officer, now=clock())
        editor.delete_rule(session, added, by=officer, now=clock())
        session.commit()
        assert (
            session.scalar(select(RetentionRule).where(RetentionRule.category == "survey_answers"))
            is None
        )
        assert [e.action for e in entries(session)] == [
            "register.retention_rule.created",
            "register.retention_rule.deleted",
        ]

    def test_a_built_in_rule_cannot_be_removed_even_when_no_purpose_uses_it(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        editor.delete_purpose(session, purpose(session, "accounting"), by=officer, now=clock())
        assert editor.purposes_using(session, "accounting") == []
        with pytest.raises(RuleError, match="files records under this category"):
            editor.delete_rule(session, rule(session, "accounting"), by=officer, now=clock())
