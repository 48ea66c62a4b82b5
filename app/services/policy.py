"""The public privacy policy: rendered from the register, published in numbered versions, and
announced by e-mail to the people who asked to hear about changes.

- ``snapshot(session)``: what the register says now, in the form the policy shows (controller,
  purposes, recipients, retention rules, the supervisory authority). A published version keeps
  its snapshot, so every version in the history reads as it did when it was published.
- ``publish(...)``: a new version. The contract terms promise 30 days' notice of changes, so a
  version takes effect 30 days after today at the earliest; only the very first may take effect
  at once.
- ``queue_policy_notices(session, now)``: for ``portal worker``. One e-mail per opted-in address
  per version, logged by the address's keyed hash (the log keeps no addresses), and idempotent.

Before any version is published the policy page shows the register as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.exports.bundle import Controller
from app.mail import outbox
from app.models import (
    Consent,
    ControllerInfo,
    Person,
    PolicyNotice,
    PolicyVersion,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    StaffUser,
    SubjectRequest,
    Suppression,
)
from app.services import audit
from app.services.errors import RuleError
from app.services.register_editor import InvalidRegisterData, country_name, outside_eea
from app.services.suppression import address_hash

SNAPSHOT_FORMAT = 1
NOTICE_DAYS = 30
"""The contract terms promise at least 30 days' notice of a change (seed policy, item 5)."""
SUMMARY_MAX = 2000
BATCH = 200
"""Addresses handled per transaction when queueing notices."""
DEFAULT_LANGUAGE = "sv"
TEMPLATE = "policy_notice"
CONTROLLER_FIELDS = (
    "name", "org_number", "street", "postal_code", "city", "country", "email", "dpo_email",
    "phone", "website",
)  # fmt: skip


# --- the register as the policy shows it ------------------------------------------------------


def snapshot(session: Session) -> dict[str, Any]:
    """The register now, as plain JSON: what a version freezes and the policy page renders.

    Active recipients only. Customers' systems are counted, not named (which customer received
    a person's data is told on request, in the access answer); their transfers outside the EU/EEA
    are listed with their safeguards.
    """
    info = session.scalar(select(ControllerInfo).order_by(ControllerInfo.id).limit(1))
    rules = session.scalars(select(RetentionRule).order_by(RetentionRule.id)).all()
    purposes = session.scalars(select(Purpose).order_by(Purpose.position, Purpose.id)).all()
    active = session.scalars(
        select(Recipient)
        .where(Recipient.active.is_(True))
        .order_by(Recipient.kind, Recipient.name, Recipient.id)
    ).all()
    customer_systems = [r for r in active if r.kind is RecipientKind.CUSTOMER_SYSTEM]
    transfers: list[dict[str, Any]] = []
    for system in customer_systems:
        if outside_eea(system.country):
            entry = {
                "country": system.country,
                "safeguard_sv": system.safeguard_sv,
                "safeguard_en": system.safeguard_en,
            }
            if entry not in transfers:
                transfers.append(entry)
    return {
        "format": SNAPSHOT_FORMAT,
        "controller": None
        if info is None
        else {field: getattr(info, field) for field in CONTROLLER_FIELDS},
        "purposes": [
            {
                "code": p.code,
                "name_sv": p.name_sv,
                "name_en": p.name_en,
                "description_sv": p.description_sv,
                "description_en": p.description_en,
                "legal_basis": p.legal_basis.value,
                "interest_sv": p.interest_sv,
                "interest_en": p.interest_en,
                "categories": list(p.categories or []),
            }
            for p in purposes
        ],
        "recipients": [
            {
                "name": r.name,
                "kind": r.kind.value,
                "service_sv": r.service_sv,
                "service_en": r.service_en,
                "country": r.country,
                "safeguard_sv": r.safeguard_sv,
                "safeguard_en": r.safeguard_en,
            }
            for r in active
            if r.kind is not RecipientKind.CUSTOMER_SYSTEM
        ],
        "customer_systems": {"count": len(customer_systems), "transfers": transfers},
        "retention": [
            {
                "category": r.category,
                "name_sv": r.name_sv,
                "name_en": r.name_en,
                "months": r.months,
                "trigger": r.trigger.value,
                "description_sv": r.description_sv,
                "description_en": r.description_en,
                "legal_reference": r.legal_reference,
            }
            for r in rules
        ],
        "authority": {
            "name_sv": IMY.name_sv,
            "name_en": IMY.name_en,
            "short_name": IMY.short_name,
            "postal_address": IMY.postal_address,
            "complaint_url_sv": IMY.complaint_url_sv,
            "complaint_url_en": IMY.complaint_url_en,
        },
    }


# --- the document in one language -------------------------------------------------------------


@dataclass(frozen=True)
class PurposeText:
    code: str
    name: str
    description: str
    legal_basis: str  # "6.1.a" ... "6.1.f"
    interest: str | None
    categories: tuple[str, ...]  # the categories' names


@dataclass(frozen=True)
class RecipientText:
    name: str
    kind: str
    service: str
    country: str  # the country's name in the document's language
    outside_eea: bool
    safeguard: str | None


@dataclass(frozen=True)
class TransferText:
    country: str
    safeguard: str | None


@dataclass(frozen=True)
class RetentionText:
    category: str
    name: str
    months: int
    years: int | None  # whole years, when the period is two years or more and a whole number
    trigger: str
    description: str
    legal_reference: str | None


@dataclass(frozen=True)
class AuthorityText:
    name: str
    swedish_name: str
    short_name: str
    postal_address: str
    complaint_url: str


@dataclass(frozen=True)
class PolicyDocument:
    """A snapshot read in one language: what the policy templates lay out."""

    language: str
    controller: Controller | None
    purposes: tuple[PurposeText, ...]
    processors: tuple[RecipientText, ...]
    authorities: tuple[RecipientText, ...]
    customer_systems: int
    customer_transfers: tuple[TransferText, ...]
    retention: tuple[RetentionText, ...]
    authority: AuthorityText

    @property
    def transfers(self) -> tuple[RecipientText, ...]:
        """Named recipients outside the EU/EEA."""
        return tuple(r for r in self.processors + self.authorities if r.outside_eea)

    @property
    def bases(self) -> frozenset[str]:
        return frozenset(p.legal_basis for p in self.purposes)


def document(data: dict[str, Any], language: str) -> PolicyDocument:
    lang = language if language in ("sv", "en") else DEFAULT_LANGUAGE
    names = {r["category"]: r[f"name_{lang}"] for r in data.get("retention", [])}

    def recipient(r: dict[str, Any]) -> RecipientText:
        return RecipientText(
            name=r["name"],
            kind=r["kind"],
            service=r[f"service_{lang}"],
            country=country_name(r["country"], lang),
            outside_eea=outside_eea(r["country"]),
            safeguard=r.get(f"safeguard_{lang}"),
        )

    recipients = [recipient(r) for r in data.get("recipients", [])]
    authority = data["authority"]
    customers = data.get("customer_systems") or {"count": 0, "transfers": []}
    return PolicyDocument(
        language=lang,
        controller=Controller(**data["controller"]) if data.get("controller") else None,
        purposes=tuple(
            PurposeText(
                code=p["code"],
                name=p[f"name_{lang}"],
                description=p[f"description_{lang}"],
                legal_basis=p["legal_basis"],
                interest=p.get(f"interest_{lang}"),
                categories=tuple(names.get(code, code) for code in p.get("categories", [])),
            )
            for p in data.get("purposes", [])
        ),
        processors=tuple(r for r in recipients if r.kind == RecipientKind.PROCESSOR.value),
        authorities=tuple(r for r in recipients if r.kind == RecipientKind.AUTHORITY.value),
        customer_systems=int(customers.get("count", 0)),
        customer_transfers=tuple(
            TransferText(
                country=country_name(t["country"], lang), safeguard=t.get(f"safeguard_{lang}")
            )
            for t in customers.get("transfers", [])
        ),
        retention=tuple(
            RetentionText(
                category=r["category"],
                name=r[f"name_{lang}"],
                months=r["months"],
                years=r["months"] // 12 if r["months"] >= 24 and r["months"] % 12 == 0 else None,
                trigger=r["trigger"],
                description=r[f"description_{lang}"],
                legal_reference=r.get("legal_reference"),
            )
            for r in data.get("retention", [])
        ),
        authority=AuthorityText(
            name=authority[f"name_{lang}"],
            swedish_name=authority["name_sv"],
            short_name=authority["short_name"],
            postal_address=authority["postal_address"],
            complaint_url=authority[f"complaint_url_{lang}"],
        ),
    )


# --- versions ---------------------------------------------------------------------------------


def versions(session: Session) -> list[PolicyVersion]:
    return list(session.scalars(select(PolicyVersion).order_by(PolicyVersion.number)))


def latest(session: Session) -> PolicyVersion | None:
    return session.scalar(select(PolicyVersion).order_by(PolicyVersion.number.desc()).limit(1))


def in_force(session: Session, day: date) -> PolicyVersion | None:
    """The version in force on ``day`` (a Stockholm date): the newest that has taken effect."""
    return session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.effective_from <= day)
        .order_by(PolicyVersion.number.desc())
        .limit(1)
    )


def coming(session: Session, day: date) -> list[PolicyVersion]:
    """Versions published but not yet in force on ``day``, soonest first."""
    return list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.effective_from > day)
            .order_by(PolicyVersion.effective_from, PolicyVersion.number)
        )
    )


@dataclass(frozen=True)
class HistoryEntry:
    version: PolicyVersion
    status: str  # "current", "coming" or "earlier"
    replaced_on: date | None  # for an earlier version: the day the next one took effect


def history(session: Session, day: date) -> list[HistoryEntry]:
    """Every version, newest first, with whether it is in force, coming or replaced (and when)."""
    every = versions(session)
    current = in_force(session, day)
    entries = []
    for version in every:
        if version.effective_from > day:
            status, replaced_on = "coming", None
        elif current is not None and version.id == current.id:
            status, replaced_on = "current", None
        else:
            later = [
                v.effective_from
                for v in every
                if v.number > version.number and v.effective_from <= day
            ]
            status, replaced_on = "earlier", min(later) if later else None
        entries.append(HistoryEntry(version=version, status=status, replaced_on=replaced_on))
    return entries[::-1]


def register_changed(session: Session) -> bool:
    """Whether the register says something the newest version does not (or none is published)."""
    newest = latest(session)
    return newest is None or newest.snapshot != snapshot(session)


def earliest_effective(session: Session, today: date) -> date:
    """The first day a version published today may take effect."""
    newest = latest(session)
    if newest is None:
        return today  # the very first version replaces no published one: no notice is owed
    return max(today + timedelta(days=NOTICE_DAYS), newest.effective_from)


def publish(
    session: Session,
    *,
    effective_from: date | None,
    summary_sv: str | None,
    summary_en: str | None,
    by: StaffUser,
    now: datetime,
    today: date,
) -> PolicyVersion:
    """Publish the register as the next version of the policy.

    :raises InvalidRegisterData: a missing or too early date, a missing summary.
    :raises RuleError: the register has not changed since the newest version.
    """
    errors: dict[str, str] = {}
    earliest = earliest_effective(session, today)
    if effective_from is None:
        errors["effective_from"] = _("Enter the date the new version takes effect.")
    elif effective_from < earliest:
        if latest(session) is None:
            errors["effective_from"] = _("The first version can take effect today at the earliest.")
        else:
            errors["effective_from"] = _(
                "The new version can take effect on %(date)s at the earliest: our terms promise "
                "%(days)d days' notice of changes, and it cannot take effect before the version "
                "published last.",
                date=format_date(earliest, "long"),
                days=NOTICE_DAYS,
            )
    summaries: dict[str, str] = {}
    for field, given, missing in (
        ("summary_sv", summary_sv, _("Summarise the changes in Swedish.")),
        ("summary_en", summary_en, _("Summarise the changes in English.")),
    ):
        text = (given or "").strip()
        if not text:
            errors[field] = missing
        elif len(text) > SUMMARY_MAX:
            errors[field] = _("Use at most %(limit)d characters.", limit=SUMMARY_MAX)
        else:
            summaries[field] = text
    if errors:
        raise InvalidRegisterData(errors)
    assert effective_from is not None  # noqa: S101  (checked above)
    content = snapshot(session)
    newest = latest(session)
    if newest is not None and newest.snapshot == content:
        raise RuleError(
            _(
                "The register has not changed since version %(number)d was published: there is "
                "nothing new to publish.",
                number=newest.number,
            )
        )
    number = (session.scalar(select(func.max(PolicyVersion.number))) or 0) + 1
    version = PolicyVersion(
        number=number,
        published_at=now,
        published_by_id=by.id,
        effective_from=effective_from,
        summary_sv=summaries["summary_sv"],
        summary_en=summaries["summary_en"],
        snapshot=content,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        action="policy.published",
        now=now,
        staff=by,
        data={"version": number, "effective_from": effective_from.isoformat()},
    )
    return version


# --- notices to the people who asked for them -------------------------------------------------


def queue_policy_notices(session: Session, now: datetime) -> int:
    """Queue the notice e-mails of every version not yet announced; return how many.

    Each distinct address with an active consent that asks for policy notices
    (``Consent.wants_policy_notices``) gets one e-mail per version, in the language of its latest
    case (Swedish when it has none), unless the address is on the suppression list. The log row
    and the e-mail are committed together, a batch at a time (this runs in the worker, outside a
    request), so a second run, or one after a crash, sends nobody the same notice twice.
    """
    queued = 0
    pending = session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.announced_at.is_(None))
        .order_by(PolicyVersion.number)
    ).all()
    for version in pending:
        try:
            queued += _announce(session, version, now)
        except IntegrityError:
            # Another worker logged some of the same addresses first: it carries on with them.
            outbox.rollback(session)
            break
    return queued


def _announce(session: Session, version: PolicyVersion, now: datetime) -> int:
    queued = 0
    after = ""
    while True:
        addresses = list(
            session.scalars(
                select(Person.email)
                .join(Consent, Consent.person_id == Person.id)
                .where(
                    Consent.wants_policy_notices.is_(True),
                    Consent.withdrawn_at.is_(None),
                    Person.email > after,
                )
                .group_by(Person.email)
                .order_by(Person.email)
                .limit(BATCH)
            )
        )
        if not addresses:
            break
        after = addresses[-1]
        hashes = {address: address_hash(address) for address in addresses}
        digests = list(set(hashes.values()))
        skip = set(
            session.scalars(
                select(PolicyNotice.address_hash).where(
                    PolicyNotice.version_id == version.id, PolicyNotice.address_hash.in_(digests)
                )
            )
        )
        skip.update(
            session.scalars(
                select(Suppression.email_hash).where(Suppression.email_hash.in_(digests))
            )
        )
        languages = _languages(session, addresses)
        for address in addresses:
            digest = hashes[address]
            if digest in skip:
                continue
            skip.add(digest)
            session.add(PolicyNotice(version_id=version.id, address_hash=digest, queued_at=now))
            language = languages.get(address, DEFAULT_LANGUAGE)
            outbox.queue_email(
                session,
                to=address,
                template=TEMPLATE,
                language=language,
                now=now,
                number=version.number,
                effective_from=version.effective_from,
                summary=version.summary_sv if language == "sv" else version.summary_en,
            )
            queued += 1
        session.commit()
    version.announced_at = now
    session.commit()
    return queued


def _languages(session: Session, addresses: list[str]) -> dict[str, str]:
    """The language of each address's latest case, where it has one."""
    rows = session.execute(
        select(SubjectRequest.email, SubjectRequest.language)
        .where(SubjectRequest.email.in_(addresses))
        .order_by(SubjectRequest.received_at, SubjectRequest.id)
    )
    return {email: language for email, language in rows if language in ("sv", "en")}
