"""Following one's cases: the status page, a case's page, withdrawal and the PDF receipt."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.core.workflow import RequestStatus
from app.models import ControllerInfo, OutboundEmail
from tests.conftest import Clock
from tests.helpers import (
    add_person,
    case,
    file_request,
    page_text,
    reference_from,
    set_language,
    text_of,
    verify,
)
from tests.smtp import Mailbox

ANNA = "anna@example.com"
BERTIL = "bertil@example.com"


def pdf_text(data: bytes) -> str:
    """The text of a PDF with all whitespace removed (line breaks fall where the layout wants)."""
    reader = PdfReader(BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def anna(client: FlaskClient, mailbox: Mailbox) -> FlaskClient:
    set_language(client, "en")
    verify(client, mailbox, ANNA)
    return client


@pytest.fixture
def bertil(app: Flask, mailbox: Mailbox) -> FlaskClient:
    browser = app.test_client()
    set_language(browser, "en")
    verify(browser, mailbox, BERTIL)
    return browser


def withdraw_mails(session: Session) -> list[OutboundEmail]:
    session.expire_all()
    return list(session.scalars(select(OutboundEmail).where(OutboundEmail.template == "withdrawn")))


class TestStatusPage:
    def test_lists_only_the_cases_of_the_verified_address(
        self, anna: FlaskClient, bertil: FlaskClient
    ) -> None:
        annas = [reference_from(file_request(anna, t)) for t in ("access", "erasure")]
        bertils = reference_from(file_request(bertil, "restriction"))

        anna_page = page_text(anna.get("/cases"))
        bertil_page = page_text(bertil.get("/cases"))

        assert set(re.findall(r"DSR-\d{4}-\d{6}", anna_page)) == set(annas)
        assert set(re.findall(r"DSR-\d{4}-\d{6}", bertil_page)) == {bertils}
        assert BERTIL not in anna_page

    def test_newest_case_comes_first(self, anna: FlaskClient, clock: Clock) -> None:
        first = reference_from(file_request(anna, "access"))
        clock.advance(minutes=5)
        second = reference_from(file_request(anna, "portability"))
        page = page_text(anna.get("/cases"))
        assert page.index(second) < page.index(first)

    def test_open_case_shows_its_deadline_and_closed_case_does_not(
        self, anna: FlaskClient, session: Session
    ) -> None:
        open_case = case(session, reference_from(file_request(anna, "access")))
        closed = case(session, reference_from(file_request(anna, "objection")))
        page = page_text(anna.get("/cases"))
        assert f'<time datetime="{open_case.due_on.isoformat()}">' in page
        row = page.split(closed.reference, 1)[1].split("</tr>", 1)[0]
        assert "<time datetime=" in row  # the received date
        assert f'<time datetime="{closed.due_on.isoformat()}">' not in row

    def test_someone_without_cases_gets_a_page_saying_so(self, anna: FlaskClient) -> None:
        page = anna.get("/cases")
        assert page.status_code == 200
        assert "You have no cases yet." in page_text(page)

    def test_unverified_visitor_is_sent_to_verify(self, client: FlaskClient) -> None:
        for path in ("/cases", "/cases/DSR-2026-000001", "/cases/DSR-2026-000001/receipt.pdf"):
            answer = client.get(path)
            assert answer.status_code == 302
            assert answer.headers["Location"] == "/"


class TestCasePage:
    def test_shows_reference_status_deadline_and_timeline(
        self, anna: FlaskClient, session: Session
    ) -> None:
        filed = case(session, reference_from(file_request(anna, "erasure")))
        page = page_text(anna.get(f"/cases/{filed.reference}"))
        assert filed.reference in page
        assert "status-received" in page
        assert f'<time datetime="{filed.due_on.isoformat()}">' in page
        assert page.count("<li><time") == len(filed.events) == 1

    def test_completed_case_shows_both_events_and_no_withdraw_button(
        self, anna: FlaskClient, session: Session
    ) -> None:
        filed = case(session, reference_from(file_request(anna, "objection")))
        page = page_text(anna.get(f"/cases/{filed.reference}"))
        assert "status-completed" in page
        assert page.count("<li><time") == 2
        assert "/withdraw" not in page


class TestOtherPeoplesCases:
    @pytest.mark.parametrize(
        ("method", "suffix"),
        [("get", ""), ("get", "/receipt"), ("get", "/receipt.pdf"), ("post", "/withdraw")],
    )
    def test_case_of_another_address_is_404_and_untouched(
        self,
        anna: FlaskClient,
        bertil: FlaskClient,
        session: Session,
        mailbox: Mailbox,
        method: str,
        suffix: str,
    ) -> None:
        reference = reference_from(file_request(bertil, "erasure"))
        mails = len(mailbox.messages)

        answer = getattr(anna, method)(f"/cases/{reference}{suffix}")

        assert answer.status_code == 404
        assert answer.mimetype == "text/html"
        assert case(session, reference).status is RequestStatus.RECEIVED
        assert len(mailbox.messages) == mails

    def test_unknown_reference_is_the_same_404(
        self, anna: FlaskClient, bertil: FlaskClient
    ) -> None:
        reference = reference_from(file_request(bertil, "erasure"))
        someone_elses = anna.get(f"/cases/{reference}")
        nobodys = anna.get("/cases/DSR-2026-999999")
        assert someone_elses.status_code == nobodys.status_code == 404
        assert page_text(someone_elses).replace(reference, "") == (
            page_text(nobodys).replace("DSR-2026-999999", "")
        )


class TestWithdrawal:
    def test_pending_case_can_be_withdrawn_once_with_an_email(
        self, anna: FlaskClient, session: Session, mailbox: Mailbox, clock: Clock
    ) -> None:
        reference = reference_from(file_request(anna, "access"))
        assert "/withdraw" in page_text(anna.get(f"/cases/{reference}"))

        answer = anna.post(f"/cases/{reference}/withdraw")

        assert answer.status_code == 303
        assert answer.headers["Location"] == f"/cases/{reference}"
        withdrawn = case(session, reference)
        assert withdrawn.status is RequestStatus.WITHDRAWN
        assert withdrawn.closed_at == clock()
        assert [e.kind for e in withdrawn.events] == ["filed", "withdrawn"]
        page = anna.get(answer.headers["Location"])
        assert f"Your request {reference} is withdrawn." in page_text(page)
        assert "status-withdrawn" in page_text(page)
        assert "/withdraw" not in page_text(page)
        message = mailbox.last_to(ANNA)
        assert reference in message["Subject"]
        assert reference in text_of(message)

        again = anna.post(f"/cases/{reference}/withdraw")

        assert again.status_code == 303
        assert "already closed and cannot be withdrawn" in page_text(
            anna.get(f"/cases/{reference}")
        )
        assert case(session, reference).status is RequestStatus.WITHDRAWN
        assert len(withdraw_mails(session)) == 1
        assert len(mailbox.to(ANNA)) == 3  # the link, the receipt, one confirmation

    def test_completed_case_cannot_be_withdrawn(self, anna: FlaskClient, session: Session) -> None:
        reference = reference_from(file_request(anna, "objection"))
        anna.post(f"/cases/{reference}/withdraw")
        assert "already closed" in page_text(anna.get(f"/cases/{reference}"))
        assert case(session, reference).status is RequestStatus.COMPLETED
        assert withdraw_mails(session) == []

    def test_withdrawal_is_never_done_by_a_get(self, anna: FlaskClient, session: Session) -> None:
        reference = reference_from(file_request(anna, "access"))
        assert anna.get(f"/cases/{reference}/withdraw").status_code == 405
        assert case(session, reference).status is RequestStatus.RECEIVED

    def test_confirmation_is_in_the_language_of_the_case(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        verify(client, mailbox, ANNA)  # Swedish
        reference = reference_from(file_request(client, "access"))
        set_language(client, "en")
        client.post(f"/cases/{reference}/withdraw")
        assert mailbox.last_to(ANNA)["Content-Language"] == "sv"


class TestReceiptPdf:
    def test_receipt_is_a_pdf_attachment(self, anna: FlaskClient) -> None:
        reference = reference_from(file_request(anna, "access"))

        answer = anna.get(f"/cases/{reference}/receipt.pdf")

        assert answer.status_code == 200
        assert answer.mimetype == "application/pdf"
        assert answer.headers["Content-Disposition"] == (
            f'attachment; filename="kvitto-{reference}.pdf"'
        )
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in answer.headers["Cache-Control"]
        assert answer.data.startswith(b"%PDF-")

    @pytest.mark.parametrize("language", ["sv", "en"])
    def test_receipt_states_reference_deadline_and_imy_in_the_case_language(
        self,
        client: FlaskClient,
        mailbox: Mailbox,
        session: Session,
        language: str,
    ) -> None:
        set_language(client, language)
        verify(client, mailbox, ANNA)
        filed = case(session, reference_from(file_request(client, "erasure")))

        text = pdf_text(client.get(f"/cases/{filed.reference}/receipt.pdf").data)

        assert filed.reference in text
        assert squeeze(format_date(filed.due_on, "EEEE d MMMM y", locale=language)) in text
        other = "en" if language == "sv" else "sv"
        assert IMY.complaint_url(language) in text
        assert IMY.complaint_url(other) not in text
        assert "LHeHandelsbolag" in text

    def test_receipt_keeps_the_case_language_after_a_switch(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        set_language(client, "en")
        verify(client, mailbox, ANNA)
        reference = reference_from(file_request(client, "access"))
        set_language(client, "sv")

        text = pdf_text(client.get(f"/cases/{reference}/receipt.pdf").data)

        assert IMY.complaint_url("en") in text

    def test_markup_in_the_register_is_printed_literally(
        self, anna: FlaskClient, session: Session
    ) -> None:
        controller = session.scalar(select(ControllerInfo))
        assert controller is not None
        controller.name = "<font size=200>x</font>&"
        controller.street = "<b>Gatan</b> 1 & <br/>2"
        session.commit()
        reference = reference_from(file_request(anna, "access"))

        answer = anna.get(f"/cases/{reference}/receipt.pdf")

        assert answer.status_code == 200
        text = pdf_text(answer.data)
        assert squeeze("<font size=200>x</font>&") in text
        assert squeeze("<b>Gatan</b> 1 & <br/>2") in text


class TestCasesOfTheSameAddress:
    def test_a_second_person_record_with_the_same_address_sees_the_same_cases(
        self, app: Flask, anna: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        add_person(session, ANNA, clock())
        reference = reference_from(file_request(anna, "access"))
        other_device = app.test_client()
        verify(other_device, mailbox, ANNA)
        assert reference in page_text(other_device.get("/cases"))
