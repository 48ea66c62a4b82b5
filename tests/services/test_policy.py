"""The privacy policy as a service: versions with 30 days' notice, what each version froze, and the
notice e-mails to the people who asked for them, checked at the real SMTP server.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.workflow import RequestType
from app.mail import outbox
from app.models import (
    AuditEntry,
    Consent,
    OutboundEmail,
    Person,
    PolicyNotice,
    PolicyVersion,
    RetentionRule,
    StaffUser,
)
from app.services import intake, policy, register_editor
from app.services.errors import RuleError
from app.services.register_editor import InvalidRegisterData
from app.services.suppression import address_hash, suppress
from tests.conftest import Clock
from tests.helpers import add_person, text_of
from tests.smtp import Mailbox

SUMMARY_SV = "Leads sparas nu i 18 månader i stället för 12."
SUMMARY_EN = "Leads are now kept for 18 months instead of 12."


pytestmark = pytest.mark.usefixtures("english_page")


def today(clock: Clock) -> date:
    return stockholm_date(clock())


def publish(
    session: Session, clock: Clock, officer: StaffUser, effective_from: date
) -> PolicyVersion:
    version = policy.publish(
        session,
        effective_from=effective_from,
        summary_sv=SUMMARY_SV,
        summary_en=SUMMARY_EN,
        by=officer,
        now=clock(),
        today=today(clock),
    )
    session.commit()
    return version


def set_lead_months(session: Session, months: int) -> None:
    session.execute(
        update(RetentionRule).where(RetentionRule.category == "lead_contact").values(months=months)
    )
    session.commit()


def lead_months(data: dict) -> int:
    return next(r["months"] for r in data["retention"] if r["category"] == "lead_contact")


# --- the snapshot -----------------------------------------------------------------------------


def test_the_snapshot_holds_the_register_and_the_authority(app: Flask, session: Session) -> None:
    data = policy.snapshot(session)
    assert data["controller"]["org_number"] == "969781-2346"
    assert lead_months(data) == 12
    assert data["purposes"][0]["code"] == "lead_generation"
    assert {r["name"] for r in data["recipients"]} == {
        "HubSpot, Inc.",
        "Microsoft Ireland Operations Ltd",
        "Myndigheter vid lagkrav",
    }
    assert data["authority"]["postal_address"] == "Box 8114, 104 20 Stockholm"
    assert "webhook_secret" not in str(data)


def test_the_document_reads_the_snapshot_in_each_language(app: Flask, session: Session) -> None:
    data = policy.snapshot(session)
    sv, en = policy.document(data, "sv"), policy.document(data, "en")
    hubspot_sv = next(r for r in sv.processors if r.name == "HubSpot, Inc.")
    hubspot_en = next(r for r in en.processors if r.name == "HubSpot, Inc.")
    assert (hubspot_sv.country, hubspot_en.country) == ("USA", "United States")
    assert hubspot_en.outside_eea
    assert [r.name for r in en.transfers] == ["HubSpot, Inc."]
    accounting = next(r for r in en.retention if r.category == "accounting")
    assert (accounting.months, accounting.years) == (84, 7)
    assert en.authority.complaint_url.startswith("https://www.imy.se/en/")
    assert sv.authority.name == "Integritetsskyddsmyndigheten"


# --- publishing -------------------------------------------------------------------------------


class TestPublishing:
    def test_the_first_version_may_take_effect_today(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        first = publish(session, clock, officer, today(clock))
        assert (first.number, first.effective_from) == (1, today(clock))
        assert first.snapshot == policy.snapshot(session)
        assert policy.in_force(session, today(clock)).id == first.id
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "policy.published"))
        assert entry.one().data == {"version": 1, "effective_from": today(clock).isoformat()}

    def test_the_first_version_cannot_take_effect_in_the_past(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        with pytest.raises(InvalidRegisterData) as caught:
            publish(session, clock, officer, today(clock) - timedelta(days=1))
        assert set(caught.value.errors) == {"effective_from"}

    def test_a_later_version_needs_thirty_days_notice(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        publish(session, clock, officer, today(clock))
        set_lead_months(session, 18)
        for days in (0, 10, 29):
            with pytest.raises(InvalidRegisterData) as caught:
                publish(session, clock, officer, today(clock) + timedelta(days=days))
            session.rollback()
            assert "30 days" in caught.value.errors["effective_from"]
        assert [v.number for v in policy.versions(session)] == [1]
        second = publish(session, clock, officer, today(clock) + timedelta(days=30))
        assert second.number == 2
        assert lead_months(second.snapshot) == 18

    def test_summaries_are_required_in_both_languages(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        with pytest.raises(InvalidRegisterData) as caught:
            policy.publish(
                session, effective_from=None, summary_sv=" ", summary_en=None, by=officer,
                now=clock(), today=today(clock),
            )  # fmt: skip
        assert set(caught.value.errors) == {"effective_from", "summary_sv", "summary_en"}

    def test_an_unchanged_register_is_not_published_again(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        publish(session, clock, officer, today(clock))
        assert not policy.register_changed(session)
        with pytest.raises(RuleError, match="version 1"):
            publish(session, clock, officer, today(clock) + timedelta(days=40))
        set_lead_months(session, 18)
        assert policy.register_changed(session)

    def test_versions_in_force_coming_and_replaced(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        start = today(clock)
        first = publish(session, clock, officer, start)
        set_lead_months(session, 18)
        second = publish(session, clock, officer, start + timedelta(days=31))

        assert policy.in_force(session, start).id == first.id
        assert [v.id for v in policy.coming(session, start)] == [second.id]
        assert [(e.version.number, e.status) for e in policy.history(session, start)] == [
            (2, "coming"),
            (1, "current"),
        ]
        # The first version still says what it said when it was published.
        assert lead_months(first.snapshot) == 12

        later = start + timedelta(days=31)
        assert policy.in_force(session, later).id == second.id
        assert policy.coming(session, later) == []
        history = policy.history(session, later)
        assert [(e.version.number, e.status, e.replaced_on) for e in history] == [
            (2, "current", None),
            (1, "earlier", later),
        ]

    def test_a_new_version_cannot_take_effect_before_the_last_one(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        publish(session, clock, officer, today(clock))
        set_lead_months(session, 18)
        publish(session, clock, officer, today(clock) + timedelta(days=60))
        set_lead_months(session, 24)
        assert policy.earliest_effective(session, today(clock)) == today(clock) + timedelta(60)
        with pytest.raises(InvalidRegisterData):
            publish(session, clock, officer, today(clock) + timedelta(days=45))


# --- the notice e-mails -----------------------------------------------------------------------


def opt_in(session: Session, email: str, clock: Clock, *, withdrawn: bool = False) -> Person:
    person = add_person(session, email, clock(), consents=("direct_marketing",))
    for consent in person.consents:
        consent.wants_policy_notices = True
        if withdrawn:
            consent.withdrawn_at = clock()
    session.commit()
    return person


class TestNotices:
    def test_one_email_per_opted_in_address_and_none_twice(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        officer: StaffUser,
        mailbox: Mailbox,
    ) -> None:
        opt_in(session, "anna@example.com", clock)
        opt_in(session, "anna@example.com", clock)  # a second record under the same address
        opt_in(session, "erik@example.com", clock)
        opt_in(session, "withdrawn@example.com", clock, withdrawn=True)
        add_person(session, "never@example.com", clock(), consents=("direct_marketing",))
        opt_in(session, "erased@example.com", clock)
        suppress(session, "erased@example.com", reason="erasure", now=clock())
        intake.file_request(
            session, email="erik@example.com", type=RequestType.ACCESS, details={},
            original_text=None, language="en", now=clock(),
        )  # fmt: skip
        session.commit()
        outbox.deliver(session, outbox.mailer(), clock(), limit=1000)  # the receipt
        mailbox.messages.clear()

        effective = today(clock) + timedelta(days=3)
        publish(session, clock, officer, effective)
        assert policy.queue_policy_notices(session, clock()) == 2
        report = outbox.deliver(session, outbox.mailer(), clock(), limit=1000)
        assert report.sent == 2

        assert sorted(m["To"] for m in mailbox.messages) == [
            "anna@example.com",
            "erik@example.com",
        ]
        anna = mailbox.last_to("anna@example.com")
        erik = mailbox.last_to("erik@example.com")
        assert anna["Content-Language"] == "sv"  # no case: Swedish
        assert erik["Content-Language"] == "en"  # the language of his case
        text = text_of(erik)
        assert "Our privacy policy changes on" in erik["Subject"]
        assert "Version 1 takes effect on" in text
        assert SUMMARY_EN in text
        assert "https://portal.example.test/policy" in text
        assert SUMMARY_SV in text_of(anna)
        for message in (anna, erik):
            assert "Karin" not in text_of(message)  # no personal data, not even the name

        # Nothing twice: neither on a second run nor for the version already announced.
        assert policy.queue_policy_notices(session, clock()) == 0
        assert outbox.deliver(session, outbox.mailer(), clock(), limit=1000).sent == 0
        assert len(mailbox.messages) == 2

        # The log holds one keyed hash per address, never the address.
        logged = session.scalars(select(PolicyNotice)).all()
        assert sorted(n.address_hash for n in logged) == sorted(
            [address_hash("anna@example.com"), address_hash("erik@example.com")]
        )
        assert all("@" not in n.address_hash for n in logged)

    def test_each_new_version_is_announced_once_to_whoever_asks_then(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        officer: StaffUser,
        mailbox: Mailbox,
    ) -> None:
        opt_in(session, "anna@example.com", clock)
        publish(session, clock, officer, today(clock))
        assert policy.queue_policy_notices(session, clock()) == 1
        opt_in(session, "erik@example.com", clock)
        set_lead_months(session, 18)
        publish(session, clock, officer, today(clock) + timedelta(days=30))
        assert policy.queue_policy_notices(session, clock()) == 2
        assert policy.queue_policy_notices(session, clock()) == 0
        outbox.deliver(session, outbox.mailer(), clock(), limit=1000)
        assert len(mailbox.to("anna@example.com")) == 2
        assert len(mailbox.to("erik@example.com")) == 1
        assert "Version 2" in text_of(mailbox.last_to("erik@example.com"))

    def test_a_run_that_stopped_halfway_goes_on_without_repeating(
        self,
        app: Flask,
        session: Session,
        clock: Clock,
        officer: StaffUser,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        for number in range(5):
            opt_in(session, f"lead{number}@example.com", clock)
        version = publish(session, clock, officer, today(clock))
        monkeypatch.setattr(policy, "BATCH", 2)
        # As if the worker had died after its first batch: two logged, the version not yet done.
        calls = {"batches": 0}
        real_commit = session.commit

        def crash_after_first_batch() -> None:
            real_commit()
            calls["batches"] += 1
            if calls["batches"] == 1:
                raise RuntimeError("worker stopped")

        monkeypatch.setattr(session, "commit", crash_after_first_batch)
        with pytest.raises(RuntimeError):
            policy.queue_policy_notices(session, clock())
        monkeypatch.setattr(session, "commit", real_commit)
        session.rollback()
        assert session.get_one(PolicyVersion, version.id).announced_at is None
        assert policy.queue_policy_notices(session, clock()) == 3
        emails = session.scalars(
            select(OutboundEmail.to_address).where(OutboundEmail.template == "policy_notice")
        ).all()
        assert sorted(emails) == [f"lead{number}@example.com" for number in range(5)]

    def test_a_withdrawn_consent_stops_the_notices(
        self, app: Flask, session: Session, clock: Clock, officer: StaffUser
    ) -> None:
        person = opt_in(session, "anna@example.com", clock)
        session.execute(
            update(Consent).where(Consent.person_id == person.id).values(withdrawn_at=clock())
        )
        session.commit()
        publish(session, clock, officer, today(clock))
        assert policy.queue_policy_notices(session, clock()) == 0


def test_an_edited_rule_shows_in_the_next_snapshot(
    app: Flask, session: Session, clock: Clock, officer: StaffUser
) -> None:
    leads = session.scalars(
        select(RetentionRule).where(RetentionRule.category == "lead_contact")
    ).one()
    values = {
        field: getattr(leads, field)
        for field in ("name_sv", "name_en", "description_sv", "description_en")
    }
    register_editor.save_rule(
        session, leads, {**values, "months": "9", "trigger": "assignment_end"}, by=officer,
        now=clock(),
    )  # fmt: skip
    assert lead_months(policy.snapshot(session)) == 9
