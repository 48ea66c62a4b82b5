"""Rectification (Art. 16): the diff, applying it to the records, the sealed audit values, the
message to the person, the notices to recipients, and values that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.workflow import RequestType
from app.models import (
    AuditEntry,
    Company,
    NoticeAction,
    OutboundEmail,
    Person,
    RecipientNotice,
    StaffUser,
    SubjectRequest,
)
from app.services import casework, notices, subject_keys
from app.services.errors import RuleError
from app.services.fulfilment import rectification
from tests.conftest import Clock
from tests.factories import file_case, rectifiable
from tests.helpers import add_person

KARIN = "karin@example.com"
PROPOSED = {
    "name": "Karin Lindkvist",
    "phone": "070-999 88 77",
    "company": "Fjällvind Konsult AB",
    "other": "Jag får fortfarande ert nyhetsbrev med fel titel.",
}


def file(session: Session, clock: Clock, corrections: dict[str, str], email: str = KARIN) -> Any:
    return file_case(
        session, clock, RequestType.RECTIFICATION, {"corrections": corrections}, email=email
    )


# Messages of refused actions are in the language of the page the handler uses (English).
pytestmark = pytest.mark.usefixtures("english_page")


@pytest.fixture
def karin(app: Flask, session: Session, clock: Clock) -> Person:
    return add_person(session, KARIN, clock(), name="Karin Lindqvist")


@pytest.fixture
def case(session: Session, clock: Clock, karin: Person) -> SubjectRequest:
    return file(session, clock, PROPOSED)


class TestDiff:
    def test_each_record_of_the_address_shows_current_and_proposed_values(
        self, session: Session, clock: Clock, karin: Person, case: SubjectRequest
    ) -> None:
        add_person(session, "someone.else@example.com", clock(), name="Karin Lindqvist")
        second = add_person(session, KARIN, clock(), name="K. Lindqvist", phone=None)
        diffs = rectification.diffs(session, case)
        assert [d.person_id for d in diffs] == [karin.id, second.id]  # not the other address
        first = {f.field: (f.current, f.proposed) for f in diffs[0].fields}
        assert first == {
            "name": ("Karin Lindqvist", "Karin Lindkvist"),
            "phone": ("070-111 22 33", "070-999 88 77"),
            "company": ("Norrsken Bygg AB", "Fjällvind Konsult AB"),
        }
        assert {f.field: f.current for f in diffs[1].fields}["phone"] is None
        assert rectification.other_text(case) == PROPOSED["other"]


class TestApply:
    def test_applying_changes_the_record_and_tells_everyone(
        self, session: Session, clock: Clock, handler: StaffUser, karin: Person,
        case: SubjectRequest,
    ) -> None:  # fmt: skip
        clock.advance(hours=2)
        values = {"name": "Karin Lindkvist", "phone": "070-999 88 70"}
        values["company"] = PROPOSED["company"]
        changes = rectification.apply(session, case, karin.id, values, by=handler, now=clock())
        session.commit()

        person = session.get(Person, karin.id)
        assert person is not None
        assert (person.name, person.phone) == ("Karin Lindkvist", "070-999 88 70")  # edited
        assert person.company is not None
        assert person.company.name == "Fjällvind Konsult AB"
        assert person.company.is_customer is False
        assert person.updated_at == clock()
        assert [c.field for c in changes] == ["name", "phone", "company"]

        rectified = [e for e in case.events if e.kind == "rectified"]
        assert len(rectified) == 1
        assert rectified[0].visible_to_subject
        assert rectified[0].data == {"person_id": karin.id, "fields": ["name", "phone", "company"]}

        # The person's message lists old -> new; the e-mail only says a message waits.
        body = case.messages[-1].body
        assert "Karin Lindqvist" in body
        assert "Karin Lindkvist" in body
        assert "→" in body
        assert "070-111 22 33" in body
        assert "Norrsken Bygg AB" in body
        mail = session.scalars(
            select(OutboundEmail).where(OutboundEmail.template == "case_update")
        ).all()
        assert len(mail) == 1
        assert "Lindkvist" not in mail[0].body_text
        assert "070-999" not in mail[0].body_text

        # Art. 19: one notice per recipient, with the new values and no address.
        expected = {r.id for r in notices.recipients_for(session, KARIN)}
        sent = session.scalars(select(RecipientNotice)).all()
        assert expected
        assert {n.recipient_id for n in sent} == expected
        assert all(n.action is NoticeAction.RECTIFICATION for n in sent)
        assert sent[0].details == {
            "fields": {
                "name": "Karin Lindkvist",
                "phone": "070-999 88 70",
                "company": "Fjällvind Konsult AB",
            }
        }

    def test_the_audit_trail_holds_old_and_new_values_sealed(
        self, session: Session, clock: Clock, handler: StaffUser, karin: Person,
        case: SubjectRequest,
    ) -> None:  # fmt: skip
        rectification.apply(
            session, case, karin.id, {"name": "Karin Lindkvist"}, by=handler, now=clock()
        )
        session.commit()
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "case.rectify"))
        assert entry is not None
        assert entry.person_id == karin.id
        sealed = entry.data["fields"]["name"]
        assert "Lindqvist" not in str(entry.data)
        assert "Lindkvist" not in str(entry.data)
        assert subject_keys.unseal(session, sealed["old"]) == "Karin Lindqvist"
        assert subject_keys.unseal(session, sealed["new"]) == "Karin Lindkvist"
        subject_keys.shred(session, KARIN)
        assert subject_keys.unseal(session, sealed["old"]) is None

    def test_an_existing_company_of_that_exact_name_is_reused(
        self, session: Session, clock: Clock, handler: StaffUser, karin: Person,
        case: SubjectRequest,
    ) -> None:  # fmt: skip
        existing = Company(name="Fjällvind Konsult AB", is_customer=False)
        session.add_all([Company(name="Fjällvind Konsult"), existing])
        session.commit()
        rectification.apply(
            session, case, karin.id, {"company": "Fjällvind Konsult AB"}, by=handler, now=clock()
        )
        assert karin.company_id == existing.id

    def test_only_the_fields_asked_for_can_be_changed(
        self, session: Session, clock: Clock, handler: StaffUser, karin: Person,
        case: SubjectRequest,
    ) -> None:  # fmt: skip
        before = rectifiable(session, karin.id)
        with pytest.raises(RuleError, match="asked to correct"):
            rectification.apply(
                session, case, karin.id, {"job_title": "VD"}, by=handler, now=clock()
            )
        session.rollback()
        assert rectifiable(session, karin.id) == before

    def test_a_record_of_another_address_is_refused(
        self, session: Session, clock: Clock, handler: StaffUser, case: SubjectRequest
    ) -> None:
        other = add_person(session, "annan@example.com", clock(), name="Annan Person")
        with pytest.raises(RuleError, match="not held under"):
            rectification.apply(session, case, other.id, {"name": "X Y"}, by=handler, now=clock())

    def test_values_already_held_change_nothing_and_point_to_a_refusal(
        self, session: Session, clock: Clock, handler: StaffUser, karin: Person
    ) -> None:
        case = file(session, clock, {"name": "Karin Lindqvist"})
        with pytest.raises(RuleError, match="The data are correct"):
            rectification.apply(
                session, case, karin.id, {"name": "Karin Lindqvist"}, by=handler, now=clock()
            )


INVALID = [
    ({"name": ""}, "name cannot be empty"),
    ({"name": "   "}, "name cannot be empty"),
    ({"phone": "ring mig"}, "phone number with digits"),
    ({"phone": "12"}, "phone number with digits"),
    ({"name": "K" * 201}, "at most 200"),
    ({"company": "AB" * 101}, "at most 200"),
]


class TestInvalidValues:
    @pytest.mark.parametrize(("values", "message"), INVALID)
    def test_an_invalid_value_changes_nothing(
        self, session: Session, clock: Clock, handler: StaffUser, karin: Person,
        case: SubjectRequest, values: dict[str, str], message: str,
    ) -> None:  # fmt: skip
        before = rectifiable(session, karin.id)
        events = len(case.events)
        with pytest.raises(RuleError, match=message):
            rectification.apply(session, case, karin.id, values, by=handler, now=clock())
        session.rollback()
        assert rectifiable(session, karin.id) == before
        assert len(case.events) == events
        assert session.scalars(select(RecipientNotice)).all() == []

    def test_an_optional_field_may_be_emptied(
        self, session: Session, clock: Clock, handler: StaffUser, karin: Person,
        case: SubjectRequest,
    ) -> None:  # fmt: skip
        rectification.apply(session, case, karin.id, {"phone": ""}, by=handler, now=clock())
        assert karin.phone is None
        assert "(empty)" in case.messages[-1].body


class TestCompletion:
    def test_a_case_with_proposed_values_is_completed_only_once_applied(
        self, session: Session, clock: Clock, handler: StaffUser, karin: Person,
        case: SubjectRequest,
    ) -> None:  # fmt: skip
        casework.start_work(session, case, by=handler, now=clock())
        with pytest.raises(RuleError, match="not been applied"):
            casework.complete(session, case, "Klart.", by=handler, now=clock())
        assert "The data are correct" in rectification.completion_blocker(session, case)
        rectification.apply(session, case, karin.id, {"name": "Karin L"}, by=handler, now=clock())
        assert rectification.completion_blocker(session, case) is None

    def test_a_partial_refusal_settles_it(
        self, session: Session, clock: Clock, karin: Person, case: SubjectRequest
    ) -> None:
        case.refusal_scope = "partial"
        assert rectification.completion_blocker(session, case) is None

    def test_only_other_text_or_no_records_needs_nothing_applied(
        self, session: Session, clock: Clock, karin: Person
    ) -> None:
        only_other = file(session, clock, {"other": "Min titel är fel i nyhetsbrevet."})
        assert rectification.completion_blocker(session, only_other) is None
        unknown = file(session, clock, {"name": "Nils Okänd"}, email="okand@example.com")
        assert rectification.completion_blocker(session, unknown) is None
