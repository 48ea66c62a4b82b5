"""Manual intake: staff register a request that came by letter, phone, e-mail or in person.

Through the Flask test client with the real SQLite and the real SMTP server: the receipt date is
back-dated to when the request arrived, the legal deadline counts from it, the person gets the
receipt, and only case workers may register.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.core.deadlines import legal_deadline
from app.core.workflow import Channel, RequestStatus, RequestType
from app.models import AuditEntry, Consent, OutboundEmail, Person, SubjectRequest
from app.models.staff import StaffUser
from tests.conftest import Clock
from tests.helpers import add_person, count, page_text, set_language, text_of
from tests.smtp import Mailbox

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
TODAY = date(2026, 11, 24)  # the clock's start: Tuesday 24 November 2026, 10:00 in Stockholm
KARIN = "karin.lindqvist@norrskenbygg.se"
LETTER = (
    "Hej!\r\n\r\nJag vill veta vilka uppgifter ni har om mig och varifrån ni fått dem.\r\n"
    "Med vänliga hälsningar\r\nKarin Lindqvist, Umeå"
)


# --- page checks --------------------------------------------------------------------------------


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.controls: list[tuple[str, dict[str, str | None]]] = []
        self.label_for: set[str] = set()
        self.fieldsets = 0
        self.legends = 0
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "h1":
            self.h1 += 1
        elif tag in {"input", "select", "textarea"}:
            if a.get("type") not in {"hidden", "submit", "button"}:
                self.controls.append((tag, a))
        elif tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        elif tag == "fieldset":
            self.fieldsets += 1
        elif tag == "legend":
            self.legends += 1
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and a.get("scope") not in {"col", "row"}:
            self.th_without_scope += 1


def check_structure(html: str) -> None:
    """One h1, a label for every control, a legend for every fieldset, captioned tables whose
    header cells have a scope, and ids used once."""
    page = _Structure()
    page.feed(html)
    assert page.h1 == 1
    unlabelled = [a.get("name") for _, a in page.controls if a.get("id") not in page.label_for]
    assert not unlabelled, f"controls without a label: {unlabelled}"
    assert page.fieldsets == page.legends
    assert page.tables == page.captions
    assert page.th_without_scope == 0
    assert len(page.ids) == len(set(page.ids)), "an id is used twice"


# --- filing -------------------------------------------------------------------------------------


def form(**overrides: Any) -> dict[str, Any]:
    """A complete intake form as a browser sends it (empty optional fields included)."""
    data = {
        "email": "  Karin.Lindqvist@NorrskenBygg.se ",
        "type": "access",
        "channel": "letter",
        "received_on": (TODAY - timedelta(days=12)).isoformat(),
        "received_time": "",
        "language": "sv",
        "original_text": LETTER,
        "identity_check": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def register(client: FlaskClient, **overrides: Any) -> TestResponse:
    return client.post("/staff/intake", data=form(**overrides))


def the_case(session: Session) -> SubjectRequest:
    session.expire_all()
    return session.scalars(select(SubjectRequest)).one()


def flashes(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as sess:
        return list(sess.get("_flashes", []))


def intake_entries(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "case.intake")))


class TestPage:
    def test_the_form_asks_for_everything_intake_needs(self, handler_client: FlaskClient) -> None:
        page = handler_client.get("/staff/intake")
        assert page.status_code == 200
        html = page_text(page)
        check_structure(html)
        for name in ("email", "type", "channel", "received_on", "received_time", "language"):
            assert f'name="{name}"' in html
        assert 'type="date"' in html
        assert f'max="{TODAY.isoformat()}"' in html
        assert 'value="portal"' not in html  # the portal files its own requests
        assert 'name="original_text"' in html
        assert 'name="identity_check"' in html

    def test_the_menu_marks_the_page(self, handler_client: FlaskClient) -> None:
        html = page_text(handler_client.get("/staff/intake"))
        assert 'href="/staff/intake" aria-current="page"' in html


class TestBackDating:
    def test_a_letter_counts_from_the_day_it_arrived(
        self,
        handler_client: FlaskClient,
        session: Session,
        handler: StaffUser,
        mailbox: Mailbox,
    ) -> None:
        arrived = date(2026, 11, 12)
        answer = register(handler_client, received_on=arrived.isoformat())

        filed = the_case(session)
        assert answer.status_code == 303
        assert answer.headers["Location"] == f"/staff/cases/{filed.reference}"
        assert filed.channel is Channel.LETTER
        assert filed.received_on == arrived
        assert filed.received_at == datetime(2026, 11, 12, 11, 0, tzinfo=UTC)  # noon, CET
        assert filed.due_on == filed.legal_due_on == legal_deadline(arrived)
        assert filed.created_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # typed in today
        assert filed.status is RequestStatus.RECEIVED
        assert filed.type is RequestType.ACCESS
        assert filed.email == KARIN
        assert filed.language == "sv"
        assert filed.original_text == LETTER  # the person's words, unchanged
        assert filed.verified_at is None  # the person confirms the address in the portal
        (event,) = filed.events
        assert (event.kind, event.actor, event.data) == (
            "filed",
            handler.actor,
            {"channel": "letter"},
        )
        (entry,) = intake_entries(session)
        assert (entry.actor_id, entry.request_id, entry.reference) == (
            handler.id,
            filed.id,
            filed.reference,
        )
        assert entry.data == {"channel": "letter", "type": "access", "received_on": "2026-11-12"}
        receipt = mailbox.last_to(KARIN)
        assert filed.reference in receipt["Subject"]
        assert "/cases" in text_of(receipt)

    def test_a_letter_received_40_days_ago_is_overdue_at_once(
        self, handler_client: FlaskClient, session: Session
    ) -> None:
        arrived = TODAY - timedelta(days=40)
        set_language(handler_client, "en")
        register(handler_client, received_on=arrived.isoformat())
        filed = the_case(session)
        assert filed.due_on == legal_deadline(arrived) < TODAY
        messages = flashes(handler_client)
        assert messages[0][0] == "success"
        assert filed.reference in messages[0][1]
        assert messages[1][0] == "error"
        assert "overdue" in messages[1][1]

    def test_a_recent_letter_gets_no_warning(
        self, handler_client: FlaskClient, session: Session
    ) -> None:
        register(handler_client, received_on=(TODAY - timedelta(days=3)).isoformat())
        assert [category for category, _ in flashes(handler_client)] == ["success"]

    def test_the_time_of_receipt_is_stockholm_time(
        self, handler_client: FlaskClient, session: Session
    ) -> None:
        register(handler_client, received_on="2026-07-01", received_time="08:15", channel="phone")
        filed = the_case(session)
        assert filed.received_at == datetime(2026, 7, 1, 6, 15, tzinfo=UTC)  # CEST
        assert filed.channel is Channel.PHONE

    def test_shortly_after_midnight_in_stockholm_is_that_day(
        self, handler_client: FlaskClient, session: Session
    ) -> None:
        register(handler_client, received_on="2026-11-20", received_time="00:30")
        filed = the_case(session)
        assert filed.received_at == datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
        assert filed.received_on == date(2026, 11, 20)
        assert filed.due_on == legal_deadline(date(2026, 11, 20))

    def test_today_without_a_time_is_not_in_the_future(
        self, handler_client: FlaskClient, session: Session, clock: Clock
    ) -> None:
        register(handler_client, received_on=TODAY.isoformat(), channel="in_person")
        filed = the_case(session)
        assert filed.received_at <= clock()
        assert filed.received_on == TODAY

    def test_the_identity_check_note_and_language_are_kept(
        self, handler_client: FlaskClient, session: Session, mailbox: Mailbox
    ) -> None:
        register(
            handler_client,
            channel="email",
            language="en",
            identity_check="The e-mail came from the address in the CRM.",
        )
        filed = the_case(session)
        assert filed.details == {"identity_check": "The e-mail came from the address in the CRM."}
        assert filed.language == "en"
        assert mailbox.last_to(KARIN)["Content-Language"] == "en"

    def test_a_double_submit_files_one_case(
        self, handler_client: FlaskClient, session: Session
    ) -> None:
        first = register(handler_client, submission_key="same-form")
        second = register(handler_client, submission_key="same-form")
        assert first.headers["Location"] == second.headers["Location"]
        assert count(session, SubjectRequest) == 1
        assert len(intake_entries(session)) == 1


class TestImmediateEffects:
    def test_an_objection_to_direct_marketing_takes_effect_at_once(
        self, handler_client: FlaskClient, session: Session, clock: Clock
    ) -> None:
        add_person(session, KARIN, clock())
        register(handler_client, type="objection", objection_kind="direct_marketing")
        filed = the_case(session)
        assert filed.details == {"kind": "direct_marketing"}
        assert filed.status is RequestStatus.COMPLETED
        person = session.scalars(select(Person).where(Person.email == KARIN)).one()
        assert person.marketing_objection_at == clock()

    def test_an_objection_on_legitimate_interest_waits_for_a_handler(
        self, handler_client: FlaskClient, session: Session
    ) -> None:
        register(handler_client, type="objection", objection_kind="legitimate_interest")
        assert the_case(session).status is RequestStatus.RECEIVED

    def test_a_withdrawal_of_consent_takes_effect_at_once(
        self, handler_client: FlaskClient, session: Session, clock: Clock
    ) -> None:
        add_person(session, KARIN, clock(), consents=("direct_marketing",))
        page = page_text(handler_client.get("/staff/intake"))
        # every consent purpose of the register is offered, and chosen to begin with
        assert re.search(r'<input checked [^>]*value="direct_marketing"', page)
        register(handler_client, type="consent_withdrawal", consent_purposes="direct_marketing")
        filed = the_case(session)
        assert filed.status is RequestStatus.COMPLETED
        (consent,) = session.scalars(select(Consent)).all()
        assert consent.withdrawn_at == clock()
        assert filed.details == {"purposes": ["direct_marketing"], "consent_ids": [consent.id]}


class TestValidation:
    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"received_on": "2026-11-25"}, "cannot be in the future"),
            ({"received_on": "2025-11-23"}, "more than 12 months ago"),
            ({"received_on": ""}, "Enter the date the request arrived"),
            ({"received_on": "24/11/2026"}, "YYYY-MM-DD"),
            ({"received_on": TODAY.isoformat(), "received_time": "10:01"}, "later than now"),
            ({"received_time": "25:00"}, "HH:MM"),
            ({"email": "karin.lindqvist@"}, "valid e-mail address"),
            ({"email": ""}, "Enter the person's e-mail address"),
            ({"original_text": ""}, "own words"),
            ({"original_text": "  \r\n "}, "own words"),
            ({"original_text": "x" * 20_001}, "At most 20000 characters"),
            ({"channel": "portal"}, "Choose how the request arrived"),
            ({"channel": None}, "Choose how the request arrived"),
            ({"type": None}, "Choose the type of request"),
            ({"type": "complaint"}, "Choose the type of request"),
            ({"language": "de"}, "Choose Swedish or English"),
            ({"type": "objection"}, "Choose what the person objects to"),
            ({"type": "consent_withdrawal"}, "Choose at least one consent"),
            ({"identity_check": "x" * 501}, "At most 500 characters"),
        ],
    )
    def test_an_invalid_form_is_refused_and_stores_nothing(
        self,
        handler_client: FlaskClient,
        session: Session,
        mailbox: Mailbox,
        overrides: dict[str, Any],
        message: str,
    ) -> None:
        handler_client.get("/language/en?next=/")
        answer = register(handler_client, **overrides)
        assert answer.status_code == 400
        html = page_text(answer)
        assert message in html
        assert 'class="error-summary"' in html
        check_structure(html)
        assert count(session, SubjectRequest) == 0
        assert count(session, OutboundEmail) == 0
        assert intake_entries(session) == []
        assert mailbox.messages == []

    def test_what_was_typed_is_kept_on_the_refused_form(self, handler_client: FlaskClient) -> None:
        html = page_text(register(handler_client, received_on="2030-01-01"))
        assert "Jag vill veta vilka uppgifter ni har om mig" in html
        assert 'value="2030-01-01"' in html


class TestAccess:
    def test_handlers_and_officers_may_register(
        self, handler_client: FlaskClient, officer_client: FlaskClient, session: Session
    ) -> None:
        assert handler_client.get("/staff/intake").status_code == 200
        assert officer_client.get("/staff/intake").status_code == 200
        assert register(officer_client).status_code == 303
        assert count(session, SubjectRequest) == 1

    def test_an_administrator_gets_nothing(
        self, admin_client: FlaskClient, session: Session
    ) -> None:
        assert admin_client.get("/staff/intake").status_code == 403
        assert register(admin_client).status_code == 403
        assert count(session, SubjectRequest) == 0

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_anonymous_is_sent_to_the_login(
        self, client: FlaskClient, session: Session, method: str
    ) -> None:
        answer = (
            client.get("/staff/intake")
            if method == "get"
            else client.post("/staff/intake", data=form())
        )
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/staff/login")
        assert count(session, SubjectRequest) == 0

    def test_an_inactive_account_gets_nothing(
        self, handler_client: FlaskClient, handler: StaffUser, session: Session
    ) -> None:
        handler.active = False
        session.commit()
        answer = register(handler_client)
        assert answer.status_code == 302
        assert count(session, SubjectRequest) == 0


# --- valid HTML (the Nu Html Checker, as the browser tests use it) -------------------------------


@pytest.mark.skipif(
    shutil.which("java") is None or not VNU_JAR.exists(), reason="needs Java and vnu.jar"
)
def test_the_pages_are_valid_html(
    officer_client: FlaskClient, session: Session, tmp_path: Path
) -> None:
    officer_client.get("/language/en?next=/")
    pages = {
        "intake": page_text(officer_client.get("/staff/intake")),
        "intake-errors": page_text(register(officer_client, received_on="2030-01-01", email="x")),
    }
    register(officer_client)
    pages["audit"] = page_text(officer_client.get("/staff/audit"))
    pages["audit-errors"] = page_text(
        officer_client.get("/staff/audit?date_from=2026-11-24&date_to=2026-11-01")
    )
    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(  # noqa: S603  (fixed command, our own temp files)
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout", *files],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(result.stdout or "{}").get("messages", [])
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}"
        for m in messages
        if m.get("type") != "info"
    ]
    assert not errors, "\n".join(errors)
