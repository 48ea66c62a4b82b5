"""The privacy officer edits the Art. 30 register: controller facts, purposes, recipients and
retention rules.

Each function takes the submitted values as they came from the form, checks all of them (a clear
message per field, in the officer's language), and only then changes the row: invalid input
raises ``InvalidRegisterData`` and changes nothing. Every change is in the audit trail as
``register.<thing>.<change>`` with the changed fields and their old and new values (the register
describes the controller's processing, not a person, so the values may be kept). A webhook secret
is the exception: the trail says it was set or replaced, never what it is.

A row that other records point to is never deleted: a recipient is deactivated instead, and a
purpose or a retention rule in use cannot be removed until nothing uses it.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.i18n import localized
from app.models import (
    Assignment,
    Consent,
    ControllerInfo,
    LegalBasis,
    Purpose,
    Recipient,
    RecipientKind,
    RecipientNotice,
    RetentionRule,
    RetentionTrigger,
    StaffUser,
)
from app.services import audit
from app.services.errors import RuleError
from app.services.register_seed import RETENTION_RULES

# --- reference data ---------------------------------------------------------------------------

# The 27 EU member states (ISO 3166-1 alpha-2: Greece is GR) and the EEA states IS, LI, NO.
_EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
EU_EEA: frozenset[str] = frozenset(f"{_EU} IS LI NO".split(" "))
# CLDR's groupings and exceptional reservations, which are not countries.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
COUNTRY_CODES: frozenset[str] = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)
"""ISO 3166-1 alpha-2 codes of countries and territories (CLDR's list, without its groupings)."""

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SECRET_SET = "[set]"  # noqa: S105  (a placeholder, not a secret)
SECRET_NEW = "[new secret]"  # noqa: S105
"""What the audit trail says about a webhook secret instead of its value."""

BUILT_IN_CATEGORIES: frozenset[str] = frozenset(rule["category"] for rule in RETENTION_RULES)
"""Categories the portal itself files records under (access answers, erasure, purges)."""

TEXT_MAX = 4000
MONTHS_MAX = 1200
CODE_MAX = 40

ORG_NUMBER = re.compile(r"^(\d{6})-?(\d{4})$")
PHONE = re.compile(r"^\+?[0-9 ()\-–]{5,40}$")


def outside_eea(country: str | None) -> bool:
    return bool(country) and country not in EU_EEA


def country_name(code: str, language: str) -> str:
    return Locale(language).territories.get(code, code)


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a Swedish organisation or personal identity number (10 digits)."""
    total = 0
    for position, char in enumerate(digits):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


# --- errors -----------------------------------------------------------------------------------


E = TypeVar("E", bound=Enum)


class InvalidRegisterData(RuleError):
    """Some values cannot be saved; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


class FieldCheck:
    """Reads submitted values field by field, collecting one message per field."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def text(self, field: str, *, required: str | None, limit: int) -> str | None:
        """Stripped text, None when empty; ``required`` is the message for a missing value."""
        raw = self.values.get(field)
        value = str(raw).strip() if raw is not None else ""
        if "\x00" in value:
            self.fail(field, _("The text contains characters that cannot be saved."))
            return None
        if not value:
            if required is not None:
                self.fail(field, required)
            return None
        if len(value) > limit:
            self.fail(field, _("Use at most %(limit)d characters.", limit=limit))
            return None
        return value

    def line(self, field: str, *, required: str | None, limit: int) -> str | None:
        """Like ``text``, for one-line values: line breaks are refused."""
        value = self.text(field, required=required, limit=limit)
        if value is not None and any(char in value for char in "\r\n"):
            self.fail(field, _("Write it on one line."))
            return None
        return value

    def email(self, field: str, *, required: str | None) -> str | None:
        value = self.line(field, required=required, limit=254)
        if value is None:
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            self.fail(field, _("Enter a valid e-mail address, for example namn@foretag.se."))
            return None

    def choice(self, field: str, enum: type[E], *, required: str) -> E | None:
        raw = self.values.get(field)
        try:
            return enum(raw)
        except ValueError:
            self.fail(field, required)
            return None

    def flag(self, field: str) -> bool:
        raw = self.values.get(field)
        if isinstance(raw, str):
            return raw.strip().lower() in {"1", "y", "yes", "true", "on"}
        return bool(raw)

    def done(self) -> None:
        if self.errors:
            raise InvalidRegisterData(self.errors)


def _web_address(
    checker: FieldCheck, field: str, *, required: str | None, limit: int
) -> str | None:
    """An https address (http only for this machine, for testing a recipient's webhook)."""
    value = checker.line(field, required=required, limit=limit)
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        host = None
    if not host or parts.scheme not in {"https", "http"} or any(c.isspace() for c in value):
        checker.fail(
            field,
            _("Enter a full web address starting with https://, for example https://example.se/."),
        )
        return None
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        checker.fail(field, _("Use an https:// address: data must not be sent unencrypted."))
        return None
    if parts.username or parts.password:
        checker.fail(field, _("The address must not contain a user name or password."))
        return None
    return value


# --- changes and the audit trail --------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _apply(row: Any, new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the changed attributes; return ``{field: {"old": ..., "new": ...}}`` of what changed."""
    changes: dict[str, dict[str, Any]] = {}
    for field, value in new.items():
        old = getattr(row, field)
        if _plain(old) != _plain(value):
            changes[field] = {"old": _plain(old), "new": _plain(value)}
            setattr(row, field, value)
    return changes


def _added(new: Mapping[str, Any], *, keep_empty: bool = False) -> dict[str, dict[str, Any]]:
    """The changes of a new row: each value it starts with (empty ones only if ``keep_empty``)."""
    return {
        field: {"old": None, "new": _plain(value)}
        for field, value in new.items()
        if keep_empty or value is not None
    }


def _removed(row: Any, fields: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The changes of deleting a row: each of ``fields`` goes from its value to None."""
    return {field: {"old": _plain(getattr(row, field)), "new": None} for field in fields}


def _update(
    session: Session,
    row: Any,
    new: Mapping[str, Any],
    action: str,
    *,
    by: StaffUser,
    now: datetime,
    **ids: Any,
) -> dict[str, dict[str, Any]]:
    """Apply ``new`` to an existing row and record ``action`` with the changes, if any."""
    changes = _apply(row, new)
    if changes:
        session.flush()
        _record(session, action, by=by, now=now, changes=changes, **ids)
    return changes


def _record(
    session: Session,
    action: str,
    *,
    by: StaffUser,
    now: datetime,
    changes: dict[str, dict[str, Any]] | None = None,
    **ids: Any,
) -> None:
    data: dict[str, Any] = dict(ids)
    if changes is not None:
        data["changes"] = changes
    audit.record(session, action=action, now=now, staff=by, data=data)


def _code_from(name: str, taken: Callable[[str], bool]) -> str:
    """A short, stable code from a new row's English name: ``Lead contact`` → ``lead_contact``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[: CODE_MAX - 4] or "item"
    code, number = base, 1
    while taken(code):
        number += 1
        code = f"{base}_{number}"
    return code


# --- the controller ---------------------------------------------------------------------------


def controller(session: Session) -> ControllerInfo | None:
    return session.scalar(select(ControllerInfo).order_by(ControllerInfo.id).limit(1))


def update_controller(
    session: Session, values: Mapping[str, Any], *, by: StaffUser, now: datetime
) -> dict[str, dict[str, Any]]:
    """Change the controller's facts (creating the row if the register is empty)."""
    check = FieldCheck(values)
    new: dict[str, Any] = {
        "name": check.line("name", required=_("Enter the controller's name."), limit=200),
        "org_number": _org_number(check),
        "street": check.line("street", required=_("Enter the street address."), limit=200),
        "postal_code": check.line("postal_code", required=_("Enter the postal code."), limit=20),
        "city": check.line("city", required=_("Enter the city."), limit=100),
        "country": check.line("country", required=_("Enter the country."), limit=60),
        "email": check.email("email", required=_("Enter the contact e-mail address.")),
        "dpo_email": check.email("dpo_email", required=None),
        "phone": check.line("phone", required=None, limit=40),
        "website": _web_address(check, "website", required=None, limit=200),
    }
    if new["phone"] is not None and not PHONE.match(new["phone"]):
        check.fail(
            "phone", _("Enter a phone number with digits only, for example +46 8 123 456 78.")
        )
    check.done()
    row = controller(session)
    if row is None:
        row = ControllerInfo(**new)
        session.add(row)
        changes = _added(new, keep_empty=True)
    else:
        changes = _apply(row, new)
    if changes:
        session.flush()
        _record(session, "register.controller.updated", by=by, now=now, changes=changes)
    return changes


def _org_number(check: FieldCheck) -> str | None:
    value = check.line("org_number", required=_("Enter the organisation number."), limit=20)
    if value is None:
        return None
    found = ORG_NUMBER.match(value.replace(" ", ""))
    if not found:
        check.fail("org_number", _("Enter the organisation number as NNNNNN-NNNN, ten digits."))
        return None
    digits = found.group(1) + found.group(2)
    if not luhn_ok(digits):
        check.fail(
            "org_number",
            _("This is not a valid organisation number: the check digit does not match. Check it."),
        )
        return None
    return f"{found.group(1)}-{found.group(2)}"


# --- retention rules --------------------------------------------------------------------------


def retention_rules(session: Session) -> list[RetentionRule]:
    return list(session.scalars(select(RetentionRule).order_by(RetentionRule.id)))


def _rule_values(check: FieldCheck) -> dict[str, Any]:
    new: dict[str, Any] = {
        "name_sv": check.line("name_sv", required=_("Enter the name in Swedish."), limit=200),
        "name_en": check.line("name_en", required=_("Enter the name in English."), limit=200),
        "months": _months(check),
        "trigger": check.choice(
            "trigger", RetentionTrigger, required=_("Choose when the period starts.")
        ),
        "description_sv": check.text(
            "description_sv", required=_("Describe the data and the period in Swedish."),
            limit=TEXT_MAX,
        ),
        "description_en": check.text(
            "description_en", required=_("Describe the data and the period in English."),
            limit=TEXT_MAX,
        ),
        "legal_reference": check.line("legal_reference", required=None, limit=200),
    }  # fmt: skip
    return new


def _months(check: FieldCheck) -> int | None:
    raw = check.values.get("months")
    text = str(raw).strip() if raw is not None else ""
    if not text:
        check.fail("months", _("Enter how many months the data are kept."))
        return None
    if not text.isdigit() or not 1 <= int(text) <= MONTHS_MAX:
        check.fail(
            "months",
            _("Enter a whole number of months from 1 to %(max)d.", max=MONTHS_MAX),
        )
        return None
    return int(text)


def save_rule(
    session: Session,
    rule: RetentionRule | None,
    values: Mapping[str, Any],
    *,
    by: StaffUser,
    now: datetime,
) -> tuple[RetentionRule, dict[str, dict[str, Any]]]:
    """Add a retention rule (``rule`` None) or change one; its category code never changes."""
    check = FieldCheck(values)
    new = _rule_values(check)
    check.done()
    if rule is None:
        category = _code_from(
            new["name_en"],
            lambda code: session.scalar(select(exists().where(RetentionRule.category == code))),
        )
        rule = RetentionRule(category=category, **new)
        session.add(rule)
        session.flush()
        changes = _added(new, keep_empty=True)
        _record(
            session, "register.retention_rule.created", by=by, now=now, changes=changes,
            rule_id=rule.id, category=category,
        )  # fmt: skip
        return rule, changes
    changes = _update(
        session, rule, new, "register.retention_rule.updated", by=by, now=now,
        rule_id=rule.id, category=rule.category,
    )  # fmt: skip
    return rule, changes


def purposes_using(session: Session, category: str) -> list[Purpose]:
    return [p for p in purposes(session) if category in (p.categories or [])]


def delete_rule(session: Session, rule: RetentionRule, *, by: StaffUser, now: datetime) -> None:
    """Remove a rule that no purpose uses; a rule in use is refused (RuleError).

    The built-in categories are never removed: the portal's access answers, erasure and purges
    file the records they read under them.
    """
    if rule.category in BUILT_IN_CATEGORIES:
        raise RuleError(
            _(
                "The portal itself files records under this category, for access answers and "
                "deletion, so it cannot be removed. Change its period or description instead."
            )
        )
    using = purposes_using(session, rule.category)
    if using:
        raise RuleError(
            _(
                "This category is used by %(purposes)s. Remove it from those purposes first.",
                purposes=", ".join(localized(p, "name") for p in using),
            )
        )
    changes = _removed(rule, _RULE_FIELDS)
    session.delete(rule)
    session.flush()
    _record(
        session, "register.retention_rule.deleted", by=by, now=now, changes=changes,
        rule_id=rule.id, category=rule.category,
    )  # fmt: skip


_RULE_FIELDS = (
    "name_sv", "name_en", "months", "trigger", "description_sv", "description_en",
    "legal_reference",
)  # fmt: skip


# --- purposes ---------------------------------------------------------------------------------


def purposes(session: Session) -> list[Purpose]:
    return list(session.scalars(select(Purpose).order_by(Purpose.position, Purpose.id)))


def _purpose_values(session: Session, check: FieldCheck) -> dict[str, Any]:
    basis = check.choice("legal_basis", LegalBasis, required=_("Choose the legal basis."))
    new: dict[str, Any] = {
        "name_sv": check.line("name_sv", required=_("Enter the name in Swedish."), limit=200),
        "name_en": check.line("name_en", required=_("Enter the name in English."), limit=200),
        "description_sv": check.text(
            "description_sv", required=_("Describe the purpose in Swedish."), limit=TEXT_MAX
        ),
        "description_en": check.text(
            "description_en", required=_("Describe the purpose in English."), limit=TEXT_MAX
        ),
        "legal_basis": basis,
        "interest_sv": None,
        "interest_en": None,
        "categories": _categories(session, check),
    }
    if basis is LegalBasis.LEGITIMATE_INTEREST:
        # Art. 13(1)(d), 14(2)(b): the interest itself must be stated, in both languages.
        new["interest_sv"] = check.text(
            "interest_sv",
            required=_("Describe the legitimate interest in Swedish: Art. 6(1)(f) requires it."),
            limit=TEXT_MAX,
        )
        new["interest_en"] = check.text(
            "interest_en",
            required=_("Describe the legitimate interest in English: Art. 6(1)(f) requires it."),
            limit=TEXT_MAX,
        )
    return new


def _categories(session: Session, check: FieldCheck) -> list[str] | None:
    raw = check.values.get("categories") or []
    chosen = [raw] if isinstance(raw, str) else list(raw)
    if not chosen:
        check.fail("categories", _("Choose at least one category of data."))
        return None
    known = [rule.category for rule in retention_rules(session)]
    unknown = [str(code) for code in chosen if code not in known]
    if unknown:
        check.fail("categories", _("Choose categories from the retention rules."))
        return None
    return [code for code in known if code in chosen]  # in the rules' order, once each


def save_purpose(
    session: Session,
    purpose: Purpose | None,
    values: Mapping[str, Any],
    *,
    by: StaffUser,
    now: datetime,
) -> tuple[Purpose, dict[str, dict[str, Any]]]:
    """Add a purpose (``purpose`` None) or change one; its code never changes."""
    check = FieldCheck(values)
    new = _purpose_values(session, check)
    check.done()
    if purpose is None:
        code = _code_from(
            new["name_en"],
            lambda code: session.scalar(select(exists().where(Purpose.code == code))),
        )
        position = (session.scalar(select(func.max(Purpose.position))) or 0) + 1
        purpose = Purpose(code=code, position=position, **new)
        session.add(purpose)
        session.flush()
        changes = _added(new)
        _record(
            session, "register.purpose.created", by=by, now=now, changes=changes,
            purpose_id=purpose.id, code=code,
        )  # fmt: skip
        return purpose, changes
    changes = _update(
        session, purpose, new, "register.purpose.updated", by=by, now=now,
        purpose_id=purpose.id, code=purpose.code,
    )  # fmt: skip
    return purpose, changes


def purpose_in_use(session: Session, purpose: Purpose) -> bool:
    return bool(session.scalar(select(exists().where(Consent.purpose_id == purpose.id))))


def delete_purpose(session: Session, purpose: Purpose, *, by: StaffUser, now: datetime) -> None:
    """Remove a purpose no consent refers to; one in use is refused (RuleError)."""
    if purpose_in_use(session, purpose):
        raise RuleError(
            _(
                "Consents that people gave refer to this purpose, so it cannot be removed. "
                "Change its description instead if the processing has changed."
            )
        )
    changes = _removed(purpose, _PURPOSE_FIELDS)
    session.delete(purpose)
    session.flush()
    _record(
        session, "register.purpose.deleted", by=by, now=now, changes=changes,
        purpose_id=purpose.id, code=purpose.code,
    )  # fmt: skip


_PURPOSE_FIELDS = (
    "name_sv", "name_en", "description_sv", "description_en", "legal_basis", "interest_sv",
    "interest_en", "categories",
)  # fmt: skip


# --- recipients -------------------------------------------------------------------------------


def recipients(session: Session) -> list[Recipient]:
    return list(
        session.scalars(
            select(Recipient).order_by(
                Recipient.active.desc(), Recipient.kind, Recipient.name, Recipient.id
            )
        )
    )


def _recipient_values(check: FieldCheck) -> dict[str, Any]:
    country_raw = check.line("country", required=_("Choose the country."), limit=2)
    country = country_raw.upper() if country_raw else None
    if country is not None and country not in COUNTRY_CODES:
        check.fail("country", _("Choose the country from the list."))
        country = None
    new: dict[str, Any] = {
        "name": check.line("name", required=_("Enter the recipient's name."), limit=200),
        "kind": check.choice("kind", RecipientKind, required=_("Choose the kind of recipient.")),
        "service_sv": check.line(
            "service_sv", required=_("Describe in Swedish what they do with the data."), limit=200
        ),
        "service_en": check.line(
            "service_en", required=_("Describe in English what they do with the data."), limit=200
        ),
        "country": country,
        "safeguard_sv": check.text("safeguard_sv", required=None, limit=TEXT_MAX),
        "safeguard_en": check.text("safeguard_en", required=None, limit=TEXT_MAX),
        "contact_email": check.email("contact_email", required=None),
        "webhook_url": _web_address(check, "webhook_url", required=None, limit=500),
        "active": check.flag("active"),
    }
    if outside_eea(country):
        # Art. 13(1)(f), 15(2): a transfer outside the EU/EEA needs its safeguard stated.
        if new["safeguard_sv"] is None:
            check.fail(
                "safeguard_sv",
                _(
                    "The country is outside the EU/EEA: describe the safeguard for the transfer "
                    "in Swedish (an adequacy decision such as the EU–US Data Privacy Framework, "
                    "or standard contractual clauses)."
                ),
            )
        if new["safeguard_en"] is None:
            check.fail(
                "safeguard_en",
                _(
                    "The country is outside the EU/EEA: describe the safeguard for the transfer "
                    "in English (an adequacy decision such as the EU–US Data Privacy Framework, "
                    "or standard contractual clauses)."
                ),
            )
    return new


def save_recipient(
    session: Session,
    recipient: Recipient | None,
    values: Mapping[str, Any],
    *,
    by: StaffUser,
    now: datetime,
) -> tuple[Recipient, dict[str, dict[str, Any]], str | None]:
    """Add a recipient (``recipient`` None) or change one.

    Returns the row, the changes and a webhook secret generated now (None if none was): a
    webhook gets its secret when it is first set, and loses it when the webhook is removed.
    The secret is shown to the officer once; the trail only says that one was made.
    """
    check = FieldCheck(values)
    new = _recipient_values(check)
    check.done()
    secret = None
    created = recipient is None
    if recipient is None:
        recipient = Recipient(**new)
        session.add(recipient)
        changes = _added(new)
    else:
        changes = _apply(recipient, new)
    if recipient.webhook_url and not recipient.webhook_secret:
        secret = secrets.token_hex(32)
        recipient.webhook_secret = secret
        changes["webhook_secret"] = {"old": None, "new": SECRET_NEW}
    elif not recipient.webhook_url and recipient.webhook_secret:
        recipient.webhook_secret = None
        changes["webhook_secret"] = {"old": SECRET_SET, "new": None}
    if changes:
        session.flush()
        action = "register.recipient.created" if created else "register.recipient.updated"
        _record(session, action, by=by, now=now, changes=changes, recipient_id=recipient.id)
    return recipient, changes, secret


def rotate_secret(session: Session, recipient: Recipient, *, by: StaffUser, now: datetime) -> str:
    """A new webhook secret; the old one stops working at once. Shown to the officer once."""
    if not recipient.webhook_url:
        raise RuleError(_("This recipient has no webhook, so it has no secret to replace."))
    secret = secrets.token_hex(32)
    had = recipient.webhook_secret is not None
    recipient.webhook_secret = secret
    session.flush()
    _record(
        session, "register.recipient.secret_rotated", by=by, now=now,
        changes={"webhook_secret": {"old": SECRET_SET if had else None, "new": SECRET_NEW}},
        recipient_id=recipient.id,
    )  # fmt: skip
    return secret


def recipient_in_use(session: Session, recipient: Recipient) -> bool:
    """Whether assignments or Art. 19 notices point to the recipient (then it must stay)."""
    return any(
        session.scalar(select(exists().where(column == recipient.id)))
        for column in (Assignment.recipient_id, RecipientNotice.recipient_id)
    )


def delete_recipient(
    session: Session, recipient: Recipient, *, by: StaffUser, now: datetime
) -> bool:
    """Delete a recipient nothing refers to and return True; otherwise deactivate it (False).

    A deactivated recipient stays in the records (assignments, the proof of Art. 19 notices) but
    is no longer listed in the policy or sent new notices.
    """
    if recipient_in_use(session, recipient):
        _update(
            session, recipient, {"active": False}, "register.recipient.deactivated", by=by,
            now=now, recipient_id=recipient.id,
        )  # fmt: skip
        return False
    old = {field: _plain(getattr(recipient, field)) for field in _RECIPIENT_FIELDS}
    old["webhook_secret"] = SECRET_SET if recipient.webhook_secret else None
    session.delete(recipient)
    session.flush()
    _record(
        session, "register.recipient.deleted", by=by, now=now,
        changes={field: {"old": value, "new": None} for field, value in old.items() if value},
        recipient_id=recipient.id,
    )  # fmt: skip
    return True


_RECIPIENT_FIELDS = (
    "name", "kind", "service_sv", "service_en", "country", "safeguard_sv", "safeguard_en",
    "contact_email", "webhook_url", "active",
)  # fmt: skip
