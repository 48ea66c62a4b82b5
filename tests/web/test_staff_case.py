"""The case page: a case walked from filing to completion, and every rule an action must obey.

Through the Flask test client, real SQLite and a real SMTP server: the person files in the
portal, the handler and the privacy officer act on the case page, the person reads and answers
on their status page, and the e-mails are read where the SMTP server received them.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.core.deadlines import extended_deadline, internal_target, legal_deadline
from app.core.workflow import RequestStatus
from app.models import Approval, ApprovalStatus, AuditEntry, CaseNote, Message, StaffUser
from tests.conftest import Clock
from tests.helpers import add_person, case, count, page_text, squash, text_of
from tests.smtp import Mailbox
from tests.web.case_steps import (
    ANNA,
    act,
    acted,
    audit_actions,
    decide,
    file_case,
    flash_error,
    pending_approval,
    refused_with,
    staff,
)
from tests.web.case_steps import anna as anna  # fixtures, used by name
from tests.web.case_steps import hanna as hanna
from tests.web.case_steps import olof as olof

S = RequestStatus
QUESTION = "Which of your two e-mail addresses do you mean: the work one or the private one?"
ANSWER = "Only the work address, thank you."
EXTENSION_REASONS = "Your data are spread over six systems and two customers' CRMs."
REFUSAL_REASONS = "Invoices from 2024 are accounting records; we keep them until 31 Dec 2031."
DONE = "We have erased everything except the invoices, which we keep as explained."


class TestWholeCase:
    def test_from_filing_to_completion_with_an_extension_and_a_partial_refusal(
        self,
        app: Flask,
        anna: FlaskClient,
        hanna: FlaskClient,
        olof: FlaskClient,
        handler: StaffUser,
        session: Session,
        mailbox: Mailbox,
        clock: Clock,
    ) -> None:
        reference = file_case(
            anna, "erasure", {"scope": "all", "ground": "unsure", "message": "Ta bort  allt.\nTack"}
        )
        filed = case(session, reference)
        assert filed.status is S.RECEIVED

        # The handler finds the case in the queue and opens it: the request as filed.
        assert reference in page_text(hanna.get("/staff/"))
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert '<blockquote class="original">Ta bort  allt.\nTack</blockquote>' in page
        assert "Everything held about the person" in page
        assert f'<time datetime="{legal_deadline(filed.received_on).isoformat()}">' in page
        target = internal_target(filed.received_on).isoformat()
        assert f'<time datetime="{target}">' in page

        # Start work: in progress, assigned to the handler who started.
        clock.advance(minutes=5)
        acted(hanna, reference, "start")
        assert case(session, reference).status is S.IN_PROGRESS
        assert case(session, reference).assignee_id == handler.id

        # A question to the person: the e-mail says only that a message waits.
        clock.advance(minutes=5)
        acted(hanna, reference, "ask", **{"ask-body": QUESTION})
        assert case(session, reference).status is S.AWAITING_SUBJECT
        asked = mailbox.last_to(ANNA)
        assert reference in asked["Subject"]
        assert reference in text_of(asked)
        assert QUESTION not in text_of(asked)
        assert "Which of your" not in asked.as_string()
        status_page = page_text(anna.get(f"/cases/{reference}"))
        assert QUESTION in status_page
        assert "We have asked you a question" in status_page

        # The person answers on the status page: the case is back in progress.
        clock.advance(minutes=5)
        answered = anna.post(f"/cases/{reference}/messages", data={"body": ANSWER})
        assert answered.status_code == 303
        assert case(session, reference).status is S.IN_PROGRESS
        assert ANSWER in page_text(hanna.get(f"/staff/cases/{reference}"))

        # The handler proposes the extension; nothing changes until the officer approves.
        mails = len(mailbox.to(ANNA))
        page = acted(hanna, reference, "extend", **{"extension-reasons": EXTENSION_REASONS})
        assert "takes effect when the privacy officer approves it" in page
        assert case(session, reference).extended_due_on is None
        assert len(mailbox.to(ANNA)) == mails
        assert "Waiting for the privacy officer" in page_text(olof.get(f"/staff/cases/{reference}"))

        approval = pending_approval(session, reference)
        answer = decide(olof, reference, approval, "approve", "Agreed: six systems.")
        assert answer.status_code == 303
        extended = case(session, reference)
        assert extended.extended_due_on == extended_deadline(extended.received_on)
        assert extended.due_on == extended.extended_due_on
        assert extended.extension_reason == EXTENSION_REASONS
        told = mailbox.last_to(ANNA)
        assert "More time is needed" in told["Subject"]
        assert EXTENSION_REASONS not in text_of(told)
        status_page = squash(page_text(anna.get(f"/cases/{reference}")))
        assert EXTENSION_REASONS in status_page
        assert "We need more time to handle your request" in status_page
        assert f'<time datetime="{extended.extended_due_on.isoformat()}">' in status_page

        # A partial refusal, proposed by the handler and approved by the officer.
        page = acted(
            hanna,
            reference,
            "refuse",
            **{
                "refusal-scope": "partial",
                "refusal-ground": "legal_obligation",
                "refusal-reasons": REFUSAL_REASONS,
            },
        )
        assert case(session, reference).refusal_notified_at is None
        assert (
            decide(hanna, reference, pending_approval(session, reference), "approve").status_code
            == 403
        )
        assert (
            decide(olof, reference, pending_approval(session, reference), "approve").status_code
            == 303
        )
        refused = case(session, reference)
        assert refused.status is S.IN_PROGRESS  # partly refused: the rest is carried out
        assert refused.refusal_scope == "partial"
        assert refused.refusal_ground == "legal_obligation"
        decision = mailbox.last_to(ANNA)
        assert "Decision in your case" in decision["Subject"]
        assert REFUSAL_REASONS not in text_of(decision)
        status_page = squash(page_text(anna.get(f"/cases/{reference}")))
        notice = squash(refused.messages[-1].body)
        for part in (
            REFUSAL_REASONS,
            "A legal obligation requires us to keep the data (Art. 17.3 b GDPR)",
            IMY.complaint_url("en"),
            "Box 8114, 104 20 Stockholm",
            "the right to take the matter to court",
        ):
            assert part in notice, part
            assert part in status_page, part
        assert f'href="{IMY.complaint_url("en")}"' in status_page

        # Completion with a message; the person sees every message and notice in order.
        acted(hanna, reference, "complete", **{"complete-body": DONE})
        done = case(session, reference)
        assert done.status is S.COMPLETED
        assert "is completed" in mailbox.last_to(ANNA)["Subject"]
        status_page = squash(page_text(anna.get(f"/cases/{reference}")))
        order = [QUESTION, ANSWER, EXTENSION_REASONS, REFUSAL_REASONS, DONE]
        positions = [status_page.index(text) for text in order]
        assert positions == sorted(positions)
        assert "status-completed" in status_page
        assert "Write to us about this case" not in status_page

        # The handler's timeline has every step, the internal ones too, with who did them.
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        for step in (
            "Request registered",
            "Received → In progress",
            "In progress → Waiting for the person",
            "The person sent a message",
            "Extension proposed",
            "Deadline extended",
            "Refusal proposed",
            "Request partly refused",
            "In progress → Completed",
        ):
            assert step in page, step
        assert "Hanna Handläggare" in page
        assert "Olof Ombud" in page
        assert audit_actions(session, reference)[:3] == ["case.view", "case.start", "case.view"]
        assert {"case.ask", "case.propose_extension", "case.approve_extension",
                "case.propose_refusal", "case.approve_refusal", "case.complete",
                } <= set(audit_actions(session, reference))  # fmt: skip


class TestCasePage:
    def test_unknown_reference_is_404(self, hanna: FlaskClient) -> None:
        assert hanna.get("/staff/cases/DSR-2026-999999").status_code == 404
        assert act(hanna, "DSR-2026-999999", "start").status_code == 404

    def test_reference_in_lower_case_finds_the_case(
        self, anna: FlaskClient, hanna: FlaskClient
    ) -> None:
        reference = file_case(anna, "access")
        assert hanna.get(f"/staff/cases/{reference.lower()}").status_code == 200

    def test_anonymous_and_subject_and_admin_get_nothing(
        self, client: FlaskClient, anna: FlaskClient, admin_client: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        for path in (f"/staff/cases/{reference}", "/staff/"):
            assert client.get(path).status_code == 302
            assert "/staff/login" in client.get(path).headers["Location"]
            assert anna.get(path).status_code == 302
            assert admin_client.get(path).status_code == 403
        assert act(anna, reference, "start").status_code == 302
        assert act(admin_client, reference, "start").status_code == 403
        assert case(session, reference).status is S.RECEIVED

    def test_viewing_is_in_the_audit_trail_with_each_matched_record(
        self, anna: FlaskClient, hanna: FlaskClient, handler: StaffUser, session: Session,
        clock: Clock,
    ) -> None:  # fmt: skip
        first = add_person(session, ANNA, clock())
        second = add_person(session, ANNA, clock(), name="Karin L. (kund)")
        reference = file_case(anna, "access")

        page = page_text(hanna.get(f"/staff/cases/{reference}"))

        assert "Karin Lindqvist" in page
        assert "Karin L. (kund)" in page
        assert "Norrsken Bygg AB" in page
        session.expire_all()
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.reference == reference).order_by(AuditEntry.id)
        ).all()
        assert [(e.action, e.person_id, e.actor_id) for e in entries] == [
            ("case.view", None, handler.id),
            ("person.view", first.id, handler.id),
            ("person.view", second.id, handler.id),
        ]

    def test_details_of_each_kind_are_shown_readably(
        self, anna: FlaskClient, hanna: FlaskClient
    ) -> None:
        reference = file_case(
            anna, "rectification", {"phone": "070-999 88 77", "job_title": "Säljare"}
        )
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "Correct Phone number to" in page
        assert "070-999 88 77" in page
        assert "Correct Job title to" in page
        assert "Säljare" in page

    def test_markup_in_what_the_person_wrote_is_shown_as_text(
        self, anna: FlaskClient, hanna: FlaskClient
    ) -> None:
        reference = file_case(
            anna, "access", {"scope": "all", "formats": ["pdf"], "message": "<script>x</script>"}
        )
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "<script>x</script>" not in page
        assert "&lt;script&gt;x&lt;/script&gt;" in page

    def test_only_the_actions_the_status_allows_are_offered(
        self, anna: FlaskClient, hanna: FlaskClient
    ) -> None:
        reference = file_case(anna, "restriction", {"ground": "accuracy"})
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert f"/staff/cases/{reference}/start" in page
        assert f"/staff/cases/{reference}/resume" not in page
        assert f"/staff/cases/{reference}/ask" not in page  # not before work starts
        acted(hanna, reference, "start")
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert f"/staff/cases/{reference}/start" not in page
        assert f"/staff/cases/{reference}/ask" in page
        acted(hanna, reference, "complete", **{"complete-body": "Here is your copy."})
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        for action in ("start", "ask", "resume", "message", "extend", "refuse", "complete"):
            assert f"/staff/cases/{reference}/{action}" not in page, action
        assert f"/staff/cases/{reference}/note" in page
        assert "The case is closed" in page


class TestActionsNotAllowed:
    @pytest.mark.parametrize(
        ("action", "fields"),
        [
            ("resume", {}),
            ("ask", {"ask-body": "A question?"}),
        ],
    )
    def test_a_step_the_status_does_not_allow_changes_nothing_and_says_why(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, mailbox: Mailbox,
        action: str, fields: dict[str, str],
    ) -> None:  # fmt: skip
        reference = file_case(anna, "access")
        mails = len(mailbox.messages)

        page = refused_with(hanna, reference, action, **fields)

        assert "This cannot be done while the case is “Received”" in page
        assert "Nothing was changed" in page
        after = case(session, reference)
        assert after.status is S.RECEIVED
        assert [e.kind for e in after.events] == ["filed"]
        assert after.messages == []
        assert len(mailbox.messages) == mails

    def test_starting_twice_is_refused(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        acted(hanna, reference, "start")
        page = refused_with(hanna, reference, "start")
        assert "“In progress”" in flash_error(page)
        assert len(case(session, reference).events) == 2

    def test_a_closed_case_takes_no_message_and_no_assignment(
        self, anna: FlaskClient, hanna: FlaskClient, handler: StaffUser, session: Session
    ) -> None:
        reference = file_case(anna, "restriction", {"ground": "accuracy"})
        acted(hanna, reference, "complete", **{"complete-body": "Done."})
        page = refused_with(hanna, reference, "message", **{"message-body": "One more thing"})
        assert "The case is closed. Nothing was changed." in page
        refused_with(hanna, reference, "assign", **{"assign-assignee": str(handler.id)})
        after = case(session, reference)
        assert [m.body for m in after.messages] == ["Done."]
        assert after.assignee_id is None

    @pytest.mark.parametrize("action", ["message", "ask", "note", "complete"])
    def test_texts_are_required_and_limited(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, action: str
    ) -> None:
        reference = file_case(anna, "access")
        acted(hanna, reference, "start")
        name = f"{action}-body"

        empty = act(hanna, reference, action, **{name: "   "})
        too_long = act(hanna, reference, action, **{name: "x" * 4001})

        assert empty.status_code == too_long.status_code == 400
        assert 'class="error-summary"' in page_text(empty)
        assert "At most 4000 characters." in page_text(too_long)
        assert 'aria-invalid="true"' in page_text(too_long)
        assert "x" * 4001 in page_text(too_long)  # what was typed is kept in the form
        after = case(session, reference)
        assert after.status is S.IN_PROGRESS
        assert after.messages == []
        assert count(session, CaseNote) == 0

    def test_exactly_4000_characters_is_accepted(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        acted(hanna, reference, "message", **{"message-body": "y" * 4000})
        assert case(session, reference).messages[0].body == "y" * 4000

    def test_refusal_needs_a_scope_a_known_ground_and_reasons(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        answer = act(
            hanna, reference, "refuse",
            **{"refusal-scope": "most", "refusal-ground": "because", "refusal-reasons": ""},
        )  # fmt: skip
        assert answer.status_code == 400
        page = page_text(answer)
        assert "Choose the legal ground." in page
        assert "Give the specific reasons" in page
        assert count(session, Approval) == 0


class TestExtension:
    def test_an_officers_own_extension_takes_effect_at_once_and_only_once(
        self, anna: FlaskClient, olof: FlaskClient, session: Session, mailbox: Mailbox
    ) -> None:
        reference = file_case(anna, "access")
        page = acted(olof, reference, "extend", **{"extension-reasons": EXTENSION_REASONS})
        extended = case(session, reference)
        assert extended.extended_due_on == extended_deadline(extended.received_on)
        assert "The deadline is extended to" in page
        assert "More time is needed" in mailbox.last_to(ANNA)["Subject"]
        assert "already been extended once" in page  # the form gives way to the reason
        assert f"/staff/cases/{reference}/extend" not in page

        again = refused_with(olof, reference, "extend", **{"extension-reasons": "More."})

        assert "The law allows one extension only" in flash_error(again)
        assert count(session, Approval) == 1
        assert case(session, reference).extension_reason == EXTENSION_REASONS

    def test_a_proposal_after_the_first_month_is_refused_and_the_form_says_why(
        self, app: Flask, anna: FlaskClient, handler: StaffUser, session: Session, clock: Clock,
    ) -> None:  # fmt: skip
        reference = file_case(anna, "access")
        legal = case(session, reference).legal_due_on
        clock.advance(days=(legal - clock().date()).days + 1)
        hanna = staff(app, handler)  # the earlier sign-in has expired meanwhile

        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert f"/staff/cases/{reference}/extend" not in page
        assert "An extension must be told to the person within the first month" in page

        refused = refused_with(hanna, reference, "extend", **{"extension-reasons": "Late."})

        assert "The first month ended on December 24, 2026" in flash_error(refused)
        assert count(session, Approval) == 0
        assert case(session, reference).extended_due_on is None

    def test_an_approval_after_the_first_month_is_refused_and_the_proposal_stays(
        self, app: Flask, anna: FlaskClient, hanna: FlaskClient, officer: StaffUser,
        session: Session, mailbox: Mailbox, clock: Clock,
    ) -> None:  # fmt: skip
        reference = file_case(anna, "access")
        acted(hanna, reference, "extend", **{"extension-reasons": EXTENSION_REASONS})
        approval = pending_approval(session, reference)
        clock.advance(days=31)
        olof = staff(app, officer)
        mails = len(mailbox.to(ANNA))

        answer = decide(olof, reference, approval, "approve")

        assert answer.status_code == 303
        page = page_text(olof.get(f"/staff/cases/{reference}"))
        assert "An extension must be told to the person within the first month" in flash_error(page)
        assert case(session, reference).extended_due_on is None
        assert pending_approval(session, reference).id == approval.id
        assert len(mailbox.to(ANNA)) == mails

    def test_a_second_proposal_while_one_waits_is_refused(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        acted(hanna, reference, "extend", **{"extension-reasons": EXTENSION_REASONS})
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "An extension is already proposed and waits for the decision." in page
        refused = refused_with(hanna, reference, "extend", **{"extension-reasons": "Again"})
        assert "already waits for the privacy officer" in flash_error(refused)
        assert count(session, Approval) == 1


class TestRefusal:
    def test_after_the_first_month_a_refusal_is_refused(
        self, app: Flask, anna: FlaskClient, handler: StaffUser, session: Session, clock: Clock
    ) -> None:
        reference = file_case(anna, "access")
        clock.advance(days=31)
        hanna = staff(app, handler)
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "A refusal must be given within the first month" in page

        refused = refused_with(
            hanna, reference, "refuse",
            **{"refusal-scope": "whole", "refusal-ground": "excessive", "refusal-reasons": "R"},
        )  # fmt: skip

        assert "A refusal must be given within the first month" in flash_error(refused)
        assert count(session, Approval) == 0
        assert case(session, reference).status is S.RECEIVED

    def test_an_officers_whole_refusal_closes_the_case_at_once(
        self, anna: FlaskClient, olof: FlaskClient, session: Session, mailbox: Mailbox
    ) -> None:
        reference = file_case(anna, "access")
        acted(
            olof, reference, "refuse",
            **{"refusal-scope": "whole", "refusal-ground": "manifestly_unfounded",
               "refusal-reasons": "The same request for the fifth time this month."},
        )  # fmt: skip
        refused = case(session, reference)
        assert refused.status is S.REFUSED
        assert "Decision in your case" in mailbox.last_to(ANNA)["Subject"]
        assert "We will not carry out your request" in refused.messages[-1].body

    def test_the_officer_can_reject_with_a_note_and_nothing_takes_effect(
        self, anna: FlaskClient, hanna: FlaskClient, olof: FlaskClient, session: Session,
        mailbox: Mailbox,
    ) -> None:  # fmt: skip
        reference = file_case(anna, "access")
        acted(
            hanna, reference, "refuse",
            **{"refusal-scope": "whole", "refusal-ground": "excessive", "refusal-reasons": "R"},
        )  # fmt: skip
        approval = pending_approval(session, reference)
        mails = len(mailbox.to(ANNA))

        without_note = decide(olof, reference, approval, "reject")
        assert without_note.status_code == 400
        assert "Say why the proposal is rejected." in page_text(without_note)

        assert decide(olof, reference, approval, "reject", "Not excessive.").status_code == 303
        session.expire_all()
        assert session.get(Approval, approval.id).status is ApprovalStatus.REJECTED
        assert case(session, reference).status is S.RECEIVED
        assert len(mailbox.to(ANNA)) == mails
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "Refusal rejected by the privacy officer" in page
        assert "Not excessive." in page
        again = decide(olof, reference, approval, "approve")
        assert again.status_code == 303
        assert "already been decided" in flash_error(
            page_text(olof.get(f"/staff/cases/{reference}"))
        )

    def test_a_handler_cannot_approve_and_a_foreign_approval_is_404(
        self, anna: FlaskClient, hanna: FlaskClient, olof: FlaskClient, session: Session
    ) -> None:
        first = file_case(anna, "access")
        second = file_case(anna, "erasure")
        acted(hanna, first, "extend", **{"extension-reasons": "Many systems."})
        approval = pending_approval(session, first)

        assert decide(hanna, first, approval, "approve").status_code == 403
        assert "/decide" not in page_text(hanna.get(f"/staff/cases/{first}"))
        assert decide(olof, second, approval, "approve").status_code == 404
        assert pending_approval(session, first).status is ApprovalStatus.PENDING


class TestNotesAndMessages:
    def test_internal_notes_never_reach_the_person(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session, mailbox: Mailbox
    ) -> None:
        reference = file_case(anna, "access")
        mails = len(mailbox.messages)
        note = "Internal: the customer Norrsken asked us to be careful here."

        page = acted(hanna, reference, "note", **{"note-body": note})

        assert note in page
        assert "Internal: never shown to the person" in page
        assert len(mailbox.messages) == mails
        for path in ("/cases", f"/cases/{reference}", f"/cases/{reference}/receipt"):
            assert "Norrsken asked" not in page_text(anna.get(path)), path
        assert count(session, Message) == 0

    def test_a_closed_case_still_takes_internal_notes(
        self, anna: FlaskClient, hanna: FlaskClient, session: Session
    ) -> None:
        reference = file_case(anna, "objection", {"kind": "direct_marketing"})
        assert case(session, reference).status is S.COMPLETED
        acted(hanna, reference, "note", **{"note-body": "Checked the CRM flag."})
        assert [n.body for n in case(session, reference).notes] == ["Checked the CRM flag."]

    def test_a_message_e_mail_says_only_that_a_message_waits(
        self, anna: FlaskClient, hanna: FlaskClient, mailbox: Mailbox
    ) -> None:
        reference = file_case(anna, "access")
        acted(hanna, reference, "message", **{"message-body": "Your copy is almost ready."})
        told = mailbox.last_to(ANNA)
        assert "New message in your case" in told["Subject"]
        assert "almost ready" not in told.as_string()
        assert "Your copy is almost ready." in page_text(anna.get(f"/cases/{reference}"))


class TestAssignment:
    def test_assigning_and_unassigning(
        self, anna: FlaskClient, hanna: FlaskClient, officer: StaffUser, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        page = acted(hanna, reference, "assign", **{"assign-assignee": str(officer.id)})
        assert "The case is assigned to Olof Ombud." in page
        assert case(session, reference).assignee_id == officer.id
        acted(hanna, reference, "assign", **{"assign-assignee": "none"})
        assert case(session, reference).assignee_id is None
        assert audit_actions(session, reference).count("case.assign") == 2

    def test_an_unknown_assignee_is_a_form_error(
        self, anna: FlaskClient, hanna: FlaskClient, admin: StaffUser, session: Session
    ) -> None:
        reference = file_case(anna, "access")
        for value in (str(admin.id), "999", "me"):
            assert act(hanna, reference, "assign", **{"assign-assignee": value}).status_code == 400
        assert case(session, reference).assignee_id is None
