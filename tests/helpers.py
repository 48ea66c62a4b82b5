"""Helpers shared by the web, service and mail tests: walk the journey as a person would.

Everything goes through the real parts: the Flask test client, the real SMTP server the app mails
to (``tests.smtp.Mailbox``) and the real SQLite database.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.core.workflow import RequestType
from app.db import get_session
from app.models import Company, Consent, Person, PersonKind, Purpose, SubjectRequest
from app.services.register_seed import seed_register
from tests.conftest import make_app
from tests.smtp import Mailbox

BASE_URL = "https://portal.example.test"  # what tests.conftest.make_app configures
LINK = re.compile(r"https?://[^\s/]+(/verify/[A-Za-z0-9._-]+)")
CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b")
REFERENCE = re.compile(r"DSR-\d{4}-\d{6}")

# The smallest valid form for each request type, keyed by the URL slug.
VALID_FORMS: dict[str, dict[str, Any]] = {
    "access": {"scope": "all", "formats": ["pdf"]},
    "rectification": {"phone": "070-123 45 67"},
    "erasure": {"scope": "all", "ground": "unsure"},
    "restriction": {"ground": "accuracy"},
    "objection": {"kind": "direct_marketing"},
    "consent-withdrawal": {},  # also needs "consents": ids of the active consents of the person
    "portability": {"formats": ["json"]},
}


def slug(request_type: RequestType) -> str:
    return request_type.value.replace("_", "-")


# --- mail -------------------------------------------------------------------------------------


def text_of(message: EmailMessage) -> str:
    return Mailbox.text(message)


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the e-mail has no HTML part"
    return part.get_content()


def link_path(message: EmailMessage) -> str:
    """The ``/verify/<token>`` path of the link in a verification e-mail."""
    found = LINK.search(text_of(message))
    assert found, "no verification link in the e-mail"
    return found.group(1)


def link_token(message: EmailMessage) -> str:
    return link_path(message).removeprefix("/verify/")


def code_of(message: EmailMessage) -> str:
    found = CODE.search(text_of(message))
    assert found, "no code in the e-mail"
    return found.group(1)


def b64_segments(token: str) -> list[bytes]:
    """Each ``.``-separated part of a signed token, base64url-decoded."""
    return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(".")]


# --- the journey ------------------------------------------------------------------------------


def ask_for_link(client: FlaskClient, email: str, **kwargs: Any) -> TestResponse:
    return client.post("/start", data={"email": email}, **kwargs)


def verify(client: FlaskClient, mailbox: Mailbox, email: str) -> None:
    """Ask for a link, read it from the e-mail that arrived, open it and press the button.

    An address gets at most TOKENS_PER_ADDRESS_PER_HOUR (5) links an hour: verifying the same
    address more often in one app needs other addresses or ``clock.advance(hours=1)``.
    """
    before = len(mailbox.to(email))
    ask_for_link(client, email)
    assert len(mailbox.to(email)) == before + 1, (
        f"no new e-mail to {email}: the hourly limit of links per address reached?"
    )
    path = link_path(mailbox.last_to(email))
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    confirmed = client.post(path)
    assert confirmed.status_code == 303, confirmed.status_code
    assert confirmed.headers["Location"].endswith("/overview")


def set_language(client: FlaskClient, code: str) -> None:
    client.get(f"/language/{code}?next=/")


def file_request(
    client: FlaskClient, request_type: str, data: dict[str, Any] | None = None
) -> TestResponse:
    """POST a request form (the smallest valid one unless ``data`` is given).

    Like a browser, it always sends the text area, empty or not (unchecked boxes are left out).
    """
    form = dict(VALID_FORMS[request_type] if data is None else data)
    form.setdefault("message", "")
    return client.post(f"/requests/new/{request_type}", data=form)


def reference_from(response: TestResponse) -> str:
    """The reference of the case a filing redirected to."""
    assert response.status_code == 303, response.status_code
    found = REFERENCE.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(0)


def page_text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


# --- records ----------------------------------------------------------------------------------


def squash(text: str) -> str:
    """Text as read: entities decoded, whitespace runs as one space."""
    return re.sub(r"\s+", " ", html.unescape(text))


def add_person(
    session: Session,
    email: str,
    now: datetime,
    *,
    name: str = "Karin Lindqvist",
    phone: str | None = "070-111 22 33",
    consents: tuple[str, ...] = (),
) -> Person:
    """A lead at a company, with active consents for the given purpose codes; committed."""
    company = Company(name="Norrsken Bygg AB", org_number="556677-8899", city="Umeå")
    person = Person(
        email=email,
        name=name,
        phone=phone,
        job_title="Inköpschef",
        company=company,
        kind=PersonKind.LEAD,
        source="Bolagets webbplats",
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    for code in consents:
        purpose = session.scalar(select(Purpose).where(Purpose.code == code))
        assert purpose is not None, f"no purpose {code!r} in the seeded register"
        person.consents.append(
            Consent(purpose=purpose, given_at=now, evidence="Formulär på webbplatsen")
        )
    session.commit()
    return person


def case(session: Session, reference: str) -> SubjectRequest:
    """A case as the database holds it now (not as an earlier read cached it)."""
    session.expire_all()
    found = session.scalar(select(SubjectRequest).where(SubjectRequest.reference == reference))
    assert found is not None, reference
    return found


def count(session: Session, model: type) -> int:
    session.expire_all()
    return len(session.scalars(select(model)).all())


# --- apps with special settings -----------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def build_app(tmp_path: Any, clock: Any, smtp_config: dict[str, Any], **overrides: Any) -> Flask:
    """An app like the ``app`` fixture (register seeded, real SMTP, test clock) with overrides.

    No app context stays pushed, so every request gets its own, as in production.
    """
    app = make_app(tmp_path, **{**smtp_config, **overrides})
    app.extensions["clock"] = clock
    with app.app_context():
        seed_register(get_session())
        get_session().commit()
    return app


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token a page gives this browser (only with WTF_CSRF_ENABLED)."""
    found = CSRF_INPUT.search(page_text(client.get(path)))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def without_csrf(html: str) -> str:
    return CSRF_INPUT.sub('name="csrf_token" value=""', html)
