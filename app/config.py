"""Settings: safe defaults for the embedded setup, overridden by ``PORTAL_*`` variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "BASE_URL": "http://127.0.0.1:5000",
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_TLS": "none",  # none | starttls | ssl
    "SMTP_TIMEOUT": 10,
    "MAIL_FROM": "Rättighetsportalen <no-reply@localhost>",
    "MAIL_DIR": None,  # defaults to <instance>/mail
    "RATELIMIT_STORAGE_URL": "memory://",
    "RATELIMIT_ENABLED": True,
    # The verified browser session of a data subject: mailbox control, not strong authentication.
    "SUBJECT_SESSION_MINUTES": 30,
    "SUBJECT_SESSION_IDLE_MINUTES": 15,
    "TOKEN_MINUTES": 15,
    "TOKEN_MAX_CODE_ATTEMPTS": 5,
    "TOKENS_PER_ADDRESS_PER_HOUR": 5,
    "MAIL_MAX_ATTEMPTS": 8,
    "WORKER_INTERVAL_SECONDS": 30,
    "COOKIE_SECURE": True,
    "TIMEZONE": "Europe/Stockholm",
    # Keys the suppression list's address hashes; defaults to one derived from SECRET_KEY. Set it
    # on its own when the secret key may be rotated, or rotated keys would forget the list.
    "SUPPRESSION_KEY": None,
    "PACKAGE_DAYS": 30,  # how long a released access or portability package can be downloaded
    "NOTICE_MAX_ATTEMPTS": 12,  # webhook attempts before staff are asked to notify by hand
    "WEBHOOK_TIMEOUT": 10,
}


def configure(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Load defaults, then ``PORTAL_*`` variables, then explicit overrides (tests)."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("PORTAL")
    if overrides:
        app.config.from_mapping(overrides)
    cfg = app.config
    instance = Path(app.instance_path)

    if not cfg.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        cfg["DATABASE_URL"] = f"sqlite:///{instance / 'portal.db'}"
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if not cfg.get("MAIL_DIR"):
        cfg["MAIL_DIR"] = str(instance / "mail")
    cfg["BASE_URL"] = str(cfg["BASE_URL"]).rstrip("/")

    secure = bool(cfg["COOKIE_SECURE"])
    cfg.update(
        # __Host- pins the cookie to this origin; it needs Secure (browsers allow it on localhost).
        SESSION_COOKIE_NAME="__Host-portal" if secure else "portal",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=256 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the CSRF token lives as long as the session
        # Over HTTPS Flask-WTF would also demand a same-origin Referer, but the token landing
        # pages send none (Referrer-Policy: no-referrer, security.md D8), so their buttons would
        # fail. The token in the session, SameSite=Lax and the __Host- cookie remain.
        WTF_CSRF_SSL_STRICT=False,
        RATELIMIT_STORAGE_URI=cfg["RATELIMIT_STORAGE_URL"],
        RATELIMIT_HEADERS_ENABLED=False,
        BABEL_DEFAULT_LOCALE="sv",
        BABEL_DEFAULT_TIMEZONE=cfg["TIMEZONE"],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )


def _instance_secret(path: Path) -> str:
    """Generate the secret key once and keep it in the instance folder, readable by us only."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
