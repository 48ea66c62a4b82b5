"""Shared fixtures: an app on a fresh in-memory database per test, its session, and a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app import create_app
from app.db import Base, engine, get_session
from app.services.register_seed import seed_register
from tests.factories import Crowd, build_crowd

pytest_plugins = ["tests.smtp", "tests.staff"]


class Clock:
    """A controllable clock for the app: tests move time instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current


# A Tuesday in November, 10:00 in Stockholm.
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def make_app(tmp_path: Any, *, create_tables: bool = True, **overrides: Any) -> Flask:
    """An app for tests; by default on a fresh in-memory SQLite with every table created."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": "sqlite://",
        "BASE_URL": "https://portal.example.test",
        "MAIL_DIR": str(tmp_path / "mail"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        **overrides,
    }
    app = create_app(config)
    if create_tables:
        with app.app_context():
            Base.metadata.create_all(engine())
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def app(tmp_path: Any, clock: Clock, smtp_config: dict[str, Any]) -> Iterator[Flask]:
    """The app on a fresh in-memory database, register seeded, mailing a real SMTP server."""
    app = make_app(tmp_path, **smtp_config)
    app.extensions["clock"] = clock
    with app.app_context():
        seed_register(get_session())
        get_session().commit()
        yield app


@pytest.fixture
def session(app: Flask) -> Session:
    return get_session()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def english_page(app: Flask) -> Iterator[None]:
    """Inside a request drawn in English: translated rule messages read as an English page shows
    them. Modules whose services refuse with such messages use it for every test."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def crowd(app: Flask, session: Session, clock: Clock) -> Crowd:
    """Demo data plus Anna and her look-alikes (``tests.factories.build_crowd``)."""
    return build_crowd(session, clock())
