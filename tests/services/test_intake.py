"""Filing a request as a service: references, dates, deadlines, immediate effects, the receipt."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.deadlines import legal_deadline
from app.core.workflow import Channel, RequestStatus, RequestType
from app.models import Consent, OutboundEmail, Person, SubjectRequest
from app.services import intake
from tests.conftest import Clock
from tests.helpers import add_person

ANNA = "anna@example.com"


def file(
    session: Session, when: datetime, request_type: RequestType = RequestType.ACCESS, **kw: Any
) -> SubjectRequest:
    options: dict[str, Any] = {
        "email": ANNA,
        "type": request_type,
        "details": {},
        "original_text": None,
        "language": "sv",
        "now": when,
        **kw,
    }
    return intake.file_request(session, **options)


def receipts(session: Session) -> list[OutboundEmail]:
    return list(session.scalars(select(OutboundEmail).where(OutboundEmail.template == "receipt")))


class TestReferences:
    def test_references_run_per_year_with_six_digits(self, app: Flask, session: Session) -> None:
        december = datetime(2026, 12, 30, 10, tzinfo=UTC)
        january = datetime(2027, 1, 4, 10, tzinfo=UTC)
        references = [file(session, december).reference for _ in range(2)]
        references += [file(session, january).reference for _ in range(2)]
        references.append(file(session, december).reference)  # a letter dated last year
        assert references == [
            "DSR-2026-000001",
            "DSR-2026-000002",
            "DSR-2027-000001",
            "DSR-2027-000002",
            "DSR-2026-000003",
        ]

    def test_the_year_is_the_year_in_stockholm(self, app: Flask, session: Session) -> None:
        new_years_eve_utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January
        assert file(session, new_years_eve_utc).reference == "DSR-2027-000001"

    def test_counter_continues_after_a_commit(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        file(session, clock())
        session.commit()
        assert file(session, clock()).reference == "DSR-2026-000002"

    def test_rolled_back_filing_does_not_use_up_a_number(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        file(session, clock())
        session.rollback()
        assert file(session, clock()).reference == "DSR-2026-000001"


class TestDates:
    @pytest.mark.parametrize(
        ("moment", "received_on"),
        [
            (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), date(2026, 11, 24)),
            (datetime(2026, 11, 30, 22, 59, tzinfo=UTC), date(2026, 11, 30)),
            (datetime(2026, 11, 30, 23, 0, tzinfo=UTC), date(2026, 12, 1)),  # CET, UTC+1
            (datetime(2026, 6, 30, 21, 59, tzinfo=UTC), date(2026, 6, 30)),
            (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), date(2026, 7, 1)),  # CEST, UTC+2
        ],
    )
    def test_deadline_counts_from_the_date_in_stockholm(
        self, app: Flask, session: Session, moment: datetime, received_on: date
    ) -> None:
        request = file(session, moment)
        assert request.received_at == moment
        assert request.received_on == received_on
        assert request.legal_due_on == request.due_on == legal_deadline(received_on)
        assert request.extended_due_on is None

    def test_request_that_came_by_letter_counts_from_its_arrival(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        arrived = clock() - timedelta(days=3)
        request = file(
            session,
            clock(),
            channel=Channel.LETTER,
            received_at=arrived,
            actor="staff:1",
        )
        assert request.channel is Channel.LETTER
        assert request.received_at == arrived
        assert request.received_on == date(2026, 11, 21)
        assert request.due_on == legal_deadline(date(2026, 11, 21))
        assert request.created_at == clock()
        assert request.events[0].actor == "staff:1"


class TestFiling:
    @pytest.mark.parametrize(
        "request_type",
        [t for t in RequestType if t is not RequestType.CONSENT_WITHDRAWAL],
    )
    def test_each_type_is_received_with_its_wording_and_receipt(
        self, app: Flask, session: Session, clock: Clock, request_type: RequestType
    ) -> None:
        details = (
            {"kind": "legitimate_interest", "grounds": "x"}
            if request_type is RequestType.OBJECTION
            else {"a": 1}
        )
        request = file(session, clock(), request_type, details=details, original_text="  Hej  ")

        assert request.status is RequestStatus.RECEIVED
        assert request.details == details
        assert request.original_text == "  Hej  "
        assert [(e.kind, e.to_status) for e in request.events] == [
            ("filed", RequestStatus.RECEIVED)
        ]
        (receipt,) = receipts(session)
        assert receipt.request_id == request.id
        assert receipt.to_address == ANNA
        assert request.reference in receipt.subject

    def test_empty_wording_is_stored_as_none(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        assert file(session, clock(), original_text="").original_text is None

    def test_same_submission_key_returns_the_first_case_and_queues_nothing(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        first = file(session, clock(), submission_key="once")
        session.commit()
        again = file(session, clock(), RequestType.ERASURE, submission_key="once")

        assert again.id == first.id
        assert again.type is RequestType.ACCESS
        assert len(session.scalars(select(SubjectRequest)).all()) == 1
        assert len(receipts(session)) == 1

    def test_different_keys_file_different_cases(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        file(session, clock(), submission_key="one")
        file(session, clock(), submission_key="two")
        file(session, clock())
        file(session, clock())
        assert len(session.scalars(select(SubjectRequest)).all()) == 4


class TestImmediateEffects:
    def test_consent_withdrawal_ignores_consents_of_someone_else(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        anna = add_person(
            session, ANNA, clock(), consents=("direct_marketing", "service_improvement")
        )
        bertil = add_person(session, "bertil@example.com", clock(), consents=("direct_marketing",))
        own, kept = anna.consents
        foreign = bertil.consents[0]

        request = file(
            session,
            clock(),
            RequestType.CONSENT_WITHDRAWAL,
            details={"consent_ids": [own.id, foreign.id]},
        )

        session.expire_all()
        assert session.get_one(Consent, own.id).withdrawn_at == clock()
        assert session.get_one(Consent, kept.id).withdrawn_at is None
        assert session.get_one(Consent, foreign.id).withdrawn_at is None
        assert request.status is RequestStatus.COMPLETED
        assert request.closed_at == clock()
        assert request.events[-1].data == {"consents": [own.id]}

    def test_consent_already_withdrawn_keeps_its_first_date(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        anna = add_person(session, ANNA, clock(), consents=("direct_marketing",))
        consent_id = anna.consents[0].id
        file(
            session, clock(), RequestType.CONSENT_WITHDRAWAL, details={"consent_ids": [consent_id]}
        )
        first = clock()
        clock.advance(days=1)
        file(
            session, clock(), RequestType.CONSENT_WITHDRAWAL, details={"consent_ids": [consent_id]}
        )
        session.expire_all()
        assert session.get_one(Consent, consent_id).withdrawn_at == first

    def test_objection_to_direct_marketing_marks_every_record_of_the_address(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        first = add_person(
            session, ANNA, clock(), consents=("direct_marketing", "service_improvement")
        )
        second = add_person(session, ANNA, clock(), consents=("direct_marketing",))
        bertil = add_person(session, "bertil@example.com", clock(), consents=("direct_marketing",))

        request = file(
            session, clock(), RequestType.OBJECTION, details={"kind": "direct_marketing"}
        )

        session.expire_all()
        assert [p.marketing_objection_at for p in (first, second)] == [clock(), clock()]
        assert bertil.marketing_objection_at is None
        withdrawn = {
            (c.person_id, c.purpose.code): c.withdrawn_at for c in session.scalars(select(Consent))
        }
        assert withdrawn == {
            (first.id, "direct_marketing"): clock(),
            (first.id, "service_improvement"): None,
            (second.id, "direct_marketing"): clock(),
            (bertil.id, "direct_marketing"): None,
        }
        assert request.status is RequestStatus.COMPLETED
        assert request.events[-1].kind == "marketing_stopped"
        assert request.events[-1].data == {"records": 2}

    def test_objection_without_records_is_still_completed(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        request = file(
            session, clock(), RequestType.OBJECTION, details={"kind": "direct_marketing"}
        )
        assert request.status is RequestStatus.COMPLETED
        assert session.scalars(select(Person)).all() == []

    def test_receipt_of_an_immediate_request_is_queued_with_the_outcome(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        request = file(
            session, clock(), RequestType.OBJECTION, details={"kind": "direct_marketing"}
        )
        (receipt,) = receipts(session)
        assert receipt.request_id == request.id

    def test_effects_and_receipt_roll_back_together(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        anna = add_person(session, ANNA, clock(), consents=("direct_marketing",))
        file(session, clock(), RequestType.OBJECTION, details={"kind": "direct_marketing"})

        session.rollback()

        session.expire_all()
        assert session.get_one(Person, anna.id).marketing_objection_at is None
        assert session.get_one(Consent, anna.consents[0].id).withdrawn_at is None
        assert session.scalars(select(SubjectRequest)).all() == []
        assert receipts(session) == []
