"""The register of requests for IMY, downloaded as the privacy officer downloads it: the CSV read
back with the csv module and the PDF's text extracted with pypdf, both checked against the
seeded cases, with nothing about the person beyond the case, and every download audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.core.workflow import RequestType
from app.exports import register_csv
from app.exports.register_csv import safe_cell
from app.models import AuditEntry, Recipient, StaffUser, SubjectRequest
from app.staff import dashboard
from tests.services.test_reporting import (
    EXTENSION_REASON,
    ORIGINAL,
    REFUSAL_REASONS,
    Seeder,
)
from tests.services.test_reporting import cases as cases  # fixtures, used by name
from tests.web.case_steps import olof as olof

Q1 = "start=2026-01-01&end=2026-03-31"
HEADER = [
    "Reference", "Type", "Channel", "Received (Swedish time)", "Legal deadline",
    "Extended deadline", "Extension reason", "Extension notified", "Outcome", "Refused",
    "Legal ground", "Article", "Closed", "Days to close", "On time",
    "Art. 19 notices waiting to be sent", "Art. 19 notices sent, not confirmed",
    "Art. 19 notices confirmed", "Art. 19 recipients not notified (reason recorded)",
    "Art. 19 recipients",
]  # fmt: skip
PERSONAL = ("@example.com", "person1", ORIGINAL, REFUSAL_REASONS, "070-123 45 67")


@pytest.fixture
def recipients(session: Session) -> list[str]:
    return list(session.scalars(select(Recipient.name).order_by(Recipient.id)))


def download(browser: FlaskClient, path: str) -> TestResponse:
    answer = browser.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
    answer.get_data()  # read the whole stream
    return answer


def csv_rows(answer: TestResponse) -> list[list[str]]:
    data = answer.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def pdf_pages(answer: TestResponse) -> list[str]:
    reader = PdfReader(BytesIO(answer.get_data()))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def exports(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == "register.export").order_by(AuditEntry.id)
        )
    )


class TestCsv:
    def test_one_row_per_case_received_in_the_period_with_its_facts(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest], recipients: list[str]
    ) -> None:
        answer = download(olof, f"/staff/dashboard/register.csv?{Q1}")
        assert answer.mimetype == "text/csv"
        assert answer.headers["Content-Disposition"] == (
            'attachment; filename="register-2026-01-01-2026-03-31.csv"'
        )
        ref = {name: case.reference for name, case in cases.items()}
        assert csv_rows(answer) == [
            HEADER,
            [ref["C1"], "Access", "Letter", "2026-01-10 10:00", "2026-02-10", "", "", "",
             "Completed", "", "", "", "2026-02-03", "24", "Yes", "0", "0", "0", "0", ""],
            [ref["C2"], "Access", "The portal", "2026-01-20 10:00", "2026-02-20", "", "", "",
             "Completed", "", "", "", "2026-02-25", "36", "No", "0", "0", "0", "0", ""],
            [ref["C3"], "Erasure", "The portal", "2026-02-02 08:00", "2026-03-02", "2026-05-04",
             f"'{EXTENSION_REASON}", "2026-03-01", "Completed", "", "", "", "2026-04-15", "72",
             "Yes", "0", "1", "1", "0", "; ".join(sorted(recipients[:2]))],
            [ref["C4"], "Erasure", "The portal", "2026-03-05 10:00", "2026-04-07", "", "", "",
             "Refused", "The whole request", "A legal obligation requires us to keep the data",
             "Art. 17.3 b GDPR", "2026-03-20", "15", "Yes", "0", "0", "0", "0", ""],
            [ref["C5"], "Access", "The portal", "2026-03-10 10:00", "2026-04-10", "", "", "",
             "Completed", "Part of the request",
             "It would adversely affect the rights and freedoms of others", "Art. 15.4 GDPR",
             "2026-04-08", "29", "Yes", "0", "0", "0", "0", ""],
        ]  # fmt: skip

    def test_open_and_withdrawn_cases_and_a_recipient_not_notified(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest], recipients: list[str]
    ) -> None:
        answer = download(olof, "/staff/dashboard/register.csv?start=2026-08-01&end=2026-11-24")
        rows = {row[0]: row for row in csv_rows(answer)[1:]}
        order = ("C14", "C13", "O4", "O5", "O3", "O2", "O1", "C12")  # by date of receipt
        assert list(rows) == [cases[name].reference for name in order]
        c13 = rows[cases["C13"].reference]
        assert c13[5:8] == ["2026-11-30", f"'{EXTENSION_REASON}", "2026-09-10"]
        assert c13[15:] == ["0", "0", "0", "1", recipients[0]]
        o5 = rows[cases["O5"].reference]
        assert o5[8] == "In progress"
        assert o5[12:15] == ["", "", ""]  # not closed: no date, days or on-time value
        c12 = rows[cases["C12"].reference]
        assert (c12[8], c12[12], c12[13], c12[14]) == ("Withdrawn", "2026-11-24", "1", "")

    def test_nothing_about_the_person_beyond_the_case(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest]
    ) -> None:
        text = download(olof, "/staff/dashboard/register.csv?start=2021-12-01&end=2026-11-24")
        body = text.get_data(as_text=True)
        assert len(csv_rows(text)) == 1 + 19  # every case
        for secret in PERSONAL:
            assert secret not in body, secret

    def test_each_download_is_audited_with_its_period(
        self, olof: FlaskClient, session: Session, officer: StaffUser,
        cases: dict[str, SubjectRequest],
    ) -> None:  # fmt: skip
        download(olof, f"/staff/dashboard/register.csv?{Q1}")
        download(olof, "/staff/dashboard/register.pdf?start=2026-04-01&end=2026-04-30")
        entries = exports(session)
        assert [(e.actor_id, e.data) for e in entries] == [
            (officer.id, {"format": "csv", "start": "2026-01-01", "end": "2026-03-31", "cases": 5}),
            (officer.id, {"format": "pdf", "start": "2026-04-01", "end": "2026-04-30", "cases": 1}),
        ]

    def test_a_long_register_streams_in_pieces_that_add_up(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(register_csv, "ROWS_PER_CHUNK", 2)
        answer = olof.get("/staff/dashboard/register.csv?start=2025-12-01&end=2026-11-24")
        pieces = [bytes(piece) for piece in answer.response]
        answer.close()
        assert len(pieces) == 1 + 9  # the header, then 17 rows two at a time
        assert pieces[0].startswith(b"\xef\xbb\xbf")
        text = b"".join(pieces).decode("utf-8-sig")
        assert len(list(csv.reader(io.StringIO(text, newline="")))) == 1 + 17

    def test_an_empty_period_gives_the_header_only(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest]
    ) -> None:
        answer = download(olof, "/staff/dashboard/register.csv?start=2026-07-01&end=2026-07-31")
        assert csv_rows(answer) == [HEADER]


class TestCsvInjection:
    @pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
    def test_a_cell_that_a_spreadsheet_would_run_is_quoted(self, start: str) -> None:
        assert safe_cell(f'{start}HYPERLINK("http://evil")') == f'\'{start}HYPERLINK("http://evil")'

    @pytest.mark.parametrize("text", ["2026-01-10", "Access", "a=b", "", "DSR-2026-000001"])
    def test_other_cells_are_left_alone(self, text: str) -> None:
        assert safe_cell(text) == text

    def test_a_recipient_named_like_a_formula_is_quoted(
        self, olof: FlaskClient, session: Session, cases: dict[str, SubjectRequest],
        recipients: list[str],
    ) -> None:  # fmt: skip
        first = session.scalars(select(Recipient).order_by(Recipient.id)).first()
        assert first is not None
        first.name = "@SUM(A1:A9)"
        session.commit()
        answer = download(olof, f"/staff/dashboard/register.csv?{Q1}")
        c3 = csv_rows(answer)[3]
        assert c3[-1] == f"'@SUM(A1:A9); {recipients[1]}"


class TestPdf:
    def test_the_first_page_carries_the_summary(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest]
    ) -> None:
        answer = download(olof, f"/staff/dashboard/register.pdf?{Q1}")
        assert answer.mimetype == "application/pdf"
        assert answer.headers["Content-Disposition"] == (
            'attachment; filename="register-2026-01-01-2026-03-31.pdf"'
        )
        first = pdf_pages(answer)[0]
        for expected in (
            "Register of requests",
            "LHe Handelsbolag, Org. no. 969781-2346",
            "Every request received from 2026-01-01 to 2026-03-31",
            "Made 2026-11-24 10:00, Swedish time.",
            "Cases received in the period 5",
            "Still open 0",
            "Answered (completed or refused) 5",
            "Answered on time 4 (80.0%)",
            "Answered late 1",
            "Median days to close 29",
            "90th percentile of days to close 72",
            "Extensions (Art. 12(3)) 1",
            "Refusals of the whole request (Art. 12(4)) 1",
            "Partial refusals 1",
            # by type: received, in progress, waiting, completed, refused, withdrawn, total
            "Access 0 0 0 3 0 0 3",
            "Erasure 0 0 0 1 1 0 2",
            "Portability 0 0 0 0 0 0 0",
            "All types 0 0 0 4 1 0 5",
            "Days to close: calendar days from the date of receipt",
            "Page 1 of 2",
        ):
            assert expected in first, expected

    def test_then_one_row_per_case_with_page_numbers(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest], recipients: list[str]
    ) -> None:
        pages = pdf_pages(download(olof, f"/staff/dashboard/register.pdf?{Q1}"))
        assert len(pages) == 2
        table = pages[1]
        assert "Page 2 of 2" in table
        references = [cases[n].reference for n in ("C1", "C2", "C3", "C4", "C5")]
        assert re.findall(r"DSR-\d{4}-\d{6}", table) == references
        c3 = table[table.index(references[2]) : table.index(references[3])]
        for expected in ("Erasure", "2026-02-02 08:00", "2026-03-02", "2026-05-04",
                         EXTENSION_REASON, "2026-03-01", "Completed", "2026-04-15", "72; Yes",
                         "1 confirmed, 1 sent:"):  # fmt: skip
            assert expected in c3, expected
        for name in recipients[:2]:
            assert name.split()[0] in c3
        c4 = table[table.index(references[3]) : table.index(references[4])]
        assert "Refused" in c4
        assert "The whole request: A legal obligation requires us to keep the data" in c4
        assert "(Art. 17.3 b GDPR)" in c4
        assert "36; No" in table[table.index(references[1]) : table.index(references[2])]

    def test_nothing_about_the_person_beyond_the_case(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest]
    ) -> None:
        everything = "start=2021-12-01&end=2026-11-24"
        pages = pdf_pages(download(olof, f"/staff/dashboard/register.pdf?{everything}"))
        text = " ".join(pages)
        assert len(re.findall(r"DSR-\d{4}-\d{6}", text)) == 19
        for secret in PERSONAL:
            assert secret not in text, secret

    def test_many_cases_run_over_pages_with_the_header_on_each(
        self, app: Flask, olof: FlaskClient, session: Session, officer: StaffUser
    ) -> None:
        seeder = Seeder(session, officer)
        for n in range(120):
            seeder.file(RequestType.ACCESS, date(2026, 5, 1 + n % 28), hour=8 + n % 10)
        session.commit()
        may = "start=2026-05-01&end=2026-05-31"
        pages = pdf_pages(download(olof, f"/staff/dashboard/register.pdf?{may}"))
        assert len(pages) >= 3
        for number, page in enumerate(pages[1:], start=2):
            assert "Reference Type Channel" in page, number
            assert f"Page {number} of {len(pages)}" in page
        found = re.findall(r"DSR-\d{4}-\d{6}", " ".join(pages[1:]))
        assert len(found) == len(set(found)) == 120

    def test_an_empty_period_says_so(
        self, olof: FlaskClient, cases: dict[str, SubjectRequest]
    ) -> None:
        pages = pdf_pages(
            download(olof, "/staff/dashboard/register.pdf?start=2026-07-01&end=2026-07-31")
        )
        assert "Cases received in the period 0" in pages[0]
        assert "Answered on time 0 (–)" in pages[0]
        assert "No requests were received in the period." in pages[-1]

    def test_too_many_cases_for_a_pdf_gives_400_and_points_to_the_csv(
        self, olof: FlaskClient, session: Session, cases: dict[str, SubjectRequest],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        monkeypatch.setattr(dashboard, "REGISTER_PDF_MAX", 4)
        answer = olof.get(f"/staff/dashboard/register.pdf?{Q1}")
        assert answer.status_code == 400
        assert "Content-Disposition" not in answer.headers
        assert "The PDF holds at most 4 cases and 5 were received in the period" in (
            answer.get_data(as_text=True)
        )
        assert exports(session) == []
