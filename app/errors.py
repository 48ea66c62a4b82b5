"""Error pages: a clear message in the person's language, never a stack trace (K4)."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _render(status: int, reason: str | None = None) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, reason=reason), status


def handle_http_error(error: HTTPException) -> tuple[str, int, dict[str, str]]:
    # Keep what the error says in headers (Allow on a 405, Retry-After), not its plain-text type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return (*_render(error.code or 500), headers)


def handle_csrf_error(error: CSRFError) -> tuple[str, int]:
    return _render(400, reason="csrf")


def handle_unexpected(error: Exception) -> tuple[str, int]:
    # The log gets the exception type and trace, never request data (no personal data in logs).
    log.exception("unhandled error: %s", type(error).__name__)
    return _render(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
