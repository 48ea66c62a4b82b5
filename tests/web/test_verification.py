"""Proving control of a mailbox in the browser: link, landing page, typed code, limits, sessions.

Everything runs through the Flask test client, the real SMTP server and the real database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import EmailToken, OutboundEmail, SubjectSession
from tests.conftest import Clock
from tests.helpers import (
    BASE_URL,
    CSRF_INPUT,
    add_person,
    ask_for_link,
    b64_segments,
    build_app,
    code_of,
    count,
    csrf_token,
    html_of,
    link_path,
    link_token,
    page_text,
    set_language,
    text_of,
    verify,
    without_csrf,
)
from tests.smtp import Mailbox

ANNA = "anna@example.com"
COOKIE = "__Host-portal"


def token_row(session: Session) -> EmailToken:
    session.expire_all()
    rows = session.scalars(select(EmailToken).order_by(EmailToken.id)).all()
    assert rows, "no token stored"
    return rows[-1]


def signed_in(client: FlaskClient) -> bool:
    answer = client.get("/overview")
    assert answer.status_code in (200, 302)
    return answer.status_code == 200


def other_char(char: str) -> str:
    return "B" if char != "B" else "C"


def tamper(token: str, index: int) -> str:
    return token[:index] + other_char(token[index]) + token[index + 1 :]


def headline(html: str) -> str:
    return html.split("<h1>", 1)[1].split("</h1>", 1)[0]


class TestSameAnswerForEveryAddress:
    def test_known_and_unknown_addresses_get_identical_responses(
        self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any], mailbox: Mailbox
    ) -> None:
        app = build_app(tmp_path, clock, smtp_config, WTF_CSRF_ENABLED=True)
        with app.app_context():
            add_person(get_session(), "known@example.com", clock())

        answers = []
        for address in ("known@example.com", "unknown@example.com"):
            browser = app.test_client()
            posted = browser.post(
                "/start", data={"email": address, "csrf_token": csrf_token(browser)}
            )
            shown = browser.get(posted.headers["Location"])
            answers.append((posted, shown))
        (known, known_page), (unknown, unknown_page) = answers

        assert known.status_code == unknown.status_code == 303
        assert known.headers["Location"] == unknown.headers["Location"] == "/check-email"
        assert known.get_data() == unknown.get_data()

        def comparable(response: Any) -> list[tuple[str, str]]:
            return sorted((k, v) for k, v in response.headers if k not in ("Set-Cookie", "Date"))

        assert comparable(known) == comparable(unknown)
        assert (
            known.headers.get("Set-Cookie", "").split("=")[0]
            == (unknown.headers.get("Set-Cookie", "").split("=")[0])
        )
        assert known_page.status_code == unknown_page.status_code == 200
        assert without_csrf(page_text(known_page)) == without_csrf(page_text(unknown_page))
        # Both addresses get their link: nothing tells them apart, not even the mail.
        assert len(mailbox.to("known@example.com")) == len(mailbox.to("unknown@example.com")) == 1


class TestTheSecret:
    def test_link_token_holds_a_random_nonce_of_at_least_128_bits_and_no_address(
        self, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        ask_for_link(client, ANNA)
        token = link_token(mailbox.last_to(ANNA))

        *payload, _signature = b64_segments(token)  # the signature is random bytes
        assert payload
        assert all(b"@" not in segment for segment in payload)
        assert all(b"anna" not in segment.lower() for segment in payload)
        assert set(json.loads(payload[0])) == {"p", "n"}  # purpose and nonce, nothing else
        nonce = json.loads(payload[0])["n"]
        assert len(base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))) * 8 >= 128

    def test_every_link_and_code_is_different(self, client: FlaskClient, mailbox: Mailbox) -> None:
        for number in range(12):
            ask_for_link(client, f"person{number}@example.com")
        tokens = {link_token(message) for message in mailbox.messages}
        codes = {code_of(message) for message in mailbox.messages}
        assert len(tokens) == len(codes) == 12

    def test_database_keeps_only_hashes_of_the_link_and_the_code(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        ask_for_link(client, ANNA)
        message = mailbox.last_to(ANNA)
        token, code = link_token(message), code_of(message)
        nonce = json.loads(b64_segments(token)[0])["n"]

        session.expire_all()
        dump = "\n".join(session.connection().connection.driver_connection.iterdump())
        for secret in (token, nonce, code, code.replace("-", "")):
            assert secret not in dump
        assert token_row(session).token_hash == hashlib.sha256(nonce.encode()).hexdigest()


class TestTheLinkPage:
    def test_opening_the_link_twice_and_head_use_nothing_and_show_a_button(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        ask_for_link(client, ANNA)
        path = link_path(mailbox.last_to(ANNA))

        for method in (client.head, client.get, client.get, client.head):
            assert method(path).status_code == 200
        page = page_text(client.get(path))
        assert '<form method="post">' in page
        assert '<button type="submit"' in page
        row = token_row(session)
        assert row.used_at is None
        assert row.revoked_at is None
        assert not signed_in(client)

    def test_pressing_the_button_signs_in_and_redirects_to_a_url_without_the_token(
        self, client: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        ask_for_link(client, ANNA)
        path = link_path(mailbox.last_to(ANNA))

        confirmed = client.post(path)

        assert confirmed.status_code == 303
        assert confirmed.headers["Location"] == "/overview"
        assert path.removeprefix("/verify/") not in confirmed.headers["Location"]
        assert token_row(session).used_at == clock()
        overview = client.get("/overview")
        assert overview.status_code == 200
        assert ANNA in page_text(overview)

    def test_link_page_sends_no_referrer_and_is_not_cached(
        self, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        ask_for_link(client, ANNA)
        page = client.get(link_path(mailbox.last_to(ANNA)))
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in page.headers["Cache-Control"]
        assert " src=" not in page_text(page).replace(' src="/static/', "")

    def test_pages_for_unusable_links_send_no_referrer_either(self, client: FlaskClient) -> None:
        page = client.get("/verify/not-a-real-token")
        assert page.status_code == 400
        assert page.headers["Referrer-Policy"] == "no-referrer"


class TestUnusableLinks:
    @pytest.fixture
    def path(self, client: FlaskClient, mailbox: Mailbox) -> str:
        set_language(client, "en")
        ask_for_link(client, ANNA)
        return link_path(mailbox.last_to(ANNA))

    def test_link_used_twice_shows_used_page(self, client: FlaskClient, path: str) -> None:
        assert client.post(path).status_code == 303
        client.post("/sign-out")

        again = client.post(path)
        opened = client.get(path)

        for answer in (again, opened):
            assert answer.status_code == 410
            assert "already been used" in headline(page_text(answer))
        assert not signed_in(client)

    def test_link_after_fifteen_minutes_shows_expired_page(
        self, client: FlaskClient, path: str, clock: Clock
    ) -> None:
        clock.advance(minutes=16)
        opened = client.get(path)
        pressed = client.post(path)
        for answer in (opened, pressed):
            assert answer.status_code == 410
            assert "expired" in headline(page_text(answer))
        assert not signed_in(client)

    def test_link_still_works_just_before_it_expires(
        self, client: FlaskClient, path: str, clock: Clock
    ) -> None:
        clock.advance(minutes=14, seconds=59)
        assert client.post(path).status_code == 303

    @pytest.mark.parametrize("where", ["payload", "signature", "cut off"])
    def test_tampered_link_shows_not_valid_page(
        self, client: FlaskClient, path: str, where: str
    ) -> None:
        token = path.removeprefix("/verify/")
        payload, signature = token.split(".")
        altered = {
            "payload": tamper(token, len(payload) // 2),
            "signature": tamper(token, len(payload) + 1 + len(signature) // 2),
            "cut off": token[: len(token) - 10],
        }[where]

        opened = client.get(f"/verify/{altered}")
        pressed = client.post(f"/verify/{altered}")

        for answer in (opened, pressed):
            assert answer.status_code == 400
            assert "not valid" in headline(page_text(answer))
        assert not signed_in(client)
        assert client.post(path).status_code == 303  # the real link is unharmed

    def test_each_problem_has_its_own_page_with_a_way_to_start_again(
        self, client: FlaskClient, mailbox: Mailbox, path: str, clock: Clock
    ) -> None:
        invalid = client.get(path + "x")
        client.post(path)
        used = client.get(path)
        ask_for_link(client, "other@example.com")
        clock.advance(minutes=16)
        expired = client.get(link_path(mailbox.last_to("other@example.com")))

        headlines = {headline(page_text(page)) for page in (invalid, used, expired)}
        assert len(headlines) == 3
        for page in (invalid, used, expired):
            assert 'action="/start"' in page_text(page)

    def test_newer_link_revokes_the_older(self, client: FlaskClient, mailbox: Mailbox) -> None:
        ask_for_link(client, ANNA)
        ask_for_link(client, ANNA)
        older, newer = (link_path(m) for m in mailbox.to(ANNA))

        assert client.get(older).status_code == 410
        assert client.post(older).status_code == 410
        assert client.post(newer).status_code == 303


class TestTypedCode:
    def test_code_typed_in_the_same_browser_signs_in(
        self, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        ask_for_link(client, ANNA)
        code = code_of(mailbox.last_to(ANNA))

        answer = client.post("/check-email", data={"code": code})

        assert answer.status_code == 303
        assert answer.headers["Location"] == "/overview"
        assert signed_in(client)

    def test_code_may_be_typed_in_lower_case_without_the_dash(
        self, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        ask_for_link(client, ANNA)
        code = code_of(mailbox.last_to(ANNA))
        typed = " " + code.replace("-", " ").lower() + " "
        assert client.post("/check-email", data={"code": typed}).status_code == 303

    def test_code_typed_in_another_browser_signs_nobody_in(
        self, app: Flask, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        ask_for_link(client, ANNA)
        code = code_of(mailbox.last_to(ANNA))
        stranger = app.test_client()

        assert stranger.post("/check-email", data={"code": code}).status_code == 410
        assert not signed_in(stranger)
        assert client.post("/check-email", data={"code": code}).status_code == 303

    def test_five_wrong_codes_lock_it_and_then_the_right_code_fails(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        set_language(client, "en")
        ask_for_link(client, ANNA)
        message = mailbox.last_to(ANNA)
        code = code_of(message)
        wrong = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"

        for left in (4, 3, 2, 1):
            answer = client.post("/check-email", data={"code": wrong})
            assert answer.status_code == 400
            errors = page_text(answer).split('class="field-errors"', 1)[1].split("</ul>", 1)[0]
            assert re.search(rf"\b{left}\b", errors), errors  # how many tries are left
        locked = client.post("/check-email", data={"code": wrong})
        assert locked.status_code == 400
        assert "Too many wrong codes" in headline(page_text(locked))

        assert client.post("/check-email", data={"code": code}).status_code == 410
        assert client.get(link_path(message)).status_code == 410
        assert not signed_in(client)
        assert token_row(session).revoked_at is not None

    def test_empty_code_is_asked_for_again(self, client: FlaskClient, mailbox: Mailbox) -> None:
        ask_for_link(client, ANNA)
        answer = client.post("/check-email", data={"code": ""})
        assert answer.status_code == 400
        assert 'aria-invalid="true"' in page_text(answer)


class TestLimits:
    def test_sixth_request_in_an_hour_answers_the_same_but_sends_nothing(
        self, client: FlaskClient, mailbox: Mailbox, session: Session, clock: Clock
    ) -> None:
        answers = [
            ask_for_link(client, ANNA, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
            for n in range(1, 7)
        ]

        assert {(a.status_code, a.headers["Location"]) for a in answers} == {(303, "/check-email")}
        assert len({a.get_data() for a in answers}) == 1
        assert len(mailbox.to(ANNA)) == 5
        assert count(session, EmailToken) == 5
        # The code of the last e-mail still works in this browser.
        code = code_of(mailbox.last_to(ANNA))
        assert client.post("/check-email", data={"code": code}).status_code == 303

    def test_an_hour_later_the_address_gets_links_again(
        self, client: FlaskClient, mailbox: Mailbox, clock: Clock
    ) -> None:
        for _ in range(6):
            ask_for_link(client, ANNA)
        clock.advance(hours=1, minutes=1)
        ask_for_link(client, ANNA)
        assert len(mailbox.to(ANNA)) == 6

    def test_too_many_requests_from_one_ip_get_a_429_page(
        self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any], mailbox: Mailbox
    ) -> None:
        app = build_app(tmp_path, clock, smtp_config, RATELIMIT_ENABLED=True)
        browser = app.test_client()
        answers = [ask_for_link(browser, f"p{n}@example.com") for n in range(11)]

        assert [a.status_code for a in answers[:10]] == [303] * 10
        refused = answers[10]
        assert refused.status_code == 429
        assert refused.mimetype == "text/html"
        assert "<h1>" in page_text(refused)
        assert "Traceback" not in page_text(refused)
        assert len(mailbox.messages) == 10
        # Another IP address is not affected.
        elsewhere = {"REMOTE_ADDR": "10.9.9.9"}
        assert ask_for_link(browser, "q@example.com", environ_base=elsewhere).status_code == 303


class TestTheEmailedLink:
    def test_link_is_built_from_base_url_not_from_the_host_header(
        self, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        ask_for_link(
            client,
            ANNA,
            headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
        )
        message = mailbox.last_to(ANNA)
        for body in (text_of(message), html_of(message)):
            assert f"{BASE_URL}/verify/" in body
            assert "evil.example" not in body


class TestMalformedAddresses:
    @pytest.mark.parametrize(
        "address",
        [
            "not-an-email",
            "a" * 288 + "@example.com",  # 300 characters
            "a@b.se\r\nBcc: x@y.se",
            "a@b.se\nBcc: x@y.se",
            "anna@example.com, x@y.se",
            "",
        ],
        ids=["no-at", "300-chars", "crlf-bcc", "lf-bcc", "two-addresses", "empty"],
    )
    def test_bad_address_gets_a_clear_400_and_nothing_is_sent_or_stored(
        self, client: FlaskClient, mailbox: Mailbox, session: Session, address: str
    ) -> None:
        set_language(client, "en")
        answer = ask_for_link(client, address)

        assert answer.status_code == 400
        page = page_text(answer)
        assert 'aria-invalid="true"' in page
        assert "Enter a valid e-mail address" in page or "Enter your e-mail address" in page
        assert mailbox.messages == []
        assert count(session, EmailToken) == 0
        assert count(session, OutboundEmail) == 0

    def test_address_is_normalised_before_use(
        self, client: FlaskClient, mailbox: Mailbox, session: Session
    ) -> None:
        ask_for_link(client, "  Anna@Example.COM ")
        assert mailbox.last_to(ANNA)
        assert token_row(session).email == ANNA


class TestVerifiedSession:
    @pytest.fixture
    def own_app(self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any]) -> Flask:
        """Each request in its own app context, as in production."""
        return build_app(tmp_path, clock, smtp_config)

    def test_idle_session_ends_and_sends_the_person_to_verify_again(
        self, own_app: Flask, mailbox: Mailbox, clock: Clock
    ) -> None:
        browser = own_app.test_client()
        verify(browser, mailbox, ANNA)
        clock.advance(minutes=own_app.config["SUBJECT_SESSION_IDLE_MINUTES"] + 1)

        answer = browser.get("/cases")

        assert answer.status_code == 302
        assert answer.headers["Location"] == "/"

    def test_reading_pages_keeps_the_session_alive_until_its_maximum(
        self, own_app: Flask, mailbox: Mailbox, clock: Clock
    ) -> None:
        browser = own_app.test_client()
        verify(browser, mailbox, ANNA)
        idle = own_app.config["SUBJECT_SESSION_IDLE_MINUTES"]
        lifetime = own_app.config["SUBJECT_SESSION_MINUTES"]

        elapsed = 0
        while elapsed + idle - 1 < lifetime:
            clock.advance(minutes=idle - 1)
            elapsed += idle - 1
            assert browser.get("/cases").status_code == 200, f"signed out after {elapsed} min"
        clock.advance(minutes=lifetime - elapsed + 1)
        assert browser.get("/cases").status_code == 302

    def test_sign_out_ends_the_session_on_the_server(
        self, own_app: Flask, mailbox: Mailbox
    ) -> None:
        browser = own_app.test_client()
        verify(browser, mailbox, ANNA)
        cookie = browser.get_cookie(COOKIE)
        assert cookie is not None

        signed_out = browser.post("/sign-out")

        assert signed_out.status_code == 303
        assert not signed_in(browser)
        replay = own_app.test_client()
        replay.set_cookie(COOKIE, cookie.value)
        assert replay.get("/cases").status_code == 302
        assert replay.get("/overview").status_code == 302
        with own_app.app_context():
            rows = get_session().scalars(select(SubjectSession)).all()
            assert [row.ended_at is not None for row in rows] == [True]

    def test_sign_out_is_never_done_by_a_get(self, own_app: Flask, mailbox: Mailbox) -> None:
        browser = own_app.test_client()
        verify(browser, mailbox, ANNA)
        assert browser.get("/sign-out").status_code == 405
        assert signed_in(browser)

    def test_cookie_from_before_verification_does_not_grant_access(
        self, own_app: Flask, mailbox: Mailbox
    ) -> None:
        browser = own_app.test_client()
        ask_for_link(browser, ANNA)
        before = browser.get_cookie(COOKIE)
        assert before is not None
        browser.post(link_path(mailbox.last_to(ANNA)))
        after = browser.get_cookie(COOKIE)
        assert after is not None
        assert after.value != before.value

        stale = own_app.test_client()
        stale.set_cookie(COOKIE, before.value)
        assert not signed_in(stale)


class TestOverHttps:
    def test_the_link_pages_button_works_although_the_page_sends_no_referrer(
        self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any], mailbox: Mailbox
    ) -> None:
        """With Referrer-Policy: no-referrer the browser posts without a Referer; over HTTPS the
        CSRF check must still accept the button (it rests on the token, not on the Referer)."""
        app = build_app(tmp_path, clock, smtp_config, WTF_CSRF_ENABLED=True)
        browser = app.test_client()
        browser.environ_base["wsgi.url_scheme"] = "https"
        start = browser.get("/", base_url="https://portal.example.test")
        token = CSRF_INPUT.search(page_text(start))
        assert token is not None
        browser.post(
            "/start",
            data={"email": ANNA, "csrf_token": token.group(1)},
            base_url="https://portal.example.test",
        )
        path = link_path(mailbox.last_to(ANNA))
        page = browser.get(path, base_url="https://portal.example.test")
        assert page.headers["Referrer-Policy"] == "no-referrer"
        button = CSRF_INPUT.search(page_text(page))
        assert button is not None
        confirmed = browser.post(
            path, data={"csrf_token": button.group(1)}, base_url="https://portal.example.test"
        )
        assert confirmed.status_code == 303
        assert "/overview" in confirmed.headers["Location"]
