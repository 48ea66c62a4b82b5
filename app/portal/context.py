"""What every page shows: the controller (from the register), IMY, and the verified address."""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask, g, has_request_context
from sqlalchemy import select

from app.core import authority
from app.db import get_session
from app.models import ControllerInfo
from app.portal.identity import current_email


def controller() -> ControllerInfo | None:
    if "controller" not in g:
        g.controller = get_session().scalar(select(ControllerInfo).limit(1))
    return g.controller


def inject() -> dict[str, Any]:
    return {
        "controller": controller(),
        "subject_email": current_email() if has_request_context() else None,
    }


def forget_earlier_request() -> None:
    """Drop what an earlier request left on ``g``: the language, the controller, the staff user.

    ``g`` lives as long as the app context; when one context serves several requests (an app
    context pushed around the test client), the next request must not inherit a choice of
    language made before it.
    """
    g.pop("controller", None)
    g.pop("_login_user", None)  # Flask-Login's cache of the signed-in staff member
    flask_babel.refresh()


def init_app(app: Flask) -> None:
    app.jinja_env.globals["imy"] = authority.IMY
    app.context_processor(inject)
    # First of all before-request hooks, so that even an early error page is in the right language.
    app.before_request_funcs.setdefault(None, []).insert(0, forget_earlier_request)
