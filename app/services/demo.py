"""Realistic Swedish demo data at any size: customers, their systems, leads and their history.

Deterministic: the same ``seed`` gives the same people, companies and texts (times are relative to
the ``now`` passed in; the clock is never read). Fast: rows are plain dicts with primary keys
assigned here, written with ``session.execute(insert(Model), rows)`` in chunks, so children refer
to their parents without flushes and no ORM object is made per row.

A few fixed people (``DEMO_ADDRESSES``) exist in every run, so an operator can try the portal.
"""

from __future__ import annotations

import bisect
import math
import random
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from app.clock import STOCKHOLM, stockholm_date
from app.core.permissions import StaffRole
from app.core.workflow import Channel, RequestStatus, RequestType
from app.models import (
    AccountingRecord,
    Assignment,
    Communication,
    Company,
    Consent,
    EmailStatus,
    Meeting,
    Message,
    OutboundEmail,
    Person,
    PersonKind,
    Purpose,
    Recipient,
    RecipientKind,
    StaffUser,
    SubjectRequest,
    TechnicalRecord,
)
from app.services import (
    audit,
    casework,
    decisions,
    intake,
    processing,
    staff_accounts,
    suppression,
)
from app.services.register_seed import seed_register

CHUNK_ROWS = 5_000
CUSTOMERS = 20
LEADS_PER_COMPANY = 15
HISTORY_DAYS = 730  # every generated time lies within the two years before ``now``
MARKETING_PURPOSE = "direct_marketing"

# ---------------------------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Anna", "Eva", "Maria", "Karin", "Sara", "Kristina", "Lena", "Emma", "Elin", "Ida",
    "Johanna", "Malin", "Sofia", "Linnéa", "Åsa", "Märta", "Ingrid", "Helena", "Camilla",
    "Jenny", "Louise", "Frida", "Hanna", "Amanda", "Julia", "Matilda", "Klara", "Ebba", "Alice",
    "Maja", "Elsa", "Astrid", "Saga", "Wilma", "Agnes", "Tove", "Cecilia", "Annika", "Katarina",
    "Susanne", "Therese", "Josefin", "Sanna", "Lovisa", "Ann-Sofie", "Anna-Karin", "Yasmin",
    "Leila", "Mira", "Görel",
    "Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Nils", "Mikael", "Jan", "Hans", "Peter",
    "Olof", "Gunnar", "Sven", "Fredrik", "Bengt", "Åke", "Göran", "Björn", "Stefan", "Thomas",
    "Daniel", "Magnus", "Mattias", "Jonas", "Andreas", "Niklas", "Henrik", "Martin", "Oskar",
    "Viktor", "Gustav", "Axel", "Filip", "Hugo", "Ludvig", "Elias", "Isak", "Emil", "Anton",
    "Jesper", "Joakim", "Tobias", "Rasmus", "Måns", "Jörgen", "Örjan", "Per-Olof", "Lars-Erik",
    "André", "Omar", "Ahmed",
)  # fmt: skip

LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson",
    "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Olofsson", "Lindström", "Lindqvist",
    "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist",
    "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg",
    "Wallin", "Engström", "Eklund", "Danielsson", "Lundin", "Håkansson", "Björk", "Bergman",
    "Gunnarsson", "Holm", "Wikström", "Samuelsson", "Isaksson", "Fransson", "Bergqvist",
    "Nyström", "Holmberg", "Arvidsson", "Löfgren", "Söderberg", "Nyberg", "Blomqvist",
    "Claesson", "Nordström", "Mårtensson", "Lundström", "Viklund", "Björklund", "Eliasson",
    "Pålsson", "Berggren", "Sandström", "Nordin", "Ström", "Åberg", "Hermansson", "Ekström",
    "Holmgren", "Sundberg", "Hedlund", "Dahlberg", "Hellström", "Sjögren", "Abrahamsson", "Falk",
    "Öberg", "Andreasson", "Blom", "Månsson", "Ek", "Nordqvist", "Söderström", "Åström",
    "Lindholm", "Lindén", "Wallén", "Hassan", "Ali", "Mohammed", "Yilmaz", "Nguyen",
    "Kovačević", "Virtanen",
)  # fmt: skip

CITIES = (
    "Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro", "Linköping", "Helsingborg",
    "Jönköping", "Norrköping", "Lund", "Umeå", "Gävle", "Borås", "Södertälje", "Eskilstuna",
    "Halmstad", "Växjö", "Karlstad", "Sundsvall", "Östersund", "Trollhättan", "Luleå", "Skövde",
    "Kalmar", "Kristianstad", "Falun", "Nyköping", "Visby", "Skellefteå",
)  # fmt: skip

COMPANY_STEMS = (
    "Norrsken", "Fjällvind", "Solberga", "Ekdala", "Granhult", "Björkvik", "Havsbris", "Stenbacka",
    "Silverdal", "Älvkant", "Ljungheden", "Tallåsen", "Kustlinjen", "Bergkristall", "Vintergatan",
    "Midnattssol", "Skärgårds", "Forsgren", "Lövånger", "Ängsbacken", "Kvarnbäcken", "Sjöudden",
    "Rönnbär", "Hagalund", "Östanvind", "Västkust", "Nordpol", "Blåklint", "Lingon", "Granit",
    "Myrberg", "Ekhagen", "Kronoberg", "Sandvik", "Strömsborg", "Fyrtorn", "Klippan", "Bäckström",
    "Tallbacken", "Lärkdal", "Gryning", "Dalsland", "Runsten", "Solvik", "Vårdkase", "Ålgrund",
    "Storskog", "Nordljus", "Isbrytar", "Mälarö",
)  # fmt: skip

INDUSTRIES = (
    "Bygg", "Logistik", "Fastigheter", "Elteknik", "Konsult", "Revision", "Data", "Mekaniska",
    "Transport", "VVS", "Måleri", "Redovisning", "Energi", "Media", "Design", "Vård", "Livs",
    "Trä", "Plast", "Verkstad", "Maskin", "Säkerhet", "Städ", "Event", "Marknadsföring",
    "Industri", "Åkeri", "Entreprenad", "Mjukvara", "Kommunikation", "Förvaltning", "Fiber",
    "Kyla", "Automation", "Installation", "Bemanning", "Kontorsservice", "Hälsa",
)  # fmt: skip

LEAD_TITLES = (
    "VD", "Vice VD", "Inköpschef", "Strategisk inköpare", "Försäljningschef", "Marknadschef",
    "IT-chef", "Ekonomichef", "Ekonomiansvarig", "HR-chef", "Personalchef", "Driftchef",
    "Verksamhetschef", "Logistikchef", "Lagerchef", "Produktionschef", "Fastighetschef",
    "Teknisk chef", "Kommunikationschef", "Affärsområdeschef", "Regionchef", "Avdelningschef",
    "Platschef", "Projektledare", "Kvalitetschef", "Hållbarhetschef", "Inköpsansvarig",
    "Kontorschef", "Upphandlare", "Säkerhetschef", "Grundare och VD", "Delägare",
)  # fmt: skip

CUSTOMER_TITLES = (
    "Marknadschef", "Försäljningschef", "VD", "Affärsutvecklare", "Ekonomichef", "Säljchef",
    "Key Account Manager",
)  # fmt: skip

CAMPAIGN_TARGETS = (
    "IT-chefer", "inköpschefer", "ekonomichefer", "vd:ar i mindre företag", "HR-chefer",
    "fastighetsförvaltare", "logistikansvariga", "marknadschefer", "produktionschefer",
)  # fmt: skip

CAMPAIGN_REGIONS = (
    "Mälardalen", "Stockholm", "Västra Götaland", "Skåne", "Norrland", "Östergötland", "Småland",
    "hela Sverige",
)  # fmt: skip

CAMPAIGN_TOPICS = (
    "energieffektivisering", "molntjänster", "IT-säkerhet", "lönehantering", "lagerstyrning",
    "kontorsstädning", "rekrytering", "fordonsflottor", "solceller", "ekonomisystem",
)  # fmt: skip

MONTHS_SV = (
    "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
    "oktober", "november", "december",
)  # fmt: skip

LEAD_SOURCES = (
    ("LinkedIn", 35),
    ("Företagets webbplats", 25),
    ("Köpt lista från Bisnode", 20),
    (None, 20),  # "Lista från kunden <name>": the customer of the lead's first assignment
)
_SOURCE_TEXTS = [source for source, _ in LEAD_SOURCES]
_SOURCE_WEIGHTS = [weight for _, weight in LEAD_SOURCES]
CUSTOMER_SOURCE = "Kundavtal med LHe Handelsbolag"

EMAIL_OUT_SUBJECTS = (
    "Möte med {customer}?",
    "Kort fråga om {topic}",
    "{customer} – 20 minuter om {topic}?",
    "Förslag på mötestid",
    "Uppföljning av vårt samtal",
)
EMAIL_OUT_BODY = (
    "Hej {first}!\n\nJag hör av mig på uppdrag av {customer}, som hjälper företag som ditt med "
    "{topic}. Har du tid för ett kort möte de närmaste veckorna?\n\nVill du inte bli kontaktad "
    "igen? Svara ”nej tack” så hör vi inte av oss mer.\n\nVänliga hälsningar\nLHe Handelsbolag"
)
EMAIL_IN_BODIES = (
    "Hej, det låter intressant. Tisdag förmiddag passar bra.",
    "Tack, men det är inte aktuellt för oss just nu.",
    "Hör av dig igen efter sommaren.",
    "Jag är inte rätt person, prata med vår inköpsavdelning.",
    "Skicka gärna mer information, så återkommer jag.",
    "Torsdag kl. 10 fungerar. Skicka en kallelse.",
)
CALL_NOTES_OUT = (
    "Ringde, inget svar. Försöker igen på torsdag.",
    "Pratade med {first}. Intresserad, vill ha förslag på tider via mejl.",
    "Upptagen, bad oss ringa tillbaka nästa vecka.",
    "Inte aktuellt just nu, har redan en leverantör.",
    "Bokade möte med {customer}.",
    "Lämnade röstmeddelande.",
    "{first} vill att vi återkommer efter budgetarbetet i höst.",
)
CALL_NOTES_IN = (
    "{first} ringde tillbaka och bad om mer information.",
    "{first} ringde för att flytta mötet.",
    "{first} ringde och bekräftade mötet.",
)
LINKEDIN_OUT = (
    "Kontaktförfrågan skickad med en kort presentation av {customer}.",
    "Meddelande om möjlighet till möte med {customer}.",
)
LINKEDIN_IN = (
    "Accepterade kontaktförfrågan.",
    "Svarade: skicka gärna mer information via mejl.",
)
MEETING_NOTES = (
    "Introduktionsmöte med {customer}.",
    "Demo av {customers} tjänst för {topic}.",
    "Behovsanalys inför offert om {topic}.",
    "Uppföljande möte med {customer}.",
)
MEETING_PLACES = ("Microsoft Teams", "Google Meet", "Telefon", "Hos {company}, {city}")
CONSENT_EVIDENCE = (
    "Anmälan till nyhetsbrev via formulär på lhe-handelsbolag.se",
    "Kryssruta vid mötesbokning via lhe-handelsbolag.se",
    "Muntligt samtycke i telefonsamtal, noterat av säljaren",
    "Anmälan på papper vid mässan Nordic Sales Expo",
)
WEB_EVENTS = (
    "Besök på lhe-handelsbolag.se",
    "Skickade kontaktformulär",
    "Laddade ner guide om mötesbokning",
    "Klickade på länk i e-post",
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.71 Mobile Safari/537.36",
)
# First octets of ranges held by Swedish operators (Telia, Tele2, Telenor, Bahnhof, ...).
IP_FIRST_OCTETS = (78, 81, 83, 85, 90, 94, 95, 155, 185, 193, 194, 212, 213, 217)
MOBILE_PREFIXES = ("70", "72", "73", "76", "79")
MONTHLY_FEES = (14_900, 19_500, 24_900, 34_500, 49_000)
MEETING_PRICE = 1_500

# ---------------------------------------------------------------------------------------------
# The fixed demo people: the same addresses in every run
# ---------------------------------------------------------------------------------------------

# 070-174 06 05 … 99 is the mobile range PTS sets aside for fiction: no real subscriber answers.
FIXED_CUSTOMERS = (
    # name, city, domain, crm, country, webhook
    ("Stensjö Energi AB", "Västerås", "stensjoenergi.se", "HubSpot", "SE", True),
    ("Bryggfors IT-partner AB", "Malmö", "bryggforsitpartner.se", "Salesforce", "US", False),
)
FIXED_COMPANIES = (
    ("Norrsken Logistik AB", "Göteborg", "norrskenlogistik.se"),
    ("Vretens Byggservice AB", "Sundbyberg", "vretensbyggservice.se"),
    ("Hallands Datanät AB", "Halmstad", "hallandsdatanat.se"),
)
ANNA = "anna.lindqvist@norrskenlogistik.se"
ERIK = "erik.johansson@vretensbyggservice.se"
KARIN = "karin.astrom@stensjoenergi.se"
SOFIA = "sofia.bergstrom@hallandsdatanat.se"
DEMO_ADDRESSES = (ANNA, ERIK, KARIN, SOFIA)
_RESERVED_DOMAINS = frozenset(
    [domain for _, _, domain, *_ in FIXED_CUSTOMERS] + [domain for *_, domain in FIXED_COMPANIES]
)

DEMO_TABLES = (
    Company,
    Recipient,
    Person,
    Assignment,
    Communication,
    Meeting,
    Consent,
    TechnicalRecord,
    AccountingRecord,
)  # parents before children: the order rows are written in


@dataclass(frozen=True)
class DemoSummary:
    """What one run of ``seed_demo`` created."""

    customers: int
    lead_companies: int  # employers of leads, including the fixed demo people's
    recipients: int
    leads: int  # random leads: exactly the number asked for
    customer_contacts: int  # random contact persons at customers
    demo_people: int  # Person rows of the fixed demo people (0 when they already existed)
    assignments: int
    communications: int
    meetings: int
    consents: int
    technical_records: int
    accounting_records: int
    demo_addresses: list[str] = field(default_factory=list)
    requests: int = 0  # data-subject requests filed on the people (not counted in ``rows``)

    @property
    def people(self) -> int:
        return self.leads + self.customer_contacts + self.demo_people

    @property
    def rows(self) -> int:
        return (
            self.customers
            + self.lead_companies
            + self.recipients
            + self.people
            + self.assignments
            + self.communications
            + self.meetings
            + self.consents
            + self.technical_records
            + self.accounting_records
        )


def is_empty(session: Session) -> bool:
    """True when the database holds no people yet (``portal seed-demo --if-empty``)."""
    return session.scalar(select(Person.id).limit(1)) is None


def seed_demo(
    session: Session, *, leads: int, seed: int = 2026, now: datetime, cases: bool = False
) -> DemoSummary:
    """Create ``leads`` realistic Swedish leads, ~20 customers with their systems, and history;
    with ``cases``, also the demo staff and a history of requests (``seed_demo_cases``).

    Meant for an empty database; on a non-empty one it adds another batch after the existing ids
    (the fixed demo people only once). Seeds the register first when it is empty. Flushes only.

    :raises ValueError: when ``now`` is naive or ``leads`` is negative.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if leads < 0:
        raise ValueError("leads must not be negative")
    seed_register(session)
    session.flush()
    marketing_id = session.scalar(select(Purpose.id).where(Purpose.code == MARKETING_PURPOSE))
    fixed_exists = session.scalar(select(Person.id).where(Person.email == ANNA).limit(1))

    writer = _Writer(session)
    builder = _Builder(random.Random(seed), now.astimezone(UTC), writer, marketing_id)
    if fixed_exists is None:
        builder.fixed_customers()
    builder.random_customers(CUSTOMERS - len(builder.customers))
    builder.lead_companies(max(20, math.ceil(leads / LEADS_PER_COMPANY)))
    customer_contacts = builder.customer_contacts()
    demo_people = builder.fixed_people() if fixed_exists is None else 0
    for _ in range(leads):
        builder.lead()
        writer.maybe_flush()
    builder.invoices()
    writer.flush()
    _sync_sequences(session)
    requests = seed_demo_cases(session, count=case_count(leads), seed=seed, now=now) if cases else 0

    counts = writer.counts
    return DemoSummary(
        customers=len(builder.customers),
        lead_companies=counts[Company] - len(builder.customers),
        recipients=counts[Recipient],
        leads=leads,
        customer_contacts=customer_contacts,
        demo_people=demo_people,
        assignments=counts[Assignment],
        communications=counts[Communication],
        meetings=counts[Meeting],
        consents=counts[Consent],
        technical_records=counts[TechnicalRecord],
        accounting_records=counts[AccountingRecord],
        demo_addresses=list(DEMO_ADDRESSES),
        requests=requests,
    )


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

_ASCII = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "æ": "ae", "ø": "o"})


def ascii_slug(value: str, keep: str = "") -> str:
    """Lowercase ASCII for e-mail addresses and domains: å→a, ä→a, ö→o, é→e, other marks dropped."""
    lowered = value.lower().translate(_ASCII)
    plain = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain if ch.isalnum() or ch in keep)


def genitive(name: str) -> str:
    """Swedish genitive: "Stensjö Energis", but "Bryggfors" stays as it is."""
    return name if name[-1:].lower() in ("s", "x", "z") else f"{name}s"


def _luhn_digit(digits: str) -> int:
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def _org_number(rng: random.Random) -> str:
    """An aktiebolag-style organisation number (55xxxx-xxxx) with a valid check digit."""
    body = "556" + f"{rng.randrange(1_000_000):06d}"
    return f"{body[:6]}-{body[6:]}{_luhn_digit(body)}"


def _company_pool() -> list[tuple[str, str]]:
    """Every company name the generator can use, with its domain, in a fixed order."""
    names = [f"{stem} {industry} AB" for stem in COMPANY_STEMS for industry in INDUSTRIES]
    names += [f"{last}s {industry} AB" for last in LAST_NAMES for industry in INDUSTRIES]
    names += [f"{city} {industry} AB" for city in CITIES for industry in INDUSTRIES]
    pool: list[tuple[str, str]] = []
    seen = set(_RESERVED_DOMAINS)
    for name in names:
        domain = ascii_slug(name.removesuffix(" AB")) + ".se"
        if domain not in seen:
            seen.add(domain)
            pool.append((name, domain))
    return pool


def _sync_sequences(session: Session) -> None:
    """On PostgreSQL, move each id sequence past the ids assigned here (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in DEMO_TABLES:
        table = model.__tablename__
        # The next id after the largest one; ``false`` means that value has not been used yet.
        statement = (
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  (our names)
            f"COALESCE(MAX(id), 0) + 1, false) FROM {table}"
        )
        session.execute(text(statement))


@dataclass
class _Customer:
    company_id: int
    name: str
    city: str
    domain: str
    recipient_id: int
    contract_start: date
    fee: int
    campaigns: list[tuple[str, date, date | None]]
    invoice_contact_id: int | None = None
    invoice_contact_name: str | None = None


@dataclass
class _LeadCompany:
    company_id: int
    name: str
    city: str
    domain: str


class _Writer:
    """Buffers rows per model and writes them in chunks, parents first, with ids assigned here."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.buffers: dict[type, list[dict[str, Any]]] = {model: [] for model in DEMO_TABLES}
        self.counts: dict[type, int] = dict.fromkeys(DEMO_TABLES, 0)
        self._next_id = {
            model: (session.scalar(select(func.max(model.id))) or 0) + 1 for model in DEMO_TABLES
        }
        self._pending = 0

    def add(self, model: type, row: dict[str, Any]) -> dict[str, Any]:
        row["id"] = self._next_id[model]
        self._next_id[model] += 1
        self.buffers[model].append(row)
        self._pending += 1
        return row

    def maybe_flush(self) -> None:
        if self._pending >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        for model in DEMO_TABLES:
            rows = self.buffers[model]
            if rows:
                # render_nulls keeps one column set for every row, so each chunk is one executemany.
                statement = insert(model).execution_options(render_nulls=True)
                self.session.execute(statement, rows)
                self.counts[model] += len(rows)
                self.buffers[model] = []
        self._pending = 0


class _Builder:
    """Makes the rows. Every random choice comes from ``rng``, in a fixed order."""

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        writer: _Writer,
        marketing_id: int | None,
    ) -> None:
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.writer = writer
        self.marketing_id = marketing_id
        self.customers: list[_Customer] = []
        self.companies: list[_LeadCompany] = []
        self.used_emails: set[str] = set(DEMO_ADDRESSES)
        self._pool = _company_pool()
        self._pool_index = 0
        self.rng.shuffle(self._pool)

    # -- time ---------------------------------------------------------------------------------

    def day_between(self, start: date, end: date) -> date:
        span = (end - start).days
        return start if span <= 0 else start + timedelta(days=self.rng.randint(0, span))

    def moment(self, day: date) -> datetime:
        """A time in Swedish office hours on ``day`` (weekends move to Friday), never after now."""
        weekday = day.weekday()
        if weekday >= 5:
            day -= timedelta(days=weekday - 4)
        rng = self.rng
        at = datetime(
            day.year,
            day.month,
            day.day,
            6 + rng.randrange(10),
            rng.randrange(60),
            rng.randrange(60),
            tzinfo=UTC,
        )
        if at > self.now:
            at = self.now - timedelta(minutes=rng.randrange(5, 600))
        return at

    def days_ago(self, days: int, hour: int = 9) -> datetime:
        """A fixed time ``days`` before today, for the fixed demo people."""
        day = self.today - timedelta(days=days)
        at = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
        return min(at, self.now)

    # -- companies and customers ----------------------------------------------------------------

    def _next_company_name(self) -> tuple[str, str]:
        if self._pool_index >= len(self._pool):
            raise ValueError("out of company names")
        name, domain = self._pool[self._pool_index]
        self._pool_index += 1
        return name, domain

    def _company(self, name: str, city: str, domain: str, *, is_customer: bool) -> int:
        row = self.writer.add(
            Company,
            {
                "name": name,
                "org_number": _org_number(self.rng),
                "city": city,
                "website": f"https://www.{domain}",
                "is_customer": is_customer,
            },
        )
        return row["id"]

    def _campaigns(self, contract_start: date) -> list[tuple[str, date, date | None]]:
        rng = self.rng
        campaigns: list[tuple[str, date, date | None]] = []
        start = contract_start
        while start <= self.today - timedelta(days=7) and len(campaigns) < 6:
            length = rng.randint(60, 150)
            end: date | None = start + timedelta(days=length)
            if end >= self.today:
                end = None
            season = ("Vinter", "Vår", "Sommar", "Höst")[start.month % 12 // 3]
            name = (
                f"{season} {start.year} – {rng.choice(CAMPAIGN_TARGETS)} i "
                f"{rng.choice(CAMPAIGN_REGIONS)}"
            )
            campaigns.append((name, start, end))
            if end is None:
                break
            start = end + timedelta(days=rng.randint(0, 45))
        return campaigns

    def _customer(
        self,
        name: str,
        city: str,
        domain: str,
        crm: str,
        country: str,
        webhook: bool,
        contract_days: int | None = None,
    ) -> None:
        rng = self.rng
        company_id = self._company(name, city, domain, is_customer=True)
        vendor = "HubSpot, Inc." if crm == "HubSpot" else "Salesforce, Inc."
        safeguard_sv = safeguard_en = None
        if country == "US":
            safeguard_sv = (
                f"Kundens {crm}-konto lagras i USA hos {vendor}, som är certifierat enligt EU–US "
                "Data Privacy Framework (art. 45). Kunden har dessutom standardavtalsklausuler "
                "(art. 46.2 c) med leverantören."
            )
            safeguard_en = (
                f"The customer's {crm} account is hosted in the United States by {vendor}, which "
                "is certified under the EU–US Data Privacy Framework (Art. 45). The customer also "
                "has standard contractual clauses (Art. 46(2)(c)) with the vendor."
            )
        recipient = self.writer.add(
            Recipient,
            {
                "name": f"{name.removesuffix(' AB')} – {crm}",
                "kind": RecipientKind.CUSTOMER_SYSTEM,
                "service_sv": f"Kundens CRM-system ({crm}), som tar emot bokade möten och leads",
                "service_en": f"The customer's CRM system ({crm}), which receives booked meetings "
                "and leads",
                "country": country,
                "safeguard_sv": safeguard_sv,
                "safeguard_en": safeguard_en,
                "contact_email": f"{rng.choice(('dataskydd', 'gdpr', 'integritet'))}@{domain}",
                "webhook_url": f"https://crm.{domain}/gdpr-webhook" if webhook else None,
                "webhook_secret": secrets.token_hex(32) if webhook else None,
                "active": True,
            },
        )
        if contract_days is None:
            contract_days = rng.randint(90, HISTORY_DAYS - 30)
        contract_start = self.today - timedelta(days=contract_days)
        self.customers.append(
            _Customer(
                company_id=company_id,
                name=name,
                city=city,
                domain=domain,
                recipient_id=recipient["id"],
                contract_start=contract_start,
                fee=rng.choice(MONTHLY_FEES),
                campaigns=self._campaigns(contract_start),
            )
        )

    def fixed_customers(self) -> None:
        for name, city, domain, crm, country, webhook in FIXED_CUSTOMERS:
            # Long enough ago for the fixed people's assignments to fall within the contract.
            self._customer(name, city, domain, crm, country, webhook, contract_days=400)

    def random_customers(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            name, domain = self._next_company_name()
            crm = rng.choice(("HubSpot", "Salesforce"))
            country = "US" if rng.random() < 0.3 else "SE"
            self._customer(name, rng.choice(CITIES), domain, crm, country, rng.random() < 0.4)

    def lead_companies(self, count: int) -> None:
        count = min(count, len(self._pool) - self._pool_index)
        for _ in range(count):
            name, domain = self._next_company_name()
            city = self.rng.choice(CITIES)
            company_id = self._company(name, city, domain, is_customer=False)
            self.companies.append(_LeadCompany(company_id, name, city, domain))

    # -- people ---------------------------------------------------------------------------------

    def email(self, first: str, last: str, domain: str) -> str:
        local = f"{ascii_slug(first, keep='-')}.{ascii_slug(last, keep='-')}"
        address = f"{local}@{domain}"
        number = 2
        while address in self.used_emails:
            address = f"{local}{number}@{domain}"
            number += 1
        self.used_emails.add(address)
        return address

    def phone(self) -> str:
        rng = self.rng
        digits = f"{rng.randrange(10_000_000):07d}"
        return f"+46 {rng.choice(MOBILE_PREFIXES)} {digits[:3]} {digits[3:5]} {digits[5:]}"

    def _person(
        self,
        *,
        email: str,
        name: str,
        phone: str | None,
        job_title: str,
        company_id: int,
        kind: PersonKind,
        source: str,
        created_at: datetime,
        updated_at: datetime,
    ) -> int:
        row = self.writer.add(
            Person,
            {
                "email": email,
                "name": name,
                "phone": phone,
                "job_title": job_title,
                "company_id": company_id,
                "kind": kind,
                "source": source,
                "created_at": created_at,
                "updated_at": updated_at,
                "restricted_at": None,
                "restriction_ground": None,
                "marketing_objection_at": None,
            },
        )
        return row["id"]

    def customer_contacts(self) -> int:
        """One to three contact persons per customer; the first is the invoice reference."""
        rng = self.rng
        made = 0
        for customer in self.customers:
            if customer.domain == FIXED_CUSTOMERS[0][2]:
                continue  # Karin Åström, a fixed demo person, is this customer's reference
            for index in range(rng.randint(1, 3)):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                created = self.moment(customer.contract_start)
                person_id = self._person(
                    email=self.email(first, last, customer.domain),
                    name=f"{first} {last}",
                    phone=self.phone(),
                    job_title=rng.choice(CUSTOMER_TITLES),
                    company_id=customer.company_id,
                    kind=PersonKind.CUSTOMER_CONTACT,
                    source=CUSTOMER_SOURCE,
                    created_at=created,
                    updated_at=created,
                )
                if index == 0:
                    customer.invoice_contact_id = person_id
                    customer.invoice_contact_name = f"{first} {last}"
                if rng.random() < 0.4:
                    self.consent(person_id, created, withdraw_share=0.2)
                made += 1
        return made

    def lead(self) -> None:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = rng.choice(self.companies)
        customers = rng.sample(self.customers, 2 if rng.random() < 0.2 else 1)
        source = rng.choices(_SOURCE_TEXTS, _SOURCE_WEIGHTS)[0]
        source = source or f"Lista från kunden {customers[0].name}"
        self.lead_rows(
            first=first,
            last=last,
            email=self.email(first, last, company.domain),
            phone=self.phone() if rng.random() < 0.85 else None,
            title=rng.choice(LEAD_TITLES),
            company=company,
            customers=customers,
            source=source,
        )

    def lead_rows(
        self,
        *,
        first: str,
        last: str,
        email: str,
        phone: str | None,
        title: str,
        company: _LeadCompany,
        customers: list[_Customer],
        source: str,
    ) -> None:
        """A lead with assignments, communications, meetings, maybe a consent and web logs."""
        rng = self.rng
        writer = self.writer
        person = self.writer.add(
            Person,
            {
                "email": email,
                "name": f"{first} {last}",
                "phone": phone,
                "job_title": title,
                "company_id": company.company_id,
                "kind": PersonKind.LEAD,
                "source": source,
                "created_at": None,
                "updated_at": None,
                "restricted_at": None,
                "restriction_ground": None,
                "marketing_objection_at": None,
            },
        )
        person_id = person["id"]
        windows = []
        for customer in customers:
            campaign, campaign_start, campaign_end = rng.choice(customer.campaigns)
            started = min(campaign_start + timedelta(days=rng.randint(0, 20)), self.today)
            ended = None
            if campaign_end is not None:
                ended = min(campaign_end + timedelta(days=rng.randint(0, 14)), self.today)
            assignment = writer.add(
                Assignment,
                {
                    "person_id": person_id,
                    "customer_id": customer.company_id,
                    "recipient_id": customer.recipient_id,
                    "campaign": campaign,
                    "started_on": started,
                    "ended_on": ended,
                    "delivered_at": None,
                },
            )
            windows.append((assignment, customer, started, ended or self.today))

        first_contact = min(start for _, _, start, _ in windows)
        created_at = self.moment(first_contact - timedelta(days=rng.randint(1, 10)))
        latest = created_at

        count = rng.choices(range(9), (10, 15, 18, 17, 13, 10, 8, 5, 4))[0]
        moments = []
        for _ in range(count):
            window = rng.choice(windows)
            moments.append((self.moment(self.day_between(window[2], window[3])), window))
        moments.sort(key=lambda item: item[0])
        for index, (at, (assignment, customer, _, _)) in enumerate(moments):
            topic = rng.choice(CAMPAIGN_TOPICS)
            channel = rng.choices(("email", "phone", "linkedin"), (50, 35, 15))[0]
            inbound = index > 0 and rng.random() < 0.2
            short = customer.name.removesuffix(" AB")
            subject = body = None
            if channel == "email":
                subject = rng.choice(EMAIL_OUT_SUBJECTS).format(customer=short, topic=topic)
                if inbound:
                    subject = "Re: " + subject
                    body = rng.choice(EMAIL_IN_BODIES)
                else:
                    body = EMAIL_OUT_BODY.format(first=first, customer=short, topic=topic)
            elif channel == "phone":
                notes = CALL_NOTES_IN if inbound else CALL_NOTES_OUT
                subject = "Inkommande samtal" if inbound else "Utgående samtal"
                body = rng.choice(notes).format(first=first, customer=short)
            else:
                notes = LINKEDIN_IN if inbound else LINKEDIN_OUT
                body = rng.choice(notes).format(customer=short)
            writer.add(
                Communication,
                {
                    "person_id": person_id,
                    "assignment_id": assignment["id"],
                    "occurred_at": at,
                    "channel": channel,
                    "direction": "inbound" if inbound else "outbound",
                    "subject": subject,
                    "body": body,
                },
            )
            latest = max(latest, at)

        for _ in range(rng.choices((0, 1, 2), (65, 28, 7))[0]):
            assignment, customer, start, end = rng.choice(windows)
            starts_at = self.moment(self.day_between(start + timedelta(days=3), end))
            self.meeting(person_id, assignment, customer, company, starts_at, created_at)
            latest = max(latest, starts_at)

        if rng.random() < 0.08:
            latest = max(latest, self.consent(person_id, created_at, withdraw_share=0.3))
        if rng.random() < 0.25:
            for _ in range(rng.randint(1, 4)):
                latest = max(latest, self.web_visit(person_id))
        person["created_at"] = created_at
        person["updated_at"] = latest

    def meeting(
        self,
        person_id: int,
        assignment: dict[str, Any],
        customer: _Customer,
        company: _LeadCompany,
        starts_at: datetime,
        earliest: datetime,
    ) -> None:
        """A meeting at ``starts_at``, booked (and the lead delivered) after ``earliest``."""
        rng = self.rng
        if starts_at > self.now - timedelta(days=3):
            status = "booked"
        else:
            status = rng.choices(("held", "cancelled", "no_show"), (75, 15, 10))[0]
        place = rng.choice(MEETING_PLACES).format(company=company.name, city=company.city)
        short = customer.name.removesuffix(" AB")
        self.writer.add(
            Meeting,
            {
                "person_id": person_id,
                "assignment_id": assignment["id"],
                "starts_at": starts_at,
                "duration_minutes": rng.choice((30, 45, 60)),
                "status": status,
                "location": place,
                "notes": rng.choice(MEETING_NOTES).format(
                    customer=short, customers=genitive(short), topic=rng.choice(CAMPAIGN_TOPICS)
                ),
            },
        )
        booked_at = min(max(starts_at - timedelta(days=rng.randint(2, 14)), earliest), starts_at)
        if assignment["delivered_at"] is None or booked_at < assignment["delivered_at"]:
            assignment["delivered_at"] = booked_at

    def consent(self, person_id: int, earliest: datetime, *, withdraw_share: float) -> datetime:
        """A direct-marketing consent given after ``earliest``; some are withdrawn later."""
        rng = self.rng
        if self.marketing_id is None:  # the privacy officer removed the purpose
            return earliest
        given_at = self.moment(self.day_between(earliest.date(), self.today))
        withdrawn_at = None
        if rng.random() < withdraw_share:
            withdrawn_at = self.moment(self.day_between(given_at.date(), self.today))
            withdrawn_at = max(withdrawn_at, given_at + timedelta(minutes=1))
        self.writer.add(
            Consent,
            {
                "person_id": person_id,
                "purpose_id": self.marketing_id,
                "given_at": given_at,
                "withdrawn_at": withdrawn_at,
                "evidence": rng.choice(CONSENT_EVIDENCE),
                "wants_policy_notices": rng.random() < 0.3,
            },
        )
        return withdrawn_at or given_at

    def web_visit(
        self, person_id: int, *, event: str | None = None, at: datetime | None = None
    ) -> datetime:
        rng = self.rng
        if at is None:
            at = self.moment(self.today - timedelta(days=rng.randint(0, 200)))
        ip = (
            f"{rng.choice(IP_FIRST_OCTETS)}.{rng.randrange(256)}.{rng.randrange(256)}."
            f"{rng.randint(1, 254)}"
        )
        self.writer.add(
            TechnicalRecord,
            {
                "person_id": person_id,
                "occurred_at": at,
                "event": event or rng.choice(WEB_EVENTS),
                "ip_address": ip,
                "user_agent": rng.choice(USER_AGENTS),
            },
        )
        return at

    # -- invoices -------------------------------------------------------------------------------

    def invoices(self) -> None:
        """Monthly invoices to every customer since its contract began, numbered by date."""
        rng = self.rng
        drafts = []
        for customer in self.customers:
            year, month = customer.contract_start.year, customer.contract_start.month
            while (year, month) < (self.today.year, self.today.month):
                meetings = rng.randint(2, 12)
                month_name = MONTHS_SV[month - 1]
                issued = date(year, month, 1) + timedelta(days=31)
                issued = issued.replace(day=1)  # invoiced on the first of the next month
                if issued <= self.today:
                    drafts.append((issued, customer, month_name, year, meetings))
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        drafts.sort(key=lambda draft: (draft[0], draft[1].company_id))
        for issued, customer, month_name, year, meetings in drafts:
            row = self.writer.add(
                AccountingRecord,
                {
                    "person_id": customer.invoice_contact_id,
                    "reference_name": customer.invoice_contact_name,
                    "company_id": customer.company_id,
                    "document_number": "",
                    "document_date": issued,
                    "description": (
                        f"Faktura mötesbokning {month_name} {year}: månadsavgift och "
                        f"{meetings} bokade möten"
                    ),
                    "amount_sek": Decimal(customer.fee + meetings * MEETING_PRICE),
                },
            )
            row["document_number"] = f"F{issued.year}-{row['id']:06d}"

    # -- the fixed demo people ------------------------------------------------------------------

    def fixed_people(self) -> int:
        """Anna, Erik, Karin and Sofia: the same addresses in every run, to try the portal with."""
        companies = {}
        for name, city, domain in FIXED_COMPANIES:
            company_id = self._company(name, city, domain, is_customer=False)
            companies[domain] = _LeadCompany(company_id, name, city, domain)
        stensjo, bryggfors = self.customers[0], self.customers[1]
        writer = self.writer

        def assignment(
            person_id: int, customer: _Customer, started: int, ended: int | None
        ) -> dict[str, Any]:
            started_on = self.today - timedelta(days=started)
            running = [name for name, start, _ in customer.campaigns if start <= started_on]
            campaign = running[-1] if running else customer.campaigns[0][0]
            return writer.add(
                Assignment,
                {
                    "person_id": person_id,
                    "customer_id": customer.company_id,
                    "recipient_id": customer.recipient_id,
                    "campaign": campaign,
                    "started_on": started_on,
                    "ended_on": None if ended is None else self.today - timedelta(days=ended),
                    "delivered_at": None,
                },
            )

        def message(
            person_id: int,
            assignment_row: dict[str, Any],
            days: int,
            channel: str,
            direction: str,
            subject: str | None,
            body: str,
        ) -> None:
            writer.add(
                Communication,
                {
                    "person_id": person_id,
                    "assignment_id": assignment_row["id"],
                    "occurred_at": self.days_ago(days, hour=8 + days % 7),
                    "channel": channel,
                    "direction": direction,
                    "subject": subject,
                    "body": body,
                },
            )

        # Anna Lindqvist: a lead for one customer, with a meeting held and web visits.
        norrsken = companies["norrskenlogistik.se"]
        anna = self._person(
            email=ANNA,
            name="Anna Lindqvist",
            phone="+46 70 174 06 05",
            job_title="Inköpschef",
            company_id=norrsken.company_id,
            kind=PersonKind.LEAD,
            source="LinkedIn",
            created_at=self.days_ago(62),
            updated_at=self.days_ago(20),
        )
        work = assignment(anna, stensjo, started=60, ended=None)
        message(
            anna,
            work,
            55,
            "email",
            "outbound",
            "Möte med Stensjö Energi?",
            EMAIL_OUT_BODY.format(
                first="Anna", customer="Stensjö Energi", topic="energieffektivisering"
            ),
        )
        message(
            anna,
            work,
            50,
            "phone",
            "outbound",
            "Utgående samtal",
            "Pratade med Anna. Intresserad, vill ha förslag på tider via mejl.",
        )
        message(
            anna,
            work,
            49,
            "email",
            "inbound",
            "Re: Möte med Stensjö Energi?",
            "Hej, torsdag nästa vecka kl. 10 passar bra. /Anna",
        )
        message(
            anna,
            work,
            48,
            "email",
            "outbound",
            "Bekräftelse: möte med Stensjö Energi",
            "Hej Anna! Välkommen till mötet på torsdag kl. 10 via Microsoft Teams.",
        )
        writer.add(
            Meeting,
            {
                "person_id": anna,
                "assignment_id": work["id"],
                "starts_at": self.days_ago(41, hour=8),
                "duration_minutes": 45,
                "status": "held",
                "location": "Microsoft Teams",
                "notes": "Introduktionsmöte med Stensjö Energi om energieffektivisering.",
            },
        )
        work["delivered_at"] = self.days_ago(48)
        self.web_visit(anna, event="Besök på lhe-handelsbolag.se", at=self.days_ago(30))
        self.web_visit(anna, event="Laddade ner guide om mötesbokning", at=self.days_ago(20))

        # Erik Johansson: from a bought list, an ended assignment, a withdrawn consent.
        vreten = companies["vretensbyggservice.se"]
        erik = self._person(
            email=ERIK,
            name="Erik Johansson",
            phone="+46 70 174 06 06",
            job_title="VD",
            company_id=vreten.company_id,
            kind=PersonKind.LEAD,
            source="Köpt lista från Bisnode",
            created_at=self.days_ago(200),
            updated_at=self.days_ago(100),
        )
        work = assignment(erik, bryggfors, started=190, ended=90)
        message(
            erik,
            work,
            185,
            "linkedin",
            "outbound",
            None,
            "Kontaktförfrågan skickad med en kort presentation av Bryggfors IT-partner.",
        )
        message(
            erik,
            work,
            180,
            "email",
            "outbound",
            "Kort fråga om IT-säkerhet",
            EMAIL_OUT_BODY.format(
                first="Erik", customer="Bryggfors IT-partner", topic="IT-säkerhet"
            ),
        )
        message(
            erik,
            work,
            172,
            "phone",
            "outbound",
            "Utgående samtal",
            "Inte aktuellt just nu, har redan en leverantör.",
        )
        if self.marketing_id is not None:
            writer.add(
                Consent,
                {
                    "person_id": erik,
                    "purpose_id": self.marketing_id,
                    "given_at": self.days_ago(170),
                    "withdrawn_at": self.days_ago(100),
                    "evidence": CONSENT_EVIDENCE[0],
                    "wants_policy_notices": False,
                },
            )

        # Karin Åström: a customer contact with invoices and an active marketing consent.
        karin = self._person(
            email=KARIN,
            name="Karin Åström",
            phone="+46 70 174 06 07",
            job_title="Ekonomichef",
            company_id=stensjo.company_id,
            kind=PersonKind.CUSTOMER_CONTACT,
            source=CUSTOMER_SOURCE,
            created_at=self.moment(stensjo.contract_start),
            updated_at=self.days_ago(10),
        )
        stensjo.invoice_contact_id = karin
        stensjo.invoice_contact_name = "Karin Åström"
        if self.marketing_id is not None:
            writer.add(
                Consent,
                {
                    "person_id": karin,
                    "purpose_id": self.marketing_id,
                    "given_at": self.days_ago(300),
                    "withdrawn_at": None,
                    "evidence": CONSENT_EVIDENCE[1],
                    "wants_policy_notices": True,
                },
            )
        self.web_visit(karin, event="Besök på lhe-handelsbolag.se", at=self.days_ago(10))

        # Sofia Bergström: two records, one per customer, from two different sources.
        hallands = companies["hallandsdatanat.se"]
        for customer, source, started in (
            (stensjo, f"Lista från kunden {stensjo.name}", 120),
            (bryggfors, "LinkedIn", 45),
        ):
            sofia = self._person(
                email=SOFIA,
                name="Sofia Bergström",
                phone="+46 70 174 06 08",
                job_title="IT-chef",
                company_id=hallands.company_id,
                kind=PersonKind.LEAD,
                source=source,
                created_at=self.days_ago(started + 2),
                updated_at=self.days_ago(started - 10),
            )
            work = assignment(sofia, customer, started=started, ended=None)
            short = customer.name.removesuffix(" AB")
            message(
                sofia,
                work,
                started - 5,
                "email",
                "outbound",
                f"Möte med {short}?",
                EMAIL_OUT_BODY.format(first="Sofia", customer=short, topic="molntjänster"),
            )
            message(
                sofia,
                work,
                started - 10,
                "phone",
                "outbound",
                "Utgående samtal",
                "Ringde, inget svar. Försöker igen på torsdag.",
            )
        return 5  # Anna, Erik, Karin and Sofia's two records


# Demo staff: one account per role, with a password printed by `make run`. Demo databases only;
# a real installation creates its accounts with `portal create-staff`, and none exist by default.
DEMO_STAFF_PASSWORD = "demo-portalen-2026-nyckel"  # noqa: S105  (demo data, printed on purpose)
DEMO_STAFF = (
    ("handlaggare@lhe-handelsbolag.se", "Hanna Lind", StaffRole.HANDLER),
    ("dataskydd@lhe-handelsbolag.se", "Olof Berg", StaffRole.OFFICER),
    ("admin@lhe-handelsbolag.se", "Ada Nilsson", StaffRole.ADMIN),
)


def seed_demo_staff(session: Session, *, now: datetime) -> None:
    """Create the demo staff accounts that do not exist yet (each enrols TOTP at first login)."""
    for email, name, role in DEMO_STAFF:
        if staff_accounts.find_by_email(session, email) is None:
            staff_accounts.create_account(
                session, email=email, name=name, role=role, password=DEMO_STAFF_PASSWORD, now=now
            )


# ---------------------------------------------------------------------------------------------
# Demo cases: a history of requests, so the officer's dashboard and the queue have something
# ---------------------------------------------------------------------------------------------

CASE_HISTORY_DAYS = 425  # about 14 months of requests before ``now``
MAX_CASES = 300
MIN_CASES = 40
LEADS_PER_CASE = 20

CASE_TYPES = (
    (RequestType.ACCESS, 38),
    (RequestType.ERASURE, 20),
    (RequestType.OBJECTION, 13),
    (RequestType.CONSENT_WITHDRAWAL, 10),
    (RequestType.RECTIFICATION, 8),
    (RequestType.RESTRICTION, 5),
    (RequestType.PORTABILITY, 6),
)
CASE_CHANNELS = (
    (Channel.PORTAL, 80),
    (Channel.EMAIL, 12),
    (Channel.LETTER, 4),
    (Channel.PHONE, 3),
    (Channel.IN_PERSON, 1),
)
# How a closed case ended, per hundred cases that a handler works on.
_COMPLETED, _LATE, _EXTENDED, _REFUSED, _WITHDRAWN = (
    "completed",
    "late",
    "extended",
    "refused",
    "withdrawn",
)
OUTCOME_MIN_DAYS = {_COMPLETED: 0, _EXTENDED: 70, _LATE: 46, _REFUSED: 25, _WITHDRAWN: 8}
CASE_OUTCOMES = ((_COMPLETED, 80), (_EXTENDED, 7), (_LATE, 3), (_REFUSED, 5), (_WITHDRAWN, 5))
# The open cases every run has: (status, days since receipt, extended). Received 24-30 days ago
# means due within the week; 34 and 39 days ago, still open, means overdue.
OPEN_CASES = (
    (RequestStatus.RECEIVED, 0, False),
    (RequestStatus.RECEIVED, 1, False),
    (RequestStatus.RECEIVED, 3, False),
    (RequestStatus.IN_PROGRESS, 6, False),
    (RequestStatus.IN_PROGRESS, 13, False),
    (RequestStatus.IN_PROGRESS, 26, False),
    (RequestStatus.IN_PROGRESS, 50, True),
    (RequestStatus.AWAITING_SUBJECT, 10, False),
    (RequestStatus.AWAITING_SUBJECT, 28, False),
    (RequestStatus.IN_PROGRESS, 39, False),
    (RequestStatus.AWAITING_SUBJECT, 34, False),
)
SHOWCASE = (
    (RequestType.ACCESS, _EXTENDED),
    (RequestType.ERASURE, _REFUSED),
    (RequestType.RECTIFICATION, _WITHDRAWN),
    (RequestType.PORTABILITY, _LATE),
    (RequestType.RESTRICTION, _COMPLETED),
    (RequestType.OBJECTION, None),
)
REFUSAL_GROUNDS_BY_TYPE = {
    RequestType.ACCESS: ("manifestly_unfounded", "excessive", "not_identified"),
    RequestType.PORTABILITY: ("portability_not_applicable",),
    RequestType.ERASURE: ("legal_obligation", "legal_claims"),
    RequestType.RECTIFICATION: ("data_accurate",),
    RequestType.RESTRICTION: ("not_identified",),
}
REFUSAL_REASONS = {
    "manifestly_unfounded": "Begäran är den sjätte på två månader om samma uppgifter, som du "
    "redan har fått en kopia av. Inga nya uppgifter har tillkommit sedan dess.",
    "excessive": "Du har begärt samma kopia fyra gånger den senaste månaden. Den senaste kopian "
    "skickades för två veckor sedan och inget har ändrats sedan dess.",
    "not_identified": "Vi har inte kunnat bekräfta att adressen tillhör dig: länken till e-"
    "postadressen har inte öppnats och vi har inte fått något svar på våra frågor.",
    "portability_not_applicable": "Uppgifterna behandlas med stöd av berättigat intresse, inte "
    "samtycke eller avtal, så rätten till dataportabilitet gäller inte. Du kan i stället få en "
    "kopia enligt artikel 15.",
    "legal_obligation": "Fakturaunderlaget med ditt namn måste sparas i sju år enligt "
    "bokföringslagen (1999:1078). Övriga uppgifter har raderats.",
    "legal_claims": "Uppgifterna behövs för en pågående tvist om fakturering med din "
    "arbetsgivare och sparas tills den är avgjord.",
    "data_accurate": "Uppgiften om din titel stämmer med företagets webbplats och "
    "Bolagsverkets register vid tiden för kontakten.",
}
EXTENSION_REASONS = (
    "Uppgifterna finns hos flera av våra kunders system, och vi behöver deras underlag innan vi "
    "kan ge ett fullständigt svar.",
    "Vi har fått ovanligt många förfrågningar under semesterperioden och behöver mer tid för "
    "att ge ett fullständigt svar.",
    "Begäran omfattar e-post och samtalsanteckningar från flera år som vi behöver gå igenom "
    "och sammanställa.",
)
CLARIFICATION_QUESTIONS = (
    "Hej! Gäller din begäran alla uppgifter vi har om dig, eller bara uppgifterna från en viss "
    "kund? Svara gärna här på sidan.",
    "Hej! Vilket telefonnummer vill du att vi rättar till? Svara gärna här på sidan.",
    "Hej! Vill du ha kopian som PDF eller som maskinläsbara filer? Svara gärna här på sidan.",
)
SUBJECT_REPLIES = (
    "Alla uppgifter, tack.",
    "Det gäller mobilnumret, det rätta är 070-174 06 99.",
    "PDF räcker bra.",
)
COMPLETION_MESSAGES = {
    RequestType.ACCESS: "Hej! Kopian av dina uppgifter finns nu att hämta. Hör av dig om något "
    "är oklart.",
    RequestType.PORTABILITY: "Hej! Filerna med dina uppgifter finns nu att hämta.",
    RequestType.ERASURE: "Hej! Vi har raderat uppgifterna om dig och meddelat våra kunder som "
    "fått dem. Din adress finns kvar som ett kontrollvärde så att du inte läggs in igen.",
    RequestType.RECTIFICATION: "Hej! Vi har rättat uppgifterna och meddelat våra kunder som "
    "fått dem.",
    RequestType.RESTRICTION: "Hej! Uppgifterna om dig är nu begränsade: vi sparar dem men "
    "använder dem inte.",
}
ORIGINAL_TEXTS = {
    Channel.EMAIL: "Hej, jag vill veta vilka uppgifter ni har om mig och var ni har fått dem "
    "ifrån. Mvh",
    Channel.LETTER: "Jag begär härmed att få veta vilka personuppgifter ni behandlar om mig.",
    Channel.PHONE: "Ringde och ville veta varför vi kontaktat hen och vilka uppgifter vi har.",
    Channel.IN_PERSON: "Besökte kontoret och lämnade begäran muntligt.",
}


def case_count(leads: int) -> int:
    """How many demo cases go with ``leads`` leads: one per twenty, at least 40, at most 300."""
    return min(max(MIN_CASES, leads // LEADS_PER_CASE), MAX_CASES)


@dataclass
class _Candidate:
    email: str
    kind: PersonKind
    last_seen: datetime  # the newest trace of the person: a request comes after it


@dataclass
class _CaseMaker:
    """Files cases through the real services at past moments; every choice comes from ``rng``."""

    session: Session
    rng: random.Random
    now: datetime
    handler: StaffUser
    officer: StaffUser
    leads: list[_Candidate]
    contacts: list[_Candidate]
    consents: list[tuple[int, str, datetime]]  # active marketing consents: id, email, given_at
    used: set[str] = field(default_factory=set)
    domains: list[str] = field(default_factory=list)
    filed: list[SubjectRequest] = field(default_factory=list)

    # -- time ---------------------------------------------------------------------------------

    def at(self, received: datetime, days: float, *, office: bool = True) -> datetime:
        """A moment ``days`` after ``received``; in Swedish office hours when ``office``."""
        moment = received + timedelta(days=days)
        if office:
            local = moment.astimezone(STOCKHOLM)
            while local.weekday() >= 5:
                local += timedelta(days=1)
            local = local.replace(hour=8 + self.rng.randrange(9), minute=self.rng.randrange(60))
            moment = max(local.astimezone(UTC), received + timedelta(minutes=5))
        return min(moment, self.now - timedelta(minutes=1))

    def received_moment(self, days_ago: int) -> datetime:
        day = stockholm_date(self.now) - timedelta(days=days_ago)
        local = datetime(day.year, day.month, day.day, 7 + self.rng.randrange(15),
                         self.rng.randrange(60), tzinfo=STOCKHOLM)  # fmt: skip
        return min(local.astimezone(UTC), self.now - timedelta(minutes=30))

    # -- people ---------------------------------------------------------------------------------

    def person(self, pool: list[_Candidate], before: datetime) -> str | None:
        """An unused address from ``pool`` whose last trace is before ``before``."""
        end = bisect.bisect_left([c.last_seen for c in pool], before) if pool else 0
        for _ in range(20):
            if end == 0:
                return None
            email = pool[self.rng.randrange(end)].email
            if email not in self.used:
                self.used.add(email)
                return email
        return None

    def consent(self, before: datetime) -> tuple[int, str] | None:
        usable = [
            c for c in self.consents if c[2] < before - timedelta(days=1) and c[1] not in self.used
        ]
        if not usable:
            return None
        consent_id, email, _ = usable[self.rng.randrange(len(usable))]
        self.used.add(email)
        return consent_id, email

    def former_lead(self) -> str:
        """An erased lead's address: nothing is held under it any more (only its suppression)."""
        while True:
            first = self.rng.choice(FIRST_NAMES)
            last = self.rng.choice(LAST_NAMES)
            domain = self.rng.choice(self.domains) if self.domains else "exempel.se"
            email = f"{ascii_slug(first, keep='-')}.{ascii_slug(last, keep='-')}@{domain}"
            taken = self.session.scalar(select(Person.id).where(Person.email == email).limit(1))
            if email not in self.used and taken is None:
                self.used.add(email)
                return email

    # -- one case -------------------------------------------------------------------------------

    def file(
        self, type: RequestType, email: str, received: datetime, details: dict[str, Any]
    ) -> SubjectRequest:
        channel = _weighted(self.rng, CASE_CHANNELS)
        if type in (RequestType.CONSENT_WITHDRAWAL, RequestType.OBJECTION):
            channel = Channel.PORTAL  # taken effect at once: the person used the portal
        language = "en" if self.rng.random() < 0.12 else "sv"
        if channel is Channel.PORTAL:
            request = intake.file_request(
                self.session, email=email, type=type, details=details, original_text=None,
                language=language, now=received, verified_at=received,
            )  # fmt: skip
        else:
            registered = self.at(received, 1 if channel is Channel.LETTER else 0.1)
            request = intake.file_request(
                self.session, email=email, type=type, details=details,
                original_text=ORIGINAL_TEXTS[channel], language=language, now=registered,
                channel=channel, received_at=received, actor=self.handler.actor,
            )  # fmt: skip
            audit.record(
                self.session, action="case.intake", now=registered, staff=self.handler,
                request=request, data={"channel": channel.value, "type": type.value,
                                       "received_on": request.received_on.isoformat()},
            )  # fmt: skip
        self.filed.append(request)
        return request

    def details(self, type: RequestType) -> dict[str, Any]:
        rng = self.rng
        if type in (RequestType.ACCESS,):
            return {"scope": "all", "parts": [], "formats": rng.choice((["pdf"], ["pdf", "json"]))}
        if type is RequestType.PORTABILITY:
            return {"formats": rng.choice((["json"], ["csv"], ["json", "csv"]))}
        if type is RequestType.ERASURE:
            ground = rng.choice(
                ("not_needed", "objection", "unsure", "unsure", "consent_withdrawn")
            )
            return {"scope": "all", "parts": [], "ground": ground}
        if type is RequestType.RECTIFICATION:
            return {"corrections": {"job_title": rng.choice(LEAD_TITLES)}}
        if type is RequestType.RESTRICTION:
            return {"ground": rng.choice(("accuracy", "unlawful", "legal_claims"))}
        return {"kind": "direct_marketing"}

    def work(self, request: SubjectRequest, received: datetime, until: float) -> datetime:
        """Start the case (and maybe ask the person something) before day ``until``."""
        delay = self.rng.uniform(0.2, max(0.3, min(3.0, until * 0.3)))
        started = self.at(received, min(delay, max(until, 0.05) * 0.5), office=until >= 2)
        casework.start_work(self.session, request, by=self.handler, now=started)
        if self.rng.random() < 0.15 and until > 6:
            self.ask(
                request,
                started + timedelta(hours=2),
                answer_by=received + timedelta(days=until - 1),
            )
        return started

    def ask(self, request: SubjectRequest, moment: datetime, answer_by: datetime | None) -> None:
        index = self.rng.randrange(len(CLARIFICATION_QUESTIONS))
        casework.ask_clarification(
            self.session, request, CLARIFICATION_QUESTIONS[index], by=self.handler, now=moment
        )
        if answer_by is not None and answer_by > moment + timedelta(hours=3):
            reply = moment + (answer_by - moment) * self.rng.uniform(0.2, 0.8)
            casework.reply_from_subject(self.session, request, SUBJECT_REPLIES[index], now=reply)

    def extend(self, request: SubjectRequest, received: datetime) -> None:
        """The handler proposes the one extension; the officer approves it the next working day."""
        legal = request.legal_due_on
        proposed = self.at(received, self.rng.uniform(8, 20))
        decided = self.at(proposed, 1)
        while stockholm_date(decided) > legal:
            decided -= timedelta(days=1)
        reasons = self.rng.choice(EXTENSION_REASONS)
        approval = decisions.propose_extension(
            self.session, request, reasons, by=self.handler, now=proposed,
            today=stockholm_date(proposed),
        )  # fmt: skip
        decisions.decide(
            self.session, approval, approve=True, note=None, by=self.officer,
            now=max(decided, proposed + timedelta(minutes=30)), today=stockholm_date(decided),
        )  # fmt: skip

    def refuse(self, request: SubjectRequest, received: datetime) -> None:
        ground = self.rng.choice(REFUSAL_GROUNDS_BY_TYPE[request.type])
        proposed = self.at(received, self.rng.uniform(4, 18))
        approval = decisions.propose_refusal(
            self.session, request, scope="whole", ground=ground, reasons=REFUSAL_REASONS[ground],
            by=self.handler, now=proposed, today=stockholm_date(proposed),
        )  # fmt: skip
        decided = proposed + timedelta(hours=self.rng.uniform(1, 20))
        if stockholm_date(decided) > request.legal_due_on:
            decided = proposed + timedelta(minutes=30)
        decisions.decide(
            self.session, approval, approve=True, note=None, by=self.officer, now=decided,
            today=stockholm_date(decided),
        )  # fmt: skip

    def complete(self, request: SubjectRequest, moment: datetime) -> None:
        """Close as done the way ``casework.complete`` does, without its guards: the history does
        not carry out each right's records (packages, erasure plans) again."""
        processing.transition(
            self.session, request, RequestStatus.COMPLETED, actor=self.handler.actor, now=moment,
            kind="completed",
        )  # fmt: skip
        body = COMPLETION_MESSAGES[request.type]
        request.messages.append(
            Message(from_subject=False, staff_id=self.handler.id, body=body, created_at=moment)
        )
        casework.notify_subject(self.session, request, "completed", moment)
        audit.record(
            self.session, action="case.complete", now=moment, staff=self.handler, request=request
        )

    def closed_case(
        self, days_ago: int, type: RequestType | None = None, outcome: str | None = None
    ) -> None:
        rng = self.rng
        received = self.received_moment(days_ago)
        type = type or _weighted(rng, CASE_TYPES)
        if type is RequestType.CONSENT_WITHDRAWAL:
            chosen = self.consent(received)
            if chosen is not None:
                self.file(type, chosen[1], received, {"consent_ids": [chosen[0]]})
                return
            type = RequestType.ACCESS
        if type is RequestType.OBJECTION:
            email = self.person(self.leads, received)
            if email is not None:
                self.file(type, email, received, self.details(type))
                return
            type = RequestType.ACCESS
        outcome = outcome or _weighted(rng, CASE_OUTCOMES)
        if outcome is _REFUSED and type not in REFUSAL_GROUNDS_BY_TYPE:
            outcome = _COMPLETED
        if days_ago < OUTCOME_MIN_DAYS[outcome]:
            outcome = _COMPLETED  # not enough time since receipt for that story to have ended
        if type is RequestType.ERASURE and outcome in (_COMPLETED, _EXTENDED, _LATE):
            email = self.former_lead()
        elif type is RequestType.ERASURE and outcome is _REFUSED:
            email = self.person(self.contacts, received) or self.person(self.leads, received)
        else:
            email = self.person(self.leads, received)
        if email is None:
            return
        request = self.file(type, email, received, self.details(type))
        if type is RequestType.ERASURE and outcome is not _REFUSED and outcome is not _WITHDRAWN:
            suppression.suppress(self.session, email, reason="erasure", now=received)
        legal_days = (request.legal_due_on - request.received_on).days
        if outcome is _WITHDRAWN:
            if rng.random() < 0.5:
                self.work(request, received, 4)
            processing.withdraw(
                self.session, request, now=self.at(received, rng.uniform(1, 6), office=False)
            )
            return
        if outcome is _REFUSED:
            self.work(request, received, 4)
            self.refuse(request, received)
            return
        left = days_ago - 0.5  # days from receipt to a little before now
        if outcome is _EXTENDED:
            self.work(request, received, 8)
            self.extend(request, received)
            extended_days = (request.due_on - request.received_on).days
            late = min(extended_days - 3, left)
            done = self.at(received, rng.uniform(legal_days + 5, max(legal_days + 5, late)))
        else:
            if outcome is _LATE:
                days = legal_days + rng.uniform(1, 12)
            else:
                quick = 12 if type is RequestType.ACCESS else 20
                days = min(rng.triangular(2, legal_days - 2, quick), legal_days - 2)
            days = max(0.1, min(days, left))
            done = self.at(received, days, office=days >= 1)
            self.work(request, received, days)
        after = max(done, request.updated_at + timedelta(minutes=20))
        self.complete(request, min(after, self.now - timedelta(minutes=1)))

    def open_case(self, status: RequestStatus, days_ago: int, extended: bool) -> None:
        received = self.received_moment(days_ago)
        type = self.rng.choice((RequestType.ACCESS, RequestType.ACCESS, RequestType.ERASURE,
                                RequestType.RECTIFICATION, RequestType.PORTABILITY))  # fmt: skip
        email = self.person(self.leads, received)
        if email is None:
            return
        request = self.file(type, email, received, self.details(type))
        if status is RequestStatus.RECEIVED:
            return
        self.work(request, received, 0)
        if extended:
            self.extend(request, received)
        if status is RequestStatus.AWAITING_SUBJECT:
            asked = self.at(received, max(1, days_ago - 2))
            self.ask(request, max(asked, request.updated_at + timedelta(minutes=20)), None)


def _weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([value for value, _ in choices], [weight for _, weight in choices])[0]


def seed_demo_cases(session: Session, *, count: int, seed: int, now: datetime) -> int:
    """File about ``count`` requests of the last 14 months on seeded leads and contacts, worked
    through the real services by the demo staff at past moments; returns how many were filed.

    Most are closed (on time, a few extended, late, refused or withdrawn), a handful are open
    (new, in progress, waiting for the person, due this week, two overdue). The fixed demo people
    get none, so the portal shows them a clean slate. Their e-mails are marked sent: nothing
    leaves for a demo case. Flushes only.
    """
    seed_demo_staff(session, now=now)
    handler, officer = (
        _demo_staff(session, StaffRole.HANDLER),
        _demo_staff(session, StaffRole.OFFICER),
    )
    now = now.astimezone(UTC)
    maker = _CaseMaker(
        session, random.Random(f"{seed}-cases"), now, handler, officer,
        *_candidates(session), consents=_active_consents(session),
    )  # fmt: skip
    maker.used.update(session.scalars(select(SubjectRequest.email).distinct()))
    maker.domains = sorted({c.email.split("@")[1] for c in maker.leads[:2000]})
    for status, days_ago, extended in OPEN_CASES:
        maker.open_case(status, days_ago, extended)
    history = max(0, count - len(OPEN_CASES))
    ages = sorted((maker.rng.randint(1, CASE_HISTORY_DAYS) for _ in range(history)), reverse=True)
    # Every type and outcome at least once, however few cases: on the oldest ones (long enough
    # ago for any outcome), and the consent withdrawal on the newest (most consents exist by then).
    plan = list(SHOWCASE)[: len(ages)]
    for index, days_ago in enumerate(ages):
        if index == len(ages) - 1 and len(ages) > len(SHOWCASE):
            maker.closed_case(days_ago, RequestType.CONSENT_WITHDRAWAL)
        elif index < len(plan):
            maker.closed_case(days_ago, *plan[index])
        else:
            maker.closed_case(days_ago)
    session.flush()
    _mark_sent(session, [request.id for request in maker.filed])
    return len(maker.filed)


def _demo_staff(session: Session, role: StaffRole) -> StaffUser:
    email = next(address for address, _, of in DEMO_STAFF if of is role)
    user = staff_accounts.find_by_email(session, email)
    if user is None:
        raise LookupError(email)
    return user


def _candidates(session: Session) -> tuple[list[_Candidate], list[_Candidate]]:
    """Leads and customer contacts (not the fixed demo people), oldest last trace first."""
    last_message = dict(
        session.execute(
            select(Communication.person_id, func.max(Communication.occurred_at)).group_by(
                Communication.person_id
            )
        ).all()
    )
    leads: list[_Candidate] = []
    contacts: list[_Candidate] = []
    rows = session.execute(
        select(Person.id, Person.email, Person.kind, Person.created_at, Person.updated_at)
        .where(Person.email.not_in(DEMO_ADDRESSES))
        .order_by(Person.id)
    )
    for person_id, email, kind, created_at, updated_at in rows:
        seen = max(created_at, updated_at, last_message.get(person_id, created_at))
        pool = contacts if kind is PersonKind.CUSTOMER_CONTACT else leads
        pool.append(
            _Candidate(email, kind, seen.replace(tzinfo=UTC) if seen.tzinfo is None else seen)
        )
    leads.sort(key=lambda c: c.last_seen)
    contacts.sort(key=lambda c: c.last_seen)
    return leads, contacts


def _active_consents(session: Session) -> list[tuple[int, str, datetime]]:
    rows = session.execute(
        select(Consent.id, Person.email, Consent.given_at)
        .join(Person, Consent.person_id == Person.id)
        .where(Consent.withdrawn_at.is_(None), Person.email.not_in(DEMO_ADDRESSES))
        .order_by(Consent.id)
    )
    return [
        (consent_id, email, given.replace(tzinfo=UTC) if given.tzinfo is None else given)
        for consent_id, email, given in rows
    ]


def _mark_sent(session: Session, request_ids: list[int]) -> None:
    """The demo cases' e-mails count as delivered when they were written: none is sent now."""
    if not request_ids:
        return
    ids = set(request_ids)
    session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.request_id.in_(ids), OutboundEmail.status == EmailStatus.PENDING)
        .values(status=EmailStatus.SENT, sent_at=OutboundEmail.created_at, attempts=1)
        .execution_options(synchronize_session=False)
    )
    queued = set(session.scalars(select(OutboundEmail.id).where(OutboundEmail.request_id.in_(ids))))
    session.info["outbox.queued"] = [
        i for i in session.info.get("outbox.queued", []) if i not in queued
    ]
