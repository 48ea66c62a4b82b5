"""The access package as a PDF: every Art. 15 section in the case's language, read back with pypdf.

The PDF's text is extracted and searched with whitespace removed (ReportLab wraps lines wherever
the column ends). Headings are compared with the package's own texts, so the tests hold for any
wording; the Swedish tests also check words that only the Swedish document has.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.exports.bundle import AccessBundle
from app.exports.pdf_export import render_access_pdf
from app.models import Communication, Person, Purpose, Recipient, RecipientKind, RetentionRule
from tests.exports.test_access_bundle import (
    HOSTILE,
    LOOKALIKES,
    NOW,
    TARGET,
    World,
    access,
    build_world,
)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


class Read:
    """A PDF read back: its pages' text (squeezed) and the reader for metadata and outline."""

    def __init__(self, pdf: bytes) -> None:
        assert pdf.startswith(b"%PDF-")
        self.reader = PdfReader(BytesIO(pdf))
        self.pages = [squeeze(page.extract_text()) for page in self.reader.pages]
        self.text = "".join(self.pages)

    def __contains__(self, value: str) -> bool:
        return squeeze(value) in self.text

    def has_long(self, value: str) -> bool:
        """A long text may be split across a page break (footer and table header between its
        parts): its beginning and its end are both there."""
        wanted = squeeze(value)
        return wanted[:60] in self.text and wanted[-60:] in self.text

    def page_of(self, value: str, after: int = 0) -> int:
        """The 1-based number of the first page after ``after`` that shows ``value``."""
        wanted = squeeze(value)
        for number, text in enumerate(self.pages[after:], after + 1):
            if wanted in text:
                return number
        raise AssertionError(f"{value!r} is on no page")


@pytest.fixture
def world(app: Flask, session: Session) -> World:
    return build_world(session)


@pytest.fixture(params=["sv", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def read(bundle: AccessBundle) -> Read:
    return Read(render_access_pdf(bundle))


class TestArticle15Sections:
    def test_every_required_section_is_there_in_the_language(
        self, session: Session, world: World, language: str
    ) -> None:
        bundle = access(session, language)
        t, info = bundle.texts, bundle.information
        pdf = read(bundle)

        for heading in (
            t.contents,
            t.confirmation,
            t.layers,
            t.summary,
            t.information,
            t.purposes,
            t.legal_basis,
            t.legitimate_interest,
            t.categories,
            t.retention,
            t.recipients,
            t.transfers,
            t.sources,
            t.automated,
            t.rights,
            t.objection,
            t.complaint,
            t.codes,
        ):
            assert heading in pdf, heading
        for layer in bundle.layers:
            assert layer.title in pdf
        for text in (info.confirmation, info.automated_decisions, info.objection, info.rights_text):
            assert pdf.has_long(text), text
        for right in info.rights:
            assert right.name in pdf
            assert right.article in pdf
        assert IMY.name(language) in pdf
        assert IMY.complaint_url(language) in pdf
        assert IMY.complaint_url("en" if language == "sv" else "sv") not in pdf
        assert IMY.postal_address in pdf
        assert pdf.has_long(info.complaint.courts)

    def test_purposes_bases_categories_and_retention_come_from_the_register(
        self, session: Session, world: World, language: str
    ) -> None:
        bundle = access(session, language)
        pdf = read(bundle)
        other = "en" if language == "sv" else "sv"

        lead = session.scalar(select(Purpose).where(Purpose.code == "lead_generation"))
        assert lead is not None
        assert getattr(lead, f"name_{language}") in pdf
        assert pdf.has_long(getattr(lead, f"interest_{language}"))
        assert getattr(lead, f"name_{other}") not in pdf
        for purpose in bundle.information.purposes:
            assert purpose.legal_basis_text in pdf
        for category in bundle.information.categories:
            rule = session.scalar(
                select(RetentionRule).where(RetentionRule.category == category.code)
            )
            assert rule is not None
            assert getattr(rule, f"name_{language}") in pdf
            assert category.retention_text in pdf
            assert pdf.has_long(getattr(rule, f"description_{language}"))

    def test_recipients_by_name_with_the_customers_crm_and_the_transfer_safeguards(
        self, session: Session, world: World, language: str
    ) -> None:
        bundle = access(session, language)
        pdf = read(bundle)

        processors = session.scalars(
            select(Recipient).where(Recipient.kind == RecipientKind.PROCESSOR)
        )
        for processor in processors:
            assert processor.name in pdf
            assert getattr(processor, f"service_{language}") in pdf
        assert world.delivered_recipient in pdf  # the customer's HubSpot that received her
        assert "Kvarnbäcken Energi AB" in pdf
        assert world.only_lookalike_recipient not in pdf
        for transfer in bundle.information.transfers:
            assert pdf.has_long(transfer.safeguard)
        assert bundle.texts.not_delivered in pdf  # the second customer has not received her yet

    def test_sources_and_the_records_themselves(
        self, session: Session, world: World, language: str
    ) -> None:
        pdf = read(access(session, language))

        assert "Köpt lista från Bisnode" in pdf
        assert "LinkedIn" in pdf
        assert TARGET in pdf
        assert "Introduktionsmöte med Kvarnbäcken Energi AB." in pdf
        assert "Formulär på lhe-handelsbolag.se" in pdf
        assert "81.2.3.10" in pdf
        for lookalike in LOOKALIKES:
            assert lookalike not in pdf
        assert "Anna Svenson" not in pdf

    def test_swedish_reads_swedish(self, session: Session, world: World) -> None:
        pdf = read(access(session, "sv"))
        # Words of the Swedish document (the register and the catalogue), not of the English.
        for swedish in (
            "Dina rättigheter",
            "Ärendenummer",
            "art. 15 GDPR",
            "Integritetsskyddsmyndigheten",
            "Berättigat intresse",
            "Uppföljning av leads och bokning av möten åt våra kunder",
        ):
            assert swedish in pdf, swedish
        assert "Your rights" not in pdf
        assert "Legitimate interest" not in pdf

    def test_english_reads_english(self, session: Session, world: World) -> None:
        pdf = read(access(session, "en"))
        for english in (
            "Your rights",
            "Art. 15 GDPR",
            "Swedish Authority for Privacy Protection",
            "Legitimate interest (Art. 6(1)(f) GDPR)",
            "Following up leads and booking meetings for our customers",
        ):
            assert english in pdf, english
        assert "Dina rättigheter" not in pdf


class TestNavigation:
    def test_every_page_is_numbered_x_of_y_in_the_language(
        self, session: Session, world: World, language: str
    ) -> None:
        bundle = access(session, language)
        pdf = read(bundle)

        total = len(pdf.pages)
        assert total > 3
        for number, text in enumerate(pdf.pages, 1):
            assert squeeze(bundle.texts.page.format(page=number, pages=total)) in text
        word = "Sida" if language == "sv" else "Page"
        assert f"{word}1av{total}" in pdf.pages[0] or f"{word}1of{total}" in pdf.pages[0]

    def test_the_contents_list_gives_the_right_page_of_each_section(
        self, session: Session, world: World, language: str
    ) -> None:
        bundle = access(session, language)
        pdf = read(bundle)
        contents = pdf.page_of(bundle.texts.contents)
        assert contents == 2

        outline = pdf.reader.outline
        entries = []

        def walk(items: list) -> None:  # type: ignore[type-arg]
            for item in items:
                if isinstance(item, list):
                    walk(item)
                else:
                    entries.append((item.title, pdf.reader.get_destination_page_number(item) + 1))

        walk(outline)
        titles = [title for title, _ in entries]
        for heading in (
            bundle.texts.purposes,
            bundle.texts.recipients,
            bundle.texts.rights,
            bundle.table("communications").title,
        ):
            assert heading in titles
        for title, page in entries:
            assert squeeze(title) in pdf.pages[contents - 1], title  # listed in the contents
            assert squeeze(title) in pdf.pages[page - 1], (title, page)  # and on that page
        # The contents give each section's page number after a dotted leader (pypdf reads the
        # leader and the number before the title on the same line).
        for title, page in entries:
            name = re.escape(squeeze(title))
            entry = rf"(?:{name}\.{{2,}}{page}(?!\d))|(?:\.{{2,}}{page}{name})"
            assert re.search(entry, pdf.pages[contents - 1]), (title, page)

    def test_metadata_names_the_document_the_controller_and_the_language(
        self, session: Session, world: World, language: str
    ) -> None:
        bundle = access(session, language)
        reader = read(bundle).reader
        assert reader.metadata is not None
        assert reader.metadata.title == bundle.texts.title
        assert reader.metadata.author == bundle.controller.name
        assert reader.trailer["/Root"]["/Lang"] == language


class TestNothingHeld:
    def test_a_person_without_records_is_told_so_with_the_rights_and_imy(
        self, app: Flask, session: Session, language: str
    ) -> None:
        bundle = access(session, language, email="ingen.alls@example.com")
        pdf = read(bundle)

        assert bundle.information.confirmation in pdf
        assert "ingen.alls@example.com" in pdf
        assert bundle.texts.none_held in pdf
        assert IMY.complaint_url(language) in pdf
        assert bundle.texts.rights in pdf
        assert bundle.information.automated_decisions in pdf


class TestHostileAndUnusualText:
    def test_markup_in_a_message_is_printed_literally(self, session: Session, world: World) -> None:
        pdf = read(access(session, "en"))
        assert HOSTILE in pdf
        assert "Svar <i>kursiv</i>" in pdf

    @pytest.mark.parametrize(
        "value",
        [
            "<font size=200>x</font>&",
            "<para><br/></para>",
            "& &amp; &lt; < > \"'",
            "<img src='/etc/passwd'/>",
            "<unknown-tag attribute=1>",
        ],
    )
    def test_markup_anywhere_is_printed_literally(
        self, session: Session, world: World, value: str
    ) -> None:
        person = session.scalar(select(Person).where(Person.email == TARGET))
        assert person is not None
        person.job_title = value
        person.source = value
        session.add(
            Communication(
                person_id=person.id,
                occurred_at=NOW,
                channel=value,
                direction="inbound",
                subject=value,
                body=value,
            )
        )
        session.commit()
        pdf = read(access(session, "sv"))
        assert value in pdf

    def test_names_outside_latin_1_survive(self, session: Session, world: World) -> None:
        person = session.scalar(select(Person).where(Person.email == TARGET))
        assert person is not None
        person.name = "Anna Kovačević-Łukasz Şahin"
        session.commit()
        pdf = read(access(session, "sv"))
        assert "Anna Kovačević-Łukasz Şahin" in pdf

    def test_control_characters_and_very_long_words_do_not_break_the_layout(
        self, session: Session, world: World
    ) -> None:
        person = session.scalar(select(Person).where(Person.email == TARGET))
        assert person is not None
        session.add(
            Communication(
                person_id=person.id,
                occurred_at=NOW,
                channel="email",
                direction="inbound",
                subject="x" * 400,
                body="början\x00\x07\x1b mitten\r\nslut " + "y" * 3000,
            )
        )
        session.commit()
        pdf = read(access(session, "sv"))
        assert "x" * 400 in pdf
        # The word is broken over many lines and perhaps a page break: every letter is there.
        assert sum(len(run) for run in re.findall(r"y{2,}", pdf.text)) == 3000
        assert "börjanmittenslut" in pdf


class TestLongHistory:
    def test_hundreds_of_entries_and_a_message_longer_than_a_page_all_appear(
        self, session: Session, world: World
    ) -> None:
        person = session.scalar(select(Person).where(Person.email == TARGET))
        assert person is not None
        for n in range(600):
            session.add(
                Communication(
                    person_id=person.id,
                    occurred_at=NOW - timedelta(minutes=n),
                    channel="phone",
                    direction="outbound",
                    subject=f"Samtal M{n:05d}",
                    body="Ringde. " * (1500 if n == 300 else 1 + n % 20),
                )
            )
        session.commit()
        bundle = access(session, "sv", parts=["communication"])
        pdf = read(bundle)

        found = re.findall(r"M\d{5}", pdf.text)
        assert sorted(found) == [f"M{n:05d}" for n in range(600)]  # each once, none lost
        assert pdf.text.count("Ringde.") == sum(
            1500 if n == 300 else 1 + n % 20 for n in range(600)
        )
        columns = {column.key: column.label for column in bundle.table("communications").columns}
        header = squeeze(f"{columns['subject']} / {columns['body']}")
        pages_with_rows = [text for text in pdf.pages if "M0" in text]
        assert len(pages_with_rows) > 10
        assert all(header in text for text in pages_with_rows)  # the header repeats
        assert bundle.texts.not_requested in pdf  # the parts not asked for say so
