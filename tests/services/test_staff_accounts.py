"""The staff-account service and the password policy, on the real database (security.md A5-A7)."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.permissions import StaffRole
from app.models import AuditEntry, StaffUser
from app.services import passwords, staff_accounts
from app.services.passwords import PasswordProblem, password_problem
from app.services.staff_accounts import (
    AccountExistsError,
    InvalidEmailError,
    LastAdminError,
    SelfChangeError,
    WeakPasswordError,
)
from tests.conftest import Clock
from tests.staff import PASSWORD, make_staff

GOOD = "sju sjösjuka sjömän på ett skepp"


class TestPolicy:
    def test_a_64_character_passphrase_is_accepted(self) -> None:
        passphrase = "en lång mening som ingen gissar men alla minns efter en kopp te"
        passphrase += "!" * (64 - len(passphrase))
        assert len(passphrase) == 64
        assert password_problem(passphrase, email="a@b.se", name="Anna") is None

    def test_128_characters_are_allowed(self) -> None:
        long_one = "".join(f"ord{n} " for n in range(30))[:128]
        assert len(long_one) == 128
        assert password_problem(long_one) is None

    def test_no_composition_rules(self) -> None:
        assert password_problem("bara små bokstäver här") is None
        assert password_problem("ABSOLUT INGA SMÅ ALLS") is None

    @pytest.mark.parametrize(
        ("password", "problem"),
        [
            ("password123", PasswordProblem.TOO_SHORT),
            ("sommar2024", PasswordProblem.TOO_SHORT),
            ("", PasswordProblem.TOO_SHORT),
            ("x" * 257, PasswordProblem.TOO_LONG),
            ("password1234", PasswordProblem.COMMON),
            ("PASSWORD1234", PasswordProblem.COMMON),
            ("Sommar2024!!", PasswordProblem.COMMON),
            ("lösenord1234", PasswordProblem.COMMON),
            ("LÖSENORD12345", PasswordProblem.COMMON),
            ("Välkommen2024", PasswordProblem.COMMON),
            ("qwertyuiop123", PasswordProblem.COMMON),
            ("123456789012", PasswordProblem.COMMON),
            ("sommarsommar", PasswordProblem.COMMON),
            ("aaaaaaaaaaaaaaaa", PasswordProblem.COMMON),
            ("!!stockholm!!", PasswordProblem.COMMON),
            ("rättighetsportalen", PasswordProblem.COMMON),
        ],
    )
    def test_weak_passwords(self, password: str, problem: PasswordProblem) -> None:
        assert password_problem(password) is problem

    def test_email_and_name_are_refused(self) -> None:
        email, name = "karl-johan.berg@lhe-handelsbolag.se", "Karl-Johan Berggren"
        for password in (email, email.upper(), "karl-johan.berg", "karl-johan berggren",
                         "Karl-JohanBerggren"):  # fmt: skip
            assert password_problem(password, email=email, name=name) is PasswordProblem.PERSONAL

    def test_the_deny_list_ships_with_the_app(self) -> None:
        common = passwords.common_passwords()
        assert len(common) >= 300
        for word in ("123456", "password", "qwerty", "lösenord", "sommar2024", "hejsan"):
            assert word in common
        assert all(word == word.casefold() for word in common)

    def test_hash_and_verify(self) -> None:
        stored = passwords.hash_password(GOOD)
        assert stored.startswith("$argon2id$")
        assert passwords.verify_password(stored, GOOD)
        assert not passwords.verify_password(stored, GOOD.upper())
        assert not passwords.verify_password("not a hash", GOOD)
        assert not passwords.needs_rehash(stored)
        assert passwords.needs_rehash("not a hash")


class TestCreate:
    def test_creates_with_a_normalised_address_and_audits(
        self, session: Session, clock: Clock
    ) -> None:
        user = staff_accounts.create_account(
            session,
            email="  Olle.Ombud@LHE-Handelsbolag.se ",
            name="Olle Ombud",
            role=StaffRole.OFFICER,
            password=GOOD,
            now=clock(),
        )
        session.commit()
        assert user.email == "olle.ombud@lhe-handelsbolag.se"
        assert user.active
        assert user.session_version == 1
        assert user.totp_secret is None
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.create"))
        assert entry is not None
        assert entry.actor == "cli"
        assert entry.data == {"staff_id": user.id, "role": "officer"}
        assert GOOD not in repr(entry.data)

    def test_refusals(self, session: Session, clock: Clock, handler: StaffUser) -> None:
        def create(email: str, password: str = GOOD) -> StaffUser:
            return staff_accounts.create_account(
                session, email=email, name="N N", role=StaffRole.HANDLER, password=password,
                now=clock(),
            )  # fmt: skip

        with pytest.raises(AccountExistsError):
            create(handler.email.upper())
        with pytest.raises(InvalidEmailError):
            create("inte-en-adress")
        with pytest.raises(WeakPasswordError) as weak:
            create("ny@lhe-handelsbolag.se", "sommar2024")
        assert weak.value.problem is PasswordProblem.TOO_SHORT

    def test_default_name_is_the_local_part(self, session: Session, clock: Clock) -> None:
        user = staff_accounts.create_account(
            session, email="ada@example.se", name=" ", role=StaffRole.ADMIN, password=GOOD,
            now=clock(),
        )  # fmt: skip
        assert user.name == "ada"


class TestCheckPassword:
    def test_right_wrong_unknown(self, session: Session, clock: Clock, handler: StaffUser) -> None:
        check = staff_accounts.check_password
        assert (
            check(session, email=handler.email.upper(), password=PASSWORD, now=clock()) is handler
        )
        assert check(session, email=handler.email, password="fel", now=clock()) is None
        assert check(session, email="okänd@example.se", password=PASSWORD, now=clock()) is None
        assert check(session, email="", password=PASSWORD, now=clock()) is None
        assert handler.failed_logins == 1

    def test_lock_lasts_fifteen_minutes_and_locked_tries_do_not_extend_it(
        self, session: Session, clock: Clock, handler: StaffUser
    ) -> None:
        start = clock()
        for _ in range(10):
            staff_accounts.check_password(session, email=handler.email, password="x", now=clock())
        assert handler.locked_until == start + timedelta(minutes=15)
        assert handler.failed_logins == 0
        clock.advance(minutes=10)
        for _ in range(20):
            staff_accounts.check_password(session, email=handler.email, password="x", now=clock())
        assert handler.locked_until == start + timedelta(minutes=15)
        assert not staff_accounts.may_continue(handler, clock())
        clock.advance(minutes=5, seconds=1)
        assert staff_accounts.may_continue(handler, clock())
        found = staff_accounts.check_password(
            session, email=handler.email, password=PASSWORD, now=clock()
        )
        assert found is handler
        lockouts = session.scalars(select(AuditEntry).where(AuditEntry.action == "lockout")).all()
        assert len(lockouts) == 1


class TestTotp:
    def test_step_is_accepted_once(
        self, session: Session, clock: Clock, handler: StaffUser
    ) -> None:
        handler.totp_secret = pyotp.random_base32()
        handler.totp_enrolled_at = clock()
        code = pyotp.TOTP(handler.totp_secret).at(clock())
        assert staff_accounts.verify_totp(session, handler, code, clock())
        assert handler.totp_last_step == int(clock().timestamp()) // 30
        assert not staff_accounts.verify_totp(session, handler, code, clock())
        assert not staff_accounts.verify_totp(session, handler, "12345", clock())
        assert not staff_accounts.verify_totp(session, handler, "abcdef", clock())
        assert handler.failed_logins == 3

    def test_not_enrolled_never_verifies(
        self, session: Session, clock: Clock, handler: StaffUser
    ) -> None:
        secret = staff_accounts.start_enrolment(session, handler)
        code = pyotp.TOTP(secret).at(clock())
        assert not staff_accounts.verify_totp(session, handler, code, clock())
        codes = staff_accounts.confirm_enrolment(session, handler, code, clock())
        assert codes is not None
        assert len(codes) == 10
        assert staff_accounts.confirm_enrolment(session, handler, code, clock()) is None

    def test_provisioning_uri_names_the_issuer(self, session: Session, handler: StaffUser) -> None:
        staff_accounts.start_enrolment(session, handler)
        uri = staff_accounts.provisioning_uri(handler)
        assert uri.startswith("otpauth://totp/")
        assert f"secret={handler.totp_secret}" in uri
        assert "issuer=R%C3%A4ttighetsportalen" in uri


class TestAdministration:
    def test_cannot_remove_the_last_active_admin(
        self, session: Session, clock: Clock, admin: StaffUser
    ) -> None:
        with pytest.raises(LastAdminError):
            staff_accounts.disable(session, admin, by=None, now=clock())
        with pytest.raises(LastAdminError):
            staff_accounts.change_role(session, admin, StaffRole.OFFICER, by=None, now=clock())
        other = make_staff(session, StaffRole.ADMIN, email="b@lhe-handelsbolag.se", now=clock())
        staff_accounts.disable(session, other, by=None, now=clock())
        with pytest.raises(LastAdminError):  # a disabled admin does not count
            staff_accounts.disable(session, admin, by=None, now=clock())
        staff_accounts.enable(session, other, by=None, now=clock())
        staff_accounts.change_role(session, admin, StaffRole.OFFICER, by=other, now=clock())
        assert admin.role is StaffRole.OFFICER

    def test_no_changes_to_ones_own_account(
        self, session: Session, clock: Clock, admin: StaffUser
    ) -> None:
        make_staff(session, StaffRole.ADMIN, email="b@lhe-handelsbolag.se", now=clock())
        for change in (staff_accounts.disable, staff_accounts.reset_totp, staff_accounts.unlock):
            with pytest.raises(SelfChangeError):
                change(session, admin, by=admin, now=clock())
        with pytest.raises(SelfChangeError):
            staff_accounts.change_role(session, admin, StaffRole.HANDLER, by=admin, now=clock())

    def test_disable_and_reset_bump_the_session_version(
        self, session: Session, clock: Clock, admin: StaffUser, handler: StaffUser
    ) -> None:
        version = handler.session_version
        staff_accounts.disable(session, handler, by=admin, now=clock())
        staff_accounts.enable(session, handler, by=admin, now=clock())
        staff_accounts.reset_totp(session, handler, by=admin, now=clock())
        assert handler.session_version == version + 2
        assert [e.action for e in session.scalars(select(AuditEntry))] == [
            "staff.disable",
            "staff.enable",
            "staff.reset_totp",
        ]
