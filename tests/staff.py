"""Staff fixtures: accounts of each role, and test clients signed in as them.

``sign_in_as`` puts the account in the session the way a completed password + TOTP login does,
so tests of queue and case pages need not repeat the login flow (tested in tests/web/test_auth.py).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier
from sqlalchemy.orm import Session

from app.core.permissions import StaffRole
from app.db import get_session
from app.models import StaffUser

# Hashing is slow on purpose; tests share one hash of this password.
PASSWORD = "korrekt häst batteri häftklammer"
_HASH = PasswordHasher().hash(PASSWORD)


def make_staff(
    session: Session, role: StaffRole, *, email: str | None = None, name: str | None = None,
    now: datetime,
) -> StaffUser:  # fmt: skip
    user = StaffUser(
        email=email or f"{role.value}@lhe-handelsbolag.se",
        name=name or {"handler": "Hanna Handläggare", "officer": "Olof Ombud",
                      "admin": "Ada Admin"}[role.value],
        role=role,
        password_hash=_HASH,
        created_at=now,
    )  # fmt: skip
    session.add(user)
    session.flush()
    return user


def sign_in_as(app: Flask, user: StaffUser) -> FlaskClient:
    """A fresh client whose session holds ``user`` as fully signed in (password and TOTP)."""
    client = app.test_client()
    moment = app.extensions["clock"]().isoformat()
    # Flask-Login's "strong" protection drops a session without the mark of its browser.
    with app.test_request_context(environ_base=client.environ_base):
        mark = _create_identifier()
    with client.session_transaction() as sess:
        sess["_id"] = mark
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["staff_since"] = moment
        sess["staff_seen"] = moment
    return client


@pytest.fixture
def handler(app: Flask) -> StaffUser:
    user = make_staff(get_session(), StaffRole.HANDLER, now=app.extensions["clock"]())
    get_session().commit()
    return user


@pytest.fixture
def officer(app: Flask) -> StaffUser:
    user = make_staff(get_session(), StaffRole.OFFICER, now=app.extensions["clock"]())
    get_session().commit()
    return user


@pytest.fixture
def admin(app: Flask) -> StaffUser:
    user = make_staff(get_session(), StaffRole.ADMIN, now=app.extensions["clock"]())
    get_session().commit()
    return user


@pytest.fixture
def handler_client(app: Flask, handler: StaffUser) -> FlaskClient:
    return sign_in_as(app, handler)


@pytest.fixture
def officer_client(app: Flask, officer: StaffUser) -> FlaskClient:
    return sign_in_as(app, officer)


@pytest.fixture
def admin_client(app: Flask, admin: StaffUser) -> FlaskClient:
    return sign_in_as(app, admin)
