"""The public privacy policy: open to everyone, written from the register in Swedish and English,
with the corrections legal.md §7 asks for, and versions published with 30 days' notice.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.authority import IMY
from app.models import PolicyVersion, RetentionRule
from tests.conftest import Clock
from tests.helpers import page_text, set_language

SECTIONS = (
    "controller", "laws", "objection", "purposes", "sources", "retention", "recipients",
    "transfers", "roles", "rights", "consent", "automated", "security", "complaint", "changes",
)  # fmt: skip

# What each language's text must say (legal.md §7 and Art. 13/14).
REQUIRED = {
    "sv": (
        "förordning (EU) 2016/679",
        "lagen (2018:218) med kompletterande bestämmelser till EU:s dataskyddsförordning",
        "Integritetsskyddsmyndigheten (IMY)",
        "dataportabilitet",
        "Din rätt att invända",
        "LinkedIn",
        "personuppgiftsbiträde",
        "Vårt berättigade intresse",
        "återkalla",
        "Vi fattar inga beslut om dig som enbart grundar sig på automatiserad behandling",
        "EU–US Data Privacy Framework",
        "12 månader efter att uppdraget som du kontaktades för avslutades",
        "84 månader (7 år)",
        "969781-2346",
    ),
    "en": (
        "Regulation (EU) 2016/679",
        "Act (2018:218)",
        "Swedish Authority for Privacy Protection (IMY",
        "to data portability",
        "Your right to object",
        "LinkedIn",
        "we are its processor",
        "Our legitimate interest",
        "withdraw",
        "We make no decisions about you based solely on automated processing",
        "EU–US Data Privacy Framework",
        "12 months after the assignment you were contacted for ended",
        "84 months (7 years)",
        "969781-2346",
    ),
}


def text_only(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def lead_period(html: str) -> str:
    """The retention period the page states for lead contact details."""
    part = html.split('id="retention-lead_contact"', 1)[1].split("<h3", 1)[0]
    found = re.search(r"<dd>([^<]*)</dd>", part)
    assert found, part
    return found.group(1).strip()


def lead_rule(session: Session) -> RetentionRule:
    session.expire_all()
    return session.scalars(
        select(RetentionRule).where(RetentionRule.category == "lead_contact")
    ).one()


def rule_form(rule: RetentionRule, months: int) -> dict[str, str]:
    return {
        "name_sv": rule.name_sv,
        "name_en": rule.name_en,
        "months": str(months),
        "trigger": rule.trigger.value,
        "description_sv": rule.description_sv,
        "description_en": rule.description_en,
        "legal_reference": rule.legal_reference or "",
    }


def publish(client: FlaskClient, effective: str) -> int:
    return client.post(
        "/staff/register/policy",
        data={
            "effective_from": effective,
            "summary_sv": "Leads sparas i 18 månader.",
            "summary_en": "Leads are kept for 18 months.",
        },
    ).status_code


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_policy_is_public_and_says_what_the_law_requires(
    client: FlaskClient, language: str
) -> None:
    if language == "en":
        set_language(client, "en")
    response = client.get("/policy")
    assert response.status_code == 200
    html = page_text(response)
    assert f'<html lang="{language}">' in html
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    text = text_only(html)
    for expected in REQUIRED[language]:
        assert expected in text, expected
    # The outdated law and authority of the company's old text are gone.
    assert not re.search(r"\bPUL\b", text)
    assert "personuppgiftslagen" not in text.lower()
    assert "Datainspektionen" not in text
    assert "[X]" not in text
    assert IMY.postal_address in text
    assert f'href="{IMY.complaint_url(language)}"' in html
    # The objection right has a section of its own, before the purposes.
    assert html.index('id="objection"') < html.index('id="purposes"')


def test_the_front_page_and_its_footer_link_to_the_policy(client: FlaskClient) -> None:
    assert 'href="/policy"' in page_text(client.get("/"))
    footer = page_text(client.get("/")).split('class="site-footer"', 1)[1]
    assert 'href="/policy"' in footer


def test_an_edited_rule_changes_the_page_before_any_version(
    session: Session, client: FlaskClient, officer_client: FlaskClient
) -> None:
    set_language(client, "en")
    assert lead_period(page_text(client.get("/policy"))) == (
        "12 months after the assignment you were contacted for ended"
    )
    rule = lead_rule(session)
    assert (
        officer_client.post(
            f"/staff/register/retention/{rule.id}", data=rule_form(rule, 18)
        ).status_code
        == 303
    )
    assert lead_period(page_text(client.get("/policy"))).startswith("18 months after")


def test_versions_with_notice_coming_change_and_history(
    app: Flask,
    session: Session,
    clock: Clock,
    client: FlaskClient,
    officer_client: FlaskClient,
) -> None:
    set_language(client, "en")
    set_language(officer_client, "en")
    today = stockholm_date(clock())

    # The first version takes effect at once.
    assert publish(officer_client, today.isoformat()) == 303
    page = text_only(page_text(client.get("/policy")))
    assert "Version 1, in force since" in page

    # The register changes; a version 10 days ahead is refused and changes nothing.
    rule = lead_rule(session)
    officer_client.post(f"/staff/register/retention/{rule.id}", data=rule_form(rule, 18))
    register = page_text(officer_client.get("/staff/register"))
    assert "The register has changed since the newest version was published" in register
    too_soon = officer_client.post(
        "/staff/register/policy",
        data={
            "effective_from": (today + timedelta(days=10)).isoformat(),
            "summary_sv": "Leads sparas i 18 månader.",
            "summary_en": "Leads are kept for 18 months.",
        },
    )
    assert too_soon.status_code == 400
    assert "30 days&#39; notice" in page_text(too_soon)
    assert len(session.scalars(select(PolicyVersion)).all()) == 1

    effective = today + timedelta(days=30)
    assert publish(officer_client, effective.isoformat()) == 303

    # The page still shows version 1 (12 months), with a notice of the coming change.
    html = page_text(client.get("/policy"))
    page = text_only(html)
    assert "Version 1, in force since" in page
    assert lead_period(html).startswith("12 months")
    assert "Coming change on" in page
    assert "Leads are kept for 18 months." in page
    assert 'href="/policy/versions/2"' in html
    coming = page_text(client.get("/policy/versions/2"))
    assert "Version 2 takes effect on" in text_only(coming)
    assert lead_period(coming).startswith("18 months")
    # The history lists both, each viewable.
    assert 'href="/policy/versions/1"' in html
    assert lead_period(page_text(client.get("/policy/versions/1"))).startswith("12 months")

    # When the day comes, version 2 is in force and version 1 is history.
    clock.advance(days=30)
    html = page_text(client.get("/policy"))
    page = text_only(html)
    assert "Version 2, in force since" in page
    assert lead_period(html).startswith("18 months")
    assert "Coming change" not in page
    old = page_text(client.get("/policy/versions/1"))
    assert "Version 1 was in force from" in text_only(old)
    assert lead_period(old).startswith("12 months")


def test_an_unknown_version_is_not_found(client: FlaskClient) -> None:
    assert client.get("/policy/versions/7").status_code == 404
