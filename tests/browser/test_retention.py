"""The officer's retention pages in Chromium, in Swedish and in English: from the menu to the
categories, a category's list with the held records, the confirmation with its counts, and the
erasure.

Every page reached is checked with axe-core (WCAG 2.0/2.1 A and AA) at once, and its HTML with
the Nu Html Checker when the module ends (the ``html_pages`` fixture).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.clock import stockholm_date
from app.core.permissions import StaffRole
from app.db import get_session
from app.services import retention
from tests.browser.helpers import Audit, LiveServer
from tests.browser.staff_flows import create_staff, open_from_menu
from tests.services.test_retention import build_world

pytestmark = pytest.mark.browser

RETENTION = "/staff/retention"


def seed(server: LiveServer) -> dict[str, tuple[int, int]]:
    """The records of tests/services/test_retention.py in the live app (beside its demo people);
    what is due and held per category."""
    with server.app.app_context():
        db = get_session()
        build_world(db, server.clock())
        statuses = retention.overview(db, stockholm_date(server.clock()))
        return {s.category: (s.due, s.held) for s in statuses}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_retention_in_both_languages(
    page: Page, audit: Audit, live_server: LiveServer, language: str
) -> None:
    """The officer opens the retention page from the menu, reads a category's list, confirms
    the erasure of the due leads and sees the counts change."""
    due, held = seed(live_server)["lead_contact"]
    assert due > 0
    assert held > 0
    officer = create_staff(live_server, StaffRole.OFFICER)
    open_from_menu(page, live_server, officer, audit, language, RETENTION)
    rows = page.locator("#retention-categories tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.first.locator("td").nth(1)).to_have_text(str(due))
    expect(rows.first.locator("td").nth(2)).to_have_text(str(held))
    audit(page)

    rows.first.locator("th a").click()
    expect(page).to_have_url(re.compile(rf"{RETENTION}/lead_contact$"))
    expect(page.locator("#retention-items tbody tr")).to_have_count(due + held)
    audit(page)

    page.locator(f"a[href='{RETENTION}/lead_contact/erase']").first.click()
    people = page.locator("#retention-batch tbody tr").first.locator("td").first
    expect(people).to_have_text(str(due))
    audit(page)
    page.locator("form[action$='/erase'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"{RETENTION}/lead_contact$"))
    expect(page.locator(".flash-success[role=status]")).to_have_count(1)
    expect(page.locator("#retention-items tbody tr")).to_have_count(held)
    audit(page)
