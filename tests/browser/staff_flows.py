"""Steps of the staff side driven through the pages: sign-in with password and TOTP, the queue,
the case page's actions, the officer's decisions. Every page reached is audited by the caller.

Selectors use form actions, field names and hrefs, never wording: the staff texts are being
translated, and the Swedish and English runs share the same steps.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.message import EmailMessage

import pyotp
from playwright.sync_api import Locator, Page, expect

from app.core.permissions import StaffRole
from app.db import get_session
from tests.browser.flows import submit, switch_language
from tests.browser.helpers import Audit, LiveServer
from tests.smtp import Mailbox
from tests.staff import PASSWORD, make_staff

LOGIN = "/staff/login"
CODE = "/staff/login/code"
ENROL = "/staff/login/enrol"
LOGOUT = "/staff/logout"
QUEUE = "/staff/"


@dataclass(frozen=True)
class StaffAccount:
    """An account made in the live app's database; ``secret`` is None until it is enrolled."""

    email: str
    name: str
    role: StaffRole
    secret: str | None


def create_staff(
    server: LiveServer, role: StaffRole, *, enrolled: bool = True, email: str | None = None
) -> StaffAccount:
    """A staff account with the known PASSWORD; ``enrolled`` gives it an authenticator too."""
    with server.app.app_context():
        db = get_session()
        user = make_staff(db, role, email=email, now=server.clock())
        secret = None
        if enrolled:
            secret = pyotp.random_base32()
            user.totp_secret = secret
            user.totp_enrolled_at = server.clock()
        db.commit()
        return StaffAccount(email=user.email, name=user.name, role=role, secret=secret)


def totp(secret: str, server: LiveServer, seconds: float = 0) -> str:
    """The code an authenticator app shows at the live server's (fixed) time plus ``seconds``.

    The server accepts one step either side of now and never the same step twice, so a second
    sign-in at the same server time uses the next step (``seconds=30``).
    """
    return pyotp.TOTP(secret).at(server.clock().timestamp() + seconds)


def password_step(page: Page, email: str, password: str = PASSWORD) -> None:
    """On the login page (already open): e-mail and password, then Continue."""
    form = f"form[action^='{LOGIN}']"
    page.locator(f"{form} input[name=email]").fill(email)
    page.locator(f"{form} input[name=password]").fill(password)
    submit(page, form)


def code_step(page: Page, code: str) -> None:
    """On the code page: the six digits from the app, then Sign in."""
    expect(page).to_have_url(re.compile(rf"{CODE}$"))
    page.locator(f"form[action='{CODE}'] input[name=code]").fill(code)
    submit(page, f"form[action='{CODE}']")


def expect_queue(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/staff/(\?.*)?$"))
    expect(page.locator("form[role=search][action='/staff/']")).to_have_count(1)


def sign_in(
    page: Page, server: LiveServer, account: StaffAccount, audit: Audit, *, seconds: float = 0
) -> None:
    """An enrolled account signs in through the real pages: password → code → the queue."""
    assert account.secret is not None, "enrol the account first"
    page.goto(LOGIN)
    audit(page)
    password_step(page, account.email)
    expect(page).to_have_url(re.compile(rf"{CODE}$"))
    audit(page)
    code_step(page, totp(account.secret, server, seconds))
    expect_queue(page)
    expect(page.locator(".subject-bar .signed-in")).to_contain_text(account.name)
    audit(page)


def open_from_menu(
    page: Page, server: LiveServer, account: StaffAccount, audit: Audit, language: str, path: str
) -> None:
    """The account signs in, switches to ``language`` (the pages start in Swedish) and opens
    ``path`` from the menu: the link is marked as the current page, the page is in the language."""
    sign_in(page, server, account, audit)
    if language == "en":
        switch_language(page, "en", audit)
    page.locator(f".subject-bar nav a[href='{path}']").click()
    expect(page).to_have_url(re.compile(rf"{path}$"))
    expect(page.locator(f".subject-bar nav a[href='{path}'][aria-current=page]")).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", language)


def sign_out(page: Page) -> None:
    submit(page, f"form[action='{LOGOUT}']")
    expect(page).to_have_url(re.compile(rf"{LOGIN}$"))
    expect(page.locator(".subject-bar")).to_have_count(0)
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)


# --- the queue and the case page ----------------------------------------------------------------


def queue_row(page: Page, reference: str) -> Locator:
    """The queue table's row of the case."""
    return page.locator(
        "table.queue tbody tr", has=page.locator(f"a[href='/staff/cases/{reference}']")
    )


def search_queue(page: Page, query: str, audit: Audit) -> None:
    """From the queue: the search field, then Show cases."""
    page.locator("form[role=search] input[name=q]").fill(query)
    submit(page, "form[role=search]")
    expect_queue(page)
    audit(page)


def filter_queue(page: Page, audit: Audit, **choices: str) -> None:
    """From the queue: the search emptied, the filters (status, type, assignee, due) chosen."""
    form = page.locator("form[role=search]")
    form.locator("input[name=q]").fill("")
    for name, value in choices.items():
        form.locator(f"select[name={name}]").select_option(value)
    submit(page, "form[role=search]")
    expect_queue(page)
    for name, value in choices.items():
        expect(form.locator(f"select[name={name}]")).to_have_value(value)
    audit(page)


def case_path(reference: str) -> str:
    return f"/staff/cases/{reference}"


def expect_case_page(page: Page, reference: str) -> None:
    expect(page).to_have_url(re.compile(rf"{case_path(reference)}$"))
    expect(page.locator("h1")).to_contain_text(reference)


def expect_status(page: Page, status: str) -> None:
    """The status in the case page's facts (class ``status-<value>``, whatever the wording)."""
    expect(page.locator(".case-main dl.facts .status")).to_have_class(
        re.compile(rf"\bstatus-{status}\b")
    )


def act(page: Page, reference: str, action: str, audit: Audit, **fields: str) -> None:
    """One action form of the case page: fill its fields (``name=value``), send, expect success."""
    form = f"form[action='{case_path(reference)}/{action}']"
    for name, value in fields.items():
        field = page.locator(f"{form} [name='{name}']")
        if field.first.get_attribute("type") == "radio":
            page.locator(f"{form} input[name='{name}'][value='{value}']").check()
        elif (field.first.evaluate("e => e.tagName")).lower() == "select":
            field.select_option(value)
        else:
            field.fill(value)
    submit(page, form)
    expect_case_page(page, reference)
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    expect(page.locator(".flash-error")).to_have_count(0)
    audit(page)


def decide(page: Page, reference: str, decision: str, audit: Audit) -> None:
    """The officer decides the one pending proposal on the case page (already open)."""
    form = page.locator(f"form[action='{case_path(reference)}/decide']")
    expect(form).to_have_count(1)
    form.locator(f"button[name=decision][value={decision}]").click()
    expect_case_page(page, reference)
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    expect(page.locator(f"form[action='{case_path(reference)}/decide']")).to_have_count(0)
    audit(page)


# --- e-mail ---------------------------------------------------------------------------------------


def next_mail(mailbox: Mailbox, address: str, seen: int, timeout: float = 5.0) -> EmailMessage:
    """The e-mail number ``seen + 1`` to ``address``, and no further one."""
    deadline = time.monotonic() + timeout
    while len(mailbox.to(address)) <= seen and time.monotonic() < deadline:
        time.sleep(0.05)
    found = mailbox.to(address)
    assert len(found) == seen + 1, (
        f"expected e-mail number {seen + 1} to {address}, got {len(found)}: "
        f"{[m['Subject'] for m in found]}"
    )
    return found[-1]


def mail_text(message: EmailMessage) -> str:
    """Every text part of the e-mail (plain and HTML), for checks of what it must not say."""
    parts = [
        part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text" and not part.is_multipart()
    ]
    return "\n".join(parts)
