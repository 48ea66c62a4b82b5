"""The front page answers in Swedish by default, and mail reaches the real SMTP server."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.smtp import Mailbox


def test_front_page_is_swedish_by_default(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'lang="sv"' in page.get_data(as_text=True)


def test_asking_for_a_link_mails_it(client: FlaskClient, mailbox: Mailbox) -> None:
    client.post("/start", data={"email": "anna@example.com"})
    message = mailbox.last_to("anna@example.com")
    assert "/verify/" in Mailbox.text(message)
