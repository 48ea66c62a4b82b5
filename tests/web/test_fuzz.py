"""Whatever a person types or sends, the portal answers with a page, never a server error (F5)."""

from __future__ import annotations

import itertools

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import verify

TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=300
)
# A new address per example: each address may ask for only a few links an hour.
_ADDRESSES = (f"fuzz{n}@example.com" for n in itertools.count())
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class TestAnyInput:
    @SETTINGS
    @given(email=TEXT)
    def test_start_answers_below_500_for_any_address(self, app: Flask, email: str) -> None:
        response = app.test_client().post("/start", data={"email": email})
        assert response.status_code in (303, 400)

    @SETTINGS
    @given(code=TEXT)
    def test_code_entry_answers_below_500_for_any_code(self, app: Flask, code: str) -> None:
        client = app.test_client()
        client.post("/start", data={"email": "fuzz@example.com"})
        response = client.post("/check-email", data={"code": code})
        assert response.status_code in (400, 410)

    @SETTINGS
    @given(
        token=st.text(alphabet=st.characters(codec="ascii", exclude_characters="/?#%"), min_size=1)
    )
    def test_any_link_token_gets_a_page(self, app: Flask, token: str) -> None:
        client = app.test_client()
        assert client.get(f"/verify/{token}").status_code in (400, 404, 410)
        assert client.post(f"/verify/{token}").status_code in (400, 404, 405, 410)

    @SETTINGS
    @given(
        slug=st.sampled_from(
            [
                "access",
                "rectification",
                "erasure",
                "restriction",
                "objection",
                "consent-withdrawal",
                "portability",
            ]
        ),
        fields=st.dictionaries(
            st.sampled_from(
                [
                    "scope",
                    "parts",
                    "formats",
                    "name",
                    "phone",
                    "job_title",
                    "company",
                    "other",
                    "ground",
                    "kind",
                    "grounds",
                    "consents",
                    "transmit_to",
                    "message",
                    "submission_key",
                ]
            ),
            TEXT,
        ),
    )
    def test_request_forms_answer_below_500_for_any_fields(
        self, app: Flask, mailbox: object, slug: str, fields: dict[str, str]
    ) -> None:
        client = app.test_client()
        verify(client, mailbox, next(_ADDRESSES))
        response = client.post(f"/requests/new/{slug}", data=fields)
        assert response.status_code in (303, 400)
