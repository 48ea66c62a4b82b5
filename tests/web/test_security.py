"""What protects every page: headers, CSRF, cookies, error pages, limits and safe redirects."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.core.workflow import RequestStatus, RequestType
from app.db import get_session
from app.models import SubjectRequest
from tests.conftest import START, Clock
from tests.helpers import (
    ask_for_link,
    b64_segments,
    build_app,
    code_of,
    csrf_token,
    file_request,
    link_path,
    link_token,
    page_text,
    reference_from,
    set_language,
    slug,
    verify,
)
from tests.smtp import Mailbox

ANNA = "anna@example.com"
ONE_YEAR = 365 * 24 * 3600


def csp(response: TestResponse) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = (part.strip().split(None, 1) for part in policy.split(";") if part.strip())
    return {d[0]: (d[1] if len(d) > 1 else "") for d in directives}


def assert_security_headers(response: TestResponse, *, page: bool = True) -> None:
    policy = csp(response)
    assert policy.get("object-src") == "'none'"
    assert policy.get("base-uri") == "'none'"
    assert policy.get("frame-ancestors") == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    hsts = response.headers["Strict-Transport-Security"]
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age is not None
    assert int(max_age.group(1)) >= ONE_YEAR
    assert "includeSubDomains" in hsts
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    if page:
        assert "no-store" in response.headers["Cache-Control"]


def status_page(response: TestResponse, status: int) -> str:
    """Check a page answered with ``status`` is a real page, with no trace of the server's code."""
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page_text(response)
    assert re.search(r'<html lang="(sv|en)">', html)
    assert "<h1>" in html
    assert "Traceback" not in html
    assert 'File "' not in html
    return html


@pytest.fixture
def anna(client: FlaskClient, mailbox: Mailbox) -> FlaskClient:
    verify(client, mailbox, ANNA)
    return client


class TestHeaders:
    def test_every_kind_of_page_has_the_security_headers(
        self, app: Flask, anna: FlaskClient, mailbox: Mailbox
    ) -> None:
        reference = reference_from(file_request(anna, "access"))
        stranger = app.test_client()
        ask_for_link(stranger, "bertil@example.com")
        link = link_path(mailbox.last_to("bertil@example.com"))
        headers = {"Origin": "https://evil.example"}

        answers = {
            "landing": stranger.get("/", headers=headers),
            "check e-mail": stranger.get("/check-email"),
            "link page": stranger.get(link),
            "bad link": stranger.get("/verify/nonsense"),
            "bad form": stranger.post("/start", data={"email": "nope"}),
            "wrong code": stranger.post("/check-email", data={"code": "AAAA-AAAA"}),
            "language redirect": stranger.get("/language/en?next=/"),
            "not found": stranger.get("/no-such-page"),
            "wrong method": stranger.get("/sign-out"),
            "overview": anna.get("/overview", headers=headers),
            "cases": anna.get("/cases"),
            "case": anna.get(f"/cases/{reference}"),
            "receipt": anna.get(f"/cases/{reference}/receipt"),
            "receipt pdf": anna.get(f"/cases/{reference}/receipt.pdf"),
            "filed redirect": file_request(anna, "portability"),
        }
        for request_type in RequestType:
            answers[request_type.value] = anna.get(f"/requests/new/{slug(request_type)}")

        for name, answer in answers.items():
            assert answer.status_code < 500, name
            try:
                assert_security_headers(answer)
            except AssertionError as exc:
                raise AssertionError(f"{name}: {exc}") from exc

    def test_static_files_have_the_headers_too(self, client: FlaskClient) -> None:
        answer = client.get("/static/css/portal.css")
        assert answer.status_code == 200
        assert_security_headers(answer, page=False)
        answer.close()

    def test_html_is_served_with_a_charset(self, client: FlaskClient) -> None:
        assert client.get("/").headers["Content-Type"] == "text/html; charset=utf-8"

    def test_pages_do_not_load_anything_from_other_sites(self, anna: FlaskClient) -> None:
        for path in ("/", "/overview", "/cases", "/requests/new/access"):
            html = page_text(anna.get(path))
            for url in re.findall(r'\ssrc="([^"]+)"', html):
                assert url.startswith("/"), url
            for url in re.findall(r'<link[^>]+href="([^"]+)"', html):
                assert url.startswith("/"), url


class TestCsrf:
    @pytest.fixture
    def csrf_app(self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any]) -> Flask:
        return build_app(tmp_path, clock, smtp_config, WTF_CSRF_ENABLED=True)

    @staticmethod
    def verified(app: Flask, mailbox: Mailbox) -> FlaskClient:
        """A browser verified through the forms, tokens and all."""
        browser = app.test_client()
        browser.post("/start", data={"email": ANNA, "csrf_token": csrf_token(browser)})
        link = link_path(mailbox.last_to(ANNA))
        confirmed = browser.post(link, data={"csrf_token": csrf_token(browser, link)})
        assert confirmed.status_code == 303
        return browser

    def test_forms_work_with_their_token(self, csrf_app: Flask, mailbox: Mailbox) -> None:
        browser = self.verified(csrf_app, mailbox)
        token = csrf_token(browser, "/requests/new/access")
        answer = browser.post(
            "/requests/new/access",
            data={"scope": "all", "formats": ["pdf"], "csrf_token": token, "message": ""},
        )
        assert answer.status_code == 303

    def test_every_post_route_refuses_a_request_without_token_with_a_400_page(
        self, csrf_app: Flask, mailbox: Mailbox
    ) -> None:
        browser = self.verified(csrf_app, mailbox)
        token = csrf_token(browser, "/requests/new/access")
        filed = browser.post(
            "/requests/new/access",
            data={"scope": "all", "formats": ["pdf"], "csrf_token": token, "message": ""},
        )
        reference = reference_from(filed)
        stranger = csrf_app.test_client()
        ask_for_link_page = csrf_token(stranger)  # a session of its own, with its token
        assert ask_for_link_page
        stranger.post(
            "/start", data={"email": "bertil@example.com", "csrf_token": ask_for_link_page}
        )
        samples = {
            "token": link_path(mailbox.last_to("bertil@example.com")).removeprefix("/verify/"),
            "slug": "erasure",
            "reference": reference,
            "code": "en",
            "staff_id": 1,
            "file_id": 1,
            "item_id": 1,
            "category": "technical",
        }

        with csrf_app.test_request_context():
            routes = [
                url_for(rule.endpoint, **{arg: samples[arg] for arg in rule.arguments})
                for rule in csrf_app.url_map.iter_rules()
                if "POST" in (rule.methods or ())
            ]
        assert {"/start", "/check-email", "/sign-out", f"/cases/{reference}/withdraw"} <= set(
            routes
        )

        for route in routes:
            for data in ({}, {"csrf_token": "forged"}):
                answer = browser.post(route, data={**data, "email": ANNA, "code": "AAAA-AAAA"})
                status_page(answer, 400)

        with csrf_app.app_context():
            cases = get_session().scalars(select(SubjectRequest)).all()
            assert [(c.reference, c.status) for c in cases] == [(reference, RequestStatus.RECEIVED)]
        assert browser.get("/overview").status_code == 200  # sign-out without token did nothing
        assert len(mailbox.to(ANNA)) == 2  # the link and one receipt: nothing else was sent

    def test_token_of_another_browser_is_refused(self, csrf_app: Flask, mailbox: Mailbox) -> None:
        browser = self.verified(csrf_app, mailbox)
        other = csrf_app.test_client()
        foreign = csrf_token(other)
        answer = browser.post("/sign-out", data={"csrf_token": foreign})
        status_page(answer, 400)
        assert browser.get("/overview").status_code == 200


class TestSessionCookie:
    def test_cookie_is_secure_httponly_lax_host_only(
        self, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        answer = ask_for_link(client, ANNA)
        cookie = answer.headers["Set-Cookie"]
        name = cookie.split("=", 1)[0]
        attributes = {
            part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]
        }

        assert name == "__Host-portal"
        assert "secure" in attributes
        assert "httponly" in attributes
        assert attributes["samesite"] == "SameSite=Lax"
        assert attributes["path"] == "Path=/"
        assert "domain" not in attributes

    def test_signed_in_cookie_has_the_same_attributes(
        self, client: FlaskClient, mailbox: Mailbox
    ) -> None:
        ask_for_link(client, ANNA)
        answer = client.post(link_path(mailbox.last_to(ANNA)))
        cookie = answer.headers["Set-Cookie"]
        assert cookie.startswith("__Host-portal=")
        for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert attribute in cookie

    def test_cookie_does_not_carry_the_address(self, client: FlaskClient, mailbox: Mailbox) -> None:
        verify(client, mailbox, ANNA)
        cookie = client.get_cookie("__Host-portal")
        assert cookie is not None
        payload = b64_segments(cookie.value.lstrip("."))[0]  # then a timestamp and a signature
        assert b"@" not in payload
        assert b"anna" not in payload


class TestErrorPages:
    def test_unexpected_error_gives_a_500_page_without_a_traceback(
        self, tmp_path: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        app = build_app(tmp_path, Clock(START), {})

        def explode() -> str:
            raise RuntimeError("secret internal detail in /srv/app/views.py")

        app.add_url_rule("/explode", "explode", explode)
        with caplog.at_level(logging.ERROR):
            answer = app.test_client().get("/explode")

        html = status_page(answer, 500)
        assert "secret internal detail" not in html
        assert "RuntimeError" not in html
        assert_security_headers(answer)
        assert any(r.levelno >= logging.ERROR for r in caplog.records)

    def test_not_found_is_a_page(self, client: FlaskClient) -> None:
        status_page(client.get("/no/such/page"), 404)

    def test_wrong_method_is_a_405_page_saying_what_is_allowed(self, client: FlaskClient) -> None:
        answer = client.get("/start")
        status_page(answer, 405)
        assert "POST" in answer.headers["Allow"]
        status_page(client.put("/"), 405)

    def test_oversize_body_gets_a_413_page(self, client: FlaskClient, mailbox: Mailbox) -> None:
        answer = client.post("/start", data={"email": "a@b.se", "padding": "x" * (300 * 1024)})
        status_page(answer, 413)
        assert mailbox.messages == []

    def test_oversize_body_gets_a_413_page_with_csrf_on(
        self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any]
    ) -> None:
        app = build_app(tmp_path, clock, smtp_config, WTF_CSRF_ENABLED=True)
        browser = app.test_client()
        token = csrf_token(browser)
        answer = browser.post(
            "/start", data={"email": "a@b.se", "csrf_token": token, "pad": "x" * 300_000}
        )
        status_page(answer, 413)


class TestNoJavaScriptNeeded:
    def test_pages_have_no_scripts_and_forms_post_with_a_real_button(
        self, app: Flask, anna: FlaskClient, mailbox: Mailbox
    ) -> None:
        reference = reference_from(file_request(anna, "access"))
        stranger = app.test_client()
        ask_for_link(stranger, "bertil@example.com")
        pages = [
            stranger.get("/"),
            stranger.get("/check-email"),
            stranger.get(link_path(mailbox.last_to("bertil@example.com"))),
            stranger.get("/verify/nonsense"),
            anna.get("/overview"),
            anna.get("/cases"),
            anna.get(f"/cases/{reference}"),
            anna.get(f"/cases/{reference}/receipt"),
            *(anna.get(f"/requests/new/{slug(t)}") for t in RequestType),
        ]
        for page in pages:
            html = page_text(page)
            assert "<script" not in html
            assert not re.search(r"\son[a-z]+=", html)
            assert "javascript:" not in html
            forms = re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S)
            for form in forms:
                assert re.match(r'<form[^>]*method="post"', form), form[:80]
                assert '<button type="submit"' in form


class TestLanguageSwitch:
    @pytest.mark.parametrize(
        "target",
        [
            "//evil.example",
            "https://evil.example",
            "http://evil.example/cases",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            " //evil.example",
            "javascript:alert(1)",
            "evil.example",
        ],
    )
    def test_next_cannot_lead_off_site(self, client: FlaskClient, target: str) -> None:
        answer = client.get("/language/en", query_string={"next": target})
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/"

    def test_next_on_this_site_is_followed(self, client: FlaskClient) -> None:
        answer = client.get("/language/en", query_string={"next": "/check-email?x=1"})
        assert answer.headers["Location"] == "/check-email?x=1"

    def test_switch_changes_the_page_language(self, client: FlaskClient) -> None:
        assert '<html lang="sv">' in page_text(client.get("/"))
        set_language(client, "en")
        assert '<html lang="en">' in page_text(client.get("/"))
        set_language(client, "sv")
        assert '<html lang="sv">' in page_text(client.get("/"))

    def test_unknown_language_keeps_the_current_one(self, client: FlaskClient) -> None:
        set_language(client, "en")
        client.get("/language/xx?next=/")
        assert '<html lang="en">' in page_text(client.get("/"))

    def test_language_survives_verification(self, client: FlaskClient, mailbox: Mailbox) -> None:
        set_language(client, "en")
        verify(client, mailbox, ANNA)
        assert '<html lang="en">' in page_text(client.get("/overview"))


class TestNothingSecretInLogs:
    def test_logs_hold_no_address_link_or_code(
        self,
        client: FlaskClient,
        mailbox: Mailbox,
        session: Session,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            mailbox.down = True
            ask_for_link(client, ANNA)
            mailbox.down = False
            ask_for_link(client, ANNA)
            message = mailbox.last_to(ANNA)
            client.post("/check-email", data={"code": code_of(message)})
            file_request(client, "access")
        # The portal's own records; "mail.log" is the test's SMTP server, not the portal.
        records = [r for r in caplog.records if not r.name.startswith("mail.log")]
        logged = "\n".join(r.getMessage() for r in records)
        assert any(r.levelno == logging.WARNING for r in records)  # the failed delivery
        for secret in (ANNA, link_token(message), code_of(message)):
            assert secret not in logged
