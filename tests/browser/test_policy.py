"""The register and the public privacy policy in Chromium, in Swedish and in English: the policy
from the footer, the officer editing a retention rule (a wrong value first), publishing the first
version, a second one refused with too short notice and then published 30 days ahead, and the
public page with the coming change and every version. A person who asked for policy notices gets
the e-mail at the real SMTP server when the worker's step runs.

Every page reached is checked by axe-core at once and by the Nu Html Checker when the module ends.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.clock import stockholm_date
from app.core.permissions import StaffRole
from app.db import get_session
from app.mail import outbox
from app.services import policy
from tests.browser.flows import expect_language, submit, switch_language
from tests.browser.helpers import Audit, LiveServer, wait_for_mail
from tests.browser.staff_flows import create_staff, sign_in
from tests.helpers import add_person

pytestmark = pytest.mark.browser

REGISTER = "/staff/register"
PUBLISH = f"form[action^='{REGISTER}/policy']"


def lead_period(page: Page) -> str:
    return page.locator("#retention-lead_contact + p + dl dd").first.inner_text()


def publish(page: Page, effective: str) -> None:
    form = page.locator(PUBLISH)
    form.locator("input[name=effective_from]").fill(effective)
    form.locator("textarea[name=summary_sv]").fill("Uppgifter om leads sparas i 18 månader.")
    form.locator("textarea[name=summary_en]").fill("Lead contact details are kept for 18 months.")
    submit(page, PUBLISH)


def set_months(page: Page, months: str) -> None:
    page.locator(f"#retention-heading ~ table a[href^='{REGISTER}/retention/']").first.click()
    expect(page).to_have_url(re.compile(rf"{REGISTER}/retention/\d+$"))
    page.locator("main form input[name=months]").fill(months)
    submit(page, "main form")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_register_and_policy_in_both_languages(
    page: Page, audit: Audit, live_server: LiveServer, language: str
) -> None:
    today = stockholm_date(live_server.clock())
    with live_server.app.app_context():
        db = get_session()
        person = add_person(db, f"nyheter.{language}@example.com", live_server.clock(),
                            consents=("direct_marketing",))  # fmt: skip
        for consent in person.consents:
            consent.wants_policy_notices = True
        db.commit()

    # The public policy, from the footer of the front page.
    page.goto("/")
    audit(page)
    if language == "en":
        switch_language(page, "en", audit)
    page.locator("footer a[href='/policy']").click()
    expect(page).to_have_url(re.compile(r"/policy$"))
    expect_language(page, language)
    expect(page.locator("#objection")).to_be_visible()
    expect(page.locator("#retention-lead_contact")).to_have_count(1)
    assert lead_period(page).startswith("12 ")
    audit(page)

    # The officer opens the register.
    officer = create_staff(live_server, StaffRole.OFFICER)
    sign_in(page, live_server, officer, audit)
    page.locator(f".subject-bar nav a[href='{REGISTER}']").click()
    expect(page).to_have_url(re.compile(rf"{REGISTER}$"))
    expect_language(page, language)
    audit(page)

    # The controller's details and a purpose: the forms as they are.
    page.locator(f"a[href='{REGISTER}/controller']").click()
    expect(page.locator("main form input[name=org_number]")).to_have_value("969781-2346")
    audit(page)
    page.goto(REGISTER)
    page.locator(f"#purposes-heading ~ table a[href^='{REGISTER}/purposes/']").first.click()
    expect(page.locator("main form input[name=legal_basis][value='6.1.f']")).to_be_checked()
    audit(page)

    # A recipient outside the EU/EEA without a safeguard: refused, accessibly.
    page.goto(f"{REGISTER}/recipients/new")
    audit(page)
    form = page.locator("main form")
    form.locator("input[name=name]").fill("Pipedrive OÜ")
    form.locator("input[name=kind][value=processor]").check()
    form.locator("input[name=service_sv]").fill("CRM-system")
    form.locator("input[name=service_en]").fill("CRM system")
    form.locator("select[name=country]").select_option("US")
    submit(page, "main form")
    expect(page.locator(".error-summary[role=alert] a[href='#safeguard_sv']")).to_have_count(1)
    expect(page.locator("textarea[name=safeguard_en]")).to_have_attribute("aria-invalid", "true")
    audit(page)

    # A retention rule: a wrong number first, then 18 months.
    page.goto(REGISTER)
    set_months(page, "ett år")
    expect(page.locator("input[name=months]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary[role=alert] a[href='#months']")).to_have_count(1)
    audit(page)
    page.locator("main form input[name=months]").fill("18")
    submit(page, "main form")
    expect(page).to_have_url(re.compile(rf"{REGISTER}#retention-heading$"))
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    audit(page)

    # The first version takes effect at once.
    publish(page, today.isoformat())
    expect(page).to_have_url(re.compile(rf"{REGISTER}#policy-heading$"))
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    expect(page.locator("#policy-heading ~ table a[href='/policy/versions/1']")).to_have_count(1)
    audit(page)

    # Then 24 months: ten days' notice is refused, thirty days' is published.
    set_months(page, "24")
    publish(page, (today + timedelta(days=10)).isoformat())
    expect(page.locator("input[name=effective_from]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary[role=alert] a[href='#effective_from']")).to_have_count(1)
    audit(page)
    effective = today + timedelta(days=30)
    publish(page, effective.isoformat())
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    expect(page.locator("#policy-heading ~ table a[href='/policy/versions/2']")).to_have_count(1)
    audit(page)

    # The public page: version 1 in force (18 months), the coming change, the history.
    page.goto("/policy")
    assert lead_period(page).startswith("18 ")
    coming = page.locator("section.policy-coming")
    expect(coming).to_have_count(1)
    expect(coming.locator(f"time[datetime='{effective.isoformat()}']").first).to_be_visible()
    expect(page.locator("table.policy-history tbody tr")).to_have_count(2)
    audit(page)
    coming.locator("a[href='/policy/versions/2']").click()
    expect(page).to_have_url(re.compile(r"/policy/versions/2$"))
    assert lead_period(page).startswith("24 ")
    audit(page)

    # The worker's step: the person who asked is told of each version, at the SMTP server.
    with live_server.app.app_context():
        db = get_session()
        assert policy.queue_policy_notices(db, live_server.clock()) >= 2
        outbox.deliver(db, outbox.mailer(), live_server.clock(), limit=1000)
        assert policy.queue_policy_notices(db, live_server.clock()) == 0
    notices = wait_for_mail(live_server.mailbox, f"nyheter.{language}@example.com", 2)
    assert len(notices) == 2
    assert all(n["Content-Language"] == "sv" for n in notices)  # no case tells another language

    # Thirty days later version 2 is in force and version 1 is history.
    live_server.clock.advance(days=30)
    page.goto("/policy")
    assert lead_period(page).startswith("24 ")
    expect(page.locator("section.policy-coming")).to_have_count(0)
    audit(page)
    page.locator("table.policy-history a[href='/policy/versions/1']").click()
    assert lead_period(page).startswith("18 ")
    audit(page)
