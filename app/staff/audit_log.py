"""The audit trail for the privacy officer: who did or saw what, when, on which case or person.

Newest first, filtered by actor, action, case and dates, paged by keyset on the id (so a page is
as fast at the millionth entry as at the first). Reading the trail is itself recorded.
"""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request, url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from app.clock import now
from app.core.permissions import Permission
from app.db import get_session
from app.models import AuditEntry, StaffUser, SubjectRequest
from app.services import audit, subject_keys
from app.services.processing import SUBJECT, SYSTEM
from app.staff import bp
from app.staff.access import current_staff, require
from app.staff.intake_forms import AuditFilterForm

PAGE_SIZE = 100
ANONYMOUS = "anonymous"  # sign-in events before the person has proven who they are
CLI = "cli"  # staff accounts managed with the ``portal`` command

ACTION_LABELS: dict[str, LazyString] = {
    "audit.view": _l("Viewed the audit trail"),
    "case.view": _l("Viewed a case"),
    "case.intake": _l("Registered a request received outside the portal"),
    "case.assign": _l("Assigned a case"),
    "case.start": _l("Started work on a case"),
    "case.message": _l("Sent a message to the person"),
    "case.ask": _l("Asked the person for more information"),
    "case.resume": _l("Resumed work on a case"),
    "case.note": _l("Wrote an internal note"),
    "case.complete": _l("Completed a case"),
    "case.propose_extension": _l("Proposed an extension"),
    "case.propose_refusal": _l("Proposed a refusal"),
    "case.approve_extension": _l("Approved an extension"),
    "case.approve_refusal": _l("Approved a refusal"),
    "case.reject_extension": _l("Rejected a proposed extension"),
    "case.reject_refusal": _l("Rejected a proposed refusal"),
    "case.rectify": _l("Corrected a person's records"),
    "case.propose_erasure": _l("Proposed an erasure plan"),
    "case.approve_erasure": _l("Approved an erasure plan"),
    "case.reject_erasure": _l("Rejected a proposed erasure plan"),
    "case.erase": _l("Carried out an erasure"),
    "case.restrict": _l("Restricted a person's records"),
    "case.announce_lift": _l("Told the person a restriction will be lifted"),
    "case.lift_restriction": _l("Lifted a restriction"),
    "case.propose_objection": _l("Proposed a decision on an objection"),
    "case.approve_objection": _l("Approved a decision on an objection"),
    "case.reject_objection": _l("Rejected a proposed decision on an objection"),
    "records.restrict": _l("Restricted records while an objection is decided"),
    "records.stop_processing": _l("Stopped processing after an objection"),
    "package.build": _l("Built a data package"),
    "package.view": _l("Opened a data package"),
    "package.release": _l("Released a data package to the person"),
    "package.discard": _l("Discarded an unreleased data package"),
    "package.download": _l("Downloaded a data package"),
    "package.expire": _l("Deleted an expired data package"),
    "notice.sent": _l("Sent a notice to a recipient"),
    "notice.failed": _l("A notice to a recipient could not be delivered"),
    "notice.confirmed": _l("Recorded a recipient's confirmation"),
    "notice.resend": _l("Sent a notice to a recipient again"),
    "notice.not_notified": _l("Recorded why a recipient cannot be notified"),
    "export.leads": _l("Exported a lead list to a recipient"),
    "register.export": _l("Exported the register of requests"),
    "register.controller.updated": _l("Changed the controller's details"),
    "register.purpose.created": _l("Added a purpose to the register"),
    "register.purpose.updated": _l("Changed a purpose in the register"),
    "register.purpose.deleted": _l("Deleted a purpose from the register"),
    "register.recipient.created": _l("Added a recipient to the register"),
    "register.recipient.updated": _l("Changed a recipient in the register"),
    "register.recipient.deleted": _l("Deleted a recipient from the register"),
    "register.recipient.deactivated": _l("Deactivated a recipient in the register"),
    "register.recipient.secret_rotated": _l("Replaced a recipient's webhook secret"),
    "register.retention_rule.created": _l("Added a retention rule"),
    "register.retention_rule.updated": _l("Changed a retention rule"),
    "register.retention_rule.deleted": _l("Deleted a retention rule"),
    "policy.published": _l("Published a new version of the privacy policy"),
    "retention.view": _l("Viewed the data due for erasure"),
    "retention.purge": _l("Purged the portal's expired data"),
    "retention.erase": _l("Erased data past its retention period"),
    "retention.notices_view": _l("Viewed the addresses of notices to pass on by hand"),
    "person.view": _l("Viewed a person's records"),
    "login_ok": _l("Signed in"),
    "login_fail": _l("Failed sign-in"),
    "totp_fail": _l("Wrong one-time code"),
    "lockout": _l("Account locked after failed sign-ins"),
    "recovery_code_used": _l("Signed in with a recovery code"),
    "enrol": _l("Set up the authenticator app"),
    "logout": _l("Signed out"),
    "staff.create": _l("Created a staff account"),
    "staff.role": _l("Changed the role of a staff account"),
    "staff.disable": _l("Disabled a staff account"),
    "staff.enable": _l("Enabled a staff account"),
    "staff.reset_totp": _l("Reset the authenticator of a staff account"),
    "staff.unlock": _l("Unlocked a staff account"),
}
"""Readable names of the action codes; a code without a name is shown as it is."""


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def _actor_choices(db: Session) -> tuple[list[SelectChoice], dict[int, StaffUser]]:
    staff = list(db.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id)))
    choices = [
        SelectChoice("", _("Anyone")),
        SelectChoice(SYSTEM, _("The system")),
        SelectChoice(SUBJECT, _("The person")),
        SelectChoice(ANONYMOUS, _("Not signed in")),
        SelectChoice(CLI, _("The command line")),
    ]
    for member in staff:
        name = member.name if member.active else _("%(name)s (inactive)", name=member.name)
        choices.append(SelectChoice(member.actor, name))
    return choices, {member.id: member for member in staff}


def _action_choices(db: Session) -> list[SelectChoice]:
    # The index on action makes this a scan of the index only; codes without a label still show.
    recorded = set(db.scalars(select(AuditEntry.action).distinct()))
    codes = sorted(set(ACTION_LABELS) | recorded, key=lambda code: action_label(code).casefold())
    return [SelectChoice("", _("Any action"))] + [
        SelectChoice(code, action_label(code)) for code in codes
    ]


def _conditions(db: Session, form: AuditFilterForm) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    actor = form.actor.data
    if actor and actor.startswith("staff:"):
        conditions.append(AuditEntry.actor_id == int(actor.removeprefix("staff:")))
    elif actor:
        conditions.append(AuditEntry.actor == actor)
    if form.action.data:
        conditions.append(AuditEntry.action == form.action.data)
    if form.reference.data:
        # The case id is indexed; the reference alone still finds entries of a case erased since.
        request_id = db.scalar(
            select(SubjectRequest.id).where(SubjectRequest.reference == form.reference.data)
        )
        if request_id is not None:
            conditions.append(AuditEntry.request_id == request_id)
        else:
            conditions.append(AuditEntry.reference == form.reference.data)
    start, end = form.bounds()
    if start is not None:
        conditions.append(AuditEntry.occurred_at >= start)
    if end is not None:
        conditions.append(AuditEntry.occurred_at < end)
    return conditions


def _any(db: Session, query: Select[Any]) -> bool:
    return bool(db.scalar(select(exists(query))))


def _page(
    db: Session, conditions: list[ColumnElement[bool]], before: int | None, after: int | None
) -> tuple[list[AuditEntry], bool, bool]:
    """One page, newest first, and whether there are newer and older entries."""
    query = select(AuditEntry).where(*conditions)
    if after is not None:
        rows = list(
            db.scalars(
                query.where(AuditEntry.id > after).order_by(AuditEntry.id).limit(PAGE_SIZE + 1)
            )
        )
        has_newer = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        has_older = bool(rows) and _any(
            db, select(AuditEntry.id).where(*conditions, AuditEntry.id < rows[-1].id)
        )
        return rows, has_newer, has_older
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = list(db.scalars(query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)))
    has_older = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    has_newer = (
        before is not None
        and bool(rows)
        and _any(db, select(AuditEntry.id).where(*conditions, AuditEntry.id > rows[0].id))
    )
    return rows, has_newer, has_older


def _filters(form: AuditFilterForm) -> dict[str, str]:
    """The filters in use, for the paging links and the audit entry of this view."""
    values = {
        "actor": form.actor.data,
        "action": form.action.data,
        "reference": form.reference.data,
        "date_from": form.date_from.data.isoformat() if form.date_from.data else None,
        "date_to": form.date_to.data.isoformat() if form.date_to.data else None,
    }
    return {key: value for key, value in values.items() if value}


def actor_name(entry: AuditEntry, staff: dict[int, StaffUser]) -> str:
    if entry.actor_id is not None:
        member = staff.get(entry.actor_id)
        return member.name if member else _("Staff member %(id)d", id=entry.actor_id)
    if entry.actor == SYSTEM:
        return _("The system")
    if entry.actor == SUBJECT:
        return _("The person")
    if entry.actor == ANONYMOUS:
        return _("Not signed in")
    if entry.actor == CLI:
        return _("The command line")
    return entry.actor


def _is_sealed(value: Any) -> bool:
    """The shape ``subject_keys.seal`` gives: ``{"key": "<id>", "value": "<token>"}``."""
    return (
        isinstance(value, dict)
        and set(value) == {"key", "value"}
        and isinstance(value["key"], str)
        and value["key"].isdigit()
        and isinstance(value["value"], str)
    )


class _Erased:
    """A sealed value whose key was shredded with the person's data."""


ERASED = _Erased()


def _unsealed(db: Session, value: Any) -> Any:
    """Sealed personal values (``subject_keys.seal``) in plain text, or ``ERASED`` once the
    person's key is shredded."""
    if _is_sealed(value):
        plain = subject_keys.unseal(db, value)
        return ERASED if plain is None else plain
    if isinstance(value, dict):
        return {key: _unsealed(db, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unsealed(db, item) for item in value]
    return value


def _is_change(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"old", "new"}


def _changes(value: dict[str, Any]) -> str:
    """``{"name": {"old": .., "new": ..}}`` as "name: “old” → “new”", one field after another."""

    def shown(text: Any) -> str:
        if text is ERASED:
            return _("(erased)")
        return f"“{text}”" if text else _("(empty)")

    return "; ".join(
        f"{field}: {shown(change['old'])} → {shown(change['new'])}"
        for field, change in value.items()
    )


def data_items(data: dict[str, Any], db: Session | None = None) -> list[tuple[str, str]]:
    """The entry's data as readable pairs (identifiers and field names only, by contract).

    Personal values an entry must hold (a rectification's old and new values) are sealed; with
    ``db`` they are shown unsealed, or as "(erased)" after the person's data were erased.
    """
    items = []
    for key, value in sorted((data or {}).items()):
        if db is not None:
            value = _unsealed(db, value)
        if isinstance(value, dict) and value and all(_is_change(v) for v in value.values()):
            items.append((key, _changes(value)))
        elif isinstance(value, str):
            items.append((key, value))
        elif value is ERASED:
            items.append((key, _("(erased)")))
        else:
            text = json.dumps(value, ensure_ascii=False, default=lambda _v: _("(erased)"))
            items.append((key, text))
    return items


@bp.get("/audit", endpoint="audit_log")
@require(Permission.READ_AUDIT)
def audit_log_view() -> str | tuple[str, int]:
    db = get_session()
    staff_member = current_staff()
    form = AuditFilterForm(formdata=request.args)
    form.actor.choices, staff = _actor_choices(db)
    form.action.choices = _action_choices(db)
    if not form.validate():
        return render_template("staff/audit_log.html", form=form, entries=None), 400
    before = request.args.get("before", type=int)
    after = None if before is not None else request.args.get("after", type=int)
    entries, has_newer, has_older = _page(db, _conditions(db, form), before, after)
    filters = _filters(form)
    moment = now()
    audit.record(
        db,
        action="audit.view",
        now=moment,
        staff=staff_member,
        data={
            "filters": filters,
            **({"before": before} if before is not None else {}),
            **({"after": after} if after is not None else {}),
        },
    )
    db.commit()
    return render_template(
        "staff/audit_log.html",
        form=form,
        entries=entries,
        staff=staff,
        filters=filters,
        newer_url=url_for("staff.audit_log", **filters, after=entries[0].id) if has_newer else None,
        older_url=url_for("staff.audit_log", **filters, before=entries[-1].id)
        if has_older
        else None,
        newest_url=url_for("staff.audit_log", **filters) if (before or after) else None,
        action_label=action_label,
        actor_name=actor_name,
        data_items=lambda data: data_items(data, db),
    )
