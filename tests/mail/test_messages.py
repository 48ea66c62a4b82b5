"""Rendering the e-mails: every template in both languages, as text and HTML, with no leftovers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from babel.dates import format_date
from flask import Flask

from app.core.authority import IMY
from app.core.workflow import RequestStatus, RequestType
from app.mail.message import render_email

CONTEXTS: dict[str, dict[str, Any]] = {
    "verify": {"link_path": "/verify/abc.def", "code": "ABCD-2345", "minutes": 15},
    "receipt": {
        "reference": "DSR-2026-000042",
        "request_type": RequestType.ERASURE,
        "status": RequestStatus.RECEIVED,
        "due_on": date(2026, 12, 28),
        "details": {"scope": "all", "parts": [], "ground": "unsure"},
    },
    "withdrawn": {"reference": "DSR-2026-000042"},
}
LANGUAGES = ["sv", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(CONTEXTS))
class TestEveryTemplate:
    def test_renders_subject_text_and_html(self, app: Flask, name: str, language: str) -> None:
        mail = render_email(name, language, **CONTEXTS[name])

        assert mail.subject
        assert "\n" not in mail.subject
        assert mail.subject == mail.subject.strip()
        assert mail.text.endswith("\n")
        assert mail.html is not None
        assert f'<html lang="{language}">' in mail.html
        for part in (mail.subject, mail.text, mail.html):
            assert "{{" not in part
            assert "{%" not in part
            assert "%(" not in part
            assert "Undefined" not in part

    def test_links_point_at_the_configured_portal(
        self, app: Flask, name: str, language: str
    ) -> None:
        mail = render_email(name, language, **CONTEXTS[name])
        assert "https://portal.example.test/" in mail.text
        assert "https://portal.example.test/" in (mail.html or "")


class TestTheReceipt:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_states_reference_deadline_and_imy_in_its_language(
        self, app: Flask, language: str
    ) -> None:
        mail = render_email("receipt", language, **CONTEXTS["receipt"])
        deadline = format_date(date(2026, 12, 28), "long", locale=language)
        other = "en" if language == "sv" else "sv"
        assert "DSR-2026-000042" in mail.subject
        for part in (mail.text, mail.html or ""):
            assert "DSR-2026-000042" in part
            assert deadline in part
            assert IMY.complaint_url(language) in part
            assert IMY.complaint_url(other) not in part

    def test_closed_case_states_the_status_instead_of_a_deadline(self, app: Flask) -> None:
        context = {**CONTEXTS["receipt"], "status": RequestStatus.COMPLETED}
        mail = render_email("receipt", "en", **context)
        assert "Completed" in mail.text
        assert format_date(date(2026, 12, 28), "long", locale="en") not in mail.text

    def test_languages_differ(self, app: Flask) -> None:
        swedish = render_email("receipt", "sv", **CONTEXTS["receipt"])
        english = render_email("receipt", "en", **CONTEXTS["receipt"])
        assert swedish.text != english.text


class TestEscaping:
    def test_values_are_escaped_in_html(self, app: Flask) -> None:
        mail = render_email("withdrawn", "en", reference='<b>DSR</b>&"')
        assert "<b>DSR</b>" not in (mail.html or "")
        assert "&lt;b&gt;DSR&lt;/b&gt;&amp;" in (mail.html or "")
