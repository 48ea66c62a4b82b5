"""The queue: filters, search, deadline order, days left, keyset paging and bulk assignment."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app.clock import today
from app.core.workflow import Channel, RequestStatus, RequestType
from app.db import engine
from app.models import AuditEntry, StaffUser, SubjectRequest
from app.services.queue import (
    COUNT_CAP,
    OPEN_STATUSES,
    Cursor,
    DueWindow,
    QueueFilters,
    explain,
    page_query,
    queue_page,
    search_filters,
)
from tests.conftest import Clock
from tests.helpers import page_text
from tests.web.case_steps import staff

S = RequestStatus
T = RequestType
ROW = re.compile(r'<th scope="row"><a href="/staff/cases/(DSR-\d{4}-\d{6})">')


def refs(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.status_code
    return ROW.findall(page_text(answer))


def row_of(answer: Any, reference: str) -> str:
    page = html.unescape(page_text(answer))
    start = page.rindex("<tr", 0, page.index(f">{reference}</a>"))
    return re.sub(r"\s+", " ", page[start : page.index("</tr>", start)])


class Cases:
    """Writes cases straight into the table, as many as a test needs, with chosen deadlines."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.number = 0

    def rows(self, count: int, **kwargs: Any) -> list[dict[str, Any]]:
        return [self.row(**kwargs) for _ in range(count)]

    def row(
        self,
        *,
        due_in: int = 20,
        status: RequestStatus = S.RECEIVED,
        type: RequestType = T.ACCESS,
        email: str | None = None,
        assignee: StaffUser | None = None,
    ) -> dict[str, Any]:
        self.number += 1
        now = self.clock()
        due = today() + timedelta(days=due_in)
        received = due - timedelta(days=30)
        return {
            "id": self.number,
            "reference": f"DSR-2025-{self.number:06d}",
            "type": type,
            "status": status,
            "channel": Channel.PORTAL,
            "language": "sv",
            "email": email or f"person{self.number}@example.com",
            "details": {"scope": "all"},
            "original_text": "Long text " * 50,
            "received_at": now - timedelta(days=30 - due_in),
            "received_on": received,
            "legal_due_on": due,
            "due_on": due,
            "assignee_id": assignee.id if assignee else None,
            "closed_at": None if status.is_open else now,
            "created_at": now,
            "updated_at": now,
        }

    def add(self, *rows: dict[str, Any]) -> list[str]:
        self.session.execute(insert(SubjectRequest), list(rows))
        self.session.commit()
        return [r["reference"] for r in rows]

    def one(self, **kwargs: Any) -> str:
        return self.add(self.row(**kwargs))[0]


@pytest.fixture
def cases(session: Session, clock: Clock) -> Cases:
    return Cases(session, clock)


@pytest.fixture
def hanna(app: Flask, handler: StaffUser) -> FlaskClient:
    return staff(app, handler)


class TestAccess:
    def test_anonymous_goes_to_sign_in_and_admin_gets_403(
        self, client: FlaskClient, admin_client: FlaskClient, hanna: FlaskClient
    ) -> None:
        assert client.get("/staff/").status_code == 302
        assert client.get("/staff/").headers["Location"].startswith("/staff/login")
        assert admin_client.get("/staff/").status_code == 403
        assert admin_client.post("/staff/assign", data={"bulk-cases": "1"}).status_code == 403
        assert hanna.get("/staff/").status_code == 200


class TestDefaultView:
    def test_open_cases_earliest_deadline_first(self, hanna: FlaskClient, cases: Cases) -> None:
        late = cases.one(due_in=-3, status=S.IN_PROGRESS)
        later = cases.one(due_in=12)
        soon = cases.one(due_in=2, status=S.AWAITING_SUBJECT)
        cases.one(due_in=1, status=S.COMPLETED)
        cases.one(due_in=1, status=S.WITHDRAWN)
        cases.one(due_in=1, status=S.REFUSED)
        same_day = cases.one(due_in=12)

        assert refs(hanna.get("/staff/")) == [late, soon, later, same_day]

    def test_columns_and_marks_of_a_row(
        self, hanna: FlaskClient, cases: Cases, handler: StaffUser
    ) -> None:
        overdue = cases.one(due_in=-3, assignee=handler, type=T.ERASURE)
        today_ = cases.one(due_in=0)
        soon = cases.one(due_in=5)
        one_day = cases.one(due_in=1)
        calm = cases.one(due_in=20)
        page = hanna.get("/staff/")

        row = row_of(page, overdue)
        assert 'class="row-late"' in row
        assert "Overdue by 3 days" in row
        assert "Erasure" in row
        assert "Hanna Handläggare (you)" in row
        assert "status-received" in row
        assert "Due today" in row_of(page, today_)
        assert 'class="row-soon"' in row_of(page, soon)
        assert "Due soon: 5 days left" in row_of(page, soon)
        assert "Due soon: 1 day left" in row_of(page, one_day)
        calm_row = row_of(page, calm)
        assert "20 days left" in calm_row
        assert "Due soon" not in calm_row
        assert "Nobody" in calm_row
        due = (today() + timedelta(days=20)).isoformat()
        assert f'<time datetime="{due}">' in calm_row

    def test_a_closed_case_says_closed_instead_of_days(
        self, hanna: FlaskClient, cases: Cases
    ) -> None:
        done = cases.one(due_in=-40, status=S.COMPLETED)
        row = row_of(hanna.get("/staff/?status=all"), done)
        assert "Closed" in row
        assert "Overdue" not in row

    def test_the_table_is_accessible(self, hanna: FlaskClient, cases: Cases) -> None:
        cases.one()
        page = page_text(hanna.get("/staff/"))
        assert page.count("<h1>") == 1
        assert "<caption>" in page
        assert page.count('<th scope="col">') == 8
        assert '<label for="choose-1" class="visually-hidden">' in page
        assert "1 case matches" in page

    def test_no_cases(self, hanna: FlaskClient) -> None:
        assert "No cases match." in page_text(hanna.get("/staff/"))


class TestFilters:
    @pytest.fixture
    def mix(self, cases: Cases, handler: StaffUser, officer: StaffUser) -> dict[str, str]:
        return {
            "mine_overdue": cases.one(due_in=-2, assignee=handler, status=S.IN_PROGRESS),
            "officers_soon": cases.one(due_in=3, assignee=officer, type=T.ERASURE),
            "nobodys": cases.one(due_in=15, type=T.ERASURE, status=S.AWAITING_SUBJECT),
            "done": cases.one(due_in=-30, assignee=handler, status=S.COMPLETED),
            "refused": cases.one(due_in=-20, type=T.ERASURE, status=S.REFUSED),
        }

    def test_status(self, hanna: FlaskClient, mix: dict[str, str]) -> None:
        assert refs(hanna.get("/staff/?status=completed")) == [mix["done"]]
        assert refs(hanna.get("/staff/?status=awaiting_subject")) == [mix["nobodys"]]
        assert len(refs(hanna.get("/staff/?status=all"))) == 5
        assert refs(hanna.get("/staff/?status=open")) == refs(hanna.get("/staff/"))

    def test_type(self, hanna: FlaskClient, mix: dict[str, str]) -> None:
        assert refs(hanna.get("/staff/?type=erasure")) == [mix["officers_soon"], mix["nobodys"]]
        assert refs(hanna.get("/staff/?type=erasure&status=all")) == [
            mix["refused"], mix["officers_soon"], mix["nobodys"],
        ]  # fmt: skip

    def test_assignee(self, hanna: FlaskClient, mix: dict[str, str], officer: StaffUser) -> None:
        assert refs(hanna.get("/staff/?assignee=me")) == [mix["mine_overdue"]]
        assert refs(hanna.get("/staff/?assignee=none")) == [mix["nobodys"]]
        assert refs(hanna.get(f"/staff/?assignee={officer.id}")) == [mix["officers_soon"]]
        assert len(refs(hanna.get("/staff/?assignee=any"))) == 3
        assert refs(hanna.get("/staff/?assignee=me&status=all")) == [
            mix["done"], mix["mine_overdue"],
        ]  # fmt: skip

    def test_due_window_counts_open_cases_only(
        self, hanna: FlaskClient, mix: dict[str, str]
    ) -> None:
        assert refs(hanna.get("/staff/?due=overdue")) == [mix["mine_overdue"]]
        assert refs(hanna.get("/staff/?due=overdue&status=all")) == [mix["mine_overdue"]]
        assert refs(hanna.get("/staff/?due=soon")) == [mix["officers_soon"]]
        assert refs(hanna.get("/staff/?due=overdue&status=completed")) == []

    def test_filters_combine(self, hanna: FlaskClient, mix: dict[str, str]) -> None:
        assert refs(hanna.get("/staff/?type=erasure&due=soon")) == [mix["officers_soon"]]
        assert refs(hanna.get("/staff/?type=erasure&due=overdue")) == []

    def test_the_form_keeps_the_choices(self, hanna: FlaskClient, mix: dict[str, str]) -> None:
        page = page_text(hanna.get("/staff/?type=erasure&due=soon&assignee=none"))
        assert '<option selected value="erasure">' in page
        assert '<option selected value="soon">' in page
        assert '<option selected value="none">' in page

    def test_the_form_as_sent_unchanged_and_empty_values_give_the_default_view(
        self, hanna: FlaskClient, mix: dict[str, str]
    ) -> None:
        default = refs(hanna.get("/staff/"))
        assert refs(hanna.get("/staff/?status=open&type=all&assignee=any&due=all&q=")) == default
        assert refs(hanna.get("/staff/?status=&type=&assignee=&due=&q=")) == default

    def test_a_value_not_on_the_list_is_an_error_and_the_default_applies(
        self, hanna: FlaskClient, mix: dict[str, str]
    ) -> None:
        answer = hanna.get("/staff/?status=bogus&type=nope&assignee=x1&due=later")
        assert answer.status_code == 400
        assert len(ROW.findall(page_text(answer))) == 3  # open, any type, anyone, any deadline
        assert 'aria-invalid="true"' in page_text(answer)


class TestSearch:
    def test_by_reference_whatever_the_case_of_letters_and_status(
        self, hanna: FlaskClient, cases: Cases
    ) -> None:
        cases.one()
        done = cases.one(status=S.COMPLETED)
        assert refs(hanna.get(f"/staff/?q={done.lower()}")) == [done]
        assert refs(hanna.get(f"/staff/?q=+{done}+&status=open&type=erasure")) == [done]
        assert refs(hanna.get("/staff/?q=DSR-2025-999999")) == []

    def test_by_e_mail_address_normalised(self, hanna: FlaskClient, cases: Cases) -> None:
        first = cases.one(email="karin@norrsken.se")
        second = cases.one(email="karin@norrsken.se", status=S.WITHDRAWN)
        cases.one(email="karin@norrsken.se.example")
        cases.one(email="other@norrsken.se")
        assert refs(hanna.get("/staff/?q=Karin@NORRSKEN.se")) == [first, second]
        assert "Search for the e-mail address karin@norrsken.se" in page_text(
            hanna.get("/staff/?q=Karin@NORRSKEN.se")
        )

    def test_something_else_is_an_error(self, hanna: FlaskClient, cases: Cases) -> None:
        cases.one()
        for text in ("karin", "DSR-2025", "%", "a b@c.se"):
            answer = hanna.get("/staff/", query_string={"q": text})
            assert answer.status_code == 400, text
            assert "Enter a whole reference" in page_text(answer)

    def test_search_filters_helper(self) -> None:
        assert search_filters(" dsr-2026-000001 ") == QueueFilters(
            statuses=(), reference="DSR-2026-000001"
        )
        assert search_filters("A@B.SE") == QueueFilters(statuses=(), email="a@b.se")
        assert search_filters("2026") is None


class TestPaging:
    def test_pages_of_fifty_forward_and_back_without_gaps(
        self, hanna: FlaskClient, cases: Cases
    ) -> None:
        rows = [cases.row(due_in=d % 40) for d in range(120)] + cases.rows(10, status=S.COMPLETED)
        cases.add(*rows)
        ordered = [
            r["reference"]
            for r in sorted(rows, key=lambda r: (r["due_on"], r["id"]))
            if r["status"].is_open
        ]

        first = hanna.get("/staff/")
        page = page_text(first)
        assert refs(first) == ordered[:50]
        assert "120 cases match" in page
        assert "Previous page" not in page
        second_url = html.unescape(re.search(r'href="([^"]+)" rel="next"', page).group(1))
        second = hanna.get(second_url)
        assert refs(second) == ordered[50:100]
        third_url = html.unescape(
            re.search(r'href="([^"]+)" rel="next"', page_text(second)).group(1)
        )
        third = hanna.get(third_url)
        assert refs(third) == ordered[100:]
        assert 'rel="next"' not in page_text(third)
        back_url = html.unescape(re.search(r'href="([^"]+)" rel="prev"', page_text(third)).group(1))
        assert refs(hanna.get(back_url)) == ordered[50:100]
        back_again = re.search(r'href="([^"]+)" rel="prev"', page_text(hanna.get(back_url)))
        assert refs(hanna.get(html.unescape(back_again.group(1)))) == ordered[:50]

    def test_paging_keeps_the_filters(self, hanna: FlaskClient, cases: Cases) -> None:
        cases.add(*cases.rows(60, type=T.ERASURE), *cases.rows(5))
        page = page_text(hanna.get("/staff/?type=erasure"))
        link = html.unescape(re.search(r'href="([^"]+)" rel="next"', page).group(1))
        assert "type=erasure" in link
        assert len(refs(hanna.get(link))) == 10

    def test_a_broken_cursor_gives_the_first_page(self, hanna: FlaskClient, cases: Cases) -> None:
        first = cases.one()
        assert refs(hanna.get("/staff/?after=yesterday.x")) == [first]
        assert refs(hanna.get("/staff/?after=2099-01-01.5")) == [first]

    def test_the_count_is_capped(self, hanna: FlaskClient, cases: Cases) -> None:
        cases.add(*cases.rows(COUNT_CAP + 5))
        assert "more than 1,000 cases match" in page_text(hanna.get("/staff/"))


class TestQuery:
    def test_only_the_shown_columns_are_read(
        self, app: Flask, session: Session, cases: Cases, handler: StaffUser
    ) -> None:
        cases.add(*cases.rows(3), cases.row(assignee=handler))
        statements: list[str] = []

        def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(engine(), "before_cursor_execute", seen)
        try:
            page = queue_page(session, QueueFilters(), today=today())
        finally:
            event.remove(engine(), "before_cursor_execute", seen)
        assert len(page.rows) == 4
        assert page.rows[-1].assignee_name == "Hanna Handläggare"
        assert statements
        for sql in statements:
            assert "details" not in sql, sql
            assert "original_text" not in sql, sql

    @pytest.mark.parametrize(
        ("filters", "index"),
        [
            (QueueFilters(), "ix_subject_requests_status_due_on"),
            (QueueFilters(statuses=()), "ix_subject_requests_due_on"),
            (QueueFilters(reference="DSR-2025-000001", statuses=()), "reference"),
            (QueueFilters(email="a@b.se", statuses=()), "ix_subject_requests_email"),
            (QueueFilters(statuses=(), assignee=1), "ix_subject_requests_assignee_id_due_on"),
            (QueueFilters(statuses=(), type=T.ERASURE), "ix_subject_requests_type_due_on"),
            (QueueFilters(assignee=1), "ix_subject_requests_assignee_id_status_due_on"),
            (QueueFilters(assignee="none"), "ix_subject_requests_assignee_id_status_due_on"),
            (QueueFilters(type=T.ERASURE), "ix_subject_requests_type_status_due_on"),
            (
                QueueFilters(type=T.ERASURE, due=DueWindow.OVERDUE),
                "ix_subject_requests_type_status_due_on",
            ),
        ],
    )
    def test_every_view_reads_an_index(
        self, session: Session, filters: QueueFilters, index: str
    ) -> None:
        plan = " ".join(explain(session, page_query(filters, today=today())))
        assert index in plan, plan
        assert not re.search(r"SCAN subject_requests(?! USING)", plan), plan  # no table scan


class TestBulkAssignment:
    def test_chosen_cases_are_assigned_and_audited(
        self, hanna: FlaskClient, cases: Cases, officer: StaffUser, session: Session
    ) -> None:
        first, second, third = cases.add(*cases.rows(3))
        ids = [str(n) for n in (1, 2)]

        answer = hanna.post(
            "/staff/assign",
            data={
                "bulk-cases": ids,
                "bulk-assignee": str(officer.id),
                "bulk-next": "/staff/?type=all",
            },
        )

        assert answer.status_code == 303
        assert answer.headers["Location"] == "/staff/?type=all"
        session.expire_all()
        assigned = {c.reference: c.assignee_id for c in session.scalars(select(SubjectRequest))}
        assert assigned == {first: officer.id, second: officer.id, third: None}
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "case.assign").order_by(AuditEntry.id)
        ).all()
        assert [(a.reference, a.data["assignee_id"]) for a in audit] == [
            (first, officer.id), (second, officer.id),
        ]  # fmt: skip
        page = page_text(hanna.get("/staff/"))
        assert "2 cases assigned to Olof Ombud." in page
        assert refs(hanna.get(f"/staff/?assignee={officer.id}")) == [first, second]

    def test_unassigning_and_skipping_closed_cases(
        self, hanna: FlaskClient, cases: Cases, handler: StaffUser, session: Session
    ) -> None:
        cases.add(cases.row(assignee=handler), cases.row(assignee=handler, status=S.COMPLETED))
        hanna.post("/staff/assign", data={"bulk-cases": ["1", "2"], "bulk-assignee": "none"})
        page = page_text(hanna.get("/staff/"))
        assert "1 case unassigned." in page
        assert "1 case was not assigned: it is closed." in page
        session.expire_all()
        ordered = session.scalars(select(SubjectRequest).order_by(SubjectRequest.id))
        assert [c.assignee_id for c in ordered] == [None, handler.id]

    def test_nothing_chosen_or_an_unknown_assignee_changes_nothing(
        self, hanna: FlaskClient, cases: Cases, admin: StaffUser, session: Session
    ) -> None:
        cases.one()
        hanna.post("/staff/assign", data={"bulk-assignee": "none"})
        assert "Choose at least one case to assign." in page_text(hanna.get("/staff/"))
        answer = hanna.post(
            "/staff/assign", data={"bulk-cases": ["1"], "bulk-assignee": str(admin.id)}
        )
        assert answer.status_code == 303
        session.expire_all()
        assert session.scalars(select(SubjectRequest.assignee_id)).all() == [None]
        assert session.scalars(select(AuditEntry)).all() == []

    def test_a_foreign_next_is_ignored(self, hanna: FlaskClient, cases: Cases) -> None:
        cases.one()
        for target in ("https://evil.example/", "//evil.example/staff/", "/staff/accounts"):
            answer = hanna.post(
                "/staff/assign",
                data={"bulk-cases": ["1"], "bulk-assignee": "none", "bulk-next": target},
            )
            assert answer.headers["Location"] == "/staff/", target

    def test_a_get_changes_nothing(self, hanna: FlaskClient) -> None:
        assert hanna.get("/staff/assign").status_code == 405


class TestService:
    def test_filters_are_frozen(self) -> None:
        filters = QueueFilters()
        with pytest.raises(AttributeError):
            filters.type = T.ACCESS  # type: ignore[misc]
        assert filters.statuses == OPEN_STATUSES

    def test_cursor_round_trip(self) -> None:
        cursor = Cursor(date(2026, 12, 24), 42)
        assert Cursor.decode(cursor.encode()) == cursor
        assert Cursor.decode("nonsense") is None
        assert Cursor.decode(None) is None

    def test_overdue_is_only_open_cases(self, session: Session, cases: Cases) -> None:
        cases.add(cases.row(due_in=-1), cases.row(due_in=-1, status=S.COMPLETED))
        page = queue_page(session, QueueFilters(statuses=(), due=DueWindow.OVERDUE), today=today())
        assert [r.status for r in page.rows] == [S.RECEIVED]
        assert page.rows[0].is_overdue(today())

    def test_a_row_due_today(self, session: Session, cases: Cases) -> None:
        cases.one(due_in=0)
        row = queue_page(session, QueueFilters(), today=today()).rows[0]
        assert row.days_left(today()) == 0
        assert row.is_due_soon(today())
        assert not row.is_overdue(today())
