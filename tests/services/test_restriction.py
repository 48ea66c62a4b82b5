"""Restriction (Art. 18): the records before and after, the person told, the recipients told,
and no lifting without telling the person first (Art. 18(3))."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.workflow import RequestStatus, RequestType
from app.models import (
    AuditEntry,
    NoticeAction,
    OutboundEmail,
    Person,
    RecipientKind,
    StaffUser,
    SubjectRequest,
)
from app.services import casework, intake, notices
from app.services.errors import RuleError
from app.services.fulfilment import restriction
from tests.conftest import Clock
from tests.factories import (
    ANNA,
    COUSIN,
    NAMESAKE,
    Crowd,
    exported,
    file_case,
    notices_of,
    today,
)

REASON = "We have checked the phone number and the job title with you: both are correct."


# Rule messages are translated: read them in English, as a page in English would.
pytestmark = pytest.mark.usefixtures("english_page")


def file_restriction(
    session: Session, clock: Clock, *, ground: str = "accuracy", language: str = "en",
    email: str = ANNA,
) -> SubjectRequest:  # fmt: skip
    return file_case(
        session, clock, RequestType.RESTRICTION, {"ground": ground}, email=email,
        language=language,
    )  # fmt: skip


def flags(session: Session) -> dict[int, tuple[object, object]]:
    session.expire_all()
    return {p.id: (p.restricted_at, p.restriction_ground) for p in session.scalars(select(Person))}


def confirm_all(session: Session, case: SubjectRequest, clock: Clock) -> None:
    """Every recipient confirms (the Art. 19 notices otherwise keep the case open)."""
    for notice in notices.notices_of(session, case):
        notices.confirm_by_recipient(session, notice, now=clock())


def restricted_case(
    session: Session, clock: Clock, handler: StaffUser, **kw: object
) -> SubjectRequest:
    case = file_restriction(session, clock, **kw)  # type: ignore[arg-type]
    restriction.apply_restriction(session, case, ground="accuracy", by=handler, now=clock())
    session.commit()
    return case


class TestApplying:
    def test_exactly_the_addresss_records_are_flagged_with_the_ground(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        before = flags(session)
        case = file_restriction(session, clock, ground="legal_claims")
        count = restriction.apply_restriction(
            session, case, ground="legal_claims", by=handler, now=clock()
        )
        session.commit()
        after = flags(session)
        annas = {p.id for p in crowd.anna}
        assert count == 2
        assert all(before[i] == (None, None) for i in annas)
        assert {i: after[i] for i in annas} == {i: (clock(), "legal_claims") for i in annas}
        assert {i: v for i, v in after.items() if i not in annas} == {
            i: v for i, v in before.items() if i not in annas
        }

    def test_the_person_leaves_the_export_while_namesakes_stay(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        before = exported(session, crowd, clock())
        restricted_case(session, clock, handler)
        after = exported(session, crowd, clock())
        assert before.count(ANNA) == 2
        assert ANNA not in after
        assert NAMESAKE in after
        assert COUSIN in after
        assert len(after) == len(before) - 2

    def test_the_person_is_told_and_the_recipients_get_a_notice_each(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = restricted_case(session, clock, handler)
        message = case.messages[-1].body
        assert case.reference in message
        assert "only store" in message
        assert "Art. 18.1 a GDPR" in message
        assert "Before the restriction is lifted, we will tell you (Art. 18.3 GDPR)" in message
        update = session.scalars(
            select(OutboundEmail).where(OutboundEmail.template == "case_update")
        ).one()
        assert update.to_address == ANNA
        sent = notices_of(session, case, NoticeAction.RESTRICTION)
        kinds = {n.recipient.kind for n in sent}
        assert crowd.recipient.id in {n.recipient_id for n in sent}
        assert RecipientKind.PROCESSOR in kinds
        assert all(n.details == {"ground": "accuracy"} for n in sent)
        assert [e.kind for e in case.events][-2:] == ["restricted", "recipients_notified"]
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.reference == case.reference)
        ).all()
        assert "case.restrict" in actions

    def test_the_message_is_in_swedish_for_a_swedish_case(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = restricted_case(session, clock, handler, language="sv")
        message = case.messages[-1].body
        assert "Vi har begränsat behandlingen av dina personuppgifter" in message
        assert "bara lagrar" in message
        assert "Innan begränsningen hävs meddelar vi dig det (art. 18.3 GDPR)." in message

    def test_it_cannot_be_applied_twice_or_with_an_unknown_ground(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = restricted_case(session, clock, handler)
        with pytest.raises(RuleError):
            restriction.apply_restriction(session, case, ground="accuracy", by=handler, now=clock())
        other = file_restriction(session, clock)
        with pytest.raises(RuleError):
            restriction.apply_restriction(session, other, ground="because", by=handler, now=clock())

    def test_an_address_without_records_has_nothing_to_restrict_and_may_complete(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = file_restriction(session, clock, email="nobody@example.se")
        with pytest.raises(RuleError):
            restriction.apply_restriction(session, case, ground="accuracy", by=handler, now=clock())
        casework.complete(session, case, "We hold no data about you.", by=handler, now=clock())
        assert case.status is RequestStatus.COMPLETED


class TestCompletion:
    def test_the_case_cannot_complete_before_the_restriction_is_applied(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = file_restriction(session, clock)
        with pytest.raises(RuleError, match="not yet in place"):
            casework.complete(session, case, "Done.", by=handler, now=clock())
        assert case.status is RequestStatus.RECEIVED
        restriction.apply_restriction(session, case, ground="accuracy", by=handler, now=clock())
        confirm_all(session, case, clock)
        casework.complete(session, case, "Done.", by=handler, now=clock())
        assert case.status is RequestStatus.COMPLETED


class TestLifting:
    def test_lifting_without_telling_the_person_first_is_refused_and_changes_nothing(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = restricted_case(session, clock, handler)
        before = flags(session)
        events = len(case.events)
        with pytest.raises(RuleError, match=r"must be told before .* lifted \(Art\. 18\.3"):
            restriction.lift_restriction(session, case, by=handler, now=clock(), today=today(clock))
        session.rollback()
        assert flags(session) == before
        assert len(case.events) == events
        assert notices_of(session, case, NoticeAction.RESTRICTION_LIFTED) == []

    def test_the_date_given_cannot_be_in_the_past_and_is_kept_to(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = restricted_case(session, clock, handler)
        with pytest.raises(RuleError, match="before today"):
            restriction.announce_lift(
                session, case, reason=REASON, lift_on=today(clock) - timedelta(days=1),
                by=handler, now=clock(), today=today(clock),
            )  # fmt: skip
        restriction.announce_lift(
            session, case, reason=REASON, lift_on=today(clock) + timedelta(days=7), by=handler,
            now=clock(), today=today(clock),
        )  # fmt: skip
        session.commit()
        with pytest.raises(RuleError, match="cannot be lifted before that date"):
            restriction.lift_restriction(session, case, by=handler, now=clock(), today=today(clock))
        session.rollback()
        assert ANNA not in exported(session, crowd, clock())

    def test_after_the_notice_and_on_its_date_the_restriction_is_lifted(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = restricted_case(session, clock, handler)
        confirm_all(session, case, clock)
        casework.complete(session, case, "Restricted.", by=handler, now=clock())
        session.commit()  # the restriction outlives the case
        lift_on = today(clock) + timedelta(days=3)
        restriction.announce_lift(
            session, case, reason=REASON, lift_on=lift_on, by=handler, now=clock(),
            today=today(clock),
        )  # fmt: skip
        session.commit()
        notice = case.messages[-1].body
        assert REASON in notice
        assert lift_on.strftime("%Y") in notice
        assert "before the restriction is lifted" in notice
        assert "(IMY)" in notice
        assert ANNA not in exported(session, crowd, clock())

        clock.advance(days=3)
        count = restriction.lift_restriction(
            session, case, by=handler, now=clock(), today=today(clock)
        )
        session.commit()
        assert count == 2
        assert all(flags(session)[p.id] == (None, None) for p in crowd.anna)
        assert exported(session, crowd, clock()).count(ANNA) == 2
        lifted = notices_of(session, case, NoticeAction.RESTRICTION_LIFTED)
        assert crowd.recipient.id in {n.recipient_id for n in lifted}
        assert case.status is RequestStatus.COMPLETED
        assert [e.kind for e in case.events][-2:] == ["restriction_lifted", "recipients_notified"]

    def test_the_lift_notice_is_in_swedish_for_a_swedish_case(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = restricted_case(session, clock, handler, language="sv")
        restriction.announce_lift(
            session, case, reason="Uppgifterna är kontrollerade.", lift_on=date(2026, 12, 1),
            by=handler, now=clock(), today=today(clock),
        )  # fmt: skip
        notice = case.messages[-1].body
        assert "Vi kommer att häva begränsningen" in notice
        assert "1 december 2026" in notice
        assert "Uppgifterna är kontrollerade." in notice
        assert "Integritetsskyddsmyndigheten (IMY)" in notice
        assert "tingsrätt" in notice

    def test_a_pending_objection_keeps_the_records_restricted(
        self, session: Session, crowd: Crowd, clock: Clock, handler: StaffUser
    ) -> None:
        case = restricted_case(session, clock, handler)
        restriction.announce_lift(
            session, case, reason=REASON, lift_on=today(clock), by=handler, now=clock(),
            today=today(clock),
        )  # fmt: skip
        objection = intake.file_request(
            session, email=ANNA, type=RequestType.OBJECTION,
            details={"kind": "legitimate_interest", "grounds": "Jag har bytt jobb."},
            original_text=None, language="en", now=clock(),
        )  # fmt: skip
        session.commit()
        with pytest.raises(RuleError, match=objection.reference):
            restriction.lift_restriction(session, case, by=handler, now=clock(), today=today(clock))
        session.rollback()
        assert ANNA not in exported(session, crowd, clock())
