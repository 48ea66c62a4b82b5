"""Steps of case handling shared by the staff case and subject message tests.

Staff act through the case page's own forms (each action its own POST); the person through the
portal. Everything is real: the Flask test client, SQLite and the SMTP server of tests.smtp.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.models import Approval, ApprovalStatus, AuditEntry, StaffUser
from tests.conftest import Clock
from tests.factories import ANNA as CROWD_ANNA
from tests.factories import Crowd, build_crowd
from tests.helpers import file_request, page_text, reference_from, set_language, verify
from tests.smtp import Mailbox
from tests.staff import sign_in_as

ANNA = "anna@example.com"
BERTIL = "bertil@example.com"


def subject(app: Flask, mailbox: Mailbox, email: str = ANNA) -> FlaskClient:
    """A browser of the person, in English, with the address confirmed."""
    browser = app.test_client()
    set_language(browser, "en")
    verify(browser, mailbox, email)
    return browser


def staff(app: Flask, user: StaffUser) -> FlaskClient:
    """A browser of a staff member, signed in now (by the app's clock), in English."""
    browser = sign_in_as(app, user)
    set_language(browser, "en")
    return browser


def file_case(
    browser: FlaskClient, kind: str = "erasure", data: dict[str, Any] | None = None
) -> str:
    return reference_from(file_request(browser, kind, data))


def act(browser: FlaskClient, reference: str, action: str, **fields: Any) -> TestResponse:
    """POST one action of the case page; ``fields`` are named as the page names them."""
    return browser.post(f"/staff/cases/{reference}/{action}", data=fields)


def acted(browser: FlaskClient, reference: str, action: str, **fields: Any) -> str:
    """Do an action that must succeed and return the case page it leads back to."""
    answer = act(browser, reference, action, **fields)
    assert answer.status_code == 303, (answer.status_code, page_text(answer)[:2000])
    assert answer.headers["Location"] == f"/staff/cases/{reference}"
    page = page_text(browser.get(answer.headers["Location"]))
    assert 'class="flash flash-success"' in page, page
    return page


def refused_with(browser: FlaskClient, reference: str, action: str, **fields: Any) -> str:
    """Do an action that must be turned down with a message; return that message's page."""
    answer = act(browser, reference, action, **fields)
    assert answer.status_code == 303, (answer.status_code, page_text(answer)[:2000])
    page = page_text(browser.get(answer.headers["Location"]))
    assert 'class="flash flash-error"' in page, page
    return page


def pending_approval(session: Session, reference: str) -> Approval:
    session.expire_all()
    found = session.scalars(
        select(Approval).where(Approval.status == ApprovalStatus.PENDING).order_by(Approval.id)
    ).all()
    found = [a for a in found if a.request.reference == reference]
    assert len(found) == 1, found
    return found[0]


def decide(
    browser: FlaskClient, reference: str, approval: Approval, decision: str, note: str = ""
) -> TestResponse:
    return browser.post(
        f"/staff/cases/{reference}/decide",
        data={"approval_id": str(approval.id), "decision": decision, "note": note},
    )


def audit_actions(session: Session, reference: str) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.reference == reference)
            .order_by(AuditEntry.id)
        )
    )


def flash_error(page: str) -> str:
    start = page.index('class="flash flash-error"')
    return page[start : page.index("</p>", start)]


@pytest.fixture
def anna(app: Flask, mailbox: Mailbox) -> FlaskClient:
    return subject(app, mailbox, ANNA)


@pytest.fixture
def crowd(app: Flask, session: Session, clock: Clock) -> Crowd:
    """The look-alike crowd of ``tests.factories`` on 60 demo leads: enough for the pages."""
    return build_crowd(session, clock(), leads=60)


@pytest.fixture
def person(app: Flask, mailbox: Mailbox, crowd: Crowd) -> FlaskClient:
    """The browser of Anna of the crowd, address confirmed."""
    return subject(app, mailbox, CROWD_ANNA)


@pytest.fixture
def hanna(app: Flask, handler: StaffUser) -> FlaskClient:
    """The handler's browser."""
    return staff(app, handler)


@pytest.fixture
def olof(app: Flask, officer: StaffUser) -> FlaskClient:
    """The privacy officer's browser."""
    return staff(app, officer)
