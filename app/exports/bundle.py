"""The access (Art. 15) and portability (Art. 20) packages as data; renderers only lay them out.

Everything here is frozen and pure. A package is built once by
``app.services.fulfilment.bundle``: every text a person reads is already in the package's
language, every value is as stored (aware UTC datetimes, dates, ``Decimal`` amounts, internal
codes with their explanations in ``codes``). The PDF, JSON and CSV renderers read the same
package, so the three files always agree. The JSON layout is documented in
docs/access-package.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

ACCESS_SCHEMA = "access-package/1"
PORTABILITY_SCHEMA = "portability-package/1"


class ColumnType(StrEnum):
    """How a column's values are written: JSON type, CSV text and PDF layout follow from it."""

    INTEGER = "integer"
    STRING = "string"  # short text
    TEXT = "text"  # long free text (message bodies, notes): wraps in the PDF
    DATETIME = "datetime"  # aware UTC; ISO 8601 with "Z" in JSON and CSV
    DATE = "date"  # ISO 8601 date
    BOOLEAN = "boolean"
    DECIMAL = "decimal"  # exact amount, written as a string with two decimals
    CODE = "code"  # an internal code, explained in the package's code list ``codes``


@dataclass(frozen=True)
class Column:
    key: str  # the field of the row, the JSON key and the CSV header
    label: str  # heading in the PDF
    description: str  # what the column holds, for README.txt
    type: ColumnType
    codes: str | None = None  # for CODE columns: the key of the ``CodeList`` explaining them


@dataclass(frozen=True)
class CodeList:
    """The internal codes of one kind (e.g. communication channels) and what each means."""

    key: str
    title: str
    codes: tuple[tuple[str, str], ...]  # (code, meaning)

    def label(self, code: str) -> str:
        for known, meaning in self.codes:
            if known == code:
                return meaning
        return code


@dataclass(frozen=True)
class DataTable:
    """One kind of record about the person, with its rows in a fixed order (oldest first)."""

    key: str  # "communications"; the JSON key under ``data`` and the CSV file name
    title: str
    description: str
    layer: int  # 1: summary and core data; 2: full communication history and technical logs
    part: str | None  # the access form's part it belongs to; None: always included
    included: bool  # False: the person asked for other parts only (``rows`` is then empty)
    columns: tuple[Column, ...]
    rows: tuple[Any, ...]  # row dataclasses; their fields are the column keys

    def values(self, row: Any) -> Iterator[Any]:
        return (getattr(row, column.key) for column in self.columns)


# --- rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A ``Person`` row: one record of the address (a lead for a customer, a customer contact)."""

    id: int
    email: str
    name: str
    phone: str | None
    job_title: str | None
    company_id: int | None
    company: str | None
    kind: str
    source: str
    created_at: datetime
    updated_at: datetime
    restricted_at: datetime | None
    restriction_ground: str | None
    marketing_objection_at: datetime | None


@dataclass(frozen=True, slots=True)
class CompanyRow:
    id: int
    name: str
    org_number: str | None
    city: str | None
    website: str | None
    is_customer: bool


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    id: int
    record_id: int
    customer_id: int
    customer: str
    campaign: str
    started_on: date
    ended_on: date | None
    recipient_id: int | None
    recipient: str | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class CommunicationRow:
    id: int
    record_id: int
    assignment_id: int | None
    customer: str | None
    occurred_at: datetime
    channel: str
    direction: str
    subject: str | None
    body: str | None


@dataclass(frozen=True, slots=True)
class MeetingRow:
    id: int
    record_id: int
    assignment_id: int | None
    customer: str | None
    starts_at: datetime
    duration_minutes: int
    status: str
    location: str | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class ConsentRow:
    id: int
    record_id: int
    purpose: str
    purpose_name: str
    given_at: datetime
    withdrawn_at: datetime | None
    evidence: str
    wants_policy_notices: bool


@dataclass(frozen=True, slots=True)
class TechnicalRow:
    id: int
    record_id: int
    occurred_at: datetime
    event: str
    ip_address: str | None
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class AccountingRow:
    id: int
    record_id: int | None
    company_id: int
    company: str
    document_number: str
    document_date: date
    description: str
    amount_sek: Decimal
    reference_name: str | None


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One of the person's data-protection requests (the case itself, not its internal notes)."""

    id: int
    reference: str
    type: str
    status: str
    received_at: datetime
    due_on: date
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class SuppressionRow:
    id: int
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PortableContactRow:
    """The contact details a customer contact gave us under the contract (Art. 20)."""

    id: int
    name: str
    email: str
    phone: str | None
    job_title: str | None
    company: str | None


@dataclass(frozen=True, slots=True)
class PortableMessageRow:
    """A message the person sent us, where the processing rests on a contract or consent."""

    id: int
    occurred_at: datetime
    channel: str
    subject: str | None
    body: str | None


_Keyed = TypeVar("_Keyed", DataTable, CodeList)


def _keyed(items: tuple[_Keyed, ...], key: str) -> _Keyed:
    """The item whose ``key`` is ``key``; KeyError if there is none."""
    for item in items:
        if item.key == key:
            return item
    raise KeyError(key)


# --- the Art. 15(1)-(2) information ---------------------------------------------------------------


@dataclass(frozen=True)
class Controller:
    name: str
    org_number: str
    street: str
    postal_code: str
    city: str
    country: str
    email: str
    dpo_email: str | None
    phone: str | None
    website: str | None

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


@dataclass(frozen=True)
class PurposeInfo:
    code: str
    name: str
    description: str
    legal_basis: str  # LegalBasis value, e.g. "6.1.f"
    legal_basis_text: str  # "Legitimate interest (Art. 6(1)(f) GDPR)" in the language
    legitimate_interest: str | None  # the interest pursued, for Art. 6(1)(f)
    categories: tuple[str, ...]  # category codes, see ``CategoryInfo``


@dataclass(frozen=True)
class CategoryInfo:
    """A category of data the controller holds about the person, with its retention period."""

    code: str
    name: str
    description: str  # what the category holds and how long it is kept, from the register
    retention_months: int | None
    retention_from: str | None  # RetentionTrigger value
    retention_text: str  # "12 months after the assignment ended"
    legal_reference: str | None
    tables: tuple[str, ...]  # keys of the data tables holding this category
    purposes: tuple[str, ...]  # purpose codes


@dataclass(frozen=True)
class LeadDelivery:
    """One assignment whose lead went to a customer's system."""

    assignment_id: int
    customer: str
    campaign: str
    delivered_at: datetime | None


@dataclass(frozen=True)
class RecipientInfo:
    id: int
    name: str
    kind: str  # RecipientKind value
    kind_text: str
    service: str
    country: str  # ISO 3166-1 alpha-2
    country_name: str
    third_country: bool  # outside the EU/EEA
    safeguard: str | None
    deliveries: tuple[LeadDelivery, ...]  # customer systems: which of the person's leads they got


@dataclass(frozen=True)
class TransferInfo:
    recipient: str
    country: str
    country_name: str
    safeguard: str


@dataclass(frozen=True)
class SourceInfo:
    record_id: int
    kind: str
    source: str


@dataclass(frozen=True)
class RightInfo:
    code: str
    article: str  # "Art. 15 GDPR" in the language
    name: str
    description: str


@dataclass(frozen=True)
class ComplaintInfo:
    authority: str
    short_name: str
    postal_address: str
    url: str
    text: str
    courts: str


@dataclass(frozen=True)
class Layer:
    number: int
    title: str
    description: str
    tables: tuple[str, ...]


@dataclass(frozen=True)
class Information:
    """What Art. 15(1)(a)-(h) and 15(2) require besides the data, about this person's data."""

    processed: bool  # whether any record about the address exists (Art. 15(1) confirmation)
    confirmation: str
    purposes: tuple[PurposeInfo, ...]
    categories: tuple[CategoryInfo, ...]
    recipients: tuple[RecipientInfo, ...]  # processors and customers' systems, by name
    authorities: tuple[RecipientInfo, ...]  # at category level (Art. 4(9))
    recipients_text: str
    transfers: tuple[TransferInfo, ...]
    transfers_text: str
    sources: tuple[SourceInfo, ...]
    sources_text: str
    automated_decisions: str
    rights: tuple[RightInfo, ...]
    rights_text: str
    objection: str  # the right to object, stated separately (Art. 21(4))
    complaint: ComplaintInfo


@dataclass(frozen=True)
class AccessTexts:
    """Headings and labels of the PDF and README.txt, in the package's language."""

    title: str
    subtitle: str
    contents: str
    reference: str
    generated: str
    generated_value: str  # the generation time written out in the language
    concerning: str
    controller: str
    scope: str
    scope_value: str
    about: str
    confirmation: str
    layers: str
    layers_intro: str
    summary: str
    summary_intro: str
    section: str
    entries: str
    not_requested: str  # in the summary and in place of a table the person did not ask for
    information: str
    purposes: str
    legal_basis: str
    legitimate_interest: str
    categories: str
    categories_intro: str
    category: str  # column heading: one category
    data_categories: str  # label: the categories a purpose uses
    details: str  # column heading: what a category holds
    retention: str
    legal_reference: str
    recipients: str
    authorities: str
    service: str
    country: str
    delivered: str
    not_delivered: str
    transfers: str
    recipient: str
    safeguard: str
    sources: str
    source: str
    kind: str
    record: str
    automated: str
    rights: str
    objection: str
    complaint: str
    data: str
    none_held: str
    times_note: str
    codes: str
    codes_intro: str
    columns: str
    files: str  # README.txt: the files of the CSV archive
    csv_format: str  # README.txt: how dates, times, amounts and empty values are written
    yes: str
    no: str
    page: str  # "Page {page} of {pages}"
    footer: str


@dataclass(frozen=True)
class AccessBundle:
    """The access package (Art. 15): the person's data and the information about it."""

    schema: str
    language: str
    reference: str
    generated_at: datetime
    email: str
    parts: tuple[str, ...]  # the parts asked for; empty means everything
    controller: Controller
    texts: AccessTexts
    layers: tuple[Layer, ...]
    information: Information
    tables: tuple[DataTable, ...]
    codes: tuple[CodeList, ...]

    def table(self, key: str) -> DataTable:
        return _keyed(self.tables, key)

    def code_list(self, key: str) -> CodeList:
        return _keyed(self.codes, key)

    def summary(self) -> dict[str, int]:
        """Entries per section, for the case page: counts only, never personal data."""
        counts = {table.key: len(table.rows) for table in self.tables if table.included}
        counts["purposes"] = len(self.information.purposes)
        counts["recipients"] = len(self.information.recipients)
        counts["transfers"] = len(self.information.transfers)
        return counts


@dataclass(frozen=True)
class Exclusion:
    """A category of the person's data that portability does not cover, and why (Art. 20(1))."""

    category: str
    name: str
    tables: tuple[str, ...]  # keys of the access package's tables the data live in
    entries: int
    legal_bases: tuple[str, ...]  # LegalBasis values of the purposes using the category
    reason: str  # the plain explanation, citing Art. 20(1)


@dataclass(frozen=True)
class PortabilityTexts:
    title: str
    intro: str
    scope: str  # which data are included, in general terms
    excluded: str  # heading for the data not covered
    other_rights: str  # access (Art. 15) gives a copy of everything
    complaint: str
    courts: str
    columns: str
    codes: str
    files: str
    csv_format: str
    none_held: str


@dataclass(frozen=True)
class PortabilityBundle:
    """The portability package (Art. 20): only what the person provided, on consent or contract."""

    schema: str
    language: str
    reference: str
    generated_at: datetime
    email: str
    controller: Controller
    texts: PortabilityTexts
    tables: tuple[DataTable, ...]
    excluded: tuple[Exclusion, ...]
    codes: tuple[CodeList, ...]

    def table(self, key: str) -> DataTable:
        return _keyed(self.tables, key)

    def summary(self) -> dict[str, int]:
        """Entries per section, and the number of categories left out: counts only."""
        counts = {table.key: len(table.rows) for table in self.tables}
        counts["excluded_categories"] = len(self.excluded)
        return counts
