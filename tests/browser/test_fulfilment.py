"""Carrying out the rights in Chromium, in Swedish and in English: a rectification with its
notices to recipients, an erasure that keeps invoices, a restriction told before it is lifted,
and an Art. 21(1) objection overridden on compelling grounds.

The person files each request on the portal and reads the outcome on their status page; a
handler and the privacy officer carry it out on the staff case page, each in a browser context
of their own. Every page reached is checked with axe-core (WCAG 2.0/2.1 A and AA) at once, and
its HTML with the Nu Html Checker when the module ends (the ``html_pages`` fixture).
"""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.clock import stockholm_date
from app.core.authority import IMY
from app.core.permissions import StaffRole
from app.core.retention import BOOKKEEPING_ACT
from app.db import get_session
from app.models import Recipient
from app.services import notices as notice_service
from app.services.demo import ANNA, ERIK, KARIN, SOFIA
from tests.browser.flows import (
    ask_for_link,
    expect_receipt,
    expect_signed_in,
    open_request_form,
    submit,
    switch_language,
)
from tests.browser.helpers import Audit, LiveServer, NewPage, verification_link
from tests.browser.staff_flows import (
    StaffAccount,
    act,
    case_path,
    create_staff,
    decide,
    expect_case_page,
    expect_status,
    mail_text,
    next_mail,
    sign_in,
)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
LANGUAGES = ["sv", "en"]


# The register's processors and the demo customers' systems (app/services/register_seed.py,
# app/services/demo.py): the recipients of the fixed demo people's data.
HUBSPOT = "HubSpot, Inc."
MICROSOFT = "Microsoft Ireland Operations Ltd"
STENSJO_CRM = "Stensjö Energi – HubSpot"
BRYGGFORS_CRM = "Bryggfors IT-partner – Salesforce"


def closed_port_url() -> str:
    """An address on this machine where nothing listens: a webhook there is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/gdpr-webhook"


def point_webhook_at(server: LiveServer, recipient: str, url: str) -> None:
    with server.app.app_context():
        db = get_session()
        found = db.scalars(select(Recipient).where(Recipient.name == recipient)).one()
        found.webhook_url = url
        db.commit()


def run_notice_worker(server: LiveServer) -> notice_service.NoticeReport:
    """One round of the worker's Art. 19 deliveries, as ``portal worker`` runs it."""
    with server.app.app_context():
        return notice_service.deliver_due(get_session(), server.clock())


# --- steps ------------------------------------------------------------------------------------


def person_signs_in(
    page: Page, server: LiveServer, email: str, audit: Audit, language: str
) -> None:
    """The front page in the language, the address, the link from the newest e-mail, confirm."""
    mails = len(server.mailbox.to(email))
    page.goto("/")
    if page.locator("html").get_attribute("lang") != language:
        switch_language(page, language, audit)
    else:
        audit(page)
    ask_for_link(page, email, audit)
    page.goto(verification_link(next_mail(server.mailbox, email, mails)))
    audit(page)
    submit(page)
    expect_signed_in(page, email)
    audit(page)


def file_request(page: Page, server: LiveServer, slug: str, audit: Audit, **fields: str) -> str:
    """From the overview: the request's form filled in (``name=value``; radios by value), sent;
    the receipt; returns the reference."""
    open_request_form(page, slug, audit)
    form = page.locator("main form")
    for name, value in fields.items():
        field = form.locator(f"[name='{name}']")
        if field.first.get_attribute("type") == "radio":
            form.locator(f"input[name='{name}'][value='{value}']").check()
        else:
            field.fill(value)
    submit(page)
    reference = expect_receipt(page, stockholm_date(server.clock()))
    audit(page)
    return reference


def open_own_case(page: Page, reference: str, audit: Audit) -> None:
    """The person's status page of the case, from the list of their cases."""
    page.locator(".subject-bar nav a[href='/cases']").click()
    expect(page).to_have_url(re.compile(r"/cases$"))
    page.locator(f"table.cases a[href='/cases/{reference}']").click()
    expect(page).to_have_url(re.compile(rf"/cases/{reference}$"))
    audit(page)


def staff_signs_in(
    page: Page, server: LiveServer, account: StaffAccount, audit: Audit, language: str
) -> None:
    """Password and code → the queue, in the language (kept from an earlier sign-in or not)."""
    sign_in(page, server, account, audit)
    if page.locator("html").get_attribute("lang") != language:
        switch_language(page, language, audit)


def open_case(page: Page, reference: str, audit: Audit) -> None:
    page.goto(case_path(reference))
    expect_case_page(page, reference)
    audit(page)


def last_staff_message(page: Page) -> Locator:
    return page.locator("ol.messages li.from-staff").last


def notice_rows(page: Page) -> dict[str, int]:
    """The staff case page's Art. 19 table: the notices' ids by recipient (and action)."""
    found: dict[str, int] = {}
    for row in page.locator("#notices-heading ~ table tbody tr[id^=notice-]").all():
        notice_id = int((row.get_attribute("id") or "").removeprefix("notice-"))
        found.setdefault(row.locator("th").inner_text().strip(), notice_id)
    return found


def notice_form(page: Page, reference: str, action: str, notice_id: int) -> Locator:
    return page.locator(f"form[action='{case_path(reference)}/notices/{action}']").filter(
        has=page.locator(f"input[type=hidden][name$='-notice'][value='{notice_id}']")
    )


def act_on_notice(
    page: Page, reference: str, action: str, notice_id: int, audit: Audit, **fields: str
) -> None:
    """One notice's form (confirm, not-notified): its fields filled, sent, success expected."""
    form = notice_form(page, reference, action, notice_id)
    expect(form).to_have_count(1)
    for name, value in fields.items():
        form.locator(f"[name='{name}']").fill(value)
    form.locator("button[type=submit]").click()
    expect_case_page(page, reference)
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    expect(page.locator(".flash-error")).to_have_count(0)
    audit(page)


def expect_refused(page: Page, reference: str, action: str, audit: Audit, *fields: str) -> None:
    """The action's form came back (400) with an error summary linking to each field named."""
    expect(page).to_have_url(re.compile(rf"{case_path(reference)}/{action}$"))
    summary = page.locator(".error-summary[role=alert]")
    for field_id in fields:
        expect(summary.locator(f"a[href='#{field_id}']")).to_have_count(1)
        expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
    audit(page)


def expect_flash_error(page: Page, reference: str, audit: Audit) -> None:
    """A rule refused the action: back on the case page with the reason, nothing changed."""
    expect_case_page(page, reference)
    expect(page.locator(".flash-error[role=alert]")).to_have_count(1)
    expect(page.locator(".flash-success")).to_have_count(0)
    audit(page)


def person_recipients(page: Page) -> Locator:
    return page.locator("section[aria-labelledby=recipients-heading] tbody tr")


def audit_trail_of(page: Page, reference: str, audit: Audit) -> set[str]:
    """The officer's audit trail filtered to the case: every action has a readable name (shown
    with its code); returns the codes."""
    page.locator(".subject-bar nav a[href='/staff/audit']").click()
    expect(page).to_have_url(re.compile(r"/staff/audit$"))
    audit(page)
    page.locator("form[action='/staff/audit'] input[name=reference]").fill(reference)
    submit(page, "form[action='/staff/audit']")
    expect(page).to_have_url(re.compile(r"/staff/audit\?"))
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_be_visible()
    audit(page)
    codes = set()
    for row in rows.all():
        action = row.locator(":scope > :nth-child(3)")
        code = action.locator("code")
        assert code.count() == 1, f"an action without a readable name: {action.inner_text()}"
        codes.add(code.inner_text())
        label = action.inner_text().replace(code.inner_text(), "").strip()
        assert label, f"an action without a readable name: {code.inner_text()}"
    return codes


# --- 1. rectification, and the notices to its recipients ------------------------------------

OLD_TITLE = "Inköpschef"
PROPOSED_TITLE = "Logistikchef"
APPLIED_TITLE = "Inköps- och logistikchef"
OLD_PHONE = "+46 70 174 06 05"
PROPOSED_PHONE = "070-174 06 99"
CONFIRMED_HOW = "E-postsvar från mottagarens dataskyddsombud"
NOT_NOTIFIED = "Microsoft tar inte emot enskilda rättelser; uppgifterna synkas från vårt CRM."
DONE = "Rättelsen är gjord och mottagarna har fått besked."


@pytest.mark.parametrize("language", LANGUAGES)
def test_rectification_with_notices(
    page: Page, new_page: NewPage, audit: Audit, live_server: LiveServer, language: str
) -> None:
    """Anna proposes a new job title and phone number; the handler compares them with the record,
    edits the title, leaves the phone and applies it. Anna reads what was corrected and which
    recipients were told. The handler records one recipient's confirmation, the privacy officer
    records why another is not notified, and the case can be completed only once every notice is
    decided. The audit trail names each action."""
    handler = create_staff(live_server, StaffRole.HANDLER)
    officer = create_staff(live_server, StaffRole.OFFICER)
    point_webhook_at(live_server, STENSJO_CRM, closed_port_url())  # the customer's CRM is down
    person_signs_in(page, live_server, ANNA, audit, language)
    reference = file_request(
        page, live_server, "rectification", audit, job_title=PROPOSED_TITLE, phone=PROPOSED_PHONE
    )

    # The handler sees the diff: what the record holds beside what Anna proposes.
    staff = new_page()
    staff_signs_in(staff, live_server, handler, audit, language)
    open_case(staff, reference, audit)
    act(staff, reference, "start", audit)
    panel = staff.locator("section[aria-labelledby=rectification-heading]")
    title = panel.locator("tbody tr", has=staff.locator("input[name='rectify-job_title']"))
    phone = panel.locator("tbody tr", has=staff.locator("input[name='rectify-phone']"))
    expect(title.locator("td").nth(0)).to_have_text(OLD_TITLE)
    expect(title.locator("td").nth(1)).to_have_text(PROPOSED_TITLE)
    expect(title.locator("input[name='rectify-job_title']")).to_have_value(PROPOSED_TITLE)
    expect(phone.locator("td").nth(0)).to_have_text(OLD_PHONE)
    expect(phone.locator("td").nth(1)).to_have_text(PROPOSED_PHONE)
    expect(staff.locator("section[aria-labelledby=notices-heading]")).to_have_count(0)

    # A phone number without digits is refused, and the values typed are kept.
    title.locator("input[name='rectify-job_title']").fill(APPLIED_TITLE)
    phone.locator("input[name='rectify-phone']").fill("ring mig")
    submit(staff, f"form[action='{case_path(reference)}/rectify']")
    expect_refused(staff, reference, "rectify", audit, "rectify-phone")
    expect(title.locator("input[name='rectify-job_title']")).to_have_value(APPLIED_TITLE)
    expect(title.locator("td").nth(0)).to_have_text(OLD_TITLE)

    # The edited title, the phone number left as it is: applied.
    phone.locator("input[name='rectify-change_phone']").uncheck()
    act(staff, reference, "rectify", audit)
    expect(title.locator("td").nth(0)).to_have_text(APPLIED_TITLE)
    expect(phone.locator("td").nth(0)).to_have_text(OLD_PHONE)
    notices = notice_rows(staff)
    assert set(notices) == {HUBSPOT, MICROSOFT, STENSJO_CRM}, notices

    # The worker sends: HubSpot by e-mail; the customer's CRM refuses the webhook (retried
    # later); Microsoft has no channel, so staff must notify it another way.
    report = run_notice_worker(live_server)
    assert (report.sent, report.retrying) == (1, 1), report
    staff.reload()
    expect(staff.locator(f"#notice-{notices[HUBSPOT]} td").nth(4).locator("time")).to_have_count(1)
    crm = staff.locator(f"#notice-{notices[STENSJO_CRM]} td")
    expect(crm.nth(3)).to_have_text(re.compile(r"^1\D"))  # one attempt
    expect(crm.nth(3)).to_contain_text("connection refused")
    expect(crm.nth(2).locator("time")).to_have_count(1)  # the next attempt
    expect(
        staff.locator(f"#notice-{notices[MICROSOFT]} td").nth(2).locator("strong")
    ).to_be_visible()
    audit(staff)

    # Anna reads what was corrected, and which recipients are being told.
    open_own_case(page, reference, audit)
    told = last_staff_message(page)
    expect(told).to_contain_text(OLD_TITLE)
    expect(told).to_contain_text(APPLIED_TITLE)
    expect(told).not_to_contain_text(PROPOSED_PHONE)
    recipients = person_recipients(page)
    expect(recipients).to_have_count(3)
    for name in (HUBSPOT, MICROSOFT, STENSJO_CRM):
        expect(recipients.filter(has=page.locator("th", has_text=name))).to_have_count(1)
    told_on = recipients.filter(has=page.locator("th", has_text=HUBSPOT)).locator("td").nth(1)
    expect(told_on.locator("time")).to_have_count(1)
    not_yet = recipients.filter(has=page.locator("th", has_text=STENSJO_CRM)).locator("td").nth(1)
    expect(not_yet.locator("time")).to_have_count(0)
    if language == "en":
        expect(told).to_contain_text("What was corrected:")
        expect(page.locator("#recipients-heading")).to_have_text("Who else we told")

    # The handler records the customer's confirmation (saying how is required); completing is
    # refused while two notices are undecided; a handler cannot record that notifying is
    # impossible.
    notice_form(staff, reference, "confirm", notices[STENSJO_CRM]).locator(
        "button[type=submit]"
    ).click()
    expect_refused(
        staff, reference, "notices/confirm", audit, f"notice_confirm-how-{notices[STENSJO_CRM]}"
    )
    act_on_notice(
        staff, reference, "confirm", notices[STENSJO_CRM], audit,
        **{"notice_confirm-how": CONFIRMED_HOW},
    )  # fmt: skip
    expect(notice_form(staff, reference, "confirm", notices[STENSJO_CRM])).to_have_count(0)
    expect(staff.locator(f"#notice-{notices[STENSJO_CRM]}")).to_contain_text(CONFIRMED_HOW)
    expect(
        staff.locator(f"form[action='{case_path(reference)}/notices/not-notified']")
    ).to_have_count(0)
    staff.locator(f"form[action='{case_path(reference)}/complete'] [name='complete-body']").fill(
        DONE
    )
    submit(staff, f"form[action='{case_path(reference)}/complete']")
    expect_flash_error(staff, reference, audit)
    expect_status(staff, "in_progress")

    # The privacy officer records why Microsoft is not notified.
    desk = new_page()
    staff_signs_in(desk, live_server, officer, audit, language)
    open_case(desk, reference, audit)
    notice_form(desk, reference, "not-notified", notices[MICROSOFT]).locator(
        "button[type=submit]"
    ).click()
    expect_refused(
        desk, reference, "notices/not-notified", audit,
        f"notice_not_notified-reason-{notices[MICROSOFT]}",
    )  # fmt: skip
    act_on_notice(
        desk, reference, "not-notified", notices[MICROSOFT], audit,
        **{"notice_not_notified-reason": NOT_NOTIFIED},
    )  # fmt: skip
    expect(desk.locator(f"#notice-{notices[MICROSOFT]}")).to_contain_text(NOT_NOTIFIED)

    # The handler records HubSpot's confirmation too, and completes the case.
    staff.reload()
    audit(staff)
    act_on_notice(
        staff, reference, "confirm", notices[HUBSPOT], audit,
        **{"notice_confirm-how": CONFIRMED_HOW},
    )  # fmt: skip
    act(staff, reference, "complete", audit, **{"complete-body": DONE})
    expect_status(staff, "completed")

    # Anna sees who confirmed, and why Microsoft was not told.
    page.reload()
    expect(page.locator("dl.facts .status-completed")).to_have_count(1)
    microsoft = recipients.filter(has=page.locator("th", has_text=MICROSOFT))
    expect(microsoft.locator("td[colspan='2']")).to_contain_text(NOT_NOTIFIED)
    for name in (HUBSPOT, STENSJO_CRM):
        confirmed = recipients.filter(has=page.locator("th", has_text=name)).locator("td").last
        expect(confirmed.locator("time")).to_have_count(1)
    audit(page)

    codes = audit_trail_of(desk, reference, audit)
    assert {"case.rectify", "notice.confirmed", "notice.not_notified"} <= codes, codes


# --- 2. erasure of a customer contact with invoices ------------------------------------------

ERASURE_REASONS = "Karin är inte längre kontaktperson hos kunden; inget behov av uppgifterna."


@pytest.mark.parametrize("language", LANGUAGES)
def test_erasure_keeps_the_invoices(
    page: Page, new_page: NewPage, audit: Audit, live_server: LiveServer, language: str
) -> None:
    """Karin, a customer's invoice reference, asks for erasure. The handler reads the plan (the
    invoices kept under the Accounting Act, until when) and proposes it; the officer approves
    and it is carried out. Karin, signed in again, reads what was erased and what was kept, why,
    and how to complain to IMY; the recipients are told."""
    handler = create_staff(live_server, StaffRole.HANDLER)
    officer = create_staff(live_server, StaffRole.OFFICER)
    person_signs_in(page, live_server, KARIN, audit, language)
    reference = file_request(page, live_server, "erasure", audit, scope="all", ground="not_needed")

    staff = new_page()
    staff_signs_in(staff, live_server, handler, audit, language)
    open_case(staff, reference, audit)
    act(staff, reference, "start", audit)
    plan = staff.locator("section[aria-labelledby=erasure-heading] table tbody tr")
    expect(plan.nth(6)).to_be_visible()  # every category; the last (invoices) by year kept
    people = plan.first
    expect(people.locator("td").nth(0)).to_have_text("1")  # Karin's record: erased
    expect(people.locator("td").nth(1)).to_have_text("0")
    years = []
    for invoices in plan.all()[6:]:
        cells = invoices.locator("td")
        expect(cells.nth(0)).to_have_text("0")  # every invoice kept
        assert int(cells.nth(1).inner_text()) > 0
        expect(cells.nth(2)).to_contain_text(BOOKKEEPING_ACT)
        until = cells.nth(3).locator("time").get_attribute("datetime") or ""
        assert re.fullmatch(r"20\d\d-12-31", until), until  # the end of the seventh year
        years.append(until)
    assert len(set(years)) == len(years), years  # one line per year kept until
    rows = plan.count()
    # Blanks pass the browser's check of the required field, not the server's.
    staff.locator(f"form[action='{case_path(reference)}/erasure-plan'] textarea").fill("   ")
    submit(staff, f"form[action='{case_path(reference)}/erasure-plan']")
    expect_refused(staff, reference, "erasure-plan", audit, "erasure_plan-reasons")
    act(staff, reference, "erasure-plan", audit, **{"erasure_plan-reasons": ERASURE_REASONS})
    expect(staff.locator(f"form[action='{case_path(reference)}/erasure-plan']")).to_have_count(0)
    expect(staff.locator(f"form[action='{case_path(reference)}/decide']")).to_have_count(0)

    desk = new_page()
    staff_signs_in(desk, live_server, officer, audit, language)
    open_case(desk, reference, audit)
    expect(desk.locator("section[aria-labelledby=erasure-heading] table tbody tr")).to_have_count(
        rows
    )
    decide(desk, reference, "approve", audit)
    notices = notice_rows(desk)
    assert set(notices) == {HUBSPOT, MICROSOFT}, notices

    # Karin's sign-in went with her data: she signs in again and reads the confirmation.
    page.reload()
    expect(page).not_to_have_url(re.compile(rf"/cases/{reference}$"))
    audit(page)
    person_signs_in(page, live_server, KARIN, audit, language)
    open_own_case(page, reference, audit)
    confirmation = last_staff_message(page)
    expect(confirmation).to_contain_text(BOOKKEEPING_ACT)
    expect(confirmation).to_contain_text(IMY.postal_address)
    expect(confirmation).to_contain_text(IMY.complaint_url(language))
    expect(confirmation).to_contain_text(re.compile(r"\bart\. 79\b", re.IGNORECASE))
    if language == "en":
        expect(confirmation).to_contain_text("What we erased:")
        expect(confirmation).to_contain_text("What we have kept, why and until when:")
        expect(confirmation).to_contain_text("Contact details and role: 1")
    expect(person_recipients(page)).to_have_count(2)

    codes = audit_trail_of(desk, reference, audit)
    assert {"case.propose_erasure", "case.approve_erasure", "case.erase"} <= codes, codes


# --- 3. restriction, told before it is lifted ------------------------------------------------

LIFT_REASON = "Vi har kontrollerat uppgifterna mot källan och de är korrekta."


@pytest.mark.parametrize("language", LANGUAGES)
def test_restriction_told_before_lifted(
    page: Page, new_page: NewPage, audit: Audit, live_server: LiveServer, language: str
) -> None:
    """Erik contests the accuracy of his data. The handler applies the restriction with his
    ground, then tells him it will be lifted tomorrow: the lift is not offered until that day.
    The next day the handler lifts it; Erik has read both messages and sees the recipients told
    of the restriction and of its lifting."""
    handler = create_staff(live_server, StaffRole.HANDLER)
    person_signs_in(page, live_server, ERIK, audit, language)
    reference = file_request(page, live_server, "restriction", audit, ground="accuracy")

    staff = new_page()
    staff_signs_in(staff, live_server, handler, audit, language)
    open_case(staff, reference, audit)
    act(staff, reference, "start", audit)
    restrict = f"form[action='{case_path(reference)}/restrict']"
    expect(staff.locator(f"{restrict} select[name='restrict-ground']")).to_have_value("accuracy")
    expect(staff.locator(f"form[action='{case_path(reference)}/restriction/lift']")).to_have_count(
        0
    )
    act(staff, reference, "restrict", audit)
    expect(staff.locator(restrict)).to_have_count(0)
    notices = notice_rows(staff)
    assert set(notices) == {HUBSPOT, MICROSOFT, BRYGGFORS_CRM}, notices

    open_own_case(page, reference, audit)
    expect(last_staff_message(page)).to_contain_text(re.compile(r"\bart\. 18\.1 a\b", re.I))
    expect(person_recipients(page)).to_have_count(3)

    # Told first (Art. 18(3)): lifting is not offered before the day Erik was given.
    today = stockholm_date(live_server.clock())
    announce = f"form[action='{case_path(reference)}/restriction/announce-lift']"
    staff.locator(f"{announce} [name='announce_lift-reason']").fill(LIFT_REASON)
    yesterday = (today - timedelta(days=1)).isoformat()
    staff.locator(f"{announce} [name='announce_lift-lift_on']").fill(yesterday)
    submit(staff, announce)
    expect_flash_error(staff, reference, audit)
    tomorrow = today + timedelta(days=1)
    act(
        staff, reference, "restriction/announce-lift", audit,
        **{"announce_lift-reason": LIFT_REASON, "announce_lift-lift_on": tomorrow.isoformat()},
    )  # fmt: skip
    lift = f"form[action='{case_path(reference)}/restriction/lift']"
    expect(staff.locator(lift)).to_have_count(0)
    expect(staff.locator("#lift-heading ~ p.blocked")).to_have_count(1)
    page.reload()
    announcement = last_staff_message(page)
    expect(announcement).to_contain_text(LIFT_REASON)
    expect(announcement).to_contain_text(IMY.complaint_url(language))
    audit(page)

    # The next day (both sessions have run out meanwhile) the handler lifts the restriction.
    live_server.clock.advance(days=1)
    staff.reload()
    expect(staff).to_have_url(re.compile(r"/staff/login\?expired=1$"))
    expect(staff.locator("main [role=status]")).to_have_count(1)  # "your session has ended"
    audit(staff)
    staff_signs_in(staff, live_server, handler, audit, language)
    open_case(staff, reference, audit)
    act(staff, reference, "restriction/lift", audit)
    expect(staff.locator(lift)).to_have_count(0)
    expect(staff.locator("#notices-heading ~ table tbody tr")).to_have_count(6)

    person_signs_in(page, live_server, ERIK, audit, language)
    open_own_case(page, reference, audit)
    expect(person_recipients(page)).to_have_count(6)
    if language == "en":
        lifted = person_recipients(page).filter(has_text="The restriction is lifted")
        expect(lifted).to_have_count(3)


# --- 4. objection to processing on legitimate interest ---------------------------------------

OBJECTION = "Jag byter bransch och vill inte längre bli kontaktad om IT-tjänster av era kunder."
COMPELLING = (
    "Sofia är avtalad kontaktperson i ett pågående upphandlingsärende hos kunden, och "
    "uppgifterna behövs för att kunna fullgöra och dokumentera den pågående affären."
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_objection_overridden_on_compelling_grounds(
    page: Page, new_page: NewPage, audit: Audit, live_server: LiveServer, language: str
) -> None:
    """Sofia objects to processing based on legitimate interest: her two records are restricted
    at once. The handler proposes that compelling grounds override the objection; the officer
    approves; Sofia reads the grounds, how to complain, and that the restriction is lifted."""
    handler = create_staff(live_server, StaffRole.HANDLER)
    officer = create_staff(live_server, StaffRole.OFFICER)
    person_signs_in(page, live_server, SOFIA, audit, language)
    reference = file_request(
        page, live_server, "objection", audit, kind="legitimate_interest", grounds=OBJECTION
    )

    # Restricted at once, and told so; the recipients are told of the restriction.
    open_own_case(page, reference, audit)
    expect(last_staff_message(page)).to_contain_text(re.compile(r"\bart\. 18\.1 d\b", re.I))
    expect(person_recipients(page)).to_have_count(4)

    staff = new_page()
    staff_signs_in(staff, live_server, handler, audit, language)
    open_case(staff, reference, audit)
    objection = staff.locator("section[aria-labelledby=objection-heading]")
    facts = objection.locator("dl.facts dd")
    expect(facts.nth(0)).to_contain_text("2")  # two records
    expect(facts.nth(1)).to_have_text("2")  # both restricted since the filing
    act(staff, reference, "start", audit)
    objection_form = f"form[action='{case_path(reference)}/objection']"
    staff.locator(f"{objection_form} input[name='objection-outcome'][value='override']").check()
    staff.locator(f"{objection_form} [name='objection-reasons']").fill("Berättigat intresse.")
    submit(staff, objection_form)
    expect_refused(staff, reference, "objection", audit, "objection-reasons")
    act(
        staff, reference, "objection", audit,
        **{"objection-outcome": "override", "objection-reasons": COMPELLING},
    )  # fmt: skip
    expect(staff.locator(f"form[action='{case_path(reference)}/objection']")).to_have_count(0)
    expect(facts.nth(1)).to_have_text("2")  # still restricted: nothing decided yet

    desk = new_page()
    staff_signs_in(desk, live_server, officer, audit, language)
    open_case(desk, reference, audit)
    mails = len(live_server.mailbox.to(SOFIA))
    decide(desk, reference, "approve", audit)
    expect(
        desk.locator("section[aria-labelledby=objection-heading] dl.facts dd").nth(1)
    ).to_have_text("0")

    page.reload()
    decision = last_staff_message(page)
    expect(decision).to_contain_text(COMPELLING)
    expect(decision).to_contain_text(re.compile(r"\bart\. 21\.1\b", re.I))
    expect(decision).to_contain_text(IMY.complaint_url(language))
    expect(decision).to_contain_text(re.compile(r"\bart\. 18\.3\b", re.I))
    complain = page.locator("section[aria-labelledby=complain-heading]")
    expect(complain.locator(f"a[href='{IMY.complaint_url(language)}']")).to_have_count(1)
    audit(page)

    codes = audit_trail_of(desk, reference, audit)
    assert {"case.propose_objection", "case.approve_objection"} <= codes, codes
    # The decision's e-mail only says that something waits on the status page.
    decision_mail = next_mail(live_server.mailbox, SOFIA, mails)
    assert reference in decision_mail["Subject"]
    assert COMPELLING not in mail_text(decision_mail)
