"""Legal grounds a refusal (whole or partial) can rest on, with the GDPR article numbers cited."""

from __future__ import annotations

REFUSAL_GROUNDS: dict[str, str] = {
    "manifestly_unfounded": "12.5",
    "excessive": "12.5",
    "not_identified": "11.2, 12.2",
    "legal_obligation": "17.3 b",
    "legal_claims": "17.3 e",
    "compelling_grounds": "21.1",
    "rights_of_others": "15.4",
    "portability_not_applicable": "20.1",
    "data_accurate": "16",
    "other": "",
}

REFUSAL_SCOPES = ("whole", "partial")
