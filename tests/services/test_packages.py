"""The package service on its own: formats, expiry, purge on erasure, the completion guard.

Packages are stored as the build leaves them (rows with small file contents), so these tests do
not depend on the renderers; building and rendering are walked through in tests/web.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.workflow import RequestStatus, RequestType
from app.models import (
    AuditEntry,
    Delivery,
    DeliveryFile,
    DeliveryKind,
    DeliveryStatus,
    StaffUser,
    SubjectRequest,
)
from app.services import casework, intake
from app.services.errors import RuleError
from app.services.fulfilment import packages
from tests.conftest import Clock

ANNA = "anna@example.com"
BERTIL = "bertil@example.com"


def file(
    session: Session, clock: Clock, email: str = ANNA, type: RequestType = RequestType.ACCESS,
    details: dict[str, Any] | None = None,
) -> SubjectRequest:  # fmt: skip
    filed = intake.file_request(
        session, email=email, type=type,
        details=details if details is not None else {"scope": "all", "parts": [],
                                                     "formats": ["pdf"]},
        original_text=None, language="en", now=clock(),
    )  # fmt: skip
    session.commit()
    return filed


def stored(
    session: Session, request: SubjectRequest, status: DeliveryStatus, at: datetime,
    *, expires_at: datetime | None = None,
) -> Delivery:  # fmt: skip
    """A package as a build and a release leave it: one small PDF file."""
    content = b"%PDF-1.4 a small package"
    delivery = Delivery(
        request_id=request.id, kind=packages.kind_of(request) or DeliveryKind.ACCESS,
        status=status, language="en", built_at=at,
        released_at=at if status is not DeliveryStatus.PREVIEW else None,
        expires_at=expires_at, summary={"records": 1},
        files=[DeliveryFile(format="pdf", filename=f"{request.reference}-access.pdf",
                            media_type="application/pdf", size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(), content=content)],
    )  # fmt: skip
    session.add(delivery)
    session.commit()
    return delivery


def contents(session: Session, delivery: Delivery) -> list[bytes | None]:
    return [packages.content_of(session, f) for f in delivery.files]


class TestFormats:
    @pytest.mark.parametrize(
        ("type", "asked", "expected"),
        [
            (RequestType.ACCESS, ["pdf"], ["pdf"]),
            (RequestType.ACCESS, ["json", "pdf"], ["pdf", "json"]),
            (RequestType.ACCESS, [], ["pdf"]),  # manual intake asks for nothing: the PDF
            (RequestType.ACCESS, ["exe", "csv"], ["pdf"]),  # only what the form allows
            (RequestType.PORTABILITY, ["csv"], ["csv"]),
            (RequestType.PORTABILITY, None, ["json"]),
            (RequestType.ERASURE, ["pdf"], []),
        ],
    )
    def test_formats_come_from_the_request_within_an_allow_list(
        self, app: Flask, session: Session, clock: Clock, type: RequestType,
        asked: list[str] | None, expected: list[str],
    ) -> None:  # fmt: skip
        details: dict[str, Any] = {} if asked is None else {"formats": asked}
        request = file(session, clock, type=type, details=details)
        assert packages.requested_formats(request) == expected

    def test_parts_only_when_the_person_limited_the_scope(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        some = file(session, clock, details={"scope": "parts", "parts": ["contact", "meetings"]})
        everything = file(session, clock, details={"scope": "all", "parts": ["contact"]})
        assert packages.requested_parts(some) == ["contact", "meetings"]
        assert packages.requested_parts(everything) is None


class TestExpiry:
    def test_released_packages_past_expiry_lose_their_contents_but_keep_the_proof(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        request = file(session, clock)
        due = stored(session, request, DeliveryStatus.RELEASED, clock(),
                     expires_at=clock() + timedelta(days=30))  # fmt: skip
        later = file(session, clock)
        running = stored(session, later, DeliveryStatus.RELEASED, clock(),
                         expires_at=clock() + timedelta(days=31))  # fmt: skip
        preview = stored(session, later, DeliveryStatus.PREVIEW, clock())

        assert packages.expire_packages(session, clock() + timedelta(days=29)) == 0
        moment = clock.advance(days=30)
        assert packages.expire_packages(session, moment) == 1
        session.commit()
        session.expire_all()

        assert due.status is DeliveryStatus.EXPIRED
        assert due.deleted_at == moment
        assert contents(session, due) == [None]
        assert due.files[0].size == len(b"%PDF-1.4 a small package")
        assert due.files[0].sha256 == hashlib.sha256(b"%PDF-1.4 a small package").hexdigest()
        assert [e.kind for e in request.events][-1] == "package_expired"
        assert request.events[-1].visible_to_subject
        assert running.status is DeliveryStatus.RELEASED
        assert contents(session, running) != [None]
        assert preview.status is DeliveryStatus.PREVIEW  # an open case may still release it
        assert contents(session, preview) != [None]
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "package.expire")
        ).all()
        assert [(e.actor, e.reference) for e in entries] == [("system", request.reference)]
        assert packages.expire_packages(session, moment) == 0  # nothing twice

    def test_previews_of_closed_cases_are_discarded(
        self, app: Flask, session: Session, clock: Clock, handler: StaffUser
    ) -> None:
        request = file(session, clock)
        preview = stored(session, request, DeliveryStatus.PREVIEW, clock())
        casework.start_work(session, request, by=handler, now=clock())
        from app.services import processing

        processing.withdraw(session, request, now=clock())
        session.commit()
        assert packages.expire_packages(session, clock()) == 1
        session.expire_all()
        assert preview.status is DeliveryStatus.SUPERSEDED
        assert contents(session, preview) == [None]


class TestPurgeOnErasure:
    def test_every_file_of_the_address_is_emptied_and_others_are_untouched(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        mine = file(session, clock)
        released = stored(session, mine, DeliveryStatus.RELEASED, clock(),
                          expires_at=clock() + timedelta(days=30))  # fmt: skip
        preview = stored(session, mine, DeliveryStatus.PREVIEW, clock())
        theirs = stored(session, file(session, clock, BERTIL), DeliveryStatus.PREVIEW, clock())

        assert packages.purge_deliveries_of(session, ANNA, now=clock()) == 2
        session.commit()
        session.expire_all()
        assert contents(session, released) == [None]
        assert contents(session, preview) == [None]
        assert released.status is DeliveryStatus.EXPIRED
        assert preview.status is DeliveryStatus.SUPERSEDED
        assert released.deleted_at == clock()
        assert contents(session, theirs) == [b"%PDF-1.4 a small package"]
        assert packages.purge_deliveries_of(session, ANNA) == 0  # nothing left to delete


class TestCompletionGuard:
    def test_access_and_portability_need_a_release(
        self, app: Flask, session: Session, clock: Clock, handler: StaffUser
    ) -> None:
        access = file(session, clock)
        portability = file(session, clock, type=RequestType.PORTABILITY,
                           details={"formats": ["json"]})  # fmt: skip
        erasure = file(session, clock, type=RequestType.ERASURE, details={"scope": "all"})
        # The message is in the language of the page.
        with app.test_request_context(), force_locale("en"):
            for request in (access, portability):
                with pytest.raises(RuleError, match="Release the package"):
                    casework.complete(session, request, "Done.", by=handler, now=clock())
            assert packages.completion_guard(session, erasure) is None
            stored(session, access, DeliveryStatus.PREVIEW, clock())
            assert packages.completion_guard(session, access) is not None
        stored(session, access, DeliveryStatus.RELEASED, clock(),
               expires_at=clock() + timedelta(days=30))  # fmt: skip
        casework.complete(session, access, "Done.", by=handler, now=clock())
        assert access.status is RequestStatus.COMPLETED

    def test_a_whole_refusal_needs_no_package(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        request = file(session, clock)
        request.refusal_scope = "whole"
        assert packages.completion_guard(session, request) is None
        request.refusal_scope = "partial"
        with app.test_request_context():
            assert packages.completion_guard(session, request) is not None


class TestReleaseRules:
    def test_only_the_current_preview_of_an_open_case_is_released(
        self, app: Flask, session: Session, clock: Clock, handler: StaffUser
    ) -> None:
        request = file(session, clock)
        old = stored(session, request, DeliveryStatus.SUPERSEDED, clock())
        preview = stored(session, request, DeliveryStatus.PREVIEW, clock())
        with app.test_request_context():
            with pytest.raises(RuleError):
                packages.release_package(session, request, old.id, days=30, by=handler,
                                         now=clock())  # fmt: skip
            delivery = packages.release_package(
                session, request, preview.id, days=30, by=handler, now=clock()
            )
        assert delivery.expires_at == clock() + timedelta(days=30)
        message = request.messages[-1].body
        assert request.reference in message
        assert "Art. 15 GDPR" in message
        assert "24 December 2026" in message
        assert "PDF document" in message
        assert not message.startswith("\n")
        assert "\n\n\n" not in message
        with app.test_request_context(), pytest.raises(RuleError):  # released already
            packages.release_package(session, request, preview.id, days=30, by=handler,
                                     now=clock())  # fmt: skip
