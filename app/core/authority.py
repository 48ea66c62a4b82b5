"""The supervisory authority: where a person can complain (Art. 77; legal.md §5).

Only the details legal.md marks as verified are published: name, postal address, complaint pages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SupervisoryAuthority:
    name_sv: str
    name_en: str
    short_name: str
    postal_address: str
    complaint_url_sv: str
    complaint_url_en: str

    def complaint_url(self, language: str) -> str:
        return self.complaint_url_sv if language == "sv" else self.complaint_url_en

    def name(self, language: str) -> str:
        return self.name_sv if language == "sv" else self.name_en


IMY = SupervisoryAuthority(
    name_sv="Integritetsskyddsmyndigheten",
    name_en="Swedish Authority for Privacy Protection",
    short_name="IMY",
    postal_address="Box 8114, 104 20 Stockholm",
    complaint_url_sv="https://www.imy.se/privatperson/utfora-arenden/lamna-ett-klagomal/",
    complaint_url_en="https://www.imy.se/en/privatperson/forms-and-e-services/file-a-gdpr-complaint/",
)
