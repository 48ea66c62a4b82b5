"""The dashboard page as the privacy officer reads it: every figure of the seeded cases, the
charts with their text alternatives, the period selector and its refusals, and who may see it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEntry, StaffUser, SubjectRequest
from tests.helpers import page_text
from tests.services.test_reporting import cases as cases  # fixtures, used by name
from tests.staff import sign_in_as
from tests.web.case_steps import olof as olof

SVG = "{http://www.w3.org/2000/svg}"
EXPORTS = ("/staff/dashboard/register.csv", "/staff/dashboard/register.pdf")


class Tables(HTMLParser):
    """The text of each cell of each ``<table id=...>``, row by row (header cells too)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._hidden = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = found["id"]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []
        elif (
            self._cell is not None
            and tag == "span"
            and "visually-hidden" in (found.get("class") or "")
        ):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


def rows_of(html: str, table: str) -> list[list[str]]:
    return Tables(html).tables[table]


def by_first(html: str, table: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows_of(html, table)}


def figures(html: str) -> dict[str, str]:
    """The key figures (``dl.figures``): name → value, as shown."""
    found = re.findall(r"<dt>([^<]+)</dt><dd>(?:<a [^>]+>)?([^<]+)", html)
    return {name.strip(): value.strip() for name, value in found}


@pytest.fixture
def page(olof: FlaskClient, cases: dict[str, SubjectRequest]) -> str:
    answer = olof.get("/staff/dashboard")
    assert answer.status_code == 200
    return page_text(answer)


def audit_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count()).where(AuditEntry.action == "register.export")
    ) or 0  # fmt: skip


class TestFigures:
    def test_the_period_is_the_last_twelve_months_by_default(self, page: str) -> None:
        assert 'name="start" type="date" value="2025-12-01"' in page
        assert 'name="end" type="date" value="2026-11-24"' in page
        assert "From December 1, 2025 to November 24, 2026" in page

    def test_key_figures(self, page: str) -> None:
        assert figures(page) == {
            "Open cases": "5",
            "Due within 7 days": "2",
            "Overdue": "2",
            "Requests received": "17",
            "Answered (completed or refused)": "11",
            "Answered on time": "81.8%",
            "Median days to close": "29",
            "Withdrawn (not counted)": "2",
            "Extensions": "3",
            "Refusals": "2",
        }

    def test_open_cases_by_type_and_status(self, page: str) -> None:
        table = rows_of(page, "open-cases")
        assert table[0] == ["Type", "Received", "In progress", "Waiting for the person", "Total"]
        assert table[1:] == [
            ["Access", "1", "0", "1", "2"],
            ["Rectification", "0", "1", "0", "1"],
            ["Erasure", "0", "1", "0", "1"],
            ["Restriction", "0", "0", "0", "0"],
            ["Objection", "0", "0", "0", "0"],
            ["Consent withdrawal", "0", "0", "0", "0"],
            ["Portability", "0", "1", "0", "1"],
            ["All types", "1", "3", "1", "5"],
        ]

    def test_overdue_cases_are_listed_with_links_to_their_pages(
        self, page: str, cases: dict[str, SubjectRequest]
    ) -> None:
        o5, o3 = cases["O5"].reference, cases["O3"].reference
        assert rows_of(page, "overdue-cases")[1:] == [
            [o5, "Portability", "In progress", "Oct 15, 2026", "40", "Nobody"],
            [o3, "Access", "Waiting for the person", "Nov 20, 2026", "4", "Olof Ombud"],
        ]
        for reference in (o5, o3):
            assert f'href="/staff/cases/{reference}"' in page
        assert 'href="/staff/?due=overdue"' in page
        assert 'href="/staff/?due=soon"' in page

    def test_requests_per_month_per_type(self, page: str) -> None:
        table = by_first(page, "received-table")
        assert table["Month"] == [
            "Access", "Rectification", "Erasure", "Restriction", "Objection",
            "Consent withdrawal", "Portability", "Total",
        ]  # fmt: skip
        assert table["December 2025"] == ["0"] * 8
        assert table["January 2026"] == ["2", "0", "0", "0", "0", "0", "0", "2"]
        assert table["March 2026"] == ["1", "0", "1", "0", "0", "0", "0", "2"]
        assert table["May 2026"] == ["0", "0", "0", "0", "1", "1", "0", "2"]
        assert table["September 2026"] == ["0", "1", "0", "0", "0", "0", "1", "2"]
        assert table["November 2026"] == ["2", "0", "0", "0", "0", "0", "0", "2"]
        assert table["All months"] == ["8", "2", "4", "0", "1", "1", "1", "17"]
        assert len(table) == 14  # header, 12 months, total

    def test_on_time_rate_per_month(self, page: str) -> None:
        table = by_first(page, "on-time-table")
        assert table["February 2026"] == ["2", "1", "1", "50.0%", "0"]
        assert table["April 2026"] == ["2", "2", "0", "100.0%", "1"]
        assert table["July 2026"] == ["1", "0", "1", "0.0%", "0"]
        assert table["January 2026"] == ["0", "0", "0", "–", "0"]
        assert table["November 2026"] == ["1", "1", "0", "100.0%", "1"]
        assert table["All months"] == ["11", "9", "2", "81.8%", "2"]

    def test_days_to_close_per_type(self, page: str) -> None:
        assert by_first(page, "days-table") == {
            "Type": ["Answered", "Median", "90th percentile"],
            "Access": ["6", "29", "36"],
            "Rectification": ["0", "–", "–"],
            "Erasure": ["3", "63", "72"],
            "Restriction": ["0", "–", "–"],
            "Objection": ["1", "0", "0"],
            "Consent withdrawal": ["1", "0", "0"],
            "Portability": ["0", "–", "–"],
            "All types": ["11", "29", "63"],
        }

    def test_extensions_and_refusals_per_month(self, page: str) -> None:
        table = by_first(page, "decisions-table")
        assert table["February 2026"] == ["0", "0"]
        assert table["March 2026"] == ["1", "2"]
        assert table["September 2026"] == ["2", "0"]
        assert table["All months"] == ["3", "2"]

    def test_a_chosen_period(self, olof: FlaskClient, cases: dict[str, SubjectRequest]) -> None:
        answer = olof.get("/staff/dashboard?start=2026-01-01&end=2026-03-31")
        assert answer.status_code == 200
        html = page_text(answer)
        assert figures(html)["Requests received"] == "5"
        assert figures(html)["Open cases"] == "5"  # "now" does not depend on the period
        assert list(by_first(html, "on-time-table")) == [
            "Month", "January 2026", "February 2026", "March 2026", "All months",
        ]  # fmt: skip
        assert by_first(html, "on-time-table")["All months"] == ["3", "2", "1", "66.7%", "0"]
        assert 'href="/staff/dashboard/register.csv?start=2026-01-01&amp;end=2026-03-31"' in html

    def test_the_definitions_are_on_the_page(self, page: str) -> None:
        assert "Calendar days from the date the request was received" in page
        assert "Closed on or before the deadline in force when it closed" in page
        assert "they count neither as on time nor as late" in page


class TestCharts:
    def charts(self, page: str) -> list[ET.Element]:
        found = re.findall(r"<svg .*?</svg>", page, re.DOTALL)
        return [ET.fromstring(svg) for svg in found]  # noqa: S314  (our own page)

    def test_four_charts_each_an_image_with_a_title_and_a_description(self, page: str) -> None:
        charts = self.charts(page)
        assert len(charts) == 4
        for chart in charts:
            ident = chart.get("id")
            assert chart.get("role") == "img"
            assert chart.get("aria-labelledby") == f"{ident}-title {ident}-desc"
            assert chart.find(f"{SVG}title").get("id") == f"{ident}-title"  # type: ignore[union-attr]
            assert chart.find(f"{SVG}desc").get("id") == f"{ident}-desc"  # type: ignore[union-attr]
        assert "<script" not in page

    def test_each_bar_is_one_figure_with_its_value(self, page: str) -> None:
        received, on_time, days, decisions = self.charts(page)
        bars = [t.text for rect in received.iter(f"{SVG}rect") for t in rect.iter(f"{SVG}title")]
        assert len(bars) == 15  # one per month and type with requests
        assert "Jan 2026, Access: 2" in bars
        tips = [t.text for t in on_time.iter(f"{SVG}title")][1:]
        assert "Feb 2026, On time: 50.0%" in tips
        assert "Jul 2026, On time: 0.0%" in tips  # a zero share is a thin bar
        assert "Jan 2026, On time: –" not in tips  # no answered request: no bar
        assert len(list(on_time.iter(f"{SVG}rect"))) == 1 + 8  # legend swatch + bars
        desc = days.find(f"{SVG}desc").text  # type: ignore[union-attr]
        assert "29 and 63 days for all types" in (desc or "")
        tips = [t.text for t in decisions.iter(f"{SVG}title")]
        assert "Mar 2026, Refusals: 2" in tips
        assert "Sep 2026, Extensions: 2" in tips


BAD_PERIODS = [
    ("start=2026-13-01", "Enter the date as YYYY-MM-DD, for example 2026-11-03."),
    ("end=2026-02-30", "Enter the date as YYYY-MM-DD, for example 2026-11-03."),
    ("start=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "Enter the date as YYYY-MM-DD"),
    ("start=2026-03-01&end=2026-02-01", "The end date cannot be before the start date."),
    ("end=2026-11-25", "The end date cannot be after today."),
    ("start=2021-01-01&end=2026-11-24", "Choose a period of at most 60 calendar months."),
    ("start=0001-01-01", "Choose a period of at most 60 calendar months."),
    ("start=99999-01-01", "Enter the date as YYYY-MM-DD"),
]


class TestBadPeriods:
    @pytest.mark.parametrize("path", ["/staff/dashboard", *EXPORTS])
    @pytest.mark.parametrize(("query", "message"), BAD_PERIODS)
    def test_a_bad_period_gives_400_with_a_message_and_nothing_else(
        self,
        olof: FlaskClient,
        session: Session,
        cases: dict[str, SubjectRequest],
        path: str,
        query: str,
        message: str,
    ) -> None:
        answer = olof.get(f"{path}?{query}")
        assert answer.status_code == 400
        assert answer.mimetype == "text/html"
        assert "Content-Disposition" not in answer.headers
        html = page_text(answer)
        assert message in html
        assert 'class="error-summary" role="alert"' in html
        assert "<script>alert" not in html
        assert 'id="open-cases"' not in html  # no figures
        assert "<svg" not in html
        assert audit_count(session) == 0  # no export recorded

    def test_an_empty_date_takes_its_default(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest]
    ) -> None:
        answer = olof.get("/staff/dashboard?start=&end=2026-06-30")
        assert answer.status_code == 200
        assert "From December 1, 2025 to June 30, 2026" in page_text(answer)


class TestAccess:
    @pytest.mark.parametrize("path", ["/staff/dashboard", *EXPORTS])
    def test_handlers_and_administrators_get_403(
        self, app: Flask, handler: StaffUser, admin: StaffUser, path: str
    ) -> None:
        for user in (handler, admin):
            answer = sign_in_as(app, user).get(path)
            assert answer.status_code == 403, (user.role, path)

    def test_only_those_who_may_see_it_get_the_link(
        self, app: Flask, handler: StaffUser, olof: FlaskClient
    ) -> None:
        assert 'href="/staff/dashboard"' in page_text(olof.get("/staff/"))
        assert 'href="/staff/dashboard"' not in page_text(sign_in_as(app, handler).get("/staff/"))

    def test_the_link_is_marked_current_on_the_dashboard(self, olof: FlaskClient) -> None:
        assert 'href="/staff/dashboard" aria-current="page"' in page_text(
            olof.get("/staff/dashboard")
        )
