"""The register pages for the privacy officer: edits that are saved and recorded, wrong values that
are explained and change nothing, a webhook secret shown once, and no access for other roles.
"""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, ControllerInfo, Purpose, Recipient, RetentionRule
from app.services.register_seed import CONTROLLER
from tests.helpers import add_person, page_text, set_language
from tests.services.test_register_seed import snapshot


def rule(session: Session, category: str) -> RetentionRule:
    session.expire_all()
    return session.scalars(select(RetentionRule).where(RetentionRule.category == category)).one()


def rule_form(found: RetentionRule, **changes: str) -> dict[str, str]:
    return {
        "name_sv": found.name_sv,
        "name_en": found.name_en,
        "months": str(found.months),
        "trigger": found.trigger.value,
        "description_sv": found.description_sv,
        "description_en": found.description_en,
        "legal_reference": found.legal_reference or "",
        **changes,
    }


def register_entries(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return [
        e
        for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        if e.action.startswith(("register.", "policy."))
    ]


@pytest.fixture
def officer_en(officer_client: FlaskClient) -> FlaskClient:
    set_language(officer_client, "en")
    return officer_client


def test_the_register_page_shows_the_whole_register(app: Flask, officer_en: FlaskClient) -> None:
    page = officer_en.get("/staff/register")
    assert page.status_code == 200
    text = page_text(page)
    for expected in (
        "969781-2346",
        "Sveavägen 44",
        "Following up leads and booking meetings for our customers",
        "Legitimate interest (Art. 6(1)(f))",
        "HubSpot, Inc.",
        "outside the EU/EEA",
        "Accounting records",
        "Bokföringslagen (1999:1078) 7 kap. 2 §",
        "No version has been published yet",
    ):
        assert expected in text, expected


@pytest.mark.parametrize("who", ["handler_client", "admin_client"])
def test_only_the_privacy_officer_may_see_or_change_the_register(
    request: pytest.FixtureRequest, session: Session, who: str
) -> None:
    client: FlaskClient = request.getfixturevalue(who)
    before = snapshot(session)
    assert client.get("/staff/register").status_code == 403
    assert client.post("/staff/register/controller", data=CONTROLLER).status_code == 403
    assert client.post("/staff/register/retention/1", data={"months": "1"}).status_code == 403
    assert client.post("/staff/register/purposes/1/delete").status_code == 403
    assert (
        client.post(
            "/staff/register/policy",
            data={"effective_from": "2027-01-01", "summary_sv": "x", "summary_en": "x"},
        ).status_code
        == 403
    )
    assert snapshot(session) == before
    assert register_entries(session) == []


def test_the_handler_does_not_see_the_link(handler_client: FlaskClient) -> None:
    assert "/staff/register" not in page_text(handler_client.get("/staff/"))


class TestController:
    def test_a_valid_change_is_saved_and_recorded(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        form = {**CONTROLLER, "city": "Göteborg", "postal_code": "411 01"}
        response = officer_en.post("/staff/register/controller", data=form)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/staff/register#controller-heading")
        assert "The controller&#39;s details are saved." in page_text(
            officer_en.get("/staff/register")
        )
        session.expire_all()
        assert session.scalars(select(ControllerInfo)).one().city == "Göteborg"
        [entry] = register_entries(session)
        assert entry.action == "register.controller.updated"
        assert entry.data["changes"]["city"] == {"old": "Stockholm", "new": "Göteborg"}
        # Every page's footer reads the register.
        assert "411 01 Göteborg" in page_text(officer_en.get("/"))

    def test_a_wrong_organisation_number_is_explained_and_nothing_changes(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        before = snapshot(session)
        form = {**CONTROLLER, "city": "Göteborg", "org_number": "969781-2345", "email": "nej"}
        response = officer_en.post("/staff/register/controller", data=form)
        assert response.status_code == 400
        text = page_text(response)
        assert "the check digit does not match" in text
        assert "Enter a valid e-mail address" in text
        assert 'href="#org_number"' in text
        assert 'aria-invalid="true"' in text
        assert snapshot(session) == before
        assert register_entries(session) == []


class TestRetentionRules:
    def test_a_new_period_is_saved_recorded_and_shown_in_the_policy(
        self, session: Session, client: FlaskClient, officer_en: FlaskClient
    ) -> None:
        set_language(client, "en")
        assert "12 months after the assignment" in page_text(client.get("/policy"))
        leads = rule(session, "lead_contact")
        response = officer_en.post(
            f"/staff/register/retention/{leads.id}", data=rule_form(leads, months="18")
        )
        assert response.status_code == 303
        assert rule(session, "lead_contact").months == 18
        [entry] = register_entries(session)
        assert entry.action == "register.retention_rule.updated"
        assert entry.data["changes"] == {"months": {"old": 12, "new": 18}}
        policy = page_text(client.get("/policy"))
        assert "18 months after the assignment" in policy

    def test_a_wrong_number_of_months_changes_nothing(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        leads = rule(session, "lead_contact")
        response = officer_en.post(
            f"/staff/register/retention/{leads.id}",
            data=rule_form(leads, months="ett år", name_en="Leads"),
        )
        assert response.status_code == 400
        assert "Enter a whole number of months from 1 to 1200." in page_text(response)
        assert (rule(session, "lead_contact").months, rule(session, "lead_contact").name_en) == (
            12,
            "Lead contact details",
        )

    def test_a_new_rule_is_added_and_a_built_in_one_is_not_removed(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        form = {
            "name_sv": "Enkätsvar",
            "name_en": "Survey answers",
            "months": "18",
            "trigger": "collected",
            "description_sv": "Svar på enkäter.",
            "description_en": "Answers to surveys.",
        }
        assert officer_en.post("/staff/register/retention/new", data=form).status_code == 303
        assert rule(session, "survey_answers").months == 18
        accounting = rule(session, "accounting")
        response = officer_en.post(f"/staff/register/retention/{accounting.id}/delete")
        assert response.status_code == 303
        shown = page_text(officer_en.get(response.headers["Location"]))
        assert "The portal itself files records under this category" in shown
        assert rule(session, "accounting").id == accounting.id

    def test_an_unknown_rule_is_not_found(self, officer_en: FlaskClient) -> None:
        assert officer_en.get("/staff/register/retention/999").status_code == 404


class TestPurposes:
    def test_legitimate_interest_without_the_interest_is_refused(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        form = {
            "name_sv": "Kundundersökningar",
            "name_en": "Customer surveys",
            "description_sv": "Vi frågar kunder.",
            "description_en": "We ask customers.",
            "legal_basis": "6.1.f",
            "categories": ["customer"],
        }
        response = officer_en.post("/staff/register/purposes/new", data=form)
        assert response.status_code == 400
        assert "Art. 6(1)(f) requires it" in page_text(response)
        session.expire_all()
        assert session.scalar(select(Purpose).where(Purpose.name_en == "Customer surveys")) is None
        form |= {"interest_sv": "Bättre tjänst.", "interest_en": "A better service."}
        assert officer_en.post("/staff/register/purposes/new", data=form).status_code == 303
        session.expire_all()
        added = session.scalars(select(Purpose).where(Purpose.code == "customer_surveys")).one()
        assert (added.interest_en, added.categories) == ("A better service.", ["customer"])

    def test_a_purpose_with_consents_stays(
        self, app: Flask, session: Session, officer_en: FlaskClient
    ) -> None:
        add_person(
            session, "karin@example.com", app.extensions["clock"](), consents=("direct_marketing",)
        )
        marketing = session.scalars(select(Purpose).where(Purpose.code == "direct_marketing")).one()
        page = page_text(officer_en.get(f"/staff/register/purposes/{marketing.id}"))
        assert "cannot be removed" in page
        response = officer_en.post(f"/staff/register/purposes/{marketing.id}/delete")
        assert response.status_code == 303
        shown = page_text(officer_en.get(response.headers["Location"]))
        assert "Consents that people gave refer to this purpose" in shown
        session.expire_all()
        assert session.get(Purpose, marketing.id) is not None


class TestRecipients:
    FORM = {  # noqa: RUF012
        "name": "Pipedrive OÜ",
        "kind": "processor",
        "service_sv": "CRM-system",
        "service_en": "CRM system",
        "country": "US",
        "safeguard_sv": "",
        "safeguard_en": "",
        "contact_email": "privacy@pipedrive.example",
        "webhook_url": "https://hooks.pipedrive.example/gdpr",
        "active": "y",
    }

    def test_outside_the_eea_the_safeguard_is_required(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        response = officer_en.post("/staff/register/recipients/new", data=self.FORM)
        assert response.status_code == 400
        assert "The country is outside the EU/EEA" in page_text(response)
        session.expire_all()
        assert session.scalar(select(Recipient).where(Recipient.name == "Pipedrive OÜ")) is None

    def test_the_webhook_secret_is_shown_once_and_never_recorded(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        form = self.FORM | {"safeguard_sv": "DPF.", "safeguard_en": "DPF."}
        response = officer_en.post("/staff/register/recipients/new", data=form)
        assert response.status_code == 200
        session.expire_all()
        added = session.scalars(select(Recipient).where(Recipient.name == "Pipedrive OÜ")).one()
        secret = added.webhook_secret
        assert secret is not None
        assert len(secret) == 64
        assert secret in page_text(response)
        assert "It is not shown again" in page_text(response)
        again = page_text(officer_en.get(f"/staff/register/recipients/{added.id}"))
        assert secret not in again
        assert "A secret is set." in again

        rotated = officer_en.post(f"/staff/register/recipients/{added.id}/secret")
        assert rotated.status_code == 200
        session.expire_all()
        new_secret = session.get_one(Recipient, added.id).webhook_secret
        assert new_secret not in (None, secret)
        assert new_secret in page_text(rotated)
        trail = json.dumps([e.data for e in register_entries(session)])
        assert secret not in trail
        assert new_secret not in trail

    def test_plain_http_to_another_machine_is_refused(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        form = self.FORM | {"country": "DE", "webhook_url": "http://hooks.pipedrive.example/"}
        response = officer_en.post("/staff/register/recipients/new", data=form)
        assert response.status_code == 400
        assert "Use an https:// address" in page_text(response)

    def test_an_unreferenced_recipient_is_removed(
        self, session: Session, officer_en: FlaskClient
    ) -> None:
        microsoft = session.scalars(
            select(Recipient).where(Recipient.name.startswith("Microsoft"))
        ).one()
        response = officer_en.post(f"/staff/register/recipients/{microsoft.id}/delete")
        assert response.status_code == 303
        session.expire_all()
        assert session.get(Recipient, microsoft.id) is None
        assert register_entries(session)[-1].action == "register.recipient.deleted"
