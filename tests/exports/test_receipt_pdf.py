"""The PDF receipt, built from the case and the register: readable, in the case's language, safe."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from babel.dates import format_date
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.core.workflow import RequestType
from app.exports.receipt_pdf import render_receipt_pdf
from app.models import ControllerInfo, SubjectRequest
from app.services import intake
from app.services.receipts import receipt_for
from tests.conftest import Clock


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def read(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(BytesIO(pdf))
    return reader, squeeze("".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def controller(session: Session) -> ControllerInfo:
    found = session.scalar(select(ControllerInfo))
    assert found is not None
    return found


def filed(session: Session, clock: Clock, language: str = "sv") -> SubjectRequest:
    request = intake.file_request(
        session,
        email="anna@example.com",
        type=RequestType.ERASURE,
        details={"scope": "all", "parts": [], "ground": "unsure"},
        original_text="Radera allt, tack.",
        language=language,
        now=clock(),
    )
    session.commit()
    return request


class TestContent:
    @pytest.mark.parametrize("language", ["sv", "en"])
    def test_states_reference_deadline_controller_and_imy_in_the_language(
        self, app: Flask, session: Session, clock: Clock, controller: ControllerInfo, language: str
    ) -> None:
        request = filed(session, clock, language)

        pdf = render_receipt_pdf(receipt_for(request, controller, language=language))

        assert pdf.startswith(b"%PDF-")
        reader, text = read(pdf)
        assert len(reader.pages) == 1
        assert request.reference in text
        assert squeeze(format_date(request.due_on, "EEEE d MMMM y", locale=language)) in text
        assert IMY.complaint_url(language) in text
        assert IMY.complaint_url("en" if language == "sv" else "sv") not in text
        assert squeeze(IMY.postal_address) in text
        for line in (controller.name, controller.org_number, controller.address):
            assert squeeze(line) in text
        assert squeeze(controller.dpo_email or controller.email) in text

    def test_swedish_letters_survive(
        self, app: Flask, session: Session, clock: Clock, controller: ControllerInfo
    ) -> None:
        controller.street = "Åsögatan 7, Övre Märsta"
        _, text = read(
            render_receipt_pdf(receipt_for(filed(session, clock), controller, language="sv"))
        )
        assert "Åsögatan7" in text
        assert "ÖvreMärsta" in text

    def test_metadata_names_the_receipt_and_the_controller(
        self, app: Flask, session: Session, clock: Clock, controller: ControllerInfo
    ) -> None:
        receipt = receipt_for(filed(session, clock, "en"), controller, language="en")
        reader, _ = read(render_receipt_pdf(receipt))
        assert reader.metadata is not None
        assert reader.metadata.title == receipt.title
        assert reader.metadata.author == controller.name

    def test_receipt_carries_no_personal_data(
        self, app: Flask, session: Session, clock: Clock, controller: ControllerInfo
    ) -> None:
        request = filed(session, clock)
        _, text = read(render_receipt_pdf(receipt_for(request, controller, language="sv")))
        assert "anna@example.com" not in text
        assert squeeze("Radera allt, tack.") not in text


class TestHostileText:
    @pytest.mark.parametrize(
        "value",
        [
            "<font size=200>x</font>&",
            "<b>fet</b> & <i>kursiv</i>",
            "<para><br/></para>",
            "& &amp; &lt; < > \"'",
            "<img src='/etc/passwd'/>",
            "<unknown-tag attribute=1>",
        ],
    )
    def test_markup_in_the_register_is_printed_literally(
        self, app: Flask, session: Session, clock: Clock, controller: ControllerInfo, value: str
    ) -> None:
        controller.name = value
        controller.street = value

        pdf = render_receipt_pdf(receipt_for(filed(session, clock), controller, language="sv"))

        _, text = read(pdf)
        assert squeeze(value) in text

    def test_very_long_values_wrap_instead_of_failing(
        self, app: Flask, session: Session, clock: Clock, controller: ControllerInfo
    ) -> None:
        controller.street = "Långgatan " * 60
        controller.name = "x" * 180
        pdf = render_receipt_pdf(receipt_for(filed(session, clock), controller, language="sv"))
        assert pdf.startswith(b"%PDF-")
        _, text = read(pdf)
        assert squeeze("Långgatan " * 60) in text
