"""``portal create-staff``: the only way to the first account; no default accounts (A7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import cli
from app.core.permissions import StaffRole
from app.db import get_session
from app.models import AuditEntry, StaffUser
from app.services import passwords
from tests.conftest import make_app

GOOD = "tre glada grodor i en grön damm"


def staff(email: str) -> StaffUser | None:
    session = get_session()
    session.expire_all()
    return session.scalar(select(StaffUser).where(StaffUser.email == email))


def invoke(app: Flask, *args: str, input: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=["create-staff", *args], input=input)


class TestCreateStaff:
    def test_reads_the_password_from_stdin(self, app: Flask) -> None:
        result = invoke(
            app, "Ada.Admin@LHE-handelsbolag.se", "--role", "admin", "--name", "Ada Admin",
            input=GOOD + "\n",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "Created the admin account ada.admin@lhe-handelsbolag.se" in result.output
        assert GOOD not in result.output
        user = staff("ada.admin@lhe-handelsbolag.se")
        assert user is not None
        assert user.role is StaffRole.ADMIN
        assert user.name == "Ada Admin"
        assert user.password_hash.startswith("$argon2id$")
        assert passwords.verify_password(user.password_hash, GOOD)
        assert user.totp_secret is None  # enrolled at the first sign-in
        entry = get_session().scalar(select(AuditEntry).where(AuditEntry.action == "staff.create"))
        assert entry is not None
        assert entry.actor == "cli"

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("", "at least 12 characters"),
            ("password123", "at least 12 characters"),
            ("sommar2024", "at least 12 characters"),
            ("Sommar2024!!", "too common"),
            ("hanna@lhe-handelsbolag.se", "e-mail address or the name"),
        ],
    )
    def test_refuses_a_weak_password(self, app: Flask, password: str, message: str) -> None:
        result = invoke(app, "hanna@lhe-handelsbolag.se", "--role", "handler", input=password)
        assert result.exit_code == 1
        assert message in result.output
        assert staff("hanna@lhe-handelsbolag.se") is None

    def test_refuses_a_duplicate(self, app: Flask) -> None:
        assert (
            invoke(app, "olof@lhe-handelsbolag.se", "--role", "officer", input=GOOD).exit_code == 0
        )
        again = invoke(app, "OLOF@lhe-handelsbolag.se", "--role", "admin", input=GOOD)
        assert again.exit_code == 1
        assert "already an account" in again.output
        user = staff("olof@lhe-handelsbolag.se")
        assert user is not None
        assert user.role is StaffRole.OFFICER
        assert get_session().scalar(select(func.count(StaffUser.id))) == 1

    def test_refuses_an_invalid_address_and_role(self, app: Flask) -> None:
        bad_address = invoke(app, "inte en adress", "--role", "handler", input=GOOD)
        assert bad_address.exit_code == 1
        assert "not a valid e-mail address" in bad_address.output
        bad_role = invoke(app, "a@lhe-handelsbolag.se", "--role", "root", input=GOOD)
        assert bad_role.exit_code == 2
        no_role = invoke(app, "a@lhe-handelsbolag.se", input=GOOD)
        assert no_role.exit_code == 2
        assert get_session().scalar(select(func.count(StaffUser.id))) == 0

    def test_prompts_twice_on_a_terminal(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)
        # A mismatch is asked again; then the same password twice.
        result = invoke(
            app, "bo@lhe-handelsbolag.se", "--role", "handler",
            input=f"{GOOD}\nnågot annat helt och hållet\n{GOOD}\n{GOOD}\n",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "Password" in result.output
        assert "Repeat the password" in result.output
        assert "do not match" in result.output
        assert GOOD not in result.output  # hidden input
        user = staff("bo@lhe-handelsbolag.se")
        assert user is not None
        assert passwords.verify_password(user.password_hash, GOOD)


class TestNoDefaultAccounts:
    def test_a_migrated_database_has_no_staff(self, tmp_path: Path) -> None:
        app = make_app(
            tmp_path, create_tables=False, DATABASE_URL=f"sqlite:///{tmp_path / 'portal.db'}"
        )
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        with app.app_context():
            assert get_session().scalar(select(func.count(StaffUser.id))) == 0
        result = runner.invoke(
            args=["create-staff", "ada@lhe-handelsbolag.se", "--role", "admin"], input=GOOD
        )
        assert result.exit_code == 0, result.output
        with app.app_context():
            assert get_session().scalar(select(func.count(StaffUser.id))) == 1
