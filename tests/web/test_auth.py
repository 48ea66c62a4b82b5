"""Staff sign-in through the Flask test client and the real database (security.md §1, §2).

Password, then a TOTP code; first sign-in enrols the authenticator; recovery codes; lockout;
sessions rotated at sign-in, ended by sign-out and by the timeouts.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.core.permissions import StaffRole
from app.db import engine
from app.models import AuditEntry, StaffUser
from app.services import passwords, staff_accounts
from tests.conftest import Clock
from tests.helpers import page_text
from tests.staff import PASSWORD, make_staff

LOGIN = "/staff/login"
CODE = "/staff/login/code"
ENROL = "/staff/login/enrol"
LOGOUT = "/staff/logout"
ACCOUNTS = "/staff/accounts"
GENERIC = "The e-mail address or the password is not right."


# --- helpers ----------------------------------------------------------------------------------


def enrol(session: Session, user: StaffUser, clock: Clock) -> str:
    """Give ``user`` an enrolled authenticator; returns its secret."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enrolled_at = clock()
    session.commit()
    return user.totp_secret


def code(secret: str, clock: Clock, seconds: float = 0) -> str:
    """The code the person's app shows at the app's time (plus ``seconds``)."""
    return pyotp.TOTP(secret).at(clock().timestamp() + seconds)


def password_step(client: FlaskClient, email: str, password: str = PASSWORD, **kw: Any) -> Any:
    return client.post(LOGIN, data={"email": email, "password": password}, **kw)


def code_step(client: FlaskClient, value: str) -> TestResponse:
    return client.post(CODE, data={"code": value})


def sign_in(client: FlaskClient, user: StaffUser, secret: str, clock: Clock) -> TestResponse:
    """Both steps; returns the answer to the code. Uses the code of the current time step."""
    first = password_step(client, user.email)
    assert first.status_code == 303, first.status_code
    assert first.headers["Location"] == CODE
    return code_step(client, code(secret, clock))


def fresh(session: Session, user: StaffUser) -> StaffUser:
    session.expire_all()
    found = session.get(StaffUser, user.id)
    assert found is not None
    return found


def actions(session: Session) -> list[str]:
    session.expire_all()
    return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def queue_path(app: Flask) -> str:
    with app.test_request_context():
        return url_for("staff.queue")


def is_login_redirect(answer: TestResponse) -> bool:
    return answer.status_code == 302 and answer.headers["Location"].startswith(LOGIN)


def english(app: Flask) -> FlaskClient:
    """A new browser that reads the pages in English (the texts these tests look for)."""
    client = app.test_client()
    client.get("/language/en?next=/")
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return english(app)


@pytest.fixture
def admin_secret(session: Session, admin: StaffUser, clock: Clock) -> str:
    return enrol(session, admin, clock)


@pytest.fixture
def handler_secret(session: Session, handler: StaffUser, clock: Clock) -> str:
    return enrol(session, handler, clock)


# --- the pages --------------------------------------------------------------------------------


class TestLoginPage:
    def test_form_has_labelled_inputs_with_autocomplete(self, client: FlaskClient) -> None:
        html = page_text(client.get(LOGIN))
        assert html.count("<h1") == 1
        assert re.search(r'<label for="email"', html)
        assert re.search(r'<label for="password"', html)
        assert re.search(r'<input[^>]*autocomplete="username"[^>]*type="email"', html) or re.search(
            r'<input[^>]*type="email"[^>]*autocomplete="username"', html
        )
        assert 'autocomplete="current-password"' in html
        assert 'type="password"' in html

    def test_no_default_accounts_exist(self, session: Session) -> None:
        """A7: a fresh database holds no staff account at all (no admin/admin)."""
        assert session.scalars(select(StaffUser)).all() == []

    def test_logout_is_post_only(self, client: FlaskClient) -> None:
        assert client.get(LOGOUT).status_code == 405


# --- A1: the password alone gives nothing -----------------------------------------------------


class TestTwoSteps:
    def test_password_alone_gives_no_access(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str
    ) -> None:
        answer = password_step(client, admin.email)
        assert answer.status_code == 303
        assert answer.headers["Location"] == CODE
        assert is_login_redirect(client.get(ACCOUNTS))
        assert client.get(CODE).status_code == 200

    def test_password_and_code_sign_in_admin_to_the_accounts(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        answer = sign_in(client, admin, admin_secret, clock)
        assert answer.status_code == 303
        assert answer.headers["Location"] == ACCOUNTS
        assert client.get(ACCOUNTS).status_code == 200

    def test_handler_lands_on_the_queue(
        self,
        app: Flask,
        client: FlaskClient,
        handler: StaffUser,
        handler_secret: str,
        clock: Clock,
    ) -> None:
        answer = sign_in(client, handler, handler_secret, clock)
        assert answer.headers["Location"] == queue_path(app)
        assert client.get(ACCOUNTS).status_code == 403  # signed in, but not an administrator

    def test_code_step_without_password_step_goes_back_to_login(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        for answer in (client.get(CODE), code_step(client, code(admin_secret, clock))):
            assert answer.status_code == 303
            assert answer.headers["Location"] == LOGIN
        assert is_login_redirect(client.get(ACCOUNTS))

    def test_pending_password_step_expires_after_five_minutes(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        password_step(client, admin.email)
        clock.advance(minutes=5, seconds=1)
        answer = code_step(client, code(admin_secret, clock))
        assert answer.status_code == 303
        assert answer.headers["Location"] == LOGIN
        assert is_login_redirect(client.get(ACCOUNTS))

    def test_pending_step_holds_only_an_id_and_a_time(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str
    ) -> None:
        password_step(client, admin.email)
        with client.session_transaction() as sess:
            assert set(sess["staff_pending"]) == {"id", "at"}
            assert "_user_id" not in sess
            assert admin_secret not in repr(dict(sess))

    def test_safe_next_is_followed_after_sign_in(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        first = client.get(f"{ACCOUNTS}/{admin.id}")
        assert first.status_code == 302
        target = first.headers["Location"]
        assert target.startswith(LOGIN + "?next=")
        client.post(target, data={"email": admin.email, "password": PASSWORD})
        answer = code_step(client, code(admin_secret, clock))
        assert answer.headers["Location"] == f"{ACCOUNTS}/{admin.id}"

    @pytest.mark.parametrize(
        "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
    )
    def test_foreign_next_is_ignored(
        self,
        client: FlaskClient,
        admin: StaffUser,
        admin_secret: str,
        clock: Clock,
        target: str,
    ) -> None:
        client.post(LOGIN, query_string={"next": target}, data={"email": admin.email,
                                                                 "password": PASSWORD})  # fmt: skip
        answer = code_step(client, code(admin_secret, clock))
        assert answer.headers["Location"] == ACCOUNTS

    def test_signed_in_staff_opening_login_goes_to_their_start_page(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        sign_in(client, admin, admin_secret, clock)
        answer = client.get(LOGIN)
        assert answer.status_code == 302
        assert answer.headers["Location"] == ACCOUNTS


# --- A2: TOTP -----------------------------------------------------------------------------------


class TestTotp:
    def test_a_code_works_once(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        used = code(admin_secret, clock)
        assert sign_in(client, admin, admin_secret, clock).status_code == 303
        client.post(LOGOUT)
        password_step(client, admin.email)
        again = code_step(client, used)
        assert again.status_code == 400
        assert "not right" in page_text(again)
        assert is_login_redirect(client.get(ACCOUNTS))
        clock.advance(seconds=30)  # the next code, a new time step
        assert code_step(client, code(admin_secret, clock)).status_code == 303
        assert client.get(ACCOUNTS).status_code == 200

    @pytest.mark.parametrize(("offset", "accepted"), [(-60, False), (-30, True), (30, True),
                                                      (60, False), (0, True)])  # fmt: skip
    def test_window_is_one_step_either_side(
        self,
        client: FlaskClient,
        admin: StaffUser,
        admin_secret: str,
        clock: Clock,
        offset: int,
        accepted: bool,
    ) -> None:
        password_step(client, admin.email)
        answer = code_step(client, code(admin_secret, clock, offset))
        assert (answer.status_code == 303) is accepted

    def test_an_older_code_than_the_last_used_is_refused(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        password_step(client, admin.email)
        assert code_step(client, code(admin_secret, clock, 30)).status_code == 303
        client.post(LOGOUT)
        password_step(client, admin.email)
        assert code_step(client, code(admin_secret, clock)).status_code == 400

    def test_window_constant(self) -> None:
        assert staff_accounts.TOTP_WINDOW <= 1

    def test_codes_with_spaces_are_accepted(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        password_step(client, admin.email)
        value = code(admin_secret, clock)
        assert code_step(client, f" {value[:3]} {value[3:]} ").status_code == 303


# --- first sign-in: enrolment and recovery codes ----------------------------------------------


def enrol_through_pages(
    client: FlaskClient, user: StaffUser, session: Session, clock: Clock
) -> tuple[str, list[str]]:
    answer = password_step(client, user.email)
    assert answer.headers["Location"] == ENROL
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = fresh(session, user).totp_secret
    assert secret is not None
    done = client.post(ENROL, data={"code": code(secret, clock)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", page_text(done))
    return secret, codes


class TestEnrolment:
    def test_first_sign_in_shows_a_qr_code_and_the_key(
        self, client: FlaskClient, admin: StaffUser, session: Session
    ) -> None:
        answer = password_step(client, admin.email)
        assert answer.headers["Location"] == ENROL
        assert is_login_redirect(client.get(ACCOUNTS))
        html = page_text(client.get(ENROL))
        secret = fresh(session, admin).totp_secret
        assert secret is not None
        assert len(secret) == 32
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)  # 160 bits, base32
        assert re.search(r'<img [^>]*src="data:image/svg\+xml', html)
        assert re.search(r'<img [^>]*alt="[^"]{20,}"', html)
        assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in html
        assert 'autocomplete="one-time-code"' in html
        assert html.count("<h1") == 1

    def test_confirming_signs_in_and_shows_ten_recovery_codes_once(
        self, client: FlaskClient, admin: StaffUser, session: Session, clock: Clock
    ) -> None:
        secret, codes = enrol_through_pages(client, admin, session, clock)
        assert len(codes) == 10
        assert len(set(codes)) == 10
        assert client.get(ACCOUNTS).status_code == 200
        stored = fresh(session, admin)
        assert stored.totp_secret == secret
        assert stored.totp_enrolled_at == clock()
        assert len(stored.recovery_code_hashes) == 10
        dump = "\n".join(stored.recovery_code_hashes)
        assert all(c not in dump and c.replace("-", "") not in dump for c in codes)
        assert all(h.startswith("$argon2id$") for h in stored.recovery_code_hashes)
        assert "enrol" in actions(session)
        # Shown once: the page is the answer to the POST, and enrolling again is not offered.
        assert client.get(ENROL).headers["Location"] == LOGIN

    def test_wrong_code_keeps_the_account_unenrolled(
        self, client: FlaskClient, admin: StaffUser, session: Session, clock: Clock
    ) -> None:
        password_step(client, admin.email)
        answer = client.post(ENROL, data={"code": "000000"})
        assert answer.status_code == 400
        assert "not right" in page_text(answer)
        assert fresh(session, admin).totp_enrolled_at is None
        assert is_login_redirect(client.get(ACCOUNTS))

    def test_a_new_password_step_makes_a_new_secret(
        self, app: Flask, admin: StaffUser, session: Session, clock: Clock
    ) -> None:
        """Whoever passed the password step earlier cannot confirm the secret they saw."""
        early, late = english(app), english(app)
        password_step(early, admin.email)
        seen = fresh(session, admin).totp_secret
        password_step(late, admin.email)
        current = fresh(session, admin).totp_secret
        assert seen is not None
        assert current != seen
        assert early.post(ENROL, data={"code": code(seen, clock)}).status_code == 400

    def test_enrolled_account_is_sent_to_the_code_step(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str
    ) -> None:
        password_step(client, admin.email)
        assert client.get(ENROL).headers["Location"] == CODE

    def test_recovery_code_signs_in_once(
        self, app: Flask, admin: StaffUser, session: Session, clock: Clock
    ) -> None:
        _, codes = enrol_through_pages(english(app), admin, session, clock)
        browser = english(app)
        password_step(browser, admin.email)
        answer = code_step(browser, codes[3].lower())
        assert answer.status_code == 303
        assert "9 codes are left" in page_text(browser.get(answer.headers["Location"]))
        assert len(fresh(session, admin).recovery_code_hashes) == 9
        assert "recovery_code_used" in actions(session)

        again = english(app)
        password_step(again, admin.email)
        assert code_step(again, codes[3]).status_code == 400
        assert code_step(again, codes[4].replace("-", "")).status_code == 303


# --- A3: lockout per account ------------------------------------------------------------------


class TestLockout:
    def fail(self, client: FlaskClient, user: StaffUser, times: int) -> None:
        for attempt in range(times):
            answer = password_step(
                client,
                user.email,
                "fel lösenord helt enkelt",
                headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
                environ_base={"REMOTE_ADDR": f"198.51.100.{attempt}"},
            )
            assert answer.status_code == 400

    def test_ten_failures_lock_the_account_whatever_the_address(
        self,
        app: Flask,
        admin: StaffUser,
        admin_secret: str,
        officer: StaffUser,
        session: Session,
        clock: Clock,
    ) -> None:
        officer_secret = enrol(session, officer, clock)
        self.fail(english(app), admin, 10)
        assert fresh(session, admin).locked_until is not None
        assert "lockout" in actions(session)

        browser = english(app)
        locked = password_step(browser, admin.email, headers={"X-Forwarded-For": "192.0.2.77"})
        assert locked.status_code == 400
        assert GENERIC in page_text(locked)
        assert is_login_redirect(browser.get(ACCOUNTS))

        other = english(app)
        assert sign_in(other, officer, officer_secret, clock).status_code == 303

        clock.advance(minutes=15, seconds=1)
        assert sign_in(english(app), admin, admin_secret, clock).status_code == 303

    def test_nine_failures_do_not_lock_and_success_resets_the_count(
        self, app: Flask, admin: StaffUser, admin_secret: str, session: Session, clock: Clock
    ) -> None:
        self.fail(english(app), admin, 9)
        assert fresh(session, admin).failed_logins == 9
        assert sign_in(english(app), admin, admin_secret, clock).status_code == 303
        assert fresh(session, admin).failed_logins == 0
        self.fail(english(app), admin, 9)
        assert fresh(session, admin).locked_until is None

    def test_wrong_codes_count_too(
        self, app: Flask, admin: StaffUser, admin_secret: str, session: Session, clock: Clock
    ) -> None:
        self.fail(english(app), admin, 8)
        browser = english(app)
        password_step(browser, admin.email)
        assert code_step(browser, "000000").status_code == 400
        answer = code_step(browser, "111111")  # the tenth failure
        assert answer.status_code == 303
        assert answer.headers["Location"] == LOGIN
        assert fresh(session, admin).locked_until is not None
        assert "totp_fail" in actions(session)
        # Locked: even the right code after a right password gets nowhere now.
        password_step(browser, admin.email)
        clock.advance(seconds=30)
        assert code_step(browser, code(admin_secret, clock)).headers["Location"] == LOGIN
        assert is_login_redirect(browser.get(ACCOUNTS))

    def test_password_success_alone_does_not_reset_the_count(
        self, app: Flask, admin: StaffUser, admin_secret: str, session: Session
    ) -> None:
        """Otherwise the right password would give endless guesses at the code."""
        self.fail(english(app), admin, 5)
        password_step(english(app), admin.email)
        assert fresh(session, admin).failed_logins == 5

    def test_login_posts_are_rate_limited(
        self, tmp_path: Any, clock: Clock, smtp_config: dict[str, Any]
    ) -> None:
        from tests.helpers import build_app

        limited = build_app(tmp_path, clock, smtp_config, RATELIMIT_ENABLED=True)
        browser = limited.test_client()
        answers = [
            password_step(browser, "nobody@example.com", "x" * 12).status_code for _ in range(11)
        ]
        assert answers[:10] == [400] * 10
        assert answers[10] == 429


# --- A4: no user enumeration ------------------------------------------------------------------


class TestGenericAnswers:
    def answer(self, app: Flask, email: str, password: str) -> tuple[int, str, list[str]]:
        browser = english(app)
        browser.get(LOGIN)
        answer = password_step(browser, email, password)
        cookies = sorted(c.split("=", 1)[0] for c in answer.headers.getlist("Set-Cookie"))
        return answer.status_code, page_text(answer).replace(email, "EMAIL"), cookies

    def test_unknown_address_and_wrong_password_look_the_same(
        self, app: Flask, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        unknown = self.answer(app, "ingen.alls@lhe-handelsbolag.se", "fel lösenord helt enkelt")
        wrong = self.answer(app, admin.email, "fel lösenord helt enkelt")
        assert unknown == wrong
        assert unknown[0] == 400
        assert GENERIC in unknown[1]

    def test_a_disabled_or_locked_account_looks_the_same_too(
        self, app: Flask, admin: StaffUser, handler: StaffUser, session: Session, clock: Clock
    ) -> None:
        handler.active = False
        admin.locked_until = clock.advance(seconds=0).replace(year=2030)
        session.commit()
        unknown = self.answer(app, "ingen.alls@lhe-handelsbolag.se", PASSWORD)
        for user in (admin, handler):
            assert self.answer(app, user.email, PASSWORD) == unknown

    def test_every_path_verifies_one_argon2_hash(
        self, app: Flask, admin: StaffUser, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The timing of unknown and known addresses is the same work (A4's dummy hash)."""
        calls: list[str] = []
        real = passwords.verify_password

        def counting(password_hash: str, password: str) -> bool:
            calls.append(password_hash[:9])
            return real(password_hash, password)

        monkeypatch.setattr(passwords, "verify_password", counting)
        for email in ("ingen.alls@lhe-handelsbolag.se", admin.email):
            calls.clear()
            password_step(english(app), email, "fel lösenord helt enkelt")
            assert calls == ["$argon2id"]


# --- A5, A6: the password and its hash ----------------------------------------------------------


class TestPasswordStorage:
    def test_hash_is_argon2id_and_the_password_is_nowhere_in_the_database(
        self, app: Flask, session: Session, clock: Clock
    ) -> None:
        user = staff_accounts.create_account(
            session,
            email="ny@lhe-handelsbolag.se",
            name="Nina Ny",
            role=StaffRole.HANDLER,
            password="ett långt och lätt minnesvärt lösen",
            now=clock(),
        )
        session.commit()
        assert user.password_hash.startswith("$argon2id$")
        raw = engine().raw_connection()
        try:
            dump = "\n".join(raw.driver_connection.iterdump())  # type: ignore[union-attr]
        finally:
            raw.close()
        assert "ny@lhe-handelsbolag.se" in dump  # the dump is real
        assert "ett långt och lätt minnesvärt lösen" not in dump

    def test_old_parameters_are_rehashed_at_sign_in(
        self, client: FlaskClient, admin: StaffUser, session: Session
    ) -> None:
        weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
        admin.password_hash = weak
        session.commit()
        assert password_step(client, admin.email).status_code == 303
        renewed = fresh(session, admin).password_hash
        assert renewed != weak
        assert not passwords.hasher.check_needs_rehash(renewed)
        assert passwords.verify_password(renewed, PASSWORD)


# --- B2-B4: sessions --------------------------------------------------------------------------


class TestSessions:
    def test_sign_in_starts_a_new_session_keeping_only_the_language(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        with client.session_transaction() as sess:
            sess["planted"] = "by someone before sign-in"
        password_step(client, admin.email)
        before = client.get_cookie("__Host-portal")
        assert before is not None
        code_step(client, code(admin_secret, clock))
        with client.session_transaction() as sess:
            assert "planted" not in sess
            assert "staff_pending" not in sess
            assert sess["lang"] == "en"
            assert sess["_user_id"] == f"{admin.id}:{admin.session_version}"
        after = client.get_cookie("__Host-portal")
        assert after is not None
        assert after.value != before.value

        # The cookie from before the code step gives nothing.
        replay = english(client.application)
        replay.set_cookie("__Host-portal", before.value, domain="localhost")
        assert is_login_redirect(replay.get(ACCOUNTS))

    def test_sign_in_cookie_is_secure_httponly_lax_host_only(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        answer = sign_in(client, admin, admin_secret, clock)
        cookie = answer.headers["Set-Cookie"]
        assert cookie.startswith("__Host-portal=")
        for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert attribute in cookie
        assert "Domain" not in cookie

    def test_cookie_copied_before_sign_out_is_refused_after(
        self,
        app: Flask,
        client: FlaskClient,
        admin: StaffUser,
        admin_secret: str,
        session: Session,
        clock: Clock,
    ) -> None:
        sign_in(client, admin, admin_secret, clock)
        assert client.get(ACCOUNTS).status_code == 200
        copied = client.get_cookie("__Host-portal")
        assert copied is not None

        out = client.post(LOGOUT)
        assert out.status_code == 303
        assert out.headers["Location"] == LOGIN
        assert out.headers["Clear-Site-Data"] == '"cache", "storage"'
        assert "signed out" in page_text(client.get(LOGIN))
        assert is_login_redirect(client.get(ACCOUNTS))

        thief = english(app)
        thief.set_cookie("__Host-portal", copied.value, domain="localhost")
        assert is_login_redirect(thief.get(ACCOUNTS))
        assert "logout" in actions(session)

    def test_sign_out_ends_the_other_sessions_of_the_account(
        self, app: Flask, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        office, home = english(app), english(app)
        sign_in(office, admin, admin_secret, clock)
        clock.advance(seconds=30)
        sign_in(home, admin, admin_secret, clock)
        assert office.get(ACCOUNTS).status_code == 200
        home.post(LOGOUT)
        assert is_login_redirect(office.get(ACCOUNTS))

    def test_idle_for_31_minutes_ends_the_session(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        client.get("/language/en?next=/")
        sign_in(client, admin, admin_secret, clock)
        clock.advance(minutes=29)
        assert client.get(ACCOUNTS).status_code == 200
        clock.advance(minutes=31)
        answer = client.get(ACCOUNTS)
        assert is_login_redirect(answer)
        assert "expired=1" in answer.headers["Location"]
        assert "session has ended" in page_text(client.get(answer.headers["Location"]))
        assert is_login_redirect(client.get(ACCOUNTS))

    def test_twelve_hours_end_the_session_even_when_active(
        self, client: FlaskClient, admin: StaffUser, admin_secret: str, clock: Clock
    ) -> None:
        sign_in(client, admin, admin_secret, clock)
        for _ in range(12 * 6):
            assert client.get(ACCOUNTS).status_code == 200
            clock.advance(minutes=10)
        clock.advance(minutes=1)
        assert is_login_redirect(client.get(ACCOUNTS))


# --- K1, K2: the audit trail and the log --------------------------------------------------------


class TestAuditAndLog:
    def test_sign_in_events_are_audited_without_secrets(
        self,
        app: Flask,
        admin: StaffUser,
        session: Session,
        clock: Clock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        _, codes = enrol_through_pages(english(app), admin, session, clock)
        browser = english(app)
        password_step(browser, "ingen.alls@lhe-handelsbolag.se", "fel lösenord helt enkelt")
        password_step(browser, admin.email, "fel lösenord helt enkelt")
        password_step(browser, admin.email)
        code_step(browser, "000000")
        code_step(browser, codes[0])
        browser.post(LOGOUT)

        seen = actions(session)
        for action in ("login_ok", "login_fail", "totp_fail", "logout", "enrol",
                       "recovery_code_used"):  # fmt: skip
            assert action in seen, action
        entries = session.scalars(select(AuditEntry)).all()
        trail = repr([(e.actor, e.action, e.data) for e in entries])
        logged = caplog.text
        for secret in (PASSWORD, "fel lösenord", admin.email, "ingen.alls", codes[0], "000000"):
            assert secret not in trail, secret
            assert secret not in logged, secret
        ok = next(e for e in entries if e.action == "login_ok")
        assert ok.actor_id == admin.id
        failed = [e for e in entries if e.action == "login_fail"]
        assert {e.data.get("staff_id") for e in failed} == {None, admin.id}
        assert all(e.actor_id is None for e in failed)
        assert "auth login_ok" in logged


# --- G1, G2: CSRF on every sign-in form and on sign-out ---------------------------------------


class TestCsrf:
    def test_forms_need_their_token(
        self,
        tmp_path: Any,
        clock: Clock,
        smtp_config: dict[str, Any],
    ) -> None:
        from app.db import get_session
        from tests.helpers import build_app, csrf_token

        csrf_app = build_app(tmp_path, clock, smtp_config, WTF_CSRF_ENABLED=True)
        with csrf_app.app_context():
            db = get_session()
            user = make_staff(db, StaffRole.ADMIN, now=clock())
            secret = enrol(db, user, clock)
            email = user.email
        browser = english(csrf_app)
        refused = browser.post(LOGIN, data={"email": email, "password": PASSWORD})
        assert refused.status_code == 400
        token = csrf_token(browser, LOGIN)
        first = browser.post(
            LOGIN, data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert first.headers["Location"] == CODE
        assert code_step(browser, code(secret, clock)).status_code == 400  # no token
        token = csrf_token(browser, CODE)
        done = browser.post(CODE, data={"code": code(secret, clock), "csrf_token": token})
        assert done.headers["Location"] == ACCOUNTS

        assert browser.post(LOGOUT).status_code == 400  # sign-out without the token: nothing
        assert browser.get(ACCOUNTS).status_code == 200
        token = csrf_token(browser, ACCOUNTS)
        assert browser.post(LOGOUT, data={"csrf_token": token}).status_code == 303
        assert is_login_redirect(browser.get(ACCOUNTS))
