"""The person's side of the conversation: messages and notices on the status page, replies."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.core.authority import IMY
from app.core.deadlines import extended_deadline
from app.core.workflow import RequestStatus
from app.models import Message
from tests.conftest import Clock
from tests.helpers import case, count, page_text
from tests.smtp import Mailbox
from tests.web.case_steps import (
    ANNA,
    BERTIL,
    acted,
    file_case,
    subject,
)
from tests.web.case_steps import anna as anna  # fixtures, used by name
from tests.web.case_steps import hanna as hanna
from tests.web.case_steps import olof as olof

S = RequestStatus


def visible(answer: TestResponse) -> str:
    return re.sub(r"\s+", " ", html.unescape(page_text(answer)))


def reply(browser: FlaskClient, reference: str, body: str) -> TestResponse:
    return browser.post(f"/cases/{reference}/messages", data={"body": body})


class TestReplies:
    def test_an_answer_to_a_question_puts_the_case_back_in_progress(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, clock: Clock
    ) -> None:
        reference = file_case(anna, "access")
        acted(hanna, reference, "start")
        acted(hanna, reference, "ask", **{"ask-body": "Which company were you in contact with?"})
        assert "Which company were you in contact with?" in visible(anna.get(f"/cases/{reference}"))
        clock.advance(minutes=2)

        answer = reply(anna, reference, "Norrsken Bygg AB, in the spring.")

        assert answer.status_code == 303
        assert answer.headers["Location"] == f"/cases/{reference}"
        page = visible(anna.get(f"/cases/{reference}"))
        assert "Your message is sent." in page
        assert "You wrote" in page
        assert "Norrsken Bygg AB, in the spring." in page
        after = case(session, reference)
        assert after.status is S.IN_PROGRESS
        assert after.messages[-1].from_subject is True
        assert [e.actor for e in after.events[-2:]] == ["subject", "system"]

    def test_a_message_without_a_question_leaves_the_status(
        self, anna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        assert reply(anna, reference, "Please include my meetings too.").status_code == 303
        after = case(session, reference)
        assert after.status is S.RECEIVED
        assert [m.body for m in after.messages] == ["Please include my meetings too."]

    def test_the_reply_is_shown_to_staff_as_text(
        self, anna: FlaskClient, hanna: FlaskClient
    ) -> None:
        reference = file_case(anna, "access")
        reply(anna, reference, "<img src=x onerror=alert(1)> hej")
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "<img src=x" not in page
        assert "&lt;img src=x onerror=alert(1)&gt; hej" in page
        assert "From the person" in page

    @pytest.mark.parametrize("body", ["", "   ", "z" * 4001])
    def test_an_empty_or_too_long_message_is_refused_with_a_clear_error(
        self, anna: FlaskClient, session: Session, body: str
    ) -> None:
        reference = file_case(anna, "access")
        answer = reply(anna, reference, body)
        assert answer.status_code == 400
        page = visible(answer)
        assert "Please correct the following" in page
        assert ("At most 4000 characters." if body else "Write your message.") in page
        assert count(session, Message) == 0

    def test_a_closed_case_takes_no_reply(self, anna: FlaskClient, session: Session) -> None:
        reference = file_case(anna, "objection", {"kind": "direct_marketing"})
        assert "Write to us about this case" not in visible(anna.get(f"/cases/{reference}"))
        answer = reply(anna, reference, "Hello?")
        assert answer.status_code == 303
        assert "messages can no longer be sent" in visible(anna.get(f"/cases/{reference}"))
        assert count(session, Message) == 0

    def test_the_case_of_another_address_is_404_and_untouched(
        self, app: Flask, anna: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        bertil = subject(app, mailbox, BERTIL)
        reference = file_case(bertil, "erasure")
        answer = reply(anna, reference, "Not mine")
        assert answer.status_code == 404
        assert count(session, Message) == 0

    def test_an_unverified_visitor_is_sent_to_verify(
        self, client: FlaskClient, anna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        answer = reply(client, reference, "Hi")
        assert answer.status_code == 302
        assert count(session, Message) == 0


class TestWhatThePersonSees:
    def test_messages_both_ways_in_order_and_never_the_notes(
        self, anna: FlaskClient, hanna: FlaskClient, clock: Clock
    ) -> None:
        reference = file_case(anna, "access")
        acted(hanna, reference, "message", **{"message-body": "First from us."})
        clock.advance(minutes=1)
        reply(anna, reference, "Then me.")
        clock.advance(minutes=1)
        acted(hanna, reference, "note", **{"note-body": "Secret internal remark."})
        acted(hanna, reference, "message", **{"message-body": "Last from us."})

        page = visible(anna.get(f"/cases/{reference}"))

        first, mine, last = (page.index(t) for t in ("First from us.", "Then me.", "Last from us."))
        assert first < mine < last
        assert "Secret internal remark." not in page
        assert "LHe Handelsbolag wrote" in page

    def test_the_extended_deadline_and_its_reasons(
        self, anna: FlaskClient, olof: FlaskClient, session: Session, mailbox: Mailbox
    ) -> None:
        reference = file_case(anna, "access")
        acted(olof, reference, "extend", **{"extension-reasons": "Six systems to search."})
        extended = case(session, reference)
        due = extended_deadline(extended.received_on)

        raw = page_text(anna.get(f"/cases/{reference}"))
        page = visible(anna.get(f"/cases/{reference}"))

        assert f'<time datetime="{due.isoformat()}">' in raw
        assert "Time extended" in page
        assert "Six systems to search." in page
        told = mailbox.last_to(ANNA)
        assert "Six systems" not in told.as_string()
        assert reference in told["Subject"]

    def test_a_refusal_shows_the_notice_and_how_to_complain(
        self, anna: FlaskClient, olof: FlaskClient
    ) -> None:
        reference = file_case(anna, "access")
        acted(
            olof, reference, "refuse",
            **{"refusal-scope": "whole", "refusal-ground": "excessive",
               "refusal-reasons": "The fourth identical request in a month."},
        )  # fmt: skip
        raw = page_text(anna.get(f"/cases/{reference}"))
        page = visible(anna.get(f"/cases/{reference}"))
        assert "The fourth identical request in a month." in page
        assert "The request is excessive" in page
        assert f'href="{IMY.complaint_url("en")}"' in raw
        assert IMY.postal_address in page
        assert "take the matter to court" in page
        assert "status-refused" in raw
