"""Who the browser has proven to be: a mailbox, via a server-side ``SubjectSession``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.clock import now
from app.core.tokens import sha256_hex
from app.db import get_session
from app.models import SubjectSession
from app.services import subject_sessions

_COOKIE_KEY = "subject"
# Cached on the request itself, not on ``g``: ``g`` belongs to the app context, which can outlive a
# request (an app context pushed around several requests), and must never carry one browser's
# identity into another browser's request.
_CACHE_KEY = "portal.subject_email"


def current_email() -> str | None:
    """The verified address of this browser, or None; looked up once per request."""
    cache = request.environ
    if _CACHE_KEY not in cache:
        cache[_CACHE_KEY] = None
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
                cache[_CACHE_KEY] = row.email
    return cache[_CACHE_KEY]


def verified_at() -> datetime | None:
    """When this browser's open session proved the mailbox, or None without one."""
    secret = session.get(_COOKIE_KEY)
    if not isinstance(secret, str):
        return None
    return get_session().scalar(
        select(SubjectSession.created_at).where(
            SubjectSession.secret_hash == sha256_hex(secret), SubjectSession.ended_at.is_(None)
        )
    )


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
    request.environ[_CACHE_KEY] = email


def sign_out() -> None:
    secret = session.get(_COOKIE_KEY)
    if isinstance(secret, str):
        subject_sessions.end_session(get_session(), secret, now())
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    request.environ[_CACHE_KEY] = None


def subject_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Views for a verified mailbox; others are sent to verify first."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        email = current_email()
        # Keep the session's touch (or its end): without this commit, a person who only reads
        # pages would be signed out after the idle time even while active. Nothing else is
        # pending yet, the view has not run.
        get_session().commit()
        if email is None:
            flash(_("Please confirm your e-mail address to continue."), "info")
            return redirect(url_for("portal.index"))
        return view(*args, **kwargs)

    return wrapped
