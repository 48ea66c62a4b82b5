"""Erasure (Art. 17) on seeded data: the plan row by row, the officer's approval carrying it out,
no trace left in any table, other people untouched, accounting records kept under BFL, a stale
plan refused, and the person's confirmation.

``traces`` and ``untouched_rows`` are shared with tests/web/test_erasure.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from babel.dates import format_date
from flask import Flask
from sqlalchemy import JSON, LargeBinary, String, select
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.core.workflow import RequestType
from app.db import Base
from app.models import (
    AccountingRecord,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Assignment,
    AuditEntry,
    Communication,
    Company,
    Consent,
    Delivery,
    DeliveryFile,
    DeliveryKind,
    DeliveryStatus,
    EmailStatus,
    EmailToken,
    Meeting,
    NoticeAction,
    OutboundEmail,
    Person,
    PersonKind,
    Purpose,
    RecipientNotice,
    StaffUser,
    SubjectKey,
    SubjectRequest,
    SubjectSession,
    Suppression,
    TechnicalRecord,
)
from app.services import casework, decisions, notices, subject_keys, suppression
from app.services.demo import ANNA, KARIN, seed_demo
from app.services.errors import RuleError
from app.services.fulfilment import erasure, rectification
from tests.conftest import Clock
from tests.factories import file_case

ANNA_NAME = "Anna Lindqvist"
ANNA_PHONE = "+46 70 174 06 05"
NEW_PHONE = "+46 73 555 01 02"
KARIN_NAME = "Karin Åström"
TODAY = date(2026, 11, 24)  # the Stockholm date of tests.conftest.START

# Colleagues at Anna's company whose names and addresses are close to hers.
LOOKALIKES = (
    ("hanna.lindqvist@norrskenlogistik.se", "Hanna Lindqvist"),
    ("anna.lindkvist@norrskenlogistik.se", "Anna Lindkvist"),
    ("anna-lena.lindqvist@norrskenlogistik.se", "Anna-Lena Lindqvist"),
    ("anna.lindqvist@norrskenlogistik.com", "Annie Lindqvist"),
)
RECORD_TABLES = (
    Person, Assignment, Communication, Meeting, Consent, TechnicalRecord, AccountingRecord, Company
)  # fmt: skip


# --- searching every table --------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    table: str
    column: str
    row: dict[str, Any]


def _pattern(needle: str) -> re.Pattern[str]:
    """The needle as a whole word: "Hanna Lindqvist" is not "Anna Lindqvist"."""
    return re.compile(rf"(?<![\w.+-]){re.escape(needle)}(?![\w-])", re.IGNORECASE)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "ignore")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def traces(session: Session, needles: Iterable[str]) -> list[Hit]:
    """Every cell of every table in ``Base.metadata`` that holds one of the needles."""
    patterns = [_pattern(n) for n in needles if n]
    hits = []
    session.expire_all()
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | JSON | LargeBinary)]
        if not columns:
            continue
        for row in session.execute(select(table)).mappings():
            for column in columns:
                text = _text(row[column.name])
                if text and any(p.search(text) for p in patterns):
                    hits.append(Hit(table.name, column.name, dict(row)))
    return hits


def disallowed(session: Session, email: str, hits: list[Hit]) -> list[Hit]:
    """Hits outside what legal.md §6 lets the case log keep: the address's cases, their
    messages, timeline and notes, and the e-mails sent on them."""
    cases = set(session.scalars(select(SubjectRequest.id).where(SubjectRequest.email == email)))
    allowed_children = {"messages", "request_events", "case_notes", "outbound_emails"}

    def allowed(hit: Hit) -> bool:
        if hit.table == "subject_requests":
            return hit.row["id"] in cases
        return hit.table in allowed_children and hit.row.get("request_id") in cases

    return [hit for hit in hits if not allowed(hit)]


def untouched_rows(session: Session, except_ids: dict[str, set[int]]) -> dict[str, dict[int, Any]]:
    """Every row of the record tables but the excepted ones, to compare before and after."""
    session.expire_all()
    found: dict[str, dict[int, Any]] = {}
    for model in RECORD_TABLES:
        table = model.__table__
        skip = except_ids.get(table.name, set())
        found[table.name] = {
            row["id"]: tuple(row.values())
            for row in session.execute(select(table)).mappings()
            if row["id"] not in skip
        }
    return found


def rows_of(session: Session, email: str) -> dict[str, set[int]]:
    """The ids of every record row the address has, by table."""
    people = set(session.scalars(select(Person.id).where(Person.email == email)))
    found = {"people": people}
    for model in (Assignment, Communication, Meeting, Consent, TechnicalRecord, AccountingRecord):
        found[model.__tablename__] = set(
            session.scalars(select(model.id).where(model.person_id.in_(people)))
        )
    return found


# --- fixtures ---------------------------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("english_page")


@pytest.fixture
def seeded(app: Flask, session: Session, clock: Clock) -> None:
    """150 demo leads and the fixed demo people, plus Anna's look-alike colleagues."""
    seed_demo(session, leads=150, now=clock())
    anna = session.scalars(select(Person).where(Person.email == ANNA)).one()
    for email, name in LOOKALIKES:
        other = Person(
            email=email, name=name, phone="+46 70 174 06 99", job_title="Inköpare",
            company_id=anna.company_id, kind=PersonKind.LEAD, source="LinkedIn",
            created_at=clock(), updated_at=clock(),
        )  # fmt: skip
        other.communications.append(
            Communication(
                occurred_at=clock() - timedelta(days=3),
                channel="email",
                direction="outbound",
                subject="Möte?",
                body=f"Hej {name.split()[0]}! Hälsningar från Norrsken.",
            )
        )
        session.add(other)
    marketing = session.scalars(select(Purpose).where(Purpose.code == "direct_marketing")).one()
    session.add(
        Consent(person_id=anna.id, purpose=marketing, given_at=clock() - timedelta(days=30),
                evidence="Formulär på webbplatsen")
    )  # fmt: skip
    session.commit()


def file(
    session: Session, clock: Clock, email: str, type: RequestType = RequestType.ERASURE,
    details: dict[str, Any] | None = None,
) -> SubjectRequest:  # fmt: skip
    if details is None:
        details = {"scope": "all", "parts": [], "ground": "not_needed"}
    return file_case(session, clock, type, details, email=email)


def propose(session: Session, case: SubjectRequest, by: StaffUser, clock: Clock) -> Approval:
    approval = erasure.propose_plan(
        session, case, "The lead data are no longer needed (Art. 17.1 a).", by=by, now=clock(),
        today=TODAY,
    )  # fmt: skip
    session.commit()
    return approval


def approve(session: Session, approval: Any, officer: StaffUser, clock: Clock) -> None:
    decisions.decide(
        session, approval, approve=True, note=None, by=officer, now=clock(), today=TODAY
    )
    session.commit()


def portal_traces(session: Session, clock: Clock, email: str) -> None:
    """What verifying in the portal leaves: a used link, a session, the sent link e-mail."""
    now = clock()
    session.add_all(
        [
            EmailToken(token_hash="a" * 64, code_hash="b" * 64, email=email, created_at=now,
                       expires_at=now + timedelta(minutes=30), used_at=now),
            SubjectSession(secret_hash="c" * 64, email=email, created_at=now,
                           expires_at=now + timedelta(hours=1), last_seen_at=now),
            OutboundEmail(message_id="<verify-1@test>", template="verify", language="en",
                          to_address=email, subject="Bekräfta", body_text=f"Hej {email}",
                          status=EmailStatus.SENT, next_attempt_at=now, created_at=now,
                          sent_at=now),
        ]
    )  # fmt: skip
    session.commit()


# --- the plan ---------------------------------------------------------------------------------


class TestPlan:
    def test_the_plan_lists_every_row_of_the_address(
        self, session: Session, clock: Clock, seeded: None
    ) -> None:
        case = file(session, clock, ANNA)
        plan = erasure.plan_erasure(session, case, TODAY)
        held = rows_of(session, ANNA)
        assert {k: set(v) for k, v in plan.erase.items()} == held
        assert plan.kept == ()
        assert all(held[t] for t in ("people", "communications", "meetings", "consents"))
        assert plan.counts["erased"]["technical_records"] == len(held["technical_records"]) > 0
        assert plan.is_full

    def test_the_payload_holds_ids_and_counts_only(
        self, session: Session, clock: Clock, seeded: None
    ) -> None:
        case = file(session, clock, KARIN)
        plan = erasure.plan_erasure(session, case, TODAY)
        payload = json.dumps(plan.to_payload(), ensure_ascii=False)
        assert KARIN not in payload
        assert KARIN_NAME not in payload
        assert "Faktura" not in payload
        again = erasure.ErasurePlan.from_payload(json.loads(payload))
        assert again.same_rows(plan)
        assert again.counts == plan.counts

    def test_accounting_records_are_kept_under_bfl_until_the_seventh_year(
        self, session: Session, clock: Clock, seeded: None
    ) -> None:
        case = file(session, clock, KARIN)
        plan = erasure.plan_erasure(session, case, TODAY)
        invoices = session.execute(
            select(AccountingRecord.id, AccountingRecord.document_date)
            .join(Person, Person.id == AccountingRecord.person_id)
            .where(Person.email == KARIN)
        ).all()
        assert invoices
        expected: dict[date, set[int]] = {}
        for record_id, issued in invoices:
            expected.setdefault(date(issued.year + 7, 12, 31), set()).add(record_id)
        groups = {g.until: set(g.ids) for g in plan.kept}
        assert groups == expected
        assert {g.ground for g in plan.kept} == {erasure.BOOKKEEPING}
        assert plan.erase["accounting_records"] == ()
        rows = [r for r in plan.rows() if r.category == "accounting_records"]
        assert [(r.kept, r.until) for r in rows] == [
            (len(expected[u]), u) for u in sorted(expected)
        ]

    def test_accounting_records_past_their_time_are_erased(
        self, session: Session, clock: Clock, seeded: None
    ) -> None:
        karin = session.scalars(select(Person).where(Person.email == KARIN)).one()
        old = AccountingRecord(
            person_id=karin.id, company_id=karin.company_id, document_number="F2018-000001",
            document_date=date(2018, 6, 1), description="Faktura juni 2018",
            amount_sek=Decimal("1000.00"), reference_name=KARIN_NAME,
        )  # fmt: skip
        session.add(old)
        session.commit()
        plan = erasure.plan_erasure(session, file(session, clock, KARIN), TODAY)
        assert old.id in plan.erase["accounting_records"]  # kept until 31 Dec 2025 only
        assert all(old.id not in g.ids for g in plan.kept)

    def test_only_the_parts_asked_for_are_erased(
        self, session: Session, clock: Clock, seeded: None
    ) -> None:
        details = {"scope": "parts", "parts": ["technical", "communication"], "ground": "unsure"}
        case = file(session, clock, ANNA, details=details)
        plan = erasure.plan_erasure(session, case, TODAY)
        held = rows_of(session, ANNA)
        assert set(plan.erase["communications"]) == held["communications"]
        assert set(plan.erase["technical_records"]) == held["technical_records"]
        assert plan.erase["people"] == ()
        assert plan.erase["meetings"] == ()
        not_requested = {g.category: set(g.ids) for g in plan.kept}
        assert not_requested["people"] == held["people"]
        assert {g.ground for g in plan.kept} == {erasure.NOT_REQUESTED}
        assert not plan.is_full

    def test_contact_details_mean_the_whole_record(
        self, session: Session, clock: Clock, seeded: None
    ) -> None:
        details = {"scope": "parts", "parts": ["contact"], "ground": "unsure"}
        plan = erasure.plan_erasure(session, file(session, clock, ANNA, details=details), TODAY)
        assert {k: set(v) for k, v in plan.erase.items()} == rows_of(session, ANNA)
        assert plan.is_full

    def test_other_open_cases_of_the_address_are_named(
        self, session: Session, clock: Clock, seeded: None
    ) -> None:
        access = file(
            session, clock, ANNA, RequestType.ACCESS, {"scope": "all", "formats": ["pdf"]}
        )
        case = file(session, clock, ANNA)
        assert erasure.plan_erasure(session, case, TODAY).other_open_cases == (access.reference,)


# --- carrying it out --------------------------------------------------------------------------


class TestErasureOfALead:
    def test_no_trace_is_left_and_no_one_else_is_touched(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser,
        officer: StaffUser,
    ) -> None:  # fmt: skip
        anna = session.scalars(select(Person).where(Person.email == ANNA)).one()
        # An earlier correction: sealed values in the audit trail, new values in the notices.
        fix = file(session, clock, ANNA, RequestType.RECTIFICATION,
                   {"corrections": {"phone": NEW_PHONE}})  # fmt: skip
        rectification.apply(session, fix, anna.id, {"phone": NEW_PHONE}, by=handler, now=clock())
        session.commit()
        # A delivered copy of her data, and what verifying in the portal left.
        delivery = Delivery(
            request_id=fix.id,
            kind=DeliveryKind.ACCESS,
            status=DeliveryStatus.RELEASED,
            language="en",
            built_at=clock(),
        )
        delivery.files.append(
            DeliveryFile(format="json", filename="copy.json", media_type="application/json",
                         size=10, sha256="0" * 64,
                         content=json.dumps({"name": ANNA_NAME, "email": ANNA}).encode())
        )  # fmt: skip
        session.add(delivery)
        portal_traces(session, clock, ANNA)
        needles = [ANNA, ANNA_NAME, ANNA_PHONE, NEW_PHONE]
        assert disallowed(session, ANNA, traces(session, needles))  # the test can see them

        held = rows_of(session, ANNA)
        others_before = untouched_rows(session, held)
        recipients = {r.id for r in notices.recipients_for(session, ANNA)}
        case = file(session, clock, ANNA)
        approval = propose(session, case, handler, clock)
        assert approval.status is ApprovalStatus.PENDING
        assert rows_of(session, ANNA) == held  # nothing happens before the officer approves

        clock.advance(hours=1)
        approve(session, approval, officer, clock)

        assert disallowed(session, ANNA, traces(session, needles)) == []
        assert rows_of(session, ANNA) == {table: set() for table in held}
        assert untouched_rows(session, held) == others_before
        for email, name in LOOKALIKES:
            kept = session.scalars(select(Person).where(Person.email == email)).one()
            assert kept.name == name
            assert len(kept.communications) == 1

        # The suppression list holds the keyed hash; the key of her sealed values is gone.
        entry = session.scalars(select(Suppression)).one()
        assert entry.email_hash == suppression.address_hash(ANNA)
        assert entry.reason == "erasure"
        assert suppression.is_suppressed(session, ANNA)
        hashed = suppression.address_hash(ANNA)
        assert session.scalar(select(SubjectKey).where(SubjectKey.email_hash == hashed)) is None
        sealed = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "case.rectify")
        ).one()
        assert subject_keys.unseal(session, sealed.data["fields"]["phone"]["new"]) is None
        assert session.scalars(select(DeliveryFile.content)).all() == [None]

        # The case log: counts, no contents; one erasure notice per recipient.
        event = next(e for e in case.events if e.kind == "erased")
        assert event.data["erased"]["communications"] == len(held["communications"])
        done = session.scalars(
            select(RecipientNotice).where(RecipientNotice.action == NoticeAction.ERASURE)
        ).all()
        assert {n.recipient_id for n in done} == recipients
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.erase")).one()
        assert audit.data["traces"]["email_tokens"] == 1
        assert audit.data["traces"]["subject_sessions"] == 1
        assert audit.data["traces"]["emails"] == 1

        body = case.messages[-1].body
        assert "Communication history (e-mails, calls, messages): 4" in body
        assert "suppression list" in body
        assert "What we have kept" not in body
        assert IMY.postal_address not in body

    def test_the_e_mails_of_the_case_stay_and_unsent_mail_is_not_lost(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser,
        officer: StaffUser,
    ) -> None:  # fmt: skip
        case = file(session, clock, ANNA)
        receipts = session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.request_id == case.id)
        ).all()
        approve(session, propose(session, case, handler, clock), officer, clock)
        kept = session.scalars(select(OutboundEmail.id).where(OutboundEmail.request_id == case.id))
        assert set(receipts) < set(kept)  # the receipt and now the confirmation's notice

    def test_the_officers_own_plan_is_carried_out_at_once(
        self, session: Session, clock: Clock, seeded: None, officer: StaffUser
    ) -> None:
        case = file(session, clock, ANNA)
        approval = propose(session, case, officer, clock)
        assert approval.status is ApprovalStatus.APPROVED
        assert rows_of(session, ANNA)["people"] == set()
        assert erasure.is_executed(case)

    def test_a_partial_erasure_keeps_the_record_and_does_not_suppress(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser,
        officer: StaffUser,
    ) -> None:  # fmt: skip
        portal_traces(session, clock, ANNA)
        details = {"scope": "parts", "parts": ["technical"], "ground": "unsure"}
        case = file(session, clock, ANNA, details=details)
        before = rows_of(session, ANNA)
        approve(session, propose(session, case, handler, clock), officer, clock)
        after = rows_of(session, ANNA)
        assert after["technical_records"] == set()
        assert after["people"] == before["people"]
        assert after["communications"] == before["communications"]
        assert not suppression.is_suppressed(session, ANNA)
        assert session.scalars(select(SubjectSession)).all() != []
        body = case.messages[-1].body
        assert "Technical data (IP address, browser)" in body
        assert "covered only some parts" in body
        assert "Booked meetings: 1" in body


class TestErasureOfACustomerContact:
    def test_accounting_records_stay_unlinked_and_the_person_is_told_why_and_until_when(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser,
        officer: StaffUser,
    ) -> None:  # fmt: skip
        karin = session.scalars(select(Person).where(Person.email == KARIN)).one()
        company_id = karin.company_id
        colleagues = set(
            session.scalars(
                select(Person.id).where(Person.company_id == company_id, Person.email != KARIN)
            )
        )
        invoices = {
            r.id: r.document_date
            for r in session.scalars(
                select(AccountingRecord).where(AccountingRecord.person_id == karin.id)
            )
        }
        case = file(session, clock, KARIN)
        approve(session, propose(session, case, handler, clock), officer, clock)

        session.expire_all()
        kept = session.scalars(
            select(AccountingRecord).where(AccountingRecord.id.in_(invoices))
        ).all()
        assert len(kept) == len(invoices)
        assert all(r.person_id is None and r.reference_name == KARIN_NAME for r in kept)
        assert session.scalars(select(Person).where(Person.email == KARIN)).all() == []
        assert set(session.scalars(select(Person.id).where(Person.company_id == company_id))) == (
            colleagues
        )

        body = case.messages[-1].body
        assert "Bokföringslagen (1999:1078) 7 kap. 2 §" in body
        for year in {d.year for d in invoices.values()}:
            count = sum(1 for d in invoices.values() if d.year == year)
            assert f"invoices naming the person as reference): {count}." in body
            until = format_date(date(year + 7, 12, 31), "long", locale="en")
            assert f"Kept until {until}" in body
        assert IMY.postal_address in body
        assert IMY.complaint_url("en") in body
        assert "court" in body

        approval = erasure.approved_plan(case)
        assert approval is not None
        dates = {g["until"] for g in approval.payload["kept"]}
        assert dates == {f"{d.year + 7}-12-31" for d in invoices.values()}
        assert approval.payload["kept"][0]["ground"] == "bookkeeping"


class TestStalePlan:
    def test_a_new_communication_makes_the_plan_refuse_and_nothing_changes(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser,
        officer: StaffUser,
    ) -> None:  # fmt: skip
        case = file(session, clock, ANNA)
        approval = propose(session, case, handler, clock)
        anna = session.scalars(select(Person).where(Person.email == ANNA)).one()
        session.add(
            Communication(person_id=anna.id, occurred_at=clock(), channel="phone",
                          direction="inbound", subject="Samtal", body="Ringde om mötet.")
        )  # fmt: skip
        session.commit()
        held = rows_of(session, ANNA)
        with pytest.raises(RuleError, match="changed since the plan was made"):
            decisions.decide(
                session, approval, approve=True, note=None, by=officer, now=clock(), today=TODAY
            )
        session.rollback()
        assert rows_of(session, ANNA) == held
        assert approval.status is ApprovalStatus.PENDING
        assert not suppression.is_suppressed(session, ANNA)
        assert not erasure.is_executed(case)
        # The officer rejects it; a new plan covers the new row and can be carried out.
        decisions.decide(
            session, approval, approve=False, note="Ny kommunikation.", by=officer, now=clock(),
            today=TODAY,
        )  # fmt: skip
        session.commit()
        approve(session, propose(session, case, handler, clock), officer, clock)
        assert rows_of(session, ANNA)["communications"] == set()


class TestWhoDecides:
    def test_a_handler_cannot_approve_an_erasure(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser
    ) -> None:
        case = file(session, clock, ANNA)
        approval = propose(session, case, handler, clock)
        with pytest.raises(PermissionError):
            decisions.decide(
                session, approval, approve=True, note=None, by=handler, now=clock(), today=TODAY
            )
        assert rows_of(session, ANNA)["people"] != set()

    def test_a_second_plan_waits_for_the_first(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser
    ) -> None:
        case = file(session, clock, ANNA)
        propose(session, case, handler, clock)
        with pytest.raises(decisions.DecisionError):
            propose(session, case, handler, clock)

    def test_only_an_erasure_case_has_a_plan(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser
    ) -> None:
        access = file(session, clock, ANNA, RequestType.ACCESS, {"scope": "all"})
        with pytest.raises(RuleError, match="Only a request for erasure"):
            propose(session, access, handler, clock)
        assert [a for a in access.approvals if a.kind is ApprovalKind.ERASURE] == []


class TestCompletion:
    def test_an_erasure_case_is_completed_only_after_the_plan_was_carried_out(
        self, session: Session, clock: Clock, seeded: None, handler: StaffUser,
        officer: StaffUser,
    ) -> None:  # fmt: skip
        case = file(session, clock, ANNA)
        casework.start_work(session, case, by=handler, now=clock())
        with pytest.raises(RuleError, match="has not been carried out"):
            casework.complete(session, case, "Klart.", by=handler, now=clock())
        approval = propose(session, case, handler, clock)
        assert "waits for the privacy officer" in erasure.completion_blocker(session, case)
        approve(session, approval, officer, clock)
        assert erasure.completion_blocker(session, case) is None

    def test_a_refusal_or_an_unknown_address_needs_no_plan(
        self, session: Session, clock: Clock, seeded: None
    ) -> None:
        refused = file(session, clock, ANNA)
        refused.refusal_scope = "partial"
        assert erasure.completion_blocker(session, refused) is None
        unknown = file(session, clock, "okand@example.com")
        assert erasure.completion_blocker(session, unknown) is None
