"""Languages: Swedish first, English complete; the person's choice is kept in their session."""

from __future__ import annotations

from typing import Any

from flask import Flask, session
from flask_babel import get_locale

LANGUAGES: dict[str, str] = {"sv": "Svenska", "en": "English"}
DEFAULT_LANGUAGE = "sv"


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """Read ``<field>_sv`` or ``<field>_en`` of a register row in the given or current language."""
    return getattr(obj, f"{field}_{language or current_language()}")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, current_language=current_language, localized=localized
    )
