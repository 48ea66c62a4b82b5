"""Art. 19 notices in the browser: the recipient's confirm link, the staff panel, the person's page.

Real parts throughout: the Flask test client, SQLite, the SMTP test server, and a local HTTP
server that receives the webhooks. Notices are made with ``notices.create_notices``, as the
rectification, erasure and restriction services do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.core.tokens import SignedTokens
from app.core.workflow import RequestStatus
from app.db import get_session
from app.models import (
    NoticeStatus,
    Recipient,
    RecipientNotice,
)
from app.services import notices
from tests.conftest import Clock
from tests.factories import add_recipient, fresh_notice, rectification_notices
from tests.helpers import (
    build_app,
    case,
    csrf_token,
    link_path,
    page_text,
    reference_from,
    set_language,
)
from tests.smtp import Mailbox, free_port
from tests.web.case_steps import (
    ANNA,
    act,
    acted,
    audit_actions,
    file_case,
    flash_error,
    refused_with,
)
from tests.web.case_steps import anna as anna  # fixtures, used by name
from tests.web.case_steps import hanna as hanna
from tests.web.case_steps import olof as olof
from tests.webhook_server import WebhookReceiver
from tests.webhook_server import webhook_receiver as webhook_receiver  # fixture, used by name

SECRET = "0f9e8d7c6b5a49382716a5b4c3d2e1f00f9e8d7c6b5a49382716a5b4c3d2e1f0"
HOOKED = "Norrsken Bygg AB (CRM)"
SILENT = "Tyst Kund AB"
REASON = "The customer went bankrupt in 2025; the estate holds no copy of our leads."


def make_notices(
    session: Session, reference: str, recipients: list[Recipient], clock: Clock
) -> list[RecipientNotice]:
    return rectification_notices(session, case(session, reference), recipients, clock)


@pytest.fixture
def reference(anna: FlaskClient) -> str:
    return file_case(anna, "rectification", {"phone": "070-999 88 77", "message": ""})


@pytest.fixture
def hooked(session: Session, webhook_receiver: WebhookReceiver) -> Recipient:
    return add_recipient(session, HOOKED, webhook_url=webhook_receiver.url, webhook_secret=SECRET)


@pytest.fixture
def delivered(
    session: Session, reference: str, hooked: Recipient, webhook_receiver: WebhookReceiver,
    clock: Clock,
) -> tuple[RecipientNotice, str]:  # fmt: skip
    """A notice received by the recipient's system, and the path of its confirm link."""
    (notice,) = make_notices(session, reference, [hooked], clock)
    notices.deliver_due(session, clock())
    (got,) = webhook_receiver.delivered
    url = got.json["confirm_url"]
    assert url.startswith("https://portal.example.test/notices/")
    return notice, urlsplit(url).path


class TestConfirmLink:
    def test_opening_the_link_shows_a_button_and_changes_nothing(
        self, client: FlaskClient, session: Session, delivered: tuple[RecipientNotice, str]
    ) -> None:
        notice, path = delivered
        set_language(client, "en")

        page = client.get(path)
        client.head(path)
        client.get(path)

        assert page.status_code == 200
        text = page_text(page)
        assert '<form method="post">' in text
        assert "Confirm that we have done this" in text
        assert HOOKED in text
        assert ANNA not in text  # the link's page never shows the person's address
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
        assert fresh_notice(session, notice).status is NoticeStatus.SENT

    def test_pressing_the_button_confirms_once(
        self, client: FlaskClient, session: Session, delivered: tuple[RecipientNotice, str],
        clock: Clock,
    ) -> None:  # fmt: skip
        notice, path = delivered
        set_language(client, "en")
        clock.advance(hours=3)

        answer = client.post(path)

        assert answer.status_code == 303
        assert answer.headers["Location"] == "/notices/done"  # no token in the address
        assert "Thank you: the notice is confirmed" in page_text(client.get("/notices/done"))
        confirmed = fresh_notice(session, notice)
        assert confirmed.status is NoticeStatus.CONFIRMED
        assert confirmed.confirmed_at == clock()
        assert confirmed.confirmation == "confirmation link"

        clock.advance(hours=1)
        again = client.post(path)

        assert again.status_code == 303
        assert "This notice was already confirmed" in page_text(
            client.get(again.headers["Location"])
        )
        assert fresh_notice(session, notice).confirmed_at == clock() - timedelta(hours=1)
        assert "already confirmed" in page_text(client.get(path))
        assert audit_actions(session, confirmed.request.reference).count("notice.confirmed") == 1

    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_a_changed_or_foreign_token_gives_a_clear_404(
        self, app: Flask, client: FlaskClient, session: Session,
        delivered: tuple[RecipientNotice, str], method: str,
    ) -> None:  # fmt: skip
        notice, path = delivered
        set_language(client, "en")
        token = path.removeprefix("/notices/")
        changed = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        other_purpose = SignedTokens(app.config["SECRET_KEY"], "verify").dumps(k=notice.key)
        unknown = SignedTokens(app.config["SECRET_KEY"], "notice-confirm").dumps(k="no-such")

        for bad in (changed, other_purpose, unknown, "x"):
            answer = client.open(f"/notices/{bad}", method=method)
            assert answer.status_code == 404, bad
            assert "The confirmation link is not valid" in page_text(answer)
        assert fresh_notice(session, notice).status is NoticeStatus.SENT


class TestRecipientSystem:
    """A recipient's system POSTs the confirm_url itself: JSON, no page, no CSRF token."""

    @pytest.fixture
    def csrf_app(self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any]) -> Flask:
        return build_app(tmp_path, clock, smtp_config, WTF_CSRF_ENABLED=True)

    def test_json_post_confirms_without_a_csrf_token_and_a_form_post_needs_one(
        self, csrf_app: Flask, mailbox: Mailbox, webhook_receiver: WebhookReceiver, clock: Clock
    ) -> None:
        browser = csrf_app.test_client()
        browser.post("/start", data={"email": ANNA, "csrf_token": csrf_token(browser)})
        link = link_path(mailbox.last_to(ANNA))
        browser.post(link, data={"csrf_token": csrf_token(browser, link)})
        filed = browser.post(
            "/requests/new/rectification",
            data={
                "phone": "070-999 88 77", "message": "",
                "csrf_token": csrf_token(browser, "/requests/new/rectification"),
            },
        )  # fmt: skip
        reference = reference_from(filed)
        with csrf_app.app_context():
            db = get_session()
            hooked = add_recipient(
                db, HOOKED, webhook_url=webhook_receiver.url, webhook_secret=SECRET
            )
            made = make_notices(db, reference, [hooked, add_recipient(
                db, "Andra AB", webhook_url=webhook_receiver.url, webhook_secret=SECRET
            )], clock)  # fmt: skip
            notices.deliver_due(db, clock())
            ids = [n.id for n in made]
        by_system, by_person = (
            urlsplit(r.json["confirm_url"]).path for r in webhook_receiver.delivered
        )
        system = csrf_app.test_client()

        as_form = system.post(by_system, data={})
        assert as_form.status_code == 400  # a form POST must carry the page's CSRF token
        answer = system.post(by_system, json={})
        again = system.post(by_system, json={})

        assert answer.status_code == 200
        assert answer.json is not None
        assert answer.json["status"] == "confirmed"
        assert answer.json["already_confirmed"] is False
        assert again.json is not None
        assert again.json["already_confirmed"] is True

        # Someone at the recipient uses the page: its form carries the token, as every form.
        person = csrf_app.test_client()
        pressed = person.post(by_person, data={"csrf_token": csrf_token(person, by_person)})
        assert pressed.status_code == 303
        with csrf_app.app_context():
            found = [get_session().get_one(RecipientNotice, i).status for i in ids]
            assert found == [NoticeStatus.CONFIRMED, NoticeStatus.CONFIRMED]


class TestStaffPanel:
    def test_undecided_notices_block_completion_until_confirmed_or_explained(
        self, app: Flask, session: Session, reference: str, hooked: Recipient,
        webhook_receiver: WebhookReceiver, hanna: FlaskClient, olof: FlaskClient, clock: Clock,
    ) -> None:  # fmt: skip
        silent = add_recipient(session, SILENT)
        hook_notice, silent_notice = make_notices(session, reference, [hooked, silent], clock)
        webhook_receiver.down = True
        notices.deliver_due(session, clock())

        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "Notices to recipients (Art. 19)" in page
        expected = [HOOKED, SILENT, "Webhook", "No channel on record", "HTTP 500"]
        expected += ["2 notices are undecided", "Only the privacy officer can record"]
        for wording in expected:
            assert wording in page, wording
        assert 'name="notice_not_notified-reason"' not in page

        refused = refused_with(hanna, reference, "complete", **{"complete-body": "Done."})
        assert "2 notices to recipients (Art. 19) are undecided" in flash_error(refused)
        assert case(session, reference).status is not RequestStatus.COMPLETED

        page = acted(
            hanna, reference, "notices/confirm",
            **{"notice_confirm-notice": str(hook_notice.id),
               "notice_confirm-confirmed_on": clock().date().isoformat(),
               "notice_confirm-how": "E-mail reply from their privacy contact"},
        )  # fmt: skip
        assert f"The confirmation of {HOOKED} is recorded." in page
        assert "1 notice is undecided" in page

        forbidden = act(
            hanna, reference, "notices/not-notified",
            **{"notice_not_notified-notice": str(silent_notice.id),
               "notice_not_notified-reason": REASON},
        )  # fmt: skip
        assert forbidden.status_code == 403
        assert fresh_notice(session, silent_notice).status is NoticeStatus.PENDING

        officer_page = page_text(olof.get(f"/staff/cases/{reference}"))
        assert 'name="notice_not_notified-reason"' in officer_page
        page = acted(
            olof, reference, "notices/not-notified",
            **{"notice_not_notified-notice": str(silent_notice.id),
               "notice_not_notified-reason": REASON},
        )  # fmt: skip
        assert "Every notice is decided." in page
        assert REASON in page

        acted(hanna, reference, "complete", **{"complete-body": "Corrected everywhere."})
        assert case(session, reference).status is RequestStatus.COMPLETED
        actions = audit_actions(session, reference)
        assert "notice.confirmed" in actions
        assert "notice.not_notified" in actions
        timeline = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "A recipient confirmed the notice" in timeline
        assert "Recorded why a recipient is not notified" in timeline

    def test_bad_input_says_why_and_changes_nothing(
        self, session: Session, reference: str, hooked: Recipient, anna: FlaskClient,
        hanna: FlaskClient, clock: Clock,
    ) -> None:  # fmt: skip
        (notice,) = make_notices(session, reference, [hooked], clock)
        other = file_case(anna, "rectification", {"phone": "070-111 11 11", "message": ""})

        missing = act(
            hanna, reference, "notices/confirm",
            **{"notice_confirm-notice": str(notice.id),
               "notice_confirm-confirmed_on": clock().date().isoformat(),
               "notice_confirm-how": ""},
        )  # fmt: skip
        assert missing.status_code == 400
        text = page_text(missing)
        assert "Say how the recipient confirmed" in text
        assert f'id="notice_confirm-how-{notice.id}"' in text

        future = refused_with(
            hanna, reference, "notices/confirm",
            **{"notice_confirm-notice": str(notice.id),
               "notice_confirm-confirmed_on": (clock().date() + timedelta(days=3)).isoformat(),
               "notice_confirm-how": "Phone call"},
        )  # fmt: skip
        assert "cannot be in the future" in flash_error(future)

        elsewhere = refused_with(
            hanna, other, "notices/confirm",
            **{"notice_confirm-notice": str(notice.id),
               "notice_confirm-confirmed_on": clock().date().isoformat(),
               "notice_confirm-how": "Phone call"},
        )  # fmt: skip
        assert "That notice is not on this case." in flash_error(elsewhere)

        garbage = act(hanna, reference, "notices/resend", **{"notice_resend-notice": "1; drop"})
        assert garbage.status_code == 400
        assert fresh_notice(session, notice).status is NoticeStatus.PENDING
        assert fresh_notice(session, notice).confirmed_at is None

    def test_send_again_now_queues_a_stopped_notice(
        self, app: Flask, session: Session, reference: str, hooked: Recipient,
        webhook_receiver: WebhookReceiver, hanna: FlaskClient, clock: Clock,
    ) -> None:  # fmt: skip
        app.config["NOTICE_MAX_ATTEMPTS"] = 1
        (notice,) = make_notices(session, reference, [hooked], clock)
        webhook_receiver.down = True
        notices.deliver_due(session, clock())
        page = page_text(hanna.get(f"/staff/cases/{reference}"))
        assert "No more automatic attempts" in page

        clock.advance(minutes=20)
        page = acted(hanna, reference, "notices/resend", **{"notice_resend-notice": str(notice.id)})

        assert f"The notice to {HOOKED} is queued" in page
        queued = fresh_notice(session, notice)
        assert queued.next_attempt_at == clock()
        assert queued.attempts == 0
        webhook_receiver.down = False
        assert notices.deliver_due(session, clock()).sent == 1
        assert len(webhook_receiver.delivered) == 1

    def test_an_email_notice_reaches_the_contact_with_the_confirm_link(
        self, session: Session, reference: str, mailbox: Mailbox, client: FlaskClient,
        clock: Clock,
    ) -> None:  # fmt: skip
        contact = "dataskydd@kund.example"
        (notice,) = make_notices(
            session, reference, [add_recipient(session, "Kund AB", contact_email=contact)], clock
        )

        notices.deliver_due(session, clock())

        text = mailbox.text(mailbox.last_to(contact))
        assert ANNA in text
        assert reference in text
        link = next(w for w in text.split() if w.startswith("https://portal.example.test/notices/"))
        path = urlsplit(link).path
        assert client.get(path).status_code == 200
        assert client.post(path).status_code == 303
        assert fresh_notice(session, notice).status is NoticeStatus.CONFIRMED


class TestPersonsPage:
    def test_the_person_sees_which_recipients_were_told(
        self, session: Session, reference: str, hooked: Recipient, anna: FlaskClient,
        olof: FlaskClient, webhook_receiver: WebhookReceiver, clock: Clock,
    ) -> None:  # fmt: skip
        silent = add_recipient(session, SILENT)
        nobody = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
        pending = add_recipient(session, "Väntande AB", webhook_url=nobody, webhook_secret=SECRET)
        _hook_notice, silent_notice, _ = make_notices(
            session, reference, [hooked, silent, pending], clock
        )
        webhook_receiver.reply = {"status": "done"}
        notices.deliver_due(session, clock())
        acted(
            olof, reference, "notices/not-notified",
            **{"notice_not_notified-notice": str(silent_notice.id),
               "notice_not_notified-reason": REASON},
        )  # fmt: skip

        page = page_text(anna.get(f"/cases/{reference}"))

        assert "Who else we told" in page
        assert HOOKED in page
        assert "Correct your data" in page
        assert SILENT in page
        assert REASON in page
        assert "Väntande AB" in page
        assert "Not yet" in page
        assert "We are telling the recipients of your data" in page

    def test_no_panel_without_notices(self, reference: str, anna: FlaskClient) -> None:
        assert "Who else we told" not in page_text(anna.get(f"/cases/{reference}"))
