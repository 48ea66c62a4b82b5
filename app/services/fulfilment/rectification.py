"""Rectification (Art. 16): the person's proposed corrections, checked and applied to the records.

The handler sees, per record of the address, what it holds against what the person proposed,
accepts or edits each value and applies it. The audit trail keeps the old and the new values, but
sealed under the address's key (``subject_keys``), so a later erasure leaves them unreadable; the
person is told what was corrected, and every recipient of the data is told too (Art. 19).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.workflow import RequestType
from app.models import (
    Company,
    Message,
    NoticeAction,
    Person,
    PersonKind,
    StaffUser,
    SubjectRequest,
)
from app.portal.forms import _PHONE as PHONE_RULE  # the person and the handler, one rule
from app.services import audit, casework, notices, subject_keys
from app.services.errors import RuleError
from app.services.processing import record_event

FIELDS = ("name", "phone", "job_title", "company")
"""What can be applied to a record; "other" is free text a handler deals with by hand."""
OTHER = "other"

LIMITS = {"name": 200, "phone": 30, "job_title": 120, "company": 200}
"""The longest value of each field: the portal's limits, within the columns' sizes."""

FIELD_LABELS: dict[str, LazyString] = {
    "name": _l("Name"),
    "phone": _l("Phone number"),
    "job_title": _l("Job title"),
    "company": _l("Company"),
    "other": _l("Something else"),
}

APPLIED = "rectified"  # the timeline event of an applied correction


@dataclass(frozen=True)
class FieldDiff:
    """One field of one record: what it holds now and what the person proposed."""

    field: str
    current: str | None
    proposed: str

    @property
    def differs(self) -> bool:
        return (self.current or "") != self.proposed


@dataclass(frozen=True)
class RecordDiff:
    person_id: int
    name: str
    kind: PersonKind
    fields: list[FieldDiff]

    @property
    def differs(self) -> bool:
        return any(f.differs for f in self.fields)


@dataclass(frozen=True)
class Change:
    """A value that was changed: field, old and new value (``None``: empty)."""

    field: str
    old: str | None
    new: str | None


def corrections(request: SubjectRequest) -> dict[str, str]:
    """The person's proposed values for the fields that can be applied, in field order."""
    proposed = (request.details or {}).get("corrections") or {}
    return {
        name: str(proposed[name]).strip()
        for name in FIELDS
        if isinstance(proposed.get(name), str) and proposed[name].strip()
    }


def other_text(request: SubjectRequest) -> str | None:
    """What the person wrote under "something else": shown to the handler, never applied."""
    value = ((request.details or {}).get("corrections") or {}).get(OTHER)
    return value.strip() if isinstance(value, str) and value.strip() else None


def current_value(person: Person, field: str) -> str | None:
    if field == "company":
        return person.company.name if person.company else None
    value = getattr(person, field)
    return value if value else None


def records(session: Session, email: str) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.email == email).order_by(Person.id)))


def diffs(session: Session, request: SubjectRequest) -> list[RecordDiff]:
    """Per record of the case's address, each proposed field: its current and proposed value."""
    proposed = corrections(request)
    return [
        RecordDiff(
            person_id=person.id,
            name=person.name,
            kind=person.kind,
            fields=[FieldDiff(f, current_value(person, f), value) for f, value in proposed.items()],
        )
        for person in records(session, request.email)
    ]


def is_applied(request: SubjectRequest) -> bool:
    return any(event.kind == APPLIED for event in request.events)


def validation_errors(values: dict[str, str | None]) -> dict[str, str]:
    """Why a value cannot be applied, per field (empty when all can).

    A name is required; the other fields may be emptied (a wrong phone number removed).
    """
    errors: dict[str, str] = {}
    for field, value in values.items():
        text = (value or "").strip()
        if field not in FIELDS:
            errors[field] = _("This field cannot be corrected here.")
        elif field == "name" and not text:
            errors[field] = _("The name cannot be empty.")
        elif len(text) > LIMITS[field]:
            errors[field] = _(
                "%(field)s: at most %(max)d characters.",
                field=FIELD_LABELS[field],
                max=LIMITS[field],
            )
        elif field == "phone" and text and not PHONE_RULE.match(text):
            errors[field] = _("Enter a phone number with digits, for example 070-123 45 67.")
    return errors


def _employer(session: Session, name: str) -> Company:
    """The company of that exact name (the oldest if several), or a new one (not a customer)."""
    found = session.scalar(select(Company).where(Company.name == name).order_by(Company.id))
    if found is None:
        found = Company(name=name, is_customer=False)
        session.add(found)
        session.flush()
    return found


def apply(
    session: Session,
    request: SubjectRequest,
    person_id: int,
    values: dict[str, str | None],
    *,
    by: StaffUser,
    now: datetime,
) -> list[Change]:
    """Apply the handler's values (accepted or edited) to one record of the case's address.

    ``values`` maps the fields to change to their new values; fields left out stay unchanged.
    Records a timeline event, an audit entry with the old and new values sealed, a message to
    the person listing what was corrected (the e-mail only says a message waits) and an Art. 19
    notice per recipient.

    :raises RuleError: on a closed case, another type of request, a record of another address,
        a field the person did not ask to correct, an invalid value, or nothing that would change.
    """
    if not request.is_open:
        raise RuleError(_("The case is closed."))
    if request.type is not RequestType.RECTIFICATION:
        raise RuleError(_("Only a request for rectification is carried out this way."))
    person = session.get(Person, person_id)
    if person is None or person.email != request.email:
        raise RuleError(_("That record is not held under this case's address."))
    proposed = corrections(request)
    unasked = [f for f in values if f not in proposed]
    if unasked:
        raise RuleError(_("Only the fields the person asked to correct can be changed here."))
    errors = validation_errors(values)
    if errors:
        raise RuleError(" ".join(errors.values()))

    changes: list[Change] = []
    for field, value in values.items():
        new = (value or "").strip() or None
        old = current_value(person, field)
        if new == old:
            continue
        if field == "company":
            person.company = _employer(session, new) if new else None
        else:
            setattr(person, field, new)
        changes.append(Change(field, old, new))
    if not changes:
        raise RuleError(
            _(
                "The record already holds these values, so nothing would change. If the data "
                "are correct, refuse the request (wholly or partly) with the ground “The data "
                "are correct”."
            )
        )
    person.updated_at = now
    _record(session, request, person, changes, by=by, now=now)
    session.flush()
    return changes


def _record(
    session: Session,
    request: SubjectRequest,
    person: Person,
    changes: list[Change],
    *,
    by: StaffUser,
    now: datetime,
) -> None:
    fields = [c.field for c in changes]
    record_event(
        request, kind=APPLIED, actor=by.actor, now=now,
        data={"person_id": person.id, "fields": fields},
    )  # fmt: skip
    sealed: dict[str, Any] = {
        c.field: {
            "old": subject_keys.seal(session, request.email, c.old, now=now),
            "new": subject_keys.seal(session, request.email, c.new, now=now),
        }
        for c in changes
    }
    audit.record(
        session, action="case.rectify", now=now, staff=by, request=request,
        person_id=person.id, data={"fields": sealed},
    )  # fmt: skip
    recipients = notices.recipients_for(session, request.email)
    body = _notice(request, changes, told=bool(recipients))
    request.messages.append(Message(from_subject=False, staff_id=by.id, body=body, created_at=now))
    casework.notify_subject(session, request, "message", now)
    notices.create_notices(
        session,
        request,
        NoticeAction.RECTIFICATION,
        recipients=recipients,
        details={"fields": {c.field: c.new for c in changes}},
        actor=by.actor,
        now=now,
    )


def _notice(request: SubjectRequest, changes: list[Change], *, told: bool) -> str:
    """The message to the person, in the case's language: each field, old value and new."""
    with force_locale(request.language):
        lines = [(str(FIELD_LABELS[c.field]), c.old, c.new) for c in changes]
        text = render_template(
            "notices/rectified.txt", case=request, language=request.language, changes=lines,
            told=told,
        )  # fmt: skip
    return text.strip()


def completion_blocker(session: Session, request: SubjectRequest) -> str | None:
    """A rectification with proposed values is completed once applied, or refused (wholly or
    partly, e.g. because the data are correct)."""
    if request.type is not RequestType.RECTIFICATION or not corrections(request):
        return None
    if is_applied(request) or request.refusal_scope is not None:
        return None
    if not records(session, request.email):
        return None  # nothing held under the address: nothing to correct
    return _(
        "The proposed corrections have not been applied. Apply them under “Correct the "
        "records”, or, if the data are correct, refuse the request (wholly or partly) with the "
        "ground “The data are correct” and your reasons."
    )


casework.COMPLETION_GUARDS.append(completion_blocker)
