"""Staff sessions and permissions: Flask-Login with a server-side session version, idle and
absolute timeouts, and a permission check on every staff view (security.md A, B, C).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Flask, abort, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user

from app.clock import now
from app.core.permissions import Permission
from app.db import get_session
from app.models import StaffUser

login_manager = LoginManager()
IDLE_LIMIT = timedelta(minutes=30)  # ASVS 4.0.3 3.3.2 at L2: 30 minutes of inactivity
ABSOLUTE_LIMIT = timedelta(hours=12)  # and re-authentication every 12 hours
_SEEN = "staff_seen"
_SINCE = "staff_since"


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """``<id>:<session_version>``: a bumped version (logout, lock, disable) ends old cookies."""
    try:
        staff_id, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = get_session().get(StaffUser, staff_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def start_staff_session(user: StaffUser) -> None:
    """Called right after ``login_user``: stamp the session for the timeouts."""
    moment = now().isoformat()
    session[_SINCE] = moment
    session[_SEEN] = moment


def current_staff() -> StaffUser:
    """The signed-in staff member inside a ``require``-protected view."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(user, StaffUser):
        abort(403)
    return user


def _expired() -> bool:
    try:
        since = datetime.fromisoformat(session[_SINCE])
        seen = datetime.fromisoformat(session[_SEEN])
    except (KeyError, TypeError, ValueError):
        return True
    moment = now()
    return moment - seen > IDLE_LIMIT or moment - since > ABSOLUTE_LIMIT


def require(permission: Permission) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Staff views: signed in (else to the login page), within the timeouts, and allowed (403).

    Fails closed: any other state gives nothing.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.path))
            if _expired():
                logout_user()
                language = session.get("lang")
                session.clear()
                if language:  # the language chosen survives the end of the session
                    session["lang"] = language
                return redirect(url_for("auth.login", expired=1))
            if not current_staff().can(permission):
                abort(403)
            session[_SEEN] = now().isoformat()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(seconds=0))
