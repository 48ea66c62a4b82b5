"""The privacy officer's dashboard in Chromium, in Swedish and in English: the figures of seeded
cases, the charts drawn without JavaScript, the tables behind them, a bad period refused, and the
register downloaded as CSV and PDF.

Every page reached is checked with axe-core (WCAG 2.0/2.1 A and AA) at once, and its HTML with
the Nu Html Checker when the module ends (the ``html_pages`` fixture).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.core.permissions import StaffRole
from app.db import get_session
from app.models import StaffUser
from tests.browser.helpers import Audit, LiveServer
from tests.browser.staff_flows import create_staff, open_from_menu
from tests.services.test_reporting import seed_cases

pytestmark = pytest.mark.browser

DASHBOARD = "/staff/dashboard"


def seed(server: LiveServer, email: str) -> dict[str, str]:
    """The cases of tests/services/test_reporting.py in the live app; name → reference."""
    with server.app.app_context():
        db = get_session()
        officer = db.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        cases = seed_cases(db, officer)
        return {name: case.reference for name, case in cases.items()}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_dashboard_in_both_languages(
    page: Page, audit: Audit, live_server: LiveServer, language: str
) -> None:
    """The officer opens the dashboard from the menu, reads the figures and the tables behind
    the charts, chooses a period (a wrong one first), and downloads the register."""
    officer = create_staff(live_server, StaffRole.OFFICER)
    references = seed(live_server, officer.email)
    open_from_menu(page, live_server, officer, audit, language, DASHBOARD)
    expect(page.locator("input[name=start]")).to_have_value("2025-12-01")
    expect(page.locator("input[name=end]")).to_have_value("2026-11-24")
    figures = page.locator("dl.figures dd")
    expect(figures).to_have_count(10)
    expect(figures.nth(0)).to_have_text("5")  # open
    expect(figures.nth(3)).to_have_text("17")  # received in the period
    # The overdue cases, linked to their pages.
    overdue = page.locator("#overdue-cases tbody tr")
    expect(overdue).to_have_count(2)
    expect(overdue.first.locator(f"a[href='/staff/cases/{references['O5']}']")).to_have_count(1)
    # Four charts, drawn on the server: images with a name and a description, and bars.
    charts = page.locator("svg.chart[role=img]")
    expect(charts).to_have_count(4)
    for n in range(4):
        chart = charts.nth(n)
        expect(chart).to_be_visible()
        ident = chart.get_attribute("id")
        expect(chart).to_have_attribute("aria-labelledby", f"{ident}-title {ident}-desc")
        assert chart.locator("rect title").count() > 0
    # The numbers behind each chart, in tables that open.
    details = page.locator("details.numbers")
    expect(details).to_have_count(4)
    for n in range(4):
        details.nth(n).locator("summary").click()
        expect(details.nth(n).locator("table")).to_be_visible()
    expect(page.locator("#days-all td").nth(1)).to_have_text(re.compile(r"^29$"))
    expect(page.locator("#days-all td").nth(2)).to_have_text(re.compile(r"^63$"))
    audit(page)

    # A period that ends before it starts: said, at the field, and nothing else shown.
    form = page.locator(f"form[action='{DASHBOARD}']")
    form.locator("input[name=start]").fill("2026-03-01")
    form.locator("input[name=end]").fill("2026-02-01")
    form.locator("button[type=submit]").click()
    expect(page.locator(".error-summary[role=alert] a[href='#end']")).to_have_count(1)
    expect(page.locator("input[name=end]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("svg.chart")).to_have_count(0)
    audit(page)

    # The first quarter of 2026.
    form.locator("input[name=start]").fill("2026-01-01")
    form.locator("input[name=end]").fill("2026-03-31")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"start=2026-01-01&end=2026-03-31"))
    expect(page.locator("dl.figures dd").nth(3)).to_have_text("5")
    expect(page.locator("#on-time-table tbody tr")).to_have_count(3)
    audit(page)

    # The register: both downloads, named after the period.
    register = page.locator("section[aria-labelledby=register-heading]")
    for extension in ("csv", "pdf"):
        with page.expect_download() as info:
            register.locator(f"a[href*='register.{extension}']").click()
        download = info.value
        assert download.suggested_filename == f"register-2026-01-01-2026-03-31.{extension}"
        path = download.path()
        assert path is not None
        data = path.read_bytes()
        if extension == "csv":
            assert data.startswith(b"\xef\xbb\xbf")
            assert references["C3"].encode() in data
        else:
            assert data.startswith(b"%PDF-")
