"""Retention on data of known ages (the test clock stands at 24 November 2026).

The portal's own data: the purge removes exactly the tokens, sessions, package files, e-mails,
cases and suppression entries past their time, row by row; a closed case past the register's
period keeps only its anonymous minimal log, which the register of requests still reads; a
second purge removes nothing more. The controller's records: the flagged lists hold exactly what
is past its rule, held ones with their reason; a bulk erasure removes exactly the due items with
the Art. 17 machinery, keeps accounting records the law requires, suppresses only objectors,
refuses a batch that changed, and is in the audit trail with counts only.

``world`` and ``at`` are shared with tests/web/test_retention.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import STOCKHOLM
from app.core.permissions import StaffRole
from app.core.workflow import RequestStatus, RequestType
from app.models import (
    AccountingRecord,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Assignment,
    AuditEntry,
    CaseNote,
    Communication,
    Company,
    Consent,
    Delivery,
    DeliveryDownload,
    DeliveryFile,
    DeliveryKind,
    DeliveryStatus,
    EmailStatus,
    EmailToken,
    Meeting,
    Message,
    NoticeAction,
    NoticeMethod,
    NoticeStatus,
    OutboundEmail,
    Person,
    PersonKind,
    Purpose,
    Recipient,
    RecipientKind,
    RecipientNotice,
    RequestEvent,
    StaffUser,
    SubjectKey,
    SubjectRequest,
    SubjectSession,
    Suppression,
    TechnicalRecord,
)
from app.services import intake, reporting, retention, subject_keys, suppression
from app.services.errors import RuleError
from app.services.processing import transition
from app.services.verification import VerificationPolicy, send_token
from tests.conftest import Clock
from tests.services.test_erasure import traces, untouched_rows
from tests.staff import make_staff

TODAY = date(2026, 11, 24)


def at(day: date, hour: int = 12) -> datetime:
    """A moment on a Stockholm day, in UTC as stored."""
    return datetime.combine(day, time(hour), STOCKHOLM).astimezone(UTC)


def ids(session: Session, model: Any) -> set[int]:
    session.expire_all()
    return set(session.scalars(select(model.id)))


pytestmark = pytest.mark.usefixtures("english_page")


@pytest.fixture
def officer_user(app: Flask, session: Session, clock: Clock) -> StaffUser:
    user = make_staff(session, StaffRole.OFFICER, now=clock())
    session.commit()
    return user


# --- the portal's own data --------------------------------------------------------------------


def close(session: Session, case: SubjectRequest, when: datetime, status: RequestStatus) -> None:
    if status is RequestStatus.COMPLETED:
        transition(session, case, RequestStatus.IN_PROGRESS, actor="staff:1", now=when)
    transition(session, case, status, actor="staff:1", now=when)


def file_case(
    session: Session, email: str, received: datetime, type: RequestType = RequestType.ACCESS,
    text: str | None = None,
) -> SubjectRequest:  # fmt: skip
    return intake.file_request(
        session, email=email, type=type, details={"scope": "all", "formats": ["pdf"]},
        original_text=text, language="sv", now=received,
    )  # fmt: skip


OLD = "gammal.kund@exempel.se"
OLD_NAME = "Gunilla Gammalsdotter"
OLD_WORDS = "Jag vill se allt ni har om Gunilla Gammalsdotter"
OLD_SECRET = "19800101-1234"


@dataclass
class Portal:
    """Ids of the portal's own rows, by what the purge must do with them."""

    gone: dict[str, set[int]] = field(default_factory=dict)
    kept: dict[str, set[int]] = field(default_factory=dict)
    case_old: int = 0
    case_refused: int = 0
    case_edge: int = 0
    case_open: int = 0
    case_recent: int = 0
    package_expired: int = 0
    package_live: int = 0
    crm: int = 0


@pytest.fixture
def portal(app: Flask, session: Session, clock: Clock, officer_user: StaffUser) -> Portal:
    now = clock()
    found = Portal()

    def token(created: timedelta, expires: timedelta, used: bool = False) -> int:
        row = EmailToken(
            token_hash=hashlib.sha256(f"{created}{expires}".encode()).hexdigest(),
            code_hash="c" * 64, email="tokens@exempel.se", created_at=now - created,
            expires_at=now + expires, used_at=now - created + timedelta(minutes=2) if used
            else None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id

    found.kept["email_tokens"] = {
        token(timedelta(minutes=10), timedelta(minutes=5)),  # still usable
        token(timedelta(minutes=40), timedelta(minutes=-25)),  # expired, but in the hour's count
    }
    found.gone["email_tokens"] = {
        token(timedelta(hours=2), timedelta(minutes=-105)),
        token(timedelta(minutes=90), timedelta(minutes=-75), used=True),
    }

    def subject_session(created: timedelta, expires: timedelta, ended: bool = False) -> int:
        row = SubjectSession(
            secret_hash=hashlib.sha256(f"s{created}{expires}".encode()).hexdigest(),
            email="sessions@exempel.se", created_at=now - created, expires_at=now + expires,
            last_seen_at=now - created, ended_at=now - timedelta(minutes=1) if ended else None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id

    found.kept["subject_sessions"] = {
        subject_session(timedelta(minutes=5), timedelta(minutes=25)),
        subject_session(timedelta(minutes=8), timedelta(minutes=22), ended=True),
    }
    found.gone["subject_sessions"] = {
        subject_session(timedelta(minutes=40), timedelta(minutes=-10))
    }

    # A package case, open, with one package past its link and one still downloadable.
    package_case = file_case(session, "paket@exempel.se", now - timedelta(days=40))

    def package(expires: timedelta) -> int:
        delivery = Delivery(
            request_id=package_case.id, kind=DeliveryKind.ACCESS, status=DeliveryStatus.RELEASED,
            language="sv", built_at=now - timedelta(days=31), released_at=now - timedelta(days=30),
            expires_at=now + expires,
        )  # fmt: skip
        delivery.files.append(
            DeliveryFile(format="pdf", filename=f"{package_case.reference}-access.pdf",
                         media_type="application/pdf", size=3, sha256="d" * 64, content=b"pdf")
        )  # fmt: skip
        session.add(delivery)
        session.flush()
        session.add(
            DeliveryDownload(delivery_id=delivery.id, file_id=delivery.files[0].id,
                             downloaded_at=now - timedelta(days=2))
        )  # fmt: skip
        return delivery.id

    found.package_expired = package(timedelta(minutes=-1))
    found.package_live = package(timedelta(days=1))

    def mail(age: timedelta, status: EmailStatus, request_id: int | None = None) -> int:
        row = OutboundEmail(
            message_id=f"<{age}{status}{request_id}@test>", template="verify", language="sv",
            to_address="post@exempel.se", subject="Din länk", body_text="[removed]",
            request_id=request_id, status=status, next_attempt_at=now - age,
            created_at=now - age, sent_at=now - age if status is EmailStatus.SENT else None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id

    found.gone["emails"] = {
        mail(timedelta(days=31), EmailStatus.SENT),
        mail(timedelta(days=45), EmailStatus.EXPIRED),
    }
    found.kept["emails"] = {
        mail(timedelta(days=29), EmailStatus.SENT),
        mail(timedelta(days=45), EmailStatus.PENDING),  # never delivered: the outbox keeps it
        mail(timedelta(days=45), EmailStatus.SENT, request_id=package_case.id),  # the case's
    }

    # Cases: closed one day past the 60 months, closed exactly 60 months ago (its last day is
    # today), refused long ago, open since long ago, closed recently.
    crm = Recipient(
        name="Kund AB – HubSpot", kind=RecipientKind.CUSTOMER_SYSTEM, country="SE",
        service_sv="Kundens CRM", service_en="The customer's CRM",
        contact_email="integritet@kund.se",
    )  # fmt: skip
    session.add(crm)
    session.flush()
    found.crm = crm.id
    old = file_case(session, OLD, at(date(2021, 10, 1)), text=OLD_WORDS)
    old.details = {"scope": "all", "formats": ["pdf"], "note": OLD_NAME}
    old.messages.append(
        Message(from_subject=True, body=f"Mitt personnummer är {OLD_SECRET}.",
                created_at=at(date(2021, 10, 2)))
    )  # fmt: skip
    old.messages.append(
        Message(from_subject=False, staff_id=officer_user.id,
                body=f"Hej {OLD_NAME}, här är svaret.", created_at=at(date(2021, 10, 20)))
    )  # fmt: skip
    session.add(
        CaseNote(request_id=old.id, staff_id=officer_user.id, created_at=at(date(2021, 10, 3)),
                 body=f"{OLD_NAME} ringde och bad om en kopia.")
    )  # fmt: skip
    old.extension_reason = "Många förfrågningar samtidigt."
    session.add(
        Approval(request_id=old.id, kind=ApprovalKind.EXTENSION, status=ApprovalStatus.APPROVED,
                 payload={"reasons": f"{OLD_NAME} bad om mycket."}, proposed_by_id=officer_user.id,
                 proposed_at=at(date(2021, 10, 5)), decided_by_id=officer_user.id,
                 decided_at=at(date(2021, 10, 5)), decision_note=f"OK för {OLD_NAME}.")
    )  # fmt: skip
    session.add(
        RecipientNotice(request_id=old.id, recipient_id=crm.id,
                        action=NoticeAction.RECTIFICATION, method=NoticeMethod.EMAIL,
                        status=NoticeStatus.CONFIRMED, key="k-old-1",
                        details={"fields": {"name": OLD_NAME}}, created_at=at(date(2021, 10, 6)),
                        sent_at=at(date(2021, 10, 6)), confirmed_at=at(date(2021, 10, 7)),
                        confirmation="confirmation link")
    )  # fmt: skip
    session.add(
        OutboundEmail(message_id="<notice-old@test>", template="recipient_notice", language="sv",
                      to_address="integritet@kund.se", subject=f"Art. 19 ({old.reference})",
                      body_text=f"Rätta uppgifterna om {OLD}: namn {OLD_NAME}.",
                      body_html=f"<p>{OLD}</p>", request_id=old.id, status=EmailStatus.SENT,
                      next_attempt_at=at(date(2021, 10, 6)), created_at=at(date(2021, 10, 6)),
                      sent_at=at(date(2021, 10, 6)))
    )  # fmt: skip
    subject_keys.seal(session, OLD, OLD_NAME, now=at(date(2021, 10, 6)))
    close(session, old, at(date(2021, 11, 23)), RequestStatus.COMPLETED)
    found.case_old = old.id

    refused = file_case(session, "avvisad@exempel.se", at(date(2020, 4, 1)), text="Radera allt")
    refused.refusal_scope, refused.refusal_ground = "whole", "manifestly_unfounded"
    refused.refusal_reasons = "Samma begäran för tionde gången i år."
    close(session, refused, at(date(2020, 5, 1)), RequestStatus.REFUSED)
    found.case_refused = refused.id

    edge = file_case(session, "kant@exempel.se", at(date(2021, 11, 1)), text="Visa allt")
    close(session, edge, at(date(2021, 11, 24), hour=23), RequestStatus.COMPLETED)
    found.case_edge = edge.id

    still_open = file_case(session, "oppen@exempel.se", at(date(2021, 6, 1)), text="Visa")
    found.case_open = still_open.id
    recent = file_case(session, "ny@exempel.se", at(date(2026, 10, 1)), text="Visa")
    close(session, recent, at(date(2026, 10, 20)), RequestStatus.COMPLETED)
    found.case_recent = recent.id
    # Every case e-mail was delivered long ago (the receipts), so each counts as sent.
    for row in session.scalars(select(OutboundEmail).where(OutboundEmail.template == "receipt")):
        row.status, row.sent_at = EmailStatus.SENT, row.created_at

    def suppressed(address: str, months_ago: int, day_offset: int) -> int:
        created = at(date(2026 - months_ago // 12, 11, 24) + timedelta(days=day_offset))
        return suppression.suppress(session, address, reason="erasure", now=created).id

    found.gone["suppressions"] = {suppressed("tio.ar@exempel.se", 120, -1)}
    found.kept["suppressions"] = {
        suppressed("nastan.tio@exempel.se", 120, 0),  # its last day is today
        suppressed("invande@exempel.se", 120, -400),  # the records still carry the objection
    }
    session.add(
        Person(email="invande@exempel.se", name="Ivar Invändare", kind=PersonKind.LEAD,
               source="LinkedIn", created_at=now, updated_at=now, marketing_objection_at=now)
    )  # fmt: skip
    session.commit()
    return found


MINIMAL_LOG = (
    "reference", "type", "status", "channel", "language", "received_at", "received_on",
    "verified_at", "legal_due_on", "extended_due_on", "due_on", "closed_at", "closed_on",
    "days_to_close", "closed_on_time", "assignee_id", "extension_reason",
    "extension_notified_at", "refusal_scope", "refusal_ground", "refusal_notified_at",
    "created_at",
)  # fmt: skip


def snapshot(session: Session, case_id: int, columns: tuple[str, ...]) -> dict[str, Any]:
    session.expire_all()
    case = session.get_one(SubjectRequest, case_id)
    return {name: getattr(case, name) for name in columns}


class TestTheCutoff:
    @pytest.mark.parametrize(
        ("today", "months", "first_kept"),
        [
            (date(2026, 11, 24), 60, date(2021, 11, 24)),
            (date(2026, 11, 24), 12, date(2025, 11, 24)),
            (date(2026, 2, 28), 6, date(2025, 8, 28)),  # 28-31 August all end on 28 February
            (date(2026, 3, 1), 6, date(2025, 9, 1)),
            (date(2028, 2, 29), 12, date(2027, 3, 1)),  # 28 Feb 2027 ended on 28 Feb 2028
        ],
    )
    def test_the_first_start_still_kept_is_found_exactly(
        self, today: date, months: int, first_kept: date
    ) -> None:
        assert retention.cutoff(today, months) == first_kept
        assert retention.kept_until(first_kept, months) >= today
        assert retention.kept_until(first_kept - timedelta(days=1), months) < today


class TestThePortalsOwnData:
    def test_the_purge_removes_exactly_what_is_due_row_by_row(
        self, session: Session, clock: Clock, portal: Portal
    ) -> None:
        models = {
            "email_tokens": EmailToken, "subject_sessions": SubjectSession,
            "emails": OutboundEmail, "suppressions": Suppression,
        }  # fmt: skip
        before = {kind: ids(session, model) for kind, model in models.items()}
        report = retention.purge(session, clock())
        session.commit()
        for kind, model in models.items():
            remaining = ids(session, model)
            assert portal.gone[kind] <= before[kind], kind
            assert not portal.gone[kind] & remaining, kind
            assert remaining == before[kind] - portal.gone[kind], kind
            assert portal.kept[kind] <= remaining, kind
        assert report.counts == {
            "email_tokens": 2, "subject_sessions": 1, "packages": 1, "emails": 2, "cases": 2,
            "suppressions": 1,
        }  # fmt: skip

    def test_an_expired_package_loses_its_files_but_keeps_the_proof_of_delivery(
        self, session: Session, clock: Clock, portal: Portal
    ) -> None:
        retention.purge(session, clock())
        session.commit()
        session.expire_all()
        expired = session.get_one(Delivery, portal.package_expired)
        live = session.get_one(Delivery, portal.package_live)
        assert (expired.status, expired.deleted_at) == (DeliveryStatus.EXPIRED, clock())
        assert (live.status, live.deleted_at) == (DeliveryStatus.RELEASED, None)
        contents = dict(
            list(session.execute(select(DeliveryFile.delivery_id, DeliveryFile.content)).tuples())
        )
        assert contents == {portal.package_expired: None, portal.package_live: b"pdf"}
        assert [f.sha256 for f in expired.files] == ["d" * 64]
        downloads = session.scalars(select(DeliveryDownload.delivery_id)).all()
        assert sorted(downloads) == sorted([portal.package_expired, portal.package_live])

    def test_a_closed_case_past_its_period_keeps_only_the_anonymous_minimal_log(
        self, session: Session, clock: Clock, portal: Portal
    ) -> None:
        old = snapshot(session, portal.case_old, MINIMAL_LOG)
        events = set(
            session.scalars(
                select(RequestEvent.id).where(RequestEvent.request_id == portal.case_old)
            )
        )
        bodies = list(
            session.scalars(
                select(Message.body)
                .where(Message.request_id == portal.case_old)
                .order_by(Message.id)
            )
        )
        notice_mail = "Rätta uppgifterna om " + OLD + ": namn " + OLD_NAME + "."
        retention.purge(session, clock())
        session.commit()

        assert snapshot(session, portal.case_old, MINIMAL_LOG) == old
        case = session.get_one(SubjectRequest, portal.case_old)
        assert (case.email, case.details, case.original_text) == ("", {}, None)
        assert (case.submission_key, case.refusal_reasons) == (None, None)
        assert [m.body for m in case.messages] == [
            "sha256:" + hashlib.sha256(b.encode()).hexdigest() for b in bodies
        ]
        assert case.notes == []
        kept_events = {e.id for e in case.events if e.kind != retention.REDUCED}
        assert kept_events == events
        assert [(e.kind, e.visible_to_subject) for e in case.events][-1] == ("log_reduced", False)
        approval = case.approvals[0]
        assert (approval.payload, approval.decision_note) == ({}, None)
        assert approval.status is ApprovalStatus.APPROVED
        notice = session.scalars(select(RecipientNotice)).one()
        assert notice.details == {"fields": {"name": None}}
        assert (notice.status, notice.confirmation) == (NoticeStatus.CONFIRMED, "confirmation link")
        mails = session.scalars(
            select(OutboundEmail).where(OutboundEmail.request_id == portal.case_old)
        ).all()
        by_template = {m.template: m for m in mails}
        assert by_template["receipt"].to_address == ""
        assert by_template["recipient_notice"].to_address == "integritet@kund.se"
        assert by_template["recipient_notice"].body_text == (
            "sha256:" + hashlib.sha256(notice_mail.encode()).hexdigest()
        )
        assert all(m.body_html is None for m in mails)
        # Nothing of the person is left anywhere, the key of the sealed values included.
        assert traces(session, [OLD, OLD_NAME, OLD_WORDS, OLD_SECRET]) == []
        assert session.scalar(select(func.count(SubjectKey.id))) == 0

    def test_other_cases_stay_whole_and_the_refused_one_keeps_its_ground(
        self, session: Session, clock: Clock, portal: Portal
    ) -> None:
        whole = ("email", "original_text", "details", *MINIMAL_LOG)
        edge, still_open, recent = (
            snapshot(session, case_id, whole)
            for case_id in (portal.case_edge, portal.case_open, portal.case_recent)
        )
        retention.purge(session, clock())
        session.commit()
        assert snapshot(session, portal.case_edge, whole) == edge
        assert snapshot(session, portal.case_open, whole) == still_open
        assert snapshot(session, portal.case_recent, whole) == recent
        refused = session.get_one(SubjectRequest, portal.case_refused)
        assert (refused.email, refused.original_text, refused.refusal_reasons) == ("", None, None)
        assert (refused.refusal_scope, refused.refusal_ground) == ("whole", "manifestly_unfounded")
        assert refused.status is RequestStatus.REFUSED

    def test_the_register_of_requests_still_reads_the_reduced_cases(
        self, session: Session, clock: Clock, portal: Portal
    ) -> None:
        period = reporting.Period(date(2020, 1, 1), date(2021, 12, 31))
        before = list(reporting.register_rows(session, period))
        retention.purge(session, clock())
        session.commit()
        after = list(reporting.register_rows(session, period))
        assert after == before
        old = next(row for row in after if row.id == portal.case_old)
        assert old.recipients == ("Kund AB – HubSpot",)
        assert old.extension_reason == "Många förfrågningar samtidigt."

    def test_the_purge_is_logged_with_counts_only_and_a_second_removes_nothing(
        self, session: Session, clock: Clock, portal: Portal
    ) -> None:
        first = retention.purge(session, clock())
        session.commit()
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.purge")
        ).all()
        assert [(e.actor, e.data) for e in entries] == [("system", first.done())]
        assert (entries[0].request_id, entries[0].person_id) == (None, None)
        again = retention.purge(session, clock())
        session.commit()
        assert again.total == 0
        assert (
            session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "retention.purge")
            )
            == 1
        )

    def test_between_daily_rounds_only_tokens_sessions_and_packages_go(
        self, session: Session, clock: Clock, portal: Portal
    ) -> None:
        report = retention.purge(session, clock(), daily=False)
        session.commit()
        assert report.done() == {"email_tokens": 2, "subject_sessions": 1, "packages": 1}
        assert portal.gone["emails"] <= ids(session, OutboundEmail)
        assert session.get_one(SubjectRequest, portal.case_old).email == OLD

    def test_the_hourly_limit_of_links_survives_the_purge(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        policy = VerificationPolicy(
            secret_key="s", ttl=timedelta(minutes=15), max_code_attempts=5, tokens_per_hour=3
        )
        for _ in range(3):
            assert send_token(session, policy, email="a@exempel.se", language="sv", now=clock())
            clock.advance(minutes=1)
        clock.advance(minutes=30)  # all three expired, all within the hour
        retention.purge(session, clock())
        assert send_token(session, policy, email="a@exempel.se", language="sv", now=clock()) is None
        clock.advance(minutes=30)
        assert retention.purge(session, clock()).counts["email_tokens"] == 3
        assert send_token(session, policy, email="a@exempel.se", language="sv", now=clock())

    def test_a_register_without_the_rules_reduces_and_removes_nothing_by_them(
        self, session: Session, clock: Clock, portal: Portal
    ) -> None:
        for category in ("requests", "suppression"):
            session.delete(retention.rule(session, category))
        session.commit()
        report = retention.purge(session, clock())
        assert (report.counts["cases"], report.counts["suppressions"]) == (0, 0)


# --- the controller's records past their rule ----------------------------------------------------


@dataclass
class World:
    """Ids of the records, by name, and the expected lists per category."""

    people: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    crm: int = 0
    due: dict[str, set[int]] = field(default_factory=dict)
    held: dict[str, dict[int, str]] = field(default_factory=dict)


def email_of(name: str) -> str:
    return f"{name}@foretag.se"


@pytest.fixture
def world(app: Flask, session: Session, clock: Clock) -> World:
    return build_world(session, clock())


def build_world(session: Session, now: datetime) -> World:
    """Leads and customer contacts whose periods end before, on and after today (24 Nov 2026)."""
    found = World()
    employer = Company(name="Anställaren AB")
    customer_a = Company(name="Kund A AB", is_customer=True)  # an assignment still runs
    customer_b = Company(name="Kund B AB", is_customer=True)  # its last ended 30 June 2023
    customer_z = Company(name="Kund Z AB", is_customer=True)  # no assignment on record
    session.add_all([employer, customer_a, customer_b, customer_z])
    crm = Recipient(
        name="Kund A – HubSpot", kind=RecipientKind.CUSTOMER_SYSTEM, country="SE",
        service_sv="Kundens CRM", service_en="The customer's CRM",
    )  # fmt: skip
    session.add(crm)
    session.flush()
    found.crm = crm.id
    marketing = session.scalars(select(Purpose).where(Purpose.code == "direct_marketing")).one()

    def person(name: str, kind: PersonKind = PersonKind.LEAD, company: Company = employer,
               created: datetime = now, **extra: Any) -> Person:  # fmt: skip
        row = Person(
            email=email_of(name), name=f"{name.title()} Persson", kind=kind, company=company,
            source="LinkedIn", created_at=created, updated_at=created, **extra,
        )  # fmt: skip
        session.add(row)
        session.flush()
        found.people[name] = row.id
        return row

    def assignment(who: Person, customer: Company, ended: date | None, name: str = "") -> int:
        row = Assignment(
            person_id=who.id, customer_id=customer.id, campaign="Kampanj",
            started_on=date(2023, 1, 1), ended_on=ended,
            recipient_id=crm.id if customer is customer_a else None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        if name:
            found.rows[name] = row.id
        return row.id

    def row(name: str, model: Any, **values: Any) -> None:
        item = model(**values)
        session.add(item)
        session.flush()
        found.rows[name] = item.id

    old = person("old")
    old_assignment = assignment(old, customer_a, date(2025, 11, 1))
    row("old_c", Communication, person_id=old.id, assignment_id=old_assignment,
        occurred_at=at(date(2025, 10, 1)), channel="email", direction="outbound")  # fmt: skip
    row("old_m", Meeting, person_id=old.id, assignment_id=old_assignment,
        starts_at=at(date(2025, 10, 15)), status="held")  # fmt: skip
    row("old_t", TechnicalRecord, person_id=old.id, occurred_at=at(date(2026, 11, 1)),
        event="page_view", ip_address="192.0.2.10")  # fmt: skip
    row("old_consent", Consent, person_id=old.id, purpose_id=marketing.id,
        given_at=at(date(2025, 1, 1)), withdrawn_at=at(date(2026, 1, 10)),
        evidence="Formulär")  # fmt: skip
    subject_keys.seal(session, email_of("old"), "Gammalt namn", now=now)

    edge = person("edge")
    assignment(edge, customer_a, date(2025, 11, 24))

    running = person("running")
    ended = assignment(running, customer_a, date(2024, 3, 31))
    live = assignment(running, customer_a, None)
    for name, assignment_id, day in (
        ("c_ended", ended, date(2024, 3, 1)),
        ("c_live", live, date(2024, 3, 1)),
        ("c_loose_old", None, date(2025, 11, 23)),
        ("c_loose_edge", None, date(2025, 11, 24)),
    ):
        row(name, Communication, person_id=running.id, assignment_id=assignment_id,
            occurred_at=at(day), channel="phone", direction="outbound")  # fmt: skip
    row("m_ended", Meeting, person_id=running.id, assignment_id=ended,
        starts_at=at(date(2024, 3, 10)), status="held")  # fmt: skip
    row("m_live", Meeting, person_id=running.id, assignment_id=live,
        starts_at=at(date(2024, 3, 10)), status="booked")  # fmt: skip
    row("t_old", TechnicalRecord, person_id=running.id, occurred_at=at(date(2026, 5, 23)),
        event="page_view")  # fmt: skip
    row("t_edge", TechnicalRecord, person_id=running.id, occurred_at=at(date(2026, 5, 24)),
        event="page_view")  # fmt: skip
    row("consent_old", Consent, person_id=running.id, purpose_id=marketing.id,
        given_at=at(date(2023, 1, 1)), withdrawn_at=at(date(2024, 11, 23)),
        evidence="Formulär")  # fmt: skip
    row("consent_edge", Consent, person_id=running.id, purpose_id=marketing.id,
        given_at=at(date(2023, 1, 1)), withdrawn_at=at(date(2024, 11, 24)),
        evidence="Formulär")  # fmt: skip

    restricted = person("restricted", restricted_at=now, restriction_ground="accuracy")
    assignment(restricted, customer_a, date(2024, 1, 31))
    row("t_restricted", TechnicalRecord, person_id=restricted.id,
        occurred_at=at(date(2026, 1, 1)), event="page_view")  # fmt: skip
    opened = person("open")
    assignment(opened, customer_a, date(2024, 1, 31))
    consenting = person("consenting")
    assignment(consenting, customer_a, date(2024, 1, 31))
    session.add(Consent(person_id=consenting.id, purpose_id=marketing.id,
                        given_at=at(date(2023, 5, 1)), evidence="Formulär"))  # fmt: skip
    objector = person("objector", marketing_objection_at=now, restricted_at=now,
                      restriction_ground="objection")  # fmt: skip
    assignment(objector, customer_a, date(2024, 1, 31))
    person("unassigned", created=at(date(2025, 10, 1)))
    person("fresh", created=at(date(2026, 1, 1)))
    b_lead = person("b_lead")
    assignment(b_lead, customer_b, date(2023, 6, 30))

    contact_b = person("contact_b", PersonKind.CUSTOMER_CONTACT, customer_b)
    contact_a = person("contact_a", PersonKind.CUSTOMER_CONTACT, customer_a)
    person("contact_z", PersonKind.CUSTOMER_CONTACT, customer_z)

    def invoice(name: str, who: Person | None, company: Company, day: date) -> None:
        row(name, AccountingRecord, person_id=who.id if who else None, company_id=company.id,
            document_number=name, document_date=day, description="Faktura",
            amount_sek=Decimal("1000.00"), reference_name=f"Referens {name}")  # fmt: skip

    invoice("b_2022", contact_b, customer_b, date(2022, 3, 1))
    invoice("b_2018", contact_b, customer_b, date(2018, 5, 1))
    invoice("a_2017", contact_a, customer_a, date(2017, 2, 1))
    invoice("loose_2018", None, customer_b, date(2018, 12, 31))
    invoice("loose_2019", None, customer_b, date(2019, 12, 31))
    session.commit()
    intake.file_request(
        session, email=email_of("open"), type=RequestType.ACCESS, details={"scope": "all"},
        original_text=None, language="sv", now=now,
    )  # fmt: skip
    session.commit()

    p, r = found.people, found.rows
    found.due = {
        "lead_contact": {p["old"], p["objector"], p["unassigned"], p["b_lead"]},
        "customer": {p["contact_b"]},
        "communication": {r["old_c"], r["c_ended"], r["c_loose_old"]},
        "meetings": {r["old_m"], r["m_ended"]},
        "consents": {r["consent_old"]},
        "technical": {r["t_old"]},
        "accounting": {r["b_2018"], r["a_2017"], r["loose_2018"]},
    }
    found.held = {
        "lead_contact": {
            p["restricted"]: retention.RESTRICTED,
            p["open"]: retention.OPEN_CASE,
            p["consenting"]: retention.ACTIVE_CONSENT,
        },
        "customer": {p["contact_z"]: retention.NO_CONTRACT_END},
        "technical": {r["t_restricted"]: retention.RESTRICTED},
    }
    return found


def listed(session: Session, category: str) -> tuple[set[int], dict[int, str]]:
    items = retention.due_items(session, category, TODAY)
    return {i.id for i in items if i.is_due}, {i.id: i.held for i in items if i.held}


class TestFlagged:
    @pytest.mark.parametrize("category", retention.CATEGORIES)
    def test_each_list_holds_exactly_the_due_items_and_the_held_ones_with_their_reason(
        self, session: Session, world: World, category: str
    ) -> None:
        due, held = listed(session, category)
        assert due == world.due[category]
        assert held == world.held.get(category, {})

    def test_the_overview_counts_per_category(self, session: Session, world: World) -> None:
        counts = {s.category: (s.due, s.held) for s in retention.overview(session, TODAY)}
        assert counts == {
            c: (len(world.due[c]), len(world.held.get(c, {}))) for c in retention.CATEGORIES
        }

    def test_items_carry_the_start_and_the_last_day_the_oldest_first(
        self, session: Session, world: World
    ) -> None:
        items = [i for i in retention.due_items(session, "lead_contact", TODAY) if i.is_due]
        assert [(i.name, i.started, i.kept_until) for i in items] == [
            ("B_Lead Persson", date(2023, 6, 30), date(2024, 6, 30)),
            ("Objector Persson", date(2024, 1, 31), date(2025, 1, 31)),
            ("Unassigned Persson", date(2025, 10, 1), date(2026, 10, 1)),
            ("Old Persson", date(2025, 11, 1), date(2026, 11, 1)),
        ]
        accounting = {i.id: i.kept_until for i in retention.due_items(session, "accounting", TODAY)}
        assert accounting[world.rows["b_2018"]] == date(2025, 12, 31)  # BFL: the seventh year

    def test_a_shorter_rule_never_flags_accounting_records_the_law_keeps(
        self, session: Session, world: World
    ) -> None:
        retention.rule(session, "accounting").months = 12
        session.flush()
        due, _held = listed(session, "accounting")
        assert due == world.due["accounting"]

    def test_a_category_without_its_rule_is_not_listed(
        self, session: Session, world: World
    ) -> None:
        session.delete(retention.rule(session, "technical"))
        session.flush()
        assert "technical" not in {s.category for s in retention.overview(session, TODAY)}
        assert retention.due_items(session, "technical", TODAY) == []


def erase(session: Session, category: str, officer: StaffUser, clock: Clock, **kw: Any) -> Any:
    batch = retention.plan_batch(session, category, TODAY, **kw)
    done = retention.erase_batch(
        session, category, batch.fingerprint, by=officer, now=clock(), **kw
    )
    session.commit()
    return done


class TestBulkErasure:
    def test_erasing_leads_removes_exactly_the_due_records_and_everything_under_them(
        self, session: Session, clock: Clock, world: World, officer_user: StaffUser
    ) -> None:
        due = world.due["lead_contact"]
        under = {
            model.__tablename__: set(
                session.scalars(select(model.id).where(model.person_id.in_(due)))
            )
            for model in (Assignment, Communication, Meeting, Consent, TechnicalRecord)
        }
        before = untouched_rows(session, {"people": due, **under})
        batch = erase(session, "lead_contact", officer_user, clock)
        assert {i.id for i in batch.items} == due
        assert not ids(session, Person) & due
        for model in (Assignment, Communication, Meeting, Consent, TechnicalRecord):
            assert not ids(session, model) & under[model.__tablename__]
        assert untouched_rows(session, {"people": due, **under}) == before
        assert batch.counts == {
            "people": 4, "assignments": 3, "communications": 1, "meetings": 1, "consents": 1,
            "technical_records": 1, "accounting_records": 0,
        }  # fmt: skip
        # Only the objector goes on the suppression list, and the erased lead's key is shredded.
        assert [s.reason for s in session.scalars(select(Suppression))] == ["objection"]
        assert suppression.is_suppressed(session, email_of("objector"))
        assert not suppression.is_suppressed(session, email_of("old"))
        assert session.scalar(select(func.count(SubjectKey.id))) == 0

    def test_the_erasure_is_audited_with_counts_only(
        self, session: Session, clock: Clock, world: World, officer_user: StaffUser
    ) -> None:
        erase(session, "lead_contact", officer_user, clock)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.erase")
        ).one()
        assert (entry.actor, entry.request_id) == (officer_user.actor, None)
        assert entry.data == {
            "category": "lead_contact",
            "erased": {"people": 4, "assignments": 3, "communications": 1, "meetings": 1,
                       "consents": 1, "technical_records": 1},
            "kept": {},
            "suppressed": 1,
            "keys": 1,
            "recipients": {str(world.crm): 2},  # the assignments of "old" and "objector"
            # Art. 19: the 2 seeded processors for each of the 4 addresses, the CRM for 2 of them.
            "notices": 10,
        }  # fmt: skip
        text = repr(entry.data)
        assert "@" not in text
        assert "Persson" not in text

    def test_a_customer_contact_goes_but_the_invoices_the_law_keeps_stay_unlinked(
        self, session: Session, clock: Clock, world: World, officer_user: StaffUser
    ) -> None:
        batch = erase(session, "customer", officer_user, clock)
        assert [i.id for i in batch.items] == [world.people["contact_b"]]
        assert world.people["contact_b"] not in ids(session, Person)
        kept = session.get_one(AccountingRecord, world.rows["b_2022"])
        assert (kept.person_id, kept.reference_name) == (None, "Referens b_2022")
        assert world.rows["b_2018"] not in ids(session, AccountingRecord)
        assert batch.kept_counts == {"accounting_records": 1}
        assert [(g.ground, g.until) for g in batch.kept] == [("bookkeeping", date(2029, 12, 31))]

    @pytest.mark.parametrize(
        ("category", "model"),
        [
            ("communication", Communication),
            ("meetings", Meeting),
            ("consents", Consent),
            ("technical", TechnicalRecord),
            ("accounting", AccountingRecord),
        ],
    )
    def test_erasing_rows_removes_exactly_the_due_rows(
        self, session: Session, clock: Clock, world: World, officer_user: StaffUser,
        category: str, model: Any,
    ) -> None:  # fmt: skip
        before = ids(session, model)
        people = ids(session, Person)
        erase(session, category, officer_user, clock)
        assert ids(session, model) == before - world.due[category]
        assert ids(session, Person) == people
        assert session.scalar(select(func.count(Suppression.id))) == 0

    def test_batches_take_the_oldest_first_and_the_rest_stays_due(
        self, session: Session, clock: Clock, world: World, officer_user: StaffUser
    ) -> None:
        p = world.people
        first = erase(session, "lead_contact", officer_user, clock, size=2)
        assert ({i.id for i in first.items}, first.remaining) == ({p["b_lead"], p["objector"]}, 2)
        assert listed(session, "lead_contact")[0] == {p["unassigned"], p["old"]}
        second = erase(session, "lead_contact", officer_user, clock, size=2)
        assert second.remaining == 0
        assert listed(session, "lead_contact") == (set(), world.held["lead_contact"])

    def test_a_second_erasure_finds_nothing_and_changes_nothing(
        self, session: Session, clock: Clock, world: World, officer_user: StaffUser
    ) -> None:
        erase(session, "technical", officer_user, clock)
        before = ids(session, TechnicalRecord)
        batch = retention.plan_batch(session, "technical", TODAY)
        assert batch.items == ()
        with pytest.raises(RuleError, match="Nothing in this category"):
            retention.erase_batch(
                session, "technical", batch.fingerprint, by=officer_user, now=clock()
            )
        session.rollback()
        assert ids(session, TechnicalRecord) == before

    def test_a_batch_that_changed_since_the_confirmation_is_refused_and_nothing_changes(
        self, session: Session, clock: Clock, world: World, officer_user: StaffUser
    ) -> None:
        shown = retention.plan_batch(session, "lead_contact", TODAY)
        session.add(
            Communication(person_id=world.people["old"], occurred_at=clock(), channel="email",
                          direction="inbound", body="Ett nytt mejl")
        )  # fmt: skip
        session.commit()
        people = ids(session, Person)
        with pytest.raises(RuleError, match="changed since the counts were shown"):
            retention.erase_batch(
                session, "lead_contact", shown.fingerprint, by=officer_user, now=clock()
            )
        session.rollback()
        assert ids(session, Person) == people
        assert session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "retention.erase")) == 0  # fmt: skip

    def test_a_hold_that_begins_after_the_confirmation_refuses_the_batch(
        self, session: Session, clock: Clock, world: World, officer_user: StaffUser
    ) -> None:
        shown = retention.plan_batch(session, "lead_contact", TODAY)
        intake.file_request(
            session, email=email_of("old"), type=RequestType.ACCESS, details={"scope": "all"},
            original_text=None, language="sv", now=clock(),
        )  # fmt: skip
        session.commit()
        with pytest.raises(RuleError):
            retention.erase_batch(
                session, "lead_contact", shown.fingerprint, by=officer_user, now=clock()
            )
        session.rollback()
        assert world.people["old"] in ids(session, Person)
        assert listed(session, "lead_contact")[1][world.people["old"]] == retention.OPEN_CASE
