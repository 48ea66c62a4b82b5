"""Render an e-mail from ``templates/email/<name>/{subject.txt,body.txt,body.html}``.

Templates use the same gettext catalogues as the pages, rendered in the case's language.
E-mails carry no personal data beyond a reference and a link (design.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None


def render_email(name: str, language: str, **context: Any) -> RenderedEmail:
    context.setdefault("base_url", current_app.config["BASE_URL"])
    context["language"] = language
    with force_locale(language):
        subject = render_template(f"email/{name}/subject.txt", **context)
        text = render_template(f"email/{name}/body.txt", **context)
        html = render_template(f"email/{name}/body.html", **context)
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)
