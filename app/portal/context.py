"""What every page shows: the controller (from the register), IMY, and the verified address."""

from __future__ import annotations

from typing import Any

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


def init_app(app: Flask) -> None:
    app.jinja_env.globals["imy"] = authority.IMY
    app.context_processor(inject)
