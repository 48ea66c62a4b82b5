"""The administrator's staff-account pages: who may open them, and every change they make
(security.md B5, C1, C2)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.core.permissions import StaffRole
from app.models import AuditEntry, StaffUser
from tests.conftest import Clock
from tests.helpers import file_request, page_text, reference_from, verify
from tests.smtp import Mailbox
from tests.staff import PASSWORD, make_staff, sign_in_as
from tests.web.test_auth import (
    ACCOUNTS,
    CODE,
    ENROL,
    code,
    code_step,
    enrol,
    is_login_redirect,
    password_step,
    queue_path,
)

NEW_PASSWORD = "blåbär i skogen vid sjön"


def english(client: FlaskClient) -> FlaskClient:
    client.get("/language/en?next=/")
    return client


@pytest.fixture
def admin_client(app: Flask, admin: StaffUser) -> FlaskClient:
    return english(sign_in_as(app, admin))


@pytest.fixture
def second_admin(app: Flask, session: Session, clock: Clock) -> StaffUser:
    user = make_staff(
        session, StaffRole.ADMIN, email="admin2@lhe-handelsbolag.se", name="Bo Backup", now=clock()
    )
    session.commit()
    return user


def refreshed(session: Session, user: StaffUser) -> StaffUser:
    session.expire_all()
    found = session.get(StaffUser, user.id)
    assert found is not None
    return found


def audited(session: Session, action: str) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def flash_of(client: FlaskClient, answer: TestResponse) -> str:
    assert answer.status_code == 303, answer.status_code
    return page_text(client.get(answer.headers["Location"]))


def routes(user_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", ACCOUNTS),
        ("GET", f"{ACCOUNTS}/new"),
        ("POST", f"{ACCOUNTS}/new"),
        ("GET", f"{ACCOUNTS}/{user_id}"),
        ("POST", f"{ACCOUNTS}/{user_id}/role"),
        ("POST", f"{ACCOUNTS}/{user_id}/disable"),
        ("POST", f"{ACCOUNTS}/{user_id}/enable"),
        ("POST", f"{ACCOUNTS}/{user_id}/reset-totp"),
        ("POST", f"{ACCOUNTS}/{user_id}/unlock"),
    ]


# --- who may open the pages -------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("role", ["handler", "officer"])
    def test_case_workers_get_403_everywhere(
        self,
        app: Flask,
        request: pytest.FixtureRequest,
        admin: StaffUser,
        session: Session,
        role: str,
    ) -> None:
        user: StaffUser = request.getfixturevalue(role)
        client = sign_in_as(app, user)
        for method, path in routes(admin.id):
            answer = client.open(path, method=method, data={"role": "admin"})
            assert answer.status_code == 403, (method, path)
        assert refreshed(session, admin).role is StaffRole.ADMIN

    def test_anonymous_is_sent_to_login(self, client: FlaskClient, admin: StaffUser) -> None:
        for method, path in routes(admin.id):
            answer = client.open(path, method=method, data={"role": "handler"})
            assert is_login_redirect(answer), (method, path)

    def test_a_verified_subject_is_sent_to_login(
        self, client: FlaskClient, mailbox: Mailbox, admin: StaffUser
    ) -> None:
        verify(client, mailbox, "anna.svensson@example.com")
        assert client.get("/overview").status_code == 200
        for method, path in routes(admin.id):
            answer = client.open(path, method=method, data={"role": "handler"})
            assert is_login_redirect(answer), (method, path)

    def test_admin_sees_the_accounts_and_no_case_data(
        self,
        app: Flask,
        admin_client: FlaskClient,
        handler: StaffUser,
        officer: StaffUser,
        mailbox: Mailbox,
    ) -> None:
        person = app.test_client()
        verify(person, mailbox, "anna.svensson@example.com")
        reference = reference_from(file_request(person, "access"))

        html = page_text(admin_client.get(ACCOUNTS))
        for user in (handler, officer):
            assert user.email in html
            assert user.name in html
        for page in (ACCOUNTS, f"{ACCOUNTS}/{handler.id}", f"{ACCOUNTS}/new"):
            text = page_text(admin_client.get(page))
            assert reference not in text
            assert "anna.svensson" not in text
        assert admin_client.get(queue_path(app)).status_code == 403  # the queue is not theirs

    def test_unknown_account_is_404(self, admin_client: FlaskClient) -> None:
        assert admin_client.get(f"{ACCOUNTS}/9999").status_code == 404
        assert admin_client.post(f"{ACCOUNTS}/9999/disable").status_code == 404


# --- the pages are valid, accessible forms ------------------------------------------------------


class TestPages:
    def test_list_page(self, admin_client: FlaskClient, admin: StaffUser) -> None:
        html = page_text(admin_client.get(ACCOUNTS))
        assert html.count("<h1") == 1
        assert '<th scope="col">' in html
        assert f'href="{ACCOUNTS}/{admin.id}"' in html
        assert f'href="{ACCOUNTS}/new"' in html
        assert 'action="/staff/logout"' in html  # sign-out on every staff page (B6)

    def test_new_account_form_has_labels_and_autocomplete(self, admin_client: FlaskClient) -> None:
        html = page_text(admin_client.get(f"{ACCOUNTS}/new"))
        assert html.count("<h1") == 1
        for field in ("name", "email", "role", "password"):
            assert f'<label for="{field}"' in html, field
        assert 'autocomplete="new-password"' in html

    def test_detail_page_forms_have_unique_ids(
        self, admin_client: FlaskClient, handler: StaffUser, session: Session, clock: Clock
    ) -> None:
        enrol(session, handler, clock)
        handler.failed_logins = 3
        session.commit()
        html = page_text(admin_client.get(f"{ACCOUNTS}/{handler.id}"))
        assert html.count("<h1") == 1
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), ids
        assert html.count("<form") == 5  # role, disable, reset, unlock, and sign-out


# --- creating an account ----------------------------------------------------------------------


def create(client: FlaskClient, **fields: str) -> TestResponse:
    data = {"name": "Nina Ny", "email": "Nina.Ny@LHE-handelsbolag.se", "role": "handler",
            "password": NEW_PASSWORD, **fields}  # fmt: skip
    return client.post(f"{ACCOUNTS}/new", data=data)


class TestCreate:
    def test_creates_an_account_that_enrols_at_first_sign_in(
        self, app: Flask, admin_client: FlaskClient, admin: StaffUser, session: Session
    ) -> None:
        answer = create(admin_client)
        assert answer.status_code == 303
        user = session.scalar(
            select(StaffUser).where(StaffUser.email == "nina.ny@lhe-handelsbolag.se")
        )
        assert user is not None
        assert answer.headers["Location"] == f"{ACCOUNTS}/{user.id}"
        assert "is created" in flash_of(admin_client, answer)
        assert user.role is StaffRole.HANDLER
        assert user.password_hash.startswith("$argon2id$")
        assert user.totp_secret is None
        [entry] = audited(session, "staff.create")
        assert entry.actor_id == admin.id
        assert entry.data == {"staff_id": user.id, "role": "handler"}

        newcomer = english(app.test_client())
        first = password_step(newcomer, "nina.ny@lhe-handelsbolag.se", NEW_PASSWORD)
        assert first.headers["Location"] == ENROL

    def test_a_long_passphrase_is_accepted(
        self, admin_client: FlaskClient, session: Session
    ) -> None:
        passphrase = "korrekt häst batteri häftklammer och en kopp kaffe på morgonen!!"
        assert len(passphrase) == 64
        assert create(admin_client, password=passphrase).status_code == 303

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("password123", "at least 12 characters"),
            ("sommar2024", "at least 12 characters"),
            ("Sommar2024!!", "too common"),
            ("LÖSENORD1234", "too common"),
            ("password1234", "too common"),
            ("nina.ny@lhe-handelsbolag.se", "e-mail address or the name"),
            ("sommarsommar", "too common"),
            ("hejhejhejhejhej", "too common"),
            ("x" * 300, "at most"),
        ],
    )
    def test_weak_passwords_are_refused(
        self, admin_client: FlaskClient, session: Session, password: str, message: str
    ) -> None:
        answer = create(admin_client, password=password)
        assert answer.status_code == 400
        assert message in page_text(answer)
        assert session.scalar(select(StaffUser).where(StaffUser.name == "Nina Ny")) is None

    def test_the_name_as_password_is_refused(self, admin_client: FlaskClient) -> None:
        answer = create(
            admin_client, name="Bartholomeus Bengtsson", password="bartholomeus bengtsson"
        )
        assert answer.status_code == 400
        assert "e-mail address or the name" in page_text(answer)

    def test_duplicate_and_invalid_addresses_are_refused(
        self, admin_client: FlaskClient, handler: StaffUser
    ) -> None:
        duplicate = create(admin_client, email=handler.email.upper())
        assert duplicate.status_code == 400
        assert "already an account" in page_text(duplicate)
        invalid = create(admin_client, email="inte en adress")
        assert invalid.status_code == 400
        assert "valid e-mail address" in page_text(invalid)

    def test_unknown_role_is_refused(self, admin_client: FlaskClient, session: Session) -> None:
        assert create(admin_client, role="superuser").status_code == 400


# --- changes ----------------------------------------------------------------------------------


class TestChanges:
    def test_change_role_takes_effect_on_the_next_request(
        self, app: Flask, admin_client: FlaskClient, handler: StaffUser, session: Session
    ) -> None:
        handler_client = sign_in_as(app, handler)
        assert handler_client.get(ACCOUNTS).status_code == 403
        answer = admin_client.post(f"{ACCOUNTS}/{handler.id}/role", data={"role": "admin"})
        assert "is now" in flash_of(admin_client, answer)
        assert refreshed(session, handler).role is StaffRole.ADMIN
        assert handler_client.get(ACCOUNTS).status_code == 200
        [entry] = audited(session, "staff.role")
        assert entry.data == {"staff_id": handler.id, "before": "handler", "after": "admin"}

    def test_disabling_ends_the_live_session_at_once(
        self,
        app: Flask,
        admin_client: FlaskClient,
        second_admin: StaffUser,
        session: Session,
        clock: Clock,
    ) -> None:
        """B5: the other administrator's cookie is refused on their very next request."""
        secret = enrol(session, second_admin, clock)
        theirs = english(app.test_client())
        password_step(theirs, second_admin.email)
        assert code_step(theirs, code(secret, clock)).status_code == 303
        assert theirs.get(ACCOUNTS).status_code == 200

        answer = admin_client.post(f"{ACCOUNTS}/{second_admin.id}/disable")
        assert "is disabled" in flash_of(admin_client, answer)
        assert is_login_redirect(theirs.get(ACCOUNTS))
        assert not refreshed(session, second_admin).active
        assert len(audited(session, "staff.disable")) == 1

        # Nor can they sign in again: the same answer as a wrong password.
        clock.advance(seconds=30)
        again = password_step(english(app.test_client()), second_admin.email)
        assert again.status_code == 400

        admin_client.post(f"{ACCOUNTS}/{second_admin.id}/enable")
        assert refreshed(session, second_admin).active
        assert len(audited(session, "staff.enable")) == 1
        back = english(app.test_client())
        assert password_step(back, second_admin.email).headers["Location"] == CODE

    def test_admin_cannot_change_their_own_account(
        self, admin_client: FlaskClient, admin: StaffUser, second_admin: StaffUser, session: Session
    ) -> None:
        for action, data in (("disable", {}), ("role", {"role": "handler"}), ("reset-totp", {})):
            answer = admin_client.post(f"{ACCOUNTS}/{admin.id}/{action}", data=data)
            assert "your own account" in flash_of(admin_client, answer)
        me = refreshed(session, admin)
        assert me.active
        assert me.role is StaffRole.ADMIN
        assert admin_client.get(ACCOUNTS).status_code == 200
        assert not audited(session, "staff.disable")
        page = page_text(admin_client.get(f"{ACCOUNTS}/{admin.id}"))
        assert "Disable the account" not in page

    def test_reset_totp_makes_them_enrol_again(
        self,
        app: Flask,
        admin_client: FlaskClient,
        handler: StaffUser,
        session: Session,
        clock: Clock,
    ) -> None:
        secret = enrol(session, handler, clock)
        live = sign_in_as(app, handler)
        answer = admin_client.post(f"{ACCOUNTS}/{handler.id}/reset-totp")
        assert "is reset" in flash_of(admin_client, answer)
        user = refreshed(session, handler)
        assert user.totp_secret is None
        assert user.totp_enrolled_at is None
        assert user.recovery_code_hashes == []
        assert is_login_redirect(live.get(queue_path(app)))  # their session ended
        browser = english(app.test_client())
        assert password_step(browser, handler.email).headers["Location"] == ENROL
        assert refreshed(session, handler).totp_secret != secret
        assert len(audited(session, "staff.reset_totp")) == 1

    def test_unlock(
        self,
        app: Flask,
        admin_client: FlaskClient,
        handler: StaffUser,
        session: Session,
        clock: Clock,
    ) -> None:
        enrol(session, handler, clock)
        for _ in range(10):
            password_step(app.test_client(), handler.email, "fel lösenord helt enkelt")
        assert refreshed(session, handler).locked_until is not None
        assert "Locked until" in page_text(admin_client.get(ACCOUNTS))
        answer = admin_client.post(f"{ACCOUNTS}/{handler.id}/unlock")
        assert "is unlocked" in flash_of(admin_client, answer)
        user = refreshed(session, handler)
        assert user.locked_until is None
        assert user.failed_logins == 0
        assert password_step(app.test_client(), handler.email, PASSWORD).headers["Location"] == CODE
        assert len(audited(session, "staff.unlock")) == 1
