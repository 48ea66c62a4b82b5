"""Collect the access package (Art. 15) and the portability package (Art. 20) of one address.

The one place that reads the person's records for a copy: every table holding rows of a
``Person`` whose normalised e-mail is exactly the verified address (never a similar name, never
the same company's other people), the person's requests, and the register (purposes, recipients,
retention rules, controller). Texts are translated here, under ``force_locale(language)``; the
renderers in ``app.exports`` only lay the package out. Call inside an app context.

Which register category a table's rows belong to depends on the record they hang off (a lead's
messages are "communication", a customer contact's are "customer"); which purposes, legal bases
and retention periods apply then comes from the register, never from code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel import Locale
from flask_babel import LazyString, force_locale, format_datetime, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.clock import STOCKHOLM
from app.core.authority import IMY
from app.core.workflow import RequestStatus, RequestType
from app.exports.bundle import (
    ACCESS_SCHEMA,
    PORTABILITY_SCHEMA,
    AccessBundle,
    AccessTexts,
    AccountingRow,
    AssignmentRow,
    CategoryInfo,
    CodeList,
    Column,
    ColumnType,
    CommunicationRow,
    CompanyRow,
    ComplaintInfo,
    ConsentRow,
    Controller,
    DataTable,
    Exclusion,
    Information,
    Layer,
    LeadDelivery,
    MeetingRow,
    PortabilityBundle,
    PortabilityTexts,
    PortableContactRow,
    PortableMessageRow,
    PurposeInfo,
    RecipientInfo,
    RecordRow,
    RequestRow,
    RightInfo,
    SourceInfo,
    SuppressionRow,
    TechnicalRow,
    TransferInfo,
)
from app.labels import STATUS_LABELS, TYPE_DESCRIPTIONS, TYPE_LABELS, cite_article
from app.models import (
    AccountingRecord,
    Assignment,
    Communication,
    Company,
    Consent,
    ControllerInfo,
    LegalBasis,
    Meeting,
    Person,
    PersonKind,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    RetentionTrigger,
    SubjectRequest,
    Suppression,
    TechnicalRecord,
)
from app.services.suppression import address_hash

LANGUAGES = ("sv", "en")

# The access form's parts (app.portal.forms.DATA_PARTS) and the tables each one covers. The
# person's requests and a suppression entry are always included: they are part of the answer.
PART_TABLES: dict[str, tuple[str, ...]] = {
    "contact": ("records", "companies", "assignments"),
    "communication": ("communications",),
    "meetings": ("meetings",),
    "consents": ("consents",),
    "technical": ("technical_records",),
    "customer": ("accounting_records",),
}
TABLE_ORDER = (
    "records",
    "companies",
    "assignments",
    "meetings",
    "consents",
    "accounting_records",
    "requests",
    "suppression",
    "communications",
    "technical_records",
)
LAYER_TWO = frozenset({"communications", "technical_records"})
_TABLE_PART = {table: part for part, tables in PART_TABLES.items() for table in tables}

# The register category (RetentionRule.category, Purpose.categories) of each table's rows, by
# the kind of record they belong to; a plain string applies to every kind.
_BY_KIND = dict[PersonKind, str]
TABLE_CATEGORIES: dict[str, str | _BY_KIND] = {
    "records": {PersonKind.LEAD: "lead_contact", PersonKind.CUSTOMER_CONTACT: "customer"},
    "companies": {PersonKind.LEAD: "lead_contact", PersonKind.CUSTOMER_CONTACT: "customer"},
    "assignments": {PersonKind.LEAD: "lead_contact", PersonKind.CUSTOMER_CONTACT: "customer"},
    "communications": {PersonKind.LEAD: "communication", PersonKind.CUSTOMER_CONTACT: "customer"},
    "meetings": {PersonKind.LEAD: "meetings", PersonKind.CUSTOMER_CONTACT: "customer"},
    "consents": "consents",
    "technical_records": "technical",
    "accounting_records": "accounting",
    "requests": "requests",
    "suppression": "suppression",
}

# EU member states and the other EEA states: transfers elsewhere need Art. 45/46 safeguards.
EEA = frozenset(
    ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
     "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO")
)  # fmt: skip
# Art. 20(1): portability covers processing based on consent or on a contract.
PORTABLE_BASES = frozenset({LegalBasis.CONSENT, LegalBasis.CONTRACT})


# --- labels ---------------------------------------------------------------------------------------

LEGAL_BASIS_TEXTS: dict[str, LazyString] = {
    LegalBasis.CONSENT: _l("Consent (Art. 6(1)(a) GDPR)"),
    LegalBasis.CONTRACT: _l("Performance of a contract (Art. 6(1)(b) GDPR)"),
    LegalBasis.LEGAL_OBLIGATION: _l("Legal obligation (Art. 6(1)(c) GDPR)"),
    LegalBasis.LEGITIMATE_INTEREST: _l("Legitimate interest (Art. 6(1)(f) GDPR)"),
}

RETENTION_FROM: dict[str, LazyString] = {
    RetentionTrigger.ASSIGNMENT_END: _l("%(period)s after the assignment ended"),
    RetentionTrigger.LAST_CONTACT: _l("%(period)s after our last contact with you"),
    RetentionTrigger.CONTRACT_END: _l("%(period)s after the contract ended"),
    RetentionTrigger.FISCAL_YEAR_END: _l("%(period)s after the end of the financial year"),
    RetentionTrigger.COLLECTED: _l("%(period)s after the data were collected"),
    RetentionTrigger.WITHDRAWAL: _l("%(period)s after you withdrew your consent"),
    RetentionTrigger.CASE_CLOSED: _l("%(period)s after the case was closed"),
}

RECIPIENT_KINDS: dict[str, LazyString] = {
    RecipientKind.PROCESSOR: _l("Processor: handles data on our behalf and on our instructions"),
    RecipientKind.CUSTOMER_SYSTEM: _l(
        "Customer's system: a customer of ours received your details and uses them as a "
        "controller in its own right"
    ),
    RecipientKind.AUTHORITY: _l("Authorities: only when the law requires us to disclose data"),
}

PERSON_KINDS: dict[str, LazyString] = {
    PersonKind.LEAD: _l("Lead: a person we contacted on behalf of a customer"),
    PersonKind.CUSTOMER_CONTACT: _l("Customer contact: a contact person at one of our customers"),
}

CHANNELS: dict[str, LazyString] = {
    "email": _l("E-mail"),
    "phone": _l("Phone call (our notes from the call)"),
    "linkedin": _l("Message on LinkedIn"),
    "sms": _l("Text message (SMS)"),
}

DIRECTIONS: dict[str, LazyString] = {
    "outbound": _l("From us to you"),
    "inbound": _l("From you to us"),
}

MEETING_STATUSES: dict[str, LazyString] = {
    "booked": _l("Booked, not yet held"),
    "held": _l("Held"),
    "cancelled": _l("Cancelled"),
    "no_show": _l("Not attended"),
}

RESTRICTION_GROUNDS: dict[str, LazyString] = {
    "accuracy": _l("You contested that the data are correct (Art. 18(1)(a) GDPR)"),
    "unlawful": _l(
        "The processing was unlawful and you asked for restriction (Art. 18(1)(b) GDPR)"
    ),
    "legal_claims": _l("You need the data for a legal claim (Art. 18(1)(c) GDPR)"),
    "objection": _l("You objected and we are checking our grounds (Art. 18(1)(d) GDPR)"),
}

SUPPRESSION_REASONS: dict[str, LazyString] = {
    "erasure": _l("Your data were erased at your request"),
    "objection": _l("You objected to being contacted"),
}


# --- the tables' columns --------------------------------------------------------------------------

INT, STR, TXT, DTM, DAY, BOOL, DEC, CODE = (
    ColumnType.INTEGER,
    ColumnType.STRING,
    ColumnType.TEXT,
    ColumnType.DATETIME,
    ColumnType.DATE,
    ColumnType.BOOLEAN,
    ColumnType.DECIMAL,
    ColumnType.CODE,
)
_Spec = tuple[str, LazyString, LazyString, ColumnType, str | None]

_NUMBER = _l("No.")
_RECORD = _l("Record")
_RECORD_HELP = _l("The number of the record (see Your records) this entry belongs to")
_ASSIGNMENT = _l("Assignment")
_ASSIGNMENT_HELP = _l("The number of the assignment (see Assignments) this entry belongs to")
_CUSTOMER = _l("Customer")
_CUSTOMER_HELP = _l("The customer of ours the contact was about")

COLUMNS: dict[str, tuple[_Spec, ...]] = {
    "records": (
        ("id", _NUMBER, _l("Our number for this record"), INT, None),
        ("email", _l("E-mail address"), _l("The e-mail address the record is filed under"), STR,
         None),
        ("name", _l("Name"), _l("Your name as we have it"), STR, None),
        ("phone", _l("Phone number"), _l("Your phone number, if we have one"), STR, None),
        ("job_title", _l("Job title"), _l("Your job title or role"), STR, None),
        ("company_id", _l("Company no."), _l("The number of your company (see Companies)"), INT,
         None),
        ("company", _l("Company"), _l("The name of your company"), STR, None),
        ("kind", _l("Kind of record"), _l("Whether you are a lead or a customer contact"), CODE,
         "person_kind"),
        ("source", _l("Source"), _l("Where we got your details from"), STR, None),
        ("created_at", _l("Created"), _l("When the record was created"), DTM, None),
        ("updated_at", _l("Last changed"), _l("When the record was last changed"), DTM, None),
        ("restricted_at", _l("Restricted since"),
         _l("Since when the record may only be stored (Art. 18 GDPR), if restricted"), DTM, None),
        ("restriction_ground", _l("Ground for restriction"), _l("Why the record is restricted"),
         CODE, "restriction_ground"),
        ("marketing_objection_at", _l("Objected to direct marketing"),
         _l("When you objected to direct marketing; we no longer contact you for it"), DTM, None),
    ),
    "companies": (
        ("id", _NUMBER, _l("Our number for the company"), INT, None),
        ("name", _l("Company"), _l("The company's name"), STR, None),
        ("org_number", _l("Org. no."), _l("The company's Swedish organisation number"), STR, None),
        ("city", _l("City"), _l("Where the company is"), STR, None),
        ("website", _l("Website"), _l("The company's website"), STR, None),
        ("is_customer", _l("Our customer"), _l("Whether the company is a customer of ours"), BOOL,
         None),
    ),
    "assignments": (
        ("id", _NUMBER, _l("Our number for the assignment"), INT, None),
        ("record_id", _RECORD, _RECORD_HELP, INT, None),
        ("customer_id", _l("Customer no."), _l("Our number for the customer"), INT, None),
        ("customer", _CUSTOMER, _l("The customer you were contacted for"), STR, None),
        ("campaign", _l("Campaign"), _l("The customer's campaign"), STR, None),
        ("started_on", _l("Started"), _l("When the assignment started"), DAY, None),
        ("ended_on", _l("Ended"), _l("When the assignment ended; empty while it runs"), DAY, None),
        ("recipient_id", _l("Recipient no."), _l("Our number for the customer's system"), INT,
         None),
        ("recipient", _l("Customer's system"),
         _l("The customer's system that received your details"), STR, None),
        ("delivered_at", _l("Delivered"),
         _l("When your details were passed to the customer's system; empty if not yet"), DTM,
         None),
    ),
    "communications": (
        ("id", _NUMBER, _l("Our number for the entry"), INT, None),
        ("record_id", _RECORD, _RECORD_HELP, INT, None),
        ("assignment_id", _ASSIGNMENT, _ASSIGNMENT_HELP, INT, None),
        ("customer", _CUSTOMER, _CUSTOMER_HELP, STR, None),
        ("occurred_at", _l("Time"), _l("When it was sent or took place"), DTM, None),
        ("channel", _l("Channel"), _l("E-mail, phone call, LinkedIn or text message"), CODE,
         "channel"),
        ("direction", _l("Direction"), _l("Whether it went from us to you or from you to us"), CODE,
         "direction"),
        ("subject", _l("Subject"), _l("The subject line or a heading"), STR, None),
        ("body", _l("Content"), _l("The message, or our notes from the call"), TXT, None),
    ),
    "meetings": (
        ("id", _NUMBER, _l("Our number for the meeting"), INT, None),
        ("record_id", _RECORD, _RECORD_HELP, INT, None),
        ("assignment_id", _ASSIGNMENT, _ASSIGNMENT_HELP, INT, None),
        ("customer", _CUSTOMER, _l("The customer the meeting was with"), STR, None),
        ("starts_at", _l("Time"), _l("When the meeting starts"), DTM, None),
        ("duration_minutes", _l("Minutes"), _l("How long the meeting is, in minutes"), INT, None),
        ("status", _l("Status"), _l("Whether the meeting is booked, held, cancelled or missed"),
         CODE, "meeting_status"),
        ("location", _l("Place"), _l("Where or how the meeting is held"), STR, None),
        ("notes", _l("Notes"), _l("Our notes about the meeting"), TXT, None),
    ),
    "consents": (
        ("id", _NUMBER, _l("Our number for the consent"), INT, None),
        ("record_id", _RECORD, _RECORD_HELP, INT, None),
        ("purpose", _l("Purpose code"), _l("The purpose you consented to, as a code"), CODE,
         "purpose"),
        ("purpose_name", _l("Purpose"), _l("The purpose you consented to"), STR, None),
        ("given_at", _l("Given"), _l("When you gave the consent"), DTM, None),
        ("withdrawn_at", _l("Withdrawn"), _l("When you withdrew it; empty if it still applies"),
         DTM, None),
        ("evidence", _l("How it was given"), _l("How and where you gave the consent"), STR, None),
        ("wants_policy_notices", _l("Policy news"),
         _l("Whether you asked to be told about changes to our privacy policy"), BOOL, None),
    ),
    "technical_records": (
        ("id", _NUMBER, _l("Our number for the entry"), INT, None),
        ("record_id", _RECORD, _RECORD_HELP, INT, None),
        ("occurred_at", _l("Time"), _l("When it happened"), DTM, None),
        ("event", _l("Event"), _l("What happened on our website"), STR, None),
        ("ip_address", _l("IP address"), _l("The IP address the visit came from"), STR, None),
        ("user_agent", _l("Browser"), _l("What the browser said about itself (user agent)"), TXT,
         None),
    ),
    "accounting_records": (
        ("id", _NUMBER, _l("Our number for the entry"), INT, None),
        ("record_id", _RECORD, _RECORD_HELP, INT, None),
        ("company_id", _l("Company no."), _l("The number of the company invoiced"), INT, None),
        ("company", _l("Company"), _l("The company invoiced"), STR, None),
        ("document_number", _l("Document"), _l("The invoice or voucher number"), STR, None),
        ("document_date", _l("Date"), _l("The date of the document"), DAY, None),
        ("description", _l("Description"), _l("What the document is for"), TXT, None),
        ("amount_sek", _l("Amount (SEK)"), _l("The amount in Swedish kronor"), DEC, None),
        ("reference_name", _l("Reference"), _l("The name printed as the reference"), STR, None),
    ),
    "requests": (
        ("id", _NUMBER, _l("Our number for the request"), INT, None),
        ("reference", _l("Reference"), _l("The request's reference"), STR, None),
        ("type", _l("Request"), _l("What you asked for"), CODE, "request_type"),
        ("status", _l("Status"), _l("Where the request stands"), CODE, "request_status"),
        ("received_at", _l("Received"), _l("When we received the request"), DTM, None),
        ("due_on", _l("Answer due"), _l("The date we must answer by"), DAY, None),
        ("closed_at", _l("Closed"), _l("When the request was closed; empty while open"), DTM,
         None),
    ),
    "suppression": (
        ("id", _NUMBER, _l("Our number for the entry"), INT, None),
        ("reason", _l("Reason"), _l("Why the address is on the list"), CODE, "suppression_reason"),
        ("created_at", _l("Added"), _l("When the entry was made"), DTM, None),
    ),
    # Portability (Art. 20)
    "contact_details": (
        ("id", _NUMBER, _l("Our number for this record"), INT, None),
        ("name", _l("Name"), _l("Your name as we have it"), STR, None),
        ("email", _l("E-mail address"), _l("Your e-mail address"), STR, None),
        ("phone", _l("Phone number"), _l("Your phone number, if we have one"), STR, None),
        ("job_title", _l("Job title"), _l("Your job title or role"), STR, None),
        ("company", _l("Company"), _l("The name of your company"), STR, None),
    ),
    "messages": (
        ("id", _NUMBER, _l("Our number for the entry"), INT, None),
        ("occurred_at", _l("Time"), _l("When you sent it"), DTM, None),
        ("channel", _l("Channel"), _l("E-mail, phone call, LinkedIn or text message"), CODE,
         "channel"),
        ("subject", _l("Subject"), _l("The subject line"), STR, None),
        ("body", _l("Content"), _l("Your message"), TXT, None),
    ),
}  # fmt: skip

TABLE_TEXTS: dict[str, tuple[LazyString, LazyString]] = {
    "records": (
        _l("Your records"),
        _l(
            "Each record is one entry in our register of leads and customer contacts. The same "
            "e-mail address can have several records, for example if we contacted you for two "
            "customers."
        ),
    ),
    "companies": (_l("Companies"), _l("The companies your records are linked to.")),
    "assignments": (
        _l("Assignments and the customers who received your details"),
        _l(
            "The customer assignments we contacted you for, which customer's system received "
            "your details, and when."
        ),
    ),
    "meetings": (_l("Meetings"), _l("Meetings we booked with you.")),
    "consents": (
        _l("Consents"),
        _l("The consents you have given us, and when any of them were withdrawn."),
    ),
    "accounting_records": (
        _l("Customer and invoice data"),
        _l(
            "Invoices and other accounting records that name you, which the Swedish Accounting "
            "Act requires us to keep."
        ),
    ),
    "requests": (
        _l("Your requests to us"),
        _l("Your requests about your personal data and where they stand."),
    ),
    "suppression": (
        _l("Suppression list"),
        _l(
            "A coded check value of your e-mail address that keeps you from being added again "
            "or contacted again. The address itself is not stored on the list."
        ),
    ),
    "communications": (
        _l("Communication history"),
        _l("Every e-mail, call note and message between you and us, oldest first."),
    ),
    "technical_records": (
        _l("Technical data from our website"),
        _l("Visits and actions on our website, with the IP address and the browser used."),
    ),
    "contact_details": (
        _l("Your contact details"),
        _l("The contact details you gave us as a contact person at one of our customers."),
    ),
    "portable_consents": (
        _l("Your consents"),
        _l("The consents you have given us, with when and how you gave them."),
    ),
    "messages": (
        _l("Your messages to us"),
        _l("The messages you sent us, where we process them under a contract or your consent."),
    ),
}

_CODE_TITLES: dict[str, LazyString] = {
    "person_kind": _l("Kind of record"),
    "channel": _l("Channel"),
    "direction": _l("Direction"),
    "meeting_status": _l("Meeting status"),
    "purpose": _l("Purposes"),
    "legal_basis": _l("Legal bases"),
    "category": _l("Categories of data"),
    "recipient_kind": _l("Kinds of recipient"),
    "retention_from": _l("When a retention period starts"),
    "restriction_ground": _l("Grounds for restriction"),
    "request_type": _l("Kinds of request"),
    "request_status": _l("Request status"),
    "suppression_reason": _l("Reasons for a suppression entry"),
}


# --- the access package ---------------------------------------------------------------------------


def collect_access_bundle(
    session: Session,
    email: str,
    *,
    language: str,
    parts: Sequence[str] | None,
    now: datetime,
    reference: str,
) -> AccessBundle:
    """Everything held about ``email`` (exact match) and the Art. 15(1)-(2) information.

    ``parts`` empty or None means everything; otherwise only the tables of those parts of the
    access form hold rows (the information is always complete). Reads only; never flushes.

    :raises ValueError: for an unknown language or part, or a naive ``now``.
    """
    chosen = _check(language, parts, now)
    register, records, kinds, counts = _holdings(session, email)
    ids = list(kinds)
    wanted = {table for part in chosen for table in PART_TABLES[part]} if chosen else None

    def included(key: str) -> bool:
        part = _TABLE_PART.get(key)
        return wanted is None or part is None or key in wanted

    with force_locale(language):
        loaders: dict[str, Callable[[], tuple[Any, ...]]] = {
            "records": lambda: records,
            "companies": lambda: _companies(session, ids),
            "assignments": lambda: _assignments(session, ids),
            "communications": lambda: _communications(session, ids),
            "meetings": lambda: _meetings(session, ids),
            "consents": lambda: _consents(session, ids, register, language),
            "technical_records": lambda: _technical(session, ids),
            "accounting_records": lambda: _accounting(session, ids),
            "requests": lambda: _requests(session, email),
            "suppression": lambda: _suppression(session, email),
        }
        tables = tuple(
            _table(key, TABLE_TEXTS[key], loaders[key]() if included(key) else (), included(key))
            for key in TABLE_ORDER
        )
        held = _held_categories(counts, kinds, tables)
        information = _information(session, register, language, email, records, held, kinds)
        return AccessBundle(
            schema=ACCESS_SCHEMA,
            language=language,
            reference=reference,
            generated_at=now,
            email=email,
            parts=tuple(chosen),
            controller=register.controller,
            texts=_access_texts(register.controller, reference, now, chosen),
            layers=_layers(),
            information=information,
            tables=tables,
            codes=_code_lists(register, language),
        )


def _holdings(
    session: Session, email: str
) -> tuple[
    _Register, tuple[RecordRow, ...], dict[int, PersonKind], dict[str, dict[PersonKind, int]]
]:
    """The register, the person's records, each record's kind and the entries per table and kind."""
    register = _Register.load(session)
    records = _records(session, email)
    kinds = {row.id: PersonKind(row.kind) for row in records}
    return register, records, kinds, _counts(session, list(kinds))


def _check(language: str, parts: Sequence[str] | None, now: datetime) -> list[str]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    chosen = list(dict.fromkeys(parts or ()))
    unknown = [part for part in chosen if part not in PART_TABLES]
    if unknown:
        raise ValueError(f"unknown parts {unknown!r}")
    return chosen


def _table(
    key: str,
    texts: tuple[LazyString, LazyString],
    rows: tuple[Any, ...],
    included: bool,
) -> DataTable:
    return DataTable(
        key=key,
        title=str(texts[0]),
        description=str(texts[1]),
        layer=2 if key in LAYER_TWO else 1,
        part=_TABLE_PART.get(key),
        included=included,
        columns=_columns(key),
        rows=rows,
    )


def _columns(key: str) -> tuple[Column, ...]:
    return tuple(
        Column(key=name, label=str(label), description=str(help_text), type=kind, codes=codes)
        for name, label, help_text, kind, codes in COLUMNS[key]
    )


# --- reading the records --------------------------------------------------------------------------


def _records(session: Session, email: str) -> tuple[RecordRow, ...]:
    query = (
        select(
            Person.id,
            Person.email,
            Person.name,
            Person.phone,
            Person.job_title,
            Person.company_id,
            Company.name,
            Person.kind,
            Person.source,
            Person.created_at,
            Person.updated_at,
            Person.restricted_at,
            Person.restriction_ground,
            Person.marketing_objection_at,
        )
        .outerjoin(Company, Company.id == Person.company_id)
        .where(Person.email == email)
        .order_by(Person.id)
    )
    return tuple(
        RecordRow(*row[:7], str(row[7]), *row[8:]) for row in session.execute(query).tuples()
    )


def _companies(session: Session, ids: list[int]) -> tuple[CompanyRow, ...]:
    if not ids:
        return ()
    mine = select(Person.company_id).where(Person.id.in_(ids))
    invoiced = select(AccountingRecord.company_id).where(AccountingRecord.person_id.in_(ids))
    query = (
        select(
            Company.id,
            Company.name,
            Company.org_number,
            Company.city,
            Company.website,
            Company.is_customer,
        )
        .where(Company.id.in_(mine) | Company.id.in_(invoiced))
        .order_by(Company.id)
    )
    return tuple(CompanyRow(*row) for row in session.execute(query).tuples())


def _assignments(session: Session, ids: list[int]) -> tuple[AssignmentRow, ...]:
    if not ids:
        return ()
    query = (
        select(
            Assignment.id,
            Assignment.person_id,
            Assignment.customer_id,
            Company.name,
            Assignment.campaign,
            Assignment.started_on,
            Assignment.ended_on,
            Assignment.recipient_id,
            Recipient.name,
            Assignment.delivered_at,
        )
        .join(Company, Company.id == Assignment.customer_id)
        .outerjoin(Recipient, Recipient.id == Assignment.recipient_id)
        .where(Assignment.person_id.in_(ids))
        .order_by(Assignment.started_on, Assignment.id)
    )
    return tuple(AssignmentRow(*row) for row in session.execute(query).tuples())


def _communications(
    session: Session, ids: list[int], *, direction: str | None = None
) -> tuple[CommunicationRow, ...]:
    if not ids:
        return ()
    work, customer = aliased(Assignment), aliased(Company)  # the customer of the entry
    query = (
        select(
            Communication.id,
            Communication.person_id,
            Communication.assignment_id,
            customer.name,
            Communication.occurred_at,
            Communication.channel,
            Communication.direction,
            Communication.subject,
            Communication.body,
        )
        .outerjoin(work, work.id == Communication.assignment_id)
        .outerjoin(customer, customer.id == work.customer_id)
        .where(Communication.person_id.in_(ids))
        .order_by(Communication.occurred_at, Communication.id)
    )
    if direction is not None:
        query = query.where(Communication.direction == direction)
    return tuple(CommunicationRow(*row) for row in session.execute(query).tuples())


def _meetings(session: Session, ids: list[int]) -> tuple[MeetingRow, ...]:
    if not ids:
        return ()
    work, customer = aliased(Assignment), aliased(Company)
    query = (
        select(
            Meeting.id,
            Meeting.person_id,
            Meeting.assignment_id,
            customer.name,
            Meeting.starts_at,
            Meeting.duration_minutes,
            Meeting.status,
            Meeting.location,
            Meeting.notes,
        )
        .outerjoin(work, work.id == Meeting.assignment_id)
        .outerjoin(customer, customer.id == work.customer_id)
        .where(Meeting.person_id.in_(ids))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return tuple(MeetingRow(*row) for row in session.execute(query).tuples())


def _consents(
    session: Session, ids: list[int], register: _Register, language: str
) -> tuple[ConsentRow, ...]:
    if not ids:
        return ()
    query = (
        select(
            Consent.id,
            Consent.person_id,
            Consent.purpose_id,
            Consent.given_at,
            Consent.withdrawn_at,
            Consent.evidence,
            Consent.wants_policy_notices,
        )
        .where(Consent.person_id.in_(ids))
        .order_by(Consent.given_at, Consent.id)
    )
    rows = []
    for id_, person_id, purpose_id, given, withdrawn, evidence, notices in session.execute(query):
        purpose = register.purposes_by_id[purpose_id]
        rows.append(
            ConsentRow(
                id=id_,
                record_id=person_id,
                purpose=purpose.code,
                purpose_name=getattr(purpose, f"name_{language}"),
                given_at=given,
                withdrawn_at=withdrawn,
                evidence=evidence,
                wants_policy_notices=notices,
            )
        )
    return tuple(rows)


def _technical(session: Session, ids: list[int]) -> tuple[TechnicalRow, ...]:
    if not ids:
        return ()
    query = (
        select(
            TechnicalRecord.id,
            TechnicalRecord.person_id,
            TechnicalRecord.occurred_at,
            TechnicalRecord.event,
            TechnicalRecord.ip_address,
            TechnicalRecord.user_agent,
        )
        .where(TechnicalRecord.person_id.in_(ids))
        .order_by(TechnicalRecord.occurred_at, TechnicalRecord.id)
    )
    return tuple(TechnicalRow(*row) for row in session.execute(query).tuples())


def _accounting(session: Session, ids: list[int]) -> tuple[AccountingRow, ...]:
    if not ids:
        return ()
    query = (
        select(
            AccountingRecord.id,
            AccountingRecord.person_id,
            AccountingRecord.company_id,
            Company.name,
            AccountingRecord.document_number,
            AccountingRecord.document_date,
            AccountingRecord.description,
            AccountingRecord.amount_sek,
            AccountingRecord.reference_name,
        )
        .join(Company, Company.id == AccountingRecord.company_id)
        .where(AccountingRecord.person_id.in_(ids))
        .order_by(AccountingRecord.document_date, AccountingRecord.id)
    )
    return tuple(AccountingRow(*row) for row in session.execute(query).tuples())


def _requests(session: Session, email: str) -> tuple[RequestRow, ...]:
    query = (
        select(
            SubjectRequest.id,
            SubjectRequest.reference,
            SubjectRequest.type,
            SubjectRequest.status,
            SubjectRequest.received_at,
            SubjectRequest.due_on,
            SubjectRequest.closed_at,
        )
        .where(SubjectRequest.email == email)
        .order_by(SubjectRequest.received_at, SubjectRequest.id)
    )
    return tuple(
        RequestRow(id_, ref, str(kind), str(status), received, due, closed)
        for id_, ref, kind, status, received, due, closed in session.execute(query)
    )


def _suppression(session: Session, email: str) -> tuple[SuppressionRow, ...]:
    query = select(Suppression.id, Suppression.reason, Suppression.created_at).where(
        Suppression.email_hash == address_hash(email)
    )
    return tuple(SuppressionRow(*row) for row in session.execute(query).tuples())


_COUNTED: dict[str, Any] = {
    "communications": Communication,
    "meetings": Meeting,
    "consents": Consent,
    "technical_records": TechnicalRecord,
    "accounting_records": AccountingRecord,
    "assignments": Assignment,
}


def _counts(session: Session, ids: list[int]) -> dict[str, dict[PersonKind, int]]:
    """Rows per table and kind of record, whatever parts were asked for (for the information)."""
    counts: dict[str, dict[PersonKind, int]] = {}
    if not ids:
        return counts
    for key, model in _COUNTED.items():
        query = (
            select(Person.kind, func.count(model.id))
            .join(Person, Person.id == model.person_id)
            .where(model.person_id.in_(ids))
            .group_by(Person.kind)
        )
        counts[key] = {PersonKind(kind): number for kind, number in session.execute(query)}
    return counts


# --- the register ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Register:
    controller: Controller
    purposes: tuple[Purpose, ...]
    purposes_by_id: dict[int, Purpose]
    rules: tuple[RetentionRule, ...]
    recipients: tuple[Recipient, ...]

    @classmethod
    def load(cls, session: Session) -> _Register:
        info = session.scalar(select(ControllerInfo).order_by(ControllerInfo.id).limit(1))
        if info is None:
            raise ValueError("the register has no controller: seed or fill in the register first")
        purposes = tuple(session.scalars(select(Purpose).order_by(Purpose.position, Purpose.id)))
        return cls(
            controller=Controller(
                name=info.name,
                org_number=info.org_number,
                street=info.street,
                postal_code=info.postal_code,
                city=info.city,
                country=info.country,
                email=info.email,
                dpo_email=info.dpo_email,
                phone=info.phone,
                website=info.website,
            ),
            purposes=purposes,
            purposes_by_id={purpose.id: purpose for purpose in purposes},
            rules=tuple(session.scalars(select(RetentionRule).order_by(RetentionRule.id))),
            recipients=tuple(session.scalars(select(Recipient).order_by(Recipient.id))),
        )

    def bases_of(self, category: str) -> set[LegalBasis]:
        return {p.legal_basis for p in self.purposes if category in (p.categories or ())}

    def purposes_of(self, category: str) -> list[Purpose]:
        return [p for p in self.purposes if category in (p.categories or ())]

    def rule(self, category: str) -> RetentionRule | None:
        return next((rule for rule in self.rules if rule.category == category), None)


def _category(table: str, kind: PersonKind | None) -> str:
    mapping = TABLE_CATEGORIES[table]
    if isinstance(mapping, str):
        return mapping
    return mapping[kind or PersonKind.LEAD]


def _held_categories(
    counts: dict[str, dict[PersonKind, int]],
    kinds: dict[int, PersonKind],
    tables: Iterable[DataTable],
) -> dict[str, list[str]]:
    """Category code -> the tables holding rows of it, over every table (not only those asked)."""
    held: dict[str, list[str]] = defaultdict(list)

    def add(category: str, table: str) -> None:
        if table not in held[category]:
            held[category].append(table)

    for kind in kinds.values():
        add(_category("records", kind), "records")
    for table in tables:
        if table.key in ("requests", "suppression") and table.rows:
            add(_category(table.key, None), table.key)
    for table, by_kind in counts.items():
        for kind, number in by_kind.items():
            if number:
                add(_category(table, kind), table)
    return dict(held)


def _information(
    session: Session,
    register: _Register,
    language: str,
    email: str,
    records: tuple[RecordRow, ...],
    held: dict[str, list[str]],
    kinds: dict[int, PersonKind],
) -> Information:
    ordered = [rule.category for rule in register.rules if rule.category in held]
    ordered += sorted(code for code in held if code not in ordered)
    purposes = [
        purpose
        for purpose in register.purposes
        if any(category in held for category in (purpose.categories or ()))
    ]
    recipients, authorities = _recipients(session, register, language, list(kinds))
    transfers = tuple(
        TransferInfo(
            recipient=recipient.name,
            country=recipient.country,
            country_name=recipient.country_name,
            safeguard=recipient.safeguard
            or gettext(
                "Our register names no safeguard for this transfer. Ask us and we will tell you "
                "how your data are protected."
            ),
        )
        for recipient in recipients
        if recipient.third_country
    )
    processed = bool(held)
    if records:
        confirmation = gettext(
            "Yes: we process personal data about you. This document is a copy of the records we "
            "hold under the e-mail address %(email)s, with the information you are entitled to "
            "under Art. 15 GDPR.",
            email=email,
        )
    elif processed:
        confirmation = gettext(
            "We hold no records about the e-mail address %(email)s among our leads, customer "
            "contacts, meetings or website data. The only data about you that we process concern "
            "your requests to us; they are listed in this document.",
            email=email,
        )
    else:
        confirmation = gettext(
            "We do not process any personal data about the e-mail address %(email)s.",
            email=email,
        )
    dpo = register.controller.dpo_email or register.controller.email
    return Information(
        processed=processed,
        confirmation=confirmation,
        purposes=tuple(_purpose(purpose, language) for purpose in purposes),
        categories=tuple(_category_info(code, held[code], register, language) for code in ordered),
        recipients=recipients,
        authorities=authorities,
        recipients_text=(
            gettext(
                "These receive or have access to your data. Processors handle them only on our "
                "behalf. Customers whose systems received your details use them as controllers "
                "in their own right; you can also turn to them directly."
            )
            if recipients
            else gettext("No one has received data about you from us.")
        ),
        transfers=transfers,
        transfers_text=(
            gettext(
                "Some recipients of your data are outside the EU/EEA. This is how your data are "
                "protected there (Art. 15(2) and 46 GDPR):"
            )
            if transfers
            else gettext("None of the recipients of your data is outside the EU/EEA.")
        ),
        sources=tuple(SourceInfo(row.id, row.kind, row.source) for row in records),
        sources_text=(
            gettext(
                "Where we did not get your data from you, this is where they came from "
                "(Art. 15(1)(g) GDPR). Each record names its source:"
            )
            if records
            else gettext("The details of your requests come from you.")
        ),
        automated_decisions=gettext(
            "We do not make decisions about you based solely on automated processing, including "
            "profiling, that produce legal effects concerning you or similarly significantly "
            "affect you. Your data are not used for any such decision (Art. 15(1)(h) and 22 GDPR)."
        ),
        rights=_rights(),
        rights_text=gettext(
            "To use any of these rights, make a request in our portal or write to us at "
            "%(email)s. It is free of charge.",
            email=dpo,
        ),
        objection=" ".join(
            (
                gettext("Your right to object."),
                gettext(
                    "You can at any time object to our use of your data for direct marketing, "
                    "and we will stop at once. You can also object to processing based on our "
                    "legitimate interest, on grounds relating to your situation (Art. 21)."
                ),
            )
        ),
        complaint=_complaint(language),
    )


def _purpose(purpose: Purpose, language: str) -> PurposeInfo:
    interest = getattr(purpose, f"interest_{language}")
    return PurposeInfo(
        code=purpose.code,
        name=getattr(purpose, f"name_{language}"),
        description=getattr(purpose, f"description_{language}"),
        legal_basis=str(purpose.legal_basis),
        legal_basis_text=str(LEGAL_BASIS_TEXTS[purpose.legal_basis]),
        legitimate_interest=(
            interest if purpose.legal_basis is LegalBasis.LEGITIMATE_INTEREST else None
        ),
        categories=tuple(purpose.categories or ()),
    )


def _period(months: int) -> str:
    if months >= 24 and months % 12 == 0:
        return ngettext("%(num)d year", "%(num)d years", months // 12)
    return ngettext("%(num)d month", "%(num)d months", months)


def _category_info(
    code: str, tables: list[str], register: _Register, language: str
) -> CategoryInfo:
    rule = register.rule(code)
    purposes = tuple(purpose.code for purpose in register.purposes_of(code))
    if rule is None:
        return CategoryInfo(
            code=code,
            name=code,
            description="",
            retention_months=None,
            retention_from=None,
            retention_text=gettext(
                "Our register gives no retention period for these data. Ask us and we will "
                "tell you how long we keep them."
            ),
            legal_reference=None,
            tables=tuple(tables),
            purposes=purposes,
        )
    template = RETENTION_FROM.get(rule.trigger)
    period = _period(rule.months)
    return CategoryInfo(
        code=code,
        name=getattr(rule, f"name_{language}"),
        description=getattr(rule, f"description_{language}"),
        retention_months=rule.months,
        retention_from=str(rule.trigger),
        retention_text=str(template % {"period": period}) if template else period,
        legal_reference=rule.legal_reference,
        tables=tuple(tables),
        purposes=purposes,
    )


def _country(code: str, language: str) -> str:
    return Locale.parse(language).territories.get(code.upper(), code)


def _recipients(
    session: Session, register: _Register, language: str, ids: list[int]
) -> tuple[tuple[RecipientInfo, ...], tuple[RecipientInfo, ...]]:
    """Processors and the customers' systems of the person's assignments; authorities apart."""
    if not ids:
        return (), ()
    deliveries: dict[int, list[LeadDelivery]] = defaultdict(list)
    query = (
        select(
            Assignment.recipient_id,
            Assignment.id,
            Company.name,
            Assignment.campaign,
            Assignment.delivered_at,
        )
        .join(Company, Company.id == Assignment.customer_id)
        .where(Assignment.person_id.in_(ids), Assignment.recipient_id.is_not(None))
        .order_by(Assignment.started_on, Assignment.id)
    )
    for recipient_id, assignment_id, customer, campaign, delivered_at in session.execute(query):
        deliveries[recipient_id].append(
            LeadDelivery(assignment_id, customer, campaign, delivered_at)
        )

    def info(recipient: Recipient) -> RecipientInfo:
        third = recipient.country.upper() not in EEA
        return RecipientInfo(
            id=recipient.id,
            name=recipient.name,
            kind=str(recipient.kind),
            kind_text=str(RECIPIENT_KINDS[recipient.kind]),
            service=getattr(recipient, f"service_{language}"),
            country=recipient.country.upper(),
            country_name=_country(recipient.country, language),
            third_country=third,
            safeguard=getattr(recipient, f"safeguard_{language}") if third else None,
            deliveries=tuple(deliveries.get(recipient.id, ())),
        )

    processors = [r for r in register.recipients if r.kind is RecipientKind.PROCESSOR and r.active]
    systems = [r for r in register.recipients if r.id in deliveries]
    systems.sort(key=lambda r: (deliveries[r.id][0].assignment_id, r.id))
    authorities = [r for r in register.recipients if r.kind is RecipientKind.AUTHORITY and r.active]
    return (
        tuple(info(r) for r in [*processors, *systems]),
        tuple(info(r) for r in authorities),
    )


def _rights() -> tuple[RightInfo, ...]:
    shown = (
        RequestType.ACCESS,
        RequestType.RECTIFICATION,
        RequestType.ERASURE,
        RequestType.RESTRICTION,
        RequestType.PORTABILITY,
        RequestType.OBJECTION,
        RequestType.CONSENT_WITHDRAWAL,
    )
    rights = [
        RightInfo(
            code=str(kind),
            article=cite_article(kind.article),
            name=str(TYPE_LABELS[kind]),
            description=str(TYPE_DESCRIPTIONS[kind]),
        )
        for kind in shown
    ]
    rights.append(
        RightInfo(
            code="automated_decisions",
            article=cite_article("22"),
            name=gettext("Not to be subject to automated decisions"),
            description=gettext(
                "You have the right not to be subject to a decision based solely on automated "
                "processing that has legal or similarly significant effects on you."
            ),
        )
    )
    return tuple(rights)


def _complaint(language: str) -> ComplaintInfo:
    return ComplaintInfo(
        authority=IMY.name(language),
        short_name=IMY.short_name,
        postal_address=IMY.postal_address,
        url=IMY.complaint_url(language),
        text=gettext(
            "You have the right to lodge a complaint with the supervisory authority, "
            "%(authority)s (IMY), %(address)s, %(url)s. You may also complain to the "
            "supervisory authority of the EU country where you live or work, or where the "
            "infringement took place.",
            authority=IMY.name(language),
            address=IMY.postal_address,
            url=IMY.complaint_url(language),
        ),
        courts=gettext(
            "You also have the right to take the matter to court (Art. 79 GDPR): in Sweden the "
            "general courts (tingsrätt), or the courts of the EU country where you live."
        ),
    )


def _layers() -> tuple[Layer, ...]:
    one = tuple(key for key in TABLE_ORDER if key not in LAYER_TWO)
    two = tuple(key for key in TABLE_ORDER if key in LAYER_TWO)
    return (
        Layer(
            number=1,
            title=gettext("Part 1: summary and core data"),
            description=gettext(
                "A summary, how we process your data and why, and your core data: your records "
                "and companies, the assignments and the customers who received your details, "
                "meetings, consents, customer and invoice data, and your requests to us."
            ),
            tables=one,
        ),
        Layer(
            number=2,
            title=gettext("Part 2: full communication history and technical logs"),
            description=gettext(
                "Every e-mail, call note and message between you and us, and the technical data "
                "from our website (IP address, browser). This part can be long."
            ),
            tables=two,
        ),
    )


def _access_texts(
    controller: Controller, reference: str, now: datetime, parts: list[str]
) -> AccessTexts:
    from app.portal.forms import DATA_PARTS  # the form's labels for the parts asked for

    labels = dict(DATA_PARTS)
    scope = (
        gettext(
            "Only the parts you asked for: %(parts)s",
            parts=", ".join(str(labels[p]) for p in parts),
        )
        if parts
        else gettext("Everything we hold about you")
    )
    return AccessTexts(
        title=gettext("Your personal data"),
        subtitle=gettext("A copy of your data and how we process them (Art. 15 GDPR)"),
        contents=gettext("Contents"),
        reference=gettext("Reference"),
        generated=gettext("Produced"),
        generated_value=format_datetime(now.astimezone(STOCKHOLM), "d MMMM y, HH:mm"),
        concerning=gettext("E-mail address"),
        controller=gettext("Controller"),
        scope=gettext("Scope"),
        scope_value=scope,
        about=gettext("About this document"),
        confirmation=gettext("Do we process data about you?"),
        layers=gettext("How this copy is organised"),
        layers_intro=gettext(
            "This copy has two parts, and you get both in full now: you do not need to ask "
            "again to get either of them. The same data are also available as machine-readable "
            "JSON and CSV files."
        ),
        summary=gettext("Summary"),
        summary_intro=gettext("How many entries of each kind this copy contains."),
        section=gettext("Section"),
        entries=gettext("Entries"),
        not_requested=gettext(
            "Not included: you asked for other parts only. Ask us if you want this part too."
        ),
        information=gettext("How we process your data"),
        purposes=gettext("Purposes and legal basis"),
        legal_basis=gettext("Legal basis"),
        legitimate_interest=gettext("Our legitimate interest"),
        categories=gettext("Categories of data and how long we keep them"),
        categories_intro=gettext(
            "The kinds of data we hold about you, and the retention period for each."
        ),
        category=gettext("Category"),
        data_categories=gettext("Categories of data"),
        details=gettext("What it covers"),
        retention=gettext("Kept for"),
        legal_reference=gettext("Legal requirement"),
        recipients=gettext("Who receives your data"),
        authorities=gettext("Authorities"),
        service=gettext("What they do"),
        country=gettext("Country"),
        delivered=gettext("Received your details"),
        not_delivered=gettext("Not delivered yet"),
        transfers=gettext("Transfers outside the EU/EEA"),
        recipient=gettext("Recipient"),
        safeguard=gettext("Safeguard"),
        sources=gettext("Where your data came from"),
        source=gettext("Source"),
        kind=gettext("Kind of record"),
        record=gettext("Record"),
        automated=gettext("Automated decisions and profiling"),
        rights=gettext("Your rights"),
        objection=gettext("Your right to object"),
        complaint=gettext("Complaints"),
        data=gettext("Your data"),
        none_held=gettext("We hold no data of this kind about you."),
        times_note=gettext("Times are Swedish time (Europe/Stockholm)."),
        codes=gettext("Explanation of codes"),
        codes_intro=gettext(
            "The machine-readable files use these internal codes. This is what they mean."
        ),
        columns=gettext("Columns"),
        files=gettext("Files"),
        csv_format=_csv_format(),
        yes=gettext("Yes"),
        no=gettext("No"),
        page=gettext("Page %(page)s of %(pages)s", page="{page}", pages="{pages}"),
        footer=gettext(
            "%(controller)s · reference %(reference)s",
            controller=controller.name,
            reference=reference,
        ),
    )


def _csv_format() -> str:
    return gettext(
        "Each CSV file is UTF-8 text (with a byte order mark, so that spreadsheet programs show "
        "å, ä and ö correctly), separated by commas, with the column names in the first row. "
        "Times are written as 2026-11-24T09:00:00Z in UTC: Swedish time is one hour ahead in "
        "winter and two in summer. Dates are written as 2026-11-24. Amounts have a decimal "
        "point. Yes/no columns hold true or false. An empty field means that there is no value."
    )


def _code_lists(register: _Register, language: str) -> tuple[CodeList, ...]:
    def listed(key: str, pairs: Iterable[tuple[Any, Any]]) -> CodeList:
        return CodeList(
            key=key,
            title=str(_CODE_TITLES[key]),
            codes=tuple((str(code), str(meaning)) for code, meaning in pairs),
        )

    categories = [(rule.category, getattr(rule, f"name_{language}")) for rule in register.rules]
    return (
        listed("person_kind", PERSON_KINDS.items()),
        listed("channel", CHANNELS.items()),
        listed("direction", DIRECTIONS.items()),
        listed("meeting_status", MEETING_STATUSES.items()),
        listed("purpose", [(p.code, getattr(p, f"name_{language}")) for p in register.purposes]),
        listed("legal_basis", LEGAL_BASIS_TEXTS.items()),
        listed("category", categories),
        listed("recipient_kind", RECIPIENT_KINDS.items()),
        listed(
            "retention_from",
            [(trigger, template % {"period": "N"}) for trigger, template in RETENTION_FROM.items()],
        ),
        listed("restriction_ground", RESTRICTION_GROUNDS.items()),
        listed("request_type", ((kind.value, TYPE_LABELS[kind]) for kind in RequestType)),
        listed("request_status", ((s.value, STATUS_LABELS[s]) for s in RequestStatus)),
        listed("suppression_reason", SUPPRESSION_REASONS.items()),
    )


# --- the portability package ----------------------------------------------------------------------


def collect_portability_bundle(
    session: Session, email: str, *, language: str, now: datetime, reference: str
) -> PortabilityBundle:
    """The data ``email`` provided, where processed on consent or contract (Art. 20(1)).

    A category is portable when a purpose using it rests on consent or contract (from the
    register). Within it, only what the person provided counts: their own contact details, the
    consents they gave, the messages they sent us; never our own notes, meetings we booked or
    accounting records. Everything else is listed in ``excluded`` with the reason.

    :raises ValueError: for an unknown language or a naive ``now``.
    """
    _check(language, None, now)
    register, records, kinds, counts = _holdings(session, email)
    ids = list(kinds)

    def portable(category: str) -> bool:
        return bool(register.bases_of(category) & PORTABLE_BASES)

    with force_locale(language):
        contacts = tuple(
            PortableContactRow(row.id, row.name, row.email, row.phone, row.job_title, row.company)
            for row in records
            if portable(_category("records", kinds[row.id]))
        )
        consents = tuple(
            row
            for row in _consents(session, ids, register, language)
            if portable(_category("consents", kinds[row.record_id]))
        )
        sent = [
            row
            for row in _inbound(session, ids)
            if portable(_category("communications", kinds[row.record_id]))
        ]
        messages = tuple(
            PortableMessageRow(row.id, row.occurred_at, row.channel, row.subject, row.body)
            for row in sent
        )
        inbound: dict[PersonKind, int] = defaultdict(int)
        for row in sent:
            inbound[kinds[row.record_id]] += 1
        tables = (
            _portable_table("contact_details", "contact_details", contacts),
            _portable_table("consents", "portable_consents", consents, columns="consents"),
            _portable_table("messages", "messages", messages),
        )
        requests = len(_requests(session, email))
        excluded = _exclusions(register, kinds, counts, portable, inbound, requests, language)
        complaint = _complaint(language)
        return PortabilityBundle(
            schema=PORTABILITY_SCHEMA,
            language=language,
            reference=reference,
            generated_at=now,
            email=email,
            controller=register.controller,
            texts=PortabilityTexts(
                title=gettext("Your data for portability (Art. 20 GDPR)"),
                intro=gettext(
                    "The personal data you provided to us, in a structured, machine-readable "
                    "format, so that you can reuse them or give them to another company."
                ),
                scope=gettext(
                    "Portability covers the data you provided to us where we process them on the "
                    "basis of your consent or of a contract (Art. 20(1) GDPR): your contact "
                    "details as a contact person at a customer, the consents you gave and the "
                    "messages you sent us under a contract."
                ),
                excluded=gettext("Data that portability does not cover, and why"),
                other_rights=gettext(
                    "You can get a copy of all the data we hold about you, including the data "
                    "left out here, through a request for access (Art. 15 GDPR)."
                ),
                complaint=complaint.text,
                courts=complaint.courts,
                columns=gettext("Columns"),
                codes=gettext("Explanation of codes"),
                files=gettext("Files"),
                csv_format=_csv_format(),
                none_held=gettext(
                    "We hold no data about you that portability covers; see the explanation below."
                ),
            ),
            tables=tables,
            excluded=excluded,
            codes=_code_lists(register, language),
        )


def _portable_table(
    key: str, texts: str, rows: tuple[Any, ...], *, columns: str | None = None
) -> DataTable:
    title, description = TABLE_TEXTS[texts]
    return DataTable(
        key=key,
        title=str(title),
        description=str(description),
        layer=1,
        part=None,
        included=True,
        columns=_columns(columns or key),
        rows=rows,
    )


def _inbound(session: Session, ids: list[int]) -> tuple[CommunicationRow, ...]:
    """Messages the person sent us: only these of the communication history did they provide."""
    return _communications(session, ids, direction="inbound")


_NOT_PROVIDED = {
    # Rows the controller made itself, so not "provided by" the person whatever the basis.
    "assignments",
    "meetings",
    "accounting_records",
}


def _exclusions(
    register: _Register,
    kinds: dict[int, PersonKind],
    counts: dict[str, dict[PersonKind, int]],
    portable: Callable[[str], bool],
    inbound: dict[PersonKind, int],
    requests: int,
    language: str,
) -> tuple[Exclusion, ...]:
    """The person's categories portability leaves out: by legal basis, or as not provided."""
    by_category: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)

    def add(category: str, why: str, table: str, number: int) -> None:
        if number:
            entries = by_category[(category, why)]
            entries[table] = entries.get(table, 0) + number

    for kind in kinds.values():
        category = _category("records", kind)
        if not portable(category):
            add(category, "basis", "records", 1)
    for table, by_kind in counts.items():
        for kind, number in by_kind.items():
            category = _category(table, kind)
            if not portable(category):
                add(category, "basis", table, number)
            elif table in _NOT_PROVIDED:
                add(category, "provided", table, number)
            elif table == "communications":
                # Only the messages the person sent us are "provided" by them; not ours.
                add(category, "provided", table, number - inbound.get(kind, 0))
    category = _category("requests", None)
    if not portable(category):
        add(category, "basis", "requests", requests)

    exclusions = []
    order = {rule.category: index for index, rule in enumerate(register.rules)}
    for (category, why), tables in sorted(
        by_category.items(), key=lambda item: (order.get(item[0][0], 99), item[0])
    ):
        bases = sorted({str(b) for b in register.bases_of(category)})
        rule = register.rule(category)
        exclusions.append(
            Exclusion(
                category=category,
                name=getattr(rule, f"name_{language}") if rule else category,
                tables=tuple(tables),
                entries=sum(tables.values()),
                legal_bases=tuple(bases),
                reason=_reason(why, register.bases_of(category)),
            )
        )
    return tuple(exclusions)


def _reason(why: str, bases: set[LegalBasis]) -> str:
    if why == "provided":
        return gettext(
            "Portability covers only data you provided to us (Art. 20(1) GDPR). These are "
            "records we made ourselves, such as our own messages and notes, bookings and "
            "invoices, so portability does not apply to them."
        )
    named = ", ".join(str(LEGAL_BASIS_TEXTS[basis]) for basis in sorted(bases)) or gettext(
        "no purpose in our register"
    )
    text = gettext(
        "Portability applies only to data we process on the basis of your consent or of a "
        "contract (Art. 20(1) GDPR). We process these data on another basis: %(bases)s. So "
        "portability does not apply to them.",
        bases=named,
    )
    if LegalBasis.LEGITIMATE_INTEREST in bases:
        text += " " + gettext(
            "You can object to this processing at any time (Art. 21 GDPR), and you can get a "
            "copy of the data through a request for access (Art. 15 GDPR)."
        )
    return text
