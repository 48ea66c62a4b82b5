"""The data subject's whole journey in Chromium, in Swedish and English, with real e-mail.

Every page reached is checked with axe-core (WCAG 2.0/2.1 A and AA) at once, and its HTML is
checked with the Nu Html Checker in one run when the module ends (the ``html_pages`` fixture).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.clock import stockholm_date
from tests.browser.flows import (
    ask_for_link,
    confirm_with_code,
    confirm_with_link,
    expect_language,
    expect_receipt,
    open_request_form,
    sign_in,
    submit,
    switch_language,
)
from tests.browser.helpers import Audit, LiveServer, verification_link, wait_for_mail

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["sv", "en"])
def test_whole_journey(page: Page, audit: Audit, live_server: LiveServer, language: str) -> None:
    """Front page → e-mail → link → confirm → overview → request → receipt and PDF → cases → case
    → withdraw; in Swedish by default, in English after choosing it in the header."""
    mailbox, email = live_server.mailbox, live_server.people.lead
    received_on = stockholm_date(live_server.clock())

    response = page.goto("/")
    assert response is not None
    assert response.status == 200
    # The real CSP is sent; the context only bypasses it to inject axe.
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect_language(page, "sv")
    audit(page)
    if language == "en":
        switch_language(page, "en", audit)
        expect(page.locator("h1")).to_have_text("Your rights to your personal data")

    ask_for_link(page, email, audit)
    expect_language(page, language)
    message = wait_for_mail(mailbox, email, 1)[-1]
    if language == "en":
        assert message["Subject"] == "Your link and code for Rättighetsportalen"
    confirm_with_link(page, mailbox, email, audit)
    expect_language(page, language)
    expect(page.locator("ul.holdings li").first).to_be_visible()  # the demo person's data
    audit(page)

    open_request_form(page, "access", audit)
    page.locator("textarea[name=message]").fill("Jag vill veta varifrån ni fick min adress.")
    submit(page)
    reference = expect_receipt(page, received_on)
    audit(page)
    if language == "en":
        expect(page.locator(".receipt h1")).to_have_text("We have received your request")
    receipt_mail = wait_for_mail(mailbox, email, 2)[-1]
    assert reference in receipt_mail["Subject"]

    with page.expect_download() as info:
        page.locator(f"a[href='/cases/{reference}/receipt.pdf']").click()
    download = info.value
    assert download.suggested_filename == f"kvitto-{reference}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")

    page.locator(".subject-bar nav a[href='/cases']").click()
    expect(page).to_have_url(re.compile(r"/cases$"))
    row = page.locator("table.cases tbody tr", has=page.locator(f"a:text-is('{reference}')"))
    expect(row).to_have_count(1)
    expect(row.locator(".status-received")).to_have_count(1)
    audit(page)

    row.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/cases/{reference}$"))
    expect(page.locator("blockquote.original")).to_have_text(
        "Jag vill veta varifrån ni fick min adress."
    )
    audit(page)

    submit(page, f"form[action='/cases/{reference}/withdraw']")
    expect(page).to_have_url(re.compile(rf"/cases/{reference}$"))
    expect(page.locator(".flash-success[role=status]")).to_contain_text(reference)
    expect(page.locator("dl.facts .status-withdrawn")).to_have_count(1)
    expect(page.locator(f"form[action='/cases/{reference}/withdraw']")).to_have_count(0)
    if language == "en":
        expect(page.locator(".flash-success")).to_have_text(
            f"Your request {reference} is withdrawn."
        )
    audit(page)
    withdrawn_mail = wait_for_mail(mailbox, email, 3)[-1]
    assert reference in withdrawn_mail["Subject"]

    # The language can be changed on any page; the case page comes back in the other language.
    switch_language(page, "sv" if language == "en" else "en", audit)
    expect(page.locator("dl.facts .status-withdrawn")).to_have_count(1)


def test_typed_code_path(page: Page, audit: Audit, live_server: LiveServer) -> None:
    """The code from the e-mail typed on the check-your-e-mail page; a wrong one first."""
    email = live_server.people.unknown
    page.goto("/")
    audit(page)
    ask_for_link(page, email, audit)

    page.locator("input[name=code]").fill("AAAA-2222")
    submit(page, "form[action='/check-email']")
    expect(page).to_have_url(re.compile(r"/check-email$"))
    code = page.locator("input[name=code]")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_attribute("aria-describedby", re.compile(r"\bcode-error\b"))
    expect(page.locator("#code-error")).to_contain_text("4")  # attempts left
    expect(page.locator(".error-summary[role=alert] a[href='#code']")).to_have_count(1)
    audit(page)

    confirm_with_code(page, live_server.mailbox, email, audit)
    # A person we hold nothing about is told so (Art. 15.1), and may still make requests.
    expect(page.locator("ul.holdings")).to_have_count(0)
    expect(page.locator(".request-choices li")).to_have_count(7)
    audit(page)

    # Someone else's (or no) case is a plain 404, revealing nothing.
    response = page.goto("/cases/DSR-2026-999999")
    assert response is not None
    assert response.status == 404
    audit(page)

    # Signing out ends the session; the pages of the person then send you to the front page.
    submit(page, "form[action='/sign-out']")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".subject-bar")).to_have_count(0)
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    audit(page)
    page.goto("/cases")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".flash-info[role=status]")).to_have_count(1)
    audit(page)

    # The link of the e-mail was used up by the code: it explains and offers a new one.
    response = page.goto(verification_link(live_server.mailbox.last_to(email)))
    assert response is not None
    assert response.status == 410
    expect(page.locator("form[action='/start'] input[name=email]")).to_be_visible()
    audit(page)


def test_each_request_type(page: Page, audit: Audit, live_server: LiveServer) -> None:
    """All seven requests filed through the forms by a demo person with an active consent."""
    mailbox, email = live_server.mailbox, live_server.people.with_consent
    received_on = stockholm_date(live_server.clock())
    sign_in(page, mailbox, email, audit)
    references: list[str] = []

    open_request_form(page, "access", audit)
    page.locator("input[name=scope][value=parts]").check()
    page.locator("input[name=parts][value=communication]").check()
    page.locator("input[name=formats][value=json]").check()
    submit(page)
    references.append(expect_receipt(page, received_on))
    audit(page)

    open_request_form(page, "rectification", audit)
    page.locator("input[name=phone]").fill("070-174 06 50")
    page.locator("input[name=job_title]").fill("Inköpschef")
    submit(page)
    references.append(expect_receipt(page, received_on))
    audit(page)

    open_request_form(page, "erasure", audit)
    page.locator("input[name=ground][value=not_needed]").check()
    submit(page)
    references.append(expect_receipt(page, received_on))
    audit(page)

    open_request_form(page, "restriction", audit)
    page.locator("input[name=ground][value=accuracy]").check()
    submit(page)
    references.append(expect_receipt(page, received_on))
    audit(page)

    # Consent withdrawal takes effect at once: the case is completed on filing (Art. 7.3).
    open_request_form(page, "consent-withdrawal", audit)
    consents = page.locator("input[name=consents]")
    expect(consents.first).to_be_visible()
    consents.first.check()
    submit(page)
    references.append(expect_receipt(page, received_on, completed=True))
    audit(page)

    # So does an objection to direct marketing (Art. 21.3).
    open_request_form(page, "objection", audit)
    page.locator("input[name=kind][value=direct_marketing]").check()
    submit(page)
    references.append(expect_receipt(page, received_on, completed=True))
    audit(page)

    open_request_form(page, "portability", audit)
    page.locator("input[name=formats][value=csv]").check()
    page.locator("input[name=transmit_to]").fill("Nya Bolaget AB, dataskydd@nyabolaget.example")
    submit(page)
    references.append(expect_receipt(page, received_on))
    audit(page)

    assert len(set(references)) == 7
    numbers = [int(r.rsplit("-", 1)[1]) for r in references]
    assert numbers == sorted(numbers)
    wait_for_mail(mailbox, email, 1 + 7)  # the verification e-mail and seven receipts

    page.locator(".subject-bar nav a[href='/cases']").click()
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(7)
    expect(page.locator("table.cases .status-completed")).to_have_count(2)
    audit(page)

    # Nothing left to withdraw: the page says so and points to an objection instead.
    open_request_form(page, "consent-withdrawal", audit)
    expect(page.locator("input[name=consents]")).to_have_count(0)
    expect(page.locator("main a.button[href='/requests/new/objection']")).to_have_count(1)


def test_address_errors_are_accessible(page: Page, audit: Audit, live_server: LiveServer) -> None:
    """An invalid and an empty address: a summary linking to the field, the field marked."""
    page.goto("/")
    email = page.locator("form[action='/start'] input[name=email]")
    email.fill("not-an-email")
    submit(page, "form[action='/start']")
    expect(page).to_have_url(re.compile(r"/start$"))
    expect(page.locator(".error-summary[role=alert] a[href='#email']")).to_have_count(1)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", re.compile(r"\bemail-error\b"))
    expect(page.locator("#email-error li")).to_have_count(1)
    expect(email).to_have_value("not-an-email")
    audit(page)

    email.fill("")
    submit(page, "form[action='/start']")
    expect(page.locator("#email-error li")).to_have_count(1)
    audit(page)
    assert live_server.mailbox.messages == []


def test_request_form_errors_are_accessible(
    page: Page, audit: Audit, live_server: LiveServer
) -> None:
    """Choice errors are tied to their fieldset, which the error summary links to."""
    sign_in(page, live_server.mailbox, live_server.people.with_consent, audit)

    open_request_form(page, "objection", audit)
    submit(page)  # nothing chosen
    expect(page).to_have_url(re.compile(r"/requests/new/objection$"))
    expect(page.locator(".error-summary[role=alert] a[href='#kind']")).to_have_count(1)
    kind = page.locator("fieldset#kind")
    expect(kind).to_have_attribute("aria-describedby", re.compile(r"\bkind-error\b"))
    expect(kind.locator("#kind-error li")).to_have_count(1)
    audit(page)

    open_request_form(page, "access", audit)
    page.locator("input[name=scope][value=parts]").check()
    submit(page)  # some parts, but none chosen
    parts = page.locator("fieldset#parts")
    expect(parts).to_have_attribute("aria-describedby", re.compile(r"\bparts-error\b"))
    expect(page.locator(".error-summary a[href='#parts']")).to_have_count(1)
    expect(page.locator("input[name=scope][value=parts]")).to_be_checked()
    audit(page)

    open_request_form(page, "consent-withdrawal", audit)
    submit(page)  # no consent chosen
    consents = page.locator("fieldset#consents")
    expect(consents).to_have_attribute("aria-describedby", re.compile(r"\bconsents-error\b"))
    expect(page.locator(".error-summary a[href='#consents']")).to_have_count(1)
    audit(page)

    page.locator(".subject-bar nav a[href='/cases']").click()
    expect(page.locator("table.cases")).to_have_count(0)  # nothing was filed
    audit(page)


def test_objection_without_grounds_is_refused(
    page: Page, audit: Audit, live_server: LiveServer
) -> None:
    """An objection to legitimate interest needs the person's reasons (Art. 21.1)."""
    sign_in(page, live_server.mailbox, live_server.people.lead, audit)
    open_request_form(page, "objection", audit)
    page.locator("input[name=kind][value=legitimate_interest]").check()
    submit(page)
    expect(page).to_have_url(re.compile(r"/requests/new/objection$"))
    grounds = page.locator("textarea[name=grounds]")
    expect(grounds).to_have_attribute("aria-invalid", "true")
    expect(grounds).to_have_attribute("aria-describedby", re.compile(r"\bgrounds-error\b"))
    expect(page.locator(".error-summary[role=alert] a[href='#grounds']")).to_have_count(1)
    expect(page.locator("input[name=kind][value=legitimate_interest]")).to_be_checked()
    audit(page)

    grounds.fill("Jag har bytt tjänst och arbetar inte längre med inköp.")
    submit(page)
    reference = expect_receipt(page, stockholm_date(live_server.clock()))
    assert reference.endswith("-000001")  # the refused attempt filed nothing
    audit(page)
