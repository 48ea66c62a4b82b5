"""Steps of the subject's journey, driven through the pages as a person would; each page audited.

Selectors use structure (form actions, names, hrefs), not wording, so the Swedish and English
runs share them whatever the state of the translation.
"""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from app.core.deadlines import legal_deadline
from tests.browser.helpers import Audit, verification_code, verification_link, wait_for_mail
from tests.smtp import Mailbox

REFERENCE = re.compile(r"DSR-\d{4}-\d{6}")
RECEIPT_URL = re.compile(r"/cases/(DSR-\d{4}-\d{6})/receipt$")


def submit(page: Page, form: str = "main form") -> None:
    page.locator(f"{form} button[type=submit]").click()


def expect_language(page: Page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)


def switch_language(page: Page, language: str, audit: Audit) -> None:
    """Use the language link in the header; the same page comes back in that language."""
    path = page.url.split("?")[0]
    page.locator(f"header nav a[hreflang={language}]").click()
    expect_language(page, language)
    assert page.url.split("?")[0] == path
    expect(page.locator(f"header nav [aria-current=true][lang={language}]")).to_have_count(1)
    audit(page)


def ask_for_link(page: Page, email: str, audit: Audit) -> None:
    """Front page (already open) → enter the address → the check-your-e-mail page."""
    page.locator("form[action='/start'] input[name=email]").fill(email)
    submit(page, "form[action='/start']")
    expect(page).to_have_url(re.compile(r"/check-email$"))
    expect(page.locator("form[action='/check-email'] input[name=code]")).to_be_visible()
    audit(page)


def expect_signed_in(page: Page, email: str) -> None:
    """The session cookie (``__Host-portal``, Secure) persisted: the overview shows the address."""
    expect(page).to_have_url(re.compile(r"/overview$"))
    expect(page.locator(".subject-bar .signed-in")).to_contain_text(email)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert "__Host-portal" in cookies, cookies
    assert cookies["__Host-portal"]["secure"]
    assert cookies["__Host-portal"]["httpOnly"]


def confirm_with_link(page: Page, mailbox: Mailbox, email: str, audit: Audit) -> None:
    """Open the link from the e-mail, press the confirm button (a POST) → the overview."""
    link = verification_link(wait_for_mail(mailbox, email, 1)[-1])
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/verify/"))
    audit(page)
    submit(page)
    expect_signed_in(page, email)


def confirm_with_code(page: Page, mailbox: Mailbox, email: str, audit: Audit) -> None:
    """Type the code from the e-mail on the check-your-e-mail page → the overview."""
    code = verification_code(wait_for_mail(mailbox, email, 1)[-1])
    page.locator("input[name=code]").fill(code.lower().replace("-", " "))  # as people type it
    submit(page, "form[action='/check-email']")
    expect_signed_in(page, email)


def sign_in(page: Page, mailbox: Mailbox, email: str, audit: Audit) -> None:
    page.goto("/")
    audit(page)
    ask_for_link(page, email, audit)
    confirm_with_link(page, mailbox, email, audit)
    audit(page)


def open_request_form(page: Page, slug: str, audit: Audit) -> None:
    """From anywhere signed in: the header link to the overview, then the request's card."""
    page.locator(".subject-bar nav a[href='/overview']").click()
    expect(page).to_have_url(re.compile(r"/overview$"))
    page.locator(f".request-choices a[href='/requests/new/{slug}']").click()
    expect(page).to_have_url(re.compile(rf"/requests/new/{slug}$"))
    audit(page)


def expect_receipt(page: Page, received_on: date, *, completed: bool = False) -> str:
    """The receipt page: reference DSR-YYYY-NNNNNN and the legal deadline; returns the reference."""
    expect(page).to_have_url(RECEIPT_URL)
    found = RECEIPT_URL.search(page.url)
    assert found is not None
    reference = found.group(1)
    assert reference.startswith(f"DSR-{received_on.year}-")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(reference)
    expect(page.locator(".receipt h1")).to_be_visible()
    due = legal_deadline(received_on).isoformat()
    expect(facts.locator(f"time[datetime='{due}']")).to_have_count(1)
    status = "completed" if completed else "received"
    expect(facts.locator(f".status-{status}")).to_have_count(1)
    return reference
