"""Access and portability packages, from the handler's build to the deleted files.

Through the Flask test client, real SQLite and the real SMTP server: the handler builds and
previews the package on the case page and releases it; the person reads the e-mail, confirms
the mailbox again and downloads; the link expires with the test clock and the worker's purge
deletes the contents.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from datetime import timedelta
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.core.workflow import RequestStatus
from app.models import (
    AuditEntry,
    Delivery,
    DeliveryDownload,
    DeliveryFile,
    DeliveryStatus,
    RequestEvent,
    StaffUser,
)
from app.services.fulfilment import packages
from tests.conftest import Clock
from tests.helpers import add_person, case, code_of, page_text, set_language, text_of, verify
from tests.smtp import Mailbox
from tests.web.case_steps import (
    ANNA,
    BERTIL,
    act,
    acted,
    audit_actions,
    file_case,
    flash_error,
    refused_with,
    staff,
    subject,
)
from tests.web.case_steps import anna as anna  # fixtures, used by name
from tests.web.case_steps import hanna as hanna

S = RequestStatus
NAME = "Karin Lindqvist"
DISPOSITION = re.compile(r'^attachment; filename="DSR-\d{4}-\d{6}-(access|portability)\.[a-z.]+"$')


def visible(answer: TestResponse) -> str:
    return re.sub(r"\s+", " ", html.unescape(page_text(answer)))


def files_of(session: Session, reference: str) -> dict[str, DeliveryFile]:
    """The files of the case's newest package, by format."""
    item = case(session, reference)
    newest = session.scalars(
        select(Delivery).where(Delivery.request_id == item.id).order_by(Delivery.id.desc())
    ).first()
    assert newest is not None
    return {f.format: f for f in newest.files}


def newest(session: Session, reference: str) -> Delivery:
    item = case(session, reference)
    found = session.scalars(
        select(Delivery).where(Delivery.request_id == item.id).order_by(Delivery.id.desc())
    ).first()
    assert found is not None
    return found


def build(hanna: FlaskClient, reference: str) -> str:
    return acted(hanna, reference, "package/build")


def release(hanna: FlaskClient, session: Session, reference: str) -> str:
    delivery = newest(session, reference)
    return acted(
        hanna, reference, "package/release", **{"package_release-delivery_id": str(delivery.id)}
    )


@pytest.fixture
def records(app: Flask, session: Session, clock: Clock) -> None:
    add_person(session, ANNA, clock(), name=NAME)


@pytest.fixture
def reference(anna: FlaskClient, records: None) -> str:
    return file_case(anna, "access", {"scope": "all", "formats": ["pdf", "json"]})


class TestTheWholeLifecycle:
    def test_build_preview_release_download_and_expiry(
        self, app: Flask, anna: FlaskClient, hanna: FlaskClient, handler: StaffUser,
        session: Session, mailbox: Mailbox, clock: Clock, reference: str,
    ) -> None:  # fmt: skip
        # The handler builds: a preview with the PDF, the JSON and the CSV archive.
        page = build(hanna, reference)
        assert "The package is built" in page
        files = files_of(session, reference)
        assert set(files) == {"pdf", "json", "csv"}
        assert newest(session, reference).status is DeliveryStatus.PREVIEW
        assert newest(session, reference).summary  # counts for the handler to check

        # The handler opens the PDF: a real PDF, and the view is in the audit trail.
        pdf = hanna.get(f"/staff/cases/{reference}/package-files/{files['pdf'].id}")
        assert pdf.status_code == 200
        assert pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF")
        assert DISPOSITION.match(pdf.headers["Content-Disposition"])
        assert "no-store" in pdf.headers["Cache-Control"]
        assert "package.view" in audit_actions(session, reference)
        preview = visible(
            hanna.get(f"/staff/cases/{reference}/packages/{files['pdf'].delivery_id}")
        )
        assert "What the package holds" in preview
        assert "Release to the person" in preview

        # Before the release the person sees nothing and cannot fetch the file.
        mails_before = len(mailbox.to(ANNA))
        status_page = visible(anna.get(f"/cases/{reference}"))
        assert "Your files" not in status_page
        assert f"/downloads/{files['pdf'].id}" not in status_page
        assert anna.get(f"/cases/{reference}/downloads/{files['pdf'].id}").status_code == 404
        assert len(mailbox.to(ANNA)) == mails_before

        # Release: the message on the status page, an e-mail that only says something waits.
        page = release(hanna, session, reference)
        assert "The package is released" in page
        delivery = newest(session, reference)
        assert delivery.status is DeliveryStatus.RELEASED
        assert delivery.expires_at == clock() + timedelta(days=app.config["PACKAGE_DAYS"])
        assert case(session, reference).status is not S.COMPLETED  # releasing is not completing
        mail = mailbox.last_to(ANNA)
        assert reference in mail["Subject"]
        assert "download" in mail["Subject"].lower()
        body = text_of(mail)
        assert reference in body
        for private in (NAME, "Norrsken", "070-111", ".pdf", "Inköpschef"):
            assert private not in body, private
            assert private not in mail["Subject"], private

        status_page = visible(anna.get(f"/cases/{reference}"))
        assert "Your files" in status_page
        assert "Download: PDF document" in status_page
        assert "Your copy is ready to download" in status_page  # the timeline
        assert "Art. 15 GDPR" in status_page  # the answer note in the message
        assert "24 December 2026" in status_page  # until when (30 days after 24 November)
        assert "confirm your e-mail address again" in status_page

        # Eleven minutes later the proof of the mailbox is too old: confirm again first.
        clock.advance(minutes=11)
        path = f"/cases/{reference}/downloads/{files['pdf'].id}"
        answer = anna.get(path)
        assert answer.status_code == 303
        assert answer.headers["Location"] == f"{path}/confirm"
        confirm = visible(anna.get(f"{path}/confirm"))
        assert "Confirm your e-mail address to download" in confirm
        assert "Send me a code" in confirm
        assert session.scalars(select(DeliveryDownload)).all() == []

        sent = anna.post(f"{path}/confirm")
        assert sent.status_code == 303
        assert "Confirm and download" in visible(anna.get(f"{path}/confirm"))
        mistyped = anna.post(f"{path}/code", data={"code": "AAAA-2222"})
        assert mistyped.status_code == 400
        assert "The code is not right" in visible(mistyped)
        confirmed = anna.post(f"{path}/code", data={"code": code_of(mailbox.last_to(ANNA))})
        assert confirmed.status_code == 303
        assert confirmed.headers["Location"] == path

        download = anna.get(path)
        assert download.status_code == 200
        assert download.mimetype == "application/pdf"
        assert download.data.startswith(b"%PDF")
        assert download.headers["Content-Disposition"] == (
            f'attachment; filename="{reference}-access.pdf"'
        )
        assert "no-store" in download.headers["Cache-Control"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"

        # The other files follow without a new code while the proof is fresh.
        data = anna.get(f"/cases/{reference}/downloads/{files['json'].id}")
        assert data.status_code == 200
        assert data.mimetype == "application/json"
        json.loads(data.data)
        archive = anna.get(f"/cases/{reference}/downloads/{files['csv'].id}")
        assert archive.status_code == 200
        assert archive.mimetype == "application/zip"
        assert zipfile.ZipFile(BytesIO(archive.data)).namelist()

        # Each download is logged: the delivery's record, the timeline, the audit trail.
        session.expire_all()
        assert len(session.scalars(select(DeliveryDownload)).all()) == 3
        events = [e.kind for e in case(session, reference).events]
        assert events.count("package_downloaded") == 3
        downloads = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "package.download")
        ).all()
        assert [e.actor for e in downloads] == ["subject"] * 3
        assert "You downloaded your copy" in visible(anna.get(f"/cases/{reference}"))
        staff_page = visible(hanna.get(f"/staff/cases/{reference}"))
        assert "downloaded 1 time" in staff_page

        # After PACKAGE_DAYS the link is gone, even before the purge has run.
        clock.advance(days=app.config["PACKAGE_DAYS"])
        later = app.test_client()
        set_language(later, "en")
        verify(later, mailbox, ANNA)
        status_page = visible(later.get(f"/cases/{reference}"))
        assert "Download: PDF document" not in status_page
        assert "The download link expired on 24 December 2026" in status_page
        gone = later.get(path)
        assert gone.status_code == 410
        text = visible(gone)
        assert "The download link has expired" in text
        assert "How to get a new copy" in text

        # The purge deletes the contents; names, sizes and hashes stay as proof.
        assert packages.expire_packages(session, clock()) == 1
        session.commit()
        session.expire_all()
        expired = newest(session, reference)
        assert expired.status is DeliveryStatus.EXPIRED
        assert expired.deleted_at == clock()
        for file in expired.files:
            assert packages.content_of(session, file) is None
            assert file.size > 0
            assert len(file.sha256) == 64
        assert "package_expired" in [e.kind for e in case(session, reference).events]
        assert later.get(path).status_code == 410
        assert packages.expire_packages(session, clock()) == 0

        # The handler's link to the deleted file leads back to the case with a message.
        hanna = staff(app, handler)  # a month later: signed in again
        answer = hanna.get(f"/staff/cases/{reference}/package-files/{files['pdf'].id}")
        assert answer.status_code == 303
        assert "was deleted" in flash_error(page_text(hanna.get(answer.headers["Location"])))

    def test_a_freshly_verified_person_downloads_at_once(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, reference: str
    ) -> None:
        build(hanna, reference)
        release(hanna, session, reference)
        pdf = files_of(session, reference)["pdf"]
        assert anna.head(f"/cases/{reference}/downloads/{pdf.id}").status_code == 200
        assert session.scalars(select(DeliveryDownload)).all() == []  # a HEAD is no download
        answer = anna.get(f"/cases/{reference}/downloads/{pdf.id}")
        assert answer.status_code == 200
        assert answer.data.startswith(b"%PDF")
        assert len(session.scalars(select(DeliveryDownload)).all()) == 1


class TestRebuildAndRelease:
    def test_a_rebuild_supersedes_the_preview_and_its_files_go(
        self, hanna: FlaskClient, session: Session, reference: str
    ) -> None:
        build(hanna, reference)
        first = newest(session, reference)
        first_id, first_pdf = first.id, first.files[0].id
        page = build(hanna, reference)
        assert "Build the package again" in page
        session.expire_all()
        old = session.get(Delivery, first_id)
        assert old is not None
        assert old.status is DeliveryStatus.SUPERSEDED
        assert all(packages.content_of(session, f) is None for f in old.files)
        assert newest(session, reference).status is DeliveryStatus.PREVIEW

        # The superseded package cannot be released any more: nothing changes.
        page = refused_with(
            hanna, reference, "package/release", **{"package_release-delivery_id": str(first_id)}
        )
        assert "no longer the one waiting for release" in flash_error(page)
        assert newest(session, reference).status is DeliveryStatus.PREVIEW
        assert hanna.get(f"/staff/cases/{reference}/package-files/{first_pdf}").status_code == 303

    def test_a_second_release_ends_the_first(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, reference: str
    ) -> None:
        build(hanna, reference)
        release(hanna, session, reference)
        first = newest(session, reference)
        first_pdf = first.files[0].id
        build(hanna, reference)
        release(hanna, session, reference)
        session.expire_all()
        assert session.get(Delivery, first.id).status is DeliveryStatus.EXPIRED  # type: ignore[union-attr]
        assert anna.get(f"/cases/{reference}/downloads/{first_pdf}").status_code == 410
        fresh = files_of(session, reference)["pdf"]
        assert anna.get(f"/cases/{reference}/downloads/{fresh.id}").status_code == 200


class TestCompletion:
    def test_an_access_case_is_completed_only_after_a_release(
        self, hanna: FlaskClient, session: Session, reference: str
    ) -> None:
        page = refused_with(hanna, reference, "complete", **{"complete-body": "Here it is."})
        assert "Release the package to the person before completing" in flash_error(page)
        build(hanna, reference)
        refused_with(hanna, reference, "complete", **{"complete-body": "Here it is."})
        assert case(session, reference).is_open
        release(hanna, session, reference)
        acted(hanna, reference, "complete", **{"complete-body": "Here it is."})
        assert case(session, reference).status is S.COMPLETED
        # A closed case builds nothing more.
        assert "package/build" not in page_text(hanna.get(f"/staff/cases/{reference}"))
        page = refused_with(hanna, reference, "package/build")
        assert "The case is closed" in flash_error(page)


class TestOnlyTheOwner:
    def test_another_person_gets_404_for_the_files_and_the_pages(
        self, app: Flask, mailbox: Mailbox, hanna: FlaskClient, session: Session,
        reference: str,
    ) -> None:  # fmt: skip
        build(hanna, reference)
        release(hanna, session, reference)
        pdf = files_of(session, reference)["pdf"]
        bertil = subject(app, mailbox, BERTIL)
        own = file_case(bertil, "access")
        for path in (
            f"/cases/{reference}/downloads/{pdf.id}",
            f"/cases/{reference}/downloads/{pdf.id}/confirm",
            f"/cases/{own}/downloads/{pdf.id}",  # their own case, someone else's file
            f"/cases/{own}/downloads/{pdf.id}/confirm",
        ):
            assert bertil.get(path).status_code == 404, path
        assert bertil.post(f"/cases/{own}/downloads/{pdf.id}/confirm").status_code == 404
        assert (
            bertil.post(f"/cases/{own}/downloads/{pdf.id}/code", data={"code": "x"}).status_code
            == 404
        )
        assert session.scalars(select(DeliveryDownload)).all() == []

    def test_a_visitor_without_verification_is_sent_to_verify(
        self, app: Flask, hanna: FlaskClient, session: Session, reference: str
    ) -> None:
        build(hanna, reference)
        release(hanna, session, reference)
        pdf = files_of(session, reference)["pdf"]
        answer = app.test_client().get(f"/cases/{reference}/downloads/{pdf.id}")
        assert answer.status_code == 302
        assert answer.headers["Location"] == "/"

    def test_the_handler_cannot_open_a_file_through_another_case(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, reference: str
    ) -> None:
        build(hanna, reference)
        pdf = files_of(session, reference)["pdf"]
        other = file_case(anna, "access")
        assert hanna.get(f"/staff/cases/{other}/package-files/{pdf.id}").status_code == 404
        assert hanna.get(f"/staff/cases/{other}/packages/{pdf.delivery_id}").status_code == 404


class TestBadInput:
    def test_release_with_a_broken_package_id_shows_the_form_again(
        self, hanna: FlaskClient, session: Session, reference: str
    ) -> None:
        build(hanna, reference)
        answer = act(hanna, reference, "package/release", **{"package_release-delivery_id": "x1"})
        assert answer.status_code == 400
        assert "Choose the package to release" in visible(answer)
        answer = act(hanna, reference, "package/release")
        assert answer.status_code == 400
        refused_with(hanna, reference, "package/release", **{"package_release-delivery_id": "999"})
        assert newest(session, reference).status is DeliveryStatus.PREVIEW

    def test_other_request_types_have_no_package(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "erasure")
        assert "Build the package" not in page_text(hanna.get(f"/staff/cases/{reference}"))
        page = refused_with(hanna, reference, "package/build")
        assert "Only access and portability requests" in flash_error(page)
        assert session.scalars(select(Delivery)).all() == []

    def test_the_code_form_answers_bad_input_with_a_message(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, clock: Clock,
        reference: str,
    ) -> None:  # fmt: skip
        build(hanna, reference)
        release(hanna, session, reference)
        path = f"/cases/{reference}/downloads/{files_of(session, reference)['pdf'].id}"
        clock.advance(minutes=11)
        empty = anna.post(f"{path}/code", data={"code": ""})
        assert empty.status_code == 400
        assert "Enter the code from the e-mail" in visible(empty)
        unsent = anna.post(f"{path}/code", data={"code": "ABCD-2345"})  # no code asked for
        assert unsent.status_code == 400
        assert "Send a new code" in visible(unsent)
        assert anna.get(path).status_code == 303  # still not confirmed
        assert anna.get(f"/cases/{reference}/downloads/99999").status_code == 404


class TestPortability:
    def test_a_lead_gets_the_explanation_why_portability_does_not_apply(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, mailbox: Mailbox,
        records: None,
    ) -> None:  # fmt: skip
        reference = file_case(anna, "portability", {"formats": ["json", "csv"]})
        build(hanna, reference)
        files = files_of(session, reference)
        assert set(files) == {"json", "csv"}
        assert files["json"].media_type == "application/json"
        assert files["csv"].media_type == "application/zip"
        staff_json = hanna.get(f"/staff/cases/{reference}/package-files/{files['json'].id}")
        json.loads(staff_json.data)
        release(hanna, session, reference)
        status_page = visible(anna.get(f"/cases/{reference}"))
        assert "Art. 20 GDPR" in status_page
        assert "None of the data we hold about you is covered" in status_page
        note = newest(session, reference).summary["_not_applicable"]
        assert note
        assert html.unescape(note.split("\n")[0]) in status_page
        answer = anna.get(f"/cases/{reference}/downloads/{files['csv'].id}")
        assert answer.status_code == 200
        assert answer.headers["Content-Disposition"] == (
            f'attachment; filename="{reference}-portability.csv.zip"'
        )
        events = session.scalars(
            select(RequestEvent.kind).where(RequestEvent.kind.like("package_%"))
        ).all()
        assert events == ["package_built", "package_released", "package_downloaded"]
