"""The audit trail page for the privacy officer, and no personal data in the application log."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.cli import run_worker_once
from app.core.workflow import RequestType
from app.models import AuditEntry, StaffUser, SubjectRequest
from app.services import audit, intake
from tests.conftest import Clock
from tests.helpers import add_person, page_text
from tests.smtp import Mailbox
from tests.web.test_staff_intake import KARIN, LETTER, check_structure, register

ROW = re.compile(r'<th scope="row">')


@pytest.fixture
def officer_client(officer_client: FlaskClient) -> FlaskClient:
    """The officer, reading the pages in English (the texts these tests look for)."""
    officer_client.get("/language/en?next=/")
    return officer_client


def trail(client: FlaskClient, **filters: object) -> TestResponse:
    return client.get("/staff/audit", query_string=filters)


def rows(answer: TestResponse) -> int:
    return len(ROW.findall(page_text(answer)))


def table(answer: TestResponse) -> str:
    """The entries shown (not the filter form, whose lists name every action and person)."""
    html = page_text(answer)
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""


def views(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == "audit.view").order_by(AuditEntry.id)
        )
    )


def new_case(session: Session, clock: Clock, email: str = KARIN) -> SubjectRequest:
    case = intake.file_request(
        session, email=email, type=RequestType.ACCESS, details={}, original_text=None,
        language="sv", now=clock(),
    )  # fmt: skip
    session.commit()
    return case


class TestAccess:
    def test_only_the_officer_reads_the_trail(
        self,
        officer_client: FlaskClient,
        handler_client: FlaskClient,
        admin_client: FlaskClient,
        client: FlaskClient,
    ) -> None:
        assert trail(officer_client).status_code == 200
        assert trail(handler_client).status_code == 403
        assert trail(admin_client).status_code == 403
        anonymous = trail(client)
        assert anonymous.status_code == 302
        assert anonymous.headers["Location"].startswith("/staff/login")

    def test_the_menu_shows_the_trail_to_the_officer_only(
        self, officer_client: FlaskClient, handler_client: FlaskClient
    ) -> None:
        assert 'href="/staff/audit" aria-current="page"' in page_text(trail(officer_client))
        assert "/staff/audit" not in page_text(handler_client.get("/staff/intake"))


class TestEntries:
    def test_an_entry_shows_when_who_what_which_case_and_data(
        self,
        officer_client: FlaskClient,
        handler_client: FlaskClient,
        session: Session,
        handler: StaffUser,
    ) -> None:
        register(handler_client)
        reference = session.scalars(select(SubjectRequest.reference)).one()

        page = trail(officer_client)

        assert page.status_code == 200
        html = page_text(page)
        check_structure(html)
        assert rows(page) == 1  # the page's own view is recorded after the page is read
        assert "2026-11-24 10:00:00" in html  # 09:00 UTC, shown in Swedish time
        assert 'datetime="2026-11-24T09:00:00+00:00"' in html
        assert handler.name in html
        assert "Registered a request received outside the portal" in html
        assert f'<a href="/staff/cases/{reference}">{reference}</a>' in html
        assert "<code>channel</code>: letter" in html
        assert "<code>received_on</code>: 2026-11-12" in html
        assert KARIN not in html  # identifiers only

    def test_the_system_the_person_and_unnamed_actions(
        self, officer_client: FlaskClient, session: Session, clock: Clock
    ) -> None:
        audit.record(session, action="purge.tokens", now=clock(), data={"count": 3})
        audit.record(session, action="case.view", now=clock(), actor="subject", person_id=42)
        audit.record(session, action="login_fail", now=clock(), actor="anonymous")
        session.commit()
        html = page_text(trail(officer_client))
        assert "The system" in html
        assert "The person" in html
        assert "purge.tokens" in html  # no readable name yet: the code itself
        assert "Viewed a case" in html
        assert "<td>42</td>" in html
        assert "<code>count</code>: 3" in html
        assert "Not signed in" in table(trail(officer_client, actor="anonymous"))
        assert "Failed sign-in" in table(trail(officer_client, action="login_fail"))

    def test_newest_first(
        self, officer_client: FlaskClient, session: Session, clock: Clock
    ) -> None:
        audit.record(session, action="first.action", now=clock())
        clock.advance(minutes=1)
        audit.record(session, action="second.action", now=clock())
        session.commit()
        shown = table(trail(officer_client))
        assert shown.index("second.action") < shown.index("first.action")

    def test_reading_the_trail_is_itself_recorded(
        self, officer_client: FlaskClient, officer: StaffUser, session: Session
    ) -> None:
        trail(officer_client, action="case.intake", reference="dsr-2026-000001")
        (view,) = views(session)
        assert view.actor_id == officer.id
        assert view.data == {"filters": {"action": "case.intake", "reference": "DSR-2026-000001"}}
        assert "Viewed the audit trail" in page_text(trail(officer_client))

    def test_an_empty_result_says_so(self, officer_client: FlaskClient) -> None:
        answer = trail(officer_client, action="case.note")
        assert "No entries match the filters." in page_text(answer)
        assert rows(answer) == 0


class TestFilters:
    @pytest.fixture
    def entries(
        self,
        session: Session,
        clock: Clock,
        handler: StaffUser,
        officer: StaffUser,
    ) -> dict[str, SubjectRequest]:
        first = new_case(session, clock)
        second = new_case(session, clock, "bertil@example.com")
        # Written as if later; the clock stays, so the officer's session does not time out.
        start, day = clock(), timedelta(days=1)
        audit.record(session, action="case.start", now=start, staff=handler, request=first)
        audit.record(
            session, action="case.note", now=start + 2 * day, staff=handler, request=second
        )
        audit.record(
            session, action="case.complete", now=start + 4 * day, staff=officer, request=first
        )  # Saturday 28 November
        session.commit()
        return {"first": first, "second": second}

    def test_by_staff_member(
        self,
        officer_client: FlaskClient,
        entries: dict[str, SubjectRequest],
        handler: StaffUser,
        officer: StaffUser,
    ) -> None:
        shown = table(trail(officer_client, actor=handler.actor))
        assert "Started work on a case" in shown
        assert "Wrote an internal note" in shown
        assert "Completed a case" not in shown
        answer = trail(officer_client, actor=officer.actor, action="case.complete")
        assert rows(answer) == 1
        assert "Completed a case" in table(answer)

    def test_by_action(
        self, officer_client: FlaskClient, entries: dict[str, SubjectRequest]
    ) -> None:
        answer = trail(officer_client, action="case.note")
        assert rows(answer) == 1
        assert entries["second"].reference in table(answer)

    def test_by_case_reference(
        self, officer_client: FlaskClient, entries: dict[str, SubjectRequest]
    ) -> None:
        reference = entries["first"].reference
        answer = trail(officer_client, reference=f" {reference.lower()} ")
        assert rows(answer) == 2
        assert entries["second"].reference not in table(answer)

    def test_by_the_reference_of_a_case_that_is_gone(
        self, officer_client: FlaskClient, session: Session, clock: Clock
    ) -> None:
        entry = AuditEntry(
            occurred_at=clock(), actor="system", action="case.purged", request_id=999,
            reference="DSR-2020-000001", data={},
        )  # fmt: skip
        session.add(entry)
        session.commit()
        answer = trail(officer_client, reference="DSR-2020-000001")
        assert rows(answer) == 1
        assert "case.purged" in table(answer)

    def test_by_dates_in_stockholm(
        self, officer_client: FlaskClient, entries: dict[str, SubjectRequest]
    ) -> None:
        assert rows(trail(officer_client, date_from="2026-11-26", date_to="2026-11-26")) == 1
        assert rows(trail(officer_client, date_from="2026-11-26")) == 2
        # 24 November: the two filings, the start and the views of the trail so far
        shown = table(trail(officer_client, date_to="2026-11-24", action="case.start"))
        assert entries["first"].reference in shown

    def test_a_day_runs_from_midnight_in_stockholm(
        self, officer_client: FlaskClient, session: Session
    ) -> None:
        late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 00:30 on 25 November in Stockholm
        audit.record(session, action="late.action", now=late)
        session.commit()
        assert "late.action" in table(trail(officer_client, date_from="2026-11-25"))
        assert "late.action" not in table(trail(officer_client, date_to="2026-11-24"))

    @pytest.mark.parametrize(
        ("filters", "message"),
        [
            ({"date_from": "2026-11-24", "date_to": "2026-11-01"}, "cannot be before"),
            ({"date_from": "yesterday"}, "YYYY-MM-DD"),
            ({"actor": "staff:9999"}, "Not a valid choice"),
            ({"action": "'; DROP TABLE audit_entries; --"}, "Not a valid choice"),
        ],
    )
    def test_invalid_filters_are_refused(
        self,
        officer_client: FlaskClient,
        session: Session,
        filters: dict[str, str],
        message: str,
    ) -> None:
        answer = trail(officer_client, **filters)
        assert answer.status_code == 400
        html = page_text(answer)
        assert message in html
        assert "<table" not in html
        assert views(session) == []  # nothing was shown, so nothing was seen


class TestPaging:
    def test_a_hundred_a_page_by_keyset(
        self, officer_client: FlaskClient, session: Session, clock: Clock
    ) -> None:
        for n in range(230):
            audit.record(session, action="case.view", now=clock(), data={"n": n})
            clock.advance(seconds=1)
        session.commit()

        first = trail(officer_client, action="case.view")
        assert rows(first) == 100
        html = page_text(first)
        assert "<code>n</code>: 229" in html
        assert "Newer entries" not in html
        older = re.search(r'href="([^"]+)" rel="next"', html)
        assert older

        second = officer_client.get(older.group(1).replace("&amp;", "&"))
        assert rows(second) == 100
        html = page_text(second)
        assert "<code>n</code>: 129" in html
        assert "<code>n</code>: 130" not in html
        assert "action=case.view" in html  # the links keep the filters

        older = re.search(r'href="([^"]+)" rel="next"', html)
        assert older
        third = officer_client.get(older.group(1).replace("&amp;", "&"))
        assert rows(third) == 30
        html = page_text(third)
        assert 'rel="next"' not in html
        newer = re.search(r'href="([^"]+)" rel="prev"', html)
        assert newer

        back = officer_client.get(newer.group(1).replace("&amp;", "&"))
        assert rows(back) == 100
        assert "<code>n</code>: 129" in page_text(back)
        assert "<code>n</code>: 30" in page_text(back)
        recorded = [sorted(v.data) for v in views(session)]
        assert recorded == [["filters"], ["before", "filters"], ["before", "filters"],
                            ["after", "filters"]]  # fmt: skip


class TestApplicationLog:
    def test_a_staff_flow_logs_no_personal_data(
        self,
        app: Flask,
        handler_client: FlaskClient,
        officer_client: FlaskClient,
        session: Session,
        clock: Clock,
        mailbox: Mailbox,
        handler: StaffUser,
        officer: StaffUser,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        add_person(session, KARIN, clock(), name="Karin Lindqvist")
        register(handler_client, email="not-an-address@", original_text=LETTER)  # refused
        register(handler_client, received_on=(clock() - timedelta(days=40)).date().isoformat())
        reference = session.scalars(select(SubjectRequest.reference)).one()
        case = session.scalars(select(SubjectRequest)).one()
        case.assignee_id = handler.id
        session.commit()
        handler_client.get(f"/staff/cases/{reference}")
        handler_client.get("/staff/", query_string={"q": KARIN})
        trail(officer_client, reference=reference)
        mailbox.down = True  # a failed delivery is logged too
        run_worker_once(app)
        mailbox.down = False
        clock.advance(minutes=5)
        run_worker_once(app)
        assert mailbox.to(officer.email)  # the flow did run: the overdue alert arrived

        secrets = [KARIN, "not-an-address", "Lindqvist", "Jag vill veta", "hälsningar"]
        records = [r for r in caplog.records if not r.name.startswith(("mail.log", "asyncio"))]
        assert records, "the flow should log something (the worker's delivery failure)"
        for record in records:
            logged = record.getMessage() + (record.exc_text or "")
            for secret in secrets:
                assert secret.lower() not in logged.lower(), (record.name, logged)


def test_every_action_the_code_records_has_a_readable_name() -> None:
    """The officer reads the trail in words: no action code is shown raw."""
    import re
    from pathlib import Path

    from app.staff.audit_log import ACTION_LABELS

    app_dir = Path(__file__).resolve().parents[2] / "app"
    source = "\n".join(p.read_text() for p in app_dir.rglob("*.py"))
    codes = set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', source))
    codes |= set(re.findall(r'"((?:register|policy)\.[a-z_]+(?:\.[a-z_]+)?)"', source))
    kinds = ("extension", "refusal", "erasure", "objection")
    codes |= {f"case.{verb}_{kind}" for verb in ("propose", "approve", "reject") for kind in kinds}
    whats = ("sent", "failed", "confirmed", "resend", "not_notified")
    codes |= {f"notice.{what}" for what in whats}
    missing = sorted(code for code in codes if code not in ACTION_LABELS)
    assert not missing
