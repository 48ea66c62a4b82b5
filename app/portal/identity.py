"""Who the browser has proven to be: a mailbox, via a server-side ``SubjectSession``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, flash, g, redirect, session, url_for
from flask_babel import gettext as _

from app.clock import now
from app.db import get_session
from app.services import subject_sessions

_COOKIE_KEY = "subject"


def current_email() -> str | None:
    """The verified address of this browser, or None; looked up once per request."""
    if "subject_email" not in g:
        g.subject_email = None
        secret = session.get(_COOKIE_KEY)
        if isinstance(secret, str):
            row = subject_sessions.find_session(
                get_session(),
                secret,
                now=now(),
                idle=timedelta(minutes=current_app.config["SUBJECT_SESSION_IDLE_MINUTES"]),
            )
            if row is None:
                session.pop(_COOKIE_KEY, None)
            else:
                g.subject_email = row.email
    return g.subject_email


def verified_email() -> str:
    """The verified address inside a ``subject_required`` view."""
    email = current_email()
    if email is None:  # subject_required ran first; this only guards misuse
        raise PermissionError("no verified mailbox")
    return email


def sign_in(email: str) -> None:
    """Open a verified session in a fresh cookie (the pre-verification one is dropped: B2)."""
    secret = subject_sessions.open_session(
        get_session(),
        email=email,
        now=now(),
        lifetime=timedelta(minutes=current_app.config["SUBJECT_SESSION_MINUTES"]),
    )
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session[_COOKIE_KEY] = secret
    g.subject_email = email


def sign_out() -> None:
    secret = session.get(_COOKIE_KEY)
    if isinstance(secret, str):
        subject_sessions.end_session(get_session(), secret, now())
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    g.subject_email = None


def subject_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Views for a verified mailbox; others are sent to verify first."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_email() is None:
            flash(_("Please confirm your e-mail address to continue."), "info")
            return redirect(url_for("portal.index"))
        return view(*args, **kwargs)

    return wrapped
