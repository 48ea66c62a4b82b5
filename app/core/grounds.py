"""Legal grounds a refusal (whole or partial) can rest on; the notice cites the article."""

from __future__ import annotations

REFUSAL_GROUNDS: dict[str, str] = {
    "manifestly_unfounded": "Art. 12.5",
    "excessive": "Art. 12.5",
    "not_identified": "Art. 11.2, 12.2",
    "legal_obligation": "Art. 17.3 b",
    "legal_claims": "Art. 17.3 e",
    "compelling_grounds": "Art. 21.1",
    "rights_of_others": "Art. 15.4",
    "portability_not_applicable": "Art. 20.1",
    "data_accurate": "Art. 16",
    "other": "",
}

REFUSAL_SCOPES = ("whole", "partial")
