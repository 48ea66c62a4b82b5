"""The staff side in Chromium: sign-in with TOTP, a case walked from filing to completion with an
extension and a partial refusal decided by the privacy officer, and every staff page in Swedish
and English, with the e-mails checked at the real SMTP server.

Every page reached is checked with axe-core (WCAG 2.0/2.1 A and AA) at once, and its HTML with
the Nu Html Checker when the module ends (the ``html_pages`` fixture). The handler, the officer
and the person each have their own browser context.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from app.clock import stockholm_date
from app.core.authority import IMY
from app.core.deadlines import extended_deadline, legal_deadline
from app.core.permissions import StaffRole
from tests.browser.flows import (
    ask_for_link,
    expect_language,
    expect_receipt,
    expect_signed_in,
    open_request_form,
    submit,
    switch_language,
)
from tests.browser.flows import sign_in as subject_sign_in
from tests.browser.helpers import Audit, LiveServer, NewPage, verification_link
from tests.browser.staff_flows import (
    CODE,
    ENROL,
    LOGIN,
    QUEUE,
    act,
    case_path,
    code_step,
    create_staff,
    decide,
    expect_case_page,
    expect_queue,
    expect_status,
    filter_queue,
    mail_text,
    next_mail,
    password_step,
    queue_row,
    search_queue,
    sign_in,
    sign_out,
    totp,
)
from tests.smtp import Mailbox

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000


def wrong_code(secret: str | None, server: LiveServer) -> str:
    """Six digits that are none of the codes the server would accept now."""
    valid = {totp(secret, server, s) for s in (-30, 0, 30)} if secret else set()
    return next(c for c in ("000000", "111111", "222222") if c not in valid)


def seen(mailbox: Mailbox, address: str) -> int:
    return len(mailbox.to(address))


# --- 1. sign-in through the real pages ----------------------------------------------------------


def test_sign_in_enrol_and_again(page: Page, audit: Audit, live_server: LiveServer) -> None:
    """A new account: wrong password (the generic error) → password → enrolment with the QR code
    and the key as text → a code from that key → recovery codes → the queue; signed out, it signs
    in again with password → code → the queue."""
    handler = create_staff(live_server, StaffRole.HANDLER, enrolled=False)

    response = page.goto(LOGIN)
    assert response is not None
    assert response.status == 200
    expect_language(page, "sv")
    expect(page.locator("input[name=email]")).to_have_attribute("autocomplete", "username")
    expect(page.locator("input[name=password]")).to_have_attribute(
        "autocomplete", "current-password"
    )
    audit(page)

    # A wrong password: one generic message for every failure, announced (role=alert).
    password_step(page, handler.email, "fel lösenord, helt fel")
    expect(page).to_have_url(re.compile(rf"{LOGIN}$"))
    summary = page.locator(".error-summary[role=alert]")
    expect(summary).to_have_count(1)
    expect(summary).to_have_attribute("aria-labelledby", "login-failed-title")
    expect(page.locator("#login-failed-title")).to_be_visible()
    expect(page.locator("input[name=email]")).to_have_value(handler.email)
    expect(page.locator("input[name=password]")).to_have_value("")  # never sent back
    audit(page)

    password_step(page, handler.email)
    expect(page).to_have_url(re.compile(rf"{ENROL}$"))
    qr = page.locator("img.totp-qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("alt", re.compile(r"\w{10,}"))
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    shown = page.locator("code.totp-secret").inner_text()
    secret = shown.replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), shown
    expect(page.locator(f"form[action='{ENROL}'] input[name=code]")).to_have_attribute(
        "autocomplete", "one-time-code"
    )
    audit(page)

    page.locator(f"form[action='{ENROL}'] input[name=code]").fill(totp(secret, live_server))
    submit(page, f"form[action='{ENROL}']")
    codes = page.locator("ul.recovery-codes li code")
    expect(codes.first).to_be_visible()
    assert codes.count() >= 8
    assert len(set(codes.all_inner_texts())) == codes.count()
    expect(page.locator(".subject-bar .signed-in")).to_contain_text(handler.name)
    audit(page)

    page.locator("main a.button[href='/staff/']").click()
    expect_queue(page)
    expect(page.locator(".subject-bar nav a[href='/staff/'][aria-current=page]")).to_have_count(1)
    audit(page)

    sign_out(page)
    audit(page)
    # The session is over: the queue sends back to the login page.
    page.goto(QUEUE)
    expect(page).to_have_url(re.compile(rf"{LOGIN}\?next=(/|%2F)staff(/|%2F)$"))
    audit(page)

    # Again, enrolled now: password → the code page (no QR code) → the queue.
    sign_in(
        page, live_server, replace(handler, secret=secret), audit, seconds=30
    )  # the next step: no replay
    expect(page.locator("img.totp-qr")).to_have_count(0)


# --- 2. the Done-means walk ---------------------------------------------------------------------

ORIGINAL = "Jag vill veta vilka uppgifter ni har om mig och varifrån ni fick dem."
QUESTION = "Gäller din begäran även inspelade telefonsamtal från 2024? Svara gärna här."
ANSWER = "Ja, även telefonsamtalen, tack."
NOTE = "Internt: kontrollera inspelningarna med kundtjänst först."
EXTENSION_REASONS = "Inspelningarna ligger i ett arkiv hos en underleverantör som behöver tid."
REFUSAL_REASONS = "Inspelningarna innehåller även kundtjänstpersonalens röster och omdömen."
# The right to go to court (Art. 79 GDPR), however the translation writes "art.".
ARTICLE_79 = re.compile(r"\bart\. 79\b", re.IGNORECASE)
DONE = "Här är dina uppgifter: se bilagan i portalen. Inspelningarna lämnas ut utan andras röster."


def test_case_from_filing_to_completion(
    page: Page, new_page: NewPage, audit: Audit, live_server: LiveServer
) -> None:
    """The person files; the handler finds the case, starts, asks; the person answers on the
    status page; an extension and a partial refusal are proposed and approved by the officer; the
    handler completes. The person sees every message and notice; each e-mail only says that
    something waits on the status page."""
    mailbox, email = live_server.mailbox, live_server.people.lead
    received_on = stockholm_date(live_server.clock())
    handler = create_staff(live_server, StaffRole.HANDLER)
    officer = create_staff(live_server, StaffRole.OFFICER)

    # The person files a request through the portal, then signs out.
    subject_sign_in(page, mailbox, email, audit)
    open_request_form(page, "access", audit)
    page.locator("textarea[name=message]").fill(ORIGINAL)
    submit(page)
    reference = expect_receipt(page, received_on)
    audit(page)
    assert reference in mailbox.last_to(email)["Subject"]  # the receipt
    mails = seen(mailbox, email)
    submit(page, "form[action='/sign-out']")
    expect(page).to_have_url(re.compile(r"/$"))
    audit(page)
    subject_page = f"/cases/{reference}"

    # The handler signs in and finds the case: by reference, then by the filters.
    staff = new_page()
    sign_in(staff, live_server, handler, audit)
    search_queue(staff, reference, audit)
    expect(staff.locator("table.queue tbody tr")).to_have_count(1)
    row = queue_row(staff, reference)
    expect(row.locator(".status-received")).to_have_count(1)
    legal = legal_deadline(received_on).isoformat()
    expect(row.locator(f"time[datetime='{legal}']")).to_have_count(1)
    filter_queue(staff, audit, status="received", type="access", assignee="none", due="all")
    expect(queue_row(staff, reference)).to_have_count(1)
    filter_queue(staff, audit, status="completed")
    expect(queue_row(staff, reference)).to_have_count(0)
    filter_queue(staff, audit, status="open", type="access", assignee="any")
    queue_row(staff, reference).locator(f"a[href='{case_path(reference)}']").click()
    expect_case_page(staff, reference)
    expect(staff.locator("blockquote.original")).to_have_text(ORIGINAL)
    expect(staff.locator(".case-main dl.facts").first).to_contain_text(email)
    audit(staff)

    # Start work, then ask the person a question.
    act(staff, reference, "start", audit)
    expect_status(staff, "in_progress")
    expect(staff.locator(".case-main dl.facts").first).to_contain_text(handler.name)
    act(staff, reference, "note", audit, **{"note-body": NOTE})
    act(staff, reference, "ask", audit, **{"ask-body": QUESTION})
    expect_status(staff, "awaiting_subject")
    expect(staff.locator("ol.messages li.from-staff")).to_contain_text(QUESTION)

    question_mail = next_mail(mailbox, email, mails)
    mails += 1
    assert reference in question_mail["Subject"]
    assert QUESTION not in mail_text(question_mail)
    assert "Gäller din begäran" not in mail_text(question_mail)
    link = re.search(r"https?://\S+/cases\b", mailbox.text(question_mail))
    assert link, mailbox.text(question_mail)

    # The person follows the e-mail's link, signs in, reads the question and answers it.
    page.goto(link.group(0))
    expect(page).to_have_url(re.compile(r"/$"))  # not signed in: the front page first
    audit(page)
    ask_for_link(page, email, audit)
    verify_mail = next_mail(mailbox, email, mails)
    mails += 1
    page.goto(verification_link(verify_mail))
    audit(page)
    submit(page)
    expect_signed_in(page, email)
    audit(page)
    page.locator(".subject-bar nav a[href='/cases']").click()
    expect(page).to_have_url(re.compile(r"/cases$"))
    audit(page)
    page.locator(f"table.cases a[href='{subject_page}']").click()
    expect(page).to_have_url(re.compile(rf"{subject_page}$"))
    expect(page.locator("dl.facts .status-awaiting_subject")).to_have_count(1)
    expect(page.locator(".notice[role=status]")).to_have_count(1)
    expect(page.locator("ol.messages li.from-staff")).to_contain_text(QUESTION)
    expect(page.locator("main")).not_to_contain_text(NOTE)  # internal notes stay internal
    audit(page)
    page.locator(f"form[action='{subject_page}/messages'] textarea[name=body]").fill(ANSWER)
    submit(page, f"form[action='{subject_page}/messages']")
    expect(page).to_have_url(re.compile(rf"{subject_page}$"))
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    expect(page.locator("ol.messages li.from-subject")).to_contain_text(ANSWER)
    expect(page.locator("dl.facts .status-in_progress")).to_have_count(1)
    audit(page)
    assert seen(mailbox, email) == mails  # the person's own message sends them nothing

    # The handler sees the answer (the case is back in progress) and proposes an extension.
    staff.reload()
    expect(staff.locator("ol.messages li.from-subject")).to_contain_text(ANSWER)
    expect_status(staff, "in_progress")
    audit(staff)
    act(staff, reference, "extend", audit, **{"extension-reasons": EXTENSION_REASONS})
    expect(staff.locator(f"form[action='{case_path(reference)}/decide']")).to_have_count(0)
    extended = extended_deadline(received_on).isoformat()
    expect(staff.locator(f".case-main time[datetime='{extended}']")).to_have_count(0)
    assert seen(mailbox, email) == mails  # nothing to the person before the approval

    # The officer approves it.
    desk = new_page()
    sign_in(desk, live_server, officer, audit)
    desk.goto(case_path(reference))
    expect_case_page(desk, reference)
    audit(desk)
    decide(desk, reference, "approve", audit)
    expect(desk.locator(f"#deadlines-heading ~ dl time[datetime='{extended}']")).to_have_count(2)

    extension_mail = next_mail(mailbox, email, mails)
    mails += 1
    assert reference in extension_mail["Subject"]
    extended_in_words = format_date(extended_deadline(received_on), "long", locale="sv")
    assert extended_in_words in mailbox.text(extension_mail)  # the new date, not the reasons
    assert EXTENSION_REASONS not in mail_text(extension_mail)

    # The person sees the extended deadline and the reasons.
    page.reload()
    facts = page.locator("dl.facts")
    expect(facts.locator(f"time[datetime='{extended}']")).to_have_count(1)
    expect(facts).to_contain_text(extended_in_words)
    expect(page.locator("ol.messages li.from-staff").last).to_contain_text(EXTENSION_REASONS)
    audit(page)

    # The handler sees the extension in force (no second one is offered), and proposes a
    # partial refusal; the officer approves it.
    staff.reload()
    expect(staff.locator(f"#deadlines-heading ~ dl time[datetime='{extended}']")).to_have_count(2)
    expect(staff.locator(f"form[action='{case_path(reference)}/extend']")).to_have_count(0)
    audit(staff)
    act(
        staff, reference, "refuse", audit,
        **{"refusal-scope": "partial", "refusal-ground": "rights_of_others",
           "refusal-reasons": REFUSAL_REASONS},
    )  # fmt: skip
    assert seen(mailbox, email) == mails
    desk.reload()
    audit(desk)
    decide(desk, reference, "approve", audit)
    expect_status(desk, "in_progress")  # partly refused: the rest is still done

    refusal_mail = next_mail(mailbox, email, mails)
    mails += 1
    assert reference in refusal_mail["Subject"]
    assert REFUSAL_REASONS not in mail_text(refusal_mail)

    # The person sees the notice: the reasons, the ground, IMY's complaint page, the courts.
    page.reload()
    notice = page.locator("ol.messages li.from-staff").last
    expect(notice).to_contain_text(REFUSAL_REASONS)
    expect(notice).to_contain_text(re.compile(r"\bart\. 15\.4\b", re.IGNORECASE))
    expect(notice).to_contain_text(IMY.postal_address)
    expect(notice).to_contain_text(IMY.complaint_url("sv"))
    expect(notice).to_contain_text(ARTICLE_79)
    complain = page.locator("section[aria-labelledby=complain-heading]")
    expect(complain.locator(f"a[href='{IMY.complaint_url('sv')}']")).to_have_count(1)
    expect(complain).to_contain_text(IMY.postal_address)
    expect(complain).to_contain_text(ARTICLE_79)
    expect(page.locator("dl.facts .status-in_progress")).to_have_count(1)
    audit(page)

    # The handler builds the access package, previews it and releases it to the person, who
    # sees the files on the status page (the e-mail only says that something waits).
    staff.reload()
    audit(staff)
    act(staff, reference, "package/build", audit)
    staff.locator(
        f"#package-heading ~ .package h3 a[href^='{case_path(reference)}/packages/']"
    ).click()
    expect(staff.locator("h1")).to_have_count(1)
    audit(staff)
    staff.goto(case_path(reference))
    act(staff, reference, "package/release", audit)
    package_mail = next_mail(mailbox, email, mails)
    mails += 1
    assert reference in package_mail["Subject"]
    page.reload()
    expect(page.locator(f"#downloads a[href^='{subject_page}/downloads/']").first).to_be_visible()
    audit(page)

    # The handler completes the case with a message.
    staff.reload()
    audit(staff)
    act(staff, reference, "complete", audit, **{"complete-body": DONE})
    expect_status(staff, "completed")

    completed_mail = next_mail(mailbox, email, mails)
    mails += 1
    assert reference in completed_mail["Subject"]
    assert DONE not in mail_text(completed_mail)

    page.reload()
    expect(page.locator("dl.facts .status-completed")).to_have_count(1)
    expect(page.locator("ol.messages li.from-staff").last).to_contain_text(DONE)
    expect(page.locator(f"form[action='{subject_page}/messages']")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(NOTE)
    audit(page)

    # Every e-mail of the case went to the person only, and said nothing of the case's content.
    for message in mailbox.to(email):
        text = mail_text(message)
        for secret in (QUESTION, NOTE, EXTENSION_REASONS, REFUSAL_REASONS, DONE, ANSWER):
            assert secret not in text, (message["Subject"], secret)
    # link, receipt, question, link, extension, refusal, package ready, completed
    assert seen(mailbox, email) == mails == 8


# --- 3. every staff page in both languages ------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
def test_staff_pages_in_both_languages(
    page: Page, audit: Audit, live_server: LiveServer, language: str
) -> None:
    """Login, enrolment and code pages (with a wrong code each), the queue with filters, manual
    intake (an error, then a letter received ten days ago), the case page, the audit trail for the
    officer and the staff accounts for the administrator, in Swedish and in English."""
    handler = create_staff(live_server, StaffRole.HANDLER, enrolled=False)
    officer = create_staff(live_server, StaffRole.OFFICER)
    admin = create_staff(live_server, StaffRole.ADMIN)
    today = stockholm_date(live_server.clock())

    page.goto(LOGIN)
    expect_language(page, "sv")
    audit(page)
    if language == "en":
        switch_language(page, "en", audit)
        expect(page.locator("h1")).to_have_text("Sign in to case handling")

    # Enrolment, with a wrong code first.
    password_step(page, handler.email)
    expect(page).to_have_url(re.compile(rf"{ENROL}$"))
    expect_language(page, language)
    audit(page)
    secret = page.locator("code.totp-secret").inner_text().replace(" ", "")
    enrol_form = f"form[action='{ENROL}']"
    page.locator(f"{enrol_form} input[name=code]").fill(wrong_code(secret, live_server))
    submit(page, enrol_form)
    code_field = page.locator(f"{enrol_form} input[name=code]")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_have_attribute("aria-describedby", re.compile(r"\bcode-error\b"))
    expect(page.locator(".error-summary[role=alert] a[href='#code']")).to_have_count(1)
    expect(page.locator("img.totp-qr")).to_be_visible()
    audit(page)
    code_field.fill(totp(secret, live_server))
    submit(page, enrol_form)
    expect(page.locator("ul.recovery-codes li").first).to_be_visible()
    expect_language(page, language)
    audit(page)
    page.locator("main a.button[href='/staff/']").click()
    expect_queue(page)
    audit(page)

    # Manual intake: an empty form first, then a letter that arrived ten days ago.
    page.locator(".subject-bar nav a[href='/staff/intake']").click()
    expect(page).to_have_url(re.compile(r"/staff/intake$"))
    audit(page)
    submit(page, "main form")
    expect(page).to_have_url(re.compile(r"/staff/intake$"))
    summary = page.locator(".error-summary[role=alert]")
    expect(summary.locator("a[href='#email']")).to_have_count(1)
    expect(summary.locator("a[href='#received_on']")).to_have_count(1)
    expect(page.locator("input[name=email]")).to_have_attribute("aria-invalid", "true")
    audit(page)
    person = f"brev.{language}@example.com"
    received_on = today - timedelta(days=10)
    form = page.locator("main form")
    form.locator("input[name=email]").fill(person)
    form.locator("input[name=type][value=access]").check()
    form.locator("input[name=channel][value=letter]").check()
    form.locator("input[name=received_on]").fill(received_on.isoformat())
    form.locator(f"input[name=language][value={language}]").check()
    form.locator("textarea[name=original_text]").fill("Jag begär ut alla uppgifter om mig.")
    submit(page, "main form")
    expect(page).to_have_url(re.compile(r"/staff/cases/DSR-\d{4}-\d{6}$"))
    reference = page.url.rsplit("/", 1)[1]
    expect(page.locator(".flash-success[role=status]")).to_contain_text(reference)
    expect(page.locator("blockquote.original")).to_have_text("Jag begär ut alla uppgifter om mig.")
    due = legal_deadline(received_on).isoformat()
    expect(page.locator(f"#deadlines-heading ~ dl time[datetime='{due}']")).to_have_count(2)
    expect_language(page, language)
    audit(page)
    receipt = next_mail(live_server.mailbox, person, 0)
    assert reference in receipt["Subject"]

    # The queue with filters, and the case page from it.
    page.locator(".subject-bar nav a[href='/staff/']").click()
    expect_queue(page)
    expect(queue_row(page, reference)).to_have_count(1)
    audit(page)
    filter_queue(page, audit, status="received", type="access", due="all", assignee="none")
    expect(queue_row(page, reference)).to_have_count(1)
    filter_queue(page, audit, status="all", type="erasure", due="overdue", assignee="me")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)  # "no cases match"
    search_queue(page, person, audit)
    expect(queue_row(page, reference)).to_have_count(1)
    search_queue(page, "DSR-2026", audit)  # not a whole reference: said, and accessibly
    expect(page.locator("input[name=q]")).to_have_attribute("aria-invalid", "true")
    search_queue(page, reference, audit)
    queue_row(page, reference).locator("a").click()
    expect_case_page(page, reference)
    audit(page)
    # Reasons of blanks only pass the browser's check but not the server's: the error summary
    # links to the field, which says what is wrong.
    refuse = f"form[action='{case_path(reference)}/refuse']"
    page.locator(f"{refuse} input[name=refusal-scope][value=whole]").check()
    page.locator(f"{refuse} select[name=refusal-ground]").select_option("excessive")
    page.locator(f"{refuse} textarea[name=refusal-reasons]").fill("   ")
    submit(page, refuse)
    expect(page.locator(".error-summary[role=alert] a[href='#refusal-reasons']")).to_have_count(1)
    reasons = page.locator(f"{refuse} textarea[name=refusal-reasons]")
    expect(reasons).to_have_attribute("aria-invalid", "true")
    expect(reasons).to_have_attribute("aria-describedby", re.compile(r"refusal-reasons-error"))
    expect(page.locator(f"{refuse} select[name=refusal-ground]")).to_have_value("excessive")
    audit(page)
    sign_out(page)
    expect_language(page, language)
    audit(page)

    # The officer: a wrong code first, then the audit trail, filtered.
    assert officer.secret is not None
    password_step(page, officer.email)
    expect(page).to_have_url(re.compile(rf"{CODE}$"))
    audit(page)
    code_step(page, wrong_code(officer.secret, live_server))
    expect(page).to_have_url(re.compile(rf"{CODE}$"))
    expect(page.locator("input[name=code]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary[role=alert] a[href='#code']")).to_have_count(1)
    audit(page)
    code_step(page, totp(officer.secret, live_server))
    expect_queue(page)
    audit(page)
    page.locator(".subject-bar nav a[href='/staff/audit']").click()
    expect(page).to_have_url(re.compile(r"/staff/audit$"))
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    audit(page)
    filters = page.locator("form[action='/staff/audit']")
    filters.locator("select[name=action]").select_option("case.intake")
    filters.locator("input[name=reference]").fill(reference)
    submit(page, "form[action='/staff/audit']")
    expect(page).to_have_url(re.compile(r"/staff/audit\?"))
    expect(page.locator("table.audit tbody tr")).to_have_count(1)
    expect(page.locator(f"table.audit a[href='{case_path(reference)}']")).to_have_count(1)
    audit(page)
    filters.locator("input[name=date_from]").fill(today.isoformat())
    filters.locator("input[name=date_to]").fill((today - timedelta(days=1)).isoformat())
    submit(page, "form[action='/staff/audit']")
    expect(page.locator("input[name=date_to]")).to_have_attribute("aria-invalid", "true")
    audit(page)
    sign_out(page)
    audit(page)

    # The administrator: the accounts, the new-account form with an error, then an account.
    assert admin.secret is not None
    password_step(page, admin.email)
    expect(page).to_have_url(re.compile(rf"{CODE}$"))
    audit(page)
    code_step(page, totp(admin.secret, live_server))
    expect(page).to_have_url(re.compile(r"/staff/accounts$"))
    expect(page.locator("table.accounts tbody tr")).to_have_count(3)
    expect_language(page, language)
    audit(page)
    page.locator("main a[href='/staff/accounts/new']").click()
    expect(page).to_have_url(re.compile(r"/staff/accounts/new$"))
    audit(page)
    new = "form[action='/staff/accounts/new']"
    page.locator(f"{new} input[name=name]").fill("Nils Nyanställd")
    page.locator(f"{new} input[name=email]").fill(f"nils.{language}@lhe-handelsbolag.se")
    page.locator(f"{new} select[name=role]").select_option("handler")
    page.locator(f"{new} input[name=password]").fill("kort")
    submit(page, new)
    expect(page.locator(f"{new} input[name=password]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary[role=alert] a[href='#password']")).to_have_count(1)
    audit(page)
    page.locator(f"{new} input[name=password]").fill("grön kanot under månsken")
    submit(page, new)
    expect(page).to_have_url(re.compile(r"/staff/accounts/\d+$"))
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("Nils Nyanställd")
    audit(page)
    page.locator(".subject-bar nav a[href='/staff/accounts']").click()
    expect(page.locator("table.accounts tbody tr")).to_have_count(4)
    audit(page)


# --- 4. role checks in the browser --------------------------------------------------------------


def test_handler_gets_403_on_officer_and_admin_pages(
    page: Page, audit: Audit, live_server: LiveServer
) -> None:
    """A handler signed in gets an accessible 403 on the audit trail and the accounts; the
    navigation offers neither. Not signed in, the same URLs lead to the login page."""
    handler = create_staff(live_server, StaffRole.HANDLER)
    for path in ("/staff/audit", "/staff/accounts", "/staff/accounts/new"):
        page.goto(path)
        expect(page).to_have_url(re.compile(rf"{LOGIN}\?next="))
        audit(page)

    sign_in(page, live_server, handler, audit)
    expect(page.locator(".subject-bar nav a[href='/staff/audit']")).to_have_count(0)
    expect(page.locator(".subject-bar nav a[href='/staff/accounts']")).to_have_count(0)
    for path in ("/staff/audit", "/staff/accounts"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 403, path
        expect(page.locator("h1")).to_have_count(1)
        expect(page.locator("table")).to_have_count(0)
        audit(page)
