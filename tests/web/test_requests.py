"""Filing each of the seven requests through its form: reference, deadline, validation, effects."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.deadlines import legal_deadline
from app.core.workflow import Channel, RequestStatus, RequestType
from app.models import Consent, OutboundEmail, Person, SubjectRequest
from tests.conftest import Clock
from tests.helpers import (
    BASE_URL,
    VALID_FORMS,
    add_person,
    case,
    count,
    file_request,
    html_of,
    page_text,
    reference_from,
    set_language,
    slug,
    text_of,
    verify,
)
from tests.smtp import Mailbox

ANNA = "anna@example.com"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
SLUGS = [slug(t) for t in RequestType]


def consents_of(session: Session, email: str) -> dict[str, Consent]:
    """The address's consents by purpose code, as stored now."""
    session.expire_all()
    rows = session.scalars(
        select(Consent).join(Person, Consent.person_id == Person.id).where(Person.email == email)
    )
    return {c.purpose.code: c for c in rows}


def form_for(session: Session, request_slug: str) -> dict[str, object]:
    """The smallest valid form; for consent withdrawal, Anna's direct-marketing consent."""
    if request_slug == "consent-withdrawal":
        return {"consents": [consents_of(session, ANNA)["direct_marketing"].id]}
    return dict(VALID_FORMS[request_slug])


@pytest.fixture
def anna(session: Session, clock: Clock) -> Person:
    """Anna is a lead with two active consents."""
    return add_person(session, ANNA, clock(), consents=("direct_marketing", "service_improvement"))


@pytest.fixture
def browser(client: FlaskClient, mailbox: Mailbox, anna: Person) -> FlaskClient:
    """Anna's browser, verified, in English so messages can be read."""
    set_language(client, "en")
    verify(client, mailbox, ANNA)
    return client


class TestFilingEachType:
    @pytest.mark.parametrize("request_slug", SLUGS)
    def test_form_is_a_plain_post_form(self, browser: FlaskClient, request_slug: str) -> None:
        page = browser.get(f"/requests/new/{request_slug}")
        assert page.status_code == 200
        html = page_text(page)
        assert '<form method="post"' in html
        assert 'name="submission_key"' in html
        assert '<button type="submit"' in html

    @pytest.mark.parametrize("request_slug", SLUGS)
    def test_each_type_gets_a_reference_received_time_and_legal_deadline(
        self, browser: FlaskClient, session: Session, clock: Clock, request_slug: str
    ) -> None:
        answer = file_request(browser, request_slug, form_for(session, request_slug))

        reference = reference_from(answer)
        assert answer.headers["Location"] == f"/cases/{reference}/receipt"
        assert re.fullmatch(r"DSR-2026-\d{6}", reference)
        filed = case(session, reference)
        received_on = clock().astimezone(STOCKHOLM).date()
        assert filed.type is RequestType(request_slug.replace("-", "_"))
        assert filed.email == ANNA
        assert filed.channel is Channel.PORTAL
        assert filed.received_at == clock()
        assert filed.received_on == received_on
        assert filed.legal_due_on == filed.due_on == legal_deadline(received_on)
        assert filed.extended_due_on is None

        receipt = browser.get(answer.headers["Location"])
        assert receipt.status_code == 200
        assert reference in page_text(receipt)
        assert f'<time datetime="{filed.due_on.isoformat()}">' in page_text(receipt)

    def test_references_count_up(self, browser: FlaskClient) -> None:
        references = [reference_from(file_request(browser, "access")) for _ in range(3)]
        assert references == ["DSR-2026-000001", "DSR-2026-000002", "DSR-2026-000003"]

    def test_deadline_counts_from_the_date_in_stockholm(
        self, client: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        # 23:30 UTC on 30 November is already 1 December in Stockholm.
        clock.advance(days=6, hours=14, minutes=30)
        verify(client, mailbox, ANNA)

        filed = case(session, reference_from(file_request(client, "access")))

        assert filed.received_on == date(2026, 12, 1)
        assert filed.due_on == legal_deadline(date(2026, 12, 1))

    def test_year_of_the_reference_is_the_year_in_stockholm(
        self, client: FlaskClient, mailbox: Mailbox, clock: Clock
    ) -> None:
        clock.advance(days=37, hours=14, minutes=30)  # 31 December 23:30 UTC: 1 January in Sweden
        verify(client, mailbox, ANNA)
        assert reference_from(file_request(client, "access")) == "DSR-2027-000001"

    def test_visitor_who_has_not_verified_is_sent_to_verify(
        self, client: FlaskClient, session: Session
    ) -> None:
        for answer in (client.get("/requests/new/access"), file_request(client, "access")):
            assert answer.status_code == 302
            assert answer.headers["Location"] == "/"
        assert count(session, SubjectRequest) == 0

    def test_unknown_type_is_404(self, browser: FlaskClient) -> None:
        for answer in (
            browser.get("/requests/new/complaint"),
            browser.post("/requests/new/complaint", data={"scope": "all"}),
            browser.get("/requests/new/ACCESS"),
        ):
            assert answer.status_code == 404
            assert "<h1>" in page_text(answer)


class TestValidation:
    @pytest.mark.parametrize(
        ("request_slug", "data", "message"),
        [
            ("access", {"scope": "all"}, "Choose at least one format."),
            ("access", {"scope": "all", "formats": ["docx"]}, "not a valid choice"),
            (
                "access",
                {"scope": "parts", "formats": ["pdf"]},
                "Choose at least one part, or choose everything.",
            ),
            ("access", {"scope": "parts", "parts": ["diary"], "formats": ["pdf"]}, "valid choice"),
            ("rectification", {}, "Fill in at least one correction."),
            ("rectification", {"name": "   ", "other": " "}, "Fill in at least one correction."),
            ("rectification", {"phone": "call me maybe"}, "Enter a phone number with digits"),
            ("rectification", {"name": "N" * 201}, "200"),
            ("erasure", {"scope": "parts"}, "Choose at least one part, or choose everything."),
            ("restriction", {}, "Choose the ground for restriction."),
            ("restriction", {"ground": "because"}, "valid choice"),
            ("objection", {}, "Choose what you object to."),
            ("objection", {"kind": "legitimate_interest"}, "Describe your reasons"),
            (
                "objection",
                {"kind": "legitimate_interest", "grounds": "  \r\n "},
                "Describe your reasons",
            ),
            ("consent-withdrawal", {}, "Choose at least one consent to withdraw."),
            ("consent-withdrawal", {"consents": ["abc"]}, "could not be coerced"),
            ("portability", {}, "Choose at least one format."),
            ("access", {"scope": "all", "formats": ["pdf"], "message": "x" * 4001}, "4000"),
            ("erasure", {"scope": "all", "message": "å" * 4001}, "4000"),
        ],
    )
    def test_invalid_form_gets_a_clear_400_and_nothing_is_stored(
        self,
        browser: FlaskClient,
        session: Session,
        mailbox: Mailbox,
        request_slug: str,
        data: dict[str, object],
        message: str,
    ) -> None:
        mails_before = count(session, OutboundEmail)

        answer = file_request(browser, request_slug, data)

        assert answer.status_code == 400
        html = page_text(answer)
        assert 'class="error-summary"' in html
        assert message in html.replace("&#39;", "'")
        assert count(session, SubjectRequest) == 0
        assert count(session, OutboundEmail) == mails_before
        assert len(mailbox.messages) == 1  # only the verification e-mail
        assert all(c.withdrawn_at is None for c in consents_of(session, ANNA).values())

    def test_message_of_exactly_4000_characters_is_accepted(
        self, browser: FlaskClient, session: Session
    ) -> None:
        text = "ö" * 4000
        answer = file_request(
            browser, "access", {"scope": "all", "formats": ["pdf"], "message": text}
        )
        assert case(session, reference_from(answer)).original_text == text

    def test_consent_of_someone_else_is_never_withdrawn(
        self, browser: FlaskClient, session: Session, clock: Clock
    ) -> None:
        bertil = add_person(session, "bertil@example.com", clock(), consents=("direct_marketing",))
        foreign = bertil.consents[0].id
        own = consents_of(session, ANNA)["direct_marketing"].id

        for chosen in ([foreign], [own, foreign]):
            answer = file_request(browser, "consent-withdrawal", {"consents": chosen})
            assert answer.status_code == 400

        assert consents_of(session, "bertil@example.com")["direct_marketing"].withdrawn_at is None
        assert consents_of(session, ANNA)["direct_marketing"].withdrawn_at is None
        assert count(session, SubjectRequest) == 0

    def test_consent_form_offers_only_the_persons_active_consents(
        self, browser: FlaskClient, session: Session, clock: Clock
    ) -> None:
        bertil = add_person(session, "bertil@example.com", clock(), consents=("direct_marketing",))
        mine = consents_of(session, ANNA)
        html = page_text(browser.get("/requests/new/consent-withdrawal"))

        offered = set(re.findall(r'name="consents"[^>]*value="(\d+)"', html))
        assert offered == {str(c.id) for c in mine.values()}
        assert str(bertil.consents[0].id) not in offered

    def test_without_active_consents_there_is_nothing_to_withdraw(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        verify(client, mailbox, "nobody@example.com")
        page = client.get("/requests/new/consent-withdrawal")
        assert page.status_code == 200
        assert 'name="consents"' not in page_text(page)
        assert file_request(client, "consent-withdrawal", {"consents": ["1"]}).status_code == 400
        assert count(session, SubjectRequest) == 0


class TestImmediateEffects:
    def test_consent_withdrawal_takes_effect_at_once_and_completes_the_case(
        self, browser: FlaskClient, session: Session, clock: Clock
    ) -> None:
        answer = file_request(
            browser, "consent-withdrawal", form_for(session, "consent-withdrawal")
        )

        filed = case(session, reference_from(answer))
        consents = consents_of(session, ANNA)
        assert consents["direct_marketing"].withdrawn_at == clock()
        assert consents["service_improvement"].withdrawn_at is None  # not chosen
        assert filed.status is RequestStatus.COMPLETED
        assert filed.closed_at == clock()
        assert [e.kind for e in filed.events] == ["filed", "consent_withdrawn"]
        assert filed.details == {"consent_ids": [consents["direct_marketing"].id]}

    def test_withdrawn_consent_is_no_longer_offered_nor_accepted(
        self, browser: FlaskClient, session: Session, clock: Clock
    ) -> None:
        chosen = form_for(session, "consent-withdrawal")
        file_request(browser, "consent-withdrawal", chosen)
        html = page_text(browser.get("/requests/new/consent-withdrawal"))
        offered = set(re.findall(r'name="consents"[^>]*value="(\d+)"', html))
        assert offered == {str(consents_of(session, ANNA)["service_improvement"].id)}

        withdrawn_at = clock()
        clock.advance(minutes=1)
        assert file_request(browser, "consent-withdrawal", chosen).status_code == 400
        assert consents_of(session, ANNA)["direct_marketing"].withdrawn_at == withdrawn_at
        assert count(session, SubjectRequest) == 1

    def test_objection_to_direct_marketing_marks_every_record_at_once(
        self, browser: FlaskClient, session: Session, clock: Clock
    ) -> None:
        add_person(session, ANNA, clock(), name="Anna Berg")  # a second record, other customer
        bertil = add_person(session, "bertil@example.com", clock(), consents=("direct_marketing",))

        answer = file_request(browser, "objection", {"kind": "direct_marketing"})

        filed = case(session, reference_from(answer))
        assert filed.status is RequestStatus.COMPLETED
        assert filed.closed_at == clock()
        people = session.scalars(select(Person).where(Person.email == ANNA)).all()
        assert len(people) == 2
        assert all(p.marketing_objection_at == clock() for p in people)
        assert consents_of(session, ANNA)["direct_marketing"].withdrawn_at == clock()
        session.refresh(bertil)
        assert bertil.marketing_objection_at is None
        assert consents_of(session, "bertil@example.com")["direct_marketing"].withdrawn_at is None

    def test_objection_on_legitimate_interest_waits_for_a_handler(
        self, browser: FlaskClient, session: Session, anna: Person
    ) -> None:
        grounds = "Jag har bytt bransch och vill inte bli kontaktad om detta."
        answer = file_request(
            browser, "objection", {"kind": "legitimate_interest", "grounds": grounds}
        )

        filed = case(session, reference_from(answer))
        assert filed.status is RequestStatus.RECEIVED
        assert filed.details == {"kind": "legitimate_interest", "grounds": grounds}
        session.refresh(anna)
        assert anna.marketing_objection_at is None

    @pytest.mark.parametrize("request_slug", ["access", "erasure", "restriction", "portability"])
    def test_other_types_wait_for_a_handler(
        self, browser: FlaskClient, session: Session, request_slug: str
    ) -> None:
        filed = case(session, reference_from(file_request(browser, request_slug)))
        assert filed.status is RequestStatus.RECEIVED
        assert filed.closed_at is None


class TestWhatIsStored:
    def test_original_wording_is_stored_unchanged(
        self, browser: FlaskClient, session: Session
    ) -> None:
        wording = (
            "Hej!\r\nJag vill veta <b>allt</b> ni har om mig & min   historik.\r\n\r\n"
            'Skicka svaret till "b@y.se" – tack! 😊'
        )
        answer = file_request(
            browser, "access", {"scope": "all", "formats": ["pdf"], "message": wording}
        )
        reference = reference_from(answer)

        assert case(session, reference).original_text == wording
        page = page_text(browser.get(f"/cases/{reference}"))
        assert "<b>allt</b>" not in page
        assert "&lt;b&gt;allt&lt;/b&gt;" in page

    def test_structured_details_are_kept(self, browser: FlaskClient, session: Session) -> None:
        answer = file_request(
            browser,
            "access",
            {"scope": "parts", "parts": ["contact", "meetings"], "formats": ["pdf", "json"]},
        )
        assert case(session, reference_from(answer)).details == {
            "scope": "parts",
            "parts": ["contact", "meetings"],
            "formats": ["pdf", "json"],
        }

    def test_corrections_are_kept_trimmed(self, browser: FlaskClient, session: Session) -> None:
        answer = file_request(
            browser, "rectification", {"name": " Anna Berg ", "phone": "+46 70-123 45 67"}
        )
        assert case(session, reference_from(answer)).details == {
            "corrections": {"name": "Anna Berg", "phone": "+46 70-123 45 67"}
        }

    def test_double_submission_with_the_same_key_files_one_case(
        self, browser: FlaskClient, session: Session, mailbox: Mailbox
    ) -> None:
        form = {"scope": "all", "formats": ["pdf"], "submission_key": "k3y-0f-7h15-f0rm"}

        first = file_request(browser, "access", form)
        second = file_request(browser, "access", form)

        assert first.status_code == second.status_code == 303
        assert first.headers["Location"] == second.headers["Location"]
        assert count(session, SubjectRequest) == 1
        assert len(mailbox.to(ANNA)) == 2  # the link, and one receipt

    def test_each_form_shown_has_a_new_submission_key(self, browser: FlaskClient) -> None:
        keys = {
            re.search(r'name="submission_key"[^>]*value="([^"]+)"', page_text(page)).group(1)  # type: ignore[union-attr]
            for page in (browser.get("/requests/new/access") for _ in range(3))
        }
        assert len(keys) == 3

    def test_extra_fields_cannot_set_what_the_server_decides(
        self, browser: FlaskClient, session: Session, clock: Clock
    ) -> None:
        answer = file_request(
            browser,
            "restriction",
            {
                "ground": "accuracy",
                "status": "completed",
                "reference": "DSR-1999-000001",
                "email": "bertil@example.com",
                "type": "erasure",
                "due_on": "2020-01-01",
                "received_at": "2020-01-01T00:00:00Z",
                "language": "xx",
                "channel": "letter",
                "verified_at": "",
            },
        )

        reference = reference_from(answer)
        assert reference != "DSR-1999-000001"
        filed = case(session, reference)
        assert filed.status is RequestStatus.RECEIVED
        assert filed.email == ANNA
        assert filed.type is RequestType.RESTRICTION
        assert filed.channel is Channel.PORTAL
        assert filed.language == "en"
        assert filed.received_at == clock()
        assert filed.due_on == legal_deadline(clock().astimezone(STOCKHOLM).date())
        assert filed.details == {"ground": "accuracy"}

    def test_case_remembers_the_language_it_was_filed_in(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        verify(client, mailbox, ANNA)  # Swedish by default
        swedish = case(session, reference_from(file_request(client, "access")))
        set_language(client, "en")
        english = case(session, reference_from(file_request(client, "access")))
        assert (swedish.language, english.language) == ("sv", "en")


class TestReceiptEmail:
    def test_receipt_arrives_with_reference_and_deadline(
        self, browser: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        reference = reference_from(file_request(browser, "erasure"))
        filed = case(session, reference)

        message = mailbox.last_to(ANNA)
        assert reference in message["Subject"]
        deadline = format_date(filed.due_on, "long", locale="en")
        for body in (text_of(message), html_of(message)):
            assert reference in body
            assert deadline in body
            assert f"{BASE_URL}/cases" in body

    def test_receipt_goes_to_the_verified_address_only(
        self, browser: FlaskClient, mailbox: Mailbox
    ) -> None:
        file_request(
            browser,
            "access",
            {"scope": "all", "formats": ["pdf"], "message": "Skicka svaret till b@y.se i stället"},
        )
        receipt = mailbox.envelopes[-1]
        assert receipt.rcpt_tos == [ANNA]
        assert "b@y.se" not in receipt.content.decode()

    def test_receipt_carries_no_personal_data_beyond_reference_and_link(
        self, browser: FlaskClient, mailbox: Mailbox
    ) -> None:
        secret_bits = {
            "name": "Zlatan Testsson",
            "phone": "+46 70-999 88 77",
            "job_title": "Hemlig titel",
            "company": "Hemligbolaget AB",
            "other": "Min adress är Storgatan 1",
        }
        file_request(browser, "rectification", {**secret_bits, "message": "Mitt personnummer"})

        message = mailbox.last_to(ANNA)
        everything = "\n".join([message["Subject"], text_of(message), html_of(message)])
        for value in [*secret_bits.values(), "Mitt personnummer", "Karin Lindqvist", "Norrsken"]:
            assert value not in everything
        assert "070-111 22 33" not in everything  # the phone number on Anna's record

    def test_completed_request_receipt_states_the_outcome(
        self, browser: FlaskClient, mailbox: Mailbox
    ) -> None:
        reference = reference_from(file_request(browser, "objection", {"kind": "direct_marketing"}))
        text = text_of(mailbox.last_to(ANNA))
        assert reference in text
        assert "Completed" in text
